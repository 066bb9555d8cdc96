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
from villageaid.schema import RAW_TABLES, TableSchema


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
    released once typed (its ``frame`` is left empty). ``units`` (when given)
    receives the amount unit of every money column and where it was stated. ``found`` names tables whose
    files exist but could not be read (already reported, so not reported again as missing). Village codes
    (统计用区划代码) are checked where ``village_id`` holds them; ``division_codes`` maps county and township
    names to their codes (:mod:`villageaid.io.codes`).
    """
    typed: dict[str, list[pd.DataFrame]] = {name: [] for name in RAW_TABLES}
    available: dict[str, set[str]] = {}
    for source in sources:
        try:
            frame, columns = typed_source(source, hmap, report, amount_unit, salt, date_years, units)
        except (ValueError, TypeError, KeyError, IndexError, OverflowError, MemoryError) as exc:
            # A safety net: a value no rule foresaw is one report line naming the file, never a crash.
            report.add(Problem.of("error", source.table, source.label, None, None, None, "read_failed",
                                  detail=f"{type(exc).__name__}: {exc}"))
            continue
        previous = available.get(source.table)
        available[source.table] = columns if previous is None else previous & columns
        if frame is not None:
            typed[source.table].append(frame)
        # The cells as read are not needed once typed: released now, not after the last table (at a national
        # scale they are gigabytes). The source keeps its table, label and headers.
        source.frame = source.frame.iloc[:0]
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
