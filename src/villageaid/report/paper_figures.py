"""The paper's figures from a build's estimates: each writer returns (figure, the numbers it draws or None).

Writers only draw: the estimates come from the analyses the output declares in the registry. The pipeline
saves the figure (PNG and PDF) and the numbers (CSV) under the declared stems.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from villageaid.analysis.truth import model_truth, panel_truth
from villageaid.registry import (
    CAMPAIGN_PPML,
    CITY_ASINH,
    CS_NOT_YET,
    H10_ARRIVAL_DYNAMIC,
    RICH_ASINH,
    SHIFT_ASINH,
    SHIFT_PPML,
    SUN_ABRAHAM,
    TRANSITION_PPML,
    ModelSpec,
)
from villageaid.report.context import OutputContext
from villageaid.report.event_study_tables import sensitivity_columns
from villageaid.report.figures import (
    arrival_figure,
    cap_curve_figure,
    coefficient_figure,
    dynamic_effects_figure,
    event_study_figure,
    funding_by_type_figure,
    inequality_figure,
    matching_figure,
    sensitivity_figure,
    tidy_for_figure,
)

Drawn = tuple[plt.Figure, "pd.DataFrame | None"]


def _width(context: OutputContext) -> float:
    """Return the figure's width in the paper (a fraction of the line), as the registry declares it."""
    return float(context.spec.width or 1)


def write_funding_by_type(context: OutputContext) -> Drawn:
    """Draw mean funding by village type (from the panel)."""
    return funding_by_type_figure(context.panel, note=context.note, width=_width(context)), None


def write_event_study(context: OutputContext) -> Drawn:
    """Draw the asinh event studies of H4, rich × year and city-level × year."""
    studies = {"Rich × year (asinh funding)": context.model(RICH_ASINH),
               "City-level × year (asinh funding)": context.model(CITY_ASINH)}
    truth = panel_truth(context.panel)
    truths = None if truth is None else {  # the change after 2020 the triple difference's terms carry
        title: model_truth(truth, SHIFT_ASINH, term)[0]
        for title, term in zip(studies, ("post:rich_village", "post:city"), strict=True)}
    figure = event_study_figure(studies, note=context.note, truths=truths, width=_width(context))
    return figure, tidy_for_figure(studies)


def _sensitivity(context: OutputContext, analysis: str) -> dict:
    """Each declared model's robust intervals under each restriction, by column label (as Tables 5b and 6c)."""
    sensitivity = context.analysis(analysis).sensitivity
    return {column.label: column.result for spec in context.spec.models
            for column in sensitivity_columns(spec, sensitivity[spec.result])}


def write_h4_sensitivity(context: OutputContext) -> Drawn:
    """Draw robust intervals of the 2021 rich × year effect against M and M̄."""
    results = _sensitivity(context, "logic_shift_sensitivity")
    return sensitivity_figure(results, note=context.note, width=_width(context)), None


def write_designation_dynamic(context: OutputContext) -> Drawn:
    """Draw effects of designation by event time: Callaway–Sant'Anna with its uniform band, Sun–Abraham beside."""
    cs_dynamic = context.model(CS_NOT_YET).tidy()
    sa_dynamic = context.model(SUN_ABRAHAM).tidy()
    data = pd.concat([cs_dynamic.assign(method="Callaway-Sant'Anna, not yet treated"),
                      sa_dynamic.assign(method="Sun-Abraham")], ignore_index=True)
    return dynamic_effects_figure(cs_dynamic, sa_dynamic, note=context.note, width=_width(context)), data


def write_h5_sensitivity(context: OutputContext) -> Drawn:
    """Draw robust intervals of the effect of designation in its first year against M and M̄."""
    results = _sensitivity(context, "demonstration_sensitivity")
    return sensitivity_figure(results, note=context.note, width=_width(context)), None


def write_inequality(context: OutputContext) -> Drawn:
    """Draw gini and Theil by year, and Lorenz curves (the CSV holds the curves)."""
    inequality = context.analysis("inequality")
    figure = inequality_figure(inequality.by_year, inequality.lorenz, note=context.note, width=_width(context))
    return figure, inequality.lorenz


def write_matching(context: OutputContext) -> Drawn:
    """Draw assortative matching by year."""
    index = context.analysis("matching").matching_index
    return matching_figure(index, note=context.note, width=_width(context)), index


#: The coefficient plot: each PPML model's label and the terms it shows.
MAIN_TERMS = {"city": "city-level", "rich_village": "rich", "city_x_rich": "city-level × rich"}
SHIFT_TERMS = {"post:rich_village": "post × rich", "post:city": "post × city-level",
               "post:city_x_rich": "post × city-level × rich"}
COEFFICIENT_MODELS: tuple[tuple[str, ModelSpec, dict[str, str]], ...] = (
    ("Transition PPML", TRANSITION_PPML, MAIN_TERMS), ("Campaign PPML", CAMPAIGN_PPML, MAIN_TERMS),
    ("H4 PPML", SHIFT_PPML, SHIFT_TERMS))


def main_coefficients(context: OutputContext) -> pd.DataFrame:
    """Collect the H1–H4 PPML coefficients shown in the coefficient plot (with the truth in simulated editions)."""
    truth = panel_truth(context.panel)
    rows = []
    for model_label, spec, terms in COEFFICIENT_MODELS:
        table = context.model(spec).tidy().set_index("term")
        for term, label in terms.items():
            if term in table.index:
                row = table.loc[term]
                rows.append({"model": model_label, "term": term, "label": f"{model_label}: {label}",
                             "estimate": row["estimate"], "conf_low": row["conf_low"], "conf_high": row["conf_high"]})
                if truth is not None:
                    rows[-1]["truth"] = model_truth(truth, spec, term)[0]
    return pd.DataFrame(rows)


def write_coefficients(context: OutputContext) -> Drawn:
    """Draw the main PPML coefficients of H1–H4 with 95% intervals."""
    coefficients = main_coefficients(context)
    return coefficient_figure(coefficients, note=context.note, width=_width(context)), coefficients


def write_arrival(context: OutputContext) -> Drawn:
    """Draw effect of a city-level first secretary's arrival by years since arrival."""
    dynamic = context.model(H10_ARRIVAL_DYNAMIC).tidy()
    return arrival_figure(dynamic, note=context.note, width=_width(context)), dynamic


def write_cap_curve(context: OutputContext) -> Drawn:
    """Draw county pooling's cap curve under each return shape, with the named policies (the CSV holds the curve)."""
    policy = context.analysis("policy")
    return cap_curve_figure(policy.curve, policy.table, note=context.note, width=_width(context)), policy.curve
