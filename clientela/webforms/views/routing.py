"""Lead routing screens (rules, in order) and the speed-to-lead report, for managers.

Adapters only: reads from webforms.queries, writes through webforms.services.assigning, which
checks `webforms.route_leads` again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clientela.core.exceptions import ValidationFailed
from clientela.core.http import domain_errors, forbid_unless
from clientela.core.users import AuthenticatedHttpRequest
from clientela.webforms.forms import RuleForm
from clientela.webforms.models import AssignmentRule
from clientela.webforms.queries import may_route_leads, routing_rules, speed_report
from clientela.webforms.services.assigning import delete_rule, move_rule, save_rule

PERIODS = (7, 30, 90)


def _require(request: AuthenticatedHttpRequest) -> None:
    forbid_unless(may_route_leads(request.user), _("Your role cannot change lead routing."))


def _initial(rule: AssignmentRule) -> dict[str, Any]:
    criteria = rule.criteria or {}
    return {
        "name": rule.name,
        "is_active": rule.is_active,
        "form_ids": criteria.get("forms", []),
        "sources": criteria.get("sources", []),
        "products": ", ".join(criteria.get("products", [])),
        "countries": ", ".join(criteria.get("countries", [])),
        "cities": ", ".join(criteria.get("cities", [])),
        "languages": criteria.get("languages", []),
        "strategy": rule.strategy,
        "members": [str(pk) for pk in rule.members.values_list("pk", flat=True)],
        "fixed_owner": str(rule.fixed_owner_id or ""),
        "fallback_owner": str(rule.fallback_owner_id or ""),
        "sla_hours": rule.sla_hours,
        "task_es": rule.task_es,
        "task_en": rule.task_en,
    }


def _data(form: RuleForm) -> dict[str, Any]:
    """Return the form's values as the service reads them (the forms criterion by its name)."""
    data = dict(form.cleaned_data)
    data["forms"] = data.pop("form_ids", [])
    return data


def _edit(request: AuthenticatedHttpRequest, rule: AssignmentRule | None) -> HttpResponse:
    form = RuleForm(request.POST or None, initial=_initial(rule) if rule else None)
    if request.method == "POST" and form.is_valid():
        try:
            version = request.POST.get("version")
            saved = save_rule(
                rule,
                actor=request.user,
                data=_data(form),
                expected_version=int(version) if version and version.isdigit() else None,
            )
        except ValidationFailed as error:
            for key, problems in error.errors.items():
                for problem in problems:
                    form.add_error(key if key in form.fields else None, problem)
        else:
            messages.success(request, _("Rule “%(name)s” saved.") % {"name": saved.name})
            return redirect("webforms:rules")
    return render(request, "webforms/rule_form.html", {"form": form, "rule": rule})


@require_GET
@domain_errors
def rule_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """List the routing rules in the order they are tried."""
    _require(request)
    return render(request, "webforms/rule_list.html", {"rules": list(routing_rules())})


@require_http_methods(["GET", "POST"])
@domain_errors
def rule_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Create a routing rule (tried after the existing ones)."""
    _require(request)
    return _edit(request, None)


@require_http_methods(["GET", "POST"])
@domain_errors
def rule_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Change a routing rule."""
    _require(request)
    return _edit(request, get_object_or_404(AssignmentRule, pk=pk))


@require_POST
@domain_errors
def rule_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Delete a routing rule (its leads keep their owner)."""
    _require(request)
    rule = get_object_or_404(AssignmentRule, pk=pk)
    delete_rule(rule, actor=request.user)
    messages.success(request, _("Rule “%(name)s” deleted.") % {"name": rule.name})
    return redirect("webforms:rules")


@require_POST
@domain_errors
def rule_move(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Move a rule up or down the order."""
    _require(request)
    rule = get_object_or_404(AssignmentRule, pk=pk)
    move_rule(rule, actor=request.user, offset=-1 if request.POST.get("direction") == "up" else 1)
    return redirect("webforms:rules")


@require_GET
@domain_errors
def speed(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show speed to lead per rep and per source, and the leads waiting past their SLA."""
    _require(request)
    raw = request.GET.get("days", "30")
    days = int(raw) if raw.isdigit() and int(raw) in PERIODS else 30
    report = speed_report(request.user, days=days)
    return render(
        request, "webforms/speed.html", {"report": report, "periods": PERIODS, "days": days}
    )
