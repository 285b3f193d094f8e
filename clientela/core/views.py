"""Home page and health check."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from clientela.core.registries import quick_links, start_panels
from clientela.core.users import AuthenticatedHttpRequest


def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the signed-in user's start page."""
    return render(request, "core/home.html")


@require_GET
def home_panel(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show the start page's cards (loaded by htmx), each filled by the app that registered it."""
    cards = []
    for panel in start_panels():
        context = panel.context(request)
        if context is not None:
            html = render_to_string(panel.template, dict(context), request=request)
            cards.append(mark_safe(html))  # noqa: S308 - rendered by the template engine
    links = [(reverse(link.url_name), link.label) for link in quick_links(request.user)]
    return render(request, "core/home.html#panel", {"cards": cards, "links": links})


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers and the e2e tests."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
