"""Hostile input for the fuzz tests every API write, list filter and form goes through.

Hypothesis strategies for what the security probe of issue 11 sent: lone surrogates, NUL, RTL
overrides, 10,000-character strings, HTML/SQL/formula payloads, numbers past 64 bits or with
hundreds of digits, deeply nested JSON and values of the wrong type. The tests in
`clientela/testing/tests/test_fuzz.py` discover the endpoints themselves; these strategies only
make the values. `CLIENTELA_FUZZ_EXAMPLES` sets how many cases each endpoint family gets
(1,000 by default, the CI budget; raise it for a longer run).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import Any

from django.apps import apps
from hypothesis import strategies as st

FAMILY_CASES = int(os.environ.get("CLIENTELA_FUZZ_EXAMPLES", "1000"))

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "' OR '1'='1",
    "1; DROP TABLE contacts_contact; --",
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\u202egnp.exe",  # right-to-left override
    "\u200f\u200e\u2066x\u2069",
    "Ñandú Ámbar ß ﬁ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🙂",
    "%00",
    "%s%s%n",
    "{{ 7*7 }}",
    "${7*7}",
    "../../etc/passwd",
    "null",
    "true",
    "[]",
    "{}",
    "0x7fffffffffffffff",
)
NUMBERS = (
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1" + "0" * 400,
    "-1" + "0" * 30,
    "1e400",
    "-1e400",
    "1e-400",
    "NaN",
    "Infinity",
    "-0",
    "0.000000000000000000000000000001",
    "99999999999999999999.99",
    "1.234.567,89",
    "1_000",
    " 12 ",
    "١٢٣",  # Arabic-Indic digits
)


def hostile_text(*, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Strings a form or JSON body should refuse or store safely, never crash on.

    `surrogates=False` for form posts: a browser cannot send a lone surrogate in UTF-8 (the
    bytes that would encode one reach Django as U+FFFD).
    """
    alphabet = st.characters(codec="utf-8")
    options = [
        st.sampled_from(PAYLOADS),
        st.sampled_from(NUMBERS),
        st.text(alphabet, max_size=40),
        st.just("x" * 10_000),
        st.just("\x00"),
        st.text(alphabet, max_size=5).map(lambda s: f"a\x00{s}"),
    ]
    if surrogates:
        options.append(st.sampled_from(["\ud800", "a\udfffb", "\udbff\udbff"]))
    return st.one_of(options)


def hostile_numbers() -> st.SearchStrategy[Any]:
    """Whole numbers and decimals at and past every database limit, as JSON numbers."""
    return st.one_of(
        st.sampled_from([2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**400, -(10**30), 0, -1]),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
    )


def json_values(*, depth: int = 4) -> st.SearchStrategy[Any]:
    """Any JSON value: hostile scalars, and lists/objects nested up to `depth` levels."""
    scalars = st.one_of(
        st.none(), st.booleans(), hostile_numbers(), hostile_text(), st.sampled_from(NUMBERS)
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(hostile_text(), children, max_size=4),
        ),
        max_leaves=depth * 4,
    )


def deep_json(levels: int = 200) -> Any:
    """Return a list nested `levels` deep (parsers and validators must not recurse to death)."""
    value: Any = []
    for _level in range(levels):
        value = [value]
    return value


def json_body(fields: Iterable[str]) -> st.SearchStrategy[Any]:
    """Return a request body for an operation with these field names.

    Mostly an object of hostile values under the real names (plus an unknown one now and
    then), sometimes not an object.
    """
    names = sorted(fields)
    as_object = st.dictionaries(
        st.sampled_from(names) if names else hostile_text(),
        json_values(),
        max_size=max(len(names), 1),
    )
    return st.one_of(
        as_object,
        as_object,
        as_object,
        st.fixed_dictionaries({}, optional={"\ud800": json_values(), "x" * 300: st.none()}),
        json_values(depth=2),
        st.just(deep_json()),
    )


def query_values() -> st.SearchStrategy[str]:
    """One query-string value: hostile text, numbers past every limit, malformed cursors."""
    return st.one_of(
        hostile_text(surrogates=False),
        st.sampled_from(NUMBERS),
        st.sampled_from(["WyItY3JlYXRlZCIsWyI5OTk5LTEyLTMxVDIzOjU5OjU5Iiw1XV0", "!!!", "e30"]),
    )


def query_params(names: Iterable[str]) -> st.SearchStrategy[dict[str, str]]:
    """Return a query string over these parameter names (and a `custom.` filter now and then)."""
    known = sorted(names)
    keys = st.one_of(
        st.sampled_from(known) if known else st.just("q"),
        st.sampled_from(["custom.presupuesto", "custom.", "custom.\u202e", "page", "sort"]),
    )
    return st.dictionaries(keys, query_values(), max_size=max(len(known), 2))


def form_data(names: Iterable[str]) -> st.SearchStrategy[dict[str, Any]]:
    """Form fields with hostile values; a field may repeat (a list), as multi-selects send."""
    value = hostile_text(surrogates=False)
    return st.dictionaries(
        st.sampled_from(sorted(names)),
        st.one_of(value, value, st.lists(value, min_size=2, max_size=3)),
        max_size=len(list(names)) or 1,
    )


def per_endpoint(endpoints: int) -> int:
    """Examples for each of `endpoints` endpoints so the family gets FAMILY_CASES in total.

    Ten per cent more than the even share: hypothesis skips an example it already ran, so a
    test may stop a few short of its maximum.
    """
    return max(1, math.ceil(FAMILY_CASES * 1.1 / max(endpoints, 1)))


# Tables a rejected request may still touch because they are caches kept on read, not records.
DERIVED_TABLES = frozenset(
    {
        "contacts.duplicategroup",  # duplicate index, caught up when a page reads it
        "contacts.duplicatemember",
        "contacts.duplicatescan",
    }
)


def row_counts() -> dict[str, int]:
    """How many rows each Clientela table holds (derived caches left out)."""
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("clientela.")
        and model._meta.label_lower not in DERIVED_TABLES
    }
