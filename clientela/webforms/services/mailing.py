"""The e-mails lead capture sends, through delivery's one sending path.

A processed submission queues its welcome message and one double opt-in confirmation per
consent awaiting its click (composed in `webforms.emails`); an assigned lead e-mails its rep.
Each message has an idempotency key made of what it is about, so a retried submission or a
listener run twice queues nothing new; the worker sends, retries and records each one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext as _

from clientela.contacts.models import Contact
from clientela.delivery.services import queue_email
from clientela.webforms.emails import compose_submission_emails
from clientela.webforms.models import LeadAssignment, PendingConsent, Submission

logger = logging.getLogger("clientela.webforms")

WELCOME = "webforms.welcome"
CONFIRM = "webforms.confirm"
LEAD_ASSIGNED = "webforms.lead_assigned"


def send_submission_emails(
    submission: Submission, contact: Contact, pending: Sequence[PendingConsent]
) -> int:
    """Queue the welcome and confirmation messages of a processed submission; return how many."""
    queued = 0
    confirmations = iter(pending)
    for message in compose_submission_emails(submission, contact, pending):
        if message.kind == "welcome":
            kind, key = WELCOME, f"{WELCOME}:{submission.reference}"
        else:
            kind, key = CONFIRM, f"{CONFIRM}:{next(confirmations).token}"
        queue_email(
            to=message.to,
            subject=message.subject,
            html=message.html,
            text=message.text,
            kind=kind,
            contact=contact,
            language=message.language,
            source=f"webforms.form:{submission.form.public_id}",
            idempotency_key=key,
        )
        queued += 1
    return queued


def send_safely(
    submission: Submission, contact: Contact, pending: Sequence[PendingConsent]
) -> None:
    """Queue a submission's e-mails as a listener: a failure is logged, never raised."""
    try:
        send_submission_emails(submission, contact, pending)
    except Exception:
        logger.exception("could not queue the e-mails of submission %s", submission.pk)


def email_rep(assignment: LeadAssignment, public_url: str) -> None:
    """E-mail the rep a new lead was assigned to, in the rep's language (when they have one)."""
    owner = assignment.owner
    if owner is None or not owner.email:
        return
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
    queue_email(
        to=owner.email,
        subject=subject,
        html=html,
        text=text,
        kind=LEAD_ASSIGNED,
        contact=contact,
        language=owner.language or "es",
        source="webforms.assignment",
        idempotency_key=f"{LEAD_ASSIGNED}:{assignment.pk}",
    )
