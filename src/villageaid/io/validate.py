"""Validate raw tables against the schema, collecting every problem into one report.

Each cell is parsed according to its column's kind; every unreadable, implausible or out-of-range cell
becomes one :class:`~villageaid.io.problems.Problem` naming the table, file, row as the user sees it,
column, value and the rule broken. Keys, exact duplicate records, references between tables,
overlapping postings (one cadre in two villages, two first secretaries in one village) and the resource list
against the postings (:mod:`villageaid.io.lists`) are checked after all files are read. Nothing stops at the
first problem, nothing is guessed and nothing is added up twice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.io.codes import check_village_codes
from villageaid.io.columns import SourceFrame, typed_source
from villageaid.io.consistency import check_assignments, check_keys, check_references
from villageaid.io.headers import (
    AmountUnit,
    HeaderMap,
    load_header_map,
)
from villageaid.io.lists import check_lists
from villageaid.io.normalize import (
    DATE_YEARS,
)
from villageaid.io.problems import Problem, ValidationReport
from villageaid.io.provenance import release_arrow_memory
from villageaid.schema import RAW_TABLES, TableSchema


def _released(frame: pd.DataFrame) -> pd.DataFrame:
    """Return an empty frame with the columns and dtypes of ``frame``, sharing none of its memory."""
    empty = pd.DataFrame({k: pd.Series([], dtype=dtype) for k, dtype in enumerate(frame.dtypes)})
    return empty.set_axis(frame.columns, axis=1)


def _empty(schema: TableSchema) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in schema.column_names})
    frame["_file"] = pd.Series(dtype=object)
    frame["_row"] = pd.Series(dtype=np.int64)
    return frame


def _finalize(frame: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    frame = frame.drop(columns=["_file", "_row"]).reset_index(drop=True)
    for col in schema.columns:
        if col.kind == "year" and col.name in frame and not frame[col.name].isna().any():
            frame[col.name] = frame[col.name].astype(np.int64)
    return frame


class SourceTyping:
    """Types sources one at a time as they are read, then checks the tables across sources (:meth:`finish`).

    Each source's cells are released once typed, so that reading a folder holds the cells of one file at a
    time beside the typed tables, not every file's (gigabytes at a national scale). The problems typing finds
    are kept aside and added to the report by :meth:`finish`, after every problem found while reading: the
    report lists them in the same order as when every file was read before any was typed.
    """

    def __init__(self, hmap: HeaderMap, *, amount_unit: AmountUnit | None = None, salt: bytes | None = None,
                 date_years: tuple[int, int] = DATE_YEARS, units: dict | None = None) -> None:
        self.hmap = hmap
        self.amount_unit = amount_unit
        self.salt = salt
        self.date_years = date_years
        self.units = units
        self.report = ValidationReport()
        self.typed: dict[str, list[pd.DataFrame]] = {name: [] for name in RAW_TABLES}
        self.available: dict[str, set[str]] = {}

    def type(self, source: SourceFrame) -> None:
        """Type one source (its problems kept for :meth:`finish`) and release its cells and row numbers."""
        report = self.report
        try:
            frame, columns = typed_source(source, self.hmap, report, self.amount_unit, self.salt, self.date_years,
                                          self.units)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, MemoryError) as exc:
            # A safety net: a value no rule foresaw is one report line naming the file, never a crash.
            report.add(Problem.of("error", source.table, source.label, None, None, None, "read_failed",
                                  detail=f"{type(exc).__name__}: {exc}"))
            return
        previous = self.available.get(source.table)
        self.available[source.table] = columns if previous is None else previous & columns
        if frame is not None:
            self.typed[source.table].append(frame)
        # The cells as read are not needed once typed: released now, not after the last table (at a national
        # scale they are gigabytes). The source keeps its table, label and headers. A fresh empty frame, not
        # ``frame.iloc[:0]``: a slice is a view that keeps every cell of its parent alive (numpy blocks, Arrow
        # buffers), and Arrow's allocator is asked to hand the freed buffers back for the next source.
        source.frame = _released(source.frame)
        source.rows = np.empty(0, dtype=source.rows.dtype)  # the typed table keeps its row numbers
        source.preflagged = {}
        release_arrow_memory()

    def finish(self, sources: list[SourceFrame], report: ValidationReport, *, found: set[str] | None = None,
               division_codes: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
        """Add the typing problems to ``report``, check keys and references across tables, return the tables."""
        for problem in self.report.problems:
            report.add(problem)
        report.suppressed.update(self.report.suppressed)
        return _check_tables(self.typed, self.available, sources, report, found, division_codes)


def validate_sources(
    sources: list[SourceFrame],
    hmap: HeaderMap,
    report: ValidationReport,
    *,
    amount_unit: AmountUnit | None = None,
    salt: bytes | None = None,
    date_years: tuple[int, int] = DATE_YEARS,
    units: dict | None = None,
    found: set[str] | None = None,
    division_codes: dict[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Type and check every source, then check keys and references across tables.

    Problems go into ``report``; the returned tables have schema columns and types. Each source's cells are
    released once typed (its ``frame`` and ``rows`` are left empty). ``units`` (when given)
    receives the amount unit of every money column and where it was stated. ``found`` names tables whose
    files exist but could not be read (already reported, so not reported again as missing). Village codes
    (统计用区划代码) are checked where ``village_id`` holds them; ``division_codes`` maps county and township
    names to their codes (:mod:`villageaid.io.codes`).
    """
    typing = SourceTyping(hmap, amount_unit=amount_unit, salt=salt, date_years=date_years, units=units)
    for source in sources:
        typing.type(source)
    return typing.finish(sources, report, found=found, division_codes=division_codes)


def _check_tables(typed: dict[str, list[pd.DataFrame]], available: dict[str, set[str]], sources: list[SourceFrame],
                  report: ValidationReport, found: set[str] | None, division_codes: dict[str, str] | None
                  ) -> dict[str, pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {}
    present = {s.table for s in sources} | (found or set())
    for name, schema in RAW_TABLES.items():
        parts = typed[name]
        if not parts:
            if schema.required and name not in present:
                report.add(Problem.of("error", name, "", None, None, None, "required_table_missing", table=name,
                                      table_zh=schema.label_zh))
            tables[name] = _empty(schema)
            continue
        frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        if len(parts) > 1:  # restore categories lost by concatenation
            for col in schema.columns:
                if col.kind == "enum":
                    frame[col.name] = pd.Categorical(frame[col.name], categories=list(col.allowed))
        tables[name] = frame
        if set(schema.key) <= available.get(name, set()):
            # Two sources of one table are one error already (naming both): duplicates are looked for
            # within each source, not between them.
            for part in parts:
                check_keys(name, part, report)
    check_references(tables, available, report)
    if {"cadre_id", "village_id", "start_date"} <= available.get("assignments", set()):
        check_assignments(tables["assignments"], report)
    check_lists(tables, available, report)
    if "village_id" in available.get("villages", set()):
        check_village_codes(tables["villages"], report, division_codes)
    return {name: _finalize(frame, RAW_TABLES[name]) for name, frame in tables.items()}


def validate_tables(
    frames: dict[str, pd.DataFrame],
    *,
    header_map: HeaderMap | None = None,
    salt: bytes | None = None,
) -> tuple[dict[str, pd.DataFrame], ValidationReport]:
    """Validate tables already in memory (schema column names; amounts in 万元).

    Row numbers in messages count records from 1. Used for simulated data and in notebooks.

    Returns
    -------
    tables : dict of str to DataFrame
        Typed tables.
    report : ValidationReport
    """
    report = ValidationReport()
    sources = [
        SourceFrame(name, f"<{name}>", frame.reset_index(drop=True), np.arange(1, len(frame) + 1))
        for name, frame in frames.items()
    ]
    unknown = [s.table for s in sources if s.table not in RAW_TABLES]
    for name in unknown:
        report.add(Problem.of("warning", "", f"<{name}>", None, None, None, "not_a_table"))
    sources = [s for s in sources if s.table in RAW_TABLES]
    tables = validate_sources(sources, header_map or load_header_map(), report, salt=salt)
    return tables, report
