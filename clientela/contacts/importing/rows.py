"""Turn one spreadsheet record into clean contact values, or into errors naming the column.

Pure code without database access, so batches can be cleaned in other processes: the
runner resolves companies, owners and duplicates afterwards. Values go through the same
validation as forms and the API (contacts.validation, contacts.normalize); spreadsheet
spellings (labels such as "Cliente", dd/mm/aaaa dates, decimal commas, country names) are
translated first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from operator import attrgetter
from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.contacts.choices import CustomFieldType, LeadStatus, LifecycleStage, Source
from clientela.contacts.importing.presets import CUSTOM_PREFIX, IGNORE
from clientela.contacts.normalize import (
    InvalidValue,
    clean_name,
    fold,
    normalize_email,
    normalize_phone,
    search_key,
)
from clientela.contacts.validation import CONTACT_FIELDS, clean_common, clean_custom
from clientela.core.tabular import parse_bool, parse_date, parse_datetime, parse_decimal

DATETIME_TARGETS = frozenset({"created_at", "first_touch_at", "last_touch_at"})
# Targets with their own handling below; every other contact field is plain text.
SPECIAL_TARGETS = frozenset(
    {"first_name", "middle_name", "last_name", "full_name", "country", "language", "email",
     "phone", "lifecycle_stage", "lead_status", "source", "birthday", "company", "owner",
     "tags", "note", *DATETIME_TARGETS}
)  # fmt: skip
TAG_SPLIT = re.compile(r"[,;]")
FORMULA_STARTS = frozenset("=+-@\t\r")
MAX_TAG_LENGTH = 60
MAX_NOTE_LENGTH = 10000

# Folded spreadsheet labels → our codes; our own codes and labels (es/en) are added below.
LIFECYCLE_LABELS = {
    "suscriptor": "subscriber", "subscriptor": "subscriber", "suscrito": "subscriber",
    "prospecto": "lead", "prospect": "lead", "interesado": "lead", "potencial": "lead",
    "marketing qualified lead": "mql", "lead calificado por marketing": "mql",
    "prospecto calificado por marketing": "mql", "sales qualified lead": "sql",
    "lead calificado por ventas": "sql", "prospecto calificado por ventas": "sql",
    "oportunidad": "opportunity", "cliente": "customer", "client": "customer",
    "clientes": "customer", "promotor": "evangelist", "evangelizador": "evangelist",
    "embajador": "evangelist", "promoter": "evangelist",
}  # fmt: skip
# Types that are not a stage of the customer lifecycle (HubSpot "Other", Bitrix24 contact
# types): the contact keeps the default stage instead of being rejected.
LIFECYCLE_NONE = frozenset(
    {"other", "otro", "otros", "otra", "proveedor", "supplier", "socio", "partner",
     "competidor", "competitor", "empleado", "employee"}
)  # fmt: skip
LEAD_STATUS_LABELS = {
    "nuevo": "new", "open": "new", "abierto": "new", "sin contactar": "new",
    "attempted to contact": "attempted", "intento de contacto": "attempted",
    "intentando contactar": "attempted", "contactando": "attempted", "no contesta": "attempted",
    "conectado": "connected", "contactado": "connected", "in progress": "connected",
    "en progreso": "connected", "en curso": "connected", "calificado": "qualified",
    "cualificado": "qualified", "open deal": "qualified", "negociacion abierta": "qualified",
    "no calificado": "unqualified", "descalificado": "unqualified",
    "no cualificado": "unqualified", "nutricion": "nurturing", "en nutricion": "nurturing",
    "bad timing": "nurturing", "mal momento": "nurturing",
}  # fmt: skip
SOURCE_LABELS = {
    "sitio web": "website", "web": "website", "pagina web": "website", "organic search": "website",
    "busqueda organica": "website", "direct traffic": "website", "trafico directo": "website",
    "seo": "website", "tienda online": "website", "online store": "website",
    "formulario": "form", "web form": "form", "formulario web": "form", "formulario crm": "form",
    "crm form": "form", "landing": "form", "landing page": "form",
    "fb": "facebook", "facebook ads": "facebook", "meta": "facebook", "meta ads": "facebook",
    "ig": "instagram", "instagram ads": "instagram",
    "google": "google_ads", "adwords": "google_ads", "paid search": "google_ads",
    "busqueda pagada": "google_ads", "ppc": "google_ads", "sem": "google_ads",
    "wa": "whatsapp", "whats app": "whatsapp",
    "e mail": "email", "correo": "email", "correo electronico": "email",
    "email marketing": "email", "mailing": "email",
    "call": "phone", "llamada": "phone", "telefono": "phone", "llamada telefonica": "phone",
    "callback": "phone", "devolucion de llamada": "phone", "llamada entrante": "phone",
    "referral": "referral", "referrals": "referral", "referido": "referral",
    "referidos": "referral", "recomendacion": "referral", "por recomendacion": "referral",
    "referencia": "referral", "cliente existente": "referral", "existing client": "referral",
    "evento": "event", "feria": "event", "exposicion": "event", "exhibition": "event",
    "trade show": "event", "walk in": "walk_in", "visita": "walk_in",
    "punto de venta": "walk_in", "importacion": "import",
    "otro": "other", "otros": "other", "offline sources": "other", "other campaigns": "other",
    "social media": "other", "organic social": "other", "paid social": "other",
    "publicidad": "other", "advertising": "other",
}  # fmt: skip
COUNTRIES = {
    "colombia": "CO", "mexico": "MX", "venezuela": "VE", "ecuador": "EC", "peru": "PE",
    "chile": "CL", "argentina": "AR", "bolivia": "BO", "paraguay": "PY", "uruguay": "UY",
    "brasil": "BR", "brazil": "BR", "panama": "PA", "costa rica": "CR", "guatemala": "GT",
    "honduras": "HN", "el salvador": "SV", "nicaragua": "NI", "cuba": "CU",
    "republica dominicana": "DO", "dominican republic": "DO", "puerto rico": "PR",
    "estados unidos": "US", "estados unidos de america": "US", "united states": "US",
    "united states of america": "US", "usa": "US", "eeuu": "US", "ee uu": "US",
    "canada": "CA", "espana": "ES", "spain": "ES", "portugal": "PT", "francia": "FR",
    "france": "FR", "alemania": "DE", "germany": "DE", "italia": "IT", "italy": "IT",
    "reino unido": "GB", "united kingdom": "GB", "uk": "GB", "paises bajos": "NL",
    "netherlands": "NL", "suiza": "CH", "switzerland": "CH", "china": "CN", "japon": "JP",
    "japan": "JP", "india": "IN", "israel": "IL", "australia": "AU",
}  # fmt: skip
LANGUAGES = {
    "es": "es", "espanol": "es", "spanish": "es", "castellano": "es", "es co": "es",
    "en": "en", "ingles": "en", "english": "en", "en us": "en",
}  # fmt: skip

_KEY_PUNCT = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=4096)
def label_key(text: str) -> str:
    """Fold a cell label for lookup ("Líder de Opinión" → "lider de opinion")."""
    return _KEY_PUNCT.sub(" ", fold(text)).strip()


def _with_choices(table: dict[str, str], choices: Any) -> dict[str, str]:
    """Add our codes and our labels in every UI language to a label table."""
    from django.conf import settings

    out = dict(table)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for value, label in choices.choices:
                out.setdefault(label_key(str(label)), value)
    for value in choices.values:
        out.setdefault(label_key(value), value)
    return out


_TABLES: dict[str, dict[str, str]] = {}


def value_tables() -> dict[str, dict[str, str]]:
    """Return the label tables for the choice fields (built once, after translations load)."""
    if not _TABLES:
        _TABLES["lifecycle_stage"] = _with_choices(LIFECYCLE_LABELS, LifecycleStage)
        _TABLES["lead_status"] = _with_choices(LEAD_STATUS_LABELS, LeadStatus)
        _TABLES["source"] = _with_choices(SOURCE_LABELS, Source)
    return _TABLES


@dataclass(frozen=True, slots=True)
class CustomSpec:
    """What the cleaner needs to know about one custom field (picklable)."""

    key: str
    label: str
    field_type: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowPlan:
    """How to read every row of one file: column → target, custom fields, defaults."""

    columns: tuple[tuple[str, str], ...]
    custom: dict[str, CustomSpec]
    region: str
    decimal_comma: dict[str, bool | None] = field(default_factory=dict)
    time_zone: str = "UTC"
    # Where each mapped column sits in a row read as a list (Table.rows), when known.
    positions: tuple[tuple[str, int], ...] = ()

    @classmethod
    def build(
        cls,
        mapping: dict[str, str],
        custom: dict[str, CustomSpec],
        *,
        region: str,
        decimal_comma: dict[str, bool | None] | None = None,
        time_zone: str | None = None,
        headers: list[str] | None = None,
    ) -> RowPlan:
        """Return a plan from a {column: target} mapping; ignored and unknown targets dropped."""
        columns = tuple(
            (column, target)
            for column, target in mapping.items()
            if target != IGNORE
            and (not target.startswith(CUSTOM_PREFIX) or target[len(CUSTOM_PREFIX) :] in custom)
        )
        index = {h: i for i, h in enumerate(headers or [])}
        wanted = dict.fromkeys(column for column, _target in columns)
        return cls(
            columns=columns,
            custom=custom,
            region=region,
            decimal_comma=dict(decimal_comma or {}),
            time_zone=time_zone or timezone.get_current_timezone_name(),
            positions=tuple((c, index[c]) for c in wanted if c in index),
        )


@dataclass(slots=True)
class CleanRow:
    """One record after cleaning: contact values, relations by name, the dedupe key, errors."""

    line: int
    values: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    company: str = ""
    owner: str = ""
    tags: list[str] = field(default_factory=list)
    note: str = ""
    created_at: datetime | None = None
    key: tuple[str, str, str] | None = None
    key_column: str = ""
    search_text: str = ""
    # Every identifier as the runner remembers it (see seen_keys); computed with the row.
    identifiers: list[str] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    # Which column gave each target (for error messages while cleaning; not sent back).
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether the row can be imported."""
        return not self.errors

    def to_wire(self) -> tuple[Any, ...]:
        """Return the row as a plain tuple: pickling tuples is far cheaper than objects."""
        return _WIRE(self)

    @classmethod
    def from_wire(cls, wire: tuple[Any, ...]) -> CleanRow:
        """Rebuild a row sent by to_wire (its `sources` stay behind: only cleaning uses them)."""
        return cls(*wire)


_WIRE = attrgetter(
    "line", "values", "custom", "company", "owner", "tags", "note", "created_at", "key",
    "key_column", "search_text", "identifiers", "errors", "warnings",
)  # fmt: skip


def _first(found: dict[str, list[tuple[str, str]]], target: str) -> tuple[str, str]:
    values = found.get(target)
    return values[0] if values else ("", "")


def _pick(
    candidates: list[tuple[str, str]], normalise: Any, row: CleanRow, target: str
) -> str | None:
    """First candidate that normalises; None (with an error on the first) when none does."""
    first_error: tuple[str, str] | None = None
    for column, raw in candidates:
        try:
            value: str = normalise(raw)
        except InvalidValue as exc:
            first_error = first_error or (column, str(exc))
            continue
        row.sources[target] = column
        return value
    if first_error:
        row.errors.append(first_error)
    return None


def _tz(name: str) -> Any:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()


def _choice(row: CleanRow, target: str, column: str, raw: str, data: dict[str, Any]) -> None:
    table = value_tables()[target]
    key = label_key(raw)
    code = table.get(key)
    if code is not None:
        data[target] = code
        row.sources[target] = column
    elif target == "lifecycle_stage" and key in LIFECYCLE_NONE:
        return
    elif target == "source":
        data[target] = Source.OTHER
        row.sources[target] = column
        row.warnings.append(("unknown_source", raw[:100]))
    else:
        choices = LifecycleStage if target == "lifecycle_stage" else LeadStatus
        allowed = ", ".join(str(label) for label in choices.labels)
        row.errors.append(
            (
                column,
                _("“%(value)s” is not a value this column accepts. Use one of: %(allowed)s.")
                % {"value": raw[:60], "allowed": allowed},
            )
        )


def _country(raw: str) -> str | None:
    key = label_key(raw)
    if key in COUNTRIES:
        return COUNTRIES[key]
    text = raw.strip()
    if len(text) == 2 and text.isalpha():
        return text.upper()
    return None


def _custom_value(plan: RowPlan, spec: CustomSpec, column: str, raw: str) -> Any:
    """Convert a cell for a custom field; raises ValueError with a user-facing message."""
    kind = spec.field_type
    if kind == CustomFieldType.NUMBER:
        number = parse_decimal(raw, decimal_comma=plan.decimal_comma.get(column))
        return None if number is None else float(number)
    if kind == CustomFieldType.DATE:
        return parse_date(raw)
    if kind == CustomFieldType.BOOLEAN:
        return parse_bool(raw)
    if kind == CustomFieldType.CHOICE:
        wanted = label_key(raw)
        for choice in spec.choices:
            if label_key(choice) == wanted:
                return choice
        raise ValueError(
            _("“%(value)s” is not one of the choices: %(choices)s.")
            % {"value": raw[:60], "choices": ", ".join(spec.choices)}
        )
    return raw


def split_tags(raw: str) -> list[str]:
    """Tag names from a cell: split on , and ;, trimmed, deduplicated case-insensitively."""
    seen: set[str] = set()
    out: list[str] = []
    for part in TAG_SPLIT.split(raw):
        name = " ".join(part.split())[:MAX_TAG_LENGTH]
        if name and name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def dedupe_key(values: dict[str, Any], company: str) -> tuple[str, str, str] | None:
    """E-mail, else phone, else folded full name with folded company name."""
    if values.get("email"):
        return ("e", values["email"], "")
    if values.get("phone"):
        return ("p", values["phone"], "")
    name = " ".join(fold(f"{values.get('first_name', '')} {values.get('last_name', '')}").split())
    if name:
        return ("n", name, " ".join(fold(company).split()))
    return None


def seen_keys(row: CleanRow) -> list[str]:
    """Every identifier of a row as the runner remembers it: e-mail, phone, name + company.

    A later row whose own key (its first identifier) is one of these is the same person, as
    the database match would find it: remembering all of them keeps that decision the same
    whether both rows fall in one batch or in two.
    """
    values = row.values
    keys: list[str] = []
    if values.get("email"):
        keys.append(f"e\x1f{values['email']}")
    if values.get("phone"):
        keys.append(f"p\x1f{values['phone']}")
    name = _folded_name(values.get("first_name", ""), values.get("last_name", ""))
    if name:
        keys.append(f"n\x1f{name}\x1f{_folded_text(row.company)}")
    return keys


@lru_cache(maxsize=65536)
def _folded_text(text: str) -> str:
    return " ".join(fold(text).split())


def _folded_name(first: str, last: str) -> str:
    return " ".join(f"{_folded_text(first)} {_folded_text(last)}".split())


def clean_row(plan: RowPlan, line: int, cells: dict[str, str]) -> CleanRow:
    """Clean one record's cells according to the plan."""
    row = CleanRow(line=line)
    found: dict[str, list[tuple[str, str]]] = {}
    for column, target in plan.columns:
        raw = cells.get(column)
        if raw is None:
            continue
        raw = raw.strip()
        if raw[:1] == "'" and raw[1:2] in FORMULA_STARTS:
            # Exports (ours, HubSpot's) prefix formula-like text with an apostrophe so that
            # spreadsheets show it instead of running it; the value itself has none.
            raw = raw[1:]
        if raw:
            found.setdefault(target, []).append((column, raw))
    data: dict[str, Any] = {}
    tz = None

    # Names: a middle name joins the first name; a full name fills whichever is missing.
    for target in ("first_name", "last_name"):
        column, raw = _first(found, target)
        if raw:
            data[target] = raw
            row.sources[target] = column
    column, middle = _first(found, "middle_name")
    if middle:
        data["first_name"] = f"{data.get('first_name', '')} {middle}".strip()
        row.sources.setdefault("first_name", column)
    column, full = _first(found, "full_name")
    if full and not (data.get("first_name") or data.get("last_name")):
        first, _sep, rest = clean_name(full).partition(" ")
        data["first_name"], data["last_name"] = first, rest
        row.sources["first_name"] = row.sources["last_name"] = column

    for target in ("country", "language"):
        column, raw = _first(found, target)
        if not raw:
            continue
        value = _country(raw) if target == "country" else LANGUAGES.get(label_key(raw))
        if value is None:
            message = (
                _("“%(value)s” is not a country we know; use its two-letter code (CO, MX, US…).")
                if target == "country"
                else _("“%(value)s” is not a language we know; use es or en.")
            )
            row.errors.append((column, message % {"value": raw[:60]}))
        else:
            data[target] = value
            row.sources[target] = column
    region = data.get("country") or plan.region

    # Normalised here with the same functions clean_common uses (so kept out of it: feeding
    # it the normalised text would validate every address and number a second time).
    normalized: dict[str, str] = {}
    if "email" in found:
        email = _pick(found["email"], normalize_email, row, "email")
        if email:
            normalized["email"] = email
    if "phone" in found:
        phone = _pick(found["phone"], lambda raw: normalize_phone(raw, region), row, "phone")
        if phone:
            normalized["phone"] = phone

    # Codes come from our own label tables, so they skip clean_common's check of them.
    for target in ("lifecycle_stage", "lead_status", "source"):
        column, raw = _first(found, target)
        if raw:
            _choice(row, target, column, raw, normalized)

    column, raw = _first(found, "birthday")
    if raw:
        try:
            data["birthday"] = parse_date(raw)
            row.sources["birthday"] = column
        except ValueError as exc:
            row.errors.append((column, str(exc)))
    for target in DATETIME_TARGETS:
        column, raw = _first(found, target)
        if not raw:
            continue
        tz = tz or _tz(plan.time_zone)
        try:
            moment = parse_datetime(raw, tz=tz)
        except ValueError as exc:
            row.errors.append((column, str(exc)))
            continue
        if target == "created_at":
            row.created_at = moment
        else:
            data[target] = moment
            row.sources[target] = column

    for target, candidates in found.items():
        if target in CONTACT_FIELDS and target not in SPECIAL_TARGETS:
            column, raw = candidates[0]
            data[target] = raw
            row.sources[target] = column

    column, raw = _first(found, "company")
    if raw:
        row.company = clean_name(raw)[:200]
        row.sources["company"] = column
    column, raw = _first(found, "owner")
    if raw:
        row.owner = raw
        row.sources["owner"] = column
    for column, raw in found.get("tags", ()):
        for tag in split_tags(raw):
            if tag.lower() not in {t.lower() for t in row.tags}:
                row.tags.append(tag)
        row.sources.setdefault("tags", column)
    column, raw = _first(found, "note")
    if raw:
        if len(raw) > MAX_NOTE_LENGTH:
            row.errors.append(
                (column, _("Use at most %(limit)d characters.") % {"limit": MAX_NOTE_LENGTH})
            )
        else:
            row.note = raw

    custom_raw: dict[str, Any] = {}
    for target, candidates in found.items():
        if not target.startswith(CUSTOM_PREFIX):
            continue
        key = target[len(CUSTOM_PREFIX) :]
        column, raw = candidates[0]
        row.sources[target] = column
        try:
            custom_raw[key] = _custom_value(plan, plan.custom[key], column, raw)
        except ValueError as exc:
            row.errors.append((column, str(exc)))

    errors: dict[str, list[str]] = {}
    clean = clean_common(data, CONTACT_FIELDS, region=region, errors=errors)
    clean.update(normalized)
    if custom_raw:
        row.custom = {
            k: v
            for k, v in clean_custom(custom_raw, plan.custom, errors).items()  # type: ignore[arg-type]
            if v is not None
        }
    for key, messages in errors.items():
        column = row.sources.get(key, "")
        row.errors.extend((column, message) for message in messages)
    # Only fields the file filled are kept: blank cells never overwrite existing values.
    row.values = {k: v for k, v in clean.items() if v not in ("", None)}
    identified = any(row.values.get(k) for k in ("first_name", "last_name", "email", "phone"))
    if not identified and not row.errors:
        row.errors.append(("", _("Enter at least a name, an e-mail or a phone.")))
    values = row.values
    parts = (
        _search_part(values.get("first_name", "")), _search_part(values.get("last_name", "")),
        _search_part(values.get("email", "")), _search_part(values.get("phone", "")),
    )  # fmt: skip
    row.search_text = " ".join(p for p in parts if p)
    row.key = dedupe_key(row.values, row.company)
    row.identifiers = seen_keys(row) if not row.errors else []
    if row.key:
        kind = row.key[0]
        row.key_column = row.sources.get(
            "email" if kind == "e" else "phone" if kind == "p" else "first_name", ""
        )
    return row


@lru_cache(maxsize=65536)
def _cached_search_key(part: str) -> str:
    return search_key(part)


def _search_part(part: str) -> str:
    """normalize.search_key of one part, cheaper: names repeat, and ASCII folds to lower()."""
    if not part:
        return ""
    if part.isascii():
        # NFKD leaves ASCII alone, so fold() is lower(); the "+" rule is search_key's.
        return f"{part.lower()} {part[1:]}" if part.startswith("+") else part.lower()
    return _cached_search_key(part)


def clean_list(plan: RowPlan, line: int, values: list[str]) -> CleanRow:
    """Clean a row read as a list in header order (the plan must know the headers)."""
    return clean_row(plan, line, {column: values[i] for column, i in plan.positions})


def display_values(row: CleanRow) -> dict[str, Any]:
    """Return the cleaned values of a row as the preview shows them (plain, JSON-safe)."""
    out: dict[str, Any] = {}
    for key, value in row.values.items():
        out[key] = value.isoformat() if isinstance(value, date | datetime) else value
    if row.company:
        out["company"] = row.company
    if row.owner:
        out["owner"] = row.owner
    if row.tags:
        out["tags"] = ", ".join(row.tags)
    if row.note:
        out["note"] = row.note
    for key, value in row.custom.items():
        out[CUSTOM_PREFIX + key] = value
    return out
