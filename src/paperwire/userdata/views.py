"""Settings pages for a member's own data: download it, or delete the account."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from paperwire.community import ratelimit
from paperwire.community.forms import current_password
from paperwire.community.views import _user
from paperwire.userdata.deletion import delete_account
from paperwire.userdata.export import user_data


@login_required
def export_my_data(request: HttpRequest) -> HttpResponse:
    """One JSON file of everything about the account, as a download."""
    user = _user(request)
    body = json.dumps(user_data(user), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    # Named for the account and the day, as people keep them side by side; a username is
    # letters, digits and @.+-_ only, all safe in a file name.
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="paperwire-{user.username}-{day}.json"'
    response["Cache-Control"] = "private, no-store"
    return response


class DeleteForm(forms.Form):
    password = current_password("Enter your password to delete your account.")


@login_required
@require_http_methods(["GET", "POST"])
def delete_my_account(request: HttpRequest) -> HttpResponse:
    """Asks for the password; then removes the account (userdata.deletion)."""
    user = _user(request)
    form = DeleteForm(request.POST or None)
    if request.method == "GET":
        return render(request, "userdata/delete.html", {"form": form})
    if not ratelimit.hit("delete-account", str(user.pk)):
        form.add_error(None, "Too many attempts; please wait a few minutes and try again.")
        return render(request, "userdata/delete.html", {"form": form}, status=429)
    if form.is_valid() and not user.check_password(form.cleaned_data["password"]):
        form.add_error("password", "That is not your password; nothing was deleted.")
    if not form.is_valid():
        return render(request, "userdata/delete.html", {"form": form}, status=400)
    username = user.username
    logout(request)
    delete_account(user)
    return render(request, "userdata/deleted.html", {"username": username})
