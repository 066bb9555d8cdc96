"""Table 2: descriptive statistics of the panel by village type and period."""

from __future__ import annotations

import pandas as pd

from villageaid.panel.typology import VILLAGE_TYPES

#: Variables described, with their labels (money in 万元).
DESCRIBED = {
    "funding_total": "Total funding (万元)",
    "funding_unit": "  from the dispatching unit",
    "funding_county": "  from the county",
    "funding_higher": "  from higher government",
    "funding_social": "  social",
    "no_funding": "No funding this year (share)",
    "team_size": "Work-team size (cadre-years)",
    "team_strength_index": "Team strength index (0–2)",
    "endowment_index": "Endowment index (sd)",
    "demonstration": "Demonstration village (share)",
    "collective_income": "Collective income (万元)",
    "per_capita_income": "Per-capita income (元)",
    "industry_active": "Industry still active (share)",
}


def descriptive_statistics(panel: pd.DataFrame, periods: tuple[str, ...] = ("campaign", "transition")) -> pd.DataFrame:
    """Mean, standard deviation and count of each variable by period and village type (and all types).

    Returns
    -------
    DataFrame
        Columns ``period``, ``village_type`` (A–D or "All"), ``variable``, ``mean``, ``sd``, ``n``.
    """
    frame = panel.loc[panel["period"].isin(periods)].copy()
    frame["no_funding"] = (frame["funding_total"] == 0).astype(float)
    variables = [v for v in DESCRIBED if v in frame]
    for v in variables:
        frame[v] = frame[v].astype("Float64").astype(float)
    rows = []
    for period in periods:
        in_period = frame.loc[frame["period"] == period]
        for vtype in [*VILLAGE_TYPES, "All"]:
            cell = in_period if vtype == "All" else in_period.loc[in_period["village_type"] == vtype]
            for v in variables:
                values = cell[v].dropna()
                rows.append({"period": period, "village_type": vtype, "variable": v, "mean": values.mean(),
                             "sd": values.std(), "n": len(values)})
    return pd.DataFrame(rows)
