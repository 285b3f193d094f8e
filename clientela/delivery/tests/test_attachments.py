"""Files sent with an e-mail: stored with the message, checked, and delivered over real SMTP."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from fpdf import FPDF

from clientela.core.exceptions import ValidationFailed
from clientela.core.testing import client_for
from clientela.delivery.models import Attachment, Message, MessageAttachment
from clientela.delivery.services import MAX_ATTACHMENT_BYTES, clean_filename, queue_email
from clientela.delivery.services.sending import send_due
from clientela.delivery.tests.factories import QueuedEmailFactory

pytestmark = pytest.mark.django_db


def _pdf(text: str = "Cotización COT-2026-0001") -> bytes:
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=12)
    document.cell(text=text)
    return bytes(document.output())


def _received_files(received):
    return [
        (part.get_filename(), part.get_content_type(), part.get_content())
        for part in received.message.iter_attachments()
    ]


def test_the_worker_sends_the_pdf_with_its_name_type_and_exact_bytes(smtp_server):
    pdf = _pdf()
    binary = bytes(range(256)) * 40
    message = QueuedEmailFactory.create(
        to="ana@example.co",
        subject="Su cotización COT-2026-0001",
        html="<p>Adjuntamos su cotización.</p>",
        attachments=[
            Attachment("Cotización COT-2026-0001.pdf", pdf, "application/pdf"),
            Attachment("plano.bin", binary, "application/octet-stream"),
        ],
    )
    stored = list(MessageAttachment.objects.filter(message=message).order_by("id"))
    assert [(row.filename, row.mimetype, row.size) for row in stored] == [
        ("Cotización COT-2026-0001.pdf", "application/pdf", len(pdf)),
        ("plano.bin", "application/octet-stream", len(binary)),
    ]

    assert send_due(owner="test")["sent"] == 1

    [received] = smtp_server.messages
    assert received.message.get_content_type() == "multipart/mixed"
    assert _received_files(received) == [
        ("Cotización COT-2026-0001.pdf", "application/pdf", pdf),
        ("plano.bin", "application/octet-stream", binary),
    ]
    # The body is still there, both parts.
    assert "Adjuntamos su cotización." in received.part("text/html")
    assert "Adjuntamos su cotización." in received.part("text/plain")


def test_a_retry_sends_the_same_attachment_again(smtp_server):
    smtp_server.answer("lento@example.co", "451 4.7.1 Greylisted, try again later")
    pdf = _pdf("Factura FAC-2026-0001")
    message = QueuedEmailFactory.create(
        to="lento@example.co",
        attachments=[Attachment("FAC-2026-0001.pdf", pdf, "application/pdf")],
    )
    assert send_due(owner="test")["deferred"] == 1
    assert smtp_server.messages == []

    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert send_due(owner="test")["sent"] == 1
    [received] = smtp_server.messages
    assert _received_files(received) == [("FAC-2026-0001.pdf", "application/pdf", pdf)]
    assert MessageAttachment.objects.filter(message=message).count() == 1


def test_messages_without_attachments_stay_single_part(smtp_server):
    QueuedEmailFactory.create(to="ana@example.co")
    send_due(owner="test")
    [received] = smtp_server.messages
    assert received.message.get_content_type() == "multipart/alternative"
    assert _received_files(received) == []


def test_attachments_above_the_size_limit_are_refused_and_nothing_is_stored():
    half = b"x" * (MAX_ATTACHMENT_BYTES // 2)
    with pytest.raises(ValidationFailed) as caught:
        QueuedEmailFactory.create(
            attachments=[
                Attachment("a.pdf", half, "application/pdf"),
                Attachment("b.pdf", half + b"y", "application/pdf"),
            ]
        )
    assert caught.value.errors == {
        "attachments": ["The attachments weigh 10.0\xa0MB; a message carries at most 10.0\xa0MB."]
    }
    assert Message.objects.count() == 0 and MessageAttachment.objects.count() == 0
    # Exactly at the limit is fine.
    QueuedEmailFactory.create(
        attachments=[
            Attachment("a.pdf", half, "application/pdf"),
            Attachment("b.pdf", half, "application/pdf"),
        ]
    )
    assert MessageAttachment.objects.count() == 2


@pytest.mark.parametrize(
    ("attachment", "error"),
    [
        (Attachment("../", b"%PDF", "application/pdf"), "Every attachment needs a file name."),
        (Attachment("\r\n", b"%PDF", "application/pdf"), "Every attachment needs a file name."),
        (Attachment("vacio.pdf", b"", "application/pdf"), "The attachment “vacio.pdf” is empty."),
        (
            Attachment("x.pdf", b"%PDF", "application/pdf\r\nBcc: x@example.co"),
            "The attachment “x.pdf” has no valid file type.",
        ),
        (Attachment("x.pdf", b"%PDF", "pdf"), "The attachment “x.pdf” has no valid file type."),
        (Attachment("x.pdf", b"%PDF", ""), "The attachment “x.pdf” has no valid file type."),
    ],
)
def test_a_bad_attachment_is_a_field_error(attachment, error):
    with pytest.raises(ValidationFailed) as caught:
        QueuedEmailFactory.create(attachments=[attachment])
    assert caught.value.errors == {"attachments": [error]}
    assert Message.objects.count() == 0


def test_a_message_carries_at_most_ten_attachments():
    files = [Attachment(f"{n}.txt", b"hola", "text/plain") for n in range(11)]
    with pytest.raises(ValidationFailed) as caught:
        QueuedEmailFactory.create(attachments=files)
    assert caught.value.errors == {"attachments": ["A message carries at most 10 attachments."]}


def test_file_names_lose_folders_line_breaks_and_excess_length():
    assert clean_filename("../../etc/Cotización\r\nBcc: x@example.co.pdf") == (
        "Cotización Bcc: x@example.co.pdf"
    )
    assert clean_filename("C:\\Users\\ana\\Factura FAC-1.pdf") == "Factura FAC-1.pdf"
    assert clean_filename("  .oculto\t.pdf  ") == "oculto .pdf"
    long = clean_filename("a" * 300 + ".pdf")
    assert len(long) == 150 and long.endswith("aaa.pdf")
    message = QueuedEmailFactory.create(
        attachments=[Attachment("/tmp/x/Cotización\n1.pdf", b"%PDF", "Application/PDF")]
    )
    row = MessageAttachment.objects.get(message=message)
    assert (row.filename, row.mimetype) == ("Cotización 1.pdf", "application/pdf")


def test_the_idempotency_key_returns_the_first_message_with_its_own_attachments():
    first = QueuedEmailFactory.create(
        idempotency_key="quote:1:send",
        attachments=[Attachment("COT-1.pdf", b"%PDF-first", "application/pdf")],
    )
    again = QueuedEmailFactory.create(
        idempotency_key="quote:1:send",
        attachments=[
            Attachment("COT-1.pdf", b"%PDF-second", "application/pdf"),
            Attachment("otro.pdf", b"%PDF-other", "application/pdf"),
        ],
    )
    assert again.pk == first.pk
    # PostgreSQL returns a BinaryField as a memoryview, SQLite as bytes.
    stored = MessageAttachment.objects.values_list("message_id", "filename", "content")
    assert [(pk, name, bytes(content)) for pk, name, content in stored] == [
        (first.pk, "COT-1.pdf", b"%PDF-first")
    ]


def test_attachments_roll_back_with_the_callers_transaction():
    def send_then_fail() -> None:
        with transaction.atomic():
            queue_email(
                to="ana@example.co",
                subject="Cotización",
                html="<p>Hola</p>",
                kind="delivery.test",
                attachments=[Attachment("COT-1.pdf", b"%PDF", "application/pdf")],
            )
            raise RuntimeError("the quote could not be saved")

    with pytest.raises(RuntimeError):
        send_then_fail()
    assert Message.objects.count() == 0 and MessageAttachment.objects.count() == 0


def test_the_message_screen_lists_the_attachments(client, personas):
    message = QueuedEmailFactory.create(
        attachments=[Attachment("Cotización <img src=x>.pdf", b"x" * 2048, "application/pdf")]
    )
    plain = QueuedEmailFactory.create()
    c = client_for(client, personas.admin)
    page = c.get(reverse("delivery:message_detail", args=[message.pk])).content.decode()
    assert "Attachments" in page
    assert "Cotización &lt;img src=x&gt;.pdf" in page and "<img src=x>" not in page
    assert "application/pdf" in page and "2.0\xa0KB" in page
    other = c.get(reverse("delivery:message_detail", args=[plain.pk])).content.decode()
    assert "Attachments" not in other
