"""The campaign list, the templates list and the API lists run as many queries with many
campaigns as with one (no N+1): progress is counted for every campaign in two grouped queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.accounts.services import create_token
from clientela.campaigns.services import sending
from clientela.campaigns.tests.factories import (
    EnteredCampaignFactory,
    EnteredTemplateFactory,
    build_audience,
)

pytestmark = pytest.mark.django_db


def _campaigns(personas: Any, count: int) -> None:
    audience = build_audience(name=f"Audiencia {count}")
    for _ in range(count):
        template = EnteredTemplateFactory.create(actor=personas.marketer)
        campaign = EnteredCampaignFactory.create(
            actor=personas.marketer, template=template, segments=[audience.segment]
        )
        sending.send_campaign(campaign, actor=personas.marketer)
        sending.advance(campaign.pk)


def _queries(client: Any, url: str, **headers: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url", ["campaigns:list", "campaigns:templates", "/api/v1/campaigns", "/api/v1/templates"]
)
def test_lists_pin_their_queries(client, personas, url):
    path = url if url.startswith("/") else reverse(url)
    _token, raw = create_token(personas.marketer, actor=personas.marketer)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if url.startswith("/api") else {}
    if not headers:
        client.force_login(personas.marketer)
    _campaigns(personas, 1)
    _queries(client, path, **headers)  # the token's first use is recorded once
    few = _queries(client, path, **headers)
    _campaigns(personas, 6)
    assert _queries(client, path, **headers) == few
