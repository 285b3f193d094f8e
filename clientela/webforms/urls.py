"""Web form routes: the public ones under /f/ and the builder under /forms/."""

from django.urls import path, re_path

from clientela.webforms.views import builder, hooks, pages, public, routing, sources

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
    # Lead routing and speed to lead (managers).
    path("forms/routing/", routing.rule_list, name="rules"),
    path("forms/routing/new/", routing.rule_create, name="rule_create"),
    path("forms/routing/<int:pk>/", routing.rule_edit, name="rule_edit"),
    path("forms/routing/<int:pk>/delete/", routing.rule_delete, name="rule_delete"),
    path("forms/routing/<int:pk>/move/", routing.rule_move, name="rule_move"),
    path("forms/speed-to-lead/", routing.speed, name="speed"),
    # Inbound leads (public, signed) and their sources (managers of forms).
    path("hooks/meta/<str:public_id>", hooks.meta_hook, name="hook_meta"),
    path("hooks/google/<str:public_id>", hooks.google_hook, name="hook_google"),
    path("hooks/json/<str:public_id>", hooks.json_hook, name="hook_json"),
    path("forms/sources/", sources.source_list, name="sources"),
    path("forms/sources/new/", sources.source_create, name="source_create"),
    path("forms/sources/<int:pk>/", sources.source_edit, name="source_edit"),
    path("forms/sources/<int:pk>/delete/", sources.source_delete, name="source_delete"),
    # Landing pages: public at /p/, edited under /forms/pages/.
    path("p/img/<str:token>.<str:extension>", pages.page_image, name="page_image"),
    path("p/<slug:slug>", pages.landing_page, name="landing"),
    path("forms/pages/", pages.page_list, name="pages"),
    path("forms/pages/new/", pages.page_create, name="page_create"),
    path("forms/pages/<int:pk>/", pages.page_edit, name="page_edit"),
    path("forms/pages/<int:pk>/settings/", pages.page_settings, name="page_settings"),
    path("forms/pages/<int:pk>/preview/", pages.page_preview, name="page_preview"),
    path("forms/pages/<int:pk>/status/", pages.page_status, name="page_status"),
    path("forms/pages/<int:pk>/delete/", pages.page_delete, name="page_delete"),
    path("forms/pages/<int:pk>/images/", pages.image_upload, name="image_upload"),
    path("forms/pages/<int:pk>/blocks/add/", pages.block_add, name="block_add"),
    path("forms/pages/<int:pk>/blocks/<int:index>/", pages.block_save, name="block_save"),
    path("forms/pages/<int:pk>/blocks/<int:index>/move/", pages.block_move, name="block_move"),
]
