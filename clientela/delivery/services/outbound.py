"""What a message carries at send time: tracking links, unsubscribe headers, bounce address.

Called by `sending.build_email`. Every message gets the per-message VERP bounce address as
its envelope sender when MAIL_BOUNCE_DOMAIN is set. Marketing kinds also get:

- `List-Unsubscribe` with the signed https link and, with a bounce domain, a mailto address;
  `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058);
- `Feedback-ID` (`<campaign>:<kind>:<sender>`, Gmail's feedback loop);
- with MAIL_TRACKING on, every http(s) link of the HTML part rewritten through a signed click
  redirect and an open pixel before `</body>`.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass

from clientela.delivery import links
from clientela.delivery.models import Message
from clientela.delivery.queries import is_marketing

HREF = re.compile(r"""(<a\b[^>]*?\bhref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
FEEDBACK_PART = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class Outbound:
    """The HTML part, extra headers and envelope sender a message is sent with."""

    html: str
    headers: dict[str, str]
    envelope_from: str | None


def tracking_enabled() -> bool:
    """Whether marketing mail gets an open pixel and click redirects (MAIL_TRACKING)."""
    value = links.conf("MAIL_TRACKING", True)
    return value not in (False, "0", "false", "False", "no")


def rewrite_links(body: str, token: str) -> str:
    """Send every http(s) link of `body` through a signed click redirect (ours stay as they are)."""
    own = f"{links.public_url()}{links.PREFIX}"

    def replace(match: re.Match[str]) -> str:
        target = htmllib.unescape(match.group(3)).strip()
        if not target.lower().startswith(("http://", "https://")) or target.startswith(own):
            return match.group(0)
        quoted = htmllib.escape(links.click_url(token, target), quote=True)
        return f"{match.group(1)}{match.group(2)}{quoted}{match.group(2)}"

    return HREF.sub(replace, body)


def add_pixel(body: str, token: str) -> str:
    """Put the open pixel at the end of the body."""
    pixel = (
        f'<img src="{htmllib.escape(links.open_url(token))}" width="1" height="1" alt="" '
        'style="display:block;border:0;width:1px;height:1px">'
    )
    ends = list(BODY_END.finditer(body))
    if ends:
        at = ends[-1].start()
        return body[:at] + pixel + body[at:]
    return body + pixel


def feedback_id(message: Message) -> str:
    """Return the Feedback-ID: campaign (the message's group), kind, and sender id."""
    campaign = message.group or "0"
    sender = str(links.conf("MAIL_FEEDBACK_SENDER", "clientela"))
    parts = (campaign, message.kind, sender)
    return ":".join(FEEDBACK_PART.sub("-", part)[:60] or "0" for part in parts)


def outbound(message: Message) -> Outbound:
    """Return what `message` is sent with (see the module's docstring)."""
    headers: dict[str, str] = {}
    envelope = links.bounce_address(message.token) or None
    body = message.html_body
    if is_marketing(message.kind):
        targets = [f"<{links.unsubscribe_url(message.token)}>"]
        mailto = links.unsubscribe_mailto(message.token)
        if mailto:
            targets.append(f"<{mailto}>")
        headers["List-Unsubscribe"] = ", ".join(targets)
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        headers["Feedback-ID"] = feedback_id(message)
        if body and tracking_enabled():
            body = add_pixel(rewrite_links(body, message.token), message.token)
    return Outbound(html=body, headers=headers, envelope_from=envelope)
