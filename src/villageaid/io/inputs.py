"""The reading rules of every file a command reads, beyond the records folder itself.

``villageaid validate`` reads a county's records strictly (see :mod:`villageaid.io.read`): encodings, empty files,
ragged rows and non-finite values are each one line of a report naming the file. The other inputs of the commands
— a policy's assignments CSV, header maps, a salt file, a validated set's provenance, a panel — go through the same
rules here, so that every door of the command line is as strict as ``validate``:

- :func:`special_file_problem` / :func:`require_regular_file`: a FIFO, device, socket or broken link is refused
  *before* it is opened (opening a FIFO waits for a writer forever; ``/dev/zero`` never ends);
- :func:`read_input_text`: a small text file (a header map, a provenance record) with a size limit and the
  encodings of :func:`~villageaid.io.read.decode_text` (UTF-8, UTF-16 with a BOM, GBK/GB18030);
- :func:`read_csv_input`: a CSV table as ``validate`` reads one (encodings, empty file, ragged rows), every problem
  in a :class:`~villageaid.io.problems.ValidationReport`;
- :func:`check_finite_columns`: infinite values in the numeric columns of a frame (a panel), reported.

Importers and commands added later should read their files through these functions.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.io.problems import DataError, Problem, ValidationReport

#: Largest small text input (a header map, a provenance.json): a header map of every table's columns is a few KB.
MAX_TEXT_BYTES = 4 * 1024 * 1024
#: Largest CSV input outside the records folder (a policy's assignments: one row per village of the country
#: is some 30 MB).
MAX_CSV_BYTES = 1024 * 1024 * 1024


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "an unknown kind of file"


def special_file_problem(path: Path | str, table: str = "", label: str | None = None) -> Problem | None:
    """Return the problem with ``path`` as an input file, without opening it (None for a regular file).

    Parameters
    ----------
    path : Path or str
        The file. Links are followed (a link to a regular file is fine; a link to a device is not).
    table : str
        Schema table the file would hold, for the report (``""`` when none).
    label : str, optional
        How the report names the file (default: the path as given).

    Returns
    -------
    Problem or None
        ``input_missing``, ``input_is_folder`` or ``special_file`` (a FIFO, device, socket or broken link).
    """
    path = Path(path)
    label = str(path) if label is None else label
    try:
        mode = os.stat(path).st_mode  # stat, never open: opening a FIFO blocks until someone writes to it
    except FileNotFoundError:
        if path.is_symlink():
            return Problem.of("error", table, label, None, None, None, "special_file", kind="a broken link")
        return Problem.of("error", table, label, None, None, None, "input_missing")
    except OSError as exc:
        return Problem.of("error", table, label, None, None, None, "input_unreadable", detail=exc.strerror or str(exc))
    if stat.S_ISDIR(mode):
        return Problem.of("error", table, label, None, None, None, "input_is_folder")
    if not stat.S_ISREG(mode):
        return Problem.of("error", table, label, None, None, None, "special_file", kind=_kind_of(mode))
    return None


def require_regular_file(path: Path | str, what: str) -> Path:
    """Return ``path`` if it is a regular file; else raise a ValueError naming it and ``what`` it was to be.

    Raises
    ------
    ValueError
        If the file is missing, a folder, or a FIFO, device, socket or broken link (never opened).
    """
    problem = special_file_problem(path)
    if problem is not None:
        raise ValueError(f"{what} {path}: {problem.message('en')}")
    return Path(path)


def _checked_size(path: Path, what: str, limit: int, report: ValidationReport, table: str, label: str) -> int | None:
    problem = special_file_problem(path, table, label)
    if problem is not None:
        report.add(problem)
        return None
    size = path.stat().st_size
    if size > limit:
        report.add(Problem.of("error", table, label, None, None, None, "input_too_large", size=f"{size:,}",
                              limit=f"{limit:,}", kind=what))
        return None
    return size


def read_input_text(path: Path | str, what: str, *, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Read a small text input (a header map, a provenance record) by the rules of the records.

    Parameters
    ----------
    path : Path or str
        The file.
    what : str
        What the file is, for messages ("header map").
    max_bytes : int
        Largest size accepted (checked before reading).

    Returns
    -------
    str
        The text, decoded as UTF-8 (a BOM is dropped), UTF-16 with a BOM, or GBK/GB18030.

    Raises
    ------
    DataError
        With a report naming the file: missing, a folder or special file, too large, empty or undecodable.
    """
    from villageaid.io.read import decode_text

    path = Path(path)
    report = ValidationReport()
    label = str(path)
    if _checked_size(path, what, max_bytes, report, "", label) is None:
        raise DataError(report)
    try:
        data = path.read_bytes()
    except OSError as exc:
        report.add(Problem.of("error", "", label, None, None, None, "input_unreadable", detail=str(exc)))
        raise DataError(report) from exc
    text = decode_text(data, label, "", report)
    if text is not None and not text.strip():
        report.add(Problem.of("error", "", label, None, None, None, "empty_file"))
    if not report.ok or text is None:
        raise DataError(report)
    return text


def read_csv_input(path: Path | str, what: str, *, table: str = "", max_bytes: int = MAX_CSV_BYTES,
                   report: ValidationReport | None = None) -> tuple[pd.DataFrame | None, ValidationReport]:
    """Read a CSV input as ``validate`` reads a table of the records: every problem in one report.

    Parameters
    ----------
    path : Path or str
        The CSV file.
    what : str
        What the file is, for messages ("assignments").
    table : str
        Name the report gives the table (``""``: none).
    max_bytes : int
        Largest size accepted (checked before reading).
    report : ValidationReport, optional
        Report to add to (a new one by default).

    Returns
    -------
    frame : DataFrame or None
        All cells as text (``""`` where empty), columns named by the header as written (stripped), indexed by the
        row number as a spreadsheet shows it (the header is row 1); None when the file cannot be read at all.
        Lines with more fields than the header are reported and left out; shorter lines are padded.
    report : ValidationReport
        Missing, special, too large, empty, undecodable files, ragged rows, a file with a header and no rows.
    """
    from villageaid.io.read import read_csv_source

    path = Path(path)
    report = ValidationReport() if report is None else report
    label = str(path)
    size = _checked_size(path, what, max_bytes, report, table, label)
    if size is None:
        return None, report
    if size == 0:
        report.add(Problem.of("error", table, label, None, None, None, "empty_file"))
        return None, report
    try:
        source = read_csv_source(path, label, table, report)
    except (OSError, MemoryError, ValueError) as exc:
        report.add(Problem.of("error", table, label, None, None, None, "read_failed",
                              detail=f"{type(exc).__name__}: {exc}"))
        return None, report
    if source is None:
        return None, report
    frame = source.frame.copy()
    frame.columns = [str(h).strip() for h in source.headers]
    frame.index = pd.Index(np.asarray(source.rows, dtype=np.int64), name="row")
    frame = frame.fillna("").astype(str)
    if frame.empty:
        report.add(Problem.of("error", table, label, None, None, None, "no_rows"))
    return frame, report


def check_finite_columns(frame: pd.DataFrame, label: str, report: ValidationReport, *, table: str = "",
                         columns: list[str] | tuple[str, ...] | None = None) -> None:
    """Report infinite values in the numeric columns of ``frame`` (one line per column, with the first row).

    Parameters
    ----------
    frame : DataFrame
        A table read from ``label`` (a panel).
    label : str
        How the report names the file.
    report : ValidationReport
        Receives the problems.
    table : str
        Name the report gives the table.
    columns : list of str, optional
        Columns to check (default: every numeric column).
    """
    names = list(frame.columns) if columns is None else [c for c in columns if c in frame.columns]
    for name in names:
        values = frame[name]
        if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_float_dtype(values.dtype):
            continue  # only floats hold infinities (integers and booleans cannot)
        array = values.to_numpy(dtype=float, na_value=np.nan)
        bad = np.flatnonzero(np.isinf(array))
        if bad.size:
            report.add(Problem.of("error", table, label, int(bad[0]) + 1, str(name), str(array[bad[0]]),
                                  "not_finite_column", count=f"{bad.size:,}"))
