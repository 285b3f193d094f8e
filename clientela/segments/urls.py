"""Segment screens, mounted at /segments/."""

from django.urls import path

from clientela.segments import views

app_name = "segments"
urlpatterns = [
    path("", views.segment_list, name="list"),
    path("new/", views.segment_create, name="create"),
    path("lists/new/", views.list_create, name="list_create"),
    path("preview/", views.preview, name="preview"),
    path("<int:pk>/", views.segment_detail, name="detail"),
    path("<int:pk>/edit/", views.segment_edit, name="edit"),
    path("<int:pk>/delete/", views.segment_delete, name="delete"),
    path("<int:pk>/export.<str:fmt>", views.export, name="export"),
    path("<int:pk>/why/<int:contact_id>/", views.why, name="why"),
    path("<int:pk>/why-not/", views.why_not, name="why_not"),
    path("<int:pk>/save-as-list/", views.save_as_list, name="save_as_list"),
    path("<int:pk>/members/search/", views.list_candidates_view, name="list_candidates"),
    path("<int:pk>/members/add/", views.list_add, name="list_add"),
    path("<int:pk>/members/remove/", views.list_remove, name="list_remove"),
    path("<int:pk>/members/upload/", views.list_upload, name="list_upload"),
]
