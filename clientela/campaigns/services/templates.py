"""Write e-mail templates: create, change, delete, start from the gallery, upload images; preview.

Every write checks `campaigns.manage`, validates the blocks and compiles both languages (a
template that cannot render is refused when saved, not when 100,000 messages go out).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.campaigns.blocks import (
    UNSUBSCRIBE_VALUE,
    check_blocks,
    compile_document,
    compile_text,
)
from clientela.campaigns.choices import CampaignVerb, TemplateMode
from clientela.campaigns.kinds import TEST_KIND
from clientela.campaigns.models import EmailTemplate, TemplateImage
from clientela.campaigns.queries import may_manage_campaigns
from clientela.campaigns.starters import starter
from clientela.contacts.models import Contact
from clientela.core.events import Via, record_event
from clientela.core.exceptions import Conflict, Forbidden, ValidationFailed
from clientela.delivery.rendering import (
    RenderedEmail,
    compile_template,
    contact_values,
    render_email,
)

MAX_NAME = 120
LANGUAGES = ("es", "en")
TEXT_FIELDS = {
    "name": 120,
    "description": 300,
    "subject_es": 300,
    "subject_en": 300,
    "preheader_es": 200,
    "preheader_en": 200,
}


def require_manage(actor: User) -> None:
    """Raise Forbidden unless `actor` may write templates and campaigns."""
    if not may_manage_campaigns(actor):
        raise Forbidden(_("Your role cannot change e-mail campaigns."))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def clean_template(
    data: Mapping[str, Any], *, current: EmailTemplate | None = None
) -> dict[str, Any]:
    """Validate template fields (only those given when `current`); raise ValidationFailed."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for field, limit in TEXT_FIELDS.items():
        if field not in data and current is not None:
            continue
        raw = data.get(field, "")
        if raw is not None and not isinstance(raw, str):
            errors.setdefault(field, []).append(_("Enter text."))
            continue
        value = _text(raw)
        if len(value) > limit:
            errors.setdefault(field, []).append(_("Use at most %(n)s characters.") % {"n": limit})
        clean[field] = value
    if "mode" in data or current is None:
        mode = data.get("mode") or TemplateMode.BLOCKS
        if mode not in TemplateMode.values:
            errors.setdefault("mode", []).append(_("Choose blocks or HTML source."))
        clean["mode"] = mode
    for language in LANGUAGES:
        key = f"blocks_{language}"
        if key in data or current is None:
            try:
                clean[key] = check_blocks(data.get(key) or [], key)
            except ValidationFailed as error:
                for name, problems in error.errors.items():
                    errors.setdefault(name, []).extend(problems)
        key = f"html_{language}"
        if key in data or current is None:
            raw = data.get(key) or ""
            if not isinstance(raw, str):
                errors.setdefault(key, []).append(_("Enter text."))
            else:
                clean[key] = raw
    merged = {field: getattr(current, field) for field in _FIELDS} if current else {}
    merged.update(clean)
    if not errors:
        if not merged.get("name"):
            errors.setdefault("name", []).append(_("Give the template a name."))
        if not merged.get("subject_es"):
            errors.setdefault("subject_es", []).append(_("Write the subject."))
    if not errors:
        _check_renders(merged, errors)
    if errors:
        raise ValidationFailed(errors)
    return clean


_FIELDS = (
    "name", "description", "mode", "subject_es", "subject_en", "preheader_es", "preheader_en",
    "blocks_es", "blocks_en", "html_es", "html_en",
)  # fmt: skip


def _check_renders(fields: Mapping[str, Any], errors: dict[str, list[str]]) -> None:
    """Compile and render every language once against an empty contact (syntax, sandbox)."""
    for language in LANGUAGES:
        if language == "en" and not fields.get("subject_en"):
            continue
        body_field = f"{'html' if fields.get('mode') == TemplateMode.HTML else 'blocks'}_{language}"
        try:
            source = compile_document(
                mode=str(fields.get("mode") or TemplateMode.BLOCKS),
                blocks=fields.get(f"blocks_{language}") or [],
                html=str(fields.get(f"html_{language}") or ""),
                preheader=str(fields.get(f"preheader_{language}") or ""),
                language=language,
            )
            compile_template(str(fields.get(f"subject_{language}") or ""), html=False)
            render_email(
                subject=str(fields.get(f"subject_{language}") or ""),
                html=source,
                values=contact_values(None, **{UNSUBSCRIBE_VALUE: "https://example.invalid/"}),
            )
        except ValidationFailed as error:
            for name, problems in error.errors.items():
                target = f"subject_{language}" if name == "subject" else body_field
                errors.setdefault(target, []).extend(problems)


def _event_data(template: EmailTemplate) -> dict[str, Any]:
    return {"name": template.name}


def create_template(*, actor: User, data: Mapping[str, Any], via: str = Via.UI) -> EmailTemplate:
    """Create a template."""
    require_manage(actor)
    clean = clean_template(data)
    with transaction.atomic():
        template = EmailTemplate.objects.create(created_by=actor, **clean)
        record_event(
            CampaignVerb.TEMPLATE_CREATED,
            actor=actor,
            target=template,
            via=via,
            data=_event_data(template),
        )
    return template


def create_from_starter(*, actor: User, code: str, via: str = Via.UI) -> EmailTemplate:
    """Create a template from the starter gallery (Spanish and English filled in)."""
    found = starter(code)
    if found is None:
        raise ValidationFailed({"starter": [_("Choose a starter template.")]})
    template = create_template(
        actor=actor,
        via=via,
        data={
            "name": str(found.label),
            "description": str(found.description),
            "subject_es": found.subject_es,
            "subject_en": found.subject_en,
            "blocks_es": found.blocks_es,
            "blocks_en": found.blocks_en,
        },
    )
    EmailTemplate.objects.filter(pk=template.pk).update(starter=code)
    template.starter = code
    return template


def update_template(
    template: EmailTemplate,
    *,
    actor: User,
    data: Mapping[str, Any],
    version: int | None = None,
    via: str = Via.UI,
) -> EmailTemplate:
    """Change a template (Conflict when someone saved it since `version`)."""
    require_manage(actor)
    clean = clean_template(data, current=template)
    with transaction.atomic():
        fresh = EmailTemplate.objects.select_for_update().get(pk=template.pk)
        if version is not None and fresh.version != version:
            raise Conflict(_("Someone else changed this template. Reload it and try again."))
        changed = sorted(f for f, v in clean.items() if getattr(fresh, f) != v)
        for field, value in clean.items():
            setattr(fresh, field, value)
        fresh.version += 1
        fresh.updated_at = timezone.now()
        fresh.save()
        record_event(
            CampaignVerb.TEMPLATE_CHANGED,
            actor=actor,
            target=fresh,
            via=via,
            data={**_event_data(fresh), "fields": changed},
        )
    return fresh


def delete_template(template: EmailTemplate, *, actor: User, via: str = Via.UI) -> EmailTemplate:
    """Delete a template no live campaign uses (Conflict otherwise)."""
    require_manage(actor)
    with transaction.atomic():
        if template.campaigns.filter(deleted_at__isnull=True).exists():
            raise Conflict(_("A campaign uses this template: it cannot be deleted."))
        template.deleted_at = timezone.now()
        template.save(update_fields=["deleted_at"])
        record_event(
            CampaignVerb.TEMPLATE_DELETED,
            actor=actor,
            target=template,
            via=via,
            data=_event_data(template),
        )
    return template


def upload_image(*, actor: User, raw: bytes, name: str = "") -> TemplateImage:
    """Store an image for e-mails, re-encoded (webforms.images); ValidationFailed says why not."""
    from clientela.core.images import reencode

    require_manage(actor)
    clean = reencode(raw)
    return TemplateImage.objects.create(
        name=name[:200],
        data=clean.data,
        extension=clean.extension,
        content_type=clean.content_type,
        width=clean.width,
        height=clean.height,
        uploaded_by=actor,
    )


# --- Rendering ---------------------------------------------------------------------------------


def language_for(template: EmailTemplate, language: str) -> str:
    """Return the language a contact reading `language` gets (English only when written)."""
    return "en" if language.startswith("en") and template.has_english else "es"


def document_source(template: EmailTemplate, language: str) -> str:
    """Return the compiled Jinja source of the template's HTML in `language` ("es" or "en")."""
    return compile_document(
        mode=template.mode,
        blocks=getattr(template, f"blocks_{language}") or [],
        html=getattr(template, f"html_{language}") or "",
        preheader=getattr(template, f"preheader_{language}") or "",
        language=language,
    )


def text_source(template: EmailTemplate, language: str) -> str:
    """Return the compiled Jinja source of the template's plain-text part in `language`."""
    return compile_text(
        mode=template.mode,
        blocks=getattr(template, f"blocks_{language}") or [],
        html=getattr(template, f"html_{language}") or "",
        preheader=getattr(template, f"preheader_{language}") or "",
        language=language,
    )


def render_for(
    template: EmailTemplate,
    contact: Contact | None,
    *,
    language: str | None = None,
    subject: str | None = None,
    unsubscribe_url: str = "#",
) -> RenderedEmail:
    """Personalise the template for `contact` (or nobody) in the contact's language."""
    chosen = language_for(template, language or (contact.language if contact else "es"))
    return render_email(
        subject=subject or getattr(template, f"subject_{chosen}") or template.subject_es,
        html=document_source(template, chosen),
        text=text_source(template, chosen),
        values=contact_values(contact, **{UNSUBSCRIBE_VALUE: unsubscribe_url}),
    )


def send_test(
    template: EmailTemplate,
    *,
    actor: User,
    contact: Contact | None = None,
    subject: str | None = None,
    via: str = Via.UI,
) -> Any:
    """Send the template, personalised as `contact`, to the actor's own address.

    The test goes through delivery like every message (a suppressed address is refused there);
    its subject is marked "[Test]" so nobody mistakes it for the campaign.
    """
    from clientela.delivery.services import queue_email

    require_manage(actor)
    if not actor.email:
        raise ValidationFailed({"to": [_("Your user has no e-mail address to send the test to.")]})
    rendered = render_for(template, contact, subject=subject)
    with transaction.atomic():
        message = queue_email(
            to=actor.email,
            subject=f"[{_('Test')}] {rendered.subject}",
            html=rendered.html,
            text=rendered.text,
            kind=TEST_KIND,
            contact=None,
            language=language_for(template, contact.language if contact else "es"),
            source=f"campaigns.template:{template.pk}",
            actor=actor,
        )
        record_event(
            CampaignVerb.TEST_SENT,
            actor=actor,
            target=template,
            via=via,
            data={**_event_data(template), "to": actor.email},
        )
    return message
