"""The ``villageaid`` command line: one parser, each family of commands registering its own subcommands.

Families: records (:mod:`.records`), the paper (:mod:`.paper`), simulation studies (:mod:`.studies`) and
policies (:mod:`.policy`). Exit codes: 0 success; 2 invalid input (a readable report, never a traceback);
1 an internal error (rerun with ``--debug`` to see the traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from villageaid import __version__
from villageaid.io.problems import DataError
from villageaid.threads import limit_process_threads
from villageaid.workflow.cli import imports, paper, policy, records, studies
from villageaid.workflow.cli.common import EXIT_INTERNAL, EXIT_INVALID, CommandParser, UserError, log


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``villageaid`` command."""
    parser = argparse.ArgumentParser(
        prog="villageaid",
        description="Village-based assistance (驻村帮扶) research data: simulate a data set, validate county "
                    "records, build the village × year panel and write the paper's tables.",
    )
    parser.add_argument("--version", action="version", version=f"villageaid {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=CommandParser)

    for family in (records, paper, studies, policy, imports):
        family.register(sub)
    return parser


#: Commands that draw figures (they select matplotlib's file-only backend).
FIGURE_COMMANDS = ("tables", "montecarlo", "power", "speccurve", "policy")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a refused option (argparse printed why) is an invalid input; --help still exits
        if exc.code in (0, None):
            raise
        return EXIT_INVALID
    if getattr(args, "command", None) == "tables" and args.figures is None:
        args.figures = Path(args.out).parent / "figures"
    if getattr(args, "command", None) in FIGURE_COMMANDS:
        import matplotlib

        matplotlib.use("Agg")  # the command line only writes files; the library itself never sets a backend
    try:
        limit_process_threads()  # VILLAGEAID_THREADS: this process's BLAS threads (villageaid.threads)
    except ValueError as exc:
        log(f"error: {exc}")
        return EXIT_INVALID
    try:
        return int(args.func(args))
    except UserError as exc:
        log(f"error: {exc}")
        return EXIT_INVALID
    except DataError as exc:  # an input read by the records' rules: its report
        log(f"error: {args.command}: an input cannot be used:\n{exc.report.format(max_lines=50)}")
        return EXIT_INVALID
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        if args.debug:
            raise
        log(f"error: {exc}")
        return EXIT_INVALID
    except Exception as exc:
        if args.debug:
            raise
        log(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback, and please "
             "report it)")
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
