"""URL routes of the activities app (mounted at /activities/)."""

from django.urls import path

from clientela.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.my_tasks, name="my_tasks"),
    path("new/", views.activity_create, name="activity_create"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/complete/", views.activity_complete, name="activity_complete"),
    path("<int:pk>/reopen/", views.activity_reopen, name="activity_reopen"),
    path("<int:pk>/delete/", views.activity_delete, name="activity_delete"),
    path("contact/<int:contact_pk>/log/", views.contact_log, name="contact_log"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/feed/", views.calendar_feed, name="calendar_feed"),
    path("calendar/feed/revoke/", views.calendar_feed_revoke, name="calendar_feed_revoke"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("notifications/badge/", views.notification_badge, name="notification_badge"),
]
