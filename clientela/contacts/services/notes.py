"""Notes on a contact's or a company's card."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clientela.contacts.choices import ContactVerb
from clientela.contacts.models import Company, Contact, Note
from clientela.contacts.services.records import require_capability
from clientela.core.exceptions import ValidationFailed
from clientela.timeline.choices import Via
from clientela.timeline.services import record_event


@transaction.atomic
def add_note(
    *,
    actor: Any,
    body: str,
    contact: Contact | None = None,
    company: Company | None = None,
    via: str = Via.UI,
) -> Note:
    """Attach a note to a contact or a company."""
    require_capability(actor, "contacts.write", _("Your role can only read records."))
    body = body.strip()
    if not body:
        raise ValidationFailed({"body": _("Write something first.")})
    if len(body) > 10000:
        raise ValidationFailed({"body": _("Use at most 10,000 characters.")})
    note = Note.objects.create(contact=contact, company=company, author=actor, body=body)
    target: Contact | Company = contact or company  # type: ignore[assignment]
    record_event(
        ContactVerb.NOTE, actor=actor, target=target, via=via, data={"body": body[:2000], "note_id": note.pk},
        contact_id=contact.pk if contact else None, company_id=company.pk if company else None,
    )  # fmt: skip
    return note
