"""Accounts in the admin: Django's UserAdmin, with one account per e-mail address.

Its add and change forms refuse an address another account has, in any case, with the
error the site uses for it (community.addresses.TAKEN), and its add form asks for the
address too. An account that takes the address between the form's check and the save
is refused by the database's unique index; the form is then checked again, which now
sees that account and shows the same error instead of a server error.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import User
from django.db import IntegrityError, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from paperwire.community import addresses
from paperwire.papers.store import bump_data_version


class _Raced(Exception):
    """The database refused the save: another account took the username or address."""

    def __init__(self, error: IntegrityError) -> None:
        super().__init__(str(error))
        self.error = error


class OneAccountPerAddress(forms.ModelForm):
    def clean_email(self) -> str:
        email = addresses.normalize_address(str(self.cleaned_data.get("email") or ""))
        if addresses.held_by_another(email, self.instance):
            raise forms.ValidationError(addresses.TAKEN, code="address_taken")
        return email


class AccountChangeForm(OneAccountPerAddress, UserChangeForm):
    pass


class AccountCreationForm(OneAccountPerAddress, AdminUserCreationForm):
    pass


class AccountAdmin(UserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        try:
            with transaction.atomic(using=router.db_for_write(User)):
                super().save_model(request, obj, form, change)
        except IntegrityError as exc:
            raise _Raced(exc) from exc
        if change and "is_active" in form.changed_data:
            # An inactive member's public collections leave the paper pages that list
            # them (and come back with the account), pages cached until the data changes.
            bump_data_version()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        # As the member's own "Delete my account": a plain delete cascaded their upvote
        # rows without lowering the papers' counts, left their comments' words under
        # "[deleted]" and their @mentions linking to a username anyone may take next.
        import_string(settings.PAPERWIRE_ACCOUNT_DELETER)(obj)
        bump_data_version()  # their collections go with them

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        delete_account = import_string(settings.PAPERWIRE_ACCOUNT_DELETER)
        for user in queryset:
            delete_account(user)
        bump_data_version()

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Raced:
            # The view's own transaction (a savepoint under add_view's) is rolled back;
            # once more, the form's checks see the account that won.
            pass
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _Raced as raced:
            raise raced.error from None


admin.site.unregister(User)
admin.site.register(User, AccountAdmin)
