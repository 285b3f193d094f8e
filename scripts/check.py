"""Run every quality gate: lint, format, types, import contracts, Django checks, translations, tests.

Usage: python scripts/check.py [extra pytest args]

The test suite runs on SQLite, and again on PostgreSQL when CLIENTELA_TEST_DATABASE_URL is set.
CLIENTELA_REQUIRE_BROWSER=1 turns a missing Chromium into a failure instead of a skip, and
CLIENTELA_REQUIRE_POSTGRES=1 a missing PostgreSQL URL into a failure (CI sets both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(title: str, args: list[str], env: dict[str, str] | None = None) -> None:
    """Run one step, stop the whole check at the first failure."""
    print(f"\n=== {title}: {' '.join(args)}", flush=True)
    started = time.monotonic()
    full_env = {**os.environ, **(env or {})}
    if full_env.get("CLIENTELA_TEST_DATABASE_URL") == "":
        del full_env["CLIENTELA_TEST_DATABASE_URL"]
    result = subprocess.run(args, cwd=ROOT, env=full_env, check=False)
    print(f"=== {title}: exit {result.returncode} in {time.monotonic() - started:.0f}s", flush=True)
    if result.returncode != 0:
        sys.exit(result.returncode)


def main() -> None:
    """Run the gates in order, cheapest first."""
    extra = sys.argv[1:]
    py = sys.executable
    run("ruff lint", [str(BIN / "ruff"), "check", "."])
    run("ruff format", [str(BIN / "ruff"), "format", "--check", "."])
    run("mypy", [str(BIN / "mypy"), "clientela", "bench", "scripts"])
    run("import contracts", [str(BIN / "lint-imports")])
    # An empty CLIENTELA_TEST_DATABASE_URL means SQLite; the PostgreSQL run sets it below.
    test_env = {
        "CLIENTELA_TESTING": "1",
        "CLIENTELA_DATA_DIR": str(ROOT / "var" / "check"),
        "CLIENTELA_TEST_DATABASE_URL": "",
    }
    run("django check", [py, "-m", "clientela", "check", "--fail-level", "WARNING"], test_env)
    run("migrations", [py, "-m", "clientela", "makemigrations", "--check", "--dry-run"], test_env)
    if shutil.which("xgettext"):
        run("translations", [py, "scripts/check_translations.py", "--extract"], test_env)
    else:
        run("translations", [py, "scripts/check_translations.py"], test_env)
    # loadgroup keeps tests marked xdist_group (the browser module's one server) on one worker.
    workers = os.environ.get("CLIENTELA_TEST_WORKERS", "2")
    pytest = [py, "-m", "pytest", "-p", "no:cacheprovider", "--dist", "loadgroup", "-n", workers]
    run("tests on SQLite", [*pytest, *extra], test_env)
    pg_url = os.environ.get("CLIENTELA_TEST_DATABASE_URL")
    if pg_url:
        run(
            "tests on PostgreSQL",
            [*pytest, *extra],
            {**test_env, "CLIENTELA_TEST_DATABASE_URL": pg_url},
        )
    elif os.environ.get("CLIENTELA_REQUIRE_POSTGRES") == "1":
        print("\nCLIENTELA_REQUIRE_POSTGRES=1 but CLIENTELA_TEST_DATABASE_URL is not set.")
        sys.exit(1)
    else:
        print("\n(PostgreSQL run not requested: set CLIENTELA_TEST_DATABASE_URL to add it)")
    print("\nAll checks passed.")


if __name__ == "__main__":
    main()
