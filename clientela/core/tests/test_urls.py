"""The root URLconf tries the API's patterns first; no screen pattern may take a path under api/."""

from __future__ import annotations

import re

import pytest
from django.urls import Resolver404, URLResolver, resolve
from django.urls.resolvers import RegexPattern

from clientela import urls
from clientela.api import api, api_urlpatterns


def _api_paths() -> list[str]:
    """Every operation path of the API's document, its parameters filled in, and a few more."""
    paths = [re.sub(r"\{[^}]+\}", "1", path) for path in api.get_openapi_schema()["paths"]]
    return [p for p in paths if p.startswith("/api/")] + ["/api/", "/api/v1/", "/api/nope/x"]


def test_no_screen_pattern_takes_a_path_under_api() -> None:
    # The API's patterns come first (the busiest paths resolve without trying the screens'):
    # that changes nothing only while no other pattern matches a path under api/.
    screens = [p for p in urls.urlpatterns if p not in api_urlpatterns]
    resolver = URLResolver(RegexPattern(r"^/"), screens)
    paths = _api_paths()
    assert len(paths) > 50
    for path in paths:
        with pytest.raises(Resolver404):
            resolver.resolve(path)
        assert resolve(path).namespace == "api" or resolve(path).url_name is None, path
