"""URL routes of the sales section (mounted at /sales/)."""

from django.urls import path

from clientela.sales import views

app_name = "sales"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("plan/", views.plan, name="plan"),
    path("activity/", views.activity, name="activity"),
    path("lost/", views.lost, name="lost"),
    path("customers/", views.customer_list, name="customers"),
    path("payments/", views.payments, name="payments"),
    path("export/<str:table>.<str:fmt>", views.table_export, name="table_export"),
]
