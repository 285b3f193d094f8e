"""URL routes of the timeline app."""

from django.urls import path

from clientela.timeline import views

app_name = "timeline"
urlpatterns = [
    path("", views.audit_log, name="audit_log"),
    path("export.csv", views.audit_export, name="audit_export"),
]
