"""What apps contribute to shared screens and commands, registered in their AppConfig.ready().

Core sits at the bottom of the app stack and imports no other app, so the navigation, the
start page and the commands' default actor learn about the apps above it through these
registries instead of a central list naming them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise

from clientela.core.users import AuthenticatedHttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from clientela.core.users import User


# Who may see something: a predicate over the signed-in user.
Allowed = Callable[["User"], bool]

MODULES = "modules"
ADMINISTRATION = "administration"


@dataclass(frozen=True)
class NavItem:
    """One link of the sidebar: a module, or an administration screen.

    `url_name` None marks a module still to come (shown greyed out). `allowed` None means every
    signed-in user; `active_on` lists other view names that highlight this link.
    """

    url_name: str | None
    label: str | Promise
    icon: str
    order: int
    section: str = MODULES
    allowed: Allowed | None = None
    active_on: tuple[str, ...] = ()

    def visible_to(self, user: User | AnonymousUser | None) -> bool:
        """Whether the link shows for `user` (modules to come show for everyone)."""
        if self.url_name is None or self.allowed is None:
            return True
        if user is None or not user.is_authenticated:
            return False
        return self.allowed(user)

    def is_active(self, view_name: str | None) -> bool:
        """Whether the current page belongs to this link."""
        return view_name is not None and (view_name == self.url_name or view_name in self.active_on)


NAVIGATION: dict[str, NavItem] = {}


def register_nav_item(item: NavItem) -> NavItem:
    """Add a link to the sidebar (call from an AppConfig.ready); the key is its url name."""
    key = item.url_name or f"soon:{item.label}"
    NAVIGATION[key] = item
    return item


def nav_items(section: str, user: User | AnonymousUser | None) -> list[NavItem]:
    """Return the links of one sidebar section `user` may see, in their registered order."""
    items = [item for item in NAVIGATION.values() if item.section == section]
    return sorted((item for item in items if item.visible_to(user)), key=lambda item: item.order)


@dataclass(frozen=True)
class StartPanel:
    """A card of the start page: a template partial and the function that fills it.

    `context(request)` returns the partial's context, or None when the card is not for this
    user; the partial is rendered with it.
    """

    name: str
    order: int
    template: str
    context: Callable[[AuthenticatedHttpRequest], Mapping[str, Any] | None]


@dataclass(frozen=True)
class QuickLink:
    """A link of the start page's quick links, for the users `allowed` accepts."""

    url_name: str
    label: str | Promise
    order: int
    allowed: Allowed | None = None


START_PANELS: dict[str, StartPanel] = {}
QUICK_LINKS: dict[str, QuickLink] = {}


def register_start_panel(panel: StartPanel) -> StartPanel:
    """Add a card to the start page (call from an AppConfig.ready)."""
    START_PANELS[panel.name] = panel
    return panel


def register_quick_link(link: QuickLink) -> QuickLink:
    """Add a quick link to the start page (call from an AppConfig.ready)."""
    QUICK_LINKS[link.url_name] = link
    return link


def start_panels() -> list[StartPanel]:
    """Every start-page card, in order."""
    return sorted(START_PANELS.values(), key=lambda panel: panel.order)


def quick_links(user: User) -> list[QuickLink]:
    """Return the quick links `user` may follow, in order."""
    links = sorted(QUICK_LINKS.values(), key=lambda link: link.order)
    return [link for link in links if link.allowed is None or link.allowed(user)]


# Who runs a command-line import when `--as` is not given (registered by the accounts app).
COMMAND_ACTORS: list[Callable[[], User | None]] = []


def register_default_command_actor(find: Callable[[], User | None]) -> None:
    """Set how commands find the user they act as by default (call from an AppConfig.ready)."""
    COMMAND_ACTORS[:] = [find]


@dataclass(frozen=True)
class HeaderItem:
    """A piece of the page header, beside the user menu (the notifications bell).

    `template` is included with the page's context; `allowed` None means every signed-in user.
    Keep it free of queries: the page's own query counts are pinned, so a count is better
    fetched by the piece itself (HTMX) than computed for every page.
    """

    name: str
    template: str
    order: int
    allowed: Allowed | None = None


HEADER_ITEMS: dict[str, HeaderItem] = {}


def register_header_item(item: HeaderItem) -> HeaderItem:
    """Add a piece to the page header (call from an AppConfig.ready)."""
    HEADER_ITEMS[item.name] = item
    return item


def header_items(user: User | AnonymousUser | None) -> list[HeaderItem]:
    """Return the header pieces `user` may see, in order (none for visitors)."""
    if user is None or not user.is_authenticated:
        return []
    items = sorted(HEADER_ITEMS.values(), key=lambda item: item.order)
    return [item for item in items if item.allowed is None or item.allowed(user)]


# -- public paths ------------------------------------------------------------------------------
# Path prefixes anyone may open without signing in (a public form, a tracking pixel). The
# sign-in wall (accounts' LoginRequiredMiddleware) reads them; an app registers its own public
# surface, and the access matrices still check every route behind it.
PUBLIC_PREFIXES: dict[str, str] = {}


def register_public_prefix(prefix: str, what: str) -> None:
    """Open every path starting with `prefix` ("/f/") to visitors; `what` says what lives there."""
    if not (prefix.startswith("/") and prefix.endswith("/")) or prefix == "/":
        raise ValueError(f"a public prefix is a path segment like '/f/', not {prefix!r}")
    PUBLIC_PREFIXES[prefix] = what


def public_prefixes() -> tuple[str, ...]:
    """Return every registered public prefix."""
    return tuple(PUBLIC_PREFIXES)
