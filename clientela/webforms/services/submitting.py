"""Submissions: validate in the visitor's language, store raw, then the worker makes the contact.

The request validates the visitor's input without writing anything (field errors go back to
the visitor, nothing is stored). A valid submission is stored raw, exactly as received (state
`received`, one INSERT, so nothing is lost), and the worker is woken when it commits; the
visitor's answer carries the submission's reference. The worker (`process_received`, then
`follow_up_pending`, one schedule) takes the received submissions in batches: the contacts
found by e-mail or phone (under locks on the normalised values) and updated without blanking
any filled field, or created — new ones in bulk, two submissions of one person in a batch
making one contact; UTM touches, tags, lifecycle stage, custom fields, consents (marketing
pending until the double opt-in click) and the timeline events. A batch that fails in bulk is
processed one submission at a time, and a submission that fails is left `failed` with its
error, retried by the scheduler and by administrators.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import phonenumbers
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts import services as contact_services
from clientela.contacts.choices import ConsentStatus, Entity, LifecycleStage
from clientela.contacts.models import Company, Consent, Contact, CustomField
from clientela.contacts.queries import custom_fields_for
from clientela.contacts.validation import CONTACT_FIELDS, clean_common, clean_custom
from clientela.core.bulk import insert_row, update_objects
from clientela.core.exceptions import ValidationFailed
from clientela.core.http import unstorable_reason
from clientela.core.locks import lock_names
from clientela.timeline.choices import Via
from clientela.timeline.models import Event
from clientela.timeline.services import build_event, listeners_once, record_event
from clientela.webforms.choices import (
    ContactTarget,
    FieldKind,
    FormVerb,
    HiddenSource,
    SubmissionSource,
    SubmissionState,
)
from clientela.webforms.models import Form, FormConsent, FormField, PendingConsent, Submission
from clientela.webforms.queries import FormSpec, form_spec
from clientela.webforms.services.building import require_manager

logger = logging.getLogger("clientela.webforms")
Errors = dict[str, list[str]]
UTM_PARTS = ("source", "medium", "campaign", "term", "content")
MAX_VALUE = 2000
MAX_ATTEMPTS = 5
STAGE_ORDER = list(LifecycleStage.values)

# Called by the worker after a submission is processed (`follow_up_pending`), with the
# submission, its contact and the consents awaiting confirmation: the welcome and confirmation
# e-mails, lead assignment and the visitor's web history listen here. Listeners are idempotent:
# after a crash the same submission may be followed up once more.
SubmissionListener = Callable[[Submission, Contact, Sequence[PendingConsent]], None]
SUBMISSION_LISTENERS: list[SubmissionListener] = []


@dataclass(frozen=True)
class FollowUp:
    """One processed submission of a follow-up batch: it, its contact, its pending consents."""

    submission: Submission
    contact: Contact
    pending: Sequence[PendingConsent]


# A listener's bulk variant: the whole batch at once (one INSERT per kind of row), in one
# savepoint. Should it raise, the savepoint is rolled back and the batch goes through the
# listener one submission at a time, so one bad lead costs only its own follow-up.
BatchListener = Callable[[Sequence[FollowUp]], object]
BATCH_LISTENERS: dict[SubmissionListener, BatchListener] = {}


def register_submission_listener(
    listener: SubmissionListener, *, batch: BatchListener | None = None
) -> None:
    """Call `listener` after every processed submission (from a higher app's ready()).

    `batch`, when given, does the same for a whole follow-up batch in bulk; it must leave the
    same rows and stay idempotent as `listener` is.
    """
    if listener not in SUBMISSION_LISTENERS:
        SUBMISSION_LISTENERS.append(listener)
    if batch is not None:
        BATCH_LISTENERS[listener] = batch


# Sources whose raw submission must be completed before processing (a Meta notice carries only
# the lead's id: the lead is fetched from the Graph API). Called inside the processing
# transaction; raising leaves the submission failed, and the retry job calls it again.
SubmissionPreparer = Callable[[Submission], None]
SUBMISSION_PREPARERS: dict[str, SubmissionPreparer] = {}


def register_submission_preparer(source: str, preparer: SubmissionPreparer) -> None:
    """Complete submissions from `source` before they are processed (inbound webhooks)."""
    SUBMISSION_PREPARERS[source] = preparer


@dataclass
class Cleaned:
    """A valid submission's values, by destination."""

    contact: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    company_name: str = ""
    hidden: dict[str, str] = field(default_factory=dict)
    consents: list[FormConsent] = field(default_factory=list)
    shown: dict[str, str] = field(default_factory=dict)  # label → value, for the timeline


@dataclass(frozen=True)
class Visit:
    """Where a submission came from: the visitor's request, as the adapter read it."""

    ip: str | None = None
    user_agent: str = ""
    page_url: str = ""
    referrer: str = ""
    language: str = "es"
    visitor_id: str = ""


def _add(errors: Errors, key: str, message: str) -> None:
    errors.setdefault(key, []).append(message)


def _scalar(value: Any) -> tuple[str | None, bool]:
    """Return a posted value as text (None when absent) and whether it was of a usable type."""
    if value is None:
        return None, True
    if isinstance(value, list):  # a form field posted twice: the last one counts
        value = value[-1] if value else None
        if value is None:
            return None, True
    if isinstance(value, bool):
        return ("1" if value else ""), True
    if isinstance(value, int | float | str):
        return str(value), True
    return None, False


def text_problems(payload: Any, errors: Errors, where: str = "") -> None:
    """Add an error for every text no database can store (NUL, lone surrogates)."""
    if isinstance(payload, str):
        if unstorable_reason(payload):
            _add(errors, where or "__all__", _("This text holds characters that cannot be stored."))
    elif isinstance(payload, dict):
        for key, item in payload.items():
            text_problems(str(key), errors, where or "__all__")
            text_problems(item, errors, where or str(key))
    elif isinstance(payload, list):
        for item in payload:
            text_problems(item, errors, where)


def region_of(value: str | None, default: str) -> str:
    """Return a valid ISO region (the phone's country selector), else the company's default."""
    text = (value or "").strip().upper()
    return text if text in phonenumbers.SUPPORTED_REGIONS else default


def clean_payload(
    form: Form,
    fields: Sequence[FormField],
    consents: Sequence[FormConsent],
    data: Mapping[str, Any],
    definitions: Mapping[str, CustomField] | None = None,
) -> tuple[Cleaned, Errors]:
    """Validate a posted payload against the form in the current language (no writes).

    `definitions` are the active contact custom fields (read when not given).
    """
    cleaned: Cleaned = Cleaned()
    errors: Errors = {}
    text_problems(dict(data), errors)
    if errors:
        return cleaned, errors
    region = region_of(_scalar(data.get("phone_country"))[0], contact_services.region())
    if definitions is None:
        definitions = custom_fields_for(Entity.CONTACT)
    for item in fields:
        name = item.input_name
        if item.kind == FieldKind.HIDDEN and item.hidden_source == HiddenSource.FIXED:
            raw: str | None = item.hidden_value
        else:
            raw, usable = _scalar(data.get(name))
            if not usable:
                _add(errors, name, _("Enter a valid value."))
                continue
        text = (raw or "").strip()
        if len(text) > MAX_VALUE:
            _add(errors, name, _("Use at most %(limit)d characters.") % {"limit": MAX_VALUE})
            continue
        if not text:
            if item.required:
                _add(errors, name, _("This field is required."))
            continue
        if item.kind == FieldKind.CONTACT:
            _clean_contact_value(item, text, region, cleaned, errors)
        elif item.kind == FieldKind.CUSTOM and item.custom_field is not None:
            key = item.custom_field.key
            local: Errors = {}
            value = clean_custom({key: text}, definitions, local).get(key)
            if local:
                errors.setdefault(name, []).extend(m for ms in local.values() for m in ms)
            elif value is not None:
                cleaned.custom[key] = value
        elif item.kind == FieldKind.HIDDEN:
            cleaned.hidden[item.hidden_source or name] = text[:150]
            if item.custom_field is not None and item.custom_field.key in definitions:
                local = {}
                value = clean_custom({item.custom_field.key: text}, definitions, local).get(
                    item.custom_field.key
                )
                if value is not None and not local:
                    cleaned.custom[item.custom_field.key] = value
        if item.kind != FieldKind.HIDDEN:
            cleaned.shown[item.label()] = text[:200]
    for consent in consents:
        raw, _usable = _scalar(data.get(consent.input_name))
        checked = (raw or "").strip().lower() in {"1", "true", "on", "yes", "si", "sí"}
        if checked:
            cleaned.consents.append(consent)
        elif consent.required:
            _add(errors, consent.input_name, _("Accept this to continue."))
    if not errors and not (cleaned.contact.get("email") or cleaned.contact.get("phone")):
        _add(errors, "__all__", _("Enter an e-mail or a phone so we can reach you."))
    return cleaned, errors


def _clean_contact_value(
    item: FormField, text: str, region: str, cleaned: Cleaned, errors: Errors
) -> None:
    target = item.target
    if target == ContactTarget.COMPANY_NAME:
        if len(text) > 200:
            _add(errors, target, _("Use at most %(limit)d characters.") % {"limit": 200})
        else:
            cleaned.company_name = " ".join(text.split())
        return
    value: Any = text
    if target == ContactTarget.BIRTHDAY:
        try:
            value = date.fromisoformat(text)
        except ValueError:
            _add(errors, target, _("Enter a valid date."))
            return
    local: Errors = {}
    clean = clean_common({target: value}, CONTACT_FIELDS, region=region, errors=local)
    if local:
        errors.setdefault(target, []).extend(m for ms in local.values() for m in ms)
    elif clean.get(target) not in (None, ""):
        cleaned.contact[target] = clean[target]


def raw_payload(data: Any) -> dict[str, Any]:
    """Return the posted data as stored: a JSON object as is, form fields as text or lists."""
    if hasattr(data, "lists"):
        return {k: (v[0] if len(v) == 1 else list(v)) for k, v in data.lists()}
    return dict(data) if isinstance(data, dict) else {"_body": data}


def count_spam(form: Form) -> None:
    """Count one submission refused as spam (nothing else is stored)."""
    Form.objects.filter(pk=form.pk).update(spam_count=F("spam_count") + 1)


def store_submission(
    form: Form,
    *,
    payload: Mapping[str, Any],
    visit: Visit,
    idempotency_key: str = "",
    source: str = SubmissionSource.FORM,
) -> tuple[Submission, bool]:
    """Store the raw submission (`received`) and wake the worker; (the existing one, False) on a repeat.

    The unique index on (form, idempotency key) holds the dedupe: a repeat's INSERT waits for
    the first one's commit and fails, and the first one is returned (no lock, no look-up first).
    Outside a transaction (a request) the INSERT is its own, one statement with no BEGIN and
    COMMIT around it; inside a caller's transaction it takes a savepoint, so a refused repeat
    leaves the caller's transaction usable.
    """
    key = idempotency_key[:64]
    own = transaction.atomic() if connection.in_atomic_block else nullcontext()
    try:
        with own:
            submission = Submission(
                form=form,
                payload=dict(payload),
                source=source,
                language=visit.language,
                ip=visit.ip,
                user_agent=visit.user_agent[:300],
                page_url=visit.page_url[:1000],
                referrer=visit.referrer[:1000],
                visitor_id=visit.visitor_id[:64],
                idempotency_key=key,
            )
            # Every public post makes one: its INSERT made once per process (decision 126).
            insert_row(submission)
    except IntegrityError:
        found = Submission.objects.filter(form=form, idempotency_key=key).first() if key else None
        if found is None:
            raise
        return found, False
    # The worker turns it into a contact, woken once it is committed and visible (at once in
    # autocommit; at the caller's commit otherwise).
    transaction.on_commit(wake_worker)
    return submission, True


def process_submission(submission_id: int) -> Submission:
    """Turn one stored submission into a contact; a failure leaves it `failed` with the error.

    The one-at-a-time path: an administrator's retry, the retry job, and the fall-back of a
    worker batch that failed in bulk (`process_received`).
    """
    try:
        with transaction.atomic():
            _commit_lazily()
            locked = (
                Submission.objects.select_for_update().select_related("form").get(pk=submission_id)
            )
            if locked.state == SubmissionState.PROCESSED:
                return locked
            _process_locked(locked)
            # The follow-up work runs in the worker.
            transaction.on_commit(wake_worker)
            return locked
    except Exception as exc:
        return _failed(submission_id, exc)


def _commit_lazily() -> None:
    """Commit this transaction without waiting for the WAL flush (PostgreSQL).

    The raw submission is already durable: should a crash lose this commit, the submission is
    still `received` (or `failed`) and is processed again.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _process_locked(locked: Submission) -> None:
    """Process a submission locked by the caller's transaction (raises on failure)."""
    pending: list[PendingConsent] = []
    prepare = SUBMISSION_PREPARERS.get(locked.source)
    if prepare is not None:
        prepare(locked)
    contact = _process(locked, pending)
    locked.state = SubmissionState.PROCESSED
    locked.contact = contact
    locked.error = ""
    locked.attempts += 1
    locked.processed_at = timezone.now()
    locked.save(update_fields=["state", "contact", "error", "attempts", "processed_at"])


def _failed(submission_id: int, exc: Exception) -> Submission:
    """Leave a submission `failed` with the error (one more attempt); return it."""
    logger.warning("submission %s failed: %s", submission_id, exc, exc_info=True)
    message = (
        json.dumps(exc.errors, ensure_ascii=False)
        if isinstance(exc, ValidationFailed)
        else f"{type(exc).__name__}: {exc}"
    )
    Submission.objects.filter(pk=submission_id).update(
        state=SubmissionState.FAILED, attempts=F("attempts") + 1, error=message[:2000]
    )
    return Submission.objects.get(pk=submission_id)


PROCESS_BATCH = 100


def process_received(*, limit: int = 5000, batch: int = PROCESS_BATCH) -> int:
    """Turn received submissions into contacts, `batch` at a time; return how many were processed.

    Each batch is one transaction: claimed under row locks (skipped by a concurrent worker on
    PostgreSQL), new contacts created in bulk (`_process_batch`), committed once. A worker
    killed midway leaves its batch `received` for the next run. At most `limit` are taken.
    """
    done = 0
    taken = 0
    skip_locked = connection.features.has_select_for_update_skip_locked
    while taken < limit:
        size = min(batch, limit - taken)
        with transaction.atomic():
            _commit_lazily()
            rows = list(
                Submission.objects.filter(state=SubmissionState.RECEIVED)
                .order_by("id")
                .select_for_update(skip_locked=skip_locked, of=("self",))
                .select_related("form")[:size]
            )
            if rows:
                with listeners_once():  # one segment mark for the whole batch
                    done += _process_batch(rows)
        taken += len(rows)
        if len(rows) < size:
            break
    return done


@dataclass(frozen=True)
class _Ready:
    """A locked, prepared and valid submission of a batch, with its cleaned values."""

    submission: Submission
    cleaned: Cleaned
    definitions: Mapping[str, CustomField]
    consents: Sequence[FormConsent]

    def keys(self) -> set[str]:
        """Return the lock names of its e-mail and phone (the identities a contact is found by)."""
        return _identity_names(self.cleaned)


def _identity_names(cleaned: Cleaned) -> set[str]:
    email = str(cleaned.contact.get("email") or "")
    phone = str(cleaned.contact.get("phone") or "")
    names = {f"contacts.email:{email}"} if email else set()
    return names | ({f"contacts.phone:{phone}"} if phone else set())


def _process_batch(rows: Sequence[Submission]) -> int:
    """Process locked received submissions (in the caller's transaction); return how many.

    The valid ones that make a new contact (no live contact and no earlier submission of the
    batch with their e-mail or phone) are created in bulk; the rest — updates of existing
    contacts, later submissions of a person the batch just created, invalid ones (which fail
    there with their errors), or all of them when the bulk step fails — go one at a time
    after it, in order, each in a savepoint, exactly as `process_submission` would. One whose
    preparer fails (the Graph API down) is left `failed` at once, for the retry job.
    """
    ready: list[_Ready] = []
    alone: list[Submission] = []
    for row in rows:
        try:
            item = _ready(row)
        except Exception as exc:  # its preparer failed (the Graph API down): retried later
            _failed(row.pk, exc)
            continue
        if item is None:
            alone.append(row)
        else:
            ready.append(item)
    try:
        with transaction.atomic():
            created, later = _create_in_bulk(ready)
    except Exception:
        logger.exception("processing %d submissions in bulk failed: one at a time", len(ready))
        created, later = 0, [item.submission for item in ready]
        for row in later:  # as stored: the rolled-back attempt may have changed them
            row.refresh_from_db()
    done = created
    for row in sorted([*alone, *later], key=lambda r: r.pk):
        try:
            with transaction.atomic():
                _process_locked(row)
            done += 1
        except Exception as exc:
            _failed(row.pk, exc)
    return done


def _ready(row: Submission) -> _Ready | None:
    """Prepare and validate one submission of a batch; None sends it down the one-by-one path.

    Raises what its preparer raised (its savepoint rolled back).
    """
    prepare = SUBMISSION_PREPARERS.get(row.source)
    if prepare is not None:
        with transaction.atomic():
            prepare(row)
    spec, cleaned, errors = _clean_stored(row)
    if errors:
        return None
    return _Ready(row, cleaned, spec.definitions, spec.consents)


def _clean_stored(submission: Submission) -> tuple[FormSpec, Cleaned, Errors]:
    """Validate a stored submission against its form in its language (no writes)."""
    form = submission.form
    spec = form_spec(form)
    payload = submission.payload if isinstance(submission.payload, dict) else {}
    with translation.override(submission.language or form.language):
        cleaned, errors = clean_payload(form, spec.fields, spec.consents, payload, spec.definitions)
    return spec, cleaned, errors


def _create_in_bulk(ready: Sequence[_Ready]) -> tuple[int, list[Submission]]:
    """Create the contacts of a batch's new people in bulk; return (how many, the rest).

    All the batch's e-mails and phones are locked in one statement and the live contacts with
    any of them found in one query; a submission is new when neither its e-mail nor its phone
    is taken, by a contact or by an earlier submission of the batch.
    """
    names: set[str] = set().union(*(item.keys() for item in ready)) if ready else set()
    if not names or not connection.features.can_return_rows_from_bulk_insert:
        return 0, [item.submission for item in ready]
    lock_names(names)
    emails = [n.split(":", 1)[1] for n in names if n.startswith("contacts.email:")]
    phones = [n.split(":", 1)[1] for n in names if n.startswith("contacts.phone:")]
    taken: set[str] = set()
    for email, phone in Contact.objects.filter(
        Q(email__in=emails) | Q(phone__in=phones), deleted_at__isnull=True
    ).values_list("email", "phone"):
        taken |= {f"contacts.email:{email}", f"contacts.phone:{phone}"}
    new: list[_Ready] = []
    later: list[Submission] = []
    for item in ready:
        keys = item.keys()
        if keys & taken:
            later.append(item.submission)
        else:
            new.append(item)
        taken |= keys
    if new:
        _create_new(new)
    return len(new), later


def _create_new(new: Sequence[_Ready]) -> None:
    """Write new people's contacts, consents, pending opt-ins, events and processed states."""
    now = timezone.now()
    datas = [
        _new_contact_data(
            item.submission.form,
            item.cleaned,
            item.submission,
            _company_id(item.cleaned.company_name),
            now,
        )
        for item in new
    ]
    made = contact_services.create_checked_contacts(
        datas, definitions=new[0].definitions, via=Via.FORM
    )
    consents: list[contact_services.ContactConsents] = []
    pending: list[PendingConsent] = []
    for item, (contact, created) in zip(new, made, strict=True):
        submission = item.submission
        decisions, awaiting = _consent_decisions(submission, item.cleaned.consents, set())
        consents.append(
            contact_services.ContactConsents(
                contact, decisions, [_submitted_event(submission, contact, item.cleaned)],
                [created],
            )
        )  # fmt: skip
        pending += _pending_rows(submission, contact, awaiting)
        submission.state = SubmissionState.PROCESSED
        submission.contact = contact
        submission.error = ""
        submission.attempts += 1
        submission.processed_at = now
    contact_services.record_consents_many(consents, actor=None, via=Via.FORM)
    if pending:
        PendingConsent.objects.bulk_create(pending)
    update_objects(
        [item.submission for item in new],
        ["state", "contact", "error", "attempts", "processed_at"],
    )


# One schedule runs both steps: received submissions into contacts, then their follow-up.
FOLLOW_UP_SCHEDULE = "webforms.follow_up"


def wake_worker() -> None:
    """Wake the worker's run of received submissions and follow-ups (unless one is waiting)."""
    from clientela.core.tasks import wake_schedule

    wake_schedule(FOLLOW_UP_SCHEDULE)


FOLLOW_UP_BATCH = 100
# The follow-up batch being run: a scratch dict its listeners may keep what they read once
# per batch in (routing's rules and reps, under the rule locks the batch's transaction holds).
_BATCH: ContextVar[dict[str, Any] | None] = ContextVar("webforms_follow_up_batch", default=None)


def batch_memo() -> dict[str, Any]:
    """Return the running follow-up batch's scratch dict (a fresh, unkept one outside a batch)."""
    memo = _BATCH.get()
    return memo if memo is not None else {}


def follow_up_pending(*, limit: int = 5000, batch: int = FOLLOW_UP_BATCH) -> int:
    """Run the listeners of processed submissions not followed up yet; return how many ran.

    Submissions are taken `batch` at a time in one transaction each: claimed under row locks
    (skipped by a concurrent worker on PostgreSQL), their listeners run one submission after
    the other (a savepoint each), and all are marked followed up in the same transaction, so
    each is followed up once unless a worker dies midway (the listeners are idempotent). One
    commit per batch, not per submission; at most `limit` are taken in one call.
    """
    done = 0
    taken = 0
    skip_locked = connection.features.has_select_for_update_skip_locked
    while taken < limit:
        size = min(batch, limit - taken)
        token = _BATCH.set({})
        try:
            with transaction.atomic():
                rows, ran = _follow_up_batch(size, skip_locked)
        finally:
            _BATCH.reset(token)
        done += ran
        taken += rows
        if rows < size:
            break
    return done


def _follow_up_batch(size: int, skip_locked: bool) -> tuple[int, int]:
    """Claim and follow up one batch (inside its transaction); return (taken, followed up)."""
    rows = list(
        Submission.objects.filter(state=SubmissionState.PROCESSED, followed_up_at__isnull=True)
        .order_by("id")
        .select_for_update(skip_locked=skip_locked, of=("self",))
        .select_related("form", "contact")[:size]
    )
    if not rows:
        return 0, 0
    ids = [row.pk for row in rows]
    waiting: dict[int, list[PendingConsent]] = {}
    for item in (
        PendingConsent.objects.filter(submission__in=ids, confirmed_at__isnull=True)
        .select_related("form_consent")
        .order_by("id")
    ):
        waiting.setdefault(item.submission_id, []).append(item)
    # A lead whose contact is gone (erased on request) has nobody to follow up.
    items = [
        FollowUp(row, row.contact, waiting.get(row.pk, []))
        for row in rows
        if row.contact is not None
    ]
    if items:
        # One segment mark for everything the batch writes.
        with listeners_once():
            for listener in SUBMISSION_LISTENERS:
                _run_listener(listener, items)
    Submission.objects.filter(pk__in=ids).update(followed_up_at=timezone.now())
    return len(rows), len(items)


def _run_listener(listener: SubmissionListener, items: Sequence[FollowUp]) -> None:
    """Run one listener over a batch: in bulk when it can, else (or on failure) one by one."""
    bulk = BATCH_LISTENERS.get(listener)
    if bulk is not None:
        try:
            with transaction.atomic():
                bulk(items)
            return
        except Exception:
            logger.exception("batch listener %r failed: one submission at a time", bulk)
            # Its savepoint is rolled back: what listeners kept for the batch may be ahead.
            batch_memo().clear()
    for item in items:
        _notify(listener, item.submission, item.contact, list(item.pending))


def _notify(
    listener: SubmissionListener,
    submission: Submission,
    contact: Contact,
    pending: list[PendingConsent],
) -> None:
    try:
        # A savepoint each: one listener's failed query leaves the others theirs.
        with transaction.atomic():
            listener(submission, contact, pending)
    except Exception:
        logger.exception("submission listener %r failed", listener)


def _process(submission: Submission, pending: list[PendingConsent]) -> Contact:
    form = submission.form
    spec, cleaned, errors = _clean_stored(submission)
    if errors:
        raise ValidationFailed(errors)
    with translation.override(submission.language or form.language):
        contact, created = upsert_contact(form, cleaned, submission, spec.definitions)
        submitted = _submitted_event(submission, contact, cleaned)
        pending.extend(
            record_form_consents(
                submission,
                contact,
                cleaned.consents,
                [submitted],
                new_contact=created is not None,
                preceding=[created] if created is not None else [],
            )
        )
    return contact


def _submitted_event(submission: Submission, contact: Contact, cleaned: Cleaned) -> Event:
    """Build the submission's own timeline event (unwritten)."""
    form = submission.form
    return build_event(
        FormVerb.SUBMITTED,
        actor=None,
        target=submission,
        via=Via.FORM,
        contact_id=contact.pk,
        data={"form": form.name, "form_id": form.pk, "fields": cleaned.shown,
              "source": submission.source},
    )  # fmt: skip


def _find_contact(email: str, phone: str) -> Contact | None:
    """Return the oldest live contact with the e-mail, else the oldest with the phone (one query)."""
    if not (email or phone):
        return None
    live = Contact.objects.filter(deleted_at__isnull=True)
    if email and phone:
        by_email = Case(When(email=email, then=Value(0)), default=Value(1))
        return live.filter(Q(email=email) | Q(phone=phone)).order_by(by_email, "id").first()
    if email:
        return live.filter(email=email).order_by("id").first()
    return live.filter(phone=phone).order_by("id").first()


def _company_id(name: str) -> int | None:
    if not name:
        return None
    live = Company.objects.filter(deleted_at__isnull=True).order_by("id")
    found = live.filter(name=name).first() or live.filter(name__iexact=name).first()
    if found is None:
        found = contact_services.create_company(actor=None, data={"name": name}, via=Via.FORM)
    return found.pk


def _contact_values(
    cleaned: Cleaned, contact: Contact | None, company_id: int | None, now: Any
) -> dict[str, Any]:
    """Return the submission's values for its contact (new when None): fields, UTM touches, company."""
    values: dict[str, Any] = {k: v for k, v in cleaned.contact.items() if v not in ("", None)}
    utm = {p: cleaned.hidden.get(f"utm_{p}", "") for p in UTM_PARTS}
    if any(utm.values()):
        if contact is None or contact.first_touch_at is None:
            values.update({f"first_utm_{p}": v for p, v in utm.items()}, first_touch_at=now)
        values.update({f"last_utm_{p}": v for p, v in utm.items()}, last_touch_at=now)
    if company_id is not None and (contact is None or contact.company_id is None):
        values["company"] = company_id
    return values


def _new_contact_data(
    form: Form, cleaned: Cleaned, submission: Submission, company_id: int | None, now: Any
) -> dict[str, Any]:
    """Return what a submission's new contact is created with (`create_checked_contact[s]`)."""
    values = _contact_values(cleaned, None, company_id, now)
    values.setdefault("language", submission.language or form.language)
    return {
        **values,
        "lifecycle_stage": form.lifecycle_stage,
        "source": form.contact_source,
        "custom": cleaned.custom,
        "tags": list(form.tags),
    }


def upsert_contact(
    form: Form,
    cleaned: Cleaned,
    submission: Submission,
    definitions: Mapping[str, CustomField] | None = None,
) -> tuple[Contact, Event | None]:
    """Find the contact by e-mail or phone (locked) and fill it in, or create it.

    A created contact comes with its created event, unwritten: the caller writes it with the
    submission's own events (one INSERT). The e-mail and phone stay locked for the caller's
    transaction, so the contact service does not lock and look the e-mail up again.
    """
    email = str(cleaned.contact.get("email") or "")
    phone = str(cleaned.contact.get("phone") or "")
    lock_names(_identity_names(cleaned))
    contact = _find_contact(email, phone)
    now = timezone.now()
    company_id = _company_id(cleaned.company_name)
    values = _contact_values(cleaned, contact, company_id, now)
    if contact is None:
        data = _new_contact_data(form, cleaned, submission, company_id, now)
        return contact_services.create_checked_contact(
            data=data, definitions=definitions, via=Via.FORM
        )
    current = contact.lifecycle_stage
    stages = (form.lifecycle_stage, current)
    if all(s in STAGE_ORDER for s in stages) and (
        STAGE_ORDER.index(form.lifecycle_stage) > STAGE_ORDER.index(current)
    ):
        values["lifecycle_stage"] = form.lifecycle_stage
    if not contact.source:
        values["source"] = form.contact_source
    update: dict[str, Any] = dict(values)
    if cleaned.custom:
        update["custom"] = cleaned.custom
    tags = sorted(contact.tags.values_list("name", flat=True))
    if any(t.lower() not in {x.lower() for x in tags} for t in form.tags):
        update["tags"] = [*tags, *form.tags]
    return contact_services.update_contact(contact, actor=None, data=update, via=Via.FORM), None


def consent_proof(submission: Submission, consent: FormConsent) -> dict[str, Any]:
    """Return the proof of a consent given in a form: form, text version, IP, browser, page, time."""
    return {
        "form": submission.form.public_id,
        "form_name": submission.form.name,
        "submission": submission.reference,
        "consent_text_version": consent.version,
        "ip": submission.ip,
        "user_agent": submission.user_agent,
        "page_url": submission.page_url,
        "at": submission.created_at.isoformat(),
    }


def record_form_consents(
    submission: Submission,
    contact: Contact,
    consents: Sequence[FormConsent],
    events: Sequence[Event] = (),
    *,
    new_contact: bool = False,
    preceding: Sequence[Event] = (),
) -> list[PendingConsent]:
    """Record the ticked consents (granted with their proof, or pending double opt-in).

    Return the consents awaiting their confirmation click. The consent rows are one INSERT, and
    their timeline events go with `events` (the submission's own) in one more. A contact the
    submission just created has no consents to look up (`new_contact`).
    """
    asking = [] if new_contact else [c for c in consents if c.needs_double_opt_in]
    decisions, awaiting = _consent_decisions(
        submission, consents, _granted_marketing(contact, asking)
    )
    contact_services.record_consents(
        contact,
        actor=None,
        decisions=decisions,
        via=Via.FORM,
        events=events,
        preceding=preceding,
    )
    rows = _pending_rows(submission, contact, awaiting)
    if not rows:
        return []
    if connection.features.can_return_rows_from_bulk_insert:
        return PendingConsent.objects.bulk_create(rows)
    for row in rows:
        row.save()
    return rows


def _consent_decisions(
    submission: Submission, consents: Sequence[FormConsent], granted: set[tuple[str, str]]
) -> tuple[list[contact_services.ConsentDecision], list[FormConsent]]:
    """Return the decisions to record for the ticked consents, and those awaiting the opt-in click.

    `granted` are the (channel, purpose) pairs the contact already granted: a double opt-in
    consent already given is not asked again.
    """
    decisions: list[contact_services.ConsentDecision] = []
    awaiting: list[FormConsent] = []
    for consent in consents:
        if consent.needs_double_opt_in and (consent.channel, consent.purpose) in granted:
            # Already subscribed: a pending row would suspend the consent until a new click.
            continue
        status = ConsentStatus.PENDING if consent.needs_double_opt_in else ConsentStatus.GRANTED
        proof = consent_proof(submission, consent)
        decisions.append(
            contact_services.ConsentDecision(
                channel=consent.channel,
                purpose=consent.purpose,
                status=status,
                source=f"form:{submission.form.public_id}",
                proof=json.dumps(proof, ensure_ascii=False),
            )
        )
        if status == ConsentStatus.PENDING:
            awaiting.append(consent)
    return decisions, awaiting


def _pending_rows(
    submission: Submission, contact: Contact, awaiting: Sequence[FormConsent]
) -> list[PendingConsent]:
    """Return the unsaved rows of the consents awaiting their double opt-in click."""
    return [
        PendingConsent(
            submission=submission, form_consent=c, text_version=c.version, contact=contact
        )
        for c in awaiting
    ]


def _granted_marketing(contact: Contact, consents: Sequence[FormConsent]) -> set[tuple[str, str]]:
    """Return the (channel, purpose) pairs among `consents` whose latest decision is granted."""
    if not consents or contact.pk is None:
        return set()
    pairs = {(c.channel, c.purpose) for c in consents}
    latest: dict[tuple[str, str], str] = {}
    rows = (
        Consent.objects.filter(
            contact=contact,
            channel__in={c for c, _p in pairs},
            purpose__in={p for _c, p in pairs},
        )
        .order_by("-recorded_at", "-id")
        .values_list("channel", "purpose", "status")
    )
    for channel, purpose, status in rows:
        if (channel, purpose) in pairs:
            latest.setdefault((channel, purpose), status)
        if len(latest) == len(pairs):
            break
    return {pair for pair, status in latest.items() if status == ConsentStatus.GRANTED}


def retry_submission(submission: Submission, *, actor: User) -> Submission:
    """Process a failed or stuck submission again (an administrator's retry)."""
    require_manager(actor)
    if submission.state == SubmissionState.PROCESSED:
        return submission
    record_event(
        FormVerb.RETRIED, actor=actor, target=submission, via=Via.UI,
        data={"retried": True, "attempts": submission.attempts},
    )  # fmt: skip
    return process_submission(submission.pk)


def retry_failed_submissions(*, limit: int = 200) -> int:
    """Process again failed submissions (fewer than MAX_ATTEMPTS), one at a time.

    Received submissions are the worker's normal work (`process_received`, woken by each
    stored submission and run every minute by the scheduler as a safety net), not retried here.
    """
    ids = list(
        Submission.objects.filter(state=SubmissionState.FAILED, attempts__lt=MAX_ATTEMPTS)
        .values_list("pk", flat=True)
        .order_by("created_at")[:limit]
    )
    processed = 0
    for pk in ids:
        if process_submission(pk).state == SubmissionState.PROCESSED:
            processed += 1
    return processed
