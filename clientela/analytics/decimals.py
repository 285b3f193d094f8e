"""Decimal inputs checked against the model field that stores them (digits, places, finite).

A number past a DecimalField's max_digits is accepted by SQLite and then cannot be read back
(decimal.InvalidOperation on every page that loads the row); PostgreSQL refuses it with a
database error. Every decimal that analytics stores goes through `check_decimal` first, and
the read side falls back to the field's default for a value that does not fit.
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import DecimalValidator
from django.db import models
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def check_decimal(value: Any, *, max_digits: int, decimal_places: int) -> Decimal:
    """Return the value as a Decimal rounded to `decimal_places`.

    ValidationError (in the user's language) when it is not a finite number or has more than
    `max_digits` digits.
    """
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise ValidationError(_("Enter a number.")) from exc
    if not number.is_finite():
        raise ValidationError(_("Enter a number."))
    integer_digits = max_digits - decimal_places
    validator = DecimalValidator(max_digits, decimal_places)
    # Checked before rounding: quantizing 1E+400 to cents would itself overflow. Django's own
    # message (translated in its catalogue) names the limit.
    if number.adjusted() >= integer_digits:
        raise ValidationError(
            validator.messages["max_whole_digits"],
            code="max_whole_digits",
            params={"max": integer_digits, "value": value},
        )
    rounded = number.quantize(Decimal(1).scaleb(-decimal_places))
    validator(rounded)
    return rounded


def field_limits(model: type[models.Model], name: str) -> tuple[int, int]:
    """(max_digits, decimal_places) of the model's DecimalField `name`."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.DecimalField)
    assert field.max_digits is not None and field.decimal_places is not None
    return field.max_digits, field.decimal_places


def check_field(model: type[models.Model], name: str, value: Any) -> Decimal:
    """`check_decimal` with the limits of the model's DecimalField `name`."""
    digits, places = field_limits(model, name)
    return check_decimal(value, max_digits=digits, decimal_places=places)


def fits_field(field: models.DecimalField[Any, Any], value: Any) -> bool:
    """Whether a stored value can be read back under the field's limits."""
    assert field.max_digits is not None and field.decimal_places is not None
    try:
        check_decimal(value, max_digits=field.max_digits, decimal_places=field.decimal_places)
    except ValidationError:
        return False
    return True
