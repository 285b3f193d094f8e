"""The import-1m benchmark runs end to end at a tiny size and reports the agreed shape."""

from __future__ import annotations

import os

import pytest

from bench.import_1m import run

DATABASES = ["sqlite"]
if os.environ.get("CLIENTELA_TEST_DATABASE_URL", "").startswith("postgres"):
    DATABASES.append("postgresql")


@pytest.mark.parametrize("database", DATABASES)
def test_it_imports_the_generated_file_and_reports_the_figure(database):
    figures = run(size=500, seed=7, database=database)

    assert len(figures) == 1
    figure = figures[0]
    assert figure["scenario"] == "import-1m"
    assert figure["figure"] == "import_seconds"
    assert figure["unit"] == "s"
    assert figure["database"] == database
    assert figure["baseline"] == (
        "PostgreSQL COPY" if database == "postgresql" else "SQLite executemany"
    )
    assert figure["size"] == 500
    assert figure["created"] == 500 and figure["rejected"] == 0
    assert figure["value"] > 0 and figure["baseline_value"] > 0
    assert figure["ratio"] == pytest.approx(figure["value"] / figure["baseline_value"], rel=0.01)
