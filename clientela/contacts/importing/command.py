"""`clientela import contacts FILE`: the contacts importer the import command runs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings

from clientela.accounts.models import User
from clientela.contacts.importing.jobs import run_now, start_import, warning_messages
from clientela.timeline.choices import Via


def import_contacts_file(
    path: Path, *, actor: User, options: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Import contacts synchronously through the web import's runner; (summary, warnings)."""
    job = start_import(
        actor=actor,
        upload=path,
        filename=path.name,
        preset=options.get("preset", "auto"),
        update_existing=bool(options.get("update_existing")),
        dry_run=bool(options.get("dry_run")),
        via=Via.CLI,
        language=settings.LANGUAGE_CODE,
    )
    result = run_now(job, actor=actor)
    job.refresh_from_db()
    return result.as_dict(), warning_messages(job)
