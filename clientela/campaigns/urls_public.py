"""Public routes of campaigns: the images e-mails show (mail clients load them signed out)."""

from django.urls import path

from clientela.campaigns import views

app_name = "campaigns_public"
urlpatterns = [
    path("<str:token>.<str:extension>", views.image, name="image"),
]
