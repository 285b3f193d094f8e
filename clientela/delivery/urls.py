"""URL routes of the delivery app: the outbox."""

from django.urls import path

from clientela.delivery import views

app_name = "delivery"
urlpatterns = [
    path("", views.message_list, name="message_list"),
    path("<int:pk>/", views.message_detail, name="message_detail"),
    path("<int:pk>/cancel/", views.message_cancel, name="message_cancel"),
    path("<int:pk>/retry/", views.message_retry, name="message_retry"),
]
