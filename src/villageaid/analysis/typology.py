"""Table 1: the paper's typology (unit level × endowment) with real counts and mean funding."""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.panel.typology import VILLAGE_TYPES

ALL_COUNTIES = "All"


def village_period_types(panel: pd.DataFrame, periods: tuple[str, ...] = ("campaign", "transition")) -> pd.DataFrame:
    """Classify each village once per period: the type it has in most of the period's years.

    Ties go to the type of the latest of the tied years. Village-years without a first secretary
    (missing type) do not count; a village with no typed year in a period is left out of that period.

    Returns
    -------
    DataFrame
        Columns ``village_id``, ``county``, ``period``, ``village_type``.
    """
    typed = panel.loc[panel["period"].isin(periods) & panel["village_type"].notna(),
                      ["village_id", "county", "period", "year", "village_type"]]
    counts = (typed.groupby(["village_id", "period", "village_type"], observed=True, sort=False)
              .agg(years=("year", "size"), latest=("year", "max")).reset_index())
    counts = counts.sort_values(["village_id", "period", "years", "latest"], ascending=[True, True, False, False],
                                kind="mergesort")
    modal = counts.drop_duplicates(["village_id", "period"], keep="first")
    county = panel.drop_duplicates("village_id").set_index("village_id")["county"]
    modal = modal.assign(county=county.reindex(modal["village_id"]).to_numpy())
    out = modal[["village_id", "county", "period", "village_type"]].reset_index(drop=True)
    out["period"] = out["period"].astype(str)
    out["county"] = out["county"].astype(str)
    return out


def typology_counts(panel: pd.DataFrame, periods: tuple[str, ...] = ("campaign", "transition")) -> pd.DataFrame:
    """Count villages and their shares by type, county and period, with mean annual funding per type.

    Parameters
    ----------
    panel : DataFrame
        The village × year panel.
    periods : tuple of str
        Periods to tabulate.

    Returns
    -------
    DataFrame
        One row per period, county (each county, then ``"All"``) and type A–D with columns ``villages``
        (villages whose modal type in the period is this type), ``share`` (of the county's typed villages),
        ``village_years`` and ``mean_funding`` (mean annual total funding in 万元 over the village-years
        of this type in the period; NaN where there are none).
    """
    types = village_period_types(panel, periods)
    counties = list(dict.fromkeys(types["county"].tolist()))  # in the data's order
    rows = []
    in_periods = panel.loc[panel["period"].isin(periods) & panel["village_type"].notna()]
    for period in periods:
        p_types = types.loc[types["period"] == period]
        p_years = in_periods.loc[in_periods["period"] == period]
        for county in [*counties, ALL_COUNTIES]:
            c_types = p_types if county == ALL_COUNTIES else p_types.loc[p_types["county"] == county]
            c_years = p_years if county == ALL_COUNTIES else p_years.loc[p_years["county"].astype(str) == county]
            n_typed = len(c_types)
            for vtype in VILLAGE_TYPES:
                n = int((c_types["village_type"] == vtype).sum())
                funding = c_years.loc[c_years["village_type"] == vtype, "funding_total"]
                rows.append({
                    "period": period,
                    "county": county,
                    "village_type": vtype,
                    "villages": n,
                    "share": n / n_typed if n_typed else np.nan,
                    "village_years": len(funding),
                    "mean_funding": float(funding.mean()) if len(funding) else np.nan,
                })
    return pd.DataFrame(rows)
