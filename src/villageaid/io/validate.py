"""Validate raw tables against the schema, collecting every problem into one report.

Each cell is parsed according to its column's kind; every unreadable or out-of-range cell becomes one
:class:`~villageaid.io.report.Problem` naming the table, file, row as the user sees it, column, value and
the rule broken. Keys, references between tables and overlapping postings are checked after all files
are read. Nothing stops at the first problem.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.io.headers import AmountUnit, HeaderMap, load_header_map, split_header
from villageaid.io.normalize import (
    codes_and_uniques,
    missing_mask,
    normalize_level,
    parse_bools,
    parse_dates,
    parse_numbers,
    text_of_uniques,
)
from villageaid.io.pseudonym import SALT_ENV, pseudonymize
from villageaid.io.report import Problem, ValidationReport
from villageaid.schema import RAW_TABLES, Column, TableSchema

_NAME_COLUMNS = ("name", "cadre_name")
_YUAN_PER_WAN = 10_000.0


@dataclass(frozen=True)
class SourceFrame:
    """One table's rows as read from one file or sheet.

    Attributes
    ----------
    table : str
        Schema table name.
    label : str
        File name (``file.xlsx:sheet`` for workbooks) used in messages.
    frame : DataFrame
        Cells as read, with the file's own headers.
    rows : ndarray of int
        Row number of each frame row as the user sees it in the file.
    """

    table: str
    label: str
    frame: pd.DataFrame
    rows: np.ndarray


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Collector:
    """Turns boolean masks of bad cells into Problems for one source."""

    def __init__(self, report: ValidationReport, source: SourceFrame) -> None:
        self.report = report
        self.source = source

    def cells(self, mask: np.ndarray, column: str, values: Iterable[object] | None, rule: str,
              severity: str = "error") -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        shown = None if values is None else np.asarray(list(values), dtype=object)
        for i in idx:
            value = None if shown is None else _show(shown[i])
            self.report.add(Problem(severity, self.source.table, self.source.label, int(self.source.rows[i]),
                                    column, value, rule))  # type: ignore[arg-type]

    def file(self, rule: str, column: str | None = None, severity: str = "error") -> None:
        self.report.add(Problem(severity, self.source.table, self.source.label, None, column, None,
                                rule))  # type: ignore[arg-type]


def _clean_text(values: pd.Series) -> pd.Series:
    """Trim text cells and return them as a categorical (<NA> where missing).

    Identifiers repeat many times (a village in every funding record), so the work is done on distinct
    values only and the result is stored as codes into one set of categories.
    """
    codes, uniques = codes_and_uniques(values)
    cleaned = text_of_uniques(uniques)
    cleaned_codes, categories = pd.factorize(cleaned, use_na_sentinel=True)  # merges " V1" and "V1"
    new_codes = np.where(codes >= 0, cleaned_codes[np.maximum(codes, 0)], -1) if len(uniques) else codes
    categories = pd.Index(np.asarray(categories, dtype=object), dtype=object)
    return pd.Series(pd.Categorical.from_codes(new_codes, categories=categories), index=values.index)


def _coerce_enum(col: Column, values: pd.Series, hmap: HeaderMap) -> tuple[pd.Series, np.ndarray]:
    text = _clean_text(values)
    categories = text.cat.categories
    if col.name == "level":
        mapped = [normalize_level(u) for u in categories]
    else:
        mapped = [str(u).lower() if str(u).lower() in col.allowed else hmap.value_for(col.name, str(u))
                  for u in categories]
    allowed = list(col.allowed)
    target = np.array([allowed.index(m) if m is not None else -1 for m in mapped], dtype=np.int64)
    codes = text.cat.codes.to_numpy(dtype=np.int64)
    new_codes = np.where(codes >= 0, target[np.maximum(codes, 0)] if len(target) else -1, -1)
    bad = (codes >= 0) & (new_codes < 0)
    return pd.Series(pd.Categorical.from_codes(new_codes, categories=allowed), index=values.index), bad


def _coerce_column(col: Column, values: pd.Series, hmap: HeaderMap, unit_factor: float,
                   collect: _Collector, shown: str) -> pd.Series:
    """Parse one column, report its bad cells and return the typed values."""
    kind = col.kind
    if kind in ("id", "text"):
        return _clean_text(values)
    if kind == "enum":
        typed, bad = _coerce_enum(col, values, hmap)
        if col.name == "level":
            rule = ("unknown unit level: expected central/provincial/city/county/township or a form such as "
                    "中央, 省直, 市派, X市…局, 县级, 区, 乡镇")
        else:
            rule = f"unknown value: expected one of {', '.join(col.allowed)} (or a form in the header map)"
        collect.cells(bad, shown, values, rule)
        return typed
    if kind == "bool":
        typed, bad = parse_bools(values)
        collect.cells(bad, shown, values, "not a yes/no value: expected 1/0, 是/否, yes/no or true/false")
        return typed
    if kind == "date":
        typed, bad = parse_dates(values)
        collect.cells(bad, shown, values, "unparseable date: expected e.g. 2021-05-01, 2021/5/1, 2021年5月1日 "
                                          "or an Excel date")
        return typed
    numbers, bad = parse_numbers(values)
    collect.cells(bad, shown, values, "not a number" if kind != "money" else "non-numeric amount: expected a "
                                                                            "number such as 12.5")
    present = ~np.isnan(numbers)
    if kind == "money":
        numbers = numbers * unit_factor
    if kind in ("year", "int"):
        fractional = present & (numbers != np.floor(np.where(present, numbers, 0)))
        collect.cells(fractional, shown, values, "must be a whole number")
        present &= ~fractional
    if col.minimum is not None or col.maximum is not None:
        low = -np.inf if col.minimum is None else col.minimum
        high = np.inf if col.maximum is None else col.maximum
        out_of_range = present & ((numbers < low) | (numbers > high))
        if kind == "year":
            rule = f"year out of range: expected {int(low)}–{int(high)}"
        elif kind == "money" or (col.minimum == 0 and col.maximum is None):
            rule = "negative value: must be zero or more" if kind != "money" else "negative amount: must be ≥ 0"
        else:
            rule = f"out of range: expected between {low:g} and {high:g}"
        collect.cells(out_of_range, shown, values, rule)
        numbers = np.where(out_of_range, np.nan, numbers)
    if kind in ("year", "int"):
        missing_year = np.isnan(numbers)
        years = pd.array(np.where(missing_year, 0, numbers).astype(np.int64), dtype="Int64")
        years[missing_year] = pd.NA
        return pd.Series(years, index=values.index)
    return pd.Series(numbers, index=values.index)


def _map_headers(source: SourceFrame, schema: TableSchema, hmap: HeaderMap, collect: _Collector,
                 amount_unit: AmountUnit) -> tuple[dict[str, str], dict[str, str], dict[str, float]]:
    """Return schema column → file header, schema column → shown name, and money unit factors."""
    found: dict[str, str] = {}
    shown: dict[str, str] = {}
    factors: dict[str, float] = {}
    for header in source.frame.columns:
        key, unit, _ = split_header(header)
        column = hmap.column_for(schema.name, key)
        if column is None:
            if str(header).startswith("Unnamed:") and missing_mask(source.frame[header]).all():
                continue  # an empty trailing column from Excel
            collect.file("unexpected column: not in the schema or the header map; ignored", str(header),
                         severity="warning")
            continue
        if column in found:
            collect.file(f"two columns map to {column!r} ({found[column]!r} and {header!r})", str(header))
            continue
        found[column] = header
        shown[column] = str(header) if key == column else f"{header} ({column})"
        declared = unit or amount_unit
        factors[column] = 1.0 / _YUAN_PER_WAN if declared == "yuan" else 1.0
    return found, shown, factors


def _typed_source(source: SourceFrame, hmap: HeaderMap, report: ValidationReport, amount_unit: AmountUnit,
                  salt: bytes | None) -> pd.DataFrame | None:
    schema = RAW_TABLES[source.table]
    collect = _Collector(report, source)
    found, shown, factors = _map_headers(source, schema, hmap, collect, amount_unit)
    frame = source.frame
    name_header = next((found.pop(c) for c in _NAME_COLUMNS if c in found), None)
    if name_header is not None:
        if "cadre_id" in found:
            collect.file("person names are dropped: cadre_id is used as the identifier", str(name_header),
                         severity="warning")
        elif salt is None:
            collect.file(f"this column holds names; give a salt (--salt-file or {SALT_ENV}) so they can be "
                         "replaced by a pseudonymous cadre_id", str(name_header))
        else:
            found["cadre_id"] = "__cadre_id__"
            shown["cadre_id"] = f"{name_header} (pseudonymized)"
            frame = frame.assign(__cadre_id__=pseudonymize(frame[name_header], salt))
    missing_required = [c for c in schema.required_columns if c not in found]
    for column in missing_required:
        collect.file("missing required column (add it, or map its header in a header-map TOML file)", column)
    raw_missing = {c: missing_mask(frame[c]) for c in frame.columns}
    # Rows that are entirely empty (blank lines, trailing Excel rows) are dropped; row numbers are kept.
    if frame.shape[1]:
        blank = np.all(np.column_stack([raw_missing[c] for c in frame.columns]), axis=1)
    else:
        blank = np.ones(len(frame), dtype=bool)
    if blank.all():
        collect.file("no data rows: the file has a header but no records",
                     severity="error" if schema.required else "warning")
        return None
    keep = ~blank
    rows = source.rows[keep]
    if blank.any():
        frame = frame.loc[keep].reset_index(drop=True)
    source = SourceFrame(source.table, source.label, frame, rows)
    collect = _Collector(report, source)
    typed: dict[str, object] = {}
    for col in schema.columns:
        if col.name not in found:
            continue
        raw = frame[found[col.name]]
        typed[col.name] = _coerce_column(col, raw, hmap, factors.get(col.name, 1.0), collect, shown[col.name])
        if col.name in schema.key:
            collect.cells(raw_missing[found[col.name]][keep], shown[col.name], None,
                          "missing key: every row needs a value")
        elif col.required:
            collect.cells(raw_missing[found[col.name]][keep], shown[col.name], None, "required value missing")
    out = pd.DataFrame(typed, index=frame.index)
    for col in schema.columns:
        if col.name not in out:
            out[col.name] = pd.Series(pd.NA, index=out.index, dtype=object)
    out = out[list(schema.column_names)]
    out["_file"] = source.label
    out["_row"] = rows
    return out


def _check_keys(table: str, frame: pd.DataFrame, report: ValidationReport) -> None:
    schema = RAW_TABLES[table]
    if not schema.key or frame.empty:
        return
    key = list(schema.key)
    complete = frame[key].notna().all(axis=1)
    sub = frame.loc[complete]
    dup = sub.duplicated(key, keep=False)
    if not dup.any():
        return
    first_row = sub.loc[dup].groupby(key, observed=True, sort=False)[["_file", "_row"]].transform("first")
    for (_, row), (_, first) in zip(sub.loc[dup].iterrows(), first_row.iterrows(), strict=True):
        value = _show(row[key[0]]) if len(key) == 1 else ", ".join(f"{k}={_show(row[k])}" for k in key)
        if row["_file"] == first["_file"] and row["_row"] == first["_row"]:
            continue
        report.add(Problem("error", table, row["_file"], int(row["_row"]), "+".join(key), value,
                           f"duplicate key: the same {' and '.join(key)} as {first['_file']} row {first['_row']}"))


def _check_references(tables: dict[str, pd.DataFrame], report: ValidationReport) -> None:
    defined = {
        "village_id": ("villages", pd.Index(tables["villages"]["village_id"].dropna().astype(object).unique())),
        "unit_id": ("units", pd.Index(tables["units"]["unit_id"].dropna().astype(object).unique())),
    }
    for table in ("assignments", "funding", "designations", "outcomes"):
        frame = tables[table]
        for column, (home, ids) in defined.items():
            if column not in frame or frame.empty or tables[home].empty:
                continue
            values = frame[column]
            codes, uniques = codes_and_uniques(values)  # look up distinct identifiers only
            unknown = ~pd.Index(uniques).isin(ids)
            bad = (codes >= 0) & unknown[np.maximum(codes, 0)] if len(uniques) else np.zeros(len(codes), bool)
            for i in np.flatnonzero(bad):
                report.add(Problem("error", table, frame["_file"].iat[i], int(frame["_row"].iat[i]), column,
                                   str(values.iat[i]), f"referenced but not defined in the {home} table"))


def _check_assignments(frame: pd.DataFrame, report: ValidationReport) -> None:
    if frame.empty:
        return
    files = frame["_file"].to_numpy(dtype=object)
    rows = frame["_row"].to_numpy()
    start_ts, end_ts = frame["start_date"], frame["end_date"]
    reversed_ = (end_ts < start_ts).to_numpy(dtype=bool)
    for i in np.flatnonzero(reversed_):
        report.add(Problem("error", "assignments", files[i], int(rows[i]), "end_date", str(end_ts.iat[i].date()),
                           f"end date before start date ({start_ts.iat[i].date()})"))
    # One cadre in two villages at once: sort each cadre's postings by start; a posting that starts on or
    # before the latest end among the cadre's earlier postings overlaps it (an open end never ends).
    cadre, _ = codes_and_uniques(frame["cadre_id"])
    village, _ = codes_and_uniques(frame["village_id"])
    start = start_ts.to_numpy(dtype="datetime64[ns]").view(np.int64)
    end = end_ts.to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    end[np.isnat(end_ts.to_numpy(dtype="datetime64[ns]"))] = np.iinfo(np.int64).max
    usable = np.flatnonzero((cadre >= 0) & ~np.isnat(start_ts.to_numpy(dtype="datetime64[ns]")) & ~reversed_)
    order = usable[np.lexsort((np.arange(len(usable)), start[usable], cadre[usable]))]
    same_cadre = np.zeros(len(order), dtype=bool)
    same_cadre[1:] = cadre[order][1:] == cadre[order][:-1]
    latest_end = pd.Series(end[order]).groupby(cadre[order], sort=False).cummax().to_numpy()
    prior_end = np.empty_like(latest_end)
    prior_end[1:] = latest_end[:-1]
    # Position (in sorted order) of the posting holding that latest end, to name it in the message.
    holder = np.where(end[order] == latest_end, np.arange(len(order)), -1)
    holder = pd.Series(holder).groupby(cadre[order], sort=False).cummax().to_numpy()
    overlapping = np.flatnonzero(same_cadre & (start[order] <= np.where(same_cadre, prior_end, 0)))
    ids = frame["cadre_id"].astype(object).to_numpy()
    villages = frame["village_id"].astype(object).to_numpy()
    for k in overlapping:
        i, j = order[k], order[holder[k - 1]]
        if village[i] != village[j]:
            rule = (f"one cadre in two villages at the same time: this posting to {villages[i]} starts "
                    f"{start_ts.iat[i].date()}, while the posting to {villages[j]} ({files[j]} row {int(rows[j])}) "
                    "has not ended")
            severity = "error"
        else:
            rule = f"overlapping postings of one cadre in the same village ({files[j]} row {int(rows[j])})"
            severity = "warning"
        report.add(Problem(severity, "assignments", files[i], int(rows[i]), "cadre_id", str(ids[i]),
                           rule))  # type: ignore[arg-type]


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
    amount_unit: AmountUnit = "wan",
    salt: bytes | None = None,
) -> dict[str, pd.DataFrame]:
    """Type and check every source, then check keys and references across tables.

    Problems go into ``report``; the returned tables have schema columns and types.
    """
    typed: dict[str, list[pd.DataFrame]] = {name: [] for name in RAW_TABLES}
    for source in sources:
        frame = _typed_source(source, hmap, report, amount_unit, salt)
        if frame is not None:
            typed[source.table].append(frame)
    tables: dict[str, pd.DataFrame] = {}
    present = {s.table for s in sources}
    for name, schema in RAW_TABLES.items():
        parts = typed[name]
        if not parts:
            if schema.required and name not in present:
                report.add(Problem("error", name, "", None, None, None,
                                   f"required table missing: no file or sheet holds {name} "
                                   f"({schema.label_zh}); name it {name}.csv, {name}.xlsx or a header-map alias"))
            tables[name] = _empty(schema)
            continue
        frame = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
        if len(parts) > 1:  # restore categories lost by concatenation
            for col in schema.columns:
                if col.kind == "enum":
                    frame[col.name] = pd.Categorical(frame[col.name], categories=list(col.allowed))
        tables[name] = frame
        _check_keys(name, frame, report)
    _check_references(tables, report)
    _check_assignments(tables["assignments"], report)
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
        report.add(Problem("warning", "", f"<{name}>", None, None, None, "not a schema table; ignored"))
    sources = [s for s in sources if s.table in RAW_TABLES]
    tables = validate_sources(sources, header_map or load_header_map(), report, salt=salt)
    return tables, report
