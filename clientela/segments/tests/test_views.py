"""The segment screens: list, builder and live preview, detail, why / why not, lists, export."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.core.testing import client_for
from clientela.segments.models import Membership, Segment
from clientela.segments.tests.factories import VIP, ScreensWorld, build_screens_world
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas: Any) -> ScreensWorld:
    """Ana (rep's) and Bruno (rep2's), a VIP segment, a list with Ana, a segment using both."""
    return build_screens_world(personas)


def as_user(client: Client, user: Any, language: str = "en") -> Any:
    """The client signed in as `user`."""
    return client_for(client, user, language)


def test_it_lists_segments_with_the_members_each_viewer_may_see(
    client: Client, world: ScreensWorld
) -> None:
    page = as_user(client, world.personas.manager).get(reverse("segments:list"))
    assert page.status_code == 200
    rows = {segment.name: count for segment, count in page.context["rows"]}
    assert rows["Clientes VIP"] == 2
    assert not page.context["scoped"]
    page = as_user(Client(), world.personas.rep).get(reverse("segments:list"))
    # Ready-made segments (no stored name) are listed too; this world's contacts are in none.
    rows = {segment.name: count for segment, count in page.context["rows"] if segment.name}
    assert rows == {"Clientes VIP": 1, "Feria de vivienda": 1, "VIP de la feria": 1}
    assert all(count == 0 for segment, count in page.context["rows"] if segment.code)
    assert page.context["scoped"]
    assert "Members you can see" in page.content.decode()
    assert "New segment" not in page.content.decode()


def test_it_shows_a_rep_only_his_own_members_and_says_so(
    client: Client, world: ScreensWorld
) -> None:
    page = as_user(client, world.personas.rep, "es").get(
        reverse("segments:detail", args=[world.vip.pk])
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert "1 contacto que usted puede ver" in html
    assert "Ana Restrepo" in html
    assert "Bruno" not in html
    page = as_user(Client(), world.personas.manager).get(
        reverse("segments:detail", args=[world.vip.pk])
    )
    html = page.content.decode()
    assert "2 contacts" in html and "you can see" not in html
    assert "Bruno Díaz" in html and "Ana Restrepo" in html


def test_the_detail_page_describes_conditions_growth_and_links(
    client: Client, world: ScreensWorld
) -> None:
    html = (
        as_user(client, world.personas.marketer)
        .get(reverse("segments:detail", args=[world.vip.pk]))
        .content.decode()
    )
    assert "Tag</strong> has" in html and "vip" in html
    assert f"/contacts/?segment={world.vip.pk}" in html
    assert reverse("segments:why", args=[world.vip.pk, world.ana.pk]) in html
    assert reverse("segments:export", args=[world.vip.pk, "csv"]) in html
    assert reverse("segments:save_as_list", args=[world.vip.pk]) in html
    assert "Entries and exits" in html


def test_it_answers_404_for_a_segment_that_does_not_exist(
    client: Client, world: ScreensWorld
) -> None:
    world.vip.deleted_at = world.vip.created_at
    world.vip.save()
    c = as_user(client, world.personas.admin)
    assert c.get(reverse("segments:detail", args=[world.vip.pk])).status_code == 404
    assert c.get(reverse("segments:detail", args=[987654])).status_code == 404


def test_the_builder_saves_a_segment_and_shows_errors_at_their_place(
    client: Client, world: ScreensWorld
) -> None:
    c = as_user(client, world.personas.marketer)
    assert c.get(reverse("segments:create")).status_code == 200
    bad = {
        "all": [
            {"field": "tag", "op": "has", "value": "vip"},
            {"any": [{"field": "city", "op": "is"}, {"field": "nope", "op": "is"}]},
        ]
    }
    page = c.post(reverse("segments:create"), {"name": "Mal", "definition": json.dumps(bad)})
    assert page.status_code == 200
    errors = page.context["tree_errors"]
    assert set(errors) == {"all.1.any.0.value", "all.1.any.1.field"}
    assert page.context["definition"] == bad  # nothing the user built is lost
    assert not Segment.objects.filter(name="Mal").exists()
    good = {"all": [{"field": "tag", "op": "has", "value": "vip"}]}
    page = c.post(reverse("segments:create"), {"name": "Bien", "definition": json.dumps(good)})
    segment = Segment.objects.get(name="Bien")
    assert page.status_code == 302 and page["Location"] == reverse(
        "segments:detail", args=[segment.pk]
    )
    assert segment.member_count == 2


def test_the_builder_errors_read_in_spanish(client: Client, world: ScreensWorld) -> None:
    c = as_user(client, world.personas.marketer, "es")
    definition = json.dumps({"all": [{"field": "city", "op": "is"}]})
    page = c.post(reverse("segments:create"), {"name": "X", "definition": definition})
    assert page.context["tree_errors"] == {"all.0.value": ["Introduzca un valor."]}


def test_the_preview_counts_what_the_viewer_may_see(client: Client, world: ScreensWorld) -> None:
    c = as_user(client, world.personas.admin)
    answer = c.post(reverse("segments:preview"), {"definition": json.dumps(VIP)}).json()
    assert answer["count"] == 2 and answer["errors"] == {}
    assert answer["count_text"] == "2 contacts"
    assert sorted(m["name"] for m in answer["members"]) == ["Ana Restrepo", "Bruno Díaz"]
    nobody = {"all": [{"field": "city", "op": "is", "value": "Nowhere at all"}]}
    empty = c.post(reverse("segments:preview"), {"definition": json.dumps(nobody)}).json()
    assert (empty["count"], empty["members"], empty["errors"]) == (0, [], {})
    broken = c.post(reverse("segments:preview"), {"definition": "{"}).json()
    assert broken["errors"][""]
    wrong = c.post(
        reverse("segments:preview"), {"definition": json.dumps({"all": [{"field": "tag"}]})}
    ).json()
    assert wrong["errors"] == {"all.0.op": ["Choose an operator this field offers."]}


def test_a_rep_may_not_build_segments(client: Client, world: ScreensWorld) -> None:
    c = as_user(client, world.personas.rep)
    assert c.get(reverse("segments:create")).status_code == 403
    assert c.post(reverse("segments:preview"), {"definition": "{}"}).status_code == 403
    assert c.get(reverse("segments:edit", args=[world.vip.pk])).status_code == 403
    assert c.post(reverse("segments:delete", args=[world.vip.pk])).status_code == 403


def test_it_edits_a_segment_and_refuses_a_stale_version(
    client: Client, world: ScreensWorld
) -> None:
    c = as_user(client, world.personas.manager)
    url = reverse("segments:edit", args=[world.vip.pk])
    page = c.get(url)
    assert page.context["definition"] == world.vip.definition
    definition = json.dumps({"all": [{"field": "first_name", "op": "is", "value": "Ana"}]})
    version = world.vip.version
    answer = c.post(url, {"name": "Solo Ana", "definition": definition, "version": version})
    assert answer.status_code == 302
    world.vip.refresh_from_db()
    assert world.vip.name == "Solo Ana" and world.vip.member_count == 1
    stale = c.post(url, {"name": "Otra", "definition": definition, "version": version})
    assert stale.status_code == 200
    assert "Someone else changed this segment" in stale.content.decode()


def test_a_segment_cannot_contain_itself(client: Client, world: ScreensWorld) -> None:
    c = as_user(client, world.personas.manager)
    definition = json.dumps(
        {"all": [{"field": "segment", "op": "in_segment", "value": world.vip.pk}]}
    )
    page = c.post(
        reverse("segments:edit", args=[world.vip.pk]), {"name": "VIP", "definition": definition}
    )
    assert page.context["tree_errors"] == {
        "": ["A segment cannot contain itself, directly or through other segments."]
    }


def test_it_refuses_to_delete_a_segment_another_one_uses(
    client: Client, world: ScreensWorld
) -> None:
    c = as_user(client, world.personas.admin)
    url = reverse("segments:delete", args=[world.vip.pk])
    assert "VIP de la feria" in c.get(url).content.decode()
    answer = c.post(url, follow=True)
    assert "use this one; change them first" in answer.content.decode()
    assert Segment.objects.get(pk=world.vip.pk).deleted_at is None
    answer = c.post(reverse("segments:delete", args=[world.uses_vip.pk]))
    assert answer.status_code == 302 and answer["Location"] == reverse("segments:list")
    assert Segment.objects.get(pk=world.uses_vip.pk).deleted_at is not None


def test_why_explains_each_condition_for_a_visible_contact_only(
    client: Client, world: ScreensWorld
) -> None:
    c = as_user(client, world.personas.rep)
    page = c.get(reverse("segments:why", args=[world.vip.pk, world.ana.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ana Restrepo is in “Clientes VIP”" in html
    assert "✓" in html and "value: vip" in html
    assert c.get(reverse("segments:why", args=[world.vip.pk, world.bruno.pk])).status_code == 404


def test_why_not_finds_a_contact_by_name_and_explains_the_miss(
    client: Client, world: ScreensWorld
) -> None:
    c = as_user(client, world.personas.manager)
    found = c.get(reverse("segments:why_not", args=[world.uses_vip.pk]), {"q": "bruno"})
    assert found.status_code == 200
    why_url = reverse("segments:why", args=[world.uses_vip.pk, world.bruno.pk])
    assert why_url in found.content.decode()
    page = c.get(why_url).content.decode()
    assert "Bruno Díaz is not in “VIP de la feria”" in page and "✗" in page
    rep_search = as_user(Client(), world.personas.rep).get(
        reverse("segments:why_not", args=[world.uses_vip.pk]), {"q": "bruno"}
    )
    assert "No contact you can see matches" in rep_search.content.decode()


def test_it_edits_a_static_list_by_hand(client: Client, world: ScreensWorld) -> None:
    c = as_user(client, world.personas.marketer)
    found = c.get(reverse("segments:list_candidates", args=[world.feria.pk]), {"q": "Díaz"})
    assert "Bruno Díaz" in found.content.decode()
    assert "Ana" not in found.content.decode()  # already in the list
    c.post(reverse("segments:list_add", args=[world.feria.pk]), {"contact": [world.bruno.pk]})
    world.feria.refresh_from_db()
    assert world.feria.member_count == 2
    c.post(reverse("segments:list_remove", args=[world.feria.pk]), {"contact": [world.ana.pk]})
    open_ids = set(
        Membership.objects.filter(segment=world.feria, left_at__isnull=True).values_list(
            "contact_id", flat=True
        )
    )
    assert open_ids == {world.bruno.pk}
    bad = c.post(reverse("segments:list_add", args=[world.feria.pk]), {"contact": ["x" * 30]})
    assert bad.status_code == 302
    # A dynamic segment is not edited by hand.
    dynamic = reverse("segments:list_add", args=[world.vip.pk])
    assert c.post(dynamic, {"contact": [world.ana.pk]}).status_code == 404


def test_it_saves_a_segments_current_members_as_a_list(client: Client, world: ScreensWorld) -> None:
    c = as_user(client, world.personas.marketer)
    answer = c.post(reverse("segments:save_as_list", args=[world.vip.pk]), {"name": "Foto VIP"})
    saved = Segment.objects.get(name="Foto VIP")
    assert answer["Location"] == reverse("segments:detail", args=[saved.pk])
    assert saved.is_static and saved.member_count == 2


def test_it_creates_an_empty_static_list(client: Client, world: ScreensWorld) -> None:
    c = as_user(client, world.personas.manager)
    assert c.get(reverse("segments:list_create")).status_code == 200
    answer = c.post(reverse("segments:list_create"), {"name": "Invitados"})
    created = Segment.objects.get(name="Invitados")
    assert answer["Location"] == reverse("segments:detail", args=[created.pk])
    assert created.is_static
    page = c.get(reverse("segments:edit", args=[created.pk]))
    assert page.status_code == 200 and "Edit list" in page.content.decode()


def test_the_export_holds_only_visible_members_and_leaves_its_event(
    client: Client, world: ScreensWorld
) -> None:
    c = as_user(client, world.personas.admin)
    before = Event.objects.filter(verb="exported").count()
    answer = c.get(reverse("segments:export", args=[world.vip.pk, "csv"]))
    text = b"".join(answer.streaming_content).decode("utf-8-sig")
    assert "Ana" in text and "Bruno" in text
    assert Event.objects.filter(verb="exported").count() == before + 1
    assert (
        as_user(Client(), world.personas.rep)
        .get(reverse("segments:export", args=[world.vip.pk, "csv"]))
        .status_code
        == 403
    )


def test_the_sidebar_offers_segments(client: Client, world: ScreensWorld) -> None:
    html = as_user(client, world.personas.rep, "es").get(reverse("core:home")).content.decode()
    assert f'href="{reverse("segments:list")}"' in html and "Segmentos" in html


def test_growth_counts_only_the_members_a_rep_may_see(client: Client, world: ScreensWorld) -> None:
    page = as_user(client, world.personas.rep).get(reverse("segments:detail", args=[world.vip.pk]))
    assert [(day.entered, day.left) for day in page.context["growth"]] == [(1, 0)]
    page = as_user(Client(), world.personas.admin).get(
        reverse("segments:detail", args=[world.vip.pk])
    )
    assert [(day.entered, day.left) for day in page.context["growth"]] == [(2, 0)]


def test_paging_members_with_htmx_answers_only_the_members(
    client: Client, world: ScreensWorld
) -> None:
    page = as_user(client, world.personas.admin).get(
        reverse("segments:detail", args=[world.vip.pk]),
        headers={"HX-Request": "true", "HX-Target": "members"},
    )
    html = page.content.decode()
    assert html.lstrip().startswith('<section class="panel" id="members"')
    assert "Ana Restrepo" in html and "<html" not in html
