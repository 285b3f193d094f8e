"""URL routes of the analytics app."""

from django.urls import path

from clientela.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("customers/", views.customers, name="customers"),
    path("customers/export.<str:fmt>", views.customers_export, name="customers_export"),
    path("ltv/", views.ltv, name="ltv"),
    path("ltv/save/", views.ltv_save, name="ltv_save"),
    path("cohorts/", views.cohorts, name="cohorts"),
    path("export/<slug:table>.<str:fmt>", views.table_export, name="table_export"),
    path("recompute/", views.recompute, name="recompute"),
    path("jobs/<int:pk>/", views.job_status, name="job_status"),
    path("settings/", views.settings_view, name="settings"),
]
