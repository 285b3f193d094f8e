"""A form's visitor joins their contact: the anonymous web history becomes known on submission.

The embed script (and the hosted page) post the tracking script's visitor id as
`clientela_visitor`; after a submission is processed its earlier page views and CTA clicks join
the contact (`tracking.services.identify_visitor`), one timeline line summarising them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction

from clientela.contacts.models import Contact
from clientela.tracking.services import identify_visitor
from clientela.webforms.models import PendingConsent, Submission
from clientela.webforms.services.submitting import FollowUp

logger = logging.getLogger("clientela.webforms")


def join_visitor(
    submission: Submission, contact: Contact, pending: Sequence[PendingConsent] = ()
) -> None:
    """Join the submission's visitor history to its contact (a listener: failures are logged)."""
    if not submission.visitor_id:
        return
    try:
        identify_visitor(submission.visitor_id, contact)
    except Exception:
        logger.exception("could not join the visitor of submission %s", submission.pk)


def join_visitors(items: Sequence[FollowUp]) -> None:
    """Join a follow-up batch's visitors: only submissions with a visitor id, a savepoint each."""
    for item in items:
        if item.submission.visitor_id:
            with transaction.atomic():
                join_visitor(item.submission, item.contact, item.pending)
