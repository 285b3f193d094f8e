"""MBG/NBD and Pareto/NBD: published CDNOW figures, independent checks, stability, comparison."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import polars as pl
import pytest
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

from clientela.analytics.clv import mbgnbd, paretonbd
from clientela.analytics.clv.bgnbd import _Likelihood, fit_bgnbd
from clientela.analytics.clv.fitting import Coded, compress_coded
from clientela.analytics.clv.gamma_gamma import conditional_expected_average_value, fit_gamma_gamma
from clientela.analytics.clv.mbgnbd import MbgNbdParams, fit_mbgnbd
from clientela.analytics.clv.models import (
    MODEL_CODES,
    TransactionParams,
    conditional_expected_purchases,
)
from clientela.analytics.clv.paretonbd import ParetoNbdParams, fit_paretonbd
from clientela.analytics.clv.summary import summarize_transactions
from clientela.analytics.clv.validation import best_models, compare_models
from clientela.analytics.clv.value import customer_lifetime_value

from .test_bgnbd import _columns, _numeric_derivatives

# --- Pareto/NBD ------------------------------------------------------------------------


def test_pareto_nbd_reproduces_the_published_cdnow_estimates(cdnow_summary: pl.DataFrame) -> None:
    params = fit_paretonbd(*_columns(cdnow_summary))
    # Fader, Hardie & Lee (2005) / BTYD: r 0.553, alpha 10.578, s 0.606, beta 11.669, LL -9595.0
    assert params.r == pytest.approx(0.553, abs=5e-4)
    assert params.alpha == pytest.approx(10.578, abs=5e-3)
    assert params.s == pytest.approx(0.606, abs=5e-4)
    assert params.beta == pytest.approx(11.669, abs=5e-3)
    assert round(params.log_likelihood, 1) == -9595.0
    # The reported log-likelihood is the sum of the per-customer ones at the optimum.
    per_customer = paretonbd.log_likelihood(params, *_columns(cdnow_summary))
    assert per_customer.sum() == pytest.approx(params.log_likelihood, rel=1e-10)


@pytest.mark.parametrize(
    "params", [(0.553, 10.578, 0.606, 11.669), (0.553, 12.0, 0.606, 3.0), (2.0, 1.0, 0.3, 50.0)]
)
@pytest.mark.parametrize(
    ("x", "t_x", "T"), [(0, 0.0, 38.86), (2, 30.43, 38.86), (50, 1.0, 38.0), (5, 38.0, 38.86)]
)
def test_pareto_nbd_likelihood_matches_direct_integration(
    params: tuple[float, float, float, float], x: int, t_x: float, T: float
) -> None:
    # L = G(r+x) a^r b^s / G(r) [F(T) + s int_{t_x}^T (a+u)^-(r+x) (b+u)^-(s+1) du]: the
    # alive term plus death at u in (t_x, T]. Both hypergeometric branches are covered
    # (alpha < beta, alpha > beta).
    r, alpha, s, beta = params
    # Break points near t_x, where a large x concentrates the integrand.
    points = t_x + (T - t_x) * np.geomspace(1e-5, 0.5, 12)
    integral, error = quad(
        lambda u: (alpha + u) ** -(r + x) * (beta + u) ** -(s + 1),
        t_x,
        T,
        epsrel=1e-13,
        points=points,
        limit=500,
    )
    assert error < 1e-8 * integral
    alive = (alpha + T) ** -(r + x) * (beta + T) ** -s
    expected = (
        gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        + np.log(alive + s * integral)
    )  # fmt: skip
    pnbd = ParetoNbdParams(r, alpha, s, beta, 0.0)
    assert paretonbd.log_likelihood(pnbd, [x], [t_x], [T])[0] == pytest.approx(expected, rel=1e-9)
    p_alive = paretonbd.probability_alive(pnbd, [x], [t_x], [T])[0]
    assert p_alive == pytest.approx(alive / (alive + s * integral), rel=1e-9)


def test_pareto_nbd_predicts_the_btyd_figures(cdnow_summary: pl.DataFrame) -> None:
    params = fit_paretonbd(*_columns(cdnow_summary))
    # BTYD walkthrough: a customer with x = 26, t_x = 30.86, T = 31 expects 25.46 purchases
    # in the next 52 weeks; with BTYD's estimates P(alive) = 0.9979.
    assert conditional_expected_purchases(params, 52, 26, 30.86, 31)[0] == (
        pytest.approx(25.46, abs=0.01)
    )
    btyd = ParetoNbdParams(0.5534, 10.5802, 0.6061, 11.6562, 0.0)
    assert paretonbd.probability_alive(btyd, 26, 30.86, 31)[0] == pytest.approx(0.9979, abs=1e-4)
    # BTYD's pnbd.Expectation(params, t = 0..9).
    btyd_expectation = [0.0, 0.05077821, 0.09916088, 0.14542507, 0.18979930,
                        0.23247466, 0.27361274, 0.31335159, 0.35181024, 0.38909211]  # fmt: skip
    np.testing.assert_allclose(
        paretonbd.expected_purchases(params, np.arange(10)), btyd_expectation, atol=0.01
    )
    # E[X(t)] = r beta / (alpha (s - 1)) [1 - (beta / (beta + t))^(s - 1)], written out.
    r, alpha, s, beta = params.r, params.alpha, params.s, params.beta
    plain = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + 39.0)) ** (s - 1))
    assert paretonbd.expected_purchases(params, 39.0)[0] == pytest.approx(plain, rel=1e-12)


def test_pareto_nbd_stays_finite_for_extreme_customers() -> None:
    # lifetimes' overflow cases: a tiny alpha and hundreds of purchases in a few weeks.
    params = ParetoNbdParams(10.465, 7.98565181e-03, 3.0516, 2.820, 0.0)
    x, t_x, T = [400.0, 500.0, 5000.0, 0.0], [5.0, 1.0, 4.0, 0.0], [6.0, 37.0, 37.0, 1e5]
    assert np.all(np.isfinite(paretonbd.log_likelihood(params, x, t_x, T)))
    alive = paretonbd.probability_alive(params, x, t_x, T)
    assert np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.isfinite(conditional_expected_purchases(params, 52, x, t_x, T)))
    # One more purchase changes the forecast a little, not by an underflow jump.
    cdnow = ParetoNbdParams(0.55, 10.58, 0.61, 11.67, 0.0)
    left, right = conditional_expected_purchases(cdnow, 10, [132, 133], 200, 200)
    assert (left, right) == (pytest.approx(6.2060518, abs=1e-6), pytest.approx(6.2528722, abs=1e-6))


def test_pareto_nbd_is_continuous_at_s_equal_to_one() -> None:
    near = [ParetoNbdParams(0.5, 10.0, 1.0 + eps, 12.0, 0.0) for eps in (-1e-9, 0.0, 1e-9)]
    values = [paretonbd.expected_purchases(p, 52.0)[0] for p in near]
    assert values[1] == pytest.approx(0.5 * 12.0 / 10.0 * np.log1p(52.0 / 12.0), rel=1e-12)
    assert values[0] == pytest.approx(values[1], rel=1e-7)
    assert values[2] == pytest.approx(values[1], rel=1e-7)


def test_pareto_nbd_gives_the_same_fit_with_weights_as_with_repeated_rows(
    cdnow_summary: pl.DataFrame,
) -> None:
    x, t_x, T = _columns(cdnow_summary)
    weighted = fit_paretonbd(x, t_x, T, weights=np.full(len(x), 2.0))
    doubled = fit_paretonbd(np.tile(x, 2), np.tile(t_x, 2), np.tile(T, 2))
    assert weighted.log_likelihood == pytest.approx(doubled.log_likelihood, rel=1e-9)
    assert weighted.r == pytest.approx(doubled.r, rel=1e-5)
    single = fit_paretonbd(x, t_x, T)
    assert weighted.log_likelihood == pytest.approx(2 * single.log_likelihood, rel=1e-8)


# --- MBG/NBD ----------------------------------------------------------------------------


def _mbg_plain_nll(theta: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> float:
    """The MBG/NBD negative log-likelihood written plainly (Batislam et al. 2007)."""
    r, alpha, a, b = np.exp(theta)
    ll = (
        gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        + betaln(a, b + x + 1) - betaln(a, b) - (r + x) * np.log(alpha + T)
        + np.logaddexp(0.0, np.log(a) - np.log(b + x)
                       + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)))
    )  # fmt: skip
    return float(-ll.sum())


def test_mbg_nbd_reproduces_lifetimes_and_a_brute_force_maximisation(
    cdnow_summary: pl.DataFrame,
) -> None:
    x, t_x, T = _columns(cdnow_summary)
    params = fit_mbgnbd(x, t_x, T)
    # lifetimes' ModifiedBetaGeoFitter and BTYDplus on CDNOW: 0.525, 6.183, 0.891, 1.614.
    fitted = [params.r, params.alpha, params.a, params.b]
    np.testing.assert_array_almost_equal(fitted, [0.525, 6.183, 0.891, 1.614], decimal=3)
    # An independent maximisation of the plainly written likelihood (Nelder-Mead, no
    # derivatives) finds the same optimum and log-likelihood.
    brute = minimize(
        _mbg_plain_nll,
        np.zeros(4),
        args=(x, t_x, T),
        method="Nelder-Mead",
        options={"xatol": 1e-9, "fatol": 1e-9, "maxiter": 20_000, "maxfev": 40_000},
    )
    np.testing.assert_allclose(fitted, np.exp(brute.x), rtol=1e-4)
    assert params.log_likelihood == pytest.approx(-brute.fun, abs=1e-6)
    assert round(params.log_likelihood, 2) == -9582.13


def test_mbg_nbd_predicts_like_the_lifetimes_formulas() -> None:
    params = MbgNbdParams(0.525, 6.183, 0.891, 1.614, 0.0)
    r, alpha, a, b = 0.525, 6.183, 0.891, 1.614
    t = np.array([0.1429, 1.0, 3.0, 31.8571, 78.0])
    # lifetimes' expected_number_of_purchases_up_to_time, written out.
    plain = (
        b / (a - 1) * (1 - hyp2f1(r, b + 1, a + b, t / (alpha + t)) * (alpha / (alpha + t)) ** r)
    )
    np.testing.assert_allclose(mbgnbd.expected_purchases(params, t), plain, rtol=1e-9)
    # Conditional expectation (Wagner & Hoppe 2008) and P(alive), x = 0 included.
    x, t_x, T, h = np.array([0.0, 2.0, 7.0]), np.array([0.0, 30.43, 10.0]), 38.86, 39.0
    numerator = (a + b + x) / (a - 1) * (
        1 - hyp2f1(r + x, b + x + 1, a + b + x, h / (alpha + T + h))
        * ((alpha + T) / (alpha + T + h)) ** (r + x)
    )  # fmt: skip
    denominator = 1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x)
    expected = numerator / denominator
    got = conditional_expected_purchases(params, h, x, t_x, T)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    alive = mbgnbd.probability_alive(params, x, t_x, T)
    np.testing.assert_allclose(alive, 1 / denominator, rtol=1e-12)
    assert alive[0] < 1  # unlike BG/NBD, a customer without repeat purchases may be gone
    # Extreme histories stay finite and in range.
    far = conditional_expected_purchases(params, 52, [5000.0, 0.0], [1.0, 0.0], [1e4, 1e4])
    assert np.all(np.isfinite(far)) and np.all(far >= 0)


@pytest.mark.parametrize("params", [(0.3, 0.1, 0.7, 2.5), (2.0, 3.0, 40.0, 0.5)])
def test_mbg_nbd_has_an_exact_gradient_and_hessian(
    cdnow_summary: pl.DataFrame, params: tuple[float, float, float, float]
) -> None:
    x, t_x, T = _columns(cdnow_summary)
    columns = [Coded.of(x), Coded.of(t_x / T.max()), Coded.of(T / T.max())]
    (cx, ctx, cT), w = compress_coded(columns)
    likelihood = _Likelihood(cx, ctx, cT, w, shift=1)
    theta = np.log(params)
    value, grad, hess = likelihood.with_hessian(theta)
    plain = _mbg_plain_nll(theta, x, t_x / T.max(), T / T.max())
    assert value == pytest.approx(plain / len(x), rel=1e-10)
    numeric_grad, numeric_hess = _numeric_derivatives(likelihood, theta)
    np.testing.assert_allclose(grad, numeric_grad, atol=1e-8)
    np.testing.assert_allclose(hess, numeric_hess, atol=1e-7 * np.abs(hess).max())


# --- Comparison and CLV with any model -------------------------------------------------


def test_it_compares_every_model_on_the_holdout(cdnow_transactions: pl.DataFrame) -> None:
    summary = summarize_transactions(
        cdnow_transactions,
        customer_col="customer_id",
        calibration_end=dt.date(1997, 9, 30),
        observation_end=dt.date(1998, 6, 30),
    )
    columns = [
        summary[name].to_numpy()
        for name in ("frequency", "recency", "T", "frequency_holdout", "duration_holdout")
    ]
    rows = compare_models(*columns)
    assert [row["model"] for row in rows] == list(MODEL_CODES)
    n, actual = summary.height, columns[3]
    for row in rows:
        assert row["aic"] == pytest.approx(8 - 2 * row["log_likelihood"])
        assert row["bic"] == pytest.approx(4 * np.log(n) - 2 * row["log_likelihood"])
        assert row["actual_total"] == actual.sum() == 1882
        assert 0 < row["mae"] <= row["rmse"]
    ll = {row["model"]: row["log_likelihood"] for row in rows}
    assert round(ll["bgnbd"], 1) == -9582.4
    assert round(ll["paretonbd"], 1) == -9595.0
    best = best_models(rows)
    assert best["aic"] == best["bic"] == "mbgnbd"  # the highest likelihood, same k
    assert set(best.values()) <= set(MODEL_CODES)


def test_it_scores_holdout_errors_from_the_predictions() -> None:
    x, t_x, T = np.array([0.0, 2.0, 5.0, 1.0]), np.array([0.0, 8.0, 9.0, 3.0]), np.full(4, 10.0)
    actual = np.array([0.0, 1.0, 4.0, 0.0])
    rows = compare_models(x, t_x, T, actual, 5.0, models=["bgnbd"])
    assert len(rows) == 1
    predicted = conditional_expected_purchases(fit_bgnbd(x, t_x, T), 5.0, x, t_x, T)
    assert rows[0]["mae"] == pytest.approx(np.mean(np.abs(predicted - actual)))
    assert rows[0]["rmse"] == pytest.approx(np.sqrt(np.mean((predicted - actual) ** 2)))
    assert rows[0]["total_error"] == pytest.approx(predicted.sum() - 5.0)
    assert rows[0]["total_error_share"] == pytest.approx((predicted.sum() - 5.0) / 5.0)


@pytest.mark.parametrize("fit", [fit_mbgnbd, fit_paretonbd])
def test_clv_works_with_every_purchase_model(
    cdnow_spend: pl.DataFrame, fit: Callable[..., TransactionParams]
) -> None:
    x, t_x, T, m = (cdnow_spend[c].to_numpy().astype(float) for c in ("x", "t_x", "T", "zbar"))
    params = fit(x, t_x, T)
    spend = fit_gamma_gamma(x, m)
    clv = customer_lifetime_value(params, spend, x, t_x, T, m, horizon=52, time_unit="weeks")
    assert np.all(np.isfinite(clv)) and np.all(clv >= 0)
    # One month of CLV, undiscounted, is the month's expected purchases times the spend.
    one = customer_lifetime_value(
        params, spend, x, t_x, T, m, horizon=30.4375 / 7, time_unit="weeks", discount_rate=0.0
    )
    month = conditional_expected_purchases(params, 30.4375 / 7, x, t_x, T)
    np.testing.assert_allclose(one, month * conditional_expected_average_value(spend, x, m))


def test_pareto_nbd_warm_start_on_a_subsample_reaches_the_same_optimum(
    cdnow_summary: pl.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    x, t_x, T = _columns(cdnow_summary)
    direct = fit_paretonbd(x, t_x, T)
    # Large data start from the optimum on a subsample; every third row stands in here.
    monkeypatch.setattr(paretonbd, "subsample", lambda size: np.arange(0, size, 3))
    warm = fit_paretonbd(x, t_x, T)
    assert warm.log_likelihood == pytest.approx(direct.log_likelihood, abs=1e-6)
    assert warm.s == pytest.approx(direct.s, rel=1e-4)
