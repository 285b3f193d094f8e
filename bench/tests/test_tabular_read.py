"""The tabular-read benchmark runs end to end at a tiny size and reports the agreed shape."""

from __future__ import annotations

from bench.tabular_read import run


def test_it_reports_read_throughput_against_csv_reader():
    figures = run(size=300, seed=7)

    assert [f["figure"] for f in figures] == ["rows_per_s", "rows_per_s_lists"]
    for figure in figures:
        assert figure["scenario"] == "tabular-read"
        assert figure["unit"] == "rows/s"
        assert figure["baseline"] == "csv.reader on the same bytes"
        assert figure["size"] == 300
        assert figure["value"] > 0 and figure["baseline_value"] > 0
        assert abs(figure["ratio"] - figure["value"] / figure["baseline_value"]) < 0.01
