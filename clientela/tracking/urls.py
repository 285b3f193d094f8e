"""Tracking routes: the public script and ingest at /t/, the sites screens at /tracking/."""

from django.urls import path

from clientela.tracking import views

app_name = "tracking"
urlpatterns = [
    path("t/clientela.js", views.script, name="script"),
    path("t/sites/<str:key>.json", views.site_config, name="site_config"),
    path("t/events", views.events, name="events"),
    path("tracking/", views.site_list, name="site_list"),
    path("tracking/new/", views.site_create, name="site_create"),
    path("tracking/<int:pk>/", views.site_edit, name="site_edit"),
]
