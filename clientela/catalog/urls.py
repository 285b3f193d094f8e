"""URL routes of the catalogue (mounted at /catalog/)."""

from django.urls import path

from clientela.catalog import views

app_name = "catalog"
urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("export.<str:fmt>", views.product_export, name="product_export"),
    path("new/", views.product_create, name="product_create"),
    path("<int:pk>/", views.product_detail, name="product_detail"),
    path("<int:pk>/edit/", views.product_edit, name="product_edit"),
    path("<int:pk>/archive/", views.product_archive, name="product_archive"),
    path("<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("photos/<int:photo_pk>/", views.photo, name="photo"),
    path("photos/<int:photo_pk>/thumb/", views.photo_thumbnail, name="photo_thumbnail"),
    path("photos/<int:photo_pk>/remove/", views.photo_remove, name="photo_remove"),
    path("attributes/", views.attribute_list, name="attribute_list"),
    path("attributes/<int:pk>/", views.attribute_edit, name="attribute_edit"),
]
