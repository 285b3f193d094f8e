"""Two deals reserve (or buy) the same land plot at the same moment: exactly one succeeds
(PostgreSQL: real concurrent transactions)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from clientela.catalog import services
from clientela.catalog.choices import ItemStatus
from clientela.catalog.models import Product
from clientela.catalog.tests.factories import UniqueItemFactory
from clientela.core.exceptions import Conflict


class Holder:
    """A stand-in deal."""

    def __init__(self, pk: int) -> None:
        self.pk = pk
        self.title = f"Negocio {pk}"


def _race(action: Callable[..., Any], item: Product, actors: list[Any]) -> list[str]:
    barrier = threading.Barrier(len(actors))
    outcomes: list[str] = []

    def run(number: int, actor: Any) -> None:
        try:
            copy = Product.objects.get(pk=item.pk)
            barrier.wait()
            action(copy, deal=Holder(number), actor=actor)
            outcomes.append(f"ok:{number}")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n, a)) for n, a in enumerate(actors, start=1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["reserve", "sell"])
def test_it_lets_exactly_one_of_simultaneous_holds_win(personas: Any, action: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (CLIENTELA_TEST_DATABASE_URL)")
    for _round in range(5):
        item = UniqueItemFactory.create()
        outcomes = _race(
            getattr(services, action), item, [personas.rep, personas.rep2, personas.manager]
        )
        winners = [o for o in outcomes if o.startswith("ok:")]
        assert len(winners) == 1 and outcomes.count("conflict") == 2, outcomes
        item.refresh_from_db()
        expected = ItemStatus.RESERVED if action == "reserve" else ItemStatus.SOLD
        assert item.status == expected and f"ok:{item.deal_id}" == winners[0]


@pytest.mark.django_db
def test_the_conditional_update_alone_refuses_a_second_holder(personas: Any) -> None:
    """On any database: a row changed under a reader's feet is not taken from its deal."""
    item = UniqueItemFactory.create()
    stale = Product.objects.get(pk=item.pk)
    Product.objects.filter(pk=item.pk).update(status=ItemStatus.RESERVED, deal_id=1)
    with pytest.raises(Conflict):
        services.reserve(stale, deal=Holder(2), actor=personas.rep)
