"""Where a request comes from: the connection's address, or the one a trusted proxy names."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from clientela.core.clients import client_ip, rate_limit_key


def request(remote: str | None = "198.51.100.4", **headers: str) -> Any:
    environ: dict[str, Any] = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    made = RequestFactory().get("/", **environ)
    if remote is None:
        del made.META["REMOTE_ADDR"]
    else:
        made.META["REMOTE_ADDR"] = remote
    return made


def test_it_reads_the_connections_address_unless_told_to_trust_a_header(settings: Any) -> None:
    assert client_ip(request(x_real_ip="203.0.113.7")) == "198.51.100.4"
    settings.CLIENTELA = {**settings.CLIENTELA, "CLIENT_IP_HEADER": "X-Real-IP"}
    assert client_ip(request(x_real_ip="203.0.113.7")) == "203.0.113.7"
    assert client_ip(request(x_real_ip=" 2001:DB8::0001 ")) == "2001:db8::1"
    # A header that holds no address falls back to the connection's.
    assert client_ip(request(x_real_ip="203.0.113.7, 10.0.0.1")) == "198.51.100.4"
    assert client_ip(request(x_real_ip="<script>")) == "198.51.100.4"


def test_a_request_without_an_address_has_none_and_counts_as_unknown() -> None:
    assert client_ip(request(remote=None)) is None
    assert client_ip(request(remote="")) is None
    assert rate_limit_key("group", request(remote=None)) == "unknown"


def test_an_ipv6_client_counts_as_its_64_network() -> None:
    assert rate_limit_key("g", request(remote="2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert rate_limit_key("g", request(remote="2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::"
    assert rate_limit_key("g", request(remote="2001:db8:1:3::1")) == "2001:db8:1:3::"
    assert rate_limit_key("g", request(remote="203.0.113.9")) == "203.0.113.9"
