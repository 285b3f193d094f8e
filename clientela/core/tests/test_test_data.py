"""Tests build data one way: each app's tests/factories.py (factory-boy), and no helper modules."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps

import clientela

ROOT = Path(clientela.__file__).resolve().parent.parent

# Modules a tests/ directory may hold besides tests, conftest.py and factories.py, each with
# the reason it is not a second way to build data.
SUPPORT_MODULES = {
    "clientela/contacts/tests/import_helpers.py": "uploads and runs import files; builds no rows",
    "clientela/contacts/tests/import_urls.py": "a URLconf for the import-screen tests",
}


def _apps_with_models() -> list[Path]:
    return [
        Path(config.path)
        for config in apps.get_app_configs()
        if config.name.startswith("clientela.") and list(config.get_models())
    ]


def test_every_app_with_models_has_a_factories_module() -> None:
    missing = [
        str(path.relative_to(ROOT) / "tests" / "factories.py")
        for path in _apps_with_models()
        if not (path / "tests" / "factories.py").is_file()
    ]
    assert missing == [], "Build test data with factory-boy factories in these files"


def test_tests_directories_hold_no_other_data_builders() -> None:
    found = sorted(
        str(module.relative_to(ROOT))
        for tests in [*ROOT.glob("clientela/**/tests"), ROOT / "bench" / "tests"]
        for module in tests.glob("*.py")
        if not module.name.startswith("test_")
        and module.name not in {"__init__.py", "conftest.py", "factories.py"}
    )
    unexpected = [module for module in found if module not in SUPPORT_MODULES]
    assert unexpected == [], (
        "Test data is built by the app's tests/factories.py (a scenario that several tests "
        "share is a function there, creating its rows through the factories)"
    )
    assert sorted(SUPPORT_MODULES) == found, "SUPPORT_MODULES names a module that is gone"
