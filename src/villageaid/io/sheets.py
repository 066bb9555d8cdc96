"""Read one file of a county's own layout (a project list, a roster, a crosswalk) into a grid of cells.

The six tables of the records are read by :mod:`villageaid.io.read`; the files read here are other shapes that
importers and the code crosswalk turn into those tables. A grid keeps every cell as written (text, number or
date), the row number a spreadsheet shows, and — for workbooks — the merged ranges, so that an importer can
fill a merged cell down and say so. CSV text is decoded by :func:`villageaid.io.read.decode_text` (UTF-8, else
GBK/GB18030; another encoding is reported). Files are opened read-only and never modified.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.io.problems import Problem, ValidationReport

#: Formats of the grids read here.
GRID_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet", ".dta")


@dataclass
class Grid:
    """The cells of one sheet (or CSV, Parquet or Stata file), as written.

    Attributes
    ----------
    label : str
        File name, with ``:sheet`` for a workbook: the name every report line gives.
    cells : list of list
        Rows of cell values (None for an empty cell); row ``i`` is row ``i + 1`` of the sheet.
    merged : list of (int, int, int, int)
        Merged ranges as (first row, first column, last row, last column), 0-based and inclusive.
    has_header : bool
        False for a Parquet or Stata file, whose column names are given in ``header``.
    header : list of str
        Column names of a Parquet or Stata file (empty for a sheet: its header is one of its rows).
    """

    label: str
    cells: list[list[object]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    has_header: bool = True
    header: list[str] = field(default_factory=list)


def cell_text(value: object) -> str | None:
    """Return a cell as trimmed text (None when empty); whole-number floats lose their ``.0``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, pd.Timestamp):
        value = value.date().isoformat()
    text = str(value).strip()
    return text or None


def column_letter(index: int) -> str:
    """Return the spreadsheet letter of a 0-based column (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_grids(path: Path, table: str, report: ValidationReport) -> list[Grid]:
    """Read every sheet of a workbook, or the one grid of a CSV, Parquet or Stata file.

    Problems of reading (an unreadable file, an undecodable CSV) are one report line naming the file; the
    file is then skipped (an empty list).
    """
    from villageaid.io.read import decode_text

    suffix = path.suffix.lower()
    label = path.name
    try:
        if suffix == ".csv":
            text = decode_text(path.read_bytes(), label, table, report)
            if text is None:
                return []
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, header=None,
                                skip_blank_lines=False)
            cells = [[None if v == "" else v for v in row] for row in frame.itertuples(index=False)]
            return [Grid(label, cells)]
        if suffix in (".xlsx", ".xlsm"):
            import openpyxl

            # Not read-only: merged ranges are only known to a fully loaded sheet. data_only: a formula's
            # saved value (a formula without one is an empty cell).
            book = openpyxl.load_workbook(path, data_only=True)
            try:
                grids = []
                for ws in book.worksheets:
                    cells = [list(row) for row in ws.iter_rows(values_only=True)]
                    merged = [(r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1)
                              for r in ws.merged_cells.ranges]
                    grids.append(Grid(f"{label}:{ws.title}", cells, sorted(merged)))
                return grids
            finally:
                book.close()
        if suffix == ".parquet":
            frame = pd.read_parquet(path)
        elif suffix == ".dta":
            from villageaid.io.stata import read_dta_frame

            frame = read_dta_frame(path)
        else:
            report.add(Problem.of("error", table, label, None, None, None, "read_failed",
                                  detail=f"unknown format {suffix or '(no suffix)'}; expected CSV, XLSX, Parquet "
                                         "or Stata .dta"))
            return []
        cells = [list(row) for row in frame.astype(object).itertuples(index=False)]
        return [Grid(label, cells, has_header=False, header=[str(c) for c in frame.columns])]
    except Exception as exc:  # openpyxl, pyarrow and pandas raise many kinds of errors on broken files
        report.add(Problem.of("error", table, label, None, None, None, "read_failed",
                              detail=f"{type(exc).__name__}: {exc}"))
        return []
