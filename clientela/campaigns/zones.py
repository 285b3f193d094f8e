"""The time zone of a recipient, from the country on the contact (for "same local hour" sends).

Contacts store a country, not a time zone. Countries with one zone map to it; countries that
span several map to the zone most of their people live in (a marketer's "9 a.m. local" is
about the bulk of the audience). A country not listed uses the company's zone.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

COUNTRY_ZONES = {
    "AR": "America/Argentina/Buenos_Aires", "BO": "America/La_Paz", "BR": "America/Sao_Paulo",
    "CA": "America/Toronto", "CL": "America/Santiago", "CO": "America/Bogota",
    "CR": "America/Costa_Rica", "CU": "America/Havana", "DE": "Europe/Berlin",
    "DO": "America/Santo_Domingo", "EC": "America/Guayaquil", "ES": "Europe/Madrid",
    "FR": "Europe/Paris", "GB": "Europe/London", "GT": "America/Guatemala",
    "HN": "America/Tegucigalpa", "IT": "Europe/Rome", "MX": "America/Mexico_City",
    "NI": "America/Managua", "PA": "America/Panama", "PE": "America/Lima",
    "PR": "America/Puerto_Rico", "PT": "Europe/Lisbon", "PY": "America/Asuncion",
    "SV": "America/El_Salvador", "US": "America/New_York", "UY": "America/Montevideo",
    "VE": "America/Caracas", "AU": "Australia/Sydney", "JP": "Asia/Tokyo", "CN": "Asia/Shanghai",
    "IN": "Asia/Kolkata", "NZ": "Pacific/Auckland",
}  # fmt: skip


@cache
def zone_for_country(country: str) -> ZoneInfo | None:
    """Return the time zone of a country code (None when unknown)."""
    name = COUNTRY_ZONES.get((country or "").upper())
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        return None
