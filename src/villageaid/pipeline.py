"""Build the paper's tables and figures from a panel. Knows output paths; the analysis layer does not."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from villageaid.analysis import (
    AllocationResults,
    LogicShiftResults,
    allocation_models,
    logic_shift_models,
    matching_models,
)
from villageaid.analysis.demonstration import demonstration_models
from villageaid.analysis.inequality import inequality_models
from villageaid.analysis.persistence import persistence_models
from villageaid.config import DEFAULT_SEED
from villageaid.io.write import write_csv
from villageaid.replicate import write_key_numbers
from villageaid.report import hypothesis_tables as ht
from villageaid.report.figures import (
    coefficient_figure,
    dynamic_effects_figure,
    event_study_figure,
    funding_by_type_figure,
    inequality_figure,
    matching_figure,
    save_figure,
    tidy_for_figure,
)
from villageaid.report.tables import data_note, table1, write_table

#: Seeds of the bootstrap steps, derived from the one root seed.
BOOTSTRAP_SEEDS = {"allocation_transition": DEFAULT_SEED + 31, "allocation_campaign": DEFAULT_SEED + 32,
                   "logic_shift": DEFAULT_SEED + 41, "demonstration": DEFAULT_SEED + 51,
                   "inequality": DEFAULT_SEED + 71, "matching": DEFAULT_SEED + 91}


MAIN_TERMS = {"city": "city-level", "rich_village": "rich", "city_x_rich": "city-level × rich"}
SHIFT_TERMS = {"post:rich_village": "post × rich", "post:city": "post × city-level",
               "post:city_x_rich": "post × city-level × rich"}


def main_coefficients(transition: AllocationResults, campaign: AllocationResults,
                      shift: LogicShiftResults) -> pd.DataFrame:
    """Collect the H1–H4 PPML coefficients shown in the coefficient plot."""
    rows = []
    for model_label, result, terms in (("Transition PPML", transition.ppml, MAIN_TERMS),
                                       ("Campaign PPML", campaign.ppml, MAIN_TERMS),
                                       ("H4 PPML", shift.ppml, SHIFT_TERMS)):
        table = result.tidy().set_index("term")
        for term, label in terms.items():
            if term in table.index:
                row = table.loc[term]
                rows.append({"model": model_label, "term": term, "label": f"{model_label}: {label}",
                             "estimate": row["estimate"], "conf_low": row["conf_low"], "conf_high": row["conf_high"]})
    return pd.DataFrame(rows)


def build_outputs(panel: pd.DataFrame, tables_dir: Path, figures_dir: Path, *, bootstrap_draws: int = 9999,
                  log: Callable[[str], None] = print) -> list[Path]:
    """Estimate every landed analysis on ``panel`` and write Tables 1–8 and the figures."""
    written: list[Path] = []

    def step(name: str, started: float, paths: list[Path]) -> None:
        written.extend(paths)
        log(f"{name}: wrote {', '.join(p.name for p in paths)} in {time.perf_counter() - started:.2f} s")

    started = time.perf_counter()
    step("table 1", started, write_table("table1_typology", *table1(panel), tables_dir))
    started = time.perf_counter()
    paths = save_figure(funding_by_type_figure(panel, note=data_note(panel)), figures_dir / "figure_funding_by_type")
    step("funding-by-type figure", started, paths)
    started = time.perf_counter()
    step("table 2", started, write_table("table2_descriptives", *ht.table2(panel), tables_dir))
    started = time.perf_counter()
    transition = allocation_models(panel, period="transition", bootstrap_draws=bootstrap_draws,
                                   seed=BOOTSTRAP_SEEDS["allocation_transition"])
    campaign = allocation_models(panel, period="campaign", bootstrap_draws=bootstrap_draws,
                                 seed=BOOTSTRAP_SEEDS["allocation_campaign"])
    step("table 3 (H1-H3)", started, write_table("table3_level_endowment", *ht.table3(transition, campaign, panel),
                                                 tables_dir))
    started = time.perf_counter()
    shift = logic_shift_models(panel, bootstrap_draws=bootstrap_draws, seed=BOOTSTRAP_SEEDS["logic_shift"])
    step("table 4 (H4)", started, write_table("table4_logic_shift", *ht.table4(shift, panel), tables_dir))
    started = time.perf_counter()
    step("table 5 (event studies)", started, write_table("table5_event_study", *ht.table5(shift, panel), tables_dir))
    started = time.perf_counter()
    studies = {"Rich × year (asinh funding)": shift.rich_event_study,
               "City-level × year (asinh funding)": shift.city_event_study}
    figure = event_study_figure(studies, note=data_note(panel))
    paths = save_figure(figure, figures_dir / "figure_event_study")
    paths.append(write_csv(tidy_for_figure(studies), figures_dir / "figure_event_study.csv"))
    step("event-study figure", started, paths)
    started = time.perf_counter()
    demonstration = demonstration_models(panel, draws=min(bootstrap_draws, 999) or 199,
                                         seed=BOOTSTRAP_SEEDS["demonstration"])
    step("table 6 (H5)", started, write_table("table6_demonstration", *ht.table6(demonstration, panel), tables_dir))
    started = time.perf_counter()
    cs_dynamic = demonstration.cs_not_yet_dynamic.tidy()
    sa_dynamic = demonstration.sun_abraham.tidy()
    paths = save_figure(dynamic_effects_figure(cs_dynamic, sa_dynamic, note=data_note(panel)),
                        figures_dir / "figure_demonstration_dynamic")
    paths.append(write_csv(pd.concat([cs_dynamic.assign(method="Callaway-Sant'Anna, not yet treated"),
                                      sa_dynamic.assign(method="Sun-Abraham")], ignore_index=True),
                           figures_dir / "figure_demonstration_dynamic.csv"))
    step("dynamic-effects figure (H5)", started, paths)
    started = time.perf_counter()
    step("table 6b (H6)", started, write_table("table6b_persistence", *ht.table6b(persistence_models(panel), panel),
                                               tables_dir))
    started = time.perf_counter()
    inequality = inequality_models(panel, draws=min(bootstrap_draws, 999) or 199,
                                   seed=BOOTSTRAP_SEEDS["inequality"])
    step("table 7 (H7)", started, write_table("table7_inequality", *ht.table7(inequality, panel), tables_dir))
    started = time.perf_counter()
    paths = save_figure(inequality_figure(inequality.by_year, inequality.lorenz, note=data_note(panel)),
                        figures_dir / "figure_inequality")
    paths.append(write_csv(inequality.lorenz, figures_dir / "figure_inequality_lorenz.csv"))
    step("inequality figure (H7)", started, paths)
    started = time.perf_counter()
    matching = matching_models(panel, draws=min(bootstrap_draws, 999) or 199, seed=BOOTSTRAP_SEEDS["matching"])
    step("table 8 (H8, H9)", started, write_table("table8_level_strength_matching",
                                                  *ht.table8(transition, matching, panel), tables_dir))
    started = time.perf_counter()
    paths = save_figure(matching_figure(matching.matching_index, note=data_note(panel)),
                        figures_dir / "figure_matching")
    paths.append(write_csv(matching.matching_index, figures_dir / "figure_matching.csv"))
    step("matching figure (H9)", started, paths)
    started = time.perf_counter()
    coefficients = main_coefficients(transition, campaign, shift)
    paths = save_figure(coefficient_figure(coefficients, note=data_note(panel)), figures_dir / "figure_coefficients")
    paths.append(write_csv(coefficients, figures_dir / "figure_coefficients.csv"))
    step("coefficient plot", started, paths)
    started = time.perf_counter()
    step("key numbers for the paper's text", started, [write_key_numbers(tables_dir)])
    return written
