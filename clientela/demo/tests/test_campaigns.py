"""The demo's campaigns make story 2 visible: last month's newsletter shows revenue and ROI."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from clientela.accounts.models import User
from clientela.campaigns.models import Campaign
from clientela.core.testing import client_for
from clientela.delivery.models import MessageEvent
from clientela.demo.campaigns import NEWSLETTER, seed_campaigns
from clientela.demo.orders import seed_orders
from clientela.demo.seeding import seed_contacts
from clientela.orders.models import Order

pytestmark = pytest.mark.django_db


def _revenue_from_rows(campaign: Campaign) -> Decimal:
    """Add up, row by row, the orders placed within the window after a human click."""
    clicks: dict[int, list[dt.datetime]] = {}
    for contact_id, at in MessageEvent.objects.filter(
        message__group=f"campaign:{campaign.pk}", kind="click", machine=False
    ).values_list("message__contact_id", "at"):
        clicks.setdefault(contact_id, []).append(at)
    window = dt.timedelta(days=campaign.attribution_days)
    return sum(
        (
            order.amount_company_currency
            for order in Order.objects.filter(contact_id__in=list(clicks))
            if any(
                order.ordered_at - window <= at <= order.ordered_at
                for at in clicks.get(order.contact_id or 0, [])
            )
        ),
        Decimal("0"),
    )


def test_the_demo_newsletter_report_shows_a_roi_computed_from_its_rows(client):
    seed_contacts(300, seed=2026)
    seed_orders(seed=2026, snapshots=0)
    seed_campaigns(seed=2026)
    newsletter = Campaign.objects.get(name=NEWSLETTER)
    revenue = _revenue_from_rows(newsletter)
    assert newsletter.cost > 0 and revenue > 0
    roi = round(float((revenue - newsletter.cost) / newsletter.cost * 100), 1)
    assert roi != 0

    marketer = User.objects.get(username="mercadeo")
    page = client_for(client, marketer, language="en").get(
        reverse("campaigns:report", args=[newsletter.pk])
    )

    shown = re.search(r'data-figure="roi"[^>]*>([^<]*)<', page.content.decode())
    assert shown is not None
    assert shown.group(1).strip() == f"{roi} %"
