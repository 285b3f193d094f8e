"""API tests for contacts and companies, and the access matrix over every API operation."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

import pytest
from django.test import Client

from clientela.accounts.models import User
from clientela.accounts.services import create_token
from clientela.accounts.tests.factories import DepartmentFactory
from clientela.api import api
from clientela.contacts import services
from clientela.contacts.api.output import alphabetical, reload_contact
from clientela.contacts.api.schemas import ContactOut
from clientela.contacts.models import Company, Contact, Merge
from clientela.contacts.queries import contacts_visible_to
from clientela.contacts.tests.factories import (
    CompanyFactory,
    ContactFactory,
    contact_allowing_email_twin,
)
from clientela.core.exceptions import NotFound
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

PERSONAS = ("admin", "manager", "rep", "rep2", "colleague", "marketer", "outsider")


def bearer(user: User) -> dict[str, str]:
    """Headers authenticating as `user` with a fresh token."""
    _token, raw = create_token(user, actor=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def call(
    client: Client,
    method: str,
    url: str,
    headers: dict[str, str],
    body: Any = None,
    lang: str = "en",
) -> Any:
    """Send a JSON request in the given language and return the response."""
    kwargs: dict[str, Any] = {**headers, "HTTP_ACCEPT_LANGUAGE": lang}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method.lower())(url, **kwargs)


def make_contact(by: User, **fields: Any) -> Contact:
    """A contact created through the service by `by` (its owner unless `owner` is given)."""
    return services.create_contact(actor=by, data={"first_name": "Ana", **fields})


# --- reading -------------------------------------------------------------------------------


def test_it_returns_a_contact_with_its_tags_and_current_consents(personas, client):
    company = services.create_company(actor=personas.rep, data={"name": "Lotes del Sol"})
    contact = make_contact(
        personas.rep, last_name="Gómez", email="ana@example.co", phone="300 123 4567",
        company=company.pk, tags=["VIP", "Webinar"], birthday=None, source="facebook",
        first_utm_source="facebook", first_utm_campaign="lotes-florida",
    )  # fmt: skip
    services.record_consent(
        contact, actor=personas.rep, channel="email", purpose="marketing", status="granted",
        source="form",
    )  # fmt: skip
    services.record_consent(
        contact, actor=personas.rep, channel="email", purpose="marketing", status="withdrawn"
    )
    body = call(client, "GET", f"/api/v1/contacts/{contact.pk}", bearer(personas.rep)).json()
    assert body["full_name"] == "Ana Gómez"
    assert body["phone"] == "+573001234567"
    assert body["company"] == {"id": company.pk, "name": "Lotes del Sol"}
    assert body["owner"] == {"id": personas.rep.pk, "name": "Rep"}
    assert body["tags"] == ["VIP", "Webinar"]
    assert (body["source"], body["first_utm_source"]) == ("facebook", "facebook")
    assert body["first_utm_campaign"] == "lotes-florida"
    assert [(c["channel"], c["status"]) for c in body["consents"]] == [("email", "withdrawn")]
    assert body["version"] == 1
    ContactOut.model_validate(body)


def test_it_reads_a_contact_in_two_queries(personas, client, django_assert_num_queries):
    contact = make_contact(personas.rep, tags=["VIP"])
    headers = bearer(personas.rep)
    call(client, "GET", "/api/v1/me", headers)  # notes last_used_at once
    # token+user+role; contact+owner+company+tags+consents
    with django_assert_num_queries(2):
        response = call(client, "GET", f"/api/v1/contacts/{contact.pk}", headers)
    assert response.status_code == 200


def orm_detail(contact_id: int, *, deleted: bool = False) -> dict[str, Any]:
    """The contact's API representation built the plain ORM way, as the reference."""
    contact = Contact.objects.select_related("owner", "company").get(pk=contact_id)
    assert (contact.deleted_at is not None) is deleted
    latest: dict[tuple[str, str], Any] = {}
    for consent in contact.consents.order_by("-recorded_at", "-id"):
        latest.setdefault((consent.channel, consent.purpose), consent)
    plain = [
        f.attname for f in Contact._meta.concrete_fields if f.attname in ContactOut.model_fields
    ]
    return {
        **{name: getattr(contact, name) for name in plain},
        "full_name": contact.full_name,
        "company": contact.company and {"id": contact.company.pk, "name": contact.company.name},
        "owner": contact.owner and {"id": contact.owner.pk, "name": str(contact.owner)},
        "tags": sorted(contact.tags.values_list("name", flat=True), key=alphabetical),
        "consents": [
            {"channel": c.channel, "purpose": c.purpose, "status": c.status,
             "recorded_at": c.recorded_at, "source": c.source}
            for _key, c in sorted(latest.items())
        ],
    }  # fmt: skip


def test_it_reads_every_kind_of_contact_as_the_orm_does(personas):
    company = services.create_company(actor=personas.rep, data={"name": "Lotes del Sol"})
    full = make_contact(
        personas.rep, last_name="Gómez", email="ana@example.co", company=company.pk,
        tags=["webinar", "VIP", "Álamos"], birthday=dt.date(1990, 5, 17), first_utm_source="facebook",
    )  # fmt: skip
    for channel, purpose, status in (
        ("email", "marketing", "granted"), ("email", "marketing", "withdrawn"),
        ("sms", "marketing", "granted"), ("whatsapp", "service", "granted"),
    ):  # fmt: skip
        services.record_consent(
            full, actor=personas.rep, channel=channel, purpose=purpose, status=status, source="form"
        )
    bare = make_contact(personas.admin, owner=None)
    named_owner_only = make_contact(personas.manager)
    trashed = make_contact(personas.rep, tags=["VIP"])
    services.delete_contact(trashed, actor=personas.admin)
    for contact in (full, bare, named_owner_only):
        assert reload_contact(personas.admin, contact.pk) == orm_detail(contact.pk)
    assert reload_contact(personas.admin, trashed.pk, deleted=True) == orm_detail(
        trashed.pk, deleted=True
    )
    with pytest.raises(NotFound):
        reload_contact(personas.admin, trashed.pk)
    with pytest.raises(NotFound):
        reload_contact(personas.admin, full.pk, deleted=True)
    body = reload_contact(personas.rep, full.pk)
    assert body["tags"] == ["Álamos", "VIP", "webinar"]
    assert [(c["channel"], c["status"]) for c in body["consents"]] == [
        ("email", "withdrawn"), ("sms", "granted"), ("whatsapp", "granted"),
    ]  # fmt: skip
    assert body["birthday"] == dt.date(1990, 5, 17)


@pytest.mark.parametrize("persona", PERSONAS)
def test_it_reads_a_contact_exactly_when_the_visibility_rule_allows(personas, persona):
    user = getattr(personas, persona)
    contacts = [make_contact(personas.admin, owner=getattr(personas, p).pk) for p in PERSONAS]
    contacts.append(make_contact(personas.admin, owner=None))
    visible = set(contacts_visible_to(user).values_list("pk", flat=True))
    for contact in contacts:
        try:
            reload_contact(user, contact.pk)
            readable = True
        except NotFound:
            readable = False
        assert readable is (contact.pk in visible), (persona, contact.owner_id)


def test_it_answers_404_for_a_contact_of_someone_else(personas, client):
    contact = make_contact(personas.rep)
    for persona in (personas.rep2, personas.outsider):
        response = call(client, "GET", f"/api/v1/contacts/{contact.pk}", bearer(persona))
        assert response.status_code == 404
        assert response.json() == {"detail": "Contact not found."}


def test_it_lists_only_visible_contacts(personas, client):
    make_contact(personas.rep, first_name="Mía")
    make_contact(personas.rep2, first_name="Otra")
    names = {
        persona: [c["first_name"] for c in call(
            client, "GET", "/api/v1/contacts", bearer(getattr(personas, persona))
        ).json()["items"]]
        for persona in PERSONAS
    }  # fmt: skip
    assert names["rep"] == ["Mía"]
    assert names["rep2"] == ["Otra"]
    assert names["colleague"] == ["Mía"]
    assert names["outsider"] == []
    assert sorted(names["manager"]) == ["Mía", "Otra"]


@pytest.mark.parametrize(
    ("persona", "max_queries"),
    # token, [department colleagues], count, page with its tags and consents
    [("admin", 3), ("rep", 3), ("colleague", 4)],
)
def test_it_lists_contacts_with_a_fixed_number_of_queries(
    personas, client, django_assert_max_num_queries, persona, max_queries
):
    company = CompanyFactory(owner=personas.rep)
    for n in range(30):
        contact = cast(Contact, ContactFactory(owner=personas.rep, company=company))
        contact.tags.set(services.tags_from_names([f"t{n % 3}", "todos"]))
        services.record_consent(
            contact, actor=personas.admin, channel="sms", purpose="service", status="denied"
        )
    headers = bearer(getattr(personas, persona))
    call(client, "GET", "/api/v1/me", headers)
    with django_assert_max_num_queries(max_queries):
        response = call(client, "GET", "/api/v1/contacts?limit=200", headers)
    body = response.json()
    assert body["count"] == 30
    assert len(body["items"]) == 30
    assert all(len(c["tags"]) == 2 and len(c["consents"]) == 1 for c in body["items"])


def test_it_pages_with_a_cursor_without_gaps_or_repeats(personas, client):
    ContactFactory.create_batch(7, owner=personas.rep)
    headers = bearer(personas.rep)
    url: str | None = "/api/v1/contacts?limit=3&ordering=name"
    seen: list[int] = []
    pages = 0
    while url:
        body = call(client, "GET", url, headers).json()
        assert body["count"] == 7
        seen += [c["id"] for c in body["items"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    expected = list(
        Contact.objects.order_by("last_name", "first_name", "id").values_list("id", flat=True)
    )
    assert seen == expected


def test_it_stops_counting_at_the_cap_and_says_so(personas, client, monkeypatch):
    from clientela.contacts.api import output

    monkeypatch.setattr(output, "API_COUNT_CAP", 4)
    ContactFactory.create_batch(4, owner=personas.rep)
    CompanyFactory.create_batch(5, owner=personas.rep)
    headers = bearer(personas.rep)
    exact = call(client, "GET", "/api/v1/contacts?limit=2", headers).json()
    assert (exact["count"], exact["count_capped"]) == (4, False)
    ContactFactory(owner=personas.rep)
    ContactFactory(owner=personas.rep2)  # not the rep's: never counted for them
    capped = call(client, "GET", "/api/v1/contacts?limit=2", headers).json()
    assert (capped["count"], capped["count_capped"]) == (4, True)
    seen = [c["id"] for c in capped["items"]]
    url = capped["next"]
    while url:
        body = call(client, "GET", url, headers).json()
        seen += [c["id"] for c in body["items"]]
        url = body["next"]
    assert len(seen) == 5  # the pages still reach every match
    companies = call(client, "GET", "/api/v1/companies", headers).json()
    assert (companies["count"], companies["count_capped"]) == (4, True)


@pytest.mark.parametrize(
    "ordering", ["created", "-created", "name", "-name", "updated", "-updated"]
)
def test_it_orders_contacts(personas, client, ordering):
    for name in ("Beto", "Ana", "Carla"):
        make_contact(personas.rep, first_name=name, last_name="Ruiz")
    headers = bearer(personas.rep)
    first = call(client, "GET", f"/api/v1/contacts?ordering={ordering}&limit=2", headers).json()
    rest = call(client, "GET", first["next"], headers).json()
    names = [c["first_name"] for c in first["items"] + rest["items"]]
    expected = {
        "created": ["Beto", "Ana", "Carla"],
        "name": ["Ana", "Beto", "Carla"],
        "updated": ["Beto", "Ana", "Carla"],
    }
    key = ordering.lstrip("-")
    assert names == (expected[key] if ordering == key else expected[key][::-1])


def test_it_pages_with_an_offset(personas, client):
    for name in ("Ana", "Beto", "Carla", "Dora"):
        make_contact(personas.rep, first_name=name)
    body = call(
        client, "GET", "/api/v1/contacts?ordering=name&offset=1&limit=2", bearer(personas.rep)
    ).json()
    assert [c["first_name"] for c in body["items"]] == ["Beto", "Carla"]
    assert "cursor=" in body["next"]
    assert "offset=" not in body["next"]


def test_it_validates_pagination_in_spanish(personas, client):
    headers = bearer(personas.rep)
    response = call(client, "GET", "/api/v1/contacts?limit=500&offset=-1", headers, lang="es")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Algunos campos no son válidos.",
        "errors": {
            "limit": ["Asegúrese de que este valor es menor o igual a 200."],
            "offset": ["Asegúrese de que este valor es mayor o igual a 0."],
        },
    }
    response = call(client, "GET", "/api/v1/contacts?ordering=edad", headers, lang="es")
    assert response.json()["errors"] == {
        "ordering": ["Escoja una opción válida. edad no es una de las opciones disponibles."]
    }


def test_it_refuses_a_tampered_cursor(personas, client):
    response = call(client, "GET", "/api/v1/contacts?cursor=garbage!", bearer(personas.rep))
    assert response.status_code == 400
    assert response.json()["errors"] == {"cursor": ["This cursor is not valid for this list."]}


def test_it_filters_contacts(personas, client):
    services.save_custom_field(
        actor=personas.admin, entity="contact", key="presupuesto", label="Presupuesto",
        field_type="number",
    )  # fmt: skip
    company = services.create_company(actor=personas.rep, data={"name": "Lotes del Sol"})
    make_contact(
        personas.rep, first_name="Ana", last_name="Gómez", email="ana@example.co",
        lifecycle_stage="customer", lead_status="qualified", source="facebook", tags=["VIP"],
        company=company.pk, custom={"presupuesto": 300000000},
    )  # fmt: skip
    make_contact(personas.rep, first_name="Beto", source="referral", custom={"presupuesto": 5})
    make_contact(personas.admin, first_name="Carla", owner=personas.manager.pk)
    headers = bearer(personas.admin)

    def names(query: str) -> list[str]:
        response = call(client, "GET", f"/api/v1/contacts?{query}", headers)
        assert response.status_code == 200, response.json()
        return sorted(c["first_name"] for c in response.json()["items"])

    assert names("q=gomez") == ["Ana"]
    assert names("q=ana%40example") == ["Ana"]
    assert names(f"owner={personas.rep.pk}") == ["Ana", "Beto"]
    assert names("lifecycle_stage=customer") == ["Ana"]
    assert names("lead_status=qualified") == ["Ana"]
    assert names("source=referral") == ["Beto"]
    assert names("tag=vip") == ["Ana"]
    assert names("tag=nadie") == []
    assert names(f"company={company.pk}") == ["Ana"]
    assert names("custom.presupuesto=300000000") == ["Ana"]
    assert names("custom.presupuesto=5&source=referral") == ["Beto"]
    assert names("custom.unknown=1") == ["Ana", "Beto", "Carla"]  # unknown keys are ignored
    assert names(f"owner={personas.manager.pk}&lifecycle_stage=customer") == []


def test_it_refuses_an_unknown_filter_choice(personas, client):
    response = call(client, "GET", "/api/v1/contacts?lifecycle_stage=vip", bearer(personas.rep))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["lifecycle_stage"]


def test_it_lists_the_trash(personas, client):
    contact = make_contact(personas.rep)
    services.delete_contact(contact, actor=personas.admin)
    headers = bearer(personas.rep)
    assert call(client, "GET", "/api/v1/contacts", headers).json()["count"] == 0
    trash = call(client, "GET", "/api/v1/contacts?deleted=true", headers).json()
    assert [c["id"] for c in trash["items"]] == [contact.pk]


# --- writing -------------------------------------------------------------------------------


def test_it_creates_a_contact_through_the_service(personas, client):
    response = call(
        client, "POST", "/api/v1/contacts", bearer(personas.rep),
        {"first_name": " Ana  María ", "email": "Ana@Example.CO", "phone": "300 123 4567",
         "tags": ["vip", "VIP", "Webinar"], "birthday": "1990-05-17"},
    )  # fmt: skip
    assert response.status_code == 201
    body = response.json()
    assert (body["first_name"], body["email"]) == ("Ana María", "ana@example.co")
    assert body["phone"] == "+573001234567"
    assert body["birthday"] == "1990-05-17"
    assert body["tags"] == ["vip", "Webinar"]
    assert body["owner"]["id"] == personas.rep.pk
    event = Event.objects.get(contact_id=body["id"], verb="created")
    assert (event.via, event.actor_id) == ("api", personas.rep.pk)


def test_it_reports_contact_field_errors(personas, client):
    response = call(
        client, "POST", "/api/v1/contacts", bearer(personas.rep),
        {"email": "no-es-correo", "country": "Colombia", "lifecycle_stage": "vip",
         "owner": personas.rep2.pk},
    )  # fmt: skip
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"email", "country", "lifecycle_stage", "owner", "first_name"}
    assert "no-es-correo" in errors["email"][0]
    assert errors["country"] == ["Use the two-letter country code (CO, MX, US…)."]
    assert errors["owner"] == ["You cannot assign records to this user."]
    assert errors["first_name"] == ["Enter at least a name, an e-mail or a phone."]


def test_it_reports_type_errors_with_the_same_shape(personas, client):
    response = call(
        client, "POST", "/api/v1/contacts", bearer(personas.rep),
        {"first_name": "Ana", "birthday": "17/05/1990", "tags": "vip", "owner": "yo",
         "nickname": "Anita"},
        lang="es",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "birthday": ["Introduzca una fecha válida."],
        "tags": ["Introduzca una lista de valores."],
        "owner": ["Introduzca un número entero."],
        "nickname": ["Campo desconocido."],
    }


def test_it_reports_custom_field_errors_by_key(personas, client):
    services.save_custom_field(
        actor=personas.admin, entity="contact", key="presupuesto", label="Presupuesto",
        field_type="number",
    )  # fmt: skip
    response = call(
        client, "POST", "/api/v1/contacts", bearer(personas.rep),
        {"first_name": "Ana", "custom": {"presupuesto": "mucho", "color": "rojo"}},
    )  # fmt: skip
    assert response.json()["errors"] == {
        "custom.presupuesto": ["Enter a number."],
        "custom.color": ["Unknown custom field “color”."],
    }


def test_it_refuses_a_body_that_is_not_json(personas, client):
    response = client.post(
        "/api/v1/contacts", data="{nope", content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en", **bearer(personas.rep),
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"] == {"__all__": ["Send a valid JSON body."]}


def test_it_changes_only_the_fields_sent(personas, client):
    contact = make_contact(personas.rep, last_name="Gómez", city="Cali", tags=["VIP"])
    response = call(
        client, "PATCH", f"/api/v1/contacts/{contact.pk}", bearer(personas.rep),
        {"city": "Medellín", "lead_status": "connected"},
    )  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["city"], body["lead_status"], body["last_name"]) == (
        "Medellín", "connected", "Gómez",
    )  # fmt: skip
    assert body["tags"] == ["VIP"]
    assert body["version"] == 2


def test_it_refuses_a_stale_version(personas, client):
    contact = make_contact(personas.rep)
    headers = bearer(personas.rep)
    url = f"/api/v1/contacts/{contact.pk}"
    assert call(client, "PATCH", url, headers, {"city": "Cali", "version": 1}).status_code == 200
    response = call(client, "PATCH", url, headers, {"city": "Pasto", "version": 1})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Someone else changed this contact meanwhile. Reload it and try again."
    }
    assert Contact.objects.get(pk=contact.pk).city == "Cali"


def test_it_refuses_writes_to_read_only_roles(personas, client):
    contact = make_contact(personas.rep)
    response = call(
        client, "PATCH", f"/api/v1/contacts/{contact.pk}", bearer(personas.colleague),
        {"city": "Cali"},
    )  # fmt: skip
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role can only read records."}


def test_it_moves_a_contact_to_the_trash_and_back(personas, client):
    contact = make_contact(personas.rep)
    headers = bearer(personas.manager)
    url = f"/api/v1/contacts/{contact.pk}"
    response = call(client, "DELETE", url, headers)
    assert response.status_code == 204
    assert response.content == b""
    assert call(client, "GET", url, headers).status_code == 404
    restored = call(client, "POST", f"{url}/restore", headers)
    assert restored.status_code == 200
    assert restored.json()["id"] == contact.pk
    assert call(client, "GET", url, headers).status_code == 200
    verbs = list(Event.objects.filter(contact=contact).values_list("verb", "via"))
    assert ("deleted", "api") in verbs
    assert ("restored", "api") in verbs


def test_it_refuses_deleting_to_roles_without_the_capability(personas, client):
    contact = make_contact(personas.rep)
    response = call(client, "DELETE", f"/api/v1/contacts/{contact.pk}", bearer(personas.rep))
    assert response.status_code == 403
    assert response.json() == {"detail": "Your role cannot delete records."}


def test_it_records_consent(personas, client):
    contact = make_contact(personas.rep)
    url = f"/api/v1/contacts/{contact.pk}/consents"
    headers = bearer(personas.rep)
    missing_source = call(
        client, "POST", url, headers,
        {"channel": "whatsapp", "purpose": "marketing", "status": "granted"},
    )  # fmt: skip
    assert missing_source.status_code == 400
    assert missing_source.json()["errors"] == {
        "source": ["Say where the consent was given (form, call, signed document…)."]
    }
    response = call(
        client, "POST", url, headers,
        {"channel": "whatsapp", "purpose": "marketing", "status": "granted",
         "source": "Formulario webinar", "proof": "IP 203.0.113.9"},
    )  # fmt: skip
    assert response.status_code == 201
    consents = response.json()["consents"]
    assert [(c["channel"], c["status"], c["source"]) for c in consents] == [
        ("whatsapp", "granted", "Formulario webinar")
    ]


# --- duplicates, merge, undo, timeline ------------------------------------------------------


def test_it_finds_duplicates(personas, client, django_assert_max_num_queries):
    contact = make_contact(personas.rep, email="ana@example.co")
    twin = contact_allowing_email_twin(personas.rep, first_name="Ana M.", email="ANA@example.co")
    contact_allowing_email_twin(personas.rep2, first_name="Ana", email="ana@example.co")
    headers = bearer(personas.rep)
    call(client, "GET", "/api/v1/me", headers)
    with django_assert_max_num_queries(3):  # token, contact, same e-mail
        body = call(client, "GET", f"/api/v1/contacts/{contact.pk}/duplicates", headers).json()
    assert body == [
        {
            "id": twin.pk, "full_name": "Ana M.", "email": "ana@example.co",
            "phone": "", "company": None, "owner": {"id": personas.rep.pk, "name": "Rep"},
            "reason": "same e-mail",
        }
    ]  # fmt: skip


def test_it_merges_and_undoes_a_merge(personas, client):
    survivor = make_contact(personas.rep, email="ana@example.co", city="Cali", tags=["VIP"])
    other = make_contact(
        personas.rep, first_name="Ana María", phone="3001234567", city="Bogotá", tags=["Webinar"]
    )
    headers = bearer(personas.rep)
    response = call(
        client, "POST", "/api/v1/contacts/merge", headers,
        {"survivor": survivor.pk, "other": other.pk, "take_from_other": ["first_name"]},
    )  # fmt: skip
    assert response.status_code == 200
    merged = response.json()
    assert merged["survivor"]["first_name"] == "Ana María"
    assert merged["survivor"]["phone"] == "+573001234567"
    assert merged["survivor"]["city"] == "Cali"
    assert merged["survivor"]["tags"] == ["VIP", "Webinar"]
    gone = call(client, "GET", f"/api/v1/contacts/{other.pk}", headers)
    assert (gone.status_code, gone.json()["merged_into"]) == (301, survivor.pk)

    timeline = call(client, "GET", f"/api/v1/contacts/{survivor.pk}/timeline", headers).json()
    assert [e["verb"] for e in timeline["items"]][:1] == ["merged"]
    assert timeline["items"][0]["verb_label"] == "merged"
    assert timeline["items"][0]["via"] == "api"
    # The other contact's history moved to the survivor.
    assert {e["target_id"] for e in timeline["items"]} >= {str(other.pk)}

    undo = call(client, "POST", f"/api/v1/contacts/merges/{merged['merge_id']}/undo", headers)
    assert undo.status_code == 200
    body = undo.json()
    assert (body["survivor"]["first_name"], body["survivor"]["tags"]) == ("Ana", ["VIP"])
    assert (body["restored"]["id"], body["restored"]["tags"]) == (other.pk, ["Webinar"])
    again = call(client, "POST", f"/api/v1/contacts/merges/{merged['merge_id']}/undo", headers)
    assert again.status_code == 409
    assert again.json() == {"detail": "This merge was already undone."}


def test_it_refuses_merging_a_contact_with_itself(personas, client):
    contact = make_contact(personas.rep)
    response = call(
        client, "POST", "/api/v1/contacts/merge", bearer(personas.rep),
        {"survivor": contact.pk, "other": contact.pk},
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"] == {"other": ["Choose two different contacts."]}


def test_it_hides_merges_of_contacts_you_may_not_see(personas, client):
    survivor, other = make_contact(personas.rep), make_contact(personas.rep)
    merge = services.merge_contacts(survivor, other, actor=personas.admin)
    response = call(
        client, "POST", f"/api/v1/contacts/merges/{merge.pk}/undo", bearer(personas.rep2)
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Merge not found."}
    assert Merge.objects.get(pk=merge.pk).undone_at is None


def test_it_pages_the_timeline(personas, client, django_assert_max_num_queries):
    contact = make_contact(personas.rep)
    for city in ("Cali", "Pasto", "Tunja"):
        services.update_contact(contact, actor=personas.rep, data={"city": city})
    headers = bearer(personas.rep)
    call(client, "GET", "/api/v1/me", headers)
    url = f"/api/v1/contacts/{contact.pk}/timeline?limit=3"
    with django_assert_max_num_queries(4):  # token, contact, count, events with actors
        first = call(client, "GET", url, headers).json()
    assert first["count"] == 4
    assert [e["verb"] for e in first["items"]] == ["updated"] * 3
    assert first["items"][0]["data"]["changes"]["city"] == ["Pasto", "Tunja"]
    assert first["items"][0]["actor"] == {"id": personas.rep.pk, "name": "Rep"}
    second = call(client, "GET", first["next"], headers).json()
    assert [e["verb"] for e in second["items"]] == ["created"]
    assert second["next"] is None


# --- companies -----------------------------------------------------------------------------


def test_it_manages_companies(personas, client):
    headers = bearer(personas.manager)
    created = call(
        client, "POST", "/api/v1/companies", headers,
        {"name": "Lotes del Sol S.A.S.", "tax_id": "900123456-7", "phone": "601 555 1234",
         "tags": ["Florida"]},
    )  # fmt: skip
    assert created.status_code == 201
    company = created.json()
    assert company["phone"] == "+576015551234"
    assert company["tags"] == ["Florida"]
    url = f"/api/v1/companies/{company['id']}"
    changed = call(client, "PATCH", url, headers, {"industry": "Finca raíz", "version": 1})
    assert (changed.json()["industry"], changed.json()["version"]) == ("Finca raíz", 2)
    stale = call(client, "PATCH", url, headers, {"industry": "Otra", "version": 1})
    assert stale.status_code == 409
    assert call(client, "DELETE", url, headers).status_code == 204
    assert call(client, "GET", url, headers).status_code == 404
    assert call(client, "POST", f"{url}/restore", headers).json()["name"] == "Lotes del Sol S.A.S."


def test_it_requires_a_company_name(personas, client):
    response = call(client, "POST", "/api/v1/companies", bearer(personas.rep), {"city": "Cali"})
    assert response.status_code == 400
    assert response.json()["errors"] == {"name": ["This field is required."]}


def test_it_lists_companies_with_filters_and_a_fixed_number_of_queries(
    personas, client, django_assert_max_num_queries
):
    for n in range(12):
        company = cast(Company, CompanyFactory(owner=personas.rep, name=f"Empresa {n:02d}"))
        company.tags.set(services.tags_from_names(["cliente" if n % 2 else "prospecto"]))
    CompanyFactory(owner=personas.rep2, name="Ajena")
    headers = bearer(personas.rep)
    call(client, "GET", "/api/v1/me", headers)
    with django_assert_max_num_queries(5):  # token, tag, count, page, tags
        body = call(client, "GET", "/api/v1/companies?tag=cliente&limit=4", headers).json()
    assert body["count"] == 6
    assert [c["name"] for c in body["items"]] == [f"Empresa {n:02d}" for n in (1, 3, 5, 7)]
    rest = call(client, "GET", body["next"], headers).json()
    assert [c["name"] for c in rest["items"]] == ["Empresa 09", "Empresa 11"]
    searched = call(client, "GET", "/api/v1/companies?q=empresa 1&ordering=-name", headers).json()
    assert [c["name"] for c in searched["items"]] == ["Empresa 11", "Empresa 10", "Empresa 01"]


# --- OpenAPI -------------------------------------------------------------------------------


def test_it_publishes_the_openapi_schema(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Clientela API"
    assert "/api/v1/contacts/{contact_id}" in schema["paths"]
    assert "/api/v1/companies" in schema["paths"]
    assert "/api/v1/users/{user_id}" in schema["paths"]
    assert client.get("/api/docs").status_code == 200


# --- access matrix -------------------------------------------------------------------------

ADM, MGR, REP, REP2, COL, MKT, OUT = PERSONAS
SEEN_BY = (ADM, MGR, REP, COL, MKT)  # who sees a contact/company owned by rep
WRITERS = (ADM, MGR, REP, MKT)  # who sees it and may change it
DELETERS = (ADM, MGR)


def expect(ok: int, allowed: tuple[str, ...], seen: tuple[str, ...] = PERSONAS) -> dict[str, int]:
    """`ok` for the allowed personas, 403 for those who see the record, 404 for the rest."""
    return {p: ok if p in allowed else 403 if p in seen else 404 for p in PERSONAS}


ALL_OK = dict.fromkeys(PERSONAS, 200)
ADMIN_ONLY = expect(200, (ADM,))

# (method, path) -> {persona: expected status}; every API operation must be listed here.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/api/v1/me"): ALL_OK,
    ("GET", "/api/v1/users"): ADMIN_ONLY,
    ("POST", "/api/v1/users"): expect(201, (ADM,)),
    ("GET", "/api/v1/users/{user_id}"): ADMIN_ONLY,
    ("PATCH", "/api/v1/users/{user_id}"): ADMIN_ONLY,
    ("GET", "/api/v1/departments"): ADMIN_ONLY,
    ("POST", "/api/v1/departments"): expect(201, (ADM,)),
    ("PATCH", "/api/v1/departments/{department_id}"): ADMIN_ONLY,
    ("DELETE", "/api/v1/departments/{department_id}"): expect(204, (ADM,)),
    ("GET", "/api/v1/roles"): ADMIN_ONLY,
    ("GET", "/api/v1/capabilities"): ADMIN_ONLY,
    ("PATCH", "/api/v1/roles/{code}"): ADMIN_ONLY,
    ("GET", "/api/v1/tokens"): ALL_OK,
    ("POST", "/api/v1/tokens"): dict.fromkeys(PERSONAS, 201),
    ("DELETE", "/api/v1/tokens/{token_id}"): dict.fromkeys(PERSONAS, 204),
    ("GET", "/api/v1/contacts"): ALL_OK,
    ("POST", "/api/v1/contacts"): expect(201, (ADM, MGR, REP, REP2, MKT, OUT)),
    ("POST", "/api/v1/contacts/merge"): expect(200, (ADM, MGR, REP), SEEN_BY),
    ("POST", "/api/v1/contacts/merges/{merge_id}/undo"): expect(200, (ADM, MGR, REP), SEEN_BY),
    ("GET", "/api/v1/contacts/{contact_id}"): expect(200, SEEN_BY, SEEN_BY),
    ("PATCH", "/api/v1/contacts/{contact_id}"): expect(200, WRITERS, SEEN_BY),
    ("DELETE", "/api/v1/contacts/{contact_id}"): expect(204, DELETERS, SEEN_BY),
    ("POST", "/api/v1/contacts/{contact_id}/restore"): expect(200, DELETERS, SEEN_BY),
    ("GET", "/api/v1/contacts/{contact_id}/duplicates"): expect(200, SEEN_BY, SEEN_BY),
    ("GET", "/api/v1/contacts/{contact_id}/timeline"): expect(200, SEEN_BY, SEEN_BY),
    ("POST", "/api/v1/contacts/{contact_id}/consents"): expect(201, WRITERS, SEEN_BY),
    ("GET", "/api/v1/companies"): ALL_OK,
    ("POST", "/api/v1/companies"): expect(201, (ADM, MGR, REP, REP2, MKT, OUT)),
    ("GET", "/api/v1/companies/{company_id}"): expect(200, SEEN_BY, SEEN_BY),
    ("PATCH", "/api/v1/companies/{company_id}"): expect(200, WRITERS, SEEN_BY),
    ("DELETE", "/api/v1/companies/{company_id}"): expect(204, DELETERS, SEEN_BY),
    ("POST", "/api/v1/companies/{company_id}/restore"): expect(200, DELETERS, SEEN_BY),
}

_counter = itertools.count()
Setup = Callable[[SimpleNamespace, User], tuple[dict[str, Any], Any]]


def _contact(p: SimpleNamespace, _user: User) -> tuple[dict[str, Any], Any]:
    return {"contact_id": make_contact(p.rep).pk}, None


def _trashed_contact(p: SimpleNamespace, _user: User) -> tuple[dict[str, Any], Any]:
    contact = make_contact(p.rep)
    services.delete_contact(contact, actor=p.admin)
    return {"contact_id": contact.pk}, None


def _company(p: SimpleNamespace, _user: User) -> tuple[dict[str, Any], Any]:
    company = services.create_company(actor=p.rep, data={"name": f"Empresa {next(_counter)}"})
    return {"company_id": company.pk}, None


def _trashed_company(p: SimpleNamespace, user: User) -> tuple[dict[str, Any], Any]:
    params, _body = _company(p, user)
    services.delete_company(
        services.get_company_or_404(p.admin, params["company_id"]), actor=p.admin
    )
    return params, None


def _merge_pair(p: SimpleNamespace, _user: User) -> tuple[dict[str, Any], Any]:
    return {}, {"survivor": make_contact(p.rep).pk, "other": make_contact(p.rep).pk}


def _merge(p: SimpleNamespace, _user: User) -> tuple[dict[str, Any], Any]:
    merge = services.merge_contacts(make_contact(p.rep), make_contact(p.rep), actor=p.admin)
    return {"merge_id": merge.pk}, None


def _empty_department(p: SimpleNamespace, _user: User) -> tuple[dict[str, Any], Any]:
    department = DepartmentFactory.create(name=f"Temporal {next(_counter)}")
    return {"department_id": department.pk}, {"name": f"Renombrado {next(_counter)}"}


def _own_token(_p: SimpleNamespace, user: User) -> tuple[dict[str, Any], Any]:
    token, _raw = create_token(user, actor=user, name="para revocar")
    return {"token_id": token.pk}, None


def _nothing(_p: SimpleNamespace, _user: User) -> tuple[dict[str, Any], Any]:
    return {}, None


def _with_body(body: Callable[[SimpleNamespace], Any], base: Setup = _nothing) -> Setup:
    def setup(p: SimpleNamespace, user: User) -> tuple[dict[str, Any], Any]:
        params, _ = base(p, user)
        return params, body(p)

    return setup


SETUPS: dict[tuple[str, str], Setup] = {
    ("POST", "/api/v1/users"): _with_body(lambda p: {"username": f"nuevo{next(_counter)}"}),
    ("GET", "/api/v1/users/{user_id}"): lambda p, u: ({"user_id": p.rep.pk}, None),
    ("PATCH", "/api/v1/users/{user_id}"): lambda p, u: (
        {"user_id": p.rep.pk},
        {"first_name": "Renombrado"},
    ),
    ("POST", "/api/v1/departments"): _with_body(lambda p: {"name": f"Nuevo {next(_counter)}"}),
    ("PATCH", "/api/v1/departments/{department_id}"): _empty_department,
    ("DELETE", "/api/v1/departments/{department_id}"): _empty_department,
    ("PATCH", "/api/v1/roles/{code}"): lambda p, u: ({"code": "mercadeo"}, {"name": "Mercadeo"}),
    ("POST", "/api/v1/tokens"): _with_body(lambda p: {"name": "nuevo"}),
    ("DELETE", "/api/v1/tokens/{token_id}"): _own_token,
    ("POST", "/api/v1/contacts"): _with_body(lambda p: {"first_name": "Nueva"}),
    ("POST", "/api/v1/contacts/merge"): _merge_pair,
    ("POST", "/api/v1/contacts/merges/{merge_id}/undo"): _merge,
    ("GET", "/api/v1/contacts/{contact_id}"): _contact,
    ("PATCH", "/api/v1/contacts/{contact_id}"): _with_body(lambda p: {"city": "Cali"}, _contact),
    ("DELETE", "/api/v1/contacts/{contact_id}"): _contact,
    ("POST", "/api/v1/contacts/{contact_id}/restore"): _trashed_contact,
    ("GET", "/api/v1/contacts/{contact_id}/duplicates"): _contact,
    ("GET", "/api/v1/contacts/{contact_id}/timeline"): _contact,
    ("POST", "/api/v1/contacts/{contact_id}/consents"): _with_body(
        lambda p: {"channel": "email", "purpose": "service", "status": "denied"}, _contact
    ),
    ("POST", "/api/v1/companies"): _with_body(lambda p: {"name": f"Nueva {next(_counter)}"}),
    ("GET", "/api/v1/companies/{company_id}"): _company,
    ("PATCH", "/api/v1/companies/{company_id}"): _with_body(lambda p: {"city": "Cali"}, _company),
    ("DELETE", "/api/v1/companies/{company_id}"): _company,
    ("POST", "/api/v1/companies/{company_id}/restore"): _trashed_company,
}


def registered_operations() -> set[tuple[str, str]]:
    """Every (method, path) the API serves, read from the routers themselves."""
    operations: set[tuple[str, str]] = set()
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            full = "/api/" + "/".join(p.strip("/") for p in (bound.prefix, path) if p.strip("/"))
            for operation in path_view.operations:
                operations.update((method.upper(), full) for method in operation.methods)
    return operations


def test_it_lists_every_api_operation_in_the_access_matrix():
    registered = registered_operations()
    assert registered, "no operations found: the introspection is broken"
    missing = registered - set(MATRIX)
    assert not missing, f"add these operations to MATRIX: {sorted(missing)}"
    assert not set(MATRIX) - registered, "MATRIX lists operations that no longer exist"
    assert set(SETUPS) <= set(MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_it_enforces_the_access_matrix(personas, client, method, path):
    setup = SETUPS.get((method, path), _nothing)
    failures = []
    for persona in PERSONAS:
        user = getattr(personas, persona)
        params, body = setup(personas, user)
        url = path.format(**params)
        response = call(client, method, url, bearer(user), body)
        expected = MATRIX[(method, path)][persona]
        if response.status_code != expected:
            failures.append((persona, expected, response.status_code, response.content[:200]))
    assert not failures
