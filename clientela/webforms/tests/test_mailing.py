"""Lead capture's e-mails through delivery to a real SMTP server: welcome, opt-in, the rep."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.contacts.choices import ConsentStatus
from clientela.contacts.models import Consent
from clientela.delivery.models import Message
from clientela.delivery.services.sending import send_due
from clientela.webforms.choices import AssignmentStrategy
from clientela.webforms.models import Submission
from clientela.webforms.services import assigning
from clientela.webforms.services.submitting import follow_up_pending, process_received
from clientela.webforms.tests.factories import answer, webinar_form

pytestmark = pytest.mark.django_db


def _post(form: Any, capture: Any, language: str = "es", **values: Any) -> Any:
    """Post as a visitor, then run the worker's follow-up of the submission."""
    data = answer(form, **values)
    with capture(execute=True):
        response = Client().post(
            reverse("webforms:public", kwargs={"public_id": form.public_id}),
            json.dumps(data), content_type="application/json", HTTP_ACCEPT="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )  # fmt: skip
    process_received()
    follow_up_pending()
    return response


def test_a_submission_sends_the_welcome_in_the_contacts_language_and_the_opt_in_link(
    smtp_server: Any, django_capture_on_commit_callbacks: Any, personas: Any
) -> None:
    form = webinar_form(
        welcome_subject_es='Bienvenida al webinar, {{ contacto.nombre|default:"amigo" }}',
        welcome_body_es="Hola {{ first_name }}:\nLe esperamos el jueves.",
        welcome_subject_en="Welcome to the webinar, {{ contact.first_name|default('friend') }}",
        welcome_body_en="Hi {{ first_name }},\nSee you on Thursday.",
    )
    assigning.save_rule(None, actor=personas.manager, data={
        "name": "Todos", "strategy": AssignmentStrategy.ROUND_ROBIN,
        "members": [personas.rep.pk], "task_es": "Llamar dentro de 24 h",
    })  # fmt: skip
    consent = form.consents.get()
    response = _post(
        form, django_capture_on_commit_callbacks, first_name="<b>Ana</b>",
        email="ana@example.co", language="en", **{consent.input_name: "1"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    # Welcome, confirmation and the rep's notice, queued once each.
    assert sorted(Message.objects.values_list("kind", flat=True)) == [
        "webforms.confirm", "webforms.lead_assigned", "webforms.welcome",
    ]  # fmt: skip
    assert send_due(owner="test")["sent"] == 3
    by_subject = {m.message["Subject"]: m for m in smtp_server.messages}
    welcome = by_subject["Welcome to the webinar, <b>Ana</b>"]
    assert welcome.recipients == ["ana@example.co"]
    assert "Hi &lt;b&gt;Ana&lt;/b&gt;" in welcome.part("text/html")
    assert "Hi <b>Ana</b>," in welcome.part("text/plain")
    rep_notice = next(m for m in smtp_server.messages if m.recipients == ["rep@example.co"])
    assert "/contacts/" in rep_notice.part("text/plain")
    confirm = next(m for m in smtp_server.messages if "/f/confirm/" in m.part("text/plain"))
    link = re.search(r"(/f/confirm/\S+)", confirm.part("text/plain"))
    assert link is not None
    assert Consent.objects.get().status == ConsentStatus.PENDING
    clicked = Client().get(link.group(1), HTTP_USER_AGENT="Mail client")
    assert clicked.status_code == 200
    assert Consent.objects.latest("id").status == ConsentStatus.GRANTED


def test_a_double_post_sends_one_welcome(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    form = webinar_form(welcome_subject_es="Hola", welcome_body_es="Gracias {{ first_name }}")
    token_values = answer(form, first_name="Ana", email="ana@example.co")
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            Client().post(
                reverse("webforms:public", kwargs={"public_id": form.public_id}),
                json.dumps(token_values), content_type="application/json",
                HTTP_ACCEPT="application/json",
            )  # fmt: skip
        process_received()
        follow_up_pending()
    assert Message.objects.filter(kind="webforms.welcome").count() == 1


def test_a_submission_joins_the_visitors_earlier_web_history(
    django_capture_on_commit_callbacks: Any,
) -> None:
    from clientela.timeline.models import Event
    from clientela.tracking.models import Event as Visit
    from clientela.tracking.tests.factories import EventFactory, VisitorFactory

    form = webinar_form()
    visitor = VisitorFactory.create()
    EventFactory.create_batch(3, visitor=visitor, contact=None, path="/precios")
    response = _post(form, django_capture_on_commit_callbacks, first_name="Ana",
                     email="ana@example.co", clientela_visitor=visitor.key)  # fmt: skip
    assert response.status_code == 201, response.content
    contact = Submission.objects.get().contact
    assert contact is not None
    assert Visit.objects.filter(contact=contact).count() == 3
    assert Event.objects.filter(contact_id=contact.pk, verb="visitor_identified").exists()
