"""`paperwire createsuperuser`: Django's createsuperuser, with one account per address.

Django's own command (which `django.contrib.auth`, listed before this app, keeps under
its name) does not look at the address. This one refuses an address another account
has, in any case: asked for at the prompt, it says so and asks again; given as --email
or DJANGO_SUPERUSER_EMAIL, it stops with that error (`paperwire: …`, exit status 1),
as it does when another account takes the address while the command runs (the
database's unique index refuses the row; see community.addresses).
"""

from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from typing import Any

from django.contrib.auth.management.commands.createsuperuser import Command as CreateSuperuser
from django.core.management.base import CommandError, CommandParser
from django.db import IntegrityError, connections, transaction

from paperwire.community import addresses


class Command(CreateSuperuser):
    help = "Create a staff account for /admin/ (one account per e-mail address)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        # Usage lines name the command as people type it (`paperwire createsuperuser`).
        return super().create_parser(prog_name, "createsuperuser", **kwargs)

    def handle(self, *args: Any, **options: Any) -> None:
        isatty = getattr(options.get("stdin", sys.stdin), "isatty", None)
        if options["interactive"] and isatty is not None and not isatty():
            # Django says "skipped" with status 0 and points at `manage.py`: a script or
            # `ssh host paperwire createsuperuser` would go on as if an account existed.
            raise CommandError(
                "no terminal to ask for the password: run `paperwire createsuperuser` in a "
                "terminal, or give --noinput --username NAME --email ADDRESS with the "
                "password in DJANGO_SUPERUSER_PASSWORD"
            )
        self.database = options["database"]
        self.email = options.get("email")
        if self.email is None and not options["interactive"]:
            self.email = os.environ.get("DJANGO_SUPERUSER_EMAIL")
        if self.email:
            self._refuse_taken(self.email)
        # Called inside a transaction (a test, or call_command in one), the command runs
        # in a savepoint, so that a refused row does not spoil the caller's transaction.
        # From `paperwire` it runs in autocommit: no transaction is held while it asks.
        inside = connections[self.database].in_atomic_block
        try:
            with transaction.atomic(using=self.database) if inside else nullcontext():
                super().handle(*args, **options)
            if not options["interactive"] and "DJANGO_SUPERUSER_PASSWORD" not in os.environ:
                # Django makes the account with an unusable password and says only that
                # it was created: nobody could log in to /admin/ with it.
                username = options["username"] or os.environ.get("DJANGO_SUPERUSER_USERNAME")
                self.stderr.write(
                    f"note: {username} has no password, so cannot log in yet: set one with "
                    f"`paperwire changepassword {username}`, or give DJANGO_SUPERUSER_PASSWORD "
                    "with --noinput"
                )
        except IntegrityError:
            # Taken while the command ran: the same error as above, or the username's.
            if self.email:
                self._refuse_taken(self.email)
            raise CommandError(
                "the account could not be stored: another account took its username "
                "meanwhile; run the command again with another username"
            ) from None

    def get_input_data(self, field: Any, message: str, default: str | None = None) -> Any:
        value = super().get_input_data(field, message, default)
        if field.name == "email" and value:
            if addresses.held_by_another(value, using=self.database):
                self.stderr.write(f"Error: {addresses.TAKEN}")
                return None
            self.email = value
        return value

    def _refuse_taken(self, email: str) -> None:
        if addresses.held_by_another(email, using=self.database):
            raise CommandError(
                f"An account with this address already exists: {email.strip()}. Give the "
                "new account another address, or make that account staff in /admin/."
            )
