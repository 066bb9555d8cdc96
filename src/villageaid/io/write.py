"""Atomic, deterministic writing of outputs."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd


@contextmanager
def atomic_path(target: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success rename it onto ``target``.

    A run killed halfway leaves the old file (or none), never a truncated one.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def staged_folder(out: Path | str) -> Iterator[Path]:
    """Yield a staging folder inside ``out``; on success move every file written there into ``out``.

    A command that writes several files writes them all or none: a failure halfway leaves ``out`` as it was (the
    staging folder is removed). Files of ``out`` the command does not write are left alone.
    """
    import shutil

    out = Path(out)
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    done = False
    try:
        yield staging
        for path in sorted(staging.rglob("*")):
            if path.is_file():
                target = out / path.relative_to(staging)
                target.parent.mkdir(parents=True, exist_ok=True)
                path.replace(target)
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if not done and created and not any(out.iterdir()):
            out.rmdir()  # a folder made for outputs that never came is not left behind


def write_text(target: Path | str, text: str) -> Path:
    """Write UTF-8 text atomically (Unix newlines)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return Path(target)


def write_with(target: Path | str, writer: Callable[[Path], None]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``target`` atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)


# Cells a spreadsheet would run as a formula (OWASP "CSV injection"): text beginning with = + - @ or a
# tab / carriage return. A plain number written as text ("-0.123", "-0.5***", "(0.20)") is not a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"^[-+]?(\d[\d,]*)?(\.\d+)?([eE][-+]?\d+)?%?\**$|^-+$")


def neutralize_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would read as a formula with an apostrophe.

    Parameters
    ----------
    value : object
        A cell. Only strings are changed, and only those beginning with ``= + - @``, a tab or a carriage
        return that are not plain numbers.

    Returns
    -------
    object
        The cell, safe to open in Excel or WPS.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with its text cells and column names neutralised against formula injection."""
    out = frame
    text_columns = [c for c in frame.columns if frame[c].dtype == object or pd.api.types.is_string_dtype(
        frame[c].dtype) or isinstance(frame[c].dtype, pd.CategoricalDtype)]
    for column in text_columns:
        values = frame[column].astype(object)
        risky = values.map(lambda v: isinstance(v, str) and v.startswith(_FORMULA_START))
        if risky.any():
            if out is frame:
                out = frame.copy()
            out[column] = values.map(neutralize_cell)
    names = [neutralize_cell(str(c)) if isinstance(c, str) else c for c in frame.columns]
    if names != list(frame.columns):
        out = (out if out is not frame else frame.copy()).set_axis(names, axis=1)
    return out


def write_csv(frame: pd.DataFrame, target: Path | str) -> Path:
    """Write a DataFrame as UTF-8 CSV without index, atomically and byte-reproducibly.

    Text cells that a spreadsheet would run as formulas (``=HYPERLINK(...)``, ``+cmd``, ``@SUM``) are
    prefixed with an apostrophe (:func:`neutralize_cell`), so a table carrying names from the records can
    be opened safely.
    """
    return write_text(target, neutralize_frame(frame).to_csv(index=False, lineterminator="\n"))


#: Frames up to this many rows are written by pandas' own ``to_parquet`` (one row group: pyarrow's default row-group
#: size); larger ones by :func:`_write_parquet_one_row_group`, which writes the same content in one row group too.
PARQUET_ROW_GROUP = 1 << 20


def statistics_columns(frame: pd.DataFrame) -> list[str]:
    """Return the columns whose Parquet statistics (minimum, maximum) are written: numbers, booleans and dates.

    A file holds one row group (:func:`write_parquet`), so statistics can only tell a reader whether to skip the
    whole file; for text (identifiers, categories, names) computing them took a quarter of the writing time of
    the national tables (measured: 2.3 of 9.9 CPU seconds over simulate, validate and panel), so text columns
    are written without them. The values are the same either way.
    """
    return [str(column) for column, dtype in frame.dtypes.items()
            if not isinstance(dtype, pd.CategoricalDtype)
            and (pd.api.types.is_numeric_dtype(dtype)  # booleans included
                 or pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype))]


def write_parquet(frame: pd.DataFrame, target: Path | str) -> Path:
    """Write a DataFrame as Parquet atomically (no pandas index, fixed writer settings, ``attrs`` kept).

    Every file holds one row group, however long the frame: a categorical column's dictionary (500,000 village
    identifiers, 4 million cadre pseudonyms) is then written once, not once per row group, and read back without
    unifying one dictionary per row group, which at the national scale halves both writing and reading.
    Statistics are written for the columns of :func:`statistics_columns` only.
    """
    statistics = statistics_columns(frame)
    if len(frame) <= PARQUET_ROW_GROUP:
        return write_with(target, lambda tmp: frame.to_parquet(tmp, index=False, engine="pyarrow",
                                                               compression="zstd", write_statistics=statistics))
    return write_with(target, lambda tmp: _write_parquet_one_row_group(frame, tmp, statistics))


def _write_parquet_one_row_group(frame: pd.DataFrame, path: Path, statistics: list[str]) -> None:
    """Write what ``frame.to_parquet`` writes (the same schema, pandas metadata and attrs) as one row group.

    ``to_parquet`` splits a frame into row groups of pyarrow's default size (2**20 rows). The Arrow table made
    from the frame shares the frame's numeric, code and Arrow-string buffers, so it costs little memory beside it.
    """
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if frame.attrs:  # as pandas' to_parquet stores them, so that read_parquet restores them
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               b"PANDAS_ATTRS": json.dumps(frame.attrs).encode()})
    pq.write_table(table, path, compression="zstd", row_group_size=max(len(frame), 1), write_statistics=statistics)


def write_parquet_tables(tables: dict[str, pd.DataFrame], folder: Path | str) -> list[Path]:
    """Write each table as ``folder/<name>.parquet`` (atomically), several at once.

    Arrow's Parquet writer releases the GIL, so the tables are written side by side on the machine's cores;
    each file is the same bytes however the writes are scheduled (at most ``VILLAGEAID_THREADS`` at once).
    """
    from concurrent.futures import ThreadPoolExecutor

    from villageaid.threads import thread_budget

    folder = Path(folder)
    workers = max(1, min(len(tables), thread_budget()))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda item: write_parquet(item[1], folder / f"{item[0]}.parquet"), tables.items()))


def write_dataset(tables: dict[str, pd.DataFrame], truth: dict, folder: Path | str, *,
                  file_format: str = "csv") -> list[Path]:
    """Write a simulated data set: one file per raw table (CSV or Parquet) and ``truth.json``.

    CSV suits the small default data set (readable, diffable); Parquet the national scenario, whose CSV files
    take several times longer to write and to read back and nearly a gigabyte of disk.
    """
    import json

    if file_format not in ("csv", "parquet"):
        raise ValueError(f"unknown format {file_format!r}: use 'csv' or 'parquet'")
    folder = Path(folder)
    if file_format == "csv":
        paths = [write_csv(frame, folder / f"{name}.csv") for name, frame in tables.items()]
    else:
        paths = write_parquet_tables(tables, folder)
    paths.append(write_text(folder / "truth.json", json.dumps(truth, indent=2, ensure_ascii=False) + "\n"))
    return paths
