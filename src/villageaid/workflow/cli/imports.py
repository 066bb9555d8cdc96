"""Commands that bring other shapes of records in, and the panel out.

``import projects``, ``import roster`` (:mod:`villageaid.io.importers`) and ``export`` (:mod:`villageaid.io.stata`).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from villageaid.io.headers import AMOUNT_UNIT_CHOICES, load_header_map
from villageaid.io.messages import LANG_ENV, escape, language
from villageaid.io.pseudonym import SALT_ENV, load_salt
from villageaid.schema import FUNDING_SOURCES
from villageaid.workflow.cli.common import (
    EXIT_INVALID,
    EXIT_OK,
    UserError,
    bounded,
    log,
    read_panel_option,
    refuse_overlap,
)


def _check_inputs(command: str, out: Path, inputs: dict[str, object]) -> None:
    """Hold an import to every command's input rules.

    Each input must be a regular file (a FIFO or device is refused before it is opened), and ``--out`` neither one
    of them nor holding one (inputs are never overwritten).
    """
    from villageaid.io.inputs import require_regular_file

    problems = []
    for option, given in inputs.items():
        for path in given if isinstance(given, list | tuple) else [given]:
            if path is None:
                continue
            try:
                require_regular_file(path, option)
            except ValueError as exc:
                problems.append(str(exc))
    if problems:
        raise UserError(f"{command}: " + "; ".join(problems))
    refuse_overlap(command, {"--out": out}, inputs)


def _finish(result, args: argparse.Namespace, prefix: str) -> int:
    from villageaid.io.importers.common import IMPORT_DIR, write_import

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = write_import(result, out, prefix, Path(args.villages))
    print(result.report.format(max_lines=args.max_problems, lang=language(args.lang)))
    details = escape(str(out / IMPORT_DIR))
    if not result.report.ok:
        log(f"import {prefix}: errors: no table written; the report and the name candidates are in {details}")
        return EXIT_INVALID
    counts = ", ".join(f"{name} {len(frame)} rows" for name, frame in result.tables.items())
    log(f"import {prefix}: wrote {counts} to {escape(str(out))} ({len(written)} files; details in {details}); "
        f"check the folder with: villageaid validate {escape(str(out))}")
    return EXIT_OK


def cmd_import_projects(args: argparse.Namespace) -> int:
    """Turn project lists into funding rows."""
    from villageaid.io.importers import import_projects

    _check_inputs("import projects", args.out, {"FILE": list(args.files), "--villages": args.villages,
                                                "--matches": args.matches, "--header-map": list(args.header_map)})
    try:
        hmap = load_header_map(args.header_map)
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    unit = AMOUNT_UNIT_CHOICES[args.amount_unit] if args.amount_unit else None
    result = import_projects(list(args.files), args.villages, hmap=hmap, matches=args.matches, year=args.year,
                             source=args.source, amount_unit=unit, county=args.county)
    return _finish(result, args, "projects")


def cmd_import_roster(args: argparse.Namespace) -> int:
    """Turn announcement lists into units and assignments."""
    from villageaid.io.importers import import_roster

    _check_inputs("import roster", args.out, {"FILE": list(args.files), "--villages": args.villages,
                                              "--matches": args.matches, "--units": args.units,
                                              "--header-map": list(args.header_map), "--salt-file": args.salt_file})
    try:
        hmap = load_header_map(args.header_map)
        salt = load_salt(args.salt_file)
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from exc
    try:
        result = import_roster(list(args.files), args.villages, hmap=hmap, salt=salt, header_maps=args.header_map,
                               matches=args.matches, start_date=args.start_date, county=args.county,
                               units_file=args.units)
    except ValueError as exc:  # a [strength] section that cannot be read
        raise UserError(str(exc)) from exc
    return _finish(result, args, "roster")


def cmd_export(args: argparse.Namespace) -> int:
    """Write the panel for Stata, R or any CSV reader, with the codebook's labels."""
    import pandas as pd

    from villageaid.io.stata import export_panel

    refuse_overlap("export", {"--out": Path(args.out)}, {"PANEL": Path(args.panel)})
    panel = read_panel_option(Path(args.panel), "export")
    if not isinstance(panel, pd.DataFrame):  # pragma: no cover - read_panel_option returns a frame
        raise UserError(f"export: {args.panel} is not a panel")
    fmt = args.format or Path(args.out).suffix.lower().lstrip(".")
    try:
        written = export_panel(panel, fmt, Path(args.out))
    except ValueError as exc:
        raise UserError(f"export: {exc}") from exc
    log(f"export: wrote {', '.join(escape(str(p)) for p in written)} ({len(panel)} village-years, "
        f"{panel.shape[1]} variables)")
    return EXIT_OK


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="lists to import (CSV or XLSX)")
    p.add_argument("--villages", type=Path, required=True,
                   help="the villages table (village_id, village_name, county, township) names are linked to")
    p.add_argument("--out", type=Path, required=True, help="folder to write the tables into (and import/ details)")
    p.add_argument("--matches", type=Path, default=None,
                   help="a candidates file (import/*_candidates.csv) with your confirmations in its confirm column")
    p.add_argument("--county", default=None, help="the county of lists without a county column")
    p.add_argument("--header-map", type=Path, action="append", default=[], metavar="TOML",
                   help="extra header map ([levels] for unit levels; [strength] for departments); may be repeated")
    p.add_argument("--max-problems", type=bounded("--max-problems", int, 0, 10_000_000), default=1000,
                   help="print at most this many problems")
    p.add_argument("--lang", choices=("en", "zh"), default=None,
                   help=f"language of the report: en or zh (中文); default from {LANG_ENV}, else en")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``import`` (projects, roster) and ``export`` to the ``villageaid`` parser."""
    p = sub.add_parser("import", help="turn project lists or cadre announcement lists into villageaid's tables",
                       description="Read a county's own lists and write villageaid's tables into a folder, which "
                                   "you then check with `villageaid validate`. Village names are linked to your "
                                   "villages table: exact, then normalised, then fuzzy candidates written to "
                                   "import/*_candidates.csv for you to confirm (never used unconfirmed). Exit 2 "
                                   "on errors (the report and candidates are written, the tables are not).")
    kinds = p.add_subparsers(dest="kind", required=True, metavar="KIND")
    q = kinds.add_parser("projects", help="project lists (项目库, 统筹整合涉农资金 plans) → funding rows",
                         description="Project lists → funding.csv: amounts in the header's unit (元/万元) "
                                     "converted to 万元; merged cells filled down (reported); subtotal and total "
                                     "rows (小计/合计/总计) checked and excluded; several villages split by stated "
                                     "shares or equally (with a warning); the same project in two ledgers flagged.")
    _common(q)
    q.add_argument("--year", type=bounded("--year", int, 1949, 2100), default=None,
                   help="year of lists whose rows and title state none")
    q.add_argument("--source", choices=FUNDING_SOURCES, default=None,
                   help="funding source of lists without a 资金来源 column")
    q.add_argument("--amount-unit", choices=sorted(AMOUNT_UNIT_CHOICES), default=None,
                   help="unit of amount headers that state none (a header's own unit wins)")
    q.set_defaults(func=cmd_import_projects)

    q = kinds.add_parser("roster", help="first-secretary / work-team announcement lists → units and assignments",
                         description="Announcement lists (第一书记/驻村工作队 公示名单) → units.csv and "
                                     "assignments.csv: each unit's level from its name ([levels] of a header map; "
                                     "a name naming two levels is an error, never guessed), strength from its "
                                     "department ([strength]); names replaced by salted pseudonymous cadre ids.")
    _common(q)
    q.add_argument("--salt-file", type=Path, default=None,
                   help=f"file holding your secret salt for the cadre ids (or set {SALT_ENV})")
    q.add_argument("--start-date", default=None, help="start date of postings of lists without a 驻村时间 column")
    q.add_argument("--units", type=Path, default=None,
                   help="a units table (unit_id, unit_name, ...) the unit names are linked to; names it does not "
                        "hold become new units (close names written as candidates to confirm)")
    q.set_defaults(func=cmd_import_roster)

    p = sub.add_parser("export", help="write the panel for Stata (.dta), R or CSV with the codebook's labels",
                       description="Write a panel built by `villageaid panel` as Stata 118 (.dta: UTF-8, variable "
                                   "labels 中文 English from the codebook, categories as value labels), CSV or "
                                   "Parquet (labels in a *_codebook.csv beside it).")
    p.add_argument("panel", type=Path, metavar="PANEL", help="the panel (Parquet)")
    p.add_argument("--format", choices=("dta", "csv", "parquet"), default=None,
                   help="output format (default: from --out's suffix)")
    p.add_argument("--out", type=Path, required=True, help="output file")
    p.set_defaults(func=cmd_export)
