"""Domain exceptions raised by services; adapters turn them into HTTP answers or form errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class DomainError(Exception):
    """Base class of every error a service raises on purpose."""


class NotFound(DomainError):
    """The record does not exist or the actor may not see it (both answer 404)."""


class Forbidden(DomainError):
    """The actor sees the record but the role does not allow this action (403)."""


class Conflict(DomainError):
    """The action clashes with the record's current state (409)."""


class ValidationFailed(DomainError):
    """Input is invalid; `errors` maps field names to user-facing messages."""

    def __init__(self, errors: Mapping[str, Sequence[str] | str]):
        self.errors: dict[str, list[str]] = {
            field: [str(m) for m in ([messages] if isinstance(messages, str) else messages)]
            for field, messages in errors.items()
        }
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class DuplicateRecord(ValidationFailed, Conflict):
    """The record would repeat a unique value of a live record (409 in the API).

    A ValidationFailed too, so every form that shows a service's field errors shows this one
    on the right field with no extra code; `existing_id` names the record already holding the
    value (None when the actor may not see it).
    """

    def __init__(self, errors: Mapping[str, Sequence[str] | str], *, existing_id: Any = None):
        super().__init__(errors)
        self.existing_id: int | None = existing_id
