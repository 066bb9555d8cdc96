"""How much violation of parallel trends the event studies of H4, H5 and H10 can bear.

Two analyses of an event study already estimated: the robust intervals of Rambachan & Roth (2023) under the
smoothness (ΔSD) and relative-magnitudes (ΔRM) restrictions, and the slope of the linear violation its pre-test
would detect with given power (Roth 2022). Each is an analysis of its own in the registry, estimated once per
build from the results of the analysis that fitted the event study, so that a table and its figure share it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from villageaid import registry
from villageaid.analysis.demonstration import DemonstrationResults
from villageaid.analysis.logic_shift import LogicShiftResults
from villageaid.analysis.returns import ReturnsResults
from villageaid.estimators import EventStudyResult, SensitivityResult


@dataclass(frozen=True)
class Pretrends:
    """Sensitivity and pre-test power of some event studies, keyed by where their analysis keeps each study.

    Attributes
    ----------
    sensitivity : dict
        Study → restriction symbol (ΔSD, ΔRM) → :class:`~villageaid.estimators.SensitivityResult` for its first
        post-period effect.
    slopes : dict
        Study → power → slope per period of the linear violation its pre-test detects with that power (NaN for
        an event study without a pre-period test).
    warnings : tuple of str
        What the estimators warned of (intervals reaching the end of their grid, ...); the tables flag the
        same cases in their notes and tidy columns.
    """

    sensitivity: dict[str, dict[str, SensitivityResult]] = field(default_factory=dict)
    slopes: dict[str, dict[float, float]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def pretrends(studies: Mapping[str, object], *, sensitivity: Sequence[str] = (), power: Sequence[str] = (),
              powers: Sequence[float] = registry.PRETREND_POWERS) -> Pretrends:
    """Estimate the sensitivity of the studies named in ``sensitivity`` and the pre-test power of those in ``power``.

    Parameters
    ----------
    studies : mapping
        Name → event study (an :class:`~villageaid.estimators.EventStudyResult` or dynamic
        :class:`~villageaid.estimators.AggregatedEffects` with a universal base period).
    sensitivity, power : sequence of str
        Names of the studies to analyse each way.
    powers : sequence of float
        Powers at which the detected slope is reported.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        robust = {name: {r.symbol: studies[name].sensitivity(**r.options)
                         for r in registry.SENSITIVITY_RESTRICTIONS} for name in sensitivity}
        slopes = {name: {p: _slope(studies[name], p) for p in powers} for name in power}
    messages = tuple(dict.fromkeys(str(w.message) for w in caught))
    return Pretrends(robust, slopes, messages)


def _slope(study: object, power: float) -> float:
    if isinstance(study, EventStudyResult) and study.pre_trend is None:
        return np.nan  # no pre-period to test
    return float(study.slope_for_power(power))


def _studies(results: object, names: Sequence[str]) -> dict[str, object]:
    return {name: getattr(results, name) for name in names}


def event_study_power(panel: pd.DataFrame, *, logic_shift: LogicShiftResults) -> Pretrends:
    """Pre-test power of the four H4 event studies (Table 5)."""
    names = [m.result for m in registry.models_of("logic_shift") if m.estimator == "event study"]
    return pretrends(_studies(logic_shift, names), power=names)


def event_study_sensitivity(panel: pd.DataFrame, *, logic_shift: LogicShiftResults) -> Pretrends:
    """Sensitivity of the 2021 rich × year effect, asinh and PPML, and of the triple difference's (Table 5b)."""
    names = [registry.RICH_ASINH.result, registry.RICH_PPML.result, registry.TRIPLE_ASINH.result]
    return pretrends(_studies(logic_shift, names), sensitivity=names)


def designation_sensitivity(panel: pd.DataFrame, *, demonstration: DemonstrationResults) -> Pretrends:
    """Sensitivity and pre-test power of the effect of designation in its first year (Table 6c and its figure)."""
    names = [registry.CS_UNIVERSAL.result]
    return pretrends(_studies(demonstration, names), sensitivity=names, power=names)


#: Power at which Table 8b reports the slope the arrival pre-test detects.
ARRIVAL_POWER = 0.8


def arrival_sensitivity(panel: pd.DataFrame, *, returns: ReturnsResults) -> Pretrends:
    """Sensitivity and pre-test power of the effect of a city-level unit's arrival (Table 8b)."""
    names = [registry.H10_ARRIVAL_SENSITIVITY.result]
    return pretrends(_studies(returns, names), sensitivity=names, power=names, powers=(ARRIVAL_POWER,))
