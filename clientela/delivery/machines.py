"""Tell machine opens and scanner clicks from people's.

Apple Mail Privacy Protection fetches every image of a message through Apple's proxies as
soon as it reaches the device, with a bare "Mozilla/5.0" user agent; mail security scanners
and link prefetchers follow every link within seconds of delivery, often with HEAD requests or
a crawler's user agent. Such opens and clicks are stored with `machine=True` and reported
apart, never dropped (an MPP open still says the address is alive). The timing rule ("within
MAIL_MACHINE_OPEN_SECONDS / MAIL_SCANNER_CLICK_SECONDS of sending") is applied by the INSERT
itself (`services.engagement`), which reads the message's send time.
"""

from __future__ import annotations

from functools import lru_cache

from crawlerdetect import CrawlerDetect

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
