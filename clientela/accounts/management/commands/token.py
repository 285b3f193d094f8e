"""`clientela token create USERNAME`: print a new API token for a user."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clientela.accounts.models import User
from clientela.accounts.services import create_token
from clientela.core.events import Via


class Command(BaseCommand):
    """Create API tokens from the command line (`clientela token create USERNAME`)."""

    help = "Manage API tokens. `token create USERNAME` prints a new token (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare the `create` subcommand and its arguments."""
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a token for USERNAME")
        create.add_argument("username")
        create.add_argument("--name", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        """Create a token for the named active user and print it once."""
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {options['username']!r}.") from exc
        if not user.is_active:
            raise CommandError(f"User {user.username!r} is not active.")
        # The command line is the installation's owner acting: the user is their own actor.
        _token, raw = create_token(user, actor=user, name=options["name"], via=Via.CLI)
        self.stdout.write(raw)
