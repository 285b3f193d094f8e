"""Access matrix of every contacts and companies API operation, persona by persona.

API_MATRIX gives the status each persona's bearer token gets for one operation against rep's
records (rep: sales rep, own records, "Comercial Bogotá"); a visitor without a token gets 401.
The coverage test in core (clientela/core/tests/test_access_coverage.py) fails when an API
operation is in no app's API_MATRIX.

Who may do what (roles as in the UI matrix): records outside a persona's scope answer 404, so
their existence is not revealed; a persona who sees a record but lacks the right answers 403.
Writes that succeed answer their documented status (201 created, 204 deleted, 200 changed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from clientela.contacts import services
from clientela.contacts.models import Company, Contact, Merge
from clientela.testing.access import Request, api_mismatches, api_row, check_rows

pytestmark = pytest.mark.django_db


#                                                      admin manager rep rep2 colleague marketer outsider
API_MATRIX: dict[str, dict[str, int]] = {
    "GET /api/v1/contacts":                          api_row(200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/contacts":                         api_row(201, 201, 201, 201, 403, 201, 201),
    "POST /api/v1/contacts/merge":                   api_row(200, 200, 200, 404, 403, 403, 404),
    "POST /api/v1/contacts/merges/{merge_id}/undo":  api_row(200, 200, 200, 404, 403, 403, 404),
    "GET /api/v1/contacts/{contact_id}":             api_row(200, 200, 200, 404, 200, 200, 404),
    "PATCH /api/v1/contacts/{contact_id}":           api_row(200, 200, 200, 404, 403, 200, 404),
    "DELETE /api/v1/contacts/{contact_id}":          api_row(204, 204, 403, 404, 403, 403, 404),
    "POST /api/v1/contacts/{contact_id}/restore":    api_row(200, 200, 403, 404, 403, 403, 404),
    "GET /api/v1/contacts/{contact_id}/duplicates":  api_row(200, 200, 200, 404, 200, 200, 404),
    "GET /api/v1/contacts/{contact_id}/timeline":    api_row(200, 200, 200, 404, 200, 200, 404),
    "POST /api/v1/contacts/{contact_id}/consents":   api_row(201, 201, 201, 404, 403, 201, 404),
    "GET /api/v1/companies":                         api_row(200, 200, 200, 200, 200, 200, 200),
    "POST /api/v1/companies":                        api_row(201, 201, 201, 201, 403, 201, 201),
    "GET /api/v1/companies/{company_id}":            api_row(200, 200, 200, 404, 200, 200, 404),
    "PATCH /api/v1/companies/{company_id}":          api_row(200, 200, 200, 404, 403, 200, 404),
    "DELETE /api/v1/companies/{company_id}":         api_row(204, 204, 403, 404, 403, 403, 404),
    "POST /api/v1/companies/{company_id}/restore":   api_row(200, 200, 403, 404, 403, 403, 404),
}  # fmt: skip


@dataclass
class World:
    """Rep's records the operations are sent against; each persona gets a fresh world."""

    contact: Contact
    other: Contact
    company: Company
    trashed_contact: Contact
    trashed_company: Company
    merge: Merge


REQUESTS: dict[str, Request] = {
    "POST /api/v1/contacts": Request(data=lambda w: {"first_name": "Nueva", "last_name": "Api"}),
    "POST /api/v1/contacts/merge": Request(
        data=lambda w: {"survivor": w.contact.pk, "other": w.other.pk}
    ),
    "POST /api/v1/contacts/merges/{merge_id}/undo": Request(
        kwargs=lambda w: {"merge_id": w.merge.pk}
    ),
    "PATCH /api/v1/contacts/{contact_id}": Request(data=lambda w: {"city": "Medellín"}),
    "POST /api/v1/contacts/{contact_id}/restore": Request(
        kwargs=lambda w: {"contact_id": w.trashed_contact.pk}
    ),
    "POST /api/v1/contacts/{contact_id}/consents": Request(
        data=lambda w: {
            "channel": "email",
            "purpose": "marketing",
            "status": "granted",
            "source": "Formulario web",
        }
    ),
    "POST /api/v1/companies": Request(data=lambda w: {"name": "Constructora Nueva"}),
    "PATCH /api/v1/companies/{company_id}": Request(data=lambda w: {"industry": "Construcción"}),
    "POST /api/v1/companies/{company_id}/restore": Request(
        kwargs=lambda w: {"company_id": w.trashed_company.pk}
    ),
}


def default_kwargs(world: World) -> dict[str, Any]:
    """Path parameters of rep's contact or company."""
    return {"contact_id": world.contact.pk, "company_id": world.company.pk}


def build_world(personas: Any) -> World:
    """Two of rep's contacts sharing an e-mail, a company, trashed records and an undoable merge."""
    rep, manager = personas.rep, personas.manager
    company = services.create_company(actor=rep, data={"name": "Inmobiliaria Andina"})
    contact = services.create_contact(
        actor=rep, data={"first_name": "Ana", "phone": "3001234567", "company": company.pk}
    )
    other = services.create_contact(actor=rep, data={"first_name": "Ana", "phone": "3001234567"})
    merged_away = services.create_contact(actor=rep, data={"first_name": "Ana María"})
    merge = services.merge_contacts(contact, merged_away, actor=manager)
    trashed_contact = services.delete_contact(
        services.create_contact(actor=rep, data={"first_name": "Borrado"}), actor=manager
    )
    trashed_company = services.delete_company(
        services.create_company(actor=rep, data={"name": "Cerrada Ltda"}), actor=manager
    )
    contact.refresh_from_db()
    return World(contact, other, company, trashed_contact, trashed_company, merge)


def test_it_gives_every_row_a_status_per_persona() -> None:
    check_rows(API_MATRIX)


@pytest.mark.parametrize("operation", sorted(API_MATRIX))
def test_it_answers_each_persona_as_the_matrix_says(operation: str, personas: Any) -> None:
    spec = REQUESTS.get(operation, Request())
    wrong = api_mismatches(operation, API_MATRIX, spec, personas, build_world, default_kwargs)
    assert not wrong, f"{operation} answered {wrong}, expected {API_MATRIX[operation]}"
