"""Conditions over what the contacts app knows.

Fields, custom fields, tags, consent, owner, department and the contact's company.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import phonenumbers
from django.db.models import Exists, F, FloatField, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from clientela.accounts.models import Department, User
from clientela.contacts.choices import (
    ConsentChannel,
    ConsentPurpose,
    ConsentStatus,
    CustomFieldType,
    Entity,
    LeadStatus,
    LifecycleStage,
    Source,
)
from clientela.contacts.models import Company, Consent, Contact, CustomField
from clientela.segments.conditions.base import chunks, column_loader, column_q
from clientela.segments.registry import (
    Condition,
    ConditionSpec,
    Context,
    Kind,
    Param,
    fold,
    register_condition,
    register_condition_provider,
)

CONTACT = _("Contact")
COMPANY = _("Company")
CONSENT = _("Consent")


def _column(
    field: str,
    label: Any,
    kind: Kind,
    *,
    path: str | None = None,
    nullable: bool = False,
    choices: Any = None,
    group: Any = CONTACT,
    time_relative: bool = False,
) -> ConditionSpec:
    path = path or field

    def compile_(condition: Condition, ctx: Context) -> Q:
        return column_q(path, kind, condition, ctx, nullable=nullable)

    return ConditionSpec(
        field=field,
        label=label,
        group=group,
        kind=kind,
        compile=compile_,
        load=column_loader(Contact, path),
        choices=choices,
        time_relative=time_relative or kind in (Kind.DATE, Kind.DATETIME, Kind.BIRTHDAY),
    )


def _languages() -> list[tuple[str, Any]]:
    return [("es", _("Spanish")), ("en", _("English"))]


def _countries() -> list[tuple[str, str]]:
    # Every ISO region a phone number can belong to: a fixed list, where a DISTINCT over the
    # contacts would scan a million rows each time the builder opens.
    return [(code, code) for code in sorted(phonenumbers.SUPPORTED_REGIONS)]


def _users() -> list[tuple[str, str]]:
    return [
        (str(u.pk), u.get_full_name() or u.username)
        for u in User.objects.filter(is_active=True).order_by("first_name", "last_name", "id")
    ]


def _departments() -> list[tuple[str, str]]:
    return [(str(d.pk), d.name) for d in Department.objects.order_by("name")]


# --- Owner and department --------------------------------------------------------------------


def _owner_q(condition: Condition, ctx: Context) -> Q:
    if condition.positive == "is_empty":
        return Q(owner_id__isnull=True)
    return Q(owner_id__isnull=False) & Q(owner_id__in=[int(v) for v in condition.value])


def _department_q(condition: Condition, ctx: Context) -> Q:
    through = User.departments.through.objects.filter(user_id=OuterRef("owner_id"))
    if condition.positive == "is_empty":
        return ~Q(Exists(through))
    return Q(Exists(through.filter(department_id__in=[int(v) for v in condition.value])))


def _department_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    owners = column_loader(Contact, "owner_id")(ids, condition, ctx)
    by_user: dict[int, set[str]] = defaultdict(set)
    for user_id, department_id in User.departments.through.objects.filter(
        user_id__in={o for o in owners.values() if o}
    ).values_list("user_id", "department_id"):
        by_user[user_id].add(str(department_id))
    return {
        pk: frozenset(by_user.get(owner, ())) if owner else frozenset()
        for pk, owner in owners.items()
    }


def _set_choice(condition: Condition, value: Any, ctx: Context) -> bool:
    if condition.positive == "is_empty":
        return not value
    return bool(set(value or ()) & set(condition.value))


def _owner_predicate(condition: Condition, value: Any, ctx: Context) -> bool:
    if condition.positive == "is_empty":
        return value is None
    return value is not None and str(value) in condition.value


# --- Tags ------------------------------------------------------------------------------------


def _tag_q(condition: Condition, ctx: Context) -> Q:
    from django.db.models.lookups import Exact

    from clientela.segments.sql import Fold

    through = Contact.tags.through.objects.filter(contact_id=OuterRef("pk"))
    return Q(Exists(through.filter(Exact(Fold(F("tag__name")), fold(str(condition.value))))))


def _tag_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    tags: dict[int, set[str]] = defaultdict(set)
    for part in chunks(list(ids)):
        for contact_id, name in Contact.tags.through.objects.filter(
            contact_id__in=part
        ).values_list("contact_id", "tag__name"):
            tags[contact_id].add(fold(name))
    return {pk: frozenset(tags.get(pk, ())) for pk in ids}


# --- Consent ---------------------------------------------------------------------------------


def _consent_q(condition: Condition, ctx: Context) -> Q:
    """Granted now: the latest decision for the channel and purpose is a grant."""
    channel, purpose = condition.params["channel"], condition.params["purpose"]
    later = Consent.objects.filter(
        contact_id=OuterRef("contact_id"), channel=channel, purpose=purpose
    ).filter(
        Q(recorded_at__gt=OuterRef("recorded_at"))
        | Q(recorded_at=OuterRef("recorded_at"), id__gt=OuterRef("id"))
    )
    granted = Consent.objects.filter(
        contact_id=OuterRef("pk"), channel=channel, purpose=purpose, status=ConsentStatus.GRANTED
    ).filter(~Exists(later))
    return Q(Exists(granted))


def _consent_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    channel, purpose = condition.params["channel"], condition.params["purpose"]
    latest: dict[int, tuple[Any, int, str]] = {}
    for part in chunks(list(ids)):
        rows = Consent.objects.filter(
            contact_id__in=part, channel=channel, purpose=purpose
        ).values_list("contact_id", "recorded_at", "id", "status")
        for contact_id, at, pk, status in rows:
            if contact_id not in latest or (at, pk) > latest[contact_id][:2]:
                latest[contact_id] = (at, pk, status)
    return {pk: latest[pk][2] if pk in latest else None for pk in ids}


def _consent_predicate(condition: Condition, value: Any, ctx: Context) -> bool:
    return bool(value == ConsentStatus.GRANTED)


def _consent_show(value: Any) -> str:
    return str(dict(ConsentStatus.choices).get(value, _("no decision recorded")))


# --- The contact's company ---------------------------------------------------------------------


def _company_column(
    field: str, label: Any, kind: Kind, path: str, choices: Any = None
) -> ConditionSpec:
    def compile_(condition: Condition, ctx: Context) -> Q:
        live = Company.objects.filter(pk=OuterRef("company_id"), deleted_at__isnull=True)
        if condition.positive == "is_empty":
            # No live company, or one whose field is empty.
            return ~Q(Exists(live.exclude(**{path: ""})))
        return Q(Exists(live.filter(column_q(path, kind, condition, ctx, nullable=False))))

    def load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
        companies = column_loader(Contact, "company_id")(ids, condition, ctx)
        values = dict(
            Company.objects.filter(
                pk__in={c for c in companies.values() if c}, deleted_at__isnull=True
            ).values_list("pk", path)
        )
        return {pk: values.get(company) if company else None for pk, company in companies.items()}

    return ConditionSpec(
        field=field,
        label=label,
        group=COMPANY,
        kind=kind,
        compile=compile_,
        load=load,
        choices=choices,
    )


# --- Custom fields ------------------------------------------------------------------------------

_CUSTOM_KINDS = {
    CustomFieldType.TEXT: Kind.TEXT,
    CustomFieldType.NUMBER: Kind.NUMBER,
    CustomFieldType.DATE: Kind.DATE,
    CustomFieldType.CHOICE: Kind.CHOICE,
    CustomFieldType.BOOLEAN: Kind.BOOLEAN,
}


def _custom_spec(definition: CustomField) -> ConditionSpec:
    key = definition.key
    kind = _CUSTOM_KINDS[CustomFieldType(definition.field_type)]
    text = KeyTextTransform(key, "custom")

    def expression() -> Any:
        if kind == Kind.NUMBER:
            return Cast(KeyTextTransform(key, "custom"), FloatField())
        return KeyTextTransform(key, "custom")

    def compile_(condition: Condition, ctx: Context) -> Q:
        has_value = Q(**{"custom__has_key": key}) & ~Q(**{f"custom__{key}": None})
        if condition.positive == "is_empty":
            return ~(has_value & ~Q(**{f"custom__{key}": ""}))
        if kind == Kind.BOOLEAN:
            return has_value & Q(**{f"custom__{key}": condition.positive == "is_true"})
        if kind == Kind.DATE:
            return has_value & column_q(
                "custom", Kind.DATE, condition, ctx, expression=text, iso_text=True
            )
        operand_condition = condition
        if kind == Kind.NUMBER:
            operand_condition = Condition(
                condition.field, condition.op, _floats(condition.value), condition.params
            )
        return has_value & column_q("custom", kind, operand_condition, ctx, expression=expression())

    def load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
        raw = column_loader(Contact, "custom")(ids, condition, ctx)
        return {pk: _custom_value(kind, (custom or {}).get(key)) for pk, custom in raw.items()}

    return ConditionSpec(
        field=f"custom.{key}",
        label=definition.label,
        group=_("Custom fields"),
        kind=kind,
        compile=compile_,
        load=load,
        choices=(lambda: [(str(c), str(c)) for c in definition.choices])
        if kind == Kind.CHOICE
        else None,
        time_relative=kind == Kind.DATE,
    )


def _floats(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(float(v) for v in value)
    return float(value) if value is not None else None


def _custom_value(kind: Kind, raw: Any) -> Any:
    if raw is None or raw == "":
        return None
    if kind == Kind.NUMBER:
        return float(raw) if not isinstance(raw, bool) else None
    if kind == Kind.DATE:
        try:
            return dt.date.fromisoformat(str(raw))
        except ValueError:
            return None
    if kind == Kind.BOOLEAN:
        return raw if isinstance(raw, bool) else None
    return str(raw)


def custom_field_conditions() -> Iterable[ConditionSpec]:
    """One condition per active contact custom field."""
    definitions = CustomField.objects.filter(entity=Entity.CONTACT, is_active=True).order_by(
        "position", "id"
    )
    return [_custom_spec(definition) for definition in definitions]


def register_contact_conditions() -> None:
    """Register the contact, company and consent conditions (SegmentsConfig.ready)."""
    text = Kind.TEXT
    for field, label in (
        ("first_name", _("First name")),
        ("last_name", _("Last name")),
        ("email", _("E-mail")),
        ("phone", _("Phone")),
        ("job_title", _("Job title")),
        ("city", _("City")),
        ("first_utm_source", _("First touch: UTM source")),
        ("first_utm_medium", _("First touch: UTM medium")),
        ("first_utm_campaign", _("First touch: UTM campaign")),
        ("last_utm_source", _("Last touch: UTM source")),
        ("last_utm_medium", _("Last touch: UTM medium")),
        ("last_utm_campaign", _("Last touch: UTM campaign")),
    ):
        register_condition(_column(field, label, text))
    for field, label, choices in (
        ("lifecycle_stage", _("Lifecycle stage"), LifecycleStage.choices),
        ("lead_status", _("Lead status"), LeadStatus.choices),
        ("source", _("Source"), Source.choices),
    ):
        register_condition(_column(field, label, Kind.CHOICE, choices=partial(list, choices)))
    register_condition(
        _column("language", _("Preferred language"), Kind.CHOICE, choices=_languages)
    )
    register_condition(_column("country", _("Country"), Kind.CHOICE, choices=_countries))
    register_condition(_column("birthday", _("Birthday"), Kind.BIRTHDAY, nullable=True))
    register_condition(_column("created_at", _("Created"), Kind.DATETIME))
    register_condition(_column("updated_at", _("Last updated"), Kind.DATETIME))
    register_condition(_column("first_touch_at", _("First touch"), Kind.DATETIME, nullable=True))
    register_condition(_column("last_touch_at", _("Last touch"), Kind.DATETIME, nullable=True))
    register_condition(
        ConditionSpec(
            field="owner",
            label=_("Owner"),
            group=CONTACT,
            kind=Kind.CHOICE,
            compile=_owner_q,
            load=column_loader(Contact, "owner_id"),
            choices=_users,
            predicate=_owner_predicate,
        )
    )
    register_condition(
        ConditionSpec(
            field="department",
            label=_("Owner's department"),
            group=CONTACT,
            kind=Kind.CHOICE,
            compile=_department_q,
            load=_department_load,
            choices=_departments,
            predicate=_set_choice,
        )
    )
    register_condition(
        ConditionSpec(
            field="tag",
            label=_("Tag"),
            group=CONTACT,
            kind=Kind.TAG,
            compile=_tag_q,
            load=_tag_load,
        )
    )
    register_condition(
        ConditionSpec(
            field="consent",
            label=_("Consent granted"),
            group=CONSENT,
            kind=Kind.FLAG,
            compile=_consent_q,
            load=_consent_load,
            params=(
                Param("channel", _("Channel"), choices=partial(list, ConsentChannel.choices)),
                Param("purpose", _("Purpose"), choices=partial(list, ConsentPurpose.choices)),
            ),
            predicate=_consent_predicate,
            show=_consent_show,
        )
    )
    for field, label, kind, path in (
        ("company_name", _("Company name"), Kind.TEXT, "name"),
        ("company_industry", _("Company industry"), Kind.TEXT, "industry"),
        ("company_city", _("Company city"), Kind.TEXT, "city"),
        ("company_country", _("Company country"), Kind.TEXT, "country"),
    ):
        register_condition(_company_column(field, label, kind, path))
    register_condition_provider(custom_field_conditions)
