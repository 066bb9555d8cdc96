"""Event studies: leads and lags of an interaction against a reference period, with a pre-trend test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from villageaid.estimators.ols import feols
from villageaid.estimators.poisson import fepois
from villageaid.estimators.results import TIDY_COLUMNS, RegressionResults, WaldTest
from villageaid.estimators.vcov import VcovSpec


@dataclass(frozen=True)
class EventStudyResult:
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

    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """One row per period (the reference included, at zero), with a ``period`` column first."""
        table = self.model.tidy(conf_level).set_index("term")
        rows = []
        for period in sorted([*self.periods, self.reference]):
            if period == self.reference:
                rows.append({"period": period, "term": "(reference)", "estimate": 0.0, "std_error": np.nan,
                             "statistic": np.nan, "p_value": np.nan, "conf_low": 0.0, "conf_high": 0.0})
            else:
                term = self.periods[period]
                rows.append({"period": period, **table.loc[term].to_dict(), "term": term})
        return pd.DataFrame(rows)[["period", *TIDY_COLUMNS]]


def event_study(data: pd.DataFrame, *, outcome: str, treatment: str, time: str, unit: str, reference: object,
                controls: tuple[str, ...] = (), fixed_effects: tuple[str, ...] | None = None,
                vcov: VcovSpec | None = None, estimator: Literal["ols", "ppml"] = "ols") -> EventStudyResult:
    """Estimate ``outcome ~ Σ_{t ≠ ref} β_t · treatment · 1[time = t] + controls | unit + time``.

    Parameters
    ----------
    data : DataFrame
        A panel.
    outcome, treatment, time, unit : str
        Columns: the outcome, the (binary or continuous) treatment whose effect may vary by period, the
        period and the unit identifiers.
    reference : object
        The omitted period, e.g. 2020.
    controls : tuple of str
        Further right-hand-side terms.
    fixed_effects : tuple of str, optional
        Default ``(unit, time)``.
    vcov : str or dict, optional
        Default: clustered by ``unit``.
    estimator : {"ols", "ppml"}
        Linear model or Poisson pseudo-ML.
    """
    fixed_effects = fixed_effects or (unit, time)
    vcov = vcov or {"CRV1": unit}
    if not (data[time] == reference).any():
        raise ValueError(f"reference period {reference!r} does not occur in {time!r}")
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
