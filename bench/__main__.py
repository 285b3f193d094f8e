"""Run one benchmark scenario and print one JSON line per figure."""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import platform
import sys

import django

from bench import SCENARIOS


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the scenario, print its figures as JSON lines."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument(
        "--size", type=int, default=None, help="scale (default: the scenario's full size)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    django.setup()
    module = importlib.import_module(SCENARIOS[args.scenario])
    kwargs: dict[str, object] = {"seed": args.seed}
    if args.size is not None:
        kwargs["size"] = args.size
    if args.database and "database" in inspect.signature(module.run).parameters:
        kwargs["database"] = args.database
    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }
    for figure in module.run(**kwargs):
        print(json.dumps({**figure, "machine": machine}, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
