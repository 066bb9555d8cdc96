"""The two lists (两张清单): the villages' needs and the units' resources, checked against the records and read.

The ``needs`` (需求清单) and ``unit_resources`` (资源清单) tables are optional raw tables (see the codebook). Each cell
is typed and checked like any other (a gap outside 0–1, a negative capacity, an unknown dimension), keys are
checked for duplicates (one row per village and dimension, per unit and resource type) and references for
villages and units no table holds. :func:`check_lists` adds what only the other tables can tell: a unit on the
resource list that posts no cadre, cadre slots fewer than the cadres the unit has in post at once in the latest
year the assignments record, and a slot capacity that is not a whole number. Every problem is one line of the
report naming table, file, row, column and value.

An analysis gets the validated lists with :func:`two_lists` (from the tables of a validated set or of
:func:`~villageaid.io.read.read_raw`) or :func:`read_two_lists` (from a folder): a :class:`TwoLists` holding both
tables in long form, with the gaps and capacities as wide matrices and the fixed map of which need dimensions
each resource type serves (:data:`~villageaid.schema.RESOURCE_SERVES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from villageaid.io.columns import show_value
from villageaid.io.normalize import codes_and_uniques, object_categories, present_values
from villageaid.io.problems import Problem, ValidationReport
from villageaid.schema import NEED_DIMENSIONS, RAW_TABLES, RESOURCE_SERVES, RESOURCE_TYPES, SLOT_RESOURCES


def _dates(values: pd.Series) -> np.ndarray:
    """Dates as datetime64[D] (NaT where missing or unreadable)."""
    if not pd.api.types.is_datetime64_any_dtype(values.dtype):
        values = pd.to_datetime(values, errors="coerce")
    return values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")


def posts_in_latest_year(assignments: pd.DataFrame) -> tuple[int | None, pd.Series]:
    """Cadres each unit has in post at once in the latest year the assignments record.

    The latest year is the latest calendar year of any start or end date. A unit's posts in that year are the
    largest number of its postings in post on one day of it (a posting without an end date is in post to the
    year's end), so a handover within the year — one cadre leaving, the next arriving — counts once.

    Parameters
    ----------
    assignments : DataFrame
        The assignments table (``unit_id``, ``start_date``, ``end_date``). Rows without a unit or start date, or
        ending before they start, are left out (validation reports them).

    Returns
    -------
    year : int or None
        The latest year (None when no posting has a start date).
    posts : Series of int
        Indexed by ``unit_id``: the unit's posts in that year, for every unit with a posting in that year.
    """
    empty = pd.Series(np.zeros(0, dtype=np.int64), index=pd.Index([], dtype=object, name="unit_id"), name="posts")
    if assignments.empty:
        return None, empty
    start = _dates(assignments["start_date"])
    end = _dates(assignments["end_date"]) if "end_date" in assignments else np.full(len(start), np.datetime64("NaT"))
    codes, units = codes_and_uniques(assignments["unit_id"])
    usable = (codes >= 0) & ~np.isnat(start) & (np.isnat(end) | (end >= start))
    if not usable.any():
        return None, empty
    dated = np.concatenate([start[usable], end[usable & ~np.isnat(end)]])
    year = int(dated.max().astype("datetime64[Y]").astype(int) + 1970)
    first, last = np.datetime64(f"{year:04d}-01-01", "D"), np.datetime64(f"{year:04d}-12-31", "D")
    open_end = np.where(np.isnat(end), last, end)
    active = usable & (start <= last) & (open_end >= first)
    if not active.any():
        return year, empty
    unit = codes[active]
    begin = np.maximum(start[active], first).astype(np.int64)
    stop = np.minimum(open_end[active], last).astype(np.int64) + 1  # the day after the last day in post
    # A sweep over each unit's days: +1 when a posting starts, -1 the day after it ends (ends first on a tie).
    event_unit = np.concatenate([unit, unit])
    event_day = np.concatenate([begin, stop])
    delta = np.concatenate([np.ones(len(unit), dtype=np.int64), -np.ones(len(unit), dtype=np.int64)])
    # np.lexsort((delta, event_day, event_unit)) as one stable sort of a packed key (unit, then day, then the end
    # before the start): the same order, several times faster on millions of events.
    day_span = int(event_day.max() - event_day.min()) + 1
    order = np.argsort((event_unit * day_span + (event_day - event_day.min())) * 2 + (delta > 0), kind="stable")
    step, event_unit = delta[order], event_unit[order]
    # Events are sorted by unit: each unit's running count is the overall running sum less the sum before its
    # first event, and its peak the largest of them (integers, so the same as pandas' grouped cumsum and max).
    first = np.flatnonzero(np.r_[True, event_unit[1:] != event_unit[:-1]])
    overall = np.cumsum(step)
    running = overall - np.repeat(overall[first] - step[first], np.diff(np.r_[first, len(step)]))
    peak = np.maximum.reduceat(running, first)
    index = pd.Index(np.asarray(units, dtype=object)[event_unit[first]], dtype=object, name="unit_id")
    return year, pd.Series(peak.astype(np.int64), index=index, name="posts")


# A text column of typed records is a categorical of Python strings (normalize.object_categories): the checks below
# look up its distinct values (hundreds of thousands of units) once and reach the rows through the codes, instead of
# hashing every row's value (millions). Any other column is looked up value by value, as pandas does.


def _rows_in(values: pd.Series, wanted: list[str]) -> np.ndarray:
    """``np.isin(values.astype(object), wanted)``: the rows whose value is one of ``wanted`` (never a missing one)."""
    if object_categories(values) is not None:
        hit = np.isin(np.asarray(values.cat.categories, dtype=object), wanted)
        return np.append(hit, False)[values.array.codes]
    return np.isin(values.astype(object).to_numpy(), wanted)


def _rows_not_in(values: pd.Series, known: pd.Index) -> np.ndarray:
    """Rows holding a value (not a missing one) that ``known`` lacks."""
    if object_categories(values) is not None:
        categories = values.cat.categories
        unknown = known.get_indexer(categories) < 0 if len(categories) else np.zeros(0, dtype=bool)
        return np.append(unknown, False)[values.array.codes]
    return values.notna().to_numpy() & (known.get_indexer(values.astype(object)) < 0)


def _looked_up(numbers: pd.Series, values: pd.Series) -> np.ndarray:
    """``numbers.reindex(values)`` as floats: the number of each row's value (NaN where it has none)."""
    if object_categories(values) is not None:
        per_category = numbers.reindex(values.cat.categories).to_numpy(dtype=float)
        return np.append(per_category, np.nan)[values.array.codes]
    return numbers.reindex(values.astype(object).to_numpy()).to_numpy(dtype=float)


def _where(frame: pd.DataFrame, i: int) -> tuple[str, int]:
    return str(frame["_file"].iat[i]), int(frame["_row"].iat[i])


def check_lists(tables: dict[str, pd.DataFrame], available: dict[str, set[str]], report: ValidationReport) -> None:
    """Check the resource list against the units' postings; add every problem to ``report``.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Typed tables with their ``_file`` and ``_row`` columns (as :func:`~villageaid.io.validate.validate_sources`
        holds them before finishing).
    available : dict of str to set of str
        Columns each table's sources hold; a check needing a column a table lacks is skipped (its absence is
        reported already where it matters).
    report : ValidationReport
        Receives the problems.
    """
    resources = tables.get("unit_resources")
    if resources is None or resources.empty:
        return
    have = available.get("unit_resources", set())
    if {"resource_type", "capacity"} <= have:
        kind = resources["resource_type"]
        capacity = pd.to_numeric(resources["capacity"], errors="coerce").to_numpy(dtype=float)
        slots = _rows_in(kind, list(SLOT_RESOURCES))
        fractional = slots & ~np.isnan(capacity) & (capacity != np.floor(np.nan_to_num(capacity)))
        for i in np.flatnonzero(fractional):
            file, row = _where(resources, i)
            report.add(Problem.of("error", "unit_resources", file, row, "capacity", show_value(capacity[i]),
                                  "slots_not_whole", resource=str(kind.iat[i])))
    assignments = tables.get("assignments")
    if assignments is None or "unit_id" not in have or "unit_id" not in available.get("assignments", set()):
        return
    unit = resources["unit_id"]
    posted = present_values(assignments["unit_id"])
    defined = present_values(tables["units"]["unit_id"]) if "unit_id" in available.get("units", set()) else None
    reported: set[object] = set()
    for i in np.flatnonzero(_rows_not_in(unit, posted)):
        value = unit.iat[i]
        if value in reported or (defined is not None and defined.get_indexer([value])[0] < 0):
            continue  # one line a unit; a unit no table defines is reported as such already
        reported.add(value)
        file, row = _where(resources, i)
        report.add(Problem.of("error", "unit_resources", file, row, "unit_id", str(value), "unit_no_posts"))
    if not {"resource_type", "capacity"} <= have or "start_date" not in available.get("assignments", set()):
        return
    year, posts = posts_in_latest_year(assignments)
    if year is None or posts.empty:
        return
    cadre = _rows_in(resources["resource_type"], ["cadre"])
    needed = _looked_up(posts, unit)
    capacity = pd.to_numeric(resources["capacity"], errors="coerce").to_numpy(dtype=float)
    below = cadre & ~np.isnan(needed) & ~np.isnan(capacity) & (capacity < needed)
    for i in np.flatnonzero(below):
        file, row = _where(resources, i)
        report.add(Problem.of("error", "unit_resources", file, row, "capacity", show_value(capacity[i]),
                              "slots_below_posts", posts=int(needed[i]), year=year))


@dataclass(frozen=True)
class TwoLists:
    """The validated need and resource lists (两张清单).

    Attributes
    ----------
    needs : DataFrame
        The ``needs`` table: village_id, dimension, gap (0 met … 1 wholly unmet), year, detail.
    unit_resources : DataFrame
        The ``unit_resources`` table: unit_id, resource_type, capacity (万元 a year for money, slots otherwise),
        detail.
    """

    needs: pd.DataFrame
    unit_resources: pd.DataFrame

    @property
    def empty(self) -> bool:
        """True when the records have neither list."""
        return self.needs.empty and self.unit_resources.empty

    def gaps(self) -> pd.DataFrame:
        """Return the village × need dimension gaps.

        Returns
        -------
        DataFrame
            Indexed by ``village_id`` (villages the need list names, in its order), one column per dimension in
            :data:`~villageaid.schema.NEED_DIMENSIONS`; NaN where the list does not assess a dimension.
        """
        frame = self.needs[["village_id", "dimension", "gap"]].astype({"village_id": object, "dimension": object})
        wide = frame.pivot(index="village_id", columns="dimension", values="gap")
        order = pd.Index(pd.unique(frame["village_id"]), dtype=object, name="village_id")
        return wide.reindex(index=order, columns=list(NEED_DIMENSIONS)).rename_axis(columns=None).astype(float)

    def capacities(self) -> pd.DataFrame:
        """Return the unit × resource type capacities.

        Returns
        -------
        DataFrame
            Indexed by ``unit_id`` (units the resource list names, in its order), one column per resource type in
            :data:`~villageaid.schema.RESOURCE_TYPES`; NaN where the list does not name a type for the unit.
        """
        frame = self.unit_resources[["unit_id", "resource_type", "capacity"]].astype(
            {"unit_id": object, "resource_type": object})
        wide = frame.pivot(index="unit_id", columns="resource_type", values="capacity")
        order = pd.Index(pd.unique(frame["unit_id"]), dtype=object, name="unit_id")
        return wide.reindex(index=order, columns=list(RESOURCE_TYPES)).rename_axis(columns=None).astype(float)

    @staticmethod
    def serves() -> pd.DataFrame:
        """Which need dimensions each resource type serves (:data:`~villageaid.schema.RESOURCE_SERVES`).

        Returns
        -------
        DataFrame of bool
            Resource types as rows, need dimensions as columns.
        """
        return pd.DataFrame([[d in RESOURCE_SERVES[r] for d in NEED_DIMENSIONS] for r in RESOURCE_TYPES],
                            index=pd.Index(RESOURCE_TYPES, name="resource_type"), columns=list(NEED_DIMENSIONS))


def two_lists(tables: dict[str, pd.DataFrame]) -> TwoLists:
    """Return the need and resource lists of validated tables (empty tables with the schema's columns if absent).

    Parameters
    ----------
    tables : dict of str to DataFrame
        Validated tables: ``RawData.tables`` of :func:`~villageaid.io.read.read_raw` (whose report has no
        errors), :func:`~villageaid.io.validate.validate_tables`, or
        :func:`~villageaid.io.provenance.read_validated_set`.

    Returns
    -------
    TwoLists
    """
    def table(name: str) -> pd.DataFrame:
        frame = tables.get(name)
        if frame is None:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in RAW_TABLES[name].column_names})
        return frame

    return TwoLists(table("needs"), table("unit_resources"))


def read_two_lists(folder: Path | str) -> TwoLists:
    """Read the need and resource lists of a folder, validated.

    Parameters
    ----------
    folder : Path or str
        A validated set (``villageaid validate --out``, or the build's ``data/processed/validated``), whose
        tables are proven unchanged by their hashes, or a folder of records, validated as it is read.

    Returns
    -------
    TwoLists
        Empty tables when the records have no lists.

    Raises
    ------
    DataError
        If the records have errors (the report is attached).
    ValueError
        If a validated set is not as validation wrote it.
    """
    from villageaid.io.problems import DataError
    from villageaid.io.provenance import is_validated_set, read_validated_set
    from villageaid.io.read import read_raw

    folder = Path(folder)
    if is_validated_set(folder):
        columns: dict[str, tuple[str, ...] | None] = {name: () for name in RAW_TABLES}
        columns.update({"needs": None, "unit_resources": None})
        return two_lists(read_validated_set(folder, columns))
    raw = read_raw(folder)
    if not raw.report.ok:
        raise DataError(raw.report)
    return two_lists(raw.tables)
