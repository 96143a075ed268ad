"""`paperwire token create USERNAME --name NAME [--write]`: print a new API token.

Scripts rely on the output: the token on stdout, alone on its line, and nothing else
(errors go to stderr with a non-zero exit)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser

from paperwire.community.models import AccessToken
from paperwire.community.tokens import TokenError, create_token, revoke


class Command(BaseCommand):
    help = "Personal access tokens for the API: create (prints the token) or revoke."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="make a token and print it")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for")
        create.add_argument("--write", action="store_true", help="write scope (default: read)")
        drop = sub.add_parser("revoke", help="revoke a user's token by name")
        drop.add_argument("username")
        drop.add_argument("--name", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no user is called {options['username']!r}")
        if options["action"] == "create":
            if not user.is_active:
                raise CommandError(f"{user.username} is not active; a token would not work")
            scope = AccessToken.WRITE if options["write"] else AccessToken.READ
            try:
                _, token = create_token(user, options["name"], scope)
            except TokenError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(token)
            return
        rows = AccessToken.objects.filter(user=user, name=options["name"])
        if not rows.exists():
            raise CommandError(f"{user.username} has no token called {options['name']!r}")
        for row in rows:
            revoke(user, row.pk)
        self.stderr.write(f"revoked {options['name']!r} of {user.username}")
