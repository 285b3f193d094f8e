"""A web process never imports SciPy: only the snapshot's model fitting and scoring need it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]

# What a web process loads (settings, apps and their ready(), every route and view), plus the
# modules that register the nightly snapshot and the merge listener.
WEB_START = (
    "import django, json, sys; django.setup(); import clientela.urls; "
    "import clientela.analytics.tasks, clientela.analytics.refresh, clientela.analytics.services; "
    "print(json.dumps(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.'))))"
)


def _printed(code: str) -> Any:
    """Run `code` in a fresh interpreter of the project's settings; return its JSON output."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clientela.settings",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_web_process_start_does_not_import_scipy():
    assert _printed(WEB_START) == []


def test_the_clv_package_still_serves_its_public_names_on_first_use():
    code = (
        "import json, sys; from clientela.analytics import clv; "
        "before = 'scipy' in sys.modules; fit = clv.fit_bgnbd; "
        "from clientela.analytics.clv import FitError, score_customers; "
        "print(json.dumps([before, 'scipy' in sys.modules, fit.__module__, "
        "FitError.__module__, score_customers.__module__, sorted(set(clv.__all__) - set(dir(clv)))]))"
    )
    before, after, *modules, missing = _printed(code)
    assert (before, after) == (False, True)
    assert modules == [
        "clientela.analytics.clv.bgnbd",
        "clientela.analytics.clv.fitting",
        "clientela.analytics.clv.value",
    ]
    assert missing == []
