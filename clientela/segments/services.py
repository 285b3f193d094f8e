"""Writes for segments: create, change, delete, edit lists, and keep membership up to date.

Membership is materialised in Membership rows (entered at / left at). It changes three ways,
which must agree (a test holds the incremental path equal to a full recompute):

* ``refresh_segment`` recomputes one segment for every contact (on save, and nightly for
  conditions relative to today);
* ``refresh_contacts`` re-evaluates every dynamic segment for a few contacts, after writes —
  every write leaves a timeline event, and the events' contacts are queued in PendingContact;
* list edits open and close rows by hand.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.models import Contact
from clientela.contacts.normalize import InvalidValue, normalize_email, normalize_phone
from clientela.contacts.queries import contacts_visible_to
from clientela.contacts.services.records import region
from clientela.core.events import Via, record_event
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.core.numbers import DB_INT_MAX
from clientela.core.tabular.detection import TableError
from clientela.core.tabular.reading import open_table
from clientela.segments.choices import SegmentKind, SegmentVerb
from clientela.segments.engine import live_contacts
from clientela.segments.models import Membership, PendingContact, Segment
from clientela.segments.queries import (
    may_manage_segments,
    referenced_segments,
    segment_q,
    tree_of,
    uses_of,
)
from clientela.segments.registry import Context
from clientela.segments.sql import without_jit
from clientela.segments.tree import DefinitionError, parse, to_json

MAX_NAME = 120


def _require_manage(actor: User) -> None:
    if not may_manage_segments(actor):
        raise Forbidden(_("Your role cannot change segments."))


def clean_segment(
    data: Mapping[str, Any], *, kind: str, current: Segment | None = None
) -> dict[str, Any]:
    """Validate a segment's name, description and definition; field errors in the user's language."""
    errors: dict[str, list[str]] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Give the segment a name.")]
    elif len(name) > MAX_NAME:
        errors["name"] = [_("Use at most %(max)s characters.") % {"max": MAX_NAME}]
    description = str(data.get("description") or "").strip()
    if len(description) > 300:
        errors["description"] = [_("Use at most %(max)s characters.") % {"max": 300}]
    definition: dict[str, Any] = {}
    if kind == SegmentKind.DYNAMIC:
        try:
            tree = parse(data.get("definition"))
        except DefinitionError as error:
            for path, messages in error.errors.items():
                errors[f"definition.{path}" if path else "definition"] = messages
        else:
            definition = to_json(tree)
            problem = _reference_problem(tree, current)
            if problem:
                errors["definition"] = [problem]
    if any("\x00" in text for text in (name, description)):
        errors["name"] = [_("Remove control characters.")]
    if errors:
        raise ValidationFailed(errors)
    return {"name": name, "description": description, "definition": definition}


def _reference_problem(tree: Any, current: Segment | None) -> str | None:
    """Return a referenced segment that does not exist, or a chain that leads back to this one."""
    seen: set[int] = set()
    pending = list(referenced_segments(tree))
    while pending:
        segment_id = pending.pop()
        if current is not None and segment_id == current.pk:
            return _("A segment cannot contain itself, directly or through other segments.")
        if segment_id in seen:
            continue
        seen.add(segment_id)
        other = Segment.objects.filter(pk=segment_id, deleted_at__isnull=True).first()
        if other is None:
            return _("A segment named in the conditions no longer exists.")
        if not other.is_static:
            pending.extend(referenced_segments(tree_of(other)))
    return None


def create_segment(
    *,
    actor: User,
    data: Mapping[str, Any],
    kind: str = SegmentKind.DYNAMIC,
    via: str = Via.UI,
    code: str = "",
) -> Segment:
    """Create a dynamic segment or a static list and compute its members."""
    _require_manage(actor)
    if kind not in SegmentKind.values:
        raise ValidationFailed({"kind": [_("Choose a dynamic segment or a static list.")]})
    clean = clean_segment(data, kind=kind)
    with transaction.atomic():
        segment = Segment.objects.create(
            kind=kind, code=code, created_by=actor if getattr(actor, "pk", None) else None, **clean
        )
        record_event(
            SegmentVerb.SEGMENT_CREATED,
            actor=actor,
            target=segment,
            via=via,
            data={"name": segment.name, "kind": kind},
        )
        refresh_segment(segment)
    return segment


def update_segment(
    segment: Segment,
    *,
    actor: User,
    data: Mapping[str, Any],
    version: int | None = None,
    via: str = Via.UI,
) -> Segment:
    """Change a segment's name, description or conditions (optimistic lock on `version`)."""
    _require_manage(actor)
    clean = clean_segment(data, kind=segment.kind, current=segment)
    with transaction.atomic():
        locked = Segment.objects.select_for_update().get(pk=segment.pk)
        if locked.deleted_at is not None:
            raise Conflict(_("The segment was deleted."))
        if version is not None and locked.version != version:
            raise Conflict(_("Someone else changed this segment; reload it and try again."))
        changes = {k: [getattr(locked, k), v] for k, v in clean.items() if getattr(locked, k) != v}
        for key, value in clean.items():
            setattr(locked, key, value)
        locked.updated_at = timezone.now()
        locked.version += 1
        locked.save()
        if changes:
            record_event(
                SegmentVerb.SEGMENT_CHANGED,
                actor=actor,
                target=locked,
                via=via,
                data={"changes": list(changes)},
            )
        if "definition" in changes:
            refresh_segment(locked)
    return locked


def delete_segment(segment: Segment, *, actor: User, via: str = Via.UI) -> Segment:
    """Delete a segment (soft: its history stays); refused while other segments use it."""
    _require_manage(actor)
    users = uses_of(segment)
    if users:
        raise Conflict(
            _("Segments %(names)s use this one; change them first.")
            % {"names": ", ".join(f"“{s.name}”" for s in users)}
        )
    with transaction.atomic():
        segment.deleted_at = timezone.now()
        segment.version += 1
        segment.save(update_fields=["deleted_at", "version"])
        record_event(
            SegmentVerb.SEGMENT_DELETED,
            actor=actor,
            target=segment,
            via=via,
            data={"name": segment.name},
        )
    return segment


# --- Static lists -----------------------------------------------------------------------------


def _require_list(segment: Segment) -> None:
    if not segment.is_static:
        raise ValidationFailed({"segment": [_("Only static lists are edited by hand.")]})


def add_to_list(
    segment: Segment, contact_ids: Iterable[int], *, actor: User, via: str = Via.UI
) -> int:
    """Add contacts the actor may see to a static list; return how many were added.

    Members stay once; ids of contacts the actor may not see (or that are gone) are skipped,
    so no path can put a contact outside the actor's scope on a list.
    """
    _require_manage(actor)
    _require_list(segment)
    now = timezone.now()
    added = 0
    with transaction.atomic():
        Segment.objects.select_for_update().filter(pk=segment.pk).first()
        wanted = {int(pk) for pk in contact_ids}
        visible = contacts_visible_to(actor)
        chunk = list(wanted)
        for start in range(0, len(chunk), 900):
            part = chunk[start : start + 900]
            live = set(visible.filter(pk__in=part).values_list("pk", flat=True))
            already = set(
                Membership.objects.filter(
                    segment=segment, contact_id__in=part, left_at__isnull=True
                ).values_list("contact_id", flat=True)
            )
            rows = [
                Membership(segment=segment, contact_id=pk, entered_at=now)
                for pk in sorted(live - already)
            ]
            Membership.objects.bulk_create(rows, batch_size=1000)
            added += len(rows)
        if added:
            _count(segment, now)
            record_event(
                SegmentVerb.LIST_CHANGED,
                actor=actor,
                target=segment,
                via=via,
                data={"added": added},
            )
    return added


def remove_from_list(
    segment: Segment, contact_ids: Iterable[int], *, actor: User, via: str = Via.UI
) -> int:
    """Take contacts the actor may see out of a static list; return how many left it."""
    _require_manage(actor)
    _require_list(segment)
    now = timezone.now()
    ids = [int(pk) for pk in contact_ids]
    with transaction.atomic():
        removed = 0
        for start in range(0, len(ids), 900):
            removed += Membership.objects.filter(
                segment=segment,
                contact_id__in=ids[start : start + 900],
                contact__in=contacts_visible_to(actor).values("pk"),
                left_at__isnull=True,
            ).update(left_at=now)
        if removed:
            _count(segment, now)
            record_event(
                SegmentVerb.LIST_CHANGED,
                actor=actor,
                target=segment,
                via=via,
                data={"removed": removed},
            )
    return removed


def save_as_list(
    *, actor: User, name: str, contacts: Any, description: str = "", via: str = Via.UI
) -> Segment:
    """Return a new static list holding `contacts` (a queryset or ids): "save these 312 as a list"."""
    _require_manage(actor)
    segment = create_segment(
        actor=actor,
        data={"name": name, "description": description},
        kind=SegmentKind.STATIC,
        via=via,
    )
    ids = contacts.values_list("pk", flat=True) if hasattr(contacts, "values_list") else contacts
    add_to_list(segment, list(ids), actor=actor, via=via)
    segment.refresh_from_db()
    return segment


# --- Filling a list from a file ---------------------------------------------------------------

# A file is matched in the request (one query per 900 values), so its size is bounded; a larger
# audience is imported as contacts with a tag and selected by a segment on that tag.
MAX_LIST_FILE_ROWS = 20_000

# Column headers recognised (folded: lower case, no accents, no spaces or dashes).
EMAIL_HEADERS = frozenset({"email", "correo", "correoelectronico", "mail", "emailaddress"})
PHONE_HEADERS = frozenset({"phone", "telefono", "celular", "movil", "mobile", "whatsapp"})
ID_HEADERS = frozenset({"id", "contactid", "idcontacto", "contacto"})


@dataclass
class ListFileResult:
    """What a file did to a list: rows read, contacts added, and every row left out, by line."""

    rows: int = 0
    matched: int = 0
    added: int = 0
    rejected: list[tuple[int, str, str]] = field(default_factory=list)  # (line, value, reason)


def _header_key(header: str) -> str:
    folded = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in folded if ch.isalnum())


def _match_column(headers: Sequence[str]) -> tuple[str, str]:
    """Return (header, "email" | "phone" | "id") of the column that names the contacts."""
    keys = {_header_key(header): header for header in headers}
    for kind, names in (("email", EMAIL_HEADERS), ("phone", PHONE_HEADERS), ("id", ID_HEADERS)):
        for key, header in keys.items():
            if key in names:
                return header, kind
    raise ValidationFailed(
        {
            "file": [
                _(
                    "The file needs a column named “e-mail”, “phone” or “id” to find the "
                    "contacts (its columns: %(columns)s)."
                )
                % {"columns": ", ".join(headers) or "—"}
            ]
        }
    )


def _normalised(value: str, kind: str) -> str:
    """Return the value as contacts store it; InvalidValue when it cannot be one."""
    if kind == "email":
        return normalize_email(value)
    if kind == "phone":
        return normalize_phone(value, region())
    if not value.isdigit() or not 0 < int(value) <= DB_INT_MAX:
        raise InvalidValue(_("“%(value)s” is not a contact id.") % {"value": value})
    return str(int(value))


def fill_list_from_file(
    segment: Segment, upload: IO[bytes], *, filename: str, actor: User, via: str = Via.UI
) -> ListFileResult:
    """Add the contacts a CSV/XLSX file names (by e-mail, phone or id) to a static list.

    Only contacts the actor may see are found; every other row is reported with its line
    number and the reason, and nothing already in the list is added twice.
    """
    _require_manage(actor)
    _require_list(segment)
    try:
        table = open_table(upload, filename=filename)
    except TableError as exc:
        raise ValidationFailed({"file": [exc.message]}) from exc
    header, kind = _match_column(table.headers)
    result = ListFileResult()
    wanted: dict[str, list[tuple[int, str]]] = {}
    for record in table.records():
        result.rows += 1
        if result.rows > MAX_LIST_FILE_ROWS:
            raise ValidationFailed(
                {
                    "file": [
                        _(
                            "A list takes at most %(max)s rows from one file. Import the "
                            "contacts with a tag and build a segment on that tag instead."
                        )
                        % {"max": f"{MAX_LIST_FILE_ROWS:,}"}
                    ]
                }
            )
        raw = (record.values.get(header) or "").strip()
        if record.problems:
            result.rejected.append((record.line, raw, "; ".join(record.problems)))
            continue
        if not raw:
            result.rejected.append((record.line, raw, _("The row has no value in “%s”.") % header))
            continue
        try:
            key = _normalised(raw, kind)
        except InvalidValue as exc:
            result.rejected.append((record.line, raw, str(exc)))
            continue
        wanted.setdefault(key, []).append((record.line, raw))
    lookup = {"email": "email", "phone": "phone", "id": "pk"}[kind]
    found: dict[str, list[int]] = {}
    keys = list(wanted)
    for start in range(0, len(keys), 900):
        rows = contacts_visible_to(actor).filter(**{f"{lookup}__in": keys[start : start + 900]})
        for pk, value in rows.values_list("pk", lookup):
            found.setdefault(str(value), []).append(pk)
    missing = _("No contact you can see has this value.")
    for key, lines in wanted.items():
        if key not in found:
            result.rejected.extend((line, raw, missing) for line, raw in lines)
    result.rejected.sort()
    ids = sorted({pk for pks in found.values() for pk in pks})
    result.matched = len(ids)
    result.added = add_to_list(segment, ids, actor=actor, via=via) if ids else 0
    return result


# --- Membership refresh --------------------------------------------------------------------------


def _count(segment: Segment, now: dt.datetime) -> None:
    count = Membership.objects.filter(segment=segment, left_at__isnull=True).count()
    Segment.objects.filter(pk=segment.pk).update(member_count=count, refreshed_at=now)
    segment.member_count, segment.refreshed_at = count, now


def refresh_segment(segment: Segment, *, ctx: Context | None = None) -> tuple[int, int]:
    """Bring a dynamic segment's membership up to date for every contact; (entered, left)."""
    if segment.is_static or segment.deleted_at is not None:
        if segment.is_static:
            # Contacts deleted since they were listed leave the list.
            now = timezone.now()
            left = Membership.objects.filter(
                segment=segment, left_at__isnull=True, contact__deleted_at__isnull=False
            ).update(left_at=now)
            _count(segment, now)
            return 0, left
        return 0, 0
    ctx = ctx or Context()
    now = ctx.now
    current = live_contacts().filter(segment_q(segment, ctx))
    with transaction.atomic():
        # NOT EXISTS, never NOT IN (subquery): PostgreSQL runs NOT IN as a hashed subplan only
        # while the members fit in work_mem, and otherwise re-runs the subquery for every open
        # stay (hours for a 500,000-member segment); NOT EXISTS is a hash anti-join either way.
        left = (
            Membership.objects.filter(segment=segment, left_at__isnull=True)
            .filter(~Exists(current.filter(pk=OuterRef("contact_id"))))
            .update(left_at=now)
        )
        entered = _insert_entries(segment, current, now)
        _count(segment, now)
    return entered, left


def _insert_entries(segment: Segment, current: Any, now: dt.datetime) -> int:
    """INSERT … SELECT the members without an open stay: one statement, nothing through Python."""
    newcomers = (
        current.filter(
            ~Exists(
                Membership.objects.filter(
                    segment=segment, contact_id=OuterRef("pk"), left_at__isnull=True
                )
            )
        )
        .order_by()
        .annotate(member_id=F("pk"))
        .values("member_id")
    )
    sql, params = newcomers.query.sql_with_params()
    table = Membership._meta.db_table
    quote = connection.ops.quote_name
    entered_at = Membership._meta.get_field("entered_at").get_db_prep_value(now, connection)
    # Only quoted identifiers and the ORM's own parameterised SQL are interpolated; every value
    # (the segment, the instant, the compiled conditions' operands) travels as a parameter.
    columns = ", ".join(quote(c) for c in ("segment_id", "contact_id", "entered_at"))
    select = f"SELECT %s, members.member_id, %s FROM ({sql}) AS members"  # noqa: S608
    statement = f"INSERT INTO {quote(table)} ({columns}) {select}"
    with connection.cursor() as cursor:
        cursor.execute(statement, [segment.pk, entered_at, *params])
        return max(int(cursor.rowcount), 0)


def refresh_contacts(contact_ids: Sequence[int], *, ctx: Context | None = None) -> tuple[int, int]:
    """Re-evaluate every dynamic segment for these contacts only (after they changed)."""
    ctx = ctx or Context()
    now = ctx.now
    ids = sorted({int(pk) for pk in contact_ids})
    entered = left = 0
    segments = list(Segment.objects.filter(deleted_at__isnull=True))
    dynamic = [segment for segment in segments if not segment.is_static]
    with transaction.atomic():
        for segment in segments:
            if segment.is_static:
                gone = Membership.objects.filter(
                    segment=segment,
                    contact_id__in=ids,
                    left_at__isnull=True,
                    contact__deleted_at__isnull=False,
                ).update(left_at=now)
                left += gone
                if gone:
                    _count(segment, now)
        if not ids or not dynamic:
            return entered, left
        inside = _members_among(ids, dynamic, ctx)
        open_ids: dict[int, set[int]] = {segment.pk: set() for segment in dynamic}
        for segment_id, contact_id in Membership.objects.filter(
            segment_id__in=list(open_ids), contact_id__in=ids, left_at__isnull=True
        ).values_list("segment_id", "contact_id"):
            open_ids[segment_id].add(contact_id)
        newcomers: list[Membership] = []
        for segment in dynamic:
            out = open_ids[segment.pk] - inside[segment.pk]
            new = inside[segment.pk] - open_ids[segment.pk]
            if out:
                left += Membership.objects.filter(
                    segment=segment, contact_id__in=out, left_at__isnull=True
                ).update(left_at=now)
            newcomers += [
                Membership(segment=segment, contact_id=pk, entered_at=now) for pk in sorted(new)
            ]
            entered += len(new)
            if out or new:
                delta = len(new) - len(out)
                Segment.objects.filter(pk=segment.pk).update(
                    member_count=F("member_count") + delta, refreshed_at=now
                )
        Membership.objects.bulk_create(newcomers, batch_size=1000)
    return entered, left


def _members_among(
    ids: Sequence[int], segments: Sequence[Segment], ctx: Context
) -> dict[int, set[int]]:
    """Which of the live contacts `ids` each dynamic segment selects.

    One query for all the segments, each segment's conditions a boolean column: the id list is
    sent, planned and looked up once instead of once per segment.
    """
    flags = {
        f"in_{segment.pk}": ExpressionWrapper(segment_q(segment, ctx), output_field=BooleanField())
        for segment in segments
    }
    inside: dict[int, set[int]] = {segment.pk: set() for segment in segments}
    rows = live_contacts().filter(pk__in=ids).annotate(**flags).order_by().values_list("pk", *flags)
    with without_jit():
        answered = list(rows)
    for pk, *answers in answered:
        for segment, answer in zip(segments, answers, strict=True):
            if answer:
                inside[segment.pk].add(pk)
    return inside


def mark_contacts_changed(contact_ids: Iterable[int]) -> None:
    """Queue contacts for the next incremental refresh (called inside the writing transaction)."""
    now = timezone.now()
    rows = [PendingContact(contact_id=pk, queued_at=now) for pk in sorted(set(contact_ids))]
    if rows:
        PendingContact.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["contact_id"],
            update_fields=["queued_at"],
        )


def events_written(events: Sequence[Any]) -> None:
    """Timeline listener: the contacts an event touches (a company's: all its contacts) may move."""
    contact_ids = {e.contact_id for e in events if e.contact_id}
    company_ids = {e.company_id for e in events if e.company_id and not e.contact_id}
    if company_ids:
        contact_ids |= set(
            Contact.objects.filter(company_id__in=company_ids).values_list("pk", flat=True)
        )
    mark_contacts_changed(contact_ids)


def drain_pending(*, batch: int = 1000, ctx: Context | None = None) -> int:
    """Refresh the queued contacts, a batch at a time; return how many were processed."""
    done = 0
    while True:
        started = timezone.now()
        taken = list(
            PendingContact.objects.filter(queued_at__lte=started)
            .order_by("queued_at", "contact_id")
            .values_list("contact_id", flat=True)[:batch]
        )
        if not taken:
            return done
        refresh_contacts(taken, ctx=ctx)
        # A contact queued again while we worked has a newer mark and stays for the next round.
        PendingContact.objects.filter(contact_id__in=taken, queued_at__lte=started).delete()
        done += len(taken)


def refresh_all(*, ctx: Context | None = None) -> int:
    """Recompute every live segment (the nightly run: relative dates moved on); return how many."""
    segments = list(Segment.objects.filter(deleted_at__isnull=True))
    for segment in segments:
        refresh_segment(segment, ctx=ctx)
    return len(segments)


def nightly_refresh() -> None:
    """Scheduler entry point: the pending contacts, then every segment."""
    drain_pending()
    refresh_all()


def drain_pending_job() -> None:
    """Scheduler entry point: segments never computed (ready-made ones), then changed contacts."""
    for segment in Segment.objects.filter(deleted_at__isnull=True, refreshed_at__isnull=True):
        refresh_segment(segment)
    drain_pending()
