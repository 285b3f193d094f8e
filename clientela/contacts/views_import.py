"""Import and export screens: upload → mapping → dry-run preview → background job; list export.

Adapters only: every rule lives in contacts.importing.jobs (import) and contacts.exporting.
Users without the import (export) capability get the 403 page; another user's import is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from clientela.contacts.choices import Entity, LeadStatus, LifecycleStage, Source
from clientela.contacts.exporting import export_companies, export_contacts
from clientela.contacts.importing import jobs
from clientela.contacts.importing.presets import (
    CUSTOM_PREFIX,
    IGNORE,
    PRESET_LABELS,
    PRESETS_ORDER,
    TARGETS,
)
from clientela.contacts.queries import company_filters_from, custom_fields_for
from clientela.contacts.views.common import require_capability
from clientela.core.exceptions import Conflict, ValidationFailed
from clientela.core.exports import export_response
from clientela.core.http import domain_errors, page_number
from clientela.core.import_screens import (
    ImportScreens,
    UploadForm,
    job_page,
    progress_response,
    rejects_response,
)
from clientela.core.imports import job_counts, max_upload_mb
from clientela.core.models import Job
from clientela.core.tabular.detection import ENCODING_NAMES

ERRORS_PER_PAGE = 100


SCREENS = ImportScreens(
    namespace="contacts",
    list_url="contacts:contact_list",
    list_label=gettext_lazy("See the contacts"),
)


def _messages(exc: ValidationFailed) -> list[str]:
    return [message for values in exc.errors.values() for message in values]


def _require_import(user: Any) -> None:
    require_capability(user, "write")
    require_capability(user, "import")


def _target_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    standard = [(key, str(label)) for key, label in TARGETS.items()]
    custom = [
        (CUSTOM_PREFIX + key, definition.label)
        for key, definition in custom_fields_for(Entity.CONTACT).items()
    ]
    groups = [(_("Contact fields"), standard)]
    if custom:
        groups.append((_("Custom fields"), custom))
    return groups


def _target_labels() -> dict[str, str]:
    labels = {key: str(label) for key, label in TARGETS.items()}
    labels.update(
        {
            CUSTOM_PREFIX + key: definition.label
            for key, definition in custom_fields_for(Entity.CONTACT).items()
        }
    )
    return labels


@domain_errors
@require_http_methods(["GET", "POST"])
def import_start(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a CSV or XLSX file."""
    _require_import(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = jobs.start_import(
                actor=request.user,
                upload=upload,
                filename=upload.name or "import.csv",
                language=getattr(request, "LANGUAGE_CODE", None),
            )
        except ValidationFailed as exc:
            for message in exc.errors.get("file") or _messages(exc):
                form.add_error("file", message)
        else:
            return redirect("contacts:import_mapping", job_id=job.pk)
    context = {
        "form": form,
        "screens": SCREENS,
        "max_mb": max_upload_mb(),
        "presets": [PRESET_LABELS[p] for p in PRESETS_ORDER],
        "recent": jobs.recent_imports(request.user),
    }
    return render(
        request, "contacts/import/start.html", context, status=400 if form.errors else 200
    )


@domain_errors
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, job_id: int) -> HttpResponse:
    """Step 2: map each column to a contact field (a preset fills it in)."""
    _require_import(request.user)
    job = jobs.get_import_job_for_user(request.user, job_id)
    if job.options.get("stage") != "draft" or job.options.get("dry_run"):
        return redirect("contacts:import_job", job_id=job.pk)
    headers: list[str] = list(job.options.get("headers") or [])
    errors: list[str] = []
    if request.method == "POST":
        if request.POST.get("action") == "preset":
            jobs.remap_preset(job, actor=request.user, preset=request.POST.get("preset", ""))
            return redirect("contacts:import_mapping", job_id=job.pk)
        mapping = {h: request.POST.get(f"col_{i}", IGNORE) for i, h in enumerate(headers)}
        try:
            jobs.update_mapping(
                job,
                actor=request.user,
                mapping=mapping,
                update_existing=request.POST.get("update_existing") == "on",
            )
            jobs.start_preview(job, actor=request.user)
        except ValidationFailed as exc:
            errors = _messages(exc)
            job.options = {**job.options, "mapping": mapping}
        else:
            return redirect("contacts:import_preview", job_id=job.pk)
    samples = jobs.sample_values(job)
    mapping = job.options.get("mapping") or {}
    columns = [
        {
            "index": i,
            "header": header,
            "target": mapping.get(header, IGNORE),
            "samples": samples.get(header, []),
        }
        for i, header in enumerate(headers)
    ]
    context = {
        "job": job,
        "screens": SCREENS,
        "columns": columns,
        "groups": _target_choices(),
        "presets": [(p, PRESET_LABELS[p]) for p in PRESETS_ORDER],
        "preset": job.options.get("preset"),
        "detected": PRESET_LABELS.get(job.options.get("detected_preset", ""), ""),
        "update_existing": job.options.get("update_existing"),
        "file_warnings": job.options.get("file_warnings") or [],
        "encoding": ENCODING_NAMES.get(
            job.options.get("encoding") or "", job.options.get("encoding")
        ),
        "errors": errors,
    }
    return render(request, "contacts/import/mapping.html", context, status=400 if errors else 200)


@domain_errors
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, job_id: int) -> HttpResponse:
    """Step 3: the first rows as they will be imported and every error of the whole file."""
    _require_import(request.user)
    job = jobs.get_import_job_for_user(request.user, job_id)
    if request.method == "POST":
        try:
            jobs.confirm_import(job, actor=request.user)
        except Conflict as exc:
            messages.warning(request, str(exc))
        return redirect("contacts:import_job", job_id=job.pk)
    if job.options.get("stage") != "draft":
        return redirect("contacts:import_job", job_id=job.pk)
    check: Job | None = None
    if job.options.get("preview_job"):
        check = Job.objects.filter(pk=job.options["preview_job"]).first()
    labels = _target_labels()
    rows = jobs.preview_rows(job)
    used = [t for t in dict.fromkeys((job.options.get("mapping") or {}).values()) if t]
    shown = [t for t in used if any(t in r.values for r in rows)] or used
    context: dict[str, Any] = {
        "job": job,
        "screens": SCREENS,
        "check": check,
        "check_counts": job_counts(check) if check else {},
        "rows": [
            {
                "line": r.line,
                "cells": [_shown(t, r.values.get(t, "")) for t in shown],
                "errors": r.errors,
            }
            for r in rows
        ],
        "targets": [(t, labels.get(t, t)) for t in shown],
        "file_warnings": job.options.get("file_warnings") or [],
    }
    if check is not None and check.is_finished:
        page = page_number(request.GET)
        errors, pages = jobs.row_errors_page(check, page, ERRORS_PER_PAGE)
        context.update(
            {
                "errors": errors,
                "page": min(page, pages),
                "pages": pages,
                "warnings": jobs.warning_messages(check),
            }
        )
    return render(request, "contacts/import/preview.html", context)


_CHOICE_LABELS = {"lifecycle_stage": LifecycleStage, "lead_status": LeadStatus, "source": Source}


def _shown(target: str, value: Any) -> Any:
    """A preview cell as people read it: choice labels instead of codes."""
    choices = _CHOICE_LABELS.get(target)
    if choices is not None and value:
        return dict(choices.choices).get(value, value)
    return value


@domain_errors
@require_http_methods(["GET", "POST"])
def import_job(request: HttpRequest, job_id: int) -> HttpResponse:
    """Step 4: the import running in the background, its counts and its rejected rows."""
    _require_import(request.user)
    job = jobs.get_import_job_for_user(request.user, job_id)
    return job_page(
        request,
        job,
        SCREENS,
        resume=lambda stopped: jobs.resume_import(stopped, actor=request.user),
        can_resume=jobs.can_resume(job),
        warnings=jobs.warning_messages(job),
    )


@domain_errors
@require_GET
def import_job_progress(request: HttpRequest, job_id: int) -> HttpResponse:
    """The job's progress: JSON for scripts, an HTML fragment that HTMX polls every second."""
    _require_import(request.user)
    return progress_response(request, jobs.get_import_job_for_user(request.user, job_id), SCREENS)


@domain_errors
@require_GET
def import_rejects(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """The rejected rows as CSV: their original columns, then line, column and reason."""
    _require_import(request.user)
    return rejects_response(jobs.get_import_job_for_user(request.user, job_id))


def _list_params(request: HttpRequest) -> QueryDict:
    """The list's query string, also accepting the long names (lifecycle_stage, ordering, custom.)."""
    params = request.GET.copy()
    aliases = {"lifecycle_stage": "stage", "ordering": "sort"}
    for long, short in aliases.items():
        if long in params and short not in params:
            params[short] = request.GET.get(long, "")
    for key in list(params):
        if key.startswith("custom."):
            params.setdefault(f"cf_{key[len('custom.') :]}", request.GET.get(key, ""))
    return params


@domain_errors
@require_GET
def export(request: HttpRequest) -> HttpResponseBase:
    """Download the contacts list as it is filtered on screen, as CSV or XLSX."""
    from clientela.contacts.forms import contact_filters_from

    require_capability(request.user, "export")
    fmt = request.GET.get("format", "csv")
    filters = contact_filters_from(_list_params(request), custom_fields_for(Entity.CONTACT))
    try:
        prepared = export_contacts(actor=request.user, filters=filters, fmt=fmt)
    except ValidationFailed as exc:
        return HttpResponse(" ".join(_messages(exc)), status=400)
    return export_response(prepared)


@domain_errors
@require_GET
def company_export(request: HttpRequest) -> HttpResponseBase:
    """Download the companies list as it is filtered on screen, as CSV or XLSX."""
    require_capability(request.user, "export")
    try:
        prepared = export_companies(
            actor=request.user,
            filters=company_filters_from(request.GET),
            fmt=request.GET.get("format", "csv"),
        )
    except ValidationFailed as exc:
        return HttpResponse(" ".join(_messages(exc)), status=400)
    return export_response(prepared)
