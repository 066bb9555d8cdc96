"""The former assignment measures of :mod:`villageaid.panel.village_year` (before issue 27), kept as the reference
the rewritten ones must equal bit for bit: postings × years day counts (dense), summed year by year with
``np.bincount``, and the first secretary chosen by a packed key per year.

Copied verbatim from ``src/villageaid/panel/village_year.py`` at b6c5c22 (only the imports added; its unused
``_overlap_days`` left out).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.panel.village_year import _STRENGTH_SCORE, _category_codes, _positions


def _overlap_days_by_year(start: np.ndarray, end: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Days of each posting (columns) falling in each year (rows), as int32; 0 where a date is missing.

    Year-major, so that each year's days are contiguous for the yearly sums; computed on day numbers (int64), the
    same integers as the dates' differences.
    """
    days = np.empty((len(years), len(start)), dtype=np.int32)
    start_d = start.astype("datetime64[D]")
    end_d = end.astype("datetime64[D]")
    dated = ~(np.isnat(start_d) | np.isnat(end_d))
    start_n, end_n = start_d.view(np.int64), end_d.view(np.int64)
    for t, year in enumerate(years):
        first = int(np.datetime64(f"{year:04d}-01-01", "D").view(np.int64))
        last = int(np.datetime64(f"{year:04d}-12-31", "D").view(np.int64))
        span = np.minimum(end_n, last) - np.maximum(start_n, first) + 1
        days[t] = np.where(dated, np.clip(span, 0, None), 0)
    return days


def _assignment_measures(assignments: pd.DataFrame, units: pd.DataFrame, village_ids: pd.Index,
                         years: np.ndarray) -> dict[str, np.ndarray]:
    n, n_years = len(village_ids), len(years)
    village = _positions(village_ids, assignments["village_id"])
    unit = _positions(pd.Index(units["unit_id"].astype(object)), assignments["unit_id"])
    keep = (village >= 0) & (unit >= 0) & assignments["start_date"].notna().to_numpy()
    frame = assignments.loc[keep]
    village, unit = village[keep], unit[keep]
    end_of_panel = np.datetime64(f"{years[-1]:04d}-12-31")
    start = frame["start_date"].to_numpy(dtype="datetime64[D]")
    end = frame["end_date"].to_numpy(dtype="datetime64[D]")
    end = np.where(np.isnat(end), end_of_panel, end)
    # Year-major (years × postings): each year's days are contiguous for its sums, and the measures are summed
    # year by year into year-major arrays, made villages × years at the end (the same values).
    days = _overlap_days_by_year(start, end, years)
    days_in_year = np.array([366 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 365 for y in years])

    score = units["strength"].astype(object).map(_STRENGTH_SCORE).to_numpy(dtype=float, na_value=np.nan)[unit]
    scored = ~np.isnan(score)
    team_size = np.zeros((n_years, n))
    strength_num = np.zeros((n_years, n))
    strength_den = np.zeros((n_years, n))
    # The scored postings (and the scored team members') are selected once, not once a year.
    scored_village, scored_days, scored_score = village[scored], days[:, scored], score[scored]
    for t in range(n_years):
        team_size[t] = np.bincount(village, weights=days[t], minlength=n) / days_in_year[t]
        strength_num[t] = np.bincount(scored_village, weights=scored_days[t] * scored_score, minlength=n)
        strength_den[t] = np.bincount(scored_village, weights=scored_days[t], minlength=n)
    member = _category_codes(frame["role"], ("team_member",)) == 0
    members_num = np.zeros((n_years, n))
    members_den = np.zeros((n_years, n))
    scored_member = scored & member
    member_village, member_days, member_score = village[scored_member], days[:, scored_member], score[scored_member]
    del scored_days
    for t in range(n_years):
        members_num[t] = np.bincount(member_village, weights=member_days[t] * member_score, minlength=n)
        members_den[t] = np.bincount(member_village, weights=member_days[t], minlength=n)
    del member_days
    with np.errstate(invalid="ignore", divide="ignore"):
        team_strength = np.ascontiguousarray(np.where(strength_den > 0, strength_num / strength_den, np.nan).T)
        members_strength = np.ascontiguousarray(np.where(members_den > 0, members_num / members_den, np.nan).T)
    team_size = np.ascontiguousarray(team_size.T)
    del strength_num, strength_den, members_num, members_den

    # First secretary of the year: the posting covering most days (ties: the later start).
    is_fs = _category_codes(frame["role"], ("first_secretary",)) == 0
    fs_choice = _first_secretary_postings(village[is_fs], days[:, is_fs].T, start[is_fs].astype(np.int64), n)
    fs_unit = unit[is_fs]
    fs_choice = np.where(fs_choice >= 0, fs_unit[np.maximum(fs_choice, 0)], -1)
    return {"team_size": team_size, "team_strength_index": team_strength, "members_strength_index": members_strength,
            "first_secretary_unit": fs_choice}


def _first_secretary_postings(village: np.ndarray, days: np.ndarray, start: np.ndarray, n_villages: int
                              ) -> np.ndarray:
    """Return the posting chosen as each village's first secretary of each year (villages × years; -1: none).

    The chosen posting covers the most days of the year; ties go to the later start, then to the earlier
    record. Each posting's rank is packed into one int64 (days, start rank, record order) so a year takes
    one maximum per village over postings sorted by village once, instead of a sort per year.
    """
    m, n_years = days.shape
    choice = np.full((n_villages, n_years), -1, dtype=np.int64)
    if m == 0:
        return choice
    _, start_rank = np.unique(start, return_inverse=True)
    bits = max(int(m).bit_length(), 1)
    if 9 + 2 * bits > 63:  # 366 days need 9 bits
        raise ValueError(f"{m:,} first-secretary postings are too many to rank in one 64-bit key")
    order = np.argsort(village, kind="stable")
    sorted_village = village[order]
    starts = np.flatnonzero(np.r_[True, sorted_village[1:] != sorted_village[:-1]])
    tie_break = (start_rank[order].astype(np.int64) << bits) | (m - 1 - order)
    for t in range(n_years):
        key = (days[order, t].astype(np.int64) << (2 * bits)) | tie_break
        best = np.maximum.reduceat(key, starts)
        served = (best >> (2 * bits)) > 0
        choice[sorted_village[starts[served]], t] = m - 1 - (best[served] & ((1 << bits) - 1))
    return choice


