"""URL routes of the orders app."""

from django.urls import path

from clientela.core.import_screens import import_urlpatterns
from clientela.orders import views, views_import

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("export.<str:fmt>", views.order_export, name="order_export"),
    path("new/", views.order_create, name="order_create"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("<int:pk>/delete/", views.order_delete, name="order_delete"),
    path("spend/", views.spend, name="spend"),
    path("spend/import/", views_import.spend_import, name="spend_import"),
    *import_urlpatterns("orders"),
    path("rates/", views.rate_list, name="rate_list"),
    path("rates/<int:pk>/delete/", views.rate_delete, name="rate_delete"),
]
