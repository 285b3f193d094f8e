"""The company import: core's import screens and job runner with the companies kind."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clientela.contacts import services
from clientela.contacts.importing.companies import run_company_import, start_company_import
from clientela.contacts.models import Company
from clientela.contacts.tests.import_helpers import csv_bytes
from clientela.core.importers import get_importer
from clientela.core.models import Job, JobRowError
from clientela.core.testing import client_for
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

FILE = csv_bytes(
    "Empresa;NIT;Ciudad;Etiquetas;Responsable",
    "Inmobiliaria Andina;900123456;Bogotá;Constructoras;",
    ";800111222;Cali;;",
    "Agro Sur S.A.S.;;Pasto;Agro, Sur;",
)


def start(actor, content: bytes = FILE, **options):
    options.setdefault("language", "en")
    return start_company_import(
        actor=actor, upload=io.BytesIO(content), filename="empresas.csv", **options
    )


def run(job: Job) -> Job:
    job.options = {**job.options, "stage": "queued"}
    job.save()
    done = run_company_import(job.pk)
    assert done is not None
    return done


def test_it_registers_the_companies_kind_with_core():
    importer = get_importer("companies")
    assert importer.job_kind == "import_companies"
    assert importer.screens.start_url == "contacts:company_import_start"


def test_it_walks_the_shared_screens_from_upload_to_a_finished_import(
    client, personas, django_capture_on_commit_callbacks
):
    c = client_for(client, personas.marketer)
    page = c.get(reverse("contacts:company_list")).content.decode()
    assert reverse("contacts:company_import_start") in page  # the list offers the import
    assert c.get(reverse("contacts:company_import_start")).status_code == 200
    response = c.post(
        reverse("contacts:company_import_start"),
        {"file": SimpleUploadedFile("empresas.csv", FILE)},
    )
    job = Job.objects.get(kind="import_companies")
    assert response["Location"] == reverse("contacts:company_import_mapping", args=[job.pk])
    mapping = c.get(response["Location"]).content.decode()
    assert '<option value="name" selected>' in mapping  # "Empresa" recognised
    assert '<option value="tax_id" selected>' in mapping  # "NIT" recognised

    form = {"col_0": "name", "col_1": "tax_id", "col_2": "city", "col_3": "tags", "col_4": ""}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = c.post(reverse("contacts:company_import_mapping", args=[job.pk]), form)
    assert response["Location"] == reverse("contacts:company_import_preview", args=[job.pk])
    assert len(callbacks) == 1
    job.refresh_from_db()
    check = Job.objects.get(pk=job.options["preview_job"])
    preview = c.get(reverse("contacts:company_import_preview", args=[job.pk])).content.decode()
    assert "Inmobiliaria Andina" in preview and "The name is missing." in preview

    run_company_import(check.pk)
    check.refresh_from_db()
    assert (check.counts["created"], check.counts["errors"]) == (2, 1)
    assert not Company.objects.exists()  # the check saved nothing

    with django_capture_on_commit_callbacks(execute=False):
        c.post(reverse("contacts:company_import_preview", args=[job.pk]))
    run_company_import(job.pk)
    job.refresh_from_db()
    assert job.counts["created"] == 2 and job.counts["errors"] == 1
    andina = Company.objects.get(name="Inmobiliaria Andina")
    assert (andina.tax_id, andina.city, andina.owner) == ("900123456", "Bogotá", personas.marketer)
    assert sorted(
        Company.objects.get(name="Agro Sur S.A.S.").tags.values_list("name", flat=True)
    ) == [
        "Agro",
        "Sur",
    ]
    assert Event.objects.filter(verb="created", target_type="contacts.company").count() == 2
    html = c.get(reverse("contacts:company_import_job", args=[job.pk])).content.decode()
    assert reverse("contacts:company_import_rejects", args=[job.pk]) in html
    rejects = c.get(reverse("contacts:company_import_rejects", args=[job.pk]))
    assert "800111222" in b"".join(rejects.streaming_content).decode("utf-8-sig")


def test_it_asks_for_the_name_column(client, personas):
    c = client_for(client, personas.admin)
    job = start(personas.admin)
    response = c.post(
        reverse("contacts:company_import_mapping", args=[job.pk]),
        {"col_0": "", "col_1": "tax_id", "col_2": "city", "col_3": "", "col_4": ""},
    )
    assert response.status_code == 400
    assert "Choose the column that holds the company&#x27;s name." in response.content.decode()


def test_it_imports_a_file_again_without_duplicates_and_updates_when_asked(personas):
    run(start(personas.admin))
    again = run(start(personas.admin))
    assert (again.counts["created"], again.counts["unchanged"]) == (0, 2)
    changed = csv_bytes("Empresa;Ciudad", "inmobiliaria andina;Medellín")
    updated = run(start(personas.admin, changed, update_existing=True))
    assert updated.counts["updated"] == 1
    assert Company.objects.get(name__iexact="Inmobiliaria Andina").city == "Medellín"
    assert Company.objects.count() == 2


def test_it_resumes_after_its_checkpoint(personas):
    job = start(personas.admin)
    job.checkpoint = 2  # line 2 was committed before the worker died
    job.save()
    done = run(job)
    assert done.counts["rows"] == 2 and done.checkpoint == 4
    assert not Company.objects.filter(name="Inmobiliaria Andina").exists()


def test_it_never_changes_a_company_outside_the_users_scope(personas):
    services.create_company(actor=personas.rep2, data={"name": "Inmobiliaria Andina"})
    role = personas.rep.role
    role.capabilities.append("contacts.import")
    role.save()
    job = run(start(personas.rep, update_existing=True))
    reasons = list(JobRowError.objects.filter(job=job).values_list("line", "reason"))
    assert (2, "This company exists but is owned by someone outside your scope.") in reasons
    assert Company.objects.filter(name="Inmobiliaria Andina").count() == 1
