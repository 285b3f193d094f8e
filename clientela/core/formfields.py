"""Form fields every app shares: numbers and ids bounded by what the database stores."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from clientela.core.numbers import bounded_int

if TYPE_CHECKING:
    _ModelMultipleChoiceField = forms.ModelMultipleChoiceField[Any]
else:  # Django's form fields take no type parameters at runtime
    _ModelMultipleChoiceField = forms.ModelMultipleChoiceField


class IdsChoiceField(_ModelMultipleChoiceField):
    """ModelMultipleChoiceField that refuses ids past 64 bits before querying.

    Django checks each value's type but not its size, and `pk__in=[9223372036854775808]`
    overflows SQLite's integer (a 500 on the user forms' `departments`).
    """

    def _check_values(self, value: Iterable[Any]) -> Any:
        values = list(value) if isinstance(value, list | tuple | set | frozenset) else value
        if (self.to_field_name or "pk") == "pk" and isinstance(values, list):
            for pk in values:
                if bounded_int(pk, minimum=0) is None:
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super()._check_values(values)  # type: ignore[misc]  # private, absent from stubs
