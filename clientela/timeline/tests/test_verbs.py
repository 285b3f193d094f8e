"""The verb registry: every verb the code writes is registered, and any verb still reads."""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clientela.core.events import VERBS, register_verb, verb_label
from clientela.timeline.tests.factories import EventFactory

PACKAGE = Path(__file__).resolve().parents[2]
WRITERS = {"record_event", "build_event"}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    """Every shipped module of clientela (no tests, no migrations), parsed."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield ".".join(parts).removesuffix(".__init__"), ast.parse(path.read_text())


def _is_verb_constant(node: ast.expr) -> bool:
    """`Verb.X`, `ContactVerb.X`, `PURCHASE_VERB`: how the code names the verbs it writes."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return node.value.id.endswith("Verb")
    return isinstance(node, ast.Name) and node.id.endswith("_VERB")


def _written_verbs() -> tuple[dict[str, str], list[str]]:
    """{verb code: where} for every verb named in shipped code, and the writes whose verb
    is neither a verb constant nor a parameter passed on (which this test could not check)."""
    found: dict[str, str] = {}
    unchecked: list[str] = []
    for name, tree in _modules():
        namespace: dict[str, Any] | None = None
        parameters = {
            arg.arg
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            for arg in [*node.args.args, *node.args.kwonlyargs]
        }
        for node in ast.walk(tree):
            expressions: list[ast.expr] = []
            if isinstance(node, ast.Call) and node.args:
                callee = node.func
                called = callee.attr if isinstance(callee, ast.Attribute) else None
                called = callee.id if isinstance(callee, ast.Name) else called
                if called in WRITERS:
                    verb = node.args[0]
                    if isinstance(verb, ast.Constant) and isinstance(verb.value, str):
                        found[verb.value] = f"{name}:{node.lineno}"
                    elif not _is_verb_constant(verb) and not (
                        isinstance(verb, ast.Name) and verb.id in parameters
                    ):
                        unchecked.append(f"{name}:{node.lineno}")
            if (
                isinstance(node, ast.Attribute | ast.Name)
                and isinstance(node.ctx, ast.Load)
                and _is_verb_constant(node)
            ):
                expressions.append(node)
            for expression in expressions:
                namespace = namespace or vars(importlib.import_module(name))
                try:
                    value = eval(compile(ast.Expression(expression), name, "eval"), namespace)  # noqa: S307
                except (NameError, AttributeError):
                    continue  # a local of that name, not a verb constant
                if isinstance(value, str):
                    found[str(value)] = f"{name}:{expression.lineno}"
    return found, unchecked


def test_it_registers_every_verb_the_code_writes() -> None:
    found, unchecked = _written_verbs()
    assert {"created", "note", "login", "purchase"} <= set(found)  # the scan sees every app
    missing = {code: where for code, where in found.items() if code not in VERBS}
    assert not missing, f"register these verbs in their app's AppConfig.ready(): {missing}"
    assert not unchecked, f"name the verb with its app's constant: {unchecked}"


def test_it_labels_verbs_in_the_current_language(settings: Any) -> None:
    from django.utils import translation

    with translation.override("es"):
        assert verb_label("login") != "signed in"
    with translation.override("en"):
        assert verb_label("login") == "signed in"
        assert verb_label("purchase") == "purchase"
        assert verb_label("never_registered") == "never_registered"


def test_it_refuses_a_verb_registered_twice_with_another_meaning() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        register_verb("note", "something else")


def test_it_lists_every_apps_verbs_and_shows_unknown_ones(client: Client, personas: Any) -> None:
    EventFactory.create(
        verb="ticket_opened", target_type="service.ticket", target_id="9", target_repr="Caso 9"
    )
    client.force_login(personas.admin)
    client.cookies["django_language"] = "en"
    text = client.get(reverse("timeline:audit_log")).content.decode()
    for code in ("created", "login", "note", "purchase"):
        assert f'<option value="{code}"' in text
    assert "ticket_opened" in text  # a verb no app registered still shows, by its code
