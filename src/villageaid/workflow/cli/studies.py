"""Simulation studies: Monte Carlo, power for study design, specification curve."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from villageaid.io.write import staged_folder, write_csv, write_parquet, write_text
from villageaid.simulation import SCENARIOS
from villageaid.workflow.cli.common import (
    EXIT_INTERNAL,
    EXIT_OK,
    MAX_REPS,
    REPS,
    UserError,
    add_executor_options,
    log,
    read_panel_option,
    refuse_overlap,
    refuse_unreadable_note,
    run_study,
    staged_out,
)

#: Most counties of a simulated design, villages per county and numbers in a list option of the power study.
MAX_COUNTIES, MAX_VILLAGES, MAX_LIST = 1_000, 5_000, 50


def cmd_montecarlo(args: argparse.Namespace) -> int:
    """Monte Carlo of the H3, H4 and H5 estimators."""
    from villageaid.studies.montecarlo import replication, summarize

    if args.reps < 1:
        raise UserError("--reps must be at least 1")
    scenario = SCENARIOS[args.scenario]()
    result = run_study(replication, args.reps, args, (scenario,))
    rows = pd.DataFrame([row for rows in result.results if rows for row in rows])
    out = Path(args.out)
    write_parquet(rows, out / f"replications_{scenario.name}.parquet")
    summary = summarize(rows)
    write_csv(summary, out / f"summary_{scenario.name}.csv")
    limits = (f"; {int(summary['variance_fallbacks'].sum())} estimates with CRV1 errors where the jackknife was "
              f"undefined, {int(summary['not_estimated'].sum())} not estimable (counted, never stopping the run)")
    note = (f"SIMULATED data, scenario {scenario.name}, {args.reps} replications, root seed {args.seed}; "
            f"{len(result.failures)} failed{limits}.")
    write_text(out / f"summary_{scenario.name}.md", summary.round(4).to_csv(sep="|", index=False) + "\n" + note + "\n")
    from villageaid.report.figures import montecarlo_figure, save_figure  # matplotlib: after the options are checked

    save_figure(montecarlo_figure(rows, note=note), out / f"figure_montecarlo_{scenario.name}")
    print(summary.round(4).to_string(index=False))
    return EXIT_OK if not result.failures else EXIT_INTERNAL

def cmd_power(args: argparse.Namespace) -> int:
    """Power for study design: of each claim against the number of counties, or of the H3 and H4 tests.

    With ``--claims``, the power-by-claim study; without, the H3/H4 study against counties, villages per county and
    effect size.
    """
    import itertools

    def numbers(text: str, kind: type, option: str, least: float | None = None, most: float | None = None,
                why: str = "") -> list:
        import math

        try:
            values = [kind(v) for v in text.split(",") if v.strip()]
        except ValueError as exc:
            raise UserError(f"{option}: cannot read the list {text!r}: {exc}") from exc
        if not values:
            raise UserError(f"{option}: give at least one number")
        if not all(math.isfinite(v) for v in values):
            raise UserError(f"{option} {text!r}: every number must be finite")
        if least is not None and min(values) < least:
            raise UserError(f"{option} {text!r}: every number must be at least {least}")
        if most is not None and max(values) > most:
            raise UserError(f"{option} {text!r}: every number must be at most {most:,}{f' ({why})' if why else ''}")
        if len(values) > MAX_LIST:
            raise UserError(f"{option} {text!r}: at most {MAX_LIST} numbers (each is a design of --reps "
                            "replications)")
        return values

    if args.reps < 1:
        raise UserError("--reps must be at least 1")
    counties = numbers(args.counties, int, "--counties", 1, MAX_COUNTIES,
                       "each replication simulates every county: work and memory grow with the counties")
    out = Path(args.out)
    if args.claims is None:  # the effect-size study of the H3 and H4 tests
        for option, value in (("--scenario", args.scenario), ("--vcov", args.vcov)):
            if value is not None:
                raise UserError(f"{option} belongs to the power-by-claim study: add --claims all (or some claims)")
        villages = numbers(args.villages or "60,135", int, "--villages", 1, MAX_VILLAGES, "villages per county")
        effects = numbers(args.effects or "0.3,0.6", float, "--effects", -10, 10, "effects on the log scale")
        # the studies import the analyses (a second or two): after the options are checked
        from villageaid.studies.power import power_task, summarize_power

        designs = list(itertools.product(counties, villages, effects))
        tasks = [design for design in designs for _ in range(args.reps)]
        result = run_study(power_task, len(tasks), args, (tuple(tasks),), with_index=True)
        rows = pd.DataFrame([r for r in result.results if r is not None])
        if rows.empty:
            raise UserError("no replication could be run (see the failures above)")
        power, needed = summarize_power(rows)
        write_parquet(rows, out / "power_replications.parquet")
        write_csv(power, out / "power.csv")
        write_csv(needed, out / "counties_for_80pct_power.csv")
        note = f"SIMULATED data; {args.reps} replications per design; root seed {args.seed}."
        from villageaid.report.figures import power_figure, save_figure  # matplotlib: after the options are checked

        save_figure(power_figure(power, note=note), out / "figure_power")
        print(needed.to_string(index=False))
        return EXIT_OK if not result.failures else EXIT_INTERNAL

    # The power-by-claim study: every chosen claim, at each number of counties (and villages per county).
    if args.effects is not None:
        raise UserError("--effects belongs to the effect-size study of H3 and H4: leave out --claims to run it")
    villages = sorted(set(numbers(args.villages, int, "--villages", 1, MAX_VILLAGES, "villages per county"))) \
        if args.villages else [None]
    # the claims are those of the analyses, which take a second or two to import: after the other options
    from villageaid.studies.discrimination import STUDY_SCENARIOS
    from villageaid.studies.power import claim_power_task, power_sentence, select_claims, summarize_claim_power

    try:
        claims = select_claims(args.claims)
    except ValueError as exc:
        raise UserError(f"--claims: {exc}") from exc
    scenario = args.scenario or "seed_true"
    if scenario not in STUDY_SCENARIOS:
        raise UserError(f"--scenario {scenario!r}: use one of {', '.join(STUDY_SCENARIOS)}")
    designs = [(scenario, c, v) for v in villages for c in sorted(set(counties))]
    tasks = tuple(design for design in designs for _ in range(args.reps))
    ids = tuple(k.id for k in claims)
    result = run_study(claim_power_task, len(tasks), args, (tasks, ids, args.vcov or "auto"), with_index=True)
    rows = pd.DataFrame([row for rows in result.results if rows for row in rows])
    if rows.empty:
        raise UserError("no replication could be run (see the failures above)")
    by_claim, needed = summarize_claim_power(rows)
    write_parquet(rows, out / "power_by_claim_replications.parquet")
    write_csv(by_claim, out / "power_by_claim.csv")
    write_csv(needed, out / "counties_for_80pct_power_by_claim.csv")
    log(f"power by claim: SIMULATED data, scenario {scenario}, {args.reps} replications per design, root seed "
        f"{args.seed}; {len(result.failures)} failed, {int(by_claim['not_estimated'].sum())} estimates not "
        "estimable (counted as not supported)")
    shown = needed.assign(description=needed["description"].str.slice(0, 60))
    print(shown.drop(columns=["claim_id", "scenario", "fewest_counties_tried", "most_counties_tried"])
          .round(3).to_string(index=False))
    sentences = [power_sentence(table) for _, table in needed.groupby("villages_per_county", sort=False)]
    for sentence in sentences:
        print(sentence)
    variance = {"auto": "the variance the build would choose", "CRV3": "the village jackknife (CRV3)",
                "CRV1": "CRV1 errors by village (faster than the paper's village jackknife and somewhat too small "
                        "with few villages carrying a term, so these powers lean high)",
                "CRV1-county": "CRV1 errors by county"}[args.vcov or "auto"]
    text = (f"How many counties would a study need? Simulating the {scenario} process in more counties "
            f"({', '.join(map(str, sorted(set(counties))))}; {args.reps} replications each, root seed {args.seed}, "
            f"{variance}): " + " ".join(sentences) + " The counties are the allocation's decision-makers: with the "
            "source paper's two, a claim rests on two decisions, however many villages they hold.")
    from villageaid.report.render import latex_escape  # the report layer: after the options are checked

    write_text(out / "power_text.tex", "% Generated by villageaid power --claims; do not edit.\n"
               f"\\newcommand{{\\VAPowerText}}{{{latex_escape(text)}}}\n")
    return EXIT_OK if not result.failures else EXIT_INTERNAL


def cmd_speccurve(args: argparse.Namespace) -> int:
    """Specification curve of the H3 and H4 estimates on a panel."""
    from villageaid.report.figures import save_figure, speccurve_figure
    from villageaid.studies.speccurve import scale_note, specification_curve

    refuse_overlap("speccurve", {"--out": args.out}, {"PANEL": args.panel})
    panel = read_panel_option(args.panel, "speccurve")
    note = f"{panel.attrs.get('data_source', '')}. {scale_note()}"
    refuse_unreadable_note(note)  # before estimating
    table = specification_curve(panel)
    with staged_folder(Path(args.out)) as out:  # both files or neither
        write_csv(table, out / "speccurve.csv")
        save_figure(speccurve_figure(table, note=note), out / "figure_speccurve")
    estimated = table.loc[table["estimate"].notna()]
    summary = estimated.groupby("hypothesis").agg(specifications=("estimate", "size"),
                                                  median=("estimate", "median"),
                                                  share_significant=("significant_5pct", "mean"))
    print(summary.to_string())
    skipped = table.loc[table["estimate"].isna()]
    if len(skipped):
        log(f"speccurve: {len(skipped)} specification(s) not estimable on these data (reasons in the "
             f"not_estimated column of speccurve.csv), e.g. {skipped['not_estimated'].iloc[0]}")
    return EXIT_OK


def cmd_discrimination(args: argparse.Namespace) -> int:
    """Replicate the paper's verdicts on its claims across scenarios and designs (what the design tells apart)."""
    from villageaid.report.render import latex_escape
    from villageaid.report.simulation_tables import coverage_table, discrimination_table, robustness_text
    from villageaid.report.tables import write_table
    from villageaid.studies.discrimination import DESIGNS, STUDY_SCENARIOS, replication_task, summarize

    if args.reps < 1:
        raise UserError("--reps must be at least 1")
    scenarios = _choices(args.scenarios, STUDY_SCENARIOS, "--scenarios")
    designs = _choices(args.designs, DESIGNS, "--designs")
    tasks = tuple((scenario, design) for design in designs for scenario in scenarios for _ in range(args.reps))
    result = run_study(replication_task, len(tasks), args, (tasks,), with_index=True)
    rows = pd.DataFrame([row for rows in result.results if rows for row in rows])
    out = Path(args.out)
    write_parquet(rows, out / "discrimination_replications.parquet")
    summary = summarize(rows)
    write_csv(summary, out / "discrimination_summary.csv")
    note = (f"SIMULATED data: {args.reps} replications of each of {len(scenarios)} scenarios at {len(designs)} "
            f"design(s), root seed {args.seed}; {len(result.failures)} failed, "
            f"{int(summary['not_estimated'].sum())} estimates not estimable and "
            f"{int(summary['variance_fallbacks'].sum())} with CRV1 where the jackknife was undefined (counted, never "
            "stopping the run).")
    write_table("table11_discrimination", summary, discrimination_table(summary, note=note), out)
    write_table("table12_coverage", summary, coverage_table(summary, note=note), out)
    write_text(out / "robustness_text.tex", "% Generated by villageaid discrimination; do not edit.\n"
               f"\\newcommand{{\\VARobustnessText}}{{{latex_escape(robustness_text(summary))}}}\n")
    print(summary[["hypothesis", "scenario", "design", "supported", "contradicted", "coverage"]]
          .round(3).to_string(index=False))
    return EXIT_OK if not result.failures else EXIT_INTERNAL


def _choices(text: str, allowed: tuple[str, ...], option: str) -> list[str]:
    chosen = [part.strip() for part in text.split(",") if part.strip()] if text != "all" else list(allowed)
    unknown = [c for c in chosen if c not in allowed]
    if unknown or not chosen:
        raise UserError(f"{option}: unknown {', '.join(unknown) or 'empty list'}; use all or some of "
                        f"{', '.join(allowed)}")
    return chosen


def register(sub: argparse._SubParsersAction) -> None:
    """Add this family's commands to the ``villageaid`` parser."""
    p = sub.add_parser("montecarlo", help="Monte Carlo of the H3, H4 and H5 estimators (bias, RMSE, coverage)",
                       description="Simulate, build the panel and estimate N times; write one row per "
                                   "replication and estimate (Parquet), a summary table (bias, RMSE, coverage, "
                                   "rejection rate: size under null, power under seed_true) "
                                   "and a figure. Runs serially, on local worker processes or on an existing Dask "
                                   "cluster, with the same numbers.")
    p.add_argument("--scenario", choices=[name for name in SCENARIOS if name != "national"], default="seed_true",
                   help="scenario of the simulated data (default seed_true; see data/README.md)")
    p.add_argument("--reps", type=REPS, default=200, help=f"replications (default 200; at most {MAX_REPS:,})")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    add_executor_options(p)
    p.set_defaults(func=staged_out(cmd_montecarlo))

    p = sub.add_parser("power", help="power for study design: how many counties each claim needs (--claims), or "
                                     "the H3 and H4 tests against effect size",
                       description="Two studies. With --claims (all, hypotheses such as H3,H4, or claim ids): the "
                                   "scenario's process (--scenario, default seed_true) is simulated in each number of "
                                   "--counties (villages per county as the scenario's own counties, repeated in turn, "
                                   "unless --villages), every chosen claim is estimated as the discrimination study "
                                   "does, and the share of --reps replications whose verdict reads supported is its "
                                   "power (its false-support rate where the scenario makes the claim false); writes "
                                   "power_by_claim.csv, counties_for_80pct_power_by_claim.csv (the fewest counties "
                                   "reaching 80% power, or a note that none in the grid does), the replications "
                                   "(Parquet) and power_text.tex (the paper's robustness section quotes it), and "
                                   "prints the table and a sentence for the paper. The village "
                                   "jackknife that --vcov auto uses below 30 counties takes minutes a replication "
                                   "from 8 counties of 135 villages; --vcov CRV1 is the fast approximation. Without "
                                   "--claims: the power of the strong-alliance (H3) and logic-shift (H4) PPML tests "
                                   "against --counties, --villages (default 60,135) and --effects (default 0.3,0.6); "
                                   "writes power.csv, counties_for_80pct_power.csv and a figure. The same seed gives "
                                   "the same files, serially or on workers.")
    p.add_argument("--claims", default=None, metavar="CLAIMS",
                   help="run the power-by-claim study for these claims: all, comma-separated hypotheses (H1, ..., "
                        "H12) and/or claim ids (as in power_by_claim.csv)")
    p.add_argument("--counties", default="2,4,8,16", help="comma-separated numbers of counties (default 2,4,8,16)")
    p.add_argument("--villages", default=None,
                   help="comma-separated villages per county (default: the scenario's own with --claims, else "
                        "60,135)")
    p.add_argument("--effects", default=None,
                   help="comma-separated effect sizes (log scale) of the H3/H4 study (default 0.3,0.6; not with "
                        "--claims)")
    p.add_argument("--scenario", default=None,
                   help="scenario of the power-by-claim study (with --claims only): seed_true (the default), or "
                        "another of the discrimination study's (null, complementarity, need_decline, spillover, "
                        "hidden_selection)")
    p.add_argument("--vcov", choices=("auto", "CRV3", "CRV1", "CRV1-county"), default=None,
                   help="variance of the power-by-claim study (with --claims only): auto (the default: as the build "
                        "chooses, the village jackknife CRV3 below 30 counties, CRV1 by county from 30), CRV3, CRV1 "
                        "by village (fast) or CRV1-county")
    p.add_argument("--reps", type=REPS, default=100,
                   help=f"replications per design (default 100; at most {MAX_REPS:,})")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    add_executor_options(p)
    p.set_defaults(func=staged_out(cmd_power))

    p = sub.add_parser("discrimination", help="what the design can tell apart: the paper's verdicts across scenarios",
                       description="For each claim of the source paper, the share of replications in which the "
                                   "paper's verdict reads supported, contradicted or undetermined, under each "
                                   "scenario (seed_true, null, complementarity, need_decline, spillover, "
                                   "hidden_selection) at the two-county design and with 40 counties; with the "
                                   "coverage of the 95% intervals. Writes Tables 11 and 12, the replications "
                                   "(Parquet), the summary (CSV) and the paper's robustness text. Serial, a local "
                                   "Dask cluster or an existing one give the same numbers.")
    p.add_argument("--reps", type=REPS, default=200,
                   help=f"replications per scenario and design (default 200; at most {MAX_REPS:,})")
    p.add_argument("--scenarios", default="all", help="comma-separated scenarios, or all (default)")
    p.add_argument("--designs", default="all", help="comma-separated designs (two_county, many_county), or all")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    add_executor_options(p)
    p.set_defaults(func=staged_out(cmd_discrimination))

    p = sub.add_parser("speccurve", help="specification curve of the H3 and H4 estimates",
                       description="Estimate H3 and H4 under 162 specifications each (outcome, endowment "
                                   "definition, fixed effects, clustering, sample); write a table and the "
                                   "two-panel specification-curve figure.")
    p.add_argument("panel", type=Path, metavar="PANEL", help="panel Parquet file")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.set_defaults(func=cmd_speccurve)
