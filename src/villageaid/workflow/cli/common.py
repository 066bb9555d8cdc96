"""Shared by every command family: exit codes, the user-error exception, logging and common options.

Exit codes: 0 success; 2 invalid input (a readable report, never a traceback); 1 an internal error (rerun with
``--debug`` to see the traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from villageaid.config import DEFAULT_SEED
from villageaid.io.headers import AMOUNT_UNIT_CHOICES
from villageaid.io.messages import LANG_ENV
from villageaid.io.normalize import DATE_YEARS
from villageaid.io.pseudonym import SALT_ENV
from villageaid.io.read import RawData, is_inside, read_records

EXIT_OK, EXIT_INTERNAL, EXIT_INVALID = 0, 1, 2


class CommandParser(argparse.ArgumentParser):
    """A command's argument parser whose description may be computed only when its help is shown.

    ``describe`` returns the description. The tables command's lists every file it writes, which needs the
    analyses' registry of outputs and with it the scientific stack (about a second to import); built eagerly,
    every command (simulate, validate, panel, ...) paid that second at start-up.
    """

    def __init__(self, *args: object, describe: Callable[[], str] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._describe = describe

    def format_help(self) -> str:
        """Return the help, computing the description on first use."""
        if self._describe is not None:
            self.description, self._describe = self._describe(), None
        return super().format_help()


class UserError(Exception):
    """A mistake in the user's input or command line: reported in one message, exit code 2."""


#: --date-years as the command line writes its default.
DEFAULT_DATE_YEARS = f"{DATE_YEARS[0]}-{DATE_YEARS[1]}"


# --- numeric options: range-checked by the parser, with the bound on work and memory stated -------------------

#: Largest root seed (numpy's seed sequences take any non-negative integer; 2^32 - 1 is what other tools accept).
MAX_SEED = 2**32 - 1
#: Most worker processes: each holds its own copy of the data, so more than this exhausts any machine's memory.
MAX_WORKERS = 256
#: Most parametric-bootstrap draws of the policy command: each draw re-solves every county (work and memory grow
#: with draws × counties).
MAX_POLICY_DRAWS = 10_000
#: Most wild-bootstrap draws: the weights are a draws × clusters matrix.
MAX_BOOTSTRAP_DRAWS = 99_999
#: Most replications of a simulation study: each simulates and estimates a whole data set.
MAX_REPS = 100_000


def bounded(name: str, kind: type, low: float | None, high: float | None, why: str = "",
            *, low_open: bool = False) -> object:
    """Return an argparse ``type`` that reads a number of ``kind`` and refuses it outside [low, high].

    Non-finite numbers (``nan``, ``inf``) are refused; the message names the option's meaning, the bounds and,
    with ``why``, what the upper bound protects (work and memory).
    """
    import math

    def parse(text: str) -> int | float:
        try:
            if "_" in text:  # Python's literal rule (1_000), not a number as a user writes it: refused, as in ledgers
                raise ValueError(text)
            value = kind(text.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be {'a whole number' if kind is int else 'a number'}, "
                                             f"not {text!r}") from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{name} must be a finite number, not {text!r}")
        below = low is not None and (value <= low if low_open else value < low)
        if below or (high is not None and value > high):
            if low is not None and high is not None:
                bounds = f"{'above' if low_open else 'at least'} {low:,} and at most {high:,}"
            elif low is not None:
                bounds = f"{'above' if low_open else 'at least'} {low:,}"
            else:
                bounds = f"at most {high:,}"
            raise argparse.ArgumentTypeError(f"{name} must be {bounds}, not {text}{f' ({why})' if why else ''}")
        return value

    parse.__name__ = name  # argparse names the type in its own messages
    return parse


SEED = bounded("--seed", int, 0, MAX_SEED, "a seed is a whole number from 0 to 2^32 - 1")
WORKERS = bounded("--workers", int, 0, MAX_WORKERS,
                  "each worker is a process with its own copy of the data; 0 runs in this process")
REPS = bounded("--reps", int, 1, MAX_REPS,
               "each replication simulates and estimates a whole data set")
BOOTSTRAP_DRAWS = bounded("--bootstrap-draws", int, 0, MAX_BOOTSTRAP_DRAWS,
                          "the draws' weights are a draws × clusters matrix; 0 skips the bootstrap")

RICH_QUANTILE = bounded("--rich-quantile", float, 0, 0.99, "a county quantile of the endowment index",
                        low_open=True)


def refuse_overlap(command: str, outputs: dict[str, Path | None], inputs: dict[str, object]) -> None:
    """Refuse an output that is, contains or lies inside one of the command's inputs (inputs are never modified).

    Parameters
    ----------
    command : str
        The command, for the message.
    outputs : dict of str to Path or None
        Option (``--out``) → the file or folder written (None: not given).
    inputs : dict of str to Path, list of Path or None
        Option or argument → the file(s) or folder(s) read (None: not given).

    Raises
    ------
    UserError
        Naming the output, the input and how they overlap.
    """
    for out_option, out in outputs.items():
        if out is None:
            continue
        for in_option, given in inputs.items():
            paths = given if isinstance(given, list | tuple) else [given]
            for path in paths:
                if path is None:
                    continue
                if is_inside(out, path):
                    how = "is" if Path(out).resolve() == Path(path).resolve() else "lies inside"
                elif is_inside(path, out):
                    how = "contains"
                else:
                    continue
                kind = "folder" if Path(path).is_dir() else "file"
                raise UserError(f"{command}: {out_option} {out} {how} the input {kind} {path} ({in_option}); choose "
                                "an output outside every input (inputs are never modified)")


def staged_out(command: object) -> object:
    """Wrap a command that writes files into ``args.out`` so that it writes them into a staging folder instead.

    The files move into ``--out`` only when the command returns (all of them, or none when it fails).
    """
    import functools

    from villageaid.io.write import staged_folder

    @functools.wraps(command)  # type: ignore[arg-type]
    def run(args: argparse.Namespace) -> int:
        with staged_folder(Path(args.out)) as staging:
            return command(argparse.Namespace(**{**vars(args), "out": staging}))  # type: ignore[operator]

    return run


def read_panel_option(path: Path, command: str, reader: object = None) -> object:
    """Read a panel (Parquet) given to ``command`` by the rules of every input, or raise a UserError naming it.

    The file must be a regular file (a FIFO or device is refused before it is opened), readable as Parquet, with
    rows, and without infinite values in its numeric columns (reported in the records' report format).

    Parameters
    ----------
    path : Path
        The panel.
    command : str
        The command, for messages.
    reader : callable, optional
        Reads the file (default :func:`pandas.read_parquet`); the policy command reads only its columns.
    """
    import pandas as pd

    from villageaid.io.inputs import check_finite_columns, require_regular_file
    from villageaid.io.problems import ValidationReport

    try:
        require_regular_file(path, "panel")
        panel = (reader or pd.read_parquet)(path)  # type: ignore[operator]
    except (OSError, ValueError, MemoryError) as exc:
        raise UserError(f"{command}: cannot read panel {path}: {exc}") from exc
    except Exception as exc:  # pyarrow raises several error types for corrupt files
        raise UserError(f"{command}: cannot read panel {path} as Parquet ({type(exc).__name__}: {exc})") from exc
    if panel.empty:
        raise UserError(f"{command}: panel {path} has no village-years")
    report = ValidationReport()
    check_finite_columns(panel, str(path), report, table="panel")
    if not report.ok:
        raise UserError(f"{command}: panel {path} holds values that are not finite numbers:\n{report.format()}")
    return panel


def refuse_unreadable_note(note: str) -> None:
    """Raise a UserError (before anything is estimated) when no installed font draws a figure's data note.

    A note naming real records (Chinese counties) needs a CJK font behind the figures' own; without one the figure
    could not be read, and the command says which characters and how to install a font, instead of failing after
    the estimation with an internal error.
    """
    from villageaid.report.figures import FontMissingError, note_fonts

    try:
        note_fonts(note)
    except FontMissingError as exc:
        raise UserError(str(exc)) from exc


def log(message: str) -> None:
    """Write one line to stderr, prefixed with the program name."""
    print(f"villageaid: {message}", file=sys.stderr)


def add_ingest_options(parser: argparse.ArgumentParser) -> None:
    """Add the options about reading records (header maps, units, salt, dates, report)."""
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
    parser.add_argument("--max-problems", type=bounded("--max-problems", int, 0, 10_000_000), default=1000,
                        help="print at most this many problems (default 1000); the rest are counted per file, "
                             "column and problem")
    parser.add_argument("--lang", choices=("en", "zh"), default=None,
                        help=f"language of the report: en or zh (中文); default from {LANG_ENV}, else en")


def add_vcov_option(parser: argparse.ArgumentParser) -> None:
    """Add --vcov, the variance of the paper's village models."""
    parser.add_argument("--vcov", choices=("auto", "CRV3", "CRV1", "CRV1-county"), default="auto",
                        help="variance of the models of Tables 3-5: auto (the default: CRV3 with fewer than 30 "
                             "counties, CRV1 by county with more), CRV3, the exact cluster jackknife by village "
                             "(where it is undefined a model shows CRV1 errors, marked with a dagger and "
                             "explained), CRV1 by village, or CRV1 by county throughout")


def add_output_workers_option(parser: argparse.ArgumentParser) -> None:
    """Add --workers for the tables and figures."""
    parser.add_argument("--workers", type=WORKERS, default=None, metavar="K",
                        help="processes for the tables and figures, each with one BLAS thread (default: "
                             "VILLAGEAID_THREADS, else one per core); the files are the same bytes whatever K")


def parse_date_years(text: str) -> tuple[int, int]:
    """Read --date-years (FIRST-LAST) or raise a UserError saying what is wrong."""
    try:
        first, last = (int(part) for part in text.replace("–", "-").split("-"))
    except ValueError as exc:
        raise UserError(f"--date-years {text!r}: expected two years such as 1949-2100") from exc
    if first > last:
        raise UserError(f"--date-years {text!r}: the first year is after the last")
    if first < 1000 or last > 9999:
        raise UserError(f"--date-years {text!r}: years are written with four digits (1000-9999)")
    return first, last


def ingest(args: argparse.Namespace) -> RawData:
    """Read and validate the records of ``args.data_dir`` with the ingest options."""
    try:
        return read_records(args.data_dir, header_maps=args.header_map, salt_file=args.salt_file,
                            amount_unit=args.amount_unit, date_years=parse_date_years(args.date_years))
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from exc


def refuse_output_inside(data_dir: Path, out: Path | None, command: str) -> None:
    """Never write into the folder of the records being read (it must stay as the county sent it)."""
    refuse_overlap(command, {"--out": out}, {"DATA_DIR": data_dir})


def ingest_inputs(args: argparse.Namespace) -> dict[str, object]:
    """Return the inputs the ingest options name (records folder, header maps, salt file) for :func:`refuse_overlap`."""
    return {"DATA_DIR": args.data_dir, "--header-map": list(args.header_map), "--salt-file": args.salt_file}


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """Add --workers, --scheduler and --seed for the simulation studies."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--workers", type=WORKERS, default=None,
                       help="K local worker processes, each with one BLAS thread (default: VILLAGEAID_THREADS, else "
                            "the number of cores; 0 runs serially in this process)")
    group.add_argument("--scheduler", default=None,
                       help="address of an existing Dask scheduler (tcp://HOST:PORT); also read from "
                            "DASK_SCHEDULER_ADDRESS")
    parser.add_argument("--pool", choices=("fork", "dask"), default="fork",
                        help="how local workers start: fork (the default on Linux: processes forked from this one, "
                             "which start at once) or dask (a local Dask cluster); the numbers are the same")
    parser.add_argument("--seed", type=SEED, default=DEFAULT_SEED, help=f"root seed (default {DEFAULT_SEED})")


def run_study(function: object, n_tasks: int, args: argparse.Namespace, task_args: tuple,
         with_index: bool = False) -> object:
    """Run a study's tasks on the executor, logging failures and the backend."""
    from villageaid.executor import run_tasks

    workers, scheduler = study_workers(args)
    result = run_tasks(function, n_tasks, root_seed=args.seed, args=task_args, workers=workers,
                       scheduler=scheduler, with_index=with_index, pool=getattr(args, "pool", "fork"))
    for failure in result.failures:
        log(f"task {failure.index} (seed {failure.seed}) failed: {failure.error.splitlines()[0]}")
    log(f"{n_tasks - len(result.failures)} of {n_tasks} tasks done on {result.backend} in {result.seconds:.1f} s")
    return result


def study_workers(args: argparse.Namespace) -> tuple[int, str | None]:
    """Return (workers, scheduler) of a study from its options and DASK_SCHEDULER_ADDRESS."""
    from villageaid.executor import SCHEDULER_ENV
    from villageaid.threads import default_workers

    scheduler = args.scheduler or (os.environ.get(SCHEDULER_ENV) if args.workers is None else None)
    if scheduler:
        return 0, scheduler
    return default_workers() if args.workers is None else args.workers, None


def add_lists_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--lists``: where the policy simulator reads the two lists (需求清单, 资源清单)."""
    parser.add_argument("--lists", type=Path, default=None,
                        help="the two lists: a validated set ('villageaid validate --out') or a folder of records "
                             "with the needs and unit_resources tables (without: stand-ins from the panel)")


def read_lists_option(folder: Path | None, command: str) -> object:
    """Read ``--lists`` for ``command``: the two lists, or None (without the option, or a folder without lists).

    Unreadable or invalid lists are a :class:`UserError` naming the folder; a folder without them is said in the log.
    """
    if folder is None:
        return None
    from villageaid.analysis.policy_inputs import read_policy_lists
    from villageaid.io.problems import DataError

    try:
        lists = read_policy_lists(folder)
    except DataError as exc:
        raise UserError(f"the records in {folder} have errors:\n{exc}") from exc
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read the two lists from {folder}: {exc}") from exc
    if lists is None:
        log(f"{command}: {folder} has no need or resource list; using stand-ins from the panel")
    return lists
