"""H9: who gets the strong units? Assignment by endowment in each period, and its change at 2021.

The source paper calls the transition's matching 双向选择 (two-sided choice: strong units pick advantaged villages
and advantaged villages seek strong units). County records show only the result — which units ended up where — so
the tests below are of assortative matching and of its change at 2021, not of who chose whom.

* A logit of city-level assignment on the endowment index, one observation per village and period (the
  village's assignment in most of the period's years), with county dummies and errors clustered by
  township; its average marginal effect of the index.
* The claim: the change at 2021 — a pooled logit over both periods with the endowment index, the transition
  and their interaction (county dummies, errors clustered by township); the interaction > 0 means assignment
  turned towards the better endowed.
* An assortative-matching index by year: Spearman's rank correlation between the first secretary's unit
  level (township < county < city < provincial < central) or department strength (marginal < general <
  strong) and the endowment index, with percentile bootstrap intervals resampling villages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from villageaid.estimators import LogitResults, logit
from villageaid.estimators.limits import MissingDataError
from villageaid.schema import UNIT_LEVELS, UNIT_STRENGTHS

LEVEL_RANK = {level: rank for rank, level in enumerate(reversed(UNIT_LEVELS))}  # township 0 … central 4
STRENGTH_RANK = {strength: rank for rank, strength in enumerate(reversed(UNIT_STRENGTHS))}  # marginal 0 … strong 2


@dataclass(frozen=True)
class MatchingResults:
    """H9 assignment logits by period and the assortative-matching index by year."""

    logits: dict[str, LogitResults]
    matching_index: pd.DataFrame
    change: LogitResults | None = None


def village_period_assignment(panel: pd.DataFrame, periods: tuple[str, ...] = ("campaign", "transition")
                              ) -> pd.DataFrame:
    """One row per village and period: city-level assignment in most of the period's years, index, county."""
    frame = panel.loc[panel["period"].isin(periods) & panel["city_unit"].notna()]
    frame = frame.assign(city_share=frame["city_unit"].astype(float))
    grouped = frame.groupby(["village_id", "period"], observed=True)
    out = grouped.agg(city_share=("city_share", "mean"), endowment_index=("endowment_index", "first"),
                      county=("county", "first"), township=("township", "first")).reset_index()
    out["city_assigned"] = (out["city_share"] > 0.5).astype(float)
    out["period"] = out["period"].astype(str)
    out["county"] = out["county"].astype(str)
    out["township"] = out["township"].astype(str)
    return out


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    return float(stats.spearmanr(x, y).statistic) if len(x) > 2 and np.std(x) > 0 and np.std(y) > 0 else np.nan


def _spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row pair of x and y (draws × n), ties by average ranks."""
    rx = stats.rankdata(x, axis=1)
    ry = stats.rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rx * ry).sum(axis=1) / np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))


def matching_index(panel: pd.DataFrame, *, draws: int = 999, seed: int = 3, conf_level: float = 0.95) -> pd.DataFrame:
    """Spearman correlation of unit level and of department strength with endowment, by year.

    Returns
    -------
    DataFrame
        Columns ``year``, ``dimension`` ("level" or "strength"), ``estimate``, ``conf_low``, ``conf_high``,
        ``villages``. Intervals are bootstrap percentiles over ``draws`` resamples of villages (seeded).
    """
    if draws < 1:
        raise ValueError(f"matching_index: draws must be at least 1, got {draws}")
    rng = np.random.default_rng(seed)
    rows = []
    for year, frame in panel.loc[panel["first_secretary_level"].notna()].groupby("year", sort=True):
        index = frame["endowment_index"].to_numpy(dtype=float)
        for dimension, column, ranks in (("level", "first_secretary_level", LEVEL_RANK),
                                         ("strength", "first_secretary_strength", STRENGTH_RANK)):
            rank = frame[column].astype(object).map(ranks).to_numpy(dtype=float)
            ok = np.isfinite(rank) & np.isfinite(index)
            x, y = rank[ok], index[ok]
            estimate = _spearman(x, y)
            resamples = rng.integers(0, len(x), size=(draws, len(x)))
            boot = _spearman_rows(x[resamples], y[resamples])
            low, high = np.nanquantile(boot, [(1 - conf_level) / 2, (1 + conf_level) / 2])
            rows.append({"year": int(year), "dimension": dimension, "estimate": estimate, "conf_low": float(low),
                         "conf_high": float(high), "villages": int(ok.sum())})
    return pd.DataFrame(rows)


def assignment_logits(panel: pd.DataFrame) -> dict[str, LogitResults]:
    """Estimate the H9 logit of city-level assignment on the endowment index, by period (county dummies)."""
    logits = {}
    for period, frame in village_period_assignment(panel).groupby("period", sort=False):
        counties = frame["county"].nunique()
        first = sorted(frame["county"].unique())[0]
        formula = "city_assigned ~ endowment_index" + (f" + i(county, ref={first!r})" if counties > 1 else "")
        logits[str(period)] = logit(formula, frame, vcov={"CRV1": "township"})
    return logits


def assignment_change(panel: pd.DataFrame) -> LogitResults:
    """Estimate the pooled H9 logit whose endowment × transition term is the change in matching at 2021."""
    frame = village_period_assignment(panel)
    if frame["period"].nunique() < 2:
        raise MissingDataError("the change in matching at 2021 needs assignments in the campaign and the transition")
    frame = frame.assign(transition=(frame["period"] == "transition").astype(float))
    counties = sorted(frame["county"].unique())
    formula = ("city_assigned ~ endowment_index + transition + endowment_index:transition"
               + (f" + i(county, ref={counties[0]!r})" if len(counties) > 1 else ""))
    return logit(formula, frame, vcov={"CRV1": "township"})


def matching_models(panel: pd.DataFrame, *, draws: int = 999, seed: int = 3) -> MatchingResults:
    """Estimate the H9 logits by period, the matching index by year and the change at 2021."""
    return MatchingResults(assignment_logits(panel), matching_index(panel, draws=draws, seed=seed),
                           assignment_change(panel))
