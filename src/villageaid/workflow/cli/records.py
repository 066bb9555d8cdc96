"""Commands on records: simulate, validate, panel, template, headers, codebook."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from villageaid.config import DEFAULT_SCENARIO, DEFAULT_SEED
from villageaid.io.codes import (
    VALIDATED_CROSSWALK,
    build_panel_with_crosswalk,
    crosswalk_set_tables,
    read_validated_crosswalk,
)
from villageaid.io.headers import load_header_map
from villageaid.io.messages import LANG_ENV, escape, language
from villageaid.io.provenance import (
    PROVENANCE_FILE,
    is_validated_set,
    label_panel,
    read_validated_set,
    write_validated_set,
)
from villageaid.io.read import RawData
from villageaid.io.write import write_dataset, write_parquet, write_text
from villageaid.panel.endowment import DEFAULT_RICH_QUANTILE
from villageaid.panel.village_year import PANEL_INPUTS, PANEL_READ, REFERENCE_CHOICES, PanelOptions, build_panel
from villageaid.schema import RAW_TABLES, codebook_markdown
from villageaid.simulation import SCENARIOS, national
from villageaid.workflow.cli.common import (
    DEFAULT_DATE_YEARS,
    EXIT_INVALID,
    EXIT_OK,
    RICH_QUANTILE,
    SEED,
    UserError,
    add_ingest_options,
    bounded,
    ingest,
    ingest_inputs,
    log,
    refuse_overlap,
)


def cmd_simulate(args: argparse.Namespace) -> int:
    """Write the six raw tables as CSV and truth.json."""
    start = time.perf_counter()
    if args.scenario == "national":
        scenario = national(seed=args.seed) if args.villages is None else national(args.villages, seed=args.seed)
    else:
        if args.villages is not None:
            raise UserError("--villages applies to the national scenario only")
        scenario = SCENARIOS[args.scenario]()
    out = Path(args.out)
    file_format = args.format or ("parquet" if args.scenario == "national" else "csv")
    other = "csv" if file_format == "parquet" else "parquet"
    stale = [out / f"{name}.{other}" for name in RAW_TABLES if (out / f"{name}.{other}").exists()]
    if stale:  # one source per table: files of the other format would make the folder unreadable (refused
        # before drawing: a national draw takes seconds)
        raise UserError(f"{out} already holds {', '.join(p.name for p in stale)}; write to an empty folder or "
                        f"use --format {other}")
    from villageaid.simulation import simulate  # imported here: the records' other commands do without scipy

    data = simulate(scenario, seed=args.seed)
    write_dataset(data.tables, data.truth, out, file_format=file_format)
    rows = sum(len(f) for f in data.tables.values())
    log(f"simulate: wrote {len(data.tables)} tables ({rows} rows) and truth.json to {out} "
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
        names = write_validated_set(raw.tables, raw.provenance, data_dir, staging,
                                    extra=crosswalk_set_tables(raw.crosswalk))
        if raw.crosswalk is None and (out / VALIDATED_CROSSWALK).exists():
            (out / VALIDATED_CROSSWALK).unlink()
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
    refuse_overlap("validate", {"--out": args.out}, ingest_inputs(args))
    raw = ingest(args)
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
        log(f"validate: read {folder}; wrote validated tables to {escape(str(args.out))} "
             f"in {time.perf_counter() - start:.2f} s")
    return EXIT_OK


def cmd_panel(args: argparse.Namespace) -> int:
    """Validate a data directory and write the village × year panel."""
    from villageaid.memory import reuse_freed_memory

    start = time.perf_counter()
    reuse_freed_memory()  # the national panel's large arrays: freed memory reused, not faulted in anew
    refuse_overlap("panel", {"--out": args.out}, ingest_inputs(args))
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
            tables = read_validated_set(args.data_dir, PANEL_READ)
            crosswalk = read_validated_crosswalk(Path(args.data_dir), tables["villages"])
        except ValueError as exc:
            raise UserError(f"panel: {exc}") from exc
        tables = {name: tables[name] for name in PANEL_INPUTS}  # the two lists are not the panel's: released
        read_what = "the validated set"
    else:
        raw = ingest(args)
        if not raw.report.ok:
            _print_report(raw, args)
            log(f"panel: {escape(str(args.data_dir))} has errors; nothing written")
            return EXIT_INVALID
        if raw.report.problems:
            _print_report(raw, args)
        tables, read_what, crosswalk = dict(raw.tables), ", ".join(sorted(raw.files)), raw.crosswalk
    options = PanelOptions(first_year=args.first_year, last_year=args.last_year, rich_quantile=args.rich_quantile,
                           reference_years=REFERENCE_CHOICES[args.reference_year])
    try:
        if crosswalk is None:  # build_panel_with_crosswalk's own call, the input tables handed over (memory)
            panel = build_panel(tables, options, release_inputs=True)
        else:
            panel = build_panel_with_crosswalk(tables, options, crosswalk)
    except ValueError as exc:
        raise UserError(f"cannot build the panel: {exc}") from exc
    # The input tables are released before the panel is written: at a national scale they are a gigabyte.
    tables = crosswalk = raw = None
    label_panel(panel, Path(args.data_dir))
    write_parquet(panel, args.out)
    log(f"panel: read {escape(str(args.data_dir))} ({read_what}); wrote {args.out} "
         f"({len(panel)} village-years) in {time.perf_counter() - start:.2f} s")
    return EXIT_OK

def cmd_template(args: argparse.Namespace) -> int:
    """Write the ledger template workbook."""
    from villageaid.io.template import write_template

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise UserError(f"--out {out}: the template is an Excel workbook; give a name ending in .xlsx")
    write_template(out)
    log(f"template: wrote {out} (one sheet per table, instructions in {'填写说明'}, examples in {'填写示例'})")
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
    log(f"codebook: wrote {args.out}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add this family's commands to the ``villageaid`` parser."""
    p = sub.add_parser("simulate", help="write a simulated data set (six raw tables and truth.json)",
                       description="Simulate raw tables from the documented data-generating process and write "
                                   "them with truth.json (parameters and true effects): CSV for the default "
                                   "scenarios, Parquet for the national one. The same seed gives byte-identical "
                                   "files.")
    p.add_argument("--scenario", choices=sorted(SCENARIOS), default=DEFAULT_SCENARIO,
                   help=f"scenario (default {DEFAULT_SCENARIO}: counties W and P, 270 villages)")
    p.add_argument("--seed", type=SEED, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")
    p.add_argument("--villages", type=bounded("--villages", int, 1, 2_000_000,
                                              "China has about 500,000 villages; memory grows with the villages"),
                   default=None, help="number of villages (national scenario only; "
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
    add_ingest_options(p)
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
    p.add_argument("--first-year", type=bounded("--first-year", int, 1949, 2100), default=None,
                   help="first panel year (default: from the data)")
    p.add_argument("--last-year", type=bounded("--last-year", int, 1949, 2100), default=None,
                   help="last panel year (default: from the data)")
    p.add_argument("--rich-quantile", type=RICH_QUANTILE, default=DEFAULT_RICH_QUANTILE,
                   help="county quantile of the endowment index at or above which a village is rich "
                        "(default 2/3, the upper tercile; 0.5 is the median split)")
    p.add_argument("--reference-year", choices=tuple(REFERENCE_CHOICES), default="2019",
                   help="the transition's reference year(s): where a village stood when the transition began "
                        "(2019, the default, before the campaign's final push; 2016-2019, the mean of the "
                        "campaign's first years; or 2020)")
    add_ingest_options(p)
    p.set_defaults(func=cmd_panel)

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
