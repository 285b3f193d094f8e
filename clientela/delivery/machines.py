"""Tell machine opens and scanner clicks from people's.

Apple Mail Privacy Protection fetches every image of a message through Apple's proxies as
soon as it reaches the device, with a bare "Mozilla/5.0" user agent; mail security scanners
and link prefetchers follow every link within seconds of delivery, often with HEAD requests or
a crawler's user agent. Such opens and clicks are stored with `machine=True` and reported
apart, never dropped (an MPP open still says the address is alive).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from crawlerdetect import CrawlerDetect

from clientela.delivery.links import conf

_detector = CrawlerDetect()
# User agents of image proxies and prefetchers that fetch on delivery, not on reading.
PREFETCHERS = ("mozilla/5.0", "")
PREFETCHER_MARKERS = ("yahoomailproxy", "barracuda", "proofpoint", "mimecast", "symantec")


@lru_cache(maxsize=4096)
def is_automatic_agent(user_agent: str) -> bool:
    """Whether the user agent is a crawler, a scanner or Apple's privacy proxy."""
    agent = user_agent.strip()[:1000]
    lowered = agent.lower()
    if lowered in PREFETCHERS or any(marker in lowered for marker in PREFETCHER_MARKERS):
        return True
    return bool(_detector.is_crawler(agent))


def _seconds_since(sent_at: datetime | None, now: datetime) -> float | None:
    return None if sent_at is None else (now - sent_at).total_seconds()


def is_machine_open(user_agent: str, sent_at: datetime | None, now: datetime) -> bool:
    """Whether an open is a machine's: a proxy's or crawler's agent, or right on delivery."""
    since = _seconds_since(sent_at, now)
    limit = float(conf("MAIL_MACHINE_OPEN_SECONDS", 2))
    return is_automatic_agent(user_agent) or (since is not None and since < limit)


def is_scanner_click(
    user_agent: str, sent_at: datetime | None, now: datetime, *, head: bool
) -> bool:
    """Whether a click is a scanner's: a HEAD request, a crawler, or seconds after delivery."""
    since = _seconds_since(sent_at, now)
    limit = float(conf("MAIL_SCANNER_CLICK_SECONDS", 10))
    return head or is_automatic_agent(user_agent) or (since is not None and since < limit)
