"""Contact and company screens."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def contact_list(request: HttpRequest) -> HttpResponse:
    """Placeholder replaced by the contacts UI."""
    return render(request, "core/home.html")


def company_list(request: HttpRequest) -> HttpResponse:
    """Placeholder replaced by the companies UI."""
    return render(request, "core/home.html")
