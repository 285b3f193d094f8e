"""Root URL configuration."""

from django.urls import include, path

from clientela.api import api_urlpatterns

urlpatterns = [
    # The API first: every API request (the busiest paths) resolves without trying the screens'
    # patterns, and no screen pattern matches a path under api/ (a test holds it).
    *api_urlpatterns,
    path("", include("clientela.core.urls")),
    path("accounts/", include("clientela.accounts.urls")),
    path("contacts/", include("clientela.contacts.urls")),
    path("orders/", include("clientela.orders.urls")),
    path("activities/", include("clientela.activities.urls")),
    # /ical/<token>.ics: the personal calendar feed, opened by the secret token alone.
    path("", include("clientela.activities.urls_public")),
    path("deals/", include("clientela.deals.urls")),
    path("catalog/", include("clientela.catalog.urls")),
    path("billing/", include("clientela.billing.urls")),
    path("outbox/", include("clientela.delivery.urls")),
    # /m/… the public links of sent e-mail (pixel, clicks, unsubscribe and preferences).
    path("", include("clientela.delivery.urls_public")),
    path("value/", include("clientela.analytics.urls")),
    path("segments/", include("clientela.segments.urls")),
    path("sales/", include("clientela.sales.urls")),
    path("campaigns/", include("clientela.campaigns.urls")),
    path("ci/", include("clientela.campaigns.urls_public")),
    path("", include("clientela.webforms.urls")),
    # /t/… (the public script and ingest) and /tracking/… (the sites screens).
    path("", include("clientela.tracking.urls")),
    path("audit/", include("clientela.timeline.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
