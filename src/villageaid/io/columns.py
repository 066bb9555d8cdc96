"""One source of a table, mapped to the schema's columns and typed cell by cell, every problem collected.

A :class:`SourceFrame` is one file or sheet as read; :func:`typed_source` maps its headers onto the schema's
columns (names in Chinese or English, units stated in headers, two-line headers), parses each cell by its
column's kind, cleans text, normalizes levels and values, pseudonymizes names, and reports every unreadable,
implausible or out-of-range cell as a :class:`~villageaid.io.problems.Problem`.
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
)
from villageaid.io.messages import value_list
from villageaid.io.normalize import (
    classify_level,
    clean_text_uniques,
    codes_and_uniques,
    is_clean_text,
    missing_mask,
    parse_bools,
    parse_dates_detailed,
    parse_numbers_detailed,
    shared_text_index,
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


def show_value(value: object) -> str:
    """Return a cell's value as the report shows it (a typed date as a date)."""
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
            shown = [show_value(v) for v in series.iloc[idx].astype(object).tolist()]
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
    dtype = values.dtype
    if (isinstance(dtype, pd.CategoricalDtype) and not dtype.ordered and dtype.categories.dtype == object
            and len(dtype.categories) and is_clean_text(dtype.categories)):
        # A categorical of clean text (a dictionary-encoded Parquet column) is already what the fast path below
        # would build from its codes and categories: it is kept as it is, its codes never widened or copied.
        return pd.Series(values.array, index=values.index, copy=False)
    codes, uniques = codes_and_uniques(values)
    if not isinstance(dtype, pd.CategoricalDtype) and len(uniques) and not isinstance(uniques[0], str):
        uniques = pd.Index(uniques.astype(object))
    if len(uniques) and is_clean_text(uniques):
        # Nothing to trim, mark missing or clean (the common case, tested in Arrow without a round trip through
        # pandas text): the distinct values are the categories, as below when cleaning changed nothing.
        # The categories of a categorical are kept as the very Index: pandas then knows them distinct already.
        # Arrow-backed text becomes Python strings here, once (shared with equal text of another table: the
        # villages' identifiers and those the funding records name): the categories of the typed column are objects.
        if isinstance(uniques.dtype, pd.StringDtype) and uniques.dtype.storage == "pyarrow":
            categories = shared_text_index(uniques.array.__arrow_array__())
        else:
            categories = uniques if uniques.dtype == object else pd.Index(np.asarray(uniques, dtype=object),
                                                                          dtype=object)
        return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=values.index, copy=False)
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
    return pd.Series(pd.Categorical.from_codes(new_codes, categories=categories), index=values.index, copy=False)


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
    # Each row's code through a lookup table of the categories' codes (code -1, a missing cell, picks the -1
    # appended), in the codes' own width and the narrow one pandas keeps for the few allowed values.
    codes = text.array.codes
    lookup = np.append(target, -1).astype(np.int8 if len(allowed) < 127 else np.int64)
    new_codes = lookup[codes]
    bad = (codes >= 0) & (new_codes < 0)
    for k, named in ambiguous.items():
        mask = bad & (codes == k)
        collect.cells(mask, shown, values, "ambiguous_level", levels=", ".join(named), level_list=named)
        bad &= ~mask
    code = "unknown_level" if col.name == "level" else "unknown_value"
    collect.cells(bad, shown, values, code, accepted=value_list(col.name, "en"),
                  accepted_zh=value_list(col.name, "zh"))
    return pd.Series(pd.Categorical.from_codes(new_codes, categories=allowed), index=values.index, copy=False)


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
    # Columns of millions of records: no temporary copy where it would change nothing (a factor of 1, a mask
    # flagging no cell); floor(NaN) is NaN, so missing cells need no stand-in before the test for whole numbers.
    numbers = parsed.values * factor if factor != 1.0 else parsed.values
    present = ~np.isnan(numbers)
    if kind in ("year", "int"):
        fractional = present & (numbers != np.floor(numbers))
        if fractional.any():
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
    if bad_range.any():
        numbers = np.where(bad_range, np.nan, numbers)
    if kind in ("year", "int"):
        missing_year = ~present | bad_range
        if missing_year.any():
            years = pd.array(np.where(missing_year, 0, numbers).astype(np.int64), dtype="Int64")
            years[missing_year] = pd.NA
        else:
            years = pd.array(numbers.astype(np.int64), dtype="Int64")
        return pd.Series(years, index=values.index, copy=False)  # arrays made here: pandas need not copy them
    return pd.Series(numbers, index=values.index, copy=False)


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
        if resolved.other_unit is not None and resolved.unit is not None:
            collect.file("header_units_disagree", shown[column], first=resolved.unit.text,
                         second=resolved.other_unit.text)
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


def typed_source(source: SourceFrame, hmap: HeaderMap, report: ValidationReport, amount_unit: AmountUnit | None,
                 salt: bytes | None, date_years: tuple[int, int], units: dict | None
                 ) -> tuple[pd.DataFrame | None, set[str]]:
    """Map one source's headers to the schema and type its cells; return the frame and the columns it holds.

    The frame is None when a required key column is missing (reported once, not once per row).
    """
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
        # Column by column: np.all over a stacked copy of every mask would copy them all (tens of megabytes).
        blank = np.ones(len(frame), dtype=bool)
        for c in frame.columns:
            blank &= raw_missing[c]
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
    columns: dict[str, object] = {name: typed[name] if name in typed else pd.Series(pd.NA, index=frame.index,
                                                                                  dtype=object)
                                  for name in schema.column_names}
    columns["_file"] = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8), categories=[source.label])
    # Row numbers are only shown in messages: four bytes each (not eight) over tens of millions of national records.
    columns["_row"] = rows.astype(np.int32, copy=False) if len(rows) and rows.max() < 2**31 else rows
    # The typed columns were made here and nothing else holds them: the frame takes them as they are (copy=False),
    # not copies of them (hundreds of megabytes at a national scale).
    out = pd.DataFrame(columns, index=frame.index, copy=False)
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
