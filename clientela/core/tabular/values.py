"""Parse spreadsheet cell text (dates, numbers, yes/no) the way Spanish and English users write it.

Every parser returns None for a blank cell and raises ValueError whose message is ready to
show to the user: it echoes the bad value and names the expected format.

Decimal separators (``parse_decimal``): when both ``.`` and ``,`` appear, the last one is the
decimal separator; a separator that appears more than once, or spaces and apostrophes, group
thousands; a single separator followed by anything but exactly three digits is decimal. Only
"1.234" and "1,234" (one to three digits, one separator, three digits) are truly ambiguous;
the ``decimal_comma`` hint decides them, and without a hint the es-CO convention applies
(comma decimal, point thousands): "1.234" is 1234 and "1,234" is 1.234.
``guess_decimal_comma`` infers the hint from a column's unambiguous values.

Two-digit years follow Excel and Windows: 00-29 are 2000-2029, 30-99 are 1930-1999.
Plain numbers 1-80000 are Excel serial dates (1900 system, with its fictitious 29/02/1900),
except 1900-2100, which are rejected as a year typed alone.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

__all__ = [
    "guess_decimal_comma",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "parse_decimal",
    "parse_int",
]

EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 = 1900-03-01, after Excel's fictitious 29/02/1900
MAX_EXCEL_SERIAL = 80000  # 2119-01-10; larger plain numbers are not dates
YEAR_ALONE = (1900, 2100)
TWO_DIGIT_YEAR_CUTOFF = 30
MAX_ECHO = 60

_MONTHS = {
    **dict.fromkeys(["enero", "ene", "january", "jan"], 1),
    **dict.fromkeys(["febrero", "feb", "february"], 2),
    **dict.fromkeys(["marzo", "mar", "march"], 3),
    **dict.fromkeys(["abril", "abr", "april", "apr"], 4),
    **dict.fromkeys(["mayo", "may"], 5),
    **dict.fromkeys(["junio", "jun", "june"], 6),
    **dict.fromkeys(["julio", "jul", "july"], 7),
    **dict.fromkeys(["agosto", "ago", "august", "aug"], 8),
    **dict.fromkeys(["septiembre", "setiembre", "sep", "sept", "set", "september"], 9),
    **dict.fromkeys(["octubre", "oct", "october"], 10),
    **dict.fromkeys(["noviembre", "nov", "november"], 11),
    **dict.fromkeys(["diciembre", "dic", "december", "dec"], 12),
}
# Spanish weekday abbreviations are left out: "mar" (martes) is also March.
_IGNORED_WORDS = {
    "de", "del", "of", "the", "el",
    "lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "sat", "sun",
}  # fmt: skip
_TRUE = {"si", "s", "yes", "y", "true", "t", "verdadero", "v", "1", "x", "✓", "✔"}
_FALSE = {"no", "n", "false", "f", "falso", "0"}

_TIME = (
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?"
    r"\s*(?P<ampm>[ap]\.?\s?m\.?)?\s*(?P<tz>z|utc|[+-]\d{2}(?::?\d{2})?)?"
)
_ISO = re.compile(rf"(?P<y>\d{{4}})([-/.])(?P<m>\d{{1,2}})\2(?P<d>\d{{1,2}})(?:(?:t|\s+){_TIME})?")
_NUMERIC = re.compile(
    rf"(?P<a>\d{{1,2}})([-/.])(?P<b>\d{{1,2}})\2(?P<y>\d{{4}}|\d{{2}})(?:,?\s+{_TIME})?"
)
_COMPACT = re.compile(r"(?P<y>(?:18|19|20|21)\d{2})(?P<m>\d{2})(?P<d>\d{2})")
_SERIAL = re.compile(r"(?P<days>\d{1,5})(?:[.,](?P<fraction>\d+))?")
_TIME_INSIDE = re.compile(rf"(?:^|\s){_TIME}$")
_ORDINAL = re.compile(r"(\d{1,4})(?:st|nd|rd|th|º|°|o|ro)?")
_NUMBER = re.compile(
    r"(?P<pre>[^\d]*?)(?P<num>[.,]?\d(?:[\d.,\s'’\u00a0\u202f]*\d)?[.,]?)"
    r"(?:[eE](?P<exp>[-+]?\d{1,4}))?(?P<post>[^\d]*)"
)
_GROUPING = re.compile(r"[\s'’\u00a0\u202f]")


def _echo(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 1] + "…"


def _fold(text: str) -> str:
    """Lowercase without accents, so "Sí", "SI" and "si" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _not_a_date(text: str, day_first: bool) -> ValueError:
    if day_first:
        message = _("“%(value)s” is not a date; write it as dd/mm/yyyy, for example 31/12/2024.")
    else:
        message = _("“%(value)s” is not a date; write it as mm/dd/yyyy, for example 12/31/2024.")
    return ValueError(message % {"value": _echo(text)})


def _full_year(year: str) -> int:
    value = int(year)
    if len(year) > 2:
        return value
    return 2000 + value if value < TWO_DIGIT_YEAR_CUTOFF else 1900 + value


def _make_date(text: str, year: int, month: int, day: int, day_first: bool) -> date:
    """Build a date, explaining in the user's terms why an impossible one is impossible."""
    if not 1 <= month <= 12:
        if day_first:
            message = _(
                "“%(value)s” is not a valid date: there is no month %(month)d "
                "(dates are read as day/month/year)."
            )
        else:
            message = _(
                "“%(value)s” is not a valid date: there is no month %(month)d "
                "(dates are read as month/day/year)."
            )
        raise ValueError(message % {"value": _echo(text), "month": month})
    try:
        return date(year, month, day)
    except ValueError:
        if not 1 <= year <= 9999:
            raise _not_a_date(text, day_first) from None
        days = calendar.monthrange(year, month)[1]
        raise ValueError(
            _("“%(value)s” is not a valid date: month %(month)d of %(year)d has %(days)d days.")
            % {"value": _echo(text), "month": month, "year": year, "days": days}
        ) from None


def _make_time(text: str, groups: dict[str, str | None]) -> tuple[time, tzinfo | None]:
    hour, minute = int(groups["hour"] or 0), int(groups["minute"] or 0)
    second = int(groups["second"] or 0)
    micro = int((groups["fraction"] or "0")[:6].ljust(6, "0"))
    ampm = (groups["ampm"] or "").replace(".", "").replace(" ", "")
    if ampm and not 1 <= hour <= 12:
        hour = 99  # "13:00 pm" is not a time
    elif ampm == "pm" and hour != 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        moment = time(hour, minute, second, micro)
    except ValueError:
        raise ValueError(
            _("“%(value)s” has an invalid time; write it as hh:mm or hh:mm:ss, for example 14:30.")
            % {"value": _echo(text)}
        ) from None
    return moment, _zone(groups["tz"])


def _zone(text: str | None) -> tzinfo | None:
    if not text:
        return None
    if text in ("z", "utc"):
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-offset if text[0] == "-" else offset)


def _from_serial(text: str, match: re.Match[str]) -> tuple[date, time]:
    days = int(match["days"])
    if days < 1 or days > MAX_EXCEL_SERIAL:
        raise _not_a_date(text, True)
    if days == 60:
        # Excel counts 29/02/1900, a day that never existed.
        raise ValueError(
            _("“%(value)s” is not a valid date: month %(month)d of %(year)d has %(days)d days.")
            % {"value": _echo(text), "month": 2, "year": 1900, "days": 28}
        )
    day = EXCEL_EPOCH + timedelta(days=days if days > 60 else days + 1)
    seconds = round(float("0." + (match["fraction"] or "0")) * 86400)
    if seconds >= 86400:
        return day + timedelta(days=1), time(0)
    return day, time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


def _with_month_name(text: str, folded: str, day_first: bool) -> tuple[date, re.Match[str] | None]:
    clock = _TIME_INSIDE.search(folded)
    if clock:
        folded = folded[: clock.start()]
    words = [w for w in re.split(r"[\s,./-]+", folded) if w and w not in _IGNORED_WORDS]
    months = [w for w in words if w in _MONTHS]
    numbers = [m.group(1) for w in words if (m := _ORDINAL.fullmatch(w))]
    if len(months) != 1 or len(numbers) != 2 or len(words) != 3:
        raise _not_a_date(text, day_first)
    if len(numbers[0]) > 2:  # "1985 marzo 3"
        numbers.reverse()
    day, year = numbers
    return _make_date(text, _full_year(year), _MONTHS[months[0]], int(day), day_first), clock


def _parse(text: str, day_first: bool) -> tuple[date, time | None, tzinfo | None]:
    """Split a cell into its date, optional time and optional zone."""
    folded = _fold(text)
    if match := _COMPACT.fullmatch(folded):
        return (
            _make_date(text, int(match["y"]), int(match["m"]), int(match["d"]), day_first),
            None,
            None,
        )
    if match := _SERIAL.fullmatch(folded):
        if YEAR_ALONE[0] <= int(match["days"]) <= YEAR_ALONE[1] and not match["fraction"]:
            # Serials 1900-2100 are days in 1905; far likelier someone typed only a year.
            raise ValueError(
                _(
                    "“%(value)s” looks like a year alone; write the whole date, for example 31/12/%(value)s."
                )
                % {"value": match["days"]}
            )
        day, clock = _from_serial(text, match)
        return day, (clock if match["fraction"] else None), None
    if match := _ISO.fullmatch(folded):
        day = _make_date(text, int(match["y"]), int(match["m"]), int(match["d"]), day_first)
    elif match := _NUMERIC.fullmatch(folded):
        first, second = int(match["a"]), int(match["b"])
        d, m = (first, second) if day_first else (second, first)
        day = _make_date(text, _full_year(match["y"]), m, d, day_first)
    else:
        day, match = _with_month_name(text, folded, day_first)
    if match is None or match["hour"] is None:
        return day, None, None
    clock, zone = _make_time(text, match.groupdict())
    return day, clock, zone


def parse_date(text: str | None, *, day_first: bool = True) -> date | None:
    """Parse dd/mm/yyyy, d/m/yy, ISO, Excel serials and Spanish or English month names."""
    if text is None or not text.strip():
        return None
    return _parse(text, day_first)[0]


def parse_datetime(
    text: str | None, *, day_first: bool = True, tz: tzinfo | None = None
) -> datetime | None:
    """Parse a date with an optional time; aware if the text has an offset or ``tz`` is given.

    A naive text is read in ``tz``; a text with an offset is converted to ``tz``. Without
    ``tz`` a naive text gives a naive datetime. A date alone means midnight.
    """
    if text is None or not text.strip():
        return None
    day, clock, zone = _parse(text, day_first)
    moment = datetime.combine(day, clock or time(0), tzinfo=zone)
    if tz is None:
        return moment
    return moment.astimezone(tz) if zone is not None else moment.replace(tzinfo=tz)


def _not_a_number(text: str) -> ValueError:
    return ValueError(
        _("“%(value)s” is not a number; write it like 1.234.567,89 or 1234567.89.")
        % {"value": _echo(text)}
    )


def _currency(affix: str) -> bool:
    """Whether leftovers around a number are a currency: "$", "COP", "US$", "€"..."""
    if not affix:
        return True
    letters = "".join(c for c in affix if c.isalpha())
    symbols = "".join(c for c in affix if unicodedata.category(c) == "Sc")
    if len(letters) + len(symbols) != len(affix) or len(symbols) > 1:
        return False
    if symbols:
        return len(letters) <= 3 and (affix.startswith(symbols) or affix.endswith(symbols))
    return len(letters) == 3


def _split_sign(affix: str) -> tuple[str, int]:
    """Remove spaces and signs from the text around a number; returns (rest, signs found)."""
    affix = _GROUPING.sub("", affix).replace("−", "-")
    signs = affix.count("-") + affix.count("+")
    return affix.replace("-", "").replace("+", ""), signs


def _decimal_separator(num: str, decimal_comma: bool | None) -> str | None:
    """Which of "." and "," is the decimal separator in a digits-and-separators string."""
    dots, commas = num.count("."), num.count(",")
    if dots and commas:
        return "." if num.rfind(".") > num.rfind(",") else ","
    if dots + commas == 0:
        return None
    separator = "." if dots else ","
    if dots + commas > 1:
        return "," if separator == "." else "."  # repeated: it groups thousands
    before, after = _GROUPING.sub(" ", num).split(separator)
    if " " in before or len(after) != 3 or not 1 <= len(before) <= 3 or before.startswith("0"):
        return separator
    # "1.234" or "1,234": only the convention can tell.
    comma = decimal_comma is not False
    return "," if comma else "."


def parse_decimal(text: str | None, *, decimal_comma: bool | None = None) -> Decimal | None:
    """Parse "1.234.567,89", "1,234,567.89", "1 234,5", "$ 1.200.000", "(45,50)", "USD 45.50"."""
    if text is None or not text.strip():
        return None
    value = text.strip()
    negative = value.startswith("(") and value.endswith(")")
    if negative:
        value = value[1:-1]
    match = _NUMBER.fullmatch(value)
    if match is None:
        raise _not_a_number(text)
    pre, pre_signs = _split_sign(match["pre"])
    post, post_signs = _split_sign(match["post"])
    if pre_signs + post_signs > 1 or (negative and pre_signs + post_signs):
        raise _not_a_number(text)
    if (pre and post) or not _currency(pre + post):
        raise _not_a_number(text)
    negative = negative or any(c in "-−" for c in match["pre"] + match["post"])
    num = match["num"]
    separator = _decimal_separator(num, decimal_comma)
    whole, _sep, fraction = num.partition(separator) if separator else (num, "", "")
    if separator and (fraction.count(".") or fraction.count(",") or _GROUPING.search(fraction)):
        raise _not_a_number(text)
    groups = re.split(r"[.,\s'’\u00a0\u202f]", whole)
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        raise _not_a_number(text)
    digits = "".join(groups) or "0"
    literal = f"{'-' if negative else ''}{digits}" + (f".{fraction}" if fraction else "")
    if match["exp"]:
        literal += f"E{match['exp']}"
    try:
        return Decimal(literal)
    except InvalidOperation:
        raise _not_a_number(text) from None


def parse_int(text: str | None, *, decimal_comma: bool | None = None) -> int | None:
    """Parse a whole number written with or without thousands separators ("1.234", "12,0")."""
    number = parse_decimal(text, decimal_comma=decimal_comma)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(_("“%(value)s” is not a whole number.") % {"value": _echo(text or "")})
    return int(number)


def guess_decimal_comma(values: Iterable[str | None]) -> bool | None:
    """Infer a column's decimal separator from its unambiguous values; None if nothing tells."""
    comma = point = 0
    for text in values:
        match = _NUMBER.fullmatch((text or "").strip().strip("()"))
        if match is None:
            continue
        num = match["num"]
        # With a hint that is surely wrong the answer flips; when both hints agree, no evidence.
        as_comma = _decimal_separator(num, True)
        as_point = _decimal_separator(num, False)
        if as_comma != as_point:
            continue
        if as_comma == ",":
            comma += 1
        elif as_comma == ".":
            point += 1
    if comma == point:
        return None
    return comma > point


def parse_bool(text: str | None) -> bool | None:
    """Parse sí/no, yes/no, true/false, verdadero/falso, 1/0 and x (ticked), any case or accent."""
    if text is None or not text.strip():
        return None
    folded = _fold(text)
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueError(
        _("“%(value)s” is not yes or no; write sí or no, verdadero or falso, or 1 or 0.")
        % {"value": _echo(text)}
    )
