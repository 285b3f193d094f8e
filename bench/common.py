"""Share what the benchmark scenarios need to run.

A clean environment, scratch databases, an SMTP sink, the `clientela` command and a child
process that prints its figures as JSON lines.

Scenarios that time code in-process run a child (`python -m bench.<module> --child …`) with an
environment of their own, so the parent's settings, database and imports never leak into the
figures.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from clientela.testing.processes import free_port

PG = os.environ.get("CLIENTELA_BENCH_PG", "postgres://postgres@127.0.0.1:5432")
ROOT = Path(__file__).resolve().parent.parent

__all__ = [
    "PG",
    "ROOT",
    "WRK_REPORT",
    "bench_env",
    "child_figures",
    "create_database",
    "drop_database",
    "free_port",
    "mail_figures",
    "manage",
    "scratch_postgres",
    "server_shape",
    "signed_in",
    "smtp_sink",
    "start_server",
    "stop_server",
    "wait_for_port",
    "wrk",
]


def bench_env(data_dir: Path | str, **settings: str) -> dict[str, str]:
    """Return this process's environment for a scratch installation.

    Every CLIENTELA_ setting of this process is left out; the data folder, a fixed secret key
    and the given `CLIENTELA_…` settings (keys without the prefix) are set.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIENTELA_")}
    env.update({
        "CLIENTELA_DATA_DIR": str(data_dir), "CLIENTELA_SECRET_KEY": "bench-" + "x" * 40,
        "DJANGO_SETTINGS_MODULE": "clientela.settings",
    })  # fmt: skip
    env.update({f"CLIENTELA_{name.upper()}": value for name, value in settings.items()})
    return env


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def create_database(name: str) -> str:
    """Create an empty PostgreSQL database and return its URL.

    A database of that name left by an interrupted run is dropped first.
    """
    drop_database(name)
    _admin(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def drop_database(name: str) -> None:
    """Drop a scratch PostgreSQL database, if it exists."""
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_postgres(name: str) -> Iterator[str]:
    """Create an empty PostgreSQL database and yield its URL; drop it afterwards."""
    url = create_database(name)
    try:
        yield url
    finally:
        drop_database(name)


def server_shape() -> tuple[str, str]:
    """Return the production server's workers and threads for a run.

    The server's own defaults unless the run asks for others (`CLIENTELA_WEB_WORKERS`,
    `CLIENTELA_WEB_THREADS`) to compare configurations.
    """
    from clientela.demo.processes import default_web_workers

    workers = os.environ.get("CLIENTELA_WEB_WORKERS") or str(default_web_workers())
    return workers, os.environ.get("CLIENTELA_WEB_THREADS") or "1"


def start_server(
    env: Mapping[str, str],
    log: Path | None = None,
    workers: str | None = None,
    threads: str | None = None,
    *,
    background: bool = False,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the production server (`clientela serve --no-worker`) on a free port.

    Its output goes to `log` (or nowhere); workers and threads default to `server_shape()`.
    With `background`, the default set-up of `clientela serve` instead: the server with its
    background processes (worker, scheduler). Wait for its health check; return the process
    and its base URL.
    """
    from clientela.testing.processes import wait_for

    default_workers, default_threads = server_shape()
    port = free_port()
    command = [
        sys.executable, "-m", "clientela", "serve", "--port", str(port),
        "--workers", workers or default_workers, "--threads", threads or default_threads,
    ]  # fmt: skip
    if not background:
        command.insert(4, "--no-worker")
    if log is None:
        server = subprocess.Popen(
            command, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
    else:
        with log.open("wb") as handle:
            server = subprocess.Popen(
                command, env=dict(env), stdout=handle, stderr=subprocess.STDOUT
            )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", server)
    except BaseException:
        stop_server(server)
        raise
    return server, base


def stop_server(server: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Stop a server started by `start_server` gracefully and wait for it to exit.

    The server finishes every request it holds before it exits.
    """
    server.terminate()
    server.wait(timeout=timeout)


# wrk's end-of-run hook: one JSON line with the counts and latency percentiles (milliseconds).
WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "seconds": %f, "errors": %d, "non2xx": %d, "p50_ms": %f, "p95_ms": %f, "p99_ms": %f}\\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def wrk(
    url: str, *, seconds: int, connections: int, headers: Mapping[str, str], lua: str
) -> dict[str, Any]:
    """Load `url` with wrk (2 threads) running the Lua script `lua` followed by WRK_REPORT.

    Return the report's figures with the requests per second added (`rps`).
    """
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(lua + WRK_REPORT)
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", handle.name]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    try:
        out = subprocess.run([*args, url], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(handle.name)
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    """Wait until something listens on 127.0.0.1:`port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


@contextmanager
def smtp_sink() -> Iterator[dict[str, str]]:
    """Run aiosmtpd's Sink handler in its own process; yield the settings that send to it."""
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield {
            "CLIENTELA_EMAIL_HOST": "127.0.0.1", "CLIENTELA_EMAIL_PORT": str(port),
            "CLIENTELA_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        }  # fmt: skip
    finally:
        sink.terminate()
        sink.wait(timeout=10)


def manage(env: Mapping[str, str], *args: str, timeout: float = 7200) -> str:
    """Run a `clientela` command; return its output, or raise with the end of its errors."""
    done = subprocess.run(
        [sys.executable, "-m", "clientela", *args], env=dict(env), check=False,
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"clientela {args[0]} failed:\n{done.stderr[-2000:]}")
    return done.stdout


def child_figures(
    module: str, args: list[str], env: Mapping[str, str], timeout: float, **fields: Any
) -> list[dict[str, Any]]:
    """Run `python -m <module> --child <args…>` and return the JSON lines it printed.

    Each line gets `fields` in front (the scenario, database and size).
    """
    child = subprocess.run(
        [sys.executable, "-m", module, "--child", *args], env=dict(env), check=False,
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )  # fmt: skip
    if child.returncode:
        raise RuntimeError(f"{module} failed:\n{child.stderr[-3000:]}")
    return [
        {**fields, **json.loads(line)} for line in child.stdout.splitlines() if line.startswith("{")
    ]


def mail_figures(
    module: str, *, scenario: str, size: int, seed: int, database: str, database_name: str,
    from_email: str, timeout: float,
) -> list[dict[str, Any]]:  # fmt: skip
    """Time a sending scenario's child against a migrated scratch database and an SMTP sink.

    SQLite lives in a temporary data folder; PostgreSQL in `database_name`, dropped afterwards.
    """
    with ExitStack() as stack:
        env = bench_env(stack.enter_context(tempfile.TemporaryDirectory()))
        if database == "postgresql":
            env["CLIENTELA_DATABASE_URL"] = stack.enter_context(scratch_postgres(database_name))
        manage(env, "migrate", "-v0", timeout=900)
        env.update(stack.enter_context(smtp_sink()))
        env["CLIENTELA_DEFAULT_FROM_EMAIL"] = from_email
        return child_figures(
            module, [str(size), str(seed)], env, timeout=timeout,
            scenario=scenario, database=database, size=size,
        )  # fmt: skip


def signed_in(base: str, username: str) -> Any:
    """Sign in as a demo user through the login form; return a urllib opener with the session.

    The opener's `csrf_token` attribute holds the CSRF cookie's value, for the `X-CSRFToken`
    header of a POST.
    """
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "login page without CSRF token"
    data = urllib.parse.urlencode(
        {"username": username, "password": "clientela-demo", "csrfmiddlewaretoken": match.group(1)}
    ).encode()
    opener.open(
        urllib.request.Request(f"{base}/accounts/login/", data=data, headers={"Referer": base})
    )
    cookies = {cookie.name: cookie.value for cookie in jar}
    assert "sessionid" in cookies, "sign-in failed"
    opener.csrf_token = cookies.get("csrftoken", "")  # type: ignore[attr-defined]
    return opener
