"""The paper's data-dependent text, rendered from the stored results (never re-estimated): the English edition.

``paper_text.tex`` defines LaTeX macros that ``paper/main.tex`` uses: the edition line of the title page, what
the data are, the number of hypotheses (counted from the registry), the results grouped by claim (one sentence
form per kind of result: estimate, claimed sign, 95% interval, size in its unit, verdict at the 5% level; then
the estimates of related models that run against the claim, the wild bootstrap beside the jackknife, and what
the evidence means), the pre-trend tests and their power, the breakdown values in one sentence, the fragile
results (each computed: failed pre-trend tests, few clusters, weak first stages, unbounded Anderson–Rubin sets,
jackknife fallbacks, coefficients carried by few villages, few treated townships), the limitations, the policy
text and the conclusion. The facts come from :mod:`villageaid.report.paper_results`, which the Chinese edition
(:mod:`villageaid.report.paper_text_zh`) shares. "Simulated" appears only for simulated data.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.analysis.truth import panel_truth
from villageaid.io.write import write_text
from villageaid.registry import (
    CS_UNIVERSAL,
    RICH_ASINH,
    RICH_PPML,
    SENSITIVITY_RESTRICTIONS,
    TABLE5,
    TABLE5B,
    TABLE6C,
    TABLE9,
    TABLE10,
    Restriction,
    sensitivity_id,
)
from villageaid.report.paper_results import (
    LEVEL,
    MIN_FIRST_STAGE_F,
    EstimateFact,
    Fragility,
    asinh_reads_as_percent,
    bootstrap_checks,
    estimate_facts,
    fragility,
    hypotheses,
    opposing_estimates,
    overall_verdict,
    verdict_counts,
    zero_share,
)
from villageaid.report.render import latex_escape
from villageaid.report.tables import (
    MIN_BOOTSTRAP_CLUSTERS,
    MIN_CARRYING_VILLAGES,
    MIN_VARIANCE_CLUSTERS,
    sample_facts,
)


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
    power: list[tuple[str, float, float]] = []
    for model, label in ((RICH_ASINH, "rich × year (asinh)"), (RICH_PPML, "rich × year (PPML)")):
        rows = slopes.loc[slopes["model_id"] == model.id].set_index("term")["estimate"]
        if {"pretrend_slope_50", "pretrend_slope_80"} <= set(rows.index):
            power.append((label, float(rows["pretrend_slope_50"]), float(rows["pretrend_slope_80"])))
    power_text = ""
    if power:  # one sentence for every model's power (Roth 2022), not one per model
        power_text = (" A linear violation of parallel trends would pass the pre-test half of the time at "
                      + _join_en([f"{half:.3f} per year for {label}" for label, half, _ in power])
                      + ", and one time in five at " + _join_en([f"{fifth:.3f}" for _, _, fifth in power])
                      + " (Roth 2022).")
    text = (f"Joint tests that all pre-2020 event-study coefficients are zero: {shown}. "
            + ("They reject for " + ", ".join(failed) + ", so parallel trends are in doubt there. " if failed else
               "None rejects at 5%, which is weak evidence for parallel trends when the tests have little power. ")
            + f"Of the {len(post)} rich × year coefficients (PPML) from 2021 on, {significant} "
              f"{'is' if significant == 1 else 'are'} significant at 5%." + power_text)
    return text, failed


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


def limitations(panel: pd.DataFrame, tables_dir: Path | None = None) -> list[str]:
    """Return what limits inference on these data, computed from the panel and the tables.

    The fragile results (failed pre-trend tests, few clusters, weak first stages, unbounded Anderson–Rubin sets,
    jackknife fallbacks, coefficients carried by few villages, few treated townships) are the paragraph of
    :func:`fragility_text_en`, not repeated here.
    """
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
    return write_text(tables_dir / "paper_text.tex", paper_text_macros(tables_dir, panel))


def paper_text_macros(tables_dir: Path, panel: pd.DataFrame) -> str:
    """Return the English edition's macros (the content of ``paper_text.tex``)."""
    facts = sample_facts(panel)
    pre_trend, _ = pre_trend_sentence(tables_dir)
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
        "VAHypothesisCount": number_word(hypothesis_count()),
        "VADataText": data_text(panel),
        "VAAsinhCaveat": _capital(asinh_caveat_en(panel)),
        "VAPreTrendText": pre_trend,
        "VASensitivityText": sensitivity_text_en(tables_dir),
        "VAFragilityText": fragility_text_en(fragility(panel, tables_dir)),
        "VALimitationsText": " ".join(limitations(panel, tables_dir)),
        "VATruthText": " ".join(truth_sentences(tables_dir)),
        "VAPolicyText": policy_sentence(tables_dir) or "Table 9 could not be computed on these data.",
        "VAConclusionText": conclusion_text_en(tables_dir),
    }
    return render_macros(macros, results_paragraphs_en(tables_dir, panel))


def render_macros(macros: dict[str, str], results: list[tuple[str, str]]) -> str:
    r"""Return an edition's ``paper_text*.tex``.

    One escaped macro per text, then ``\VAResultsText``: the results' paragraphs (heading, text) in order.
    """
    lines = ["% Generated by villageaid from the tidy tables and the panel; do not edit."]
    for name, text in macros.items():
        lines.append(f"\\newcommand{{\\{name}}}{{{latex_escape(text)}}}")
    paragraphs = "\n".join(f"\\paragraph{{{latex_escape(heading)}}} {latex_escape(text)}\n"
                            for heading, text in results)
    lines.append(f"\\newcommand{{\\VAResultsText}}{{%\n{paragraphs}}}")
    return "\n".join(lines) + "\n"


# --- the results grouped by claim, the robustness, the fragility and the conclusion (English edition) ----------

#: Each hypothesis's short title and what support for it would mean, in English and Chinese.
HYPOTHESIS_TEXT = {
    "H1": (("the unit's level predicts funding", "units of higher level bring more money to their villages"),
           ("派出单位层级决定帮扶资金", "层级越高的派出单位为所驻村带来越多资金")),
    "H2": (("雨露均沾 in the campaign: bottom-line, need-graded targeting",
            "the campaign sent money first to the neediest villages, graded by need"),
           ("脱贫攻坚期的雨露均沾：兜底、按贫困程度分级", "脱贫攻坚期资金优先投向最困难的村，并按贫困程度分级")),
    "H3": (("强强联合: level and endowment are super-additive",
            "a city-level unit in a rich village brings more than the two advantages separately"),
           ("强强联合：单位层级与村庄禀赋相互强化", "市级单位驻优势村带来的资金多于两种优势各自作用之和")),
    "H4": (("the shift after 2021", "after 2021 funding turned towards endowment and away from need"),
           ("2021年后的逻辑转变", "2021年后资金分配由按需转向按禀赋")),
    "H5": (("capture through demonstration villages",
            "designation as a demonstration village draws resources, from its neighbours or the county"),
           ("示范村的资源汲取", "示范村认定会吸引资源，包括从邻村或县里转移资源")),
    "H6": (("强者愈强: results attract resources", "resources follow results already achieved and villages diverge"),
           ("强者愈强：资源追随既有成绩", "资源追随既有成绩，村庄之间差距扩大")),
    "H7": (("concentration on the advantaged", "funding concentrates more on the advantaged after 2021"),
           ("资源向优势村集中", "2021年后资金更集中于优势村")),
    "H8": (("vertical gaps exceed horizontal gaps", "the unit's level matters more than its department"),
           ("纵向（层级）差距大于横向（部门）差距", "单位层级的作用大于部门强弱")),
    "H9": (("who gets the strong units", "strong units go more to well-endowed villages after 2021"),
           ("强势单位派往何处", "2021年后强势单位更多地派往禀赋较好的村")),
    "H10": (("consequences: 低效 and collapsing industries",
             "money misses needs and weak villages' industries fail when the unit leaves"),
            ("后果：低效与产业难以为继", "资源与需求错配，弱村产业在帮扶单位撤出后难以为继")),
    "H11": (("county matching funds follow strong units", "county matching money (县级配套资金) follows strong units"),
            ("县级配套资金追随强势单位", "县级配套资金跟随强势单位流动")),
    "H12": (("多级合治: the team's strength", "a city-level secretary with strong team members brings more"),
            ("多级合治：工作队的整体实力", "市级第一书记与强势队员的组合带来更多资源")),
}
_NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                 "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
                 "twenty")


def number_word(n: int) -> str:
    """Return a small count in words (digits from 21 on)."""
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _size_en(fact: EstimateFact, asinh_percent: bool) -> str:
    """Return the size of an estimate in its unit; asinh coefficients as percentages only where that reading holds."""
    value, scale = fact.value, fact.key.scale
    if scale == "semi_elasticity":
        return f"{100 * (math.exp(value) - 1):+.0f}% in expected funding"
    if scale == "asinh":
        return (f"about {100 * (math.exp(value) - 1):+.0f}% in funding" if asinh_percent
                else "a difference on the asinh scale, not a percentage")
    if scale == "return":
        return (f"about {100 * (math.exp(value) - 1):+.1f}% in the outcome per e-fold increase in funding"
                if asinh_percent else "log points of the outcome per unit of asinh(funding)")
    if scale == "return_change":
        return "change in that return per standard deviation of endowment"
    if scale == "logit":
        return f"odds multiplied by {math.exp(value):.2f} per standard deviation of endowment"
    if scale == "per_growth":
        return f"{100 * (math.exp(0.1 * value) - 1):+.1f}% in funding per 10 points of last year's income growth"
    return ""


_VERDICT_EN = {"supported": "this supports the claim", "contradicted": "this contradicts the claim",
               "undetermined": "the interval includes zero, so the data cannot tell"}


def estimate_sentence_en(fact: EstimateFact, asinh_percent: bool) -> str:
    """One sentence per key estimate, the same form for every kind: value, claimed sign, interval, size, verdict."""
    key = fact.key
    if fact.verdict == "not estimated":
        return f"{_capital(key.description)} could not be estimated on these data."
    interval = (f"one-sided 95% bounds {fact.low:.3f} and {fact.high:.3f}" if key.one_sided
                else f"95% CI {fact.low:.3f} to {fact.high:.3f}")
    size = _size_en(fact, asinh_percent)
    claimed = "positive" if key.claim > 0 else "negative"
    return (f"{_capital(key.description)} is {fact.value:.3f} (claimed {claimed}; {interval}"
            f"{'; ' + size if size else ''}): {_VERDICT_EN[fact.verdict]}.")


_OPPOSING_NOTE_EN = {
    "campaign": "In the campaign a negative city × rich coefficient means that city-level units were kept away "
                "from rich villages, which is what need-graded targeting (H2) predicts: the strong alliance, where "
                "it holds, is then new in the transition rather than permanent.",
    "event_study": "A significant negative post-2021 year means the gap ran the other way in that year; with many "
                   "years tested one in twenty reaches 5% by chance, so one year weighs less than the pooled "
                   "estimate of Table 4.",
    "robustness": "The sign then depends on the functional form (asinh, log(1 + y) or PPML); PPML, which keeps the "
                  "zeros and the levels, is the main estimate.",
}


def _opposing_en(items: list) -> str:
    if not items:
        return ""
    listed = "; ".join(f"{o.table}, {o.model}{', ' + o.period if o.period else ''}: {o.estimate:.3f} (95% CI "
                       f"{o.low:.3f} to {o.high:.3f}, p = {o.p_value:.3f})" for o in items)
    notes = " ".join(_OPPOSING_NOTE_EN[c] for c in dict.fromkeys(o.context for o in items))
    return f"Estimates that run against the claim, significant at 5%: {listed}. {notes}"


def _bootstrap_en(items: list) -> str:
    if not items:
        return ""
    parts = []
    for b in items:
        text = (f"{b.table}, {b.model}, {b.term_label}: wild cluster bootstrap p = {b.p_bootstrap:.3f} against "
                f"the jackknife's {b.p_jackknife:.3f}")
        if not b.agrees:
            text += (" — they disagree at 5% (the jackknife interval "
                     f"{'excludes' if b.low > 0 or b.high < 0 else 'includes'} zero, the bootstrap "
                     f"{'rejects' if b.p_bootstrap < LEVEL else 'does not reject'}), so this verdict depends on "
                     "the variance estimator")
        parts.append(text)
    agree = all(b.agrees for b in items)
    return ("Township wild bootstrap beside the jackknife: " + "; ".join(parts) + "."
            + (" Both agree at 5%." if agree else ""))


_OVERALL_EN = {"supported": "On these data, {m}.", "contradicted": "The data run against the claim that {m}.",
               "undetermined": "The data neither show nor rule out that {m}.",
               "mixed": "The tests disagree on whether {m}: they measure different sides of the claim, set side by "
                        "side in Table 0."}


def results_paragraphs_en(tables_dir: Path, panel: pd.DataFrame) -> list[tuple[str, str]]:
    """Return (heading, text) per hypothesis, grouped by claim.

    Each holds its tests in one sentence form, the estimates that run against it, the bootstrap beside the
    jackknife, and what the evidence means.
    """
    facts = estimate_facts(tables_dir)
    asinh_percent = asinh_reads_as_percent(panel)
    opposing = opposing_estimates(tables_dir)
    boots = bootstrap_checks(tables_dir)
    out = []
    for hypothesis in hypotheses():
        mine = [f for f in facts if f.key.hypothesis == hypothesis]
        if not mine:
            continue
        (title, meaning), _ = HYPOTHESIS_TEXT.get(hypothesis, ((hypothesis, ""), ("", "")))
        sentences = []
        estimated = [f for f in mine if f.verdict != "not estimated"]
        if len({f.verdict for f in estimated}) > 1:
            counts = {v: sum(f.verdict == v for f in estimated) for v in ("supported", "contradicted", "undetermined")}
            parts = [f"{counts['supported']} support{'s' if counts['supported'] == 1 else ''} the claim"
                     if counts["supported"] else "",
                     f"{counts['contradicted']} contradict{'s' if counts['contradicted'] == 1 else ''} it"
                     if counts["contradicted"] else "",
                     f"{counts['undetermined']} cannot tell" if counts["undetermined"] else ""]
            sentences.append(f"Of its {number_word(len(estimated))} tests, "
                             + _join_en([p for p in parts if p]) + ".")
        sentences += [estimate_sentence_en(f, asinh_percent) for f in mine]
        text = _opposing_en([o for o in opposing if o.hypothesis == hypothesis])
        if text:
            sentences.append(text)
        text = _bootstrap_en([b for b in boots if b.hypothesis == hypothesis])
        if text:
            sentences.append(text)
        overall = overall_verdict(mine)
        if overall and meaning:
            sentences.append(_OVERALL_EN[overall].format(m=meaning))
        out.append((f"{hypothesis}: {title}.", " ".join(sentences)))
    return out


def _join_en(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def asinh_caveat_en(panel: pd.DataFrame) -> str:
    """Return the units caveat of asinh coefficients, with the share of zero village-years computed from the panel."""
    share = zero_share(panel)
    if asinh_reads_as_percent(panel):
        return ("here asinh coefficients are read as approximate percentage changes: few village-years have no "
                "funding and amounts are large, where asinh(y) is close to log(2y).")
    zeros = f"{share:.0%} of village-years have no funding" if np.isfinite(share) else "funding has zeros"
    return (f"here asinh coefficients are differences on the asinh scale, not percentages: {zeros}, and with "
            "zeros they depend on the unit in which funding is measured.")


def breakdowns(tables_dir: Path, restriction: Restriction) -> list[tuple[str, float, str]]:
    """Return (effect, breakdown value, status) per H4/H5 effect under one restriction.

    Status "value" (the largest bound at which it stays significant), "grid" (significant over the whole grid)
    or "none" (not significant even under exact parallel trends).
    """
    out = []
    for output, models in ((TABLE5B, ((RICH_ASINH, "the 2021 rich × year effect (asinh)"),
                                      (RICH_PPML, "the 2021 rich × year effect (PPML)"))),
                           (TABLE6C, ((CS_UNIVERSAL, "the first-year effect of designation (Callaway–Sant'Anna)"),))):
        try:
            table = pd.read_csv(tables_dir / f"{output.stem}.csv")
        except OSError:
            continue
        if "term" not in table or "model_id" not in table:
            continue
        for model, label in models:
            rows = table.loc[table["model_id"] == sensitivity_id(model, restriction)]
            found = rows.loc[rows["term"] == "breakdown", "estimate"]
            grid = rows.loc[rows["term"].astype(str).str.startswith("M="), "M"]
            if found.empty or grid.empty:
                continue
            value = float(found.iloc[0])
            status = "none" if not np.isfinite(value) else "grid" if value >= float(grid.max()) else "value"
            out.append((label, value, status))
    return out


def sensitivity_text_en(tables_dir: Path) -> str:
    """One sentence listing the breakdown values under both restrictions (not one sentence per effect)."""
    smooth, relative = SENSITIVITY_RESTRICTIONS
    parts, never = [], {}
    for restriction, symbol, unit in ((smooth, "M", "per year of change in the slope of the difference in trends"),
                                      (relative, "M̄", "times the largest pre-period change")):
        found = breakdowns(tables_dir, restriction)
        listed = [f"{label} {symbol} = {value:.3f}" + (" (the whole grid)" if status == "grid" else "")
                  for label, value, status in found if status != "none"]
        for label, _, status in found:
            if status == "none":
                never.setdefault(label, []).append(symbol)
        if listed:
            parts.append(f"under smoothness ({symbol} {unit}) " if restriction is smooth else
                         f"under relative magnitudes ({symbol} {unit}) ")
            parts[-1] += "; ".join(listed)
    text = ""
    if parts:
        text = ("Breakdown values (Rambachan and Roth 2023; Tables 5b and 6c), the largest violation of parallel "
                "trends under which each effect stays significant at 5%: " + "; ".join(parts) + ".")
    if never:
        text += (" Not significant even under exact parallel trends, so no breakdown value exists: "
                 + _join_en(list(never)) + ".")
    try:
        table6c = pd.read_csv(tables_dir / f"{TABLE6C.stem}.csv")
        slopes = table6c.loc[table6c["term"].astype(str).str.startswith("pretrend_slope_")].set_index("term")
        text += (f" For the designation effects, the pre-test would detect a linear violation of "
                 f"{slopes.loc['pretrend_slope_50', 'estimate']:.3f} per year half of the time and one of "
                 f"{slopes.loc['pretrend_slope_80', 'estimate']:.3f} with 80% probability.")
    except (OSError, KeyError):
        pass
    return text.strip()


def fragility_text_en(found: Fragility) -> str:
    """Return the fragility paragraph: each check computed from the results, flagged results named, passed ones said."""
    flags, passed = [], []
    if found.failed_pre_trends:
        flags.append("the pre-trend test rejects for " + _join_en(
            [f"{model} in {table} (p = {p:.3f})" for table, model, p in found.failed_pre_trends])
            + ", so parallel trends, the identifying assumption of those designs, are in doubt")
    else:
        passed.append("no pre-trend test rejects at 5%")
    if found.few_clusters:
        flags.append(_join_en([f"{table} clusters by {n} {kind}s" for table, kind, n in found.few_clusters])
                     + f", fewer than {MIN_VARIANCE_CLUSTERS} clusters, so those errors rest on few clusters")
    else:
        passed.append(f"every table that records its clusters has at least {MIN_VARIANCE_CLUSTERS}")
    if found.weak_first_stages:
        by_row: dict[tuple[str, str], list[str]] = {}
        for table, row, column, value in found.weak_first_stages:
            by_row.setdefault((table, row), []).append(f"{value:.1f} ({column})")
        flags.append(_join_en([f"in {table} the {row[0].lower() + row[1:]} is {_join_en(values)}"
                               for (table, row), values in by_row.items()])
                     + f", below {MIN_FIRST_STAGE_F:.0f}: a weak instrument, whose 2SLS interval is unreliable "
                       "(the Anderson–Rubin set is the guide)")
    else:
        passed.append(f"no first stage has F below {MIN_FIRST_STAGE_F:.0f}")
    if found.unbounded_sets:
        flags.append(_join_en([f"the Anderson–Rubin 95% set of {column} in {table} is unbounded ({cell})"
                               for table, column, cell in found.unbounded_sets]) + ": the data do not bound it")
    else:
        passed.append("no Anderson–Rubin set is unbounded")
    if found.fallbacks:
        flags.append(_join_en([f"in {table} the cluster jackknife is undefined for {n} model{'s' if n > 1 else ''} "
                               f"({reasons})" for table, n, reasons in found.fallbacks])
                     + ": their errors, marked with a dagger, are CRV1 and too small where so few villages carry a "
                       "coefficient")
    else:
        passed.append("the cluster jackknife is defined for every model")
    if found.carried:
        flags.append(_join_en([f"only {n} village{'' if n == 1 else 's'} carr{'ies' if n == 1 else 'y'} the "
                               f"{coef} coefficient in {years}" for coef, years, n in found.carried]))
    else:
        passed.append(f"every city × rich coefficient rests on at least {MIN_CARRYING_VILLAGES} villages")
    if found.treated_townships:
        flags.append("a city-level unit in a rich village is found in " + _join_en(
            [f"{n} of {total} townships in {years}" for _, years, n, total in found.treated_townships])
                     + f", too few treated (or untreated) clusters (fewer than {MIN_BOOTSTRAP_CLUSTERS}) for the "
                       "township wild bootstrap, whose p-values are then a rough guide")
    else:
        passed.append(f"at least {MIN_BOOTSTRAP_CLUSTERS} townships hold and lack the city × rich term")
    text = "Fragile results, checked one by one on these data: "
    text += ("; ".join(flags) + "." if flags else "none is flagged.")
    if passed:
        text += " " + _capital(_join_en(passed)) + "."
    return text


def conclusion_text_en(tables_dir: Path) -> str:
    """Which hypotheses the data support, contradict or cannot decide, counted from the key estimates."""
    counts = verdict_counts(estimate_facts(tables_dir))
    tested = sum(len(v) for v in counts.values())
    if not tested:
        return "No claim could be tested on these data."
    parts = []
    for name, phrase in (("supported", "the data support {h} in every test"),
                         ("contradicted", "contradict {h}"), ("undetermined", "cannot decide {h}"),
                         ("mixed", "give mixed verdicts on {h}")):
        if counts[name]:
            parts.append(phrase.format(h=_join_en(counts[name])))
    return f"Of the {number_word(tested)} hypotheses with a test on these data, " + _join_en(parts) + "."


def hypothesis_count() -> int:
    """Return the number of testable hypotheses the registry declares."""
    return len(hypotheses())
