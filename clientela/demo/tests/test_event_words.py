"""Every event the demo writes reads in words in Spanish and English: each detail has a label
in the reader's language (never a stored key made readable, like "Field added" on a Spanish
screen), and the codes Clientela itself stores read as words too."""

from __future__ import annotations

import pytest
from django.utils import translation

from clientela.core.events import humanize_key
from clientela.demo.seeding import load_demo
from clientela.timeline.models import Event
from clientela.timeline.queries import describe_event

pytestmark = pytest.mark.django_db

# Codes Clientela stores in event data (activity origins, invoice states, suppression details).
SYSTEM_CODES = {"demo", "open", "paid", "void", "billing.overdue", "deals.stage_rule",
                "webforms.assignment", "one-click", "mailto", "complaint"}  # fmt: skip


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_demo_event_detail_has_a_label_and_no_system_code(language: str) -> None:
    load_demo(contacts=120)
    unlabelled, codes = set(), set()
    events = 0
    with translation.override(language):
        for event in Event.objects.iterator():
            events += 1
            data = event.data if isinstance(event.data, dict) else {}
            raw_labels = {humanize_key(name): name for name in data}
            for label, old, new in describe_event(event)["details"]:
                if label in raw_labels and language == "es":
                    unlabelled.add((event.verb, raw_labels[label]))
                codes |= {(event.verb, label, text) for text in (old, new) if text in SYSTEM_CODES}
    assert events > 1000
    assert not unlabelled, sorted(unlabelled)
    assert not codes, sorted(codes)
