"""Background jobs have a natural Spanish name: "Trabajo" was a word-for-word "Job"."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from django.test import Client
from django.utils import translation

from clientela.core.models import Job

CATALOGUE = Path(__file__).resolve().parents[2] / "locale/es/LC_MESSAGES/django.po"


def test_the_spanish_catalogue_never_calls_anything_trabajo() -> None:
    text = CATALOGUE.read_text(encoding="utf-8")
    translations = re.findall(r'^msgstr "(.*)"$', text, flags=re.MULTILINE)
    assert not [t for t in translations if re.search(r"\btrabajos?\b", t, re.IGNORECASE)]


def test_a_job_is_a_background_task_in_spanish() -> None:
    with translation.override("es"):
        assert str(Job._meta.verbose_name) == "tarea en segundo plano"
        assert str(Job._meta.verbose_name_plural) == "tareas en segundo plano"


def test_the_audit_logs_record_types_name_jobs_naturally(client: Client, personas: Any) -> None:
    client.force_login(personas.admin)
    client.cookies["django_language"] = "es"
    page = client.get("/audit/").content.decode()
    assert ">Tarea en segundo plano</option>" in page
    assert "Trabajo" not in page
