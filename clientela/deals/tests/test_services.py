from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from clientela.activities.models import Activity
from clientela.contacts.tests.factories import EnteredCompanyFactory, EnteredContactFactory
from clientela.core.exceptions import Forbidden, NotFound, ValidationFailed
from clientela.deals import services
from clientela.deals.choices import DealVerb, StageKind
from clientela.deals.models import Deal, LostReason, Pipeline, StageHistory
from clientela.deals.queries import (
    DealFilters,
    board,
    column_cards,
    deals_visible_to,
    decode_after,
    filter_deals,
    get_deal_for_move,
    get_deal_for_user,
    has_earlier_win,
    is_rotting,
    may_change,
    pipelines_visible_to,
    with_card_facts,
)
from clientela.deals.tests.factories import (
    DealFactory,
    EnteredDealFactory,
    LostReasonFactory,
    days_ago,
    real_estate_pipeline,
    stage_named,
)
from clientela.orders import services as order_services
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def next_step(deal: Deal) -> bool:
    return bool(deal.has_next_step)  # type: ignore[attr-defined]


@pytest.fixture
def pipeline():
    return real_estate_pipeline()


def test_it_converts_the_amount_to_the_company_currency_at_the_days_rate(personas, pipeline):
    order_services.set_rate(actor=personas.admin, currency="USD", day="2020-01-01", rate="4100.5")
    deal = EnteredDealFactory.create(
        actor=personas.rep, pipeline=pipeline, amount="25000", currency="usd"
    )
    assert (deal.currency, deal.amount, deal.rate) == (
        "USD",
        Decimal("25000.00"),
        Decimal("4100.5"),
    )
    assert deal.amount_company == Decimal("102512500.00")


def test_it_names_the_missing_rate_instead_of_using_one(personas, pipeline):
    with pytest.raises(ValidationFailed) as caught:
        EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, amount=10, currency="EUR")
    message = caught.value.errors["currency"][0]
    assert "EUR" in message and timezone.localdate().isoformat() in message
    assert not Deal.objects.exists()


def test_it_inherits_source_and_utm_from_the_contact(personas, pipeline):
    contact = EnteredContactFactory.create(
        actor=personas.rep, source="facebook", first_utm_source="facebook",
        first_utm_medium="cpc", first_utm_campaign="webinar-lotes",
    )  # fmt: skip
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, contact=contact)
    assert (deal.source, deal.utm_source, deal.utm_medium, deal.utm_campaign) == (
        "facebook", "facebook", "cpc", "webinar-lotes",
    )  # fmt: skip


def test_it_starts_in_the_first_open_stage_with_one_open_stay(personas, pipeline):
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    assert deal.stage.name == "Nuevo" and deal.state == StageKind.OPEN
    stay = StageHistory.objects.get(deal=deal)
    assert (stay.stage_id, stay.left_at, stay.entered_by) == (deal.stage_id, None, personas.rep)


def test_it_moves_with_history_and_tells_both_timelines(personas, pipeline):
    contact = EnteredContactFactory.create(actor=personas.rep)
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, contact=contact)
    agendado = stage_named(pipeline, "Agendado")
    moved = services.move_deal(deal, stage=agendado, actor=personas.rep, expected_version=1)
    assert (moved.stage, moved.version) == (agendado, 2)
    stays = list(StageHistory.objects.filter(deal=deal).order_by("entered_at", "id"))
    assert [s.stage.name for s in stays] == ["Nuevo", "Agendado"]
    assert stays[0].left_at == stays[1].entered_at and stays[0].left_by == personas.rep
    assert stays[1].left_at is None
    event = Event.objects.get(verb=DealVerb.MOVED)
    assert (event.contact_id, event.target_id) == (contact.pk, str(deal.pk))
    assert event.data["from_stage"] == "Nuevo" and event.data["stage"] == "Agendado"


def test_it_refuses_a_loss_without_a_reason_and_keeps_the_deal(personas, pipeline):
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    with pytest.raises(ValidationFailed) as caught:
        services.move_deal(deal, stage=stage_named(pipeline, "Cierre perdido"), actor=personas.rep)
    assert "lost_reason" in caught.value.errors
    deal.refresh_from_db()
    assert deal.stage.name == "Nuevo" and StageHistory.objects.filter(deal=deal).count() == 1


def test_it_closes_a_lost_deal_with_its_reason_and_reopens_it(personas, pipeline):
    reason = LostReasonFactory.create(name="Precio")
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    lost = services.move_deal(
        deal, stage=stage_named(pipeline, "Cierre perdido"), actor=personas.rep,
        lost_reason=reason, lost_note="Compró en Texas",
    )  # fmt: skip
    assert (lost.state, lost.lost_reason, lost.lost_note) == ("lost", reason, "Compró en Texas")
    assert lost.closed_at is not None
    reopened = services.move_deal(
        lost, stage=stage_named(pipeline, "Nutrición"), actor=personas.rep
    )
    assert (reopened.state, reopened.lost_reason, reopened.closed_at) == ("open", None, None)


def test_it_refuses_an_inactive_lost_reason(personas, pipeline):
    reason = LostReasonFactory.create(is_active=False)
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    with pytest.raises(ValidationFailed) as caught:
        services.move_deal(
            deal, stage=stage_named(pipeline, "Cierre perdido"), actor=personas.rep,
            lost_reason=reason,
        )  # fmt: skip
    assert "lost_reason" in caught.value.errors


def test_it_refuses_a_stale_version_and_names_the_current_one(personas, pipeline):
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    services.move_deal(deal, stage=stage_named(pipeline, "Agendado"), actor=personas.manager)
    with pytest.raises(services.StaleVersion) as caught:
        services.move_deal(
            deal, stage=stage_named(pipeline, "Cotizado"), actor=personas.rep, expected_version=1
        )
    assert caught.value.current == 2 and "Agendado" in str(caught.value)
    assert StageHistory.objects.filter(deal=deal, left_at__isnull=True).count() == 1


def test_it_lets_only_who_may_reassign_give_a_deal_away(personas, pipeline):
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    with pytest.raises(Forbidden):
        services.update_deal(deal, actor=personas.rep, data={"owner": personas.rep2})
    changed = services.update_deal(deal, actor=personas.admin, data={"owner": personas.rep2})
    assert changed.owner == personas.rep2
    event = Event.objects.get(verb=DealVerb.CHANGED)
    assert event.data["previous_owner_id"] == personas.rep.pk


def test_it_records_changed_fields_and_reconverts_a_new_amount(personas, pipeline):
    order_services.set_rate(actor=personas.admin, currency="USD", day="2020-01-01", rate="4000")
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, amount=100)
    changed = services.update_deal(
        deal, actor=personas.rep,
        data={"amount": "2500", "currency": "USD", "authority": "family", "attendance": "yes"},
        expected_version=1,
    )  # fmt: skip
    assert changed.amount_company == Decimal("10000000.00") and changed.version == 2
    changes = Event.objects.get(verb=DealVerb.CHANGED).data["changes"]
    assert changes["authority"] == ["", "family"] and changes["currency"] == ["COP", "USD"]


def test_it_refuses_bad_values_field_by_field(personas, pipeline):
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    for data, field in (
        ({"amount": "-5"}, "amount"),
        ({"amount": "1e30"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"currency": "dollars"}, "currency"),
        ({"title": "  "}, "title"),
        ({"authority": "king"}, "authority"),
        ({"expected_close": "2026-13-45"}, "expected_close"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            services.update_deal(deal, actor=personas.rep, data=data)
        assert field in caught.value.errors, data
    deal.refresh_from_db()
    assert deal.version == 1


def test_it_flags_a_repeat_sale_from_an_earlier_win(personas, pipeline):
    contact = EnteredContactFactory.create(actor=personas.rep)
    first = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, contact=contact)
    second = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, contact=contact)
    assert not has_earlier_win(second)
    services.move_deal(first, stage=stage_named(pipeline, "Cierre ganado"), actor=personas.rep)
    # `second` was opened before the first win: not a repeat sale; one opened after it is.
    assert not has_earlier_win(second) and not has_earlier_win(first)
    third = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, contact=contact)
    assert has_earlier_win(third)
    facts = with_card_facts(Deal.objects.filter(pk__in=[second.pk, third.pk])).order_by("pk")
    assert [d.repeat_sale for d in facts] == [False, True]  # type: ignore[attr-defined]


def test_it_flags_no_next_step_and_rotting(personas, pipeline):
    contact = EnteredContactFactory.create(actor=personas.rep)
    deal = EnteredDealFactory.create(
        actor=personas.rep, pipeline=pipeline, contact=contact, at=days_ago(5)
    )
    facts = with_card_facts(Deal.objects.filter(pk=deal.pk)).select_related("stage").get()
    assert not next_step(facts) and is_rotting(facts)  # Nuevo rots after 3 days
    services.plan_next_step(
        deal, actor=personas.rep, subject="Llamar", due_at=timezone.now() + dt.timedelta(days=1)
    )
    facts = with_card_facts(Deal.objects.filter(pk=deal.pk)).select_related("stage").get()
    assert next_step(facts) and is_rotting(facts)
    task = Activity.objects.get(deal=deal)
    from clientela.activities import services as activity_services

    activity_services.complete_activity(task, actor=personas.rep)
    facts = with_card_facts(Deal.objects.filter(pk=deal.pk)).select_related("stage").get()
    assert not next_step(facts) and not is_rotting(facts)
    rotting = filter_deals(personas.rep, DealFilters(pipeline_id=pipeline.pk, rotting=True))
    assert not rotting.exists()


def test_it_shows_only_the_deals_in_scope(personas, pipeline):
    mine = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    theirs = EnteredDealFactory.create(actor=personas.rep2, pipeline=pipeline)
    assert list(deals_visible_to(personas.rep)) == [mine]
    assert set(deals_visible_to(personas.manager)) == {mine, theirs}
    with pytest.raises(NotFound):
        get_deal_for_user(personas.rep, theirs.pk)
    with pytest.raises(Forbidden):
        get_deal_for_user(personas.colleague, mine.pk, write=True)


def test_it_hides_a_department_pipeline_from_outsiders(personas):
    pipeline = real_estate_pipeline(departments=[personas.departments["Comercial Bogotá"]])
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    assert pipeline in pipelines_visible_to(personas.rep)
    assert pipeline not in pipelines_visible_to(personas.rep2)
    assert pipeline in pipelines_visible_to(personas.admin)
    with pytest.raises(NotFound):
        EnteredDealFactory.create(actor=personas.rep2, pipeline=pipeline)
    assert deal in deals_visible_to(personas.manager)


PERSONAS = ("admin", "manager", "rep", "rep2", "colleague", "marketer", "outsider")


@pytest.mark.parametrize("who", PERSONAS)
def test_the_move_read_sees_exactly_what_deals_visible_to_sees(personas, who):
    """The move's compiled read decides visibility on the row: the same deals, for every role."""
    everyone = real_estate_pipeline()
    bogota = real_estate_pipeline("Bogotá", departments=[personas.departments["Comercial Bogotá"]])
    deals = [
        DealFactory.create(owner=getattr(personas, owner), pipeline=p, stage=p.stages.first())
        for owner in ("rep", "rep2", "colleague", "manager", "outsider")
        for p in (everyone, bogota)
    ]
    user = getattr(personas, who)
    user.refresh_from_db()  # no per-request caches (role, colleagues) from the setup
    visible = set(deals_visible_to(user).values_list("pk", flat=True))
    if who not in {"admin", "manager", "marketer"}:  # the roles that see every record
        assert 0 < len(visible) < len(deals)
    for deal in deals:
        try:
            read, _repeat_sale = get_deal_for_move(user, deal.pk)
        except NotFound:
            assert deal.pk not in visible, deal
        except Forbidden:
            assert deal.pk in visible and not may_change(user, deal), deal
        else:
            assert deal.pk in visible and may_change(user, deal), deal
            assert (read.pk, read.owner, read.stage, read.version) == (
                deal.pk, deal.owner, deal.stage, deal.version,
            )  # fmt: skip
    with pytest.raises(NotFound):
        get_deal_for_move(user, max(d.pk for d in deals) + 1)


def test_the_move_read_names_the_contact_and_company_and_flags_a_repeat_sale(personas, pipeline):
    contact = EnteredContactFactory.create(actor=personas.rep)
    company = EnteredCompanyFactory.create(actor=personas.rep)
    won = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, contact=contact)
    services.move_deal(won, stage=stage_named(pipeline, "Cierre ganado"), actor=personas.rep)
    again = EnteredDealFactory.create(
        actor=personas.rep, pipeline=pipeline, contact=contact, company=company
    )
    read, repeat_sale = get_deal_for_move(personas.rep, again.pk)
    assert repeat_sale and has_earlier_win(again)
    assert (str(read.contact), str(read.company)) == (str(contact), company.name)
    assert (read.contact_id, read.company_id) == (contact.pk, company.pk)
    assert get_deal_for_move(personas.rep, won.pk)[1] is False


def test_it_counts_and_sums_columns_and_pages_cards_by_keyset(personas, pipeline):
    nuevo, cotizado = stage_named(pipeline, "Nuevo"), stage_named(pipeline, "Cotizado")
    for n in range(25):
        DealFactory.create(
            owner=personas.rep, pipeline=pipeline, stage=nuevo, amount=Decimal(n + 1),
            stage_entered_at=days_ago(n % 3),
        )  # fmt: skip
    DealFactory.create(owner=personas.rep2, pipeline=pipeline, stage=cotizado, amount=Decimal(7))
    columns = {c.stage.name: c for c in board(personas.rep, pipeline, DealFilters(), limit=10)}
    assert (columns["Nuevo"].count, columns["Nuevo"].total) == (25, Decimal(325))
    assert columns["Cotizado"].count == 0  # rep2's deal is not rep's to see
    seen = [d.pk for d in columns["Nuevo"].cards]
    after = columns["Nuevo"].after
    qs = filter_deals(personas.rep, DealFilters(pipeline_id=pipeline.pk))
    while after:
        cards, after = column_cards(qs, nuevo, after=decode_after(after), limit=10)
        seen += [d.pk for d in cards]
    assert sorted(seen) == sorted(Deal.objects.filter(stage=nuevo).values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 25
    manager = {c.stage.name: c for c in board(personas.manager, pipeline, DealFilters())}
    assert (manager["Cotizado"].count, manager["Cotizado"].total) == (1, Decimal(7))


def test_it_removes_a_stage_only_by_moving_its_deals(personas, pipeline):
    nutricion, cotizado = stage_named(pipeline, "Nutrición"), stage_named(pipeline, "Cotizado")
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, stage=nutricion)
    with pytest.raises(ValidationFailed) as caught:
        services.remove_stage(nutricion, actor=personas.admin)
    assert "1" in caught.value.errors["move_to"][0]
    assert services.remove_stage(nutricion, actor=personas.admin, move_to=cotizado) == 1
    deal.refresh_from_db()
    nutricion.refresh_from_db()
    assert deal.stage == cotizado and nutricion.is_archived
    with pytest.raises(Forbidden):
        services.remove_stage(cotizado, actor=personas.rep, move_to=stage_named(pipeline, "Nuevo"))


def test_it_sets_up_pipelines_stages_and_reasons(personas):
    pipeline = services.create_pipeline(actor=personas.admin, name="Arriendos")
    assert [s.kind for s in pipeline.stages.order_by("position")] == ["open", "won", "lost"]
    stage = services.add_stage(
        pipeline, actor=personas.admin, values={"name": "Visita", "probability": 40}
    )
    names = list(pipeline.stages.order_by("position").values_list("name", flat=True))
    assert names[:2] == ["New", "Visita"] and stage.kind == "open"
    ids = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
    services.reorder_stages(pipeline, actor=personas.admin, order=[ids[1], ids[0], *ids[2:]])
    assert pipeline.stages.order_by("position").first() == stage
    with pytest.raises(ValidationFailed):
        services.update_stage(stage, actor=personas.admin, values={"probability": 140})
    services.update_pipeline(pipeline, actor=personas.admin, archived=True)
    assert pipeline not in pipelines_visible_to(personas.admin)
    reason = services.add_lost_reason(actor=personas.admin, name="Sin visa")
    with pytest.raises(ValidationFailed):
        services.add_lost_reason(actor=personas.admin, name="sin VISA")
    with pytest.raises(Forbidden):
        services.create_pipeline(actor=personas.rep, name="Mío")
    assert Event.objects.filter(verb=DealVerb.PIPELINE_CHANGED).count() >= 4
    assert reason.is_active


def test_it_gives_a_new_installation_a_pipeline_and_lost_reasons():
    Deal.objects.all().delete()
    Pipeline.objects.all().delete()
    LostReason.objects.all().delete()
    migration = importlib.import_module("clientela.deals.migrations.0002_default_pipeline")
    migration.create_default(django_apps, None)
    pipeline = Pipeline.objects.get()
    kinds = list(pipeline.stages.order_by("position").values_list("kind", flat=True))
    assert kinds.count("won") == 1 and kinds.count("lost") == 1 and kinds[0] == "open"
    assert LostReason.objects.filter(is_active=True).count() >= 3
