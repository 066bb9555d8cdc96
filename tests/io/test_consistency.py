"""Checks across tables on typed text columns (categoricals of Python strings) and on plain object columns.

Typed records hold their text as categoricals; the reference and list checks then look up each distinct value once
and reach the rows through the codes. These tests give the same tables both ways — as categoricals (with missing
cells and categories no row uses) and as plain object columns, looked up row by row — and compare the reports.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.io.consistency import check_references
from villageaid.io.lists import check_lists
from villageaid.io.problems import ValidationReport
from villageaid.schema import RAW_TABLES


def _table(name: str, columns: dict[str, list]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    frame = pd.DataFrame({c: columns.get(c, [None] * n) for c in RAW_TABLES[name].column_names})
    frame["_file"] = f"{name}.csv"
    frame["_row"] = np.arange(2, n + 2)
    return frame


def _as_categoricals(tables: dict[str, pd.DataFrame], unused: list[str]) -> dict[str, pd.DataFrame]:
    """The tables with every text column a categorical of objects; categories also hold ``unused`` values."""
    out = {}
    for name, frame in tables.items():
        frame = frame.copy()
        for column in frame.columns:
            if column.endswith("_id") or column in ("resource_type", "role"):
                values = frame[column].astype(object)
                present = [v for v in pd.unique(values) if isinstance(v, str)]
                categories = pd.Index([*unused, *(v for v in present if v not in unused)], dtype=object)
                frame[column] = pd.Categorical(values, categories=categories)
        out[name] = frame
    return out


def _tables(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    villages = [f"V{k}" for k in range(8)]
    units = [f"U{k}" for k in range(6)]
    pool_v = [*villages, "V9", "Vx", None]  # V9 and Vx are no village; None a missing cell
    pool_u = [*units, "U9", None]
    n = 60
    return {
        "villages": _table("villages", {"village_id": [*villages[:-1], None]}),
        "units": _table("units", {"unit_id": units[:-1]}),
        "assignments": _table("assignments", {
            "cadre_id": [f"C{k}" for k in range(n)], "unit_id": list(rng.choice(pool_u, n)),
            "village_id": list(rng.choice(pool_v, n)), "role": ["first_secretary"] * n,
            "start_date": pd.to_datetime(rng.choice(["2021-01-01", "2022-03-01"], n)), "end_date": [pd.NaT] * n}),
        "funding": _table("funding", {"village_id": list(rng.choice(pool_v, n)),
                                      "unit_id": list(rng.choice(pool_u, n))}),
        "designations": _table("designations", {"village_id": list(rng.choice(pool_v, 5))}),
        "outcomes": _table("outcomes", {"village_id": list(rng.choice(pool_v, 5))}),
        "needs": _table("needs", {"village_id": list(rng.choice(pool_v, 5))}),
        "unit_resources": _table("unit_resources", {
            "unit_id": list(rng.choice(pool_u, 30)),
            "resource_type": list(rng.choice(["cadre", "funding", "training", None], 30)),
            "capacity": list(rng.choice([0.0, 1.0, 2.5, 40.0, np.nan], 30))}),
    }


def _problems(report: ValidationReport) -> list[tuple]:
    return [(p.table, p.file, p.row, p.column, p.value, p.code, p.params) for p in report.problems]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("unused", [[], ["V7", "U5", "Vz"]])
def test_references_and_lists_report_the_same_on_categoricals_and_objects(seed: int, unused: list[str]) -> None:
    # The unused categories include a village (V7) and a unit (U5) that the home tables lack: a category no row
    # uses defines nothing and is referenced by nothing.
    plain = _tables(seed)
    typed = _as_categoricals(plain, unused)
    available = {name: set(RAW_TABLES[name].column_names) for name in RAW_TABLES}
    reports = []
    for tables in (plain, typed):
        report = ValidationReport()
        check_references(tables, available, report)
        check_lists(tables, available, report)
        reports.append(_problems(report))
    assert reports[0] == reports[1]
    codes = {p[5] for p in reports[0]}
    assert "undefined_reference" in codes and codes & {"slots_not_whole", "slots_below_posts", "unit_no_posts"}


def _overlaps_one_by_one(group: np.ndarray, start: np.ndarray, end: np.ndarray, usable: np.ndarray, *,
                         strict: bool) -> list[tuple[int, int]]:
    """The overlap rule posting by posting (the reference): in order of group, start and row, a posting that starts
    before (or on) the latest end among its group's earlier postings overlaps the last of them ending then."""
    order = sorted(np.flatnonzero(usable), key=lambda i: (group[i], start[i], i))
    pairs, earlier = [], {}
    for i in order:
        before = earlier.setdefault(group[i], [])
        if before:
            latest = max(end[j] for j in before)
            if start[i] < latest or (not strict and start[i] == latest):
                pairs.append((int(i), int([j for j in before if end[j] == latest][-1])))
        before.append(i)
    return pairs


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("strict", [False, True])
def test_overlaps_leave_out_postings_alone_in_their_group_without_changing_the_pairs(seed: int, strict: bool) -> None:
    from villageaid.io.consistency import _overlaps

    rng = np.random.default_rng(seed)
    n = 400
    group = rng.integers(0, [5, 50, 300, 400, 2000, 400, 100, 10][seed], n)  # from crowded groups to lone postings
    start = rng.integers(0, 40, n).astype(np.int64)
    end = start + rng.integers(-2, 15, n)
    end[rng.random(n) < 0.1] = np.iinfo(np.int64).max  # open-ended postings
    usable = rng.random(n) < 0.9
    expected = _overlaps_one_by_one(group, start, end, usable, strict=strict)
    assert _overlaps(group, start, end, usable, strict=strict) == expected
    if seed < 3:
        assert expected


@pytest.mark.parametrize("seed", range(6))
def test_duplicated_rows_narrowed_column_by_column_equals_pandas(seed: int) -> None:
    # Rows alone in their group after some counted columns are left out of the rest: the rows flagged are those
    # pandas flags, whatever the order of counted and hashed columns, with missing values, unused categories,
    # floats (-0.0 and 0.0, NaN) and integers too wide to count.
    from villageaid.io.consistency import duplicated_rows

    rng = np.random.default_rng(seed)
    n = 3_000
    spread = [2, 5, 40, 400, 3000, 10][seed]
    frame = pd.DataFrame({
        "village_id": pd.Categorical(rng.choice([f"V{k}" for k in range(spread)] + [None], n),
                                     categories=[f"V{k}" for k in range(spread + 5)]),
        "year": pd.array(rng.choice([2019, 2020, None], n), dtype="Int64"),
        "amount": rng.choice([0.0, -0.0, 1.5, np.nan], n),
        "source": pd.Categorical(rng.choice(["unit", "county"], n)),
        "unit_id": pd.Categorical(rng.choice([f"U{k}" for k in range(spread)], n)),
        "wide": rng.choice([0, 2**62, -(2**62)], n),
        "small": rng.integers(0, 2, n),
    })
    names = list(frame.columns)
    for columns in (names, names[::-1], ["village_id", "year"], ["village_id", "unit_id", "small"],
                    ["amount", "village_id"], ["wide", "small"], [names[k] for k in rng.permutation(len(names))]):
        expected = frame.duplicated(columns, keep=False).to_numpy()
        assert (duplicated_rows(frame, columns) == expected).all(), columns
    assert not duplicated_rows(frame.iloc[:1], names).any() and duplicated_rows(frame.iloc[:0], names).size == 0
    twice = pd.concat([frame.iloc[:5]] * 2, ignore_index=True)
    assert duplicated_rows(twice, names).all()
