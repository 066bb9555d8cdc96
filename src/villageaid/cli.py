"""The ``villageaid`` command line: simulate, validate, panel, tables, codebook.

Exit codes: 0 success; 2 invalid input (a readable report, never a traceback); 1 an internal error
(rerun with ``--debug`` to see the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from villageaid import __version__
from villageaid.config import DEFAULT_SCENARIO, DEFAULT_SEED
from villageaid.io.headers import AMOUNT_UNIT_CHOICES, load_header_map
from villageaid.io.messages import LANG_ENV, escape, language
from villageaid.io.normalize import DATE_YEARS
from villageaid.io.provenance import (
    PROVENANCE_FILE,
    data_source,
    is_validated_set,
    read_validated_set,
    write_validated_set,
)
from villageaid.io.pseudonym import SALT_ENV
from villageaid.io.read import RawData, is_inside, read_records
from villageaid.io.write import write_csv, write_dataset, write_parquet, write_text
from villageaid.panel.endowment import DEFAULT_RICH_QUANTILE
from villageaid.panel.village_year import PANEL_INPUTS, PanelOptions, build_panel
from villageaid.schema import RAW_TABLES, codebook_markdown
from villageaid.simulation import SCENARIOS, national, simulate

EXIT_OK, EXIT_INTERNAL, EXIT_INVALID = 0, 1, 2


class UserError(Exception):
    """A mistake in the user's input or command line: reported in one message, exit code 2."""


#: --date-years as the command line writes its default.
DEFAULT_DATE_YEARS = f"{DATE_YEARS[0]}-{DATE_YEARS[1]}"


def _log(message: str) -> None:
    print(f"villageaid: {message}", file=sys.stderr)


def _add_ingest_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--header-map", type=Path, action="append", default=[], metavar="TOML",
                        help="extra header map (TOML, same form as the shipped one, with optional [levels]); "
                             "may be repeated")
    parser.add_argument("--amount-unit", choices=sorted(AMOUNT_UNIT_CHOICES), default=None,
                        help="unit of money columns whose header states none: yuan/元, thousand/千元, wan/万元 "
                             "(the default), million/百万元 or yi/亿元; a header that states another unit is an "
                             "error")
    parser.add_argument("--salt-file", type=Path, default=None,
                        help=f"file holding your secret salt for pseudonymizing a name column (or set "
                             f"{SALT_ENV}); at least 16 random characters, kept outside the data directory")
    parser.add_argument("--date-years", default=DEFAULT_DATE_YEARS, metavar="FIRST-LAST",
                        help=f"calendar years within which dates are plausible (default {DEFAULT_DATE_YEARS})")
    parser.add_argument("--max-problems", type=int, default=1000,
                        help="print at most this many problems (default 1000); the rest are counted per file, "
                             "column and problem")
    parser.add_argument("--lang", choices=("en", "zh"), default=None,
                        help=f"language of the report: en or zh (中文); default from {LANG_ENV}, else en")


def _vcov_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--vcov", choices=("CRV3", "CRV1"), default="CRV3",
                        help="variance of the village models of Tables 3-5: CRV3, the exact cluster jackknife by "
                             "village (default; where it is undefined a model shows CRV1 errors, marked with a "
                             "dagger and explained), or CRV1 by village throughout")


def _output_workers_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, default=None, metavar="K",
                        help="processes for the tables and figures (default: one per core); the files are the "
                             "same bytes whatever K")


def _date_years(text: str) -> tuple[int, int]:
    try:
        first, last = (int(part) for part in text.replace("–", "-").split("-"))
    except ValueError as exc:
        raise UserError(f"--date-years {text!r}: expected two years such as 1949-2100") from exc
    if first > last:
        raise UserError(f"--date-years {text!r}: the first year is after the last")
    return first, last


def _ingest(args: argparse.Namespace) -> RawData:
    try:
        return read_records(args.data_dir, header_maps=args.header_map, salt_file=args.salt_file,
                            amount_unit=args.amount_unit, date_years=_date_years(args.date_years))
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from exc


def _refuse_output_inside(data_dir: Path, out: Path | None, command: str) -> None:
    """Never write into the folder of the records being read (it must stay as the county sent it)."""
    if out is not None and is_inside(out, data_dir):
        raise UserError(f"{command}: --out {out} is inside the input folder {data_dir}; choose a folder outside "
                        "it (the input is never modified)")


def cmd_simulate(args: argparse.Namespace) -> int:
    """Write the six raw tables as CSV and truth.json."""
    start = time.perf_counter()
    if args.scenario == "national":
        scenario = national(seed=args.seed) if args.villages is None else national(args.villages, seed=args.seed)
    else:
        if args.villages is not None:
            raise UserError("--villages applies to the national scenario only")
        scenario = SCENARIOS[args.scenario]()
    data = simulate(scenario, seed=args.seed)
    out = Path(args.out)
    file_format = args.format or ("parquet" if args.scenario == "national" else "csv")
    other = "csv" if file_format == "parquet" else "parquet"
    stale = [out / f"{name}.{other}" for name in data.tables if (out / f"{name}.{other}").exists()]
    if stale:  # one source per table: files of the other format would make the folder unreadable
        raise UserError(f"{out} already holds {', '.join(p.name for p in stale)}; write to an empty folder or "
                        f"use --format {other}")
    write_dataset(data.tables, data.truth, out, file_format=file_format)
    rows = sum(len(f) for f in data.tables.values())
    _log(f"simulate: wrote {len(data.tables)} tables ({rows} rows) and truth.json to {out} "
         f"in {time.perf_counter() - start:.2f} s (scenario {scenario.name}, seed {args.seed})")
    return EXIT_OK


def _write_validated(raw: RawData, data_dir: Path, out: Path) -> None:
    """Write the validated tables and provenance as one set: into a staging folder, then moved in place.

    Other files in ``out`` are left alone; an optional table absent now does not linger from an earlier run.
    """
    import shutil
    import tempfile

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".validated.", dir=out))
    try:
        names = write_validated_set(raw.tables, raw.provenance, data_dir, staging)
        for name in RAW_TABLES:
            if f"{name}.parquet" not in names and (out / f"{name}.parquet").exists():
                (out / f"{name}.parquet").unlink()
        for name in names:
            (staging / name).replace(out / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _print_report(raw: RawData, args: argparse.Namespace) -> None:
    print(raw.report.format(max_lines=args.max_problems, lang=language(args.lang)))


def cmd_validate(args: argparse.Namespace) -> int:
    """Print the validation report; exit 2 when there are errors."""
    _refuse_output_inside(args.data_dir, args.out, "validate")
    raw = _ingest(args)
    report = raw.report
    _print_report(raw, args)
    if not report.ok:
        return EXIT_INVALID
    counts = ", ".join(f"{name} {len(frame)}" for name, frame in raw.tables.items())
    folder = escape(str(args.data_dir))
    if language(args.lang) == "zh":
        print(f"通过：{folder} 的数据有效（{counts} 行）")
    else:
        print(f"OK: {folder} is valid ({counts} rows)")
    if args.out is not None:
        start = time.perf_counter()
        _write_validated(raw, Path(args.data_dir), Path(args.out))
        _log(f"validate: read {folder}; wrote validated tables to {escape(str(args.out))} "
             f"in {time.perf_counter() - start:.2f} s")
    return EXIT_OK


def cmd_panel(args: argparse.Namespace) -> int:
    """Validate a data directory and write the village × year panel."""
    start = time.perf_counter()
    _refuse_output_inside(args.data_dir, args.out, "panel")
    if is_validated_set(args.data_dir):
        # A set written by `validate --out`: proven unchanged by its hashes, not validated a second time.
        given = [flag for flag, value, default in (
            ("--header-map", args.header_map, []), ("--amount-unit", args.amount_unit, None),
            ("--salt-file", args.salt_file, None),
            ("--date-years", args.date_years, DEFAULT_DATE_YEARS)) if value != default]
        if given:
            raise UserError(f"panel: {args.data_dir} is a validated set (it has {PROVENANCE_FILE}): its units, "
                            f"dates and pseudonyms were settled when it was validated, so {', '.join(given)} "
                            "cannot apply; give these options to `villageaid validate` on the records instead")
        try:
            tables = read_validated_set(args.data_dir, PANEL_INPUTS)
        except ValueError as exc:
            raise UserError(f"panel: {exc}") from exc
        read_what = "the validated set"
    else:
        raw = _ingest(args)
        if not raw.report.ok:
            _print_report(raw, args)
            _log(f"panel: {escape(str(args.data_dir))} has errors; nothing written")
            return EXIT_INVALID
        if raw.report.problems:
            _print_report(raw, args)
        tables, read_what = raw.tables, ", ".join(sorted(raw.files))
    options = PanelOptions(first_year=args.first_year, last_year=args.last_year, rich_quantile=args.rich_quantile)
    try:
        panel = build_panel(tables, options)
    except ValueError as exc:
        raise UserError(f"cannot build the panel: {exc}") from exc
    panel.attrs["data_source"] = data_source(Path(args.data_dir))
    write_parquet(panel, args.out)
    _log(f"panel: read {escape(str(args.data_dir))} ({read_what}); wrote {args.out} "
         f"({len(panel)} village-years) in {time.perf_counter() - start:.2f} s")
    return EXIT_OK


def cmd_tables(args: argparse.Namespace) -> int:
    """Write the paper's tables and figures from a panel."""
    from villageaid.pipeline import build_outputs
    from villageaid.report.figures import FontMissingError, use_language

    start = time.perf_counter()
    try:
        use_language(args.lang)
    except FontMissingError as exc:
        raise UserError(str(exc)) from exc
    try:
        panel = pd.read_parquet(args.panel)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read panel {args.panel}: {exc}") from exc
    _log(f"tables: read {args.panel} ({len(panel)} village-years)")
    import shutil
    import tempfile

    from villageaid.pipeline import NOT_ESTIMABLE

    # Build into staging folders and move the files in only when every table and figure was estimated:
    # a failure leaves the previous outputs as they were, never half of a new set.
    tables_dir, figures_dir = Path(args.out), Path(args.figures)
    tables_dir.mkdir(parents=True, exist_ok=True)
    figures_dir.mkdir(parents=True, exist_ok=True)
    stage_tables = Path(tempfile.mkdtemp(prefix=".staging.", dir=tables_dir))
    stage_figures = Path(tempfile.mkdtemp(prefix=".staging.", dir=figures_dir))
    try:
        try:
            written = build_outputs(panel, stage_tables, stage_figures, bootstrap_draws=args.bootstrap_draws,
                                    log=lambda message: _log(f"tables: {message}"),
                                    workers=args.workers, vcov=args.vcov)
        except NOT_ESTIMABLE as exc:  # each analysis explains its own failure; this is the safety net
            raise UserError(f"the tables cannot be written from this panel ({type(exc).__name__}: {exc}); "
                            "nothing was written") from exc
        for path in written:
            target = (tables_dir if path.parent == stage_tables else figures_dir) / path.name
            path.replace(target)
    finally:
        shutil.rmtree(stage_tables, ignore_errors=True)
        shutil.rmtree(stage_figures, ignore_errors=True)
    _log(f"tables: wrote {len(written)} files in {time.perf_counter() - start:.2f} s")
    return EXIT_OK


def cmd_manifest(args: argparse.Namespace) -> int:
    """Write the SHA-256 manifest of the outputs."""
    from villageaid.replicate import manifest

    root = Path(args.root).resolve()
    paths = [Path(p).resolve() for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UserError(f"cannot write a manifest: {', '.join(missing)} not found")
    write_text(args.out, manifest(paths, root))
    _log(f"manifest: wrote {args.out}")
    return EXIT_OK


def cmd_expected(args: argparse.Namespace) -> int:
    """Write paper/expected.json from built tables."""
    from villageaid.replicate import write_expected

    write_expected(Path(args.tables), Path(args.out), provenance=f"Written by 'villageaid expected' from "
                   f"{args.tables} (default scenario, seed {DEFAULT_SEED}).")
    _log(f"expected: wrote {args.out}")
    return EXIT_OK


def cmd_replicate(args: argparse.Namespace) -> int:
    """Rebuild everything from the simulated data in a fresh directory and compare the key estimates."""
    from villageaid.replicate import compare, rebuild

    start = time.perf_counter()
    if not Path(args.expected).is_file():
        raise UserError(f"{args.expected} not found")

    def build(workdir: Path) -> Path:
        steps = [["simulate", "--scenario", DEFAULT_SCENARIO, "--seed", str(DEFAULT_SEED), "--out",
                  str(workdir / "data")],
                 ["panel", str(workdir / "data"), "--out", str(workdir / "panel.parquet")],
                 ["tables", str(workdir / "panel.parquet"), "--out", str(workdir / "tables"), "--figures",
                  str(workdir / "figures")]]
        for step in steps:
            if main(step) != EXIT_OK:
                raise UserError(f"replication step failed: villageaid {' '.join(step)}")
        return workdir / "tables"

    tables = rebuild(Path(args.workdir), build)
    results = compare(tables, Path(args.expected))
    for result in results:
        print(result.line())
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    _log(f"replicate: rebuilt in {args.workdir} and compared with {args.expected} in "
         f"{time.perf_counter() - start:.1f} s")
    return EXIT_OK if failed == 0 else EXIT_INTERNAL


def _executor_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--workers", type=int, default=None,
                       help="local Dask cluster of K worker processes (default: the number of cores; 0 runs "
                            "serially in this process)")
    group.add_argument("--scheduler", default=None,
                       help="address of an existing Dask scheduler (tcp://HOST:PORT); also read from "
                            "DASK_SCHEDULER_ADDRESS")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")


def _run(function: object, n_tasks: int, args: argparse.Namespace, task_args: tuple,
         with_index: bool = False) -> object:
    from villageaid.parallel import run_tasks

    workers, scheduler = _workers(args)
    result = run_tasks(function, n_tasks, root_seed=args.seed, args=task_args, workers=workers,
                       scheduler=scheduler, with_index=with_index)
    for failure in result.failures:
        _log(f"task {failure.index} (seed {failure.seed}) failed: {failure.error.splitlines()[0]}")
    _log(f"{n_tasks - len(result.failures)} of {n_tasks} tasks done on {result.backend} in {result.seconds:.1f} s")
    return result


def _workers(args: argparse.Namespace) -> tuple[int, str | None]:
    from villageaid.parallel import SCHEDULER_ENV

    scheduler = args.scheduler or (os.environ.get(SCHEDULER_ENV) if args.workers is None else None)
    if scheduler:
        return 0, scheduler
    return (os.cpu_count() or 1) if args.workers is None else args.workers, None


def cmd_policy(args: argparse.Namespace) -> int:
    """Counterfactual allocation policies within counties (Table 9 and the fairness–efficiency frontier)."""
    from villageaid.analysis.policy import PolicyInputError, simulate_policies
    from villageaid.analysis.policy_inputs import assignments_policy, counties_from_panel, estimate_policy_models
    from villageaid.io.assignments import read_assignments
    from villageaid.pipeline import NOT_ESTIMABLE
    from villageaid.report import hypothesis_tables as ht
    from villageaid.report.figures import frontier_figure, save_figure
    from villageaid.report.tables import data_note, write_table

    if args.draws < 0:
        raise UserError("--draws must be zero or more")
    if not args.cap >= 1:
        raise UserError(f"--cap must be at least 1 (a multiple of the county's mean funding), got {args.cap}")
    try:
        panel = pd.read_parquet(args.panel)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read panel {args.panel}: {exc}") from exc
    try:
        counties = counties_from_panel(panel)
        models = estimate_policy_models(panel)
    except NOT_ESTIMABLE as exc:
        raise UserError(f"the policy models cannot be estimated from this panel ({type(exc).__name__}: {exc})") \
            from exc
    custom = None
    if args.assignments is not None:
        try:
            custom = assignments_policy(read_assignments(args.assignments), counties, source=str(args.assignments))
        except PolicyInputError as exc:
            raise UserError(str(exc)) from exc
    workers, scheduler = _workers(args)
    _log(f"policy: {len(counties)} counties, {sum(c.size for c in counties):,} villages, {args.draws} draws")
    result = simulate_policies(counties, models, draws=args.draws, seed=args.seed, cap=args.cap, workers=workers,
                               scheduler=scheduler, custom=custom)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    note = data_note(panel)
    written = write_table("table9_policies", *ht.table9(result, panel), out)
    written += save_figure(frontier_figure(result.frontier, result.table, note=note), out / "figure_frontier")
    written.append(write_csv(result.frontier, out / "figure_frontier.csv"))
    _log(f"policy: done on {result.backend} in {result.seconds:.1f} s; wrote {', '.join(p.name for p in written)}")
    print(result.table.pivot(index="policy", columns="measure", values="estimate").round(3).to_string())
    return EXIT_OK


def cmd_montecarlo(args: argparse.Namespace) -> int:
    """Monte Carlo of the H3, H4 and H5 estimators."""
    from villageaid.report.figures import montecarlo_figure, save_figure
    from villageaid.studies.montecarlo import replication, summarize

    if args.reps < 1:
        raise UserError("--reps must be at least 1")
    scenario = SCENARIOS[args.scenario]()
    result = _run(replication, args.reps, args, (scenario,))
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
    save_figure(montecarlo_figure(rows, note=note), out / f"figure_montecarlo_{scenario.name}")
    print(summary.round(4).to_string(index=False))
    return EXIT_OK if not result.failures else EXIT_INTERNAL


def cmd_power(args: argparse.Namespace) -> int:
    """Power of the H3 and H4 tests against counties, villages per county and effect size."""
    import itertools

    from villageaid.report.figures import power_figure, save_figure
    from villageaid.studies.power import power_task, summarize_power

    def numbers(text: str, kind: type) -> list:
        try:
            return [kind(v) for v in text.split(",") if v.strip()]
        except ValueError as exc:
            raise UserError(f"cannot read the list {text!r}: {exc}") from exc

    designs = list(itertools.product(numbers(args.counties, int), numbers(args.villages, int),
                                     numbers(args.effects, float)))
    tasks = [design for design in designs for _ in range(args.reps)]
    result = _run(power_task, len(tasks), args, (tuple(tasks),), with_index=True)
    rows = pd.DataFrame([r for r in result.results if r is not None])
    power, needed = summarize_power(rows)
    out = Path(args.out)
    write_parquet(rows, out / "power_replications.parquet")
    write_csv(power, out / "power.csv")
    write_csv(needed, out / "counties_for_80pct_power.csv")
    note = f"SIMULATED data; {args.reps} replications per design; root seed {args.seed}."
    save_figure(power_figure(power, note=note), out / "figure_power")
    print(needed.to_string(index=False))
    return EXIT_OK if not result.failures else EXIT_INTERNAL


def cmd_speccurve(args: argparse.Namespace) -> int:
    """Specification curve of the H3 and H4 estimates on a panel."""
    from villageaid.report.figures import save_figure, speccurve_figure
    from villageaid.studies.speccurve import scale_note, specification_curve

    try:
        panel = pd.read_parquet(args.panel)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read panel {args.panel}: {exc}") from exc
    table = specification_curve(panel)
    out = Path(args.out)
    write_csv(table, out / "speccurve.csv")
    note = f"{panel.attrs.get('data_source', '')}. {scale_note()}"
    save_figure(speccurve_figure(table, note=note), out / "figure_speccurve")
    estimated = table.loc[table["estimate"].notna()]
    summary = estimated.groupby("hypothesis").agg(specifications=("estimate", "size"),
                                                  median=("estimate", "median"),
                                                  share_significant=("significant_5pct", "mean"))
    print(summary.to_string())
    skipped = table.loc[table["estimate"].isna()]
    if len(skipped):
        _log(f"speccurve: {len(skipped)} specification(s) not estimable on these data (reasons in the "
             f"not_estimated column of speccurve.csv), e.g. {skipped['not_estimated'].iloc[0]}")
    return EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    """Bring every output up to date with the current inputs and configuration (what make all runs)."""
    from villageaid.build import BuildConfig, BuildError, build

    config = BuildConfig(
        root=Path(args.root), data=Path(args.data) if args.data else None, seed=args.seed,
        figure_lang=args.lang, salt_file=args.salt_file, header_maps=tuple(args.header_map),
        amount_unit=args.amount_unit, date_years=_date_years(args.date_years), rich_quantile=args.rich_quantile,
        bootstrap_draws=args.bootstrap_draws, pdf=args.pdf, workers=args.workers, vcov=args.vcov)
    start = time.perf_counter()
    try:
        results = build(config, until=args.until, log=lambda message: _log(f"build: {message}"))
    except BuildError as exc:
        raise UserError(f"{exc}\n(nothing left from earlier inputs: the outputs of this step and the later ones "
                        "were removed)") from exc
    ran = [r.name for r in results if r.ran]
    _log(f"build: {'rebuilt ' + ', '.join(ran) if ran else 'everything up to date'} "
         f"in {time.perf_counter() - start:.1f} s")
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    """Write the ledger template workbook."""
    from villageaid.io.template import write_template

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"--out {out}: the template is an Excel workbook; give a name ending in .xlsx")
    write_template(out)
    _log(f"template: wrote {out} (one sheet per table, instructions in {'填写说明'}, examples in {'填写示例'})")
    return EXIT_OK


def cmd_headers(args: argparse.Namespace) -> int:
    """Print every accepted file, sheet and column name, unit and level form."""
    from villageaid.io.template import describe_headers

    try:
        hmap = load_header_map(args.header_map)
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    print(describe_headers(hmap, language(args.lang)), end="")
    return EXIT_OK


def cmd_codebook(args: argparse.Namespace) -> int:
    """Write the codebook as Markdown."""
    write_text(args.out, codebook_markdown())
    _log(f"codebook: wrote {args.out}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``villageaid`` command."""
    parser = argparse.ArgumentParser(
        prog="villageaid",
        description="Village-based assistance (驻村帮扶) research data: simulate a data set, validate county "
                    "records, build the village × year panel and write the paper's tables.",
    )
    parser.add_argument("--version", action="version", version=f"villageaid {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("simulate", help="write a simulated data set (six raw tables and truth.json)",
                       description="Simulate raw tables from the documented data-generating process and write "
                                   "them with truth.json (parameters and true effects): CSV for the default "
                                   "scenarios, Parquet for the national one. The same seed gives byte-identical "
                                   "files.")
    p.add_argument("--scenario", choices=sorted(SCENARIOS), default=DEFAULT_SCENARIO,
                   help=f"scenario (default {DEFAULT_SCENARIO}: counties W and P, 270 villages)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
    p.add_argument("--villages", type=int, default=None, help="number of villages (national scenario only; "
                                                              "default 500000)")
    p.add_argument("--format", choices=["csv", "parquet"], default=None,
                   help="file format of the tables (default: parquet for the national scenario, csv otherwise)")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("validate", help="check a directory of raw tables and report every problem",
                       description="Read a directory of raw tables (CSV in UTF-8 or GBK, Parquet, Excel; Chinese "
                                   "headers allowed) and print one line per problem with file, row, column and "
                                   "value. Exit 2 when there are errors. Input files are never modified.")
    p.add_argument("data_dir", type=Path, metavar="DIR", help="directory holding the raw tables")
    p.add_argument("--out", type=Path, default=None,
                   help="when the data are valid, write the validated, typed tables here as Parquet (the "
                        "pipeline's 'validated tables' step; names already pseudonymized, amounts in 万元)")
    _add_ingest_options(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("panel", help="build the village × year panel (Parquet) from a data directory",
                       description="Validate DIR and build the village × year panel: first secretary's unit "
                                   "level, team size and strength, endowment index, rich, type A–D, period, "
                                   "demonstration cohort, funding and transforms. A folder written by "
                                   "`villageaid validate --out` is not validated again: its provenance.json "
                                   "proves (by SHA-256) each table is the one validation wrote, else it stops.")
    p.add_argument("data_dir", type=Path, metavar="DATA_DIR",
                   help="directory holding the raw tables, or a validated set from `validate --out`")
    p.add_argument("--out", type=Path, required=True, help="output Parquet file")
    p.add_argument("--first-year", type=int, default=None, help="first panel year (default: from the data)")
    p.add_argument("--last-year", type=int, default=None, help="last panel year (default: from the data)")
    p.add_argument("--rich-quantile", type=float, default=DEFAULT_RICH_QUANTILE,
                   help="county quantile of the endowment index at or above which a village is rich "
                        "(default 2/3, the upper tercile; 0.5 is the median split)")
    _add_ingest_options(p)
    p.set_defaults(func=cmd_panel)

    p = sub.add_parser("tables", help="estimate the hypotheses and write the paper's tables and figures",
                       description="Estimate the landed analyses on a panel and write Tables 1 (typology), 2 "
                                   "(descriptives), 3 (H1-H3), 4 (H4), 5 (event studies) and 8 (H8, H9) as CSV, "
                                   "Markdown and LaTeX, and the event-study figure as PNG and PDF.")
    p.add_argument("panel", type=Path, metavar="PANEL", help="panel Parquet file from 'villageaid panel'")
    p.add_argument("--out", type=Path, required=True, help="output directory for tables (e.g. paper/tables)")
    p.add_argument("--figures", type=Path, default=None,
                   help="output directory for figures (default: a 'figures' folder beside --out)")
    p.add_argument("--bootstrap-draws", type=int, default=9999,
                   help="wild cluster bootstrap draws (default 9999; 0 skips the bootstrap)")
    _vcov_option(p)
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="figure labels in English (default) or Chinese (needs a CJK font: make fonts)")
    _output_workers_option(p)
    p.set_defaults(func=cmd_tables)

    p = sub.add_parser("manifest", help="write the SHA-256 manifest of the outputs (paper/MANIFEST.sha256)",
                       description="Write one line 'sha256  path' per file under the given folders, sorted, with "
                                   "paths relative to --root, so that two builds can be compared byte for byte.")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="folders or files to list")
    p.add_argument("--root", type=Path, default=Path("."), help="paths are written relative to this folder")
    p.add_argument("--out", type=Path, required=True, help="output file (e.g. paper/MANIFEST.sha256)")
    p.set_defaults(func=cmd_manifest)

    p = sub.add_parser("expected", help="write the paper's key estimates (paper/expected.json) from built tables",
                       description="Read the key estimates from the tidy CSV tables and write them, with "
                                   "tolerances, to expected.json (done when the paper's numbers are fixed).")
    p.add_argument("--tables", type=Path, required=True, help="folder of built tables (paper/tables)")
    p.add_argument("--out", type=Path, required=True, help="output file (paper/expected.json)")
    p.set_defaults(func=cmd_expected)

    p = sub.add_parser("replicate", help="rebuild everything in a fresh folder and compare with expected.json",
                       description="Simulate the default data, build the panel, tables and figures in a fresh "
                                   "folder, and compare the key estimates with expected.json within its "
                                   "tolerances; one line per check; exit 1 on any mismatch.")
    p.add_argument("--expected", type=Path, default=Path("paper/expected.json"), help="expected estimates")
    p.add_argument("--workdir", type=Path, default=Path("build/replicate"),
                   help="folder to rebuild into (emptied first; default build/replicate)")
    p.set_defaults(func=cmd_replicate)

    p = sub.add_parser("montecarlo", help="Monte Carlo of the H3, H4 and H5 estimators (bias, RMSE, coverage)",
                       description="Simulate, build the panel and estimate N times; write one row per "
                                   "replication and estimate (Parquet), a summary table (bias, RMSE, coverage, "
                                   "rejection rate: size under two_counties_null, power under two_counties) "
                                   "and a figure. Runs on a local Dask cluster or an existing one.")
    p.add_argument("--scenario", choices=["two_counties", "two_counties_null"], default="two_counties")
    p.add_argument("--reps", type=int, default=200, help="replications (default 200)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    _executor_options(p)
    p.set_defaults(func=cmd_montecarlo)

    p = sub.add_parser("policy", help="counterfactual allocation policies within counties (Table 9, frontier)",
                       description="Reassign the transition-period first-secretary posts within each county under "
                                   "the source paper's alternatives (equal split, strong alliance, need-based "
                                   "matching, county pooling, strong cadres to key villages, or your own "
                                   "assignments), predict funding and collective income from the estimated "
                                   "allocation and H10 return models, and compare gains and fairness with "
                                   "intervals over coefficient draws. Counties run serially, on a local Dask "
                                   "cluster or an existing one, with identical results.")
    p.add_argument("panel", type=Path, help="panel (Parquet) from 'villageaid panel'")
    p.add_argument("--draws", type=int, default=200, help="parametric-bootstrap draws of the coefficients (200)")
    p.add_argument("--cap", type=float, default=2.0,
                   help="county pooling: no village above this multiple of its county's mean funding (2)")
    p.add_argument("--assignments", type=Path, default=None,
                   help="your own policy: CSV with columns village_id, unit_id (one unit per village; a unit "
                        "serves at most as many villages of a county as it does now)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    _executor_options(p)
    p.set_defaults(func=cmd_policy)

    p = sub.add_parser("power", help="power of the H3 and H4 tests for study design",
                       description="Power of the strong-alliance (H3) and logic-shift (H4) tests against the number "
                                   "of counties, villages per county and effect size; answers 'how many "
                                   "counties for 80% power?'.")
    p.add_argument("--counties", default="2,4,8,16", help="comma-separated numbers of counties")
    p.add_argument("--villages", default="60,135", help="comma-separated villages per county")
    p.add_argument("--effects", default="0.3,0.6", help="comma-separated effect sizes (log scale)")
    p.add_argument("--reps", type=int, default=100, help="replications per design (default 100)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    _executor_options(p)
    p.set_defaults(func=cmd_power)

    p = sub.add_parser("speccurve", help="specification curve of the H3 and H4 estimates",
                       description="Estimate H3 and H4 under 162 specifications each (outcome, endowment "
                                   "definition, fixed effects, clustering, sample); write a table and the "
                                   "two-panel specification-curve figure.")
    p.add_argument("panel", type=Path, metavar="PANEL", help="panel Parquet file")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.set_defaults(func=cmd_speccurve)

    p = sub.add_parser("build", help="bring every output up to date with the data and options (make all)",
                       description="Run simulate (default data only), validate, panel, tables, codebook, manifest "
                                   "and the PDF (where xelatex exists) as far as they are out of date. A step is "
                                   "out of date when the content of its inputs, the options that matter to it or "
                                   "villageaid's code changed, or one of its outputs is missing or changed; file "
                                   "times are never used. Each step writes into a staging folder swapped in whole.")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="folder of county records (default: the simulated data, generated with --seed)")
    p.add_argument("--root", type=Path, default=Path("."), help="project folder (default: the current one)")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help=f"seed of the simulated default data (default {DEFAULT_SEED})")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="figure labels in English or Chinese")
    p.add_argument("--rich-quantile", type=float, default=DEFAULT_RICH_QUANTILE,
                   help="county quantile of the endowment index at or above which a village is rich (default 2/3)")
    p.add_argument("--bootstrap-draws", type=int, default=9999, help="wild cluster bootstrap draws (default 9999)")
    _vcov_option(p)
    p.add_argument("--pdf", choices=("auto", "yes", "no"), default="auto",
                   help="build paper/main.pdf: auto (where xelatex is installed), yes, or no")
    p.add_argument("--until", default=None, help="last step to run (simulate, validate, panel, tables, codebook, "
                                                 "manifest, pdf)")
    p.add_argument("--header-map", type=Path, action="append", default=[], metavar="TOML",
                   help="extra header map for the records")
    p.add_argument("--amount-unit", choices=sorted(AMOUNT_UNIT_CHOICES), default=None,
                   help="unit of money columns whose header states none (default 万元)")
    p.add_argument("--salt-file", type=Path, default=None, help="secret salt for pseudonymizing names")
    p.add_argument("--date-years", default=DEFAULT_DATE_YEARS, metavar="FIRST-LAST",
                   help="calendar years within which dates are plausible")
    _output_workers_option(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("template", help="write an Excel template for county ledgers (模板.xlsx)",
                       description="Write a workbook with one sheet per table (Chinese and English headers, "
                                   "drop-down lists for levels, yes/no, roles, sources and identifiers), an "
                                   "instructions sheet and example rows. Fill it in, put it in a folder of its "
                                   "own and run 'villageaid validate FOLDER --lang zh'.")
    p.add_argument("--out", type=Path, required=True, help="output workbook, e.g. 模板.xlsx")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser("headers", help="list every file, sheet and column name, unit and level form understood",
                       description="Print the accepted file and sheet names of each table, the accepted headers of "
                                   "each column (* = required), the amount units and the forms of unit levels "
                                   "and other values, including those of --header-map files.")
    p.add_argument("--header-map", type=Path, action="append", default=[], metavar="TOML",
                   help="extra header map to include")
    p.add_argument("--lang", choices=("en", "zh"), default=None, help=f"headings in en or zh (default from "
                                                                      f"{LANG_ENV})")
    p.set_defaults(func=cmd_headers)

    p = sub.add_parser("codebook", help="write the codebook of every raw and derived variable (Markdown)",
                       description="Write the codebook: one entry per raw and derived variable with its type, "
                                   "English and Chinese labels, unit and description, generated from the "
                                   "schema in villageaid.schema (the source of data/CODEBOOK.md).")
    p.add_argument("--out", type=Path, required=True, help="output Markdown file (e.g. data/CODEBOOK.md)")
    p.set_defaults(func=cmd_codebook)
    return parser


#: Commands that draw figures (they select matplotlib's file-only backend).
FIGURE_COMMANDS = ("tables", "montecarlo", "power", "speccurve", "policy")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "command", None) == "tables" and args.figures is None:
        args.figures = Path(args.out).parent / "figures"
    if getattr(args, "command", None) in FIGURE_COMMANDS:
        import matplotlib

        matplotlib.use("Agg")  # the command line only writes files; the library itself never sets a backend
    try:
        return int(args.func(args))
    except UserError as exc:
        _log(f"error: {exc}")
        return EXIT_INVALID
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        if args.debug:
            raise
        _log(f"error: {exc}")
        return EXIT_INVALID
    except Exception as exc:
        if args.debug:
            raise
        _log(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback, and please "
             "report it)")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
