"""Import and export routes; the contacts URLconf includes them under the `contacts` namespace.

The import screens are core's (core.import_screens), one set for every registered kind.
"""

from django.urls import path

from clientela.contacts import views_export
from clientela.core.import_screens import import_urlpatterns

urlpatterns = [
    *import_urlpatterns("contacts"),
    *import_urlpatterns("companies", route="companies/import/", prefix="company_"),
    path("export/", views_export.export, name="export"),
    path("companies/export/", views_export.company_export, name="company_export"),
    path(
        "<int:pk>/consent/export.<str:fmt>",
        views_export.contact_consent_export,
        name="contact_consent_export",
    ),
]
