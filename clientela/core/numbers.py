"""Bounds every number from outside must fit before it reaches the database.

SQLite and PostgreSQL store whole numbers in 64 bits and decimals in a fixed number of digits:
a value past either is an OverflowError, a "datatype mismatch" or an InvalidOperation deep in
a query — a 500 instead of a field error. Every parser of user input (query strings, forms,
API schemas, services) checks against these bounds first.
"""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

DB_INT_MIN = -(2**63)
DB_INT_MAX = 2**63 - 1
# Row offsets beyond this are refused: no list holds a billion rows, and offset + limit must
# still fit the 64-bit LIMIT the database computes.
MAX_OFFSET = 1_000_000_000


def bounded_int(value: Any, *, minimum: int = DB_INT_MIN, maximum: int = DB_INT_MAX) -> int | None:
    """Return a whole number within [minimum, maximum] from text or a number; None otherwise.

    "12", " 12 " and 12 give 12; "", "abc", "1.5", True and 9223372036854775808 give None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        # int() accepts "1_000" and 4,300-digit strings; ids and offsets are plain digits.
        if not text or len(text) > 20 or not text.lstrip("+-").isdigit():
            return None
        number = int(text)
    return number if minimum <= number <= maximum else None


def fit_decimal(number: Decimal, *, max_digits: int, decimal_places: int) -> Decimal | None:
    """Return `number` rounded to `decimal_places` when it fits a column of `max_digits`; else None.

    The check happens before rounding: quantizing 10³⁰ to eight places raises InvalidOperation
    in the default 28-digit context, which is how a huge negative rate became a 500.
    """
    if not number.is_finite():
        return None
    whole_digits = max_digits - decimal_places
    if abs(number) >= Decimal(10) ** whole_digits:
        return None
    with decimal.localcontext() as context:
        context.prec = max_digits + 2
        rounded = number.quantize(Decimal(1).scaleb(-decimal_places), ROUND_HALF_UP)
    if abs(rounded) >= Decimal(10) ** whole_digits:
        return None  # 99.999 rounded to 100.00 no longer fits
    return rounded
