"""Event details read as words in the reader's language: labelled keys, local moments, channels
by name, technical ids left out (the newcomer saw "Merge id", "Survivor id", ISO stamps and
"seed")."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, cast

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from clientela.contacts import services as contact_services
from clientela.contacts.models import Contact, Merge
from clientela.contacts.tests.factories import ContactFactory
from clientela.core.events import DATA_KEYS, Via, humanize_key, via_label
from clientela.core.exports import export_table
from clientela.timeline.choices import Verb
from clientela.timeline.models import Event
from clientela.timeline.queries import describe_event
from clientela.timeline.services import record_event

ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def seeded_contact(**fields: Any) -> Contact:
    """A contact as the demo loads it (created_via "seed")."""
    return cast(Contact, ContactFactory(created_via=Via.SEED, **fields))


def merged_pair(personas: Any) -> tuple[Contact, Contact]:
    """Two demo contacts, the second merged into the first by the manager."""
    survivor = seeded_contact(owner=personas.rep)
    other = seeded_contact(
        owner=personas.rep, created_at=dt.datetime(2026, 12, 6, 9, 21, 16, tzinfo=dt.UTC)
    )
    contact_services.merge_contacts(survivor, other, actor=personas.manager)
    return survivor, other


def details_of(event: Event, language: str) -> list[tuple[str, str, str | None]]:
    with translation.override(language):
        return [(str(a), str(b), c) for a, b, c in describe_event(event)["details"]]


@pytest.mark.parametrize(
    ("language", "label", "via"),
    [
        ("en", "Merged contact created", "Demo data"),
        ("es", "Contacto fusionado creado", "Datos de demostración"),
    ],
)
def test_it_reads_a_merge_event_in_the_readers_language(
    personas: Any, language: str, label: str, via: str
) -> None:
    survivor, _other = merged_pair(personas)
    event = Event.objects.get(verb="merged", contact=survivor)
    details = {name: old for name, old, _new in details_of(event, language)}
    text = " ".join(f"{k} {v}" for k, v in details.items())
    for raw in ("Merge id", "Merged id", "Survivor id", "merge_id", "seed", "Merged created"):
        assert raw not in text
    assert not ISO_MOMENT.search(text)
    # 09:21 UTC is 04:21 in Bogotá, the installation's time zone.
    assert "04:21" in details[label]
    assert details[label].startswith("06/12/2026" if language == "es" else "2026-12-06 04:21")
    assert via.lower() in text.lower()


def test_it_hides_the_ids_of_an_undone_merge(personas: Any) -> None:
    survivor, _other = merged_pair(personas)
    merge = Merge.objects.get(survivor_id=survivor.pk)
    contact_services.undo_merge(merge, actor=personas.manager)
    for event in Event.objects.filter(verb="merge_undone"):
        assert details_of(event, "en") == []


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Rows read", "Records created", "Rows rejected"]),
        ("es", ["Filas leídas", "Registros creados", "Filas rechazadas"]),
    ],
)
def test_it_labels_an_imports_counts(personas: Any, language: str, words: list[str]) -> None:
    event = record_event(
        Verb.IMPORTED,
        actor=personas.admin,
        target=personas.admin,
        via=Via.IMPORT,
        data={"rows": 10, "created": 8, "updated": 1, "unchanged": 0, "errors": 1, "job": 3},
    )
    labels = [label for label, _old, _new in details_of(event, language)]
    for word in words:
        assert word in labels
    assert "Rows" not in labels and "Job" not in labels


def test_it_labels_an_exports_details(personas: Any) -> None:
    export_table(
        actor=personas.admin,
        kind="contacts",
        fmt="xlsx",
        headers=["a"],
        rows=[],
        name="x",
        title="x",
        filters={"lifecycle_stage": "lead"},
    )
    event = Event.objects.get(verb=Verb.EXPORTED)
    details = {label: old for label, old, _new in details_of(event, "es")}
    assert details["Formato"] == "XLSX"
    assert "Filtros" in details


def test_every_registered_key_has_a_label_in_both_languages() -> None:
    for verb, keys in DATA_KEYS.items():
        for name, key in keys.items():
            if key.hidden:
                continue
            with translation.override("es"):
                spanish = str(key.label)
            with translation.override("en"):
                english = str(key.label)
            assert english, (verb, name)
            assert spanish != english or english in {"CSV", "XLSX", "SKU"}, (verb, name, english)


def test_an_unknown_key_reads_humanised_and_an_unknown_id_is_hidden(personas: Any) -> None:
    event = record_event(
        "frobnicated",
        actor=personas.admin,
        target=personas.admin,
        data={"odd_thing": "x", "other_id": 7, "seen_at": "2026-01-02T15:00:00+00:00"},
    )
    details = {label: old for label, old, _new in details_of(event, "en")}
    assert details["Odd thing"] == "x"
    assert "Other id" not in details
    assert not ISO_MOMENT.search(details["Seen at"])
    assert humanize_key("merged_created_via") == "Merged created via"


@pytest.mark.parametrize(
    ("language", "label"), [("es", "Datos de demostración"), ("en", "Demo data")]
)
def test_it_shows_the_demo_channel_translated_on_a_timeline(
    client: Client, personas: Any, language: str, label: str
) -> None:
    contact = seeded_contact(owner=personas.rep)
    client.force_login(personas.rep)
    client.cookies["django_language"] = language
    page = client.get(reverse("contacts:contact_detail", args=[contact.pk])).content.decode()
    assert f">{label}</span>" in page
    assert ">seed<" not in page
    with translation.override(language):
        assert via_label("seed").lower() == label.lower()


def test_the_audit_log_page_reads_a_merge_in_spanish(client: Client, personas: Any) -> None:
    merged_pair(personas)
    client.force_login(personas.admin)
    client.cookies["django_language"] = "es"
    page = client.get("/audit/", {"verb": "merged"}).content.decode()
    assert "Contacto fusionado creado" in page
    assert "datos de demostración" in page.lower()
    assert "Survivor" not in page and "Merge id" not in page
    assert not ISO_MOMENT.search(page.split("<tbody>")[1])
    assert timezone.get_current_timezone_name()
