"""Writes of web forms: the builder, submissions and double opt-in.

The work lives in `building`, `submitting` and `confirming`; adapters and other apps import
from here.
"""

from __future__ import annotations

from clientela.webforms.services.building import (
    add_consent,
    add_field,
    clean_origin,
    create_form,
    move_field,
    redirect_allowed,
    remove_consent,
    remove_field,
    set_form_status,
    update_consent,
    update_field,
    update_form,
)
from clientela.webforms.services.confirming import (
    Confirmation,
    confirm_consent,
    confirmation_token,
    confirmation_url,
)
from clientela.webforms.services.submitting import (
    SUBMISSION_LISTENERS,
    Cleaned,
    Visit,
    clean_payload,
    count_spam,
    process_submission,
    raw_payload,
    register_submission_listener,
    retry_failed_submissions,
    retry_submission,
    store_submission,
)

__all__ = [
    "SUBMISSION_LISTENERS",
    "Cleaned",
    "Confirmation",
    "Visit",
    "add_consent",
    "add_field",
    "clean_origin",
    "clean_payload",
    "confirm_consent",
    "confirmation_token",
    "confirmation_url",
    "count_spam",
    "create_form",
    "move_field",
    "process_submission",
    "raw_payload",
    "redirect_allowed",
    "register_submission_listener",
    "remove_consent",
    "remove_field",
    "retry_failed_submissions",
    "retry_submission",
    "set_form_status",
    "store_submission",
    "update_consent",
    "update_field",
    "update_form",
]
