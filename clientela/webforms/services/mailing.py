"""The e-mails lead capture sends, through delivery's one sending path.

A processed submission queues its welcome message and one double opt-in confirmation per
consent awaiting its click (composed in `webforms.emails`); an assigned lead e-mails its rep.
Each message has an idempotency key made of what it is about, so a retried submission or a
listener run twice queues nothing new; the worker sends, retries and records each one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from clientela.contacts.models import Contact
from clientela.core.exceptions import ValidationFailed
from clientela.delivery.services import queue_email, queue_emails
from clientela.webforms.emails import compose_submission_emails
from clientela.webforms.models import LeadAssignment, PendingConsent, Submission
from clientela.webforms.services.submitting import FollowUp

logger = logging.getLogger("clientela.webforms")

WELCOME = "webforms.welcome"
CONFIRM = "webforms.confirm"
LEAD_ASSIGNED = "webforms.lead_assigned"


def submission_emails(
    submission: Submission, contact: Contact, pending: Sequence[PendingConsent]
) -> list[dict[str, Any]]:
    """Return a processed submission's welcome and confirmations (`queue_email`'s arguments)."""
    emails = []
    confirmations = iter(pending)
    for message in compose_submission_emails(submission, contact, pending):
        if message.kind == "welcome":
            kind, key = WELCOME, f"{WELCOME}:{submission.reference}"
        else:
            kind, key = CONFIRM, f"{CONFIRM}:{next(confirmations).token}"
        emails.append(
            {
                "to": message.to,
                "subject": message.subject,
                "html": message.html,
                "text": message.text,
                "kind": kind,
                "contact": contact,
                "language": message.language,
                "source": f"webforms.form:{submission.form.public_id}",
                "idempotency_key": key,
            }
        )
    return emails


def send_submission_emails(
    submission: Submission, contact: Contact, pending: Sequence[PendingConsent]
) -> int:
    """Queue the welcome and confirmation messages of a processed submission; return how many."""
    emails = submission_emails(submission, contact, pending)
    for email in emails:
        queue_email(**email)
    return len(emails)


def send_safely(
    submission: Submission, contact: Contact, pending: Sequence[PendingConsent]
) -> None:
    """Queue a submission's e-mails as a listener: a failure is logged, never raised."""
    try:
        send_submission_emails(submission, contact, pending)
    except Exception:
        logger.exception("could not queue the e-mails of submission %s", submission.pk)


def send_batch(items: Sequence[FollowUp]) -> None:
    """Queue a follow-up batch's welcome and confirmation messages together (one INSERT).

    A message delivery refuses (an address it cannot take) is logged and the others are
    queued; anything else raises, and the follow-up queues the batch one submission at a time.
    """
    emails = [
        email
        for item in items
        for email in submission_emails(item.submission, item.contact, item.pending)
    ]
    queue_emails(emails, on_invalid=_log_refused)


def _log_refused(email: Mapping[str, Any], error: ValidationFailed) -> None:
    logger.warning("the e-mail %s was not queued: %s", email.get("idempotency_key"), error.errors)


def email_rep(assignment: LeadAssignment, public_url: str) -> None:
    """E-mail the rep a new lead was assigned to, in the rep's language (when they have one)."""
    email = rep_email(assignment, public_url)
    if email is not None:
        queue_email(**email)


def rep_email(assignment: LeadAssignment, public_url: str) -> dict[str, Any] | None:
    """Return the new-lead e-mail to the assignment's rep (`queue_email`'s arguments), if any."""
    owner = assignment.owner
    if owner is None or not owner.email:
        return None
    contact = assignment.contact
    link = public_url + reverse("contacts:contact_detail", args=[contact.pk])
    with translation.override(owner.language or "es"):
        name = str(contact) or contact.email or contact.phone
        due = timezone.localtime(assignment.due_at).strftime("%d/%m/%Y %H:%M")
        subject = _("New lead: %(name)s") % {"name": name}
        lines = [
            _("A new lead was assigned to you: %(name)s.") % {"name": name},
            _("First contact due %(due)s.") % {"due": due},
            link,
        ]
    text = "\n\n".join(lines) + "\n"
    html = "".join(f"<p>{escape(line)}</p>" for line in lines[:2])
    html += f'<p><a href="{escape(link)}">{escape(link)}</a></p>'
    return {
        "to": owner.email,
        "subject": subject,
        "html": html,
        "text": text,
        "kind": LEAD_ASSIGNED,
        "contact": contact,
        "language": owner.language or "es",
        "source": "webforms.assignment",
        "idempotency_key": f"{LEAD_ASSIGNED}:{assignment.pk}",
    }
