"""The deal screens: board, moves from the board and its menu, list and export, settings."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.deals.models import Deal, StageHistory
from clientela.deals.tests.factories import DealFactory, build_world, stage_named
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def signed_in(client: Client, user: Any) -> Client:
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_it_shows_the_board_with_counts_and_sums(client: Client, personas: Any) -> None:
    world = build_world(personas)
    nuevo = stage_named(world.pipeline, "Nuevo")
    DealFactory.create(
        owner=personas.rep, pipeline=world.pipeline, stage=nuevo, title="Lote <b>9</b>"
    )
    page = signed_in(client, personas.rep).get(
        reverse("deals:pipeline_board", args=[world.pipeline.pk])
    )
    html = page.content.decode()
    assert page.status_code == 200
    column = next(c for c in page.context["columns"] if c.stage == nuevo)
    assert (column.count, column.total) == (2, Decimal("55000000"))
    assert "Lote &lt;b&gt;9&lt;/b&gt;" in html and world.other_deal.title not in html
    assert "vendor/sortablejs/Sortable.min.js" in html


def test_it_pins_the_board_query_count(client: Client, personas: Any) -> None:
    world = build_world(personas)
    signed_in(client, personas.manager)
    url = reverse("deals:pipeline_board", args=[world.pipeline.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for stage in world.pipeline.stages.all():
        for _ in range(4):
            DealFactory.create(owner=personas.rep, pipeline=world.pipeline, stage=stage)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    # One GROUP BY for the columns and one keyset query per non-empty column.
    assert len(many) - len(few) <= len(world.pipeline.stages.all())


def test_it_moves_a_card_from_the_board_and_explains_a_conflict(
    client: Client, personas: Any
) -> None:
    world = build_world(personas)
    url = reverse("deals:deal_move", args=[world.deal.pk])
    signed_in(client, personas.rep)
    ok = client.post(
        url, {"stage": world.next_stage.pk, "version": 1}, HTTP_ACCEPT="application/json"
    )
    assert ok.status_code == 200 and ok.json() == {"version": 2, "stage": world.next_stage.pk}
    stale = client.post(url, {"stage": world.won.pk, "version": 1}, HTTP_ACCEPT="application/json")
    assert stale.status_code == 409 and stale.json()["version"] == 2
    assert "Someone else changed this deal meanwhile" in stale.json()["detail"]
    why = client.post(url, {"stage": world.lost.pk, "version": 2}, HTTP_ACCEPT="application/json")
    assert why.status_code == 400 and why.json()["errors"]["lost_reason"]
    lost = client.post(
        url, {"stage": world.lost.pk, "version": 2, "lost_reason": world.reason.pk},
        HTTP_ACCEPT="application/json",
    )  # fmt: skip
    assert lost.status_code == 200
    world.deal.refresh_from_db()
    assert (world.deal.state, world.deal.lost_reason) == ("lost", world.reason)
    assert StageHistory.objects.filter(deal=world.deal).count() == 3


def test_it_asks_the_lost_reason_when_the_menu_moves_to_lost(client: Client, personas: Any) -> None:
    world = build_world(personas)
    page = signed_in(client, personas.rep).post(
        reverse("deals:deal_move", args=[world.deal.pk]), {"stage": world.lost.pk}
    )
    assert page.status_code == 400
    assert "Say why the deal was lost." in page.content.decode()
    world.deal.refresh_from_db()
    assert world.deal.state == "open"


def test_it_quick_creates_in_a_column(client: Client, personas: Any) -> None:
    world = build_world(personas)
    answer = signed_in(client, personas.rep).post(
        reverse("deals:quick_create", args=[world.pipeline.pk]),
        {"title": "Lote 44", "amount": "1500", "currency": "COP", "stage": world.next_stage.pk},
    )
    assert answer.status_code == 302
    deal = Deal.objects.get(title="Lote 44")
    assert (deal.stage, deal.owner, deal.amount) == (world.next_stage, personas.rep, Decimal(1500))


def test_it_shows_the_missing_rate_on_the_deal_form(client: Client, personas: Any) -> None:
    world = build_world(personas)
    page = signed_in(client, personas.rep).post(
        reverse("deals:deal_create"),
        {"pipeline": world.pipeline.pk, "title": "Lote 3", "amount": "10", "currency": "EUR"},
    )
    assert page.status_code == 200
    message = page.context["form"].errors["currency"][0]
    assert "EUR" in message and "2" in message  # names the currency and the day (es or en)
    assert not Deal.objects.filter(title="Lote 3").exists()


def test_it_exports_the_filtered_list(client: Client, personas: Any) -> None:
    world = build_world(personas)
    signed_in(client, personas.manager)
    listing = client.get(reverse("deals:deal_list"), {"owner": personas.rep2.pk})
    assert [d.pk for d in listing.context["page"].rows] == [world.other_deal.pk]
    answer = client.get(reverse("deals:deal_export", args=["csv"]), {"owner": personas.rep2.pk})
    text = b"".join(answer.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:2] == ["id", "title"] and [r[1] for r in rows[1:]] == [world.other_deal.title]
    assert Event.objects.filter(verb="exported").count() == 1


def test_it_shows_the_deal_on_the_contact_card_and_its_timeline(
    client: Client, personas: Any
) -> None:
    world = build_world(personas)
    signed_in(client, personas.rep)
    client.post(reverse("deals:deal_move", args=[world.deal.pk]), {"stage": world.next_stage.pk})
    card = client.get(reverse("contacts:contact_detail", args=[world.contact.pk])).content.decode()
    assert world.deal.title in card and "No next step" in card
    assert "moved the deal" in card
    detail = client.get(reverse("deals:deal_detail", args=[world.deal.pk])).content.decode()
    assert "moved the deal" in detail and "Agendado" in detail


def test_it_removes_a_stage_only_by_moving_its_deals(client: Client, personas: Any) -> None:
    world = build_world(personas)
    nuevo = stage_named(world.pipeline, "Nuevo")
    signed_in(client, personas.admin)
    url = reverse("deals:stage_remove", args=[world.pipeline.pk, nuevo.pk])
    refused = client.post(url, {}, follow=True)
    assert "This stage holds 2 deals" in refused.content.decode()
    client.post(url, {"move_to": world.next_stage.pk})
    assert set(Deal.objects.values_list("stage", flat=True)) == {world.next_stage.pk}


def test_the_contact_is_picked_on_create_and_changed_on_edit(client: Client, personas: Any) -> None:
    world = build_world(personas)
    rep = signed_in(client, personas.rep)
    form = rep.get(reverse("deals:deal_create"), {"pipeline": world.pipeline.pk})
    assert "data-contact-picker" in form.content.decode()
    answer = rep.post(
        reverse("deals:deal_create"),
        {"pipeline": world.pipeline.pk, "title": "Lote 12", "contact": world.contact.pk,
         "currency": "COP", "amount": "0"},
    )  # fmt: skip
    assert answer.status_code == 302
    deal = Deal.objects.get(title="Lote 12")
    assert deal.contact == world.contact
    edit = reverse("deals:deal_edit", args=[deal.pk])
    base = {"title": "Lote 12", "currency": "COP", "amount": "0", "version": deal.version}
    # Removing the contact keeps the deal; the timeline of the deal says so.
    assert rep.post(edit, {**base, "contact": ""}).status_code == 302
    deal.refresh_from_db()
    assert deal.contact is None
    # A contact the rep may not see cannot be attached by typing its id.
    stale = rep.post(edit, {**base, "version": deal.version, "contact": world.other_contact.pk})
    assert stale.status_code == 404
    deal.refresh_from_db()
    assert deal.contact is None
    assert (
        rep.post(edit, {**base, "version": deal.version, "contact": world.contact.pk}).status_code
        == 302
    )
    deal.refresh_from_db()
    assert deal.contact == world.contact


def test_editing_keeps_a_contact_the_editor_cannot_open(client: Client, personas: Any) -> None:
    world = build_world(personas)
    deal = world.other_deal  # rep2's deal with rep2's contact; the manager sees both
    manager = signed_in(client, personas.manager)
    answer = manager.post(
        reverse("deals:deal_edit", args=[deal.pk]),
        {"title": "Nuevo nombre", "currency": deal.currency, "amount": str(deal.amount),
         "version": deal.version, "contact": deal.contact_id},
    )  # fmt: skip
    assert answer.status_code == 302
    deal.refresh_from_db()
    assert (deal.title, deal.contact_id) == ("Nuevo nombre", world.other_contact.pk)
