from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from villageaid.estimators import feols, fepois
from villageaid.estimators.formula import parse_formula
from villageaid.estimators.summary import TIDY_COLUMNS

DATA = pd.read_csv("tests/reference/estimators/panel_data.csv")


def test_tidy_summary_and_html() -> None:
    fit = feols("y ~ x1 + x2 | unit + period", DATA, vcov={"CRV1": "unit"})
    table = fit.tidy()
    assert list(table.columns) == TIDY_COLUMNS
    q = stats.t.ppf(0.975, fit.df_t)
    np.testing.assert_allclose(table["conf_high"], table["estimate"] + q * table["std_error"], rtol=1e-14, atol=0)
    np.testing.assert_allclose(table["p_value"], 2 * stats.t.sf(np.abs(table["statistic"]), fit.df_t), rtol=1e-12,
                               atol=0)
    assert fit.df_t == DATA["unit"].nunique() - 1
    assert "clustered (CRV1) by unit" in fit.summary() and "x1" in fit.summary()
    assert "<table>" in fit._repr_html_()
    assert 0 < fit.fit_statistics["within_r2"] < fit.fit_statistics["r2"] < 1
    assert fit.nobs == len(DATA)


def test_poisson_uses_normal_inference() -> None:
    fit = fepois("count ~ x1 | unit + period", DATA)
    assert not np.isfinite(fit.df_t)
    table = fit.tidy()
    np.testing.assert_allclose(table["p_value"], 2 * stats.norm.sf(np.abs(table["statistic"])), rtol=1e-12, atol=0)


def test_wald_test_of_equal_coefficients() -> None:
    fit = feols("y ~ x1 + x2 | unit + period", DATA, vcov="hetero")
    test = fit.wald_test(restriction=np.array([[1.0, -1.0]]), hypothesis="x1 = x2")
    diff = fit.params["x1"] - fit.params["x2"]
    var = fit.vcov.loc["x1", "x1"] + fit.vcov.loc["x2", "x2"] - 2 * fit.vcov.loc["x1", "x2"]
    np.testing.assert_allclose(test.statistic, diff**2 / var, rtol=1e-12, atol=0)
    assert "x1 = x2" in str(test)


def test_formula_expansion_and_i_terms() -> None:
    parsed = parse_formula("y ~ a*b + i(year, rich, ref=2020) | v + t")
    assert parsed.terms == ("a", "b", "a:b", "i(year,rich,ref=2020)")
    assert parsed.fixed_effects == ("v", "t")
    with pytest.raises(ValueError, match="exactly one '~'"):
        parse_formula("y x")


def test_missing_values_and_collinear_terms_are_reported() -> None:
    d = DATA.copy()
    d.loc[:9, "x1"] = np.nan
    d["x1_copy"] = d["x1"] * 2
    fit = feols("y ~ x1 + x1_copy + x2 | unit", d, vcov="iid")
    assert fit.nobs == len(d) - 10
    assert any("10 observations removed" in n for n in fit.notes)
    assert any("x1_copy is collinear" in n for n in fit.notes)
    assert list(fit.params.index) == ["x1", "x2"]


def test_singletons_are_kept_with_a_note_or_dropped() -> None:
    d = DATA.copy()
    d.loc[0, "unit"] = 9999  # a unit observed once
    kept = feols("y ~ x1 | unit", d, vcov="iid")
    assert any("1 observations are singletons" in n for n in kept.notes)
    dropped = feols("y ~ x1 | unit", d, vcov="iid", drop_singletons=True)
    assert dropped.nobs == kept.nobs - 1
    np.testing.assert_allclose(dropped.params, kept.params, rtol=1e-10, atol=0)  # singletons do not move slopes


def test_unbalanced_two_way_demeaning_is_exact() -> None:
    d = DATA.sample(frac=0.7, random_state=3)
    manual = feols("y ~ x1 + x2 + C(period) | unit", d, vcov="iid")  # period as explicit dummies
    absorbed = feols("y ~ x1 + x2 | unit + period", d, vcov="iid")
    np.testing.assert_allclose(absorbed.params[["x1", "x2"]], manual.params[["x1", "x2"]], rtol=1e-10, atol=0)
    np.testing.assert_allclose(absorbed.std_errors[["x1", "x2"]], manual.std_errors[["x1", "x2"]], rtol=1e-10, atol=0)


def test_reference_levels_keep_their_spaces() -> None:
    """A county called 'P  县' (two spaces) is its own reference level: spaces are removed outside quotes only."""
    parsed = parse_formula("y ~ x + i(county, ref='P  县') | year")
    assert parsed.terms == ("x", "i(county,ref='P  县')")
    rng = np.random.default_rng(5)
    data = pd.DataFrame({"y": rng.normal(size=60), "x": rng.normal(size=60),
                         "county": np.repeat(["Wu Xian 县", "P  县", "Q"], 20), "year": np.tile(range(4), 15)})
    fit = feols("y ~ x + i(county, ref='P  县')", data)
    names = fit.tidy()["term"].tolist()
    assert any("Wu Xian 县" in n for n in names) and not any("P  县" in n for n in names)


def test_a_wald_test_beyond_the_rank_of_a_clustered_variance_is_refused() -> None:
    # Three clusters give a CRV1 variance of rank at most 2: a joint test of four slopes has no meaning.
    # The fit stands, its overall F is missing with a note saying why, and an explicit test is refused.
    import numpy as np
    import pandas as pd

    from villageaid.estimators import WaldTestUndefinedError, feols

    rng = np.random.default_rng(5)
    data = pd.DataFrame(rng.normal(size=(60, 4)), columns=["x1", "x2", "x3", "x4"])
    data["g"] = np.repeat([0, 1, 2], 20)
    data["y"] = data[["x1", "x2"]].sum(axis=1) + rng.normal(size=60)
    fit = feols("y ~ x1 + x2 + x3 + x4", data, vcov={"CRV1": "g"})
    assert np.isnan(fit.fit_statistics["wald_f"]) and np.isnan(fit.fit_statistics["wald_f_p"])
    assert any("no overall F statistic" in note and "rank" in note for note in fit.notes)
    assert np.isfinite(fit.params).all()
    with pytest.raises(WaldTestUndefinedError, match="has rank 2"):
        fit.wald_test(["x1", "x2", "x3", "x4"])
    assert np.isfinite(fit.wald_test(["x1", "x2"]).statistic)  # within the rank: defined
    hetero = feols("y ~ x1 + x2 + x3 + x4", data, vcov="HC1")
    assert np.isfinite(hetero.fit_statistics["wald_f"])


def test_a_poisson_sample_emptied_by_its_fixed_effects_is_a_clear_data_limit() -> None:
    """Every group all zeros: nothing is left to estimate from (it was a bare 'zero-size array' error)."""
    from villageaid.estimators import fepois
    from villageaid.estimators.limits import TooFewError

    data = pd.DataFrame({"y": [0.0, 0.0, 0.0, 0.0], "x": [0.0, 1.0, 2.0, 3.0], "g": [1, 1, 2, 2],
                         "v": [1, 2, 3, 4]})
    with pytest.raises(TooFewError, match=r"no observation is left.*only zero outcomes"):
        fepois("y ~ x | g", data, vcov={"CRV1": "v"})
