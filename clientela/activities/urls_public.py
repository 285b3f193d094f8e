"""Public route of activities: the personal iCalendar feed (/ical/<secret token>.ics)."""

from django.urls import path

from clientela.activities import views

app_name = "activities_public"
urlpatterns = [
    path("ical/<str:token>.ics", views.ical_feed, name="ical_feed"),
]
