"""Monte Carlo: simulate → panel → estimate, many times; bias, RMSE, coverage, size and power.

Each replication draws a data set from a scenario with its own seed, builds the panel and estimates the H3
(city-level × rich in the transition, PPML), H4 (post × city-level × rich, PPML) and H5 (Callaway–Sant'Anna
simple ATT of designation on asinh funding, not-yet-treated controls) coefficients with the tables' inference.

A replication in which the village jackknife is undefined keeps its estimate with CRV1 errors and says so in
``variance_fallback``; one in which an estimate cannot be computed at all (no variation, no treated cohort...)
keeps its row with missing statistics and the reason in ``not_estimated``. Neither stops the run: the summary
counts them, and its coverage and rejection rates use the replications with the variance asked for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.analysis import allocation_models, logic_shift_models
from villageaid.analysis.variables import analysis_frame
from villageaid.estimators import att_gt
from villageaid.estimators.limits import DATA_LIMITS
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.registry import SHIFT_PPML, TRANSITION_PPML, key_for
from villageaid.simulation import Scenario, simulate


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
            high: float, p_value: float, truth: float, fallback: str = "", not_estimated: str = "") -> None:
        rows.append({"seed": seed, "scenario": scenario.name, "hypothesis": hypothesis, "estimator": estimator,
                     "term": term, "estimate": estimate, "std_error": std_error, "conf_low": low,
                     "conf_high": high, "p_value": p_value, "truth": truth, "variance_fallback": fallback,
                     "not_estimated": not_estimated})

    # The paper's key estimates (villageaid.registry), estimated as the tables estimate them.
    estimates = ((key_for(TRANSITION_PPML, TRANSITION_PPML.key_term),
                  lambda: allocation_models(panel, period="transition", bootstrap_draws=0).ppml,
                  effects["H3_city_x_rich"]["transition"]),
                 (key_for(SHIFT_PPML, SHIFT_PPML.key_term),
                  lambda: logic_shift_models(panel, bootstrap_draws=0, event_studies=False).ppml,
                  effects["H4_post_x_city_x_rich"]))
    for key, estimate, truth in estimates:
        hypothesis, term = key.hypothesis, key.where["term"]
        try:
            result = estimate()
            row = result.tidy().set_index("term").loc[term]
        except DATA_LIMITS as exc:  # these data cannot support it: a row that says why, never the end of the run
            add(hypothesis, "PPML (village jackknife)", term, *[np.nan] * 5, truth,
                not_estimated=f"{type(exc).__name__}: {exc}")
            continue
        add(hypothesis, "PPML (village jackknife)", term, row["estimate"], row["std_error"], row["conf_low"],
            row["conf_high"], row["p_value"], truth, fallback=result.fallback_reason or "")
    frame = analysis_frame(panel)
    frame = frame.loc[frame["period"].isin(["campaign", "transition"])].assign(
        village_code=lambda f: pd.factorize(f["village_id"])[0])
    try:
        cs = att_gt(frame, outcome="asinh_funding_total", time="year", unit="village_code",
                    cohort="demonstration_cohort", covariates=["endowment_index", "rich_village"],
                    control_group="not_yet_treated").aggregate("simple")
    except DATA_LIMITS as exc:
        add("H5", "Callaway–Sant'Anna simple ATT (asinh; approximate truth)", "designation", *[np.nan] * 6,
            not_estimated=f"{type(exc).__name__}: {exc}")
        return rows
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
    """Bias, RMSE, coverage of the 95% intervals and the rejection rate at 5% per scenario and coefficient.

    ``replications`` counts every replication; ``not_estimated`` those whose estimate could not be computed and
    ``variance_fallbacks`` those whose jackknife was undefined (CRV1 errors). Bias and RMSE use every estimate;
    coverage, rejection rate and the mean standard error only those with the variance asked for.
    """
    frame = replications.copy()
    for column in ("variance_fallback", "not_estimated"):
        frame[column] = frame[column].fillna("") if column in frame else ""
    out = []
    for (scenario, hypothesis, estimator, term), group in frame.groupby(
            ["scenario", "hypothesis", "estimator", "term"], sort=True):
        estimated = group.loc[group["not_estimated"] == ""]
        asked = estimated.loc[estimated["variance_fallback"] == ""]
        error = estimated["estimate"] - estimated["truth"]
        covered = (asked["conf_low"] <= asked["truth"]) & (asked["truth"] <= asked["conf_high"])
        out.append({"scenario": scenario, "hypothesis": hypothesis, "estimator": estimator, "term": term,
                    "replications": len(group), "not_estimated": len(group) - len(estimated),
                    "variance_fallbacks": len(estimated) - len(asked), "truth": group["truth"].mean(),
                    "mean_estimate": estimated["estimate"].mean(),
                    "bias": error.mean(), "rmse": float(np.sqrt((error**2).mean())),
                    "mean_std_error": asked["std_error"].mean(), "sd_estimate": estimated["estimate"].std(),
                    "coverage_95": covered.mean(), "rejection_rate_5pct": (asked["p_value"] < 0.05).mean()})
    return pd.DataFrame(out)
