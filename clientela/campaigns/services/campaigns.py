"""Write campaigns: create, change, delete and schedule (sending lives in services.sending).

A campaign is editable until sending starts. Its variants follow its A/B setting: variant "A"
always exists (the subject and sender every recipient gets without a test); "B" exists while
an A/B test of subject, sender (name and/or address, from the allowed senders) or content (a
second template) is set; what B leaves empty it takes from A.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.campaigns.choices import (
    AbTarget,
    CampaignVerb,
    ScheduleMode,
    WinnerMetric,
)
from clientela.campaigns.models import Campaign, EmailTemplate, Variant
from clientela.campaigns.services.templates import require_manage
from clientela.contacts.normalize import InvalidValue, normalize_email
from clientela.core.events import Via, record_event
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.numbers import DB_INT_MAX, bounded_int, fit_decimal
from clientela.segments.models import Segment

SIMPLE_TEXT = {
    "name": 150,
    "from_name": 100,
    "from_email": 254,
    "reply_to": 254,
    "subject_es": 300,
    "subject_en": 300,
    "subject_b_es": 300,
    "subject_b_en": 300,
    "from_name_b": 100,
    "from_email_b": 254,
}
NUMBERS = {
    "ab_sample_percent": (2, 50),
    "ab_wait_hours": (1, 168),
    "attribution_days": (1, 365),
    "per_minute": (1, 1_000_000),
    "per_domain_minute": (1, 1_000_000),
}
CAMPAIGN_FIELDS = (
    "name", "template", "from_name", "from_email", "reply_to", "schedule_mode", "scheduled_at",
    "ab_target", "ab_sample_percent", "ab_wait_hours", "ab_metric", "per_minute",
    "per_domain_minute", "cost", "attribution_days",
)  # fmt: skip
VARIANT_FIELDS = (
    "subject_es", "subject_en", "subject_b_es", "subject_b_en", "from_name_b", "from_email_b",
)  # fmt: skip


def _mailbox(value: str, field: str, errors: dict[str, list[str]]) -> str:
    """Return a checked, normalised address (a sender or a reply-to), or record the error."""
    try:
        address = normalize_email(value)
    except InvalidValue as error:
        errors.setdefault(field, []).append(str(error))
        return ""
    return address


def allowed_senders() -> list[str]:
    """Return the sender addresses and "@domains" campaigns may use (empty: any address).

    Set with CLIENTELA_CAMPAIGN_SENDERS: the addresses and domains the installation's SPF,
    DKIM and DMARC cover, so a campaign cannot go out from one that fails authentication.
    """
    conf: dict[str, Any] = settings.CLIENTELA
    return [str(item).strip().lower() for item in conf.get("CAMPAIGN_SENDERS") or [] if item]


def sender_allowed(address: str) -> bool:
    """Whether a (normalised) sender address is one of the allowed senders."""
    allowed = allowed_senders()
    if not allowed:
        return True
    address = address.lower()
    domain = "@" + address.rpartition("@")[2]
    return address in allowed or domain in allowed


def _sender(value: str, field: str, errors: dict[str, list[str]]) -> str:
    """Return a checked sender address that is one of the allowed senders, or record why not."""
    address = _mailbox(value, field, errors)
    if address and not sender_allowed(address):
        errors.setdefault(field, []).append(
            _("Use one of the allowed sender addresses: %(senders)s.")
            % {"senders": ", ".join(allowed_senders())}
        )
        return ""
    return address


def company_zone() -> ZoneInfo:
    """Return the company's time zone (settings.TIME_ZONE)."""
    return ZoneInfo(settings.TIME_ZONE)


def _ids(value: Any, field: str, errors: dict[str, list[str]]) -> list[int]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list | tuple) else [value]
    ids: list[int] = []
    for item in items:
        number = (
            bounded_int(item, minimum=1, maximum=DB_INT_MAX) if not isinstance(item, bool) else None
        )
        if number is None:
            errors.setdefault(field, []).append(_("Choose segments from the list."))
            return []
        ids.append(number)
    return ids


def _moment(value: Any, errors: dict[str, list[str]]) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        moment: dt.datetime | None = value
    elif isinstance(value, str) and len(value) <= 40:
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            moment = None
    else:
        moment = None
    if moment is None:
        errors.setdefault("scheduled_at", []).append(_("Enter a valid date and time."))
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=company_zone())
    return moment


def clean_campaign(
    data: Mapping[str, Any], *, current: Campaign | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[int]]]:
    """Validate campaign fields; return (campaign fields, variant fields, segment ids)."""
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {}
    variant: dict[str, Any] = {}
    segments: dict[str, list[int]] = {}

    def given(name: str) -> bool:
        return current is None or name in data

    for name, limit in SIMPLE_TEXT.items():
        if not given(name):
            continue
        raw = data.get(name)
        if raw is not None and not isinstance(raw, str):
            errors.setdefault(name, []).append(_("Enter text."))
            continue
        value = " ".join((raw or "").split())
        if len(value) > limit:
            errors.setdefault(name, []).append(_("Use at most %(n)s characters.") % {"n": limit})
        (variant if name in VARIANT_FIELDS else fields)[name] = value
    if fields.get("reply_to"):
        fields["reply_to"] = _mailbox(fields["reply_to"], "reply_to", errors)
    if fields.get("from_email"):
        fields["from_email"] = _sender(fields["from_email"], "from_email", errors)
    if variant.get("from_email_b"):
        variant["from_email_b"] = _sender(variant["from_email_b"], "from_email_b", errors)
    for name in ("template", "template_b"):
        if not given(name):
            continue
        raw = data.get(name)
        if raw in (None, "") and name == "template_b":
            variant[name] = None
            continue
        pk = bounded_int(raw, minimum=1) if not isinstance(raw, bool) else None
        found = EmailTemplate.objects.filter(pk=pk, deleted_at__isnull=True).first() if pk else None
        if found is None:
            errors.setdefault(name, []).append(_("Choose a template."))
        else:
            (fields if name == "template" else variant)[name] = found
    for name, choices in (
        ("schedule_mode", ScheduleMode.values),
        ("ab_target", AbTarget.values),
        ("ab_metric", WinnerMetric.values),
    ):
        if given(name):
            choice: Any = data.get(name)
            choice = "" if choice is None and name == "ab_target" else choice
            if name != "ab_target" and choice in (None, ""):
                choice = choices[0]
            if not isinstance(choice, str) or choice not in choices:
                errors.setdefault(name, []).append(_("Choose one of the options."))
            else:
                fields[name] = choice
    for name, (low, high) in NUMBERS.items():
        if not given(name):
            continue
        raw = data.get(name)
        if raw in (None, "") and name in ("per_minute", "per_domain_minute"):
            fields[name] = None
            continue
        if raw in (None, "") and current is None:
            continue  # a new campaign takes the model's default
        number = bounded_int(raw) if not isinstance(raw, bool) and raw not in (None, "") else None
        if number is None or not low <= number <= high:
            errors.setdefault(name, []).append(
                _("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
            )
        else:
            fields[name] = number
    if given("purpose"):
        from clientela.delivery.topics import TOPICS

        topic = data.get("purpose") or "newsletter"
        if not isinstance(topic, str) or topic not in TOPICS:
            errors.setdefault("purpose", []).append(_("Choose one of the options."))
        else:
            fields["purpose"] = topic
    if given("cost"):
        fields["cost"] = _cost(data.get("cost"), errors)
    if given("scheduled_at"):
        fields["scheduled_at"] = _moment(data.get("scheduled_at"), errors)
    for name in ("segments", "excluded_segments"):
        if given(name):
            ids = _ids(data.get(name), name, errors)
            known = set(
                Segment.objects.filter(pk__in=ids, deleted_at__isnull=True).values_list(
                    "pk", flat=True
                )
            )
            if set(ids) - known:
                errors.setdefault(name, []).append(_("Choose segments from the list."))
            segments[name] = sorted(known)
    if "name" in fields and not fields["name"] and "name" not in errors:
        errors.setdefault("name", []).append(_("Give the campaign a name."))
    if errors:
        raise ValidationFailed(errors)
    return fields, variant, segments


def _cost(raw: Any, errors: dict[str, list[str]]) -> Decimal:
    if raw in (None, ""):
        return Decimal("0")
    try:
        number = Decimal(str(raw).strip()) if not isinstance(raw, bool) else None
    except (InvalidOperation, ValueError):
        number = None
    fitted = (
        fit_decimal(number, max_digits=14, decimal_places=2)
        if number is not None and number.is_finite() and number >= 0
        else None
    )
    if fitted is None:
        errors.setdefault("cost", []).append(_("Enter an amount of zero or more."))
        return Decimal("0")
    return fitted


def _apply_variants(campaign: Campaign, variant: Mapping[str, Any]) -> None:
    """Keep variant A (and B while an A/B test is set) in step with the campaign."""
    first, _created = Variant.objects.get_or_create(campaign=campaign, label="A")
    for key in ("subject_es", "subject_en"):
        if key in variant:
            setattr(first, key, variant[key])
    first.save()
    if campaign.ab_target:
        second, _created = Variant.objects.get_or_create(campaign=campaign, label="B")
        for key, target in (
            ("subject_b_es", "subject_es"),
            ("subject_b_en", "subject_en"),
            ("from_name_b", "from_name"),
            ("from_email_b", "from_email"),
            ("template_b", "template"),
        ):
            if key in variant:
                setattr(second, target, variant[key])
        second.save()
    else:
        Variant.objects.filter(campaign=campaign).exclude(label="A").delete()


def _check_ready(campaign: Campaign) -> None:
    """Refuse an A/B test without its variant's difference (ValidationFailed)."""
    errors: dict[str, list[str]] = {}
    variants = {v.label: v for v in campaign.variants.all()}
    b = variants.get("B")
    if campaign.ab_target and b is not None:
        if campaign.ab_target == AbTarget.SUBJECT and not b.subject_es:
            errors["subject_b_es"] = [_("Write variant B's subject.")]
        if campaign.ab_target == AbTarget.SENDER:
            if not b.from_name and not b.from_email:
                errors["from_name_b"] = [_("Write variant B's sender name or address.")]
            elif (b.from_name or campaign.from_name) == campaign.from_name and (
                b.from_email or campaign.from_email
            ) == campaign.from_email:
                errors["from_name_b"] = [_("Give variant B a sender that differs from A's.")]
        if campaign.ab_target == AbTarget.CONTENT:
            if b.template_id is None:
                errors["template_b"] = [_("Choose variant B's template.")]
            elif b.template_id == campaign.template_id:
                errors["template_b"] = [_("Choose a template other than variant A's.")]
    if errors:
        raise ValidationFailed(errors)


def create_campaign(*, actor: User, data: Mapping[str, Any], via: str = Via.UI) -> Campaign:
    """Create a draft campaign."""
    require_manage(actor)
    fields, variant, segments = clean_campaign(data)
    if "template" not in fields:
        raise ValidationFailed({"template": [_("Choose a template.")]})
    with transaction.atomic():
        campaign = Campaign.objects.create(created_by=actor, **fields)
        campaign.segments.set(segments.get("segments", []))
        campaign.excluded_segments.set(segments.get("excluded_segments", []))
        _apply_variants(campaign, variant)
        _check_ready(campaign)
        record_event(
            CampaignVerb.CAMPAIGN_CREATED,
            actor=actor,
            target=campaign,
            via=via,
            data={"name": campaign.name},
        )
    return campaign


def update_campaign(
    campaign: Campaign,
    *,
    actor: User,
    data: Mapping[str, Any],
    version: int | None = None,
    via: str = Via.UI,
) -> Campaign:
    """Change a campaign that has not started sending (Conflict otherwise)."""
    require_manage(actor)
    fields, variant, segments = clean_campaign(data, current=campaign)
    with transaction.atomic():
        fresh = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not fresh.is_editable:
            raise Conflict(_("The campaign has started sending and can no longer be changed."))
        if version is not None and fresh.version != version:
            raise Conflict(_("Someone else changed this campaign. Reload it and try again."))
        for name, value in fields.items():
            setattr(fresh, name, value)
        fresh.version += 1
        fresh.updated_at = timezone.now()
        fresh.save()
        if "segments" in segments:
            fresh.segments.set(segments["segments"])
        if "excluded_segments" in segments:
            fresh.excluded_segments.set(segments["excluded_segments"])
        _apply_variants(fresh, variant)
        _check_ready(fresh)
        record_event(
            CampaignVerb.CAMPAIGN_CHANGED,
            actor=actor,
            target=fresh,
            via=via,
            data={"name": fresh.name, "fields": sorted([*fields, *variant, *segments])},
        )
    return fresh


def delete_campaign(campaign: Campaign, *, actor: User, via: str = Via.UI) -> Campaign:
    """Delete a draft or scheduled campaign (a sent one stays for its report: Conflict)."""
    require_manage(actor)
    with transaction.atomic():
        fresh = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not fresh.is_editable:
            raise Conflict(_("A campaign that has sent messages cannot be deleted."))
        fresh.deleted_at = timezone.now()
        fresh.save(update_fields=["deleted_at"])
        record_event(
            CampaignVerb.CAMPAIGN_CHANGED,
            actor=actor,
            target=fresh,
            via=via,
            data={"name": fresh.name, "fields": ["deleted_at"]},
        )
    return fresh
