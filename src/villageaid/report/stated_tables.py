"""Tables of the source paper's claims as it states them.

The typology's cut-off, 强者愈强, concentration by need and by endowment, industry survival and 低效 as mismatch.
"""

from __future__ import annotations

import pandas as pd

from villageaid.registry import (
    BETA_CONVERGENCE,
    INDUSTRY_SURVIVAL,
    LAGGED_ASINH,
    LAGGED_PPML,
    MISMATCH_RETURNS,
)
from villageaid.report.context import OutputContext
from villageaid.report.etable import Column, regression_table
from villageaid.report.render import FormattedTable


def table1b(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 1b: the typology under three rich/poor cut-offs, with the paper's ordering (C most common, A rarest)."""
    from villageaid.analysis.typology import cutoff_sensitivity

    counts = cutoff_sensitivity(context.panel)
    rows: list[list[str]] = []
    for (cutoff, period), block in counts.groupby(["cutoff", "period"], sort=False):
        by_type = block.set_index("village_type")
        cells = [f"{int(by_type.loc[t, 'villages'])} ({100 * by_type.loc[t, 'share']:.1f}%)" for t in "ABCD"]
        first = block.iloc[0]
        rows.append([f"{cutoff} (q = {first['quantile']:.3g}), {period}", *cells,
                     "yes" if first["c_most_common"] else "no", "yes" if first["a_rarest"] else "no"])
    notes = ["A village is rich when its endowment index (pre-campaign geography and baseline: population, distance "
             "to the county seat, terrain, road access) is at or above the county's quantile q; the default is the "
             "upper tercile. Types: A city-level unit + rich, B county unit + rich, C county unit + poor, D "
             "city-level unit + poor, each village typed by its type in most of the period's years. The source "
             "paper finds C the most common type and A the rarest.", context.note]
    return counts, FormattedTable(context.title, context.label,
                                  ["Cut-off, period", "A", "B", "C", "D", "C most common", "A rarest"], rows, [],
                                  notes)


def table6d(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 6d: H6 as the paper states it — funding on last year's results, and divergence of outcomes."""
    lagged = [Column(spec.label, context.model(spec), model_id=spec.id) for spec in (LAGGED_PPML, LAGGED_ASINH)]
    divergence = context.analysis(BETA_CONVERGENCE.analysis)
    beta = Column(BETA_CONVERGENCE.label, divergence.beta, model_id=BETA_CONVERGENCE.id)
    terms = {"lag_growth": "Growth of log collective income, t − 1",
             "post:lag_growth": "  × transition (the claim: > 0)",
             "log_initial": "log collective income at the period's start",
             "transition:log_initial": "  × transition (the claim: > 0, divergence)"}
    reference = ", ".join(str(y) for y in divergence.reference_years)
    tidy, formatted = regression_table(
        [*lagged, beta], terms, title=context.title, label=context.label,
        notes=["Columns 1–2: funding on the previous year's growth of the village's collective income (resources "
               "follow results already achieved, 强者愈强), its slope allowed to change from 2021; village and "
               "county × year effects. Column 3: growth of log collective income over each period on its level "
               "at the period's start (β-convergence; stacked village × period rows with county × period effects, "
               f"errors clustered by village); the transition starts from the mean over {reference} (the "
               "reference year, a build option). The AR(1) persistence of funding (Table 6b) is descriptive.",
               context.note])
    rows = formatted.rows
    rows.append(["Spread of log collective income (σ-convergence)"])
    for r in divergence.sigma_change.itertuples(index=False):
        rows.append([f"σ in {r.year} − σ at the reference ({r.reference})",
                     f"{r.estimate:+.3f} [{r.conf_low:+.3f}, {r.conf_high:+.3f}]", "", ""])
    rows.append(["Growth of log collective income in the transition, by type in its first year"])
    for r in divergence.by_type.itertuples(index=False):
        rows.append([f"Type {r.village_type} ({int(r.count)} villages)",
                     f"{r.estimate:+.3f} [{r.conf_low:+.3f}, {r.conf_high:+.3f}]", "", ""])
    extra = divergence.tidy()
    extra = extra.loc[extra["table"].isin(["sigma", "sigma_change", "by_type"])].assign(model_id="divergence")
    return pd.concat([tidy, extra], ignore_index=True), formatted


def table7b(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 7b: H7, concentration of funding by need and by endowment, by year and its change at 2021."""
    results = context.analysis("concentration")
    standard = results.by_year.loc[results.by_year["form"] == "standard"]
    rows: list[list[str]] = []
    wide = standard.pivot(index="year", columns="ranking")
    rankings = [r for r in ("endowment", "need") if r in set(standard["ranking"])]
    for year in wide.index:
        cells = [f"{wide.loc[year, ('estimate', r)]:+.3f} [{wide.loc[year, ('conf_low', r)]:+.3f}, "
                 f"{wide.loc[year, ('conf_high', r)]:+.3f}]" for r in rankings]
        rows.append([str(int(year)), *cells])
    rows.append(["Change at 2021: transition mean − campaign mean"])
    for form in ("standard", "wagstaff", "erreygers"):
        block = results.change.loc[results.change["form"] == form].set_index("ranking")
        rows.append([f"{form.capitalize()} form",
                     *[f"{block.loc[r, 'change']:+.3f} [{block.loc[r, 'conf_low']:+.3f}, "
                       f"{block.loc[r, 'conf_high']:+.3f}]" for r in rankings]])
    labels = {"endowment": "Ranked by endowment (low → high)", "need": "Ranked by need (neediest → least needy)"}
    notes = ["H7 as the paper states it: where funding sits, not how unequal it is. Concentration index of total "
             "funding across villages (Kakwani, Wagstaff & van Doorslaer 1997): positive when funding is "
             "concentrated among the villages ranked high — the better endowed, or the less needy — and negative "
             "when among those ranked low (pro-poor targeting, 雨露均沾). The Wagstaff (2005) and Erreygers (2009) "
             "forms bound funding by 0 and the largest amount of any village-year. Brackets: 95% percentile "
             "bootstrap intervals resampling villages (ranks recomputed in each resample). The claim: both changes "
             "are positive.",
             context.note]
    return results.tidy(), FormattedTable(context.title, context.label, ["Year", *[labels[r] for r in rankings]],
                                          rows, [], notes)


def table8d(context: OutputContext) -> tuple[pd.DataFrame, FormattedTable]:
    """Table 8d: H10 as the paper states it — industries after the unit leaves, and 低效 as mismatch."""
    industry = context.model(INDUSTRY_SURVIVAL)
    mismatch = context.model(MISMATCH_RETURNS)
    columns = [Column(INDUSTRY_SURVIVAL.label, industry, model_id=INDUSTRY_SURVIVAL.id),
               Column(MISMATCH_RETURNS.label, mismatch, model_id=MISMATCH_RETURNS.id)]
    terms = {"post:weak": "Not rich × transition (the claim: < 0)", "asinh_funding_total": "asinh(funding)",
             "unmatched_share": "Share of funding serving no listed need (the claim: < 0)"}
    industry_results = context.analysis(INDUSTRY_SURVIVAL.analysis)
    matched = context.analysis(MISMATCH_RETURNS.analysis).matched_share
    tidy, formatted = regression_table(
        columns, terms, title=context.title, label=context.label,
        notes=["Column 1: industries collapse when support ends (产业存续). Villages whose first secretary's unit "
               f"left at the 2021 rotation ({industry_results.villages_left}; "
               f"{industry_results.villages_stayed} kept theirs): industry still active (0/1) on not rich × "
               "transition, village and county × year effects (a linear probability model). Column 2: 低效 as "
               "mismatch — log collective income on asinh(funding) and the share of the year's funding whose "
               "projects serve no need of the village's need list (需求清单), village and county × year effects, "
               "village-years with funding. The heterogeneity of returns by endowment (Table 8b) measures "
               "something else: whether money does less in better-endowed villages.", context.note])
    formatted.rows.append(["Share of funding serving the village's main need"])
    for r in matched.itertuples(index=False):
        formatted.rows.append([f"{r.period} ({int(r.village_years)} village-years)", "", f"{r.matched_share:.3f}"])
    survival = industry_results.survival.assign(model_id="industry_survival_rates")
    return pd.concat([tidy, survival, matched.assign(model_id="matched_share")], ignore_index=True), formatted
