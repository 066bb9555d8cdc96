"""Table 0: every argument of the source paper, the test of it as stated and its verdict, or why it is untestable.

Generated from :data:`villageaid.registry.ARGUMENTS` and the tidy tables of the same build (it is written after
them): a key estimate's verdict is its 95% interval against the claimed sign (one-sided bounds where the claim is
tested one-sided), "descriptive" for a number without a claimed direction, and "not estimated" where these data
could not give it.
"""

from __future__ import annotations

import math

import pandas as pd

from villageaid.registry import ARGUMENTS, BY_ID
from villageaid.report.context import OutputContext
from villageaid.report.paper_text import _row, verdict
from villageaid.report.render import FormattedTable


def key_verdicts(tables_dir: object) -> pd.DataFrame:
    """Return one row per argument and key estimate: the value, its interval and the verdict."""
    rows = []
    for argument in ARGUMENTS:
        for key in argument.keys or (None,):
            record = {"argument": argument.number, "hypothesis": argument.hypothesis,
                      "key": "" if key is None else key.id, "estimate": math.nan, "conf_low": math.nan,
                      "conf_high": math.nan,
                      "verdict": "not testable with these records" if key is None else "not estimated"}
            if key is not None:
                row = _row(tables_dir, key)
                if row is not None and math.isfinite(float(row[key.column])):
                    value = float(row[key.column])
                    low, high = ((float(row.get(c, math.nan)) for c in key.interval) if key.interval
                                 else (math.nan, math.nan))
                    record.update(estimate=value, conf_low=low, conf_high=high,
                                  verdict=verdict(value, low, high, key.claim) if key.claim else "descriptive")
            rows.append(record)
    return pd.DataFrame(rows)


def table0(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 0: the source paper's arguments, their tests and verdicts, and what cannot be tested."""
    verdicts = key_verdicts(context.tables_dir)
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
                results.append(f"{key.description}: {r.estimate:.3f} ({bounds} {r.conf_low:.3f}, {r.conf_high:.3f}) "
                               f"— {r.verdict}")
            else:
                results.append(f"{key.description}: not estimated on these data")
        if argument.untestable:
            results.append(f"Not tested: {argument.untestable}")
        rows.append([str(argument.number), f"{argument.text} ({argument.text_zh}; {argument.where})",
                     argument.hypothesis or "—", argument.test, "; ".join(results)])
    notes = ["Every argument of the source paper (Lan & Cheng), the test of it as the paper states it and its "
             "verdict on these data at the 5% level: supported (the interval excludes zero on the claimed side), "
             "contradicted (on the other side) or undetermined; where the records cannot test an argument, what "
             "data would. Descriptive numbers carry no verdict.", context.note]
    formatted = FormattedTable(context.title, context.label, ["#", "Argument", "Hypothesis", "Test", "Result"],
                               rows, [], notes, paragraph_widths=("0.03", "0.25", "0.07", "0.22", "0.33"))
    return verdicts, formatted
