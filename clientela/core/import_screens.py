"""The import screens every import shares: the running job, its live progress, its rejects.

Each import (contacts, orders) names its routes in one URL namespace — import_start,
import_mapping, import_job, import_job_progress, import_rejects — and describes itself with an
ImportScreens; the templates under core/import/ build their links from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.exceptions import Conflict
from clientela.core.imports import job_counts, max_upload_bytes, rejected_rows, too_large_message
from clientela.core.models import Job
from clientela.core.tabular import iter_csv


@dataclass(frozen=True)
class ImportScreens:
    """One import's URL namespace and the list its records are shown in."""

    namespace: str
    list_url: str
    list_label: str | Promise

    def url(self, name: str) -> str:
        """A route name of this import ("import_job" → "<namespace>:import_job")."""
        return f"{self.namespace}:{name}"

    @property
    def start_url(self) -> str:
        """Route of the upload screen."""
        return self.url("import_start")

    @property
    def mapping_url(self) -> str:
        """Route of the column mapping screen."""
        return self.url("import_mapping")

    @property
    def preview_url(self) -> str:
        """Route of the dry-run preview."""
        return self.url("import_preview")

    @property
    def job_url(self) -> str:
        """Route of the running job."""
        return self.url("import_job")

    @property
    def progress_url(self) -> str:
        """Route of the progress fragment (and its JSON)."""
        return self.url("import_job_progress")

    @property
    def rejects_url(self) -> str:
        """Route of the rejected rows' CSV."""
        return self.url("import_rejects")


class UploadForm(forms.Form):
    """The file to import (CSV or XLSX, up to the upload limit)."""

    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV (separated by ; , or tab) or Excel workbook (.xlsx)."),
    )

    def clean_file(self) -> Any:
        """Refuse a file over the limit before it is stored."""
        upload = self.cleaned_data["file"]
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(too_large_message())
        return upload


def progress_context(job: Job, screens: ImportScreens) -> dict[str, Any]:
    """What the progress bar shows: the job, its counts, whether it is a dry run."""
    return {
        "job": job,
        "counts": job_counts(job),
        "dry_run": bool(job.options.get("dry_run")),
        "screens": screens,
    }


def job_page(
    request: HttpRequest,
    job: Job,
    screens: ImportScreens,
    *,
    resume: Callable[[Job], Any],
    can_resume: bool,
    warnings: Iterable[str] = (),
) -> HttpResponse:
    """The import running in the background: progress, counts, rejects, resume when stopped."""
    if request.method == "POST" and request.POST.get("action") == "resume":
        try:
            resume(job)
            messages.success(request, _("The import continues where it stopped."))
        except Conflict as exc:
            messages.warning(request, str(exc))
        return redirect(screens.job_url, job_id=job.pk)
    if job.options.get("stage") == "draft" and not job.options.get("dry_run"):
        return redirect(screens.mapping_url, job_id=job.pk)
    context = {
        **progress_context(job, screens),
        "warnings": list(warnings),
        "can_resume": can_resume,
    }
    return render(request, "core/import/job.html", context)


def progress_response(request: HttpRequest, job: Job, screens: ImportScreens) -> HttpResponse:
    """The job's progress: JSON for scripts, an HTML fragment that HTMX polls every second."""
    context = progress_context(job, screens)
    wants_json = request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    )
    if wants_json:
        return JsonResponse(
            {
                "id": job.pk,
                "state": job.state,
                "finished": job.is_finished,
                "percent": job.percent,
                "processed": job.processed,
                "total": job.total,
                "counts": context["counts"],
                "message": job.message,
            }
        )
    reload = request.GET.get("then") == "reload"
    context["then"] = "reload" if reload else ""
    response = render(request, "core/import/progress.html", context)
    if job.is_finished and reload:
        response["HX-Refresh"] = "true"
    return response


def rejects_response(job: Job) -> StreamingHttpResponse:
    """The rejected rows as CSV: their original columns, then line, column and reason."""
    headers, rows = rejected_rows(job)
    response = StreamingHttpResponse(
        iter_csv(rows, headers), content_type="text/csv; charset=utf-8"
    )
    name = _("rejected-rows")
    response["Content-Disposition"] = f'attachment; filename="{name}-{job.pk}.csv"'
    return response
