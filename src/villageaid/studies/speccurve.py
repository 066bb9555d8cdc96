"""Specification curve: the main H3 and H4 estimates across reasonable choices.

Choices: outcome (asinh, log(1 + y), PPML in levels), endowment definition (the index's upper tercile, a
median split, top against bottom tercile), fixed effects (H3: county × year or year; H4: village with
county × year or with year), clustering (village CRV1, village jackknife CRV3, township CRV1) and sample
(all villages, without demonstration villages, or only villages with a first secretary recorded in every year
— a balanced panel of the model's variables): 3 × 3 × 2 × 3 × 3 = 162 specifications per hypothesis.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from villageaid.analysis.variables import analysis_frame, available_controls
from villageaid.estimators import feols, fepois
from villageaid.estimators.limits import DATA_LIMITS
from villageaid.panel.endowment import rich_flag
from villageaid.registry import SHIFT_PPML, TRANSITION_PPML

OUTCOMES = {"asinh": "asinh_funding_total", "log1p": "log1p_funding_total", "ppml": "funding_total"}
ENDOWMENT = ("upper tercile", "median split", "top vs bottom tercile")
CLUSTERS = {"village CRV1": {"CRV1": "village"}, "village CRV3": {"CRV3": "village"},
            "township CRV1": {"CRV1": "township"}}
SAMPLES = ("all villages", "without demonstration villages", "balanced villages only")
#: The paper's models each curve varies (declared once in the registry).
BASE_MODELS = {"H3": TRANSITION_PPML, "H4": SHIFT_PPML}


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


_STATISTICS = ("estimate", "std_error", "conf_low", "conf_high", "p_value")


def specification_curve(panel: pd.DataFrame) -> pd.DataFrame:
    """Estimate H3 (city × rich, transition) and H4 (post × city × rich) under every specification.

    A specification the data cannot support keeps its row, with missing statistics and the reason in
    ``not_estimated`` (empty for the estimated ones); the figure and the summary count only the estimated.
    """
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
        for hypothesis, spec in BASE_MODELS.items():
            # The paper's model (villageaid.registry) with one choice changed at a time along each dimension.
            data = frame.loc[frame["period"].isin(spec.periods)]
            fe = spec.fixed_effects if fe_choice == 0 else spec.fixed_effects.replace("county_year", "year")
            demonstration = sample == SAMPLES[0] and bool(data["demo"].any())
            formula = spec.formula(controls, demonstration=demonstration, outcome=y, fixed_effects=fe)
            term = spec.key_term
            choice = {"hypothesis": hypothesis, "base_model_id": spec.id, "term": term, "outcome": outcome,
                      "endowment": endowment, "fixed_effects": fe, "cluster": cluster, "sample": sample}
            try:
                result = fit(formula, data, vcov=CLUSTERS[cluster])
                row = result.tidy().set_index("term").loc[term]
            except DATA_LIMITS as exc:
                # One specification these data cannot support (a jackknife left without variation, a term
                # dropped as collinear...) is a row that says why, not the end of the curve.
                rows.append({**choice, **dict.fromkeys(_STATISTICS, np.nan), "nobs": 0,
                             "not_estimated": f"{type(exc).__name__}: {exc}"})
                continue
            rows.append({**choice, **{name: row[name] for name in _STATISTICS}, "nobs": result.nobs,
                         "not_estimated": ""})
    table = pd.DataFrame(rows)
    table["significant_5pct"] = table["p_value"] < 0.05
    return table.sort_values(["hypothesis", "estimate"], kind="mergesort").reset_index(drop=True)


def scale_note() -> str:
    """Why the estimates are on different scales."""
    return ("PPML estimates are effects on log expected funding; asinh and log(1 + y) estimates are on their "
            "transformed scales and are smaller by about the share of village-years with funding.")
