"""Table 0: every argument of the source paper, the test of it as stated and its verdict, or why it is untestable.

Generated from :data:`villageaid.registry.ARGUMENTS` and the tidy tables of the same build (it is written after
them): a key estimate's verdict is its 95% interval against the claimed sign (one-sided bounds where the claim is
tested one-sided), "descriptive" for a number without a claimed direction, and "not estimated" where these data
could not give it.
"""

from __future__ import annotations

import math

import pandas as pd

from villageaid.analysis.claim_family import ClaimFamily, one_sided_p
from villageaid.registry import ARGUMENTS, BY_ID
from villageaid.report.context import OutputContext
from villageaid.report.paper_results import read_row, verdict
from villageaid.report.render import FormattedTable


def key_verdicts(tables_dir: object, family: ClaimFamily | None = None) -> pd.DataFrame:
    """Return one row per argument and key estimate: the value, its interval, the verdict and its p-values.

    ``p_one_sided`` is the p-value of the claimed direction as the tables report the test; ``p_romano_wolf`` the
    step-down adjusted one over ``family`` (NaN outside it, or without a family).
    """
    rows = []
    for argument in ARGUMENTS:
        for key in argument.keys or (None,):
            record = {"argument": argument.number, "hypothesis": argument.hypothesis,
                      "key": "" if key is None else key.id, "estimate": math.nan, "conf_low": math.nan,
                      "conf_high": math.nan,
                      "verdict": "not testable with these records" if key is None else "not estimated"}
            if key is not None:
                row = read_row(tables_dir, key)
                if row is not None and math.isfinite(float(row[key.column])):
                    value = float(row[key.column])
                    low, high = ((float(row.get(c, math.nan)) for c in key.interval) if key.interval
                                 else (math.nan, math.nan))
                    record.update(estimate=value, conf_low=low, conf_high=high,
                                  verdict=verdict(value, low, high, key.claim) if key.claim else "descriptive")
                    if key.claim and "p_value" in row and "statistic" in row:
                        record["p_one_sided"] = one_sided_p(value, float(row["statistic"]), float(row["p_value"]),
                                                            key.claim)
            rows.append(record)
    frame = pd.DataFrame(rows)
    frame["p_one_sided"] = frame.get("p_one_sided", pd.Series(math.nan, index=frame.index)).astype(float)
    adjusted = {} if family is None else family.adjust(
        frame.drop_duplicates("key").set_index("key")["p_one_sided"].dropna().to_dict())
    frame["p_romano_wolf"] = frame["key"].map(adjusted).astype(float)
    return frame


def family_note(family: ClaimFamily, verdicts: pd.DataFrame) -> str:
    """Say how the p-values were adjusted for testing many claims, and which claims stay outside the family."""
    tested = verdicts.dropna(subset=["p_romano_wolf"]).drop_duplicates("key")
    if tested.empty:
        return "No claim could enter the Romano–Wolf family on these data: p-values are not adjusted."
    passing = int((tested["p_one_sided"] <= 0.05).sum())
    adjusted = int((tested["p_romano_wolf"] <= 0.05).sum())
    outside = verdicts.loc[verdicts["key"].isin(list(family.excluded)) & verdicts["estimate"].notna()]
    text = (f"p is one-sided in the claimed direction, from each table's own variance; Romano–Wolf p adjusts it "
            f"for testing the {len(tested)} claims with a model of their own together (familywise error; step-down "
            "with normal draws correlated as the estimates, from their influences by "
            f"{family.cluster}, {family.draws:,} draws, seed {family.seed}). {passing} of them have p ≤ 0.05, "
            f"{adjusted} keep it after adjustment.")
    if len(outside):
        reasons = "; ".join(f"{BY_ID[k].description.split(' (')[0]}: {family.excluded[k]}"
                            for k in dict.fromkeys(outside["key"]))
        text += f" Outside the family: {reasons}."
    return text


def table0(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 0: the source paper's arguments, their tests and verdicts, and what cannot be tested."""
    family: ClaimFamily = context.analysis("claim_family")
    verdicts = key_verdicts(context.tables_dir, family)
    rows: list[list[str]] = []
    for argument in ARGUMENTS:
        found = verdicts.loc[verdicts["argument"] == argument.number]
        results = []
        for r in found.itertuples(index=False):
            if not r.key:
                continue
            key = BY_ID[r.key]
            if math.isfinite(r.estimate) and key.interval is None:
                value = f"{r.estimate:,.0f}" if key.scale == "count" else f"{r.estimate:.3f}"
                results.append(f"{key.description}: {value} — {r.verdict}")
            elif math.isfinite(r.estimate):
                bounds = "one-sided bounds" if key.one_sided else "95% CI"
                p_values = ""
                if math.isfinite(r.p_one_sided):
                    p_values = f"; p = {r.p_one_sided:.3f}"
                    p_values += (f", Romano–Wolf p = {r.p_romano_wolf:.3f}" if math.isfinite(r.p_romano_wolf)
                                 else ", outside the Romano–Wolf family")
                results.append(f"{key.description}: {r.estimate:.3f} ({bounds} {r.conf_low:.3f}, {r.conf_high:.3f}"
                               f"{p_values}) — {r.verdict}")
            else:
                results.append(f"{key.description}: not estimated on these data")
        if argument.untestable:
            results.append(f"Not tested: {argument.untestable}")
        rows.append([str(argument.number), f"{argument.text} ({argument.text_zh}; {argument.where})",
                     argument.hypothesis or "—", argument.test, "; ".join(results)])
    notes = ["Every argument of the source paper (Lan & Cheng), the test of it as the paper states it and its "
             "verdict on these data at the 5% level: supported (the interval excludes zero on the claimed side), "
             "contradicted (on the other side) or undetermined; where the records cannot test an argument, what "
             "data would. Descriptive numbers carry no verdict.", family_note(family, verdicts), context.note]
    formatted = FormattedTable(context.title, context.label, ["#", "Argument", "Hypothesis", "Test", "Result"],
                               rows, [], notes, paragraph_widths=("0.03", "0.25", "0.07", "0.22", "0.33"))
    return verdicts, formatted
