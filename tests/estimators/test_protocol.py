"""The results protocol: every result has tidy(), summary(), conf_int(), nobs and a short repr; regression
results change variance without refitting, predict, and refuse what they cannot do."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pandas as pd
import pytest

import villageaid
from villageaid import (
    CRV1,
    CRV3,
    HC1,
    JackknifeUndefinedError,
    Summary,
    att_gt,
    bacon_decomposition,
    bootstrap_inequality,
    coefplot,
    etable,
    event_study,
    feols,
    fepois,
    iplot,
    logit,
    sun_abraham,
    theil_decomposition,
    wild_cluster_bootstrap,
)
from villageaid.estimators.summary import TIDY_COLUMNS

DATA = pd.read_csv("tests/reference/estimators/panel_data.csv")
MPDTA = pd.read_csv("tests/reference/did_mpdta/mpdta.csv")


def _results() -> dict[str, object]:
    cs = att_gt(MPDTA, outcome="lemp", time="year", unit="countyreal", cohort="first.treat")
    panel = DATA.copy()
    panel["treated"] = (panel["unit"] < 75).astype(float)
    mpdta = MPDTA.rename(columns={"first.treat": "cohort"})
    return {
        "ols": feols("y ~ x1 + x2 | unit + period", DATA, vcov=CRV1("unit")),
        "ppml": fepois("count ~ x1 + x2 | unit + period", DATA, vcov=CRV3("grp")),
        "logit": logit("b ~ x1 + x2", DATA),
        "event_study": event_study(panel, outcome="y", treatment="treated", time="period", unit="unit",
                                   reference=int(panel["period"].median())),
        "att_gt": cs,
        "aggregate": cs.aggregate("dynamic"),
        "sun_abraham": sun_abraham(mpdta, outcome="lemp", time="year", unit="countyreal", cohort="cohort"),
        "bacon": bacon_decomposition(mpdta, outcome="lemp", time="year", unit="countyreal", cohort="cohort"),
        "bootstrap": wild_cluster_bootstrap(feols("y ~ x1 + x2", DATA), "x1", "grp", draws=199, seed=1),
        "theil": theil_decomposition(DATA["count"].to_numpy(float), DATA["grp"].to_numpy()),
        "inequality": bootstrap_inequality(DATA["count"].to_numpy(float), draws=99, seed=1),
    }


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    return _results()


RESULT_NAMES = ["ols", "ppml", "logit", "event_study", "att_gt", "aggregate", "sun_abraham", "bacon", "bootstrap",
                "theil", "inequality"]


@pytest.mark.parametrize("name", RESULT_NAMES)
def test_every_result_follows_the_protocol(results: dict[str, object], name: str) -> None:
    result = results[name]
    table = result.tidy()
    assert list(table.columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS
    assert len(table) > 0 and table["term"].is_unique
    summary = result.summary()
    assert isinstance(summary, Summary)
    text = str(summary)
    assert "\\n" not in text and "\n" in text  # real line breaks, never escaped ones
    assert "<table>" in summary._repr_html_() and "<table>" in result._repr_html_()
    assert isinstance(result.nobs, int) and result.nobs > 0
    intervals = result.conf_int()
    assert list(intervals.columns) == ["conf_low", "conf_high"]
    short = repr(result)
    assert len(short) < 200 and "\n" not in short


def test_with_vcov_changes_the_variance_without_refitting(results: dict[str, object]) -> None:
    ols = results["ols"]
    again = ols.with_vcov("hetero")
    assert again.vcov_type == HC1().label and ols.vcov_type == CRV1("unit").label  # immutable
    pd.testing.assert_series_equal(again.params, ols.params)
    refit = feols(ols.formula, DATA, vcov="hetero")
    np.testing.assert_allclose(again.std_errors, refit.std_errors, rtol=1e-12, atol=0)
    study = results["event_study"].with_vcov({"CRV3": "unit"})
    assert study.model.vcov_type.startswith("cluster jackknife") and study.pre_trend_test() is not None


def test_fitted_residuals_and_predictions(results: dict[str, object]) -> None:
    ols = results["ols"]
    np.testing.assert_allclose(ols.fitted + ols.resid, DATA["y"], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ols.predict(DATA), ols.fitted, rtol=1e-10, atol=1e-10)
    unseen = DATA.head(3).assign(unit=-1)
    assert np.isnan(ols.predict(unseen)).all()  # a fixed-effect level never estimated
    ppml = results["ppml"]
    assert (ppml.fitted > 0).all()
    sample = DATA[DATA.groupby("unit")["count"].transform("sum") > 0]
    np.testing.assert_allclose(ppml.predict(sample), ppml.fitted, rtol=1e-8, atol=0)
    lo = results["logit"]
    assert ((lo.predict() > 0) & (lo.predict() < 1)).all()
    np.testing.assert_allclose(lo.predict(DATA), lo.fitted, rtol=1e-12, atol=0)


def test_unsupported_variances_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"logit does not support .*CRV3.*supported: iid, HC1, CRV1"):
        logit("b ~ x1", DATA, vcov={"CRV3": "grp"})
    with pytest.raises(ValueError, match=r"logit does not support .*CRV1 two-way"):
        logit("b ~ x1", DATA, vcov={"CRV1": "grp+period"})
    with pytest.raises(ValueError, match=r"random_effects does not support .*CRV3"):
        villageaid.random_effects("y ~ x1", DATA, entity="unit", time="period", vcov={"CRV3": "unit"})
    with pytest.raises(ValueError, match="unknown vcov"):
        feols("y ~ x1", DATA, vcov="HC3")
    with pytest.raises(ValueError, match="one way only"):
        CRV3("grp+unit")


def test_jackknife_refuses_a_term_identified_by_one_cluster() -> None:
    data = DATA.copy()
    data["only_in_grp0"] = (data["grp"] == data["grp"].iloc[0]).astype(float) * data["x1"]
    with pytest.raises(JackknifeUndefinedError, match="only_in_grp0"):
        feols("y ~ x1 + only_in_grp0 | period", data, vcov={"CRV3": "grp"})
    with pytest.raises(JackknifeUndefinedError, match="only_in_grp0"):
        fepois("count ~ x1 + only_in_grp0 | period", data, vcov={"CRV3": "grp"})


def test_minus_one_and_plus_zero_remove_the_intercept() -> None:
    for formula in ("y ~ x1 + x2 - 1", "y ~ 0 + x1 + x2", "y ~ -1 + x1 + x2", "y ~ x1 + x2 + 0"):
        fit = feols(formula, DATA, vcov="iid")
        assert list(fit.params.index) == ["x1", "x2"], formula
    manual = np.linalg.lstsq(DATA[["x1", "x2"]].to_numpy(), DATA["y"].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(feols("y ~ x1 + x2 - 1", DATA, vcov="iid").params, manual, rtol=1e-10, atol=0)
    with pytest.raises(ValueError, match="only the intercept can be removed"):
        feols("y ~ x1 - x2", DATA)


def test_bootstrap_accepts_fitted_results_and_counts_ties_robustly() -> None:
    fit = feols("y ~ x1 + x2 | period", DATA, vcov={"CRV1": "grp"})
    from_results = wild_cluster_bootstrap(fit, "x1", "grp", draws=99, seed=2)
    from_model = wild_cluster_bootstrap(fit.model, "x1", "grp", draws=99, seed=2)
    assert from_results == from_model
    # With full enumeration the sign pattern of all ones and its negation reproduce |t| exactly: both count,
    # however the arithmetic rounds, so p >= 2 / 2^G always.
    small = DATA[DATA["grp"] < 6]
    result = wild_cluster_bootstrap(feols("y ~ x1 + x2", small), "x1", "grp", draws=9999)
    assert result.full_enumeration and result.p_value >= 2 / 2**6
    with pytest.raises(ValueError, match="needs a linear model fitted by feols"):
        wild_cluster_bootstrap(fepois("count ~ x1", DATA), "x1", "grp")


def test_etable_and_plots(results: dict[str, object]) -> None:
    table = etable([results["ols"], results["ppml"]], labels=["OLS", "PPML"])
    frame = table.to_frame()
    assert frame.loc["Standard errors"].tolist() == ["CRV1 by unit (150)", "CRV3 by grp (15)"]
    assert set(table.tidy["vcov"]) == {"clustered (CRV1) by unit (150)", "cluster jackknife (CRV3) by grp (15)"}
    assert "Observations" in frame.index and "unit" in frame.index
    assert "\\VAtable{" in table.to_latex() and "(1) OLS" in table.to_markdown()
    ax = coefplot([results["ols"], results["ppml"]], labels=["OLS", "PPML"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x1", "x2"]
    ax = iplot([results["aggregate"], results["sun_abraham"]])
    assert ax.get_xlabel() == "event_time"
    import matplotlib.pyplot as plt

    plt.close("all")


def test_importing_villageaid_never_changes_the_matplotlib_backend() -> None:
    import subprocess
    import sys

    code = ("import matplotlib; matplotlib.use('svg'); import villageaid, villageaid.report.figures, "
            "villageaid.report.plots; print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "svg"


def test_public_docstring_examples_run() -> None:
    failures, attempted = 0, 0
    modules = [villageaid] + [importlib.import_module(m.name) for m in pkgutil.walk_packages(
        villageaid.__path__, "villageaid.") if not m.name.endswith("__main__")]
    for module in modules:
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
        failures += result.failed
        attempted += result.attempted
    assert failures == 0
    assert attempted >= 20


def test_every_exported_function_has_a_numpy_docstring_with_examples() -> None:
    missing = []
    for name in villageaid.__all__:
        obj = getattr(villageaid, name)
        if callable(obj) and not isinstance(obj, type):
            doc = obj.__doc__ or ""
            if "Examples" not in doc or ("Parameters" not in doc and obj.__code__.co_argcount > 0):
                missing.append(name)
    assert not missing, missing


def test_ppml_jackknife_refuses_a_term_separated_once_a_cluster_is_left_out() -> None:
    # z is 1 in clusters 0 and 1; its only positive outcomes are in cluster 0. Without cluster 0 the rows with
    # z = 1 are separated (their mean would be zero) and z has nothing left to identify it.
    data = DATA.copy()
    first, second = sorted(data["grp"].unique())[:2]
    data["z"] = data["grp"].isin([first, second]).astype(float)
    data.loc[data["grp"] == second, "count"] = 0
    data.loc[data["grp"] == first, "count"] = data.loc[data["grp"] == first, "count"] + 1
    fit = fepois("count ~ x1 + z | period", data, vcov="hetero")
    assert "z" in fit.params.index
    with pytest.raises(JackknifeUndefinedError, match=f"without cluster '{first}', term 'z'"):
        fit.with_vcov({"CRV3": "grp"})
