"""The processes `clientela serve` (and `clientela demo`, and the campaign benchmark) start."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.core.management import call_command

from clientela.demo.processes import (
    background_commands,
    default_senders,
    sender_command,
    senders_wanted,
    sending_commands,
)

WORKER = [sys.executable, "-m", "clientela", "worker"]
SCHEDULER = [sys.executable, "-m", "clientela", "scheduler"]
SENDER = [sys.executable, "-m", "clientela", "sender"]


@pytest.mark.parametrize(("cores", "senders"), [(None, 1), (1, 1), (2, 1), (4, 3), (16, 15)])
def test_it_runs_a_sender_per_core_but_the_workers_and_at_least_one(monkeypatch, cores, senders):
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    assert default_senders() == senders
    assert senders_wanted({}) == senders
    assert senders_wanted({"CLIENTELA_SENDERS": " "}) == senders


def test_clientela_senders_sets_the_count_and_zero_turns_them_off():
    assert senders_wanted({"CLIENTELA_SENDERS": "3"}) == 3
    assert senders_wanted({"CLIENTELA_SENDERS": "0"}) == 0


@pytest.mark.parametrize("value", ["-1", "two", "1.5"])
def test_a_clientela_senders_that_is_no_count_is_refused(value):
    with pytest.raises(ValueError, match="CLIENTELA_SENDERS"):
        senders_wanted({"CLIENTELA_SENDERS": value})


def test_the_default_set_up_is_the_worker_the_scheduler_and_the_senders(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.delenv("CLIENTELA_SENDERS", raising=False)
    assert sender_command() == SENDER
    assert background_commands() == [WORKER, SCHEDULER, SENDER]
    assert sending_commands() == [WORKER, SENDER]
    monkeypatch.setenv("CLIENTELA_SENDERS", "2")
    assert background_commands() == [WORKER, SCHEDULER, SENDER, SENDER]
    assert sending_commands(0) == [WORKER]
    assert background_commands(0) == [WORKER, SCHEDULER]


def test_the_campaign_bench_starts_the_sending_part_of_serves_set_up(monkeypatch):
    from bench.campaign_100k import sending_set_up

    monkeypatch.setattr("os.cpu_count", lambda: 4)
    monkeypatch.delenv("BENCH_SENDERS", raising=False)
    monkeypatch.delenv("CLIENTELA_SENDERS", raising=False)
    serve = background_commands()
    assert sending_set_up() == [serve[0], *serve[2:]] == [WORKER, SENDER, SENDER, SENDER]
    monkeypatch.setenv("CLIENTELA_SENDERS", "0")
    assert sending_set_up() == [WORKER]
    # An experiment's override.
    monkeypatch.setenv("BENCH_SENDERS", "2")
    assert sending_set_up() == [WORKER, SENDER, SENDER]


def _serve(monkeypatch, *args: str) -> list[list[str]]:
    started: list[list[str]] = []

    def supervise(commands: Any, **kwargs: Any) -> int:
        started.extend(list(command) for command in commands)
        return 0

    monkeypatch.setattr("clientela.demo.management.commands.serve.supervise", supervise)
    monkeypatch.setattr(
        "clientela.demo.management.commands.serve.call_command", lambda *a, **k: None
    )
    with pytest.raises(SystemExit) as stopped:
        call_command("serve", *args)
    assert stopped.value.code == 0
    return started


def test_serve_starts_the_server_then_the_default_background_set_up(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.delenv("CLIENTELA_SENDERS", raising=False)
    started = _serve(monkeypatch, "--workers", "1")
    assert "granian" in started[0]
    assert started[1:] == [WORKER, SCHEDULER, SENDER]


def test_serve_follows_clientela_senders_and_its_senders_option(monkeypatch):
    monkeypatch.setenv("CLIENTELA_SENDERS", "0")
    assert _serve(monkeypatch, "--workers", "1")[1:] == [WORKER, SCHEDULER]
    monkeypatch.setenv("CLIENTELA_SENDERS", "1")
    assert _serve(monkeypatch, "--workers", "1", "--senders", "2")[1:] == [
        WORKER, SCHEDULER, SENDER, SENDER,
    ]  # fmt: skip


def test_serve_without_worker_starts_no_sender(monkeypatch):
    monkeypatch.setenv("CLIENTELA_SENDERS", "3")
    started = _serve(monkeypatch, "--workers", "1", "--no-worker")
    assert len(started) == 1 and "granian" in started[0]
