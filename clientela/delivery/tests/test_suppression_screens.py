"""The suppression list screen and API: search, add, import, remove with a reason, export."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clientela.accounts.services import create_token
from clientela.contacts.tests.factories import ContactFactory
from clientela.delivery.choices import MailOpsVerb
from clientela.delivery.models import Suppression
from clientela.delivery.tests.factories import SuppressionFactory
from clientela.timeline.models import Event

pytestmark = pytest.mark.django_db


def test_it_lists_and_searches_suppressions_escaped(
    client, personas, django_assert_max_num_queries
):
    SuppressionFactory.create(email="ana@example.co", detail="<script>x</script>")
    SuppressionFactory.create(email="luis@example.co", reason="unsubscribed")
    SuppressionFactory.create_batch(30)
    client.force_login(personas.admin)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("delivery:suppression_list"), {"q": "AN"})
    text = page.content.decode()
    assert "ana@example.co" in text and "luis@example.co" not in text
    assert "<script>x" not in text and "&lt;script&gt;" in text
    only = client.get(reverse("delivery:suppression_list"), {"reason": "unsubscribed"})
    assert "luis@example.co" in only.content.decode()
    assert "ana@example.co" not in only.content.decode()


def test_it_adds_an_address_normalised_and_puts_it_on_the_contacts_timeline(client, personas):
    contact = ContactFactory.create(email="ana@example.co")
    client.force_login(personas.admin)
    response = client.post(
        reverse("delivery:suppression_add"),
        {"email": " Ana@Example.CO ", "reason": "manual", "detail": "Pidió no más correos"},
    )
    assert response.status_code == 302
    item = Suppression.objects.get()
    assert (item.email, item.reason, item.created_by) == (
        "ana@example.co",
        "manual",
        personas.admin,
    )
    assert Event.objects.filter(verb=MailOpsVerb.SUPPRESSED, contact_id=contact.pk).exists()


def test_a_bad_address_gets_a_field_message_and_nothing_is_stored(client, personas):
    client.force_login(personas.admin)
    response = client.post(
        reverse("delivery:suppression_add"), {"email": "no es correo", "reason": "manual"}
    )
    assert response.status_code == 400
    assert "no es un correo electrónico válido" in response.content.decode()
    assert not Suppression.objects.exists()


def test_it_imports_a_file_keeping_the_good_lines_and_naming_the_bad(client, personas):
    SuppressionFactory.create(email="ya@example.co")
    upload = SimpleUploadedFile(
        "lista.csv", b"correo,nombre\nuno@example.co,Uno\nmalo\nYA@example.co,Ya\ndos@example.co\n",
        content_type="text/csv",
    )  # fmt: skip
    client.force_login(personas.admin)
    response = client.post(
        reverse("delivery:suppression_import"), {"file": upload, "reason": "invalid"}, follow=True
    )
    text = response.content.decode()
    assert "2 direcciones agregadas, 1 ya estaban en la lista." in text
    assert "Línea 3" in text
    assert set(Suppression.objects.filter(reason="invalid").values_list("email", flat=True)) == {
        "uno@example.co", "dos@example.co",
    }  # fmt: skip


def test_removing_needs_a_reason_and_is_audited(client, personas):
    item = SuppressionFactory.create(email="ana@example.co")
    client.force_login(personas.admin)
    url = reverse("delivery:suppression_remove", args=[item.pk])
    client.post(url, {"reason": ""})
    assert Suppression.objects.filter(pk=item.pk).exists()
    client.post(url, {"reason": "Escribió pidiendo volver"})
    assert not Suppression.objects.filter(pk=item.pk).exists()
    event = Event.objects.get(verb=MailOpsVerb.UNSUPPRESSED)
    assert event.data["detail"] == "Escribió pidiendo volver" and event.actor == personas.admin


def test_it_exports_the_filtered_list_with_neutralised_formulas(client, personas):
    SuppressionFactory.create(email="ana@example.co", detail='=HYPERLINK("x")')
    SuppressionFactory.create(email="luis@example.co", reason="complaint")
    client.force_login(personas.admin)
    response = client.get(
        reverse("delivery:suppression_export", args=["csv"]), {"reason": "hard_bounce"}
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))  # Spanish CSV: semicolons
    assert rows[0] == ["Correo electrónico", "Motivo", "Detalle", "Agregada"]
    assert [row[0] for row in rows[1:]] == ["ana@example.co"]
    assert not rows[1][2].startswith("=")


def test_the_api_lists_creates_and_deletes_with_a_reason(client, personas):
    _token, raw = create_token(personas.admin, actor=personas.admin)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    created = client.post(
        "/api/v1/suppressions", {"email": "Ana@Example.co", "reason": "complaint"},
        content_type="application/json", **auth,
    )  # fmt: skip
    assert created.status_code == 201 and created.json()["email"] == "ana@example.co"
    bad = client.post(
        "/api/v1/suppressions", {"email": "x"}, content_type="application/json", **auth
    )
    assert bad.status_code == 400 and "email" in bad.json()["errors"]
    listed = client.get("/api/v1/suppressions", {"q": "ana"}, **auth).json()
    assert [item["email"] for item in listed["items"]] == ["ana@example.co"]
    pk = listed["items"][0]["id"]
    assert client.delete(f"/api/v1/suppressions/{pk}", **auth).status_code == 400
    assert client.delete(f"/api/v1/suppressions/{pk}?reason=error", **auth).status_code == 204
    assert not Suppression.objects.exists()
