"""Order import screens (upload → mapping → dry-run preview → background job) and spend import.

Adapters only: the rules live in orders.import_jobs, orders.importing and orders.spend_import.
Users without the import capability get the 403 page; another user's import is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.http import domain_errors, page_number, require
from clientela.core.import_screens import (
    ImportScreens,
    UploadForm,
    job_page,
    progress_response,
    rejects_response,
)
from clientela.core.imports import job_counts, max_upload_mb, row_errors_page
from clientela.core.models import Job
from clientela.core.tabular.detection import ENCODING_NAMES
from clientela.orders import import_jobs
from clientela.orders.importing import require_import
from clientela.orders.queries import can_manage_spend
from clientela.orders.spend_import import import_spend

SCREENS = ImportScreens(
    namespace="orders", list_url="orders:order_list", list_label=gettext_lazy("See the orders")
)
ERRORS_PER_PAGE = 100
# Where each target of the mapping screen shows its "choose a column" message.
REQUIRED_FIELDS = ("ordered_at", "amount", "customer")


def _messages(exc: ValidationFailed) -> list[str]:
    return [message for values in exc.errors.values() for message in values]


@require_http_methods(["GET", "POST"])
@domain_errors
def import_start(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a CSV or XLSX file of orders."""
    require_import(request.user)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_jobs.start_order_import(
                actor=request.user,
                upload=upload,
                filename=upload.name or "pedidos.csv",
                language=getattr(request, "LANGUAGE_CODE", None),
            )
        except ValidationFailed as exc:
            for message in _messages(exc):
                form.add_error("file", message)
        else:
            return redirect("orders:import_mapping", job_id=job.pk)
    context = {
        "form": form,
        "screens": SCREENS,
        "max_mb": max_upload_mb(),
        "targets": list(import_jobs.TARGETS.values()),
        "recent": import_jobs.recent_imports(request.user),
    }
    return render(request, "orders/import/start.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@domain_errors
def import_mapping(request: HttpRequest, job_id: int) -> HttpResponse:
    """Step 2: map each column of the file to an order field, and choose the options."""
    require_import(request.user)
    job = import_jobs.get_order_import_for_user(request.user, job_id)
    if job.options.get("stage") != "draft" or job.options.get("dry_run"):
        return redirect("orders:import_job", job_id=job.pk)
    headers: list[str] = list(job.options.get("headers") or [])
    errors: dict[str, list[str]] = {}
    options = job.options
    if request.method == "POST":
        chosen = {h: request.POST.get(f"col_{i}", "") for i, h in enumerate(headers)}
        submitted: dict[str, Any] = {
            "update_existing": request.POST.get("update_existing") == "on",
            "create_missing": request.POST.get("create_missing") == "on",
            "source_system": request.POST.get("source_system", ""),
        }
        try:
            import_jobs.update_mapping(
                job,
                actor=request.user,
                columns=chosen,
                update_existing=submitted["update_existing"],
                create_missing=submitted["create_missing"],
                source_system=submitted["source_system"],
            )
            import_jobs.start_preview(job, actor=request.user)
        except ValidationFailed as exc:
            errors = exc.errors
            options = {**job.options, **submitted}
            by_target = {target: header for header, target in chosen.items() if target}
            options["mapping"] = by_target
        else:
            return redirect("orders:import_preview", job_id=job.pk)
    samples = import_jobs.sample_values(job)
    target_of = {header: target for target, header in (options.get("mapping") or {}).items()}
    columns = [
        {
            "index": i,
            "header": header,
            "target": target_of.get(header, ""),
            "samples": samples.get(header, []),
        }
        for i, header in enumerate(headers)
    ]
    context = {
        "job": job,
        "screens": SCREENS,
        "columns": columns,
        "targets": [(key, str(label)) for key, label in import_jobs.TARGETS.items()],
        "options": options,
        "missing": [m for key in REQUIRED_FIELDS for m in errors.get(key, [])],
        "mapping_errors": errors.get("mapping", []),
        "source_errors": errors.get("source_system", []),
        "file_warnings": job.options.get("file_warnings") or [],
        "encoding": ENCODING_NAMES.get(
            job.options.get("encoding") or "", job.options.get("encoding")
        ),
    }
    return render(request, "orders/import/mapping.html", context, status=400 if errors else 200)


@require_http_methods(["GET", "POST"])
@domain_errors
def import_preview(request: HttpRequest, job_id: int) -> HttpResponse:
    """Step 3: the first rows as they will be imported and every error of the whole file."""
    require_import(request.user)
    job = import_jobs.get_order_import_for_user(request.user, job_id)
    if request.method == "POST":
        try:
            import_jobs.confirm_import(job, actor=request.user)
        except Conflict as exc:
            messages.warning(request, str(exc))
        return redirect("orders:import_job", job_id=job.pk)
    if job.options.get("stage") != "draft":
        return redirect("orders:import_job", job_id=job.pk)
    check: Job | None = None
    if job.options.get("preview_job"):
        check = Job.objects.filter(pk=job.options["preview_job"]).first()
    context: dict[str, Any] = {
        "job": job,
        "screens": SCREENS,
        "check": check,
        "check_counts": job_counts(check) if check else {},
        "rows": import_jobs.preview_rows(job, actor=request.user),
        "file_warnings": job.options.get("file_warnings") or [],
    }
    if check is not None and check.is_finished:
        page = page_number(request.GET)
        errors, pages = row_errors_page(check, page, ERRORS_PER_PAGE)
        context.update({"errors": errors, "page": min(page, pages), "pages": pages})
    return render(request, "orders/import/preview.html", context)


@require_http_methods(["GET", "POST"])
@domain_errors
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """Step 4: the import running in the background, its counts and its rejected rows."""
    require_import(request.user)
    job = import_jobs.get_order_import_for_user(request.user, job_id)
    return job_page(
        request,
        job,
        SCREENS,
        resume=lambda stopped: import_jobs.resume_import(stopped, actor=request.user),
        can_resume=import_jobs.can_resume(job),
    )


@require_GET
@domain_errors
def import_job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job's progress: JSON for scripts, an HTML fragment that HTMX polls every second."""
    require_import(request.user)
    job = import_jobs.get_order_import_for_user(request.user, job_id)
    return progress_response(request, job, SCREENS)


@require_GET
@domain_errors
def import_rejects(request: HttpRequest, job_id: int) -> StreamingHttpResponse:
    """The rejected rows as CSV: their original columns, then line, column and reason."""
    require_import(request.user)
    return rejects_response(import_jobs.get_order_import_for_user(request.user, job_id))


@require_POST
@domain_errors
def spend_import(request: HttpRequest) -> HttpResponse:
    """Marketing spend from a file: every good row saved, every bad row listed."""
    require(can_manage_spend(request.user))
    require_import(request.user)
    form = UploadForm(request.POST, request.FILES)
    result = None
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_spend(
                actor=request.user, upload=upload, filename=upload.name or "gastos.csv"
            )
        except ValidationFailed as exc:
            for message in _messages(exc):
                form.add_error("file", message)
    year = request.POST.get("year", "")
    back = reverse("orders:spend") + (f"?year={year}" if year.isdigit() else "")
    if result is not None and not result.errors:
        done = ngettext(
            "Marketing spend imported: %(n)d row saved.",
            "Marketing spend imported: %(n)d rows saved.",
            result.saved,
        )
        messages.success(request, done % {"n": result.saved})
        return redirect(back)
    context = {
        "form": form,
        "result": result,
        "max_mb": max_upload_mb(),
        "back": back,
        "year": year if year.isdigit() else "",
    }
    return render(request, "orders/spend_import.html", context, status=400 if form.errors else 200)
