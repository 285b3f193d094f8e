"""URL routes of the deals app (mounted at /deals/)."""

from django.urls import path

from clientela.core.import_screens import import_urlpatterns
from clientela.deals import views, views_rules

app_name = "deals"
urlpatterns = [
    path("", views.board_home, name="board"),
    path("pipeline/<int:pk>/", views.pipeline_board, name="pipeline_board"),
    path("pipeline/<int:pk>/stage/<int:stage_pk>/more/", views.board_column, name="board_column"),
    path("pipeline/<int:pk>/quick/", views.quick_create, name="quick_create"),
    path("list/", views.deal_list, name="deal_list"),
    path("export.<str:fmt>", views.deal_export, name="deal_export"),
    path("new/", views.deal_create, name="deal_create"),
    path("<int:pk>/", views.deal_detail, name="deal_detail"),
    path("<int:pk>/edit/", views.deal_edit, name="deal_edit"),
    path("<int:pk>/move/", views.deal_move, name="deal_move"),
    path("<int:pk>/delete/", views.deal_delete, name="deal_delete"),
    path("<int:pk>/next-step/", views.deal_next_step, name="deal_next_step"),
    path("<int:pk>/lines/", views.deal_line_add, name="deal_line_add"),
    path("<int:pk>/lines/<int:line_pk>/remove/", views.deal_line_remove, name="deal_line_remove"),
    path("settings/", views.pipeline_list, name="pipeline_list"),
    path("settings/pipeline/<int:pk>/", views.pipeline_edit, name="pipeline_edit"),
    path("settings/pipeline/<int:pk>/stages/", views.stage_add, name="stage_add"),
    path("settings/pipeline/<int:pk>/rules/", views_rules.rule_add, name="stage_rule_add"),
    path(
        "settings/pipeline/<int:pk>/rules/<int:rule_pk>/remove/",
        views_rules.rule_remove,
        name="stage_rule_remove",
    ),
    path("settings/pipeline/<int:pk>/stages/<int:stage_pk>/", views.stage_edit, name="stage_edit"),
    path(
        "settings/pipeline/<int:pk>/stages/<int:stage_pk>/remove/",
        views.stage_remove,
        name="stage_remove",
    ),
    path("settings/lost-reasons/", views.lost_reason_add, name="lost_reason_add"),
    path("settings/lost-reasons/<int:pk>/", views.lost_reason_toggle, name="lost_reason_toggle"),
    *import_urlpatterns("deals"),
]
