"""Duplicate detection that stays fast at a million contacts.

Contacts that share a normalised e-mail or phone, or that have a similar name at the same
company, are kept as DuplicateGroup rows with their DuplicateMember rows — only the contacts
that have a twin, usually a few per cent of the table — so the duplicates page reads small
tables instead of grouping every contact on every request:

* `refresh_duplicate_groups()` rebuilds the rows from scratch: set-based SQL for e-mails and
  phones, one streaming pass per company for names (nightly schedule; after large imports);
* `catch_up_duplicates()` recomputes only the keys of the contacts changed since the last run,
  found through the updated_at index and the trash/restore events (every few minutes);
* `prepare_duplicates()` does the same catch-up right before the page reads, when few contacts
  changed, so a contact created or edited a second ago is already grouped; after a large change
  it queues the catch-up instead and the page says so. A small table (a few thousand contacts)
  is simply grouped live on every request and needs none of this.

Reading, with visibility applied, is `clientela.contacts.queries.duplicate_groups`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher
from functools import partial
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from clientela.contacts.choices import ContactVerb
from clientela.contacts.models import (
    Contact,
    DuplicateGroup,
    DuplicateKind,
    DuplicateMember,
    DuplicateScan,
)
from clientela.contacts.normalize import name_key
from clientela.contacts.queries import approximate_row_count
from clientela.timeline.choices import Verb
from clientela.timeline.models import Event

# Changes are found by the time stamped on them, but a transaction may commit a little after its
# stamp: every run looks this far back again (re-checking a key is harmless).
LAG = timedelta(minutes=5)
# A page's catch-up looks this far back again for writes stamped before its last run but
# committed after it (skipping those that run already handled), so they show on the next page
# view and not only after the scheduled run.
IN_FLIGHT = timedelta(seconds=2)
MAX_RECENT = 1_000
# Up to this many contacts (live and trashed) the page groups them live on every request.
LIVE_UP_TO = 5_000
# The first build of the groups runs inside a page request up to this many contacts.
FIRST_BUILD_INLINE = 20_000
# At most this many changed contacts are caught up inside a page request; more go to the worker.
INLINE_CHANGES = 2_000
# Past this many changed contacts one set-based rebuild is cheaper than key-by-key updates.
FULL_REFRESH_CHANGES = 50_000
CHUNK = 500
SIMILARITY = 0.85
# In a company with more contacts than this only neighbours in name order are compared
# (sorted-neighbourhood), so a 50,000-person company is not 1.25 billion comparisons.
ALL_PAIRS_UP_TO = 300
NEIGHBOURS = 8
KEY_LENGTH = 300
CATCH_UP_SCHEDULE = "contacts.duplicates_catch_up"
# Changes to a contact that do not move its updated_at but can add it to a group.
EVENT_VERBS = (Verb.DELETED, Verb.RESTORED, ContactVerb.MERGE_UNDONE)


# -- pure -----------------------------------------------------------------------------------------
def similar_names(a: str, b: str) -> bool:
    """Whether two name keys (see normalize.name_key) are close enough to be the same person."""
    if not a or not b:
        return False
    if a == b:
        return True
    # ratio() is at most 2·min/(len a + len b): most pairs are ruled out by their lengths alone.
    if 2 * min(len(a), len(b)) < SIMILARITY * (len(a) + len(b)):
        return False
    matcher = SequenceMatcher(None, a, b)
    return matcher.quick_ratio() >= SIMILARITY and matcher.ratio() >= SIMILARITY


def name_groups(company_id: int, people: Iterable[tuple[int, str]]) -> list[tuple[str, list[int]]]:
    """Return groups of contact ids with similar names within one company, as (group key, ids)."""
    ranked = sorted((key, pk) for pk, key in people if key)
    size = len(ranked)
    parent = list(range(size))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(size):
        stop = size if size <= ALL_PAIRS_UP_TO else min(size, i + 1 + NEIGHBOURS)
        for j in range(i + 1, stop):
            a, b = root(i), root(j)
            if a != b and similar_names(ranked[i][0], ranked[j][0]):
                parent[max(a, b)] = min(a, b)
    members: dict[int, list[int]] = {}
    for i in range(size):
        members.setdefault(root(i), []).append(i)
    return [
        (f"{company_id}:{ranked[first][0]}"[:KEY_LENGTH], sorted(ranked[i][1] for i in indexes))
        for first, indexes in members.items()
        if len(indexes) > 1
    ]


def _chunks(values: Iterable[object], size: int = CHUNK) -> Iterator[list[object]]:
    batch: list[object] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# -- building the rows ----------------------------------------------------------------------------
def _insert_shared(kind: str, keys: Sequence[object] | None = None) -> None:
    """Insert the groups of live contacts sharing an e-mail (or phone), all or these keys."""
    # Only identifiers from the models are interpolated; every value is a parameter.
    quote = connection.ops.quote_name
    field, key = quote(kind), quote("key")
    contacts = quote(Contact._meta.db_table)
    groups = quote(DuplicateGroup._meta.db_table)
    members = quote(DuplicateMember._meta.db_table)
    only, in_keys = "", ""
    keys_params: list[Any] = []
    if keys is not None:
        marks = ", ".join(["%s"] * len(keys))
        only, in_keys = f" AND d.{field} IN ({marks})", f" AND g.{key} IN ({marks})"
        keys_params = list(keys)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {groups} (kind, {key}, size, company_id) "  # noqa: S608
            f"SELECT %s, d.{field}, COUNT(*), NULL FROM {contacts} d "
            f"WHERE d.deleted_at IS NULL AND d.{field} <> ''{only} "
            f"GROUP BY d.{field} HAVING COUNT(*) > 1",
            [kind, *keys_params],
        )
        cursor.execute(
            f"INSERT INTO {members} (group_id, contact_id, owner_id) "  # noqa: S608
            f"SELECT g.id, c.id, c.owner_id FROM {groups} g JOIN {contacts} c "
            f"ON c.{field} = g.{key} AND c.deleted_at IS NULL WHERE g.kind = %s{in_keys}",
            [kind, *keys_params],
        )


def _insert_names(company_ids: Sequence[object] | None = None) -> None:
    """Insert the groups of live contacts with a similar name at one company (all or these)."""
    rows = Contact.objects.filter(deleted_at__isnull=True, company_id__isnull=False)
    if company_ids is not None:
        rows = rows.filter(company_id__in=company_ids)
    stream = (
        rows.order_by("company_id")
        .values_list("company_id", "id", "first_name", "last_name", "owner_id")
        .iterator(chunk_size=5_000)
    )
    found: list[tuple[DuplicateGroup, list[int]]] = []
    owners: dict[int, int | None] = {}
    for company_id, people in groupby(stream, key=itemgetter(0)):
        keyed = []
        for _company, pk, first, last, owner_id in people:
            keyed.append((pk, name_key(first, last)))
            owners[pk] = owner_id
        if len(keyed) > 1:
            found.extend(
                (
                    DuplicateGroup(
                        kind=DuplicateKind.NAME, key=key, size=len(ids), company_id=company_id
                    ),
                    ids,
                )
                for key, ids in name_groups(company_id, keyed)
            )
        if len(found) >= 2_000:
            _save_groups(found, owners)
            found, owners = [], {}
    _save_groups(found, owners)


def _save_groups(found: list[tuple[DuplicateGroup, list[int]]], owners: dict[int, Any]) -> None:
    if not found:
        return
    DuplicateGroup.objects.bulk_create([group for group, _ids in found])
    DuplicateMember.objects.bulk_create(
        DuplicateMember(group_id=group.pk, contact_id=pk, owner_id=owners.get(pk))
        for group, ids in found
        for pk in ids
    )


def _delete_groups(groups: QuerySet[DuplicateGroup]) -> None:
    """Delete some groups with their members (members first: the key has no ON DELETE)."""
    DuplicateMember.objects.filter(group__in=groups).delete()
    groups.delete()


def _recompute(contact_ids: Iterable[int]) -> None:
    """Rebuild every group the given contacts belong to now or belonged to before."""
    keys: dict[str, set[str]] = {DuplicateKind.EMAIL: set(), DuplicateKind.PHONE: set()}
    companies: set[int] = set()
    for chunk in _chunks(contact_ids):
        for email, phone, company_id in Contact.objects.filter(id__in=chunk).values_list(
            "email", "phone", "company_id"
        ):
            if email:
                keys[DuplicateKind.EMAIL].add(email)
            if phone:
                keys[DuplicateKind.PHONE].add(phone)
            if company_id:
                companies.add(company_id)
        for kind, key, group_company in DuplicateMember.objects.filter(
            contact_id__in=chunk
        ).values_list("group__kind", "group__key", "group__company_id"):
            if kind == DuplicateKind.NAME and group_company is not None:
                companies.add(group_company)
            elif kind in keys:
                keys[kind].add(key)
    for kind, values in keys.items():
        for batch in _chunks(sorted(values)):
            _delete_groups(DuplicateGroup.objects.filter(kind=kind, key__in=batch))
            _insert_shared(kind, batch)
    for batch in _chunks(sorted(companies)):
        _delete_groups(DuplicateGroup.objects.filter(kind=DuplicateKind.NAME, company_id__in=batch))
        _insert_names(batch)


def _state() -> DuplicateScan:
    state, _created = DuplicateScan.objects.get_or_create(pk=1)
    return state


def _changes(since: datetime, limit: int) -> dict[int, datetime]:
    """Contacts changed at or after `since` (at most limit + 1), with when they changed."""
    changed = dict(
        Contact.objects.filter(updated_at__gte=since)
        .order_by("-updated_at", "-id")
        .values_list("id", "updated_at")[: limit + 1]
    )
    for pk, moment in (
        Event.objects.filter(created_at__gte=since, verb__in=EVENT_VERBS, contact__isnull=False)
        .order_by()
        .values_list("contact_id", "created_at")[: limit + 1]
    ):
        if pk is not None and (pk not in changed or changed[pk] < moment):
            changed[pk] = moment
    return changed


# -- services -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Readiness:
    """How the duplicates page reads: live for a small table, else from the precomputed rows."""

    live: bool
    # Changed contacts not yet checked (a large import being caught up by the worker).
    waiting: int = 0


def _locked_state() -> DuplicateScan:
    state = DuplicateScan.objects.select_for_update().filter(pk=1).first()
    return state or DuplicateScan.objects.create(pk=1)


@transaction.atomic
def refresh_duplicate_groups() -> None:
    """Rebuild all duplicate groups from the contacts (nightly; after large imports)."""
    started = timezone.now()
    state = _locked_state()
    DuplicateMember.objects.all().delete()
    DuplicateGroup.objects.all().delete()
    _insert_shared(DuplicateKind.EMAIL)
    _insert_shared(DuplicateKind.PHONE)
    _insert_names()
    state.synced_through = started
    state.recent_ids = []
    state.refreshed_at = timezone.now()
    state.queued_at = None
    state.save()


def catch_up_duplicates() -> int:
    """Recompute the groups touched by contacts changed since the last run (every few minutes).

    Returns how many changed contacts were looked at (-1 after a full rebuild).
    """
    state = _state()
    if state.synced_through is None:
        refresh_duplicate_groups()
        return -1
    now = timezone.now()
    changed = _changes(state.synced_through - LAG, FULL_REFRESH_CHANGES)
    if len(changed) > FULL_REFRESH_CHANGES:
        refresh_duplicate_groups()
        return -1
    with transaction.atomic():
        state = _locked_state()
        _recompute(changed)
        _mark_synced(state, now, changed)
    return len(changed)


def contacts_are_few() -> bool:
    """Whether the contacts table is small enough to group live on every request."""
    approx = approximate_row_count(Contact)
    if approx is not None and approx > LIVE_UP_TO:
        return False  # a stale estimate only ever errs towards the precomputed rows
    return Contact.objects.order_by()[: LIVE_UP_TO + 1].count() <= LIVE_UP_TO


def prepare_duplicates() -> Readiness:
    """Make the duplicate groups current before the page reads them.

    A small table is grouped live. Otherwise the contacts changed since the last run are caught
    up here when they are few; many (a large import) are queued for the worker and `waiting`
    tells the page to say so.
    """
    if contacts_are_few():
        return Readiness(live=True)
    for _attempt in range(2):
        state = _state()
        if state.synced_through is None:
            waiting = Contact.objects.order_by()[: FIRST_BUILD_INLINE + 1].count()
            if waiting > FIRST_BUILD_INLINE:
                return Readiness(live=False, waiting=_queue(waiting))
            refresh_duplicate_groups()
            return Readiness(live=False)
        now = timezone.now()
        seen = set(state.recent_ids)
        changed = {
            pk: moment
            for pk, moment in _changes(state.synced_through - IN_FLIGHT, INLINE_CHANGES).items()
            if moment >= state.synced_through or pk not in seen
        }
        if not changed:
            return Readiness(live=False)  # nothing new since the last run
        if len(changed) > INLINE_CHANGES:
            return Readiness(live=False, waiting=_queue(len(changed)))
        with transaction.atomic():
            claimed = (
                DuplicateScan.objects.select_for_update(skip_locked=True)
                .filter(pk=1, synced_through=state.synced_through)
                .first()
            )
            if claimed is not None:
                _recompute(changed)
                _mark_synced(claimed, now, changed)
                return Readiness(live=False)
        if DuplicateScan.objects.filter(pk=1, synced_through=state.synced_through).exists():
            # A rebuild holds the row: show what is there meanwhile.
            return Readiness(live=False, waiting=len(changed))
        # Another request caught up meanwhile: look again for what it may not have seen.
    return Readiness(live=False)


def _mark_synced(state: DuplicateScan, now: datetime, changed: dict[int, datetime]) -> None:
    """Record a catch-up that read the changes as of `now`."""
    state.synced_through = now
    # Writes stamped just before `now` but committed after the read are not among these, so the
    # next page view still picks them up; those it already handled it skips.
    recent = [pk for pk, moment in changed.items() if moment >= now - IN_FLIGHT]
    state.recent_ids = recent if len(recent) <= MAX_RECENT else []
    state.queued_at = None
    state.save(update_fields=["synced_through", "recent_ids", "queued_at"])


def _queue(waiting: int) -> int:
    """Ask the worker for a catch-up unless one was asked for in the last few minutes."""
    from clientela.core.tasks import run_scheduled

    now = timezone.now()
    with transaction.atomic():
        asked = (
            DuplicateScan.objects.filter(pk=1)
            .exclude(queued_at__gt=now - LAG)
            .update(queued_at=now)
        )
        if asked:
            transaction.on_commit(partial(run_scheduled.enqueue, CATCH_UP_SCHEDULE))
    return waiting
