"""clv-1m runs end to end at a tiny size (figures are not asserted: speed lives in docs)."""

from __future__ import annotations

import math

from bench.clv_1m import generate_orders, run


def test_it_generates_orders_deterministically() -> None:
    first = generate_orders(500, seed=3)
    assert first.equals(generate_orders(500, seed=3))
    assert first["customer"].n_unique() == 500
    assert first.height > 500


def test_it_reports_every_figure_with_finite_parameters() -> None:
    figures = run(size=2_000, seed=1)
    names = [f["figure"] for f in figures]
    assert names[:5] == ["end_to_end", "summary", "gamma_gamma_fit", "clv", "bgnbd_fit"]
    for figure in figures:
        assert figure["scenario"] == "clv-1m"
        assert figure["size"] == 2_000
        assert math.isfinite(figure["value"])
        assert set(figure) >= {"unit", "baseline", "baseline_value", "ratio"}
    assert figures[0]["cpu_seconds"] >= 0
    assert math.isfinite(figures[0]["load_average_1m"])
    fit = figures[4]
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert math.isfinite(fit[name])
    spend = figures[2]
    assert all(math.isfinite(spend[k]) for k in ("p", "q", "gamma"))
