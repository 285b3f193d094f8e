"""Send campaigns: snapshot the audience, hand messages to delivery, A/B winners, pause, cancel.

The path of a campaign, every step idempotent so a crash anywhere is cured by running it again:

1. `send_campaign` (now, at a moment, or at each recipient's local hour) marks the campaign
   sending or scheduled and wakes the scheduler; nothing heavy runs in the request.
2. `advance` (the scheduler's job, under a row lock on the campaign) takes the snapshot once:
   one CampaignRecipient row per sendable member, with its variant, phase and `send_at` (the
   throttle and the local hour are decided here, once). The unique (campaign, contact) pair
   and `snapshot_at` make a retried snapshot insert nobody twice.
3. It hands unqueued recipients to delivery in batches (`queue_bulk`, group "campaign:<id>",
   ref "r:<recipient>"); each batch's rows are marked queued in the same transaction, and
   delivery skips a ref it already has, so a batch retried after a crash queues nobody twice.
4. With an A/B test, the sample goes first; after the wait the variant with more unique opens
   (or clicks) wins and the rest is queued with it.
5. When every recipient is queued and delivery has nothing left in flight, the campaign is sent.

Messages are queued without a body: `render_campaign_batch` (the kind's renderer) makes each
claimed batch's personalised content at send time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.campaigns.blocks import UNSUBSCRIBE_VALUE
from clientela.campaigns.choices import (
    CampaignState,
    CampaignVerb,
    Exclusion,
    Phase,
    ScheduleMode,
    WinnerMetric,
)
from clientela.campaigns.kinds import CAMPAIGN_KIND
from clientela.campaigns.models import Campaign, CampaignRecipient, Variant
from clientela.campaigns.queries import audience_counts, may_send_campaigns, sendable_audience
from clientela.campaigns.reports import group_of, sender_of
from clientela.campaigns.services.campaigns import company_zone
from clientela.campaigns.services.templates import document_source, language_for, text_source
from clientela.campaigns.zones import zone_for_country
from clientela.contacts.models import Contact
from clientela.core.bulk import update_objects
from clientela.core.events import Via, record_event
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.delivery.choices import MessageState
from clientela.delivery.kinds import Rendered
from clientela.delivery.models import Message, MessageEvent
from clientela.delivery.queries import group_progress
from clientela.delivery.rendering import contact_values, render_email
from clientela.delivery.services.bulk import (
    BulkEmail,
    cancel_messages,
    hold_messages,
    queue_bulk,
    release_messages,
)

log = logging.getLogger("clientela.campaigns")
ACTIVE = (CampaignState.SENDING, CampaignState.TESTING)
# The earliest and latest UTC offsets on Earth: a "local hour" send starts when the hour comes
# in the first time zone (UTC+14) and ends when it comes in the last (UTC-12).
EARLIEST_OFFSET = dt.timedelta(hours=14)


def ref_of(recipient: CampaignRecipient) -> str:
    """Return delivery's ref of a recipient's message: its variant's label and its id."""
    label = recipient.variant.label if recipient.variant_id and recipient.variant else "A"
    return f"{label}:{recipient.pk}"


def batch_size() -> int:
    """Return how many recipients are snapshotted and queued per batch."""
    conf: dict[str, Any] = settings.CLIENTELA
    return max(1, int(conf.get("CAMPAIGN_BATCH", 2000)))


def _require_send(actor: User) -> None:
    if not may_send_campaigns(actor):
        raise Forbidden(_("Your role cannot send campaigns."))


def _record(verb: str, campaign: Campaign, actor: User | None, via: str, **data: Any) -> None:
    record_event(verb, actor=actor, target=campaign, via=via, data={"name": campaign.name, **data})


def wake_scheduler() -> None:
    """Ask a worker to advance campaigns once the current transaction commits."""

    def enqueue() -> None:
        from clientela.core.tasks import run_scheduled

        run_scheduled.enqueue("campaigns.due")

    transaction.on_commit(enqueue)


# --- Starting, pausing, cancelling -------------------------------------------------------------


def send_campaign(
    campaign: Campaign,
    *,
    actor: User,
    mode: str = ScheduleMode.NOW,
    at: dt.datetime | None = None,
    via: str = Via.UI,
) -> Campaign:
    """Send the campaign now, or schedule it (at `at`, or at `at`'s hour in each time zone)."""
    _require_send(actor)
    if mode not in ScheduleMode.values:
        raise ValidationFailed({"schedule_mode": [_("Choose when to send.")]})
    if mode != ScheduleMode.NOW:
        if at is None:
            raise ValidationFailed({"scheduled_at": [_("Choose the date and time.")]})
        if timezone.is_naive(at):
            at = at.replace(tzinfo=company_zone())
        if at <= timezone.now() - dt.timedelta(minutes=1) and mode == ScheduleMode.AT:
            raise ValidationFailed({"scheduled_at": [_("Choose a moment in the future.")]})
    with transaction.atomic():
        fresh = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not fresh.is_editable:
            raise Conflict(_("The campaign is already sending or finished."))
        if not fresh.segments.exists():
            raise ValidationFailed({"segments": [_("Choose at least one segment or list.")]})
        counts = audience_counts(fresh)
        if counts.sendable == 0:
            raise ValidationFailed({"segments": [_("Nobody in this audience can receive it.")]})
        fresh.schedule_mode = mode
        fresh.scheduled_at = at if mode != ScheduleMode.NOW else timezone.now()
        fresh.state = CampaignState.SENDING if mode == ScheduleMode.NOW else CampaignState.SCHEDULED
        fresh.version += 1
        fresh.updated_at = timezone.now()
        fresh.save()
        verb = (
            CampaignVerb.CAMPAIGN_STARTED
            if mode == ScheduleMode.NOW
            else CampaignVerb.CAMPAIGN_SCHEDULED
        )
        _record(verb, fresh, actor, via, recipients=counts.sendable)
        wake_scheduler()
    return fresh


def pause_campaign(campaign: Campaign, *, actor: User, via: str = Via.UI) -> Campaign:
    """Pause a sending campaign: queued messages are held, nothing more is queued."""
    _require_send(actor)
    with transaction.atomic():
        fresh = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if fresh.state not in ACTIVE:
            raise Conflict(_("Only a campaign that is sending can be paused."))
        fresh.state = CampaignState.PAUSED
        fresh.save(update_fields=["state"])
        held = hold_messages(group_of(fresh.pk))
        _record(CampaignVerb.CAMPAIGN_PAUSED, fresh, actor, via, recipients=held)
    return fresh


def resume_campaign(campaign: Campaign, *, actor: User, via: str = Via.UI) -> Campaign:
    """Resume a paused campaign: held messages go out again and queueing continues."""
    _require_send(actor)
    with transaction.atomic():
        fresh = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if fresh.state != CampaignState.PAUSED:
            raise Conflict(_("Only a paused campaign can be resumed."))
        testing = bool(fresh.ab_target) and fresh.ab_decided_at is None and fresh.snapshot_at
        fresh.state = CampaignState.TESTING if testing else CampaignState.SENDING
        fresh.save(update_fields=["state"])
        released = release_messages(group_of(fresh.pk))
        _record(CampaignVerb.CAMPAIGN_RESUMED, fresh, actor, via, recipients=released)
        wake_scheduler()
    return fresh


def cancel_campaign(campaign: Campaign, *, actor: User, via: str = Via.UI) -> Campaign:
    """Cancel a scheduled, sending or paused campaign: what has not left never will."""
    _require_send(actor)
    with transaction.atomic():
        fresh = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if fresh.state not in (CampaignState.SCHEDULED, CampaignState.PAUSED, *ACTIVE):
            raise Conflict(_("This campaign cannot be cancelled."))
        fresh.state = CampaignState.CANCELLED
        fresh.finished_at = timezone.now()
        fresh.save(update_fields=["state", "finished_at"])
        cancelled = cancel_messages(group_of(fresh.pk))
        _record(CampaignVerb.CAMPAIGN_CANCELLED, fresh, actor, via, recipients=cancelled)
    return fresh


# --- The scheduler's job -----------------------------------------------------------------------


def run_due(now: dt.datetime | None = None) -> int:
    """Advance every campaign with work to do (start what is due, queue, decide, finish)."""
    now = now or timezone.now()
    due = Campaign.objects.filter(deleted_at__isnull=True, state__in=ACTIVE).values_list(
        "pk", flat=True
    )
    scheduled = Campaign.objects.filter(
        deleted_at__isnull=True, state=CampaignState.SCHEDULED
    ).values_list("pk", "schedule_mode", "scheduled_at")
    ids = list(due)
    for pk, mode, at in scheduled:
        start = _first_local_moment(at) if mode == ScheduleMode.LOCAL and at else at
        if start is not None and start <= now:
            ids.append(pk)
    for pk in ids:
        try:
            advance(pk, now=now)
        except Exception:
            log.exception("campaigns: advancing campaign %s failed; the next run retries", pk)
    return len(ids)


def _first_local_moment(at: dt.datetime) -> dt.datetime:
    """Return when `at`'s wall-clock time first comes anywhere on Earth (in UTC+14)."""
    wall = at.astimezone(company_zone()).replace(tzinfo=dt.UTC)
    return wall - EARLIEST_OFFSET


def advance(campaign_id: int, *, now: dt.datetime | None = None) -> Campaign:
    """Do the campaign's next steps (each idempotent): start, snapshot, queue, decide, finish."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.state == CampaignState.SCHEDULED:
            campaign.state = CampaignState.SENDING
            campaign.save(update_fields=["state"])
            _record(CampaignVerb.CAMPAIGN_STARTED, campaign, None, Via.SYSTEM)
        if campaign.state not in ACTIVE:
            return campaign
        if campaign.snapshot_at is None:
            snapshot(campaign, now=now)
    while _queue_batch(campaign_id):
        pass
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        decided = campaign.state == CampaignState.TESTING and decide_winner(campaign, now=now)
    if decided:
        while _queue_batch(campaign_id):
            pass
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        _finish_if_done(campaign, now=now)
    return campaign


def _start_moment(campaign: Campaign, now: dt.datetime) -> dt.datetime:
    if campaign.schedule_mode == ScheduleMode.AT and campaign.scheduled_at:
        return max(campaign.scheduled_at, now) if campaign.scheduled_at > now else now
    return now


def _local_moment(campaign: Campaign, country: str) -> dt.datetime | None:
    """Return the campaign's wall-clock time in the recipient's zone (None: company time)."""
    if campaign.schedule_mode != ScheduleMode.LOCAL or campaign.scheduled_at is None:
        return None
    wall = campaign.scheduled_at.astimezone(company_zone()).replace(tzinfo=None)
    zone: ZoneInfo = zone_for_country(country) or company_zone()
    return wall.replace(tzinfo=zone)


class Throttle:
    """Spread messages: at most `per_minute` overall and `per_domain` per recipient domain."""

    def __init__(self, start: dt.datetime, per_minute: int | None, per_domain: int | None) -> None:
        self.start = start
        self.per_minute = per_minute
        self.per_domain = per_domain
        self.sent = 0
        self.domains: Counter[str] = Counter()

    def next(self, email: str, earliest: dt.datetime | None = None) -> dt.datetime | None:
        """Return when the next message to `email` may leave (None: at once)."""
        minutes = 0
        if self.per_minute:
            minutes = self.sent // self.per_minute
        if self.per_domain:
            domain = email.rpartition("@")[2].lower()
            minutes = max(minutes, self.domains[domain] // self.per_domain)
            self.domains[domain] += 1
        self.sent += 1
        moment = self.start + dt.timedelta(minutes=minutes) if minutes else None
        if earliest is not None and (moment is None or earliest > moment):
            return earliest
        return (
            moment if moment is not None else (self.start if self.start > timezone.now() else None)
        )


def _in_sample(campaign_id: int, contact_id: int, percent: int) -> bool:
    """Whether a contact falls in the A/B sample (stable: a retried snapshot agrees)."""
    digest = hashlib.sha256(f"{campaign_id}:{contact_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def snapshot(campaign: Campaign, *, now: dt.datetime) -> int:
    """Write one recipient row per sendable member (inside the caller's locked transaction)."""
    variants = {v.label: v for v in campaign.variants.all()}
    a = variants.get("A") or Variant.objects.create(campaign=campaign, label="A")
    b = variants.get("B") if campaign.ab_target else None
    counts = audience_counts(campaign)
    throttle = Throttle(
        _start_moment(campaign, now), campaign.per_minute, campaign.per_domain_minute
    )
    rows: list[CampaignRecipient] = []
    written = 0
    members = (
        sendable_audience(campaign)
        .order_by("pk")
        .values_list("pk", "email", "language", "country")
        .iterator(chunk_size=batch_size())
    )
    sample_index = 0
    for contact_id, email, language, country in members:
        variant: Variant | None = a
        phase = Phase.ALL
        send_at: dt.datetime | None = None
        if b is not None:
            if _in_sample(campaign.pk, contact_id, campaign.ab_sample_percent):
                phase = Phase.TEST
                variant = a if sample_index % 2 == 0 else b
                sample_index += 1
            else:
                phase = Phase.REST
                variant = None
        if phase != Phase.REST:
            send_at = throttle.next(email, _local_moment(campaign, country))
        rows.append(
            CampaignRecipient(
                campaign=campaign,
                contact_id=contact_id,
                email=email,
                language=language or "es",
                variant=variant,
                phase=phase,
                send_at=send_at,
            )
        )
        if len(rows) >= batch_size():
            CampaignRecipient.objects.bulk_create(rows, ignore_conflicts=True)
            written += len(rows)
            rows = []
    if rows:
        CampaignRecipient.objects.bulk_create(rows, ignore_conflicts=True)
        written += len(rows)
    campaign.snapshot_at = now
    campaign.started_at = campaign.started_at or now
    campaign.exclusions = counts.excluded
    if b is not None:
        campaign.state = CampaignState.TESTING
    campaign.save(update_fields=["snapshot_at", "started_at", "exclusions", "state"])
    return written


def _from_address(campaign: Campaign, variant: Variant | None) -> str | None:
    """Return the From of a variant's messages (what B leaves empty comes from the campaign)."""
    return sender_of(campaign, variant)


def _queue_batch(campaign_id: int) -> bool:
    """Queue one batch of the campaign's unqueued recipients; False when none was left."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.state not in ACTIVE or campaign.snapshot_at is None:
            return False
        phases = [Phase.ALL, Phase.TEST]
        if campaign.ab_decided_at is not None:
            phases.append(Phase.REST)
        batch = list(
            CampaignRecipient.objects.filter(
                campaign_id=campaign_id, queued=False, phase__in=phases
            )
            .select_related("variant")
            .order_by("id")[: batch_size()]
        )
        if not batch:
            return False
        purpose = campaign.purpose
        queue_bulk(
            (
                BulkEmail(
                    to=r.email,
                    contact_id=r.contact_id,
                    language=r.language,
                    ref=ref_of(r),
                    purpose=purpose,
                    not_before=r.send_at,
                )
                for r in batch
            ),
            kind=CAMPAIGN_KIND,
            group=group_of(campaign_id),
            source=f"campaigns.campaign:{campaign_id}",
            from_email=_from_address(campaign, None),
        )
        CampaignRecipient.objects.filter(pk__in=[r.pk for r in batch]).update(queued=True)
    return True


def variant_scores(campaign: Campaign) -> dict[int, int]:
    """Return each variant's unique human opens or clicks (its A/B score) so far."""
    scores = dict.fromkeys(campaign.variants.values_list("pk", flat=True), 0)
    kind = "click" if campaign.ab_metric == WinnerMetric.CLICKS else "open"
    for variant in campaign.variants.all():
        engaged = MessageEvent.objects.filter(message_id=OuterRef("pk"), kind=kind, machine=False)
        scores[variant.pk] = (
            Message.objects.filter(group=group_of(campaign.pk), ref__startswith=f"{variant.label}:")
            .filter(Exists(engaged))
            .count()
        )
    return scores


def decide_winner(campaign: Campaign, *, now: dt.datetime, force: bool = False) -> Variant | None:
    """After the wait, pick the better variant and give it the rest of the audience."""
    if campaign.ab_decided_at is not None or campaign.started_at is None:
        return None
    if not force and now < campaign.started_at + dt.timedelta(hours=campaign.ab_wait_hours):
        return None
    scores = variant_scores(campaign)
    variants = list(campaign.variants.order_by("label"))
    # The higher score wins; a tie goes to A (the control).
    winner = max(variants, key=lambda v: (scores.get(v.pk, 0), v.label == "A"))
    Variant.objects.filter(pk=winner.pk).update(is_winner=True)
    throttle = Throttle(now, campaign.per_minute, campaign.per_domain_minute)
    rest = CampaignRecipient.objects.filter(campaign=campaign, phase=Phase.REST).order_by("id")
    updates = []
    for recipient in rest.only("id", "email").iterator(chunk_size=batch_size()):
        recipient.variant_id = winner.pk
        recipient.send_at = throttle.next(recipient.email)
        updates.append(recipient)
        if len(updates) >= batch_size():
            update_objects(updates, ["variant", "send_at"])
            updates = []
    if updates:
        update_objects(updates, ["variant", "send_at"])
    campaign.ab_decided_at = now
    campaign.state = CampaignState.SENDING
    campaign.save(update_fields=["ab_decided_at", "state"])
    _record(
        CampaignVerb.CAMPAIGN_WINNER,
        campaign,
        None,
        Via.SYSTEM,
        variant=winner.label,
    )
    wake_scheduler()
    return winner


def _finish_if_done(campaign: Campaign, *, now: dt.datetime) -> None:
    if campaign.state != CampaignState.SENDING or campaign.snapshot_at is None:
        return
    if CampaignRecipient.objects.filter(campaign=campaign, queued=False).exists():
        return
    counts = group_progress(group_of(campaign.pk))
    in_flight = counts.get(MessageState.QUEUED, 0) + counts.get(MessageState.SENDING, 0)
    if in_flight or counts.get(MessageState.HELD, 0):
        return
    campaign.state = CampaignState.SENT
    campaign.finished_at = now
    campaign.save(update_fields=["state", "finished_at"])


# --- Progress ----------------------------------------------------------------------------------


def progress(campaign: Campaign) -> dict[str, int]:
    """Return the progress bar's counts: recipients, sent, failed, waiting, and the percent."""
    if campaign.snapshot_at is None:
        return {"recipients": 0, "sent": 0, "failed": 0, "waiting": 0, "percent": 0}
    recipients = campaign.recipients.count()
    counts = group_progress(group_of(campaign.pk))
    sent = counts.get(MessageState.SENT, 0)
    failed = counts.get(MessageState.FAILED, 0) + counts.get(MessageState.CANCELLED, 0)
    done = sent + failed
    return {
        "recipients": recipients,
        "sent": sent,
        "failed": failed,
        "waiting": max(recipients - done, 0),
        "percent": int(done * 100 / recipients) if recipients else 0,
    }


def progress_many(campaigns: Sequence[Campaign]) -> dict[int, dict[str, int]]:
    """Return `progress` for several campaigns (two queries whatever their number)."""
    started = [c.pk for c in campaigns if c.snapshot_at is not None]
    recipients = dict(
        CampaignRecipient.objects.filter(campaign_id__in=started)
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("campaign_id", "n")
    )
    groups = {group_of(pk): pk for pk in started}
    tallies: dict[int, Counter[str]] = {pk: Counter() for pk in started}
    for row in (
        Message.objects.filter(group__in=list(groups))
        .values("group", "state")
        .annotate(n=Count("id"))
        .order_by()
    ):
        tallies[groups[row["group"]]][row["state"]] += row["n"]
    result: dict[int, dict[str, int]] = {}
    for campaign in campaigns:
        total = recipients.get(campaign.pk, 0)
        tally = tallies.get(campaign.pk, Counter())
        sent = tally[MessageState.SENT]
        failed = tally[MessageState.FAILED] + tally[MessageState.CANCELLED]
        result[campaign.pk] = {
            "recipients": total,
            "sent": sent,
            "failed": failed,
            "waiting": max(total - sent - failed, 0),
            "percent": int((sent + failed) * 100 / total) if total else 0,
        }
    return result


def snapshot_exclusions(campaign: Campaign) -> list[tuple[str, str, int]]:
    """Return (reason, label, count) of the audience left out when sending started."""
    labels = dict(Exclusion.choices)
    stored: Mapping[str, Any] = campaign.exclusions or {}
    return [(reason, str(labels[reason]), int(stored.get(reason, 0))) for reason in labels]


# --- The renderer (called by delivery's worker for each claimed batch) ------------------------


def _unsubscribe_url(message: Message) -> str:
    """Return the message's signed unsubscribe link (delivery's), or its mailto fallback."""
    token = str(getattr(message, "token", "") or "")
    try:
        from clientela.delivery import links  # type: ignore[attr-defined,unused-ignore]
    except ImportError:  # pragma: no cover - before delivery's links existed
        from email.utils import parseaddr

        return f"mailto:{parseaddr(message.from_address)[1]}?subject=unsubscribe"
    return str(links.unsubscribe_url(token))


# The contact fields a template may read (delivery.rendering.CONTACT_FIELDS): only these load.
_CONTACT_COLUMNS = (
    "first_name", "last_name", "email", "phone", "job_title", "city", "country", "language",
    "company_id", "company__name",
)  # fmt: skip


def _subject_of(template: Any, variant: Variant | None, language: str) -> str:
    """Return the subject source of a variant's messages in `language` (the template's if none)."""
    return str(
        (getattr(variant, f"subject_{language}", "") if variant else "")
        or (variant.subject_es if variant and language == "en" and not template.has_english else "")
        or getattr(template, f"subject_{language}")
        or template.subject_es
    )


def render_campaign_batch(messages: Sequence[Message]) -> dict[int, Rendered]:
    """Make the personalised content of a batch of campaign messages (one query per table).

    A message whose campaign or recipient is gone is left out (delivery fails it without retry).
    What is the same for many messages (a campaign and its variants, their templates' compiled
    sources, subjects and sender) is read and made once per batch; only the contact's values
    and the unsubscribe link are made per message.
    """
    recipient_ids: dict[int, int] = {}
    for message in messages:
        _label, _sep, number = message.ref.partition(":")
        if number.isdigit():
            recipient_ids[message.pk] = int(number)
    rows = {
        pk: (campaign_id, variant_id, contact_id, language)
        for pk, campaign_id, variant_id, contact_id, language in CampaignRecipient.objects.filter(
            pk__in=set(recipient_ids.values()), campaign__deleted_at__isnull=True
        ).values_list("pk", "campaign_id", "variant_id", "contact_id", "language")
    }
    campaigns = {
        c.pk: c
        for c in Campaign.objects.filter(pk__in={row[0] for row in rows.values()}).select_related(
            "template"
        )
    }
    variants = {
        v.pk: v
        for v in Variant.objects.filter(
            pk__in={row[1] for row in rows.values() if row[1]}
        ).select_related("template")
    }
    contacts = {
        c.pk: c
        for c in Contact.objects.filter(pk__in={row[2] for row in rows.values() if row[2]})
        .select_related("company")
        .only(*_CONTACT_COLUMNS)
    }
    made: dict[int, Rendered] = {}
    # Per (campaign, variant, language): the template's compiled sources, the subject and the
    # sender (compiling is cached too, but its key is the blocks' JSON, made again at each call).
    parts: dict[tuple[int, int | None, str], tuple[str, str, str, str | None]] = {}
    for message in messages:
        row = rows.get(recipient_ids.get(message.pk, 0))
        if row is None or f"campaign:{row[0]}" != message.group:
            continue
        campaign_id, variant_id, contact_id, recipient_language = row
        campaign = campaigns[campaign_id]
        variant = variants.get(variant_id) if variant_id else None
        template = (variant.template if variant and variant.template else None) or campaign.template
        language = language_for(template, recipient_language)
        key = (campaign_id, variant_id, language)
        if key not in parts:
            parts[key] = (
                _subject_of(template, variant, language),
                document_source(template, language),
                text_source(template, language),
                _from_address(campaign, variant),
            )
        subject, html_source, text_source_, from_address = parts[key]
        rendered = render_email(
            subject=subject,
            html=html_source,
            text=text_source_,
            values=contact_values(
                contacts.get(contact_id or 0), **{UNSUBSCRIBE_VALUE: _unsubscribe_url(message)}
            ),
        )
        made[message.pk] = Rendered(rendered.subject, rendered.html, rendered.text, from_address)
    return made


def recipients_of(campaign: Campaign) -> Iterable[CampaignRecipient]:
    """Return the campaign's recipients in snapshot order."""
    return campaign.recipients.order_by("id")
