"""Our estimators against R (lm/glm + sandwich, plm) on the committed reference data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators import feols, fepois, first_difference, logit, random_effects

HERE = Path(__file__).resolve().parents[1] / "reference" / "estimators"
REFERENCE = pd.read_csv(HERE / "reference.csv").replace({"term": {"(Intercept)": "Intercept"}})
DATA = pd.read_csv(HERE / "panel_data.csv")

OLS_FORMULAS = {
    "ols_oneway": ("y ~ x1 + x2 + d | unit", None),
    "ols_twoway": ("y ~ x1 + x2 + d | unit + period", None),
    "ols_interaction": ("y ~ x1 + x2 + x1:x2 | unit + period", None),
    "ols_nofe": ("y ~ x1 + x2 + d", None),
    "ols_weighted": ("y ~ x1 + x2 | unit + period", "w"),
}


def _vcov(name: str):
    return name if name in ("iid", "hetero") else {"CRV1": name.split(":", 1)[1]}


def _reference(model: str, vcov: str) -> pd.DataFrame:
    rows = REFERENCE[(REFERENCE["model"] == model) & (REFERENCE["vcov"] == vcov)]
    assert len(rows) > 0
    return rows


def _compare(result, rows: pd.DataFrame, *, coef_rtol: float, se_rtol: float) -> None:
    terms = rows["term"].tolist()
    np.testing.assert_allclose(result.params[terms].to_numpy(), rows["estimate"].to_numpy(), rtol=coef_rtol, atol=0)
    np.testing.assert_allclose(result.std_errors[terms].to_numpy(), rows["std_error"].to_numpy(), rtol=se_rtol,
                               atol=0)


OLS_CASES = sorted({(m, v) for m, v in zip(REFERENCE["model"], REFERENCE["vcov"], strict=True) if m in OLS_FORMULAS})


@pytest.mark.parametrize(("model", "vcov"), OLS_CASES)
def test_feols_matches_r(model: str, vcov: str) -> None:
    formula, weights = OLS_FORMULAS[model]
    result = feols(formula, DATA, vcov=_vcov(vcov), weights=weights)
    _compare(result, _reference(model, vcov), coef_rtol=1e-8, se_rtol=1e-6)


@pytest.mark.parametrize("vcov", ["hetero", "CRV1:unit"])
def test_fepois_matches_r(vcov: str) -> None:
    result = fepois("count ~ x1 + x2 + d | unit + period", DATA, vcov=_vcov(vcov))
    assert result.nobs == len(DATA) - 68  # units with only zero counts are dropped
    assert any("only zero outcomes" in note for note in result.notes)
    _compare(result, _reference("ppml_twoway", vcov), coef_rtol=1e-6, se_rtol=1e-6)


def test_fepois_drops_observations_separated_by_a_regressor() -> None:
    result = fepois("count ~ x1 + x2 + d + sep | unit + period", DATA, vcov={"CRV1": "unit"})
    assert result.nobs == len(DATA) - 68 - 7
    assert any("7 observations removed because they are separated" in note for note in result.notes)
    assert "sep" not in result.params.index
    _compare(result, _reference("ppml_separated", "CRV1:unit"), coef_rtol=1e-6, se_rtol=1e-6)


def test_fepois_without_separation_keeps_every_observation() -> None:
    result = fepois("count ~ x1 + x2 + d", DATA[DATA["unit"] >= 5], vcov="hetero")
    assert result.nobs == int((DATA["unit"] >= 5).sum())
    assert not any("separated" in note for note in result.notes)


def test_logit_and_average_marginal_effects_match_r() -> None:
    result = logit("b ~ x1 + x2 + d", DATA, vcov={"CRV1": "grp"})
    _compare(result, _reference("logit", "CRV1:grp"), coef_rtol=1e-8, se_rtol=1e-6)
    _compare(result.marginal_effects, _reference("logit_ame", "CRV1:grp"), coef_rtol=1e-8, se_rtol=1e-6)


def test_random_effects_match_plm() -> None:
    result = random_effects("y ~ x1 + x2 + d", DATA, entity="unit", time="period")
    _compare(result, _reference("random_effects", "iid"), coef_rtol=1e-8, se_rtol=1e-6)


def test_first_differences_match_plm() -> None:
    result = first_difference("y ~ x1 + x2 + d", DATA, entity="unit", time="period", gaps="row")
    assert result.nobs == len(DATA) - DATA["unit"].nunique()
    _compare(result, _reference("first_difference", "iid"), coef_rtol=1e-8, se_rtol=1e-6)


def test_first_differences_respect_time_gaps() -> None:
    counts = DATA.groupby("unit")["period"].agg(["min", "max", "size"])
    no_gap = counts.index[counts["max"] - counts["min"] + 1 == counts["size"]]
    sub = DATA[DATA["unit"].isin(no_gap)]
    by_time = first_difference("y ~ x1 + x2 + d", sub, entity="unit", time="period")
    by_row = first_difference("y ~ x1 + x2 + d", sub, entity="unit", time="period", gaps="row")
    pd.testing.assert_series_equal(by_time.params, by_row.params, rtol=1e-12, atol=0)
    gappy = first_difference("y ~ x1 + x2 + d", DATA, entity="unit", time="period")
    assert gappy.nobs < len(DATA) - DATA["unit"].nunique()


def _refit_jackknife(fit_function, formula: str, data: pd.DataFrame, cluster: str) -> np.ndarray:
    full = fit_function(formula, data, vcov="iid").params
    shifts = []
    for _, rest in ((g, data[data[cluster] != g]) for g in sorted(data[cluster].unique())):
        shifts.append(fit_function(formula, rest, vcov="iid").params[full.index].to_numpy() - full.to_numpy())
    shifts = np.array(shifts)
    groups = len(shifts)
    return (groups - 1) / groups * shifts.T @ shifts


def test_crv3_jackknife_equals_leave_one_cluster_out_refits_for_ols() -> None:
    # unit fixed effects are nested in grp clusters, so the one-step jackknife is exact
    fit = feols("y ~ x1 + x2 + d | unit", DATA, vcov={"CRV3": "grp"})
    exact = _refit_jackknife(feols, "y ~ x1 + x2 + d | unit", DATA, "grp")
    np.testing.assert_allclose(fit.vcov.to_numpy(), exact, rtol=1e-8, atol=1e-14)
    assert fit.df_t == DATA["grp"].nunique() - 1


def test_crv3_jackknife_approximates_refits_for_ppml() -> None:
    data = DATA[DATA["unit"] >= 5]
    fit = fepois("count ~ x1 + x2 + d | unit", data, vcov={"CRV3": "grp"})
    exact = _refit_jackknife(fepois, "count ~ x1 + x2 + d | unit", data, "grp")
    # one Newton step from the full-sample estimate instead of iterating to convergence
    np.testing.assert_allclose(np.sqrt(np.diag(fit.vcov.to_numpy())), np.sqrt(np.diag(exact)), rtol=0.05, atol=0)
