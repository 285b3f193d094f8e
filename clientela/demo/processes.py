"""Starting and supervising the production server and the background worker together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
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
