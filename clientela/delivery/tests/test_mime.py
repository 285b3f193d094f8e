"""The worker's direct serialiser says what Django's `message().as_bytes()` says.

Both outputs are parsed back with the standard library (`email.policy.default`) and compared
header by header (unfolded, decoded) and part by part (type, transfer encoding, content).
"""

from __future__ import annotations

import email
import email.policy
import smtplib

import pytest
from django.core.mail import EmailMessage, EmailMultiAlternatives

from clientela.delivery.mime import envelope_address, smtp_path, to_bytes

pytestmark = [pytest.mark.django_db(databases=[])]

LONG_LINE = "<p>" + "palabra " * 200 + "</p>"
CASES = {
    "ascii": ("Novedades de este mes, Beto", "Tienda <hola@example.co>", "Hola Beto", "<p>Hola</p>"),
    "accents": ("Novedades, Fabián — ¡oferta!", "Tienda Ñandú <hola@example.co>", "Hola Fabián\n", "<p>Héctor &amp; más</p>"),
    "long html lines": ("Boletín", "hola@example.co", "texto\r\ncon\rsaltos\n", LONG_LINE),
    "long ascii subject": (("A very long subject " * 8).strip(), "hola@example.co", "x", "<b>x</b>"),
    "long accented subject": (("Año nuevo en Bogotá: " * 6).strip(), "Tienda <hola@example.co>", "ñ" * 1200, "y"),
    "text only": ("Solo texto", "hola@example.co", "Línea uno\nLínea dos", None),
    "emoji": ("Hola 👋 Gloria", "Tienda 🛍 <hola@example.co>", "👋\u2028sigue", "<p>👋</p>"),
}  # fmt: skip


def _email(subject: str, sender: str, text: str, html: str | None) -> EmailMessage:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=sender,
        to=["persona@example.co"],
        reply_to=["Atención Clientes <respuestas@example.co>"],
        headers={
            "Content-Language": "es",
            "List-Unsubscribe": "<http://localhost:8000/m/u/" + "a" * 40 + "/sig/>, "
            "<mailto:unsubscribe+" + "a" * 40 + "@rebotes.example.co?subject=unsubscribe>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Feedback-ID": "campaign-1:campaigns.campaign:clientela",
            "Message-ID": "<1.2.3@example.co>",
            "From": sender,
        },
    )
    if html is not None:
        message.attach_alternative(html, "text/html")
    return message


def _read(data: bytes) -> email.message.EmailMessage:
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def _parts(parsed: email.message.EmailMessage) -> list[tuple[str, str, str]]:
    leaves = list(parsed.walk()) if parsed.is_multipart() else [parsed]
    return [
        (p.get_content_type(), str(p["Content-Transfer-Encoding"]), p.get_content())
        for p in leaves
        if not p.is_multipart()
    ]


@pytest.mark.parametrize("case", list(CASES))
def test_it_serialises_the_usual_message_as_django_does(case):
    message = _email(*CASES[case])
    ours = to_bytes(message)
    assert ours is not None
    theirs = message.message().as_bytes(linesep="\r\n")
    mine, django = _read(ours), _read(theirs)
    for name in ("Subject", "From", "To", "Reply-To", "Content-Language", "List-Unsubscribe",
                 "List-Unsubscribe-Post", "Feedback-ID", "Message-ID", "MIME-Version"):  # fmt: skip
        # compat32 folds a long encoded subject after "Subject:", which reads back with a
        # leading space; ours has none.
        assert str(mine[name]) == str(django[name]).lstrip(), name
        assert str(mine[name]) == str(mine[name]).strip(), name
    assert mine["Date"] is not None
    assert mine.get_content_type() == django.get_content_type()
    assert _parts(mine) == _parts(django)
    assert _parts(mine)[0][2].startswith(CASES[case][2].split("\n")[0][:20])
    # Every line fits SMTP's limit, and lines end with CRLF only.
    assert all(len(line) <= 998 for line in ours.split(b"\r\n"))
    assert b"\n" not in ours.replace(b"\r\n", b"")


def test_it_leaves_other_shapes_to_django():
    message = _email(*CASES["ascii"])
    message.attach("a.txt", b"x", "text/plain")
    assert to_bytes(message) is None
    copied = _email(*CASES["ascii"])
    copied.cc = ["otro@example.co"]
    assert to_bytes(copied) is None
    doubled = _email(*CASES["ascii"])
    doubled.subject = "two  spaces"
    assert to_bytes(doubled) is None
    doubled.subject = " leading"
    assert to_bytes(doubled) is None


def test_it_refuses_header_injection_as_django_does():
    from django.core.mail import BadHeaderError

    message = _email("Hola\r\nBcc: todos@example.co", "hola@example.co", "x", "y")
    with pytest.raises(BadHeaderError):
        to_bytes(message)


def test_envelope_addresses_match_djangos():
    from django.core.mail.message import sanitize_address

    for address in ("persona@example.co", "Tienda <hola@example.co>", "josé@example.co",
                     "p@bücher.example", "bounce+abc@rebotes.example.co"):  # fmt: skip
        if address.isascii() and "<" not in address:
            assert envelope_address(address) == address
        assert smtplib.quoteaddr(envelope_address(address)) == smtplib.quoteaddr(
            sanitize_address(address, "utf-8")
        )


def test_smtp_paths_are_what_smtplibs_sendmail_sends():
    addresses = (
        "persona@example.co", "Tienda <hola@example.co>", "josé@example.co", "a..b@example.co",
        ".a@example.co", '"q"@example.co', "x@[192.0.2.1]", "A B <a+b%c@x-y.example.org>",
        "Ñandú <ñ@example.co>", "p@bücher.example", "bounce+abc@rebotes.example.co",
    )  # fmt: skip
    for address in addresses:
        assert smtp_path(address) == smtplib.quoteaddr(envelope_address(address)), address
