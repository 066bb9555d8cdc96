"""Build the village × year analysis panel from validated raw tables.

All steps are vectorized over villages and years (no per-village Python loops), so the national
scenario's 5 million village-years build in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from villageaid.io.normalize import codes_and_uniques
from villageaid.io.parquet_frames import inferred_text_dtype
from villageaid.panel.endowment import DEFAULT_RICH_QUANTILE, endowment_index, need_index, rich_flag
from villageaid.panel.typology import village_type
from villageaid.schema import (
    CITY_OR_ABOVE,
    FUNDING_SOURCES,
    PROJECT_NEED,
    RAW_TABLES,
    UNIT_LEVELS,
    UNIT_SECTORS,
    UNIT_STRENGTHS,
)

_STRENGTH_SCORE = {"strong": 2.0, "general": 1.0, "marginal": 0.0}
PERIODS = ("before_campaign", "campaign", "transition", "after_transition")
#: The transition's default reference year (see :class:`PanelOptions`).
DEFAULT_REFERENCE_YEARS: tuple[int, ...] = (2019,)
#: Build options naming the reference years.
REFERENCE_CHOICES: dict[str, tuple[int, ...]] = {"2019": (2019,), "2016-2019": (2016, 2017, 2018, 2019),
                                                 "2020": (2020,)}
#: Raw-table columns the panel is built from (every column of villages: its baseline columns are carried).
PANEL_INPUTS: dict[str, tuple[str, ...] | None] = {
    "villages": None,
    "units": ("unit_id", "level", "strength", "sector"),
    "assignments": ("village_id", "unit_id", "role", "start_date", "end_date"),
    "funding": ("village_id", "year", "amount", "source", "project_type"),
    "designations": ("village_id", "year", "kind"),
    "outcomes": ("village_id", "year", "collective_income", "per_capita_income", "industry_active"),
}
#: What the panel reads of a validated set: the columns of :data:`PANEL_INPUTS`, and none of the other tables (the two
#: lists, needs and unit_resources, are the policy simulator's: at the national scale reading them cost a second).
PANEL_READ: dict[str, tuple[str, ...] | None] = {**{name: () for name in RAW_TABLES}, **PANEL_INPUTS}


@dataclass(frozen=True)
class PanelOptions:
    """Choices made when building the panel.

    Attributes
    ----------
    first_year, last_year : int, optional
        Years of the panel; by default the range of years in the funding and outcomes tables.
    campaign_start, transition_start, transition_end : int
        Period boundaries: campaign = campaign_start … transition_start − 1, transition =
        transition_start … transition_end.
    rich_quantile : float
        Quantile of the county's endowment index at or above which a village is rich.
    reference_years : tuple of int
        The transition's reference years: where a village stood when the transition began is measured by the mean
        of its (log) collective income over these years. The default, 2019, is before the campaign's final push of
        2020; ``(2016, 2017, 2018, 2019)`` averages the campaign's first years; ``(2020,)`` is available.
    """

    first_year: int | None = None
    last_year: int | None = None
    campaign_start: int = 2016
    transition_start: int = 2021
    transition_end: int = 2025
    rich_quantile: float = DEFAULT_RICH_QUANTILE
    reference_years: tuple[int, ...] = DEFAULT_REFERENCE_YEARS

    def __post_init__(self) -> None:
        years = tuple(int(y) for y in self.reference_years)
        if not years or list(years) != sorted(set(years)):
            raise ValueError(f"reference years must be distinct years in order, got {self.reference_years!r}")
        if years[-1] >= self.transition_start:
            raise ValueError(f"reference years must lie before the transition ({self.transition_start}), "
                             f"got {', '.join(map(str, years))}")
        object.__setattr__(self, "reference_years", years)


def _panel_years(tables: dict[str, pd.DataFrame], options: PanelOptions) -> np.ndarray:
    observed = [tables[t]["year"].dropna().astype(np.int64) for t in ("funding", "outcomes")
                if not tables[t].empty]
    years = pd.concat(observed) if observed else pd.Series([], dtype=np.int64)
    first = options.first_year if options.first_year is not None else (int(years.min()) if len(years) else None)
    last = options.last_year if options.last_year is not None else (int(years.max()) if len(years) else None)
    if first is None or last is None:
        raise ValueError("cannot tell the panel's years: funding and outcomes are empty; give first_year and "
                         "last_year")
    if last < first:
        raise ValueError(f"last_year {last} is before first_year {first}")
    return np.arange(first, last + 1)


def _category_codes(values: pd.Series, categories: tuple[str, ...]) -> np.ndarray:
    """Codes of ``values`` in ``categories`` (-1 where missing or not among them)."""
    return _positions(pd.Index(list(categories), dtype=object), values)


def _positions(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Position of each value in ``index`` (-1 if absent), looking up distinct values only."""
    codes, uniques = codes_and_uniques(values)
    if len(uniques) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    if len(uniques) == len(index) and index.equals(pd.Index(uniques, dtype=object)):
        return codes  # a categorical whose categories are the index, in its order: codes are positions (-1 missing)
    found = index.get_indexer(pd.Index(uniques, dtype=object))
    return np.where(codes >= 0, found[np.maximum(codes, 0)], -1)


def _spread(values: pd.Series, rows: np.ndarray) -> object:
    """``values.to_numpy()[rows]``, the column the panel frame makes of it (a village's value on each of its years).

    Text (categorical, object or Arrow strings) that pandas stores as its string dtype is converted once per
    village and then taken, rather than spread as millions of Python strings that the frame converts again.
    """
    if isinstance(values.dtype, pd.CategoricalDtype) and len(rows):
        # Text categories: the column taken from the categories by codes (-1: missing), no Python string per
        # village; the dtype the frame infers from the values when one is present (all missing: as below).
        categories = values.cat.categories
        codes = values.cat.codes.to_numpy()
        if categories.dtype == inferred_text_dtype() and (codes >= 0).any():
            return categories.array.take(codes[rows], allow_fill=True)
    array = values.to_numpy()
    if array.dtype == object and len(rows):  # (an empty object column stays object in the frame)
        text = pd.Series(array).array  # the dtype the frame would infer, from the same distinct values
        if isinstance(text.dtype, pd.StringDtype):
            return text.take(rows)
    return array[rows]


class _Lookup:
    """Where each identifier of a table's identifier column is (its row), for finding other tables' identifiers.

    ``index`` is the column as an object Index (the form :func:`_positions` looks identifiers up in). When the
    column is categorical, every row has an identifier and no two rows share one, a column of another table whose
    dtype is the very same ``CategoricalDtype`` object (as :func:`villageaid.io.parquet_frames.read_parquet_frames`
    gives every column coding the same dictionary) is found by its codes alone, without looking up text: the
    position of a category is the row holding it. Any other column is looked up by :func:`_positions`.
    """

    def __init__(self, ids: pd.Series) -> None:
        self.index = pd.Index(ids.astype(object))
        self._dtype: pd.CategoricalDtype | None = None
        self._row_of_code = np.zeros(0, dtype=np.int64)
        if isinstance(ids.dtype, pd.CategoricalDtype) and len(ids):
            codes = ids.cat.codes.to_numpy(dtype=np.int64)
            if codes.min() >= 0:
                # One slot per category and a last one for missing codes (-1): -1, not a row.
                row_of_code = np.full(len(ids.dtype.categories) + 1, -1, dtype=np.int64)
                row_of_code[codes] = np.arange(len(codes))
                if np.count_nonzero(row_of_code >= 0) == len(codes):  # distinct identifiers only
                    self._dtype, self._row_of_code = ids.dtype, row_of_code

    def positions(self, values: pd.Series) -> np.ndarray:
        """Row of each of ``values`` (-1 if absent or missing), as :func:`_positions` on :attr:`index` gives it."""
        if self._dtype is not None and values.dtype is self._dtype:
            return self._row_of_code[values.cat.codes.to_numpy(dtype=np.int64)]
        return _positions(self.index, values)


def _lookup(ids: pd.Index | _Lookup) -> _Lookup:
    """``ids`` as a :class:`_Lookup` (an Index of identifiers is looked up by :func:`_positions`)."""
    return ids if isinstance(ids, _Lookup) else _Lookup(pd.Series(ids, dtype=object))


def _day_numbers(dates: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of ``datetime64[D]`` dates, as int64."""
    return dates.astype("datetime64[D]").view(np.int64)


@dataclass(frozen=True)
class _Spans:
    """The panel years each posting covers, and its days in the first and the last of them.

    A posting covers every year from its start's to its end's (clipped to the panel), each for at least one day;
    the years strictly between the first and the last are covered whole. The days of a year are
    ``min(end, 31 Dec) - max(start, 1 Jan) + 1``, the integers a postings × years computation gives where they are
    positive; a posting ending before it starts, or outside the panel, covers no year.

    Attributes
    ----------
    covers : ndarray of bool
        The posting covers at least one panel year.
    first, last : ndarray of int16
        Positions in the panel's years of the first and last year covered (where ``covers``; 0 elsewhere).
    first_days, last_days : ndarray of int16
        Days in the first and the last year covered (the same year when ``first == last``; where ``covers``).
    """

    covers: np.ndarray
    first: np.ndarray
    last: np.ndarray
    first_days: np.ndarray
    last_days: np.ndarray


def _spans(start: np.ndarray, end: np.ndarray, years: np.ndarray) -> _Spans:
    """Return the :class:`_Spans` of postings from ``start`` to ``end`` (``datetime64[D]``, no NaT) in ``years``."""
    start_n, end_n = _day_numbers(start), _day_numbers(end)
    jan1 = _day_numbers(np.array([f"{y:04d}-01-01" for y in years], dtype="datetime64[D]"))
    dec31 = _day_numbers(np.array([f"{y:04d}-12-31" for y in years], dtype="datetime64[D]"))
    # The panel year of each date (-1 before the panel, len(years) after it), found among the years' first days
    # (numpy's conversion of days to years costs a calendar computation per date: seconds for millions).
    bounds = np.r_[jan1, dec31[-1] + 1]
    first = np.maximum(np.searchsorted(bounds, start_n, side="right") - 1, 0)
    last = np.minimum(np.searchsorted(bounds, end_n, side="right") - 1, len(years) - 1)
    covers = (end_n >= start_n) & (first <= last)
    # Positions valid everywhere, for indexing (read only where covers), and days (at most 366) in small integers.
    small = np.int16 if len(years) < 2**15 else np.int64
    first = np.where(covers, first, 0).astype(small)
    last = np.where(covers, last, 0).astype(small)
    first_days = np.where(covers, np.minimum(end_n, dec31[first]) - np.maximum(start_n, jan1[first]) + 1, 0
                          ).astype(np.int16)
    last_days = np.where(covers, np.minimum(end_n, dec31[last]) - np.maximum(start_n, jan1[last]) + 1, 0
                         ).astype(np.int16)
    return _Spans(covers, first, last, first_days, last_days)


class _DaySums:
    """Sums over postings of their days in each village-year, each posting weighted; villages × years, flat.

    Each posting adds its days in its first and last years, and the whole years between them, counted per village
    and year by a difference array over the years (+w the year after the first, -w at the last) summed along them.
    The cells of these entries are found once, for every weighting. Every term is a whole number (days, or days ×
    a whole weight) held exactly in float64, so a sum equals, bit for bit, that of adding each posting's days year
    by year in any order.
    """

    def __init__(self, spans: _Spans, village: np.ndarray, n: int, days_in_year: np.ndarray) -> None:
        self._n, self._days_in_year = n, days_in_year
        n_years, width = len(days_in_year), len(days_in_year) + 1
        covered = np.flatnonzero(spans.covers)
        v, a, b = village[covered], spans.first[covered].astype(np.int64), spans.last[covered].astype(np.int64)
        two = b > a
        # (postings, their cells, their days) of each covered posting's first year, and of the last year of those
        # covering two or more.
        self._parts = [(covered, v * n_years + a, spans.first_days[covered].astype(float))]
        self._parts.append((covered[two], v[two] * n_years + b[two], spans.last_days[covered[two]].astype(float)))
        many = b > a + 1  # whole years between the first and the last: +w the year after the first, -w at the last
        self._whole = (covered[many], v[many] * width + a[many] + 1, v[many] * width + b[many])
        self._buffers: list[np.ndarray] = []  # the weights of each part's entries, reused by every weighting

    def sum(self, weight: np.ndarray | None = None) -> np.ndarray:
        """Return the sum of the postings' days × ``weight`` (whole numbers; 0 leaves a posting out; None: 1)."""
        # In place where numpy allows: at a national scale every fresh array of this length costs page faults.
        n, n_years = self._n, len(self._days_in_year)
        total = None
        for k, (posting, cell, days) in enumerate(self._parts):
            if weight is not None:
                if len(self._buffers) <= k:
                    self._buffers.append(np.empty(len(posting)))
                days = np.multiply(np.take(weight, posting, out=self._buffers[k]), days, out=self._buffers[k])
            part = np.bincount(cell, weights=days, minlength=n * n_years)
            if total is None:
                total = part.astype(float, copy=False)
            else:
                total += part
            del part
        posting, up, down = self._whole
        if len(posting):
            w = weight[posting] if weight is not None else None
            whole = np.bincount(up, weights=w, minlength=n * (n_years + 1))
            whole -= np.bincount(down, weights=w, minlength=n * (n_years + 1))
            whole = whole.reshape(n, n_years + 1)
            np.cumsum(whole, axis=1, out=whole)
            whole = whole[:, :n_years]
            whole *= self._days_in_year
            total.reshape(n, n_years)[...] += whole
        return total


def _assignment_measures(assignments: pd.DataFrame, units: pd.DataFrame, village_ids: pd.Index | _Lookup,
                         years: np.ndarray, unit_ids: _Lookup | None = None) -> dict[str, np.ndarray]:
    """Team size and strength, the members' strength and the first secretary's unit of each village and year.

    Sums over a village's postings of whole days (team size) and of days × a whole score (strength), so every sum
    is of whole numbers held exactly in float64: the result does not depend on the order postings are added in,
    and is summed from each posting's first year, last year and the whole years between
    (:class:`_DaySums`), not over postings × years.

    Returns
    -------
    dict of str to ndarray
        ``team_size``, ``team_strength_index``, ``members_strength_index`` (float, villages × years) and
        ``first_secretary_unit`` (the unit's row in ``units``, -1 for none; villages × years).
    """
    villages = _lookup(village_ids)
    units_found = unit_ids if unit_ids is not None else _Lookup(units["unit_id"])
    n, n_years = len(villages.index), len(years)
    village = villages.positions(assignments["village_id"])
    unit = units_found.positions(assignments["unit_id"])
    start = assignments["start_date"].to_numpy(dtype="datetime64[D]")
    keep = (village >= 0) & (unit >= 0) & ~np.isnat(start)
    village, unit, start = village[keep], unit[keep], start[keep]
    end_of_panel = np.datetime64(f"{years[-1]:04d}-12-31")
    end = assignments["end_date"].to_numpy(dtype="datetime64[D]")[keep]
    end = np.where(np.isnat(end), end_of_panel, end)
    role = _category_codes(assignments["role"], ("first_secretary", "team_member"))[keep].astype(np.int8)
    del keep
    days_in_year = np.array([366 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 365 for y in years])

    spans = _spans(start, end, years)
    sums = _DaySums(spans, village, n, days_in_year)
    team_size = sums.sum().reshape(n, n_years) / days_in_year
    score = _STRENGTH_CODES_SCORE[_category_codes(units["strength"], _STRENGTH_ORDER)][unit]
    scored = ~np.isnan(score)
    score = np.where(scored, score, 0.0)  # weights: an unscored posting weighs 0 (left out)
    strength_num = sums.sum(score)
    strength_den = sums.sum(scored.astype(float))
    member = (role == 1).astype(float)
    members_num = sums.sum(score * member)
    members_den = sums.sum(scored * member)
    del sums
    with np.errstate(invalid="ignore", divide="ignore"):
        team_strength = np.where(strength_den > 0, strength_num / strength_den, np.nan).reshape(n, n_years)
        members_strength = np.where(members_den > 0, members_num / members_den, np.nan).reshape(n, n_years)
    del strength_num, strength_den, members_num, members_den, score, scored, member

    # First secretary of the year: the posting covering most days (ties: the later start, then the earlier record).
    is_fs = role == 0
    fs_choice = _first_secretary_choice(spans, village, is_fs, _day_numbers(start), n, days_in_year)
    fs_unit = unit[is_fs]
    fs_choice = np.where(fs_choice >= 0, fs_unit[np.maximum(fs_choice, 0)], -1)
    return {"team_size": team_size, "team_strength_index": team_strength, "members_strength_index": members_strength,
            "first_secretary_unit": fs_choice.reshape(n, n_years)}


_STRENGTH_ORDER = tuple(_STRENGTH_SCORE)
#: Score of each strength code (in :data:`_STRENGTH_ORDER`), and NaN for a strength without a score (code -1).
_STRENGTH_CODES_SCORE = np.array([*_STRENGTH_SCORE.values(), np.nan])


def _first_secretary_choice(spans: _Spans, village: np.ndarray, is_fs: np.ndarray, start: np.ndarray, n: int,
                            days_in_year: np.ndarray) -> np.ndarray:
    """Return the first-secretary posting chosen in each village-year (its place among ``is_fs``; -1: none).

    ``is_fs`` marks the first secretaries among the postings of ``spans`` and ``village``; ``start`` gives each
    posting's start (day number). The chosen posting covers the most days of the year; ties go to the later
    start, then to the earlier record. Each posting's rank in a year is packed into one int64 (days, start, record
    order) and each village-year keeps its maximum (``np.maximum.at``) over the postings' first years, last years
    and whole years between, so no sort is needed.

    Returns
    -------
    ndarray of int64
        Villages × years, flat.
    """
    n_years = len(days_in_year)
    m = int(np.count_nonzero(is_fs))
    best = np.full(n * n_years, -1, dtype=np.int64)
    if m == 0:
        return best
    bits = max(int(m).bit_length(), 1)
    if 9 + 2 * bits > 63:  # 366 days need 9 bits
        raise ValueError(f"{m:,} first-secretary postings are too many to rank in one 64-bit key")
    fs_start = start[is_fs]
    # The start packed as days after the earliest start when that fits in the bits of a rank, else as its rank
    # among the distinct starts: either orders the starts alike.
    span = int(fs_start.max() - fs_start.min())
    if span.bit_length() <= bits:
        start_key = fs_start - fs_start.min()
    else:
        start_key = np.unique(fs_start, return_inverse=True)[1].astype(np.int64).reshape(-1)
    tie = (start_key << bits) | (m - 1 - np.arange(m, dtype=np.int64))
    del start_key, fs_start
    covers = spans.covers[is_fs]
    v, a, b = village[is_fs][covers], spans.first[is_fs][covers], spans.last[is_fs][covers]
    tie = tie[covers]
    first_days = spans.first_days[is_fs][covers].astype(np.int64)
    np.maximum.at(best, v * n_years + a, (first_days << (2 * bits)) | tie)
    two = b > a
    last_days = spans.last_days[is_fs][covers][two].astype(np.int64)
    np.maximum.at(best, (v * n_years + b)[two], (last_days << (2 * bits)) | tie[two])
    del first_days, last_days
    many = b > a + 1  # whole years between the first and the last
    v, a, b, tie = v[many], a[many], b[many], tie[many]
    for t in range(1, n_years - 1):
        inside = (a < t) & (t < b)
        np.maximum.at(best, v[inside] * n_years + t, (int(days_in_year[t]) << (2 * bits)) | tie[inside])
    served = best >= 0
    best[served] = m - 1 - (best[served] & ((1 << bits) - 1))
    return best


def _by_year(frame: pd.DataFrame, village_ids: pd.Index | _Lookup, years: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Village and year positions of each row of ``frame``; -1 where either is outside the panel."""
    village = _lookup(village_ids).positions(frame["village_id"])
    year = frame["year"].to_numpy(dtype=np.int64) - years[0]
    inside = (village >= 0) & (year >= 0) & (year < len(years))
    return np.where(inside, village, -1), np.where(inside, year, -1)


def _matched_funding(funding: pd.DataFrame, villages: pd.DataFrame, cell: np.ndarray, amount: np.ndarray,
                     n_years: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Funding whose project type serves the village's main need, and the rest (None without both records).

    ``funding`` holds the records' project type (when the table has one), ``cell`` and ``amount`` each record's
    village-year cell and amount.

    A project type serves the need :data:`~villageaid.schema.PROJECT_NEED` gives it; a type it does not list (a
    donation, or a type the records spell otherwise) serves no listed need and counts as unmatched.
    """
    if "main_need" not in villages or "project_type" not in funding or not villages["main_need"].notna().any():
        return None
    # Compared as codes into the villages' distinct needs: each distinct project type is looked up once, not each
    # of millions of records as text.
    need_code, needs = codes_and_uniques(villages["main_need"])
    type_code, types = codes_and_uniques(funding["project_type"])
    type_need = (pd.Index(needs, dtype=object).get_indexer(pd.Index([PROJECT_NEED.get(t) for t in types],
                                                                    dtype=object))
                 if len(types) else np.zeros(0, dtype=np.int64))
    served = np.where(type_code >= 0, type_need[np.maximum(type_code, 0)] if len(types) else -1, -1)
    cells = len(villages) * n_years
    village_need = need_code[cell // n_years]
    known = village_need >= 0
    is_match = known & (served == village_need)
    # numpy returns integers from an empty weighted bincount (no funding records): amounts are always floats here.
    matched = np.bincount(cell[is_match], weights=amount[is_match], minlength=cells).astype(float, copy=False)
    unmatched = np.bincount(cell[known & ~is_match], weights=amount[known & ~is_match],
                            minlength=cells).astype(float, copy=False)
    without_need = np.repeat(~villages["main_need"].notna().to_numpy(), n_years)
    matched[without_need] = np.nan
    unmatched[without_need] = np.nan
    return matched, unmatched


def _release(tables: dict[str, pd.DataFrame], name: str, release_inputs: bool) -> None:
    """Drop ``tables[name]`` once the panel has used it, when the caller handed the tables over."""
    if release_inputs and tables.pop(name, None) is not None:
        import pyarrow as pa

        pa.default_memory_pool().release_unused()  # the columns Arrow read are returned to the system


def build_panel(tables: dict[str, pd.DataFrame], options: PanelOptions | None = None, *,
                release_inputs: bool = False) -> pd.DataFrame:
    """Build the village × year panel (its variables: data/CODEBOOK.md).

    Parameters
    ----------
    tables : dict of str to DataFrame
        Validated raw tables (see :func:`villageaid.io.read_raw`).
    options : PanelOptions, optional
        Years, period boundaries and the rich threshold.
    release_inputs : bool
        The caller hands ``tables`` over: each of the assignments, funding, designations and outcomes is removed
        from the dict once used, so that a caller holding no other reference to them frees their memory while the
        panel is built (the national panel's peak). The panel is the same either way.

    Returns
    -------
    DataFrame
        One row per village and year, sorted by village (in the villages table's order) and year, with
        the baseline columns and the derived variables of the codebook. ``attrs`` records the endowment
        index's indicators and weights and the options used.
    """
    options = options or PanelOptions()
    villages = tables["villages"].reset_index(drop=True)
    units = tables["units"]
    village_lookup = _Lookup(villages["village_id"])
    village_ids = village_lookup.index
    unit_lookup = _Lookup(units["unit_id"])
    years = _panel_years(tables, options)
    n, n_years = len(villages), len(years)

    index = endowment_index(villages)
    rich = rich_flag(index, villages["county"], quantile=options.rich_quantile)
    try:
        need = need_index(villages)
        need_note = ""
    except ValueError as exc:  # the analyses that need it say "not estimated" with this reason
        need = pd.Series(np.nan, index=villages.index, name="need_index")
        need.attrs.update(indicators=[], weights=[])
        need_note = str(exc)
    # Memory: the national panel is 5 million rows. Each int64 intermediate of that length is 40 MB, so the
    # intermediates are released (del) as soon as the columns made from them exist; no value depends on it.
    measures = _assignment_measures(tables["assignments"], units, village_lookup, years, unit_lookup)
    _release(tables, "assignments", release_inputs)
    fs_unit = measures.pop("first_secretary_unit").ravel()
    has_fs = fs_unit >= 0
    safe_unit = np.maximum(fs_unit, 0)
    level_code = np.where(has_fs, _category_codes(units["level"], UNIT_LEVELS)[safe_unit], -1)
    strength_code = np.where(has_fs, _category_codes(units["strength"], UNIT_STRENGTHS)[safe_unit], -1)
    sector_code = (np.where(has_fs, _category_codes(units["sector"], UNIT_SECTORS)[safe_unit], -1)
                   if "sector" in units else np.full(len(fs_unit), -1))
    del has_fs, safe_unit
    first_secretary = {
        "first_secretary_unit_id": pd.Categorical.from_codes(
            fs_unit, categories=unit_lookup.index),
        "first_secretary_level": pd.Categorical.from_codes(level_code, categories=list(UNIT_LEVELS)),
        "first_secretary_strength": pd.Categorical.from_codes(strength_code, categories=list(UNIT_STRENGTHS)),
        "first_secretary_sector": pd.Categorical.from_codes(sector_code, categories=list(UNIT_SECTORS)),
    }
    del fs_unit, sector_code
    city_codes = [UNIT_LEVELS.index(level) for level in CITY_OR_ABOVE]
    city = pd.array(np.isin(level_code, city_codes), dtype="boolean")
    city[level_code < 0] = pd.NA
    strong = pd.array(strength_code == UNIT_STRENGTHS.index("strong"), dtype="boolean")
    strong[strength_code < 0] = pd.NA
    del level_code, strength_code

    funding = tables["funding"]
    fv, fy = _by_year(funding, village_lookup, years)
    inside = fv >= 0
    cell = fv[inside] * n_years + fy[inside]
    del fv, fy
    amount = funding["amount"].to_numpy(dtype=float)[inside]
    source = _category_codes(funding["source"], FUNDING_SOURCES)[inside]
    by_source = {s: np.bincount(cell[source == k], weights=amount[source == k], minlength=n * n_years)
                 for k, s in enumerate(FUNDING_SOURCES)}
    del source
    total = np.bincount(cell, weights=amount, minlength=n * n_years)
    # Only the project type is taken of the records inside the panel, not a copy of the whole table.
    matched = _matched_funding(funding.loc[inside, [c for c in ("project_type",) if c in funding]], villages, cell,
                               amount, n_years)
    del inside, cell, amount, funding
    _release(tables, "funding", release_inputs)

    designations = tables["designations"]
    demo = designations.loc[designations["kind"].astype(object) == "demonstration"]
    demo_village = village_lookup.positions(demo["village_id"])
    cohort_year = np.full(n, np.iinfo(np.int64).max)
    known = demo_village >= 0
    np.minimum.at(cohort_year, demo_village[known], demo["year"].to_numpy(dtype=np.int64)[known])
    cohort = np.where(cohort_year == np.iinfo(np.int64).max, 0, cohort_year)
    # Deep-poverty villages (深度贫困村) of the campaign: designated before the transition. Where the records
    # designate none, the designation is taken as not recorded (missing), not as absent.
    deep = designations.loc[(designations["kind"].astype(object) == "deep_poverty")
                            & (designations["year"].to_numpy(dtype=np.int64) < options.transition_start)]
    deep_village = village_lookup.positions(deep["village_id"])
    deep_poverty = np.zeros(n) if (deep_village >= 0).any() else np.full(n, np.nan)
    deep_poverty[deep_village[deep_village >= 0]] = 1.0
    del designations, demo, deep
    _release(tables, "designations", release_inputs)

    year_col = np.tile(years, n)
    village_pos = np.repeat(np.arange(n), n_years)
    period_of_year = np.select(  # per year, then spread: codes into PERIODS, no strings per row
        [years < options.campaign_start, years < options.transition_start, years <= options.transition_end],
        [0, 1, 2], 3)
    period = pd.Categorical.from_codes(np.tile(period_of_year, n), categories=list(PERIODS))
    rich_long = pd.Series(np.repeat(rich.to_numpy(), n_years), dtype="boolean")
    county_codes, counties = pd.factorize(villages["county"].astype(object))
    township_codes, townships = pd.factorize(villages["township"].astype(object))

    # Every column is collected first and the frame made once without copying: pandas copies an array set
    # into an existing frame, which at a national scale (5 million rows) doubles the memory of each column.
    columns: dict[str, object] = {
        "village_id": pd.Categorical.from_codes(village_pos, categories=village_ids),
        "year": year_col,
        "county": pd.Categorical.from_codes(county_codes[village_pos], categories=counties),
        "township": pd.Categorical.from_codes(township_codes[village_pos], categories=townships),
        "period": period,
        "post": (year_col >= options.transition_start).astype(np.int8),
        **first_secretary,
        "city_unit": city,
        "strong_unit": strong,
        "team_size": measures.pop("team_size").ravel(),
        "team_strength_index": measures.pop("team_strength_index").ravel(),
        "members_strength_index": measures.pop("members_strength_index").ravel(),
        "endowment_index": np.repeat(index.to_numpy(), n_years),
        "need_index": np.repeat(need.to_numpy(), n_years),
        "deep_poverty": np.repeat(deep_poverty, n_years),
        "rich": rich_long.array,
    }
    columns["village_type"] = village_type(pd.Series(city), rich_long).array
    cohort_long = np.repeat(cohort, n_years)
    columns["demonstration_cohort"] = cohort_long
    columns["demonstration"] = ((cohort_long > 0) & (year_col >= cohort_long)).astype(np.int8)
    columns["funding_total"] = total
    for s in FUNDING_SOURCES:
        columns[f"funding_{s}"] = by_source[s]
    if matched is not None:
        columns["funding_matched"], columns["funding_unmatched"] = matched
    columns["log1p_funding_total"] = np.log1p(total)
    columns["asinh_funding_total"] = np.arcsinh(total)
    del by_source, matched, first_secretary, period, city, strong

    outcomes = tables["outcomes"]
    if not outcomes.empty:
        ov, oy = _by_year(outcomes, village_lookup, years)
        ok = ov >= 0
        pos = ov[ok] * n_years + oy[ok]
        for column in ("collective_income", "per_capita_income"):
            values = np.full(n * n_years, np.nan)
            values[pos] = outcomes[column].to_numpy(dtype=float, na_value=np.nan)[ok]
            columns[column] = values
        active = pd.array(np.zeros(n * n_years, dtype=bool), dtype="boolean")
        active[:] = pd.NA
        active[pos] = outcomes["industry_active"].astype("boolean").to_numpy()[ok]
        columns["industry_active"] = active
        del ov, oy, ok, pos, values, active
    del outcomes
    _release(tables, "outcomes", release_inputs)
    baseline = [c for c in villages.columns if c not in ("village_id", "county", "township", "village_name")]
    for column in baseline:
        columns[column] = _spread(villages[column], village_pos)
    panel = pd.DataFrame(columns, copy=False)
    panel.attrs["endowment_indicators"] = list(index.attrs["indicators"])
    panel.attrs["endowment_weights"] = list(index.attrs["weights"])
    panel.attrs["rich_quantile"] = options.rich_quantile
    panel.attrs["need_indicators"] = list(need.attrs["indicators"])
    panel.attrs["need_weights"] = list(need.attrs["weights"])
    if need_note:
        panel.attrs["need_index_missing"] = need_note
    panel.attrs["reference_years"] = list(options.reference_years)
    return panel
