"""A job's title is rendered from its kind and options in the reader's language (an English
reader saw "Importación de contactos: …", the title stored in its creator's Spanish)."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import translation

from clientela.contacts.tests.import_helpers import csv_bytes, run, start
from clientela.core.imports import start_dry_run
from clientela.core.job_titles import job_title
from clientela.core.models import Job
from clientela.core.tests.factories import JobFactory
from clientela.timeline.models import Event


def spanish_draft(personas: Any) -> Job:
    """A contacts import a Spanish reader started."""
    with translation.override("es"):
        return start(personas.admin, csv_bytes("Nombre,Email", "Ana,ana@x.co"), "clientes.csv")


def test_it_stores_data_not_words(personas: Any) -> None:
    job = spanish_draft(personas)
    assert job.title == ""
    assert job.options["filename"] == "clientes.csv"


def test_it_names_the_job_in_each_readers_language(personas: Any) -> None:
    job = spanish_draft(personas)
    with translation.override("en"):
        assert job.display_title == "Contacts import: clientes.csv"
    with translation.override("es"):
        assert job.display_title == "Importación de contactos: clientes.csv"


def test_a_dry_run_says_so_in_the_readers_language(personas: Any) -> None:
    job = spanish_draft(personas)
    with translation.override("es"):
        preview = start_dry_run(job, actor=personas.admin, enqueue=lambda j: None)
    with translation.override("en"):
        assert Job.objects.get(pk=preview.pk).display_title == (
            "Dry run: Contacts import: clientes.csv"
        )


def test_a_job_from_before_keeps_its_stored_title(personas: Any) -> None:
    old = JobFactory.create(kind="import_contacts", title="Importación de contactos: viejo.csv")
    assert old.display_title == "Importación de contactos: viejo.csv"
    assert job_title("something_new", {}) == "Something new"


def test_the_english_job_page_shows_an_english_title(client: Client, personas: Any) -> None:
    with translation.override("es"):
        run(personas.admin, csv_bytes("Nombre,Email", "Ana,ana@x.co"), "clientes.csv")
    job = Job.objects.filter(kind="import_contacts").latest("pk")
    job.options = {**job.options, "stage": "queued"}  # as the screens leave a confirmed import
    job.save(update_fields=["options"])
    client.force_login(personas.admin)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("contacts:import_job", args=[job.pk])).content.decode()
    assert "<h1>Contacts import: clientes.csv</h1>" in page
    assert "Importación" not in page


def test_the_audit_log_names_an_import_in_the_readers_language(
    client: Client, personas: Any
) -> None:
    with translation.override("es"):
        run(personas.admin, csv_bytes("Nombre,Email", "Ana,ana@x.co"), "clientes.csv")
    assert Event.objects.filter(target_type="core.job").exists()
    client.force_login(personas.admin)
    client.cookies["django_language"] = "en"
    page = client.get("/audit/", {"record_type": "core.job"}).content.decode()
    assert "Contacts import: clientes.csv" in page
    assert "Importación de contactos" not in page


def test_the_audit_export_names_an_import_in_the_readers_language(
    client: Client, personas: Any
) -> None:
    with translation.override("es"):
        run(personas.admin, csv_bytes("Nombre,Email", "Ana,ana@x.co"), "clientes.csv")
    client.force_login(personas.admin)
    client.cookies["django_language"] = "en"
    response: Any = client.get(reverse("timeline:audit_export"), {"record_type": "core.job"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Contacts import: clientes.csv" in text
    assert "Importación de contactos" not in text
