"""Two-way fixed effects with staggered treatment: the event study, Goodman-Bacon decomposition, Sun–Abraham.

Beside the Callaway–Sant'Anna estimator these show where the static and dynamic TWFE regressions go
wrong when effects differ across cohorts or grow over time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pandas as pd

from villageaid.estimators.checks import require_panel
from villageaid.estimators.limits import MissingDataError, NoComparisonError
from villageaid.estimators.ols import feols
from villageaid.estimators.results import DescriptiveResults, ModelBackedResults, RegressionResults
from villageaid.estimators.summary import TIDY_COLUMNS
from villageaid.estimators.vcov import CRV1, SSC, VcovSpec
from villageaid.estimators.wald import WaldTest

_NEVER = -10_000  # relative-time code of never-treated units


def _relative_time(data: pd.DataFrame, time: str, cohort: str) -> pd.Series:
    g = data[cohort].to_numpy(float)
    return pd.Series(np.where(g > 0, data[time].to_numpy(float) - g, _NEVER), index=data.index)


def _event_time(term: str) -> int:
    """Event time of a dummy named by :func:`_event_dummies` (``rel_e2``, ``sa_c2021_em1``)."""
    return int(term.rsplit("e", 1)[-1].replace("m", "-"))


def _event_dummies(frame: pd.DataFrame, relative: pd.Series, reference: int, prefix: str,
                   by_cohort: pd.Series | None = None) -> list[str]:
    names = []
    keys = sorted(set(relative[relative != _NEVER].astype(int)) - {reference})
    cohorts = [None] if by_cohort is None else sorted(set(by_cohort[by_cohort > 0].astype(int)))
    for c in cohorts:
        for e in keys:
            mask = relative == e
            if c is not None:
                mask &= by_cohort == c
            if not mask.any():
                continue
            name = f"{prefix}{'' if c is None else f'c{c}_'}e{e}".replace("-", "m")
            frame[name] = mask.astype(float)
            names.append(name)
    return names


@dataclass(frozen=True, repr=False)
class EventTimeEffects(ModelBackedResults):
    """Effects by event time e = t − g: linear combinations W·b of a regression's coefficients.

    ``params`` and ``vcov`` (= W V W') are those of the event times other than the reference; ``tidy()`` adds
    the reference event time at zero. :meth:`with_vcov` changes the regression's variance and so theirs.

    Attributes
    ----------
    method : str
        "TWFE" (one dummy per event time) or "Sun-Abraham" (cohort-share weighted averages).
    event_times : ndarray
        Event times of ``params`` (the reference excluded), in increasing order.
    weights : ndarray (event times × regression coefficients)
        W.
    reference : int
    model : RegressionResults
    """

    method: str
    event_times: np.ndarray
    weights: np.ndarray
    reference: int
    model: RegressionResults

    @property
    def params(self) -> pd.Series:  # type: ignore[override]
        """Effects by event time (terms ``e=k``)."""
        return pd.Series(self.weights @ self.model.params.to_numpy(), index=[f"e={e}" for e in self.event_times],
                         name="estimate")

    @property
    def vcov(self) -> pd.DataFrame:  # type: ignore[override]
        """Their variance, W V W'."""
        terms = [f"e={e}" for e in self.event_times]
        return pd.DataFrame(self.weights @ self.model.vcov.to_numpy() @ self.weights.T, index=terms, columns=terms)

    def with_vcov(self, vcov: VcovSpec, *, ssc: SSC | None = None) -> EventTimeEffects:
        """Return the same effects with another variance of the regression, without refitting."""
        return replace(self, model=self.model.with_vcov(vcov, ssc=ssc))

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row per event time, the reference included at zero: the tidy columns (term ``e=k``), then event_time."""
        table = super().tidy(conf_level).assign(event_time=self.event_times)
        reference = pd.DataFrame([{"term": f"e={self.reference}", "estimate": 0.0, "std_error": np.nan,
                                   "statistic": np.nan, "p_value": np.nan, "conf_low": 0.0, "conf_high": 0.0,
                                   "event_time": self.reference}])
        table = pd.concat([table, reference], ignore_index=True).sort_values("event_time", kind="stable")
        return table.reset_index(drop=True)[[*TIDY_COLUMNS, "event_time"]]

    def pre_trend_test(self) -> WaldTest | None:
        """Joint test that the effects before the reference event time are zero (the regression's variance)."""
        if self.method != "TWFE":
            raise ValueError(f"the {self.method} effects are averages; test the underlying terms with "
                             ".model.wald_test([...])")
        pre = [term for term in self.model.params.index
               if _event_time(term) < self.reference]
        return self.model.wald_test(pre, hypothesis="all leads = 0") if pre else None

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        title, lines = self.model._summary_header()
        return f"{self.method} event study: " + title, (*lines, f"Reference event time: {self.reference}")


def twfe_event_study(data: pd.DataFrame, *, outcome: str, time: str, unit: str, cohort: str, reference: int = -1,
                     vcov: VcovSpec | None = None) -> EventTimeEffects:
    """TWFE regression on relative-time dummies (all leads and lags but ``reference``), unit and time effects.

    Never-treated units (cohort 0) have every dummy zero. Biased when effects differ across cohorts
    (Sun & Abraham 2021): it is here to show that beside the robust estimators.

    Parameters
    ----------
    data : DataFrame
        Long panel. Observations with a missing or infinite outcome are dropped with a counted note (as
        :func:`~villageaid.estimators.feols`); infinite periods or cohorts are refused.
    outcome, time, unit, cohort : str
        Columns: outcome, period, unit, first treated period (0 = never treated).
    reference : int
        Omitted event time.
    vcov : VarianceEstimator, str or dict, optional
        Default CRV1 by ``unit``.

    Returns
    -------
    EventTimeEffects

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(8)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(200), 6), "year": np.tile(np.arange(2018, 2024), 200)})
    >>> panel["cohort"] = np.repeat(rng.choice([0, 2020, 2022], size=200), 6)
    >>> treated = (panel["cohort"] > 0) & (panel["year"] >= panel["cohort"])
    >>> panel["y"] = 0.5 * treated + rng.normal(size=len(panel))
    >>> effects = twfe_event_study(panel, outcome="y", time="year", unit="unit", cohort="cohort")
    >>> int(effects.tidy().query("event_time == -1")["estimate"].iloc[0])
    0
    """
    require_panel(data, "twfe_event_study", outcome=outcome, time=time, unit=unit, cohort=cohort,
                  refuse_infinite_in=(time, cohort))
    frame = data.copy()
    relative = _relative_time(frame, time, cohort)
    names = _event_dummies(frame, relative, reference, "rel_")
    fit = feols(f"{outcome} ~ {' + '.join(names)} | {unit} + {time}", frame, vcov=vcov or CRV1(unit))
    events = np.array([_event_time(n) for n in fit.params.index])
    order = np.argsort(events, kind="stable")
    return EventTimeEffects("TWFE", events[order], np.eye(len(events))[order], reference, fit)


def sun_abraham(data: pd.DataFrame, *, outcome: str, time: str, unit: str, cohort: str, reference: int = -1,
                vcov: VcovSpec | None = None) -> EventTimeEffects:
    """Sun & Abraham (2021) interaction-weighted event study.

    Cohort × relative-time dummies (reference period omitted) with unit and time effects, never-treated
    units as the control; the cohort-specific effects are averaged at each event time with weights equal
    to each cohort's share of the treated observations at that event time, and standard errors by the
    delta method (the weights taken as fixed, as fixest's ``sunab``).

    Parameters
    ----------
    data : DataFrame
        Long panel with never-treated units (cohort 0).
    outcome, time, unit, cohort : str
        Columns: outcome, period, unit, first treated period (0 = never treated).
    reference : int
        Omitted event time.
    vcov : VarianceEstimator, str or dict, optional
        Default CRV1 by ``unit``.

    Returns
    -------
    EventTimeEffects

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(8)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(200), 6), "year": np.tile(np.arange(2018, 2024), 200)})
    >>> panel["cohort"] = np.repeat(rng.choice([0, 2020, 2022], size=200), 6)
    >>> treated = (panel["cohort"] > 0) & (panel["year"] >= panel["cohort"])
    >>> panel["y"] = 0.5 * treated + rng.normal(size=len(panel))
    >>> effects = sun_abraham(panel, outcome="y", time="year", unit="unit", cohort="cohort")
    >>> effects.method
    'Sun-Abraham'
    """
    require_panel(data, "sun_abraham", outcome=outcome, time=time, unit=unit, cohort=cohort,
                  refuse_infinite_in=(time, cohort))
    frame = data.copy()
    if not (frame[cohort] == 0).any():
        raise NoComparisonError("Sun-Abraham needs never-treated units (cohort 0) as the control")
    relative = _relative_time(frame, time, cohort)
    names = _event_dummies(frame, relative, reference, "sa_", by_cohort=frame[cohort])
    fit = feols(f"{outcome} ~ {' + '.join(names)} | {unit} + {time}", frame, vcov=vcov or CRV1(unit))
    kept = list(fit.params.index)
    parsed = [(int(n.split("_c")[1].split("_")[0]), _event_time(n)) for n in kept]
    events = sorted(set(e for _, e in parsed))
    weights = np.zeros((len(events), len(kept)))
    for row, e in enumerate(events):
        idx = [i for i, (_, ev) in enumerate(parsed) if ev == e]
        counts = np.array([float(((relative == e) & (frame[cohort] == parsed[i][0])).sum()) for i in idx])
        weights[row, idx] = counts / counts.sum()
    return EventTimeEffects("Sun-Abraham", np.array(events), weights, reference, fit)


@dataclass(frozen=True, repr=False)
class BaconDecomposition(DescriptiveResults):
    """Goodman-Bacon (2021) decomposition of the static TWFE coefficient into 2×2 comparisons.

    ``tidy()`` has one row per comparison (term "type: treated g vs control c", the 2×2 estimate, and its
    weight); the decomposition is descriptive, so standard errors and tests are NaN.
    """

    twfe_estimate: float
    comparisons: pd.DataFrame  # type, treated, control, estimate, weight
    nobs: int = 0

    no_variance_reason: ClassVar[str] = "the decomposition is descriptive: its 2×2 comparisons have no joint variance"

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row per 2×2 comparison: the tidy columns (no inference: NaN), then type, treated, control, weight."""
        self._level(conf_level)
        table = self.comparisons
        terms = [f"{t}: {a:g} vs {b:g}" for t, a, b in zip(table["type"], table["treated"], table["control"],
                                                            strict=True)]
        empty = np.full(len(table), np.nan)
        out = pd.DataFrame({"term": terms, "estimate": table["estimate"].to_numpy(), "std_error": empty,
                            "statistic": empty, "p_value": empty, "conf_low": empty, "conf_high": empty})
        return pd.concat([out, table[["type", "treated", "control", "weight"]].reset_index(drop=True)], axis=1)

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        lines = (f"TWFE estimate: {self.twfe_estimate:.6g}; weighted sum of the comparisons: "
                 f"{self.weighted_sum:.6g}", f"Observations: {self.nobs:,}")
        return "Goodman-Bacon decomposition", lines

    @property
    def weighted_sum(self) -> float:
        """Σ weight × estimate; equals the TWFE coefficient on a balanced panel."""
        return float((self.comparisons["weight"] * self.comparisons["estimate"]).sum())

    def by_type(self) -> pd.DataFrame:
        """Total weight and weighted average estimate by comparison type."""
        grouped = self.comparisons.groupby("type", sort=False)
        return pd.DataFrame({"weight": grouped["weight"].sum(),
                             "estimate": grouped.apply(lambda g: np.average(g["estimate"], weights=g["weight"]),
                                                       include_groups=False)}).reset_index()


def _did_2x2(means: pd.DataFrame, treated: float, control: float, pre: np.ndarray, post: np.ndarray) -> float:
    gain_t = means.loc[treated, post].mean() - means.loc[treated, pre].mean()
    gain_c = means.loc[control, post].mean() - means.loc[control, pre].mean()
    return float(gain_t - gain_c)


def bacon_decomposition(data: pd.DataFrame, *, outcome: str, time: str, unit: str,
                        cohort: str) -> BaconDecomposition:
    """Decompose the TWFE coefficient of the treatment dummy 1[t ≥ g] on a balanced panel.

    Comparisons: each timing group against the never treated ("treated vs never treated"), earlier
    against later-treated groups before the later ones start ("earlier vs later (not yet treated)"), and
    later against earlier-treated groups after the earlier ones started ("later vs earlier (already
    treated)", the forbidden comparison that biases TWFE when effects change over time). Units treated
    from the first period on count as an always-treated control. Weights follow Goodman-Bacon (2021,
    eq. 10 and Theorem 1): they sum to one and the weighted sum of the 2×2 estimates is the TWFE estimate.

    Parameters
    ----------
    data : DataFrame
        Balanced long panel. Rows with a missing value are dropped (the panel must stay balanced); infinite values
        are refused (``ValueError`` naming the column and row).
    outcome, time, unit, cohort : str
        Columns: outcome, period, unit, first treated period (0 = never treated).

    Returns
    -------
    BaconDecomposition

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(8)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(200), 6), "year": np.tile(np.arange(2018, 2024), 200)})
    >>> panel["cohort"] = np.repeat(rng.choice([0, 2020, 2022], size=200), 6)
    >>> treated = (panel["cohort"] > 0) & (panel["year"] >= panel["cohort"])
    >>> panel["y"] = 0.5 * treated + rng.normal(size=len(panel))
    >>> bacon = bacon_decomposition(panel, outcome="y", time="year", unit="unit", cohort="cohort")
    >>> bool(abs(bacon.weighted_sum - bacon.twfe_estimate) < 1e-10)
    True
    """
    require_panel(data, "bacon_decomposition", outcome=outcome, time=time, unit=unit, cohort=cohort,
                  refuse_infinite_in=(outcome, time, cohort))
    frame = data[[outcome, time, unit, cohort]].dropna()
    if frame.empty:
        raise MissingDataError(f"bacon_decomposition: every row has a missing value in {outcome!r}, {time!r}, "
                               f"{unit!r} or {cohort!r}")
    periods = np.sort(frame[time].unique())
    sizes = frame.groupby(unit)[time].nunique()
    if (sizes != len(periods)).any():
        raise MissingDataError("the Goodman-Bacon decomposition needs a balanced panel")
    g = frame.groupby(unit)[cohort].first()
    g = g.where(g <= periods.max(), 0)  # treated after the last period: never treated here
    timing = np.where((g > 0) & (g <= periods.min()), periods.min(), g)  # always treated
    unit_group = pd.Series(timing, index=g.index)
    frame = frame.assign(_group=frame[unit].map(unit_group))
    frame["_treated"] = ((frame["_group"] > 0) & (frame[time] >= frame["_group"])).astype(float)
    twfe = feols(f"{outcome} ~ _treated | {unit} + {time}", frame, vcov="iid").params["_treated"]
    means = frame.groupby(["_group", time])[outcome].mean().unstack(time)
    share = unit_group.value_counts(normalize=True)
    groups = sorted(share.index)
    dbar = {k: (float(np.mean(periods >= k)) if k > 0 else 0.0) for k in groups}
    # variance of the two-way demeaned treatment (the TWFE denominator)
    demeaned = frame.groupby(unit)["_treated"].transform("mean")
    resid = frame["_treated"] - demeaned - frame.groupby(time)["_treated"].transform("mean") + frame["_treated"].mean()
    variance_d = float((resid**2).mean())
    rows = []
    timing_groups = [k for k in groups if k > 0 and dbar[k] < 1]
    always = [k for k in groups if k > 0 and dbar[k] == 1]
    for k in timing_groups:
        for control, kind in ((0, "treated vs never treated"), *((a, "treated vs always treated") for a in always)):
            if control not in share.index:
                continue
            n_k, n_u = share[k], share[control]
            n_ku = n_k / (n_k + n_u)
            weight = (n_k + n_u) ** 2 * n_ku * (1 - n_ku) * dbar[k] * (1 - dbar[k]) / variance_d
            estimate = _did_2x2(means, k, control, periods[periods < k], periods[periods >= k])
            rows.append({"type": kind, "treated": k, "control": control, "estimate": estimate, "weight": weight})
    for i, k in enumerate(timing_groups):
        for ell in timing_groups[i + 1:]:
            n_k, n_l = share[k], share[ell]
            n_kl = n_k / (n_k + n_l)
            d_k, d_l = dbar[k], dbar[ell]
            w_early = ((n_k + n_l) * (1 - d_l)) ** 2 * n_kl * (1 - n_kl) * ((d_k - d_l) / (1 - d_l)) \
                * ((1 - d_k) / (1 - d_l)) / variance_d
            window = periods[periods < ell]
            est_early = _did_2x2(means, k, ell, window[window < k], window[window >= k])
            rows.append({"type": "earlier vs later (not yet treated)", "treated": k, "control": ell,
                         "estimate": est_early, "weight": w_early})
            w_late = ((n_k + n_l) * d_k) ** 2 * n_kl * (1 - n_kl) * (d_l / d_k) * ((d_k - d_l) / d_k) / variance_d
            window = periods[periods >= k]
            est_late = _did_2x2(means, ell, k, window[window < ell], window[window >= ell])
            rows.append({"type": "later vs earlier (already treated)", "treated": ell, "control": k,
                         "estimate": est_late, "weight": w_late})
    return BaconDecomposition(float(twfe), pd.DataFrame(rows), len(frame))
