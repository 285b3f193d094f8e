"""The payment status report: lights, overdue balance by age, oldest overdue instalments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from clientela.billing import services as billing
from clientela.billing.tests.factories import accepted_quote, plot_deal, usd_rate
from clientela.deals.tests.factories import real_estate_pipeline
from clientela.sales.queries import ReportFilters, payment_status

pytestmark = pytest.mark.django_db


def _invoice(actor: Any, pipeline: Any, due: dt.date, price: str) -> Any:
    quote = accepted_quote(actor, plot_deal(actor, pipeline, price=price))
    plan = [
        billing.PlanRow(0, due, quote.total / 2),
        billing.PlanRow(1, due + dt.timedelta(days=200), quote.total / 2),
    ]
    return billing.create_invoice(quote, actor=actor, plan=plan)


def test_it_ages_what_is_overdue_and_counts_lights(personas: Any, client: Any) -> None:
    usd_rate("4000")
    pipeline = real_estate_pipeline()
    today = dt.date.today()
    late_45 = _invoice(personas.rep, pipeline, today - dt.timedelta(days=45), "10000.00")
    late_5 = _invoice(personas.rep, pipeline, today - dt.timedelta(days=5), "20000.00")
    fine = _invoice(personas.rep, pipeline, today + dt.timedelta(days=30), "30000.00")
    paid = _invoice(personas.rep2, pipeline, today, "40000.00")
    for row in paid.instalments.all():
        billing.record_payment(paid, actor=personas.rep2, amount=row.amount, instalment=row)
    f = ReportFilters(pipeline=pipeline, since=today, until=today)
    status = payment_status(personas.manager, f, today=today)
    lights = {s.light: (s.count, s.balance) for s in status.lights}
    assert lights["red"] == (2, Decimal("120000000.00"))  # what the late invoices still owe
    assert lights["green"] == (1, Decimal("120000000.00")) and lights["paid"][0] == 1
    aging = {(b.low, b.high): (b.count, b.balance) for b in status.aging}
    assert aging[(1, 30)] == (1, Decimal("40000000.00"))
    assert aging[(31, 60)] == (1, Decimal("20000000.00"))
    assert [r.invoice.pk for r in status.overdue] == [late_45.pk, late_5.pk]
    assert status.overdue[0].days == 45
    # rep2 sees only their own (paid) invoice: nothing overdue
    mine = payment_status(personas.rep2, f, today=today)
    assert mine.overdue_total == 0 and {s.light: s.count for s in mine.lights}["paid"] == 1
    client.force_login(personas.manager)
    page = client.get(reverse("sales:payments") + f"?pipeline={pipeline.pk}")
    assert page.status_code == 200 and late_45.number in page.content.decode()
    assert fine.number not in page.content.decode()
