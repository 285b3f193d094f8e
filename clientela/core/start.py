"""The latest-imports card of the start page, over every registered import kind."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse

from clientela.core.importers import importers
from clientela.core.models import Job
from clientela.core.users import AuthenticatedHttpRequest

LATEST = 5


def imports_panel_context(request: AuthenticatedHttpRequest) -> dict[str, Any] | None:
    """List the latest imports of the kinds the user may run (everyone's, for those who see all).

    None for those who may import nothing.
    """
    user = request.user
    kinds = {imp.job_kind: imp for imp in importers() if imp.may_import(user)}
    if not kinds:
        return None
    scope = Q(pk__in=[])
    for kind, importer in kinds.items():
        scope |= Q(kind=kind) if importer.sees_all(user) else Q(kind=kind, created_by=user)
    recent = Job.objects.filter(scope).select_related("created_by").order_by("-created_at", "-id")
    # Drafts and the dry runs behind previews are steps of an import, not imports.
    latest = [
        job
        for job in recent[: LATEST * 6]
        if not job.options.get("dry_run") and job.options.get("stage") != "draft"
    ][:LATEST]
    return {
        "rows": [
            {"job": job, "url": reverse(kinds[job.kind].screens.job_url, args=[job.pk])}
            for job in latest
        ]
    }
