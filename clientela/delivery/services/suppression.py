"""The suppression list: addresses Clientela never sends to again, added and removed with a reason.

Bounces, complaints and unsubscribes add addresses as the system; people add and remove them
on the suppression screen or through the API (`delivery.manage_suppressions`). Every change is
on the audit log, and on the contact's timeline when a contact has the address.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.accounts.queries import has_capability
from clientela.contacts.models import Contact
from clientela.contacts.normalize import InvalidValue, normalize_email
from clientela.core.events import Via
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.delivery.choices import MailOpsVerb, SuppressionReason
from clientela.delivery.models import Message, Suppression
from clientela.timeline.services import record_event

MAX_DETAIL = 2000
MAX_IMPORT_ERRORS = 100


def _require_manager(actor: User | None) -> None:
    if actor is not None and not has_capability(actor, "delivery.manage_suppressions"):
        raise Forbidden(_("Your role cannot change the suppression list."))


def clean_address(value: str) -> str:
    """Return the normalised address, or raise ValidationFailed on its `email` field."""
    try:
        address = normalize_email(value or "")
    except InvalidValue as exc:
        raise ValidationFailed({"email": [str(exc)]}) from None
    if not address:
        raise ValidationFailed({"email": [_("Write an e-mail address.")]})
    return address


def _contact_id(address: str, message: Message | None) -> int | None:
    if message is not None and message.contact_id is not None:
        return message.contact_id
    found: int | None = (
        Contact.objects.filter(email=address).order_by("id").values_list("pk", flat=True).first()
    )
    return found


def suppress(
    email: str,
    *,
    reason: str,
    actor: User | None,
    detail: str = "",
    message: Message | None = None,
    via: str = Via.SYSTEM,
) -> Suppression:
    """Add an address to the suppression list (or widen an existing unsubscribe) and say so.

    Already suppressed: the row is kept, except that an "unsubscribed" one (marketing only)
    becomes the new reason when that refuses every message (a hard bounce, a complaint).
    """
    _require_manager(actor)
    address = clean_address(email)
    if reason not in SuppressionReason.values:
        raise ValidationFailed({"reason": [_("Choose a reason.")]})
    with transaction.atomic():
        existing = Suppression.objects.select_for_update().filter(email=address).first()
        if existing is not None:
            widen = (
                existing.reason == SuppressionReason.UNSUBSCRIBED
                and reason != SuppressionReason.UNSUBSCRIBED
            )
            if not widen:
                return existing
            existing.reason = reason
            existing.detail = detail[:MAX_DETAIL]
            existing.save(update_fields=["reason", "detail"])
            suppression = existing
        else:
            try:
                with transaction.atomic():
                    suppression = Suppression.objects.create(
                        email=address,
                        reason=reason,
                        detail=detail[:MAX_DETAIL],
                        created_by=actor if actor is not None and actor.pk else None,
                        message=message,
                    )
            except IntegrityError:
                # Another bounce of the same address was recorded in between.
                return Suppression.objects.get(email=address)
        record_event(
            MailOpsVerb.SUPPRESSED,
            actor=actor,
            target=suppression,
            via=via,
            data={"to": address, "reason": reason, "detail": detail[:200]},
            contact_id=_contact_id(address, message),
        )
    return suppression


def unsuppress(
    suppression: Suppression, *, actor: User | None, reason: str, via: str = Via.UI
) -> None:
    """Remove an address from the suppression list; the reason for removing it is required."""
    _require_manager(actor)
    why = " ".join((reason or "").split())
    if not why:
        raise ValidationFailed({"reason": [_("Say why the address may receive e-mail again.")]})
    with transaction.atomic():
        record_event(
            MailOpsVerb.UNSUPPRESSED,
            actor=actor,
            target=suppression,
            via=via,
            data={"to": suppression.email, "reason": suppression.reason, "detail": why[:500]},
            contact_id=_contact_id(suppression.email, None),
        )
        suppression.delete()


@dataclass
class ImportResult:
    """What an import of addresses did: added, already there, and the refused lines."""

    added: int = 0
    already: int = 0
    errors: list[str] = field(default_factory=list)


def import_suppressions(
    lines: Iterable[str], *, actor: User, reason: str = SuppressionReason.MANUAL
) -> ImportResult:
    """Suppress every address of `lines` (one per line, or the first CSV column); report the rest.

    Bad lines are reported with their number and never stop the others.
    """
    _require_manager(actor)
    if reason not in SuppressionReason.values:
        raise ValidationFailed({"reason": [_("Choose a reason.")]})
    result = ImportResult()
    for number, line in enumerate(lines, start=1):
        cell = line.split(",")[0].split(";")[0].strip().strip('"').strip()
        if not cell or (number == 1 and "@" not in cell):
            continue  # a blank line or a header row
        try:
            address = clean_address(cell)
        except ValidationFailed:
            if len(result.errors) < MAX_IMPORT_ERRORS:
                result.errors.append(
                    _("Line %(number)d: “%(value)s” is not a valid e-mail address.")
                    % {"number": number, "value": cell[:100]}
                )
            continue
        if Suppression.objects.filter(email=address).exists():
            result.already += 1
            continue
        suppress(address, reason=reason, actor=actor, detail="import", via=Via.IMPORT)
        result.added += 1
    return result
