"""The import screens of every import kind: upload → mapping → preview → job → rejects.

One set of views and templates (core/import/) serves every kind registered in
core.importers; an app's URLconf adds them with `import_urlpatterns(name)` (its routes stay
in its own namespace: import_start, import_mapping, import_preview, import_job,
import_job_progress, import_rejects, each with the kind's prefix).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from clientela.core import importers
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.http import domain_errors, page_number
from clientela.core.importers import Importer, ImportScreens, get_importer
from clientela.core.imports import (
    can_resume,
    job_counts,
    max_upload_bytes,
    max_upload_mb,
    open_job_file,
    rejected_rows,
    row_errors_page,
    sample_values,
    too_large_message,
)
from clientela.core.models import Job
from clientela.core.tabular import iter_csv
from clientela.core.tabular.detection import ENCODING_NAMES
from clientela.core.users import AuthenticatedHttpRequest

if TYPE_CHECKING:
    from clientela.core.users import User


__all__ = ["ImportScreens", "UploadForm", "import_urlpatterns"]

ERRORS_PER_PAGE = 100


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
    """Return what the progress bar shows: the job, its counts, whether it is a dry run."""
    return {
        "job": job,
        "counts": job_counts(job),
        "dry_run": bool(job.options.get("dry_run")),
        "screens": screens,
    }


def job_page(
    request: AuthenticatedHttpRequest,
    job: Job,
    screens: ImportScreens,
    *,
    resume: Callable[[Job], Any],
    can_resume: bool,
    warnings: Iterable[str] = (),
) -> HttpResponse:
    """Show the import running in the background: progress, counts, rejects, resume when stopped."""
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


def progress_response(
    request: AuthenticatedHttpRequest, job: Job, screens: ImportScreens
) -> HttpResponse:
    """Serve the job's progress: JSON for scripts, an HTML fragment that HTMX polls every second."""
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
                # Until the worker has counted the rows there is no "x of y" to show.
                "preparing": not job.total and not job.is_finished,
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
    """Serve the rejected rows as CSV: their original columns, then line, column and reason."""
    headers, rows = rejected_rows(job)
    response = StreamingHttpResponse(
        iter_csv(rows, headers), content_type="text/csv; charset=utf-8"
    )
    name = _("rejected-rows")
    response["Content-Disposition"] = f'attachment; filename="{name}-{job.pk}.csv"'
    return response


# -- the views, one set for every kind ----------------------------------------------------------


def _messages(exc: ValidationFailed) -> list[str]:
    return [message for values in exc.errors.values() for message in values]


def _kind(user: User, kind: str) -> Importer:
    importer = get_importer(kind)
    importer.require(user)
    return importer


@domain_errors
@require_http_methods(["GET", "POST"])
def import_start(request: AuthenticatedHttpRequest, kind: str) -> HttpResponse:
    """Step 1: upload a CSV or XLSX file."""
    importer = _kind(request.user, kind)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = importer.start(
                actor=request.user,
                upload=upload,
                filename=upload.name or "import.csv",
                language=getattr(request, "LANGUAGE_CODE", None),
            )
        except ValidationFailed as exc:
            for message in exc.errors.get("file") or _messages(exc):
                form.add_error("file", message)
        else:
            return redirect(importer.screens.mapping_url, job_id=job.pk)
    context = {
        "importer": importer,
        "form": form,
        "screens": importer.screens,
        "max_mb": max_upload_mb(),
        "recognised": [str(label) for label in importer.recognised()],
        "recent": importers.recent_imports(importer, request.user),
    }
    status = 400 if form.errors else 200
    return render(request, "core/import/start.html", context, status=status)


def _option_values(importer: Importer, data: Any) -> dict[str, Any]:
    """Return the mapping screen's options as posted (checkboxes → booleans)."""
    return {
        option.name: data.get(option.name) == "on"
        if option.kind == "checkbox"
        else str(data.get(option.name, ""))
        for option in importer.options
    }


@domain_errors
@require_http_methods(["GET", "POST"])
def import_mapping(request: AuthenticatedHttpRequest, kind: str, job_id: int) -> HttpResponse:
    """Step 2: map each column of the file to a field (a preset fills it in), choose options."""
    importer = _kind(request.user, kind)
    job = importers.import_job_for(importer, request.user, job_id)
    if job.options.get("stage") != "draft" or job.options.get("dry_run"):
        return redirect(importer.screens.job_url, job_id=job.pk)
    headers: list[str] = list(job.options.get("headers") or [])
    errors: dict[str, list[str]] = {}
    mapping = importer.mapping_of(job)
    options = {option.name: job.options.get(option.name) for option in importer.options}
    if request.method == "POST":
        if request.POST.get("action") == "preset" and importer.apply_preset is not None:
            importer.apply_preset(job, actor=request.user, preset=request.POST.get("preset", ""))
            return redirect(importer.screens.mapping_url, job_id=job.pk)
        mapping = {h: request.POST.get(f"col_{i}", "") for i, h in enumerate(headers)}
        options = _option_values(importer, request.POST)
        try:
            importer.save_mapping(job, actor=request.user, mapping=mapping, options=options)
            importers.start_preview(importer, job, actor=request.user)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            return redirect(importer.screens.preview_url, job_id=job.pk)
    with open_job_file(job) as table:
        samples = sample_values(table)
    context = {
        "importer": importer,
        "job": job,
        "screens": importer.screens,
        "columns": [
            {
                "index": i,
                "header": header,
                "target": mapping.get(header, ""),
                "samples": samples.get(header, []),
            }
            for i, header in enumerate(headers)
        ],
        "groups": importer.targets(),
        "presets": importer.presets() if importer.presets else [],
        "preset": job.options.get("preset"),
        "detected": dict(importer.presets() if importer.presets else []).get(
            job.options.get("detected_preset", ""), ""
        ),
        "options": [
            {"option": option, "value": options.get(option.name), "errors": errors.get(option.name)}
            for option in importer.options
        ],
        "errors": [
            message
            for key, values in errors.items()
            if key not in {option.name for option in importer.options}
            for message in values
        ],
        "file_warnings": job.options.get("file_warnings") or [],
        "encoding": ENCODING_NAMES.get(
            job.options.get("encoding") or "", job.options.get("encoding")
        ),
    }
    status = 400 if errors else 200
    return render(request, "core/import/mapping.html", context, status=status)


@domain_errors
@require_http_methods(["GET", "POST"])
def import_preview(request: AuthenticatedHttpRequest, kind: str, job_id: int) -> HttpResponse:
    """Step 3: the first rows as they will be imported and every error of the whole file."""
    importer = _kind(request.user, kind)
    job = importers.import_job_for(importer, request.user, job_id)
    if request.method == "POST":
        try:
            importers.confirm_import(importer, job, actor=request.user)
        except Conflict as exc:
            messages.warning(request, str(exc))
        return redirect(importer.screens.job_url, job_id=job.pk)
    if job.options.get("stage") != "draft":
        return redirect(importer.screens.job_url, job_id=job.pk)
    check: Job | None = None
    if job.options.get("preview_job"):
        check = Job.objects.filter(pk=job.options["preview_job"]).first()
    context: dict[str, Any] = {
        "importer": importer,
        "job": job,
        "screens": importer.screens,
        "check": check,
        "check_counts": job_counts(check) if check else {},
        "table": importer.preview(job, request.user),
        "file_warnings": job.options.get("file_warnings") or [],
    }
    if check is not None and check.is_finished:
        page = page_number(request.GET)
        errors, pages = row_errors_page(check, page, ERRORS_PER_PAGE)
        context.update(
            {
                "errors": errors,
                "page": min(page, pages),
                "pages": pages,
                "warnings": importer.warnings(check),
            }
        )
    return render(request, "core/import/preview.html", context)


@domain_errors
@require_http_methods(["GET", "POST"])
def import_job(request: AuthenticatedHttpRequest, kind: str, job_id: int) -> HttpResponse:
    """Step 4: the import running in the background, its counts and its rejected rows."""
    importer = _kind(request.user, kind)
    job = importers.import_job_for(importer, request.user, job_id)
    return job_page(
        request,
        job,
        importer.screens,
        resume=lambda stopped: importers.resume_import(importer, stopped, actor=request.user),
        can_resume=can_resume(job),
        warnings=importer.warnings(job),
    )


@domain_errors
@require_GET
def import_job_progress(request: AuthenticatedHttpRequest, kind: str, job_id: int) -> HttpResponse:
    """Serve the job's progress: JSON for scripts, an HTML fragment that HTMX polls every second."""
    importer = _kind(request.user, kind)
    job = importers.import_job_for(importer, request.user, job_id)
    return progress_response(request, job, importer.screens)


@domain_errors
@require_GET
def import_rejects(request: AuthenticatedHttpRequest, kind: str, job_id: int) -> HttpResponseBase:
    """Serve the rejected rows as CSV: their original columns, then line, column and reason."""
    importer = _kind(request.user, kind)
    return rejects_response(importers.import_job_for(importer, request.user, job_id))


def import_urlpatterns(kind: str, *, route: str = "import/", prefix: str = "") -> list[URLPattern]:
    """Return the routes of one import kind, for its app's URLconf (names start with `prefix`)."""
    views: list[tuple[str, Callable[..., HttpResponseBase], str]] = [
        ("", import_start, "import_start"),
        ("<int:job_id>/", import_job, "import_job"),
        ("<int:job_id>/mapping/", import_mapping, "import_mapping"),
        ("<int:job_id>/preview/", import_preview, "import_preview"),
        ("<int:job_id>/progress/", import_job_progress, "import_job_progress"),
        ("<int:job_id>/rejects.csv", import_rejects, "import_rejects"),
    ]
    return [
        path(f"{route}{tail}", view, {"kind": kind}, name=f"{prefix}{name}")
        for tail, view, name in views
    ]
