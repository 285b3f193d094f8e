"""The tracked-sites screens: add a site, see its snippet, change it, see recent counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from clientela.core.testing import client_for
from clientela.timeline.models import Event as TimelineEvent
from clientela.tracking.choices import ConsentMode, TrackingVerb
from clientela.tracking.models import TrackedSite
from clientela.tracking.queries import site_for_key
from clientela.tracking.tests.factories import EnteredSiteFactory, EventFactory, TrackedSiteFactory

pytestmark = pytest.mark.django_db


def test_it_adds_a_site_and_shows_the_snippet(client, personas):
    client_for(client, personas.marketer)
    response = client.post(
        "/tracking/new/",
        {
            "name": "Tienda",
            "allowed_origins": "https://www.tienda.co/\nHTTPS://Landing.Tienda.co\n\n",
            "consent_mode": ConsentMode.AFTER_CONSENT,
            "is_active": "on",
        },
    )
    site = TrackedSite.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tracking/{site.pk}/"
    assert site.origins == ["https://www.tienda.co", "https://landing.tienda.co"]
    assert len(site.key) >= 22 and not site.key.isdigit()
    assert site.created_by == personas.marketer
    page = client.get(response["Location"]).content.decode()
    assert f"data-site=&quot;{site.key}&quot;" in page
    assert "http://testserver/t/clientela.js" in page
    assert "clientela(&#x27;consent&#x27;, true)" in page
    event = TimelineEvent.objects.get(verb=TrackingVerb.SITE_CREATED)
    assert event.actor == personas.marketer


@pytest.mark.parametrize(
    "origins",
    [
        "",
        "www.tienda.co",
        "https://tienda.co/precios",
        "ftp://tienda.co",
        "https://a@tienda.co",
        "\n".join(f"https://s{i}.co" for i in range(21)),
    ],
)
def test_it_refuses_what_is_not_an_origin(client, personas, origins):
    client_for(client, personas.admin)
    response = client.post(
        "/tracking/new/", {"name": "Tienda", "allowed_origins": origins, "consent_mode": "always"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["allowed_origins"]
    assert not TrackedSite.objects.exists()


def test_it_changes_a_site_and_the_ingest_sees_it_at_once(
    client, personas, django_capture_on_commit_callbacks
):
    site = EnteredSiteFactory.create(actor=personas.admin)
    assert site_for_key(site.key) is not None
    client_for(client, personas.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/tracking/{site.pk}/",
            {"name": "Tienda", "allowed_origins": site.allowed_origins, "consent_mode": "never"},
        )
    assert response.status_code == 302
    site.refresh_from_db()
    assert (site.consent_mode, site.is_active) == ("never", False)
    assert site_for_key(site.key) is None  # paused: the cached copy was dropped
    event = TimelineEvent.objects.get(verb=TrackingVerb.SITE_CHANGED)
    assert event.data["consent_mode"] == ["always", "never"]


def test_it_lists_sites_with_recent_counts_in_pinned_queries(
    client, personas, django_assert_num_queries
):
    now = timezone.now()
    sites = [TrackedSiteFactory.create(name=f"Sitio {i}") for i in range(3)]
    for days in (0, 0, 3, 40):
        EventFactory.create(site=sites[0], received_at=now - dt.timedelta(days=days, minutes=1))
    client_for(client, personas.admin)
    client.get("/tracking/")
    with django_assert_num_queries(5):
        response = client.get("/tracking/")
    rows = {row.site.name: (row.last_day, row.last_30_days) for row in response.context["rows"]}
    assert rows == {"Sitio 0": (2, 3), "Sitio 1": (0, 0), "Sitio 2": (0, 0)}
    for _ in range(5):
        TrackedSiteFactory.create()
    with django_assert_num_queries(5):
        client.get("/tracking/")


def test_it_escapes_a_hostile_site_name(client, personas):
    TrackedSiteFactory.create(name="<script>alert(1)</script>")
    client_for(client, personas.admin)
    page = client.get("/tracking/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
