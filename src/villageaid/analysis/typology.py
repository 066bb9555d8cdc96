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


#: Cut-offs of the typology's sensitivity table: the county quantile of the endowment index at or above which a
#: village is rich (upper tercile, the default; median; upper quartile).
CUTOFF_QUANTILES = {"upper tercile": 2 / 3, "median": 0.5, "upper quartile": 0.75}


def cutoff_sensitivity(panel: pd.DataFrame, quantiles: dict[str, float] | None = None) -> pd.DataFrame:
    """Count the types A–D (all counties) under several rich/poor cut-offs, with the paper's ordering.

    The paper finds C (county unit + poor village) the most common type and A (city unit + rich) the rarest;
    with a median split C can outnumber B only if A outnumbers D (see :mod:`villageaid.panel.endowment`), so the
    ordering depends on the cut-off. Each cut-off re-flags rich villages within their county and re-types them.

    Returns
    -------
    DataFrame
        One row per cut-off, period and type: ``cutoff``, ``quantile``, ``period``, ``village_type``, ``villages``,
        ``share``, and per cut-off and period ``c_most_common`` and ``a_rarest`` (1/0).
    """
    from villageaid.panel.endowment import rich_flag
    from villageaid.panel.typology import village_type

    villages = panel.drop_duplicates("village_id").set_index("village_id")
    if villages["endowment_index"].isna().all():
        from villageaid.estimators.limits import MissingDataError

        raise MissingDataError("the typology needs the endowment index, which these data do not give")
    rows = []
    for name, quantile in (quantiles or CUTOFF_QUANTILES).items():
        rich = rich_flag(villages["endowment_index"], villages["county"], quantile=quantile)
        rich_long = pd.Series(rich.reindex(panel["village_id"].to_numpy()).to_numpy(), index=panel.index,
                              dtype="boolean")
        retyped = panel.assign(village_type=village_type(panel["city_unit"].astype("boolean"), rich_long).array)
        counts = typology_counts(retyped)
        counts = counts.loc[counts["county"] == ALL_COUNTIES]
        for period, block in counts.groupby("period", sort=False):
            by_type = block.set_index("village_type")["villages"]
            for row in block.itertuples():
                rows.append({"cutoff": name, "quantile": quantile, "period": period, "village_type": row.village_type,
                             "villages": int(row.villages), "share": float(row.share),
                             "c_most_common": int(by_type["C"] == by_type.max()),
                             "a_rarest": int(by_type["A"] == by_type.min())})
    return pd.DataFrame(rows)
