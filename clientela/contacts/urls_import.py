"""Import and export routes; the contacts URLconf includes them under the `contacts` namespace."""

from django.urls import path

from clientela.contacts import views_import

urlpatterns = [
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
    path("export/", views_import.export, name="export"),
    path("companies/export/", views_import.company_export, name="company_export"),
]
