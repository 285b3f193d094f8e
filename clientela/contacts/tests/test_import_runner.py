"""The import runner on real files: encodings, presets, errors, dedupe, resume, scope."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.utils import timezone, translation

from clientela.contacts.choices import CustomFieldType
from clientela.contacts.exporting import EXPORT_COLUMNS
from clientela.contacts.importing.runner import ImportResult, run_import
from clientela.contacts.models import Company, Contact, Note, Tag
from clientela.contacts.tests.factories import (
    CompanyFactory,
    ContactFactory,
    CustomFieldFactory,
    TagFactory,
)
from clientela.contacts.tests.import_helpers import csv_bytes, fixture_bytes, run, start
from clientela.core.exceptions import Forbidden
from clientela.core.models import Job, JobRowError, JobState
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db
BOGOTA = ZoneInfo("America/Bogota")


def finish(job_id: int, **options: Any) -> ImportResult:
    result = run_import(job_id, **options)
    assert result is not None
    return result


def make_contact(**values: Any) -> Contact:
    return cast(Contact, ContactFactory(**values))


@pytest.fixture
def budget(db):
    return CustomFieldFactory.create(
        key="presupuesto", label_es="Presupuesto", field_type=CustomFieldType.NUMBER
    )


def test_it_imports_a_bitrix24_spanish_csv_saved_by_excel(personas, budget):
    content = fixture_bytes("bitrix24_contactos_excel.csv")
    job = start(personas.admin, content, "contactos.csv")
    assert job.options["preset"] == "bitrix24"
    assert job.options["encoding"] == "cp1252"
    assert job.options["delimiter"] == ";"
    assert job.options["mapping"]["Presupuesto"] == "custom.presupuesto"
    result = finish(job.pk)

    assert (result.rows, result.created, result.updated, result.unchanged) == (6, 3, 0, 0)
    assert [(e["line"], e["column"]) for e in result.errors] == [
        (4, "Fecha de nacimiento"),
        (5, ""),
        (6, "E-mail de trabajo"),
    ]
    assert "31/02/1990" in result.errors[0]["reason"]
    assert "correo-malo" in result.errors[2]["reason"]

    maria = Contact.objects.get(email="maria.gomez@inmoandina.co")
    assert (maria.first_name, maria.last_name) == ("María José", "Gómez Restrepo")
    assert maria.birthday == date(1985, 3, 15)
    assert maria.phone == "+573001234567"
    assert maria.company is not None and maria.company.name == "Inmobiliaria Andina S.A.S."
    assert maria.source == "phone"
    assert maria.owner == personas.manager
    assert (maria.city, maria.country, maria.external_id) == ("Medellín", "CO", "101")
    assert maria.custom == {"presupuesto": 1250000.5}
    assert maria.created_at == datetime(2024, 1, 2, 10, 30, tzinfo=BOGOTA)
    assert maria.created_via == "import" and maria.import_job_id == job.pk
    assert Note.objects.get(contact=maria).body == "Interesada en un lote de 500 m²"

    andres = Contact.objects.get(first_name="Andrés")
    assert andres.email == "andres.pena@gmail.com"  # the private e-mail when work is blank
    assert andres.phone == "+576044445555"
    assert andres.birthday == date(1992, 2, 29)
    assert andres.company_id == maria.company_id
    assert andres.owner == personas.admin  # "Pedro Pérez" is nobody here
    assert andres.custom == {"presupuesto": 80000.75}
    julian = Contact.objects.get(first_name="Julián")
    assert julian.source == "event"
    assert julian.custom == {"presupuesto": 3000000.0}
    assert Note.objects.get(contact=julian).body == "Cliente VIP; pide llamada"
    assert Company.objects.count() == 2
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.counts["warnings"]["unknown_owner"] == {"Pedro Pérez": 1}
    assert job.checkpoint == 7
    # The job itself is in the audit log, once.
    assert Event.objects.filter(target_type="core.job", target_id=str(job.pk)).count() == 1


def test_it_imports_a_hubspot_export(personas):
    job = start(personas.admin, fixture_bytes("hubspot_contacts.csv"), "hubspot.csv")
    assert job.options["preset"] == "hubspot"
    result = finish(job.pk)
    assert (result.created, len(result.errors)) == (3, 1)
    assert result.errors[0]["line"] == 4
    assert result.errors[0]["column"] == "Lifecycle Stage"
    assert "Weird Stage" in result.errors[0]["reason"]

    john = Contact.objects.get(email="john.smith@acme.com")
    assert (john.phone, john.country, john.city) == ("+12127365000", "US", "New York")
    assert (john.lifecycle_stage, john.lead_status, john.source) == (
        "customer",
        "qualified",
        "website",
    )
    assert john.owner == personas.marketer
    assert john.external_id == "5001"
    assert john.job_title == "CEO"
    laura = Contact.objects.get(email="laura@ejemplo.mx")
    assert (laura.phone, laura.country) == ("+525512345678", "MX")
    assert (laura.lifecycle_stage, laura.lead_status, laura.source) == ("mql", "attempted", "other")
    tom = Contact.objects.get(email="tom.lee@example.com")
    assert tom.company_id == john.company_id
    assert tom.source == "email"


def _xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Nombre", "Correo", "Cumpleaños", "Fecha de registro", "Presupuesto"])
    sheet.append(
        ["Ana", "ana@example.co", date(1990, 5, 17), datetime(2024, 3, 1, 9, 15), 1250000.5]
    )
    sheet.append(["Beto", "beto@example.co", datetime(1985, 12, 1), None, 42])
    sheet.append(["Caro", "caro@example.co", "no sé", None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_it_reads_xlsx_with_excel_date_cells(personas, budget):
    result = run(personas.admin, _xlsx_bytes(), "contactos.xlsx")
    assert result.created == 2
    assert [(e["line"], e["column"]) for e in result.errors] == [(4, "Cumpleaños")]
    ana = Contact.objects.get(email="ana@example.co")
    assert ana.birthday == date(1990, 5, 17)
    assert ana.created_at == datetime(2024, 3, 1, 9, 15, tzinfo=BOGOTA)
    assert ana.custom == {"presupuesto": 1250000.5}
    assert Contact.objects.get(email="beto@example.co").birthday == date(1985, 12, 1)


def test_it_numbers_lines_like_a_spreadsheet_with_bom_and_quoted_newlines(personas):
    result = run(personas.admin, fixture_bytes("bom_quoted_newlines.csv"))
    # Header = 1, Ana = 2 (two physical lines), Bad = 3, blank = 4, Luis = 5, Otra = 6.
    assert [(e["line"], e["column"]) for e in result.errors] == [(3, "correo"), (6, "correo")]
    assert result.created == 2
    ana = Contact.objects.get(email="ana.gomez@example.co")
    assert ana.first_name == "Ana"  # the BOM is not part of the first header
    assert Note.objects.get(contact=ana).body == "Primera línea\r\nSegunda línea"


def test_it_keeps_every_good_row_and_stores_the_bad_rows_raw_values(personas):
    content = csv_bytes(
        "nombre;correo;celular;cumpleaños",
        "Ana;ana@example.co;300 123 4567;01/02/1990",
        "Beto;beto@;300 123 4568;",
        "Caro;caro@example.co;12;",
        "Dani;dani@example.co;;35/13/2000",
        "Eva;eva@example.co;;",
    )
    result = run(personas.admin, content)
    assert result.created == 2
    assert [(e["line"], e["column"]) for e in result.errors] == [
        (3, "correo"),
        (4, "celular"),
        (5, "cumpleaños"),
    ]
    first = JobRowError.objects.filter(line=3).get()
    assert first.raw == {
        "nombre": "Beto",
        "correo": "beto@",
        "celular": "300 123 4568",
        "cumpleaños": "",
    }


def test_it_changes_nothing_when_the_same_file_is_imported_twice(personas, budget):
    content = fixture_bytes("bitrix24_contactos_excel.csv")
    run(personas.admin, content)
    before = list(Contact.objects.order_by("id").values())
    events = Event.objects.count()
    second = run(personas.admin, content, update_existing=True)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 3)
    assert list(Contact.objects.order_by("id").values()) == before
    assert Note.objects.count() == 2 and Company.objects.count() == 2
    assert Event.objects.count() == events + 1  # only the second job's own audit entry


def test_it_resumes_a_killed_import_from_its_checkpoint_without_duplicates(personas):
    lines = ["nombre;correo"] + [f"Persona {i};p{i}@example.co" for i in range(10)]
    lines.insert(8, "Repetida;p1@example.co")
    job = start(personas.admin, csv_bytes(*lines))
    first = run_import(job.pk, batch_size=4, max_batches=1)
    assert first is not None and not first.finished
    job.refresh_from_db()
    assert (job.checkpoint, job.processed, job.state) == (5, 4, JobState.RUNNING)
    assert Contact.objects.count() == 4
    # A live worker still holds it; once its heartbeat is stale anyone may take over.
    assert run_import(job.pk, batch_size=4) is None
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    second = run_import(job.pk, batch_size=4)
    assert second is not None and second.finished
    assert (second.rows, second.created, second.unchanged) == (11, 10, 0)
    assert [(e["line"], e["column"]) for e in second.errors] == [(9, "correo")]
    assert "line 3" in second.errors[0]["reason"]
    assert Contact.objects.count() == 10
    assert Contact.objects.values("email").distinct().count() == 10


def test_it_reports_repeated_rows_within_the_file_across_batches(personas):
    content = csv_bytes(
        "nombre;apellidos;correo;celular;empresa",
        "Ana;Gómez;ana@example.co;;",
        "Ana B;Gómez;ANA@example.co;;",
        "Beto;Ruiz;;300 123 4567;",
        "Beto R;Ruiz;;+57 300 1234567;",
        "Caro;Díaz;;;Acme",
        "CARO;DÍAZ;;;acme",
        "Caro;Díaz;;;Otra",
    )
    result = run(personas.admin, content, batch_size=2)
    assert result.created == 4
    assert [(e["line"], e["column"]) for e in result.errors] == [
        (3, "correo"),
        (5, "celular"),
        (7, "nombre"),
    ]


def test_it_matches_existing_contacts_by_email_then_phone_then_name_and_company(personas):
    acme = CompanyFactory(bare=True, name="Acme S.A.S.")
    make_contact(email="ana@example.co", phone="", owner=personas.admin)
    make_contact(email="", phone="+573001234567", owner=personas.admin)
    make_contact(
        first_name="Caro", last_name="Díaz", email="", phone="", company=acme, owner=personas.admin
    )
    content = csv_bytes(
        "nombre;apellidos;correo;celular;empresa",
        "Ana;X;Ana@Example.co;;",
        "Beto;Y;;300 123 4567;",
        "caro;díaz;;;ACME S.A.S.",
        "Caro;Díaz;;;Otra Empresa",
    )
    result = run(personas.admin, content)
    assert (result.created, result.unchanged) == (1, 3)
    assert Contact.objects.count() == 4


def test_it_updates_existing_contacts_only_when_asked_with_one_event_each(personas):
    existing = make_contact(
        email="ana@example.co", city="Cali", job_title="Analista", owner=personas.admin
    )
    TagFactory.create(name="VIP")
    content = csv_bytes(
        "correo;ciudad;cargo;etiquetas;notas",
        "ana@example.co;Medellín;;vip, Feria 2025;Llamar el lunes",
    )
    skipped = run(personas.admin, content)
    assert (skipped.created, skipped.updated, skipped.unchanged) == (0, 0, 1)
    existing.refresh_from_db()
    assert existing.city == "Cali"

    updated = run(personas.admin, content, update_existing=True)
    assert (updated.updated, updated.unchanged) == (1, 0)
    existing.refresh_from_db()
    assert existing.city == "Medellín"
    assert existing.job_title == "Analista"  # a blank cell never erases a value
    assert existing.version == 2
    assert sorted(existing.tags.values_list("name", flat=True)) == ["Feria 2025", "VIP"]
    assert Tag.objects.count() == 2
    event = Event.objects.get(contact=existing, verb="imported")
    assert event.via == "import"
    assert event.data["changes"]["city"] == ["Cali", "Medellín"]
    assert event.data["changes"]["tags"] == [[], ["Feria 2025", "VIP"]]
    assert event.data["job"]

    again = run(personas.admin, content, update_existing=True)
    assert (again.updated, again.unchanged) == (0, 1)
    assert Event.objects.filter(contact=existing, verb="imported").count() == 1
    assert Note.objects.filter(contact=existing).count() == 1


def test_it_refuses_an_actor_without_the_import_capability(personas):
    with pytest.raises(Forbidden):
        start(personas.rep, csv_bytes("nombre", "Ana"))
    with pytest.raises(Forbidden):
        start(personas.colleague, csv_bytes("nombre", "Ana"))


def test_it_never_modifies_contacts_outside_the_actors_scope(personas):
    # The marketer sees everything; a department-scoped importer does not.
    personas.roles["servicio"].capabilities.append("contacts.import")
    personas.roles["servicio"].save()
    outsider = type(personas.outsider).objects.get(pk=personas.outsider.pk)
    theirs = make_contact(email="ana@example.co", city="Cali", owner=personas.rep)
    content = csv_bytes("correo;ciudad", "ana@example.co;Medellín", "nuevo@example.co;Pasto")
    result = run(outsider, content, update_existing=True)
    assert (result.created, result.updated) == (1, 0)
    assert [(e["line"], e["column"]) for e in result.errors] == [(2, "correo")]
    assert "outside your scope" in result.errors[0]["reason"]
    theirs.refresh_from_db()
    assert (theirs.city, theirs.version, theirs.owner_id) == ("Cali", 1, personas.rep.pk)
    assert Contact.objects.get(email="nuevo@example.co").owner == outsider


def test_it_gives_owners_only_to_assignable_users(personas):
    personas.roles["servicio"].capabilities.append("contacts.import")
    personas.roles["servicio"].save()
    content = csv_bytes("correo;responsable", "a@example.co;rep", "b@example.co;OUTSIDER")
    run(personas.outsider, content)
    # rep is outside the outsider's departments: the importer keeps the contact.
    assert Contact.objects.get(email="a@example.co").owner == personas.outsider
    assert Contact.objects.get(email="b@example.co").owner == personas.outsider
    job = Job.objects.get()
    assert job.counts["warnings"]["unknown_owner"] == {"rep": 1}


def test_it_finds_owners_by_email_username_or_full_name(personas):
    personas.rep2.first_name, personas.rep2.last_name = "Pedro", "Pérez"
    personas.rep2.save()
    content = csv_bytes(
        "correo;propietario",
        "a@example.co;gerente@example.co",
        "b@example.co;rep2",
        "c@example.co;mercadeo",
        "d@example.co;Rep2",
        "e@example.co;pedro perez",
    )
    run(personas.admin, content)
    owners = dict(Contact.objects.values_list("email", "owner__username"))
    assert owners == {
        "a@example.co": "gerente",
        "b@example.co": "rep2",
        "c@example.co": "mercadeo",
        "d@example.co": "rep2",
        "e@example.co": "rep2",
    }


def test_it_writes_nothing_in_a_dry_run_but_reports_every_error(personas):
    content = csv_bytes(
        "nombre;correo;empresa;etiquetas",
        "Ana;ana@example.co;Nueva S.A.;nueva",
        "Beto;malo;;",
        "Ana 2;ana@example.co;;",
    )
    result = run(personas.admin, content, dry_run=True, batch_size=2)
    assert (result.created, len(result.errors)) == (1, 2)
    assert [e["line"] for e in result.errors] == [3, 4]
    assert Contact.objects.count() == 0
    assert Company.objects.count() == 0 and Tag.objects.count() == 0
    assert not Event.objects.filter(verb="imported").exists()


def test_it_splits_tags_on_commas_and_semicolons_and_reuses_companies(personas):
    CompanyFactory(bare=True, name="Constructora Ñandú")
    TagFactory.create(name="Feria")
    content = csv_bytes(
        "nombre,correo,empresa,etiquetas",
        'Ana,ana@example.co,CONSTRUCTORA ÑANDÚ,"feria; VIP, vip"',
        'Beto,beto@example.co,Nueva Ltda,"Inversionista"',
    )
    run(personas.admin, content)
    ana = Contact.objects.get(email="ana@example.co")
    assert sorted(ana.tags.values_list("name", flat=True)) == ["Feria", "VIP"]
    assert ana.company is not None and ana.company.name == "Constructora Ñandú"
    assert Company.objects.count() == 2
    assert Tag.objects.count() == 3


def test_it_rejects_rows_with_the_wrong_number_of_values(personas):
    content = csv_bytes("nombre;correo", "Ana;ana@example.co;extra;más", "Beto;beto@example.co")
    result = run(personas.admin, content)
    assert result.created == 1
    assert [(e["line"], e["column"]) for e in result.errors] == [(2, "")]


def test_it_cleans_big_files_in_worker_processes_with_the_same_result(
    personas, settings, monkeypatch
):
    from clientela.contacts.importing import parallel

    monkeypatch.setattr(parallel, "MIN_ROWS_FOR_WORKERS", 0)
    settings.CLIENTELA = {**settings.CLIENTELA, "IMPORT_WORKERS": 2}
    lines = ["nombre;correo;celular"]
    lines += [f"Persona {i};p{i}@example.co;300 555 {i:04d}" for i in range(30)]
    lines += ["Mala;mala@;", "Persona 0;p0@example.co;"]
    result = run(personas.admin, csv_bytes(*lines), batch_size=4)
    assert result.created == 30
    assert [(e["line"], e["column"]) for e in result.errors] == [(32, "correo"), (33, "correo")]
    assert Contact.objects.get(email="p7@example.co").phone == "+573005550007"


@pytest.mark.parametrize("batch_size", [1, 10])
def test_it_treats_a_later_row_with_an_earlier_rows_phone_or_name_as_the_same_person(
    personas, batch_size
):
    content = csv_bytes(
        "nombre;apellidos;correo;celular;empresa",
        "Ana;Gómez;ana@example.co;300 123 4567;Acme",
        "Ana G;;;300 123 4567;",
        "ana;GÓMEZ;;;ACME",
        "Otra;Persona;otra@example.co;300 123 4567;",
    )
    result = run(personas.admin, content, batch_size=batch_size)
    # Same decisions whether or not the rows share a batch; a different e-mail is another person.
    assert result.created == 2
    assert [(e["line"], e["column"]) for e in result.errors] == [(3, "celular"), (4, "nombre")]


def test_it_changes_an_existing_contact_only_once_per_file(personas):
    existing = make_contact(email="ana@example.co", phone="+573001234567", owner=personas.admin)
    content = csv_bytes(
        "correo;celular;ciudad",
        "ana@example.co;;Cali",
        ";300 123 4567;Pasto",
    )
    result = run(personas.admin, content, update_existing=True)
    assert (result.updated, len(result.errors)) == (1, 1)
    assert result.errors[0]["line"] == 3 and "line 2" in result.errors[0]["reason"]
    existing.refresh_from_db()
    assert existing.city == "Cali"


def test_it_does_not_take_a_plain_spanish_workbook_for_our_own_export(personas):
    # Headers our export also writes in Spanish, but without its ID and "Actualizado"
    # columns: a hand-made sheet, which must read as a Spanish spreadsheet.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Nombre", "Apellido", "Correo electrónico", "Teléfono", "Empresa", "Ciudad"])
    sheet.append(["Ana", "Ruiz", "ana@example.co", "3001234567", "Acme", "Cali"])
    buffer = io.BytesIO()
    book.save(buffer)
    job = start(personas.admin, buffer.getvalue(), "clientes.xlsx")
    assert (job.options["detected_preset"], job.options["preset"]) == ("spanish", "spanish")
    assert job.options["mapping"]["Correo electrónico"] == "email"


def test_it_recognises_our_own_export_by_its_distinctive_columns(personas):
    with translation.override("es"):
        headers = [str(label) for _key, label, _target in EXPORT_COLUMNS]
    job = start(personas.admin, csv_bytes(";".join(headers)), "clientela.csv")
    assert job.options["detected_preset"] == "clientela"
