"""H10 (consequences): 低效 as mismatch — resources of one type sent to needs of another.

The source paper's inefficiency is not diminishing returns: "diverse resources and diverse needs cannot be
matched" (资源与需求难以匹配). With a need list (需求清单: each village's main need) and the type of every funded
project, each 万元 either serves the village's main need or not (:data:`villageaid.schema.PROJECT_NEED`). The test:
log collective income on asinh(funding) and the share of the year's funding that serves no listed need, with
village and county × year effects, the cluster jackknife by village, on village-years with funding. A negative
coefficient on the unmatched share is the paper's 低效: the same money does less when it misses the need.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.analysis.variables import analysis_frame, fit_with_fallback, village_variance
from villageaid.estimators import RegressionResults, feols
from villageaid.estimators.limits import MissingDataError
from villageaid.estimators.vcov import VcovSpec


@dataclass(frozen=True)
class MismatchResults:
    """The returns model with the unmatched share, and how much funding served the villages' needs."""

    returns: RegressionResults
    matched_share: pd.DataFrame


def mismatch_models(panel: pd.DataFrame, *, vcov: VcovSpec | None = None) -> MismatchResults:
    """Estimate the H10 mismatch model.

    Raises
    ------
    MissingDataError
        Without a need list (villages.main_need) and project types (funding.project_type), or without collective
        income.
    """
    if "funding_unmatched" not in panel or panel["funding_unmatched"].isna().all():
        raise MissingDataError("the mismatch test needs each village's main need (villages.main_need, the need "
                               "list) and the type of each funded project (funding.project_type)")
    if "collective_income" not in panel or panel["collective_income"].isna().all():
        raise MissingDataError("the mismatch test needs collective income (outcomes.collective_income)")
    frame = analysis_frame(panel)
    funded = frame["funding_total"] > 0
    income = frame["collective_income"].astype(float)
    frame = frame.loc[funded & (income > 0) & frame["funding_unmatched"].notna()]
    frame = frame.assign(log_collective_income=np.log(frame["collective_income"].astype(float)),
                         unmatched_share=frame["funding_unmatched"] / frame["funding_total"])
    model = fit_with_fallback(feols, "log_collective_income ~ asinh_funding_total + unmatched_share "
                                     "| village + county_year", frame, vcov=village_variance(vcov))
    share = (frame.groupby(frame["period"].astype(str))
             .agg(matched=("funding_matched", "sum"), total=("funding_total", "sum"),
                  village_years=("funding_total", "size")).reset_index())
    share["matched_share"] = share["matched"] / share["total"]
    return MismatchResults(model, share[["period", "matched_share", "village_years"]])
