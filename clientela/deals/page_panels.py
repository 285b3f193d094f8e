"""Panels higher apps add to a deal's page (billing: its quotes, invoices and payment light).

Deals sits below the apps that bill a deal, so its page learns about them through this
registry: an app registers a `DealPanel` in its AppConfig.ready(), and the page includes each
panel's template with the context it returns.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clientela.core.users import AuthenticatedHttpRequest
from clientela.deals.models import Deal


@dataclass(frozen=True)
class DealPanel:
    """A panel of a deal's page: a template and the function that fills it.

    `context(request, deal)` returns the template's context (merged over the page's, so the
    template may use `deal`), or None when the panel is not for this reader. Panels are shown
    by `order`, under the deal's lines.
    """

    name: str
    order: int
    template: str
    context: Callable[[AuthenticatedHttpRequest, Deal], Mapping[str, Any] | None]


DEAL_PANELS: dict[str, DealPanel] = {}


def register_deal_panel(panel: DealPanel) -> DealPanel:
    """Add a panel to a deal's page (call from an AppConfig.ready); the key is its name."""
    DEAL_PANELS[panel.name] = panel
    return panel


def deal_panels(
    request: AuthenticatedHttpRequest, deal: Deal
) -> list[tuple[str, Mapping[str, Any]]]:
    """Return (template, context) of every panel this reader gets on the deal's page."""
    shown: list[tuple[str, Mapping[str, Any]]] = []
    for panel in sorted(DEAL_PANELS.values(), key=lambda item: item.order):
        context = panel.context(request, deal)
        if context is not None:
            shown.append((panel.template, context))
    return shown
