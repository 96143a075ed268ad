"""The tokens section of the settings page: make a token (shown once) and revoke one."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from paperwire.community.models import AccessToken
from paperwire.community.tokens import NAME_MAX, TokenError, create_token, revoke
from paperwire.community.views import _user

# The new token waits in the session for the one settings page that shows it.
NEW_TOKEN_KEY = "paperwire_new_token"  # noqa: S105 - a session key, not a secret


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=NAME_MAX,
        label="Token name",
        help_text="What will use it, e.g. “my reading script”",
        error_messages={"required": "Give the token a name."},
    )
    scope = forms.ChoiceField(
        choices=[
            (AccessToken.READ, "Read: your profile, For you, collections, comments"),
            (AccessToken.WRITE, "Write: also upvote, save, collect and comment"),
        ],
        initial=AccessToken.READ,
        widget=forms.RadioSelect,
    )


@login_required
@require_POST
def tokens_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for field in form.errors.values() for e in field)
        messages.error(request, f"No token was made: {errors}")
        return redirect(reverse("settings") + "#tokens")
    try:
        _, token = create_token(
            _user(request), form.cleaned_data["name"], form.cleaned_data["scope"]
        )
    except TokenError as exc:
        messages.error(request, f"No token was made: {exc}")
    else:
        request.session[NEW_TOKEN_KEY] = token
    return redirect(reverse("settings") + "#tokens")


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if revoke(_user(request), pk):
        messages.info(request, "The token is revoked: it no longer works.")
    return redirect(reverse("settings") + "#tokens")
