"""Order import: Spanish spreadsheets, customers matched or created, idempotent re-runs."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.core.models import JobRowError
from clientela.core.tests.factories import JobFactory
from clientela.orders.importing import detect_mapping, import_orders
from clientela.orders.models import Order
from clientela.orders.tests.factories import ExchangeRateFactory
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

SPANISH = (
    "Pedido;Fecha;Correo;Teléfono;Nombre;Total;Moneda;Costo;Canal\r\n"
    "F-1;15/03/2026;ana@example.co;;Ana Gómez;125.000,50;COP;60.000;Tienda física\r\n"
    "F-2;16/03/2026;;300 123 4567;Beatriz Ruiz;20,5;USD;;Facebook\r\n"
    "F-3;32/03/2026;ana@example.co;;Ana;1000;COP;;\r\n"
    "F-4;17/03/2026;nadie@example.co;;Nadie;1000;COP;;\r\n"
    "F-5;18/03/2026;ana@example.co;;Ana;mil;COP;;\r\n"
    "F-6;18/03/2026;ana@example.co;;Ana;1000;COP;;Televisión\r\n"
)


def write(tmp_path: Path, text: str, name: str = "pedidos.csv", encoding: str = "cp1252") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(autouse=True)
def _reps_import(personas):
    """In these tests sales reps may import (their role's option), to test their scope."""
    from clientela.accounts.models import Role

    role = Role.objects.get(code="comercial")
    role.capabilities = [*role.capabilities, "orders.import"]
    role.save()
    for user in (personas.rep, personas.rep2):
        user.__dict__.pop("_clientela_role", None)


@pytest.fixture
def customers(personas):
    """Ana (by e-mail) and Beatriz (by phone) are rep's contacts; USD has a rate."""
    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 1, 1), rate=Decimal("4000"))
    return {
        "ana": EnteredContactFactory.create(actor=personas.rep, first_name="Ana"),
        "bea": EnteredContactFactory.create(
            actor=personas.rep, first_name="Beatriz", phone="+573001234567", email=""
        ),
    }


def test_it_recognises_spanish_and_english_headers():
    assert detect_mapping(["Pedido", "Fecha", "Correo electrónico", "Total", "Canal"]) == {
        "external_id": "Pedido",
        "ordered_at": "Fecha",
        "email": "Correo electrónico",
        "amount": "Total",
        "channel": "Canal",
    }
    assert detect_mapping(["Order ID", "Date", "Phone", "Amount"])["external_id"] == "Order ID"


def test_it_imports_a_spanish_excel_csv_and_reports_every_bad_row(tmp_path, personas, customers):
    result = import_orders(actor=personas.rep, path=write(tmp_path, SPANISH), source_system="pos")
    assert result.as_dict() == {
        "rows": 6,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [
            {"line": 4, "column": "Fecha", "reason": result.errors[0]["reason"]},
            {"line": 5, "column": "Correo", "reason": "No contact matches this customer; "
             "import them first or allow creating them."},
            {"line": 6, "column": "Total", "reason": result.errors[2]["reason"]},
            {"line": 7, "column": "Canal", "reason": "Unknown channel."},
        ],
    }  # fmt: skip
    first = Order.objects.get(external_id="F-1")
    assert (first.contact, first.amount, first.cost) == (
        customers["ana"], Decimal("125000.50"), Decimal("60000.00"),
    )  # fmt: skip
    assert (first.ordered_on, first.channel, first.source_system) == (
        dt.date(2026, 3, 15), "walk_in", "pos",
    )  # fmt: skip
    usd = Order.objects.get(external_id="F-2")
    assert (usd.contact, usd.amount_company_currency) == (customers["bea"], Decimal("82000.00"))
    assert Event.objects.filter(verb="purchase", contact=customers["ana"]).count() == 1
    assert result.job_id is not None
    assert JobRowError.objects.filter(job_id=result.job_id).count() == 4


def test_it_changes_nothing_when_the_same_file_runs_twice(tmp_path, personas, customers):
    path = write(tmp_path, SPANISH)
    import_orders(actor=personas.rep, path=path, source_system="pos")
    again = import_orders(actor=personas.rep, path=path, source_system="pos")
    assert (again.created, again.unchanged, len(again.errors)) == (0, 2, 4)
    assert Order.objects.count() == 2


def test_it_recognises_orders_without_an_id_by_customer_date_and_amount(
    tmp_path, personas, customers
):
    text = (
        "Fecha;Correo;Total\r\n15/03/2026;ana@example.co;100\r\n15/03/2026;ana@example.co;100\r\n"
    )
    path = write(tmp_path, text)
    first = import_orders(actor=personas.rep, path=path)
    assert (first.created, first.unchanged) == (1, 1)  # the repeated row is the same order
    assert import_orders(actor=personas.rep, path=path).unchanged == 2


def test_it_updates_changed_orders_only_when_asked(tmp_path, personas, customers):
    import_orders(actor=personas.rep, path=write(tmp_path, SPANISH), source_system="pos")
    changed = SPANISH.replace("125.000,50", "130.000")
    path = write(tmp_path, changed, name="otra.csv")
    kept = import_orders(actor=personas.rep, path=path, source_system="pos")
    assert (kept.updated, kept.unchanged) == (0, 2)
    updated = import_orders(
        actor=personas.rep, path=path, source_system="pos", update_existing=True
    )
    assert (updated.updated, updated.unchanged) == (1, 1)
    assert Order.objects.get(external_id="F-1").amount == Decimal("130000.00")


def test_it_creates_unknown_customers_when_allowed(tmp_path, personas, customers):
    text = "Pedido,Fecha,Correo,Nombre,Total\nW-9,2026-03-20,nueva@example.co,Luz Marina Pérez,50\n"
    result = import_orders(
        actor=personas.rep, path=write(tmp_path, text, encoding="utf-8"), create_missing=True
    )
    contact = Order.objects.get().contact
    assert result.created == 1 and contact is not None
    assert (contact.first_name, contact.last_name) == ("Luz", "Marina Pérez")
    assert contact.owner == personas.rep


def test_it_refuses_customers_outside_the_users_scope(tmp_path, personas):
    EnteredContactFactory.create(actor=personas.rep2, first_name="Ana")
    text = "Fecha;Correo;Total\r\n15/03/2026;ana@example.co;100\r\n"
    result = import_orders(actor=personas.rep, path=write(tmp_path, text), create_missing=True)
    assert result.errors == [
        {"line": 2, "column": "Correo",
         "reason": "This customer exists but is owned by someone outside your scope."}
    ]  # fmt: skip
    assert not Order.objects.exists()


def test_it_saves_nothing_in_a_dry_run(tmp_path, personas, customers):
    result = import_orders(actor=personas.rep, path=write(tmp_path, SPANISH), dry_run=True)
    assert (result.created, len(result.errors)) == (2, 4)
    assert not Order.objects.exists()


def test_it_resumes_after_the_last_committed_batch(tmp_path, personas, customers):
    path = write(tmp_path, SPANISH)
    job = JobFactory.create(kind="import_orders", created_by=personas.rep, checkpoint=2)
    result = import_orders(actor=personas.rep, path=path, job=job, batch_size=2)
    assert result.rows == 5 and not Order.objects.filter(external_id="F-1").exists()
    job.refresh_from_db()
    assert job.checkpoint == 7 and job.state == "done"


def test_it_needs_the_import_right_and_the_key_columns(tmp_path, personas, customers):
    with pytest.raises(Forbidden):
        import_orders(actor=personas.colleague, path=write(tmp_path, SPANISH))
    with pytest.raises(ValidationFailed):
        import_orders(actor=personas.manager, path=write(tmp_path, "Nombre;Total\r\nAna;1\r\n"))


def test_it_imports_orders_from_the_command_line(tmp_path, personas, customers, capsys):
    from django.core.management import call_command

    path = write(tmp_path, SPANISH)
    call_command(
        "import", "orders", str(path), "--as", personas.manager.username, "--source-system", "pos"
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["rows"] == 6
    assert printed["created"] == 2
    assert [error["line"] for error in printed["errors"]] == [4, 5, 6, 7]
    # The same file again changes nothing.
    call_command(
        "import", "orders", str(path), "--as", personas.manager.username, "--source-system", "pos"
    )
    again = json.loads(capsys.readouterr().out)
    assert again["created"] == 0
    assert again["unchanged"] == 2
