"""Access matrix of every route of the `contacts` URL namespace, persona by persona.

ROUTE_MATRIX gives, for each "contacts:name", the status each persona and the anonymous
visitor get when requesting it against records owned by `rep` (sales rep, own records,
department "Comercial Bogotá"). The coverage test in core
(clientela/core/tests/test_access_coverage.py) fails when a route is in no app's ROUTE_MATRIX.

To add a route: add a row and, unless it is a plain GET whose only argument is `pk` of rep's
contact, describe the request in REQUESTS (method, URL kwargs, query string and form data,
each a function of the `World` built below; add what your route needs to `World`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest

from clientela.contacts import services
from clientela.contacts.importing.companies import start_company_import
from clientela.contacts.importing.jobs import start_import
from clientela.contacts.models import Company, Contact, CustomField, Merge
from clientela.contacts.tests.factories import contact_allowing_email_twin
from clientela.core.models import Job
from clientela.testing.access import Request, check_rows, route_mismatches, row

pytestmark = pytest.mark.django_db

# Who may do what (see accounts.choices.DEFAULT_ROLES): admin and manager see all and may do
# everything here; rep sees own records, writes and merges but cannot delete; rep2 and outsider
# are in other departments and see none of rep's records; colleague is read-only in rep's
# department; marketer sees all and writes, but neither deletes nor merges. Anonymous
# visitors are sent to the sign-in page (302, the default of `row`).
#                                               admin manager rep  rep2 colleague marketer outsider
ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "contacts:contact_list":                row(200,  200,    200, 200, 200,      200,     200),
    "contacts:contact_create":              row(200,  200,    200, 200, 403,      200,     200),
    "contacts:search":                      row(200,  200,    200, 200, 200,      200,     200),
    "contacts:duplicates":                  row(200,  200,    200, 200, 200,      200,     200),
    "contacts:trash":                       row(200,  200,    200, 200, 200,      200,     200),
    "contacts:merge":                       row(200,  200,    200, 404, 403,      403,     404),
    "contacts:contact_detail":              row(200,  200,    200, 404, 200,      200,     404),
    "contacts:contact_edit":                row(200,  200,    200, 404, 403,      200,     404),
    "contacts:contact_delete":              row(200,  200,    403, 404, 403,      403,     404),
    "contacts:contact_restore":             row(302,  302,    403, 404, 403,      403,     404),
    "contacts:contact_tags":                row(302,  302,    302, 404, 403,      302,     404),
    "contacts:contact_consent":             row(302,  302,    302, 404, 403,      302,     404),
    "contacts:contact_note":                row(302,  302,    302, 404, 403,      302,     404),
    "contacts:merge_undo":                  row(302,  302,    302, 404, 403,      403,     404),
    "contacts:company_list":                row(200,  200,    200, 200, 200,      200,     200),
    "contacts:company_create":              row(200,  200,    200, 200, 403,      200,     200),
    "contacts:company_options":             row(200,  200,    200, 200, 200,      200,     200),
    "contacts:contact_options":             row(200,  200,    200, 200, 200,      200,     200),
    "contacts:company_detail":              row(200,  200,    200, 404, 200,      200,     404),
    "contacts:company_edit":                row(200,  200,    200, 404, 403,      200,     404),
    "contacts:company_delete":              row(200,  200,    403, 404, 403,      403,     404),
    "contacts:company_restore":             row(302,  302,    403, 404, 403,      403,     404),
    "contacts:company_note":                row(302,  302,    302, 404, 403,      302,     404),
    # Imports need the import capability (403 otherwise) and belong to whoever started them:
    # the job below is the marketer's, so the manager gets 404 and administrators see all.
    "contacts:import_start":                row(200,  200,    403, 403, 403,      200,     403),
    "contacts:import_job":                  row(302,  404,    403, 403, 403,      302,     403),
    "contacts:import_mapping":              row(200,  404,    403, 403, 403,      200,     403),
    "contacts:import_preview":              row(200,  404,    403, 403, 403,      200,     403),
    "contacts:import_job_progress":         row(200,  404,    403, 403, 403,      200,     403),
    "contacts:import_rejects":              row(200,  404,    403, 403, 403,      200,     403),
    "contacts:export":                      row(200,  200,    403, 403, 403,      200,     403),
    "contacts:contact_consent_export":      row(200,  200,    403, 404, 403,      200,     404),
    # Custom field definitions are an administration screen: 404 for everyone else.
    "contacts:custom_field_list":           row(200,  404,    404, 404, 404,      404,     404),
    "contacts:custom_field_create":         row(200,  404,    404, 404, 404,      404,     404),
    "contacts:custom_field_edit":           row(200,  404,    404, 404, 404,      404,     404),
    "contacts:company_export":              row(200,  200,    403, 403, 403,      200,     403),
    # The company import runs on the same screens and rules (this job is the marketer's too).
    "contacts:company_import_start":        row(200,  200,    403, 403, 403,      200,     403),
    "contacts:company_import_job":          row(302,  404,    403, 403, 403,      302,     403),
    "contacts:company_import_mapping":      row(200,  404,    403, 403, 403,      200,     403),
    "contacts:company_import_preview":      row(200,  404,    403, 403, 403,      200,     403),
    "contacts:company_import_job_progress": row(200,  404,    403, 403, 403,      200,     403),
    "contacts:company_import_rejects":      row(200,  404,    403, 403, 403,      200,     403),
}  # fmt: skip


@dataclass
class World:
    """Records owned by rep that the routes are requested against."""

    contact: Contact
    other: Contact
    company: Company
    trashed_contact: Contact
    trashed_company: Company
    merge: Merge
    import_job: Job
    company_import_job: Job


def _custom_field(world: World) -> dict[str, Any]:
    field, _created = CustomField.objects.get_or_create(
        entity="contact", key="presupuesto", defaults={"label_es": "Presupuesto"}
    )
    return {"field_id": field.pk}


def _company(world: World) -> dict[str, Any]:
    return {"pk": world.company.pk}


IMPORT_SCREENS = ("import_job", "import_mapping", "import_preview", "import_job_progress")

REQUESTS: dict[str, Request] = {
    "contacts:search": Request(query=lambda w: "?q=Ana"),
    "contacts:company_options": Request(query=lambda w: "?company_name=Andina"),
    "contacts:contact_options": Request(query=lambda w: "?picker_q=Ana"),
    "contacts:merge": Request(query=lambda w: f"?a={w.contact.pk}&b={w.other.pk}"),
    "contacts:contact_restore": Request("POST", kwargs=lambda w: {"pk": w.trashed_contact.pk}),
    "contacts:company_restore": Request("POST", kwargs=lambda w: {"pk": w.trashed_company.pk}),
    "contacts:contact_tags": Request("POST", data=lambda w: {"tags": "Revisado"}),
    "contacts:contact_note": Request("POST", data=lambda w: {"body": "Llamada de seguimiento"}),
    "contacts:company_note": Request(
        "POST", kwargs=_company, data=lambda w: {"body": "Visita a la obra"}
    ),
    "contacts:contact_consent": Request(
        "POST",
        data=lambda w: {
            "channel": "email",
            "purpose": "marketing",
            "status": "granted",
            "source": "Formulario web",
        },
    ),
    "contacts:merge_undo": Request(
        "POST", kwargs=lambda w: {"pk": w.merge.survivor_id, "merge_id": w.merge.pk}
    ),
    "contacts:custom_field_edit": Request(kwargs=_custom_field),
    **{
        f"contacts:{name}": Request(kwargs=_company)
        for name in ("company_detail", "company_edit", "company_delete")
    },
    **{
        f"contacts:{name}": Request(kwargs=lambda w: {"job_id": w.import_job.pk})
        for name in (*IMPORT_SCREENS, "import_rejects")
    },
    **{
        f"contacts:company_{name}": Request(kwargs=lambda w: {"job_id": w.company_import_job.pk})
        for name in (*IMPORT_SCREENS, "import_rejects")
    },
}


def default_kwargs(world: World) -> dict[str, Any]:
    """`pk` of rep's contact (routes about something else say so in REQUESTS)."""
    return {"pk": world.contact.pk, "fmt": "csv"}


def build_world(personas: Any) -> World:
    """Rep's records: two contacts, a company, trashed ones, a merge into rep's contact, and
    the marketer's contact and company imports."""
    rep = personas.rep
    company = services.create_company(actor=rep, data={"name": "Inmobiliaria Andina"})
    contact = services.create_contact(
        actor=rep, data={"first_name": "Ana", "email": "ana@example.co", "company": company.pk}
    )
    other = contact_allowing_email_twin(rep, first_name="Ana", email="ana@example.co")
    merged_away = services.create_contact(actor=rep, data={"first_name": "Ana María"})
    merge = services.merge_contacts(contact, merged_away, actor=personas.manager)
    trashed_contact = services.delete_contact(
        services.create_contact(actor=rep, data={"first_name": "Borrado"}), actor=personas.manager
    )
    trashed_company = services.delete_company(
        services.create_company(actor=rep, data={"name": "Cerrada Ltda"}), actor=personas.manager
    )
    contact.refresh_from_db()
    import_job = start_import(
        actor=personas.marketer,
        upload=io.BytesIO(b"nombre;correo\nAna;ana.import@example.co\n"),
        filename="contactos.csv",
    )
    company_import_job = start_company_import(
        actor=personas.marketer,
        upload=io.BytesIO(b"empresa;nit\nAndes Ltda;900123\n"),
        filename="empresas.csv",
    )
    return World(
        contact,
        other,
        company,
        trashed_contact,
        trashed_company,
        merge,
        import_job,
        company_import_job,
    )


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(ROUTE_MATRIX)


@pytest.mark.parametrize("route", sorted(ROUTE_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(route: str, personas: Any) -> None:
    spec = REQUESTS.get(route, Request())
    wrong = route_mismatches(route, ROUTE_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{route} answered {wrong}, expected {ROUTE_MATRIX[route]}"
