"""The suppression list screens: list and search, add, import, remove with a reason, export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from clientela.core.exceptions import ValidationFailed
from clientela.core.exports import export_download
from clientela.core.http import domain_errors, page_number, paginate, querystring, require
from clientela.core.users import AuthenticatedHttpRequest
from clientela.delivery.choices import SUPPRESSION_DETAILS
from clientela.delivery.forms import (
    SuppressionFilterForm,
    SuppressionForm,
    SuppressionImportForm,
    UnsuppressForm,
)
from clientela.delivery.models import Suppression
from clientela.delivery.queries import (
    filter_suppressions,
    get_suppression_for_user,
    may_manage_suppressions,
)
from clientela.delivery.services.suppression import import_suppressions, suppress, unsuppress

COUNT_CAP = 10_000


def detail_label(detail: str) -> str:
    """Return a suppression's detail as people read it (a system code becomes words)."""
    label = SUPPRESSION_DETAILS.get(detail)
    return str(label) if label is not None else detail


EXPORT_HEADERS = (
    gettext_lazy("E-mail"),
    gettext_lazy("Reason"),
    gettext_lazy("Detail"),
    gettext_lazy("Added"),
)


def _apply(form: forms.Form, exc: ValidationFailed) -> None:
    for name, errors in exc.errors.items():
        for message in errors if isinstance(errors, list) else [errors]:
            form.add_error(name if name in form.fields else None, str(message))


def _list(
    request: AuthenticatedHttpRequest,
    *,
    add_form: SuppressionForm | None = None,
    import_form: SuppressionImportForm | None = None,
    status: int = 200,
) -> HttpResponse:
    form = SuppressionFilterForm(request.GET or None)
    filters = form.to_filters()
    page = paginate(
        filter_suppressions(request.user, filters), page_number(request.GET), cap=COUNT_CAP
    )
    query = request.GET.copy()
    context: dict[str, Any] = {
        "form": form,
        "page": page,
        "rows": [(item, detail_label(item.detail)) for item in page.rows],
        "filtered": filters.active(),
        "add_form": add_form or SuppressionForm(),
        "import_form": import_form or SuppressionImportForm(),
        "remove_form": UnsuppressForm(),
        "query": query.urlencode(),
        "prev_url": querystring(query, page=page.number - 1),
        "next_url": querystring(query, page=page.number + 1),
    }
    return render(request, "delivery/suppression_list.html", context, status=status)


@require_GET
@domain_errors
def suppression_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the suppressed addresses, newest first, with the add and import forms."""
    require(may_manage_suppressions(request.user))
    return _list(request)


@require_POST
@domain_errors
def suppression_add(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Suppress one address by hand."""
    require(may_manage_suppressions(request.user))
    form = SuppressionForm(request.POST)
    if form.is_valid():
        try:
            suppress(
                form.cleaned_data["email"],
                reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
                actor=request.user,
                via="ui",
            )
        except ValidationFailed as exc:
            _apply(form, exc)
        else:
            messages.success(request, _("The address will receive no more e-mail."))
            return redirect("delivery:suppression_list")
    return _list(request, add_form=form, status=400)


@require_POST
@domain_errors
def suppression_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Suppress every address of an uploaded file; bad lines are listed, the rest are kept."""
    require(may_manage_suppressions(request.user))
    form = SuppressionImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            lines = form.lines()
        except forms.ValidationError as exc:
            form.add_error("file", exc)
        else:
            result = import_suppressions(
                lines, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(
                request,
                _("%(added)d addresses added, %(already)d were already on the list.")
                % {"added": result.added, "already": result.already},
            )
            for error in result.errors[:20]:
                messages.warning(request, error)
            return redirect("delivery:suppression_list")
    return _list(request, import_form=form, status=400)


@require_POST
@domain_errors
def suppression_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Remove an address from the list; the reason is required and audited."""
    suppression = get_suppression_for_user(request.user, pk)
    form = UnsuppressForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the address may receive e-mail again."))
        return redirect("delivery:suppression_list")
    unsuppress(suppression, actor=request.user, reason=form.cleaned_data["reason"])
    messages.success(
        request, _("%(email)s may receive e-mail again.") % {"email": suppression.email}
    )
    return redirect("delivery:suppression_list")


def _export_rows(rows: Any) -> Iterator[list[Any]]:
    item: Suppression
    for item in rows.iterator(chunk_size=2000):
        yield [item.email, item.get_reason_display(), detail_label(item.detail), item.created_at]


@require_GET
@domain_errors
def suppression_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponseBase:
    """Serve the (filtered) suppression list as CSV or XLSX."""
    require(may_manage_suppressions(request.user))
    filters = SuppressionFilterForm(request.GET or None).to_filters()
    qs = filter_suppressions(request.user, filters)
    return export_download(
        actor=request.user,
        kind="suppressions",
        fmt=fmt,
        headers=[str(header) for header in EXPORT_HEADERS],
        rows=_export_rows(qs),
        name="suppressions",
        title=_("Suppression list export"),
        sheet_title=_("Suppressed addresses"),
        filters=request.GET.dict(),
    )
