"""H6 (强者愈强): lagged-performance funding models and convergence match the R reference; edge cases are explicit.

The reference (tests/reference/performance/reference.R) builds the lagged growth, the convergence rows, σ by year
and the means by type from panel.csv itself, with base R, and applies fixest's CRV1 conventions by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis.performance import (
    ConvergenceResults,
    LaggedPerformanceResults,
    convergence_models,
    lagged_growth,
    lagged_performance_models,
)

HERE = Path(__file__).resolve().parents[1] / "reference" / "performance"
CRV1_VILLAGE = {"CRV1": "village"}
REFERENCE_YEARS = {"ref2019": (2019,), "ref2016_2019": (2016, 2017, 2018, 2019), "ref2020": (2020,)}


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return pd.read_csv(HERE / "panel.csv")


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(HERE / "reference.csv")


@pytest.fixture(scope="module")
def lagged(panel: pd.DataFrame) -> LaggedPerformanceResults:
    return lagged_performance_models(panel, vcov=CRV1_VILLAGE)


@pytest.fixture(scope="module")
def convergence(panel: pd.DataFrame) -> dict[str, ConvergenceResults]:
    return {label: convergence_models(panel, reference_years=years, draws=199, seed=0)
            for label, years in REFERENCE_YEARS.items()}


def _rows(reference: pd.DataFrame, model: str) -> pd.DataFrame:
    rows = reference.loc[reference["model"] == model].set_index("term")
    assert len(rows), model
    return rows


def _assert_slopes(slopes: pd.DataFrame, expected: pd.DataFrame, model: str) -> None:
    ours = slopes.loc[slopes["model"] == model].set_index("term")
    assert list(ours["period"]) == ["campaign", "transition"]
    assert list(ours.index) == list(expected.index)
    np.testing.assert_allclose(ours["estimate"], expected["estimate"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(ours["std_error"], expected["std_error"], rtol=1e-6, atol=0)


@pytest.mark.parametrize("model", ["ppml", "asinh_ols"])
def test_lagged_performance_matches_r(lagged: LaggedPerformanceResults, reference: pd.DataFrame, model: str) -> None:
    fit = getattr(lagged, model)
    expected = _rows(reference, model)
    assert list(fit.params.index) == ["lag_growth", "post:lag_growth"]
    assert fit.nobs == int(expected["nobs"].iloc[0])
    assert "CRV1" in fit.vcov_type and fit.clusters == {"village": 80 if model == "asinh_ols" else 78}
    np.testing.assert_allclose(fit.params[expected.index], expected["estimate"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(fit.std_errors[expected.index], expected["std_error"], rtol=1e-6, atol=0)
    _assert_slopes(lagged.slopes, _rows(reference, f"{model}_slopes"), model)


def test_lagged_performance_slopes_and_tidy(lagged: LaggedPerformanceResults) -> None:
    slopes = lagged.slopes
    assert {"model", "period", "estimate", "std_error", "conf_low", "conf_high"} <= set(slopes.columns)
    transition = slopes.loc[(slopes["model"] == "ppml") & (slopes["period"] == "transition")].iloc[0]
    z = 1.959963984540054  # PPML inference is normal
    assert transition["conf_low"] == pytest.approx(transition["estimate"] - z * transition["std_error"], rel=1e-12)
    tidy = lagged.tidy()
    assert set(tidy["table"]) == {"coefficients", "slopes"}
    assert set(tidy["model"]) == {"ppml", "asinh_ols"}
    key = tidy.loc[(tidy["table"] == "coefficients") & (tidy["term"] == LaggedPerformanceResults.key_term)]
    assert len(key) == 2 and (key["estimate"] > 0).all()


def test_lagged_performance_default_is_the_village_jackknife(panel: pd.DataFrame) -> None:
    results = lagged_performance_models(panel)
    for fit in (results.ppml, results.asinh_ols):
        assert "CRV3" in fit.vcov_type and fit.fallback_reason is None
    assert results.slopes["std_error"].notna().all()


@pytest.mark.parametrize("label", list(REFERENCE_YEARS))
def test_convergence_matches_r(convergence: dict[str, ConvergenceResults], reference: pd.DataFrame,
                               label: str) -> None:
    results = convergence[label]
    expected = _rows(reference, f"beta_{label}")
    assert results.beta.nobs == int(expected["nobs"].iloc[0])
    np.testing.assert_allclose(results.beta.params[expected.index], expected["estimate"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(results.beta.std_errors[expected.index], expected["std_error"], rtol=1e-6, atol=0)
    _assert_slopes(results.beta_slopes, _rows(reference, f"beta_slopes_{label}"), "beta")
    change = _rows(reference, f"sigma_change_{label}")
    np.testing.assert_allclose(results.sigma_change["estimate"], change["estimate"], rtol=1e-8, atol=0)
    by_type = _rows(reference, f"by_type_{label}")
    ours = results.by_type.set_index("village_type")
    assert list(ours.index) == list(by_type.index) == ["A", "B", "C", "D"]
    np.testing.assert_allclose(ours["estimate"], by_type["estimate"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(ours["std_error"], by_type["std_error"], rtol=1e-6, atol=0)
    np.testing.assert_array_equal(ours["count"], by_type["nobs"])


def test_sigma_by_year_matches_r_and_numpy(convergence: dict[str, ConvergenceResults], panel: pd.DataFrame,
                                           reference: pd.DataFrame) -> None:
    sigma = convergence["ref2019"].sigma.set_index("year")
    expected = _rows(reference, "sigma")
    np.testing.assert_allclose(sigma["estimate"], expected["estimate"], rtol=1e-8, atol=0)
    np.testing.assert_array_equal(sigma["villages"], expected["nobs"])
    for year, rows in panel.groupby("year"):
        income = rows["collective_income"].to_numpy(dtype=float)
        logs = np.log(income[np.isfinite(income) & (income > 0)])
        assert sigma.loc[year, "estimate"] == pytest.approx(np.std(logs, ddof=0), rel=1e-12)
    assert (sigma["conf_low"] <= sigma["estimate"]).all() and (sigma["estimate"] <= sigma["conf_high"]).all()


def test_bootstrap_is_deterministic_for_a_seed(panel: pd.DataFrame) -> None:
    first = convergence_models(panel, draws=99, seed=5)
    again = convergence_models(panel, draws=99, seed=5)
    other = convergence_models(panel, draws=99, seed=6)
    pd.testing.assert_frame_equal(first.sigma, again.sigma)
    pd.testing.assert_frame_equal(first.sigma_change, again.sigma_change)
    assert not np.allclose(first.sigma["conf_low"], other.sigma["conf_low"])
    np.testing.assert_array_equal(first.sigma["estimate"], other.sigma["estimate"])


def test_reference_years_use_their_mean(convergence: dict[str, ConvergenceResults], panel: pd.DataFrame) -> None:
    results = convergence["ref2016_2019"]
    rows = results.rows.loc[results.rows["period"] == "transition"].set_index("village")
    incomes = panel.pivot(index="village_id", columns="year", values="collective_income")
    logs = np.log(incomes)
    start = logs[[2016, 2017, 2018, 2019]].mean(axis=1, skipna=False)
    growth = logs[2025] - start
    np.testing.assert_allclose(rows["log_initial"], start.reindex(rows.index), rtol=1e-12)
    np.testing.assert_allclose(rows["growth"], growth.reindex(rows.index), rtol=1e-12)
    assert (rows["years"] == 7.5).all()
    sigma = results.sigma.set_index("year")["estimate"]
    expected = sigma[2025] - sigma[[2016, 2017, 2018, 2019]].mean()
    assert results.sigma_change["estimate"].iloc[0] == pytest.approx(expected, rel=1e-12)
    assert results.sigma_change["reference"].iloc[0] == "mean 2016, 2017, 2018, 2019"
    campaign = results.rows.loc[results.rows["period"] == "campaign"].set_index("village")
    np.testing.assert_allclose(campaign["growth"], (logs[2020] - logs[2016]).reindex(campaign.index), rtol=1e-12)


def test_convergence_tidy_names_every_table(convergence: dict[str, ConvergenceResults]) -> None:
    tidy = convergence["ref2019"].tidy()
    assert set(tidy["table"]) == {"coefficients", "slopes", "sigma", "sigma_change", "by_type"}
    assert (tidy.loc[tidy["table"] == "sigma", "year"].to_numpy() == np.arange(2016, 2026)).all()
    key = tidy.loc[(tidy["table"] == "coefficients") & (tidy["term"] == ConvergenceResults.key_term), "estimate"]
    assert len(key) == 1 and key.iloc[0] > 0


def test_lagged_growth_by_hand() -> None:
    # Village a has no 2018 row at first (rows unsorted); village b has a missing and a zero income.
    frame = pd.DataFrame({
        "village_id": ["a", "a", "a", "a", "b", "b", "b", "b", "b"],
        "year": [2019, 2016, 2017, 2020, 2016, 2017, 2018, 2019, 2020],
        "collective_income": [8.0, 1.0, 2.0, 24.0, 3.0, np.nan, 5.0, 0.0, 7.0],
    }, index=[10, 11, 12, 13, 14, 15, 16, 17, 18])
    growth = lagged_growth(frame)
    assert growth.name == "lag_growth"
    assert list(growth.index) == list(frame.index)
    # Every growth is missing: a 2019 and a 2020 need 2018 (calendar years, not the previous row); 2016 and
    # 2017 have no two earlier years; b 2018 and b 2019 need the missing 2017; b 2020 the zero 2019 income.
    assert growth.isna().all()

    frame.loc[17, "collective_income"] = 10.0
    added = pd.DataFrame({"village_id": ["a"], "year": [2018], "collective_income": [3.0]}, index=[19])
    growth = lagged_growth(pd.concat([frame, added]))
    expected = pd.Series({10: np.log(3.0) - np.log(2.0),  # a 2019: log CI 2018 − log CI 2017
                          11: np.nan, 12: np.nan,
                          13: np.log(8.0) - np.log(3.0),  # a 2020: 2019 − 2018
                          14: np.nan, 15: np.nan,
                          16: np.nan,  # b 2018: 2017 missing
                          17: np.nan,  # b 2019: 2017 missing
                          18: np.log(10.0) - np.log(5.0),  # b 2020: 2019 − 2018
                          19: np.log(2.0) - np.log(1.0)},  # a 2018: 2017 − 2016
                         name="lag_growth")
    pd.testing.assert_series_equal(growth, expected, rtol=1e-15)


def test_missing_collective_income_is_refused_with_its_name(panel: pd.DataFrame) -> None:
    without = panel.drop(columns="collective_income")
    with pytest.raises(ValueError, match="'collective_income'"):
        lagged_performance_models(without, vcov=CRV1_VILLAGE)
    with pytest.raises(ValueError, match="'collective_income'"):
        convergence_models(without, draws=9)
    with pytest.raises(ValueError, match="'collective_income'"):
        lagged_growth(without)


def test_too_few_usable_rows_are_refused(panel: pd.DataFrame) -> None:
    late = panel.loc[panel["year"] >= 2020]  # no campaign year has two earlier years of income
    with pytest.raises(ValueError, match=r"lagged growth.*0 in the campaign"):
        lagged_performance_models(late, vcov=CRV1_VILLAGE)
    sparse = panel.assign(collective_income=panel["collective_income"].where(panel["village_id"] < "V005"))
    with pytest.raises(ValueError, match="at least 10 villages"):
        convergence_models(sparse, draws=9)
    with pytest.raises(ValueError, match="reference years"):
        convergence_models(panel, reference_years=(2014,), draws=9)
