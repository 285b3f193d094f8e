"""Known bots, crawlers and spiders by their user agent (the maintained crawlerdetect list)."""

from __future__ import annotations

from functools import lru_cache

from crawlerdetect import CrawlerDetect

_detector = CrawlerDetect()


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """Whether the user agent is a known bot; an empty one counts as a bot (browsers send one)."""
    agent = user_agent.strip()[:1000]
    if not agent:
        return True
    return bool(_detector.is_crawler(agent))
