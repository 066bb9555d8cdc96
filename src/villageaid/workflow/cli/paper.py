"""Commands that make the paper: build, tables, manifest, expected, replicate."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from villageaid.config import DEFAULT_SCENARIO, DEFAULT_SEED
from villageaid.io.headers import AMOUNT_UNIT_CHOICES
from villageaid.io.read import is_inside
from villageaid.io.write import write_text
from villageaid.panel.endowment import DEFAULT_RICH_QUANTILE
from villageaid.panel.village_year import REFERENCE_CHOICES
from villageaid.workflow.cli.common import (
    BOOTSTRAP_DRAWS,
    DEFAULT_DATE_YEARS,
    EXIT_INTERNAL,
    EXIT_OK,
    MAX_BOOTSTRAP_DRAWS,
    RICH_QUANTILE,
    SEED,
    UserError,
    add_lists_option,
    add_output_workers_option,
    add_vcov_option,
    log,
    parse_date_years,
    read_lists_option,
    read_panel_option,
    refuse_overlap,
)


def cmd_build(args: argparse.Namespace) -> int:
    """Bring every output up to date with the current inputs and configuration (what make all runs)."""
    from villageaid.workflow.build import BuildConfig, BuildError, build

    config = BuildConfig(
        root=Path(args.root), data=Path(args.data) if args.data else None, seed=args.seed, scenario=args.scenario,
        figure_lang=args.lang, salt_file=args.salt_file, header_maps=tuple(args.header_map),
        amount_unit=args.amount_unit, date_years=parse_date_years(args.date_years), rich_quantile=args.rich_quantile,
        reference_years=REFERENCE_CHOICES[args.reference_year], bootstrap_draws=args.bootstrap_draws, pdf=args.pdf,
        paper_lang=args.paper_lang,
        workers=args.workers, vcov=args.vcov)
    start = time.perf_counter()
    try:
        results = build(config, until=args.until, log=lambda message: log(f"build: {message}"))
    except BuildError as exc:
        raise UserError(f"{exc}\n(nothing left from earlier inputs: the outputs of this step and the later ones "
                        "were removed)") from exc
    ran = [r.name for r in results if r.ran]
    log(f"build: {'rebuilt ' + ', '.join(ran) if ran else 'everything up to date'} "
         f"in {time.perf_counter() - start:.1f} s")
    return EXIT_OK

def cmd_tables(args: argparse.Namespace) -> int:
    """Write the paper's tables and figures from a panel."""
    from villageaid.report.figures import FontMissingError
    from villageaid.workflow.outputs import staged_outputs

    start = time.perf_counter()
    refuse_overlap("tables", {"--out": args.out, "--figures": args.figures}, {"PANEL": args.panel,
                                                                              "--lists": args.lists})
    panel = read_panel_option(args.panel, "tables")
    log(f"tables: read {args.panel} ({len(panel)} village-years)")
    lists = read_lists_option(args.lists, "tables")
    try:
        written = staged_outputs(panel, Path(args.out), Path(args.figures), whole_folders=False, language=args.lang,
                                 bootstrap_draws=args.bootstrap_draws, log=lambda message: log(f"tables: {message}"),
                                 workers=args.workers, vcov=args.vcov, policy_lists=lists)
    except FontMissingError as exc:
        raise UserError(str(exc)) from exc
    log(f"tables: wrote {len(written)} files in {time.perf_counter() - start:.2f} s")
    return EXIT_OK


def tables_description() -> str:
    """Describe the tables command with every file it writes, from the outputs the registry declares."""
    from villageaid.registry import OUTPUTS
    from villageaid.workflow.outputs import BUILD_FILES, output_files

    lines = ["Estimate the paper's analyses on a panel and write its tables (tidy CSV, Markdown, LaTeX) into --out",
             "and its figures (PNG, PDF and a CSV of the numbers drawn) into --figures. What the data cannot",
             "support is written as 'not estimated on these data' with the reason. Files:", ""]
    for output in OUTPUTS:
        lines.append(f"  {output.title}")
        lines.append(f"      {', '.join(output_files(output))}")
    lines += ["", f"  and, beside the tables: {', '.join(BUILD_FILES)}"]
    return "\n".join(lines)


def cmd_docs(args: argparse.Namespace) -> int:
    """Rewrite (or check) the lists of outputs that README.md and paper/README.md derive from the registry."""
    from villageaid.workflow.docs import DOCUMENTS, update_docs

    root = Path(args.root)
    try:
        stale = update_docs(root, check=args.check)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot update the documents under {root}: {exc}") from exc
    if args.check:
        if stale:
            log(f"docs: out of date: {', '.join(stale)} (run 'make docs' or 'villageaid docs')")
            return EXIT_INTERNAL
        log(f"docs: {', '.join(DOCUMENTS)} list every output")
        return EXIT_OK
    log(f"docs: {'rewrote ' + ', '.join(stale) if stale else 'already up to date'}")
    return EXIT_OK


def cmd_manifest(args: argparse.Namespace) -> int:
    """Write the SHA-256 manifest of the outputs."""
    from villageaid.workflow.replicate import manifest

    root = Path(args.root).resolve()
    paths = [Path(p).resolve() for p in args.paths]
    refuse_overlap("manifest", {"--out": args.out}, {"PATH": paths})
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UserError(f"cannot write a manifest: {', '.join(missing)} not found")
    write_text(args.out, manifest(paths, root))
    log(f"manifest: wrote {args.out}")
    return EXIT_OK

def cmd_expected(args: argparse.Namespace) -> int:
    """Write paper/expected.json from built tables."""
    from villageaid.workflow.replicate import write_expected

    refuse_overlap("expected", {"--out": args.out}, {"--tables": args.tables})
    write_expected(Path(args.tables), Path(args.out), provenance=f"Written by 'villageaid expected' from "
                   f"{args.tables} (default scenario, seed {DEFAULT_SEED}).")
    log(f"expected: wrote {args.out}")
    return EXIT_OK

def cmd_replicate(args: argparse.Namespace) -> int:
    """Rebuild everything from the simulated data in a fresh directory and compare the key estimates."""
    from villageaid.workflow.replicate import compare, rebuild

    start = time.perf_counter()
    if not Path(args.expected).is_file():
        raise UserError(f"{args.expected} not found")
    refuse_overlap("replicate", {"--workdir": args.workdir}, {"--expected": args.expected})
    if is_inside(Path.cwd(), args.workdir):  # the work folder is emptied first
        raise UserError(f"replicate: --workdir {args.workdir} holds the current folder; it is emptied first, so give "
                        "a folder of its own (default build/replicate)")

    from villageaid.workflow.cli import main

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
    log(f"replicate: rebuilt in {args.workdir} and compared with {args.expected} in "
         f"{time.perf_counter() - start:.1f} s")
    return EXIT_OK if failed == 0 else EXIT_INTERNAL


def register(sub: argparse._SubParsersAction) -> None:
    """Add this family's commands to the ``villageaid`` parser."""
    p = sub.add_parser("build", help="bring every output up to date with the data and options (make all)",
                       description="Run simulate (default data only), validate, panel, tables, codebook, manifest "
                                   "and the PDF (where xelatex exists) as far as they are out of date. A step is "
                                   "out of date when the content of its inputs, the options that matter to it or "
                                   "villageaid's code changed, or one of its outputs is missing or changed; file "
                                   "times are never used. Each step writes into a staging folder swapped in whole.")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="folder of county records (default: the simulated data, generated with --seed)")
    p.add_argument("--root", type=Path, default=Path("."), help="project folder (default: the current one)")
    p.add_argument("--seed", type=SEED, default=DEFAULT_SEED,
                   help=f"seed of the simulated default data (default {DEFAULT_SEED})")
    p.add_argument("--scenario", default=DEFAULT_SCENARIO, metavar="NAME",
                   help=f"edition of the simulated data (default {DEFAULT_SCENARIO}, the source paper's claims built "
                        "in; null, complementarity, need_decline, spillover, hidden_selection, many_counties: see "
                        "data/README.md)")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="figure labels in English or Chinese")
    p.add_argument("--rich-quantile", type=RICH_QUANTILE, default=DEFAULT_RICH_QUANTILE,
                   help="county quantile of the endowment index at or above which a village is rich (default 2/3)")
    p.add_argument("--reference-year", choices=tuple(REFERENCE_CHOICES), default="2019",
                   help="the transition's reference year(s): where a village stood when the transition began "
                        "(2019, the default, before the campaign's final push; 2016-2019, the mean of the "
                        "campaign's first years; or 2020)")
    p.add_argument("--bootstrap-draws", type=BOOTSTRAP_DRAWS, default=9999,
                   help=f"wild cluster bootstrap draws (default 9999; at most {MAX_BOOTSTRAP_DRAWS:,})")
    add_vcov_option(p)
    p.add_argument("--pdf", choices=("auto", "yes", "no"), default="auto",
                   help="build paper/main.pdf: auto (where xelatex is installed), yes, or no")
    p.add_argument("--paper-lang", choices=("en", "zh", "both"), default="both",
                   help="the paper's editions: English (paper/main.pdf), Chinese (paper/main_zh.pdf) or both "
                        "(default; with --pdf auto the Chinese one only where the Noto CJK fonts are installed)")
    p.add_argument("--until", default=None, help="last step to run (simulate, validate, panel, tables, codebook, "
                                                 "manifest, pdf)")
    p.add_argument("--header-map", type=Path, action="append", default=[], metavar="TOML",
                   help="extra header map for the records")
    p.add_argument("--amount-unit", choices=sorted(AMOUNT_UNIT_CHOICES), default=None,
                   help="unit of money columns whose header states none (default 万元)")
    p.add_argument("--salt-file", type=Path, default=None, help="secret salt for pseudonymizing names")
    p.add_argument("--date-years", default=DEFAULT_DATE_YEARS, metavar="FIRST-LAST",
                   help="calendar years within which dates are plausible")
    add_output_workers_option(p)
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("tables", help="estimate the hypotheses and write the paper's tables and figures",
                       describe=tables_description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("panel", type=Path, metavar="PANEL", help="panel Parquet file from 'villageaid panel'")
    p.add_argument("--out", type=Path, required=True, help="output directory for tables (e.g. paper/tables)")
    p.add_argument("--figures", type=Path, default=None,
                   help="output directory for figures (default: a 'figures' folder beside --out)")
    p.add_argument("--bootstrap-draws", type=BOOTSTRAP_DRAWS, default=9999,
                   help=f"wild cluster bootstrap draws (default 9999; 0 skips the bootstrap; at most "
                        f"{MAX_BOOTSTRAP_DRAWS:,})")
    add_vcov_option(p)
    add_lists_option(p)
    p.add_argument("--lang", choices=("en", "zh"), default="en",
                   help="figure labels in English (default) or Chinese (needs a CJK font: make fonts)")
    add_output_workers_option(p)
    p.set_defaults(func=cmd_tables)

    p = sub.add_parser("docs", help="rewrite the lists of outputs in README.md and paper/README.md",
                       description="The lists of tables, figures and programs in README.md and paper/README.md "
                                   "are generated from the registry of outputs, between the markers "
                                   "<!-- outputs:begin --> and <!-- outputs:end -->. --check only says whether "
                                   "they are out of date (exit 1 if they are).")
    p.add_argument("--root", type=Path, default=Path("."), help="project folder (default: the current one)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a list is out of date")
    p.set_defaults(func=cmd_docs)

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
