"""Contact and company screens. Every route is listed in tests/test_access_matrix.py."""

from django.urls import include, path

from clientela.contacts import views
from clientela.contacts.views import custom_fields

app_name = "contacts"
urlpatterns = [
    path("", views.contact_list, name="contact_list"),
    path("new/", views.contact_create, name="contact_create"),
    path("search/", views.search, name="search"),
    path("options/", views.contact_options, name="contact_options"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("trash/", views.trash, name="trash"),
    path("merge/", views.merge, name="merge"),
    path("<int:pk>/", views.contact_detail, name="contact_detail"),
    path("<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("<int:pk>/restore/", views.contact_restore, name="contact_restore"),
    path("<int:pk>/tags/", views.contact_tags, name="contact_tags"),
    path("<int:pk>/consent/", views.contact_consent, name="contact_consent"),
    path("<int:pk>/notes/", views.contact_note, name="contact_note"),
    path("<int:pk>/merges/<int:merge_id>/undo/", views.merge_undo, name="merge_undo"),
    path("companies/", views.company_list, name="company_list"),
    path("companies/new/", views.company_create, name="company_create"),
    path("companies/options/", views.company_options, name="company_options"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:pk>/delete/", views.company_delete, name="company_delete"),
    path("companies/<int:pk>/restore/", views.company_restore, name="company_restore"),
    path("companies/<int:pk>/notes/", views.company_note, name="company_note"),
    path("custom-fields/", custom_fields.custom_field_list, name="custom_field_list"),
    path("custom-fields/new/", custom_fields.custom_field_create, name="custom_field_create"),
    path(
        "custom-fields/<int:field_id>/",
        custom_fields.custom_field_edit,
        name="custom_field_edit",
    ),
    path("", include("clientela.contacts.urls_import")),
]
