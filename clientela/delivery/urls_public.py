"""Public routes of sent e-mail (/m/…): open pixel, click redirect, unsubscribe and preferences."""

from django.urls import path

from clientela.delivery import public

app_name = "mail"
urlpatterns = [
    path("m/o/<str:token>/<str:sig>.gif", public.pixel, name="open"),
    path("m/c/<str:token>/<str:sig>/", public.click, name="click"),
    path("m/u/<str:token>/<str:sig>/", public.preferences, name="preferences"),
]
