"""Order import screens: upload → mapping → dry-run preview → background job, progress, rejects."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.core.models import Job, JobState
from clientela.core.testing import client_for
from clientela.orders.importing import run_order_import
from clientela.orders.models import Order
from clientela.orders.tests.factories import ExchangeRateFactory

pytestmark = pytest.mark.django_db

# As Excel in Spanish saves it: Windows-1252, `;`, CRLF, decimal commas, dd/mm/aaaa.
SPANISH = (
    "Pedido;Fecha;Correo;Teléfono;Nombre;Total;Moneda;Costo;Canal\r\n"
    "F-1;15/03/2026;ana@example.co;;Ana Gómez;125.000,50;COP;60.000;Tienda física\r\n"
    "F-2;16/03/2026;;300 123 4567;Beatriz Ruiz;20,5;USD;;Facebook\r\n"
    "F-3;32/03/2026;ana@example.co;;Ana;1000;COP;;\r\n"
    "F-4;17/03/2026;nadie@example.co;;Nadie;1000;COP;;\r\n"
).encode("cp1252")
HEADERS = ["Pedido", "Fecha", "Correo", "Teléfono", "Nombre", "Total", "Moneda", "Costo", "Canal"]
DETECTED = [
    "external_id", "ordered_at", "email", "phone", "name", "amount", "currency", "cost", "channel",
]  # fmt: skip


@pytest.fixture
def customers(personas):
    """Ana (by e-mail) and Beatriz (by phone) are the marketer's contacts; USD has a rate."""
    ExchangeRateFactory.create(currency="USD", date=dt.date(2026, 1, 1), rate=Decimal("4000"))
    return {
        "ana": EnteredContactFactory.create(actor=personas.marketer, first_name="Ana"),
        "bea": EnteredContactFactory.create(
            actor=personas.marketer, first_name="Beatriz", phone="+573001234567", email=""
        ),
    }


def upload(c, content: bytes = SPANISH, name: str = "pedidos.csv"):
    return c.post(reverse("orders:import_start"), {"file": SimpleUploadedFile(name, content)})


def mapping_form(**extra: str) -> dict[str, str]:
    return {**{f"col_{i}": target for i, target in enumerate(DETECTED)}, **extra}


def import_through_the_screens(c, callbacks_fixture, content: bytes = SPANISH, **options: str):
    """Upload, map, check and confirm; run the dry run and the import as the worker would."""
    upload(c, content)
    job = Job.objects.filter(kind="import_orders").latest("id")
    with callbacks_fixture(execute=False):
        c.post(reverse("orders:import_mapping", args=[job.pk]), mapping_form(**options))
    job.refresh_from_db()
    run_order_import(job.options["preview_job"])
    with callbacks_fixture(execute=False):
        c.post(reverse("orders:import_preview", args=[job.pk]))
    result = run_order_import(job.pk)
    assert result is not None
    job.refresh_from_db()
    return job


def test_it_walks_from_upload_to_a_finished_import(
    client, personas, customers, django_capture_on_commit_callbacks
):
    c = client_for(client, personas.marketer)
    start = c.get(reverse("orders:import_start"))
    assert start.status_code == 200 and "Order date" in start.content.decode()
    response = upload(c)
    job = Job.objects.get(kind="import_orders")
    assert response["Location"] == reverse("orders:import_mapping", args=[job.pk])
    assert job.options["encoding"] == "cp1252" and job.options["delimiter"] == ";"

    page = c.get(response["Location"]).content.decode()
    assert "Teléfono" in page and "125.000,50" in page  # headers and sample values
    assert '<option value="ordered_at" selected>' in page  # "Fecha" recognised

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = c.post(
            reverse("orders:import_mapping", args=[job.pk]),
            mapping_form(source_system="pos", create_missing=""),
        )
    assert response["Location"] == reverse("orders:import_preview", args=[job.pk])
    assert len(callbacks) == 1  # the dry run is queued once the transaction commits
    job.refresh_from_db()
    assert job.options["mapping"]["ordered_at"] == "Fecha"
    assert job.options["source_system"] == "pos"
    check = Job.objects.get(pk=job.options["preview_job"])
    assert check.options["dry_run"]

    running = c.get(reverse("orders:import_preview", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert "125000.50" in running and "Ana" in running  # the first rows, parsed
    assert "No contact matches this customer" in running  # line 5's problem, under its row

    run_order_import(check.pk)
    check.refresh_from_db()
    assert check.counts["created"] == 2 and check.counts["errors"] == 2
    done = c.get(reverse("orders:import_preview", args=[job.pk])).content.decode()
    assert "<td>4</td><td>Fecha</td>" in done and "<td>5</td><td>Correo</td>" in done
    assert "Import now" in done
    assert not Order.objects.exists()  # the check saved nothing

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = c.post(reverse("orders:import_preview", args=[job.pk]))
    assert response["Location"] == reverse("orders:import_job", args=[job.pk])
    assert len(callbacks) == 1
    progress = c.get(reverse("orders:import_job_progress", args=[job.pk]), {"format": "json"})
    assert progress.json()["state"] == "pending" and not progress.json()["finished"]

    run_order_import(job.pk)
    finished = c.get(reverse("orders:import_job_progress", args=[job.pk]), {"format": "json"})
    assert finished.json()["finished"] and finished.json()["percent"] == 100
    assert finished.json()["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "errors": 2}
    html = c.get(reverse("orders:import_job", args=[job.pk])).content.decode()
    assert "Import finished" in html and reverse("orders:import_rejects", args=[job.pk]) in html
    first = Order.objects.get(external_id="F-1")
    assert (first.contact, first.amount, first.source_system) == (
        customers["ana"], Decimal("125000.50"), "pos",
    )  # fmt: skip
    assert first.ordered_on == dt.date(2026, 3, 15)
    assert Order.objects.get(external_id="F-2").amount_company_currency == Decimal("82000.00")


def test_it_downloads_the_rejected_rows_with_their_original_cells(
    client, personas, customers, django_capture_on_commit_callbacks
):
    c = client_for(client, personas.marketer)
    job = import_through_the_screens(c, django_capture_on_commit_callbacks)
    response = c.get(reverse("orders:import_rejects", args=[job.pk]))
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert rows[0] == [*HEADERS, "Line", "Column", "Reason"]
    assert [row[-3:-1] for row in rows[1:]] == [["4", "Fecha"], ["5", "Correo"]]
    assert rows[1][:3] == ["F-3", "32/03/2026", "ana@example.co"]
    assert rows[2][-1] == (
        "No contact matches this customer; import them first or allow creating them."
    )


def test_the_same_file_twice_changes_nothing(
    client, personas, customers, django_capture_on_commit_callbacks
):
    c = client_for(client, personas.marketer)
    first = import_through_the_screens(c, django_capture_on_commit_callbacks, source_system="pos")
    orders = list(Order.objects.order_by("id").values_list("id", "amount", "version"))
    again = import_through_the_screens(c, django_capture_on_commit_callbacks, source_system="pos")
    assert first.counts["created"] == 2
    assert again.counts == {**again.counts, "created": 0, "updated": 0, "unchanged": 2}
    assert list(Order.objects.order_by("id").values_list("id", "amount", "version")) == orders


def test_it_creates_missing_customers_and_updates_orders_when_asked(
    client, personas, customers, django_capture_on_commit_callbacks
):
    c = client_for(client, personas.marketer)
    import_through_the_screens(c, django_capture_on_commit_callbacks, create_missing="on")
    created = Order.objects.get(external_id="F-4").contact
    assert created is not None and created.email == "nadie@example.co"
    changed = SPANISH.replace(b"125.000,50", b"130.000")
    job = import_through_the_screens(
        c, django_capture_on_commit_callbacks, changed, update_existing="on"
    )
    assert (job.counts["updated"], job.counts["unchanged"]) == (1, 2)
    assert Order.objects.get(external_id="F-1").amount == Decimal("130000.00")


def test_it_explains_a_bad_upload_in_spanish(client, personas):
    c = client_for(client, personas.marketer, language="es")
    empty = c.post(reverse("orders:import_start"), {})
    assert empty.status_code == 400
    assert "Este campo es obligatorio." in empty.content.decode()
    binary = upload(c, b"\x00\x01\x02PK\x03\x04 nada", name="pedidos.pdf")
    assert binary.status_code == 400 and 'aria-invalid="true"' in binary.content.decode()
    with override_settings(CLIENTELA={**_clientela(), "IMPORT_MAX_BYTES": 1024 * 1024}):
        large = upload(c, SPANISH + b"F-9;15/03/2026;ana@example.co;;;1;;;\r\n" * 40_000)
    assert large.status_code == 400
    assert "El archivo pesa más de 1 MB; divídalo e importe las partes." in large.content.decode()
    assert not Job.objects.filter(kind="import_orders").exists()


def _clientela() -> dict:
    from django.conf import settings

    return dict(settings.CLIENTELA)


def test_it_asks_for_the_columns_it_needs_in_spanish(client, personas, customers):
    c = client_for(client, personas.marketer, language="es")
    upload(c)
    job = Job.objects.get(kind="import_orders")
    url = reverse("orders:import_mapping", args=[job.pk])
    nothing = c.post(url, {f"col_{i}": "" for i in range(len(HEADERS))})
    html = nothing.content.decode()
    assert nothing.status_code == 400
    assert "Elija la columna que tiene la fecha del pedido." in html
    assert "Elija la columna que tiene el monto." in html
    assert "Elija una columna con el correo, el teléfono o el id del cliente." in html
    twice = c.post(url, mapping_form(col_8="amount", source_system="x" * 41))
    html = twice.content.decode()
    assert "«Monto» está elegido para dos columnas: Total y Canal." in html
    assert "Use como máximo 40 caracteres." in html
    assert 'value="amount" selected' in html  # what was chosen stays on screen
    job.refresh_from_db()
    assert "preview_job" not in job.options


def test_another_users_import_is_not_found_and_roles_without_import_are_refused(
    client, personas, customers
):
    upload(client_for(client, personas.marketer))
    job = Job.objects.get(kind="import_orders")
    c = client_for(client, personas.manager)
    assert c.get(reverse("orders:import_mapping", args=[job.pk])).status_code == 404
    c = client_for(client, personas.admin)
    assert c.get(reverse("orders:import_mapping", args=[job.pk])).status_code == 200
    c = client_for(client, personas.rep, language="es")
    refused = c.get(reverse("orders:import_start"))
    assert refused.status_code == 403
    assert "Su rol no puede importar registros." in refused.content.decode()


def test_the_orders_list_offers_the_import_to_roles_that_import(client, personas):
    url = reverse("orders:import_start")
    assert url in client_for(client, personas.marketer).get(reverse("orders:order_list")).text
    assert url not in client_for(client, personas.rep).get(reverse("orders:order_list")).text


def test_it_pages_the_errors_of_a_large_file(client, personas, customers):
    rows = "".join(f"B-{n};99/99/2026;ana@example.co;;;1;;;\r\n" for n in range(130))
    c = client_for(client, personas.marketer)
    upload(c, SPANISH.split(b"\r\n")[0] + b"\r\n" + rows.encode())
    job = Job.objects.get(kind="import_orders")
    c.post(reverse("orders:import_mapping", args=[job.pk]), mapping_form())
    job.refresh_from_db()
    run_order_import(job.options["preview_job"])
    preview = reverse("orders:import_preview", args=[job.pk])
    first = c.get(preview).content.decode()
    assert "Page 1 of 2" in first and "130 rows will be rejected" in first
    second = c.get(preview, {"page": 2}).content.decode()
    assert "<td>131</td>" in second and "<td>2</td><td>Fecha</td>" not in second


def test_it_resumes_a_failed_import_after_its_checkpoint(
    client, personas, customers, django_capture_on_commit_callbacks
):
    c = client_for(client, personas.marketer)
    job = import_through_the_screens(c, django_capture_on_commit_callbacks)
    Job.objects.filter(pk=job.pk).update(state=JobState.FAILED, message="worker killed")
    page = c.get(reverse("orders:import_job", args=[job.pk])).content.decode()
    assert "Resume the import" in page and "worker killed" in page
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = c.post(reverse("orders:import_job", args=[job.pk]), {"action": "resume"})
    assert response.status_code == 302 and len(callbacks) == 1
    job.refresh_from_db()
    assert job.state == JobState.PENDING
    result = run_order_import(job.pk)
    assert result is not None and result.rows == 0  # every row was behind the checkpoint
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.counts["created"] == 2
    assert Order.objects.count() == 2
