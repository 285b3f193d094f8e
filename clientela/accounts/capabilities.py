"""The capability registry: what a user may *do*, registered by the app that checks it.

Every app registers its capabilities in its ``AppConfig.ready()``::

    register_capability(
        "orders.manage_rates",
        _("Manage exchange rates"),
        group=_("Orders"),
        description=_("Enter and delete the rates amounts are converted with."),
        default=Audience.ADMINS | Audience.MANAGERS,
    )

Roles grant capabilities by code (``Role.capabilities``); ``has_capability(user, code)`` in
``accounts.queries`` is the one check. ``default`` says for whom the capability is meant;
accounts maps each audience to its built-in roles (``choices.DEFAULT_ROLES``), so app code
never names a role. A capability is granted to the built-in roles of its audience once per
installation (``services.apply_capability_defaults``); custom roles get it only when an
administrator grants it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


class Audience(enum.Flag):
    """Who a capability is meant for, by default; combine with ``|``."""

    NOBODY = 0
    ADMINS = enum.auto()
    MANAGERS = enum.auto()
    SALES = enum.auto()
    MARKETING = enum.auto()
    SERVICE = enum.auto()
    VIEWERS = enum.auto()  # people who only read (the read-only role)
    EVERYONE = ADMINS | MANAGERS | SALES | MARKETING | SERVICE | VIEWERS


@dataclass(frozen=True)
class Capability:
    """One thing a role may be allowed to do."""

    code: str
    label: str | Promise  # lazy translation
    group: str | Promise  # lazy translation: the heading it is listed under on the roles screen
    description: str | Promise = ""
    default: Audience = Audience.NOBODY

    @property
    def app_label(self) -> str:
        """The app that registered it (the code's prefix)."""
        return self.code.split(".", 1)[0]


_REGISTRY: dict[str, Capability] = {}


class UnknownCapability(LookupError):
    """A capability code nobody registered (usually a typo)."""


def register_capability(
    code: str,
    label: str | Promise,
    *,
    group: str | Promise,
    description: str | Promise = "",
    default: Audience = Audience.NOBODY,
) -> Capability:
    """Register a capability ``"<app>.<verb>"``; registering the same code again replaces it."""
    app, _sep, verb = code.partition(".")
    if not app or not verb or not code.replace(".", "").replace("_", "").isalnum():
        raise ValueError(f"capability codes read '<app>.<verb>', not {code!r}")
    capability = Capability(code, label, group, description, default)
    _REGISTRY[code] = capability
    return capability


def unregister_capability(code: str) -> None:
    """Forget a capability (tests that register a temporary one)."""
    _REGISTRY.pop(code, None)


def get_capability(code: str) -> Capability:
    """Return the registered capability; UnknownCapability for a code nobody registered."""
    try:
        return _REGISTRY[code]
    except KeyError:
        raise UnknownCapability(f"unknown capability {code!r}") from None


def all_capabilities() -> list[Capability]:
    """Every registered capability, in registration order (apps in INSTALLED_APPS order)."""
    return list(_REGISTRY.values())


def capability_groups() -> list[tuple[Any, list[Capability]]]:
    """Return registered capabilities grouped by app (headed by the first one's group label)."""
    groups: dict[str, tuple[Any, list[Capability]]] = {}
    for capability in _REGISTRY.values():
        groups.setdefault(capability.app_label, (capability.group, []))[1].append(capability)
    return list(groups.values())
