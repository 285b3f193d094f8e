"""Starting and supervising the production server and the background worker together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from types import FrameType


def default_web_workers() -> int:
    """Web worker processes when none are asked for: one per CPU core (see docs/decisions.md)."""
    return os.cpu_count() or 1


def server_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    """Return the granian command line serving Clientela's WSGI application.

    Each worker is a process with its own HTTP runtime (in Rust) and `threads` Python threads
    running Django; on a sync WSGI app one thread per worker measured best (docs/benchmarks.md).
    """
    return [
        sys.executable, "-m", "granian", "--interface", "wsgi", "clientela.wsgi:application",
        "--host", host, "--port", str(port), "--workers", str(workers),
        "--blocking-threads", str(threads), "--runtime-threads", "1", "--no-ws",
        "--access-log", "--respawn-failed-workers", "--workers-kill-timeout", "20",
    ]  # fmt: skip


def worker_command() -> list[str]:
    """Return the background worker command line (django-tasks database worker)."""
    return [sys.executable, "-m", "clientela", "worker"]


def scheduler_command() -> list[str]:
    """Return the periodic-work loop command line."""
    return [sys.executable, "-m", "clientela", "scheduler"]


def sender_command() -> list[str]:
    """Return a dedicated sending process's command line (`clientela sender`)."""
    return [sys.executable, "-m", "clientela", "sender"]


def default_senders() -> int:
    """Dedicated sending processes beside the worker: one per CPU core but the worker's, ≥ 1.

    Two sending processes sent a campaign 22 % faster than the worker alone on a quiet 2-core
    machine (docs/decisions.md, decision 127).
    """
    return max(1, (os.cpu_count() or 1) - 1)


def senders_wanted(environ: Mapping[str, str] | None = None) -> int:
    """Return how many `clientela sender` processes to run: `CLIENTELA_SENDERS`, 0 for none.

    Unset or empty: `default_senders()`. A value that is not a whole number ≥ 0 is refused
    (a typo should not silently turn sending processes off).
    """
    value = (os.environ if environ is None else environ).get("CLIENTELA_SENDERS", "").strip()
    if not value:
        return default_senders()
    try:
        wanted = int(value)
    except ValueError:
        wanted = -1
    if wanted < 0:
        raise ValueError(f"CLIENTELA_SENDERS must be a whole number ≥ 0, not {value!r}")
    return wanted


def sending_commands(senders: int | None = None) -> list[list[str]]:
    """Return the processes that send e-mail: the worker, then the dedicated senders.

    `senders`: how many `clientela sender` processes (default: `senders_wanted()`).
    """
    count = senders_wanted() if senders is None else max(0, senders)
    return [worker_command(), *(sender_command() for _ in range(count))]


def background_commands(senders: int | None = None) -> list[list[str]]:
    """Return the default background set-up: the worker, the scheduler and the senders.

    `clientela serve` and `clientela demo` start this list, and the campaign benchmark starts
    its sending part (`sending_commands`), so what is measured is what runs.
    """
    worker, *rest = sending_commands(senders)
    return [worker, scheduler_command(), *rest]


def supervise(commands: Sequence[Sequence[str]], *, env: dict[str, str] | None = None) -> int:
    """Run the commands as children; stop all of them when one exits or on SIGINT/SIGTERM."""
    children = [subprocess.Popen(list(cmd), env={**os.environ, **(env or {})}) for cmd in commands]  # noqa: S603 - our own argv
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        while not stopping:
            for child in children:
                result = child.poll()
                if result is not None:
                    code = result
                    stopping = True
            # Polling keeps this portable and simple; children do the real work.
            time.sleep(0.3)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 25
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code
