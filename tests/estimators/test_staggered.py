"""Callaway–Sant'Anna ATT(g, t) against R did 2.5 on mpdta, and its options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators.staggered import att_gt

HERE = Path(__file__).resolve().parents[1] / "reference" / "did_mpdta"
MPDTA = pd.read_csv(HERE / "mpdta.csv")
REF_ATTGT = pd.read_csv(HERE / "ref_attgt.csv")
REF_AGGTE = pd.read_csv(HERE / "ref_aggte.csv")
SCENARIOS = {
    "mpdta_nev_dr": {"control_group": "never_treated", "method": "dr"},
    "mpdta_nyt_dr": {"control_group": "not_yet_treated", "method": "dr"},
    "mpdta_nev_reg_cov": {"control_group": "never_treated", "method": "reg", "covariates": ["lpop"]},
    "mpdta_nev_ipw": {"control_group": "never_treated", "method": "ipw"},
}


def _fit(**options):
    return att_gt(MPDTA, outcome="lemp", time="year", unit="countyreal", cohort="first.treat", **options)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_att_gt_matches_r_did(scenario: str) -> None:
    result = _fit(**SCENARIOS[scenario]).tidy()
    ref = REF_ATTGT[REF_ATTGT["scenario"] == scenario]
    merged = result.merge(ref, left_on=["cohort", "time"], right_on=["group", "t"], validate="one_to_one")
    assert len(merged) == len(ref) == 12
    np.testing.assert_allclose(merged["estimate"], merged["att"], rtol=1e-8, atol=0)
    np.testing.assert_allclose(merged["std_error"], merged["se"], rtol=1e-6, atol=0)


AGG_CASES = [(s, t) for s in SCENARIOS for t in ("simple", "group", "dynamic", "calendar")
             if ((REF_AGGTE["scenario"] == s) & (REF_AGGTE["type"] == t)).any()]


@pytest.mark.parametrize(("scenario", "kind"), AGG_CASES)
def test_aggregations_match_r_did(scenario: str, kind: str) -> None:
    aggregated = _fit(**SCENARIOS[scenario]).aggregate(kind)
    ref = REF_AGGTE[(REF_AGGTE["scenario"] == scenario) & (REF_AGGTE["type"] == kind)]
    np.testing.assert_allclose(aggregated.overall_estimate, ref["overall_att"].iloc[0], rtol=1e-8, atol=0)
    np.testing.assert_allclose(aggregated.overall_std_error, ref["overall_se"].iloc[0], rtol=1e-6, atol=0)
    if kind != "simple":
        table = aggregated.tidy()
        label = {"group": "cohort", "dynamic": "event_time", "calendar": "time"}[kind]
        np.testing.assert_allclose(table[label].to_numpy(dtype=float), ref["egt"].to_numpy(dtype=float),
                                   rtol=0, atol=0)
        np.testing.assert_allclose(table["estimate"], ref["att_egt"], rtol=1e-8, atol=0)
        np.testing.assert_allclose(table["std_error"], ref["se_egt"], rtol=1e-6, atol=0)


def test_universal_base_period() -> None:
    varying, universal = _fit().tidy(), _fit(base_period="universal").tidy()
    # the reference period g - 1 is normalized to zero; post-treatment effects are unchanged
    reference = universal[universal["time"] == universal["cohort"] - 1]
    assert (reference["estimate"] == 0).all() and len(reference) == 3
    post_v = varying[varying["time"] >= varying["cohort"]].set_index(["cohort", "time"])["estimate"]
    post_u = universal[universal["time"] >= universal["cohort"]].set_index(["cohort", "time"])["estimate"]
    pd.testing.assert_series_equal(post_v, post_u, rtol=1e-12, atol=0)
    # pre-treatment effects are long differences to g - 1: ATT(2007, 2004) = -(sum of short differences)
    pre = varying.set_index(["cohort", "time"])["estimate"]
    long_pre = universal.set_index(["cohort", "time"])["estimate"]
    np.testing.assert_allclose(long_pre[(2007, 2004)], -(pre[(2007, 2005)] + pre[(2007, 2006)]), rtol=1e-10,
                               atol=1e-12)


def test_anticipation_moves_the_base_period() -> None:
    result = _fit(anticipation=1).tidy().set_index(["cohort", "time"])
    # with one period of anticipation, cohort 2006's effects are measured against 2004
    d = MPDTA.pivot(index="countyreal", columns="year", values="lemp")
    cohort = MPDTA.groupby("countyreal")["first.treat"].first()
    change = d[2006] - d[2004]
    expected = change[cohort == 2006].mean() - change[cohort == 0].mean()
    np.testing.assert_allclose(result.loc[(2006, 2006), "estimate"], expected, rtol=1e-12, atol=0)


def test_pre_trend_test_and_bootstrap_bands() -> None:
    result = _fit(bootstrap=True, draws=4999, seed=3)
    test = result.pre_trend_test()
    assert test.df_num == 5 and test.statistic > 0 and 0 < test.p_value < 1 and test.distribution == "chi2"
    assert result.critical_value > 1.96  # a uniform band is wider than pointwise intervals
    again = _fit(bootstrap=True, draws=4999, seed=3)
    assert again.critical_value == result.critical_value
    dynamic = result.aggregate("dynamic")
    table = dynamic.tidy()
    assert (table["conf_high_uniform"] - table["conf_low_uniform"] > table["conf_high"] - table["conf_low"]).all()


def test_clustered_standard_errors_at_the_unit_equal_unclustered() -> None:
    plain = _fit()
    clustered = _fit(cluster="countyreal")
    np.testing.assert_allclose(clustered.std_errors, plain.std_errors, rtol=1e-12, atol=0)
    coarse = MPDTA.assign(state=MPDTA["countyreal"] // 1000)
    by_state = att_gt(coarse, outcome="lemp", time="year", unit="countyreal", cohort="first.treat", cluster="state")
    assert not np.allclose(by_state.std_errors, plain.std_errors)


def test_dynamic_aggregation_options() -> None:
    result = _fit()
    assert list(result.aggregate("dynamic", min_e=-2, max_e=2).tidy()["event_time"]) == [-2, -1, 0, 1, 2]
    balanced = result.aggregate("dynamic", balance_e=1).tidy()
    # only cohorts observed for at least one period after treatment (2004, 2006) enter
    assert list(balanced["event_time"]) == [-2, -1, 0, 1]


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="control_group"):
        _fit(control_group="everyone")
    with pytest.raises(KeyError, match="columns not in the data"):
        _fit(covariates=["nope"])


def test_treatment_that_switches_off_is_an_error() -> None:
    bad = MPDTA.copy()
    bad.loc[(bad["countyreal"] == 8001) & (bad["year"] == 2007), "first.treat"] = 0
    with pytest.raises(ValueError, match="constant within a unit"):
        att_gt(bad, outcome="lemp", time="year", unit="countyreal", cohort="first.treat")


def test_no_never_treated_units() -> None:
    treated_only = MPDTA[MPDTA["first.treat"] > 0]
    with pytest.raises(ValueError, match="no never-treated units"):
        att_gt(treated_only, outcome="lemp", time="year", unit="countyreal", cohort="first.treat")
    # with not-yet-treated controls the last cohort has no controls after 2006: documented, left out
    result = att_gt(treated_only, outcome="lemp", time="year", unit="countyreal", cohort="first.treat",
                    control_group="not_yet_treated")
    assert any("no control units left" in note for note in result.notes)
    missing = result.tidy()
    assert missing.loc[missing["estimate"].isna(), "time"].min() >= 2006  # the last cohort has no later one
    assert np.isfinite(result.aggregate("simple").overall_estimate)


def test_unbalanced_panels_and_single_unit_cohorts_are_documented() -> None:
    unbalanced = MPDTA.drop(index=MPDTA.index[:3])  # county 8001 loses three years
    result = att_gt(unbalanced, outcome="lemp", time="year", unit="countyreal", cohort="first.treat")
    assert any("not observed in every period dropped" in note for note in result.notes)
    assert result.n_units == MPDTA["countyreal"].nunique() - 1
    lonely = MPDTA.copy()
    lonely.loc[lonely["countyreal"] == 8001, "first.treat"] = 2005
    result = att_gt(lonely, outcome="lemp", time="year", unit="countyreal", cohort="first.treat")
    assert any("cohort 2005 has a single unit" in note for note in result.notes)
