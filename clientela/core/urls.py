"""URL routes of the core app."""

from django.urls import path

from clientela.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("start/", views.home_panel, name="home_panel"),
    path("healthz", views.healthz, name="healthz"),
]
