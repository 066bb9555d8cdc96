"""Tables of how funding is allocated: Table 3 (H1–H3), Table 4 (H4) and Table 8 (H8, H9).

Writers only format: every estimate comes from the analyses the output declares in the registry.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from villageaid.analysis.truth import carrying_villages
from villageaid.estimators import WildBootstrapResult
from villageaid.estimators.bootstrap import FEW_TREATED_CLUSTERS
from villageaid.estimators.randomization import PermutationResult
from villageaid.estimators.results import RegressionResults
from villageaid.registry import (
    CAMPAIGN_ASINH,
    CAMPAIGN_PPML,
    CAMPAIGN_TYPES,
    H8_ASINH,
    H8_GAP,
    H8_PPML,
    H8_SECTOR,
    H9_AME_CAMPAIGN,
    H9_AME_TRANSITION,
    H9_LOGIT_CAMPAIGN,
    H9_LOGIT_CHANGE,
    H9_LOGIT_TRANSITION,
    MATCHING_LEVEL,
    MATCHING_STRENGTH,
    SHIFT_ASINH,
    SHIFT_LOG1P,
    SHIFT_PPML,
    TRANSITION_ASINH,
    TRANSITION_PPML,
    TRANSITION_TYPES,
)
from villageaid.report.context import OutputContext
from villageaid.report.etable import FALLBACK_MARK, STAR_NOTE, Column, estimate_cells, fmt, regression_table
from villageaid.report.render import ColumnGroup, FormattedTable
from villageaid.report.tables import (
    MIN_BOOTSTRAP_CLUSTERS,
    MIN_CARRYING_VILLAGES,
    MIN_VARIANCE_CLUSTERS,
    PERIOD_YEARS,
    sample_facts,
)

TERM_LABELS = {
    "city": "City-level first secretary",
    "rich_village": "Rich village",
    "city_x_rich": "City-level × rich",
    "village_type::A": "Type A (city-level + rich)",
    "village_type::B": "Type B (county-level + rich)",
    "village_type::D": "Type D (city-level + poor)",
    "endowment_index": "Endowment index",
    "need_index": "Need index",
    "deep_poverty": "Deep-poverty village (深度贫困村)",
    "strong": "Strong department",
    "members_strength": "Team members' strength",
    "city_x_members": "City-level × members' strength (多级合治)",
    "post:rich_village": "Post-2021 × rich",
    "post:city": "Post-2021 × city-level",
    "post:city_x_rich": "Post-2021 × city-level × rich",
    "post:endowment_index": "Post-2021 × endowment index",
    "post:need_index": "Post-2021 × need index",
    "post:deep_poverty": "Post-2021 × deep-poverty village",
    "post:city_x_members": "Post-2021 × city-level × members' strength",
    "demo": "Demonstration village",
    "demo_years": "Demonstration × years since designation",
}
FE_LABELS = {"county_year": "County × year", "village": "Village", "year": "Year"}


def variance_sentence(models: Sequence[RegressionResults]) -> str:
    """How the village models' errors were computed, from the models themselves (jackknife, CRV1, fallbacks)."""
    jackknife = [m for m in models if m.variance is not None and m.variance.kind == "CRV3"]
    fallbacks = [m for m in models if m.fallback_reason]
    if jackknife or fallbacks:
        text = ("Standard errors are clustered by village, by the exact cluster jackknife (CRV3: each model is "
                "re-estimated without each village, fixed effects included, and the spread of those estimates "
                "around the full-sample one is the variance): with few villages carrying a coefficient the usual "
                "CRV1 errors are too small (in simulations of the default two-county design its 95% intervals "
                "covered as little as 86%).")
        if fallbacks:
            text += (f" {FALLBACK_MARK} The jackknife is undefined for {len(fallbacks)} of these models (leaving "
                     "one village out leaves a coefficient without variation, so the spread of the refits does not "
                     "exist): they show CRV1 errors by village instead, marked with a dagger, which are too small "
                     "where few villages carry a coefficient.")
        return text
    descriptions = sorted({m.vcov_type + (f" ({m.ssc.describe()})" if m.ssc is not None else "") for m in models})
    if all("county" in m.vcov_type for m in models):
        return ("Standard errors: " + "; ".join(descriptions) + ": with this many counties the build clusters by "
                "county (VCOV=auto), allowing for county-wide shocks that village clusters would miss.")
    return ("Standard errors: " + "; ".join(descriptions) + ", as chosen for this build (VCOV=CRV1); the exact "
            "cluster jackknife (the default with few counties) is larger where few villages carry a coefficient.")


def inference_note(models: Sequence[RegressionResults], bootstrap: WildBootstrapResult | None,
                   panel: pd.DataFrame) -> str:
    """Why the errors are computed as they are, and where inference is fragile, from the data and models at hand."""
    facts = sample_facts(panel)
    text = variance_sentence(models)
    counties = facts["counties"]
    if counties < MIN_VARIANCE_CLUSTERS:
        text += (f" County-clustered errors are not used: with {counties} "
                 f"count{'y' if counties == 1 else 'ies'} a cluster-robust variance would rest on too few clusters.")
    if facts["villages"] < MIN_VARIANCE_CLUSTERS:
        text += (f" Caution: the variance rests on {facts['villages']} villages, fewer than "
                 f"{MIN_VARIANCE_CLUSTERS} clusters.")
    for period, carrying in (carrying_villages(panel, "city_x_rich") or {}).items():
        if carrying < MIN_CARRYING_VILLAGES:
            text += (f" Caution: only {carrying} village{'' if carrying == 1 else 's'} with a city-level unit and "
                     f"rich in {PERIOD_YEARS[period]} {'carries' if carrying == 1 else 'carry'} the city × rich "
                     "coefficient of that period; it is fragile.")
    if bootstrap is not None:
        if bootstrap.bootstrap_level is None:
            text += (f" Wild cluster bootstrap p-values impose the null and draw one weight for each of the "
                     f"{bootstrap.clusters} townships (Webb weights, B = {bootstrap.draws}, seed {bootstrap.seed}).")
        else:
            text += (f" Fewer than {FEW_TREATED_CLUSTERS} townships hold (or lack) the tested term, too few treated "
                     "clusters for the township wild bootstrap (MacKinnon & Webb 2017, 2018): its p-values impose "
                     f"the null with errors clustered by the {bootstrap.clusters} townships and weights drawn for "
                     f"each of the {bootstrap.bootstrap_groups} villages (the subcluster wild bootstrap; Webb "
                     f"weights, B = {bootstrap.draws}, seed {bootstrap.seed}).")
        if bootstrap.clusters < MIN_BOOTSTRAP_CLUSTERS:
            text += (f" Caution: {bootstrap.clusters} bootstrap clusters are fewer than {MIN_BOOTSTRAP_CLUSTERS}; "
                     "the bootstrap p-values are unreliable.")
    return text


def randomization_note(result: PermutationResult | None) -> str:
    """Say what the randomisation p-values of city × rich test and how they were drawn."""
    if result is None:
        return ""
    how = (f"all {result.assignments:,} assignments (exact)" if result.exact else
           f"{result.assignments - 1:,} random assignments and the observed one")
    return ("Randomisation p: the sharp null that the first secretary's unit (its level, strength and team) "
            "changes no village's funding, tested by permuting the units among each county's villages (each county "
            f"keeps its posts; city × rich rebuilt from each village's own richness) and refitting the OLS "
            f"coefficient of city × rich two-sided, over {how}; it needs no variance and no number of clusters, "
            "only that postings within a county are exchangeable under the null.")


def _bootstrap_cell(result: WildBootstrapResult | None) -> str:
    return "" if result is None else f"{result.p_value:.3f}"



def table3(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 3: H1–H3, level, endowment and the strong alliance, in each period."""
    columns, models = [], []
    for asinh, ppml, types in ((TRANSITION_ASINH, TRANSITION_PPML, TRANSITION_TYPES),
                               (CAMPAIGN_ASINH, CAMPAIGN_PPML, CAMPAIGN_TYPES)):
        results = context.analysis(asinh.analysis)
        boot = {"Wild bootstrap p, city × rich": _bootstrap_cell(results.strong_alliance_bootstrap)}
        if results.strong_alliance_randomization is not None:
            boot["Randomisation p, city × rich"] = f"{results.strong_alliance_randomization.p_value:.3f}"
        h8 = {"H8 p-value: city = strong": f"{results.level_vs_strength_ols.p_value:.3f}"}
        h8_ppml = {"H8 p-value: city = strong": f"{results.level_vs_strength_ppml.p_value:.3f}"}
        controls = {"Baseline controls": "Yes"}
        for spec, rows in ((asinh, {**controls, **boot, **h8}), (ppml, {**controls, **h8_ppml}), (types, controls)):
            models.append(context.model(spec))
            columns.append(Column(spec.label, models[-1], rows, model_id=spec.id))
    groups = [ColumnGroup("", 1), ColumnGroup("Transition 2021–2025", 3), ColumnGroup("Campaign 2016–2020", 3)]
    notes = ["H1: city-level first secretary; H2: rich village and endowment index, and need: the need index and "
             "deep-poverty designation (雨露均沾 is need-graded targeting; the claim is a positive need gradient in "
             "the campaign); H3: city-level × rich (the strong alliance, 强强联合), and types A, B, D against C "
             "(county-level unit + poor village); H12: the members' strength and its product with a city-level "
             "secretary (多级合治, centred at general strength). Richness and the types use the endowment index "
             "(pre-campaign geography and baseline); targeting uses the need index (the 2015 poverty register); "
             "terms whose variables the records lack are left out. County × year fixed effects; baseline controls "
             "are log population and log(1 + distance to the county seat). Columns (2) and (5) are Poisson "
             "pseudo-maximum likelihood on funding in 万元 (coefficients are semi-elasticities); the others OLS on "
             "asinh(funding).",
             inference_note(models, context.analysis(TRANSITION_ASINH.analysis).strong_alliance_bootstrap,
                            context.panel),
             randomization_note(context.analysis(TRANSITION_ASINH.analysis).strong_alliance_randomization),
             context.note]
    return regression_table(columns, TERM_LABELS, title=context.title, label=context.label,
                            notes=[note for note in notes if note],
                            fixed_effect_labels=FE_LABELS, groups=groups)


def table4(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 4: H4, the logic shift after 2021 (difference-in-differences)."""
    results = context.analysis(SHIFT_ASINH.analysis)
    boot = {"Wild bootstrap p, post × city × rich": _bootstrap_cell(results.strong_alliance_shift_bootstrap)}
    columns = [Column(spec.label, context.model(spec), rows, model_id=spec.id)
               for spec, rows in ((SHIFT_ASINH, boot), (SHIFT_LOG1P, None), (SHIFT_PPML, None))]
    notes = ["H4: the change after 2021 in how funding follows richness, unit level and their combination "
             "(from 雨露均沾 to 强强联合). Village and county × year fixed effects; 2016–2025.",
             inference_note([c.result for c in columns], results.strong_alliance_shift_bootstrap, context.panel),
             context.note]
    return regression_table(columns, TERM_LABELS, title=context.title, label=context.label, notes=notes,
                            fixed_effect_labels=FE_LABELS)


#: Table 8's logits of city-level assignment, by period: (coefficient, average marginal effect).
H9_MODELS = {"campaign": (H9_LOGIT_CAMPAIGN, H9_AME_CAMPAIGN), "transition": (H9_LOGIT_TRANSITION, H9_AME_TRANSITION)}
#: Table 8's assortative matching, by dimension.
MATCHING_MODELS = {"level": MATCHING_LEVEL, "strength": MATCHING_STRENGTH}


def table8(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 8: H8 (vertical vs horizontal gaps) and H9 (who gets the strong units)."""
    allocation = context.analysis(H8_ASINH.analysis)
    matching = context.analysis(MATCHING_LEVEL.analysis)
    tidy_rows = []
    rows: list[list[str]] = [["Panel A. Level and department strength, transition 2021–2025"],
                             ["", H8_ASINH.label, H8_PPML.label]]
    for term, label in (("city", "City-level first secretary"), ("strong", "Strong department")):
        est, se = [label], [""]
        for spec in (H8_ASINH, H8_PPML):
            row = context.model(spec).tidy().set_index("term").loc[term]
            value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"])
            est.append(value)
            se.append(error)
            tidy_rows.append({"panel": "A", "model_id": spec.id, "model": spec.label, "term": term, **row.to_dict()})
        rows += [est, se]
    rows.append(["Wald test, city = strong: p-value", f"{allocation.level_vs_strength_ols.p_value:.3f}",
                 f"{allocation.level_vs_strength_ppml.p_value:.3f}"])
    gap_test = context.model(H8_GAP)
    if gap_test is not None:
        row = gap_test.tidy().iloc[0].to_dict()
        rows += [["Vertical − horizontal gap, city − strong (the claim: > 0)", "", f"{row['estimate']:+.3f}"],
                 ["One-sided 95% lower bound; p against a gap ≤ 0", "",
                  f"{row['conf_low']:+.3f}; p = {row['p_value']:.3f}"]]
        tidy_rows.append({"panel": "A", "model_id": H8_GAP.id, "model": H8_GAP.label, **row})
    if allocation.sector_ppml is not None:
        sector = context.model(H8_SECTOR).tidy().set_index("term")
        for term in [t for t in sector.index if t.startswith("first_secretary_sector")]:
            row = sector.loc[term]
            value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"])
            label = term.split("::", 1)[-1].replace("_", " ")
            rows += [[f"Sector: {label} (PPML with sector, against government)", "", value], ["", "", error]]
            tidy_rows.append({"panel": "A", "model_id": H8_SECTOR.id, "model": H8_SECTOR.label, "term": term,
                              **row.to_dict()})
        rows.append(["Wald test, no sector gaps: p-value", "", f"{allocation.sectors_ppml.p_value:.3f}"])
    rows.append(["Panel B. Logit of city-level assignment on endowment"])
    periods = [period for period in H9_MODELS if period in matching.logits]
    rows.append(["", *[period.capitalize() for period in periods]])
    for kind, label in enumerate(("Endowment index (logit coefficient)", "Average marginal effect")):
        est, se = [label], [""]
        for period in periods:
            spec = H9_MODELS[period][kind]
            row = context.model(spec).tidy().set_index("term").loc["endowment_index"]
            value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"])
            est.append(value)
            se.append(error)
            tidy_rows.append({"panel": "B", "model_id": spec.id, "model": spec.label, "term": "endowment_index",
                              **row.to_dict()})
        rows += [est, se]
    logits = [context.model(H9_MODELS[period][0]) for period in periods]
    rows.append(["Villages", *[f"{r.nobs:,}" for r in logits]])
    rows.append(["Pseudo R²", *[fmt(r.fit_statistics["pseudo_r2"]) for r in logits]])
    if matching.change is not None:
        row = context.model(H9_LOGIT_CHANGE).tidy().set_index("term").loc["endowment_index:transition"]
        value, error = estimate_cells(row["estimate"], row["std_error"], row["p_value"])
        rows += [["Change at 2021: endowment × transition (pooled logit; the claim: > 0)", value, ""],
                 ["", error, ""]]
        tidy_rows.append({"panel": "B", "model_id": H9_LOGIT_CHANGE.id, "model": H9_LOGIT_CHANGE.label,
                          "term": "endowment_index:transition", **row.to_dict()})
    rows.append(["Panel C. Assortative matching: Spearman ρ with endowment, by year"])
    rows.append(["", "Unit level", "Department strength"])
    index = matching.matching_index.set_index(["year", "dimension"])
    for year in sorted(set(matching.matching_index["year"])):
        cells = [str(year)]
        for dimension, spec in MATCHING_MODELS.items():
            r = index.loc[(year, dimension)]
            cells.append(f"{fmt(r['estimate'])} [{fmt(r['conf_low'])}, {fmt(r['conf_high'])}]")
            tidy_rows.append({"panel": "C", "model_id": spec.id, "model": spec.label, "term": str(year),
                              "estimate": r["estimate"], "conf_low": r["conf_low"], "conf_high": r["conf_high"]})
        rows.append(cells)
    notes = ["H8: are vertical gaps (unit level) larger than horizontal ones (department strength)? Panel A is "
             "the Table 3 transition model; the Wald test is of equal coefficients, and the claim is tested one-"
             "sided: the gap city − strong with its one-sided 95% lower bound (normal) and p-value against a gap "
             "of zero or less. Where the units table records the sector (党政机关, 事业单位, 国有企业), the PPML "
             "model is refitted with the first secretary's sector, against government departments, and the sector "
             "gaps are tested jointly. H9: Panel B is a logit of a city-level first secretary on the endowment "
             "index with county dummies, one observation per village and period, errors clustered by township, and the "
             "claim is its change at 2021 (the pooled logit's endowment × transition term). The paper's 双向选择 "
             "(two-sided choice) is not observed: the records show where units ended up, not who chose whom. "
             "Panel C is the rank correlation of the first "
             "secretary's unit level (township < county < city < provincial < central) and department strength "
             "with village endowment by year, with 95% bootstrap intervals resampling villages.",
             STAR_NOTE, context.note]
    formatted = FormattedTable(context.title, context.label, ["", "(1)", "(2)"], rows, [], notes)
    return pd.DataFrame(tidy_rows), formatted
