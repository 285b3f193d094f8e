"""Import screens: upload → mapping → dry-run preview → background job, progress and rejects."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clientela.contacts.importing.runner import run_import
from clientela.contacts.models import Contact
from clientela.contacts.tests.import_helpers import csv_bytes, fixture_bytes, start
from clientela.core.models import Job, JobState

pytestmark = [pytest.mark.django_db, pytest.mark.urls("clientela.contacts.tests.import_urls")]

GOOD_AND_BAD = csv_bytes(
    "Nombre;Apellidos;Correo;Celular;Etiquetas",
    "Ana;Gómez;ana@example.co;300 123 4567;VIP",
    "Beto;Ruiz;beto@;300 765 4321;",
    "Caro;Díaz;caro@example.co;;Feria",
)


def login(client: Client, user) -> Client:
    client.force_login(user)
    return client


def upload(client: Client, content: bytes, name: str = "contactos.csv"):
    return client.post(
        reverse("contacts:import_start"), {"file": SimpleUploadedFile(name, content)}
    )


def test_it_walks_from_upload_to_a_finished_import(
    client, personas, django_capture_on_commit_callbacks
):
    login(client, personas.marketer)
    assert client.get(reverse("contacts:import_start")).status_code == 200
    response = upload(client, GOOD_AND_BAD)
    job = Job.objects.get(kind="import_contacts")
    assert response.status_code == 302
    assert response["Location"] == reverse("contacts:import_mapping", args=[job.pk])

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Nombre" in html and "ana@example.co" in html  # headers and sample values
    assert 'name="col_2"' in html

    form = {
        f"col_{i}": t for i, t in enumerate(["first_name", "last_name", "email", "phone", "tags"])
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("contacts:import_mapping", args=[job.pk]), form)
    assert response["Location"] == reverse("contacts:import_preview", args=[job.pk])
    assert len(callbacks) == 1  # the dry run was queued once the transaction committed
    job.refresh_from_db()
    check = Job.objects.get(pk=job.options["preview_job"])
    assert check.options["dry_run"] and check.options["mapping"]["Correo"] == "email"

    running = client.get(reverse("contacts:import_preview", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert "Ana" in running and "ana@example.co" in running  # the first rows, cleaned
    run_import(check.pk)
    done = client.get(reverse("contacts:import_preview", args=[job.pk])).content.decode()
    assert "beto@" in done and "Correo" in done  # every error with its column
    assert Contact.objects.count() == 0  # the check saved nothing

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("contacts:import_preview", args=[job.pk]))
    assert response["Location"] == reverse("contacts:import_job", args=[job.pk])
    assert len(callbacks) == 1
    run_import(job.pk)
    assert Contact.objects.count() == 2
    page = client.get(reverse("contacts:import_job", args=[job.pk])).content.decode()
    assert reverse("contacts:import_rejects", args=[job.pk]) in page
    assert "every 1s" not in page  # finished: no more polling

    progress = client.get(
        reverse("contacts:import_job_progress", args=[job.pk]), HTTP_ACCEPT="application/json"
    ).json()
    assert progress["state"] == "done" and progress["finished"] and progress["percent"] == 100
    assert progress["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "errors": 1}


def test_it_polls_the_progress_fragment_until_the_job_finishes(
    client, personas, django_assert_max_num_queries
):
    login(client, personas.admin)
    job = start(personas.admin, GOOD_AND_BAD)
    job.options = {**job.options, "stage": "queued"}
    job.save()
    url = reverse("contacts:import_job_progress", args=[job.pk])
    with django_assert_max_num_queries(6):
        fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in fragment and 'role="progressbar"' in fragment
    run_import(job.pk)
    finished = client.get(url + "?then=reload", HTTP_HX_REQUEST="true")
    assert "hx-trigger" not in finished.content.decode()
    assert finished["HX-Refresh"] == "true"
    data = client.get(url + "?format=json").json()
    assert data["counts"]["created"] == 2


def test_it_says_preparing_until_the_row_count_is_known(client, personas):
    login(client, personas.admin)
    job = start(personas.admin, GOOD_AND_BAD)
    job.options = {**job.options, "stage": "queued"}
    job.save()
    url = reverse("contacts:import_job_progress", args=[job.pk])
    text = client.get(url, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'data-state="preparing"' in text and "Preparando" in text
    assert "0 de aproximadamente 0" not in text and "0 of about 0" not in text
    assert client.get(url + "?format=json").json()["preparing"] is True
    run_import(job.pk)
    done = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-state="preparing"' not in done
    assert client.get(url + "?format=json").json()["preparing"] is False


def test_it_downloads_the_rejected_rows_with_line_column_and_reason(client, personas):
    login(client, personas.admin)
    job = start(personas.admin, GOOD_AND_BAD)
    run_import(job.pk)
    response = client.get(reverse("contacts:import_rejects", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:5] == ["Nombre", "Apellidos", "Correo", "Celular", "Etiquetas"]
    assert len(rows) == 2
    assert rows[1][:5] == ["Beto", "Ruiz", "beto@", "300 765 4321", ""]
    assert rows[1][5:7] == ["3", "Correo"]
    assert "beto@" in rows[1][7]


def test_it_refuses_users_without_the_import_capability(client, personas):
    job = start(personas.admin, GOOD_AND_BAD)
    for user in (personas.rep, personas.rep2, personas.colleague, personas.outsider):
        login(client, user)
        assert client.get(reverse("contacts:import_start")).status_code == 403
        assert upload(client, GOOD_AND_BAD).status_code == 403
        for name in ("import_mapping", "import_preview", "import_job", "import_job_progress"):
            assert client.get(reverse(f"contacts:{name}", args=[job.pk])).status_code == 403
        assert client.get(reverse("contacts:import_rejects", args=[job.pk])).status_code == 403
    assert Job.objects.count() == 1


def test_it_hides_another_users_import(client, personas):
    job = start(personas.manager, GOOD_AND_BAD)
    login(client, personas.marketer)
    for name in ("import_mapping", "import_preview", "import_job", "import_job_progress"):
        assert client.get(reverse(f"contacts:{name}", args=[job.pk])).status_code == 404
    assert client.get(reverse("contacts:import_rejects", args=[job.pk])).status_code == 404
    assert client.get(reverse("contacts:import_job", args=[job.pk + 100])).status_code == 404
    # Administrators see every import.
    login(client, personas.admin)
    assert client.get(reverse("contacts:import_mapping", args=[job.pk])).status_code == 200


def test_it_explains_why_a_file_cannot_be_read(client, personas):
    login(client, personas.admin)
    response = upload(client, b"%PDF-1.7 binary", "informe.pdf")
    assert response.status_code == 400
    assert "PDF" in response.content.decode()
    response = upload(client, b"", "vacio.csv")
    assert response.status_code == 400
    assert Job.objects.count() == 0


def test_it_requires_a_column_that_identifies_the_contact(client, personas):
    login(client, personas.admin)
    upload(client, GOOD_AND_BAD)
    job = Job.objects.get()
    response = client.post(
        reverse("contacts:import_mapping", args=[job.pk]),
        {"col_0": "", "col_1": "", "col_2": "", "col_3": "", "col_4": "tags"},
    )
    assert response.status_code == 400
    assert 'class="msg msg-error" role="alert"' in response.content.decode()
    assert "preview_job" not in Job.objects.get(pk=job.pk).options


def test_it_applies_another_preset_to_the_mapping(client, personas):
    login(client, personas.admin)
    upload(client, fixture_bytes("hubspot_contacts.csv"))
    job = Job.objects.get()
    assert job.options["preset"] == "hubspot"
    client.post(
        reverse("contacts:import_mapping", args=[job.pk]), {"action": "preset", "preset": "spanish"}
    )
    job.refresh_from_db()
    assert job.options["preset"] == "spanish"
    assert job.options["mapping"]["Lifecycle Stage"] == "lifecycle_stage"
    assert job.options["mapping"]["Record ID"] == ""


def test_it_resumes_a_failed_import(client, personas, django_capture_on_commit_callbacks):
    login(client, personas.admin)
    job = start(personas.admin, GOOD_AND_BAD)
    job.options = {**job.options, "stage": "queued"}
    job.state = JobState.RUNNING
    job.heartbeat_at = timezone.now() - timedelta(minutes=30)
    job.save()
    page = client.get(reverse("contacts:import_job", args=[job.pk])).content.decode()
    assert 'name="action" value="resume"' in page
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(reverse("contacts:import_job", args=[job.pk]), {"action": "resume"})
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.state == JobState.PENDING
    result = run_import(job.pk)
    assert result is not None and result.created == 2


def test_it_renders_the_task_result_counts(personas):
    from clientela.contacts.tasks import import_contacts

    job = start(personas.admin, GOOD_AND_BAD)
    outcome = import_contacts.call(job.pk)
    assert outcome == {"rows": 3, "created": 2, "updated": 0, "unchanged": 0, "errors": 1}
    assert json.dumps(outcome)
