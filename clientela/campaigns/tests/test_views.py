"""The campaign screens as a marketer uses them: gallery, block editor, preview, test, send."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clientela.campaigns.choices import CampaignState
from clientela.campaigns.models import Campaign, EmailTemplate, TemplateImage
from clientela.campaigns.tests.factories import (
    EnteredCampaignFactory,
    EnteredTemplateFactory,
    build_audience,
    png_bytes,
)
from clientela.delivery.models import Message
from clientela.delivery.services.sending import send_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketer_client(client, personas):
    client.force_login(personas.marketer)
    return client


def test_a_starter_from_the_gallery_becomes_a_bilingual_template(marketer_client):
    response = marketer_client.post(reverse("campaigns:template_create"), {"starter": "birthday"})

    template = EmailTemplate.objects.get()
    assert response.status_code == 302
    assert template.starter == "birthday"
    assert "cumpleaños" in template.subject_es and "birthday" in template.subject_en
    page = marketer_client.get(reverse("campaigns:template_edit", args=[template.pk]) + "?lang=en")
    assert "Happy birthday!" in page.content.decode()


def test_the_block_editor_adds_moves_and_removes_blocks_before_saving(marketer_client):
    url = reverse("campaigns:template_create")
    base = {
        "name": "Lanzamiento",
        "mode": "blocks",
        "subject": 'Hola {{ contacto.nombre|default:"amigo" }}',
        "lang": "es",
        "b-0-type": "heading",
        "b-0-text": "Nuevo producto",
        "b-1-type": "text",
        "b-1-text": "Ya está disponible.",
    }
    added = marketer_client.post(url, {**base, "action": "add:button"})
    assert added.status_code == 200 and 'name="b-2-type" value="button"' in added.content.decode()
    assert not EmailTemplate.objects.exists()  # an editor button stores nothing

    moved = marketer_client.post(url, {**base, "action": "up:1"})
    html = moved.content.decode()
    assert html.index("Ya está disponible.") < html.index("Nuevo producto")

    saved = marketer_client.post(
        url,
        {**base, "b-2-type": "button", "b-2-text": "Comprar", "b-2-href": "javascript:alert(1)",
         "action": "save"},
    )  # fmt: skip
    assert saved.status_code == 200  # refused: the link's scheme
    assert "los enlaces deben empezar por https://" in saved.content.decode()
    assert not EmailTemplate.objects.exists()

    saved = marketer_client.post(
        url,
        {**base, "b-2-type": "button", "b-2-text": "Comprar", "b-2-href": "https://example.com/p",
         "action": "save"},
    )  # fmt: skip
    assert saved.status_code == 302
    template = EmailTemplate.objects.get()
    assert [b["type"] for b in template.blocks_es] == ["heading", "text", "button"]


def test_a_template_with_a_syntax_error_is_refused_with_the_line(marketer_client):
    response = marketer_client.post(
        reverse("campaigns:template_create"),
        {"name": "Roto", "mode": "blocks", "subject": "Hola {{ contacto.nombre ", "lang": "es",
         "action": "save"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "La plantilla tiene un error en la línea 1" in response.content.decode()
    assert not EmailTemplate.objects.exists()


def test_html_source_is_sanitised_and_gets_the_footer(personas):
    from clientela.campaigns.services.templates import create_template, render_for

    template = create_template(
        actor=personas.marketer,
        data={
            "name": "Código",
            "mode": "html",
            "subject_es": "Hola",
            "html_es": '<p onclick="x()">Hola {{ contacto.nombre|default:"amigo" }}</p>'
            '<script>alert(1)</script><a href="javascript:alert(2)">mal</a>'
            '<a href="https://example.com">bien</a><form><input></form>',
        },
    )
    rendered = render_for(template, None, unsubscribe_url="https://x.example/u/abc")
    assert "Hola amigo" in rendered.html
    for bad in ("<script", "onclick", "javascript:", "<form", "<input"):
        assert bad not in rendered.html
    assert 'href="https://example.com"' in rendered.html
    assert "https://x.example/u/abc" in rendered.html  # the footer's unsubscribe link
    assert "Hola amigo" in rendered.text


def test_preview_as_a_contact_and_test_send_to_oneself(marketer_client, personas, smtp_server):
    audience = build_audience()
    template = EnteredTemplateFactory.create(actor=personas.marketer)

    page = marketer_client.get(
        reverse("campaigns:template_preview", args=[template.pk]), {"contact": audience.john.pk}
    )
    assert page.status_code == 200
    assert "This month&#x27;s news, John" in page.content.decode()

    response = marketer_client.post(
        reverse("campaigns:template_test", args=[template.pk]), {"contact": audience.john.pk}
    )
    assert response.status_code == 302
    send_due(owner="test")
    [received] = smtp_server.messages
    assert received.recipients == [personas.marketer.email]
    assert received.message["Subject"] == "[Test] This month's news, John"
    assert "Hello John" in received.part("text/html") and "Hello John" in received.part(
        "text/plain"
    )
    links = re.findall(r'href="([^"]+)"', received.part("text/html"))
    assert any("/m/c/" in link and "example.com" in link for link in links)  # tracked
    assert received.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_uploaded_images_are_reencoded_and_served_publicly(marketer_client, client):
    response = marketer_client.post(
        reverse("campaigns:image_upload"),
        {
            "image": SimpleUploadedFile(
                "logo.png", png_bytes() + b"<script>", content_type="image/png"
            )
        },
    )
    assert response.status_code == 302
    image = TemplateImage.objects.get()
    assert b"<script>" not in bytes(image.data)

    client.logout()
    served = client.get(reverse("campaigns_public:image", args=[image.token, image.extension]))
    assert served.status_code == 200 and served["Content-Type"] == "image/png"

    refused = marketer_client.post(
        reverse("campaigns:image_upload"),
        {"image": SimpleUploadedFile("x.png", b"not an image", content_type="image/png")},
    )
    assert refused.status_code == 302 and TemplateImage.objects.count() == 1


def test_the_campaign_screen_shows_exclusions_and_sends(marketer_client, personas):
    audience = build_audience()
    template = EnteredTemplateFactory.create(actor=personas.marketer)
    response = marketer_client.post(
        reverse("campaigns:create"),
        {"name": "Boletín de mayo", "template": template.pk, "segments": [audience.segment.pk],
         "purpose": "newsletter",
         "ab_sample_percent": 20, "ab_wait_hours": 4, "ab_metric": "opens",
         "attribution_days": 7, "cost": "250000"},
    )  # fmt: skip
    campaign = Campaign.objects.get()
    assert response.status_code == 302

    page = marketer_client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert re.search(r'data-count="sendable">\s*3<', page)
    assert re.search(r'data-excluded="no_consent">.*?<td class="num">2</td>', page, re.S)
    assert re.search(r'data-excluded="unsubscribed">.*?<td class="num">1</td>', page, re.S)
    assert re.search(r'data-excluded="invalid">.*?<td class="num">1</td>', page, re.S)

    marketer_client.post(reverse("campaigns:send", args=[campaign.pk]), {"schedule_mode": "now"})
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.SENDING
    progress = marketer_client.get(reverse("campaigns:progress", args=[campaign.pk]))
    assert 'hx-trigger="every 2s"' in progress.content.decode()


def test_the_report_exports_and_drills_down(marketer_client, personas):
    from clientela.campaigns.services import sending

    audience = build_audience()
    template = EnteredTemplateFactory.create(actor=personas.marketer)
    campaign = EnteredCampaignFactory.create(
        actor=personas.marketer, template=template, segments=[audience.segment]
    )
    sending.send_campaign(campaign, actor=personas.marketer)
    sending.advance(campaign.pk)
    Message.objects.filter(to_address="ana@example.co").update(state="sent")

    report = marketer_client.get(reverse("campaigns:report", args=[campaign.pk]))
    assert report.status_code == 200
    export = marketer_client.get(reverse("campaigns:report_export", args=[campaign.pk, "csv"]))
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    header, total = list(csv.reader(io.StringIO(text), delimiter=";"))[:2]
    assert header[0] == "Variante"
    column = {name: index for index, name in enumerate(header)}
    assert (total[column["Destinatarios"]], total[column["Enviado"]]) == ("3", "1")
    # Without an A/B test the one row carries the campaign's subject, sender and template.
    assert total[column["Plantilla"]] == template.name
    assert total[column["Asunto (español)"]] == template.subject_es

    drill = marketer_client.get(
        reverse("campaigns:report_contacts", args=[campaign.pk]), {"metric": "sent"}
    ).content.decode()
    assert "ana@example.co" in drill and "john@example.com" not in drill
    saved = marketer_client.post(
        reverse("campaigns:report_save_list", args=[campaign.pk]),
        {"metric": "sent", "name": "Recibieron mayo"},
    )
    assert saved.status_code == 302
    from clientela.segments.models import Segment

    listed = Segment.objects.get(name="Recibieron mayo")
    assert list(listed.memberships.values_list("contact_id", flat=True)) == [audience.ana.pk]
