"""Materialised membership: the incremental path after writes equals a full recompute."""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from clientela.contacts import services as contact_services
from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus, LifecycleStage
from clientela.contacts.models import Contact
from clientela.segments import services
from clientela.segments.choices import SegmentKind
from clientela.segments.engine import members
from clientela.segments.models import Membership, PendingContact, Segment
from clientela.segments.queries import tree_of
from clientela.segments.registry import Context
from clientela.segments.tests.factories import TEXTS, build_world
from clientela.segments.tests.test_equivalence import trees


def _open(segment: Segment) -> set[int]:
    return set(
        Membership.objects.filter(segment=segment, left_at__isnull=True).values_list(
            "contact_id", flat=True
        )
    )


def _edit(rng: random.Random, actor: Any, contact: Contact) -> None:
    """One random write through the contacts services (each leaves its timeline event)."""
    choice = rng.randrange(5)
    if choice == 0:
        contact_services.update_contact(
            contact, actor=actor, data={"city": rng.choice([t for t in TEXTS if t])}
        )
    elif choice == 1:
        contact_services.update_contact(
            contact, actor=actor, data={"lifecycle_stage": rng.choice(LifecycleStage.values)}
        )
    elif choice == 2:
        contact_services.update_contact(
            contact,
            actor=actor,
            data={"tags": rng.sample(["VIP", "feria", "nuevo"], rng.randint(0, 2))},
        )
    elif choice == 3:
        contact_services.record_consent(
            contact,
            actor=actor,
            channel=ConsentChannel.EMAIL,
            purpose=ConsentPurpose.MARKETING,
            status=rng.choice(ConsentStatus.values),
            source="Formulario de la feria",
        )
    elif contact.deleted_at is None:
        contact_services.delete_contact(contact, actor=actor)
    else:
        contact_services.restore_contact(contact, actor=actor)


@pytest.mark.usefixtures("personas_class")
class IncrementalEqualsFull(TestCase):
    """After random writes and the pending-contact drain, membership equals the live query."""

    personas: Any

    @settings(
        max_examples=int(os.environ.get("CLIENTELA_SEGMENT_EXAMPLES", "4")),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(seed=st.integers(0, 2**32), data=st.data())
    def test_it_keeps_membership_equal_to_a_full_recompute(self, seed: int, data: Any) -> None:
        rng = random.Random(seed)
        now = timezone.now()
        ctx = Context(now=now)
        world = build_world(rng, now)
        admin = self.personas.admin
        segments = [
            services.create_segment(
                actor=admin, data={"name": f"S{i}", "definition": data.draw(trees(world))}
            )
            for i in range(3)
        ]
        for segment in segments:
            services.refresh_segment(segment, ctx=ctx)
        for _ in range(12):
            contact = Contact.objects.get(pk=rng.choice(world.contact_ids))
            if contact.merged_into_id:
                continue
            _edit(rng, admin, contact)
        assert PendingContact.objects.exists()
        services.drain_pending(ctx=ctx)
        assert not PendingContact.objects.exists()
        for segment in segments:
            segment.refresh_from_db()
            expected = set(members(tree_of(segment), ctx).values_list("pk", flat=True))
            assert _open(segment) == expected, segment.definition
            assert segment.member_count == len(expected)
            # The full recompute finds nothing left to do.
            assert services.refresh_segment(segment, ctx=ctx) == (0, 0)


@pytest.fixture
def personas_class(request: Any, personas: Any) -> None:
    """Expose the personas on a unittest-style test class."""
    request.cls.personas = personas


def test_it_records_entry_and_exit_times(personas: Any) -> None:
    from clientela.contacts.tests.factories import ContactFactory

    ana = ContactFactory.create(city="Cali")
    beto = ContactFactory.create(city="Bogotá")
    segment = services.create_segment(
        actor=personas.marketer,
        data={
            "name": "Caleños",
            "definition": {"all": [{"field": "city", "op": "is", "value": "cali"}]},
        },
    )
    assert _open(segment) == {ana.pk}
    contact_services.update_contact(ana, actor=personas.admin, data={"city": "Pasto"})
    contact_services.update_contact(beto, actor=personas.admin, data={"city": "CALI"})
    services.drain_pending()
    assert _open(segment) == {beto.pk}
    stay = Membership.objects.get(segment=segment, contact=ana)
    assert stay.left_at is not None and stay.left_at >= stay.entered_at
    segment.refresh_from_db()
    assert segment.member_count == 1


def test_static_lists_are_edited_by_hand(personas: Any) -> None:
    from clientela.contacts.tests.factories import ContactFactory

    people = [ContactFactory.create() for _ in range(3)]
    listed = services.save_as_list(
        actor=personas.manager, name="Feria 2026", contacts=[p.pk for p in people[:2]]
    )
    assert listed.kind == SegmentKind.STATIC
    assert _open(listed) == {people[0].pk, people[1].pk}
    assert services.add_to_list(listed, [people[1].pk, people[2].pk], actor=personas.manager) == 1
    assert services.remove_from_list(listed, [people[0].pk], actor=personas.manager) == 1
    listed.refresh_from_db()
    assert listed.member_count == 2
    assert _open(listed) == {people[1].pk, people[2].pk}


def test_it_keeps_contacts_outside_the_actors_scope_off_a_list(personas: Any) -> None:
    from clientela.contacts.tests.factories import ContactFactory

    role = personas.rep.role
    role.capabilities = [*role.capabilities, "segments.manage"]
    role.save(update_fields=["capabilities"])
    personas.rep.refresh_from_db()
    mine = ContactFactory.create(owner=personas.rep)
    theirs = ContactFactory.create(owner=personas.rep2)
    listed = services.save_as_list(actor=personas.rep, name="Mis visitas", contacts=[mine.pk])
    assert services.add_to_list(listed, [theirs.pk], actor=personas.rep) == 0
    services.add_to_list(listed, [theirs.pk], actor=personas.admin)
    assert _open(listed) == {mine.pk, theirs.pk}
    # Nor can the rep take out a member he may not see.
    assert services.remove_from_list(listed, [theirs.pk], actor=personas.rep) == 0
    assert _open(listed) == {mine.pk, theirs.pk}
