"""API tests for segments and lists: the story-2 segment made by a script, field errors at their
path, visibility of counts, members and explanations, optimistic locking, list edits, the
condition catalogue, the published definition schema and pinned query counts."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clientela.accounts.models import User
from clientela.accounts.services import create_token
from clientela.api import api
from clientela.contacts import services as contact_services
from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus
from clientela.contacts.models import Contact
from clientela.orders import services as order_services
from clientela.segments import services
from clientela.segments.choices import SegmentKind, SegmentVerb
from clientela.segments.models import Membership, Segment
from clientela.segments.tests.factories import SegmentFactory
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

URL = "/api/v1/segments"


def bearer(user: User) -> dict[str, str]:
    """Headers authenticating as `user` with a fresh token."""
    _token, raw = create_token(user, actor=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def call(
    client: Client, method: str, url: str, user: User, body: Any = None, lang: str = "en"
) -> Any:
    """Send a JSON request as `user` in the given language and return the response."""
    kwargs: dict[str, Any] = {**bearer(user), "HTTP_ACCEPT_LANGUAGE": lang}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    return getattr(client, method.lower())(url, **kwargs)


def today() -> dt.date:
    """Today in the company's time zone, as the segment conditions read it."""
    return dt.datetime.now(ZoneInfo(settings.TIME_ZONE)).date()


def customer(
    owner: User, name: str, *, birthday_in: int, consent: bool, bought_days_ago: int | None
) -> Contact:
    """A contact of `owner` with a birthday `birthday_in` days away, e-mail consent and a purchase."""
    soon = today() + dt.timedelta(days=birthday_in)
    contact = contact_services.create_contact(
        actor=owner,
        data={
            "first_name": name,
            "city": "Bogotá",
            "birthday": soon.replace(year=1992),
            "tags": ["cliente"],
        },
    )
    if consent:
        contact_services.record_consent(
            contact,
            actor=owner,
            channel=ConsentChannel.EMAIL,
            purpose=ConsentPurpose.MARKETING,
            status=ConsentStatus.GRANTED,
            source="Formulario web",
        )
    if bought_days_ago is not None:
        moment = dt.datetime.combine(
            today() - dt.timedelta(days=bought_days_ago), dt.time(12), ZoneInfo(settings.TIME_ZONE)
        )
        order_services.create_order(
            actor=User.objects.filter(is_superuser=False, role__code="administrador").first()
            or owner,
            data={"contact": contact.pk, "ordered_at": moment.isoformat(), "amount": 250000},
        )
    return contact


# Story 2, as far as the registered conditions go: e-mail marketing consent, bought in the last
# 15 months, birthday in the next 7 days, not tagged "no contactar", in Bogotá or Medellín.
STORY_2 = {
    "all": [
        {"field": "consent", "op": "yes", "channel": "email", "purpose": "marketing"},
        {"field": "last_purchase", "op": "in_last_days", "value": 456},
        {"field": "birthday", "op": "in_next_days", "value": 7},
        {"not": {"field": "tag", "op": "has", "value": "no contactar"}},
        {
            "any": [
                {"field": "city", "op": "is", "value": "Bogotá"},
                {"field": "city", "op": "is", "value": "Medellín"},
            ]
        },
    ]
}


@pytest.fixture
def story(personas: Any) -> dict[str, Contact]:
    """Rep's and rep2's customers: two who belong in the story-2 segment and two who do not."""
    return {
        "ana": customer(personas.rep, "Ana", birthday_in=3, consent=True, bought_days_ago=300),
        "beto": customer(personas.rep, "Beto", birthday_in=3, consent=False, bought_days_ago=30),
        "carla": customer(personas.rep2, "Carla", birthday_in=6, consent=True, bought_days_ago=10),
        "dario": customer(personas.rep2, "Darío", birthday_in=40, consent=True, bought_days_ago=5),
    }


def test_it_creates_the_story_2_segment_and_reads_it_back(personas, client, story):
    body = {"name": "Cumpleaños con consentimiento", "description": "Historia 2"}
    created = call(client, "POST", URL, personas.marketer, {**body, "definition": STORY_2})
    assert created.status_code == 201, created.content
    out = created.json()
    assert out["definition"] == STORY_2  # the tree comes back as it was sent ("not" included)
    assert (out["kind"], out["member_count"], out["scoped"], out["version"]) == (
        "dynamic",
        2,
        False,
        1,
    )
    assert out["url"] == f"http://testserver{URL}/{out['id']}"
    segment = Segment.objects.get(pk=out["id"])
    assert Event.objects.filter(verb=SegmentVerb.SEGMENT_CREATED, via="api").count() == 1

    listed = call(client, "GET", f"{URL}?q=consentimiento", personas.marketer).json()
    assert [(s["id"], s["member_count"]) for s in listed["items"]] == [(segment.pk, 2)]
    assert call(client, "GET", f"{URL}/{segment.pk}/count", personas.marketer).json() == {
        "count": 2,
        "scoped": False,
    }
    members = call(client, "GET", f"{URL}/{segment.pk}/members?ordering=name", personas.marketer)
    names = [m["first_name"] for m in members.json()["items"]]
    assert names == ["Ana", "Carla"]
    assert set(members.json()["items"][0]) >= {"email", "tags", "consents", "owner", "version"}

    why = call(client, "GET", f"{URL}/{segment.pk}/explain/{story['ana'].pk}", personas.marketer)
    assert why.status_code == 200
    assert why.json()["member"] is True
    assert why.json()["entered_at"] is not None
    tree = why.json()["explanation"]
    assert (tree["mode"], tree["matched"], len(tree["children"])) == ("all", True, 5)
    assert tree["children"][3]["mode"] == "not"
    why_not = call(
        client, "GET", f"{URL}/{segment.pk}/explain/{story['beto'].pk}", personas.marketer
    ).json()
    assert why_not["member"] is False and why_not["entered_at"] is None
    consent = why_not["explanation"]["children"][0]
    assert (consent["matched"], consent["label"]) == (False, "Consent granted")


def test_it_reports_definition_errors_at_their_path_in_the_callers_language(personas, client):
    definition = {
        "all": [
            {"field": "tag", "op": "has"},
            {"any": [{"field": "nope", "op": "is", "value": "x"}]},
            {"field": "consent", "op": "yes", "channel": "fax", "purpose": "marketing"},
        ]
    }
    body = {"name": "Mal", "definition": definition}
    before = Segment.objects.count()
    english = call(client, "POST", URL, personas.admin, body)
    assert english.status_code == 400
    assert english.json()["errors"] == {
        "definition.all.0.value": ["Enter a value."],
        "definition.all.1.any.0.field": ["Choose a field from the list."],
        "definition.all.2.channel": ["Choose one of the values offered."],
    }
    spanish = call(client, "POST", URL, personas.admin, body, lang="es").json()
    assert set(spanish["errors"]) == set(english.json()["errors"])
    assert spanish["errors"]["definition.all.0.value"] == ["Introduzca un valor."]
    assert Segment.objects.count() == before


def test_it_refuses_a_definition_on_a_static_list_and_unknown_keys(personas, client):
    before = Segment.objects.count()
    bad = call(
        client, "POST", URL, personas.admin, {"name": "L", "kind": "static", "definition": STORY_2}
    )
    assert bad.status_code == 400 and "definition" in bad.json()["errors"]
    unknown = call(client, "POST", URL, personas.admin, {"name": "L", "colour": "red"})
    assert unknown.json()["errors"] == {"colour": ["Unknown field."]}
    kind = call(client, "POST", URL, personas.admin, {"name": "L", "kind": "smart"})
    assert list(kind.json()["errors"]) == ["kind"]
    assert Segment.objects.count() == before


def test_a_rep_counts_sees_and_explains_only_his_own_members(personas, client, story):
    segment = services.create_segment(
        actor=personas.marketer, data={"name": "Historia 2", "definition": STORY_2}
    )
    rep = personas.rep
    listed = call(client, "GET", f"{URL}?q=Historia", rep).json()["items"]
    assert [(s["member_count"], s["scoped"]) for s in listed] == [(1, True)]
    detail = call(client, "GET", f"{URL}/{segment.pk}", rep).json()
    assert (detail["member_count"], detail["scoped"]) == (1, True)
    assert call(client, "GET", f"{URL}/{segment.pk}/count", rep).json() == {
        "count": 1,
        "scoped": True,
    }
    members = call(client, "GET", f"{URL}/{segment.pk}/members", rep).json()
    assert [m["id"] for m in members["items"]] == [story["ana"].pk]
    assert members["count"] == 1
    hidden = call(client, "GET", f"{URL}/{segment.pk}/explain/{story['carla'].pk}", rep)
    assert hidden.status_code == 404
    assert call(client, "GET", f"{URL}/{segment.pk}/explain/999999", rep).status_code == 404


def test_it_changes_only_the_fields_sent_and_refuses_a_stale_version(personas, client, story):
    segment = services.create_segment(
        actor=personas.admin, data={"name": "Historia 2", "definition": STORY_2}
    )
    renamed = call(
        client, "PATCH", f"{URL}/{segment.pk}", personas.admin, {"name": "Cumpleaños", "version": 1}
    )
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["version"]) == ("Cumpleaños", 2)
    assert renamed.json()["definition"] == STORY_2
    stale = call(
        client, "PATCH", f"{URL}/{segment.pk}", personas.admin, {"name": "Otro", "version": 1}
    )
    assert stale.status_code == 409
    narrower = {"field": "city", "op": "is", "value": "Medellín"}
    changed = call(
        client, "PATCH", f"{URL}/{segment.pk}/", personas.admin, {"definition": narrower}
    )
    assert changed.status_code == 200  # the trailing slash answers too
    assert (changed.json()["definition"], changed.json()["member_count"]) == (narrower, 0)
    refused = call(client, "PATCH", f"{URL}/{segment.pk}", personas.rep, {"name": "Mío"})
    assert refused.status_code == 403
    assert Segment.objects.get(pk=segment.pk).name == "Cumpleaños"


def test_it_refuses_to_delete_a_segment_others_use(personas, client):
    base = SegmentFactory.create(name="Base")
    user = services.create_segment(
        actor=personas.admin,
        data={
            "name": "Usa base",
            "definition": {"field": "segment", "op": "in_segment", "value": base.pk},
        },
    )
    used = call(client, "DELETE", f"{URL}/{base.pk}", personas.admin)
    assert used.status_code == 409
    assert "Usa base" in used.json()["detail"]
    assert call(client, "DELETE", f"{URL}/{user.pk}", personas.admin).status_code == 204
    assert call(client, "DELETE", f"{URL}/{base.pk}", personas.admin).status_code == 204
    assert call(client, "GET", f"{URL}/{base.pk}", personas.admin).status_code == 404


def test_it_edits_a_static_list_with_contacts_the_caller_may_see(personas, client, story):
    created = call(client, "POST", URL, personas.admin, {"name": "Feria", "kind": "static"})
    assert created.status_code == 201
    assert (created.json()["definition"], created.json()["member_count"]) == (None, 0)
    url = f"{URL}/{created.json()['id']}/members"
    ids = [story["ana"].pk, story["carla"].pk]
    added = call(client, "POST", url, personas.admin, {"contact_ids": [*ids, ids[0]]})
    assert added.json() == {"changed": 2, "member_count": 2}
    again = call(client, "POST", url, personas.admin, {"contact_ids": ids})
    assert again.json() == {"changed": 0, "member_count": 2}
    removed = call(client, "POST", f"{url}/remove", personas.admin, {"contact_ids": [ids[0]]})
    assert removed.json() == {"changed": 1, "member_count": 1}
    members = call(client, "GET", url, personas.admin).json()
    assert [m["id"] for m in members["items"]] == [story["carla"].pk]
    # A history of stays is kept: Ana entered and left.
    assert Membership.objects.filter(contact=story["ana"], left_at__isnull=False).count() == 1


def test_list_edits_refuse_contacts_the_caller_may_not_see_and_dynamic_segments(
    personas, client, story
):
    personas.roles["comercial"].capabilities = [
        *personas.roles["comercial"].capabilities,
        "segments.manage",
    ]
    personas.roles["comercial"].save()
    listed = services.create_segment(
        actor=personas.admin, data={"name": "L"}, kind=SegmentKind.STATIC
    )
    hidden = call(
        client,
        "POST",
        f"{URL}/{listed.pk}/members",
        personas.rep,
        {"contact_ids": [story["ana"].pk, story["carla"].pk]},
    )
    assert hidden.status_code == 400
    assert hidden.json()["errors"]["contact_ids"] == [
        f"No contact you may see has these ids: {story['carla'].pk}."
    ]
    assert not Membership.objects.filter(segment=listed).exists()
    dynamic = services.create_segment(
        actor=personas.admin, data={"name": "D", "definition": STORY_2}
    )
    refused = call(
        client,
        "POST",
        f"{URL}/{dynamic.pk}/members",
        personas.admin,
        {"contact_ids": [story["ana"].pk]},
    )
    assert refused.status_code == 400 and "segment" in refused.json()["errors"]
    too_many = call(
        client, "POST", f"{URL}/{listed.pk}/members", personas.admin, {"contact_ids": []}
    )
    assert too_many.status_code == 400


def test_the_condition_catalogue_speaks_the_callers_language(personas, client):
    SegmentFactory.create(name="VIP")
    english = {c["field"]: c for c in call(client, "GET", f"{URL}/conditions", personas.rep).json()}
    spanish = {
        c["field"]: c
        for c in call(client, "GET", f"{URL}/conditions", personas.rep, lang="es").json()
    }
    assert (
        set(english) == set(spanish) >= {"tag", "consent", "birthday", "last_purchase", "segment"}
    )
    consent = english["consent"]
    assert [o["code"] for o in consent["operators"]] == ["yes", "no"]
    assert [p["name"] for p in consent["params"]] == ["channel", "purpose"]
    assert {"value": "email", "label": "E-mail"} in consent["params"][0]["choices"] or consent[
        "params"
    ][0]["choices"]
    birthday_ops = {o["code"]: o["operand"] for o in english["birthday"]["operators"]}
    assert birthday_ops["in_next_days"] == "days"
    assert "VIP" in [c["label"] for c in english["segment"]["choices"]]
    assert english["tag"]["label"] != spanish["tag"]["label"]
    assert english["tag"]["choices"] is None


def test_the_document_publishes_the_definition_as_a_recursive_schema():
    document = api.get_openapi_schema()
    schemas = document["components"]["schemas"]
    node = [
        {"$ref": f"#/components/schemas/{name}"}
        for name in ("SegmentAll", "SegmentAny", "SegmentNot", "SegmentCondition")
    ]
    assert schemas["SegmentAll"]["properties"]["all"]["items"]["anyOf"] == node
    assert schemas["SegmentNot"]["properties"]["not"]["anyOf"] == node
    assert schemas["SegmentIn"]["properties"]["definition"]["anyOf"][:4] == node
    assert {"field", "op", "value"} <= set(schemas["SegmentCondition"]["properties"])
    post = document["paths"]["/api/v1/segments"]["post"]["responses"]
    assert {"201", "400", "401", "403", "429"} <= {str(s) for s in post}
    delete = document["paths"]["/api/v1/segments/{segment_id}"]["delete"]["responses"]
    assert {"204", "403", "404", "409"} <= {str(s) for s in delete}


def test_lists_read_in_a_fixed_number_of_queries(personas, client, story):
    for index in range(3):
        services.create_segment(
            actor=personas.admin, data={"name": f"S{index}", "definition": STORY_2}
        )
    listed = services.create_segment(
        actor=personas.admin, data={"name": "L"}, kind=SegmentKind.STATIC
    )
    services.add_to_list(listed, [c.pk for c in story.values()], actor=personas.admin)
    for user, limit in ((personas.admin, 4), (personas.rep, 5)):
        headers = {**bearer(user), "HTTP_ACCEPT_LANGUAGE": "en"}
        for url in (URL, f"{URL}/{listed.pk}/members"):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, **headers)
            assert response.status_code == 200
            # token, user and role, the count and the page (+ the rep's visible counts)
            assert len(queries) <= limit, (url, [q["sql"] for q in queries])


def test_ready_made_segments_read_in_the_callers_language(personas, client):
    url = f"{URL}?limit=200"
    english = {s["code"]: s for s in call(client, "GET", url, personas.rep).json()["items"]}
    spanish = {
        s["code"]: s for s in call(client, "GET", url, personas.rep, lang="es").json()["items"]
    }
    assert english["birthdays_next_7_days"]["name"] == "Birthdays in the next 7 days"
    assert spanish["birthdays_next_7_days"]["name"] == "Cumpleaños en los próximos 7 días"
    segment_id = english["birthdays_next_7_days"]["id"]
    changed = call(
        client, "PATCH", f"{URL}/{segment_id}", personas.admin, {"description": "Oferta"}
    )
    assert (changed.json()["name"], changed.json()["description"]) == (
        "Birthdays in the next 7 days",
        "Oferta",
    )


def test_it_finds_ready_made_segments_by_their_name_in_the_callers_language(personas, client):
    found = call(client, "GET", f"{URL}?q=próximos 7", personas.rep, lang="es").json()["items"]
    assert [s["code"] for s in found] == ["birthdays_next_7_days"]
    found = call(client, "GET", f"{URL}?q=next 7 DAYS", personas.rep).json()["items"]
    assert [s["code"] for s in found] == ["birthdays_next_7_days"]
    assert call(client, "GET", f"{URL}?q=próximos 7", personas.rep).json()["items"] == []


def _documented_story_2() -> dict[str, Any]:
    """The body of the curl example in docs/api.md that creates the story-2 segment."""
    text = (settings.BASE_DIR.parent / "docs" / "api.md").read_text(encoding="utf-8")
    example = text.split("curl -X POST https://crm.example.co/api/v1/segments", 1)[1]
    body = example.split("-d '", 1)[1].split("'\n", 1)[0]
    return cast(dict[str, Any], json.loads(body))


def test_the_documented_story_2_example_creates_its_segment(personas, client, story):
    body = _documented_story_2()
    assert any(c.get("field") == "rfm_segment" for c in body["definition"]["all"])
    response = call(client, "POST", URL, personas.marketer, body)
    assert response.status_code == 201, response.content
    assert response.json()["definition"] == body["definition"]
