"""Customer-value snapshots in the database: RFM like the pure code, CLV, movements, jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
import pytest
from django.utils import timezone, translation

from clientela.analytics import services
from clientela.analytics.aggregates import summary_from_aggregates
from clientela.analytics.clv import score_customers, summarize_transactions
from clientela.analytics.models import (
    CustomerValue,
    SnapshotState,
    ValueSnapshot,
)
from clientela.analytics.queries import latest_snapshot
from clientela.analytics.rfm import rfm_table
from clientela.analytics.tests.factories import AnalyticsSettingsFactory, ValueSnapshotFactory
from clientela.contacts.models import Company, Contact
from clientela.contacts.services import delete_contact
from clientela.contacts.tests.factories import CompanyFactory, ContactFactory
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.core.models import JobState
from clientela.orders.models import Order
from clientela.orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 6, 30)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


def add_orders(rows: list[tuple[Any, dt.date, float]], channel: str = "") -> None:
    """Orders straight into the table: (contact or company, day, amount in COP)."""
    Order.objects.bulk_create(
        [
            OrderFactory.build(
                contact=customer if isinstance(customer, Contact) else None,
                company=customer if isinstance(customer, Company) else None,
                day=day,
                amount=Decimal(str(amount)),
                channel=channel,
            )
            for customer, day, amount in rows
        ]
    )


def random_history(
    owner: Any, customers: int = 60, seed: int = 3
) -> list[tuple[Any, dt.date, float]]:
    """A deterministic purchase history with repeat buyers, same-day orders and idle customers."""
    rng = np.random.default_rng(seed)
    contacts = [
        ContactFactory.create(bare=True, first_name=f"C{i}", owner=owner, source="facebook")
        for i in range(customers)
    ]
    rows = []
    for contact in contacts:
        start = AS_OF - dt.timedelta(days=int(rng.integers(30, 700)))
        for _ in range(int(rng.integers(1, 8))):
            day = start + dt.timedelta(days=int(rng.integers(0, (AS_OF - start).days + 1)))
            rows.append((contact, day, float(rng.integers(10, 500)) * 1000))
    rows.append((contacts[0], rows[0][1], 1000.0))  # a second order on the same day
    return rows


def test_it_scores_customers_exactly_like_the_pure_rfm_code(personas):
    rows = random_history(personas.rep)
    add_orders(rows)
    snapshot = services.compute_customer_value_snapshot(actor=personas.manager, as_of=AS_OF)
    expected = rfm_table(
        pl.DataFrame(
            {
                "customer": [c.pk for c, _d, _a in rows],
                "date": [d for _c, d, _a in rows],
                "amount": [a for _c, _d, a in rows],
            }
        ),
        as_of=AS_OF,
    )
    stored = {row.contact_id: row for row in CustomerValue.objects.filter(snapshot=snapshot)}
    assert snapshot.state == SnapshotState.DONE
    assert snapshot.customers == expected.height == len(stored)
    for item in expected.iter_rows(named=True):
        row = stored[item["customer"]]
        assert (row.r, row.f, row.m, row.segment) == (
            item["r"],
            item["f"],
            item["m"],
            item["segment"],
        )
        assert row.recency_days == item["recency_days"]
        assert row.purchase_days == item["frequency"]
        assert float(row.monetary) == pytest.approx(item["monetary"])
        assert row.channel == "facebook"  # no order channel: the contact's source
    assert sum(snapshot.segment_counts.values()) == snapshot.customers
    assert snapshot.orders == len(rows)


def test_it_builds_the_clv_summary_from_aggregates_like_from_every_order(personas):
    rows = random_history(personas.rep, customers=80, seed=11)
    frame = pl.DataFrame(
        {
            "customer": [c.pk for c, _d, _a in rows],
            "date": [d for _c, d, _a in rows],
            "amount": [a for _c, _d, a in rows],
        }
    )
    full = summarize_transactions(frame, time_unit="weeks", observation_end=AS_OF).sort("customer")
    days = frame.group_by("customer", "date").agg(pl.col("amount").sum()).sort("customer", "date")
    per = days.group_by("customer").agg(
        first=pl.col("date").first(), last=pl.col("date").last(), n=pl.len(),
        total=pl.col("amount").sum(), first_total=pl.col("amount").first(),
    ).sort("customer")  # fmt: skip
    mine = summary_from_aggregates(
        per["first"].to_numpy(), per["last"].to_numpy(), per["n"].to_numpy(),
        per["total"].to_numpy(), per["first_total"].to_numpy(), as_of=AS_OF, time_unit="weeks",
    )  # fmt: skip
    for column in ("frequency", "recency", "T", "monetary_value"):
        assert np.allclose(mine[column].to_numpy(), full[column].to_numpy()), column
    add_orders(rows)
    snapshot = services.compute_customer_value_snapshot(as_of=AS_OF)
    scored = score_customers(full, time_unit="weeks", horizon=12 * 30.4375 / 7)
    clv = dict(zip(full["customer"].to_list(), scored.customers["clv"].to_list(), strict=True))
    for row in CustomerValue.objects.filter(snapshot=snapshot):
        assert row.clv == pytest.approx(clv[row.contact_id], rel=1e-6)
        assert row.p_alive is not None and 0 <= row.p_alive <= 1
    assert snapshot.customer_equity == pytest.approx(scored.customer_equity, rel=1e-6)
    assert set(snapshot.model) >= {"bgnbd", "gamma_gamma"}


def test_it_counts_movements_between_segments_since_the_previous_snapshot(personas):
    rows = random_history(personas.rep, customers=50, seed=5)
    add_orders([r for r in rows if r[1] <= AS_OF - dt.timedelta(days=90)])
    first = services.compute_customer_value_snapshot(as_of=AS_OF - dt.timedelta(days=90))
    add_orders([r for r in rows if r[1] > AS_OF - dt.timedelta(days=90)])
    second = services.compute_customer_value_snapshot(as_of=AS_OF)
    assert second.previous == first
    before: dict[Any, str] = dict(
        CustomerValue.objects.filter(snapshot=first).values_list("contact_id", "segment")
    )
    expected: dict[str, dict[str, int]] = {}
    for row in CustomerValue.objects.filter(snapshot=second):
        assert row.previous_segment == before.get(row.contact_id, "")
        source = before.get(row.contact_id, "")
        expected.setdefault(source, {}).setdefault(row.segment, 0)
        expected[source][row.segment] += 1
    assert second.movement == expected
    assert "" in second.movement  # customers who bought for the first time since


def test_it_uses_the_configured_inactivity_thresholds(personas):
    contacts = [
        ContactFactory.create(bare=True, first_name=f"I{i}", owner=personas.rep) for i in range(5)
    ]
    add_orders([(c, AS_OF - dt.timedelta(days=31 * months), 1000) for c, months in
                zip(contacts, (0, 2, 4, 7, 13), strict=True)])  # fmt: skip
    AnalyticsSettingsFactory.create(inactive_9m=2, inactive_12m=4, inactive_15m=6, churned=12)
    snapshot = services.compute_customer_value_snapshot(as_of=AS_OF)
    assert snapshot.inactivity_counts == {
        "active": 1, "inactive_9m": 1, "inactive_12m": 1, "inactive_15m": 1, "churned": 1,
    }  # fmt: skip


def test_it_keeps_the_snapshot_when_clv_cannot_be_fitted(personas):
    only = ContactFactory.create(bare=True, first_name="Sola", owner=personas.rep)
    add_orders([(only, AS_OF, 1000)])
    snapshot = services.compute_customer_value_snapshot(as_of=AS_OF)
    row = CustomerValue.objects.get(snapshot=snapshot)
    assert snapshot.state == SnapshotState.DONE
    assert row.clv is None and row.segment
    assert snapshot.clv_message.startswith("CLV could not be estimated from these orders")
    assert snapshot.customer_equity is None


def test_it_keys_company_customers_and_skips_customers_in_the_trash(personas):
    company = CompanyFactory.create(bare=True, name="Droguería Central", owner=personas.rep)
    gone = ContactFactory.create(bare=True, first_name="Ida", owner=personas.rep)
    kept = ContactFactory.create(bare=True, first_name="Eva", owner=personas.rep, company=company)
    add_orders([(company, AS_OF, 1000), (gone, AS_OF, 500), (kept, AS_OF, 200)])
    delete_contact(gone, actor=personas.manager)
    snapshot = services.compute_customer_value_snapshot(as_of=AS_OF)
    keys = dict(
        CustomerValue.objects.filter(snapshot=snapshot).values_list("customer_key", "company_id")
    )
    assert keys == {-company.pk: company.pk, kept.pk: None}


def test_it_lets_only_managers_recompute_and_never_twice_at_once(personas):
    with pytest.raises(Forbidden):
        services.compute_customer_value_snapshot(actor=personas.rep)
    with pytest.raises(Forbidden):
        services.request_customer_value_snapshot(actor=personas.marketer)
    ValueSnapshotFactory.create(as_of=AS_OF)  # another computation is running
    with pytest.raises(Conflict):
        services.compute_customer_value_snapshot(actor=personas.manager)
    ValueSnapshot.objects.update(created_at=timezone.now() - dt.timedelta(hours=3))
    services.compute_customer_value_snapshot(actor=personas.manager)  # the stale one is dropped
    assert ValueSnapshot.objects.filter(state=SnapshotState.FAILED).count() == 1


def test_it_prunes_the_rows_of_old_snapshots_but_keeps_their_figures(personas):
    add_orders(random_history(personas.rep, customers=20))
    AnalyticsSettingsFactory.create(snapshots_kept=2)
    made = [services.compute_customer_value_snapshot(as_of=AS_OF) for _ in range(3)]
    made[0].refresh_from_db()
    assert not made[0].has_rows and made[0].customers == 20
    assert not CustomerValue.objects.filter(snapshot=made[0]).exists()
    assert latest_snapshot() == made[2]


def test_it_runs_the_recompute_button_as_a_job(personas, django_capture_on_commit_callbacks):
    add_orders(random_history(personas.rep, customers=20))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.request_customer_value_snapshot(actor=personas.manager)
        again = services.request_customer_value_snapshot(actor=personas.admin)
    assert again == job and len(callbacks) == 1
    services.run_customer_value_job(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.percent == 100
    assert job.counts["customers"] == 20
    assert ValueSnapshot.objects.get().created_by == personas.manager


def test_it_skips_the_nightly_run_without_orders_and_runs_it_with_them(personas):
    from clientela.analytics.tasks import nightly_customer_value_snapshot

    nightly_customer_value_snapshot()
    assert not ValueSnapshot.objects.exists()
    add_orders(random_history(personas.rep, customers=10))
    nightly_customer_value_snapshot()
    assert ValueSnapshot.objects.get().state == SnapshotState.DONE


def test_it_validates_the_analytics_settings(personas):
    with pytest.raises(ValidationFailed) as caught:
        services.update_analytics_settings(
            actor=personas.manager,
            data={
                "inactive_12m": 8,
                "default_gross_margin": Decimal("1.5"),
                "clv_horizon_months": 0,
            },
        )
    assert set(caught.value.errors) == {"churned", "default_gross_margin", "clv_horizon_months"}
    with pytest.raises(Forbidden):
        services.update_analytics_settings(actor=personas.rep, data={})
    saved = services.update_analytics_settings(
        actor=personas.manager, data={"churned": 24, "industry": "real_estate"}
    )
    assert (saved.churned, saved.industry, saved.inactive_9m) == (24, "real_estate", 9)


def test_it_audits_a_change_of_the_analytics_settings(personas):
    from clientela.timeline.models import Event

    services.update_analytics_settings(actor=personas.manager, data={"churned": 30})
    services.update_analytics_settings(actor=personas.manager, data={"churned": 30})  # same
    events = list(Event.objects.filter(target_type="analytics.analyticssettings"))
    assert len(events) == 1
    assert events[0].verb == "updated" and events[0].actor == personas.manager
    assert events[0].data["changes"]["churned"][1] == 30
