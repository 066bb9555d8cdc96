"""The facts the paper's text reports, read from the tables of one build, in a form both editions render.

The English (:mod:`villageaid.report.paper_text`) and the Chinese (:mod:`villageaid.report.paper_text_zh`)
editions word these facts each in their own language, one sentence form per kind of fact; the facts themselves
(every number, every verdict, every flag) are computed here once, from the tidy tables and, where a number is
only printed in a formatted table (a wild bootstrap p-value, a first-stage F, an Anderson–Rubin set), from the
rows of that table's Markdown file. Nothing is re-estimated.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.analysis.truth import carrying_villages, units_holding
from villageaid.registry import (
    ARGUMENTS,
    CAMPAIGN_ASINH,
    CAMPAIGN_PPML,
    CITY_ASINH,
    CITY_PPML,
    KEY_ESTIMATES,
    OUTPUTS,
    RICH_ASINH,
    RICH_PPML,
    SHIFT_ASINH,
    SHIFT_LOG1P,
    SHIFT_PPML,
    TABLE3,
    TABLE4,
    TABLE5,
    TRANSITION_ASINH,
    TRANSITION_PPML,
    TRIPLE_ASINH,
    KeyEstimate,
)
from villageaid.report.key_numbers import select_row
from villageaid.report.tables import MIN_BOOTSTRAP_CLUSTERS, MIN_CARRYING_VILLAGES, MIN_VARIANCE_CLUSTERS

LEVEL = 0.05
#: Below this first-stage F an instrument is weak (Staiger & Stock's rule of thumb).
MIN_FIRST_STAGE_F = 10.0
#: Share of zero village-years of funding above which an asinh coefficient is not read as a percentage.
MAX_ZERO_SHARE_FOR_PERCENT = 0.05
#: Funding (万元) above which asinh(y) is within 0.5% of log(2y), so that differences read as log points.
MIN_MEDIAN_FOR_PERCENT = 10.0


def verdict(estimate: float, low: float, high: float, claim: int) -> str:
    """Return "supported", "contradicted" or "undetermined": the 95% interval against the claimed sign."""
    if not all(map(math.isfinite, (estimate, low, high))):
        return "undetermined"
    if (claim > 0 and low > 0) or (claim < 0 and high < 0):
        return "supported"
    if (claim > 0 and high < 0) or (claim < 0 and low > 0):
        return "contradicted"
    return "undetermined"


def hypotheses() -> list[str]:
    """Return the testable hypotheses the registry declares (H1, H2, ...), in their order."""
    labels = {a.hypothesis for a in ARGUMENTS} | {k.hypothesis for k in KEY_ESTIMATES}
    found = [h for h in labels if re.fullmatch(r"H[0-9]+", h or "")]
    return sorted(found, key=lambda h: int(h[1:]))


def read_row(tables_dir: Path, key: KeyEstimate) -> pd.Series | None:
    """Return the row of the tidy table holding a key estimate, or None when the table or row is missing."""
    try:
        return select_row(pd.read_csv(tables_dir / key.file), key.selection)
    except (OSError, KeyError):
        return None


@dataclass(frozen=True)
class EstimateFact:
    """One key estimate that tests a claim: its value, 95% interval (or one-sided bounds) and verdict."""

    key: KeyEstimate
    value: float
    low: float
    high: float
    verdict: str  # supported, contradicted, undetermined, or "not estimated"


def estimate_facts(tables_dir: Path) -> list[EstimateFact]:
    """Return every key estimate with a claimed direction, in the registry's order."""
    out = []
    for key in KEY_ESTIMATES:
        if key.claim == 0 or key.interval is None:
            continue
        row = read_row(tables_dir, key)
        if row is None or not np.isfinite(float(row[key.column])):
            out.append(EstimateFact(key, math.nan, math.nan, math.nan, "not estimated"))
            continue
        value = float(row[key.column])
        low, high = (float(row.get(c, np.nan)) for c in key.interval)
        out.append(EstimateFact(key, value, low, high, verdict(value, low, high, key.claim)))
    return out


def asinh_reads_as_percent(panel: pd.DataFrame) -> bool:
    """Return True when an asinh(funding) coefficient may be read as an approximate percentage change.

    asinh(y) − log(2y) vanishes only as y grows; with zeros the coefficient depends on the unit of y (Bellemare
    & Wichman 2020; Chen & Roth 2024). It is read as a percentage only when few village-years are zero and the
    median amount is large in the unit used.
    """
    if "funding_total" not in panel:
        return False
    funding = pd.to_numeric(panel["funding_total"], errors="coerce").dropna()
    if funding.empty:
        return False
    return bool((funding == 0).mean() <= MAX_ZERO_SHARE_FOR_PERCENT
                and funding.median() >= MIN_MEDIAN_FOR_PERCENT)


def zero_share(panel: pd.DataFrame) -> float:
    """Return the share of village-years with no funding (NaN without a funding column)."""
    if "funding_total" not in panel:
        return math.nan
    funding = pd.to_numeric(panel["funding_total"], errors="coerce").dropna()
    return float((funding == 0).mean()) if len(funding) else math.nan


# --- estimates that run against a claim ---------------------------------------------------------------------


@dataclass(frozen=True)
class Opposing:
    """A significant estimate of a claim's term, in another model or period, whose sign runs against it."""

    hypothesis: str
    table: str  # "Table 3"
    model: str  # the model's label in the table
    term: str
    period: str  # a year of an event study, or ""
    estimate: float
    low: float
    high: float
    p_value: float
    context: str  # "campaign", "robustness", "event_study"


#: (hypothesis, table, models, term, the claim's sign, context): related estimates read for signs against the
#: claim. The campaign's city × rich is listed under H3 because a negative one runs against a strong alliance
#: present throughout, and is what need-graded targeting (H2) predicts.
OPPOSING_CHECKS = (
    ("H1", TABLE3, (TRANSITION_ASINH, TRANSITION_PPML), "city", 1, "robustness"),
    ("H3", TABLE3, (TRANSITION_ASINH, TRANSITION_PPML), "city_x_rich", 1, "robustness"),
    ("H3", TABLE3, (CAMPAIGN_ASINH, CAMPAIGN_PPML), "city_x_rich", 1, "campaign"),
    ("H4", TABLE4, (SHIFT_ASINH, SHIFT_LOG1P, SHIFT_PPML), "post:rich_village", 1, "robustness"),
    ("H4", TABLE4, (SHIFT_ASINH, SHIFT_LOG1P, SHIFT_PPML), "post:city_x_rich", 1, "robustness"),
    ("H4", TABLE4, (SHIFT_ASINH, SHIFT_LOG1P, SHIFT_PPML), "post:endowment_index", 1, "robustness"),
    ("H4", TABLE4, (SHIFT_ASINH, SHIFT_LOG1P, SHIFT_PPML), "post:need_index", -1, "robustness"),
)
#: The event-study models whose post-2021 coefficients the H4 claim predicts positive.
EVENT_STUDY_MODELS = (RICH_ASINH, CITY_ASINH, RICH_PPML, CITY_PPML, TRIPLE_ASINH)


def _table_name(stem: str) -> str:
    match = re.match(r"table([0-9]+[a-z]?)_", stem)
    return f"Table {match.group(1)}" if match else stem


def opposing_estimates(tables_dir: Path) -> list[Opposing]:
    """Return the significant estimates (p < 0.05) of a claim's terms whose sign runs against the claim."""
    out = []
    for hypothesis, output, models, term, sign, context in OPPOSING_CHECKS:
        try:
            table = pd.read_csv(tables_dir / f"{output.stem}.csv")
        except OSError:
            continue
        if not {"model_id", "term", "estimate", "p_value"} <= set(table.columns):
            continue
        rows = table.loc[table["model_id"].isin([m.id for m in models]) & (table["term"] == term)]
        for r in rows.itertuples(index=False):
            if np.isfinite(r.p_value) and r.p_value < LEVEL and np.sign(r.estimate) == -sign:
                out.append(Opposing(hypothesis, _table_name(output.stem), str(r.model), term, "", float(r.estimate),
                                    float(r.conf_low), float(r.conf_high), float(r.p_value), context))
    try:
        table = pd.read_csv(tables_dir / f"{TABLE5.stem}.csv")
    except OSError:
        return out
    if {"model_id", "term", "period", "p_value"} <= set(table.columns):
        period = pd.to_numeric(table["period"], errors="coerce")
        rows = table.loc[table["model_id"].isin([m.id for m in EVENT_STUDY_MODELS]) & (period >= 2021)
                         & table["term"].astype(str).str.startswith("year::")]
        for r in rows.itertuples(index=False):
            if np.isfinite(r.p_value) and r.p_value < LEVEL and r.estimate < 0:
                out.append(Opposing("H4", "Table 5", str(r.model), str(r.term), str(int(float(r.period))),
                                    float(r.estimate), float(r.conf_low), float(r.conf_high), float(r.p_value),
                                    "event_study"))
    return out


# --- rows printed only in the formatted tables ----------------------------------------------------------------


def markdown_rows(tables_dir: Path, stem: str) -> tuple[list[str], list[list[str]]]:
    """Return the header and body rows (cells as printed) of a table's Markdown file; empty when missing."""
    try:
        lines = (tables_dir / f"{stem}.md").read_text(encoding="utf-8").splitlines()
    except OSError:
        return [], []
    table = [line for line in lines if line.startswith("|")]
    if len(table) < 2:
        return [], []

    def cells(line: str) -> list[str]:
        parts = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        return [p.strip().replace("\\|", "|") for p in parts]

    return cells(table[0]), [cells(line) for line in table[2:]]


@dataclass(frozen=True)
class BootstrapCheck:
    """A wild cluster bootstrap p-value beside the jackknife interval of the same coefficient."""

    table: str
    model: str
    term_label: str
    p_bootstrap: float
    p_jackknife: float
    low: float
    high: float

    @property
    def agrees(self) -> bool:
        """Both reject at 5%, or neither does."""
        return (self.p_bootstrap < LEVEL) == (self.low > 0 or self.high < 0)

    @property
    def hypothesis(self) -> str | None:
        """The hypothesis whose claim the bootstrapped coefficient tests."""
        return BOOTSTRAP_HYPOTHESES.get(self.term_label)


#: The bootstrap rows of the formatted tables and the tidy term they test.
BOOTSTRAP_TERMS = {"city × rich": "city_x_rich", "post × city × rich": "post:city_x_rich"}
#: The hypothesis each bootstrap row's coefficient belongs to.
BOOTSTRAP_HYPOTHESES = {"city × rich": "H3", "post × city × rich": "H4"}


def bootstrap_checks(tables_dir: Path) -> list[BootstrapCheck]:
    """Return each wild bootstrap p-value of Tables 3 and 4 with the jackknife interval of its coefficient."""
    out = []
    for stem in (TABLE3.stem, TABLE4.stem):
        header, rows = markdown_rows(tables_dir, stem)
        try:
            tidy = pd.read_csv(tables_dir / f"{stem}.csv")
        except OSError:
            continue
        if not header or "model" not in tidy:
            continue
        for row in rows:
            match = re.match(r"Wild bootstrap p, (.+)$", row[0]) if row else None
            if match is None or match.group(1) not in BOOTSTRAP_TERMS:
                continue
            term = BOOTSTRAP_TERMS[match.group(1)]
            for column, cell in zip(header[1:], row[1:], strict=False):
                try:
                    p_boot = float(cell)
                except ValueError:
                    continue
                models = [m for m in dict.fromkeys(tidy["model"].astype(str)) if column.endswith(m)]
                if len(models) != 1:
                    continue
                found = tidy.loc[(tidy["model"] == models[0]) & (tidy["term"] == term)]
                if len(found) != 1:
                    continue
                r = found.iloc[0]
                out.append(BootstrapCheck(_table_name(stem), models[0], match.group(1), p_boot,
                                          float(r["p_value"]), float(r["conf_low"]), float(r["conf_high"])))
    return out


# --- fragility ------------------------------------------------------------------------------------------------


@dataclass
class Fragility:
    """What makes the results of one build fragile, each computed from its tables and panel.

    Every list is empty when the check passes; :attr:`checked` names the checks that could be run.
    """

    failed_pre_trends: list[tuple[str, str, float]] = field(default_factory=list)  # (table, model, p)
    few_clusters: list[tuple[str, str, int]] = field(default_factory=list)  # (table, cluster kind, count)
    counties: int = 0
    weak_first_stages: list[tuple[str, str, str, float]] = field(default_factory=list)  # (table, row, column, F)
    unbounded_sets: list[tuple[str, str, str]] = field(default_factory=list)  # (table, column, set)
    fallbacks: list[tuple[str, int, str]] = field(default_factory=list)  # (table, models, reasons)
    carried: list[tuple[str, str, int]] = field(default_factory=list)  # (coefficient, period years, villages)
    treated_townships: list[tuple[str, str, int, int]] = field(default_factory=list)  # (term, period, n, total)
    checked: list[str] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        """True when any check flags a result."""
        return any((self.failed_pre_trends, self.few_clusters, self.weak_first_stages, self.unbounded_sets,
                    self.fallbacks, self.carried, self.treated_townships))


_CLUSTERS = re.compile(r"by (village|township|county)s? \((\d+)\)")
_PERIOD_YEARS = {"campaign": "2016–2020", "transition": "2021–2025"}


def fragility(panel: pd.DataFrame, tables_dir: Path) -> Fragility:
    """Return every fragility flag of a build: each computed from its tables (and, for counts, its panel)."""
    found = Fragility(counties=int(panel["county"].nunique()) if "county" in panel else 0)
    tidy_tables = {}
    for output in OUTPUTS:
        path = tables_dir / f"{output.stem}.csv"
        if output.kind == "table" and path.is_file():
            tidy_tables[output.stem] = pd.read_csv(path, dtype={"fallback_reason": str})
    found.checked.append("pre-trend")
    for stem, table in tidy_tables.items():
        if {"term", "p_value", "model"} <= set(table.columns):
            for r in table.loc[table["term"] == "pre_trend_test"].itertuples(index=False):
                if np.isfinite(r.p_value) and r.p_value < LEVEL:
                    found.failed_pre_trends.append((_table_name(stem), str(r.model), float(r.p_value)))
    found.checked.append("clusters")
    for stem, table in tidy_tables.items():
        if "vcov" not in table:
            continue
        counts: dict[str, int] = {}
        for text in table["vcov"].dropna().astype(str).unique():
            for kind, number in _CLUSTERS.findall(text):
                counts[kind] = min(counts.get(kind, int(number)), int(number))
        for kind, number in counts.items():
            if number < MIN_VARIANCE_CLUSTERS:
                found.few_clusters.append((_table_name(stem), kind, number))
    found.checked.append("first stages")
    for stem in tidy_tables:
        header, rows = markdown_rows(tables_dir, stem)
        for row in rows:
            if not row or not row[0].startswith("First-stage"):
                continue
            for column, cell in zip(header[1:], row[1:], strict=False):
                for part in cell.split(";"):
                    try:
                        value = float(part)
                    except ValueError:
                        continue
                    if value < MIN_FIRST_STAGE_F:
                        found.weak_first_stages.append((_table_name(stem), row[0], column, value))
            # Anderson–Rubin sets are printed beside the first stages
        for row in rows:
            if row and row[0].startswith("Anderson–Rubin"):
                for column, cell in zip(header[1:], row[1:], strict=False):
                    if "inf" in cell or "∞" in cell:
                        found.unbounded_sets.append((_table_name(stem), column, cell))
    found.checked.append("fallbacks")
    for stem, table in tidy_tables.items():
        if "fallback_reason" not in table:
            continue
        marked = table.loc[table["fallback_reason"].fillna("") != "", ["model_id", "fallback_reason"]]
        if len(marked):
            found.fallbacks.append((_table_name(stem), marked["model_id"].nunique(),
                                    "; ".join(dict.fromkeys(marked["fallback_reason"].astype(str)))))
    found.checked.append("carrying villages")
    for period, carrying in (carrying_villages(panel, "city_x_rich") or {}).items():
        if carrying < MIN_CARRYING_VILLAGES:
            found.carried.append(("city × rich", _PERIOD_YEARS.get(period, period), carrying))
    found.checked.append("treated townships")
    for period, (treated, total) in (units_holding(panel, "city_x_rich", "township") or {}).items():
        if min(treated, total - treated) < MIN_BOOTSTRAP_CLUSTERS:
            found.treated_townships.append(("city × rich", _PERIOD_YEARS[period], treated, total))
    return found


def overall_verdict(facts: list[EstimateFact]) -> str | None:
    """Return a claim's one verdict over its estimated tests ("mixed" where they disagree; None: none estimated)."""
    verdicts = {f.verdict for f in facts if f.verdict != "not estimated"}
    if not verdicts:
        return None
    return next(iter(verdicts)) if len(verdicts) == 1 else "mixed"


def verdict_counts(facts: list[EstimateFact]) -> dict[str, list[str]]:
    """Return, per verdict, the hypotheses whose tests all read that way ("mixed" for the rest)."""
    out: dict[str, list[str]] = {"supported": [], "contradicted": [], "undetermined": [], "mixed": []}
    for hypothesis in hypotheses():
        verdict = overall_verdict([f for f in facts if f.key.hypothesis == hypothesis])
        if verdict is not None:
            out[verdict].append(hypothesis)
    return out
