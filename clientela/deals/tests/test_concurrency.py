"""Two people move the same deal at the same moment: one wins, the other is told, and the
stage history keeps exactly one open stay (PostgreSQL: real concurrent transactions)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from clientela.deals import services
from clientela.deals.models import Deal, StageHistory
from clientela.deals.tests.factories import EnteredDealFactory, real_estate_pipeline, stage_named


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rounds", [5])
def test_it_lets_one_of_two_simultaneous_moves_win(personas: Any, rounds: int) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (CLIENTELA_TEST_DATABASE_URL)")
    pipeline = real_estate_pipeline()
    targets = (stage_named(pipeline, "Agendado"), stage_named(pipeline, "Cotizado"))
    for _round in range(rounds):
        deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def move(
            actor: Any,
            stage: Any,
            deal: Deal = deal,
            barrier: Any = barrier,
            outcomes: list[str] = outcomes,
        ) -> None:
            try:
                copy = Deal.objects.get(pk=deal.pk)
                barrier.wait()
                services.move_deal(copy, stage=stage, actor=actor, expected_version=1)
                outcomes.append(f"moved:{stage.name}")
            except services.StaleVersion as exc:
                outcomes.append(f"conflict:{exc.current}")
            finally:
                connections.close_all()

        threads = [
            threading.Thread(target=move, args=(personas.rep, targets[0])),
            threading.Thread(target=move, args=(personas.manager, targets[1])),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        moved = [o for o in outcomes if o.startswith("moved:")]
        assert len(moved) == 1 and outcomes.count("conflict:2") == 1, outcomes
        deal.refresh_from_db()
        assert deal.version == 2 and f"moved:{deal.stage.name}" == moved[0]
        stays = StageHistory.objects.filter(deal=deal)
        assert stays.count() == 2 and stays.filter(left_at__isnull=True).get().stage == deal.stage
