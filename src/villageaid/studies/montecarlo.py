"""Monte Carlo: simulate → panel → estimate, many times; bias, RMSE, coverage, size and power.

Each replication draws a data set from a scenario with its own seed, builds the panel and estimates the H3
(city-level × rich in the transition, PPML), H4 (post × city-level × rich, PPML) and H5 (Callaway–Sant'Anna
simple ATT of designation on asinh funding, not-yet-treated controls) coefficients with the tables' inference.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.analysis import allocation_models, logic_shift_models
from villageaid.analysis.variables import analysis_frame
from villageaid.estimators import att_gt
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.registry import BY_ID
from villageaid.simulate import Scenario, simulate


def replication(seed: int, scenario: Scenario) -> list[dict]:
    """One replication: estimates, intervals and truths of the H3, H4 and H5 coefficients."""
    data = simulate(scenario, seed=seed)
    tables, report = validate_tables(data.tables)
    if not report.ok:
        raise ValueError(f"simulated data failed validation: {report.errors[0].format()}")
    panel = build_panel(tables)
    effects = data.truth["effects"]
    rows = []

    def add(hypothesis: str, estimator: str, term: str, estimate: float, std_error: float, low: float,
            high: float, p_value: float, truth: float) -> None:
        rows.append({"seed": seed, "scenario": scenario.name, "hypothesis": hypothesis, "estimator": estimator,
                     "term": term, "estimate": estimate, "std_error": std_error, "conf_low": low,
                     "conf_high": high, "p_value": p_value, "truth": truth})

    # The paper's key estimates (villageaid.registry), estimated as the tables estimate them.
    allocation = allocation_models(panel, period="transition", bootstrap_draws=0)
    shift = logic_shift_models(panel, bootstrap_draws=0, event_studies=False)
    for key_id, result, truth in (
            ("allocation.transition_ppml.city_x_rich.estimate", allocation.ppml,
             effects["H3_city_x_rich"]["transition"]),
            ("logic_shift.shift_ppml.post_city_x_rich.estimate", shift.ppml, effects["H4_post_x_city_x_rich"])):
        key = BY_ID[key_id]
        hypothesis, term = key.hypothesis, key.where["term"]
        row = result.tidy().set_index("term").loc[term]
        add(hypothesis, "PPML (village jackknife)", term, row["estimate"], row["std_error"], row["conf_low"],
            row["conf_high"], row["p_value"], truth)
    frame = analysis_frame(panel)
    frame = frame.loc[frame["period"].isin(["campaign", "transition"])].assign(
        village_code=lambda f: pd.factorize(f["village_id"])[0])
    cs = att_gt(frame, outcome="asinh_funding_total", time="year", unit="village_code",
                cohort="demonstration_cohort", covariates=["endowment_index", "rich_village"],
                control_group="not_yet_treated").aggregate("simple")
    cells = pd.DataFrame(effects["H5_att_gt"])
    post = cells[cells["year"] >= cells["cohort"]]
    sizes = post["cohort"].astype(str).map(data.truth["realized"]["demonstration_villages_by_cohort"])
    truth_h5 = (1 - effects["asinh_approx"]["share_no_funding"]) * np.average(post["effect_log"], weights=sizes) \
        if len(post) else 0.0
    z = cs.overall_estimate / cs.overall_std_error
    from scipy import stats

    add("H5", "Callaway–Sant'Anna simple ATT (asinh; approximate truth)", "designation", cs.overall_estimate,
        cs.overall_std_error, cs.overall_estimate - 1.96 * cs.overall_std_error,
        cs.overall_estimate + 1.96 * cs.overall_std_error, float(2 * stats.norm.sf(abs(z))), float(truth_h5))
    return rows


def summarize(replications: pd.DataFrame) -> pd.DataFrame:
    """Bias, RMSE, coverage of the 95% intervals and the rejection rate at 5% per scenario and coefficient."""
    out = []
    for (scenario, hypothesis, estimator, term), group in replications.groupby(
            ["scenario", "hypothesis", "estimator", "term"], sort=True):
        error = group["estimate"] - group["truth"]
        covered = (group["conf_low"] <= group["truth"]) & (group["truth"] <= group["conf_high"])
        out.append({"scenario": scenario, "hypothesis": hypothesis, "estimator": estimator, "term": term,
                    "replications": len(group), "truth": group["truth"].mean(),
                    "mean_estimate": group["estimate"].mean(),
                    "bias": error.mean(), "rmse": float(np.sqrt((error**2).mean())),
                    "mean_std_error": group["std_error"].mean(), "sd_estimate": group["estimate"].std(),
                    "coverage_95": covered.mean(), "rejection_rate_5pct": (group["p_value"] < 0.05).mean()})
    return pd.DataFrame(out)
