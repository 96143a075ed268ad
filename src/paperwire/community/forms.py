"""Forms: every field bounded, every error a message for the user."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from paperwire.community import signups
from paperwire.community.actions import parse_arxiv_ref
from paperwire.community.address_change import same_address
from paperwire.community.addresses import normalize_address
from paperwire.community.models import COMMENT_MAX_LENGTH, Profile

MAX_LINKS = 5


class LoginForm(AuthenticationForm):
    """Django's log-in form, telling whoever knows an inactive account's password why it
    cannot log in: suspended (and whom to ask), or its address never verified. Django's
    backend refuses inactive accounts as it refuses a wrong password, so a suspended
    member was told to check their password, and a reset mail (sent to active accounts
    only) never came.

    Only the right password learns more, and every refusal costs the same: one more
    password hash after the backend's one, against the inactive account or a throwaway
    user, so the time taken does not tell an inactive account from any other."""

    def get_invalid_login_error(self) -> ValidationError:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        try:
            account = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            account = None
        if account is None or account.is_active:
            User().set_password(password)  # the same work as the check below
            return super().get_invalid_login_error()
        if not account.check_password(password):
            return super().get_invalid_login_error()
        profile = Profile.objects.filter(user=account).first()
        if profile is None or not (profile.suspended or profile.email_verified):
            return ValidationError(
                "This account's e-mail address is not verified yet: open the link in the "
                "confirmation mail, or sign up again with the same address for a new link.",
                code="unverified",
            )
        # Suspended by a moderator, or turned off by staff in the Users admin.
        message = "This account is suspended." if profile.suspended else "This account is off."
        if settings.PAPERWIRE_CONTACT_EMAIL:
            message += f" To ask why, write to {settings.PAPERWIRE_CONTACT_EMAIL}."
        return ValidationError(message, code="inactive")


class SignupForm(forms.Form):
    username = forms.CharField(
        max_length=40,
        validators=[UnicodeUsernameValidator()],
        help_text="Letters, digits and @/./+/-/_ only.",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        max_length=200, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_email(self) -> str:
        return normalize_address(str(self.cleaned_data["email"]))

    def clean(self) -> dict[str, Any]:
        # Every field's error at once: the password is checked whatever is wrong with the
        # username (add_error takes a field out of cleaned_data, so read it first). A taken
        # address is no error here; the view mails its owner instead.
        data = super().clean() or {}
        name = data.get("username") or ""
        email = data.get("email") or ""
        if name and not signups.username_available(name, email):
            self.add_error("username", "This username is taken; please choose another.")
        if data.get("password"):
            probe = User(username=name, email=email)
            try:
                password_validation.validate_password(data["password"], probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["display_name", "bio", "links"]
        labels = {"display_name": "Name", "links": "Links (one per line, http or https)"}
        widgets = {
            "bio": forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
            "links": forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
        }

    def clean_links(self) -> str:
        lines = [line.strip() for line in self.cleaned_data["links"].splitlines() if line.strip()]
        if len(lines) > MAX_LINKS:
            raise forms.ValidationError(f"At most {MAX_LINKS} links, please.")
        check = URLValidator(schemes=["http", "https"])
        for line in lines:
            if len(line) > 300:
                raise forms.ValidationError("Each link must be at most 300 characters.")
            try:
                check(line)
            except forms.ValidationError:
                raise forms.ValidationError(
                    f"{line[:60]!r} is not an http(s) address, e.g. https://example.org"
                ) from None
        return "\n".join(lines)


class CommentForm(forms.Form):
    body = forms.CharField(
        max_length=COMMENT_MAX_LENGTH,
        strip=True,
        # Shown where the form renders itself (editing a comment, a comment sent back
        # with an error); the paper page's box says the same in its own markup.
        label="Your comment",
        help_text="Markdown: *emphasis*, `code`, [links](https://…)",
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX_LENGTH}),
        error_messages={
            "required": "A comment cannot be empty.",
            "max_length": f"A comment can be at most {COMMENT_MAX_LENGTH} characters long.",
        },
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)


class ReportForm(forms.Form):
    reason = forms.CharField(
        max_length=500, error_messages={"required": "Say briefly what is wrong."}
    )


class SubmitForm(forms.Form):
    arxiv = forms.CharField(
        label="arXiv id or URL",
        max_length=200,
        help_text="e.g. 2401.01234 or https://arxiv.org/abs/2401.01234",
        error_messages={
            "required": "Enter an arXiv id or arxiv.org link.",
            "max_length": "That is too long to be an arXiv id or URL.",
        },
    )

    def clean_arxiv(self) -> str:
        try:
            return parse_arxiv_ref(self.cleaned_data["arxiv"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def current_password(required: str) -> forms.CharField:
    """The member's password, asked again before a change that matters; `required` says
    what it is for when left empty."""
    return forms.CharField(
        label="Your password",
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": required},
    )


class EmailChangeForm(forms.Form):
    """A new address for the signed-in member, with their password to prove it is them."""

    email = forms.EmailField(
        label="New e-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Enter the new address.",
            "invalid": "Enter a valid e-mail address, e.g. ada@example.org.",
        },
    )
    password = current_password("Enter your password to change your address.")

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        email = normalize_address(str(self.cleaned_data["email"]))
        if same_address(email, self.user.email or ""):
            raise forms.ValidationError(
                "That is already your address: enter the new one you want to use."
            )
        return email

    def clean_password(self) -> str:
        password = str(self.cleaned_data["password"])
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password; nothing was changed.")
        return password
