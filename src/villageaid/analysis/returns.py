"""H10: what the money does — returns to funding on village outcomes.

Whether they are lower where the strong alliance sends the money is the efficiency cost the source paper
argues (低效).

Three estimates:

* **arrival of a city-level unit** (a total effect): Callaway–Sant'Anna on first-arrival cohorts — villages
  whose first secretary comes from a city-level (or higher) unit for the first time in year g, against
  villages that never have one; villages that have one from the first panel year are always treated and drop
  out. Outcome: log collective income; doubly robust with the baseline endowment index.
* **the return to funding** by instrumental variables: log collective and per-capita income on
  asinh(funding), with village and year effects, funding instrumented by the first secretary's unit level
  (city-level) and department strength (strong) — valid if the unit raises outcomes only through the money it
  brings; first-stage partial F and Anderson–Rubin sets robust to weak instruments, OLS beside it.
* **heterogeneity by endowment**: the same IV with asinh(funding) × endowment index (instruments × index): a
  negative interaction means lower returns in better-endowed villages. The marginal return per 10,000 yuan,
  θ(index)/√(1 + F²) log points, is evaluated for poorer and richer villages at their own median funding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.analysis.variables import analysis_frame
from villageaid.estimators import AggregatedEffects, ATTgtResult, att_gt
from villageaid.estimators.iv import IVResults, iv_fe
from villageaid.estimators.limits import MissingDataError, NoComparisonError, NoVariationError

OUTCOMES = {"log_collective_income": "log collective income", "log_per_capita_income": "log per-capita income"}
FUNDING = "asinh_funding_total"
INTERACTION = "asinh_funding_x_endowment"
INSTRUMENTS = ("city", "strong")
#: Poorer and richer villages for the marginal return: these quantiles of the endowment index.
ENDOWMENT_QUANTILES = {"poorer (20th percentile)": 0.2, "richer (80th percentile)": 0.8}


@dataclass(frozen=True)
class ReturnsResults:
    """H10 estimates: IV returns, their heterogeneity, marginal returns per 10,000 yuan and the arrival DiD."""

    iv: dict[str, IVResults]
    heterogeneity: dict[str, IVResults]
    marginal_returns: pd.DataFrame
    arrival: ATTgtResult
    arrival_dynamic: AggregatedEffects
    arrival_simple: AggregatedEffects
    arrival_universal: AggregatedEffects
    arrival_cohorts: dict[int, int]


def returns_frame(panel: pd.DataFrame) -> pd.DataFrame:
    """Return the panel with the H10 variables: log outcomes, funding × endowment, instruments × endowment, cohorts."""
    frame = analysis_frame(panel)
    for column in OUTCOMES:
        source = column.removeprefix("log_")
        if source in frame:
            values = frame[source].astype(float)
            frame[column] = np.log(values.where(values > 0))
    frame[INTERACTION] = frame[FUNDING] * frame["endowment_index"]
    for instrument in INSTRUMENTS:
        frame[f"{instrument}_x_endowment"] = frame[instrument] * frame["endowment_index"]
    first_year = int(frame["year"].min())
    city_years = frame.loc[frame["city"] > 0].groupby("village_id", observed=True)["year"].min()
    cohort = frame["village_id"].map(city_years).astype(float).fillna(0).astype(int)
    frame["arrival_cohort"] = np.where(cohort == first_year, -1, cohort)  # -1: always treated, dropped
    frame["village_code"] = pd.factorize(frame["village_id"])[0]
    return frame


def _marginal_returns(frame: pd.DataFrame, models: dict[str, IVResults]) -> pd.DataFrame:
    """θ(index)/√(1 + F²) per 10,000 yuan, in percent, with delta-method standard errors."""
    rows = []
    for outcome, result in models.items():
        params, vcov = result.iv.params, result.iv.vcov.loc[[FUNDING, INTERACTION], [FUNDING, INTERACTION]]
        for label, q in ENDOWMENT_QUANTILES.items():
            index = float(frame["endowment_index"].quantile(q))
            near = (frame["endowment_index"] - index).abs() <= frame["endowment_index"].std() * 0.25
            funding = float(frame.loc[near & (frame["funding_total"] > 0), "funding_total"].median())
            slope = 100 / np.sqrt(1 + funding**2)
            gradient = np.array([1.0, index]) * slope
            theta = float(params[FUNDING] + params[INTERACTION] * index)
            se = float(np.sqrt(gradient @ vcov.to_numpy() @ gradient))
            rows.append({"outcome": outcome, "villages": label, "endowment_index": index, "median_funding": funding,
                         "theta": theta, "estimate": theta * slope, "std_error": se,
                         "conf_low": theta * slope - 1.96 * se, "conf_high": theta * slope + 1.96 * se})
    return pd.DataFrame(rows)


def return_models(panel: pd.DataFrame, outcomes: tuple[str, ...] = tuple(OUTCOMES)
                  ) -> tuple[pd.DataFrame, dict[str, IVResults], dict[str, IVResults]]:
    """Estimate the H10 2SLS returns, without and with the endowment interaction, for each outcome.

    Returns the estimation frame (campaign and transition years) and the two dictionaries of models.
    """
    frame = returns_frame(panel)
    frame = frame.loc[frame["period"].isin(["campaign", "transition"])].copy()
    missing = [c for c in outcomes if c not in frame or frame[c].notna().sum() == 0]
    if missing:
        raise MissingDataError(f"no outcome data for {', '.join(missing)} (the outcomes table is empty or missing)")
    if frame[list(INSTRUMENTS)].std().min() == 0:
        raise NoVariationError("no variation in the first secretary's level or strength: the instruments are constant")
    iv, heterogeneity = {}, {}
    for outcome in outcomes:
        common = {"outcome": outcome, "fixed_effects": ("village_id", "year"), "cluster": "village_id"}
        iv[outcome] = iv_fe(frame, endogenous=[FUNDING], instruments=list(INSTRUMENTS), **common)
        heterogeneity[outcome] = iv_fe(frame, endogenous=[FUNDING, INTERACTION],
                                       instruments=[*INSTRUMENTS, *(f"{i}_x_endowment" for i in INSTRUMENTS)],
                                       **common)
    return frame, iv, heterogeneity


def returns_models(panel: pd.DataFrame) -> ReturnsResults:
    """Estimate the H10 models on the panel (campaign and transition years)."""
    frame, iv, heterogeneity = return_models(panel)
    arrival_frame = frame.loc[frame["arrival_cohort"] >= 0].copy()
    cohorts = arrival_frame.loc[arrival_frame["arrival_cohort"] > 0].groupby("arrival_cohort")["village_id"]
    counts = {int(g): int(v.nunique()) for g, v in cohorts}
    if not counts:
        raise NoComparisonError("no village receives a city-level first secretary for the first time after the "
                                "first year")
    args = {"outcome": "log_collective_income", "time": "year", "unit": "village_code", "cohort": "arrival_cohort",
            "covariates": ["endowment_index"], "control_group": "never_treated", "method": "dr"}
    arrival = att_gt(arrival_frame, **args)
    universal = att_gt(arrival_frame, **args, base_period="universal").aggregate("dynamic")
    return ReturnsResults(iv, heterogeneity, _marginal_returns(frame, heterogeneity), arrival,
                          arrival.aggregate("dynamic"), arrival.aggregate("simple"), universal, counts)
