"""The segment condition "submitted form F in the last N days": SQL and Python agree, and the
why-line says when."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clientela.contacts.tests.factories import ContactFactory
from clientela.segments.engine import compile_q, explain, live_contacts, reference_members
from clientela.segments.tree import parse
from clientela.webforms.choices import SubmissionState
from clientela.webforms.tests.factories import SubmissionFactory, webinar_form

pytestmark = pytest.mark.django_db


def test_it_finds_contacts_who_submitted_the_form_within_the_window() -> None:
    form, other = webinar_form(), webinar_form()
    recent, old, elsewhere, never = (ContactFactory.create() for _ in range(4))
    now = timezone.now()
    SubmissionFactory.create(form=form, contact=recent, state=SubmissionState.PROCESSED)
    SubmissionFactory.create(
        form=form, contact=old, state=SubmissionState.PROCESSED, created_at=now - timedelta(days=40)
    )
    SubmissionFactory.create(form=other, contact=elsewhere, state=SubmissionState.PROCESSED)
    within = parse(
        {"all": [{"field": "submitted_form", "op": "yes", "form": str(form.pk), "days": 30}]}
    )
    ever = parse({"all": [{"field": "submitted_form", "op": "yes", "form": str(form.pk)}]})
    not_within = parse(
        {"all": [{"field": "submitted_form", "op": "no", "form": str(form.pk), "days": 30}]}
    )
    ids = list(live_contacts().values_list("pk", flat=True))
    for tree, expected in (
        (within, {recent.pk}),
        (ever, {recent.pk, old.pk}),
        (not_within, {old.pk, elsewhere.pk, never.pk}),
    ):
        assert set(live_contacts().filter(compile_q(tree)).values_list("pk", flat=True)) == expected
        assert reference_members(tree, ids) == expected
    why = explain(within, recent.pk)
    assert why.matched
    assert "last sent" in str(why.children[0].value) or why.children[0].value
