"""Power for study design: how many counties and villages it takes to detect H3 and H4.

For each design (number of counties, villages per county, effect size) the default process is simulated
with the strong-alliance coefficient after 2021 set to the effect size (and none before, so the H4 triple
interaction equals it too), and the share of replications in which the PPML test rejects at 5% is the power.
A replication whose jackknife is undefined tests with CRV1 errors (noted, counted in ``variance_fallbacks``); one
whose test cannot be computed counts as no rejection (``not_estimated``). Neither stops the study.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from villageaid.analysis import allocation_models, logic_shift_models
from villageaid.estimators.limits import DATA_LIMITS
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.registry import SHIFT_PPML, TRANSITION_PPML
from villageaid.simulation import Scenario, seed_true, simulate


def design_scenario(counties: int, villages_per_county: int, effect: float) -> Scenario:
    """Return the default process with the given counties and villages, and H3 = H4 = ``effect``."""
    base = seed_true()
    townships = max(1, round(villages_per_county / 15))
    transition = tuple((k, effect if k == "city_x_rich" else v) for k, v in base.coefficients_transition)
    campaign = tuple((k, 0.0 if k == "city_x_rich" else v) for k, v in base.coefficients_campaign)
    return replace(base, name=f"design_{counties}x{villages_per_county}_effect{effect:g}",
                   description="Power design", county_names=tuple(f"K{c + 1}" for c in range(counties)),
                   villages_per_county=(villages_per_county,) * counties, townships_per_county=(townships,) * counties,
                   counties_per_city=min(counties, 8), coefficients_transition=transition,
                   coefficients_campaign=campaign)


def power_replication(seed: int, design: tuple[int, int, float]) -> dict:
    """Run one replication of one design and return the p-values of the H3 and H4 tests."""
    counties, villages, effect = design
    data = simulate(design_scenario(counties, villages, effect), seed=seed)
    tables, _ = validate_tables(data.tables)
    panel = build_panel(tables)
    row = {"counties": counties, "villages_per_county": villages, "effect": effect, "seed": seed}
    for hypothesis, estimate, spec in (
            ("H3", lambda: allocation_models(panel, period="transition", bootstrap_draws=0).ppml, TRANSITION_PPML),
            ("H4", lambda: logic_shift_models(panel, bootstrap_draws=0, event_studies=False).ppml, SHIFT_PPML)):
        try:
            model = estimate()
            row[f"{hypothesis}_p"] = float(model.pvalues[spec.key_term])
            row[f"{hypothesis}_note"] = model.fallback_reason or ""
        except DATA_LIMITS as exc:  # a design these data cannot support: recorded, never the end of the run
            row[f"{hypothesis}_p"] = np.nan
            row[f"{hypothesis}_note"] = f"not estimated: {type(exc).__name__}: {exc}"
    return row


def power_task(seed: int, index: int, designs: tuple) -> dict:
    """Task ``index`` of a power study: one replication of ``designs[index]``."""
    return power_replication(seed, designs[index])


def summarize_power(rows: pd.DataFrame, *, target: float = 0.8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Power by design and hypothesis, and the fewest counties that reach ``target`` power."""
    long = rows.melt(id_vars=["counties", "villages_per_county", "effect", "seed"], value_vars=["H3_p", "H4_p"],
                     var_name="hypothesis", value_name="p_value")
    long["hypothesis"] = long["hypothesis"].str.replace("_p", "", regex=False)
    notes = rows.melt(id_vars=["counties", "villages_per_county", "effect", "seed"],
                      value_vars=[c for c in ("H3_note", "H4_note") if c in rows], var_name="hypothesis",
                      value_name="note")
    notes["hypothesis"] = notes["hypothesis"].str.replace("_note", "", regex=False)
    long = long.merge(notes, on=["counties", "villages_per_county", "effect", "seed", "hypothesis"], how="left")
    long["note"] = long["note"].fillna("")
    # Power counts a test that could not be computed as no rejection; how many were undefined is reported.
    power = (long.assign(reject=long["p_value"] < 0.05, not_estimated=long["note"].str.startswith("not estimated"),
                         fallback=long["note"].str.startswith("CRV3 undefined"))
             .groupby(["hypothesis", "effect", "villages_per_county", "counties"])
             .agg(power=("reject", "mean"), replications=("reject", "size"), not_estimated=("not_estimated", "sum"),
                  variance_fallbacks=("fallback", "sum")).reset_index())
    needed = []
    for (hypothesis, effect, villages), group in power.groupby(["hypothesis", "effect", "villages_per_county"]):
        reached = group.loc[group["power"] >= target, "counties"]
        needed.append({"hypothesis": hypothesis, "effect": effect, "villages_per_county": villages,
                       f"counties_for_{int(target * 100)}pct_power": int(reached.min()) if len(reached) else np.nan})
    return power, pd.DataFrame(needed)
