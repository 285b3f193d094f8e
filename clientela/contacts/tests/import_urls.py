"""Test URLconf: the project's URLs with the import routes inside the `contacts` namespace."""

from django.urls import include, path

from clientela import urls as root
from clientela.contacts import urls as contacts_urls
from clientela.contacts import urls_import

_names = {p.name for p in contacts_urls.urlpatterns}
urlpatterns = [
    path(
        "contacts/",
        include(
            (
                contacts_urls.urlpatterns
                + [p for p in urls_import.urlpatterns if p.name not in _names],
                "contacts",
            )
        ),
    ),
    *[p for p in root.urlpatterns if str(p.pattern) != "contacts/"],
]
