"""Our estimators against R (lm/glm + sandwich, plm) on the committed reference data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators import CRV1, CRV3, HC1, IID, SSC, feols, fepois, first_difference, logit, random_effects

HERE = Path(__file__).resolve().parents[1] / "reference" / "estimators"
REFERENCE = pd.read_csv(HERE / "reference.csv").replace({"term": {"(Intercept)": "Intercept"}})
DATA = pd.read_csv(HERE / "panel_data.csv")
#: Units with some positive count: the PPML sample once all-zero units are dropped (as reference.R's ``dp``).
POSITIVE_UNITS = DATA[DATA.groupby("unit")["count"].transform("sum") > 0].reset_index(drop=True)

OLS_FORMULAS = {
    "ols_oneway": ("y ~ x1 + x2 + d | unit", None),
    "ols_twoway": ("y ~ x1 + x2 + d | unit + period", None),
    "ols_interaction": ("y ~ x1 + x2 + x1:x2 | unit + period", None),
    "ols_nofe": ("y ~ x1 + x2 + d", None),
    "ols_weighted": ("y ~ x1 + x2 | unit + period", "w"),
}


def _vcov(name: str):
    if name in ("iid", "hetero"):
        return name
    kind, cluster = name.split(":", 1)
    return {kind: cluster}


def _glm_vcov(name: str):
    """The variance as R's vcov(glm) computes it: iid without fixest's (n - 1)/(n - K) (test_fixest_reference.py
    checks fixest's default against fixest itself)."""
    return IID(ssc=SSC(adj=False)) if name == "iid" else _vcov(name)


def _reference(model: str, vcov: str) -> pd.DataFrame:
    rows = REFERENCE[(REFERENCE["model"] == model) & (REFERENCE["vcov"] == vcov)]
    assert len(rows) > 0
    return rows


def _compare(result, rows: pd.DataFrame, *, coef_rtol: float, se_rtol: float) -> None:
    terms = rows["term"].tolist()
    np.testing.assert_allclose(result.params[terms].to_numpy(), rows["estimate"].to_numpy(), rtol=coef_rtol, atol=0)
    np.testing.assert_allclose(result.std_errors[terms].to_numpy(), rows["std_error"].to_numpy(), rtol=se_rtol,
                               atol=0)


OLS_CASES = sorted({(m, v) for m, v in zip(REFERENCE["model"], REFERENCE["vcov"], strict=True)
                    if m in OLS_FORMULAS and not v.startswith("CRV3")})


@pytest.mark.parametrize(("model", "vcov"), OLS_CASES)
def test_feols_matches_r(model: str, vcov: str) -> None:
    formula, weights = OLS_FORMULAS[model]
    result = feols(formula, DATA, vcov=_vcov(vcov), weights=weights)
    _compare(result, _reference(model, vcov), coef_rtol=1e-8, se_rtol=1e-6)


@pytest.mark.parametrize("vcov", ["iid", "hetero", "CRV1:unit", "CRV1:unit+period"])
def test_fepois_matches_r(vcov: str) -> None:
    result = fepois("count ~ x1 + x2 + d | unit + period", DATA, vcov=_glm_vcov(vcov))
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
    # the same from another variance without refitting: the marginal effects follow
    other = logit("b ~ x1 + x2 + d", DATA, vcov="iid").with_vcov({"CRV1": "grp"})
    _compare(other.marginal_effects, _reference("logit_ame", "CRV1:grp"), coef_rtol=1e-8, se_rtol=1e-6)


@pytest.mark.parametrize("vcov", ["iid", "hetero"])
def test_logit_iid_and_hc1_match_r(vcov: str) -> None:
    _compare(logit("b ~ x1 + x2 + d", DATA, vcov=_glm_vcov(vcov)), _reference("logit", vcov), coef_rtol=1e-8,
             se_rtol=1e-6)


@pytest.mark.parametrize("vcov", ["iid", "hetero", "CRV1:unit"])
def test_random_effects_match_plm(vcov: str) -> None:
    result = random_effects("y ~ x1 + x2 + d", DATA, entity="unit", time="period", vcov=_vcov(vcov))
    _compare(result, _reference("random_effects", vcov), coef_rtol=1e-8, se_rtol=1e-6)


@pytest.mark.parametrize("vcov", ["iid", "hetero", "CRV1:unit"])
def test_first_differences_match_plm(vcov: str) -> None:
    result = first_difference("y ~ x1 + x2 + d", DATA, entity="unit", time="period", gaps="row", vcov=_vcov(vcov))
    assert result.nobs == len(DATA) - DATA["unit"].nunique()
    _compare(result, _reference("first_difference", vcov), coef_rtol=1e-8, se_rtol=1e-6)


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


def test_crv3_is_exact_with_fixed_effects_not_nested_in_the_clusters() -> None:
    # period effects are not nested in grp (nor in unit): each leave-one-out fit re-estimates them.
    # References: lm()/glm() refits without each cluster, every fixed effect as dummies (reference.R).
    cases = [("ols_twoway", "CRV3:grp", feols, "y ~ x1 + x2 + d | unit + period", DATA, None),
             ("ols_twoway", "CRV3:unit", feols, "y ~ x1 + x2 + d | unit + period", DATA, None),
             ("ols_period_fe", "CRV3:grp", feols, "y ~ x1 + x2 + d | period", DATA, None),
             ("ols_weighted", "CRV3:grp", feols, "y ~ x1 + x2 | unit + period", DATA, "w"),
             ("ppml_twoway", "CRV3:grp", fepois, "count ~ x1 + x2 + d | unit + period", DATA, None),
             ("ppml_period_fe", "CRV3:grp", fepois, "count ~ x1 + x2 + d | period", POSITIVE_UNITS, None)]
    for model, vcov, function, formula, data, weights in cases:
        kwargs = {"weights": weights} if weights else {}
        result = function(formula, data, vcov={"CRV3": vcov.split(":")[1]}, **kwargs)
        _compare(result, _reference(model, vcov), coef_rtol=1e-8, se_rtol=1e-6)
        assert result.vcov_type.startswith("cluster jackknife (CRV3)")


def test_crv3_equals_our_own_refits() -> None:
    for function, formula in ((feols, "y ~ x1 + x2 + d | period"), (fepois, "count ~ x1 + x2 + d | period")):
        data = POSITIVE_UNITS
        fit = function(formula, data, vcov={"CRV3": "unit"})
        exact = _refit_jackknife(function, formula, data, "unit")
        np.testing.assert_allclose(fit.vcov.to_numpy(), exact, rtol=1e-6, atol=1e-14)


# Every estimator × variance combination: tested against a reference above (the case named here), or refused
# with a ValueError that names the estimator. A new estimator or variance must be added to this table.
VARIANCES = {"iid": IID(), "HC1": HC1(), "CRV1": CRV1("unit"), "CRV1 two-way": CRV1("unit+period"),
             "CRV3": CRV3("unit")}
COMBINATIONS = {
    "feols": {"iid": "test_feols_matches_r", "HC1": "test_feols_matches_r", "CRV1": "test_feols_matches_r",
              "CRV1 two-way": "test_feols_matches_r", "CRV3": "test_crv3_is_exact_with_fixed_effects_not_nested"},
    "fepois": {"iid": "test_fepois_matches_r", "HC1": "test_fepois_matches_r", "CRV1": "test_fepois_matches_r",
               "CRV1 two-way": "test_fepois_matches_r", "CRV3": "test_crv3_is_exact_with_fixed_effects_not_nested"},
    "logit": {"iid": "test_logit_iid_and_hc1_match_r", "HC1": "test_logit_iid_and_hc1_match_r",
              "CRV1": "test_logit_and_average_marginal_effects_match_r"},
    "random_effects": {"iid": "test_random_effects_match_plm", "HC1": "test_random_effects_match_plm",
                       "CRV1": "test_random_effects_match_plm"},
    "first_difference": {"iid": "test_first_differences_match_plm", "HC1": "test_first_differences_match_plm",
                         "CRV1": "test_first_differences_match_plm"},
}
FITS = {
    "feols": lambda v: feols("y ~ x1 + x2 + d | unit + period", DATA, vcov=v),
    "fepois": lambda v: fepois("count ~ x1 + x2 + d | unit + period", DATA, vcov=v),
    "logit": lambda v: logit("b ~ x1 + x2 + d", DATA, vcov=v),
    "random_effects": lambda v: random_effects("y ~ x1 + x2 + d", DATA, entity="unit", time="period", vcov=v),
    "first_difference": lambda v: first_difference("y ~ x1 + x2 + d", DATA, entity="unit", time="period", vcov=v),
}


@pytest.mark.parametrize("estimator", sorted(FITS))
@pytest.mark.parametrize("variance", sorted(VARIANCES))
def test_every_estimator_variance_combination_is_tested_or_refused(estimator: str, variance: str) -> None:
    choice = VARIANCES[variance]
    reference_test = COMBINATIONS[estimator].get(variance)
    if reference_test is None:
        with pytest.raises(ValueError, match=f"{estimator}.* does not support .*{variance.split()[0]}"):
            FITS[estimator](choice)
        return
    assert any(name.startswith(reference_test) for name in globals()), reference_test
    result = FITS[estimator](choice)
    assert result.variance == choice and result.vcov_type == choice.label
    # the same variance reached without refitting, from another one
    other = FITS[estimator]("iid").with_vcov(choice)
    np.testing.assert_allclose(other.vcov.to_numpy(), result.vcov.to_numpy(), rtol=1e-10, atol=1e-15)
