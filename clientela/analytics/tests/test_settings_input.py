"""Analytics settings: every decimal is checked against its field, and a bad stored one never
takes the customer-value screens down (issue 11, item 5.1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction
from django.urls import reverse

from clientela.analytics.models import AnalyticsSettings
from clientela.analytics.queries import get_analytics_settings
from clientela.analytics.tests.factories import AnalyticsSettingsFactory, build_world
from clientela.core.testing import client_for

pytestmark = pytest.mark.django_db

VALUE_PAGES = ("analytics:dashboard", "analytics:ltv", "analytics:settings")


@pytest.mark.parametrize("typed", ["9999999999999999", "1e16", "1e20", "1e400", "Infinity"])
def test_it_refuses_a_retention_cost_past_its_digits_beside_the_field(client, personas, typed):
    c = client_for(client, personas.manager)
    response = c.post(reverse("analytics:ltv_save"), {"retention_cost": typed})
    assert response.status_code == 400
    errors = response.context["inputs_form"].errors["retention_cost"]
    assert errors and ("digits" in errors[0] or "number" in errors[0])
    assert not AnalyticsSettings.objects.exists()
    for name in VALUE_PAGES:
        assert c.get(reverse(name)).status_code == 200, name


def test_it_says_so_in_spanish(client, personas):
    c = client_for(client, personas.manager, language="es")
    response = c.post(reverse("analytics:ltv_save"), {"retention_cost": "1e16"})
    assert response.status_code == 400
    message = response.context["inputs_form"].errors["retention_cost"][0]
    assert "dígitos" in message


def test_it_saves_the_largest_retention_cost_that_fits(client, personas):
    c = client_for(client, personas.manager)
    response = c.post(reverse("analytics:ltv_save"), {"retention_cost": "9999999999999.99"})
    assert response.status_code == 302
    assert get_analytics_settings().retention_cost_per_customer == Decimal("9999999999999.99")
    for name in VALUE_PAGES:
        assert c.get(reverse(name)).status_code == 200, name


def test_the_settings_screen_checks_every_decimal_against_its_field(client, personas):
    c = client_for(client, personas.admin)
    data = {
        "inactive_9m": "9", "inactive_12m": "12", "inactive_15m": "15", "churned": "36",
        "clv_horizon_months": "12", "monthly_discount_rate": "1", "snapshots_kept": "14",
        "retention_cost_per_customer": "1e20", "default_gross_margin": "1e400",
    }  # fmt: skip
    response = c.post(reverse("analytics:settings"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"retention_cost_per_customer", "default_gross_margin"}
    assert not AnalyticsSettings.objects.exists()


def test_the_service_refuses_what_its_fields_cannot_hold(personas):
    from clientela.analytics.services import update_analytics_settings
    from clientela.core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        update_analytics_settings(
            actor=personas.admin,
            data={"retention_cost_per_customer": "1e16", "monthly_discount_rate": "NaN"},
        )
    assert set(caught.value.errors) == {"retention_cost_per_customer", "monthly_discount_rate"}
    assert not AnalyticsSettings.objects.exists()


def test_the_pages_survive_a_value_stored_before_digits_were_checked(client, personas):
    AnalyticsSettingsFactory.create(retention_cost_per_customer=Decimal("100"))
    update = "UPDATE analytics_analyticssettings SET retention_cost_per_customer = 1e20"
    if connection.vendor == "postgresql":
        # PostgreSQL refuses the value itself; only SQLite ever stored one.
        with pytest.raises(DataError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(update)
        return
    with connection.cursor() as cursor:
        cursor.execute(update)
    settings = get_analytics_settings()
    assert settings.retention_cost_per_customer is None
    assert settings.monthly_discount_rate == Decimal("0.0100")
    c = client_for(client, personas.manager)
    for name in VALUE_PAGES:
        assert c.get(reverse(name)).status_code == 200, name
    repaired = c.post(reverse("analytics:ltv_save"), {"retention_cost": "25.000", "industry": ""})
    assert repaired.status_code == 302
    assert get_analytics_settings().retention_cost_per_customer == Decimal("25000")


def test_settings_show_numbers_in_the_users_format_with_their_units(client, personas):
    AnalyticsSettingsFactory.create(
        monthly_discount_rate=Decimal("0.0125"),
        default_gross_margin=Decimal("0.4550"),
        retention_cost_per_customer=Decimal("1250000.50"),
    )
    page = client_for(client, personas.admin, language="es").get(reverse("analytics:settings"))
    html = page.content.decode()
    assert 'value="1,25"' in html and 'value="45,5"' in html
    assert 'value="1250000,50"' in html
    assert "0.01" not in html
    assert "Tasa de descuento mensual (%)" in html
    assert "(COP)" in html
    saved = client_for(client, personas.admin, language="es").post(
        reverse("analytics:settings"),
        {
            "inactive_9m": "9", "inactive_12m": "12", "inactive_15m": "15", "churned": "36",
            "clv_horizon_months": "12", "monthly_discount_rate": "1,5", "snapshots_kept": "14",
            "default_gross_margin": "40", "retention_cost_per_customer": "30000,25",
        },
    )  # fmt: skip
    assert saved.status_code == 302
    stored = AnalyticsSettings.objects.get()
    assert stored.monthly_discount_rate == Decimal("0.015")
    assert stored.default_gross_margin == Decimal("0.4")
    assert stored.retention_cost_per_customer == Decimal("30000.25")


@pytest.fixture
def world(personas):
    """The small value world (a snapshot with customers)."""
    return build_world(personas)


def test_a_manager_sees_the_value_pages_with_the_largest_cost(client, world):
    test_it_saves_the_largest_retention_cost_that_fits(client, world.personas)
