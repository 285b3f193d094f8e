"""Web form routes: the public ones under /f/ and the builder under /forms/."""

from django.urls import path, re_path

from clientela.webforms.views import builder, public

app_name = "webforms"
urlpatterns = [
    # Public (no sign-in; accounts.middleware lists /f/ as public).
    path("f/confirm/<str:token>", public.confirm, name="confirm"),
    path("f/<str:public_id>", public.public_form, name="public"),
    path("f/<str:public_id>/embed.js", public.embed_script, name="embed"),
    path("f/<str:public_id>/altcha", public.altcha_challenge, name="altcha"),
    # Anything else under /f/ (an empty or malformed id): a 404 in the shape the client asked.
    re_path(r"^f/(?P<rest>.*)$", public.public_fallback, name="public_fallback"),
    # The builder and the submissions.
    path("forms/", builder.form_list, name="list"),
    path("forms/new/", builder.form_create, name="create"),
    path("forms/<int:pk>/", builder.form_detail, name="detail"),
    path("forms/<int:pk>/edit/", builder.form_edit, name="edit"),
    path("forms/<int:pk>/status/", builder.form_status, name="status"),
    path("forms/<int:pk>/preview/", builder.form_preview, name="preview"),
    path("forms/<int:pk>/fields/add/", builder.field_add, name="field_add"),
    path("forms/<int:pk>/fields/<int:field_id>/", builder.field_edit, name="field_edit"),
    path("forms/<int:pk>/fields/<int:field_id>/remove/", builder.field_remove, name="field_remove"),
    path("forms/<int:pk>/fields/<int:field_id>/move/", builder.field_move, name="field_move"),
    path("forms/<int:pk>/consents/add/", builder.consent_add, name="consent_add"),
    path("forms/<int:pk>/consents/<int:consent_id>/", builder.consent_edit, name="consent_edit"),
    path(
        "forms/<int:pk>/consents/<int:consent_id>/remove/",
        builder.consent_remove,
        name="consent_remove",
    ),
    path("forms/<int:pk>/submissions/", builder.submission_list, name="submissions"),
    path(
        "forms/<int:pk>/submissions/<int:submission_id>/",
        builder.submission_detail,
        name="submission",
    ),
    path(
        "forms/<int:pk>/submissions/export.<str:fmt>",
        builder.submission_export,
        name="submission_export",
    ),
]
