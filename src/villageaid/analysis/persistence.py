"""H6: the strong get stronger (强者愈强), or how persistent a village's funding is beyond its fixed traits.

A dynamic panel of log funding from the dispatching unit (years with funding) on its own lag and the lag of
log collective income, with village effects removed by first differences and the lags instrumented by
second lags (Anderson–Hsiao), beside the within estimator whose Nickell bias pulls persistence towards
zero. Equations are used where the regressors of the allocation model do not change between t − 2 and t
(both years in the campaign or both in the transition), so that period effects and the demonstration
terms (as differences) are the only exogenous regressors needed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.analysis.variables import analysis_frame
from villageaid.estimators.dynamic_panel import DynamicPanelResults, anderson_hsiao


def persistence_models(panel: pd.DataFrame) -> DynamicPanelResults:
    """Estimate the H6 dynamic panel (Anderson–Hsiao and within) on the village panel."""
    frame = analysis_frame(panel)
    frame["log_unit_funding"] = np.log(frame["funding_unit"].where(frame["funding_unit"] > 0))
    if "collective_income" in frame:
        frame["log_collective_income"] = np.log(frame["collective_income"].where(frame["collective_income"] > 0))
    lagged = ("log_collective_income",) if "log_collective_income" in frame else ()
    period_of = frame.set_index("year")["period"].astype(str).groupby(level=0).first()
    now = period_of.reindex(frame["year"].to_numpy()).to_numpy()
    before = period_of.reindex((frame["year"] - 2).to_numpy()).to_numpy()
    same_period = pd.Series((now == before) & pd.notna(before), index=frame.index)
    return anderson_hsiao(frame, outcome="log_unit_funding", unit="village", time="year", lagged=lagged,
                          exogenous=("demo", "demo_years"), equations=same_period)
