"""Callaway & Sant'Anna (2021) group-time average treatment effects for staggered adoption.

``att_gt`` estimates ATT(g, t) for every cohort g (first treated period; 0 = never treated) and period t
on a balanced panel, with never-treated or not-yet-treated controls, outcome regression ("reg"), inverse
probability weighting ("ipw", normalized weights) or the doubly robust estimator ("dr") of Sant'Anna &
Zhao (2020), varying or universal base periods, and anticipation. Standard errors come from the
influence functions (analytic, optionally clustered) or a seeded multiplier bootstrap with uniform
confidence bands. ``aggregate`` gives the simple, group, dynamic (event-time) and calendar summaries.

Written here rather than taken from a library: the conventions must reproduce R ``did`` 2.5 exactly
(checked on mpdta to 1e-8 for estimates and 1e-6 for standard errors), including its influence-function
scaling (n / n₁ per ATT(g,t)) and the influence function of the estimated group shares in aggregations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from villageaid.estimators.results import ResultsBase, WaldTest, normal_inference
from villageaid.estimators.vcov import cluster_sums

ControlGroup = Literal["never_treated", "not_yet_treated"]
Method = Literal["dr", "reg", "ipw"]
AggregationType = Literal["simple", "group", "dynamic", "calendar"]
_PS_CAP = 1 - 1e-6


class OverlapError(ValueError):
    """The propensity score cannot be estimated: treated and control units do not overlap in covariates."""


def _logit_fit(X: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logit by Newton's method; returns fitted probabilities and (X'WX/n)⁻¹ (the Hessian inverse)."""
    beta = np.zeros(X.shape[1])
    try:
        for _ in range(100):
            p = 1 / (1 + np.exp(-(X @ beta)))
            w = p * (1 - p)
            hessian = (X * w[:, None]).T @ X
            step = np.linalg.solve(hessian, X.T @ (d - p))
            beta += step
            if np.max(np.abs(step)) < 1e-12:
                break
        p = 1 / (1 + np.exp(-(X @ beta)))
        hessian = (X * (p * (1 - p))[:, None]).T @ X
        hessian_inv = np.linalg.inv(hessian) * len(d)
    except np.linalg.LinAlgError as exc:
        raise OverlapError("the propensity score logit is singular (no overlap in covariates)") from exc
    if p[d > 0].max() >= 0.999:  # R did's check: the overlap condition is violated
        raise OverlapError("the propensity score of a treated unit is 0.999 or more (overlap violated)")
    return p, hessian_inv


def _did_panel(delta_y: np.ndarray, d: np.ndarray, X: np.ndarray, method: Method) -> tuple[float, np.ndarray]:
    """ATT and its influence function for one 2×2 comparison (the DRDID panel estimators)."""
    n = len(d)
    if X.shape[1] == 1:
        # Without covariates all three estimators reduce to the difference in mean changes, and their
        # influence functions to D(ΔY − μ₁)/p − (1 − D)(ΔY − μ₀)/(1 − p) (the propensity-score and
        # regression terms vanish); computing it directly avoids a logit and a regression per cell.
        treated = d > 0
        p = treated.mean()
        mu1, mu0 = delta_y[treated].mean(), delta_y[~treated].mean()
        influence = np.where(treated, (delta_y - mu1) / p, -(delta_y - mu0) / (1 - p))
        return float(mu1 - mu0), influence
    w_treat = d.astype(float)
    # The estimation-effect terms are (n × k scores) @ (k × k inverse) @ (k-vector); they are formed right to
    # left (a k-vector first, then one matrix-vector product), never as n × k matrices.
    if method in ("reg", "dr"):
        control = d == 0
        coef = np.linalg.lstsq(X[control], delta_y[control], rcond=None)[0]
        out_delta = X @ coef
        weights_ols = 1.0 - d
        xpx_inv = np.linalg.inv((X * weights_ols[:, None]).T @ X / n)
        ols_score = weights_ols * (delta_y - out_delta)

        def lin_ols(m: np.ndarray) -> np.ndarray:
            return ols_score * (X @ (xpx_inv @ m))
    if method in ("ipw", "dr"):
        ps, hessian_inv = _logit_fit(X, d.astype(float))
        ps = np.minimum(ps, _PS_CAP)
        w_cont = ps * (1 - d) / (1 - ps)
        ps_score = d - ps

        def lin_ps(m: np.ndarray) -> np.ndarray:
            return ps_score * (X @ (hessian_inv @ m))
    if method == "reg":
        w_cont = w_treat
        att_treat = w_treat * delta_y
        att_cont = w_cont * out_delta
        eta_treat = att_treat.mean() / w_treat.mean()
        eta_cont = att_cont.mean() / w_cont.mean()
        inf_treat = (att_treat - w_treat * eta_treat) / w_treat.mean()
        inf_cont = ((att_cont - w_cont * eta_cont) + lin_ols(w_cont @ X / n)) / w_cont.mean()
        return float(eta_treat - eta_cont), inf_treat - inf_cont
    if method == "ipw":
        att_treat = w_treat * delta_y
        att_cont = w_cont * delta_y
        eta_treat = att_treat.mean() / w_treat.mean()
        eta_cont = att_cont.mean() / w_cont.mean()
        inf_treat = (att_treat - w_treat * eta_treat) / w_treat.mean()
        inf_cont = (att_cont - w_cont * eta_cont) / w_cont.mean()
        inf_cont = inf_cont + lin_ps((w_cont * (delta_y - eta_cont)) @ X / n) / w_cont.mean()
        return float(eta_treat - eta_cont), inf_treat - inf_cont
    # doubly robust (Sant'Anna & Zhao 2020, locally efficient panel estimator)
    residual = delta_y - out_delta
    att_treat = w_treat * residual
    att_cont = w_cont * residual
    eta_treat = att_treat.mean() / w_treat.mean()
    eta_cont = att_cont.mean() / w_cont.mean()
    inf_treat = ((att_treat - w_treat * eta_treat) - lin_ols(w_treat @ X / n)) / w_treat.mean()
    m2 = (w_cont * (residual - eta_cont)) @ X / n
    m3 = w_cont @ X / n
    inf_cont = ((att_cont - w_cont * eta_cont) + lin_ps(m2) - lin_ols(m3)) / w_cont.mean()
    return float(eta_treat - eta_cont), inf_treat - inf_cont


def _cluster_sums(inf: np.ndarray, clusters: np.ndarray | None) -> np.ndarray:
    """Influence functions summed within clusters (unchanged without clusters)."""
    return inf if clusters is None else cluster_sums(inf, clusters)


def _covariance(inf: np.ndarray, clusters: np.ndarray | None) -> np.ndarray:
    """Covariance of estimates from their influence functions (columns), clustered if requested.

    Its diagonal is the square of :func:`_standard_errors`.
    """
    n = inf.shape[0]
    if clusters is None:
        return inf.T @ inf / n**2
    sums = _cluster_sums(inf, clusters)
    return sums.T @ sums / n**2


def _standard_errors(inf: np.ndarray, clusters: np.ndarray | None) -> np.ndarray:
    """Analytic standard errors from influence functions (n units × columns), clustered if requested."""
    n = inf.shape[0]
    if clusters is None:
        return np.sqrt((inf**2).mean(axis=0) / n)
    return np.sqrt((_cluster_sums(inf, clusters) ** 2).sum(axis=0)) / n


@dataclass(frozen=True, repr=False)
class AggregatedEffects(ResultsBase):
    """An aggregation of ATT(g, t): the overall effect and the per-cohort/event-time/period effects.

    ``tidy()`` has one row per cohort, event time or period (term ``g=…``, ``e=…``, ``t=…``); the overall
    effect is ``overall_estimate`` / ``overall_std_error`` (the only row of a "simple" aggregation).
    """

    type: str
    overall_estimate: float
    overall_std_error: float
    labels: np.ndarray
    estimates: np.ndarray
    std_errors: np.ndarray
    critical_value: float
    conf_level: float
    nobs: int = 0
    #: Covariance of ``estimates`` from the influence functions (clustered when the ATT(g,t) were).
    vcov: np.ndarray | None = None
    #: Base period of the ATT(g, t): "varying" or "universal".
    base_period: str = "varying"

    def _event_study_inputs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Coefficients, covariance and event times for HonestDiD-style analyses (dynamic, universal base only)."""
        if self.type != "dynamic":
            raise ValueError(f"sensitivity and pre-trend power need the dynamic (event-time) aggregation, not "
                             f"{self.type!r}: use result.aggregate('dynamic')")
        if self.base_period != "universal":
            raise ValueError("the ATT(g,t) use a varying base period, whose pre-period estimates are short "
                             "differences and not comparable with the post-period ones; as R HonestDiD requires, "
                             "estimate att_gt(..., base_period='universal') first")
        if self.vcov is None:
            raise ValueError("this aggregation has no covariance matrix")
        keep = self.std_errors > 0  # the reference period (e = -1 - anticipation) is 0 by construction
        reference = float(self.labels[~keep].max()) if (~keep).any() else -1.0
        return self.estimates[keep], self.vcov[np.ix_(keep, keep)], self.labels[keep].astype(float), reference

    def sensitivity(self, **options: object) -> object:
        """Robust intervals for the post-period effects (Rambachan & Roth; see ``estimators.honest``)."""
        from villageaid.estimators.honest import sensitivity_of

        return sensitivity_of(self, **options)

    def pretrend_power(self, *, slope: float | None = None, delta: object = None,
                       target_power: float | None = None) -> object:
        """Power of the pre-trend test against a violation (Roth 2022; see ``estimators.pretrends``)."""
        from villageaid.estimators.pretrends import power_of

        return power_of(self, slope=slope, delta=delta, target_power=target_power)

    def slope_for_power(self, target_power: float = 0.8) -> float:
        """Slope per period of a linear violation the pre-test detects with ``target_power`` (Roth 2022)."""
        from villageaid.estimators.pretrends import slope_of

        return slope_of(self, target_power)

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row per cohort (group), event time (dynamic) or period (calendar), or the overall effect (simple).

        Columns: the tidy ones, then the label column (cohort, event_time or time) and the uniform band.
        """
        level = self.conf_level if conf_level is None else conf_level
        if self.type == "simple":
            labels, estimates, errors = np.array(["ATT"]), np.array([self.overall_estimate]), \
                np.array([self.overall_std_error])
        else:
            labels, estimates, errors = self.labels, self.estimates, self.std_errors
        column = {"group": "cohort", "dynamic": "event_time", "calendar": "time"}.get(self.type, "label")
        prefix = {"group": "g=", "dynamic": "e=", "calendar": "t="}.get(self.type, "")
        table = pd.DataFrame({"term": [f"{prefix}{label:g}" if prefix else str(label) for label in labels],
                              "estimate": estimates, "std_error": errors,
                              **normal_inference(estimates, errors, level), column: labels,
                              "conf_low_uniform": estimates - self.critical_value * errors,
                              "conf_high_uniform": estimates + self.critical_value * errors})
        return table

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        return (f"Aggregated ATT ({self.type})",
                (f"Overall: {self.overall_estimate:.6g} (s.e. {self.overall_std_error:.6g}); units: {self.nobs:,}",))


@dataclass(frozen=True, repr=False)
class ATTgtResult(ResultsBase):
    """ATT(g, t) estimates with their influence functions.

    ``nobs`` is the number of units (the panel is balanced); ``tidy()`` has one row per (g, t) with term
    ``ATT(g,t)``.

    Attributes
    ----------
    cohorts, times : ndarray
        The (g, t) of each estimate.
    estimates, std_errors : ndarray
    influence : ndarray (n units × number of (g, t))
        Influence functions, scaled as R ``did`` does (n / n₁ within each comparison).
    unit_cohort : ndarray
        Cohort of each unit (0 never treated), in the order of ``influence`` rows.
    clusters : ndarray or None
        Cluster code of each unit, when errors are clustered.
    """

    cohorts: np.ndarray
    times: np.ndarray
    estimates: np.ndarray
    std_errors: np.ndarray
    influence: np.ndarray
    unit_cohort: np.ndarray
    anticipation: int
    conf_level: float
    critical_value: float
    clusters: np.ndarray | None = None
    bootstrap: dict | None = None
    notes: tuple[str, ...] = field(default=())
    base_period: str = "varying"

    @property
    def n_units(self) -> int:
        """Units in the (balanced) panel."""
        return self.influence.shape[0]

    def _se(self, inf: np.ndarray) -> np.ndarray:
        """Analytic standard errors from influence functions (columns), clustered if requested."""
        return _standard_errors(inf, self.clusters)

    @property
    def nobs(self) -> int:
        """Units in the (balanced) panel."""
        return self.n_units

    @property
    def terms(self) -> list[str]:
        """``ATT(g,t)`` labels."""
        return [f"ATT({g:g},{t:g})" for g, t in zip(self.cohorts, self.times, strict=True)]

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row per (cohort, time): the tidy columns, then cohort, time and the uniform band."""
        level = self.conf_level if conf_level is None else conf_level
        return pd.DataFrame({
            "term": self.terms, "estimate": self.estimates, "std_error": self.std_errors,
            **normal_inference(self.estimates, self.std_errors, level), "cohort": self.cohorts, "time": self.times,
            "conf_low_uniform": self.estimates - self.critical_value * self.std_errors,
            "conf_high_uniform": self.estimates + self.critical_value * self.std_errors,
        })

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        return ("Callaway–Sant'Anna ATT(g,t)", (f"Units: {self.n_units:,}; anticipation: {self.anticipation}",
                                                "Standard errors from influence functions"
                                                + (", clustered" if self.clusters is not None else "")))

    def vcov(self, which: np.ndarray | None = None) -> np.ndarray:
        """Variance matrix of the ATT(g, t) (or of those selected by the boolean mask ``which``)."""
        which = np.ones(len(self.estimates), dtype=bool) if which is None else which
        sums = _cluster_sums(self.influence[:, which], self.clusters)
        return sums.T @ sums / self.n_units**2

    def wald_test(self, terms: list[str] | None = None) -> WaldTest:
        """Joint chi-square test that the ATT(g, t) named in ``terms`` (labels as in ``tidy()``) are zero."""
        if not terms:
            raise ValueError("name the ATT(g,t) terms to test (see tidy()['term'])")
        missing = [t for t in terms if t not in self.terms]
        if missing:
            raise KeyError(f"terms not estimated: {missing}")
        which = np.isin(self.terms, terms)
        return self._chi2(which, f"{', '.join(terms)} = 0")

    def _chi2(self, which: np.ndarray, hypothesis: str) -> WaldTest:
        a = self.estimates[which]
        statistic = float(a @ np.linalg.pinv(self.vcov(which)) @ a)
        df = int(which.sum())
        return WaldTest(statistic, df, np.inf, float(stats.chi2.sf(statistic, df)), "chi2", hypothesis)

    def pre_trend_test(self) -> WaldTest | None:
        """Wald (chi-square) test that every pre-treatment ATT(g, t) (t < g − anticipation) is zero.

        Returns None when there is no pre-treatment cell with a standard error.
        """
        pre = (self.times < self.cohorts - self.anticipation) & np.isfinite(self.estimates)
        pre &= self.std_errors > 0
        if not pre.any():
            return None
        return self._chi2(pre, "all pre-treatment ATT(g,t) = 0")

    def _weight_influence(self, keepers: np.ndarray, pg: np.ndarray, groups: np.ndarray) -> np.ndarray:
        """Influence of estimating the group shares (R did's ``wif``)."""
        G = self.unit_cohort
        total = pg[keepers].sum()
        indicators = np.column_stack([(G == groups[k]).astype(float) - pg[k] for k in keepers])
        if1 = indicators / total
        if2 = indicators.sum(axis=1)[:, None] * (pg[keepers] / total**2)[None, :]
        return if1 - if2

    def aggregate(self, type: AggregationType = "group", *, balance_e: int | None = None,
                  min_e: float = -np.inf, max_e: float = np.inf) -> AggregatedEffects:
        """Aggregate ATT(g, t) as R ``did::aggte``: "simple", "group", "dynamic" (event time) or "calendar"."""
        finite = np.isfinite(self.estimates)
        if not finite.all():  # cells without controls are left out, as R did's na.rm = TRUE
            kept = ATTgtResult(self.cohorts[finite], self.times[finite], self.estimates[finite],
                               self.std_errors[finite], self.influence[:, finite], self.unit_cohort,
                               self.anticipation, self.conf_level, self.critical_value, self.clusters,
                               self.bootstrap, self.notes, self.base_period)
            return kept.aggregate(type, balance_e=balance_e, min_e=min_e, max_e=max_e)
        att, inf, group, t = self.estimates, self.influence, self.cohorts, self.times
        cohorts = np.unique(group)
        pg_by_cohort = np.array([np.mean(self.unit_cohort == g) for g in cohorts])
        pg = pg_by_cohort[np.searchsorted(cohorts, group)]
        keepers = np.flatnonzero((group <= t) & (t <= group + max_e))

        def combine(which: np.ndarray, weights: np.ndarray, wif: np.ndarray | None,
                    values: np.ndarray = att, functions: np.ndarray = inf) -> np.ndarray:
            out = functions[:, which] @ weights
            if wif is not None:
                out = out + wif @ values[which]
            return out

        if type == "simple":
            weights = pg[keepers] / pg[keepers].sum()
            overall = float(np.sum(att[keepers] * weights))
            function = combine(keepers, weights, self._weight_influence(keepers, pg, group))
            return AggregatedEffects("simple", overall, float(self._se(function[:, None])[0]), np.array([]),
                                     np.array([]), np.array([]), np.nan, self.conf_level)
        if type == "group":
            estimates, functions = [], []
            for g in cohorts:
                which = np.flatnonzero((group == g) & (g <= t) & (t <= group + max_e))
                weights = pg[which] / pg[which].sum()
                estimates.append(float(np.mean(att[which])))
                functions.append(combine(which, weights, None))
            estimates_arr, functions_arr = np.array(estimates), np.column_stack(functions)
            wif = self._weight_influence(np.arange(len(cohorts)), pg_by_cohort, cohorts)
            overall_function = combine(np.arange(len(cohorts)), pg_by_cohort / pg_by_cohort.sum(), wif,
                                       estimates_arr, functions_arr)
            overall = float(np.sum(estimates_arr * pg_by_cohort) / pg_by_cohort.sum())
            return self._summary("group", cohorts, estimates_arr, functions_arr, overall, overall_function)
        if type == "dynamic":
            event = t - group
            include = np.ones(len(att), dtype=bool)
            events = np.unique(event)
            if balance_e is not None:
                events = events[(events <= balance_e) & (events >= balance_e - t.max() + t.min())]
                include = (t.max() - group) >= balance_e
            events = events[(events >= min_e) & (events <= max_e)]
            estimates, functions = [], []
            for e in events:
                which = np.flatnonzero((event == e) & include)
                weights = pg[which] / pg[which].sum()
                estimates.append(float(np.sum(att[which] * weights)))
                functions.append(combine(which, weights, self._weight_influence(which, pg, group)))
            estimates_arr, functions_arr = np.array(estimates), np.column_stack(functions)
            post = events >= 0
            k = int(post.sum())
            overall = float(np.mean(estimates_arr[post]))
            overall_function = functions_arr[:, post] @ np.full(k, 1 / k)
            return self._summary("dynamic", events, estimates_arr, functions_arr, overall, overall_function)
        if type == "calendar":
            periods = np.unique(t)
            periods = periods[periods >= group.min()]
            estimates, functions = [], []
            for period in periods:
                which = np.flatnonzero((t == period) & (group <= t))
                weights = pg[which] / pg[which].sum()
                estimates.append(float(np.sum(att[which] * weights)))
                functions.append(combine(which, weights, self._weight_influence(which, pg, group)))
            estimates_arr, functions_arr = np.array(estimates), np.column_stack(functions)
            overall = float(np.mean(estimates_arr))
            overall_function = functions_arr @ np.full(len(periods), 1 / len(periods))
            return self._summary("calendar", periods, estimates_arr, functions_arr, overall, overall_function)
        raise ValueError(f"unknown aggregation {type!r}: use simple, group, dynamic or calendar")

    def _summary(self, kind: str, labels: np.ndarray, estimates: np.ndarray, functions: np.ndarray, overall: float,
                 overall_function: np.ndarray) -> AggregatedEffects:
        std_errors = self._se(functions)
        critical = stats.norm.ppf(0.5 + self.conf_level / 2)
        if self.bootstrap is not None:
            critical = _uniform_critical_value(functions, std_errors, self.bootstrap, self.clusters,
                                               self.conf_level)
        return AggregatedEffects(kind, overall, float(self._se(overall_function[:, None])[0]), labels, estimates,
                                 std_errors, critical, self.conf_level, self.n_units,
                                 _covariance(functions, self.clusters), self.base_period)


def _multiplier_draws(functions: np.ndarray, settings: dict, clusters: np.ndarray | None) -> np.ndarray:
    """Bootstrap draws of √n·mean(v·IF) with Rademacher multipliers (per unit or per cluster), seeded."""
    rng = np.random.default_rng(settings["seed"])
    n = functions.shape[0]
    units = _cluster_sums(functions, clusters)
    draws = []
    for start in range(0, settings["draws"], 500):  # in blocks, to bound memory
        size = min(500, settings["draws"] - start)
        v = rng.choice(np.array([-1.0, 1.0]), size=(size, units.shape[0]))
        draws.append(v @ units / np.sqrt(n))
    return np.vstack(draws)


def _uniform_critical_value(functions: np.ndarray, std_errors: np.ndarray, settings: dict,
                            clusters: np.ndarray | None, conf_level: float) -> float:
    draws = _multiplier_draws(functions, settings, clusters)
    n = functions.shape[0]
    scale = std_errors * np.sqrt(n)
    ok = scale > 0
    t_max = np.max(np.abs(draws[:, ok]) / scale[ok], axis=1)
    return float(np.quantile(t_max, conf_level))


def att_gt(data: pd.DataFrame, *, outcome: str, time: str, unit: str, cohort: str,
           covariates: list[str] | None = None, control_group: ControlGroup = "never_treated",
           method: Method = "dr", base_period: Literal["varying", "universal"] = "varying", anticipation: int = 0,
           cluster: str | None = None, bootstrap: bool = False, draws: int = 999, seed: int | None = None,
           conf_level: float = 0.95) -> ATTgtResult:
    """Estimate every ATT(g, t) (Callaway & Sant'Anna 2021), as R ``did::att_gt`` on a balanced panel.

    Parameters
    ----------
    data : DataFrame
        Long panel: one row per unit and period.
    outcome, time, unit, cohort : str
        Columns: outcome, period (integer), unit identifier, first treated period (0 = never treated).
    covariates : list of str, optional
        Pre-treatment covariates (their values in each comparison's base period are used).
    control_group : {"never_treated", "not_yet_treated"}
    method : {"dr", "reg", "ipw"}
    base_period : {"varying", "universal"}
    anticipation : int
        Periods of anticipation δ: effects may start at g − δ.
    cluster : str, optional
        Column (constant within unit) to cluster standard errors on.
    bootstrap : bool
        Add a multiplier bootstrap (Rademacher, ``draws``, ``seed``) for uniform confidence bands.
    conf_level : float

    Returns
    -------
    ATTgtResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(7)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(300), 5), "year": np.tile(np.arange(2019, 2024), 300)})
    >>> panel["cohort"] = np.repeat(rng.choice([0, 2021, 2022], size=300), 5)
    >>> treated = (panel["cohort"] > 0) & (panel["year"] >= panel["cohort"])
    >>> panel["y"] = 1.0 * treated + rng.normal(size=len(panel))
    >>> result = att_gt(panel, outcome="y", time="year", unit="unit", cohort="cohort")
    >>> simple = result.aggregate("simple")
    >>> bool(abs(simple.overall_estimate - 1.0) < 4 * simple.overall_std_error)
    True
    """
    if control_group not in ("never_treated", "not_yet_treated"):
        raise ValueError("control_group must be 'never_treated' or 'not_yet_treated'")
    if method not in ("dr", "reg", "ipw"):
        raise ValueError("method must be 'dr', 'reg' or 'ipw'")
    covariates = list(covariates or [])
    needed = list(dict.fromkeys([outcome, time, unit, cohort, *covariates, *([cluster] if cluster else [])]))
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise KeyError(f"columns not in the data: {missing}")
    frame = data[needed].dropna()
    notes = []
    if len(frame) < len(data):
        notes.append(f"{len(data) - len(frame):,} rows with missing values dropped")
    # Balanced panel as a units × periods array, with integer codes instead of pandas group-bys (fast at
    # millions of rows).
    unit_codes, unit_values = pd.factorize(frame[unit], sort=True)
    time_values = frame[time].to_numpy(float)
    if (time_values != np.floor(time_values)).any():
        raise ValueError(f"{time!r} must hold integer periods")
    time_codes, periods = pd.factorize(time_values, sort=True)  # hashing: faster than sorting millions of rows
    periods = np.asarray(periods, dtype=float)
    key = unit_codes * len(periods) + time_codes
    cells = np.bincount(key, minlength=len(unit_values) * len(periods))
    if cells.max() > 1:
        raise ValueError(f"({unit!r}, {time!r}) is not unique: a unit has several rows for one period")
    complete = cells.reshape(len(unit_values), len(periods)).all(axis=1)
    if not complete.all():
        notes.append(f"{int((~complete).sum()):,} units not observed in every period dropped (balanced panel)")
    keep_rows = complete[unit_codes]
    kept_key = key[keep_rows]
    # Panels usually arrive sorted by unit and period: then no sort is needed at all.
    order = (np.arange(len(kept_key)) if np.all(kept_key[1:] > kept_key[:-1])
             else np.argsort(kept_key, kind="stable"))
    rows = np.flatnonzero(keep_rows)[order]
    units = unit_values[complete]
    n = len(units)
    shape = (n, len(periods))
    cohort_matrix = frame[cohort].to_numpy(float)[rows].reshape(shape)
    switching = (cohort_matrix != cohort_matrix[:, :1]).any(axis=1)
    if switching.any():
        examples = ", ".join(map(str, units[switching][:5]))
        raise ValueError(f"the cohort (first treated period) must be constant within a unit; it varies for "
                         f"{int(switching.sum())} units (e.g. {examples}). Staggered adoption assumes "
                         "treatment never switches off: code each unit's first treated period, or 0 if never treated")
    Y = frame[outcome].to_numpy(float)[rows].reshape(shape)
    G = cohort_matrix[:, 0].copy()
    late = G > periods.max() + anticipation
    if late.any():
        notes.append(f"{int(late.sum()):,} units first treated after the last period are treated as never treated")
        G = np.where(late, 0, G)
    early = (G > 0) & (G <= periods.min() + anticipation)
    if early.any():
        notes.append(f"{int(early.sum()):,} units treated in the first period are dropped")
        keep = ~early
        Y, G, units = Y[keep], G[keep], units[keep]
        rows = rows.reshape(shape)[keep].ravel()
        n = len(units)
    if control_group == "never_treated" and not (G == 0).any():
        raise ValueError("there are no never-treated units (cohort 0) to serve as controls; use "
                         "control_group='not_yet_treated'")
    for g_value, size in zip(*np.unique(G[G > 0], return_counts=True), strict=True):
        if size == 1:
            notes.append(f"cohort {g_value:g} has a single unit: its ATT(g,t) and their standard errors rest on it")
    cov_arrays = {c: np.ascontiguousarray(frame[c].to_numpy(float)[rows].reshape(n, len(periods)).T)
                  for c in covariates}  # periods × units, like the outcome below
    cluster_codes = None
    if cluster:
        cluster_codes = pd.factorize(frame[cluster].to_numpy()[rows].reshape(n, len(periods))[:, 0])[0]
    cohorts = np.sort(np.unique(G[G > 0]))
    by_period = np.ascontiguousarray(Y.T)  # periods × units
    varying = base_period == "varying"
    tfac = 1 if varying else 0
    results_g, results_t, estimates = [], [], []
    # Influence functions written straight into their columns (no per-cell arrays stacked at the end).
    influence_all = np.zeros((n, len(cohorts) * len(periods)), order="F")
    columns = 0
    for g in cohorts:
        treated = G == g
        pre_candidates = np.flatnonzero(periods + anticipation < g)
        if len(pre_candidates) == 0:
            notes.append(f"cohort {g:g} has no pre-treatment period and is dropped")
            continue
        for t_index in range(len(periods) - tfac):
            current = t_index + tfac
            pret = t_index if varying else int(pre_candidates[-1])
            if g <= periods[current]:
                pret = int(pre_candidates[-1])
            if not varying and pret == current:
                results_g.append(g)
                results_t.append(periods[current])
                estimates.append(0.0)
                columns += 1
                continue
            if control_group == "never_treated":
                control = G == 0
            else:
                later = periods[max(t_index, pret) + tfac] if varying else periods[max(current, pret)]
                control = (G == 0) | ((G > later + anticipation) & (G != g))
            use = treated | control
            n1 = int(use.sum())
            results_g.append(g)
            results_t.append(periods[current])
            function = influence_all[:, columns]
            columns += 1
            try:
                if not control.any():
                    raise OverlapError("no control units left")
                # the change from the base period to the current one (backwards for pre-periods of a
                # universal base)
                index = np.flatnonzero(use)
                y_post, y_pre = by_period[current, index], by_period[pret, index]  # contiguous rows: fast gathers
                X = np.column_stack([np.ones(n1), *[cov_arrays[c][pret, index] for c in covariates]]) \
                    if covariates else np.ones((n1, 1))
                att, psi = _did_panel(y_post - y_pre, treated[index].astype(float), X, method)
                function[index] = n / n1 * psi
            except (OverlapError, np.linalg.LinAlgError) as exc:  # documented, left out of aggregations
                notes.append(f"ATT({g:g},{periods[current]:g}) not estimated: {exc}")
                att = np.nan
            estimates.append(att)
    influence = influence_all[:, :columns]
    settings = {"draws": draws, "seed": seed} if bootstrap else None
    cohort_values = np.array(results_g)
    if np.all(cohort_values == np.round(cohort_values)):
        cohort_values = cohort_values.astype(np.int64)
    unit_cohorts = G.astype(np.int64) if np.all(G == np.round(G)) else G
    std_errors = _standard_errors(influence, cluster_codes)
    critical = stats.norm.ppf(0.5 + conf_level / 2)
    if bootstrap:
        critical = _uniform_critical_value(influence, std_errors, settings, cluster_codes, conf_level)
    return ATTgtResult(cohort_values, np.array(results_t), np.array(estimates), std_errors, influence, unit_cohorts,
                       anticipation, conf_level, critical, cluster_codes, settings, tuple(notes), base_period)
