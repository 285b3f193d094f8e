"""Column-mapping presets for contact imports and their detection from a file's header row.

A preset maps header names (compared folded: case, accents and punctuation ignored) to
import targets. Targets are contact fields, a few import-only helpers (``middle_name``,
``full_name``, ``company``, ``owner``, ``tags``, ``note``) and ``custom.<key>`` for custom
fields; several columns may map to the same target, and the first usable value wins (for
example Bitrix24's work and private e-mails).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from clientela.contacts.normalize import fold

IGNORE = ""
CUSTOM_PREFIX = "custom."
UTM_PARTS = ("source", "medium", "campaign", "term", "content")

# Every standard target with its label for the mapping screen, in the order shown there.
TARGETS: dict[str, object] = {
    "first_name": _("First name"),
    "middle_name": _("Middle name (added to the first name)"),
    "last_name": _("Last name"),
    "full_name": _("Full name (split into first and last name)"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "job_title": _("Job title"),
    "company": _("Company (by name)"),
    "city": _("City"),
    "country": _("Country"),
    "birthday": _("Birthday"),
    "language": _("Preferred language"),
    "lifecycle_stage": _("Lifecycle stage"),
    "lead_status": _("Lead status"),
    "source": _("Source"),
    "owner": _("Owner (e-mail, username or name)"),
    "tags": _("Tags (separated by , or ;)"),
    "note": _("Note"),
    "external_id": _("External id"),
    "created_at": _("Created (new contacts only)"),
    "first_utm_source": _("First touch: UTM source"),
    "first_utm_medium": _("First touch: UTM medium"),
    "first_utm_campaign": _("First touch: UTM campaign"),
    "first_utm_term": _("First touch: UTM term"),
    "first_utm_content": _("First touch: UTM content"),
    "first_touch_at": _("First touch"),
    "last_utm_source": _("Last touch: UTM source"),
    "last_utm_medium": _("Last touch: UTM medium"),
    "last_utm_campaign": _("Last touch: UTM campaign"),
    "last_utm_term": _("Last touch: UTM term"),
    "last_utm_content": _("Last touch: UTM content"),
    "last_touch_at": _("Last touch"),
}

PRESET_LABELS: dict[str, object] = {
    "clientela": _("Clientela export"),
    "hubspot": _("HubSpot contacts export"),
    "bitrix24": _("Bitrix24 contacts export"),
    "spanish": _("Spanish spreadsheet"),
}
PRESETS_ORDER = ("clientela", "hubspot", "bitrix24", "spanish")

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(header: str) -> str:
    """Fold a header for comparison: "E-mail de Trabajo" and "email de trabajo" are equal."""
    return _NON_ALNUM.sub(" ", fold(header).replace("-", "")).strip()


def _aliases(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for target, names in table.items():
        for name in names:
            out.setdefault(header_key(name), target)
    return out


HUBSPOT = _aliases(
    {
        "external_id": ["Record ID", "Contact ID", "Record ID - Contact"],
        "first_name": ["First Name"],
        "last_name": ["Last Name"],
        "email": ["Email", "Email Address", "Work email", "Additional email addresses"],
        "phone": ["Mobile Phone Number", "Phone Number", "WhatsApp Phone Number"],
        "job_title": ["Job Title"],
        "company": ["Company Name", "Associated Company", "Primary Associated Company"],
        "city": ["City"],
        "country": ["Country/Region", "Country"],
        "lifecycle_stage": ["Lifecycle Stage"],
        "lead_status": ["Lead Status"],
        "owner": ["Contact owner", "HubSpot Owner", "Owner"],
        "source": ["Original Source", "Original Traffic Source", "Latest Source"],
        "created_at": ["Create Date", "Created Date"],
        "birthday": ["Date of birth", "Birthdate"],
        "language": ["Preferred language"],
        "tags": ["Tags"],
        "note": ["Notes"],
        "first_utm_source": ["UTM Source"],
        "first_utm_medium": ["UTM Medium"],
        "first_utm_campaign": ["UTM Campaign"],
        "first_utm_term": ["UTM Term"],
        "first_utm_content": ["UTM Content"],
    }
)

# Bitrix24 exports its contact list with the field captions of the portal's language;
# both the Spanish (Latin America) and English captions are listed.
BITRIX24 = _aliases(
    {
        "external_id": ["ID"],
        "first_name": ["Nombre", "First name", "Name"],
        "middle_name": ["Segundo nombre", "Second name", "Middle name"],
        "last_name": ["Apellido", "Apellidos", "Last name"],
        "birthday": ["Fecha de nacimiento", "Date of birth", "Birthdate"],
        "job_title": ["Cargo", "Puesto", "Position"],
        "phone": [
            "Teléfono móvil", "Móvil", "Teléfono de trabajo", "Teléfono", "Teléfono particular",
            "Teléfono de casa", "Otro teléfono", "Mobile phone", "Mobile", "Work phone", "Phone",
            "Home phone", "Other phone",
        ],
        "email": [
            "E-mail de trabajo", "E-mail privado", "E-mail personal", "E-mail", "Otro e-mail",
            "Correo electrónico", "Work e-mail", "Private e-mail", "Home e-mail", "Other e-mail",
        ],
        "company": ["Compañía", "Empresa", "Company"],
        "source": ["Fuente", "Source"],
        "owner": ["Responsable", "Persona responsable", "Responsible", "Responsible person"],
        "city": ["Ciudad", "City"],
        "country": ["País", "Country"],
        "note": ["Comentario", "Comentarios", "Comment", "Comments"],
        "created_at": ["Creado", "Creado el", "Fecha de creación", "Created", "Created on"],
        "lifecycle_stage": ["Tipo de contacto", "Contact type"],
        "first_utm_source": ["UTM Source", "Sistema de publicidad", "Ad system"],
        "first_utm_medium": ["UTM Medium", "Medio", "Medium"],
        "first_utm_campaign": ["UTM Campaign", "Campaña publicitaria UTM", "Ad campaign UTM"],
        "first_utm_term": ["UTM Term", "Término de búsqueda", "Campaign search term"],
        "first_utm_content": ["UTM Content", "Contenido de la campaña", "Campaign contents"],
    }
)  # fmt: skip

SPANISH = _aliases(
    {
        "first_name": ["nombre", "nombres", "primer nombre", "nombre(s)", "first name", "firstname"],
        "middle_name": ["segundo nombre"],
        "last_name": [
            "apellidos", "apellido", "primer apellido", "apellido(s)", "last name", "lastname",
            "surname",
        ],
        "full_name": [
            "nombre completo", "nombre y apellido", "nombre y apellidos", "nombres y apellidos",
            "cliente", "contacto", "full name",
        ],
        "email": [
            "correo", "correo electrónico", "correo electronico", "email", "e-mail", "mail",
            "dirección de correo", "email address",
        ],
        "phone": [
            "celular", "whatsapp", "móvil", "teléfono", "telefono", "tel", "teléfono celular",
            "número de celular", "número de teléfono", "cel", "phone", "mobile",
            "phone number", "mobile phone",
        ],
        "job_title": ["cargo", "puesto", "ocupación", "profesión", "job title", "title"],
        "company": ["empresa", "compañía", "organización", "razón social", "company"],
        "city": ["ciudad", "municipio", "city"],
        "country": ["país", "country"],
        "birthday": ["cumpleaños", "fecha de nacimiento", "nacimiento", "fecha de cumpleaños", "birthday"],
        "language": ["idioma", "language"],
        "lifecycle_stage": ["etapa", "etapa del ciclo de vida", "ciclo de vida", "lifecycle stage"],
        # Not plain "estado": in Mexico and Venezuela it is the state of the address.
        "lead_status": ["estado del prospecto", "estado del lead", "lead status"],
        "source": ["fuente", "origen", "canal", "medio de contacto", "source"],
        "owner": ["responsable", "asesor", "vendedor", "comercial", "propietario", "owner"],
        "tags": ["etiquetas", "etiqueta", "tags", "tag", "categorías"],
        "note": ["notas", "nota", "observaciones", "observación", "comentarios", "comentario", "notes"],
        "external_id": ["id externo", "código", "codigo", "external id"],
        "created_at": ["fecha de registro", "fecha de creación", "fecha de ingreso"],
        **{f"first_utm_{part}": [f"utm_{part}", f"utm {part}"] for part in UTM_PARTS},
    }
)  # fmt: skip


def clientela_headers() -> dict[str, str]:
    """Our own export's column headers in every UI language (and the raw keys) → targets."""
    from django.conf import settings

    from clientela.contacts.exporting import EXPORT_COLUMNS

    out: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for key, label, target in EXPORT_COLUMNS:
                out.setdefault(header_key(str(label)), target)
                out.setdefault(header_key(key), target)
    return out


# A system's export is recognised by columns a hand-made sheet would not have, never only by
# names any Spanish sheet also has: a plain sheet with "Nombre", "Correo electrónico"… is a
# Spanish spreadsheet, not a Clientela or Bitrix24 export. Our own export must show the
# columns only it writes (its ID and "Updated", in any UI language); another system's must
# have at least one header the generic Spanish preset does not know.
CLIENTELA_MARKER_KEYS = ("id", "updated_at")
GENERIC_PRESET = "spanish"


def _clientela_markers() -> list[set[str]]:
    from django.conf import settings

    from clientela.contacts.exporting import EXPORT_COLUMNS

    labels = {key: label for key, label, _target in EXPORT_COLUMNS}
    groups = []
    for key in CLIENTELA_MARKER_KEYS:
        names = {header_key(key)}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(header_key(str(labels[key])))
        groups.append(names)
    return groups


def has_export_markers(preset: str, keys: Iterable[str]) -> bool:
    """Whether folded headers carry what only `preset`'s system writes (see above)."""
    present = set(keys)
    if preset == GENERIC_PRESET:
        return True
    if preset == "clientela":
        return all(present & group for group in _clientela_markers())
    generic = preset_aliases(GENERIC_PRESET)
    return any(key in preset_aliases(preset) and key not in generic for key in present)


def preset_aliases(preset: str) -> dict[str, str]:
    """Folded header → target for one preset."""
    if preset == "clientela":
        return clientela_headers()
    return {"hubspot": HUBSPOT, "bitrix24": BITRIX24, "spanish": SPANISH}[preset]


@dataclass(frozen=True)
class Detection:
    """The preset that fits a header row best and how many columns it recognised."""

    preset: str
    matched: int
    total: int


def detect_preset(headers: Sequence[str]) -> Detection:
    """Pick the preset recognising most columns; ties go to the more specific preset.

    A system's export is a candidate only when the row has the columns only it writes.
    """
    keys = [header_key(h) for h in headers]
    best = Detection("spanish", 0, len(headers))
    for preset in PRESETS_ORDER:
        if not has_export_markers(preset, keys):
            continue
        aliases = preset_aliases(preset)
        matched = sum(1 for k in keys if k in aliases)
        if matched > best.matched:
            best = Detection(preset, matched, len(headers))
    return best


def custom_targets(definitions: Mapping[str, object]) -> dict[str, str]:
    """Folded custom field label and key → ``custom.<key>``."""
    out: dict[str, str] = {}
    for key, definition in definitions.items():
        target = CUSTOM_PREFIX + key
        out.setdefault(header_key(str(getattr(definition, "label", key))), target)
        out.setdefault(header_key(key), target)
    return out


def suggest_mapping(
    headers: Sequence[str], preset: str, custom_definitions: Mapping[str, object]
) -> dict[str, str]:
    """Map every header to a target ("" = ignore): the preset first, then custom fields."""
    aliases = preset_aliases(preset)
    custom = custom_targets(custom_definitions)
    mapping: dict[str, str] = {}
    for header in headers:
        key = header_key(header)
        mapping[header] = aliases.get(key) or custom.get(key) or IGNORE
    return mapping


def valid_targets(custom_keys: Iterable[str]) -> set[str]:
    """Every target a mapping may use."""
    return {IGNORE, *TARGETS, *(CUSTOM_PREFIX + k for k in custom_keys)}
