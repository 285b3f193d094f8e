"""Start Clientela as a real production process (granian + worker) for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


def free_port() -> int:
    """Return a TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    """A server process started for a test."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a `clientela` command against the same database."""
        return subprocess.run(
            [sys.executable, "-m", "clientela", *args], env=self.env, capture_output=True, text=True,
            check=check, timeout=600,
        )  # fmt: skip


def server_env(data_dir: Path) -> dict[str, str]:
    """Environment for a child process: its own data dir and database, never the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTELA_")}
    env.update({"CLIENTELA_DATA_DIR": str(data_dir), "CLIENTELA_SECRET_KEY": uuid.uuid4().hex * 2})
    pg_url = os.environ.get("CLIENTELA_TEST_DATABASE_URL")
    if pg_url and settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # A fresh database beside the test one, so the process sees committed data only.
        import psycopg

        name = f"clientela_e2e_{uuid.uuid4().hex[:10]}"
        admin = settings.DATABASES["default"]
        with psycopg.connect(
            host=admin["HOST"] or "127.0.0.1", port=admin["PORT"] or 5432, user=admin["USER"],
            dbname="postgres", autocommit=True,
        ) as conn:  # fmt: skip
            conn.execute(f'CREATE DATABASE "{name}"')
        env["CLIENTELA_DATABASE_URL"] = (
            f"postgres://{admin['USER']}@{admin['HOST'] or '127.0.0.1'}:{admin['PORT'] or 5432}/{name}"
        )
    return env


def drop_database(env: dict[str, str]) -> None:
    """Drop the PostgreSQL database made by `server_env`, if any."""
    url = env.get("CLIENTELA_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = settings.DATABASES["default"]
    with psycopg.connect(
        host=admin["HOST"] or "127.0.0.1", port=admin["PORT"] or 5432, user=admin["USER"],
        dbname="postgres", autocommit=True,
    ) as conn:  # fmt: skip
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class ProcessSite:
    """A fresh, migrated database and the environment of the `clientela` processes using it."""

    env: dict[str, str]

    def run(self, *args: str, timeout: float = 600) -> str:
        """Run a `clientela` command to its end and return what it printed (it must succeed)."""
        return subprocess.run(
            [sys.executable, "-m", "clientela", *args], env=self.env, capture_output=True,
            text=True, check=True, timeout=timeout,
        ).stdout  # fmt: skip

    def shell(self, code: str) -> str:
        """Run Python `code` in `clientela shell`; return its last printed line."""
        lines = self.run("shell", "-c", code).strip().splitlines()
        return lines[-1] if lines else ""

    def start(self, *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
        """Start a long-running `clientela` process (a worker, a sender); its output to `log`."""
        if log is None:
            return subprocess.Popen(
                [sys.executable, "-m", "clientela", *args], env=self.env,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        with log.open("wb") as handle:
            return subprocess.Popen(
                [sys.executable, "-m", "clientela", *args], env=self.env, stdout=handle,
                stderr=subprocess.STDOUT,
            )  # fmt: skip


def smtp_env(host: str, port: int) -> dict[str, str]:
    """Return the settings that send a process's e-mail to the SMTP server at `host:port`."""
    return {
        "CLIENTELA_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "CLIENTELA_EMAIL_HOST": host,
        "CLIENTELA_EMAIL_PORT": str(port),
    }


def stop(processes: list[subprocess.Popen[bytes]], *, timeout: float = 60) -> None:
    """Ask each process to stop (SIGTERM: a worker finishes its job first), then kill laggards."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def process_site(
    data_dir: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[ProcessSite]:
    """Give real `clientela` processes a migrated database of their own, dropped at the end.

    It is a file in `data_dir` on SQLite, a fresh database beside the test one on PostgreSQL.
    """
    env = server_env(data_dir)
    env.update(extra_env or {})
    try:
        site = ProcessSite(env)
        site.run("migrate", "-v0")
        yield site
    finally:
        drop_database(env)


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    """Poll `url` until it answers 200, failing early if the process died."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            last_error = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer: {last_error}")


@contextmanager
def running_server(
    data_dir: Path,
    *,
    demo_contacts: int = 0,
    serve_args: tuple[str, ...] = (),
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[RunningServer]:
    """Migrate a fresh database, optionally load the demo, then run `clientela serve` until the block ends.

    `extra_env` adds settings for the processes (an SMTP server's CLIENTELA_EMAIL_PORT, say).
    """
    env = server_env(data_dir)
    env.update(extra_env or {})
    port = free_port()
    log = data_dir / "server.log"
    try:
        prepare = (
            ["demo", "--no-serve", "--contacts", str(demo_contacts)]
            if demo_contacts
            else ["migrate", "-v0"]
        )
        done = subprocess.run(
            [sys.executable, "-m", "clientela", *prepare],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"clientela {' '.join(prepare)} failed:\n{done.stdout}\n{done.stderr}"
            )
        with log.open("wb") as handle:
            process = subprocess.Popen(
                [sys.executable, "-m", "clientela", "serve", "--port", str(port), "--workers", "2", *serve_args],
                env=env, stdout=handle, stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz", process)
            yield RunningServer(url=f"http://127.0.0.1:{port}", env=env, process=process, log=log)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
    finally:
        drop_database(env)
