"""Checks across rows and tables once every source is typed: keys, exact duplicates, references, postings.

A repeated key or a record pasted twice, a reference to a village or unit that no table holds, one cadre in two
villages at once, two first secretaries in one village at once: each a :class:`~villageaid.io.problems.Problem`
naming both rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.io.columns import show_value
from villageaid.io.normalize import codes_and_uniques, object_categories, present_values
from villageaid.io.problems import Problem, ValidationReport
from villageaid.schema import RAW_TABLES


def _where(frame: pd.DataFrame, i: int) -> str:
    return f"{frame['_file'].iat[i]} row {int(frame['_row'].iat[i])}"


def _row_hashes(frame: pd.DataFrame, columns: list[str], rows: np.ndarray | None = None,
                start: np.ndarray | None = None) -> np.ndarray:
    """One 64-bit hash per row of ``columns``; rows pandas counts as duplicates always hash alike.

    Floats are made canonical first (-0.0 as 0.0, every NaN as one NaN), as pandas' duplicate test
    treats them as equal. Only the rows at positions ``rows`` are hashed when given (all otherwise); ``start``
    holds, per hashed row, a number already equal for equal rows (a group number of other columns) to hash in.
    """
    count = len(frame) if rows is None else len(rows)
    combined = np.zeros(count, dtype=np.uint64) if start is None else pd.util.hash_array(start)
    for column in columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            # One categorical column gives equal values one code (its categories are distinct; missing is -1), so
            # hashing the codes keeps equal rows hashing alike without hashing every category (millions of
            # identifiers at a national scale).
            codes = values.array.codes.astype(np.int64)
            hashed = pd.util.hash_array(codes if rows is None else codes[rows])
        elif pd.api.types.is_float_dtype(values.dtype) and not isinstance(values.dtype,
                                                                          pd.api.extensions.ExtensionDtype):
            numbers = values.to_numpy(dtype=float)
            numbers = numbers if rows is None else numbers[rows]
            hashed = pd.util.hash_array(np.where(np.isnan(numbers), np.nan, numbers + 0.0))
        else:
            hashed = pd.util.hash_pandas_object(values if rows is None else values.iloc[rows], index=False).to_numpy()
        combined = combined * np.uint64(0x100000001B3) ^ hashed
    return combined


def _dense_codes(values: pd.Series, limit: int) -> tuple[np.ndarray, int] | None:
    """Codes ``0 .. count - 1`` that are equal exactly where the values are (every missing value one code).

    For a categorical (its codes: the categories are distinct) and for integers spanning at most ``limit`` values;
    None for any other column.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return values.array.codes.astype(np.int64) + 1, len(dtype.categories) + 1
    if getattr(dtype, "kind", "") != "i":  # signed integers, numpy's or pandas' nullable ones
        return None
    missing = values.isna().to_numpy(dtype=bool)
    numbers = values.to_numpy(dtype=np.int64, na_value=0)
    if missing.all():
        return np.zeros(len(values), dtype=np.int64), 1
    present = numbers[~missing]
    low, high = int(present.min()), int(present.max())
    if high - low + 2 > limit:
        return None
    return np.where(missing, 0, numbers - low + 1), high - low + 2


def duplicated_rows(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """``frame.duplicated(columns, keep=False)``, compared exactly only among rows that may repeat.

    Categorical and integer columns are combined one by one into a dense group number per row and counted
    (:func:`numpy.bincount`, linear in the rows): a row whose group number is unique so far has no duplicate and is
    left out of the columns still to come. When every column is such a column the counts are the answer; otherwise
    the rows left are hashed (:func:`_hashed_duplicated`). At a national scale (millions of records, keys of village
    and year) this replaces sorting millions of hashes.
    """
    n = len(frame)
    limit = max(2 * n, 1 << 16)  # the counts array stays within two entries per row
    rows: np.ndarray | None = None  # positions of the rows that may still repeat (None: every row)
    group = np.zeros(n, dtype=np.int64)
    groups = 1
    hashed: list[str] = []
    for column in columns:
        dense = _dense_codes(frame[column], limit)
        if dense is None or groups * dense[1] > limit:
            hashed.append(column)
            continue
        codes, count = dense
        del dense
        if rows is not None:
            codes = codes[rows]
        if groups == 1:
            group = codes
        else:
            group *= count
            group += codes
        del codes
        counts = np.bincount(group, minlength=groups * count)
        repeated = counts[group] > 1
        if not repeated.all():  # rows alone in their group so far: no duplicate, left out
            kept = np.flatnonzero(repeated)
            rows = kept if rows is None else rows[kept]
            group = group[kept]
            del kept
        del repeated
        # The groups left (those of two rows or more) renumbered densely, so that more columns fit under the limit.
        used = counts > 1
        group, groups = (np.cumsum(used) - 1)[group], int(used.sum())
        del counts, used
        if group.size == 0:
            return np.zeros(n, dtype=bool)
    if not hashed:
        if rows is None:
            return np.ones(n, dtype=bool)
        out = np.zeros(n, dtype=bool)
        out[rows] = True
        return out
    # Rows equal in every column share a group number, so each duplicate's partners are among the rows left; the
    # group number stands for the counted columns in the hash.
    flags = _hashed_duplicated(frame, columns, hashed, rows, group if groups > 1 else None)
    if rows is None:
        return flags
    out = np.zeros(n, dtype=bool)
    out[rows] = flags
    return out


def _hashed_duplicated(frame: pd.DataFrame, columns: list[str], hashed: list[str] | None = None,
                       rows: np.ndarray | None = None, start: np.ndarray | None = None) -> np.ndarray:
    """``frame.duplicated(columns, keep=False)``, compared exactly only among rows whose hashes repeat.

    pandas factorises every column of every row; hashing first leaves the exact comparison to the few
    candidate rows (identical rows always share a hash, so nothing is missed), which at a national scale
    (millions of records) is several times faster. With ``rows``, only those rows are compared (the result is
    one flag per row of ``rows``): the caller knows every duplicate's partners are among them. ``hashed`` and
    ``start`` as :func:`_row_hashes` (``hashed`` defaults to every column).
    """
    hashes = _row_hashes(frame, columns if hashed is None else hashed, rows, start)
    ordered = np.sort(hashes)  # a sort beats pandas' hash table on millions of random 64-bit keys
    repeated = ordered[1:][ordered[1:] == ordered[:-1]]
    del ordered
    out = np.zeros(len(hashes), dtype=bool)
    if repeated.size == 0:
        return out
    idx = np.flatnonzero(pd.Series(hashes).isin(np.unique(repeated)).to_numpy())
    if idx.size:
        out[idx] = frame.iloc[idx if rows is None else rows[idx]].duplicated(columns, keep=False).to_numpy()
    return out


def _complete(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """``frame[columns].notna().all(axis=1)`` column by column, without copying the columns into a new frame."""
    complete = np.ones(len(frame), dtype=bool)
    for column in columns:
        complete &= frame[column].notna().to_numpy(dtype=bool)
    return complete


def check_keys(table: str, frame: pd.DataFrame, report: ValidationReport) -> None:
    """Duplicate keys (keyed tables) and exact duplicate records (every table)."""
    schema = RAW_TABLES[table]
    if frame.empty:
        return
    columns = list(schema.column_names)
    # Rows with a missing or unreadable required value are reported already; they are not compared, so a
    # column of bad amounts (all read as missing) is not also a column of "duplicates".
    complete_required = _complete(frame, list(schema.required_columns))
    if schema.key:
        key = list(schema.key)
        complete = _complete(frame, key)
        dup = complete & duplicated_rows(frame, key)
        idx = np.flatnonzero(dup)
        # Records repeated whole are looked for among the repeated keys only: a record equal to another in every
        # column has that record's key, complete, so both rows are among them.
        whole = np.zeros(len(frame), dtype=bool)
        if idx.size:
            whole[idx] = complete_required[idx] & duplicated_rows(frame.iloc[idx], columns)
    else:
        key = columns
        dup = complete_required & duplicated_rows(frame, columns)
        whole = dup
        idx = np.flatnonzero(dup)
    if not dup.any():
        return
    report_duplicates(table, frame, report, idx, key, columns, whole)


def report_duplicates(table: str, frame: pd.DataFrame, report: ValidationReport, idx: np.ndarray, key: list[str],
                      columns: list[str], whole: np.ndarray) -> None:
    """Report each duplicate row ``idx`` after the first of its group: a duplicate key, or a record repeated whole."""
    schema = RAW_TABLES[table]
    sub = frame.iloc[idx]
    group = sub.groupby(key if schema.key else columns, observed=True, sort=False, dropna=False).ngroup().to_numpy()
    first_of: dict[int, int] = {}
    for k, g in zip(idx, group, strict=True):
        if g not in first_of:
            first_of[g] = k
            continue
        i, j = k, first_of[g]
        if schema.key and not whole[i]:
            value = show_value(frame[key[0]].iat[i]) if len(key) == 1 else ", ".join(
                f"{c}={show_value(frame[c].iat[i])}" for c in key)
            report.add(Problem.of("error", table, frame["_file"].iat[i], int(frame["_row"].iat[i]), "+".join(key),
                                  value, "duplicate_key", key=" and ".join(key), other=_where(frame, j)))
        else:
            value = show_value(frame[columns[0]].iat[i])
            report.add(Problem.of("error", table, frame["_file"].iat[i], int(frame["_row"].iat[i]), None, value,
                                  "duplicate_record", other=_where(frame, j)))


def check_references(tables: dict[str, pd.DataFrame], available: dict[str, set[str]],
                     report: ValidationReport) -> None:
    """Report references to villages or units that no table holds (one hash table per referenced key)."""
    defined = {
        "village_id": ("villages", present_values(tables["villages"]["village_id"])),
        "unit_id": ("units", present_values(tables["units"]["unit_id"])),
    }
    for table in ("assignments", "funding", "designations", "outcomes", "needs", "unit_resources"):
        frame = tables[table]
        for column, (home, ids) in defined.items():
            # When the home table or its key column is missing, that is reported once, not once per row.
            if column not in available.get(table, set()) or column not in available.get(home, set()):
                continue
            if frame.empty or tables[home].empty:
                continue
            values = frame[column]
            categories = object_categories(values)
            if categories is not None:
                # Distinct identifiers looked up once; rows flagged through their codes (-1, a missing cell, picks
                # the False appended), in the codes' own width: no copy of millions of codes when none is unknown.
                if categories is ids:  # the home table's own identifiers (one Index shared by equal text)
                    continue
                unknown = ids.get_indexer(categories) < 0 if len(categories) else np.zeros(0, dtype=bool)
                if not unknown.any():
                    continue
                bad = np.append(unknown, False)[values.array.codes]
            else:
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
    latest end among the group's earlier postings overlaps the posting holding that end. ``group`` holds
    non-negative codes where ``usable``.
    """
    rows = np.flatnonzero(usable)
    if len(rows) < 2:
        return []
    # A posting alone in its group overlaps nothing and holds no other posting's end: it is left out before the
    # sort (at a national scale most cadres hold one posting), which changes neither the pairs nor their order.
    in_group = group[rows]
    rows = rows[np.bincount(in_group)[in_group] > 1]
    del in_group
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


def check_assignments(frame: pd.DataFrame, report: ValidationReport) -> None:
    """Report one cadre in two villages at once and two first secretaries in one village at once."""
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
