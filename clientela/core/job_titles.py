"""How a background job is named, in the reader's language, from what the job stores.

A job stores data (its kind and its options: the file name, whether it is a dry run), never a
sentence: a title written in its creator's language would greet an English reader in Spanish.
The app that creates a kind of job registers how its title reads (from its AppConfig.ready);
jobs stored before that kept their old `title`, which stays the fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.utils.translation import gettext as _

# A kind's title from the job's options, or "" when the options lack what it needs.
JobTitle = Callable[[Mapping[str, Any]], str]

JOB_TITLES: dict[str, JobTitle] = {}


def register_job_title(kind: str, title: JobTitle) -> None:
    """Say how jobs of `kind` are named (call from an AppConfig.ready)."""
    JOB_TITLES[kind] = title


def job_title(kind: str, options: Mapping[str, Any] | None, stored: str = "") -> str:
    """Return a job's title in the current language.

    The kind's registered words, else the title stored by older versions, else the kind itself
    made readable.
    """
    options = options if isinstance(options, Mapping) else {}
    render = JOB_TITLES.get(kind)
    title = render(options) if render is not None else ""
    if not title:
        return stored or kind.replace("_", " ").capitalize()
    if options.get("dry_run"):
        return _("Dry run: %(title)s") % {"title": title}
    return title


def file_name(options: Mapping[str, Any]) -> str:
    """Return the uploaded file's name a job keeps in its options ("" when it has none)."""
    return str(options.get("filename") or "")[:150]


def named_after_file(message: Any) -> JobTitle:
    """Build a title naming the job's file: `message` (gettext_lazy) holds "%(name)s"."""

    def title(options: Mapping[str, Any]) -> str:
        name = file_name(options)
        return str(message) % {"name": name} if name else ""

    return title


def fixed_title(label: Any) -> JobTitle:
    """Build a title that is the same words for every job of the kind (gettext_lazy)."""
    return lambda options: str(label)
