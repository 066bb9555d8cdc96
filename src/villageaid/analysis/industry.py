"""H10 (consequences): industries collapse after the unit leaves (产业存续).

"产业...都搞垮了": when support ends, weak villages' industries fail. Among villages whose campaign unit left at
the 2021 rotation (the first secretary's unit in the campaign's last year is not the one of the transition's first
year), a difference in differences of industry still active (a linear probability model): villages that are not
rich against rich ones, transition against campaign, with village and county × year effects and the cluster
jackknife by village. The survival rates by type and period are reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from villageaid.analysis.variables import analysis_frame, fit_with_fallback, village_variance
from villageaid.estimators import RegressionResults, feols
from villageaid.estimators.limits import MissingDataError, NoComparisonError
from villageaid.estimators.vcov import VcovSpec


@dataclass(frozen=True)
class IndustryResults:
    """The difference in differences of industry survival and the survival rates by type and period."""

    after_departure: RegressionResults
    survival: pd.DataFrame
    villages_left: int
    villages_stayed: int


def unit_left(panel: pd.DataFrame) -> pd.Series:
    """Return, per village, whether its first secretary's unit changed between the campaign and the transition.

    Compares the unit of the campaign's last year with the unit of the transition's first year; missing where the
    village had no first secretary in either.
    """
    last_campaign = panel.loc[panel["period"] == "campaign", "year"].max()
    first_transition = panel.loc[panel["period"] == "transition", "year"].min()
    units = panel.loc[panel["year"].isin([last_campaign, first_transition])].pivot(
        index="village_id", columns="year", values="first_secretary_unit_id").astype(object)
    if last_campaign not in units or first_transition not in units:
        return pd.Series(dtype="boolean")
    before, after = units[last_campaign], units[first_transition]
    left = pd.array((before != after).to_numpy(), dtype="boolean")
    left[(before.isna() | after.isna()).to_numpy()] = pd.NA
    return pd.Series(left, index=units.index, name="unit_left")


def industry_models(panel: pd.DataFrame, *, vcov: VcovSpec | None = None) -> IndustryResults:
    """Estimate the H10 industry-survival difference in differences (weak against rich, after the unit left).

    Raises
    ------
    MissingDataError
        Without industry records (outcomes.industry_active) or without campaign and transition years.
    NoComparisonError
        Where no village's unit left, or all that left are rich or all weak.
    """
    if "industry_active" not in panel or panel["industry_active"].isna().all():
        raise MissingDataError("the industry-survival test needs outcomes.industry_active; these data have none")
    frame = analysis_frame(panel)
    frame = frame.loc[frame["period"].isin(["campaign", "transition"])]
    if frame["period"].nunique() < 2:
        raise MissingDataError("the industry-survival test needs campaign and transition years")
    left = unit_left(frame)
    frame = frame.assign(unit_left=left.reindex(frame["village_id"].astype(object)).to_numpy(),
                         industry=frame["industry_active"].astype("Float64").astype(float),
                         weak=1.0 - frame["rich_village"])
    departed = frame.loc[frame["unit_left"].fillna(False).astype(bool) & frame["industry"].notna()
                         & frame["weak"].notna()]
    n_left = int(departed["village_id"].nunique())
    n_stayed = int(left.dropna().eq(False).sum())
    if n_left == 0 or departed["weak"].nunique() < 2:
        raise NoComparisonError("the industry-survival test needs villages whose unit left at the rotation, both "
                                f"rich and not rich; {n_left} villages' units left")
    model = fit_with_fallback(feols, "industry ~ post:weak | village + county_year", departed,
                              vcov=village_variance(vcov))
    typed = frame.loc[frame["industry"].notna() & frame["village_type"].notna()]
    survival = (typed.groupby([typed["period"].astype(str), typed["village_type"].astype(str),
                               typed["unit_left"].map({True: "left", False: "stayed"}).fillna("unknown")])
                ["industry"].agg(["mean", "size"]).reset_index())
    survival.columns = ["period", "village_type", "unit", "share_active", "village_years"]
    survival["share_active"] = survival["share_active"].astype(float)
    return IndustryResults(model, survival, n_left, n_stayed)
