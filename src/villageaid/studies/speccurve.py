"""Specification curve: the main H3 and H4 estimates across reasonable choices.

Choices: outcome (asinh, log(1 + y), PPML in levels), endowment definition (the index's upper tercile, a
median split, top against bottom tercile), fixed effects (H3: county × year or year; H4: village with
county × year or with year), clustering (village CRV1, village jackknife CRV3, township CRV1) and sample
(all villages, without demonstration villages, or only villages with a first secretary recorded in every year
— a balanced panel of the model's variables): 3 × 3 × 2 × 3 × 3 = 162 specifications per hypothesis.
"""

from __future__ import annotations

import itertools

import pandas as pd

from villageaid.analysis.variables import analysis_frame, available_controls
from villageaid.estimators import feols, fepois
from villageaid.panel.endowment import rich_flag

OUTCOMES = {"asinh": "asinh_funding_total", "log1p": "log1p_funding_total", "ppml": "funding_total"}
ENDOWMENT = ("upper tercile", "median split", "top vs bottom tercile")
CLUSTERS = {"village CRV1": {"CRV1": "village"}, "village CRV3": {"CRV3": "village"},
            "township CRV1": {"CRV1": "township"}}
SAMPLES = ("all villages", "without demonstration villages", "balanced villages only")


def _with_endowment(frame: pd.DataFrame, definition: str) -> pd.DataFrame:
    index, county = frame["endowment_index"], frame["county"].astype(str)
    if definition == "upper tercile":
        rich = rich_flag(index, county, quantile=2 / 3)
    elif definition == "median split":
        rich = rich_flag(index, county, quantile=0.5)
    else:
        top = rich_flag(index, county, quantile=2 / 3)
        bottom = ~rich_flag(index, county, quantile=1 / 3)
        rich = top.where(top | bottom)  # the middle tercile drops out
    out = frame.assign(rich_village=rich.astype("Float64").astype(float))
    return out.assign(city_x_rich=out["city"] * out["rich_village"])


def specification_curve(panel: pd.DataFrame) -> pd.DataFrame:
    """Estimate H3 (city × rich, transition) and H4 (post × city × rich) under every specification."""
    base = analysis_frame(panel)
    base = base.loc[base["period"].isin(["campaign", "transition"])]
    controls = available_controls(base)
    rows = []
    for outcome, endowment, fe_choice, cluster, sample in itertools.product(OUTCOMES, ENDOWMENT, (0, 1), CLUSTERS,
                                                                            SAMPLES):
        frame = _with_endowment(base, endowment)
        if sample == SAMPLES[1]:
            frame = frame.loc[frame["demonstration_cohort"] == 0]
        elif sample == SAMPLES[2]:
            complete = frame.groupby("village")["city"].transform(lambda s: s.notna().all())
            frame = frame.loc[complete.astype(bool)]
        fit = fepois if outcome == "ppml" else feols
        y = OUTCOMES[outcome]
        for hypothesis in ("H3", "H4"):
            if hypothesis == "H3":
                data = frame.loc[frame["period"] == "transition"]
                rhs = ["city", "rich_village", "city_x_rich", "endowment_index", "strong", *controls]
                fe = "county_year" if fe_choice == 0 else "year"
                term = "city_x_rich"
            else:
                data = frame
                rhs = ["post:rich_village", "post:city", "post:city_x_rich", "city", "city_x_rich",
                       "post:endowment_index", "strong"]
                fe = "village + county_year" if fe_choice == 0 else "village + year"
                term = "post:city_x_rich"
            if sample == SAMPLES[0] and data["demo"].any():
                rhs += ["demo", "demo_years"]
            result = fit(f"{y} ~ {' + '.join(rhs)} | {fe}", data, vcov=CLUSTERS[cluster])
            row = result.tidy().set_index("term").loc[term]
            rows.append({"hypothesis": hypothesis, "outcome": outcome, "endowment": endowment,
                         "fixed_effects": fe, "cluster": cluster, "sample": sample, "estimate": row["estimate"],
                         "std_error": row["std_error"], "conf_low": row["conf_low"], "conf_high": row["conf_high"],
                         "p_value": row["p_value"], "nobs": result.nobs})
    table = pd.DataFrame(rows)
    table["significant_5pct"] = table["p_value"] < 0.05
    return table.sort_values(["hypothesis", "estimate"], kind="mergesort").reset_index(drop=True)


def scale_note() -> str:
    """Why the estimates are on different scales."""
    return ("PPML estimates are effects on log expected funding; asinh and log(1 + y) estimates are on their "
            "transformed scales and are smaller by about the share of village-years with funding.")
