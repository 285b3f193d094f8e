"""URL routes of the delivery app: the outbox and the suppression list."""

from django.urls import path

from clientela.delivery import views, views_suppressions

app_name = "delivery"
urlpatterns = [
    path("", views.message_list, name="message_list"),
    path("<int:pk>/", views.message_detail, name="message_detail"),
    path("<int:pk>/cancel/", views.message_cancel, name="message_cancel"),
    path("<int:pk>/retry/", views.message_retry, name="message_retry"),
    path("suppressions/", views_suppressions.suppression_list, name="suppression_list"),
    path("suppressions/add/", views_suppressions.suppression_add, name="suppression_add"),
    path("suppressions/import/", views_suppressions.suppression_import, name="suppression_import"),
    path(
        "suppressions/<int:pk>/remove/",
        views_suppressions.suppression_remove,
        name="suppression_remove",
    ),
    path(
        "suppressions/export.<str:fmt>",
        views_suppressions.suppression_export,
        name="suppression_export",
    ),
]
