from django.urls import path

from clientela.orders import views, views_import

app_name = "orders"
urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("export.<str:fmt>", views.order_export, name="order_export"),
    path("new/", views.order_create, name="order_create"),
    path("customers/", views.customer_options, name="customer_options"),
    path("<int:pk>/", views.order_detail, name="order_detail"),
    path("<int:pk>/edit/", views.order_edit, name="order_edit"),
    path("<int:pk>/delete/", views.order_delete, name="order_delete"),
    path("spend/", views.spend, name="spend"),
    path("spend/import/", views_import.spend_import, name="spend_import"),
    path("import/", views_import.import_start, name="import_start"),
    path("import/<int:job_id>/", views_import.import_job, name="import_job"),
    path("import/<int:job_id>/mapping/", views_import.import_mapping, name="import_mapping"),
    path("import/<int:job_id>/preview/", views_import.import_preview, name="import_preview"),
    path(
        "import/<int:job_id>/progress/",
        views_import.import_job_progress,
        name="import_job_progress",
    ),
    path("import/<int:job_id>/rejects.csv", views_import.import_rejects, name="import_rejects"),
    path("rates/", views.rate_list, name="rate_list"),
    path("rates/<int:pk>/delete/", views.rate_delete, name="rate_delete"),
]
