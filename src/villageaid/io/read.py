"""Read a directory of raw tables (CSV, Parquet, Excel) into validated, typed DataFrames.

Files are found by name: ``villages.csv``, ``村庄.xlsx``, ``funding.parquet``, or one workbook whose
sheets are named after the tables (see ``data/header_map.toml``). CSV files are decoded as UTF-8 and,
failing that, as GB18030 (the superset of GBK that Chinese Excel exports use). Input files are opened
read-only and never modified.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from villageaid.io.headers import AmountUnit, HeaderMap, load_header_map
from villageaid.io.report import Problem, ValidationReport
from villageaid.io.validate import SourceFrame, validate_sources
from villageaid.schema import RAW_TABLES

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx")
_IGNORED_NAMES = {"readme", "truth", "codebook"}


@dataclass(frozen=True)
class RawData:
    """Validated raw tables and the report of every problem found on the way.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Schema tables by name, with schema column names and types. Optional tables that were absent are
        empty frames with the schema columns.
    report : ValidationReport
        Errors and warnings. When it has errors, ``tables`` may hold partial data and must not be analysed.
    files : dict of str to list of str
        Which files (and sheets) each table was read from.
    """

    tables: dict[str, pd.DataFrame]
    report: ValidationReport
    files: dict[str, list[str]] = field(default_factory=dict)


def _decode_csv(path: Path, label: str, report: ValidationReport) -> str | None:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            line = data[: utf8_error.start].count(b"\n") + 1
            snippet = data[utf8_error.start : utf8_error.start + 4].hex(" ")
            report.add(Problem("error", "", label, line, None, f"bytes {snippet}",
                               "undecodable text: the file is neither UTF-8 nor GBK/GB18030; save it as "
                               "CSV UTF-8"))
            return None


def _read_csv(path: Path, label: str, table: str, report: ValidationReport) -> SourceFrame | None:
    text = _decode_csv(path, label, report)
    if text is None:
        return None
    if not text.strip():
        report.add(Problem("error", table, label, None, None, None, "empty file: no header and no rows"))
        return None
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)
    # Row numbers as a spreadsheet shows them: the header is row 1.
    rows = pd.RangeIndex(2, len(frame) + 2)
    return SourceFrame(table, label, frame, rows.to_numpy())


def _read_parquet(path: Path, label: str, table: str) -> SourceFrame:
    frame = pd.read_parquet(path)
    return SourceFrame(table, label, frame.reset_index(drop=True), pd.RangeIndex(1, len(frame) + 1).to_numpy())


def _read_workbook(path: Path, hmap: HeaderMap, report: ValidationReport) -> list[SourceFrame]:
    sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    stem_table = hmap.table_for(path.stem)
    out = []
    for sheet, frame in sheets.items():
        label = f"{path.name}:{sheet}"
        table = hmap.table_for(str(sheet))
        if table is None and len(sheets) == 1:
            table = stem_table
        if table is None:
            report.add(Problem("warning", "", label, None, None, None,
                               "sheet name matches no table (villages, units, assignments, funding, "
                               "designations, outcomes or a name in the header map); sheet ignored"))
            continue
        if frame.shape[1] == 0:
            report.add(Problem("error", table, label, None, None, None, "empty sheet: no header and no rows"))
            continue
        out.append(SourceFrame(table, label, frame, pd.RangeIndex(2, len(frame) + 2).to_numpy()))
    return out


def read_sources(directory: Path, hmap: HeaderMap, report: ValidationReport) -> list[SourceFrame]:
    """Find and read every table file of ``directory`` (not recursive), in name order."""
    sources: list[SourceFrame] = []
    for path in sorted(directory.iterdir()):
        if path.name.startswith((".", "~$")) or not path.is_file():
            continue
        suffix = path.suffix.lower()
        if suffix not in TABLE_SUFFIXES:
            continue
        label = path.name
        if suffix == ".xlsx":
            try:
                sources.extend(_read_workbook(path, hmap, report))
            except Exception as exc:  # openpyxl raises many kinds of errors on broken files
                report.add(Problem("error", "", label, None, None, None, f"cannot read Excel workbook: {exc}"))
            continue
        table = hmap.table_for(path.stem)
        if table is None:
            if path.stem.lower() not in _IGNORED_NAMES:
                report.add(Problem("warning", "", label, None, None, None,
                                   "file name matches no table (villages, units, assignments, funding, "
                                   "designations, outcomes or a name in the header map); file ignored"))
            continue
        if path.stat().st_size == 0:
            report.add(Problem("error", table, label, None, None, None, "empty file: no header and no rows"))
            continue
        if suffix == ".csv":
            source = _read_csv(path, label, table, report)
        else:
            try:
                source = _read_parquet(path, label, table)
            except Exception as exc:  # pyarrow raises several error types for corrupt files
                report.add(Problem("error", table, label, None, None, None, f"cannot read Parquet file: {exc}"))
                source = None
        if source is not None:
            sources.append(source)
    return sources


def read_raw(
    directory: Path | str,
    *,
    header_map: HeaderMap | None = None,
    amount_unit: AmountUnit = "wan",
    salt: bytes | None = None,
) -> RawData:
    """Read and validate a directory of raw tables.

    Parameters
    ----------
    directory : Path or str
        Folder holding one file per table, or a workbook with a sheet per table.
    header_map : HeaderMap, optional
        Header and value map; the shipped one by default.
    amount_unit : {"wan", "yuan"}
        Unit of money columns whose header declares none. Amounts are stored in 万元.
    salt : bytes, optional
        The user's salt for pseudonymizing a name column; required only when the data hold names.

    Returns
    -------
    RawData
        Typed tables and the report of all problems (check ``report.ok``).
    """
    directory = Path(directory)
    report = ValidationReport()
    if not directory.is_dir():
        report.add(Problem("error", "", str(directory), None, None, None, "data directory does not exist"))
        return RawData({name: pd.DataFrame(columns=list(s.column_names)) for name, s in RAW_TABLES.items()},
                       report)
    hmap = header_map or load_header_map()
    sources = read_sources(directory, hmap, report)
    tables = validate_sources(sources, hmap, report, amount_unit=amount_unit, salt=salt)
    files: dict[str, list[str]] = {}
    for source in sources:
        files.setdefault(source.table, []).append(source.label)
    return RawData(tables, report, files)
