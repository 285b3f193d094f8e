"""Every export route of every app leaves exactly one "exported" event (core.exports).

The routes are found in the project's URLs by name: a new export route missing from
ROUTE_ARGS fails here until it is listed, so no download can skip its audit record.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from clientela.core.exports import ExportRecord, register_export_recorder
from clientela.core.testing import client_for
from clientela.timeline.models import Event
from clientela.timeline.services import record_export

pytestmark = pytest.mark.django_db

# Every export route → the arguments of one request per format it serves.
ROUTE_ARGS: dict[str, list[tuple[list[str], dict[str, str]]]] = {
    "contacts:export": [([], {"format": "csv"}), ([], {"format": "xlsx"})],
    "contacts:company_export": [([], {"format": "csv"}), ([], {"format": "xlsx", "q": "a"})],
    "orders:order_export": [(["csv"], {}), (["xlsx"], {})],
    "analytics:customers_export": [(["csv"], {}), (["xlsx"], {})],
    "analytics:table_export": [(["segments", "csv"], {}), (["trend", "xlsx"], {})],
    "timeline:audit_export": [([], {})],
    # "{segment}" stands for the id of a segment the test creates first.
    "segments:export": [(["{segment}", "csv"], {}), (["{segment}", "xlsx"], {})],
    "webforms:submission_export": [(["{form}", "csv"], {}), (["{form}", "xlsx"], {})],
    "contacts:contact_consent_export": [(["{contact}", "csv"], {}), (["{contact}", "xlsx"], {})],
    "campaigns:report_export": [(["{campaign}", "csv"], {}), (["{campaign}", "xlsx"], {})],
    "delivery:suppression_export": [(["csv"], {}), (["xlsx"], {"reason": "manual"})],
    "deals:deal_export": [(["csv"], {}), (["xlsx"], {"state": "open"})],
    "sales:table_export": [(["funnel", "csv"], {}), (["plan", "xlsx"], {"month": "2026-01"})],
    "catalog:product_export": [(["csv"], {}), (["xlsx"], {"kind": "unique"})],
    "billing:quote_export": [(["csv"], {}), (["xlsx"], {"status": "draft"})],
    "billing:invoice_export": [(["csv"], {}), (["xlsx"], {"light": "red"})],
    "billing:payment_export": [(["csv"], {}), (["xlsx"], {})],
}


def _names(patterns: list[Any], namespace: str = "") -> set[str]:
    found: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= _names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            found.add(f"{namespace}{entry.name}")
    return found


def test_every_export_route_is_listed():
    exports = {name for name in _names(get_resolver().url_patterns) if "export" in name}
    assert exports == set(ROUTE_ARGS)


def _segment_id(personas: Any) -> int:
    """A segment of every contact (created once per test)."""
    from clientela.segments.models import Segment
    from clientela.segments.tests.factories import EnteredSegmentFactory

    found = Segment.objects.filter(name="Todos").first()
    return (found or EnteredSegmentFactory.create(actor=personas.admin, name="Todos")).pk


def _campaign_id(personas: Any) -> int:
    """A draft campaign (created once per test)."""
    from clientela.campaigns.models import Campaign
    from clientela.campaigns.tests.factories import build_screens_world

    found = Campaign.objects.order_by("id").first()
    return (found or build_screens_world(personas).campaign).pk


def _form_id() -> int:
    from clientela.webforms.models import Form
    from clientela.webforms.tests.factories import SubmissionFactory, webinar_form

    found = Form.objects.order_by("id").first()
    if found is None:
        found = webinar_form()
        SubmissionFactory.create(form=found)
    return found.pk


def _contact_id(personas: Any) -> int:
    from clientela.contacts import services
    from clientela.contacts.models import Contact

    found = Contact.objects.order_by("id").first() or services.create_contact(
        actor=personas.admin, data={"first_name": "Ana", "email": "ana@example.co"}
    )
    if not found.consents.exists():
        services.record_consent(
            found, actor=personas.admin, channel="email", purpose="marketing",
            status="granted", source="formulario firmado",
        )  # fmt: skip
    return found.pk


@pytest.mark.parametrize("route", sorted(ROUTE_ARGS))
def test_it_leaves_exactly_one_event_per_export(client, personas, route):
    signed = client_for(client, personas.admin)
    for template, query in ROUTE_ARGS[route]:
        args = [
            arg.format(
                segment=_segment_id(personas),
                form=_form_id(),
                contact=_contact_id(personas),
                campaign=_campaign_id(personas) if "{campaign}" in arg else "",
            )
            for arg in template
        ]
        before = Event.objects.filter(verb="exported").count()
        response = signed.get(reverse(route, args=args), query)
        assert response.status_code == 200, (route, args, response.status_code)
        b"".join(response.streaming_content)  # the whole file is written
        events = Event.objects.filter(verb="exported").order_by("-id")
        assert events.count() == before + 1, (route, args)
        event = events[0]
        assert event.actor_id == personas.admin.pk
        assert event.target_type == "core.job"
        expected = query.get("format") or (args[-1] if args else "csv")
        assert event.data["format"] == expected


def test_an_export_without_a_recorder_refuses_to_run(client, personas):
    from django.core.exceptions import ImproperlyConfigured

    from clientela.core import exports

    saved = list(exports._recorder)
    exports._recorder.clear()
    try:
        with pytest.raises(ImproperlyConfigured):
            client_for(client, personas.admin).get(reverse("orders:order_export", args=["csv"]))
    finally:
        exports._recorder[:] = saved
    assert not Event.objects.filter(verb="exported").exists()


def test_the_timeline_is_the_registered_recorder():
    from clientela.core import exports

    assert exports._recorder == [record_export]
    assert ExportRecord.__dataclass_fields__.keys() >= {"actor", "job", "kind", "fmt"}
    register_export_recorder(record_export)  # registering again replaces, never adds
    assert exports._recorder == [record_export]
