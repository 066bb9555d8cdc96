"""What a design can tell apart: the paper's verdict on each claim, replicated under each scenario.

Each replication simulates a scenario at a design (the scenario's two counties, or the same process in 40
counties of 80 villages), builds the panel, estimates every key estimate that tests a claim as the paper's tables
do — with the variance the build chooses for that design (the village jackknife with two counties, CRV1 by county
with forty: ``VCOV=auto``) — and records the paper's verdict at 5%: supported, contradicted or undetermined. The
summary gives, for each claim × scenario × design, the share of replications with each verdict: under seed_true
the share "supported" is the power to find a claim that is true by construction; under null the share that
wrongly supports it; under the other scenarios what a verdict means when the paper is wrong in another way.

An estimate the data cannot support (a declared data limit) is a row with its reason; a jackknife that is
undefined falls back to CRV1 and says so. Neither stops the run.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from villageaid.analysis.claim_family import CLAIMS, model_steps, run_steps
from villageaid.analysis.concentration import concentration_models
from villageaid.analysis.demonstration import designation_effects, designation_frame
from villageaid.analysis.inequality import inequality_models
from villageaid.analysis.persistence import persistence_models
from villageaid.analysis.truth import key_truth
from villageaid.estimators.limits import DATA_LIMITS, NoVariationError
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.registry import CS_NOT_YET, KeyEstimate, ModelSpec, OutputSpec
from villageaid.report.context import OutputContext
from villageaid.report.key_numbers import select_row
from villageaid.report.paper_results import verdict
from villageaid.simulation import SCENARIOS, Scenario, many_counties, simulate
from villageaid.workflow.outputs import BuildSettings, paper_variance, resolve, resolve_variance

#: The scenarios the table compares: every behavioural scenario (``national`` is for scale work; many_counties is
#: the second design).
STUDY_SCENARIOS = tuple(name for name in SCENARIOS if name not in ("national", "many_counties"))
#: The designs: the scenario's own counties, or its process in many_counties' 40 counties of 80 villages.
DESIGNS = ("two_county", "many_county")
VERDICTS = ("supported", "contradicted", "undetermined")


def design_scenario(name: str, design: str) -> Scenario:
    """Return scenario ``name`` at ``design``: its own counties, or its process in many_counties' geography."""
    if design not in DESIGNS:
        raise ValueError(f"unknown design {design!r}: use {', '.join(DESIGNS)}")
    scenario = SCENARIOS[name]()
    if design == "two_county":
        return scenario
    geography = many_counties()
    return replace(scenario, county_names=geography.county_names, villages_per_county=geography.villages_per_county,
                   townships_per_county=geography.townships_per_county,
                   counties_per_city=geography.counties_per_city)


def _estimates(panel: pd.DataFrame, vcov: object, seeds: BuildSettings) -> tuple[dict, dict]:
    """Estimate the analyses behind the claims, each once and without what the claims do not use.

    Returns the results by analysis and the data limits met, by analysis.
    """
    steps = {
        **model_steps(panel, vcov, draws=199, seed=_seed(seeds, "divergence")),
        # the pointwise intervals of the claim come from influence functions: no bootstrap needed
        "demonstration": lambda: {CS_NOT_YET.result: designation_effects(
            designation_frame(panel), "not_yet_treated").aggregate("dynamic")},
        "persistence": lambda: persistence_models(panel),
        "inequality": lambda: inequality_models(panel, draws=199, seed=_seed(seeds, "inequality")),
        "concentration": lambda: concentration_models(panel, draws=199, seed=_seed(seeds, "concentration")),
    }
    return run_steps(steps)


def _seed(settings: BuildSettings, analysis: str) -> int:
    from villageaid.registry import ANALYSES

    return int(settings.value("seed", ANALYSES[analysis]))


def _key_row(key: KeyEstimate, results: dict, panel: pd.DataFrame) -> pd.Series:
    """Return the row of the key's table (or model) that holds it, formatted as the paper reads it."""
    if isinstance(key.source, ModelSpec):
        try:
            return select_row(key.source.find(results).tidy(), key.where)
        except KeyError as exc:  # the model dropped the term: nothing in these data varies it
            raise NoVariationError(f"{key.source.id} has no row {key.where} ({exc}): the term was dropped as "
                                   "collinear on these data") from exc
    output: OutputSpec = key.source
    tidy, _ = resolve(output.writer)(OutputContext(output, panel, results))
    return select_row(tidy, key.where)


def claim_reading(key: KeyEstimate, results: dict, limits: dict[str, str], panel: pd.DataFrame) -> dict:
    """Read one claim from a replication's results: estimate, interval, verdict, or why it was not estimated.

    Returns the columns ``estimate``, ``conf_low``, ``conf_high``, ``verdict``, ``not_estimated`` (the data limit
    met, or "") and ``variance_fallback`` (why the errors are CRV1 instead of the jackknife, or "").
    """
    analysis = key.source.analysis if isinstance(key.source, ModelSpec) else key.source.needs[0]
    reading = {"estimate": np.nan, "conf_low": np.nan, "conf_high": np.nan, "verdict": "not estimated",
               "not_estimated": limits.get(analysis, ""), "variance_fallback": ""}
    if analysis not in results:
        return reading
    try:
        found = _key_row(key, results, panel)
    except DATA_LIMITS as exc:
        reading["not_estimated"] = f"{type(exc).__name__}: {exc}"
        return reading
    low, high = (float(found.get(column, np.nan)) for column in key.interval)
    estimate = float(found[key.column])
    reading.update(estimate=estimate, conf_low=low, conf_high=high, verdict=verdict(estimate, low, high, key.claim))
    if isinstance(key.source, ModelSpec):
        reading["variance_fallback"] = getattr(key.source.find(results), "fallback_reason", "") or ""
    return reading


def replication(seed: int, scenario_name: str, design: str) -> list[dict]:
    """One replication: each claim's estimate, 95% interval, truth and the paper's verdict."""
    data = simulate(design_scenario(scenario_name, design), seed=seed)
    tables, report = validate_tables(data.tables)
    if not report.ok:
        raise ValueError(f"simulated data failed validation: {report.errors[0].format()}")
    panel = build_panel(tables)
    vcov_name = resolve_variance("auto", panel)
    results, limits = _estimates(panel, paper_variance(vcov_name), BuildSettings())
    rows = []
    for key in CLAIMS:
        row = {"seed": seed, "scenario": scenario_name, "design": design, "vcov": vcov_name, "key": key.id,
               "hypothesis": key.hypothesis, "claim": key.claim, "truth": key_truth(data.truth, key)[0],
               **claim_reading(key, results, limits, panel)}
        rows.append(row)
    return rows


def replication_task(seed: int, index: int, tasks: tuple) -> list[dict]:
    """Task ``index`` of a discrimination study: one replication of the (scenario, design) it names."""
    scenario_name, design = tasks[index]
    return replication(seed, scenario_name, design)


def summarize(replications: pd.DataFrame) -> pd.DataFrame:
    """Share of replications with each verdict, per claim, scenario and design, with coverage of the truth.

    ``not_estimated`` counts the replications whose estimate could not be computed (shares are of the others);
    ``coverage`` is the share of 95% intervals that contain the truth, where the scenario defines one.
    """
    out = []
    order = {key.id: i for i, key in enumerate(CLAIMS)}
    for (key, hypothesis, scenario, design), group in replications.groupby(
            ["key", "hypothesis", "scenario", "design"], sort=False):
        estimated = group.loc[group["verdict"] != "not estimated"]
        shares = {v: float((estimated["verdict"] == v).mean()) if len(estimated) else np.nan for v in VERDICTS}
        with_truth = estimated.loc[estimated["truth"].notna()]
        covered = ((with_truth["conf_low"] <= with_truth["truth"]) & (with_truth["truth"] <= with_truth["conf_high"]))
        out.append({"key": key, "hypothesis": hypothesis, "scenario": scenario, "design": design,
                    "replications": len(group), "not_estimated": len(group) - len(estimated),
                    "variance_fallbacks": int((estimated["variance_fallback"] != "").sum()),
                    **shares, "truth": float(group["truth"].mean()) if group["truth"].notna().any() else np.nan,
                    "mean_estimate": float(estimated["estimate"].mean()) if len(estimated) else np.nan,
                    "coverage": float(covered.mean()) if len(with_truth) else np.nan, "order": order[key]})
    summary = pd.DataFrame(out)
    scenario_order = {name: i for i, name in enumerate(STUDY_SCENARIOS)}
    summary["scenario_order"] = summary["scenario"].map(scenario_order)
    summary["design_order"] = summary["design"].map({d: i for i, d in enumerate(DESIGNS)})
    return (summary.sort_values(["order", "design_order", "scenario_order"], kind="mergesort")
            .drop(columns=["order", "scenario_order", "design_order"]).reset_index(drop=True))
