"""Quotes, invoices, plans, payments, lights, overdue tasks and the Orders feed, as services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from clientela.activities.models import Activity
from clientela.billing import services
from clientela.billing.choices import InvoiceStatus, Light, OrdersFrom, QuoteStatus
from clientela.billing.models import Instalment, Quote
from clientela.billing.queries import deal_light, light_expression, light_of, light_summary
from clientela.billing.tests.factories import (
    EnteredQuoteFactory,
    accepted_quote,
    plot_deal,
    usd_rate,
)
from clientela.catalog.choices import ItemStatus
from clientela.core.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from clientela.deals import services as deal_services
from clientela.deals.models import Deal, DealLine, Pipeline
from clientela.deals.tests.factories import (
    DealLineFactory,
    EnteredDealFactory,
    real_estate_pipeline,
    stage_named,
)
from clientela.orders.models import ExchangeRate, Order
from clientela.orders.tests.factories import ExchangeRateFactory
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db

YEAR = dt.date.today().year


@pytest.fixture
def pipeline() -> Pipeline:
    usd_rate("4000")
    return real_estate_pipeline()


@pytest.fixture
def deal(personas: Any, pipeline: Pipeline) -> Deal:
    return plot_deal(personas.rep, pipeline, price="25000.00")


def test_a_quote_copies_the_deal_lines_and_shows_the_cop_equivalent(personas: Any, deal: Deal):
    quote = services.create_quote(deal, actor=personas.rep)
    assert quote.number == f"COT-{quote.issued_on.year}-0001"
    assert quote.currency == "USD" and quote.total == Decimal("25000.00")
    assert quote.rate == Decimal(4000) and quote.total_company == Decimal("100000000.00")
    assert [line.description for line in quote.lines.all()] == [
        line.description for line in deal.lines.all()
    ]
    assert quote.valid_until == quote.issued_on + dt.timedelta(days=15)
    assert quote.status == QuoteStatus.DRAFT
    plot = deal.lines.get().product
    assert plot is not None and plot.status == ItemStatus.RESERVED and plot.deal_id == deal.pk
    event = Event.objects.get(verb="quote_created")
    assert event.target_type == "deals.deal" and event.contact_id == deal.contact_id


def test_numbers_are_consecutive_and_a_failed_quote_takes_none(personas: Any, deal: Deal):
    first = services.create_quote(deal, actor=personas.rep)
    with pytest.raises(ValidationFailed) as refused:
        services.create_quote(deal, actor=personas.rep, valid_until="2000-01-01")
    assert "valid_until" in refused.value.errors
    second = services.create_quote(deal, actor=personas.rep)
    assert [first.sequence, second.sequence] == [1, 2]
    assert second.number.endswith("-0002")


def test_a_missing_exchange_rate_is_a_clear_error_naming_it(personas: Any, pipeline: Pipeline):
    ExchangeRateFactory.create(currency="EUR", date=dt.date(2020, 1, 1), rate=Decimal(4500))
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, currency="EUR")
    DealLineFactory.create(deal=deal)
    ExchangeRate.objects.filter(currency="EUR").delete()  # gone since the deal was entered
    with pytest.raises(ValidationFailed) as refused:
        services.create_quote(deal, actor=personas.rep)
    assert "EUR" in refused.value.errors["currency"][0]
    assert not Quote.objects.exists()


def test_a_deal_without_lines_or_closed_cannot_be_quoted(personas: Any, pipeline: Pipeline):
    bare = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
    with pytest.raises(ValidationFailed) as refused:
        services.create_quote(bare, actor=personas.rep)
    assert refused.value.errors["lines"] == [
        "Add the products or services to the deal before quoting it."
    ]
    DealLineFactory.create(deal=bare)
    deal_services.move_deal(bare, stage=stage_named(pipeline, "Cierre ganado"), actor=personas.rep)
    with pytest.raises(ValidationFailed) as closed:
        services.create_quote(bare, actor=personas.rep)
    assert closed.value.errors["deal"] == ["Only a deal in progress can be quoted."]


def test_who_may_quote(personas: Any, deal: Deal):
    with pytest.raises(NotFound):
        services.create_quote(deal, actor=personas.rep2)  # not theirs to see
    with pytest.raises(Forbidden):
        services.create_quote(deal, actor=personas.marketer)
    assert services.create_quote(deal, actor=personas.manager).pk


def test_answering_a_quote(personas: Any, deal: Deal):
    quote = services.create_quote(deal, actor=personas.rep)
    services.decide_quote(quote, actor=personas.rep, accepted=True)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED and quote.decided_at is not None
    with pytest.raises(Conflict):
        services.decide_quote(quote, actor=personas.rep, accepted=False)
    later = services.create_quote(deal, actor=personas.rep, valid_until=quote.issued_on)
    with time_machine.travel(dt.datetime.now() + dt.timedelta(days=3)):
        with pytest.raises(ValidationFailed) as expired:
            services.decide_quote(later, actor=personas.rep, accepted=True)
        assert "expired" in expired.value.errors["status"][0]
        assert services.decide_quote(later, actor=personas.rep, accepted=False).status == "rejected"


def test_only_a_draft_changes_and_stale_versions_are_refused(personas: Any, deal: Deal):
    quote = services.create_quote(deal, actor=personas.rep)
    changed = services.update_quote(
        quote, actor=personas.rep, data={"terms": "Precio sujeto a disponibilidad"},
        expected_version=quote.version,
    )  # fmt: skip
    assert changed.terms == "Precio sujeto a disponibilidad" and changed.version == 2
    with pytest.raises(services.StaleVersion) as stale:
        services.update_quote(quote, actor=personas.rep, data={"terms": "x"}, expected_version=1)
    assert stale.value.current == 2
    services.mark_sent(changed, actor=personas.rep, to="cliente@example.co")
    with pytest.raises(Conflict):
        services.update_quote(changed, actor=personas.rep, data={"terms": "y"})


def test_an_expired_quote_frees_its_plot(personas: Any, deal: Deal):
    quote = services.create_quote(deal, actor=personas.rep, valid_until=dt.date.today())
    plot = deal.lines.get().product
    assert plot is not None
    assert services.expire_quotes(dt.date.today()) == 0
    assert services.expire_quotes(dt.date.today() + dt.timedelta(days=1)) == 1
    quote.refresh_from_db()
    plot.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED
    assert plot.status == ItemStatus.AVAILABLE and plot.deal_id is None
    assert not DealLine.objects.filter(deal=deal).exists()
    assert services.expire_quotes(dt.date.today() + dt.timedelta(days=1)) == 0


def test_an_expired_quote_keeps_the_plot_while_another_offer_stands(personas: Any, deal: Deal):
    services.create_quote(deal, actor=personas.rep, valid_until=dt.date.today())
    services.create_quote(deal, actor=personas.rep, valid_until=dt.date.today() + dt.timedelta(30))
    services.expire_quotes(dt.date.today() + dt.timedelta(days=1))
    plot = deal.lines.get().product
    assert plot is not None and plot.status == ItemStatus.RESERVED


# --- plans ---------------------------------------------------------------------------------


def test_a_plan_of_twelve_cuotas_sums_exactly():
    rows = services.propose_plan(
        Decimal("100000.01"), "USD", down_payment=Decimal("10000.00"), count=12,
        first_due=dt.date(2026, 1, 31),
    )  # fmt: skip
    assert sum(row.amount for row in rows) == Decimal("100000.01")
    assert rows[0].position == 0 and rows[0].amount == Decimal("10000.00")
    assert [row.amount for row in rows[1:12]] == [Decimal("7500.00")] * 11
    assert rows[12].amount == Decimal("7500.01")
    assert [row.due_on for row in rows[1:4]] == [
        dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)
    ]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    total=st.decimals(min_value=Decimal("1"), max_value=Decimal("99999999.99"), places=2),
    down_share=st.integers(min_value=0, max_value=99),
    count=st.integers(min_value=1, max_value=120),
)
def test_every_proposed_plan_adds_up_to_the_total(total: Decimal, down_share: int, count: int):
    down = (total * down_share / 100).quantize(Decimal("0.01"))
    if (total - down) / count < Decimal("0.01"):  # too small to split in `count` cuotas
        with pytest.raises(ValidationFailed, match="count"):
            services.propose_plan(
                total, "USD", down_payment=down, count=count, first_due=dt.date(2026, 1, 1)
            )
        return
    rows = services.propose_plan(
        total, "USD", down_payment=down, count=count, first_due=dt.date(2026, 1, 1)
    )
    assert sum(row.amount for row in rows) == total
    assert all(row.amount > 0 for row in rows)


def test_plan_errors_speak_to_the_user():
    with pytest.raises(ValidationFailed) as refused:
        services.propose_plan(
            Decimal(100), "USD", down_payment=Decimal(150), count=200, first_due=dt.date.today()
        )
    assert refused.value.errors == {
        "down_payment": ["The down payment must be between 0 and the total."],
        "count": ["Choose between 0 and 120 monthly instalments."],
    }


# --- invoices and payments -----------------------------------------------------------------


@pytest.fixture
def invoice(personas: Any, deal: Deal) -> Any:
    quote = accepted_quote(personas.rep, deal)
    plan = services.propose_plan(
        quote.total, "USD", down_payment=Decimal("5000.00"), count=12,
        first_due=dt.date.today() + dt.timedelta(days=30), down_due=dt.date.today(),
    )  # fmt: skip
    return services.create_invoice(quote, actor=personas.rep, plan=plan)


def test_an_accepted_quote_becomes_an_invoice_with_its_plan(personas: Any, invoice: Any):
    assert invoice.number == f"FAC-{invoice.issued_on.year}-0001"
    assert invoice.total == Decimal("25000.00") and invoice.total_company == Decimal("100000000.00")
    rows = list(invoice.instalments.order_by("position"))
    assert len(rows) == 13 and sum(r.amount for r in rows) == invoice.total
    with pytest.raises(Conflict):
        services.create_invoice(invoice.quote, actor=personas.rep, plan=[])


def test_a_quote_not_accepted_is_not_invoiced_and_a_wrong_sum_is_explained(
    personas: Any, deal: Deal
):
    quote = EnteredQuoteFactory.create(deal=deal, actor=personas.rep)
    with pytest.raises(ValidationFailed) as draft:
        services.create_invoice(quote, actor=personas.rep, plan=[])
    assert draft.value.errors["quote"] == ["Only an accepted quote can be invoiced."]
    services.decide_quote(quote, actor=personas.rep, accepted=True)
    rows = [
        {"position": 0, "due_on": "2026-12-01", "amount": "5000.00"},
        {"position": 1, "due_on": "2027-01-01", "amount": "19999.99"},
    ]
    with pytest.raises(ValidationFailed) as wrong:
        services.create_invoice(quote, actor=personas.rep, plan=rows)
    assert wrong.value.errors["instalments"] == [
        "The instalments add up to 24999.99 but the total is 25000.00: the difference is 0.01."
    ]
    bad = [{"position": 0, "due_on": "mañana", "amount": "25000.001"}]
    with pytest.raises(ValidationFailed) as fields:
        services.create_invoice(quote, actor=personas.rep, plan=bad)
    assert set(fields.value.errors) == {"instalments.0.due_on"} or set(fields.value.errors) == {
        "instalments.0.due_on",
        "instalments.0.amount",
    }


def test_payments_partial_over_and_full_turn_the_light(personas: Any, invoice: Any):
    assert light_of(invoice) == Light.AMBER  # the down payment is due today
    down = invoice.instalments.get(position=0)
    services.record_payment(invoice, actor=personas.rep, amount="2000.00")
    assert light_of(invoice) == Light.AMBER  # partly paid
    with pytest.raises(ValidationFailed) as over:
        services.record_payment(invoice, actor=personas.rep, amount="3000.01", instalment=down)
    assert over.value.errors["amount"] == [
        "That is more than what is owed on this instalment: its balance is 3000.00 USD."
    ]
    services.record_payment(invoice, actor=personas.rep, amount="3000.00", instalment=down)
    invoice.refresh_from_db()
    assert invoice.paid == Decimal("5000.00") and light_of(invoice) == Light.GREEN
    assert (
        type(invoice)
        .objects.filter(pk=invoice.pk)
        .annotate(light=light_expression())
        .values_list("light", flat=True)
        .get()
        == Light.GREEN
    )
    assert deal_light(invoice.deal) == Light.GREEN
    later = dt.date.today() + dt.timedelta(days=45)
    assert light_of(invoice, later) == Light.RED
    assert (
        type(invoice)
        .objects.filter(pk=invoice.pk)
        .annotate(light=light_expression(later))
        .values_list("light", flat=True)
        .get()
        == Light.RED
    )
    for row in invoice.instalments.filter(position__gt=0).order_by("position"):
        services.record_payment(invoice, actor=personas.rep, amount=row.amount, instalment=row)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID and light_of(invoice) == Light.PAID
    with pytest.raises(Conflict):
        services.record_payment(invoice, actor=personas.rep, amount="1")


def test_who_may_record_payments(personas: Any, invoice: Any):
    with pytest.raises(NotFound):
        services.record_payment(invoice, actor=personas.rep2, amount="1")
    with pytest.raises(Forbidden):
        services.record_payment(invoice, actor=personas.marketer, amount="1")


def test_bad_payment_input(personas: Any, invoice: Any):
    for amount, message in (
        ("abc", "Enter a number."),
        ("0", "Enter an amount above zero."),
        ("1.001", "USD amounts have 2 decimals."),
        ("1e30", "The number is too large."),
    ):
        with pytest.raises(ValidationFailed) as refused:
            services.record_payment(invoice, actor=personas.rep, amount=amount)
        assert refused.value.errors == {"amount": [message]}, amount
    with pytest.raises(ValidationFailed) as future:
        services.record_payment(invoice, actor=personas.rep, amount="1", paid_on="2999-01-01")
    assert future.value.errors["paid_on"] == ["A payment cannot be dated in the future."]


def test_the_plan_can_change_but_keeps_what_was_paid(personas: Any, invoice: Any):
    services.record_payment(invoice, actor=personas.rep, amount="5000.00")
    rows = [
        {"position": 0, "due_on": dt.date.today(), "amount": "5000.00"},
        {"position": 1, "due_on": dt.date.today() + dt.timedelta(days=60), "amount": "20000.00"},
    ]
    services.set_plan(invoice, actor=personas.rep, rows=rows)
    assert list(invoice.instalments.values_list("position", "amount", "paid")) == [
        (0, Decimal("5000.00"), Decimal("5000.00")),
        (1, Decimal("20000.00"), Decimal("0.00")),
    ]
    with pytest.raises(ValidationFailed) as below:
        services.set_plan(
            invoice, actor=personas.rep,
            rows=[{"position": 0, "due_on": dt.date.today(), "amount": "4000.00"},
                  {"position": 1, "due_on": dt.date.today(), "amount": "21000.00"}],
        )  # fmt: skip
    assert below.value.errors["instalments.0.amount"] == [
        "5000.00 has been paid on this instalment already."
    ]


def test_overdue_instalments_give_the_owner_one_task(personas: Any, invoice: Any):
    assert services.flag_overdue() == 0
    later = dt.date.today() + dt.timedelta(days=1)
    assert services.flag_overdue(later) == 1  # the down payment
    assert services.flag_overdue(later) == 0
    task = Activity.objects.get(source="billing.overdue")
    assert task.owner == personas.rep and task.deal_id == invoice.deal_id
    assert invoice.number in task.subject
    assert Instalment.objects.get(position=0, invoice=invoice).overdue_task == task


def test_light_summary_counts_and_balances(personas: Any, invoice: Any):
    summary = {row.light: row for row in light_summary(type(invoice).objects.all())}
    assert summary[Light.AMBER].count == 1
    assert summary[Light.AMBER].balance == Decimal("100000000.00")
    assert summary[Light.RED].count == 0


def test_void_needs_no_payments(personas: Any, invoice: Any):
    payment = services.record_payment(invoice, actor=personas.rep, amount="10.00")
    with pytest.raises(Conflict):
        services.void_invoice(invoice, actor=personas.rep)
    services.delete_payment(payment, actor=personas.rep)
    assert services.void_invoice(invoice, actor=personas.rep).status == InvoiceStatus.VOID


def test_a_deal_with_documents_is_not_deleted(personas: Any, invoice: Any):
    with pytest.raises(Conflict):
        deal_services.delete_deal(invoice.deal, actor=personas.admin)
    assert Deal.objects.filter(pk=invoice.deal_id).exists()


# --- Orders --------------------------------------------------------------------------------


def _pay_all(invoice: Any, actor: Any) -> None:
    for row in invoice.instalments.order_by("position"):
        services.record_payment(invoice, actor=actor, amount=row.amount, instalment=row)


def test_a_paid_invoice_feeds_orders_once(personas: Any, invoice: Any):
    _pay_all(invoice, personas.rep)
    order = Order.objects.get()
    assert (
        order.external_id == f"invoice:{invoice.number}" and order.contact_id == invoice.contact_id
    )
    assert order.amount == Decimal("25000.00") and order.amount_company_currency == Decimal(
        "100000000.00"
    )
    assert services.sync_orders() == 0 and Order.objects.count() == 1
    services.delete_payment(invoice.payments.first(), actor=personas.rep)
    assert not Order.objects.exists()


def test_won_deals_feed_orders_instead_when_the_admin_chooses(
    personas: Any, pipeline: Pipeline, invoice: Any, django_capture_on_commit_callbacks: Any
):
    _pay_all(invoice, personas.rep)
    with django_capture_on_commit_callbacks(execute=False):
        services.update_settings(actor=personas.admin, data={"orders_from": OrdersFrom.DEALS})
    assert services.sync_orders() >= 1
    assert not Order.objects.filter(external_id__startswith="invoice:").exists()
    won = stage_named(pipeline, "Cierre ganado")
    deal_services.move_deal(invoice.deal, stage=won, actor=personas.rep)
    assert Order.objects.get().external_id == f"deal:{invoice.deal_id}"
    deal_services.move_deal(
        invoice.deal, stage=stage_named(pipeline, "Cotizado"), actor=personas.rep
    )
    assert not Order.objects.exists()
    with pytest.raises(Forbidden):
        services.update_settings(actor=personas.manager, data={"orders_from": "none"})
    with pytest.raises(ValidationFailed):
        services.update_settings(actor=personas.admin, data={"orders_from": "both"})
