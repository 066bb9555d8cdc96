"""A hostile corpus for the library API (issue 29, part 6): each case is a call and what it must give.

A case either expects an exception — its type and a regular expression its message must match, naming the
argument and the value — or a documented, counted drop: a regular expression that one of the result's notes must
match (with the count), and, where the issue asks it, that ``summary()`` shows it too. Run by
``test_hostile_api.py``. The data are small so that the whole corpus runs in a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.estimators import (
    anderson_hsiao,
    att_gt,
    bacon_decomposition,
    concentration_bootstrap,
    concentration_index,
    event_study,
    feols,
    fepois,
    first_difference,
    holm,
    honest_did,
    iv_fe,
    logit,
    permutation_interval,
    permutation_test,
    pretrend_power,
    random_effects,
    romano_wolf,
    solve_assignment,
    treated_clusters,
    twfe_event_study,
    wild_cluster_bootstrap,
)
from villageaid.estimators.inequality import bootstrap_inequality, gini
from villageaid.estimators.limits import MissingDataError, NoVariationError, TooFewError
from villageaid.report.etable import etable


@dataclass(frozen=True)
class Case:
    """One hostile call.

    Attributes
    ----------
    name : str
        What is tried (unique: the test id).
    call : callable
        The call, without arguments.
    error : exception type or None
        The exception expected (a subclass also passes); None: the call must succeed.
    match : str
        Regular expression the message must match (``re.search``); for a success, one of the result's notes.
    in_summary : bool
        For a success: the matching note must also be printed by ``summary()``.
    absent : str
        For a success: a regular expression no note may match (e.g. a test refused because of the units).
    """

    name: str
    call: Callable[[], object]
    error: type[BaseException] | None
    match: str
    in_summary: bool = False
    absent: str = ""


_rng = np.random.default_rng(29)
#: 100 observations in 20 groups of 5.
CROSS = pd.DataFrame({"g": np.repeat(np.arange(20), 5), "x": _rng.normal(size=100), "z": _rng.normal(size=100),
                      "w": 1.0, "one": 1})
CROSS["y"] = CROSS["x"] + _rng.normal(size=100)
CROSS["count"] = _rng.poisson(np.exp(0.3 * CROSS["x"])).astype(float)
CROSS["d"] = (CROSS["x"] + _rng.logistic(size=100) > 0).astype(float)
CROSS["unit"] = np.repeat(np.arange(25), 4)
CROSS["year"] = np.tile(np.arange(2018, 2022), 25)

#: A staggered panel: 40 units, 5 years, cohorts 0 (never), 2021 and 2022.
PANEL = pd.DataFrame({"unit": np.repeat(np.arange(40), 5), "year": np.tile(np.arange(2019, 2024), 40)})
PANEL["cohort"] = np.repeat(_rng.choice([0, 2021, 2022], size=40), 5)
PANEL["treated"] = ((PANEL["cohort"] > 0) & (PANEL["year"] >= PANEL["cohort"])).astype(float)
PANEL["y"] = PANEL["treated"] + _rng.normal(size=len(PANEL))
PANEL["one"] = "all"
PANEL["ever"] = (PANEL["cohort"] > 0).astype(float)

BETA = np.array([0.01, -0.02, 0.3])
SIGMA = np.diag([0.01, 0.01, 0.02])
TIMES = np.array([-3.0, -2.0, 0.0])


def _with(frame: pd.DataFrame, column: str, row: int | slice, value: object) -> pd.DataFrame:
    """A copy of ``frame`` with ``frame.loc[row, column] = value`` (the corpus never edits its shared data)."""
    out = frame.copy()
    if column in out.columns:
        out[column] = out[column].astype(float) if isinstance(value, float) else out[column]
    out.loc[row, column] = value
    return out


def _fit() -> object:
    return feols("y ~ x", CROSS)


def _att(**options: object) -> Callable[[], object]:
    frame = options.pop("data", PANEL)
    return lambda: att_gt(frame, outcome="y", time="year", unit="unit", cohort="cohort", **options)


def _honest(betahat: object = BETA, sigma: object = SIGMA, **options: object) -> Callable[[], object]:
    return lambda: honest_did(betahat, sigma, num_pre=2, num_post=1, **options)


def _wcb(**options: object) -> Callable[[], object]:
    cluster = options.pop("cluster", "g")
    model = options.pop("model", None)
    return lambda: wild_cluster_bootstrap(model if model is not None else _fit(), "x", cluster, **options)


def _asymmetric() -> np.ndarray:
    sigma = SIGMA.copy()
    sigma[0, 1] = 0.005
    return sigma


def _gap(frame: pd.DataFrame) -> float:
    return float(frame.loc[frame["ever"] == 1, "y"].mean() - frame.loc[frame["ever"] == 0, "y"].mean())


_UNIT_PANEL = PANEL.groupby("unit", as_index=False).first()

CASES: list[Case] = [
    # --- feols: scale, weights, non-finite values, empty or wrong data, clusters, collinearity ---------------------
    Case("feols regressor scaled by 1e200", lambda: feols("y ~ x + big", CROSS.assign(big=CROSS["z"] * 1e200)),
         ValueError, r"regressor 'big' is too large .*largest absolute value .*e\+200.*not of collinearity"),
    Case("feols regressor scaled by 1e-200", lambda: feols("y ~ x + tiny", CROSS.assign(tiny=CROSS["z"] * 1e-200)),
         ValueError, r"regressor 'tiny' is too small .*e-200.*not of collinearity"),
    Case("feols outcome scaled by 1e200", lambda: feols("y ~ x", CROSS.assign(y=CROSS["y"] * 1e200)),
         ValueError, r"outcome 'y' is too large"),
    Case("feols negative weight", lambda: feols("y ~ x", _with(CROSS, "w", 3, -1.0), weights="w"),
         ValueError, r"feols: weights column 'w' has 1 negative value\(s\) \(first at row 3: -1\.0\)"),
    Case("feols infinite weight", lambda: feols("y ~ x", _with(CROSS, "w", 4, np.inf), weights="w"),
         ValueError, r"weights column 'w' has 1 infinite value\(s\) \(first at row 4: inf\)"),
    Case("feols NaN weight is a counted drop", lambda: feols("y ~ x", _with(CROSS, "w", 5, np.nan), weights="w"),
         None, r"^1 observations removed because of missing values$"),
    Case("feols zero weights are a counted drop", lambda: feols("y ~ x", _with(CROSS, "w", [1, 2], 0.0), weights="w"),
         None, r"^2 observations of zero weight \('w'\) removed$"),
    Case("feols all weights NaN", lambda: feols("y ~ x", CROSS.assign(w=np.nan), weights="w"),
         TooFewError, r"feols: no observation is left .*100 observations removed because of missing values"),
    Case("feols infinite outcome is a counted drop", lambda: feols("y ~ x", _with(CROSS, "y", 0, np.inf)),
         None, r"^1 observations removed because of infinite values \('y': 1\)$", in_summary=True),
    Case("feols -inf regressor is a counted drop", lambda: feols("y ~ x", _with(CROSS, "x", [0, 7], -np.inf)),
         None, r"^2 observations removed because of infinite values \('x': 2\)$"),
    Case("feols NaN and inf counted apart",
         lambda: feols("y ~ x", _with(_with(CROSS, "x", 0, np.nan), "y", 1, np.inf)),
         None, r"^1 observations removed because of infinite values \('y': 1\)$"),
    Case("feols collinear regressor named in notes and summary",
         lambda: feols("y ~ x + x2", CROSS.assign(x2=2 * CROSS["x"])),
         None, r"^term x2 is collinear with the fixed effects or other terms and was dropped$", in_summary=True),
    Case("feols regressor in units 1e8 apart keeps its overall F test",
         lambda: feols("y ~ x + big | g", CROSS.assign(big=CROSS["z"] * 1e8)), None, r"", absent=r"no overall F"),
    Case("feols weights named by a number", lambda: feols("y ~ x", CROSS, weights=1), TypeError,
         r"feols: weights must be a column name \(a string\), got int 1"),
    Case("feols empty data", lambda: feols("y ~ x", CROSS.iloc[:0]), MissingDataError, r"feols: data has no rows"),
    Case("feols data is a list", lambda: feols("y ~ x", [[1, 2]]), TypeError,
         r"feols: data must be a pandas DataFrame, got list"),
    Case("feols formula is None", lambda: feols(None, CROSS), TypeError,
         r"feols: formula must be a string, got NoneType"),
    Case("feols weights column absent", lambda: feols("y ~ x", CROSS, weights="nope"), KeyError,
         r"'nope' \(weights\)"),
    Case("feols one cluster", lambda: feols("y ~ x", CROSS, vcov={"CRV1": "one"}), TooFewError,
         r"CRV1\) by one: needs at least two clusters, found 1"),
    Case("feols CRV3 one cluster", lambda: feols("y ~ x", CROSS, vcov={"CRV3": "one"}), TooFewError,
         r"by one: needs at least two clusters, found 1"),
    # --- fepois ----------------------------------------------------------------------------------------------------
    Case("fepois infinite outcome is a counted drop", lambda: fepois("count ~ x", _with(CROSS, "count", 2, np.inf)),
         None, r"^1 observations removed because of infinite values \('count': 1\)$"),
    Case("fepois negative outcome", lambda: fepois("y ~ x", CROSS), ValueError, r"y has negative values"),
    Case("fepois regressor scaled by 1e200", lambda: fepois("count ~ big", CROSS.assign(big=CROSS["x"] * 1e200)),
         ValueError, r"fepois: regressor 'big' is too large"),
    Case("fepois empty data", lambda: fepois("count ~ x", CROSS.iloc[:0]), MissingDataError,
         r"fepois: data has no rows"),
    Case("fepois one cluster", lambda: fepois("count ~ x", CROSS, vcov={"CRV1": "one"}), TooFewError,
         r"at least two clusters, found 1"),
    # --- iv_fe, logit, random_effects, first_difference ------------------------------------------------------------
    Case("iv_fe infinite instrument is a counted drop",
         lambda: iv_fe(_with(CROSS, "z", 9, np.inf), outcome="y", endogenous=["x"], instruments=["z"]),
         None, r"^1 observations removed because of infinite values \('z': 1\)$"),
    Case("iv_fe endogenous as a string", lambda: iv_fe(CROSS, outcome="y", endogenous="x", instruments=["z"]),
         TypeError, r"iv_fe: endogenous must be a list of column names, got str 'x'"),
    Case("iv_fe level 1.5", lambda: iv_fe(CROSS, outcome="y", endogenous=["x"], instruments=["z"], level=1.5),
         ValueError, r"iv_fe: level must be a number between 0 and 1 .*got 1\.5"),
    Case("iv_fe empty data", lambda: iv_fe(CROSS.iloc[:0], outcome="y", endogenous=["x"], instruments=["z"]),
         MissingDataError, r"iv_fe: data has no rows"),
    Case("logit infinite regressor is a counted drop", lambda: logit("d ~ x", _with(CROSS, "x", 11, np.inf)),
         None, r"^1 observations removed because of infinite values \('x': 1\)$"),
    Case("logit empty data", lambda: logit("d ~ x", CROSS.iloc[:0]), MissingDataError, r"logit: data has no rows"),
    Case("random_effects entity column absent",
         lambda: random_effects("y ~ x", CROSS, entity="nope", time="year"), KeyError, r"'nope' \(entity\)"),
    Case("random_effects infinite outcome is a counted drop",
         lambda: random_effects("y ~ x", _with(CROSS, "y", 6, np.inf), entity="unit", time="year"),
         None, r"^1 observations removed because of infinite values \('y': 1\)$"),
    Case("first_difference infinite regressor",
         lambda: first_difference("y ~ x", _with(CROSS, "x", 13, np.inf), entity="unit", time="year"),
         ValueError, r"first_difference: infinite values.*'x' has 1 \(first at row 13: inf\)"),
    Case("logit collinear regressor named", lambda: logit("d ~ x + x2", CROSS.assign(x2=2 * CROSS["x"])),
         NoVariationError, r"logit: term\(s\) 'x2' are collinear with the other terms"),
    Case("logit regressor scaled by 1e200", lambda: logit("d ~ big", CROSS.assign(big=CROSS["x"] * 1e200)),
         ValueError, r"logit: regressor 'big' is too large"),
    Case("random_effects collinear regressor named",
         lambda: random_effects("y ~ x + x2", CROSS.assign(x2=2 * CROSS["x"]), entity="unit", time="year"),
         NoVariationError, r"random_effects: term\(s\) 'x2' are collinear"),
    Case("first_difference collinear regressor named by its own name",
         lambda: first_difference("y ~ x + x2", CROSS.assign(x2=2 * CROSS["x"]), entity="unit", time="year"),
         None, r"^term x2 is collinear with the fixed effects or other terms and was dropped$", in_summary=True),
    Case("first_difference regressor scaled by 1e200",
         lambda: first_difference("y ~ big", CROSS.assign(big=CROSS["x"] * 1e200), entity="unit", time="year"),
         ValueError, r"first_difference: regressor 'big' is too large"),
    Case("first_difference unknown gaps",
         lambda: first_difference("y ~ x", CROSS, entity="unit", time="year", gaps="weird"),
         ValueError, r"gaps must be 'time' or 'row', got 'weird'"),
    # --- att_gt ----------------------------------------------------------------------------------------------------
    Case("att_gt infinite outcome", _att(data=_with(PANEL, "y", 3, np.inf)), ValueError,
         r"att_gt: infinite values.*'y' has 1 \(first at row 3: inf\)"),
    Case("att_gt clustered on one value", _att(cluster="one"), TooFewError,
         r"att_gt: clustering by 'one' needs at least two clusters, found 1"),
    Case("att_gt bootstrap on one cluster", _att(cluster="one", bootstrap=True, draws=99, seed=1), TooFewError,
         r"clustering by 'one' needs at least two clusters, found 1"),
    Case("att_gt empty data", _att(data=PANEL.iloc[:0]), MissingDataError, r"att_gt: data has no rows"),
    Case("att_gt every outcome missing", _att(data=PANEL.assign(y=np.nan)), MissingDataError,
         r"att_gt: every row has a missing value"),
    Case("att_gt 10^9 bootstrap draws", _att(bootstrap=True, draws=10**9), ValueError,
         r"att_gt: draws=1,000,000,000 .*the bound is 268,435,456 numbers \(2 GiB\)"),
    Case("att_gt negative anticipation", _att(anticipation=-1), ValueError,
         r"att_gt: anticipation must be at least 0, got -1"),
    Case("att_gt conf_level 95", _att(conf_level=95), ValueError, r"att_gt: conf_level must be .*between 0 and 1.*95"),
    Case("att_gt seed -1", _att(seed=-1), ValueError, r"att_gt: seed must be at least 0, got -1"),
    Case("att_gt covariates as a string", _att(covariates="x"), TypeError,
         r"att_gt: covariates must be a list of column names, got str 'x'"),
    Case("att_gt outcome column absent",
         lambda: att_gt(PANEL, outcome="nope", time="year", unit="unit", cohort="cohort"), KeyError,
         r"'nope' \(outcome\)"),
    Case("att_gt unknown base_period", _att(base_period="fixed"), ValueError,
         r"att_gt: base_period must be one of 'varying', 'universal', got 'fixed'"),
    # --- honest_did and pretrend_power -----------------------------------------------------------------------------
    Case("honest_did NaN in betahat", _honest(np.array([0.01, np.nan, 0.3])), ValueError,
         r"honest_did: betahat has 1 non-finite entries .*betahat\[1\] = nan"),
    Case("honest_did infinite sigma", _honest(sigma=np.diag([0.01, np.inf, 0.02])), ValueError,
         r"honest_did: sigma has 1 non-finite entries .*sigma\[1, 1\] = inf"),
    Case("honest_did sigma not positive semi-definite",
         _honest(sigma=np.array([[0.01, 0.02, 0.0], [0.02, 0.01, 0.0], [0.0, 0.0, 0.02]])), ValueError,
         r"honest_did: sigma is not positive semi-definite .*smallest eigenvalue is -1"),
    Case("honest_did sigma asymmetric", _honest(sigma=_asymmetric()), ValueError,
         r"honest_did: sigma must be symmetric: sigma\[0, 1\] = 0\.005 but sigma\[1, 0\] = 0"),
    Case("honest_did sigma negative variance", _honest(sigma=np.diag([0.01, -0.01, 0.02])), ValueError,
         r"sigma must have positive variances on its diagonal: sigma\[1, 1\] = -0\.01"),
    Case("honest_did negative M", _honest(grid=[0.0, -0.1]), ValueError,
         r"honest_did: grid \(the values of M\) must be zero or more, got \[-0\.1\]"),
    Case("honest_did NaN in the grid", _honest(grid=[0.0, np.nan]), ValueError,
         r"honest_did: grid \(the values of M\) has 1 non-finite entries"),
    Case("honest_did 10^9 draws", _honest(draws=10**9), ValueError, r"honest_did: draws=1,000,000,000 .*bound"),
    Case("pretrend_power NaN relative time", lambda: pretrend_power(BETA, SIGMA, np.array([-3.0, np.nan, 0.0]),
                                                                    slope=0.1),
         ValueError, r"pretrend_power: t has 1 non-finite entries .*t\[1\] = nan"),
    Case("pretrend_power infinite delta",
         lambda: pretrend_power(BETA, SIGMA, TIMES, delta=np.array([np.inf, 0.0, 0.0])), ValueError,
         r"pretrend_power: delta has 1 non-finite entries .*delta\[0\] = inf"),
    # --- wild_cluster_bootstrap ------------------------------------------------------------------------------------
    Case("treated_clusters of a list", lambda: treated_clusters([1, 2], "d", "g"), TypeError,
         r"treated_clusters: data must be a pandas DataFrame, got list"),
    Case("wild bootstrap one cluster", _wcb(cluster="one"), TooFewError, r"at least two clusters of 'one', found 1"),
    Case("wild bootstrap 10^9 draws", _wcb(draws=10**9, enumerate_all=False), ValueError,
         r"wild_cluster_bootstrap: draws=1,000,000,000 .*447\.0 GiB.*the bound is 268,435,456 numbers \(2 GiB\)"),
    Case("wild bootstrap enumerating 2^50 patterns",
         _wcb(model=feols("y ~ x", CROSS.assign(g=np.arange(100) // 2)), enumerate_all=True), ValueError,
         r"enumerate_all \(50 groups, 2\^50 sign patterns\)=1,125,899,906,842,624 .*bound"),
    Case("wild bootstrap zero draws", _wcb(draws=0), ValueError, r"wild_cluster_bootstrap: draws must be at least 1"),
    Case("wild bootstrap fractional draws", _wcb(draws=2.5), TypeError,
         r"wild_cluster_bootstrap: draws must be an integer, got float 2\.5"),
    Case("wild bootstrap of a non-model", _wcb(model="y ~ x"), TypeError,
         r"wild_cluster_bootstrap: model must be an FEOLS model or results of feols, got str"),
    Case("wild bootstrap conf_level 0", _wcb(conf_level=0), ValueError,
         r"wild_cluster_bootstrap: conf_level must be .*between 0 and 1.*got 0"),
    Case("wild bootstrap infinite null", _wcb(null=np.inf), ValueError,
         r"wild_cluster_bootstrap: null must be a finite number, got inf"),
    # --- etable ----------------------------------------------------------------------------------------------------
    Case("etable of non-results", lambda: etable([1, 2]), TypeError,
         r"models\[0\] must be results with a tidy\(\) method .*got int 1"),
    Case("etable of a string", lambda: etable("fit"), TypeError, r"^models must be results .*got str 'fit'"),
    Case("etable of nothing", lambda: etable([]), ValueError, r"models is empty"),
    Case("etable digits empty string", lambda: etable(_fit(), digits=""), TypeError,
         r"etable: digits must be a whole number of decimals, got str ''"),
    Case("etable digits -1", lambda: etable(_fit(), digits=-1), ValueError,
         r"etable: digits must be from 0 to 15 .*got -1"),
    # --- inequality, concentration, multiplicity -------------------------------------------------------------------
    Case("gini with NaN", lambda: gini([1.0, np.nan, 2.0]), ValueError, r"x has 1 non-finite entries .*x\[1\] = nan"),
    Case("gini with inf", lambda: gini([1.0, np.inf]), ValueError, r"x\[1\] = inf"),
    Case("gini negative", lambda: gini([1.0, -2.0]), ValueError,
         r"x must hold non-negative values; 1 are negative \(first x\[1\] = -2\)"),
    Case("bootstrap_inequality 10^9 draws", lambda: bootstrap_inequality([1.0, 2.0, 3.0], draws=10**9), ValueError,
         r"bootstrap_inequality: draws=1,000,000,000 with 3 resampled values per draw"),
    Case("concentration index with inf", lambda: concentration_index([1.0, np.inf, 2.0], [1, 2, 3]), ValueError,
         r"values has 1 non-finite entries .*values\[1, 0\] = inf"),
    Case("concentration bootstrap 10^9 draws",
         lambda: concentration_bootstrap([1.0, 2.0, 3.0], [1, 2, 3], draws=10**9), ValueError,
         r"concentration_bootstrap: draws=1,000,000,000 .*bound"),
    Case("holm with NaN", lambda: holm([0.1, np.nan]), ValueError, r"p_values contains NaN at positions \[1\]"),
    Case("romano_wolf infinite statistic", lambda: romano_wolf([np.inf, 1.0], np.zeros((5, 2))), ValueError,
         r"statistics contains infinite values at positions \[0\]"),
    Case("romano_wolf infinite draw", lambda: romano_wolf([1.0, 1.0], np.array([[0.0, 0.0], [np.inf, 0.0]])),
         ValueError, r"bootstrap_statistics contains infinite values in 1 of its 2 draws \(first: row 1\)"),
    # --- randomization, event studies, assignment ------------------------------------------------------------------
    Case("permutation_test statistic not callable", lambda: permutation_test("gap", _UNIT_PANEL, "ever"), TypeError,
         r"permutation_test: statistic must be a function"),
    Case("permutation_test seed -1", lambda: permutation_test(_gap, _UNIT_PANEL, "ever", seed=-1), ValueError,
         r"permutation_test: seed must be at least 0, got -1"),
    Case("permutation_interval infinite outcome",
         lambda: permutation_interval(_gap, _with(_UNIT_PANEL, "y", 2, np.inf), "y", "ever"), ValueError,
         r"permutation_interval: infinite values.*'y' has 1"),
    Case("event_study treatment column absent",
         lambda: event_study(PANEL, outcome="y", treatment="nope", time="year", unit="unit", reference=2020),
         KeyError, r"'nope' \(treatment\)"),
    Case("event_study unknown estimator",
         lambda: event_study(PANEL, outcome="y", treatment="ever", time="year", unit="unit", reference=2020,
                             estimator="tobit"),
         ValueError, r"event_study: estimator must be one of 'ols', 'ppml', got 'tobit'"),
    Case("event_study infinite outcome is a counted drop",
         lambda: event_study(_with(PANEL, "y", 8, np.inf), outcome="y", treatment="ever", time="year", unit="unit",
                             reference=2020).model,
         None, r"^1 observations removed because of infinite values \('y': 1\)$"),
    Case("twfe_event_study infinite cohort",
         lambda: twfe_event_study(_with(PANEL, "cohort", 0, np.inf), outcome="y", time="year", unit="unit",
                                  cohort="cohort"),
         ValueError, r"twfe_event_study: infinite values.*'cohort' has 1 \(first at row 0: inf\)"),
    Case("bacon_decomposition infinite outcome",
         lambda: bacon_decomposition(_with(PANEL, "y", 1, -np.inf), outcome="y", time="year", unit="unit",
                                     cohort="cohort"),
         ValueError, r"bacon_decomposition: infinite values.*'y' has 1 \(first at row 1: -inf\)"),
    Case("anderson_hsiao empty data", lambda: anderson_hsiao(PANEL.iloc[:0], outcome="y", unit="unit", time="year"),
         MissingDataError, r"anderson_hsiao: data has no rows"),
    Case("anderson_hsiao equations as a list",
         lambda: anderson_hsiao(PANEL, outcome="y", unit="unit", time="year", equations=[True] * len(PANEL)),
         TypeError, r"anderson_hsiao: equations must be a Series of bool .*got list"),
    Case("solve_assignment +inf value", lambda: solve_assignment(np.array([[np.inf, 1.0]]), 1, 1), ValueError,
         r"value"),
]
