"""Every e-mail a form submission causes, composed in one place (sent by the delivery app).

`compose_submission_emails(submission, contact, pending)` returns the welcome message (when the
form has one) and one double opt-in confirmation message per consent awaiting its click, each
with subject, HTML and text parts, recipient and language (the contact's). Nothing is sent
here: the integrator registers a submission listener
(`clientela.webforms.services.register_submission_listener`) that passes these to delivery.
Authors' text is personalised with `{{ first_name }}`-style placeholders filled with the
contact's values, escaped in the HTML part; nothing else is evaluated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _

from clientela.contacts.models import Contact
from clientela.delivery.rendering import contact_values, render_template
from clientela.webforms.models import PendingConsent, Submission
from clientela.webforms.services.confirming import confirmation_url


@dataclass(frozen=True)
class ComposedEmail:
    """One message ready for delivery."""

    kind: str  # "welcome" or "confirm"
    to: str
    language: str
    subject: str
    text: str
    html: str


def _language(contact: Contact, submission: Submission) -> str:
    language = (contact.language or submission.language or submission.form.language or "es")[:2]
    return language if language in {"es", "en"} else "es"


def _fill(template: str, values: dict[str, Any], *, html: bool) -> str:
    """Personalise an author's plain text in delivery's sandbox; as escaped HTML when `html`.

    The body is text the author typed, so the HTML part is that text escaped, not markup:
    `{{ first_name }}`, `{{ contacto.nombre|default:"amigo" }}` and the like are filled from
    `values` only (delivery.rendering.contact_values).
    """
    text = render_template(template, values, html=False, field="welcome_body")
    return str(escape(text)) if html else text


def compose_submission_emails(
    submission: Submission, contact: Contact, pending: Sequence[PendingConsent]
) -> list[ComposedEmail]:
    """Return the welcome and double opt-in messages of a processed submission (none without e-mail)."""
    if not contact.email:
        return []
    form = submission.form
    language = _language(contact, submission)
    values = contact_values(
        contact,
        first_name=contact.first_name,
        last_name=contact.last_name,
        full_name=contact.full_name,
        email=contact.email,
        form=form.name,
        formulario=form.name,
    )
    messages: list[ComposedEmail] = []
    with translation.override(language):
        english = language == "en"
        subject = (form.welcome_subject_en if english else form.welcome_subject_es) or (
            form.welcome_subject_es if english else form.welcome_subject_en
        )
        body = (form.welcome_body_en if english else form.welcome_body_es) or (
            form.welcome_body_es if english else form.welcome_body_en
        )
        if subject and body:
            text = _fill(body, values, html=False)
            messages.append(
                ComposedEmail(
                    kind="welcome",
                    to=contact.email,
                    language=language,
                    subject=_fill(subject, values, html=False).replace("\n", " "),
                    text=text,
                    html=linebreaks(_fill(body, values, html=True)),
                )
            )
        for item in pending:
            link = confirmation_url(item)
            greeting = (
                _("Hello %(name)s,") % {"name": contact.first_name}
                if contact.first_name
                else _("Hello,")
            )
            ask = _(
                "Please confirm that you want to receive our communications by clicking the "
                "link below. If you did not ask for them, ignore this message."
            )
            text = f"{greeting}\n\n{ask}\n\n{link}\n"
            html = (
                f"<p>{escape(greeting)}</p><p>{escape(ask)}</p>"
                f'<p><a href="{escape(link)}">{escape(_("Confirm my subscription"))}</a></p>'
            )
            messages.append(
                ComposedEmail(
                    kind="confirm",
                    to=contact.email,
                    language=language,
                    subject=_("Confirm your subscription: %(form)s") % {"form": form.name},
                    text=text,
                    html=html,
                )
            )
    return messages
