"""The latest-changes card of the start page, for audit-log readers (registered in ready())."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from clientela.core.users import AuthenticatedHttpRequest
from clientela.timeline.queries import AuditFilters, audit_page, can_read_audit_log

LATEST = 6


def audit_panel_context(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """List the newest audit events the reader may see; None for those who may not read it."""
    if not can_read_audit_log(request.user):
        return None
    page = audit_page(request.user, AuditFilters(), size=LATEST)
    return {"rows": page.rows, "audit_url": reverse("timeline:audit_log")}
