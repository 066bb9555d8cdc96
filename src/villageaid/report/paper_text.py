"""The paper's data-dependent text, rendered from the stored results (never re-estimated).

``paper_text.tex`` defines LaTeX macros that ``paper/main.tex`` uses: the edition line of the title page,
what the data are, one sentence per claim of the source paper (sign, size with its unit, 95% interval and
whether the claim is supported, contradicted or undetermined at the 5% level), the pre-trend evidence,
the limitations that apply to these data (few clusters, few villages carrying a coefficient, failed
pre-trend tests) and the data label of every caption. "Simulated" appears only for simulated data.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.analysis.truth import carrying_villages, panel_truth
from villageaid.io.write import write_text
from villageaid.registry import (
    CS_UNIVERSAL,
    KEY_ESTIMATES,
    OUTPUTS,
    RICH_ASINH,
    RICH_PPML,
    SENSITIVITY_RESTRICTIONS,
    TABLE5,
    TABLE5B,
    TABLE6C,
    TABLE9,
    TABLE10,
    KeyEstimate,
    Restriction,
    sensitivity_id,
)
from villageaid.report.key_numbers import select_row
from villageaid.report.render import latex_escape
from villageaid.report.tables import (
    MIN_BOOTSTRAP_CLUSTERS,
    MIN_CARRYING_VILLAGES,
    MIN_VARIANCE_CLUSTERS,
    PERIOD_YEARS,
    sample_facts,
)

LEVEL = 0.05
def verdict(estimate: float, low: float, high: float, claim: int) -> str:
    """Return "supported", "contradicted" or "undetermined": the 95% interval against the claimed sign."""
    if not all(map(math.isfinite, (estimate, low, high))):
        return "undetermined"
    if (claim > 0 and low > 0) or (claim < 0 and high < 0):
        return "supported"
    if (claim > 0 and high < 0) or (claim < 0 and low > 0):
        return "contradicted"
    return "undetermined"


def describe_size(value: float, scale: str) -> str:
    """Describe a coefficient in its unit (percent change for log-scale models)."""
    if scale in ("semi_elasticity", "asinh"):
        approx = "about " if scale == "asinh" else ""
        return f"{approx}{100 * (math.exp(value) - 1):+.0f}% in funding"
    if scale == "logit":
        return f"odds multiplied by {math.exp(value):.2f} per standard deviation of endowment"
    if scale == "elasticity":
        return f"{value:.2f} of last year's log funding carried into this year's"
    if scale == "index":
        return f"{value:+.3f} index points"
    if scale == "return":
        return (f"about {100 * (math.exp(value) - 1):+.1f}% in the outcome per unit of asinh(funding), i.e. "
                "per e-fold increase in funding")
    if scale == "per_growth":
        return f"{100 * (math.exp(0.1 * value) - 1):+.1f}% in funding per 10 points of last year's income growth"
    if scale == "return_change":
        return f"{100 * value:+.1f} percentage points of that return per standard deviation of endowment"
    return f"{value:.3f}"


def _row(tables_dir: Path, key: KeyEstimate) -> pd.Series | None:
    try:
        return select_row(pd.read_csv(tables_dir / key.file), key.selection)
    except (OSError, KeyError):
        return None


def claim_sentences(tables_dir: Path) -> list[str]:
    """One sentence per key estimate that tests a claim, from the tidy tables."""
    sentences = []
    for key in KEY_ESTIMATES:
        if key.claim == 0 or key.interval is None:
            continue
        row = _row(tables_dir, key)
        if row is None or not np.isfinite(float(row[key.column])):
            sentences.append(f"{key.hypothesis}: {key.description} could not be estimated on these data.")
            continue
        value = float(row[key.column])
        low, high = (float(row.get(c, np.nan)) for c in key.interval)
        result = verdict(value, low, high, key.claim)
        direction = "positive" if key.claim > 0 else "negative"
        wording = {"supported": f"the claim ({direction}) is supported at the {LEVEL:.0%} level",
                   "contradicted": f"the estimate contradicts the claim ({direction}) at the {LEVEL:.0%} level",
                   "undetermined": f"the data cannot tell at the {LEVEL:.0%} level whether the claim "
                                   f"({direction}) holds"}[result]
        interval = (f"one-sided 95% bounds {low:.3f} and {high:.3f}" if key.one_sided
                    else f"95% CI {low:.3f} to {high:.3f}")
        sentences.append(f"{key.hypothesis}: {key.description} is {value:.3f} ({describe_size(value, key.scale)}; "
                         f"{interval}); {wording}.")
    return sentences


def pre_trend_sentence(tables_dir: Path) -> tuple[str, list[str]]:
    """Return the sentence on the event studies' pre-trend tests and the models whose test rejects."""
    try:
        table = pd.read_csv(tables_dir / f"{TABLE5.stem}.csv")
    except OSError:
        return "The event studies could not be estimated on these data.", []
    if "term" not in table or "p_value" not in table:  # the table explains why it was not estimated
        return "The event studies could not be estimated on these data (see Table 5).", []
    tests = table.loc[table["term"] == "pre_trend_test"]
    if tests.empty:
        return "The event studies have no pre-2020 years to test.", []
    failed = [str(r.model) for r in tests.itertuples() if r.p_value < LEVEL]
    shown = "; ".join(f"{r.model}: p = {r.p_value:.3f}" for r in tests.itertuples())
    post = table.loc[(table["model_id"] == RICH_PPML.id) & (table["term"] != "pre_trend_test")
                     & (pd.to_numeric(table["period"], errors="coerce") >= 2021)]
    significant = int((post["p_value"] < LEVEL).sum()) if "p_value" in post else 0
    slopes = table.loc[table["term"].astype(str).str.startswith("pretrend_slope_")]
    power_text = ""
    for model, label in ((RICH_ASINH, "rich × year (asinh)"), (RICH_PPML, "rich × year (PPML)")):
        rows = slopes.loc[slopes["model_id"] == model.id].set_index("term")["estimate"]
        if {"pretrend_slope_50", "pretrend_slope_80"} <= set(rows.index):
            power_text += (f" For {label}, a linear violation of parallel trends of {rows['pretrend_slope_50']:.3f} "
                           f"per year would pass the pre-test half of the time, and one of "
                           f"{rows['pretrend_slope_80']:.3f} one time in five (Roth 2022).")
    text = (f"Joint tests that all pre-2020 event-study coefficients are zero: {shown}. "
            + ("They reject for " + ", ".join(failed) + ", so parallel trends are in doubt there. " if failed else
               "None rejects at 5%, which is weak evidence for parallel trends when the tests have little power. ")
            + f"Of the {len(post)} rich × year coefficients (PPML) from 2021 on, {significant} "
              f"{'is' if significant == 1 else 'are'} significant at 5%." + power_text)
    return text, failed


def _breakdown_phrases(tables_dir: Path, restriction: Restriction, bound: str, unit: str) -> list[str]:
    """Phrases on the breakdown value of each H4/H5 model under one restriction, read from the tidy tables."""
    parts = []
    for output, models in ((TABLE5B, ((RICH_ASINH, "the 2021 rich × year effect (asinh)"),
                                      (RICH_PPML, "the 2021 rich × year effect (PPML)"))),
                           (TABLE6C, ((CS_UNIVERSAL, "the effect of designation in its first year "
                                                     "(Callaway–Sant'Anna)"),))):
        try:
            table = pd.read_csv(tables_dir / f"{output.stem}.csv")
        except OSError:
            continue
        if "term" not in table or "model_id" not in table:
            continue
        for model, label in models:
            rows = table.loc[table["model_id"] == sensitivity_id(model, restriction)]
            breakdown = rows.loc[rows["term"] == "breakdown", "estimate"]
            grid = rows.loc[rows["term"].astype(str).str.startswith("M="), "M"]
            if breakdown.empty or grid.empty:
                continue
            value = float(breakdown.iloc[0])
            if not np.isfinite(value):
                parts.append(f"{label} is not significant even under exact parallel trends")
            elif value >= float(grid.max()):
                parts.append(f"{label} stays significant over the whole grid (up to {bound} = {value:.3f})")
            else:
                parts.append(f"{label} stays significant up to {bound} = {value:.3f}{unit} (the breakdown value)")
    return parts


def sensitivity_sentence(tables_dir: Path) -> str:
    """Return the sentences on how large a violation of parallel trends would overturn the H4 and H5 effects."""
    smooth_restriction, relative_restriction = SENSITIVITY_RESTRICTIONS
    smooth = _breakdown_phrases(tables_dir, smooth_restriction, "M",
                                " per year of change in the slope of the difference in trends")
    relative = _breakdown_phrases(tables_dir, relative_restriction, "M̄",
                                  " times the largest pre-period change in the difference in trends")
    text = ""
    if smooth:
        text += ("Under smoothness restrictions (Rambachan and Roth 2023; Tables 5b and 6c), " + "; ".join(smooth)
                 + ".")
    if relative:
        text += (" Under relative magnitudes, which bound each post-period change in the difference in trends by "
                 "M̄ times the largest pre-period one, " + "; ".join(relative) + ".")
    try:
        table6c = pd.read_csv(tables_dir / f"{TABLE6C.stem}.csv")
        slopes = table6c.loc[table6c["term"].astype(str).str.startswith("pretrend_slope_")].set_index("term")
        text += (f" For the designation effects, the pre-test would detect a linear violation of "
                 f"{slopes.loc['pretrend_slope_50', 'estimate']:.3f} per year half of the time and one of "
                 f"{slopes.loc['pretrend_slope_80', 'estimate']:.3f} with 80% probability.")
    except (OSError, KeyError):
        pass
    return text


def policy_sentence(tables_dir: Path) -> str:
    """Return the sentences on what the logics and recommendations would change (Table 9), from its tidy table.

    Every number, and which policy ranks first under which return shape, is read from the table.
    """
    try:
        table = pd.read_csv(tables_dir / f"{TABLE9.stem}.csv")
        values = table.set_index(["shape", "policy", "measure"])
    except (OSError, KeyError):
        return ""
    if "estimate" not in values:
        return ""
    shapes = [s for s in POLICY_SHAPES_TEXT if s in set(table["shape"])]
    if not shapes:
        return ""
    first = shapes[0]

    def value(policy: str, measure: str, shape: str = first) -> float:
        return float(values.loc[(shape, policy, measure), "estimate"])

    def interval(policy: str, measure: str, digits: int = 0) -> str:
        row = values.loc[(first, policy, measure)]
        if not np.isfinite(row["conf_low"]):
            return f"{row['estimate']:+.{digits}f}"
        return (f"{row['estimate']:+.{digits}f} (95% interval {row['conf_low']:+.{digits}f} to "
                f"{row['conf_high']:+.{digits}f})")

    def best(measure: str, shape: str) -> list[str]:
        scores = {p: value(p, measure, shape) for p in POLICY_NAMES_TEXT if (shape, p, measure) in values.index}
        top = max(scores.values())
        return [p for p, v in scores.items() if np.isclose(v, top, rtol=1e-9, atol=1e-6)]

    def names(policies: list[str]) -> str:
        return " and ".join(POLICY_NAMES_TEXT[p] for p in policies)

    try:
        posts = round(value("status_quo", "city_posts"))
        text = (
            "Every policy keeps each county's total money; only 开源 adds a channel, shown apart (Table 9). Under "
            f"the estimated returns, precise matching of the two lists gives "
            f"{value('precise_matching', 'city_posts_rich_share'):.0%} of the {posts} city-level (and higher) posts "
            f"to rich villages, against {value('status_quo', 'city_posts_rich_share'):.0%} in the status quo and "
            f"{value('strong_alliance', 'city_posts_rich_share'):.0%} under the strong alliance, and "
            f"{value('precise_matching', 'city_posts_high_need_share'):.0%} to high-need villages; it changes "
            f"need-weighted welfare by {interval('precise_matching', 'welfare_change')} 元 a person. The campaign "
            "logic (雨露均沾: bottom line first, graded by need) leaves "
            f"{value('campaign', 'villages_below_line'):.0f} villages below the bottom line of per-capita income "
            f"against {value('status_quo', 'villages_below_line'):.0f} in the status quo, and moves the concentration "
            f"of funding by need from {value('status_quo', 'concentration_by_need'):+.3f} to "
            f"{value('campaign', 'concentration_by_need'):+.3f} (negative: towards the needy). ")
        rankings = []
        for shape in shapes:
            welfare, income = best("welfare_change", shape), best("collective_income_change", shape)
            if all(abs(value(p, "collective_income_change", shape)) < 1e-6 for p in POLICY_NAMES_TEXT
                   if (shape, p, "collective_income_change") in values.index):
                income_text = "no budget-neutral policy changes total collective income"
            else:
                income_text = f"{names(income)} raises total collective income most"
            rankings.append(f"with {POLICY_SHAPES_TEXT[shape]}, {names(welfare)} ranks first by need-weighted "
                            f"welfare and {income_text}")
        logics = []
        for measure, what in (("welfare_change", "need-weighted welfare"),
                              ("collective_income_change", "collective income")):
            more = [s for s in shapes if value("campaign", measure, s) > value("strong_alliance", measure, s) + 1e-6]
            less = [s for s in shapes if value("campaign", measure, s) < value("strong_alliance", measure, s) - 1e-6]
            parts = [f"more {what} than the strong alliance with {', '.join(POLICY_SHAPES_TEXT[s] for s in more)}"
                     if more else "", f"less with {', '.join(POLICY_SHAPES_TEXT[s] for s in less)}" if less else ""]
            logics.append(" and ".join(p for p in parts if p) or f"the same {what} as the strong alliance")
        changing = [what for measure, what in (("welfare_change", "need-weighted welfare"),
                                                ("collective_income_change", "collective income"))
                    if len({tuple(best(measure, s)) for s in shapes}) > 1
                    or len({value("campaign", measure, s) > value("strong_alliance", measure, s) for s in shapes}) > 1]
        verdict = (f"So the ranking by {' and by '.join(changing)} follows from the shape of the returns, which the "
                   "records can only partly tell apart (Table 8b), not from the policies alone." if changing else
                   "The rankings do not depend on the shape of the returns.")
        return (text + "Ranked against each other, " + "; ".join(rankings) + ". Between the paper's two logics, "
                "the campaign logic yields " + "; it yields ".join(logics) + ". " + verdict)
    except KeyError:
        return ""


#: The budget-neutral policies the text ranks, and how it names them.
POLICY_NAMES_TEXT = {"status_quo": "the status quo", "campaign": "the campaign logic",
                     "strong_alliance": "the strong alliance", "precise_matching": "precise matching",
                     "county_pooling": "county pooling", "cadre_reform": "the cadre reform"}
#: The return shapes in the order the text takes them (the first is the estimated one).
POLICY_SHAPES_TEXT = {"concave": "the estimated concave returns", "linear": "linear returns",
                      "complementarity": "returns rising with endowment (complementarity)",
                      "lumpy": "lumpy projects"}


#: The hypotheses about a county's allocation decisions (funding, postings, designation, county matching): with
#: few counties they rest on few decision-makers.
COUNTY_DECIDED = ("H1", "H2", "H3", "H4", "H5", "H8", "H9", "H11", "H12")


def fallback_sentences(tables_dir: Path) -> list[str]:
    """Return one sentence per table whose jackknife was undefined for a model, read from the tidy tables."""
    out = []
    for output in OUTPUTS:
        path = tables_dir / f"{output.stem}.csv"
        if output.kind != "table" or not path.is_file():
            continue
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        if "fallback_reason" not in table.columns:
            continue
        marked = table.loc[table["fallback_reason"] != "", ["model_id", "fallback_reason"]]
        if marked.empty:
            continue
        models = list(dict.fromkeys(marked["model_id"].astype(str)))
        reasons = "; ".join(dict.fromkeys(marked["fallback_reason"].astype(str)))
        out.append(f"In {output.title.split('.')[0]} the cluster jackknife is undefined for "
                   f"{len(models)} model{'s' if len(models) > 1 else ''} ({reasons}): their errors, marked with a "
                   "dagger, are CRV1 and too small where so few villages carry a coefficient.")
    return out


def truth_sentences(tables_dir: Path) -> list[str]:
    """Return what Table 10 shows: which key estimates miss the simulation's truth, which rest on few villages."""
    try:
        table = pd.read_csv(tables_dir / f"{TABLE10.stem}.csv")
    except OSError:
        return []
    known = table.loc[table["truth"].notna() & table["estimate"].notna()]
    missed = known.loc[known["covered"].astype(str) == "False"]
    out = [f"Table 10 sets each key estimate beside the value the simulation put in: {len(known) - len(missed)} of "
           f"{len(known)} 95% intervals contain it."]
    if len(missed):
        out.append("These miss it: " + "; ".join(
            f"{r.hypothesis}, {r.description}: {r.estimate:.3f} against {r.truth:.3f}" for r in missed.itertuples())
                   + ". An interval that misses can be chance (one in twenty should), a bias of the estimator at "
                     "this size, or a model that leaves out a mechanism of the scenario.")
    fragile = table.loc[table["carrying_villages"] < MIN_CARRYING_VILLAGES]
    if len(fragile):
        out.append(f"Estimates resting on fewer than {MIN_CARRYING_VILLAGES} villages in some period: " + "; ".join(
            f"{r.hypothesis}, {r.description} ({r.carrying_detail})" for r in fragile.itertuples()) + ".")
    return out


def limitations(panel: pd.DataFrame, failed_pre_trends: list[str], tables_dir: Path | None = None) -> list[str]:
    """Return what limits inference on these data, computed from the panel (and the tables' variance fallbacks)."""
    facts = sample_facts(panel)
    out = []
    if facts["simulated"]:
        out.append("The data are simulated: they show what the methods recover at this size, and nothing about "
                   "real counties.")
        if tables_dir is not None:
            out += truth_sentences(tables_dir)
    else:
        out.append(f"The estimates describe the records used ({facts['source']}); they are associations "
                   "in these counties and years, identified under the assumptions stated with each table.")
    if facts["counties"] < MIN_VARIANCE_CLUSTERS:
        counties = facts["counties"]
        out.append(f"Funding, postings and designations are allocated by each county: with {counties} "
                   f"count{'y' if counties == 1 else 'ies'}, the claims about allocation ("
                   f"{', '.join(COUNTY_DECIDED)}) rest on {counties} decision-maker{'' if counties == 1 else 's'}' "
                   "choices, however many villages they hold; the village-clustered errors describe villages within "
                   "these counties, not other counties. The claims about outcomes (H6, H10) and inequality (H7) "
                   "rest on villages' responses, but in these counties' settings only.")
    if facts["townships"] < MIN_BOOTSTRAP_CLUSTERS:
        out.append(f"The wild bootstrap clusters by {facts['townships']} townships, fewer than "
                   f"{MIN_BOOTSTRAP_CLUSTERS}; where fewer than ten of them hold the tested term its weights are "
                   "drawn by village within them (the subcluster bootstrap), which is not exact either: its p-values "
                   "are a rough guide.")
    if facts["villages"] < MIN_VARIANCE_CLUSTERS:
        out.append(f"The variances rest on {facts['villages']} villages, fewer than {MIN_VARIANCE_CLUSTERS} "
                   "clusters.")
    for period, carrying in (carrying_villages(panel, "city_x_rich") or {}).items():
        if carrying < MIN_CARRYING_VILLAGES:
            out.append(f"Only {carrying} village{' carries' if carrying == 1 else 's carry'} the strong-alliance "
                       f"coefficient (a city-level unit and rich) in {PERIOD_YEARS[period]}: it is fragile.")
    if failed_pre_trends:
        out.append("The pre-trend test rejects for " + ", ".join(failed_pre_trends) + ".")
    if tables_dir is not None:
        out += fallback_sentences(tables_dir)
    out.append("The typology uses the upper tercile of the county's endowment index as rich (with a median split "
               "the source paper's finding that type C is the most common and type A the rarest cannot hold "
               "arithmetically). Records bring measurement problems that validation reports but cannot fix.")
    return out


def data_text(panel: pd.DataFrame) -> str:
    """Describe the data actually used."""
    facts = sample_facts(panel)
    types = ", ".join(f"{t}: {n}" for t, n in facts["types_transition"].items())
    counts = (f"{facts['counties']} count{'y' if facts['counties'] == 1 else 'ies'}, {facts['townships']} "
              f"townships and {facts['villages']} villages, {facts['first_year']}–{facts['last_year']} "
              f"(village types in 2021–2025: {types})")
    if facts["simulated"]:
        scenario = (panel_truth(panel) or {}).get("scenario", {})
        return (f"The data are simulated ({facts['source']}): {counts}. Scenario {scenario.get('name', 'unknown')}: "
                f"{scenario.get('description', '')} A latent endowment drives baseline characteristics; dispatching "
                "units are assigned at the start of the campaign and re-selected in 2021; demonstration villages "
                "are designated in waves from 2021; funding from four sources has an expected value log-linear in "
                "unit level, richness, their interaction and years since designation, with the coefficients the "
                "scenario sets. The true effects are written beside the data (truth.json), and Table 10 sets the "
                "paper's key estimates beside them.")
    return (f"The data are county records: {facts['source']}; {counts}. They were read through villageaid's "
            "header map and validated with a report of every problem before use; the provenance (files, amount "
            "units) is written beside the validated tables.")


def write_paper_text(tables_dir: Path, panel: pd.DataFrame) -> Path:
    """Write ``paper_text.tex`` (LaTeX macros of the paper's data-dependent text) into ``tables_dir``."""
    facts = sample_facts(panel)
    pre_trend, failed = pre_trend_sentence(tables_dir)
    if facts["simulated"]:
        scenario = (panel_truth(panel) or {}).get("scenario", {})
        edition = (f"Simulated-data edition, scenario {scenario.get('name', 'unknown')} "
                   f"({scenario.get('description', '').rstrip('.')}): every estimate below comes from simulated data")
        caption = "simulated data"
        abstract = ("The data used here are simulated from a documented process calibrated to the paper; the "
                    "results show what the methods recover and how precisely, not what happened in real counties.")
    else:
        edition = f"Results on county records: {facts['source']}"
        caption = f"records: {facts['source']}"
        abstract = (f"The results below are estimated on county records ({facts['source']}: {facts['villages']} "
                    f"villages in {facts['counties']} count{'y' if facts['counties'] == 1 else 'ies'}).")
    macros = {
        "VAEdition": edition,
        "VADataCaption": caption,
        "VAAbstractData": abstract,
        "VADataText": data_text(panel),
        "VAResultsText": " ".join(claim_sentences(tables_dir)) + " " + pre_trend + " "
                         + sensitivity_sentence(tables_dir),
        "VALimitationsText": " ".join(limitations(panel, failed, tables_dir)),
        "VATruthText": " ".join(truth_sentences(tables_dir)),
        "VAPolicyText": policy_sentence(tables_dir) or "Table 9 could not be computed on these data.",
    }
    lines = ["% Generated by villageaid from the tidy tables and the panel; do not edit."]
    for name, text in macros.items():
        lines.append(f"\\newcommand{{\\{name}}}{{{latex_escape(text)}}}")
    return write_text(tables_dir / "paper_text.tex", "\n".join(lines) + "\n")
