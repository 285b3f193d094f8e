"""Access-control matrix for every route of the `contacts` URL namespace.

CONTACTS_ROUTE_MATRIX says, for each URL name, the status each persona gets when requesting it
against records owned by `rep` (sales rep, own records, department "Comercial Bogotá"). A route
missing from the matrix fails the test, and so does a matrix entry without a route.

To add a route: add a row to CONTACTS_ROUTE_MATRIX and, unless it is a plain GET whose only
argument is `pk` of rep's contact (or of rep's company for names starting with "company_"),
describe the request in ROUTE_REQUESTS: method, URL kwargs, query string and form data, each a
function of the `World` built below (add what your route needs to `World`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, reverse

from clientela.contacts import services
from clientela.contacts.importing.companies import start_company_import
from clientela.contacts.importing.jobs import start_import
from clientela.contacts.models import Company, Contact, CustomField, Merge
from clientela.contacts.tests.factories import contact_allowing_email_twin
from clientela.core.models import Job
from clientela.core.testing import client_for

PERSONAS = ("admin", "manager", "rep", "rep2", "colleague", "marketer", "outsider")


def row(
    admin: int, manager: int, rep: int, rep2: int, colleague: int, marketer: int, outsider: int
) -> dict[str, int]:
    """One matrix row, personas in the order of PERSONAS."""
    return dict(
        zip(PERSONAS, (admin, manager, rep, rep2, colleague, marketer, outsider), strict=True)
    )


# Who may do what (see accounts.choices.DEFAULT_ROLES): admin and manager see all and may do
# everything here; rep sees own records, writes and merges but cannot delete; rep2 and outsider
# are in other departments and see none of rep's records; colleague is read-only in rep's
# department; marketer sees all and writes, but neither deletes nor merges.
#                                  admin manager rep  rep2 colleague marketer outsider
CONTACTS_ROUTE_MATRIX: dict[str, dict[str, int]] = {
    "contact_list":      row(200,  200,    200, 200, 200,      200,     200),
    "contact_create":    row(200,  200,    200, 200, 403,      200,     200),
    "search":            row(200,  200,    200, 200, 200,      200,     200),
    "duplicates":        row(200,  200,    200, 200, 200,      200,     200),
    "trash":             row(200,  200,    200, 200, 200,      200,     200),
    "merge":             row(200,  200,    200, 404, 403,      403,     404),
    "contact_detail":    row(200,  200,    200, 404, 200,      200,     404),
    "contact_edit":      row(200,  200,    200, 404, 403,      200,     404),
    "contact_delete":    row(200,  200,    403, 404, 403,      403,     404),
    "contact_restore":   row(302,  302,    403, 404, 403,      403,     404),
    "contact_tags":      row(302,  302,    302, 404, 403,      302,     404),
    "contact_consent":   row(302,  302,    302, 404, 403,      302,     404),
    "contact_note":      row(302,  302,    302, 404, 403,      302,     404),
    "merge_undo":        row(302,  302,    302, 404, 403,      403,     404),
    "company_list":      row(200,  200,    200, 200, 200,      200,     200),
    "company_create":    row(200,  200,    200, 200, 403,      200,     200),
    "company_options":   row(200,  200,    200, 200, 200,      200,     200),
    "company_detail":    row(200,  200,    200, 404, 200,      200,     404),
    "company_edit":      row(200,  200,    200, 404, 403,      200,     404),
    "company_delete":    row(200,  200,    403, 404, 403,      403,     404),
    "company_restore":   row(302,  302,    403, 404, 403,      403,     404),
    "company_note":      row(302,  302,    302, 404, 403,      302,     404),
    # Imports need the import capability (403 otherwise) and belong to whoever started them:
    # the job below is the marketer's, so the manager gets 404 and administrators see all.
    "import_start":        row(200, 200,  403, 403, 403,      200,     403),
    "import_job":          row(302, 404,  403, 403, 403,      302,     403),
    "import_mapping":      row(200, 404,  403, 403, 403,      200,     403),
    "import_preview":      row(200, 404,  403, 403, 403,      200,     403),
    "import_job_progress": row(200, 404,  403, 403, 403,      200,     403),
    "import_rejects":      row(200, 404,  403, 403, 403,      200,     403),
    "export":              row(200, 200,  403, 403, 403,      200,     403),
    # Custom field definitions are an administration screen: 404 for everyone else.
    "custom_field_list":   row(200, 404,  404, 404, 404,      404,     404),
    "custom_field_create": row(200, 404,  404, 404, 404,      404,     404),
    "custom_field_edit":   row(200, 404,  404, 404, 404,      404,     404),
    "company_export":      row(200, 200,  403, 403, 403,      200,     403),
    # The company import runs on the same screens and rules (this job is the marketer's too).
    "company_import_start":        row(200, 200,  403, 403, 403,      200,     403),
    "company_import_job":          row(302, 404,  403, 403, 403,      302,     403),
    "company_import_mapping":      row(200, 404,  403, 403, 403,      200,     403),
    "company_import_preview":      row(200, 404,  403, 403, 403,      200,     403),
    "company_import_job_progress": row(200, 404,  403, 403, 403,      200,     403),
    "company_import_rejects":      row(200, 404,  403, 403, 403,      200,     403),
}  # fmt: skip


@dataclass
class World:
    """Records owned by rep that the routes are requested against."""

    personas: Any
    contact: Contact
    other: Contact
    company: Company
    trashed_contact: Contact
    trashed_company: Company
    merge: Merge
    import_job: Job
    company_import_job: Job


@dataclass
class Request:
    """How a route is requested in the matrix."""

    method: str = "GET"
    kwargs: Callable[[World], dict[str, Any]] | None = None
    query: Callable[[World], str] = lambda w: ""
    data: Callable[[World], dict[str, Any]] = field(default=lambda w: {})


ROUTE_REQUESTS: dict[str, Request] = {
    "search": Request(query=lambda w: "?q=Ana"),
    "company_options": Request(query=lambda w: "?company_name=Andina"),
    "merge": Request(query=lambda w: f"?a={w.contact.pk}&b={w.other.pk}"),
    "contact_restore": Request("POST", kwargs=lambda w: {"pk": w.trashed_contact.pk}),
    "company_restore": Request("POST", kwargs=lambda w: {"pk": w.trashed_company.pk}),
    "contact_tags": Request("POST", data=lambda w: {"tags": "Revisado"}),
    "contact_note": Request("POST", data=lambda w: {"body": "Llamada de seguimiento"}),
    "company_note": Request("POST", data=lambda w: {"body": "Visita a la obra"}),
    "contact_consent": Request(
        "POST",
        data=lambda w: {
            "channel": "email",
            "purpose": "marketing",
            "status": "granted",
            "source": "Formulario web",
        },
    ),
    "merge_undo": Request(
        "POST", kwargs=lambda w: {"pk": w.merge.survivor_id, "merge_id": w.merge.pk}
    ),
    "custom_field_edit": Request(
        kwargs=lambda w: {
            "field_id": CustomField.objects.get_or_create(
                entity="contact", key="presupuesto", defaults={"label": "Presupuesto"}
            )[0].pk
        }
    ),
    **{
        name: Request(kwargs=lambda w: {"job_id": w.import_job.pk})
        for name in (
            "import_job",
            "import_mapping",
            "import_preview",
            "import_job_progress",
            "import_rejects",
        )
    },
    **{
        f"company_{name}": Request(kwargs=lambda w: {"job_id": w.company_import_job.pk})
        for name in (
            "import_job",
            "import_mapping",
            "import_preview",
            "import_job_progress",
            "import_rejects",
        )
    },
}


def default_kwargs(url_name: str, pattern: URLPattern, world: World) -> dict[str, Any]:
    """`pk` of rep's company for company routes, else of rep's contact."""
    if "pk" not in pattern.pattern.converters:
        return {}  # routes under an include() needing kwargs describe them in ROUTE_REQUESTS
    record = world.company if url_name.startswith("company_") else world.contact
    return {"pk": record.pk}


def contact_patterns() -> dict[str, URLPattern]:
    """Every named route of the contacts URL configuration, included URLconfs flattened."""
    from clientela.contacts import urls

    patterns: dict[str, URLPattern] = {}

    def collect(entries: list[Any]) -> None:
        for entry in entries:
            if isinstance(entry, URLResolver):
                # Routes included without a namespace of their own are contacts:* routes too.
                assert not entry.namespace, f"nested namespaces are not covered: {entry}"
                collect(entry.url_patterns)
                continue
            assert entry.name, f"every contacts route needs a name: {entry.pattern}"
            patterns[entry.name] = entry

    collect(list(urls.urlpatterns))
    return patterns


def test_it_lists_every_contacts_route_in_the_matrix():
    routes = set(contact_patterns())
    assert routes - set(CONTACTS_ROUTE_MATRIX) == set(), "add these routes to the matrix"
    assert set(CONTACTS_ROUTE_MATRIX) - routes == set(), "these matrix rows have no route"
    for name, expected in CONTACTS_ROUTE_MATRIX.items():
        assert set(expected) == set(PERSONAS), f"{name}: give a status for every persona"


@pytest.fixture
def world(personas) -> World:
    """Rep's records: two contacts, a company, trashed ones, and a merge into rep's contact."""
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
        personas,
        contact,
        other,
        company,
        trashed_contact,
        trashed_company,
        merge,
        import_job,
        company_import_job,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "persona"),
    [(name, persona) for name in CONTACTS_ROUTE_MATRIX for persona in PERSONAS],
)
def test_it_answers_each_persona_as_the_matrix_says(client, world, url_name, persona):
    patterns = contact_patterns()
    assert url_name in patterns, f"{url_name} is in the matrix but has no route"
    spec = ROUTE_REQUESTS.get(url_name, Request())
    kwargs = (
        spec.kwargs(world) if spec.kwargs else default_kwargs(url_name, patterns[url_name], world)
    )
    url = reverse(f"contacts:{url_name}", kwargs=kwargs) + spec.query(world)
    c = client_for(client, getattr(world.personas, persona))
    if spec.method == "POST":
        response = c.post(url, spec.data(world))
    else:
        response = c.get(url, spec.data(world) or None)
    expected = CONTACTS_ROUTE_MATRIX[url_name][persona]
    assert response.status_code == expected, (
        f"{persona} {spec.method} {url}: got {response.status_code}, expected {expected}"
    )
