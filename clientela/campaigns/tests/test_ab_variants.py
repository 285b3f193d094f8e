"""A/B tests of the sender and of the content: validation, screens, API, and the winner's mail.

The end-to-end tests send through a real SMTP server (aiosmtpd): the sample gets both
variants, people open variant B's messages through their tracking pixel's token, and after the
wait the rest of the audience receives B's sender (or B's template) — read back from the
messages the server received.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from email.utils import parseaddr
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from clientela.accounts.services import create_token
from clientela.campaigns.choices import CampaignState, Phase
from clientela.campaigns.models import Campaign, CampaignRecipient
from clientela.campaigns.services import sending
from clientela.campaigns.services.campaigns import update_campaign
from clientela.campaigns.tests.factories import (
    EnteredCampaignFactory,
    EnteredTemplateFactory,
    build_audience,
    consent,
)
from clientela.contacts.tests.factories import ContactFactory
from clientela.core.exceptions import ValidationFailed
from clientela.core.testing import client_for
from clientela.delivery.services.engagement import record_open
from clientela.delivery.services.sending import send_due
from clientela.segments.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120"
PIXEL = re.compile(r"/m/o/([A-Za-z0-9_-]+)")
OFFER_BLOCKS_ES = [
    {"type": "heading", "text": "Oferta B para {{ contacto.nombre|default:'usted' }}", "level": 1},
    {"type": "text", "text": "Solo esta semana: envío gratis."},
    {"type": "footer"},
]
OFFER_BLOCKS_EN = [
    {"type": "heading", "text": "Offer B for {{ contact.first_name|default:'you' }}", "level": 1},
    {"type": "text", "text": "This week only: free shipping."},
    {"type": "footer"},
]


def _offer_template(actor: Any) -> Any:
    return EnteredTemplateFactory.create(
        actor=actor,
        name="Oferta",
        subject_es="Oferta de la semana",
        subject_en="Offer of the week",
        blocks_es=OFFER_BLOCKS_ES,
        blocks_en=OFFER_BLOCKS_EN,
    )


def _wide_audience() -> Any:
    """The small audience plus twelve consenting contacts, so a 50 % sample and a rest exist."""
    audience = build_audience()
    for n in range(12):
        contact = ContactFactory.create(
            first_name=f"Persona{n}", email=f"persona{n}@example.net", language="es"
        )
        consent(contact)
        MembershipFactory.create(segment=audience.segment, contact=contact)
    return audience


def _ab_campaign(personas: Any, audience: Any, **extra: Any) -> Any:
    template = EnteredTemplateFactory.create(actor=personas.marketer)
    return EnteredCampaignFactory.create(
        actor=personas.marketer,
        template=template,
        segments=[audience.segment],
        from_name="Tienda Andina",
        from_email="hola@tienda.example",
        ab_sample_percent=50,
        ab_wait_hours=1,
        **extra,
    )


def _run_sample_and_open_b(campaign: Any, smtp_server: Any) -> tuple[list[Any], dt.datetime]:
    """Send the sample, open every variant-B message it received; return the sample's mail."""
    start = timezone.now() - dt.timedelta(hours=2)
    sending.send_campaign(campaign, actor=campaign.created_by)
    sending.advance(campaign.pk, now=start)
    sample = CampaignRecipient.objects.filter(campaign=campaign, phase=Phase.TEST)
    assert sample.filter(variant__label="A").exists() and sample.filter(variant__label="B").exists()
    assert CampaignRecipient.objects.filter(campaign=campaign, phase=Phase.REST).exists()
    send_due(owner="test")
    received = list(smtp_server.messages)
    assert len(received) == sample.count()
    b_addresses = set(sample.filter(variant__label="B").values_list("email", flat=True))
    for mail in received:
        if mail.recipients[0] in b_addresses:
            token = PIXEL.search(mail.part("text/html"))
            assert token is not None
            # A person opens it an hour later (not a prefetcher right after delivery).
            assert record_open(
                token.group(1), user_agent=BROWSER, now=timezone.now() + dt.timedelta(hours=1)
            )
    return received, start


def _rest_mail(campaign: Any, smtp_server: Any, sample_mail: list[Any]) -> list[Any]:
    sending.advance(campaign.pk)  # the wait is over: B wins and the rest is queued with it
    campaign.refresh_from_db()
    assert campaign.ab_decided_at is not None
    assert campaign.variants.get(is_winner=True).label == "B"
    send_due(owner="test")
    rest = set(
        CampaignRecipient.objects.filter(campaign=campaign, phase=Phase.REST).values_list(
            "email", flat=True
        )
    )
    mail: list[Any] = smtp_server.messages[len(sample_mail) :]
    assert sorted(m.recipients[0] for m in mail) == sorted(rest)
    return mail


# --- Validation -------------------------------------------------------------------------------


def test_a_sender_test_needs_a_variant_b_sender_that_differs_from_a(personas):
    audience = build_audience()
    with pytest.raises(ValidationFailed) as missing:
        _ab_campaign(personas, audience, ab_target="sender")
    assert missing.value.errors == {"from_name_b": ["Write variant B's sender name or address."]}

    with pytest.raises(ValidationFailed) as same:
        _ab_campaign(
            personas,
            audience,
            ab_target="sender",
            from_name_b="Tienda Andina",
            from_email_b="HOLA@tienda.example",
        )
    assert same.value.errors == {"from_name_b": ["Give variant B a sender that differs from A's."]}

    with pytest.raises(ValidationFailed) as bad:
        _ab_campaign(personas, audience, ab_target="sender", from_email_b="ana@")
    assert list(bad.value.errors) == ["from_email_b"]


def test_sender_addresses_come_from_the_allowed_senders(personas, settings):
    settings.CLIENTELA = {**settings.CLIENTELA, "CAMPAIGN_SENDERS": ["@tienda.example"]}
    audience = build_audience()
    with pytest.raises(ValidationFailed) as refused:
        _ab_campaign(personas, audience, ab_target="sender", from_email_b="ofertas@otra.example")
    assert refused.value.errors == {
        "from_email_b": ["Use one of the allowed sender addresses: @tienda.example."]
    }
    campaign = _ab_campaign(
        personas, audience, ab_target="sender", from_email_b="Ofertas@Tienda.example"
    )
    assert campaign.variants.get(label="B").from_email == "ofertas@tienda.example"
    with pytest.raises(ValidationFailed) as a_refused:
        update_campaign(campaign, actor=personas.marketer, data={"from_email": "x@otra.example"})
    assert list(a_refused.value.errors) == ["from_email"]


def test_a_content_test_needs_a_second_template(personas):
    audience = build_audience()
    template = EnteredTemplateFactory.create(actor=personas.marketer)
    with pytest.raises(ValidationFailed) as missing:
        EnteredCampaignFactory.create(
            actor=personas.marketer,
            template=template,
            segments=[audience.segment],
            ab_target="content",
        )
    assert missing.value.errors == {"template_b": ["Choose variant B's template."]}
    with pytest.raises(ValidationFailed) as same:
        EnteredCampaignFactory.create(
            actor=personas.marketer,
            template=template,
            segments=[audience.segment],
            ab_target="content",
            template_b=template.pk,
        )
    assert same.value.errors == {"template_b": ["Choose a template other than variant A's."]}


# --- The winner's variant reaches the rest (real SMTP) ----------------------------------------


def test_a_sender_test_sends_the_winning_sender_to_the_rest(personas, smtp_server):
    audience = _wide_audience()
    campaign = _ab_campaign(
        personas,
        audience,
        ab_target="sender",
        from_name_b="Ana de Tienda Andina",
        from_email_b="ana@tienda.example",
    )
    sample_mail, _start = _run_sample_and_open_b(campaign, smtp_server)
    senders = {parseaddr(m.message["From"]) for m in sample_mail}
    assert senders == {
        ("Tienda Andina", "hola@tienda.example"),
        ("Ana de Tienda Andina", "ana@tienda.example"),
    }

    rest = _rest_mail(campaign, smtp_server, sample_mail)

    assert {parseaddr(m.message["From"]) for m in rest} == {
        ("Ana de Tienda Andina", "ana@tienda.example")
    }
    # Only the sender varies: the rest's subject is the campaign's template's.
    assert all(re.search(r"Novedades|news", m.message["Subject"]) for m in rest)
    campaign.refresh_from_db()
    sending.advance(campaign.pk)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SENT


def test_a_content_test_sends_the_winning_template_to_the_rest(personas, smtp_server):
    audience = _wide_audience()
    offer = _offer_template(personas.marketer)
    campaign = _ab_campaign(personas, audience, ab_target="content", template_b=offer.pk)
    sample_mail, _start = _run_sample_and_open_b(campaign, smtp_server)
    subjects = {m.message["Subject"].split(",")[0] for m in sample_mail}
    assert "Oferta de la semana" in subjects and "Novedades de este mes" in subjects

    rest = _rest_mail(campaign, smtp_server, sample_mail)

    for mail in rest:
        english = mail.recipients[0] == "john@example.com"
        assert mail.message["Subject"] == (
            "Offer of the week" if english else "Oferta de la semana"
        )
        html, text = mail.part("text/html"), mail.part("text/plain")
        assert ("free shipping" if english else "envío gratis") in html
        assert ("free shipping" if english else "envío gratis") in text
        assert "Novedades" not in html and "news" not in text
        assert parseaddr(mail.message["From"]) == ("Tienda Andina", "hola@tienda.example")


# --- Screens and API --------------------------------------------------------------------------


def test_the_campaign_form_saves_a_sender_variant_and_shows_field_errors(client, personas):
    audience = build_audience()
    template = EnteredTemplateFactory.create(actor=personas.marketer)
    signed_in = client_for(client, personas.marketer, language="en")
    form = {
        "name": "Remitentes",
        "template": template.pk,
        "purpose": "newsletter",
        "segments": [audience.segment.pk],
        "from_name": "Tienda Andina",
        "from_email": "hola@tienda.example",
        "ab_target": "sender",
        "ab_sample_percent": 20,
        "ab_wait_hours": 4,
        "ab_metric": "opens",
        "attribution_days": 7,
    }
    refused = signed_in.post(reverse("campaigns:create"), form)
    assert refused.status_code == 200
    assert "Write variant B&#x27;s sender name or address." in refused.content.decode()

    bad = signed_in.post(reverse("campaigns:create"), {**form, "from_email_b": "ana@"})
    assert bad.status_code == 200
    field = re.search(
        r'<div class="field field-error">\s*<label for="id_from_email_b">.*?</div>',
        bad.content.decode(),
        re.S,
    )
    assert field is not None and "is not a valid" in field.group(0)

    saved = signed_in.post(
        reverse("campaigns:create"),
        {**form, "from_name_b": "Ana", "from_email_b": "ana@tienda.example"},
    )
    assert saved.status_code == 302
    campaign = Campaign.objects.get(name="Remitentes")
    b = campaign.variants.get(label="B")
    assert (b.from_name, b.from_email) == ("Ana", "ana@tienda.example")
    edit = signed_in.get(reverse("campaigns:edit", args=[campaign.pk]))
    assert 'value="ana@tienda.example"' in edit.content.decode()
    detail = signed_in.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert "Ana &lt;ana@tienda.example&gt;" in detail
    assert "Tienda Andina &lt;hola@tienda.example&gt;" in detail


def test_the_campaign_page_shows_each_variants_results(client, personas, smtp_server):
    audience = _wide_audience()
    offer = _offer_template(personas.marketer)
    campaign = _ab_campaign(personas, audience, ab_target="content", template_b=offer.pk)
    _run_sample_and_open_b(campaign, smtp_server)
    sample = CampaignRecipient.objects.filter(campaign=campaign, phase=Phase.TEST)
    sent_a = sample.filter(variant__label="A").count()
    sent_b = sample.filter(variant__label="B").count()

    page = client_for(client, personas.marketer, language="en").get(
        reverse("campaigns:detail", args=[campaign.pk])
    )

    html = page.content.decode()
    assert f"{sent_a} sent · 0 unique opens · 0 unique clicks" in html
    assert f"{sent_b} sent · {sent_b} unique opens · 0 unique clicks" in html
    assert "Oferta" in html  # variant B's template is named


def test_the_api_creates_and_shows_a_sender_variant(client, personas):
    audience = build_audience()
    template = EnteredTemplateFactory.create(actor=personas.marketer)
    _token, raw = create_token(personas.marketer, actor=personas.marketer)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    body = {
        "name": "API remitente",
        "template": template.pk,
        "segments": [audience.segment.pk],
        "from_name": "Tienda Andina",
        "ab_target": "sender",
        "from_email_b": "ana@",
    }
    refused = client.post("/api/v1/campaigns", body, content_type="application/json", **headers)
    assert refused.status_code in (400, 422)
    assert "from_email_b" in refused.content.decode()

    body["from_email_b"] = "ana@tienda.example"
    created = client.post("/api/v1/campaigns", body, content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    variants = {v["label"]: v for v in created.json()["variants"]}
    assert variants["B"]["from_email"] == "ana@tienda.example"
    assert variants["A"]["from_email"] == ""


# --- Report export ----------------------------------------------------------------------------


def _export_rows(signed_in: Any, campaign: Any, fmt: str) -> list[dict[str, Any]]:
    """Download the report's export and return its rows keyed by the header."""
    response = signed_in.get(reverse("campaigns:report_export", args=[campaign.pk, fmt]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        table = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    else:
        sheet = load_workbook(io.BytesIO(body)).active
        assert sheet is not None
        table = [list(row) for row in sheet.iter_rows(values_only=True)]
        # The sheet may open with a title row: the table starts at the header.
        table = table[next(i for i, row in enumerate(table) if row and row[0] == "Variant") :]
    header, *rows = table
    return [dict(zip(header, row, strict=False)) for row in rows if row and row[0]]


@pytest.mark.parametrize("target", ["sender", "content"])
def test_the_report_export_carries_each_variants_subject_sender_and_template(
    client, personas, smtp_server, target
):
    audience = _wide_audience()
    offer = _offer_template(personas.marketer)
    extra: dict[str, Any] = (
        {"from_name_b": "Ana de Tienda Andina", "from_email_b": "ana@tienda.example"}
        if target == "sender"
        else {"template_b": offer.pk}
    )
    campaign = _ab_campaign(personas, audience, ab_target=target, **extra)
    sample_mail, _start = _run_sample_and_open_b(campaign, smtp_server)
    _rest_mail(campaign, smtp_server, sample_mail)
    signed_in = client_for(client, personas.marketer, language="en")
    template = campaign.template
    sender_b = (
        "Ana de Tienda Andina <ana@tienda.example>"
        if target == "sender"
        else "Tienda Andina <hola@tienda.example>"
    )
    expected = {
        "A": ("", template.subject_es, template.subject_en, "Tienda Andina <hola@tienda.example>",
              template.name),
        "B": ("Winner", *(("Oferta de la semana", "Offer of the week") if target == "content"
                          else (template.subject_es, template.subject_en)),
              sender_b, offer.name if target == "content" else template.name),
    }  # fmt: skip
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    addresses = {
        label: set(recipients.filter(variant__label=label).values_list("email", flat=True))
        for label in "AB"
    }
    # What the SMTP server received, per variant.
    sent = {
        label: sum(1 for m in smtp_server.messages if m.recipients[0] in addresses[label])
        for label in "AB"
    }
    opened_b = recipients.filter(phase=Phase.TEST, variant__label="B").count()
    assert sent["A"] > 0 and sent["B"] > 0

    for fmt in ("csv", "xlsx"):
        rows = {row["Variant"]: row for row in _export_rows(signed_in, campaign, fmt)}
        assert set(rows) == {"All", "A", "B"}
        for label in "AB":
            row = rows[label]
            shown = tuple(
                str(row[key] or "")
                for key in (
                    "Winner",
                    "Subject (Spanish)",
                    "Subject (English)",
                    "Sender",
                    "Template",
                )
            )
            assert shown == expected[label], (fmt, label)
            assert int(row["Sent"]) == sent[label], (fmt, label)
        # Every sample message of variant B was opened (by a person, an hour after delivery).
        assert int(rows["B"]["Unique opens"]) == opened_b
        assert int(rows["A"]["Unique opens"]) == 0
        assert int(rows["All"]["Sent"]) == len(smtp_server.messages)
        # The whole campaign's row spans both variants: it names no single subject.
        assert rows["All"]["Subject (Spanish)"] in ("", None)
