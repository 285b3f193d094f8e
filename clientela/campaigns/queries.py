"""Reads of the campaigns app: who may do what, visible templates and campaigns, the audience."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from clientela.accounts.queries import has_capability
from clientela.campaigns.choices import Exclusion
from clientela.campaigns.models import Campaign, EmailTemplate
from clientela.campaigns.suppression import (
    BOUNCE_REASONS,
    COMPLAINT_REASONS,
    INVALID_REASONS,
    UNSUB_REASONS,
    suppression_q,
    suppression_reason,
)
from clientela.contacts.choices import ConsentChannel, ConsentPurpose, ConsentStatus
from clientela.contacts.models import Consent, Contact
from clientela.core.exceptions import Forbidden, NotFound
from clientela.core.numbers import DB_INT_MAX
from clientela.delivery.models import TopicOptOut
from clientela.segments.engine import live_contacts
from clientela.segments.models import Segment
from clientela.segments.queries import segment_q


def may_view_campaigns(user: Any) -> bool:
    """Whether `user` may open templates, campaigns and their reports."""
    return has_capability(user, "campaigns.view")


def may_manage_campaigns(user: Any) -> bool:
    """Whether `user` may write templates and prepare campaigns."""
    return has_capability(user, "campaigns.manage")


def may_send_campaigns(user: Any) -> bool:
    """Whether `user` may send, schedule, pause, resume and cancel campaigns."""
    return has_capability(user, "campaigns.send")


def templates_visible_to(user: Any) -> QuerySet[EmailTemplate]:
    """Return the live templates `user` may open (all of them with campaigns.view)."""
    if not may_view_campaigns(user):
        return EmailTemplate.objects.none()
    return EmailTemplate.objects.filter(deleted_at__isnull=True)


def campaigns_visible_to(user: Any) -> QuerySet[Campaign]:
    """Return the live campaigns `user` may open (all of them with campaigns.view)."""
    if not may_view_campaigns(user):
        return Campaign.objects.none()
    return Campaign.objects.filter(deleted_at__isnull=True)


def _pk(value: Any) -> int | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk <= DB_INT_MAX else None


def get_template_for_user(user: Any, pk: Any, *, write: bool = False) -> EmailTemplate:
    """Return the template `pk` if `user` may open it (NotFound), and change it (Forbidden)."""
    key = _pk(pk)
    template = templates_visible_to(user).filter(pk=key).first() if key else None
    if template is None:
        raise NotFound("template")
    if write and not may_manage_campaigns(user):
        raise Forbidden("Your role cannot change e-mail templates.")
    return template


def get_campaign_for_user(user: Any, pk: Any, *, write: bool = False) -> Campaign:
    """Return the campaign `pk` if `user` may open it (NotFound), and change it (Forbidden)."""
    key = _pk(pk)
    campaign = (
        campaigns_visible_to(user).select_related("template").filter(pk=key).first()
        if key
        else None
    )
    if campaign is None:
        raise NotFound("campaign")
    if write and not may_manage_campaigns(user):
        raise Forbidden("Your role cannot change campaigns.")
    return campaign


# --- The audience ------------------------------------------------------------------------------


def segments_for_audience(campaign: Campaign) -> tuple[list[Segment], list[Segment]]:
    """Return the live segments the campaign sends to and the ones it leaves out."""
    include = list(campaign.segments.filter(deleted_at__isnull=True))
    exclude = list(campaign.excluded_segments.filter(deleted_at__isnull=True))
    return include, exclude


def audience_members(campaign: Campaign) -> QuerySet[Contact]:
    """Return every live contact in the campaign's segments and lists minus its exclusions.

    The audience is the company's, not the reader's: a campaign goes to every member whatever
    the role of the person who prepared it (a rep's scope does not shrink a newsletter).
    """
    include, exclude = segments_for_audience(campaign)
    if not include:
        return Contact.objects.none()
    wanted = Q()
    for segment in include:
        wanted |= segment_q(segment)
    qs = live_contacts().filter(wanted)
    for segment in exclude:
        qs = qs.exclude(segment_q(segment))
    return qs


def latest_marketing_consent() -> Coalesce:
    """Return the latest marketing e-mail consent status of the outer contact ("" for none).

    Never NULL: a NULL would make "not unsubscribed" unknown in SQL and drop the contact from
    every count.
    """
    return Coalesce(
        Subquery(
            Consent.objects.filter(
                contact_id=OuterRef("pk"),
                channel=ConsentChannel.EMAIL,
                purpose=ConsentPurpose.MARKETING,
            )
            .order_by("-recorded_at", "-id")
            .values("status")[:1]
        ),
        Value(""),
    )


def suppressed_q(reasons: tuple[str, ...] | None = None) -> Q:
    """Match contacts whose address is on delivery's suppression list (for `reasons`)."""
    return suppression_q(reasons)


def exclusion_conditions() -> dict[str, Q]:
    """Return, in order of precedence, the condition of each exclusion reason.

    A contact is counted under the first reason that holds: an invalid address, then the
    suppression list (complaint, bounce, unsubscribe), then a withdrawn consent (unsubscribed),
    then any other missing consent (none, denied, awaiting confirmation).
    """
    return {
        Exclusion.INVALID: Q(email="") | ~Q(email__contains="@") | suppressed_q(INVALID_REASONS),
        Exclusion.COMPLAINED: suppressed_q(COMPLAINT_REASONS),
        Exclusion.BOUNCED: suppressed_q(BOUNCE_REASONS),
        Exclusion.UNSUBSCRIBED: suppressed_q(UNSUB_REASONS)
        | Q(marketing_consent=ConsentStatus.WITHDRAWN)
        | Q(left_topic=True),
        Exclusion.NO_CONSENT: ~Q(marketing_consent=ConsentStatus.GRANTED),
    }


def sendable_q() -> Q:
    """Match audience members that may be sent marketing e-mail (annotated with consent)."""
    sendable = Q()
    for condition in exclusion_conditions().values():
        sendable &= ~condition
    return sendable


def with_consent(qs: QuerySet[Contact], purpose: str = "") -> QuerySet[Contact]:
    """Annotate contacts with what decides whether they may receive marketing e-mail.

    Their latest marketing consent, their address's suppression reason, and whether they left
    the campaign's topic (`purpose`) on delivery's preference page.
    """
    return qs.annotate(
        marketing_consent=latest_marketing_consent(),
        suppressed=suppression_reason(),
        left_topic=Exists(TopicOptOut.objects.filter(email=OuterRef("email"), topic=purpose)),
    )


@dataclass(frozen=True)
class AudienceCounts:
    """How many members the audience has, how many will receive it, and why others will not."""

    members: int
    sendable: int
    excluded: dict[str, int]

    @property
    def excluded_total(self) -> int:
        """How many members are left out, whatever the reason."""
        return sum(self.excluded.values())

    def rows(self) -> list[tuple[str, str, int]]:
        """Return (reason, label, count) in the order reasons are shown."""
        labels = dict(Exclusion.choices)
        return [(reason, str(labels[reason]), self.excluded.get(reason, 0)) for reason in labels]


def audience_counts(campaign: Campaign) -> AudienceCounts:
    """Count the audience and its exclusions by reason, in one query."""
    qs = with_consent(audience_members(campaign), campaign.purpose)
    conditions = exclusion_conditions()
    aggregates: dict[str, Any] = {"members": Count("pk")}
    taken = Q()
    for reason, condition in conditions.items():
        # The first reason that holds counts the contact; later reasons skip it.
        aggregates[reason] = Count("pk", filter=condition & ~taken if taken else condition)
        taken |= condition
    figures = qs.aggregate(**aggregates)
    excluded = {reason: int(figures[reason] or 0) for reason in conditions}
    members = int(figures["members"] or 0)
    return AudienceCounts(members, members - sum(excluded.values()), excluded)


def sendable_audience(campaign: Campaign) -> QuerySet[Contact]:
    """Return the members who will receive the campaign (consent given, not suppressed)."""
    return with_consent(audience_members(campaign), campaign.purpose).filter(sendable_q())
