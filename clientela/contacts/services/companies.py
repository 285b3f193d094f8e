"""Writes for companies: create, edit, trash and restore."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.accounts.models import User
from clientela.contacts.choices import Entity
from clientela.contacts.models import Company
from clientela.contacts.queries import custom_fields_for, get_company_for_user
from clientela.contacts.services.records import (
    NO_TAGS,
    apply_changes,
    company_search_text,
    lock_current,
    region,
    require_capability,
    require_public_via,
    resolve_relations,
    set_deleted,
)
from clientela.contacts.services.tags import tags_from_names
from clientela.contacts.validation import COMPANY_FIELDS, Errors, clean_common, clean_custom
from clientela.core.exceptions import ValidationFailed
from clientela.timeline.choices import Verb, Via
from clientela.timeline.services import record_event


@transaction.atomic
def create_company(*, actor: User | None, data: Mapping[str, Any], via: str = Via.UI) -> Company:
    """Validate and create a company (the actor None: a public form's visitor, via=Via.FORM)."""
    require_public_via(actor, via)
    require_capability(actor, "contacts.write", _("Your role can only read records."))
    errors: Errors = {}
    values = clean_common(data, COMPANY_FIELDS, region=region(), errors=errors)
    values.update(
        resolve_relations(
            {
                **({"owner": actor.pk} if actor is not None else {}),
                **{k: v for k, v in data.items() if k == "owner"},
            },
            actor,
            errors,
        )
    )
    custom = clean_custom(data.get("custom") or {}, custom_fields_for(Entity.COMPANY), errors)
    if not values.get("name"):
        errors.setdefault("name", []).append(_("This field is required."))
    if errors:
        raise ValidationFailed(errors)
    company = Company(**values, custom={k: v for k, v in custom.items() if v is not None})
    company.created_by = actor if actor is not None and actor.pk else None
    company.created_via = via
    company.search_text = company_search_text(company)
    company.save()
    if data.get("tags"):
        company.tags.set(tags_from_names(data["tags"]))
    record_event(Verb.CREATED, actor=actor, target=company, via=via, company_id=company.pk)
    return company


@transaction.atomic
def update_company(
    company: Company,
    *,
    actor: User,
    data: Mapping[str, Any],
    via: str = Via.UI,
    expected_version: int | None = None,
) -> Company:
    """Change the given fields of a visible company."""
    require_capability(actor, "contacts.write", _("Your role can only read records."))
    locked = lock_current(Company, company.pk, expected_version)
    errors: Errors = {}
    values = clean_common(data, COMPANY_FIELDS, region=region(), errors=errors)
    values.update(resolve_relations({k: v for k, v in data.items() if k == "owner"}, actor, errors))
    custom_in = data.get("custom")
    custom = clean_custom(custom_in, custom_fields_for(Entity.COMPANY), errors) if custom_in else {}
    if "name" in values and not values["name"]:
        errors.setdefault("name", []).append(_("This field is required."))
    if errors:
        raise ValidationFailed(errors)
    apply_changes(
        locked, actor=actor, via=via, values=values, custom=custom, tags=data.get("tags", NO_TAGS)
    )
    return locked


@transaction.atomic
def delete_company(company: Company, *, actor: User, via: str = Via.UI) -> Company:
    """Move a company to the trash; its contacts keep existing."""
    require_capability(actor, "contacts.delete", _("Your role cannot delete records."))
    return set_deleted(company, timezone.now(), actor=actor, via=via)


@transaction.atomic
def restore_company(company: Company, *, actor: User, via: str = Via.UI) -> Company:
    """Bring a company back from the trash."""
    require_capability(actor, "contacts.delete", _("Your role cannot restore records."))
    return set_deleted(company, None, actor=actor, via=via)


def get_company_or_404(actor: User, company_id: Any) -> Company:
    """Re-export for adapters that only import services."""
    return get_company_for_user(actor, company_id)
