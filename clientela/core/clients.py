"""Tell where a request comes from: the client's address, behind a reverse proxy too.

Behind a reverse proxy every connection comes from the proxy: `CLIENTELA_CLIENT_IP_HEADER`
names the header the proxy sets to the real address (nginx: `proxy_set_header X-Real-IP
$remote_addr;` with `CLIENTELA_CLIENT_IP_HEADER=X-Real-IP`). Without it, or when the header
holds no address, the connection's own address (`REMOTE_ADDR`) counts. Every public path —
forms, landing pages, inbound lead webhooks, tracking — reads the address here, for its rate
limits and for the consent proof it stores.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

__all__ = ["client_ip", "rate_limit_key"]


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address (normalised), or None when the request carries none."""
    header = str(settings.CLIENTELA.get("CLIENT_IP_HEADER") or "")
    raw = request.headers.get(header, "") if header else ""
    for candidate in (raw.strip(), str(request.META.get("REMOTE_ADDR") or "").strip()):
        try:
            return str(ipaddress.ip_address(candidate[:64]))
        except ValueError:
            continue
    return None


def rate_limit_key(group: str, request: HttpRequest) -> str:
    """Return the key a client is counted under (django-ratelimit's `key=` callable).

    An IPv4 client counts by its address, an IPv6 client by its /64 network (one subscriber's
    whole range); a request without an address counts as "unknown", never as an error.
    """
    address = client_ip(request)
    if address is None:
        return "unknown"
    parsed = ipaddress.ip_address(address)
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return address
