"""Event studies: leads and lags of an interaction against a reference period, with a pre-trend test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from villageaid.estimators.checks import require_choice, require_names, require_panel
from villageaid.estimators.limits import MissingDataError
from villageaid.estimators.ols import feols
from villageaid.estimators.poisson import fepois
from villageaid.estimators.results import ModelBackedResults, RegressionResults
from villageaid.estimators.summary import TIDY_COLUMNS
from villageaid.estimators.vcov import CRV1, SSC, VcovSpec
from villageaid.estimators.wald import WaldTest

if TYPE_CHECKING:
    from villageaid.estimators.honest import SensitivityResult
    from villageaid.estimators.pretrends import PretrendPower


@dataclass(frozen=True, repr=False)
class EventStudyResult(ModelBackedResults):
    """Coefficients of ``treatment × 1[time = t]`` for every t but the reference, and the pre-trend test.

    Attributes
    ----------
    model : RegressionResults
        The underlying regression.
    reference : object
        The omitted period (its coefficient is 0 by construction).
    periods : dict
        Period → term name in ``model``.
    pre_trend : WaldTest or None
        Joint test that all coefficients before the reference period are zero (None if there are none).
    """

    model: RegressionResults
    reference: object
    periods: dict[object, str]
    pre_trend: WaldTest | None

    def pre_trend_test(self) -> WaldTest | None:
        """Return the joint test that every coefficient before the reference period is zero (None without any)."""
        return self.pre_trend

    def pretrend_power(self, *, slope: float | None = None, delta: object = None,
                       target_power: float | None = None) -> PretrendPower:
        """Power of the pre-trend test against a violation (Roth 2022; see :mod:`villageaid.estimators.pretrends`).

        Give a linear ``slope`` per period, a ``delta`` per period, or ``target_power`` for the linear violation
        the pre-test detects with that probability.
        """
        from villageaid.estimators.pretrends import power_of

        return power_of(self, slope=slope, delta=delta, target_power=target_power)

    def sensitivity(self, **options: object) -> SensitivityResult:
        """Robust intervals for the post-period effects under violations of parallel trends (Rambachan & Roth).

        ``options`` (restriction, grid, l_vec, alpha, method) go to
        :func:`villageaid.estimators.honest.honest_did`; ``l_vec`` weights the post periods (default: the first).
        """
        from villageaid.estimators.honest import sensitivity_of

        return sensitivity_of(self, **options)

    def slope_for_power(self, target_power: float = 0.8) -> float:
        """Slope per period of a linear violation that the pre-test detects with ``target_power`` (Roth 2022)."""
        from villageaid.estimators.pretrends import slope_of

        return slope_of(self, target_power)

    def with_vcov(self, vcov: VcovSpec, *, ssc: SSC | None = None) -> EventStudyResult:
        """Return the same event study with another variance (no refit); the pre-trend test is recomputed."""
        model = self.model.with_vcov(vcov, ssc=ssc)
        pre = [term for period, term in self.periods.items() if period < self.reference]
        pre_trend = model.wald_test(pre, hypothesis=self.pre_trend.hypothesis) if self.pre_trend else None
        return EventStudyResult(model, self.reference, self.periods, pre_trend)

    def with_fallback(self, preferred: VcovSpec, fallback: VcovSpec) -> EventStudyResult:
        """Return the event study with ``preferred``, or ``fallback`` where the jackknife is undefined (marked)."""
        model = self.model.with_fallback(preferred, fallback)
        pre = [term for period, term in self.periods.items() if period < self.reference]
        pre_trend = model.wald_test(pre, hypothesis=self.pre_trend.hypothesis) if self.pre_trend else None
        return EventStudyResult(model, self.reference, self.periods, pre_trend)

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        title, lines = self.model._summary_header()
        return "Event study: " + title, (*lines, f"Reference period: {self.reference}")

    def _summary_footer(self) -> tuple[str, ...]:
        return (str(self.pre_trend),) if self.pre_trend else ()

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """One row per period (the reference included, at zero), with a ``period`` column after the tidy ones."""
        table = self.model.tidy(conf_level).set_index("term")
        rows = []
        for period in sorted([*self.periods, self.reference]):
            if period == self.reference:
                rows.append({"period": period, "term": "(reference)", "estimate": 0.0, "std_error": np.nan,
                             "statistic": np.nan, "p_value": np.nan, "conf_low": 0.0, "conf_high": 0.0})
            else:
                term = self.periods[period]
                rows.append({"period": period, **table.loc[term].to_dict(), "term": term})
        return pd.DataFrame(rows)[[*TIDY_COLUMNS, "period"]]


def event_study(data: pd.DataFrame, *, outcome: str, treatment: str, time: str, unit: str, reference: object,
                controls: tuple[str, ...] = (), fixed_effects: tuple[str, ...] | None = None,
                vcov: VcovSpec | None = None, estimator: Literal["ols", "ppml"] = "ols") -> EventStudyResult:
    """Estimate ``outcome ~ Σ_{t ≠ ref} β_t · treatment · 1[time = t] + controls | unit + time``.

    Parameters
    ----------
    data : DataFrame
        A panel. Missing and infinite values in the model's columns drop their observations with counted notes
        (as :func:`~villageaid.estimators.feols` and :func:`~villageaid.estimators.fepois`); infinite periods are
        refused.
    outcome, treatment, time, unit : str
        Columns: the outcome, the (binary or continuous) treatment whose effect may vary by period, the
        period and the unit identifiers.
    reference : object
        The omitted period, e.g. 2020.
    controls : tuple of str
        Further right-hand-side terms.
    fixed_effects : tuple of str, optional
        Default ``(unit, time)``.
    vcov : VarianceEstimator, str or dict, optional
        Default: CRV1 clustered by ``unit``.
    estimator : {"ols", "ppml"}
        Linear model or Poisson pseudo-ML.

    Returns
    -------
    EventStudyResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> panel = pd.DataFrame({"unit": np.repeat(np.arange(60), 6), "year": np.tile(np.arange(2018, 2024), 60)})
    >>> panel["treated"] = (panel["unit"] < 30).astype(float)
    >>> panel["y"] = 0.5 * panel["treated"] * (panel["year"] >= 2021) + rng.normal(size=360)
    >>> study = event_study(panel, outcome="y", treatment="treated", time="year", unit="unit", reference=2020)
    >>> study.tidy()["period"].tolist()
    [2018, 2019, 2020, 2021, 2022, 2023]
    >>> study.pre_trend_test().df_num
    2
    """
    require_panel(data, "event_study", outcome=outcome, treatment=treatment, time=time, unit=unit,
                  fixed_effects=fixed_effects, refuse_infinite_in=(time,))
    require_names(controls, "controls", "event_study")
    require_choice(estimator, "estimator", ("ols", "ppml"), "event_study")
    fixed_effects = fixed_effects or (unit, time)
    vcov = vcov or CRV1(unit)
    if not (data[time] == reference).any():
        raise MissingDataError(f"reference period {reference!r} does not occur in {time!r}")
    rhs = [f"i({time}, {treatment}, ref={reference!r})", *controls]
    formula = f"{outcome} ~ {' + '.join(rhs)} | {' + '.join(fixed_effects)}"
    model = feols(formula, data, vcov=vcov) if estimator == "ols" else fepois(formula, data, vcov=vcov)
    periods = {}
    for term in model.params.index:
        prefix = f"{time}::"
        if term.startswith(prefix) and term.endswith(f":{treatment}"):
            label = term[len(prefix): -len(treatment) - 1]
            period = next((p for p in pd.unique(data[time]) if str(p) == label), label)
            periods[period] = term
    pre = [term for period, term in periods.items() if period < reference]
    pre_trend = model.wald_test(pre, hypothesis=f"all {treatment} × {time} coefficients before {reference} = 0") \
        if pre else None
    return EventStudyResult(model, reference, periods, pre_trend)
