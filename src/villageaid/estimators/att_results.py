"""Results of Callaway & Sant'Anna's ATT(g, t) and their aggregations, with influence-function variances.

Every variance of these results comes from the influence functions (one path, :func:`~villageaid.estimators.
inference.influence_vcov`): at the unit level (``HC1``, R did's analytic errors) or clustered by a column
constant within units (``CRV1``); a multiplier bootstrap gives uniform bands. ``aggregate`` reproduces R
``did::aggte`` (simple, group, dynamic, calendar), including the influence of the estimated group shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from villageaid.estimators.checks import require_clusters
from villageaid.estimators.inference import cluster_sums, influence_standard_errors, influence_vcov
from villageaid.estimators.limits import TooFewError
from villageaid.estimators.results import VarianceResults
from villageaid.estimators.vcov import (
    CRV1,
    HC1,
    INFLUENCE_SSC,
    SSC,
    VarianceEstimator,
    VcovSpec,
    as_vcov,
    require_supported,
)
from villageaid.estimators.wald import WaldTest

AggregationType = Literal["simple", "group", "dynamic", "calendar"]


SUPPORTED_VCOV = ("HC1", "CRV1")


@dataclass(frozen=True)
class InfluenceVariance:
    """How the influence functions of an ATT(g, t) result are turned into variances (picklable).

    Attributes
    ----------
    variance : VarianceEstimator
        HC1 (unit level) or CRV1 by a column constant within units.
    ssc : SSC
        Small-sample correction (R did's, none, unless asked for).
    codes : ndarray or None
        Cluster code of each unit (None: unit level).
    clusters : dict
        Cluster variable → number of clusters.
    bootstrap : dict or None
        Multiplier bootstrap settings (draws, seed) for uniform bands.
    """

    variance: VarianceEstimator
    ssc: SSC
    codes: np.ndarray | None
    clusters: dict[str, int]
    bootstrap: dict | None = None
    #: One row per unit (in the order of the influence rows): the unit and the columns it may be clustered by.
    unit_frame: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)
    unit_name: str = ""

    def vcov(self, functions: np.ndarray) -> np.ndarray:
        """Variance of the estimates whose influence functions are the columns of ``functions``."""
        return influence_vcov(functions, self.codes, self.ssc)

    def standard_errors(self, functions: np.ndarray) -> np.ndarray:
        """Return the standard errors of those estimates (the square root of :meth:`vcov`'s diagonal)."""
        return influence_standard_errors(functions, self.codes, self.ssc)

    def t_max(self, functions: np.ndarray) -> np.ndarray | None:
        """Bootstrap draws of the largest |t| over the estimates (None without the bootstrap)."""
        if self.bootstrap is None:
            return None
        n = functions.shape[0]
        draws = _multiplier_draws(functions, self.bootstrap, self.codes)
        if self.codes is not None and self.ssc.cluster_adj:
            groups = int(self.codes.max()) + 1
            draws = draws * np.sqrt(groups / (groups - 1))
        scale = self.standard_errors(functions) * np.sqrt(n)
        ok = scale > 0
        if not ok.any():
            return np.zeros(draws.shape[0])
        return np.max(np.abs(draws[:, ok]) / scale[ok], axis=1)

    @property
    def label(self) -> str:
        """The variance in words."""
        if isinstance(self.variance, CRV1):
            return "influence functions clustered by " + " and ".join(self.variance.clusters)
        return "influence functions (unit level)"


def influence_variance(variance: VcovSpec | None, ssc: SSC | None, unit_frame: pd.DataFrame, unit: str,
                        bootstrap: dict | None) -> InfluenceVariance:
    """Parse a variance for influence-function estimators (HC1 at the unit level, or CRV1 by a unit-level column)."""
    choice = HC1() if variance is None else as_vcov(variance, ssc)
    require_supported("att_gt (influence functions)", choice, SUPPORTED_VCOV)
    used = choice.ssc or INFLUENCE_SSC
    if used.adj or used.fixef_k != "nested" or used.cluster_df != "min":
        raise ValueError(f"att_gt: an influence-function variance has no (n − 1)/(n − K) factor, no fixed effects to "
                         f"count and no two-way clustering; only SSC(cluster_adj=...) applies, got {used.describe()}. "
                         "Use SSC(adj=False, cluster_adj=True) for G/(G − 1)")
    if not isinstance(choice, CRV1):
        return InfluenceVariance(choice, used, None, {}, bootstrap, unit_frame, unit)
    (name,) = choice.clusters
    if name == unit:
        codes = np.arange(len(unit_frame), dtype=np.int64)
    else:
        if name not in unit_frame.columns:
            raise ValueError(f"att_gt can cluster by {name!r} only if it was given when estimating "
                             f"(vcov=CRV1({name!r})), where it is checked to be constant within units; it can "
                             f"re-cluster by: {', '.join([unit, *[c for c in unit_frame.columns if c != unit]])}")
        codes = pd.factorize(unit_frame[name].to_numpy())[0].astype(np.int64)
    groups = int(codes.max()) + 1 if len(codes) else 0
    require_clusters(groups, f"att_gt: clustering by {name!r}")
    return InfluenceVariance(choice, used, codes, {name: groups}, bootstrap, unit_frame, unit)


def _uniform_critical(t_max: np.ndarray | None, conf_level: float) -> float:
    """Critical value of the uniform band at ``conf_level``: the bootstrap quantile, or the normal one without it."""
    if t_max is None:
        return float(stats.norm.ppf(0.5 + conf_level / 2))
    return float(np.quantile(t_max, conf_level))


class _InfluenceResults(VarianceResults):
    """The protocol shared by ATT(g, t) results and their aggregations: variances from influence functions."""

    estimates: np.ndarray
    influence_variance: InfluenceVariance
    t_max_draws: np.ndarray | None

    @property
    def _functions(self) -> np.ndarray:  # pragma: no cover - both subclasses override
        raise NotImplementedError

    @property
    def terms(self) -> list[str]:  # pragma: no cover - both subclasses override
        raise NotImplementedError

    @property
    def params(self) -> pd.Series:  # type: ignore[override]
        """Estimates by term."""
        return pd.Series(self.estimates, index=self.terms, name="estimate")

    @cached_property
    def vcov(self) -> pd.DataFrame:  # type: ignore[override]
        """Their variance from the influence functions (clustered as :attr:`vcov_type` says)."""
        return pd.DataFrame(self.influence_variance.vcov(self._functions), index=self.terms, columns=self.terms)

    @cached_property
    def std_errors(self) -> pd.Series:
        """Standard errors (the square root of the variance's diagonal)."""
        return pd.Series(self.influence_variance.standard_errors(self._functions), index=self.terms,
                         name="std_error")

    @property
    def df_t(self) -> float:  # type: ignore[override]
        """Normal inference (inf)."""
        return np.inf

    @property
    def vcov_type(self) -> str:
        """The variance in words."""
        return self.influence_variance.label

    @property
    def clusters(self) -> dict[str, int]:
        """Cluster variable → number of clusters (empty at the unit level)."""
        return self.influence_variance.clusters

    @property
    def ssc(self) -> SSC:
        """The small-sample correction applied to the influence-function variance."""
        return self.influence_variance.ssc

    def critical_value_at(self, conf_level: float) -> float:
        """Critical value of the uniform band at ``conf_level`` (the bootstrap's sup-t quantile, else normal)."""
        return _uniform_critical(self.t_max_draws, conf_level)

    @property
    def critical_value(self) -> float:
        """Critical value of the uniform band at the result's ``conf_level``."""
        return self.critical_value_at(self.conf_level)  # type: ignore[attr-defined]

    def _bands(self, conf_level: float | None) -> dict[str, np.ndarray]:
        errors = self.std_errors.to_numpy()
        critical = self.critical_value_at(self._level(conf_level))
        return {"conf_low_uniform": self.estimates - critical * errors,
                "conf_high_uniform": self.estimates + critical * errors}


@dataclass(frozen=True, repr=False)
class AggregatedEffects(_InfluenceResults):
    """An aggregation of ATT(g, t): the effects per cohort, event time or period, and the overall effect.

    ``tidy()`` has one row per cohort, event time or period (term ``g=…``, ``e=…``, ``t=…``), or the one row
    ``ATT`` of a "simple" aggregation; the overall effect is ``overall_estimate`` / ``overall_std_error``.
    The variance of every estimate comes from its influence function (:class:`InfluenceVariance`), so
    :meth:`with_vcov` changes it without re-estimating.
    """

    type: str
    labels: np.ndarray
    estimates: np.ndarray
    functions: np.ndarray
    overall_estimate: float
    overall_function: np.ndarray
    influence_variance: InfluenceVariance
    conf_level: float
    nobs: int
    t_max_draws: np.ndarray | None = None
    #: Base period of the ATT(g, t): "varying" or "universal".
    base_period: str = "varying"
    method: str = "dr"
    control_group: str = "never_treated"

    @property
    def _functions(self) -> np.ndarray:
        return self.functions

    @property
    def terms(self) -> list[str]:
        """``g=…``, ``e=…``, ``t=…`` labels, or ``ATT`` for the simple aggregation."""
        if self.type == "simple":
            return ["ATT"]
        prefix = {"group": "g=", "dynamic": "e=", "calendar": "t="}[self.type]
        return [f"{prefix}{label:g}" for label in self.labels]

    @property
    def overall_std_error(self) -> float:
        """Standard error of the overall effect."""
        return float(self.influence_variance.standard_errors(self.overall_function[:, None])[0])

    def with_vcov(self, vcov: VcovSpec, *, ssc: SSC | None = None) -> AggregatedEffects:
        """Return the same effects with another influence-function variance (HC1 or CRV1), no re-estimation."""
        variance = _reclustered(self.influence_variance, vcov, ssc)
        return replace(self, influence_variance=variance, t_max_draws=variance.t_max(self.functions))

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row per cohort (group), event time (dynamic) or period (calendar), or the overall effect (simple).

        Columns: the tidy ones, then the label column (cohort, event_time or time) and the uniform band at
        ``conf_level``.
        """
        column = {"group": "cohort", "dynamic": "event_time", "calendar": "time"}.get(self.type, "label")
        labels = np.array(["ATT"]) if self.type == "simple" else self.labels
        table = pd.DataFrame({"term": self.terms, "estimate": self.estimates, "std_error": self.std_errors.to_numpy(),
                              **self._inference(conf_level), column: labels, **self._bands(conf_level)})
        return table

    def _event_study_inputs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Coefficients, covariance and event times for HonestDiD-style analyses (dynamic, universal base only)."""
        if self.type != "dynamic":
            raise ValueError(f"sensitivity and pre-trend power need the dynamic (event-time) aggregation, not "
                             f"{self.type!r}: use result.aggregate('dynamic')")
        if self.base_period != "universal":
            raise ValueError("the ATT(g,t) use a varying base period, whose pre-period estimates are short "
                             "differences and not comparable with the post-period ones; as R HonestDiD requires, "
                             "estimate att_gt(..., base_period='universal') first")
        errors = self.std_errors.to_numpy()
        keep = errors > 0  # the reference period (e = -1 - anticipation) is 0 by construction
        reference = float(self.labels[~keep].max()) if (~keep).any() else -1.0
        vcov = self.vcov.to_numpy()
        return self.estimates[keep], vcov[np.ix_(keep, keep)], self.labels[keep].astype(float), reference

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

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        return (f"Aggregated ATT ({self.type})",
                (f"Overall: {self.overall_estimate:.6g} (s.e. {self.overall_std_error:.6g}); units: {self.nobs:,}",
                 f"Method: {self.method}; control group: {self.control_group}; base period: {self.base_period}",
                 f"Standard errors: {self.vcov_type}"))


def _reclustered(current: InfluenceVariance, vcov: VcovSpec, ssc: SSC | None) -> InfluenceVariance:
    """Return the variance with another clustering or correction of the same units (refused if unchecked)."""
    return influence_variance(vcov, ssc, current.unit_frame, current.unit_name, current.bootstrap)


@dataclass(frozen=True, repr=False)
class ATTgtResult(_InfluenceResults):
    """ATT(g, t) estimates with their influence functions.

    ``nobs`` is the number of units (the panel is balanced); ``tidy()`` has one row per (g, t) with term
    ``ATT(g,t)``; ``params``, ``vcov``, ``wald_test`` and ``with_vcov`` follow the results protocol, the
    variances coming from the influence functions (:class:`InfluenceVariance`).

    Attributes
    ----------
    cohorts, times : ndarray
        The (g, t) of each estimate.
    estimates : ndarray
    influence : ndarray (n units × number of (g, t))
        Influence functions, scaled as R ``did`` does (n / n₁ within each comparison).
    unit_cohort : ndarray
        Cohort of each unit (0 never treated), in the order of ``influence`` rows.
    anticipation : int
    conf_level : float
        Level of the uniform band printed by default.
    influence_variance : InfluenceVariance
    t_max_draws : ndarray or None
        Multiplier-bootstrap draws of the largest |t| (uniform bands at any level).
    notes : tuple of str
    base_period, method, control_group : str
        How the ATT(g, t) were estimated.
    """

    cohorts: np.ndarray
    times: np.ndarray
    estimates: np.ndarray
    influence: np.ndarray
    unit_cohort: np.ndarray
    anticipation: int
    conf_level: float
    influence_variance: InfluenceVariance
    t_max_draws: np.ndarray | None = None
    notes: tuple[str, ...] = field(default=())
    base_period: str = "varying"
    method: str = "dr"
    control_group: str = "never_treated"

    @property
    def _functions(self) -> np.ndarray:
        return self.influence

    @property
    def n_units(self) -> int:
        """Units in the (balanced) panel."""
        return self.influence.shape[0]

    @property
    def nobs(self) -> int:
        """Units in the (balanced) panel."""
        return self.n_units

    @property
    def terms(self) -> list[str]:
        """``ATT(g,t)`` labels."""
        return [f"ATT({g:g},{t:g})" for g, t in zip(self.cohorts, self.times, strict=True)]

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row per (cohort, time): the tidy columns, then cohort, time and the uniform band at ``conf_level``."""
        return pd.DataFrame({
            "term": self.terms, "estimate": self.estimates, "std_error": self.std_errors.to_numpy(),
            **self._inference(conf_level), "cohort": self.cohorts, "time": self.times, **self._bands(conf_level),
        })

    def with_vcov(self, vcov: VcovSpec, *, ssc: SSC | None = None) -> ATTgtResult:
        """Return the same ATT(g, t) with another influence-function variance (HC1 or CRV1), no re-estimation."""
        variance = _reclustered(self.influence_variance, vcov, ssc)
        return replace(self, influence_variance=variance, t_max_draws=variance.t_max(self.influence))

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        return ("Callaway–Sant'Anna ATT(g,t)",
                (f"Units: {self.n_units:,}; anticipation: {self.anticipation}",
                 f"Method: {self.method}; control group: {self.control_group}; base period: {self.base_period}",
                 f"Standard errors: {self.vcov_type}"
                 + ("; uniform bands from the multiplier bootstrap" if self.t_max_draws is not None else "")))

    def pre_trend_test(self) -> WaldTest | None:
        """Wald (chi-square) test that every pre-treatment ATT(g, t) (t < g − anticipation) is zero.

        The variance's generalized inverse is used (as R did's pre-test); returns None when there is no
        pre-treatment cell with a standard error.
        """
        pre = (self.times < self.cohorts - self.anticipation) & np.isfinite(self.estimates)
        pre &= self.std_errors.to_numpy() > 0
        if not pre.any():
            return None
        a = self.estimates[pre]
        statistic = float(a @ np.linalg.pinv(self.vcov.to_numpy()[np.ix_(pre, pre)]) @ a)
        df = int(pre.sum())
        return WaldTest(statistic, df, np.inf, float(stats.chi2.sf(statistic, df)), "chi2",
                        "all pre-treatment ATT(g,t) = 0")

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
            kept = replace(self, cohorts=self.cohorts[finite], times=self.times[finite],
                           estimates=self.estimates[finite], influence=self.influence[:, finite])
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
            return self._summary("simple", np.array([]), np.array([overall]), function[:, None], overall, function)
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
            if k == 0:
                raise TooFewError("no ATT(g, t) at or after treatment (event time ≥ 0) to aggregate: no cohort is "
                                  "observed after it is treated")
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
        return AggregatedEffects(kind, labels, estimates, functions, overall, overall_function,
                                 self.influence_variance, self.conf_level, self.n_units,
                                 self.influence_variance.t_max(functions), self.base_period, self.method,
                                 self.control_group)


def _multiplier_draws(functions: np.ndarray, settings: dict, clusters: np.ndarray | None) -> np.ndarray:
    """Bootstrap draws of √n·mean(v·IF) with Rademacher multipliers (per unit or per cluster), seeded."""
    rng = np.random.default_rng(settings["seed"])
    n = functions.shape[0]
    units = functions if clusters is None else cluster_sums(functions, clusters)
    draws = []
    for start in range(0, settings["draws"], 500):  # in blocks, to bound memory
        size = min(500, settings["draws"] - start)
        v = rng.choice(np.array([-1.0, 1.0]), size=(size, units.shape[0]))
        draws.append(v @ units / np.sqrt(n))
    return np.vstack(draws)
