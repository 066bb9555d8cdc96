"""Every variance and small-sample correction against R fixest 0.12.2 (tests/reference/iv and tests/reference/ssc).

The references were computed by `reference.R` in each folder (see their READMEs); the tests never run R. Each
row is one model × variance × small-sample variant: the estimate, the standard error and the t degrees of
freedom must equal fixest's, and for IV models the first-stage Wald F (fixest's ``ivwald1``) with its degrees
of freedom.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators import CRV1, CRV3, HC1, IID, SSC, feols, fepois, logit
from villageaid.estimators.iv import iv_fe

IV = "tests/reference/iv"
PANEL = "tests/reference/estimators/panel_data.csv"
KEYS = ["dataset", "model", "vcov", "ssc"]

SSC_VARIANTS = {"default": SSC(), "adj=FALSE": SSC(adj=False), "fixef.K=full": SSC(fixef_k="full"),
                "fixef.K=none": SSC(fixef_k="none"), "cluster.adj=FALSE": SSC(cluster_adj=False),
                "cluster.df=conventional": SSC(cluster_df="conventional"),
                "t.df=conventional": SSC(t_df="conventional"), "none": None}

#: fixest's Wald statistic on a variance that is not positive definite drops coefficients by a pivoting
#: Cholesky decomposition (README "Degenerate cases"); villageaid inverts the matrix. Those rows are skipped.
PIVOTED_WALD = {("h10", "het_log_collective_income", "CRV1:village_id+year"),
                ("h10", "het_log_per_capita_income", "CRV1:village_id+year"),
                ("small", "iv_fe2", "CRV1:grp+period"), ("small", "iv_fe1", "CRV1:grp+period"),
                ("small", "iv_nofe", "CRV1:unit+period"), ("small", "iv_nofe", "CRV1:grp+period")}


def variance(label: str, ssc_label: str):
    ssc = SSC_VARIANTS[ssc_label]
    if label == "iid":
        return IID(ssc=ssc)
    if label == "hetero":
        return HC1(ssc=ssc)
    kind, cluster = label.split(":")
    return CRV3(cluster) if kind == "CRV3" else CRV1(cluster, ssc=ssc)


@cache
def data(name: str) -> pd.DataFrame:
    return pd.read_csv({"h10": f"{IV}/h10_data.csv", "small": f"{IV}/iv_small.csv", "ah": f"{IV}/ah_design.csv",
                        "panel": PANEL}[name])


def iv_model(dataset: str, model: str, vcov):
    """The model as the reference estimated it (fixest's default variance; AH clustered by unit), then ``vcov``."""
    return _iv_model(dataset, model, CRV1("unit") if dataset == "ah" else None).with_vcov(vcov)


@cache
def _iv_model(dataset: str, model: str, vcov):
    frame = data(dataset)
    if dataset == "h10":
        outcome = model.split("_", 1)[1]
        if model.startswith("ols_"):
            return feols(f"{outcome} ~ asinh_funding_total | village_id + year", frame, vcov=vcov)
        endogenous = ["asinh_funding_total"] + (["asinh_funding_x_endowment"] if model.startswith("het_") else [])
        instruments = ["city", "strong"] + (["city_x_endowment", "strong_x_endowment"] if model.startswith("het_")
                                            else [])
        return iv_fe(frame, outcome=outcome, endogenous=endogenous, instruments=instruments,
                     fixed_effects=("village_id", "year"), vcov=vcov)
    if dataset == "small":
        effects = {"iv_fe2": ("unit", "period"), "iv_fe1": ("unit",), "iv_nofe": ()}[model]
        return iv_fe(frame, outcome="y", endogenous=["x"], instruments=["z1", "z2"], exogenous=["w"],
                     fixed_effects=effects, vcov=vcov)
    return iv_fe(frame, outcome="dy", endogenous=["L_y", "L_z"], instruments=["Z_y", "Z_z"],
                 exogenous=["D_demo", "D_demo_years"], fixed_effects=("year",), vcov=vcov)


@cache
def reference(path: str) -> pd.DataFrame:
    return pd.read_csv(path)


def _term(term: str) -> str:
    return {"(Intercept)": "Intercept"}.get(term, term.removeprefix("fit_"))


def _cases(folder: str) -> list[tuple]:
    return [key for key, _ in pd.read_csv(f"{folder}/reference.csv").groupby(KEYS, sort=False)]


IV_CASES = _cases(IV)


@pytest.mark.parametrize("case", IV_CASES, ids=["/".join(c) for c in IV_CASES])
def test_iv_models_equal_fixest(case: tuple) -> None:
    dataset, model, vcov_label, ssc_label = case
    table = reference(f"{IV}/reference.csv")
    rows = table.loc[(table[KEYS] == pd.Series(case, index=KEYS)).all(axis=1)]
    result = iv_model(dataset, model, variance(vcov_label, ssc_label))
    terms = [_term(t) for t in rows["term"]]
    assert result.nobs == int(rows["nobs"].iloc[0])
    np.testing.assert_allclose(result.params[terms], rows["estimate"], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(result.std_errors[terms], rows["std_error"], rtol=1e-8, atol=1e-12)
    assert result.df_t == float(rows["df_t"].iloc[0])
    if model.startswith("ols_") or vcov_label.startswith("CRV3") or (dataset, model, vcov_label) in PIVOTED_WALD:
        return
    statistics = reference(f"{IV}/statistics.csv")
    first = statistics.loc[(statistics[KEYS] == pd.Series(case, index=KEYS)).all(axis=1)
                           & statistics["statistic"].str.startswith("ivwald1::")]
    assert len(first) == len(result.first_stages)
    tests = result.first_stage_tests
    for row in first.itertuples():
        test = tests[row.statistic.split("::")[1]]
        np.testing.assert_allclose(test.statistic, row.value, rtol=1e-8, atol=0)
        assert (test.df_num, test.df_denom) == (row.df1, row.df2)
        np.testing.assert_allclose(test.p_value, row.p_value, rtol=1e-6, atol=1e-300)


def test_the_first_stage_f_of_table_8b_is_fixest_s() -> None:
    """The issue's case: the heterogeneity model's first-stage F prints 8.03, as fixest, not linearmodels' 8.1."""
    result = iv_model("h10", "het_log_collective_income", CRV1("village_id"))
    assert f"{result.first_stage_f['asinh_funding_total']:.2f}" == "8.03"
    assert "fixest's small-sample correction" in result.iv.vcov_description


def _panel_model(model: str, vcov):
    return _fitted_panel_model(model).with_vcov(vcov)


@cache
def _fitted_panel_model(model: str):
    frame = data("panel")
    vcov = "hetero"
    if model == "logit":
        return logit("b ~ x1 + x2 + d", frame, vcov=vcov)
    formula = {"ols_twoway": "y ~ x1 + x2 + d | unit + period", "ols_oneway": "y ~ x1 + x2 + d | unit",
               "ols_nofe": "y ~ x1 + x2 + d", "ols_weighted": "y ~ x1 + x2 | unit + period",
               "ppml_twoway": "count ~ x1 + x2 + d | unit + period", "ppml_nofe": "count ~ x1 + x2 + d"}[model]
    if model.startswith("ppml"):
        return fepois(formula, frame, vcov=vcov)
    return feols(formula, frame, vcov=vcov, weights="w" if model == "ols_weighted" else None)


SSC_CASES = [c for c in _cases("tests/reference/ssc") if not (c[1] == "logit" and "+" in c[2])]


@pytest.mark.parametrize("case", SSC_CASES, ids=["/".join(c) for c in SSC_CASES])
def test_small_sample_corrections_equal_fixest(case: tuple) -> None:
    _, model, vcov_label, ssc_label = case
    table = reference("tests/reference/ssc/reference.csv")
    rows = table.loc[(table[KEYS] == pd.Series(case, index=KEYS)).all(axis=1)]
    result = _panel_model(model, variance(vcov_label, ssc_label))
    terms = [_term(t) for t in rows["term"]]
    assert result.nobs == int(rows["nobs"].iloc[0])
    np.testing.assert_allclose(result.params[terms], rows["estimate"], rtol=1e-8, atol=1e-12)
    # PPML and logit solve to a deviance tolerance; their errors agree to about 1e-9.
    tolerance = 1e-8 if model.startswith("ols") else 1e-7
    np.testing.assert_allclose(result.std_errors[terms], rows["std_error"], rtol=tolerance, atol=1e-12)
    if model.startswith("ols"):  # likelihood models: normal inference, as fixest's fepois/feglm print z
        assert result.df_t == float(rows["df_t"].iloc[0])
    else:
        assert result.df_t == np.inf


def test_two_way_clustered_logit_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"logit does not support .*CRV1 two-way"):
        logit("b ~ x1", data("panel"), vcov=CRV1("grp+period"))


def test_wald_test_uses_fixest_s_residual_degrees_of_freedom() -> None:
    statistics = pd.read_csv("tests/reference/ssc/statistics.csv")
    row = statistics.loc[statistics["statistic"] == "wald_x1_x2"].iloc[0]
    fit = feols("y ~ x1 + x2 + d | unit + period", data("panel"), vcov=CRV1("unit"))
    test = fit.wald_test(["x1", "x2"])
    np.testing.assert_allclose(test.statistic, row["value"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(test.p_value, row["p_value"], rtol=1e-6, atol=1e-300)
    assert (test.df_num, test.df_denom) == (row["df1"], row["df2"])
    same = fit.wald_test(restriction=np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    assert same.statistic == pytest.approx(test.statistic, rel=1e-12)
    assert fit.wald_test("x1 = x2").df_num == 1
