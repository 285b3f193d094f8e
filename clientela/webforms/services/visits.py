"""A form's visitor joins their contact: the anonymous web history becomes known on submission.

The embed script (and the hosted page) post the tracking script's visitor id as
`clientela_visitor`; after a submission is processed its earlier page views and CTA clicks join
the contact (`tracking.services.identify_visitor`), one timeline line summarising them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from clientela.contacts.models import Contact
from clientela.tracking.services import identify_visitor
from clientela.webforms.models import PendingConsent, Submission

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
