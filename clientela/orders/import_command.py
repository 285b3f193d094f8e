"""`clientela import orders FILE`: the orders importer the import command runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clientela.accounts.models import User
from clientela.orders.importing import import_orders
from clientela.timeline.choices import Via


def import_orders_file(
    path: Path, *, actor: User, options: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Import orders synchronously (same summary and errors as the web import); no warnings."""
    result = import_orders(
        actor=actor,
        path=path,
        dry_run=bool(options.get("dry_run")),
        update_existing=bool(options.get("update_existing")),
        create_missing=bool(options.get("create_missing")),
        source_system=options.get("source_system") or "",
        via=Via.CLI,
    )
    return result.as_dict(), []
