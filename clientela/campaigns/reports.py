"""Campaign reports: per campaign and per A/B variant, from delivery's messages and events.

Every figure is counted in SQL over the campaign's message group ("campaign:<id>"); a
message's ref ("<variant>:<recipient id>") says its variant, so per-variant figures are a
prefix filter. Opens by machines (Apple Mail Privacy Protection, prefetchers) and scanner
clicks are flagged by delivery (`MessageEvent.machine`) and counted apart.

Revenue is attributed to a campaign when the contact placed an order within N days
(`Campaign.attribution_days`) after a human click on one of its messages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncDate, TruncHour

from clientela.campaigns.choices import Exclusion
from clientela.campaigns.models import Campaign, Variant
from clientela.contacts.models import Contact
from clientela.delivery.choices import MessageState
from clientela.delivery.models import Message, MessageEvent
from clientela.orders.models import Order

OPEN, CLICK, UNSUBSCRIBE = "open", "click", "unsubscribe"
BOUNCE_HARD, BOUNCE_SOFT, COMPLAINT = "bounce_hard", "bounce_soft", "complaint"
# The figures a drill-down can list the contacts of.
METRICS = (
    "recipients", "sent", "failed", "delivered", "bounced_hard", "bounced_soft", "opened",
    "clicked", "unsubscribed", "complained", "bought",
)  # fmt: skip


def group_of(campaign_id: int) -> str:
    """Return delivery's group of a campaign's messages."""
    return f"campaign:{campaign_id}"


def campaign_messages(campaign: Campaign, variant: str | None = None) -> QuerySet[Message]:
    """Return the campaign's messages (of one variant's label when given)."""
    qs = Message.objects.filter(group=group_of(campaign.pk))
    if variant:
        qs = qs.filter(ref__startswith=f"{variant}:")
    return qs


def _events(
    messages: QuerySet[Message], kind: str, machine: bool | None = False
) -> QuerySet[MessageEvent]:
    qs = MessageEvent.objects.filter(message_id__in=messages.values("pk"), kind=kind)
    if machine is not None:
        qs = qs.filter(machine=machine)
    return qs


def _has_event(kind: str, machine: bool | None = False) -> Q:
    """Match messages with at least one event of `kind` (human ones unless machine is None)."""
    rows = MessageEvent.objects.filter(message_id=OuterRef("pk"), kind=kind)
    if machine is not None:
        rows = rows.filter(machine=machine)
    return Q(Exists(rows))


@dataclass
class Figures:
    """The figures of a campaign or a variant."""

    label: str
    recipients: int = 0
    sent: int = 0
    failed: int = 0
    delivered: int = 0
    bounced_hard: int = 0
    bounced_soft: int = 0
    unique_opens: int = 0
    total_opens: int = 0
    machine_opens: int = 0
    unique_clicks: int = 0
    total_clicks: int = 0
    machine_clicks: int = 0
    unsubscribed: int = 0
    complained: int = 0
    revenue: Decimal = Decimal("0")
    orders: int = 0
    winner: bool = False  # the A/B test's winning variant

    def rate(self, part: int) -> float:
        """Return `part` as a percentage of delivered messages."""
        return round(part * 100 / self.delivered, 1) if self.delivered else 0.0

    @property
    def open_rate(self) -> float:
        """Unique human opens per delivered message, in %."""
        return self.rate(self.unique_opens)

    @property
    def click_rate(self) -> float:
        """Unique human clicks per delivered message, in %."""
        return self.rate(self.unique_clicks)


def figures(campaign: Campaign, variant: str | None = None) -> Figures:
    """Count one campaign's (or one variant's) figures."""
    messages = campaign_messages(campaign, variant)
    result = Figures(label=variant or "")
    counts = messages.aggregate(
        recipients=Count("pk"),
        sent=Count("pk", filter=Q(state=MessageState.SENT)),
        failed=Count("pk", filter=Q(state=MessageState.FAILED)),
        bounced_hard=Count("pk", filter=_has_event(BOUNCE_HARD, None)),
        bounced_soft=Count(
            "pk", filter=_has_event(BOUNCE_SOFT, None) & ~_has_event(BOUNCE_HARD, None)
        ),
        unique_opens=Count("pk", filter=_has_event(OPEN)),
        unique_clicks=Count("pk", filter=_has_event(CLICK)),
        unsubscribed=Count("pk", filter=_has_event(UNSUBSCRIBE, None)),
        complained=Count("pk", filter=_has_event(COMPLAINT, None)),
    )
    for name, value in counts.items():
        setattr(result, name, int(value or 0))
    if variant is None:
        # Recipients snapshotted but not queued yet (an A/B rest waiting) count as recipients.
        result.recipients = max(result.recipients, campaign.recipients.count())
    result.delivered = max(result.sent - result.bounced_hard - result.bounced_soft, 0)
    for kind, total, machine in ((OPEN, "total_opens", "machine_opens"),
                                 (CLICK, "total_clicks", "machine_clicks")):  # fmt: skip
        setattr(result, total, _events(messages, kind, False).count())
        setattr(result, machine, _events(messages, kind, True).count())
    revenue = attributed_orders(campaign, variant).aggregate(
        total=Sum("amount_company_currency"), n=Count("pk")
    )
    result.revenue = revenue["total"] or Decimal("0")
    result.orders = int(revenue["n"] or 0)
    return result


def attributed_orders(campaign: Campaign, variant: str | None = None) -> QuerySet[Order]:
    """Return orders placed within the attribution window after a human click of the campaign."""
    clicks = MessageEvent.objects.filter(
        message__group=group_of(campaign.pk),
        message__contact_id=OuterRef("contact_id"),
        kind=CLICK,
        machine=False,
        at__lte=OuterRef("ordered_at"),
        at__gte=OuterRef("ordered_at") - dt.timedelta(days=campaign.attribution_days),
    )
    if variant:
        clicks = clicks.filter(message__ref__startswith=f"{variant}:")
    return Order.objects.filter(Exists(clicks))


@dataclass
class Report:
    """A campaign's report: totals, variants, exclusions, links, time series, ROI."""

    campaign: Campaign
    total: Figures
    variants: list[Figures] = field(default_factory=list)
    exclusions: list[tuple[str, str, int]] = field(default_factory=list)
    links: list[tuple[str, int, int]] = field(default_factory=list)
    series: list[tuple[str, int, int]] = field(default_factory=list)

    @property
    def roi(self) -> float | None:
        """Return (revenue − cost) / cost in %, or None without a cost."""
        cost = self.campaign.cost or Decimal("0")
        if cost <= 0:
            return None
        return round(float((self.total.revenue - cost) / cost * 100), 1)


def link_clicks(campaign: Campaign) -> list[tuple[str, int, int]]:
    """Return (url, unique messages, clicks) of every clicked link, most clicked first."""
    events = _events(campaign_messages(campaign), CLICK, False)
    rows = (
        events.values("url")
        .annotate(n=Count("pk"), unique=Count("message_id", distinct=True))
        .order_by("-unique", "-n", "url")[:100]
    )
    return [(str(row["url"]), int(row["unique"]), int(row["n"])) for row in rows]


def time_series(campaign: Campaign) -> list[tuple[str, int, int]]:
    """Return (period, human opens, human clicks) per hour for two days, per day after."""
    events = MessageEvent.objects.filter(
        message__group=group_of(campaign.pk), kind__in=(OPEN, CLICK), machine=False
    )
    first = events.order_by("at").values_list("at", flat=True).first()
    last = events.order_by("-at").values_list("at", flat=True).first()
    if first is None or last is None:
        return []
    hourly = last - first <= dt.timedelta(days=2)
    trunc = TruncHour("at") if hourly else TruncDate("at")
    buckets: dict[str, list[int]] = {}
    for row in (
        events.annotate(period=trunc)
        .values("period", "kind")
        .annotate(n=Count("pk"))
        .order_by("period")
    ):
        period = row["period"]
        key = period.strftime("%Y-%m-%d %H:00") if hourly else period.isoformat()
        bucket = buckets.setdefault(key, [0, 0])
        bucket[0 if row["kind"] == OPEN else 1] += int(row["n"])
    return [(key, opens, clicks) for key, (opens, clicks) in buckets.items()]


@dataclass
class VariantResult:
    """An A/B variant's results so far, for the campaign's page."""

    sent: int = 0
    unique_opens: int = 0
    unique_clicks: int = 0


def variant_results(campaign: Campaign) -> dict[str, VariantResult]:
    """Return each variant label's sent messages, unique human opens and clicks (one query)."""
    rows = (
        campaign_messages(campaign)
        .annotate(label=Substr("ref", 1, 1))
        .values("label")
        .annotate(
            sent=Count("pk", filter=Q(state=MessageState.SENT)),
            unique_opens=Count("pk", filter=_has_event(OPEN)),
            unique_clicks=Count("pk", filter=_has_event(CLICK)),
        )
        .order_by("label")
    )
    return {
        str(row["label"]): VariantResult(
            int(row["sent"]), int(row["unique_opens"]), int(row["unique_clicks"])
        )
        for row in rows
    }


def sender_of(campaign: Campaign, variant: Variant | None) -> str | None:
    """Return the From of a variant's messages (what a variant leaves empty is the campaign's).

    None: neither sets a sender, and delivery's default (DEFAULT_FROM_EMAIL) is used.
    """
    from email.utils import formataddr, parseaddr

    name = (variant.from_name if variant and variant.from_name else "") or campaign.from_name
    own = (variant.from_email if variant and variant.from_email else "") or campaign.from_email
    address = own or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    if not name and not own:
        return None
    return formataddr((name, address)) if name else address


@dataclass(frozen=True)
class VariantDetails:
    """What a variant's messages carry: subjects (as written, per language), sender, template."""

    label: str
    subject_es: str
    subject_en: str
    sender: str
    template: str
    winner: bool


def variant_details(campaign: Campaign) -> dict[str, VariantDetails]:
    """Return, per variant label, the subject, sender and template its recipients get.

    What a variant leaves empty comes from the campaign and its template, as at send time; the
    English subject is blank when the template has no English version (English readers get
    the Spanish one).
    """
    details: dict[str, VariantDetails] = {}
    for variant in campaign.variants.select_related("template").order_by("label"):
        template = variant.template or campaign.template
        subject_es = variant.subject_es or template.subject_es
        subject_en = (variant.subject_en or template.subject_en) if template.has_english else ""
        details[variant.label] = VariantDetails(
            label=variant.label,
            subject_es=subject_es,
            subject_en=subject_en,
            sender=sender_of(campaign, variant) or settings.DEFAULT_FROM_EMAIL,
            template=template.name,
            winner=variant.is_winner,
        )
    return details


def build_report(campaign: Campaign) -> Report:
    """Return the whole report of a campaign."""
    labels = dict(Exclusion.choices)
    stored = campaign.exclusions or {}
    variant_rows = list(campaign.variants.order_by("label").values_list("label", "is_winner"))
    variants = []
    if len(variant_rows) > 1:
        for label, is_winner in variant_rows:
            variant = figures(campaign, label)
            variant.winner = bool(is_winner)
            variants.append(variant)
    return Report(
        campaign=campaign,
        total=figures(campaign),
        variants=variants,
        exclusions=[(r, str(labels[r]), int(stored.get(r, 0))) for r in labels],
        links=link_clicks(campaign),
        series=time_series(campaign),
    )


def metric_contacts(
    campaign: Campaign, metric: str, variant: str | None = None
) -> QuerySet[Contact]:
    """Return the contacts behind one figure of the report (the drill-down)."""
    messages = campaign_messages(campaign, variant)
    conditions = {
        "recipients": Q(),
        "sent": Q(state=MessageState.SENT),
        "failed": Q(state=MessageState.FAILED),
        "delivered": Q(state=MessageState.SENT)
        & ~_has_event(BOUNCE_HARD, None)
        & ~_has_event(BOUNCE_SOFT, None),
        "bounced_hard": _has_event(BOUNCE_HARD, None),
        "bounced_soft": _has_event(BOUNCE_SOFT, None),
        "opened": _has_event(OPEN),
        "clicked": _has_event(CLICK),
        "unsubscribed": _has_event(UNSUBSCRIBE, None),
        "complained": _has_event(COMPLAINT, None),
    }
    if metric == "bought":
        ids = attributed_orders(campaign, variant).values("contact_id")
        return Contact.objects.filter(pk__in=ids)
    condition = conditions.get(metric)
    if condition is None:
        return Contact.objects.none()
    return Contact.objects.filter(pk__in=messages.filter(condition).values("contact_id"))
