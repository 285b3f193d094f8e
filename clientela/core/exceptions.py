"""Domain exceptions raised by services; adapters turn them into HTTP answers or form errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


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
