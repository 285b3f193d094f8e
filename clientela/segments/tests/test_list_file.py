"""Filling a static list from a CSV/XLSX file: by e-mail, phone or id, every left-out row named."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from clientela.contacts.tests.factories import ContactFactory
from clientela.core.exceptions import ValidationFailed
from clientela.segments import services
from clientela.segments.models import Membership, Segment

pytestmark = pytest.mark.django_db


def _members(segment: Segment) -> set[int]:
    return set(
        Membership.objects.filter(segment=segment, left_at__isnull=True).values_list(
            "contact_id", flat=True
        )
    )


def _csv(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def test_it_adds_the_contacts_a_file_names_by_email_and_reports_the_rest(personas: Any) -> None:
    ana = ContactFactory.create(email="ana@example.co", owner=personas.rep)
    beto = ContactFactory.create(email="beto@example.co", owner=personas.rep2)
    listed = services.save_as_list(actor=personas.admin, name="Feria", contacts=[beto.pk])
    upload = _csv(
        "Nombre;Correo electrónico\n"
        "Ana;ANA@Example.co\n"
        "Beto;beto@example.co\n"
        "Nadie;nadie@example.co\n"
        "Roto;no-es-correo\n"
        "Vacío;\n"
    )
    result = services.fill_list_from_file(
        listed, upload, filename="feria.csv", actor=personas.admin
    )
    assert (result.rows, result.matched, result.added) == (5, 2, 1)
    assert [line for line, _value, _reason in result.rejected] == [4, 5, 6]
    assert result.rejected[0][1] == "nadie@example.co"
    assert "no-es-correo" in result.rejected[1][2]
    assert _members(listed) == {ana.pk, beto.pk}


def test_it_matches_phones_written_any_usual_way_and_ids_from_a_workbook(personas: Any) -> None:
    carla = ContactFactory.create(phone="+573001234567")
    dario = ContactFactory.create()
    listed = services.save_as_list(actor=personas.admin, name="Llamadas", contacts=[])
    phones = services.fill_list_from_file(
        listed, _csv("Teléfono\n300 123 4567\n"), filename="t.csv", actor=personas.admin
    )
    assert phones.added == 1
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ID"])
    sheet.append([dario.pk])
    sheet.append(["abc"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    ids = services.fill_list_from_file(listed, data, filename="ids.xlsx", actor=personas.admin)
    assert (ids.added, [line for line, _v, _r in ids.rejected]) == (1, [3])
    assert _members(listed) == {carla.pk, dario.pk}


def test_it_finds_only_contacts_the_actor_may_see(personas: Any) -> None:
    role = personas.rep.role
    role.capabilities = [*role.capabilities, "segments.manage"]
    role.save(update_fields=["capabilities"])
    personas.rep.refresh_from_db()
    ContactFactory.create(email="ajeno@example.co", owner=personas.rep2)
    listed = services.save_as_list(actor=personas.rep, name="Mía", contacts=[])
    result = services.fill_list_from_file(
        listed, _csv("email\najeno@example.co\n"), filename="x.csv", actor=personas.rep
    )
    assert (result.added, len(result.rejected)) == (0, 1)
    assert _members(listed) == set()


def test_it_refuses_a_file_without_a_column_naming_contacts(personas: Any) -> None:
    listed = services.save_as_list(actor=personas.admin, name="X", contacts=[])
    with pytest.raises(ValidationFailed) as caught:
        services.fill_list_from_file(
            listed, _csv("Nombre;Ciudad\nAna;Cali\n"), filename="x.csv", actor=personas.admin
        )
    assert "Nombre, Ciudad" in caught.value.errors["file"][0]


def test_it_shows_every_left_out_row_on_the_screen(client: Any, personas: Any) -> None:
    ContactFactory.create(email="ana@example.co")
    listed = services.save_as_list(actor=personas.admin, name="Feria", contacts=[])
    client.force_login(personas.admin)
    url = reverse("segments:list_upload", args=[listed.pk])
    assert client.get(url).status_code == 200
    upload = SimpleUploadedFile(
        "f.csv", b"email\nana@example.co\n<script>x</script>@example.co\n", "text/csv"
    )
    page = client.post(url, {"file": upload}).content.decode()
    facts = [int(n) for n in re.findall(r"<dd>(\d+)</dd>", page)]
    assert facts == [2, 1, 1] and "Filas leídas" in page
    assert "&lt;script&gt;" in page and "<script>x" not in page
    assert _members(listed) != set()
    bad = client.post(url, {"file": SimpleUploadedFile("n.csv", b"a;b\n1;2\n", "text/csv")})
    assert "(sus columnas: a, b)" in bad.content.decode() and bad.status_code == 200
