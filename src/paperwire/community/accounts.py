"""Account pages: sign up with e-mail verification, log in, password reset, profile, settings.

No answer says whether an e-mail address is registered: sign-up and reset
always end on the same "check your inbox" page, and the mail says the rest.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser, User
from django.core import signing
from django.db import DatabaseError, IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from paperwire.community import address_change, library, paging, ratelimit, resets, signups
from paperwire.community.forms import LoginForm, ProfileForm, SignupForm
from paperwire.community.models import (
    AccessToken,
    AuthorClaim,
    Collection,
    Comment,
    Profile,
    Upvote,
)
from paperwire.community.tokens_views import NEW_TOKEN_KEY, TokenForm
from paperwire.papers.error_page import error_page
from paperwire.papers.models import FeedEntry

log = logging.getLogger(__name__)

TOO_MANY = (
    "Too many attempts from here or for this account. Please wait a few minutes and try again."
)
NOT_STORED = (
    "We could not store your request just now, so no mail is on its way. Nothing was "
    "changed: please try again in a minute."
)


def profile_of(user: AbstractBaseUser) -> Profile:
    profile, _ = Profile.objects.get_or_create(user=user)
    return profile


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        email = str(request.POST.get("email", ""))[:254]
        if not ratelimit.allowed(request, "signup", email or None):
            form.add_error(None, TOO_MANY)
            return render(request, "registration/signup.html", {"form": form}, status=429)
        if form.is_valid():
            try:
                _register_in_transaction(request, form.cleaned_data)
            except IntegrityError:
                form.add_error("username", "This username is taken; please choose another.")
            except DatabaseError:
                log.exception("sign-up not stored")
                form.add_error(None, NOT_STORED)
                return render(request, "registration/signup.html", {"form": form}, status=503)
            else:
                return redirect("signup_sent")
        return render(request, "registration/signup.html", {"form": form}, status=400)
    return render(request, "registration/signup.html", {"form": form})


def _register_in_transaction(request: HttpRequest, data: dict[str, Any]) -> None:
    """_register in a transaction of its own, tried once more if a unique index refuses
    the row: another sign-up stored this username or address between our checks and the
    save (on PostgreSQL the second writer waits for the first to commit, then is refused).
    Tried again, the checks see that account and do what they do for it: renew an
    account never verified, or mail "already has an account". Only a username taken by
    another address is refused twice (the caller says the username is taken)."""
    try:
        with transaction.atomic():
            _register(request, data)
    except IntegrityError:
        with transaction.atomic():
            _register(request, data)


def _register(request: HttpRequest, data: dict[str, Any]) -> None:
    """Store the account (or renew an unverified one) and queue its mail, in the
    caller's transaction: the page says "check your inbox" only once both are stored."""
    email = data["email"]
    # Hash first on every path, so timing does not tell them apart either.
    hashed = make_password(data["password"])
    existing = signups.account_of(email)
    if existing is not None and not signups.unverified_accounts().filter(pk=existing.pk).exists():
        reset = request.build_absolute_uri(reverse("password_reset"))
        signups.queue_template_mail(
            email, "registration/already_registered_email.txt", "signup-taken", {"reset_url": reset}
        )
        return
    signups.release_username(data["username"], keep=existing)
    if existing is not None:
        user = signups.renew_signup(existing, data["username"], hashed)
    else:
        user = User.objects.create(
            username=data["username"], email=email, password=hashed, is_active=False
        )
        Profile.objects.create(user=user)
    token = signups.verification_token(user)
    signups.send_verification(
        user, request.build_absolute_uri(reverse("verify_email", args=[token]))
    )


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/signup_sent.html")


def verify_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = signups.user_of_token(token)
    except signups.StaleLink:
        message = (
            "This verification link was replaced by a newer sign-up with the same address. "
            "Please use the link in the latest mail."
        )
        return error_page(request, message, 400)
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError, ValueError):
        confirmed = signups.confirmed_account_of_link(token)
        if confirmed is not None:
            # The sign-up mail opened again after the account was confirmed: nothing to do.
            context = {"verified_user": confirmed, "already": True}
            return render(request, "registration/verified.html", context)
        message = (
            "This verification link is invalid or has expired. Please sign up again with "
            "the same address: you will get a new link."
        )
        return error_page(request, message, 400)
    profile = profile_of(user)
    if profile.suspended:
        message = "This account is suspended."
        if settings.PAPERWIRE_CONTACT_EMAIL:
            message += f" To ask why, write to {settings.PAPERWIRE_CONTACT_EMAIL}."
        return error_page(request, message, 403)
    if not profile.email_verified or not user.is_active:
        profile.email_verified = True
        profile.save(update_fields=["email_verified"])
        user.is_active = True
        user.save(update_fields=["is_active"])
    return render(request, "registration/verified.html", {"verified_user": user})


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    authentication_form = LoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        # Django's view sets site_name to the host; the page header wants ours.
        return {**super().get_context_data(**kwargs), "site_name": settings.SITE_NAME}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = str(request.POST.get("username", ""))[:150]
        if not ratelimit.allowed(request, "login", account or None):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, TOO_MANY)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


def admin_login(request: HttpRequest) -> HttpResponse:
    """/admin/login/ under the same limits as /login: per address and per account."""
    if request.method == "POST":
        account = str(request.POST.get("username", ""))[:150]
        if not ratelimit.allowed(request, "login", account or None):
            message = TOO_MANY
            return error_page(request, message, 429)
    return admin.site.login(request)


class LogoutView(auth_views.LogoutView):
    """POST logs out (Django's view); GET, as when someone types /logout, shows the
    button that does, instead of Django's empty 405."""

    http_method_names = ["get", "post", "options"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, "registration/logout.html")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's; a new password also ends a change of address waiting for its link (the
    link stops working with the old password), so Settings stops showing it."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        address_change.cancel_change(form.user)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's; as PasswordChangeView, the new password ends a pending address change."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        address_change.cancel_change(form.user)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """The form; what it asks for is done in the background (community.resets), so the
    answer takes the same time for an address with an account and one without."""

    template_name = "registration/password_reset_form.html"

    def form_valid(self, form: Any) -> HttpResponse:
        try:
            with transaction.atomic():
                resets.request_reset(
                    form.cleaned_data["email"], self.request.get_host(), self.request.is_secure()
                )
        except DatabaseError:
            log.exception("reset request not stored")
            form.add_error(None, NOT_STORED)
            return self.render_to_response(self.get_context_data(form=form), status=503)
        return redirect(self.get_success_url())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = str(request.POST.get("email", ""))[:254]
        if not ratelimit.allowed(request, "reset", account or None):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, TOO_MANY)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)


def profile_page(request: HttpRequest, username: str) -> HttpResponse:
    user = get_object_or_404(User, username=username, is_active=True)
    try:
        number = paging.page_number(request)
    except paging.BadPage as exc:
        return error_page(request, str(exc), 400)
    # One ?page= steps through all three lists together: page N is the Nth fifty of each.
    submissions, more_s = paging.window(
        FeedEntry.objects.filter(submitted_by=user, paper__hidden=False)
        .select_related("paper")
        .order_by("-submitted_at", "pk"),
        number,
    )
    upvotes, more_u = paging.window(
        Upvote.objects.filter(user=user, paper__hidden=False)
        .select_related("paper")
        .order_by("-created", "pk"),
        number,
    )
    comments, more_c = paging.window(
        Comment.objects.filter(author=user, deleted=False, hidden=False, paper__hidden=False)
        .select_related("paper")
        .order_by("-created", "pk"),
        number,
    )
    if number > 1 and not (submissions or upvotes or comments):
        return error_page(request, "There is no such page of this profile.", 404)
    claims = AuthorClaim.objects.filter(user=user, status=AuthorClaim.APPROVED).select_related(
        "author"
    )
    # Public collections, as the Hub's profiles show them: all on the first page (a
    # member has at most library.MAX_COLLECTIONS), none on the pages after it.
    collections = (
        library.with_paper_counts(Collection.objects.filter(owner=user, public=True))
        if number == 1
        else Collection.objects.none()
    )
    context = {
        "member": user,
        "profile": profile_of(user),
        "collections": collections,
        "submissions": submissions,
        "upvotes": upvotes,
        "comments": comments,
        "claims": claims,
        "pager": paging.pager(request, number, more_s or more_u or more_c),
    }
    return render(request, "community/profile.html", context)


def _settings_context(request: HttpRequest, form: ProfileForm) -> dict[str, Any]:
    return {
        "form": form,
        "email_on_reply": profile_of(request.user).email_on_reply,  # type: ignore[arg-type]
        "tokens": AccessToken.objects.filter(user_id=int(request.user.pk or 0)),
        "token_form": TokenForm(),
        "pending_email": address_change.pending_change(request.user),  # type: ignore[arg-type]
        # Shown on this one page, never again: only its hash is stored.
        "new_token": request.session.pop(NEW_TOKEN_KEY, None),
    }


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    profile = profile_of(request.user)  # type: ignore[arg-type]
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Your profile is saved.")
            return redirect("settings")
        context = _settings_context(request, form)
        return render(request, "community/settings.html", context, status=400)
    response = render(request, "community/settings.html", _settings_context(request, form))
    # The page may hold a new token: never kept by a cache.
    response["Cache-Control"] = "no-store"
    return response
