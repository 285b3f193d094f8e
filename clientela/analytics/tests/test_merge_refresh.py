"""A merge moves orders to the survivor: its customer value follows at once, and an undo puts
both customers back (issue 11, section 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from clientela.analytics.models import CustomerValue, ValueSnapshot
from clientela.analytics.queries import customer_value_for
from clientela.analytics.services import compute_customer_value_snapshot
from clientela.analytics.tests.factories import build_world
from clientela.contacts.services import merge_contacts, undo_merge

pytestmark = pytest.mark.django_db

COMPARED = (
    "first_purchase", "last_purchase", "purchase_days", "orders", "monetary", "recency_days",
    "channel", "inactivity", "orders_12m", "revenue_12m", "orders_3m", "bought_prior_year",
)  # fmt: skip


def _row(snapshot: ValueSnapshot, contact_id: int) -> dict[str, Any]:
    return dict(
        CustomerValue.objects.filter(snapshot=snapshot, contact_id=contact_id).values().get()
    )


def _summary_matches_rows(snapshot: ValueSnapshot) -> None:
    snapshot.refresh_from_db()
    rows = CustomerValue.objects.filter(snapshot=snapshot)
    assert snapshot.customers == rows.count()
    assert sum(snapshot.segment_counts.values()) == rows.count()
    assert sum(snapshot.inactivity_counts.values()) == rows.count()
    assert sum(n for cells in snapshot.movement.values() for n in cells.values()) == rows.count()
    assert snapshot.customer_equity == pytest.approx(sum(r.clv or 0 for r in rows))


def test_a_merge_recomputes_the_survivors_value_and_an_undo_restores_both(
    personas, django_capture_on_commit_callbacks
):
    world = build_world(personas)
    snapshot = world.snapshot
    before = customer_value_for(personas.rep, world.ana)
    assert before is not None and before["orders"] == 4
    bea_before = _row(snapshot, world.bea.pk)
    with django_capture_on_commit_callbacks(execute=True):
        merge = merge_contacts(world.ana, world.bea, actor=personas.manager)
    after = customer_value_for(personas.rep, world.ana)
    assert after is not None and after["orders"] == 6 and after["clv"] is not None
    assert not CustomerValue.objects.filter(snapshot=snapshot, contact_id=world.bea.pk).exists()
    _summary_matches_rows(snapshot)
    # The same figures as a full recompute would give the survivor that day.
    refreshed = _row(snapshot, world.ana.pk)
    fresh = compute_customer_value_snapshot(as_of=snapshot.as_of)
    recomputed = _row(fresh, world.ana.pk)
    assert {k: refreshed[k] for k in COMPARED} == {k: recomputed[k] for k in COMPARED}
    fresh.delete()  # back to the refreshed snapshot as the latest

    with django_capture_on_commit_callbacks(execute=True):
        undo_merge(merge, actor=personas.manager)
    restored = customer_value_for(personas.rep, world.ana)
    assert restored is not None and restored["orders"] == 4
    bea = _row(snapshot, world.bea.pk)
    assert {k: bea[k] for k in COMPARED} == {k: bea_before[k] for k in COMPARED}
    assert bea["segment"] == bea_before["segment"]
    _summary_matches_rows(snapshot)


def test_contacts_learn_of_analytics_only_through_the_listener_registry():
    from clientela.analytics.refresh import refresh_after_merge
    from clientela.contacts import services

    assert refresh_after_merge in services.MERGE_LISTENERS
    modules = sorted(Path(services.__file__).parent.glob("*.py"))
    assert len(modules) > 1  # the services package, every module of it
    for module in modules:
        assert "analytics" not in module.read_text(encoding="utf-8"), module.name
