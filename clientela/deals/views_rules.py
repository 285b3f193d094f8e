"""Screens of stage rules (in the pipeline settings): add one to a stage, remove one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clientela.activities.choices import Priority
from clientela.core.exceptions import ValidationFailed
from clientela.core.http import domain_errors, forbid_unless, require
from clientela.core.users import AuthenticatedHttpRequest
from clientela.deals import stage_rules
from clientela.deals.models import Stage, StageRule
from clientela.deals.queries import can_manage_pipelines, get_pipeline_for_user, stages_of


class StageRuleForm(forms.Form):
    """A rule: the stage, the task to give, due in how many hours, and its priority."""

    stage = forms.TypedChoiceField(label=gettext_lazy("When a deal enters"), coerce=int)
    subject = forms.CharField(
        label=gettext_lazy("Give its owner the task"),
        max_length=stage_rules.SUBJECT_MAX,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("Follow up on the quote")}),
    )
    due_hours = forms.IntegerField(
        label=gettext_lazy("Due in (hours)"),
        min_value=0,
        max_value=stage_rules.DUE_HOURS_MAX,
        initial=24,
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("Priority"), choices=Priority.choices, initial=Priority.NORMAL
    )

    def __init__(self, *args: Any, stages: list[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["stage"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(s.pk, s.name) for s in stages]


def rules_context(stages: list[Stage]) -> dict[str, Any]:
    """Return what the pipeline settings screen shows of its stage rules."""
    return {
        "rules": stage_rules.rules_of(stages),
        "rule_form": StageRuleForm(stages=stages, auto_id="rule_%s"),
    }


def _flash(request: AuthenticatedHttpRequest, errors: dict[str, Any]) -> None:
    for field_errors in errors.values():
        for message in field_errors if isinstance(field_errors, list) else [field_errors]:
            messages.error(request, str(message))


@domain_errors
@require_POST
def rule_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Add a stage rule to one of the pipeline's stages."""
    forbid_unless(can_manage_pipelines(request.user), _("Your role cannot set up pipelines."))
    pipeline = get_pipeline_for_user(request.user, pk, archived=True)
    stages = stages_of(pipeline)
    form = StageRuleForm(request.POST, stages=stages)
    if form.is_valid():
        stage = next(s for s in stages if s.pk == form.cleaned_data["stage"])
        try:
            stage_rules.add_stage_rule(stage, actor=request.user, values=form.cleaned_data)
        except ValidationFailed as exc:
            _flash(request, dict(exc.errors))
        else:
            messages.success(request, _("Rule added."))
    else:
        _flash(request, dict(form.errors))
    return redirect("deals:pipeline_edit", pk=pipeline.pk)


@domain_errors
@require_POST
def rule_remove(request: AuthenticatedHttpRequest, pk: int, rule_pk: int) -> HttpResponse:
    """Remove a stage rule of the pipeline."""
    forbid_unless(can_manage_pipelines(request.user), _("Your role cannot set up pipelines."))
    pipeline = get_pipeline_for_user(request.user, pk, archived=True)
    rule = StageRule.objects.filter(pk=rule_pk, stage__pipeline=pipeline).first()
    require(rule is not None)
    assert rule is not None
    stage_rules.remove_stage_rule(rule, actor=request.user)
    messages.success(request, _("Rule removed."))
    return redirect("deals:pipeline_edit", pk=pipeline.pk)
