"""Writes of the form builder: forms, their fields and consents, publishing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.choices import ConsentChannel, ConsentPurpose, LifecycleStage, Source
from clientela.contacts.models import CustomField
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.core.locks import lock_name
from clientela.timeline.choices import Verb, Via
from clientela.timeline.services import record_event
from clientela.webforms.choices import ContactTarget, FieldKind, FormStatus, FormVerb, HiddenSource
from clientela.webforms.models import ConsentText, Form, FormConsent, FormField
from clientela.webforms.queries import may_manage_forms

Errors = dict[str, list[str]]
FORM_TEXT = {
    "name": 120, "thank_you_es": 2000, "thank_you_en": 2000, "welcome_subject_es": 200,
    "welcome_subject_en": 200, "welcome_body_es": 10000, "welcome_body_en": 10000,
}  # fmt: skip
FIELD_TEXT = {
    "label_es": 200, "label_en": 200, "help_es": 300, "help_en": 300, "placeholder": 100,
    "hidden_value": 200,
}  # fmt: skip


def require_manager(actor: User) -> None:
    """Forbidden unless the actor may build forms."""
    if not may_manage_forms(actor):
        raise Forbidden(_("Your role cannot manage web forms."))


def redirect_hosts() -> list[str]:
    """Return the hosts thank-you redirects may go to (settings.CLIENTELA FORM_REDIRECT_HOSTS)."""
    hosts: Any = settings.CLIENTELA["FORM_REDIRECT_HOSTS"]
    return [str(h) for h in hosts]


def redirect_allowed(url: str) -> bool:
    """Whether a thank-you redirect goes to an https/http host of FORM_REDIRECT_HOSTS."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    allowed = {h.lower() for h in redirect_hosts()}
    return parts.scheme in {"http", "https"} and (parts.hostname or "").lower() in allowed


def clean_origin(text: str) -> str | None:
    """Return "scheme://host[:port]" for an origin a form may be embedded on, else None."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        return None
    host = parts.hostname.lower()
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


def _text(data: Mapping[str, Any], key: str, limit: int, errors: Errors) -> str:
    value = data.get(key)
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        errors.setdefault(key, []).append(
            _("Use at most %(limit)d characters (it has %(count)d).")
            % {"limit": limit, "count": len(text)}
        )
    return text


def _form_values(data: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    """Validate the settings of a form given in `data` (only the keys present)."""
    values: dict[str, Any] = {}
    for key, limit in FORM_TEXT.items():
        if key in data:
            values[key] = _text(data, key, limit, errors)
    if "name" in values and not values["name"]:
        errors.setdefault("name", []).append(_("This field is required."))
    if "language" in data:
        language = str(data.get("language") or "").strip().lower()
        if language not in {"es", "en"}:
            errors.setdefault("language", []).append(_("Choose Spanish (es) or English (en)."))
        values["language"] = language
    if "redirect_url" in data:
        url = _text(data, "redirect_url", 500, errors)
        if url and not redirect_allowed(url):
            errors.setdefault("redirect_url", []).append(
                _("Redirects go only to the allowed sites: %(hosts)s.")
                % {"hosts": ", ".join(redirect_hosts()) or "—"}
            )
        values["redirect_url"] = url
    if "lifecycle_stage" in data:
        stage = str(data.get("lifecycle_stage") or "")
        if stage not in LifecycleStage.values:
            errors.setdefault("lifecycle_stage", []).append(_("Choose a lifecycle stage."))
        values["lifecycle_stage"] = stage
    if "contact_source" in data:
        source = str(data.get("contact_source") or "")
        if source not in Source.values:
            errors.setdefault("contact_source", []).append(_("Choose a source."))
        values["contact_source"] = source
    if "tags" in data:
        raw = data.get("tags") or []
        names = raw.split(",") if isinstance(raw, str) else raw
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            errors.setdefault("tags", []).append(_("Enter a list of values."))
            names = []
        values["tags"] = [n for n in (" ".join(n.split())[:60] for n in names) if n][:20]
    if "allowed_origins" in data:
        raw = data.get("allowed_origins") or []
        items = raw.split() if isinstance(raw, str) else raw
        origins: list[str] = []
        if not isinstance(items, list | tuple):
            items = []
            errors.setdefault("allowed_origins", []).append(_("Enter a list of values."))
        for item in items:
            origin = clean_origin(str(item)) if isinstance(item, str) else None
            if origin is None:
                errors.setdefault("allowed_origins", []).append(
                    _("“%(value)s” is not an origin such as https://www.example.co.")
                    % {"value": str(item)[:100]}
                )
            elif origin not in origins:
                origins.append(origin)
        values["allowed_origins"] = origins[:20]
    return values


@transaction.atomic
def create_form(*, actor: User, data: Mapping[str, Any], via: str = Via.UI) -> Form:
    """Create a draft form with the given settings."""
    require_manager(actor)
    errors: Errors = {}
    values = _form_values({"name": "", **data}, errors)
    if errors:
        raise ValidationFailed(errors)
    form = Form.objects.create(**values, created_by=actor if actor.pk else None)
    record_event(Verb.CREATED, actor=actor, target=form, via=via, data={"name": form.name})
    return form


@transaction.atomic
def update_form(
    form: Form,
    *,
    actor: User,
    data: Mapping[str, Any],
    via: str = Via.UI,
    expected_version: int | None = None,
) -> Form:
    """Change the given settings of a form; a stale version is refused."""
    require_manager(actor)
    locked = Form.objects.select_for_update().get(pk=form.pk)
    if expected_version is not None and locked.version != expected_version:
        from clientela.core.exceptions import Conflict

        raise Conflict(_("Someone else changed this form meanwhile. Reload it and try again."))
    errors: Errors = {}
    values = _form_values(data, errors)
    if errors:
        raise ValidationFailed(errors)
    changes = {k: [getattr(locked, k), v] for k, v in values.items() if getattr(locked, k) != v}
    if not changes:
        return locked
    Form.objects.filter(pk=locked.pk).update(
        **values, updated_at=timezone.now(), version=F("version") + 1
    )
    locked.refresh_from_db()
    record_event(Verb.UPDATED, actor=actor, target=locked, via=via, data={"changes": changes})
    return locked


@transaction.atomic
def set_form_status(form: Form, *, actor: User, status: str, via: str = Via.UI) -> Form:
    """Publish, unpublish (back to draft) or archive a form; a form needs an e-mail or phone."""
    require_manager(actor)
    if status not in FormStatus.values:
        raise ValidationFailed({"status": [_("Choose draft, published or archived.")]})
    locked = Form.objects.select_for_update().get(pk=form.pk)
    if status == FormStatus.PUBLISHED:
        targets = set(locked.fields.filter(kind=FieldKind.CONTACT).values_list("target", flat=True))
        if not targets & {ContactTarget.EMAIL, ContactTarget.PHONE}:
            raise ValidationFailed(
                {"__all__": [_("Add an e-mail or a phone field before publishing the form.")]}
            )
    if locked.status == status:
        return locked
    Form.objects.filter(pk=locked.pk).update(
        status=status, updated_at=timezone.now(), version=F("version") + 1
    )
    locked.refresh_from_db()
    if status == FormStatus.PUBLISHED:
        record_event(
            FormVerb.PUBLISHED, actor=actor, target=locked, via=via, data={"status": status}
        )
    else:
        record_event(
            FormVerb.UNPUBLISHED, actor=actor, target=locked, via=via, data={"status": status}
        )
    return locked


def _touch(form: Form) -> None:
    Form.objects.filter(pk=form.pk).update(updated_at=timezone.now(), version=F("version") + 1)


def _field_values(
    form: Form, data: Mapping[str, Any], errors: Errors, field: FormField | None
) -> dict[str, Any]:
    kind = str(data.get("kind") or (field.kind if field else ""))
    values: dict[str, Any] = {"kind": kind}
    if kind not in FieldKind.values:
        errors.setdefault("kind", []).append(_("Choose a kind of field."))
        return values
    for key, limit in FIELD_TEXT.items():
        values[key] = _text(data, key, limit, errors)
    values["required"] = str(data.get("required", "")).lower() in {"1", "true", "on", "yes"}
    values["target"], values["custom_field"], values["hidden_source"] = "", None, ""
    taken = form.fields.exclude(pk=field.pk) if field else form.fields.all()
    if kind == FieldKind.CONTACT:
        target = str(data.get("target") or "")
        if target not in ContactTarget.values:
            errors.setdefault("target", []).append(_("Choose a contact field."))
        elif taken.filter(kind=FieldKind.CONTACT, target=target).exists():
            errors.setdefault("target", []).append(_("The form already has this field."))
        values["target"] = target
    if kind in {FieldKind.CUSTOM, FieldKind.HIDDEN}:
        raw = data.get("custom_field")
        custom = None
        if raw not in (None, ""):
            try:
                custom = CustomField.objects.filter(
                    pk=int(str(raw)), is_active=True, entity="contact"
                ).first()
            except (TypeError, ValueError, OverflowError):
                custom = None
            if custom is None:
                errors.setdefault("custom_field", []).append(_("Choose a custom field."))
        if kind == FieldKind.CUSTOM and custom is None and "custom_field" not in errors:
            errors.setdefault("custom_field", []).append(_("Choose a custom field."))
        if custom is not None and taken.filter(custom_field=custom).exists():
            errors.setdefault("custom_field", []).append(_("The form already has this field."))
        values["custom_field"] = custom
    if kind == FieldKind.HIDDEN:
        source = str(data.get("hidden_source") or "")
        if source not in HiddenSource.values:
            errors.setdefault("hidden_source", []).append(_("Choose where the value comes from."))
        elif source != HiddenSource.FIXED and taken.filter(hidden_source=source).exists():
            errors.setdefault("hidden_source", []).append(_("The form already has this field."))
        if source == HiddenSource.FIXED and not values["hidden_value"]:
            errors.setdefault("hidden_value", []).append(_("This field is required."))
        values["hidden_source"] = source
        values["required"] = False
    return values


@transaction.atomic
def add_field(form: Form, *, actor: User, data: Mapping[str, Any], via: str = Via.UI) -> FormField:
    """Add a field at the end of the form."""
    require_manager(actor)
    lock_name(f"webforms.form:{form.pk}")
    errors: Errors = {}
    values = _field_values(form, data, errors, None)
    if errors:
        raise ValidationFailed(errors)
    last = form.fields.aggregate(m=Max("position"))["m"]
    field = FormField.objects.create(form=form, position=(last or 0) + 1, **values)
    _touch(form)
    record_event(
        Verb.UPDATED, actor=actor, target=form, via=via, data={"field_added": field.input_name}
    )
    return field


@transaction.atomic
def update_field(
    field: FormField, *, actor: User, data: Mapping[str, Any], via: str = Via.UI
) -> FormField:
    """Change a field's kind, target, labels, help and whether it is required."""
    require_manager(actor)
    errors: Errors = {}
    values = _field_values(field.form, data, errors, field)
    if errors:
        raise ValidationFailed(errors)
    for key, value in values.items():
        setattr(field, key, value)
    field.save()
    _touch(field.form)
    record_event(
        Verb.UPDATED, actor=actor, target=field.form, via=via,
        data={"field_changed": field.input_name},
    )  # fmt: skip
    return field


@transaction.atomic
def remove_field(field: FormField, *, actor: User, via: str = Via.UI) -> None:
    """Remove a field from its form (past submissions keep their raw payload)."""
    require_manager(actor)
    form, name = field.form, field.input_name
    field.delete()
    _touch(form)
    record_event(Verb.UPDATED, actor=actor, target=form, via=via, data={"field_removed": name})


@transaction.atomic
def move_field(field: FormField, *, actor: User, offset: int, via: str = Via.UI) -> None:
    """Move a field up (-1) or down (+1) in its form."""
    require_manager(actor)
    lock_name(f"webforms.form:{field.form_id}")
    fields = list(field.form.fields.order_by("position", "id"))
    index = next(i for i, f in enumerate(fields) if f.pk == field.pk)
    target = max(0, min(len(fields) - 1, index + (1 if offset > 0 else -1)))
    fields.insert(target, fields.pop(index))
    for position, item in enumerate(fields, start=1):
        if item.position != position:
            FormField.objects.filter(pk=item.pk).update(position=position)
    _touch(field.form)
    record_event(
        Verb.UPDATED, actor=actor, target=field.form, via=via,
        data={"field_moved": field.input_name},
    )  # fmt: skip


def _consent_values(data: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    values: dict[str, Any] = {
        "purpose": str(data.get("purpose") or ""),
        "channel": str(data.get("channel") or ""),
        "required": str(data.get("required", "")).lower() in {"1", "true", "on", "yes"},
        "text_es": _text(data, "text_es", 5000, errors),
        "text_en": _text(data, "text_en", 5000, errors),
    }
    if values["purpose"] not in ConsentPurpose.values:
        errors.setdefault("purpose", []).append(_("Choose a purpose."))
    if values["channel"] not in ConsentChannel.values:
        errors.setdefault("channel", []).append(_("Choose a channel."))
    if not values["text_es"]:
        errors.setdefault("text_es", []).append(_("This field is required."))
    return values


@transaction.atomic
def add_consent(
    form: Form, *, actor: User, data: Mapping[str, Any], via: str = Via.UI
) -> FormConsent:
    """Add a consent checkbox with its legal text (version 1, kept in ConsentText)."""
    require_manager(actor)
    errors: Errors = {}
    values = _consent_values(data, errors)
    if errors:
        raise ValidationFailed(errors)
    last = form.consents.aggregate(m=Max("position"))["m"]
    consent = FormConsent.objects.create(form=form, position=(last or 0) + 1, version=1, **values)
    ConsentText.objects.create(
        consent=consent, version=1, text_es=consent.text_es, text_en=consent.text_en
    )
    _touch(form)
    record_event(
        Verb.UPDATED, actor=actor, target=form, via=via,
        data={"consent_added": f"{consent.purpose}/{consent.channel}"},
    )  # fmt: skip
    return consent


@transaction.atomic
def update_consent(
    consent: FormConsent, *, actor: User, data: Mapping[str, Any], via: str = Via.UI
) -> FormConsent:
    """Change a consent; a changed legal text becomes a new version (the old ones are kept)."""
    require_manager(actor)
    locked = FormConsent.objects.select_for_update().get(pk=consent.pk)
    errors: Errors = {}
    values = _consent_values(data, errors)
    if errors:
        raise ValidationFailed(errors)
    text_changed = (values["text_es"], values["text_en"]) != (locked.text_es, locked.text_en)
    for key, value in values.items():
        setattr(locked, key, value)
    if text_changed:
        locked.version += 1
        ConsentText.objects.create(
            consent=locked, version=locked.version, text_es=locked.text_es, text_en=locked.text_en
        )
    locked.save()
    _touch(locked.form)
    record_event(
        Verb.UPDATED, actor=actor, target=locked.form, via=via,
        data={"consent_changed": f"{locked.purpose}/{locked.channel}", "text_version": locked.version},
    )  # fmt: skip
    return locked


@transaction.atomic
def remove_consent(consent: FormConsent, *, actor: User, via: str = Via.UI) -> None:
    """Remove a consent checkbox (the proofs already recorded keep their text versions)."""
    require_manager(actor)
    form = consent.form
    if consent.texts.exists() and consent.form.submissions.exists():
        raise ValidationFailed(
            {
                "__all__": [
                    _(
                        "Submissions already point at this consent's text: archive the form and make a new one."
                    )
                ]
            }
        )
    consent.delete()
    _touch(form)
    record_event(Verb.UPDATED, actor=actor, target=form, via=via, data={"consent_removed": True})
