"""The simulation studies in the paper: the discrimination table, coverage and the robustness text.

Formatted from the studies' summaries (never re-estimated): :func:`discrimination_table` shows, for each claim,
the share of replications in which the paper's verdict reads supported (and contradicted) under each scenario and
design; :func:`coverage_table` the coverage of the 95% intervals; :func:`robustness_text` says in words what the
two-county design can and cannot tell apart, leading with its power.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.registry import BY_ID
from villageaid.report.render import ColumnGroup, FormattedTable

DESIGN_LABELS = {"two_county": "Two counties (270 villages)", "many_county": "40 counties (3,200 villages)"}


def _percent(value: float) -> str:
    return "–" if not np.isfinite(value) else f"{100 * value:.0f}"


def _claim_label(key: str) -> str:
    estimate = BY_ID[key]
    direction = "+" if estimate.claim > 0 else "−"
    return f"{estimate.hypothesis} ({direction}): {estimate.description}"


def _grid(summary: pd.DataFrame, cell: callable) -> tuple[list[str], list[ColumnGroup], list[list[str]]]:
    designs = list(dict.fromkeys(summary["design"]))
    scenarios = list(dict.fromkeys(summary["scenario"]))
    indexed = summary.set_index(["key", "design", "scenario"])
    columns = ["Claim (direction)"] + [s for _ in designs for s in scenarios]
    groups = [ColumnGroup("", 1)] + [ColumnGroup(DESIGN_LABELS.get(d, d), len(scenarios)) for d in designs]
    rows = []
    for key in dict.fromkeys(summary["key"]):
        row = [_claim_label(key)]
        for design in designs:
            for scenario in scenarios:
                row.append(cell(indexed.loc[(key, design, scenario)]) if (key, design, scenario) in indexed.index
                           else "")
        rows.append(row)
    return columns, groups, rows


def discrimination_table(summary: pd.DataFrame, *, note: str) -> FormattedTable:
    """Share of replications reading supported / contradicted, per claim, scenario and design (percent)."""
    columns, groups, rows = _grid(summary, lambda r: f"{_percent(r['supported'])} / {_percent(r['contradicted'])}")
    reps = int(summary["replications"].max()) if len(summary) else 0
    notes = ["Each cell: the percentage of replications in which the paper's verdict on the claim reads "
             "supported / contradicted at the 5% level (the rest: undetermined), from "
             f"{reps} replications of each scenario at each design, estimated as the tables estimate them "
             "(village jackknife with two counties, CRV1 by county with forty: VCOV=auto). Under seed_true every "
             "claim is true by construction, so 'supported' is the design's power; under null none is, so "
             "'supported' is a false positive (about 2.5% expected of a one-sided claim at 5%); the other "
             "scenarios make the paper wrong in a named way (data/README.md). Replications whose estimate could not "
             "be computed are left out of the shares and counted in the summary file.", note]
    return FormattedTable("Table 11. What the design can tell apart: the paper's verdicts across scenarios",
                          "tab:discrimination", columns, rows, groups, notes)


def coverage_table(summary: pd.DataFrame, *, note: str) -> FormattedTable:
    """Coverage (percent) of the 95% intervals of each claimed estimate, per scenario and design."""
    columns, groups, rows = _grid(summary, lambda r: _percent(r["coverage"]))
    notes = ["Percentage of replications whose 95% interval contains the truth the scenario put in (truth.json), "
             "where the scenario defines one; near 95 for an estimator that is unbiased with a correct variance. "
             "Below it under a scenario with an omitted mechanism (need_decline, spillover, hidden_selection) is "
             "the bias that mechanism causes.", note]
    return FormattedTable("Table 12. Coverage of the 95% intervals of the claimed estimates",
                          "tab:coverage", columns, rows, groups, notes)


def robustness_text(summary: pd.DataFrame) -> str:
    """Say what the design can tell apart, leading with the power of the two-county design."""
    if summary.empty:
        return ""

    def shares(design: str, scenario: str, column: str) -> pd.Series:
        part = summary.loc[(summary["design"] == design) & (summary["scenario"] == scenario)]
        return part.set_index("hypothesis")[column] if len(part) else pd.Series(dtype=float)

    text = []
    power = summary.loc[(summary["design"] == "two_county") & (summary["scenario"] == "seed_true")]
    if len(power):
        low, high = power["supported"].min(), power["supported"].max()
        weak = power.loc[power["supported"] < 0.5]
        text.append(f"At the source paper's design, two counties, the claims read supported in {100 * low:.0f}% to "
                    f"{100 * high:.0f}% of replications even though every one is true by construction; "
                    f"{len(weak)} of {len(power)} are found less than half the time ("
                    + ", ".join(f"{r.hypothesis} {100 * r.supported:.0f}%" for r in weak.itertuples()) + ").")
    null = summary.loc[summary["scenario"] == "null"]
    if len(null):
        worst = null.sort_values("supported").iloc[-1]
        text.append(f"Under the full null, no claim reads supported in more than {100 * worst['supported']:.0f}% of "
                    f"replications ({worst['hypothesis']}, {DESIGN_LABELS.get(worst['design'], worst['design'])}).")
    many = summary.loc[(summary["design"] == "many_county") & (summary["scenario"] == "seed_true")]
    if len(many):
        text.append(f"With forty counties the same claims read supported in {100 * many['supported'].min():.0f}% "
                    f"to {100 * many['supported'].max():.0f}% of replications.")
    # A claim that is false in a scenario (its truth is zero or of the other sign) but reads supported there.
    claims = summary["key"].map(lambda key: BY_ID[key].claim)
    false_claim = summary["truth"].notna() & (summary["truth"] * claims <= 0)
    fooled = summary.loc[false_claim & (summary["scenario"] != "null") & (summary["supported"] >= 0.5)]
    if len(fooled):
        text.append("Where a scenario makes a claim false, the verdict still reads 'supported' in most replications "
                    "for: " + "; ".join(f"{r.hypothesis} under {r.scenario} ({DESIGN_LABELS.get(r.design, r.design)}, "
                                        f"{100 * r.supported:.0f}%)" for r in fooled.itertuples())
                    + ": there the paper's verdict cannot tell its account from that alternative.")
    return " ".join(text)
