"""Pre-trend power (Roth 2022) against R: He and Wang (2017), the pretrends package's published example."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators.pretrends import pretrend_power, slope_for_power, truncated_normal_mean

REFERENCE = json.loads((Path(__file__).resolve().parents[1] / "reference" / "pretrends" / "he_wang.json")
                       .read_text(encoding="utf-8"))
BETA, SIGMA, T = (np.asarray(REFERENCE[k], float) for k in ("beta", "sigma", "tVec"))


def test_slopes_for_power_match_r() -> None:
    # R: mvtnorm::pmvnorm at abseps 1e-9 and uniroot at tol 1e-12 (tests/reference/pretrends/reference.R)
    assert slope_for_power(SIGMA, T, reference=-1, target_power=0.5) == pytest.approx(REFERENCE["slope50"], rel=1e-5)
    assert slope_for_power(SIGMA, T, reference=-1, target_power=0.8) == pytest.approx(REFERENCE["slope80"], rel=1e-5)
    # the README's published value was computed with pmvnorm's default precision (abseps 1e-3)
    assert slope_for_power(SIGMA, T, reference=-1) == pytest.approx(REFERENCE["readme"]["slope50"], rel=3e-4)


def test_power_bayes_factor_likelihood_ratio_and_means_after_pretesting_match_r() -> None:
    readme = REFERENCE["readme"]
    linear = pretrend_power(BETA, SIGMA, T, reference=-1, slope=readme["slope50"])
    assert linear.likelihood_ratio == pytest.approx(REFERENCE["likelihood_ratio_linear50"], rel=1e-3)
    assert linear.likelihood_ratio == pytest.approx(readme["linear"]["likelihood_ratio"], rel=1e-6)
    assert linear.power == pytest.approx(readme["linear"]["power"], abs=2e-4)
    assert linear.bayes_factor == pytest.approx(readme["linear"]["bayes_factor"], abs=2e-4)
    means = linear.tidy().set_index("relative_time")["mean_after_pretesting"].drop(-1.0).to_numpy()
    np.testing.assert_allclose(means, readme["linear"]["mean_after_pretesting"], rtol=0, atol=2e-5)
    quadratic = pretrend_power(BETA, SIGMA, T, reference=-1, delta=0.024 * (T + 1) ** 2)
    assert quadratic.power == pytest.approx(REFERENCE["power_quadratic"], rel=1e-6)
    assert quadratic.power == pytest.approx(readme["quadratic"]["power"], abs=2e-4)
    assert quadratic.bayes_factor == pytest.approx(readme["quadratic"]["bayes_factor"], abs=2e-4)
    assert quadratic.likelihood_ratio == pytest.approx(REFERENCE["likelihood_ratio_quadratic"], rel=1e-9)
    assert linear.power_parallel == pytest.approx(REFERENCE["power_zero"], rel=1e-5)


def test_truncated_mean_matches_simulation_and_one_dimension() -> None:
    rng = np.random.default_rng(3)
    cov = np.array([[1.0, 0.5, 0.2], [0.5, 2.0, 0.3], [0.2, 0.3, 1.5]])
    mean = np.array([0.3, -0.2, 0.5])
    low, high = np.array([-1.0, -2.0, -0.5]), np.array([1.5, 1.0, 2.0])
    draws = rng.multivariate_normal(mean, cov, size=2_000_000)
    inside = draws[np.all((draws >= low) & (draws <= high), axis=1)]
    np.testing.assert_allclose(truncated_normal_mean(mean, cov, low, high), inside.mean(axis=0), rtol=0, atol=3e-3)
    from scipy import stats

    one = truncated_normal_mean(np.array([0.4]), np.array([[2.0]]), np.array([-1.0]), np.array([1.0]))
    exact = stats.truncnorm.mean((-1 - 0.4) / np.sqrt(2), (1 - 0.4) / np.sqrt(2), loc=0.4, scale=np.sqrt(2))
    assert one[0] == pytest.approx(exact, rel=1e-10)


def test_results_protocol_and_reproducibility() -> None:
    result = pretrend_power(BETA, SIGMA, T, reference=-1, slope=0.05)
    table = result.tidy()
    assert list(table.columns[:7]) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                       "conf_high"]
    assert table["relative_time"].tolist() == [-4, -3, -2, -1, 0, 1, 2, 3]
    assert np.isnan(table.loc[table["relative_time"] < 0, "bias_after_pretesting"]).all()
    assert "Bayes factor" in str(result.summary()) and "<table" in result.summary()._repr_html_()
    again = pretrend_power(BETA, SIGMA, T, reference=-1, slope=0.05)
    pd.testing.assert_frame_equal(table, again.tidy())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"slope": 0.1, "delta": np.zeros(7)}, "exactly one"), ({}, "exactly one"),
     ({"slope": 0.1, "reference": -10}, "no pre-period"), ({"delta": np.zeros(3)}, "delta has 3")],
)
def test_refused_inputs(kwargs: dict, message: str) -> None:
    options = {"reference": -1, **kwargs}
    with pytest.raises(ValueError, match=message):
        pretrend_power(BETA, SIGMA, T, **options)


def test_refused_matrices_and_powers() -> None:
    with pytest.raises(ValueError, match="symmetric"):
        pretrend_power(BETA, SIGMA + np.triu(np.full((7, 7), 0.01), 1), T, reference=-1, slope=0.1)
    with pytest.raises(ValueError, match="relative times"):
        pretrend_power(BETA, SIGMA, T[:-1], reference=-1, slope=0.1)
    with pytest.raises(ValueError, match="target_power"):
        slope_for_power(SIGMA, T, reference=-1, target_power=0.05)


def test_event_study_convenience(tmp_path: Path) -> None:
    from villageaid.estimators import event_study

    rng = np.random.default_rng(8)
    units, years = 200, np.arange(2014, 2022)
    frame = pd.DataFrame({"unit": np.repeat(np.arange(units), len(years)), "year": np.tile(years, units)})
    frame["treated"] = (frame["unit"] < 100).astype(float)
    frame["y"] = rng.normal(size=len(frame)) + 0.5 * frame["treated"] * (frame["year"] >= 2018)
    study = event_study(frame, outcome="y", treatment="treated", time="year", unit="unit", reference=2017,
                        fixed_effects=("unit", "year"))
    slope80 = study.slope_for_power(0.8)
    power = study.pretrend_power(slope=slope80)
    assert power.power == pytest.approx(0.8, abs=1e-6)
    assert power.nobs == len(frame) and power.reference == 2017
    assert study.pretrend_power(target_power=0.8).power == pytest.approx(0.8, abs=1e-6)


def test_a_box_probability_asked_again_is_the_same_bits_without_integrating_again(monkeypatch) -> None:
    """The seeded integration gives the same bits for the same inputs: the cache returns them, and only them."""
    from scipy import stats

    from villageaid.estimators import pretrends as module

    monkeypatch.setattr(module, "_BOX_CACHE", {})
    mean, cov = np.array([0.1, -0.2, 0.05]), np.array([[1.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 1.0]])
    lower, upper = np.full(3, -1.96), np.full(3, 1.96)
    fresh = float(stats.multivariate_normal(mean=mean, cov=cov, seed=20240601, **module._MVN_OPTIONS).cdf(
        upper, lower_limit=lower))
    calls = []
    original = stats.multivariate_normal

    def counting(*args, **kwargs):
        calls.append(kwargs.get("maxpts"))
        return original(*args, **kwargs)

    monkeypatch.setattr(stats, "multivariate_normal", counting)
    first = module._box_probability(mean, cov, lower, upper)
    again = module._box_probability(mean.copy(), cov.copy(), lower.copy(), upper.copy())
    cheap = module._box_probability(mean, cov, lower, upper, module._MVN_SEARCH_OPTIONS)
    moved = module._box_probability(mean + 1e-12, cov, lower, upper)
    assert first == again == fresh
    assert cheap != first and moved != first  # other options, other inputs: integrated anew
    assert calls == [200_000, 50_000, 200_000]
