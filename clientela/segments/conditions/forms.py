"""The condition over web form submissions: "submitted form F (in the last N days)".

Registered here because segments sits above webforms in the stack: webforms knows nothing of
segments. Only processed submissions count (a submission still failing has no contact yet).
The window is by the company's calendar day, like purchases: "in the last 7 days" is from the
start of the day 7 days ago until now.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from clientela.segments.conditions.base import chunks
from clientela.segments.registry import (
    Condition,
    ConditionSpec,
    Context,
    Kind,
    Param,
    register_condition,
)
from clientela.webforms.choices import SubmissionState
from clientela.webforms.models import Form, Submission

FORMS = _("Web forms")


def _form_choices() -> list[tuple[str, Any]]:
    return [
        (str(pk), name)
        for pk, name in Form.objects.order_by("name", "id").values_list("pk", "name")
    ]


def _submissions(condition: Condition, ctx: Context) -> Any:
    try:
        form_id = int(condition.params.get("form") or 0)
    except (TypeError, ValueError):
        form_id = 0
    rows = Submission.objects.filter(form_id=form_id, state=SubmissionState.PROCESSED)
    days = condition.params.get("days")
    if days is not None:
        rows = rows.filter(created_at__gte=ctx.start_of(ctx.today - dt.timedelta(days=int(days))))
    return rows


def _submitted_q(condition: Condition, ctx: Context) -> Q:
    return Q(Exists(_submissions(condition, ctx).filter(contact_id=OuterRef("pk"))))


def _submitted_load(ids: Sequence[int], condition: Condition, ctx: Context) -> dict[int, Any]:
    latest: dict[int, dt.datetime] = {}
    for part in chunks(list(ids)):
        for contact_id, at in (
            _submissions(condition, ctx)
            .filter(contact_id__in=part)
            .values_list("contact_id", "created_at")
        ):
            if contact_id not in latest or at > latest[contact_id]:
                latest[contact_id] = at
    return {pk: latest.get(pk) for pk in ids}


def _submitted_predicate(condition: Condition, value: Any, ctx: Context) -> bool:
    return value is not None


def _submitted_show(value: Any) -> str:
    """Return the why-line: when the contact last sent the form (within the window), or never."""
    if value is None:
        return str(_("not submitted"))
    moment = timezone.localtime(value)
    return str(_("last sent %(when)s")) % {
        "when": formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    }


def register_form_conditions() -> None:
    """Register the web form condition (SegmentsConfig.ready)."""
    register_condition(
        ConditionSpec(
            field="submitted_form",
            label=_("Submitted the web form"),
            group=FORMS,
            kind=Kind.FLAG,
            compile=_submitted_q,
            load=_submitted_load,
            params=(
                Param("form", _("Form"), choices=_form_choices),
                Param("days", _("In the last … days (empty: ever)"), days=True, required=False),
            ),
            predicate=_submitted_predicate,
            show=_submitted_show,
            time_relative=True,
        )
    )
