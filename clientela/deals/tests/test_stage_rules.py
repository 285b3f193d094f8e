"""Stage rules: a deal entering a stage gives its owner a task, set up in the pipeline settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clientela.activities.models import Activity, Notification
from clientela.contacts.tests.factories import EnteredContactFactory
from clientela.core.exceptions import Forbidden, ValidationFailed
from clientela.core.testing import client_for
from clientela.deals import services, stage_rules
from clientela.deals.models import StageRule
from clientela.deals.tests.factories import (
    EnteredDealFactory,
    StageRuleFactory,
    real_estate_pipeline,
    stage_named,
)

pytestmark = pytest.mark.django_db


def test_a_deal_moved_into_the_stage_gives_its_owner_the_task(personas: Any) -> None:
    pipeline = real_estate_pipeline()
    quoted = stage_named(pipeline, "Cotizado")
    StageRuleFactory.create(stage=quoted, due_hours=24, priority="high")
    contact = EnteredContactFactory.create(actor=personas.rep)
    deal = EnteredDealFactory.create(actor=personas.rep, pipeline=pipeline, contact=contact)
    assert not Activity.objects.exists()
    before = timezone.now()
    services.move_deal(deal, stage=quoted, actor=personas.manager)
    task = Activity.objects.get()
    assert task.owner == personas.rep and task.subject == "Hacer seguimiento a la cotización"
    assert task.deal_id == deal.pk and task.contact == contact and task.priority == "high"
    assert task.source == stage_rules.SOURCE and task.created_by is None
    assert task.due_at is not None
    assert before + dt.timedelta(hours=24) <= task.due_at <= timezone.now() + dt.timedelta(hours=24)
    # The manager moved it: the owner is told.
    assert Notification.objects.filter(recipient=personas.rep).count() == 1
    # Moving to the stage it is in changes nothing; leaving and coming back gives another task.
    services.move_deal(deal, stage=quoted, actor=personas.rep)
    assert Activity.objects.count() == 1
    services.move_deal(deal, stage=stage_named(pipeline, "Nutrición"), actor=personas.rep)
    services.move_deal(deal, stage=quoted, actor=personas.rep)
    assert Activity.objects.count() == 2
    assert Notification.objects.filter(recipient=personas.rep).count() == 1


def test_a_deal_created_in_the_stage_gets_the_task_too(personas: Any) -> None:
    pipeline = real_estate_pipeline()
    quoted = stage_named(pipeline, "Cotizado")
    StageRuleFactory.create(stage=quoted)
    deal = services.create_deal(actor=personas.rep, title="Lote 4", pipeline=pipeline, stage=quoted)
    assert Activity.objects.get().deal_id == deal.pk


def test_only_pipeline_admins_set_rules_and_bad_values_are_field_errors(personas: Any) -> None:
    stage = stage_named(real_estate_pipeline(), "Cotizado")
    with pytest.raises(Forbidden):
        stage_rules.add_stage_rule(stage, actor=personas.rep, values={"subject": "x"})
    with pytest.raises(ValidationFailed) as exc:
        stage_rules.add_stage_rule(
            stage, actor=personas.admin, values={"subject": " ", "due_hours": -1, "priority": "x"}
        )
    errors = exc.value.errors
    assert set(errors) == {"subject", "due_hours", "priority"}
    rule = stage_rules.add_stage_rule(
        stage, actor=personas.admin, values={"subject": "Llamar", "due_hours": 2}
    )
    assert rule.priority == "normal"
    stage_rules.remove_stage_rule(rule, actor=personas.admin)
    assert not StageRule.objects.exists()


def test_the_pipeline_settings_screen_adds_and_removes_a_rule(
    client: Client, personas: Any
) -> None:
    pipeline = real_estate_pipeline()
    quoted = stage_named(pipeline, "Cotizado")
    signed_in = client_for(client, personas.admin)
    response = signed_in.post(
        reverse("deals:stage_rule_add", args=[pipeline.pk]),
        {"stage": quoted.pk, "subject": "Hacer seguimiento", "due_hours": 24, "priority": "high"},
    )
    assert response.status_code == 302
    rule = StageRule.objects.get()
    page = signed_in.get(reverse("deals:pipeline_edit", args=[pipeline.pk])).content.decode()
    assert "Hacer seguimiento" in page and f'id="rule-{rule.pk}"' in page
    signed_in.post(reverse("deals:stage_rule_remove", args=[pipeline.pk, rule.pk]))
    assert not StageRule.objects.exists()
    other = real_estate_pipeline("Otro")
    foreign = StageRuleFactory.create(stage=stage_named(other, "Cotizado"))
    response = signed_in.post(reverse("deals:stage_rule_remove", args=[pipeline.pk, foreign.pk]))
    assert response.status_code == 404
