"""Duplicate detection: the pure name matching, the precomputed groups and their catch-up."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import translation

from clientela.contacts import duplicates, services
from clientela.contacts.duplicates import (
    name_groups,
    prepare_duplicates,
    refresh_duplicate_groups,
    similar_names,
)
from clientela.contacts.models import Contact, DuplicateGroup, DuplicateMember, DuplicateScan
from clientela.contacts.normalize import name_key
from clientela.contacts.queries import duplicate_groups
from clientela.contacts.tests.factories import contact_allowing_email_twin


# -- pure -----------------------------------------------------------------------------------------
def test_it_matches_names_despite_accents_order_and_small_typos():
    assert similar_names(name_key("José", "Pérez"), name_key("Jose", "Perez"))
    assert similar_names(name_key("María Fernanda", "Gómez"), name_key("Gomez", "Maria Fernanda"))
    assert similar_names(name_key("Carolina", "Restrepo"), name_key("Carolina", "Restrepó"))
    assert similar_names(name_key("Carolina", "Restrepo"), name_key("Karolina", "Restrepo"))
    assert not similar_names(name_key("Ana", "Gómez"), name_key("Juan", "Gómez"))
    assert not similar_names(name_key("Ana", "Ruiz"), name_key("Ana María", "Ruiz Londoño"))
    assert not similar_names("", "")


def test_it_groups_similar_names_within_one_company():
    people = [
        (1, name_key("José", "Pérez")),
        (2, name_key("Jose", "Perez")),
        (3, name_key("Ana", "Gómez")),
        (4, name_key("Pérez", "José")),
        (5, ""),
        (6, ""),
    ]
    groups = name_groups(7, people)
    assert groups == [("7:jose perez", [1, 2, 4])]


def test_it_compares_only_name_neighbours_in_a_very_large_company():
    people = [(i, hashlib.sha256(str(i).encode()).hexdigest()[:12]) for i in range(1000)]
    people += [(5000, name_key("Zoila", "Zapata")), (5001, name_key("Zapata", "Zoila"))]
    assert name_groups(1, people) == [("1:zapata zoila", [5000, 5001])]


# -- precomputed groups ---------------------------------------------------------------------------


@pytest.fixture
def precomputed(monkeypatch):
    """Use the precomputed rows even for the few contacts of a test."""
    monkeypatch.setattr(duplicates, "LIVE_UP_TO", 0)


def contact(actor, **data):
    """A contact created through the service, as people and imports do (e-mail twins allowed)."""
    return contact_allowing_email_twin(actor, **data)


def groups_seen_by(user, *, live=False):
    """{(field, value): [contact ids]} of the duplicates page for `user`."""
    return {
        (g["field"], g["value"]): sorted(c.pk for c in g["members"])
        for g in duplicate_groups(user, live=live)
    }


def counts_seen_by(user, *, live=False):
    """{(field, value): count} of the duplicates page for `user`."""
    return {(g["field"], g["value"]): g["count"] for g in duplicate_groups(user, live=live)}


def stored_rows():
    """Every precomputed member as (kind, key, group size, contact id, owner id)."""
    return set(
        DuplicateMember.objects.values_list(
            "group__kind", "group__key", "group__size", "contact_id", "owner_id"
        )
    )


@pytest.fixture
def company(personas):
    """A company the rep and the manager can use."""
    return services.create_company(actor=personas.rep, data={"name": "Lotes del Sur"})


@pytest.fixture
def people(personas, company):
    """Three pairs of the rep's contacts: same e-mail, same phone, similar name at one company."""
    rep = personas.rep
    return {
        "email": [
            contact(rep, first_name="Ana", email="ana@example.co"),
            contact(rep, first_name="Ana María", email="ANA@example.co"),
        ],
        "phone": [
            contact(rep, first_name="Luis", phone="300 111 2233"),
            contact(rep, first_name="Lucho", phone="+57 3001112233"),
        ],
        "name": [
            contact(rep, first_name="José", last_name="Pérez", company=company.pk),
            contact(rep, first_name="Jose", last_name="Perez", company=company.pk),
            contact(rep, first_name="Marta", last_name="Ríos", company=company.pk),
        ],
    }


@pytest.mark.django_db
def test_it_builds_groups_of_shared_email_phone_and_similar_name(
    personas, people, company, precomputed
):
    refresh_duplicate_groups()
    email, phone, name = people["email"], people["phone"], people["name"]
    assert groups_seen_by(personas.rep) == {
        ("email", "ana@example.co"): sorted(c.pk for c in email),
        ("phone", "+573001112233"): sorted(c.pk for c in phone),
        ("name", f"{company.pk}:jose perez"): sorted(c.pk for c in name[:2]),
    }
    assert DuplicateMember.objects.count() == 6
    assert sorted(DuplicateGroup.objects.values_list("size", flat=True)) == [2, 2, 2]
    assert DuplicateScan.objects.get().refreshed_at is not None
    # The live grouping of a small table finds the same.
    assert groups_seen_by(personas.rep, live=True) == groups_seen_by(personas.rep)


@pytest.mark.django_db
def test_it_lists_members_oldest_first_and_the_largest_groups_first(personas, precomputed):
    rep = personas.rep
    trio = [contact(rep, first_name=f"Tri{i}", email="tri@example.co") for i in range(3)]
    pair = [contact(rep, first_name=f"Duo{i}", email="duo@example.co") for i in range(2)]
    for live in (False, True):
        prepare_duplicates()
        groups = duplicate_groups(rep, live=live, members=2)
        assert [(g["value"], g["count"]) for g in groups] == [
            ("tri@example.co", 3),
            ("duo@example.co", 2),
        ]
        assert groups[0]["members"] == trio[:2]
        assert groups[1]["members"] == pair
        with translation.override("en"):
            assert str(groups[0]["reason"]) == "same e-mail"


@pytest.mark.django_db
def test_it_counts_and_shows_only_contacts_the_user_may_see(personas, precomputed):
    rep, rep2, manager = personas.rep, personas.rep2, personas.manager
    mine = [contact(rep, first_name=f"Mía{i}", email="shared@example.co") for i in range(2)]
    theirs = contact(rep2, first_name="Ajena", email="shared@example.co")
    # One contact each: a pair for the manager, nothing for either rep.
    contact(rep, first_name="Solo", phone="3005550000")
    contact(rep2, first_name="Sola", phone="3005550000")
    for live in (False, True):
        prepare_duplicates()
        assert counts_seen_by(rep, live=live) == {("email", "shared@example.co"): 2}
        assert groups_seen_by(rep, live=live) == {
            ("email", "shared@example.co"): sorted(c.pk for c in mine)
        }
        assert groups_seen_by(rep2, live=live) == {}
        assert counts_seen_by(personas.colleague, live=live) == {("email", "shared@example.co"): 2}
        assert groups_seen_by(personas.outsider, live=live) == {}
        assert counts_seen_by(manager, live=live) == {
            ("email", "shared@example.co"): 3,
            ("phone", "+573005550000"): 2,
        }
        assert theirs.pk in groups_seen_by(manager, live=live)[("email", "shared@example.co")]


@pytest.mark.django_db
def test_it_follows_a_change_of_owner_at_once(personas, precomputed):
    rep, rep2 = personas.rep, personas.rep2
    a = contact(rep, first_name="Uno", email="par@example.co")
    contact(rep, first_name="Dos", email="par@example.co")
    prepare_duplicates()
    assert counts_seen_by(rep) == {("email", "par@example.co"): 2}
    # Handed to another rep without the page having run since: the rep sees no pair any more.
    Contact.objects.filter(pk=a.pk).update(owner=rep2)
    assert counts_seen_by(rep) == {}


@pytest.mark.django_db
def test_it_catches_up_right_after_contacts_are_created_edited_deleted_and_restored(
    personas, people, company, precomputed
):
    rep, manager = personas.rep, personas.manager
    refresh_duplicate_groups()
    key = ("email", "ana@example.co")
    # Created a second ago: already in the group.
    third = contact(rep, first_name="Anita", email="ana@example.co")
    assert prepare_duplicates().waiting == 0
    assert counts_seen_by(rep)[key] == 3
    # Edited away: out of the group, and into a new one with its new e-mail.
    services.update_contact(third, actor=rep, data={"email": "luis@example.co"})
    contact(rep, first_name="Luisito", email="luis@example.co")
    prepare_duplicates()
    assert counts_seen_by(rep)[key] == 2
    assert counts_seen_by(rep)[("email", "luis@example.co")] == 2
    # A similar name typed at the company.
    contact(rep, first_name="Marta", last_name="Rios", company=company.pk)
    prepare_duplicates()
    assert counts_seen_by(rep)[("name", f"{company.pk}:marta rios")] == 2
    # Trash and restore (neither moves updated_at).
    first = people["email"][0]
    services.delete_contact(first, actor=manager)
    prepare_duplicates()
    assert key not in counts_seen_by(rep)
    services.restore_contact(Contact.objects.get(pk=first.pk), actor=manager)
    prepare_duplicates()
    assert counts_seen_by(rep)[key] == 2
    # Merge and undo.
    survivor, other = people["phone"]
    done = services.merge_contacts(survivor, other, actor=manager)
    prepare_duplicates()
    assert ("phone", "+573001112233") not in counts_seen_by(rep)
    services.undo_merge(done, actor=manager)
    prepare_duplicates()
    assert counts_seen_by(rep)[("phone", "+573001112233")] == 2
    # The rows kept match a rebuild from scratch.
    kept = stored_rows()
    refresh_duplicate_groups()
    assert stored_rows() == kept


@pytest.mark.django_db
def test_it_never_counts_a_row_whose_contact_changed_since(personas, precomputed):
    rep = personas.rep
    a = contact(rep, first_name="Uno", email="viejo@example.co")
    contact(rep, first_name="Dos", email="viejo@example.co")
    prepare_duplicates()
    # Written around the services (no updated_at): the stale row no longer counts.
    Contact.objects.filter(pk=a.pk).update(email="nuevo@example.co")
    assert counts_seen_by(rep) == {}
    # The nightly rebuild tidies the rows up.
    refresh_duplicate_groups()
    assert not DuplicateMember.objects.exists() and not DuplicateGroup.objects.exists()


@pytest.mark.django_db
def test_it_queues_the_catch_up_after_a_large_change(
    personas, precomputed, monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    refresh_duplicate_groups()
    monkeypatch.setattr(duplicates, "INLINE_CHANGES", 3)
    for i in range(4):
        contact(personas.rep, first_name=f"Lote{i}", email="lote@example.co")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ready = prepare_duplicates()
    assert ready.waiting > 3
    assert len(callbacks) == 1
    # The worker ran the catch-up: the page is current and nothing is queued any more.
    assert counts_seen_by(personas.rep) == {("email", "lote@example.co"): 4}
    assert DuplicateScan.objects.get().queued_at is None
    assert prepare_duplicates().waiting == 0


@pytest.mark.django_db
def test_it_asks_for_one_catch_up_at_a_time(
    personas, precomputed, monkeypatch, django_capture_on_commit_callbacks
):
    refresh_duplicate_groups()
    monkeypatch.setattr(duplicates, "INLINE_CHANGES", 1)
    for i in range(3):
        contact(personas.rep, first_name=f"Lote{i}", email="lote@example.co")
    with django_capture_on_commit_callbacks() as callbacks:
        assert prepare_duplicates().waiting > 1
        assert prepare_duplicates().waiting > 1
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_it_builds_the_groups_on_first_sight_and_rebuilds_after_huge_changes(
    personas, precomputed, monkeypatch
):
    contact(personas.rep, first_name="Uno", email="par@example.co")
    contact(personas.rep, first_name="Dos", email="par@example.co")
    assert prepare_duplicates().waiting == 0
    assert DuplicateScan.objects.get().refreshed_at is not None
    assert counts_seen_by(personas.rep) == {("email", "par@example.co"): 2}
    monkeypatch.setattr(duplicates, "FULL_REFRESH_CHANGES", 1)
    contact(personas.rep, first_name="Tres", email="par@example.co")
    assert duplicates.catch_up_duplicates() == -1  # rebuilt from scratch
    assert counts_seen_by(personas.rep) == {("email", "par@example.co"): 3}


@pytest.mark.django_db
def test_it_groups_live_while_the_table_is_small(personas):
    contact(personas.rep, first_name="Uno", email="par@example.co")
    contact(personas.rep, first_name="Dos", email="par@example.co")
    assert prepare_duplicates().live
    assert not DuplicateScan.objects.exists()
    assert counts_seen_by(personas.rep, live=True) == {("email", "par@example.co"): 2}


def test_it_registers_its_schedules():
    from clientela.core.scheduling import REGISTRY

    assert REGISTRY["contacts.duplicates_catch_up"].func.endswith(".catch_up_duplicates")
    assert REGISTRY["contacts.duplicates_refresh"].func.endswith(".refresh_duplicate_groups")


@pytest.mark.django_db
def test_it_picks_up_a_write_committed_just_after_a_catch_up(personas, precomputed):
    rep = personas.rep
    contact(rep, first_name="Uno", email="tarde@example.co")
    prepare_duplicates()
    synced = DuplicateScan.objects.get().synced_through
    assert synced is not None
    # Stamped a moment before that catch-up read the changes, committed after it.
    late = contact(rep, first_name="Dos", email="tarde@example.co")
    Contact.objects.filter(pk=late.pk).update(updated_at=synced - timedelta(seconds=1))
    assert counts_seen_by(rep) == {}
    prepare_duplicates()
    assert counts_seen_by(rep) == {("email", "tarde@example.co"): 2}
    # Already handled: the next view has nothing to do.
    assert late.pk in DuplicateScan.objects.get().recent_ids
