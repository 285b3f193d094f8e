"""The marketing spend import (a small file read at once, every bad row listed).

The order import's screens are core's (core.import_screens, the kind in orders.import_jobs).
Adapters only: the rules live in orders.spend_import.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from clientela.core.exceptions import ValidationFailed
from clientela.core.http import domain_errors, require
from clientela.core.import_screens import (
    UploadForm,
)
from clientela.core.imports import max_upload_mb
from clientela.core.users import AuthenticatedHttpRequest
from clientela.orders.importing import require_import
from clientela.orders.queries import can_manage_spend
from clientela.orders.spend_import import import_spend


def _messages(exc: ValidationFailed) -> list[str]:
    return [message for values in exc.errors.values() for message in values]


@require_POST
@domain_errors
def spend_import(request: AuthenticatedHttpRequest) -> HttpResponse:
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
