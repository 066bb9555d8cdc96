"""Read a directory of raw tables (CSV, Parquet, Excel) into validated, typed DataFrames.

Files are found by name: ``villages.csv``, ``村庄.xlsx``, ``funding.parquet``, or one workbook whose
sheets are named after the tables (see ``data/header_map.toml`` and the codebook). One table comes from
one source: two files or sheets for the same table are an error, never added up. CSV files are decoded as
UTF-8 or, failing that, as GBK/GB18030 (the encodings of Chinese Excel exports); a file in another
encoding (Big5, Shift-JIS, …) is reported with the encoding found. Every problem of reading becomes a line
of the report naming the file; nothing is raised. Input files are opened read-only and never modified.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.io.codes import (
    CROSSWALK_STEMS,
    DIVISION_CODE_STEMS,
    Crosswalk,
    check_directory_codes,
    read_division_codes,
)
from villageaid.io.columns import SourceFrame
from villageaid.io.headers import AmountUnit, HeaderMap, load_header_map, normalize_key
from villageaid.io.inputs import special_file_problem
from villageaid.io.normalize import DATE_YEARS, shared_text_index
from villageaid.io.problems import Problem, ValidationReport
from villageaid.io.pseudonym import check_salt
from villageaid.io.validate import SourceTyping
from villageaid.schema import RAW_TABLES

TABLE_SUFFIXES = (".csv", ".parquet", ".xlsx", ".xlsm", ".dta")
#: Formats a ledger may come in that villageaid does not read: reported, never skipped silently.
UNREAD_SUFFIXES = {".xls": "Excel 97-2003 (.xls)", ".et": "WPS (.et)", ".ods": "OpenDocument (.ods)",
                   ".numbers": "Apple Numbers", ".tsv": "tab-separated (.tsv)", ".txt": "text (.txt)",
                   ".json": "JSON", ".sav": "SPSS (.sav)", ".xlsb": "Excel binary (.xlsb)"}
_IGNORED_NAMES = {"readme", "truth", "codebook", "provenance", "说明", "填写说明", "示例", "填写示例",
                  "instructions", "examples", "lists", "选项"} | CROSSWALK_STEMS | DIVISION_CODE_STEMS
_HEADER_SEARCH_ROWS = 10


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
    provenance : dict
        How the records were read: files per table, the amount unit of every money column and where it
        was stated (header or option), and the date range accepted.
    """

    tables: dict[str, pd.DataFrame]
    report: ValidationReport
    files: dict[str, list[str]] = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    #: The checked crosswalk of merged and renamed village codes, when the folder has one (io.codes).
    crosswalk: Crosswalk | None = None


# --- encodings -------------------------------------------------------------------------------------

_FOREIGN = (("big5", "Big5", "Traditional Chinese"), ("shift_jis", "Shift-JIS", "Japanese"),
            ("euc_kr", "EUC-KR", "Korean"))


def _non_ascii(text: str) -> set[str]:
    """Distinct non-ASCII characters of the first 4 million characters (enough to tell an encoding)."""
    return {ch for ch in text[:4_000_000] if ord(ch) > 127}


def _gb2312_common(ch: str) -> bool:
    """Return True for a GB2312 hanzi (rows 16-87) or punctuation/full-width form (rows 1 and 3)."""
    try:
        encoded = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(encoded) == 2 and (encoded[0] >= 0xB0 or encoded[0] in (0xA1, 0xA3))


def _gb18030_plausible(ch: str) -> bool:
    """Return True for a character of Chinese text decoded as GB18030.

    A common GB2312 character, or a letter GB18030 writes in four bytes (CJK extension B and beyond, 𠮷): no
    Big5, Shift-JIS or EUC-KR text decodes to a four-byte sequence (their second bytes are never ASCII digits),
    so such a letter is evidence of GB18030, not of another encoding read wrongly.
    """
    if _gb2312_common(ch):
        return True
    try:
        return len(ch.encode("gb18030")) == 4 and unicodedata.category(ch) == "Lo"
    except UnicodeEncodeError:
        return False


def _script_plausible(ch: str, encoding: str) -> bool:
    """Return True for a character the text of ``encoding`` (Big5, Shift-JIS, EUC-KR) is made of."""
    code = ord(ch)
    cjk = 0x4E00 <= code <= 0x9FFF
    punctuation = 0x3000 <= code <= 0x303F or 0xFF00 <= code <= 0xFFEF
    if encoding == "big5":
        return cjk or punctuation
    if encoding == "shift_jis":
        return cjk or punctuation or 0x3040 <= code <= 0x30FF
    return cjk or 0xAC00 <= code <= 0xD7AF or 0x3130 <= code <= 0x318F


def _share(text: str, plausible: object) -> float:
    """Share of the distinct non-ASCII characters that are ``plausible`` (1 for plain ASCII text)."""
    chars = _non_ascii(text)
    return sum(map(plausible, chars)) / len(chars) if chars else 1.0  # type: ignore[arg-type]


def decode_text(data: bytes, label: str, table: str, report: ValidationReport) -> str | None:
    """Decode a CSV file's bytes, or report why it cannot be read as Chinese text."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as utf8_error:
        first_bad = utf8_error.start
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None and _share(text, _gb18030_plausible) >= 0.9:
        return text
    for codec, name, script in _FOREIGN:
        try:
            foreign = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if _share(foreign, lambda ch, codec=codec: _script_plausible(ch, codec)) >= 0.9:
            report.add(Problem.of("error", table, label, None, None, None, "foreign_encoding",
                                  encoding=name, script=script))
            return None
    line = data[:first_bad].count(b"\n") + 1
    snippet = data[first_bad: first_bad + 4].hex(" ")
    report.add(Problem.of("error", table, label, line, None, None, "undecodable", detail=snippet))
    return None


# --- CSV -------------------------------------------------------------------------------------------

def _csv_records(text: str, label: str, table: str, report: ValidationReport) -> tuple[list[list[str]], list[int]]:
    """Slow, exact reading of a CSV with lines that do not fit its header: report them, keep the rest."""
    reader = csv.reader(io.StringIO(text))
    records: list[list[str]] = []
    rows: list[int] = []
    width = None
    for number, record in enumerate(reader, start=1):
        if width is None:
            width = len(record)
            records.append(record)
            rows.append(number)
            continue
        if len(record) > width:
            extra = record[width:]
            if any(cell.strip() for cell in extra):
                report.add(Problem.of("error", table, label, number, None, None, "csv_extra_fields",
                                      found=len(record), expected=width))
                continue
            record = record[:width]
        records.append(record + [""] * (width - len(record)))
        rows.append(number)
    return records, rows


def read_csv_source(path: Path, label: str, table: str, report: ValidationReport) -> SourceFrame | None:
    """Read one CSV file by the records' rules: decoded (:func:`decode_text`), ragged lines reported and left out.

    Returns None (with the reason in ``report``) when the file cannot be decoded or holds only white space. The
    caller checks first that ``path`` is a regular, non-empty file (:func:`villageaid.io.inputs.read_csv_input`).
    """
    text = decode_text(path.read_bytes(), label, table, report)
    if text is None:
        return None
    if not text.strip():
        report.add(Problem.of("error", table, label, None, None, None, "empty_file"))
        return None
    try:
        grid = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False,
                           header=None)
        # Row numbers as a spreadsheet shows them: the header is row 1.
        rows = np.arange(1, len(grid) + 1)
    except pd.errors.ParserError:
        records, row_list = _csv_records(text, label, table, report)
        grid = pd.DataFrame(records, dtype=object)
        rows = np.asarray(row_list)
    except (ValueError, csv.Error) as exc:
        report.add(Problem.of("error", table, label, None, None, None, "csv_unreadable", detail=str(exc)))
        return None
    return _with_header(grid, rows, table, label)


def _with_header(grid: pd.DataFrame, rows: np.ndarray, table: str, label: str,
                 header_row: int = 0, **extra: object) -> SourceFrame:
    headers = ["" if h is None or (isinstance(h, float) and np.isnan(h)) else str(h)
               for h in grid.iloc[header_row].tolist()] if len(grid) else []
    frame = grid.iloc[header_row + 1:].reset_index(drop=True)
    frame.columns = range(frame.shape[1])
    return SourceFrame(table, label, frame, rows[header_row + 1:], headers=headers,
                       header_line=int(rows[header_row]) if len(rows) else 1, **extra)  # type: ignore[arg-type]


def locate_header(source: SourceFrame, hmap: HeaderMap) -> SourceFrame:
    """Find the header row when titles sit above it (a common ledger layout: 'XX县驻村干部台账' on row 1).

    The first row is the header when any of its cells is a known header; otherwise the first of the next
    rows that holds at least two known headers is, and the rows above it are skipped (with a warning).
    """
    def known(cells: list[object]) -> int:
        return sum(hmap.resolve(source.table, c).column is not None for c in cells
                   if c is not None and str(c).strip() and not (isinstance(c, float) and np.isnan(c)))

    if known(source.headers) > 0 or source.frame.empty:
        return source
    for k in range(min(_HEADER_SEARCH_ROWS, len(source.frame))):
        cells = source.frame.iloc[k].tolist()
        if known(cells) >= 2:
            grid = pd.concat([pd.DataFrame([source.headers]).reindex(columns=source.frame.columns),
                              source.frame], ignore_index=True)
            rows = np.concatenate([[source.header_line], source.rows])
            moved = _with_header(grid, rows, source.table, source.label, header_row=k + 1,
                                 preflagged=source.preflagged)
            moved.notes.append(("header_row", {"row": moved.header_line, "skipped": moved.header_line - 1}))
            return moved
    return source


# --- Excel -----------------------------------------------------------------------------------------

def _read_workbook(path: Path, hmap: HeaderMap, report: ValidationReport) -> list[SourceFrame]:
    import openpyxl

    out: list[SourceFrame] = []
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    cached_book = None
    try:
        stem_table = hmap.table_for(path.stem)
        sheets = [ws for ws in book.worksheets if hasattr(ws, "iter_rows")]
        for ws in sheets:
            label = f"{path.name}:{ws.title}"
            table = hmap.table_for(str(ws.title))
            if table is None and len(sheets) == 1:
                table = stem_table
            if table is None:
                if normalize_key(ws.title) not in _IGNORED_NAMES:
                    report.add(Problem.of("warning", "", label, None, None, None, "ignored_sheet"))
                continue
            grid_rows: list[list[object]] = []
            formulas: list[tuple[int, int, str]] = []
            for r, row in enumerate(ws.iter_rows()):
                values = []
                for c, cell in enumerate(row):
                    value = getattr(cell, "value", None)
                    if getattr(cell, "data_type", None) == "f":
                        formulas.append((r, c, str(value)))
                        value = None
                    values.append(value)
                grid_rows.append(values)
            if formulas:  # the value Excel saved with each formula, if it saved one
                if cached_book is None:
                    cached_book = openpyxl.load_workbook(path, read_only=True, data_only=True)
                cached = [list(row) for row in cached_book[ws.title].iter_rows(values_only=True)]
            width = max((len(r) for r in grid_rows), default=0)
            while width and all(len(r) < width or r[width - 1] is None for r in grid_rows):
                width -= 1  # trailing empty columns
            if not grid_rows or width == 0:
                report.add(Problem.of("error", table, label, None, None, None, "empty_sheet"))
                continue
            grid = pd.DataFrame([(r + [None] * width)[:width] for r in grid_rows], dtype=object)
            unsaved: dict[int, list[tuple[int, str]]] = {}
            for r, c, formula in formulas:
                if c >= width:
                    continue
                value = cached[r][c] if r < len(cached) and c < len(cached[r]) else None
                if value is None:
                    unsaved.setdefault(c, []).append((r, formula))
                else:
                    grid.iat[r, c] = value
            rows = np.arange(1, len(grid) + 1)
            source = _with_header(grid, rows, table, label)
            if ws.sheet_state != "visible":
                source.notes.append(("hidden_sheet", {"table": table}))
            for c, cells in unsaved.items():
                for r, formula in cells:
                    if r == 0:
                        continue
                    source.preflagged.setdefault(c, np.zeros(len(source.frame), dtype=bool))[r - 1] = True
                    report.add(Problem.of("error", table, label, r + 1,
                                          source.headers[c] if c < len(source.headers) else None, None,
                                          "formula_no_value", formula=formula[:60]))
            out.append(source)
    finally:
        book.close()
        if cached_book is not None:
            cached_book.close()
    return out


# --- Parquet ---------------------------------------------------------------------------------------

def _is_text(kind: object) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _text_categorical(column: object) -> pd.Series | None:
    """Return a dictionary-encoded Arrow text column as a pandas categorical, or None to decode it.

    Kept as codes into one set of distinct values: validation works on the distinct values and their
    codes, so this saves decoding and re-factorising millions of repeated identifiers. A dictionary that
    holds a null or the same text twice (Arrow allows both) is decoded instead.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if column.num_chunks == 0:
        return None
    first = column.chunk(0).dictionary
    if any(not chunk.dictionary.equals(first) for chunk in column.chunks[1:]):
        column = column.unify_dictionaries()  # row groups may carry different dictionaries
    dictionary = column.chunk(0).dictionary
    if dictionary.null_count:
        return None
    # The same identifiers in another table's dictionary (villages named by every file) share one Index.
    categories = shared_text_index(dictionary)
    if not categories.is_unique:  # computed once: pandas keeps it for the categorical made of this Index
        return None
    indices = pa.chunked_array([chunk.indices for chunk in column.chunks])
    codes = pc.fill_null(indices, -1).to_numpy()
    if codes.dtype.kind != "i":
        codes = codes.astype(np.int64)
    # The codes keep Arrow's index width (int32 for millions of identifiers): pandas narrows them to the width the
    # categories need anyway, so widening to int64 first would only copy them twice.
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), copy=False)


def _read_parquet(path: Path, label: str, table: str) -> SourceFrame:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    arrow = pq.read_table(path)
    columns: dict[int, pd.Series] = {}
    headers: list[str] = []
    unusable: dict[int, str] = {}
    for field_, column in zip(arrow.schema, arrow.columns, strict=True):
        if field_.name.startswith("__index_level_"):
            continue
        position = len(headers)
        headers.append(field_.name)
        kind = field_.type
        if pa.types.is_dictionary(kind) and _is_text(kind.value_type):
            categorical = _text_categorical(column)
            if categorical is not None:
                columns[position] = categorical
                continue
        if pa.types.is_dictionary(kind):
            column = column.cast(kind.value_type) if not pa.types.is_nested(kind.value_type) else column
            kind = column.type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
            unusable[position] = "lists"
        elif pa.types.is_struct(kind) or pa.types.is_map(kind) or pa.types.is_union(kind):
            unusable[position] = "nested records"
        elif pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
            unusable[position] = "binary data"
        if position in unusable:
            columns[position] = pd.Series([None] * arrow.num_rows, dtype=object)
            continue
        if pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            # A time-zone-aware instant is read as the date on its own clock.
            if pa.types.is_timestamp(kind) and kind.tz is not None:
                column = pc.local_timestamp(column)
            try:  # typed dates stay typed (no text round trip) when pandas' nanosecond range holds them
                columns[position] = column.cast(pa.timestamp("ns"), safe=True).to_pandas()
            except (pa.ArrowInvalid, OverflowError):
                # As text, so that dates beyond that range (2999-12-31) are reported, not overflowed.
                columns[position] = pd.Series(pc.strftime(column, format="%Y-%m-%d").to_pandas(), dtype=object)
            continue
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        columns[position] = column.to_pandas().reset_index(drop=True)
    # Not consolidated (copy=False): the columns are used one by one and released once typed, so copying the
    # numeric ones into two-dimensional blocks first (hundreds of megabytes at a national scale) buys nothing.
    frame = pd.DataFrame(columns, copy=False)
    frame.columns = range(frame.shape[1])
    # Row numbers in four bytes each when they fit (as the typed table keeps them), not eight.
    rows = np.arange(1, len(frame) + 1, dtype=np.int32 if len(frame) < 2**31 - 1 else np.int64)
    source = SourceFrame(table, label, frame, rows, headers=headers, header_line=0)
    source.unusable.update(unusable)
    return source


# --- the directory ---------------------------------------------------------------------------------

def read_sources(directory: Path, hmap: HeaderMap, report: ValidationReport,
                 on_source: Callable[[SourceFrame], None] | None = None) -> list[SourceFrame]:
    """Find and read every table file of ``directory`` (not recursive), in name order.

    A file that cannot be read for any reason is one error line naming it; reading goes on with the others.
    ``on_source`` (when given) is called with each source as soon as it is read, before the next file is read
    (:class:`~villageaid.io.validate.SourceTyping` types it and releases its cells).
    """
    sources: list[SourceFrame] = []
    handed = 0  # sources already given to on_source
    table_files = 0
    for path in sorted(directory.iterdir()):
        if on_source is not None:  # the sources of the file read last, before the next file is read
            for source in sources[handed:]:
                on_source(source)
            handed = len(sources)
        if path.name.startswith((".", "~$")) or path.is_dir():
            continue
        suffix = path.suffix.lower()
        label = path.name
        table = hmap.table_for(path.stem)
        special = special_file_problem(path, table or "", label)
        if special is not None:  # a FIFO, device or broken link: never opened (reading one would hang)
            if table is not None or suffix in TABLE_SUFFIXES:
                report.add(special)
            continue
        if suffix not in TABLE_SUFFIXES:
            if suffix in UNREAD_SUFFIXES and (table is not None or normalize_key(path.stem) not in _IGNORED_NAMES):
                severity = "error" if table is not None else "warning"
                report.add(Problem.of(severity, table or "", label, None, None, None, "old_format",
                                      fmt=UNREAD_SUFFIXES[suffix]))
            continue
        table_files += 1
        try:
            if suffix in (".xlsx", ".xlsm"):
                try:
                    read = _read_workbook(path, hmap, report)
                except Exception as exc:  # openpyxl raises many kinds of errors on broken files
                    report.add(Problem.of("error", "", label, None, None, None, "excel_unreadable",
                                          detail=f"{type(exc).__name__}: {exc}"))
                    continue
                sources.extend(locate_header(s, hmap) for s in read)
                continue
            if table is None:
                if normalize_key(path.stem) not in _IGNORED_NAMES:
                    report.add(Problem.of("warning", "", label, None, None, None, "ignored_file"))
                continue
            if path.stat().st_size == 0:
                report.add(Problem.of("error", table, label, None, None, None, "empty_file"))
                continue
            if suffix == ".csv":
                source = read_csv_source(path, label, table, report)
            elif suffix == ".dta":  # Stata: value labels honoured (io.stata)
                from villageaid.io.stata import read_dta_source

                try:
                    source = read_dta_source(path, label, table, report)
                except Exception as exc:  # pandas raises several error types for corrupt .dta files
                    report.add(Problem.of("error", table, label, None, None, None, "read_failed",
                                          detail=f"{type(exc).__name__}: {exc}"))
                    source = None
            else:
                try:
                    source = _read_parquet(path, label, table)
                except Exception as exc:  # pyarrow raises several error types for corrupt files
                    report.add(Problem.of("error", table, label, None, None, None, "parquet_unreadable",
                                          detail=f"{type(exc).__name__}: {exc}"))
                    source = None
            if source is not None:
                sources.append(locate_header(source, hmap))
        except (OSError, MemoryError, RecursionError, ValueError, TypeError, KeyError, IndexError) as exc:
            report.add(Problem.of("error", table or "", label, None, None, None, "read_failed",
                                  detail=f"{type(exc).__name__}: {exc}"))
    if table_files == 0 and not report.problems:
        report.add(Problem.of("error", "", str(directory), None, None, None, "dir_empty"))
    if on_source is not None:
        for source in sources[handed:]:
            on_source(source)
    _one_source_per_table(sources, report)
    return sources



def _one_source_per_table(sources: list[SourceFrame], report: ValidationReport) -> None:
    first: dict[str, str] = {}
    for source in sources:
        if source.table in first:
            report.add(Problem.of("error", source.table, source.label, None, None, None, "two_sources",
                                  table=source.table, first=first[source.table], second=source.label))
        else:
            first[source.table] = source.label


def _years(date_years: tuple[int, int]) -> tuple[int, int]:
    low, high = (int(y) for y in date_years)
    if low > high:
        raise ValueError(f"date years {low}–{high}: the first year must not be after the last")
    return low, high


def read_raw(
    directory: Path | str,
    *,
    header_map: HeaderMap | None = None,
    amount_unit: AmountUnit | None = None,
    salt: bytes | None = None,
    date_years: tuple[int, int] = DATE_YEARS,
) -> RawData:
    """Read and validate a directory of raw tables.

    Parameters
    ----------
    directory : Path or str
        Folder holding one file per table, or a workbook with a sheet per table.
    header_map : HeaderMap, optional
        Header and value map; the shipped one by default.
    amount_unit : {"yuan", "thousand", "wan", "million", "yi"}, optional
        Unit of money columns whose header states none (default 万元). A header that states another unit
        than this option is an error.
    salt : bytes, optional
        The user's salt for pseudonymizing a name column; required only when the data hold names.
    date_years : (int, int)
        Calendar years within which dates are plausible (default 1949–2100).

    Returns
    -------
    RawData
        Typed tables, the report of all problems (check ``report.ok``) and the provenance.
    """
    directory = Path(directory)
    report = ValidationReport()
    years = _years(date_years)
    if salt is not None:
        check_salt(salt, "salt")
    empty = {name: pd.DataFrame(columns=list(s.column_names)) for name, s in RAW_TABLES.items()}
    if not directory.is_dir():
        report.add(Problem.of("error", "", str(directory), None, None, None, "dir_missing"))
        return RawData(empty, report)
    hmap = header_map or load_header_map()
    units: dict[str, dict[str, str]] = {}
    # Each file is typed as soon as it is read (its cells then released); the problems are reported in the
    # order of reading every file first, then typing each.
    typing = SourceTyping(hmap, amount_unit=amount_unit, salt=salt, date_years=years, units=units)
    sources = read_sources(directory, hmap, report, on_source=typing.type)
    unreadable = {p.table for p in report.errors if p.table}
    tables = typing.finish(sources, report, found=unreadable, division_codes=read_division_codes(directory, report))
    crosswalk = check_directory_codes(directory, tables, report)
    files: dict[str, list[str]] = {}
    for source in sources:
        files.setdefault(source.table, []).append(source.label)
    provenance = {"files": files, "amount_units": units, "date_years": list(years),
                  "amount_unit_option": amount_unit}
    if crosswalk is not None:
        provenance["crosswalk"] = sorted(set(crosswalk.frame["source_file"]))
    return RawData(tables, report, files, provenance, crosswalk)


def read_records(directory: Path | str, *, header_maps: list[Path] | tuple[Path, ...] = (),
                 salt_file: Path | None = None, amount_unit: str | None = None,
                 date_years: tuple[int, int] = DATE_YEARS) -> RawData:
    """Read a folder of records with the command line's options (header-map files, salt file, unit name).

    Raises
    ------
    ValueError
        If a header map cannot be read, the salt is weak or the amount unit is unknown (before any record is
        read); problems in the records themselves are in the returned report.
    """
    from villageaid.io.headers import AMOUNT_UNIT_CHOICES
    from villageaid.io.pseudonym import load_salt

    hmap = load_header_map(list(header_maps))
    salt = load_salt(salt_file)
    if amount_unit is not None and amount_unit not in AMOUNT_UNIT_CHOICES:
        raise ValueError(f"unknown amount unit {amount_unit!r}; expected one of {', '.join(AMOUNT_UNIT_CHOICES)}")
    unit = AMOUNT_UNIT_CHOICES[amount_unit] if amount_unit else None
    return read_raw(directory, header_map=hmap, amount_unit=unit, salt=salt,  # type: ignore[arg-type]
                    date_years=date_years)


def is_inside(path: Path | str, folder: Path | str) -> bool:
    """Return True when ``path`` is ``folder`` or lies inside it (after resolving links)."""
    resolved, root = Path(path).resolve(), Path(folder).resolve()
    return resolved == root or root in resolved.parents

