"""Helpers shared by the import tests: start a job from bytes or a fixture and run it."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from clientela.contacts.importing.jobs import start_import
from clientela.contacts.importing.runner import ImportResult, run_import
from clientela.core.models import Job

FILES = Path(__file__).parent / "files"


def fixture_bytes(name: str) -> bytes:
    """The bytes of a file under tests/files."""
    return (FILES / name).read_bytes()


def start(actor: Any, content: bytes, filename: str = "contactos.csv", **options: Any) -> Job:
    """Upload `content` as an import job (draft) for `actor`; messages in English by default."""
    options.setdefault("language", "en")
    return start_import(actor=actor, upload=io.BytesIO(content), filename=filename, **options)


def run(
    actor: Any, content: bytes, filename: str = "contactos.csv", **options: Any
) -> ImportResult:
    """Upload and run an import synchronously; options go to start_import and run_import."""
    batch_size = options.pop("batch_size", None)
    max_batches = options.pop("max_batches", None)
    job = start(actor, content, filename, **options)
    result = run_import(job.pk, batch_size=batch_size, max_batches=max_batches)
    assert result is not None
    return result


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    """Join lines into a CSV file's bytes."""
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
