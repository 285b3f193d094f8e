"""URL routes of the campaigns app."""

from django.urls import path

from clientela.campaigns import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/delete/", views.campaign_delete, name="delete"),
    path("<int:pk>/send/", views.campaign_send, name="send"),
    path("<int:pk>/pause/", views.campaign_pause, name="pause"),
    path("<int:pk>/resume/", views.campaign_resume, name="resume"),
    path("<int:pk>/cancel/", views.campaign_cancel, name="cancel"),
    path("<int:pk>/progress/", views.campaign_progress, name="progress"),
    path("<int:pk>/report/", views.campaign_report, name="report"),
    path("<int:pk>/report/export/<str:fmt>/", views.campaign_report_export, name="report_export"),
    path("<int:pk>/report/contacts/", views.report_contacts, name="report_contacts"),
    path("<int:pk>/report/save-list/", views.report_save_list, name="report_save_list"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/delete/", views.template_delete, name="template_delete"),
    path("templates/<int:pk>/preview/", views.template_preview, name="template_preview"),
    path("templates/<int:pk>/test/", views.template_test, name="template_test"),
    path("images/", views.image_upload, name="image_upload"),
]
