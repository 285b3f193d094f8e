"""The `clientela` console script: Django's manage.py plus Clientela's own commands."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a Django management command (`clientela migrate`, `clientela demo`, ...)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["clientela", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
