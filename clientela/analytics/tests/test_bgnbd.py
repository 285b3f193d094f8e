"""BG/NBD: published CDNOW estimates, predictions and numerical stability at the extremes."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from fractions import Fraction

import numpy as np
import polars as pl
import pytest
from scipy.integrate import quad
from scipy.special import betaln

from clientela.analytics.clv import bgnbd
from clientela.analytics.clv.bgnbd import (
    BgNbdParams,
    _Likelihood,
    conditional_expected_purchases,
    expected_purchases,
    expected_purchases_if_alive,
    fit_bgnbd,
    probability_alive,
)
from clientela.analytics.clv.fitting import Coded, FitError, compress_coded

CDNOW = BgNbdParams(r=0.242593, alpha=4.413532, a=0.792886, b=2.425752, log_likelihood=0.0)


def _columns(frame: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return frame["frequency"].to_numpy(), frame["recency"].to_numpy(), frame["T"].to_numpy()


def test_it_reproduces_the_published_cdnow_estimates(cdnow_summary: pl.DataFrame) -> None:
    params = fit_bgnbd(*_columns(cdnow_summary))
    # Fader, Hardie & Lee (2005): r=0.243, alpha=4.414, a=0.793, b=2.426, LL=-9582.4
    assert round(params.r, 3) == 0.243
    assert round(params.alpha, 3) == 4.414
    assert round(params.a, 3) == 0.793
    assert round(params.b, 3) == 2.426
    assert round(params.log_likelihood, 1) == -9582.4


def test_it_gives_the_same_fit_with_weights_as_with_repeated_rows(
    cdnow_summary: pl.DataFrame,
) -> None:
    x, t_x, T = _columns(cdnow_summary)
    doubled = fit_bgnbd(np.tile(x, 2), np.tile(t_x, 2), np.tile(T, 2))
    weighted = fit_bgnbd(x, t_x, T, weights=np.full(len(x), 2.0))
    assert weighted.r == pytest.approx(doubled.r, rel=1e-7)
    assert weighted.b == pytest.approx(doubled.b, rel=1e-7)
    assert weighted.log_likelihood == pytest.approx(doubled.log_likelihood, rel=1e-9)


def test_it_does_not_depend_on_the_time_unit(cdnow_summary: pl.DataFrame) -> None:
    x, t_x, T = _columns(cdnow_summary)
    weeks = fit_bgnbd(x, t_x, T)
    days = fit_bgnbd(x, t_x * 7, T * 7)
    assert days.alpha == pytest.approx(weeks.alpha * 7, rel=1e-6)
    assert days.r == pytest.approx(weeks.r, rel=1e-6)
    assert days.a == pytest.approx(weeks.a, rel=1e-6)


def test_it_predicts_the_published_expectation_for_a_cdnow_customer() -> None:
    # Fader, Hardie & Lee (2005): x=2, t_x=30.43, T=38.86 expects 1.226 purchases in 39 weeks.
    value = conditional_expected_purchases(CDNOW, 39, [2], [30.43], [38.86])
    assert value[0] == pytest.approx(1.226, abs=5e-4)


def test_it_gives_p_alive_one_without_repeat_purchases_and_less_after_a_long_silence() -> None:
    alive = probability_alive(CDNOW, [0, 5, 5], [0, 38, 2], [39, 39, 39])
    assert alive[0] == 1.0
    assert alive[1] == pytest.approx(0.8776, abs=1e-4)  # lifetimes gives the same
    assert alive[2] < 0.01


def _reference_if_alive(params: BgNbdParams, t: float, x: float, T: float) -> float:
    """Integrate E[(1 - exp(-lambda p t)) / p] over the posterior Beta of p (lambda done)."""
    r, alpha, a, b = params.r + x, params.alpha + T, params.a, params.b + x

    def integrand(p: float) -> float:
        growth = -np.expm1(-r * np.log1p(p * t / alpha)) / p
        return float(growth * np.exp((a - 1) * np.log(p) + (b - 1) * np.log1p(-p) - betaln(a, b)))

    return float(quad(integrand, 0, 1, limit=200, epsabs=0, epsrel=1e-10)[0])


@pytest.mark.parametrize(
    ("t", "x", "T"),
    [(39, 0, 38.86), (39, 2, 38.86), (1, 50, 80), (500, 3, 2), (52, 400, 104)],
)
def test_it_matches_direct_integration_of_the_expectation(t: float, x: float, T: float) -> None:
    value = expected_purchases_if_alive(CDNOW, t, x, T)[0]
    assert value == pytest.approx(_reference_if_alive(CDNOW, t, x, T), rel=1e-6)


LARGE_A = BgNbdParams(r=0.5, alpha=5.0, a=400.0, b=30.0, log_likelihood=0.0)


@pytest.mark.parametrize(("t", "x", "T"), [(2, 3, 20), (500, 3, 20), (5000, 0, 1), (80, 60, 100)])
def test_it_matches_direct_integration_when_a_is_large(t: float, x: float, T: float) -> None:
    # (1 - z)^(a - 1) underflows and 2F1 overflows here: the quadrature takes over.
    value = expected_purchases_if_alive(LARGE_A, t, x, T)[0]
    assert value == pytest.approx(_reference_if_alive(LARGE_A, t, x, T), rel=1e-7)


def test_it_predicts_purchases_after_a_degenerate_fit_without_warnings() -> None:
    # A fit on ten customers once gave a and b in the millions; every customer then got
    # zero expected purchases. With p ~ Beta(a, b + x) this concentrated, the expectation
    # is (1 - (1 + p t / (alpha + T))^-(r + x)) / p at p = a / (a + b + x).
    params = BgNbdParams(r=0.805, alpha=9.92, a=5.65e6, b=1.55e7, log_likelihood=0.0)
    x, T = np.array([0.0, 3.0, 3.0, 40.0]), np.array([24.7, 24.7, 1e4, 60.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = expected_purchases_if_alive(params, 52.0, x, T)
    p = params.a / (params.a + params.b + x)
    limit = -np.expm1(-(params.r + x) * np.log1p(p * 52.0 / (params.alpha + T))) / p
    np.testing.assert_allclose(value, limit, rtol=1e-5)


def test_it_matches_the_unconditional_expectation_at_zero_history() -> None:
    assert expected_purchases(CDNOW, [39])[0] == pytest.approx(
        _reference_if_alive(CDNOW, 39, 0, 0), rel=1e-6
    )


def test_it_handles_a_equal_to_one_by_continuity() -> None:
    near = [BgNbdParams(0.5, 5.0, a, 2.0, 0.0) for a in (1.0 - 1e-4, 1.0, 1.0 + 1e-4)]
    values = [expected_purchases_if_alive(p, 10, 3, 20)[0] for p in near]
    assert values[1] == pytest.approx(values[0], rel=1e-3)
    assert values[1] == pytest.approx(values[2], rel=1e-3)


def test_it_stays_finite_for_extreme_customers() -> None:
    x = np.array([0, 0, 1, 1e6, 1e6, 3, 5000])
    t_x = np.array([0, 0, 1e-9, 1e5, 1.0, 1e7, 99])
    T = np.array([0, 1e7, 1e-9, 1e5, 1e5, 1e7, 100])
    alive = probability_alive(CDNOW, x, t_x, T)
    expected = conditional_expected_purchases(CDNOW, 1e4, x, t_x, T)
    assert np.all(np.isfinite(alive))
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.isfinite(expected))
    assert np.all(expected >= 0)
    # A customer who bought a million times and just now keeps buying at about x / T.
    assert expected[3] == pytest.approx(1e6 / 1e5 * 1e4, rel=0.05)


def test_it_fits_extreme_data_without_nan() -> None:
    rng = np.random.default_rng(7)
    x = np.concatenate([np.zeros(500), rng.integers(1, 5, 300), [1e5, 2e5]])
    T = np.full(len(x), 1000.0)
    t_x = np.where(x > 0, rng.uniform(1, 1000, len(x)), 0.0)
    params = fit_bgnbd(x, t_x, T)
    values = np.array([params.r, params.alpha, params.a, params.b, params.log_likelihood])
    assert np.all(np.isfinite(values))


def test_it_refuses_inconsistent_summaries() -> None:
    with pytest.raises(FitError, match="recency"):
        fit_bgnbd([1, 2], [5, 1], [4, 3])
    with pytest.raises(FitError, match="at least two"):
        fit_bgnbd([1], [1], [2])


def _numeric_derivatives(
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]], theta: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Central differences of the objective (gradient) and of its gradient (Hessian)."""
    k, eps = len(theta), 1e-6
    grad, hess = np.empty(k), np.empty((k, k))
    for i in range(k):
        step = np.zeros(k)
        step[i] = eps
        up, down = objective(theta + step), objective(theta - step)
        grad[i] = (up[0] - down[0]) / (2 * eps)
        hess[:, i] = (up[1] - down[1]) / (2 * eps)
    return grad, hess


@pytest.mark.parametrize("chunk_rows", [1 << 16, 97])
@pytest.mark.parametrize("params", [(0.3, 0.1, 0.7, 2.5), (2.0, 3.0, 40.0, 0.5)])
def test_it_has_an_exact_gradient_and_hessian(
    cdnow_summary: pl.DataFrame,
    params: tuple[float, float, float, float],
    chunk_rows: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 97-row blocks check that the block-by-block sums add up like a single pass.
    monkeypatch.setattr(bgnbd, "CHUNK_ROWS", chunk_rows)
    x, t_x, T = _columns(cdnow_summary)
    columns = [Coded.of(x), Coded.of(t_x / T.max()), Coded.of(T / T.max())]
    (cx, ctx, cT), w = compress_coded(columns)
    likelihood = _Likelihood(cx, ctx, cT, w)
    theta = np.log(params)
    value, grad, hess = likelihood.with_hessian(theta)
    assert likelihood(theta)[0] == value
    numeric_grad, numeric_hess = _numeric_derivatives(likelihood, theta)
    np.testing.assert_allclose(grad, numeric_grad, atol=1e-8)
    np.testing.assert_allclose(hess, numeric_hess, atol=1e-7 * np.abs(hess).max())


def test_it_sums_the_x_terms_like_the_gamma_functions(
    cdnow_summary: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    x, t_x, T = _columns(cdnow_summary)
    cx, ctx, cT = Coded.of(x), Coded.of(t_x / T.max()), Coded.of(T / T.max())
    theta = np.log([0.3, 0.1, 0.7, 2.5])
    summed = _Likelihood(cx, ctx, cT, np.ones(len(x))).with_hessian(theta)
    monkeypatch.setattr(bgnbd, "RISING_MAX", 0)  # every x "too large": gamma functions
    gamma = _Likelihood(cx, ctx, cT, np.ones(len(x))).with_hessian(theta)
    assert summed[0] == pytest.approx(gamma[0], rel=1e-12)
    np.testing.assert_allclose(summed[1], gamma[1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(summed[2], gamma[2], rtol=1e-10, atol=1e-12)


def test_it_keeps_the_beta_terms_exact_when_a_and_b_are_huge() -> None:
    # ln B(a, b+x) / B(a, b) from differences of ln G loses every digit here.
    a, b, xs = 3e9, 7e12, [0.0, 1.0, 4.0]
    likelihood = _Likelihood(
        Coded.of(xs), Coded.of([0.0, 1.0, 2.0]), Coded.of([3.0] * 3), np.ones(3)
    )
    terms = likelihood._x_terms(0.5, a, b, hessian=False)
    for x, value in zip(xs, terms.log_beta, strict=True):
        ratio = math.prod(Fraction(b + k) / Fraction(a + b + k) for k in range(int(x)))
        assert value == pytest.approx(math.log(ratio), rel=1e-12, abs=1e-15)


def _simulate_bgnbd(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw (x, t_x, T) for n customers from BG/NBD(r=0.8, alpha=6, a=0.9, b=3) in weeks."""
    rng = np.random.default_rng(seed)
    T = rng.integers(20, 80, n).astype(float)
    rates = rng.gamma(0.8, 1 / 6.0, n)
    dropouts = rng.beta(0.9, 3.0, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        now = rng.exponential(1 / rates[i])
        while now < T[i]:
            x[i], t_x[i] = x[i] + 1, now
            if rng.random() < dropouts[i]:
                break
            now += rng.exponential(1 / rates[i])
    return x, t_x, T


def test_it_fits_a_large_sample_through_the_subsample_and_newton_like_without() -> None:
    # 250,000 distinct rows take the warm-start path (subsample, then Newton on all rows);
    # 2,500 rows weighted 100 each take the full L-BFGS-B path to the same optimum.
    x, t_x, T = _simulate_bgnbd(2_500, seed=11)
    small = fit_bgnbd(x, t_x, T, weights=np.full(len(x), 100.0))
    # Jitter of 1e-6 weeks makes every copy distinct, so nothing is compressed away.
    jitter = np.random.default_rng(3).uniform(0, 1e-6, (100, len(x)))
    big = fit_bgnbd(np.tile(x, 100), (t_x * (1 - jitter)).ravel(), (T + jitter).ravel())
    for name in ("r", "alpha", "a", "b", "log_likelihood"):
        assert getattr(big, name) == pytest.approx(getattr(small, name), rel=1e-4)
