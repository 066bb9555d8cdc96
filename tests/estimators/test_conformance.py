"""Every public result class through the whole protocol, and every estimator × variance pair computed or refused.

The protocol: params, vcov (a DataFrame aligned with params), df_t, conf_int(level), tidy(conf_level) with one
meaning (the level of conf_low/conf_high), wald_test (terms, restriction strings, a matrix), with_vcov (no refit),
summary, remove_data and a pickle round trip. Results without a variance matrix refuse vcov/wald_test/with_vcov
with a TypeError that says why.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from functools import cache

import numpy as np
import pandas as pd
import pytest

import villageaid
from villageaid import (
    CRV1,
    CRV3,
    HC1,
    IID,
    SSC,
    anderson_hsiao,
    att_gt,
    bacon_decomposition,
    bootstrap_inequality,
    event_study,
    feols,
    fepois,
    first_difference,
    honest_did,
    iv_fe,
    logit,
    random_effects,
    sun_abraham,
    theil_decomposition,
    twfe_event_study,
    wild_cluster_bootstrap,
)
from villageaid.estimators.results import DescriptiveResults, ResultsBase, VarianceResults
from villageaid.estimators.summary import TIDY_COLUMNS

DATA = pd.read_csv("tests/reference/estimators/panel_data.csv")
MPDTA = pd.read_csv("tests/reference/did_mpdta/mpdta.csv").rename(columns={"first.treat": "cohort"})


@cache
def _cs() -> villageaid.ATTgtResult:
    return att_gt(MPDTA, outcome="lemp", time="year", unit="countyreal", cohort="cohort", bootstrap=True, draws=99,
                  seed=1)


@cache
def _universal() -> ResultsBase:
    return att_gt(MPDTA, outcome="lemp", time="year", unit="countyreal", cohort="cohort",
                  base_period="universal").aggregate("dynamic")


def _study() -> ResultsBase:
    panel = DATA.assign(treated=(DATA["unit"] < 75).astype(float))
    return event_study(panel, outcome="y", treatment="treated", time="period", unit="unit", reference=5)


#: Each public result class (or variant) and how to make one: fitted when a test first asks for it, not while
#: pytest collects the tests (in every worker, for tests that may be deselected).
BUILDERS: dict[str, Callable[[], ResultsBase]] = {
    "RegressionResults": lambda: feols("y ~ x1 + x2 | unit + period", DATA),
    "LogitResults": lambda: logit("b ~ x1 + x2", DATA),
    "IVResults": lambda: iv_fe(DATA, outcome="y", endogenous=["x1"], instruments=["x2", "d"],
                               fixed_effects=("unit",)),
    "DynamicPanelResults": lambda: anderson_hsiao(DATA, outcome="y", unit="unit", time="period"),
    "EventStudyResult": _study,
    "EventTimeEffects": lambda: sun_abraham(MPDTA, outcome="lemp", time="year", unit="countyreal", cohort="cohort"),
    "ATTgtResult": _cs,
    "AggregatedEffects": lambda: _cs().aggregate("dynamic"),
    "AggregatedEffects simple": lambda: _cs().aggregate("simple"),
    "BaconDecomposition": lambda: bacon_decomposition(MPDTA, outcome="lemp", time="year", unit="countyreal",
                                                      cohort="cohort"),
    "WildBootstrapResult": lambda: wild_cluster_bootstrap(feols("y ~ x1 + x2", DATA), "x1", "grp", draws=199,
                                                          seed=1),
    "SensitivityResult": lambda: _universal().sensitivity(),
    "PretrendPower": lambda: _universal().pretrend_power(slope=0.01),
    "TheilDecomposition": lambda: theil_decomposition(DATA["count"].to_numpy(float), DATA["grp"].to_numpy()),
    "InequalityBootstrap": lambda: bootstrap_inequality(DATA["count"].to_numpy(float), draws=99, seed=1),
}


@cache
def built(name: str) -> ResultsBase:
    """The result called ``name`` in :data:`BUILDERS`, made once per process."""
    return BUILDERS[name]()


def results() -> dict[str, ResultsBase]:
    return {name: built(name) for name in BUILDERS}


def test_every_public_result_class_is_covered() -> None:
    public = {name for name in villageaid.__all__ if isinstance(getattr(villageaid, name), type)
              and issubclass(getattr(villageaid, name), ResultsBase)}
    covered = {type(result).__name__ for result in results().values()}
    assert public == covered, public ^ covered


@pytest.mark.parametrize("name", list(BUILDERS))
def test_the_whole_protocol(name: str) -> None:
    result = built(name)
    table = result.tidy()
    assert list(table.columns[: len(TIDY_COLUMNS)]) == TIDY_COLUMNS and table["term"].is_unique
    # tidy(conf_level) means one thing: the level of the intervals, recomputed (or refused, said why)
    wide, narrow = result.tidy(0.99), result.tidy(0.5)
    finite = np.isfinite(table["std_error"].to_numpy()) & (table["std_error"].to_numpy() > 0)
    if finite.any() and not isinstance(result, villageaid.TheilDecomposition):
        assert (wide["conf_high"] - wide["conf_low"]).to_numpy()[finite].sum() \
            > (narrow["conf_high"] - narrow["conf_low"]).to_numpy()[finite].sum()
    intervals = result.conf_int(0.9)
    assert list(intervals.columns) == ["conf_low", "conf_high"] and intervals.equals(result.confint(0.9))
    with pytest.raises(ValueError, match="conf_level must be a number between 0 and 1"):
        result.tidy(95)
    assert isinstance(result.coef(), pd.Series) and isinstance(result.se(), pd.Series)
    assert isinstance(result.pvalue(), pd.Series) and isinstance(result.tstat(), pd.Series)
    assert "\n" in str(result.summary()) and "<table>" in result._repr_html_()
    assert isinstance(result.nobs, int) and result.nobs > 0
    again = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(again.tidy(), table)
    small = result.remove_data()
    pd.testing.assert_frame_equal(small.tidy(), table)
    assert len(pickle.dumps(small)) <= len(pickle.dumps(result))
    if isinstance(result, DescriptiveResults):
        for attempt in (lambda: result.vcov, lambda: result.df_t, lambda: result.wald_test(["x"]),
                        lambda: result.with_vcov("iid")):
            with pytest.raises(TypeError, match=type(result).__name__):
                attempt()
        return
    assert isinstance(result, VarianceResults)
    params, vcov = result.params, result.vcov
    assert isinstance(vcov, pd.DataFrame) and list(vcov.index) == list(params.index) == list(vcov.columns)
    assert result.df_t > 0
    np.testing.assert_allclose(result.se().to_numpy(), np.sqrt(np.diag(vcov.to_numpy())), rtol=1e-12, atol=0)
    usable = [t for t in params.index if np.isfinite(params[t]) and vcov.loc[t, t] > 0]
    first = usable[0]
    test = result.wald_test([first])
    assert test.df_num == 1 and 0 <= test.p_value <= 1
    assert result.wald_test(f"{first} = 0").statistic == pytest.approx(test.statistic, rel=1e-12)
    matrix = np.zeros((1, len(params)))
    matrix[0, list(params.index).index(first)] = 1.0
    assert result.wald_test(restriction=matrix).statistic == pytest.approx(test.statistic, rel=1e-12)
    with pytest.raises(ValueError, match="not a term of the model"):
        result.wald_test("no_such_term = 0")


def _variance_changes() -> dict[str, tuple[object, object]]:
    """For each result with a variance: another variance it supports, and how to check it without refitting."""
    return {"RegressionResults": (HC1(), lambda: feols("y ~ x1 + x2 | unit + period", DATA, vcov="hetero")),
            "LogitResults": (CRV1("grp"), lambda: logit("b ~ x1 + x2", DATA, vcov=CRV1("grp"))),
            "IVResults": (CRV3("unit"), lambda: iv_fe(DATA, outcome="y", endogenous=["x1"], instruments=["x2", "d"],
                                                      fixed_effects=("unit",), vcov=CRV3("unit"))),
            "DynamicPanelResults": (HC1(), lambda: anderson_hsiao(DATA, outcome="y", unit="unit", time="period",
                                                                  vcov="hetero")),
            "EventStudyResult": (CRV3("unit"), None), "EventTimeEffects": (HC1(), None),
            "ATTgtResult": (CRV1("countyreal", ssc=SSC(adj=False, cluster_adj=True)), None),
            "AggregatedEffects": (CRV1("countyreal", ssc=SSC(adj=False, cluster_adj=True)), None),
            "AggregatedEffects simple": (CRV1("countyreal", ssc=SSC(adj=False, cluster_adj=True)), None)}


@pytest.mark.parametrize("name", list(_variance_changes()))
def test_with_vcov_changes_the_variance_and_nothing_else(name: str) -> None:
    result = built(name)
    variance, refit = _variance_changes()[name]
    changed = result.with_vcov(variance)
    pd.testing.assert_series_equal(changed.params, result.params)
    assert not np.allclose(changed.vcov.to_numpy(), result.vcov.to_numpy())
    assert type(changed) is type(result)
    if refit is not None:
        np.testing.assert_allclose(changed.vcov.to_numpy(), refit().vcov.to_numpy(), rtol=1e-10, atol=1e-14)
    if name.startswith(("ATTgt", "Aggregated")):  # clustering by unit with G/(G - 1): the unit variance scaled
        groups = result.nobs
        np.testing.assert_allclose(changed.vcov.to_numpy(), result.vcov.to_numpy() * groups / (groups - 1),
                                   rtol=1e-12, atol=1e-15)


def test_the_simple_aggregation_is_complete() -> None:
    simple = built("AggregatedEffects simple")
    assert simple.nobs == MPDTA["countyreal"].nunique() and list(simple.params.index) == ["ATT"]
    assert simple.vcov.loc["ATT", "ATT"] == pytest.approx(simple.overall_std_error**2, rel=1e-12)
    reference = pd.read_csv("tests/reference/did_mpdta/ref_aggte.csv").query("scenario == 'mpdta_nev_dr' and "
                                                                              "type == 'simple'")
    np.testing.assert_allclose(simple.se()["ATT"], reference["overall_se"].iloc[0], rtol=1e-6, atol=0)  # R did


def test_att_results_say_how_they_were_estimated() -> None:
    text = str(built("ATTgtResult").summary())
    assert "Method: dr; control group: never_treated; base period: varying" in text
    assert "uniform bands from the multiplier bootstrap" in text


def test_random_effects_keeps_normal_inference_whatever_the_path() -> None:
    fit = random_effects("y ~ x1 + x2", DATA, entity="unit", time="period", vcov="iid")
    assert fit.df_t == np.inf and fit.with_vcov("iid").df_t == np.inf and fit.with_vcov(CRV1("unit")).df_t == np.inf


# ---- every estimator × variance pair: computed by the core, or refused by name --------------------------------

VARIANCES = {"iid": IID(), "HC1": HC1(), "CRV1": CRV1("unit"), "CRV1 two-way": CRV1("unit+period"),
             "CRV3": CRV3("unit")}
ESTIMATORS = {
    "feols": lambda v: feols("y ~ x1 + x2 | period", DATA, vcov=v),
    "fepois": lambda v: fepois("count ~ x1 + x2 | period", DATA, vcov=v),
    "logit": lambda v: logit("b ~ x1 + x2", DATA, vcov=v),
    "random_effects": lambda v: random_effects("y ~ x1 + x2", DATA, entity="unit", time="period", vcov=v),
    "first_difference": lambda v: first_difference("y ~ x1 + x2", DATA, entity="unit", time="period", vcov=v),
    "iv_fe": lambda v: iv_fe(DATA, outcome="y", endogenous=["x1"], instruments=["x2", "d"], fixed_effects=("period",),
                             vcov=v),
    "anderson_hsiao": lambda v: anderson_hsiao(DATA, outcome="y", unit="unit", time="period", vcov=v),
    "event_study": lambda v: event_study(DATA.assign(treated=(DATA["unit"] < 75).astype(float)), outcome="y",
                                         treatment="treated", time="period", unit="unit", reference=5, vcov=v),
    "twfe_event_study": lambda v: twfe_event_study(MPDTA, outcome="lemp", time="year", unit="countyreal",
                                                   cohort="cohort", vcov=_mpdta(v)),
    "sun_abraham": lambda v: sun_abraham(MPDTA, outcome="lemp", time="year", unit="countyreal", cohort="cohort",
                                         vcov=_mpdta(v)),
    "att_gt": lambda v: att_gt(MPDTA, outcome="lemp", time="year", unit="countyreal", cohort="cohort",
                               vcov=_mpdta(v)),
}
#: What each estimator supports (the rest must be refused with a ValueError naming estimator and choice).
SUPPORTED = {"feols": set(VARIANCES), "fepois": set(VARIANCES), "logit": {"iid", "HC1", "CRV1"},
             "random_effects": {"iid", "HC1", "CRV1"}, "first_difference": {"iid", "HC1", "CRV1"},
             "iv_fe": set(VARIANCES), "anderson_hsiao": set(VARIANCES), "event_study": set(VARIANCES),
             "twfe_event_study": set(VARIANCES), "sun_abraham": set(VARIANCES), "att_gt": {"HC1", "CRV1"}}


def _mpdta(variance):
    """The same variance on mpdta's columns (counties and years)."""
    if isinstance(variance, CRV1 | CRV3):
        mapped = "+".join({"unit": "countyreal", "period": "year"}[c] for c in variance.clusters)
        return type(variance)(mapped)
    return variance


@pytest.mark.parametrize("estimator", list(ESTIMATORS))
@pytest.mark.parametrize("key", list(VARIANCES))
def test_every_estimator_and_variance_pair_is_computed_or_refused(estimator: str, key: str) -> None:
    variance = VARIANCES[key]
    if key not in SUPPORTED[estimator]:
        with pytest.raises(ValueError, match=r"does not support the variance .*supported: "):
            ESTIMATORS[estimator](variance)
        return
    result = ESTIMATORS[estimator](variance)
    errors = result.se().to_numpy()
    assert np.isfinite(errors).all() and (errors > 0).all()
    on_mpdta = estimator in ("twfe_event_study", "sun_abraham", "att_gt")
    expected = (_mpdta(variance) if on_mpdta else variance).label
    assert result.vcov_type == expected or result.vcov_type.startswith("influence functions")


def test_the_wild_bootstrap_uses_the_core_s_small_sample_factor() -> None:
    """Its t statistic is the estimate over the core's CRV1 error, whatever the correction."""
    for correction in (SSC(), SSC(adj=False), SSC(fixef_k="full"), SSC(cluster_adj=False)):
        fit = feols("y ~ x1 + x2 | unit", DATA, vcov=CRV1("grp", ssc=correction))
        boot = wild_cluster_bootstrap(fit, "x1", "grp", draws=99, seed=1, ssc=correction)
        assert boot.t_stat == pytest.approx(fit.params["x1"] / fit.se()["x1"], rel=1e-10)


def test_restrictions_naming_unknown_terms_list_the_model_s_terms() -> None:
    fit = feols("y ~ x1 + x2", DATA)
    with pytest.raises(ValueError, match=r"'x3' is not a term of the model; the model's terms are: Intercept, x1, x2"):
        fit.wald_test("x1 = x3")
    assert fit.wald_test(["x1 = x2", "x1 + x2 = 0.5"]).df_num == 2


def test_honest_did_result_recomputes_at_another_level() -> None:
    universal = att_gt(MPDTA, outcome="lemp", time="year", unit="countyreal", cohort="cohort",
                       base_period="universal").aggregate("dynamic")
    beta, sigma, _, _ = universal._event_study_inputs()
    result = honest_did(beta, sigma, num_pre=3, num_post=4, grid=np.array([0.0, 0.01]))
    direct = honest_did(beta, sigma, num_pre=3, num_post=4, grid=np.array([0.0, 0.01]), alpha=0.1)
    pd.testing.assert_frame_equal(result.tidy(0.9), direct.tidy())
    with pytest.raises(ValueError, match="inputs were removed"):
        result.remove_data().tidy(0.9)


def test_etable_and_coefplot_take_any_result_with_its_own_rows() -> None:
    from villageaid import coefplot, etable

    everything = results()
    models = [everything[name] for name in ("RegressionResults", "IVResults", "EventTimeEffects",
                                            "AggregatedEffects", "WildBootstrapResult", "DynamicPanelResults")]
    frame = etable(models, drop=r"^e=-", rename={"x1": "first regressor"}).to_frame()
    assert "First-stage F, x1" in frame.index and "Anderson–Rubin 95% set, x1" in frame.index
    assert any(label.startswith("Wild bootstrap p") for label in frame.index)
    assert "first regressor" in frame.index and not any(label.startswith("e=-") for label in frame.index)
    assert frame.loc["Estimator"].tolist()[:2] == ["OLS", "2SLS"]
    kept = etable(models[:2], keep=["^x"], order=["x2"]).to_frame()
    assert [label for label in kept.index if label.startswith("x")][:2] == ["x2", "x1"]
    ax = coefplot(models[:2], keep="x")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x1", "x2"]
    with pytest.raises(TypeError, match="tidy"):
        etable([object()])
    import matplotlib.pyplot as plt

    plt.close("all")
