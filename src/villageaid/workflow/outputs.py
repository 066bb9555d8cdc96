"""Build the paper's tables and figures from a panel. Knows output paths; the analysis layer does not."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from villageaid.analysis.policy import simulate_policies
from villageaid.analysis.policy_inputs import counties_from_panel, estimate_policy_models
from villageaid.analysis.returns import returns_models
from villageaid.analysis.variables import NOT_ESTIMABLE
from villageaid.config import DEFAULT_SEED
from villageaid.estimators.vcov import CRV1, CRV3, VarianceEstimator
from villageaid.io.write import write_csv
from villageaid.report import hypothesis_tables as ht
from villageaid.report.figures import (
    arrival_figure,
    coefficient_figure,
    dynamic_effects_figure,
    event_study_figure,
    frontier_figure,
    funding_by_type_figure,
    inequality_figure,
    matching_figure,
    save_figure,
    sensitivity_figure,
    tidy_for_figure,
)
from villageaid.report.key_numbers import write_key_numbers
from villageaid.report.paper_text import write_paper_text
from villageaid.report.render import FormattedTable
from villageaid.report.tables import data_note, table1, write_table

#: Seeds of the bootstrap steps, derived from the one root seed.
BOOTSTRAP_SEEDS = {"allocation_transition": DEFAULT_SEED + 31, "allocation_campaign": DEFAULT_SEED + 32,
                   "logic_shift": DEFAULT_SEED + 41, "demonstration": DEFAULT_SEED + 51,
                   "inequality": DEFAULT_SEED + 71, "matching": DEFAULT_SEED + 91, "policy": DEFAULT_SEED + 101}
#: Coefficient draws of the policy simulator in the paper's build.
POLICY_DRAWS = 200


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




@dataclass(frozen=True)
class Output:
    """One table or figure of the paper: its file stem, title and the analyses it needs."""

    stem: str
    title: str
    kind: str  # "table" or "figure"
    needs: tuple[str, ...]
    write: Callable[[dict, Path, Path, pd.DataFrame], list[Path]]


def _not_estimated_table(output: Output, reason: str, tables_dir: Path, panel: pd.DataFrame) -> list[Path]:
    formatted = FormattedTable(output.title, f"tab:{output.stem}", ["", "Not estimated"],
                               [["These data do not support this analysis", _short_reason(reason)]],
                               notes=[f"Reason: {reason}", data_note(panel)])
    tidy = pd.DataFrame({"status": ["not estimated"], "reason": [reason]})
    return write_table(output.stem, tidy, formatted, tables_dir)


def _short_reason(reason: str) -> str:
    """Shorten a reason for a table cell or a figure."""
    return reason if len(reason) <= 80 else reason[:77] + "..."


def _not_estimated_figure(output: Output, reason: str, figures_dir: Path, panel: pd.DataFrame) -> list[Path]:
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(6, 1.6))
    ax.axis("off")
    ax.text(0.5, 0.6, f"{output.title}: not estimated on these data", ha="center", va="center", fontsize=10)
    ax.text(0.5, 0.25, _short_reason(reason), ha="center", va="center", fontsize=8, color="0.3")
    return save_figure(figure, figures_dir / output.stem)


def _derived(results: dict, key: str, compute: Callable[[], object]) -> object:
    """Compute a result derived from the analyses once per build (a table and its figure share it)."""
    if key not in results:
        results[key] = compute()
    return results[key]


def _h4_sensitivity(results: dict) -> dict:
    return _derived(results, "sensitivity_h4", lambda: ht.sensitivity_results(results["logic_shift"]))


def _h5_sensitivity(results: dict) -> dict:
    return _derived(results, "sensitivity_h5", lambda: ht.demonstration_sensitivity(results["demonstration"]))


def _write_table3(results: dict, tables_dir: Path, figures_dir: Path, panel: pd.DataFrame) -> list[Path]:
    return write_table("table3_level_endowment",
                       *ht.table3(results["allocation_transition"], results["allocation_campaign"], panel), tables_dir)


def _write_event_figure(results: dict, tables_dir: Path, figures_dir: Path, panel: pd.DataFrame) -> list[Path]:
    shift = results["logic_shift"]
    studies = {"Rich × year (asinh funding)": shift.rich_event_study,
               "City-level × year (asinh funding)": shift.city_event_study}
    paths = save_figure(event_study_figure(studies, note=data_note(panel)), figures_dir / "figure_event_study")
    paths.append(write_csv(tidy_for_figure(studies), figures_dir / "figure_event_study.csv"))
    return paths


def _write_dynamic_figure(results: dict, tables_dir: Path, figures_dir: Path, panel: pd.DataFrame) -> list[Path]:
    demonstration = results["demonstration"]
    cs_dynamic = demonstration.cs_not_yet_dynamic.tidy()
    sa_dynamic = demonstration.sun_abraham.tidy()
    paths = save_figure(dynamic_effects_figure(cs_dynamic, sa_dynamic, note=data_note(panel)),
                        figures_dir / "figure_demonstration_dynamic")
    paths.append(write_csv(pd.concat([cs_dynamic.assign(method="Callaway-Sant'Anna, not yet treated"),
                                      sa_dynamic.assign(method="Sun-Abraham")], ignore_index=True),
                           figures_dir / "figure_demonstration_dynamic.csv"))
    return paths


def _figure_and_data(figure: object, data: pd.DataFrame, figures_dir: Path, stem: str,
                     data_stem: str | None = None) -> list[Path]:
    """Save a figure (PNG and PDF) and the numbers it draws (CSV beside it)."""
    paths = save_figure(figure, figures_dir / stem)
    paths.append(write_csv(data, figures_dir / f"{data_stem or stem}.csv"))
    return paths


def _write_inequality_figure(results: dict, tables_dir: Path, figures_dir: Path, panel: pd.DataFrame) -> list[Path]:
    inequality = results["inequality"]
    return _figure_and_data(inequality_figure(inequality.by_year, inequality.lorenz, note=data_note(panel)),
                            inequality.lorenz, figures_dir, "figure_inequality", "figure_inequality_lorenz")


def _write_matching_figure(results: dict, tables_dir: Path, figures_dir: Path, panel: pd.DataFrame) -> list[Path]:
    matching = results["matching"]
    return _figure_and_data(matching_figure(matching.matching_index, note=data_note(panel)), matching.matching_index,
                            figures_dir, "figure_matching")


def _write_coefficients(results: dict, tables_dir: Path, figures_dir: Path, panel: pd.DataFrame) -> list[Path]:
    coefficients = main_coefficients(results["allocation_transition"], results["allocation_campaign"],
                                     results["logic_shift"])
    return _figure_and_data(coefficient_figure(coefficients, note=data_note(panel)), coefficients, figures_dir,
                            "figure_coefficients")


def _write_arrival_figure(results: dict, tables_dir: Path, figures_dir: Path, panel: pd.DataFrame) -> list[Path]:
    dynamic = results["returns"].arrival_dynamic.tidy()
    return _figure_and_data(arrival_figure(dynamic, note=data_note(panel)), dynamic, figures_dir, "figure_arrival")


def _write_frontier_figure(results: dict, tables_dir: Path, figures_dir: Path, panel: pd.DataFrame) -> list[Path]:
    policy = results["policy"]
    return _figure_and_data(frontier_figure(policy.frontier, policy.table, note=data_note(panel)), policy.frontier,
                            figures_dir, "figure_frontier")


#: The variances the paper's village models can be built with (``make all VCOV=…``, ``build --vcov``): the exact
#: cluster jackknife by village (the default; where it is undefined a model falls back to CRV1, marked) or CRV1
#: by village throughout.
PAPER_VARIANCES = {"CRV3": CRV3("village"), "CRV1": CRV1("village")}


def paper_variance(name: str) -> VarianceEstimator:
    """Return the paper's village variance by name ("CRV3" or "CRV1"), or say which names exist."""
    if name not in PAPER_VARIANCES:
        raise ValueError(f"unknown variance {name!r} for the paper's tables: use one of {', '.join(PAPER_VARIANCES)}")
    return PAPER_VARIANCES[name]


def analyses(bootstrap_draws: int, vcov: str = "CRV3") -> dict[str, Callable[[pd.DataFrame], object]]:
    """Every analysis the paper estimates, by id: each is estimated once and its results shared by outputs.

    ``vcov`` names the variance of the village models of Tables 3–5 (:data:`PAPER_VARIANCES`).
    """
    small = min(bootstrap_draws, 999) or 199
    variance = paper_variance(vcov)
    return {
        "allocation_transition": lambda panel: allocation_models(
            panel, period="transition", bootstrap_draws=bootstrap_draws, seed=BOOTSTRAP_SEEDS["allocation_transition"],
            vcov=variance),
        "allocation_campaign": lambda panel: allocation_models(
            panel, period="campaign", bootstrap_draws=bootstrap_draws, seed=BOOTSTRAP_SEEDS["allocation_campaign"],
            vcov=variance),
        "logic_shift": lambda panel: logic_shift_models(panel, bootstrap_draws=bootstrap_draws,
                                                        seed=BOOTSTRAP_SEEDS["logic_shift"], vcov=variance),
        "demonstration": lambda panel: demonstration_models(panel, draws=small, seed=BOOTSTRAP_SEEDS["demonstration"]),
        "persistence": persistence_models,
        "inequality": lambda panel: inequality_models(panel, draws=small, seed=BOOTSTRAP_SEEDS["inequality"]),
        "matching": lambda panel: matching_models(panel, draws=small, seed=BOOTSTRAP_SEEDS["matching"]),
        "returns": returns_models,
        "policy": lambda panel: simulate_policies(counties_from_panel(panel), estimate_policy_models(panel),
                                                  draws=POLICY_DRAWS, seed=BOOTSTRAP_SEEDS["policy"]),
    }


#: The paper's tables and figures, in order, with the analyses each needs.
OUTPUTS: tuple[Output, ...] = (
    Output("table1_typology", "Table 1. Village types by dispatching-unit level and village endowment", "table", (),
           lambda r, t, f, panel: write_table("table1_typology", *table1(panel), t)),
    Output("figure_funding_by_type", "Mean funding by village type", "figure", (),
           lambda r, t, f, panel: save_figure(funding_by_type_figure(panel, note=data_note(panel)),
                                              f / "figure_funding_by_type")),
    Output("table2_descriptives", "Table 2. Descriptive statistics by village type and period", "table", (),
           lambda r, t, f, panel: write_table("table2_descriptives", *ht.table2(panel), t)),
    Output("table3_level_endowment", "Table 3. Unit level, village endowment and funding (H1–H3)", "table",
           ("allocation_transition", "allocation_campaign"), _write_table3),
    Output("table4_logic_shift", "Table 4. The logic shift after 2021 (H4)", "table", ("logic_shift",),
           lambda r, t, f, panel: write_table("table4_logic_shift", *ht.table4(r["logic_shift"], panel), t)),
    Output("table5_event_study", "Table 5. Event studies: rich × year and city-level × year (2020 = 0)", "table",
           ("logic_shift",),
           lambda r, t, f, panel: write_table("table5_event_study", *ht.table5(r["logic_shift"], panel), t)),
    Output("figure_event_study", "Event studies", "figure", ("logic_shift",), _write_event_figure),
    Output("table5b_sensitivity", "Table 5b. Sensitivity of the 2021 effect to violations of parallel trends (H4)",
           "table", ("logic_shift",),
           lambda r, t, f, panel: write_table("table5b_sensitivity",
                                              *ht.table5b(_h4_sensitivity(r), panel, r["logic_shift"]), t)),
    Output("figure_sensitivity", "Sensitivity to violations of parallel trends", "figure", ("logic_shift",),
           lambda r, t, f, panel: save_figure(sensitivity_figure(_h4_sensitivity(r), note=data_note(panel)),
                                              f / "figure_sensitivity")),
    Output("table6_demonstration", "Table 6. Demonstration villages: TWFE, Sun–Abraham and Callaway–Sant'Anna (H5)",
           "table", ("demonstration",),
           lambda r, t, f, panel: write_table("table6_demonstration", *ht.table6(r["demonstration"], panel), t)),
    Output("figure_demonstration_dynamic", "Effects of designation", "figure", ("demonstration",),
           _write_dynamic_figure),
    Output("table6c_sensitivity",
           "Table 6c. Sensitivity of the effect of designation to violations of parallel trends (H5)", "table",
           ("demonstration",),
           lambda r, t, f, panel: write_table("table6c_sensitivity",
                                              *ht.table6c(_h5_sensitivity(r), panel,
                                                          r["demonstration"].cs_universal_dynamic), t)),
    Output("figure_sensitivity_demonstration", "Sensitivity of the effect of designation", "figure",
           ("demonstration",),
           lambda r, t, f, panel: save_figure(sensitivity_figure(_h5_sensitivity(r), note=data_note(panel)),
                                              f / "figure_sensitivity_demonstration")),
    Output("table6b_persistence", "Table 6b. The strong get stronger: persistence of funding (H6)", "table",
           ("persistence",),
           lambda r, t, f, panel: write_table("table6b_persistence", *ht.table6b(r["persistence"], panel), t)),
    Output("table7_inequality", "Table 7. Inequality of funding between villages (H7)", "table", ("inequality",),
           lambda r, t, f, panel: write_table("table7_inequality", *ht.table7(r["inequality"], panel), t)),
    Output("figure_inequality", "Inequality by year", "figure", ("inequality",), _write_inequality_figure),
    Output("table8_level_strength_matching",
           "Table 8. Vertical and horizontal gaps (H8) and who gets the strong units (H9)", "table",
           ("allocation_transition", "matching"),
           lambda r, t, f, panel: write_table("table8_level_strength_matching",
                                              *ht.table8(r["allocation_transition"], r["matching"], panel), t)),
    Output("figure_matching", "Assortative matching", "figure", ("matching",), _write_matching_figure),
    Output("table8b_returns", "Table 8b. What the money does: returns to funding (H10)", "table", ("returns",),
           lambda r, t, f, panel: write_table("table8b_returns", *ht.table8b(r["returns"], panel), t)),
    Output("figure_arrival", "Arrival of a city-level first secretary", "figure", ("returns",), _write_arrival_figure),
    Output("table9_policies", "Table 9. What the recommendations would change: allocation policies", "table",
           ("policy",), lambda r, t, f, panel: write_table("table9_policies", *ht.table9(r["policy"], panel), t)),
    Output("figure_frontier", "Fairness–efficiency frontier", "figure", ("policy",), _write_frontier_figure),
    Output("figure_coefficients", "Main PPML coefficients", "figure",
           ("allocation_transition", "allocation_campaign", "logic_shift"), _write_coefficients),
)


def build_outputs(panel: pd.DataFrame, tables_dir: Path, figures_dir: Path, *, bootstrap_draws: int = 9999,
                  log: Callable[[str], None] = print, workers: int | None = 1,
                  outputs: Sequence[Output] | None = None, vcov: str = "CRV3") -> list[Path]:
    """Estimate every analysis once and write Tables 1–8, the figures and the paper's generated text.

    An analysis the data do not support (no designated village, one funding record, no variation) is not
    fatal: its tables and figures are written as "not estimated on these data" with the reason, the key
    numbers that depend on it read "n.a.", and the paper's text says so.

    Parameters
    ----------
    panel : DataFrame
    tables_dir, figures_dir : Path
    bootstrap_draws : int
    log : callable
        Receives one line per output (and per analysis that could not be estimated).
    workers : int or None
        Processes to spread the outputs over (None: one per core). Outputs that share a long analysis stay
        in one process, which estimates it once; the short allocation models (:data:`REPEATABLE`) may be
        estimated in two. Every analysis has its own fixed seed, so the files are the same bytes whatever the
        number of workers. More than one needs the ``fork`` start method (Linux); elsewhere the outputs are
        written in this process.
    outputs : sequence of Output, optional
        The outputs to write (all of :data:`OUTPUTS` by default, in their order).
    vcov : {"CRV3", "CRV1"}
        Variance of the village models (:data:`PAPER_VARIANCES`); recorded in ``build_options.json``.
    """
    paper_variance(vcov)  # an unknown name is refused before anything is estimated
    import multiprocessing

    workers = (os.cpu_count() or 1) if workers is None else max(workers, 1)  # 0, as elsewhere: this process
    chosen = list(OUTPUTS if outputs is None else outputs)
    groups = _groups_sharing_analyses(chosen)
    fork = "fork" in multiprocessing.get_all_start_methods()
    written_by_stem: dict[str, list[Path]] = {}
    if workers > 1 and len(groups) > 1 and fork:
        from concurrent.futures import ProcessPoolExecutor, as_completed

        # Forked workers inherit the panel and the figure settings (language, fonts) without copying them.
        _FORKED["panel"] = panel
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=min(workers, len(groups)), mp_context=context,
                                     initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
                # The largest groups first, so that the long ones do not start last.
                futures = [pool.submit(_write_group_in_worker, [o.stem for o in group], tables_dir, figures_dir,
                                       bootstrap_draws, vcov)
                           for group in sorted(groups, key=len, reverse=True)]
                for future in as_completed(futures):
                    paths, messages = future.result()
                    written_by_stem.update(paths)
                    for message in messages:
                        log(message)
        finally:
            _FORKED.clear()
    else:
        shared: tuple[dict, dict] = ({}, {})  # one process: every analysis estimated once for all groups
        for group in groups:
            written_by_stem.update(_write_group(group, panel, tables_dir, figures_dir, bootstrap_draws, log,
                                                *shared, vcov=vcov))
    written = [path for output in chosen for path in written_by_stem[output.stem]]
    written.append(write_build_options(tables_dir, bootstrap_draws=bootstrap_draws, vcov=vcov))
    written.append(write_key_numbers(tables_dir))
    written.append(write_paper_text(tables_dir, panel))
    log("key numbers and the paper's generated text: written")
    return written


def _exit_with_parent(parent: int) -> None:
    """Make a worker exit as soon as the process that started it is gone (killed, say, with SIGKILL).

    A forked worker would otherwise wait for work forever: it holds its own copy of the task pipe, so it
    never sees the pipe close. Its output goes to staging folders that only the parent moves into place.
    """
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


#: What forked workers inherit from the process that forked them (the panel); empty otherwise.
_FORKED: dict[str, pd.DataFrame] = {}


#: Analyses short enough (under a second on the default data) that two worker processes may each estimate
#: them, rather than chain every output that needs one into a single long process.
REPEATABLE = frozenset({"allocation_transition", "allocation_campaign"})


def _groups_sharing_analyses(outputs: Sequence[Output]) -> list[list[Output]]:
    """Split outputs into groups that share no analysis outside :data:`REPEATABLE`, in order.

    Outputs needing no analysis form one group.
    """
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            name = parent[name]
        return name

    def linking(output: Output) -> list[str]:
        return [need for need in output.needs if need not in REPEATABLE] or list(output.needs)

    for output in outputs:
        needs = linking(output)
        for need in needs[1:]:
            parent[root(need)] = root(needs[0])
    groups: dict[str, list[Output]] = {}
    for output in outputs:
        key = root(linking(output)[0]) if output.needs else ""
        groups.setdefault(key, []).append(output)
    return list(groups.values())


def _write_group_in_worker(stems: list[str], tables_dir: Path, figures_dir: Path, bootstrap_draws: int,
                           vcov: str) -> tuple[dict[str, list[Path]], list[str]]:
    """Write one group of outputs in a forked worker; return the paths and the log lines."""
    by_stem = {output.stem: output for output in OUTPUTS}
    messages: list[str] = []
    paths = _write_group([by_stem[stem] for stem in stems], _FORKED["panel"], tables_dir, figures_dir,
                         bootstrap_draws, messages.append, vcov=vcov)
    return paths, messages


def _write_group(outputs: Sequence[Output], panel: pd.DataFrame, tables_dir: Path, figures_dir: Path,
                 bootstrap_draws: int, log: Callable[[str], None], results: dict | None = None,
                 failures: dict | None = None, *, vcov: str = "CRV3") -> dict[str, list[Path]]:
    """Estimate the analyses these outputs need (each once, or reuse ``results``) and write them, in order."""
    written: dict[str, list[Path]] = {}
    results = {} if results is None else results
    failures = {} if failures is None else failures
    estimators = analyses(bootstrap_draws, vcov)
    for output in outputs:
        started = time.perf_counter()
        for need in output.needs:
            if need in results or need in failures:
                continue
            try:
                results[need] = estimators[need](panel)
            except NOT_ESTIMABLE as exc:
                failures[need] = f"{need} could not be estimated ({type(exc).__name__}: {exc})"
                log(f"{need}: not estimated on these data: {type(exc).__name__}: {exc}")
        missing = [failures[n] for n in output.needs if n in failures]
        try:
            if missing:
                raise _Skipped("; ".join(missing))
            paths = output.write(results, tables_dir, figures_dir, panel)
        except (_Skipped, *NOT_ESTIMABLE) as exc:
            reason = str(exc) if isinstance(exc, _Skipped) else f"{type(exc).__name__}: {exc}"
            writer = _not_estimated_table if output.kind == "table" else _not_estimated_figure
            paths = writer(output, reason, tables_dir if output.kind == "table" else figures_dir, panel)
            log(f"{output.stem}: not estimated on these data ({reason}); wrote the explanation")
        written[output.stem] = paths
        log(f"{output.stem}: wrote {', '.join(p.name for p in paths)} in {time.perf_counter() - started:.2f} s")
    return written


def write_build_options(tables_dir: Path, *, bootstrap_draws: int, vcov: str) -> Path:
    """Record the options that shaped the tables (``build_options.json``, beside them and in the manifest)."""
    import json

    from villageaid.io.write import write_text

    options = {"vcov": vcov, "vcov_description": paper_variance(vcov).label + " for the village models of Tables 3-5"
               + (" (CRV1 where the jackknife is undefined, marked)" if vcov == "CRV3" else ""),
               "bootstrap_draws": bootstrap_draws}
    return write_text(tables_dir / "build_options.json", json.dumps(options, indent=1, sort_keys=True) + "\n")


class _Skipped(Exception):
    """An output whose analyses could not be estimated."""
