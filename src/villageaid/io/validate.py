"""Validate raw tables against the schema, collecting every problem into one report.

Each cell is parsed according to its column's kind; every unreadable, implausible or out-of-range cell
becomes one :class:`~villageaid.io.problems.Problem` naming the table, file, row as the user sees it,
column, value and the rule broken. Keys, exact duplicate records, references between tables and
overlapping postings (one cadre in two villages, two first secretaries in one village) are checked after
all files are read. Nothing stops at the first problem, nothing is guessed and nothing is added up twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from villageaid.io.headers import (
    AMOUNT_FACTORS,
    AMOUNT_LABELS,
    AmountUnit,
    HeaderMap,
    _family_of,
    load_header_map,
)
from villageaid.io.messages import value_list
from villageaid.io.normalize import (
    DATE_YEARS,
    classify_level,
    clean_text_uniques,
    codes_and_uniques,
    missing_mask,
    parse_bools,
    parse_dates_detailed,
    parse_numbers_detailed,
)
from villageaid.io.problems import Problem, ValidationReport
from villageaid.io.pseudonym import SALT_ENV, pseudonymize
from villageaid.schema import RAW_TABLES, Column, TableSchema

_NAME_COLUMNS = ("name", "cadre_name")
_NOTE_WORDS = {"必填", "选填", "可选", "可不填", "required", "optional", "填写", "注"}


@dataclass
class SourceFrame:
    """One table's rows as read from one file or sheet.

    Attributes
    ----------
    table : str
        Schema table name.
    label : str
        File name (``file.xlsx:sheet`` for workbooks) used in messages.
    frame : DataFrame
        Cells as read, columns by position (headers may repeat or be empty).
    rows : ndarray of int
        Row number of each frame row as the user sees it in the file.
    headers : list of str
        The file's own header of each column.
    header_line : int
        Row of the header in the file (0 when the format has no header row, as Parquet).
    unusable : dict of int to str
        Columns that cannot be read at all (lists, nested records) and what they hold.
    preflagged : dict of int to ndarray
        Cells already reported while reading (Excel formulas without a saved value).
    notes : list
        Warnings about the source found while reading (message code, parameters).
    """

    table: str
    label: str
    frame: pd.DataFrame
    rows: np.ndarray
    headers: list[str] = field(default_factory=list)
    header_line: int = 1
    unusable: dict[int, str] = field(default_factory=dict)
    preflagged: dict[int, np.ndarray] = field(default_factory=dict)
    notes: list[tuple[str, dict]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.headers:
            self.headers = [str(c) for c in self.frame.columns]
            self.frame = self.frame.set_axis(range(self.frame.shape[1]), axis=1)


def _show(value: object) -> str:
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return value.date().isoformat()  # a typed date (Excel, Parquet) as the reader wrote it
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return str(int(value))
    return str(value)


class _Collector:
    """Turns boolean masks of bad cells into Problems for one source."""

    def __init__(self, report: ValidationReport, source: SourceFrame) -> None:
        self.report = report
        self.source = source

    def cells(self, mask: np.ndarray, column: str, values: Iterable[object] | None, code: str, /,
              severity: str = "error", **params: object) -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        source = self.source
        # Millions of bad cells cost one count, not millions of objects: only the first few are kept.
        room = self.report.room(severity, source.table, source.label, column, code)  # type: ignore[arg-type]
        self.report.count_only(severity, source.table, source.label, column, code,  # type: ignore[arg-type]
                               idx.size - min(room, idx.size))
        idx = idx[:room]
        if values is None:
            shown: list[object] = [None] * idx.size
        else:
            series = values if isinstance(values, pd.Series) else pd.Series(list(values))
            shown = [_show(v) for v in series.iloc[idx].astype(object).tolist()]
        for i, value in zip(idx, shown, strict=True):
            self.report.add(Problem.of(severity, source.table, source.label,  # type: ignore[arg-type]
                                       int(source.rows[i]), column, value, code, **params))

    def file(self, code: str, column: str | None = None, /, severity: str = "error", **params: object) -> None:
        self.report.add(Problem.of(severity, self.source.table, self.source.label, None,  # type: ignore[arg-type]
                                   column, None, code, **params))


def _clean_text(values: pd.Series, collect: _Collector | None = None, shown: str = "") -> pd.Series:
    """Trim and clean text cells and return them as a categorical (<NA> where missing).

    Identifiers repeat many times (a village in every funding record), so the work is done on distinct
    values only and the result is stored as codes into one set of categories. Invisible characters and
    runs of spaces are removed with one warning per column (see ``clean_text_uniques``).
    """
    codes, uniques = codes_and_uniques(values)
    if not isinstance(values.dtype, pd.CategoricalDtype) and len(uniques) and not isinstance(uniques[0], str):
        uniques = pd.Index(uniques.astype(object))
    cleaned, invisible, spaces = clean_text_uniques(uniques)
    if collect is not None and (invisible.any() or spaces.any()):
        touched = (codes >= 0) & (invisible | spaces)[np.maximum(codes, 0)] if len(uniques) else codes < -1
        what = ", ".join(w for w, flag in (("invisible or control characters", invisible.any()),
                                           ("extra spaces", spaces.any())) if flag)
        first = int(collect.source.rows[np.flatnonzero(touched)[0]]) if touched.any() else None
        collect.report.add(Problem.of("warning", collect.source.table, collect.source.label, None, shown, None,
                                      "normalized_text", count=int(touched.sum()), what=what, first_row=first))
    as_given = np.asarray(uniques, dtype=object)
    cleaned_text = cleaned.to_numpy(dtype=object, na_value=None)
    if len(uniques) and isinstance(as_given[0], str) and np.array_equal(cleaned_text, as_given):
        # Nothing changed (the common case): the distinct values are the categories already.
        new_codes, categories = codes, pd.Index(as_given, dtype=object)
    else:
        cleaned_codes, categories = pd.factorize(cleaned, use_na_sentinel=True)  # merges " V1" and "V1"
        new_codes = np.where(codes >= 0, cleaned_codes[np.maximum(codes, 0)], -1) if len(uniques) else codes
        categories = pd.Index(np.asarray(categories, dtype=object), dtype=object)
    return pd.Series(pd.Categorical.from_codes(new_codes, categories=categories), index=values.index)


def _coerce_enum(col: Column, values: pd.Series, hmap: HeaderMap, collect: _Collector, shown: str
                 ) -> pd.Series:
    text = _clean_text(values, collect, shown)
    categories = text.cat.categories
    allowed = list(col.allowed)
    mapped: list[str | None] = []
    ambiguous: dict[int, tuple[str, ...]] = {}
    for k, u in enumerate(categories):
        if col.name == "level":
            level, named = classify_level(u, hmap.levels)
            mapped.append(level)
            if named:
                ambiguous[k] = named
        else:
            lowered = str(u).lower()
            mapped.append(lowered if lowered in col.allowed else hmap.value_for(col.name, str(u)))
    target = np.array([allowed.index(m) if m is not None else -1 for m in mapped], dtype=np.int64)
    codes = text.cat.codes.to_numpy(dtype=np.int64)
    new_codes = np.where(codes >= 0, target[np.maximum(codes, 0)] if len(target) else -1, -1)
    bad = (codes >= 0) & (new_codes < 0)
    for k, named in ambiguous.items():
        mask = bad & (codes == k)
        collect.cells(mask, shown, values, "ambiguous_level", levels=", ".join(named), level_list=named)
        bad &= ~mask
    code = "unknown_level" if col.name == "level" else "unknown_value"
    collect.cells(bad, shown, values, code, accepted=value_list(col.name, "en"),
                  accepted_zh=value_list(col.name, "zh"))
    return pd.Series(pd.Categorical.from_codes(new_codes, categories=allowed), index=values.index)


def _coerce_column(col: Column, values: pd.Series, hmap: HeaderMap, factor: float, collect: _Collector,
                   shown: str, date_years: tuple[int, int]) -> pd.Series:
    """Parse one column, report its bad cells and return the typed values."""
    kind = col.kind
    if kind in ("id", "text"):
        return _clean_text(values, collect, shown)
    if kind == "enum":
        return _coerce_enum(col, values, hmap, collect, shown)
    if kind == "bool":
        typed, bad = parse_bools(values)
        collect.cells(bad, shown, values, "not_bool")
        return typed
    if kind == "date":
        typed, unreadable, implausible = parse_dates_detailed(values, date_years)
        collect.cells(unreadable, shown, values, "bad_date")
        collect.cells(implausible, shown, values, "date_range", low=date_years[0], high=date_years[1])
        return typed
    parsed = parse_numbers_detailed(values)
    collect.cells(parsed.not_number, shown, values, "not_amount" if kind == "money" else "not_number")
    collect.cells(parsed.bad_separator, shown, values, "bad_separator")
    collect.cells(parsed.not_finite, shown, values, "not_finite")
    numbers = parsed.values * factor
    present = ~np.isnan(numbers)
    if kind in ("year", "int"):
        fractional = present & (numbers != np.floor(np.where(present, numbers, 0)))
        collect.cells(fractional, shown, values, "not_whole")
        present &= ~fractional
        numbers = np.where(fractional, np.nan, numbers)
    bad_range = np.zeros(len(numbers), dtype=bool)
    if col.minimum is not None:
        below = present & (numbers < col.minimum)
        if kind == "year":
            pass
        elif col.maximum is not None and col.maximum <= 1:
            collect.cells(below, shown, values, "out_of_range", low=f"{col.minimum:g}", high=f"{col.maximum:g}")
        else:
            collect.cells(below, shown, values, "negative_amount" if kind == "money" else "negative")
        bad_range |= below
    if col.maximum is not None:
        above = present & (numbers > col.maximum)
        if kind == "year" or col.maximum <= 1:
            pass
        else:
            hint = " (if the ledger is in 元, state it in the header, e.g. 帮扶资金（元）)" if kind == "money" else ""
            hint_zh = "（如果台账以“元”为单位，请在表头注明，如“帮扶资金（元）”）" if kind == "money" else ""
            collect.cells(above, shown, values, "too_large", high=f"{col.maximum:,g}", hint=hint, hint_zh=hint_zh)
        bad_range |= above
    if kind == "year":
        outside = present & ((numbers < col.minimum) | (numbers > col.maximum))  # type: ignore[operator]
        collect.cells(outside, shown, values, "year_range", low=int(col.minimum), high=int(col.maximum))  # type: ignore[arg-type]
    elif col.maximum is not None and col.maximum <= 1 and col.minimum is not None:
        above = present & (numbers > col.maximum)
        collect.cells(above, shown, values, "out_of_range", low=f"{col.minimum:g}", high=f"{col.maximum:g}")
    if col.warn_above is not None:
        large = present & ~bad_range & (numbers > col.warn_above)
        if large.any():  # one warning per column, not one per record
            first = np.flatnonzero(large)[:1]
            mask = np.zeros(len(numbers), dtype=bool)
            mask[first] = True
            collect.cells(mask, shown, values, "large_amount", severity="warning", high=f"{col.warn_above:,g}")
    numbers = np.where(bad_range, np.nan, numbers)
    if kind in ("year", "int"):
        missing_year = np.isnan(numbers)
        years = pd.array(np.where(missing_year, 0, numbers).astype(np.int64), dtype="Int64")
        years[missing_year] = pd.NA
        return pd.Series(years, index=values.index)
    return pd.Series(numbers, index=values.index)


@dataclass
class _Headers:
    found: dict[str, int]  # schema column -> position
    shown: dict[str, str]
    factors: dict[str, float]
    unusable: set[str]


def _unit_factor(col: Column, header: str, spec, amount_unit: AmountUnit | None, collect: _Collector,
                 shown: str, units: dict | None) -> float:
    """Factor onto the schema unit of ``col`` from the unit stated in its header or the option."""
    family = _family_of(collect.source.table, col.name)
    stated = spec is not None and spec.family is not None
    if spec is not None and spec.family is None and family is not None:
        text = spec.text.strip()
        if text and text.lower() not in _NOTE_WORDS and not text.isdigit():
            collect.file("unit_mismatch", shown, unit=text, expected=col.unit or family)
    if stated and spec.family != family:
        collect.file("unit_mismatch", shown, unit=spec.text, expected=col.unit or "no unit")
        return 1.0
    if family != "money":
        return spec.factor if stated else 1.0
    to_wan = AMOUNT_FACTORS[amount_unit or "wan"]
    source = "--amount-unit" if amount_unit else "default"
    if stated:
        if amount_unit is not None and abs(spec.factor - AMOUNT_FACTORS[amount_unit]) > 1e-12:
            unit_label = next((AMOUNT_LABELS[k] for k, v in AMOUNT_FACTORS.items() if v == spec.factor), spec.text)
            collect.file("unit_conflict", shown, header_unit=unit_label, option_unit=AMOUNT_LABELS[amount_unit])
        to_wan, source = spec.factor, "header"
    if col.kind != "money":  # per-capita income is kept in 元; --amount-unit applies to 万元 columns only
        to_wan, source = (spec.factor if stated else 1e-4), ("header" if stated else "schema")
    if units is not None:
        label = next((AMOUNT_LABELS[k] for k, v in AMOUNT_FACTORS.items() if abs(v - to_wan) < 1e-15), str(to_wan))
        units[f"{collect.source.label} / {header}"] = {"table": collect.source.table, "column": col.name,
                                                      "unit": label, "stated_in": source,
                                                      "stored_in": col.unit or "万元"}
    return to_wan if col.kind == "money" else to_wan * 1e4


def _map_headers(source: SourceFrame, schema: TableSchema, hmap: HeaderMap, collect: _Collector,
                 amount_unit: AmountUnit | None, units: dict | None) -> _Headers:
    """Map the file's headers onto schema columns; report unknown, doubled and unusable ones."""
    found: dict[str, int] = {}
    shown: dict[str, str] = {}
    factors: dict[str, float] = {}
    specs: dict[str, object] = {}
    unknown: list[tuple[int, str, str]] = []
    unusable: set[str] = set()
    for position, header in enumerate(source.headers):
        resolved = hmap.resolve(schema.name, header)
        column = resolved.column
        if column is None:
            if not str(header).strip() or str(header).startswith("Unnamed:"):
                if missing_mask(source.frame[position]).all():
                    continue  # an empty trailing column from Excel
            unknown.append((position, str(header), resolved.key))
            continue
        if column in found:
            collect.file("duplicate_header", str(header), column=column, first=source.headers[found[column]],
                         second=header)
            continue
        if position in source.unusable:
            collect.file("unusable_column", str(header), what=source.unusable[position])
            unusable.add(column)
            continue
        found[column] = position
        shown[column] = str(header) if resolved.key == column else f"{header} ({column})"
        specs[column] = resolved.unit
    by_column = {c.name: c for c in schema.columns}
    for column, spec in specs.items():
        if column in by_column:
            factors[column] = _unit_factor(by_column[column], source.headers[found[column]], spec, amount_unit,
                                           collect, shown[column], units)
    missing_required = [c for c in schema.required_columns if c not in found and c not in unusable
                        and not (c == "cadre_id" and any(n in found for n in _NAME_COLUMNS))]
    known = hmap.known_headers(schema.name)
    claimed: set[int] = set()
    for column in missing_required:
        # "did you mean": an unknown header of this file close to an accepted name of the missing column
        aliases = {k: v for k, v in known.items() if v == column}
        match = None
        for position, header, key in unknown:
            if position not in claimed and hmap.suggest(schema.name, key, aliases):
                match = (position, header)
                break
        if match is not None:
            claimed.add(match[0])
            hint = f" — is {match[1]!r} this column? name it {_preferred(column, schema)}"
            hint_zh = f"——“{match[1]}”是否就是这一列？请改为“{_preferred(column, schema)}”"
        else:
            hint, hint_zh = "", ""
        collect.file("missing_column", column, hint=hint, hint_zh=hint_zh)
    for position, header, key in unknown:
        if position in claimed:
            continue
        suggestion = hmap.suggest(schema.name, key)
        hint = f" — did you mean {_display(suggestion, known)}?" if suggestion else ""
        hint_zh = f"——是否应为“{_display(suggestion, known)}”？" if suggestion else ""
        collect.file("unexpected_column", header, severity="warning", hint=hint, hint_zh=hint_zh)
    return _Headers(found, shown, factors, unusable)


def _preferred(column: str, schema: TableSchema) -> str:
    if column in schema.column_names:
        return f"{schema.column(column).label_zh} / {column}"
    return column


def _display(key: str | None, known: dict[str, str]) -> str:
    """Show a suggested header as the user would write it, with its schema name."""
    column = known.get(key or "", "")
    return key if key == column else f"{key} ({column})"


def _typed_source(source: SourceFrame, hmap: HeaderMap, report: ValidationReport, amount_unit: AmountUnit | None,
                  salt: bytes | None, date_years: tuple[int, int], units: dict | None
                  ) -> tuple[pd.DataFrame | None, set[str]]:
    schema = RAW_TABLES[source.table]
    collect = _Collector(report, source)
    for code, params in source.notes:
        collect.file(code, severity="warning", **params)
    headers = _map_headers(source, schema, hmap, collect, amount_unit, units)
    found, shown = dict(headers.found), dict(headers.shown)
    frame = source.frame
    name_position = next((found.pop(c) for c in _NAME_COLUMNS if c in found), None)
    if name_position is not None:
        name_header = source.headers[name_position]
        if "cadre_id" in found:
            collect.file("names_dropped", name_header, severity="warning")
        elif salt is None:
            collect.file("name_no_salt", name_header, env=SALT_ENV)
        else:
            _warn_cleaned_names(frame[name_position], collect, name_header)
            position = frame.shape[1]
            frame = frame.assign(**{str(position): pseudonymize(frame[name_position], salt)})
            frame.columns = [*range(position), position]
            found["cadre_id"] = position
            shown["cadre_id"] = f"{name_header} (pseudonymized)"
    raw_missing = {c: missing_mask(frame[c]) for c in frame.columns}
    # Rows that are entirely empty (blank lines, trailing Excel rows) are dropped; row numbers are kept.
    if frame.shape[1]:
        blank = np.all(np.column_stack([raw_missing[c] for c in frame.columns]), axis=1)
        for flagged in source.preflagged.values():
            blank &= ~flagged
    else:
        blank = np.ones(len(frame), dtype=bool)
    available = set(found) | headers.unusable
    if blank.all():
        collect.file("no_rows", severity="error" if schema.required else "warning")
        return None, available
    keep = ~blank
    rows = source.rows[keep]
    if blank.any():
        frame = frame.loc[keep].reset_index(drop=True)
    source = SourceFrame(source.table, source.label, frame, rows, headers=source.headers,
                         preflagged={k: v[keep[: len(v)]] if len(v) == len(keep) else v
                                     for k, v in source.preflagged.items()})
    collect = _Collector(report, source)
    typed: dict[str, object] = {}
    for col in schema.columns:
        if col.name not in found:
            continue
        position = found[col.name]
        raw = frame[position]
        typed[col.name] = _coerce_column(col, raw, hmap, headers.factors.get(col.name, 1.0), collect,
                                         shown[col.name], date_years)
        missing = raw_missing[position][keep]
        if position in source.preflagged:
            missing = missing & ~source.preflagged[position]
        if col.name in schema.key:
            collect.cells(missing, shown[col.name], None, "missing_key")
        elif col.required:
            collect.cells(missing, shown[col.name], None, "required_missing")
    out = pd.DataFrame(typed, index=frame.index)
    for col in schema.columns:
        if col.name not in out:
            out[col.name] = pd.Series(pd.NA, index=out.index, dtype=object)
    out = out[list(schema.column_names)]
    out["_file"] = pd.Categorical.from_codes(np.zeros(len(out), dtype=np.int8), categories=[source.label])
    out["_row"] = rows
    return out, available


def _warn_cleaned_names(names: pd.Series, collect: _Collector, header: str) -> None:
    """Count names that held invisible characters or extra spaces (cleaned before hashing); never echo them."""
    codes, uniques = codes_and_uniques(names.astype(object))
    if not len(uniques):
        return
    _, invisible, spaces = clean_text_uniques(pd.Index(uniques.astype(object)))
    touched = (codes >= 0) & (invisible | spaces)[np.maximum(codes, 0)]
    if touched.any():
        what = ", ".join(w for w, flag in (("invisible or control characters", invisible.any()),
                                           ("extra spaces", spaces.any())) if flag)
        collect.file("normalized_text", header, severity="warning", count=int(touched.sum()), what=what,
                     first_row=int(collect.source.rows[np.flatnonzero(touched)[0]]))


def _where(frame: pd.DataFrame, i: int) -> str:
    return f"{frame['_file'].iat[i]} row {int(frame['_row'].iat[i])}"


def _row_hashes(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One 64-bit hash per row of ``columns``; rows pandas counts as duplicates always hash alike.

    Floats are made canonical first (-0.0 as 0.0, every NaN as one NaN), as pandas' duplicate test
    treats them as equal.
    """
    combined = np.zeros(len(frame), dtype=np.uint64)
    for column in columns:
        values = frame[column]
        if pd.api.types.is_float_dtype(values.dtype) and not isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
            numbers = values.to_numpy(dtype=float)
            hashed = pd.util.hash_array(np.where(np.isnan(numbers), np.nan, numbers + 0.0))
        else:
            hashed = pd.util.hash_pandas_object(values, index=False).to_numpy()
        combined = combined * np.uint64(0x100000001B3) ^ hashed
    return combined


def _duplicated(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """``frame.duplicated(columns, keep=False)``, compared exactly only among rows whose hashes repeat.

    pandas factorises every column of every row; hashing first leaves the exact comparison to the few
    candidate rows (identical rows always share a hash, so nothing is missed), which at a national scale
    (millions of records) is several times faster.
    """
    hashes = _row_hashes(frame, columns)
    ordered = np.sort(hashes)  # a sort beats pandas' hash table on millions of random 64-bit keys
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    out = np.zeros(len(frame), dtype=bool)
    if repeated.size == 0:
        return out
    idx = np.flatnonzero(pd.Series(hashes).isin(np.unique(repeated)).to_numpy())
    if idx.size:
        out[idx] = frame.iloc[idx].duplicated(columns, keep=False).to_numpy()
    return out


def _check_keys(table: str, frame: pd.DataFrame, report: ValidationReport) -> None:
    """Duplicate keys (keyed tables) and exact duplicate records (every table)."""
    schema = RAW_TABLES[table]
    if frame.empty:
        return
    columns = list(schema.column_names)
    # Rows with a missing or unreadable required value are reported already; they are not compared, so a
    # column of bad amounts (all read as missing) is not also a column of "duplicates".
    complete_required = frame[list(schema.required_columns)].notna().all(axis=1).to_numpy()
    whole = complete_required & _duplicated(frame, columns)
    if schema.key:
        key = list(schema.key)
        complete = frame[key].notna().all(axis=1).to_numpy()
        dup = complete & _duplicated(frame, key)
    else:
        key, dup = columns, whole
    if not dup.any():
        return
    idx = np.flatnonzero(dup)
    sub = frame.iloc[idx]
    group = sub.groupby(key if schema.key else columns, observed=True, sort=False, dropna=False).ngroup().to_numpy()
    first_of: dict[int, int] = {}
    for k, g in zip(idx, group, strict=True):
        if g not in first_of:
            first_of[g] = k
            continue
        i, j = k, first_of[g]
        if schema.key and not whole[i]:
            value = _show(frame[key[0]].iat[i]) if len(key) == 1 else ", ".join(
                f"{c}={_show(frame[c].iat[i])}" for c in key)
            report.add(Problem.of("error", table, frame["_file"].iat[i], int(frame["_row"].iat[i]), "+".join(key),
                                  value, "duplicate_key", key=" and ".join(key), other=_where(frame, j)))
        else:
            value = _show(frame[columns[0]].iat[i])
            report.add(Problem.of("error", table, frame["_file"].iat[i], int(frame["_row"].iat[i]), None, value,
                                  "duplicate_record", other=_where(frame, j)))


def _check_references(tables: dict[str, pd.DataFrame], available: dict[str, set[str]],
                      report: ValidationReport) -> None:
    defined = {
        "village_id": ("villages", pd.Index(tables["villages"]["village_id"].dropna().astype(object).unique())),
        "unit_id": ("units", pd.Index(tables["units"]["unit_id"].dropna().astype(object).unique())),
    }
    for table in ("assignments", "funding", "designations", "outcomes"):
        frame = tables[table]
        for column, (home, ids) in defined.items():
            # When the home table or its key column is missing, that is reported once, not once per row.
            if column not in available.get(table, set()) or column not in available.get(home, set()):
                continue
            if frame.empty or tables[home].empty:
                continue
            values = frame[column]
            codes, uniques = codes_and_uniques(values)  # look up distinct identifiers only
            uniques = pd.Index(uniques)
            # the defined identifiers' hash table is built once and reused by every lookup
            unknown = np.zeros(len(uniques), dtype=bool) if uniques.equals(ids) else ids.get_indexer(uniques) < 0
            bad = (codes >= 0) & unknown[np.maximum(codes, 0)] if len(uniques) else np.zeros(len(codes), bool)
            for i in np.flatnonzero(bad):
                report.add(Problem.of("error", table, frame["_file"].iat[i], int(frame["_row"].iat[i]), column,
                                      str(values.iat[i]), "undefined_reference", home=home))


def _overlaps(group: np.ndarray, start: np.ndarray, end: np.ndarray, usable: np.ndarray, *, strict: bool
              ) -> list[tuple[int, int]]:
    """Pairs (i, j): posting i starts before posting j of the same group has ended.

    Postings are sorted by group and start; a posting that starts on or before (``strict``: before) the
    latest end among the group's earlier postings overlaps the posting holding that end.
    """
    rows = np.flatnonzero(usable)
    order = rows[np.lexsort((np.arange(len(rows)), start[rows], group[rows]))]
    if len(order) < 2:
        return []
    same = np.zeros(len(order), dtype=bool)
    same[1:] = group[order][1:] == group[order][:-1]
    latest_end = pd.Series(end[order]).groupby(group[order], sort=False).cummax().to_numpy()
    prior_end = np.empty_like(latest_end)
    prior_end[0] = np.iinfo(np.int64).min
    prior_end[1:] = latest_end[:-1]
    holder = np.where(end[order] == latest_end, np.arange(len(order)), -1)
    holder = pd.Series(holder).groupby(group[order], sort=False).cummax().to_numpy()
    hit = same & ((start[order] < prior_end) if strict else (start[order] <= prior_end))
    return [(int(order[k]), int(order[holder[k - 1]])) for k in np.flatnonzero(hit)]


def _label(uniques: pd.Index, code: int) -> object:
    """Return the value of a code into distinct values (None for a missing value, code -1)."""
    return uniques[code] if code >= 0 else None


def _check_assignments(frame: pd.DataFrame, report: ValidationReport) -> None:
    if frame.empty:
        return
    files = frame["_file"].array  # indexed for reported rows only, never copied to text as a whole
    rows = frame["_row"].to_numpy()
    start_ts, end_ts = frame["start_date"], frame["end_date"]
    if not pd.api.types.is_datetime64_any_dtype(start_ts.dtype):
        start_ts = pd.to_datetime(start_ts, errors="coerce")
    if not pd.api.types.is_datetime64_any_dtype(end_ts.dtype):
        end_ts = pd.to_datetime(end_ts, errors="coerce")
    reversed_ = (end_ts < start_ts).to_numpy(dtype=bool)
    for i in np.flatnonzero(reversed_):
        report.add(Problem.of("error", "assignments", files[i], int(rows[i]), "end_date", str(end_ts.iat[i].date()),
                              "end_before_start", start=str(start_ts.iat[i].date())))
    start_nat = np.isnat(start_ts.to_numpy(dtype="datetime64[ns]"))
    start = start_ts.to_numpy(dtype="datetime64[ns]").view(np.int64)
    end = end_ts.to_numpy(dtype="datetime64[ns]").view(np.int64).copy()
    end[np.isnat(end_ts.to_numpy(dtype="datetime64[ns]"))] = np.iinfo(np.int64).max  # an open end never ends
    cadre, cadres = codes_and_uniques(frame["cadre_id"])
    village, villages = codes_and_uniques(frame["village_id"])
    # Identifiers are looked up for reported rows only: a text copy of millions of them costs gigabytes.
    usable = (cadre >= 0) & ~start_nat & ~reversed_
    for i, j in _overlaps(cadre, start, end, usable, strict=False):
        other = f"{files[j]} row {int(rows[j])}"
        if village[i] != village[j]:
            report.add(Problem.of("error", "assignments", files[i], int(rows[i]), "cadre_id", str(cadres[cadre[i]]),
                                  "cadre_two_villages", village=_label(villages, village[i]),
                                  start=str(start_ts.iat[i].date()), other_village=_label(villages, village[j]),
                                  other=other))
        else:
            report.add(Problem.of("warning", "assignments", files[i], int(rows[i]), "cadre_id", str(cadres[cadre[i]]),
                                  "cadre_overlap", other=other))
    # Two first secretaries of one village at once (a handover on the same day is not an overlap).
    roles, role_names = codes_and_uniques(frame["role"])
    first_secretary = np.flatnonzero(np.asarray(pd.Index(role_names, dtype=object) == "first_secretary"))
    secretary = np.isin(roles, first_secretary) & (village >= 0) & ~start_nat & ~reversed_
    for i, j in _overlaps(village, start, end, secretary, strict=True):
        if cadre[i] == cadre[j]:
            continue  # the same person: reported above as an overlapping posting
        until = "open" if end[j] == np.iinfo(np.int64).max else str(end_ts.iat[j].date())
        report.add(Problem.of("error", "assignments", files[i], int(rows[i]), "role", "first_secretary",
                              "two_first_secretaries", village=_label(villages, village[i]),
                              start=str(start_ts.iat[i].date()), other=f"{files[j]} row {int(rows[j])}",
                              until=until))


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
) -> dict[str, pd.DataFrame]:
    """Type and check every source, then check keys and references across tables.

    Problems go into ``report``; the returned tables have schema columns and types. Each source's cells are
    released once typed (its ``frame`` is left empty). ``units`` (when given)
    receives the amount unit of every money column and where it was stated. ``found`` names tables whose
    files exist but could not be read (already reported, so not reported again as missing).
    """
    typed: dict[str, list[pd.DataFrame]] = {name: [] for name in RAW_TABLES}
    available: dict[str, set[str]] = {}
    for source in sources:
        try:
            frame, columns = _typed_source(source, hmap, report, amount_unit, salt, date_years, units)
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
                _check_keys(name, part, report)
    _check_references(tables, available, report)
    if {"cadre_id", "village_id", "start_date"} <= available.get("assignments", set()):
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
        report.add(Problem.of("warning", "", f"<{name}>", None, None, None, "not_a_table"))
    sources = [s for s in sources if s.table in RAW_TABLES]
    tables = validate_sources(sources, header_map or load_header_map(), report, salt=salt)
    return tables, report
