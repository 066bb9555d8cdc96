"""Every kind of bad input gets a clear problem naming table, file, row, column, value and rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import tree_hashes, write_tables
from villageaid.io import read_raw
from villageaid.io.problems import Problem


def _problems(directory: Path, **kwargs) -> list[Problem]:
    return read_raw(directory, **kwargs).report.problems


def _only(problems: list[Problem], severity: str = "error") -> Problem:
    chosen = [p for p in problems if p.severity == severity]
    assert len(chosen) == 1, "\n".join(p.format() for p in problems)
    return chosen[0]


def test_valid_directory_has_no_problems(valid_dir: Path) -> None:
    raw = read_raw(valid_dir)
    assert raw.report.problems == []
    assert raw.report.ok
    assert len(raw.tables["funding"]) == 4
    assert raw.tables["funding"]["amount"].tolist() == [10.5, 20.0, 5.0, 0.0]


def test_missing_required_column(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["assignments"] = valid_csv["assignments"].replace(",role,", ",").replace(",first_secretary,", ",") \
        .replace(",team_member,", ",")
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.table, p.file, p.row, p.column) == ("assignments", "assignments.csv", None, "role")
    assert "missing required column" in p.rule


def test_unexpected_column_is_a_warning(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["units"] = valid_csv["units"].replace("strength\n", "strength,colour\n")
    valid_csv["units"] = valid_csv["units"].replace("strong\n", "strong,red\n")
    raw = read_raw(write_tables(tmp_path, valid_csv))
    assert raw.report.ok
    p = _only(raw.report.problems, "warning")
    assert (p.file, p.column) == ("units.csv", "colour")
    assert "unexpected column" in p.rule


def test_duplicate_key(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["villages"] += "V2,K,T2,10,0,0.1,2\n"
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.table, p.row, p.column, p.value) == ("villages", 5, "village_id", "V2")
    assert "duplicate key" in p.rule and "row 3" in p.rule


def test_missing_key(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["villages"] += ",K,T2,10,0,0.1,2\n"
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.table, p.row, p.column) == ("villages", 5, "village_id")
    assert "missing key" in p.rule


@pytest.mark.parametrize(
    ("value", "rule"),
    [("12a", "non-numeric amount"), ("-3", "negative amount")],
)
def test_bad_amount(tmp_path: Path, valid_csv: dict[str, str], value: str, rule: str) -> None:
    valid_csv["funding"] = valid_csv["funding"].replace("V2,2021,5,", f"V2,2021,{value},")
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.table, p.file, p.row, p.column, p.value) == ("funding", "funding.csv", 4, "amount", value)
    assert rule in p.rule


def test_year_out_of_range(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["funding"] = valid_csv["funding"].replace("V3,2021,", "V3,1921,")
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.row, p.column, p.value) == (5, "year", "1921")
    assert "year out of range" in p.rule


def test_unparseable_date(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["assignments"] = valid_csv["assignments"].replace("C3,U2,V3,first_secretary,2020-01-01",
                                                                "C3,U2,V3,first_secretary,next spring")
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.table, p.row, p.column, p.value) == ("assignments", 4, "start_date", "next spring")
    assert "unparseable date" in p.rule


def test_end_date_before_start_date(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["assignments"] = valid_csv["assignments"].replace("2020-01-01,2021-12-31\nC4",
                                                                "2020-01-01,2019-12-31\nC4")
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.row, p.column, p.value) == (4, "end_date", "2019-12-31")
    assert "end date before start date" in p.rule


def test_unknown_level_string(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["units"] = valid_csv["units"].replace("U2,K县民政局,county", "U2,K县民政局,民政局")
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.table, p.row, p.column, p.value) == ("units", 3, "level", "民政局")
    assert "unknown unit level" in p.rule


def test_free_text_levels_are_normalized(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["units"] = valid_csv["units"].replace("U1,X市财政局,city", "U1,X市财政局,X市财政局") \
        .replace("U2,K县民政局,county", "U2,K县民政局,县派")
    raw = read_raw(write_tables(tmp_path, valid_csv))
    assert raw.report.ok
    assert raw.tables["units"]["level"].tolist() == ["city", "county"]


def test_village_referenced_but_not_defined(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["funding"] = valid_csv["funding"].replace("V2,2021,5", "V9,2021,5")
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.table, p.row, p.column, p.value) == ("funding", 4, "village_id", "V9")
    assert "not defined in the villages table" in p.rule


def test_unit_referenced_but_not_defined(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["assignments"] = valid_csv["assignments"].replace("C4,U2,", "C4,U7,")
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.table, p.row, p.column, p.value) == ("assignments", 5, "unit_id", "U7")
    assert "not defined in the units table" in p.rule


def test_one_cadre_in_two_villages_at_once(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["assignments"] += "C1,U1,V3,team_member,2020-03-01,2020-12-31\n"
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.table, p.row, p.column, p.value) == ("assignments", 6, "cadre_id", "C1")
    assert "two villages at the same time" in p.rule and "V1" in p.rule and "row 2" in p.rule


def test_overlap_with_a_long_earlier_posting_is_found(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    # C1 serves V1 2019-06-01..2021-05-31; a short second posting in V1 ends, then V3 overlaps the first.
    valid_csv["assignments"] += "C1,U1,V1,team_member,2019-07-01,2019-08-01\nC1,U1,V3,team_member,2020-03-01,\n"
    problems = _problems(write_tables(tmp_path, valid_csv))
    error = _only(problems, "error")
    assert error.row == 7 and "V1" in error.rule and "row 2" in error.rule
    warning = _only(problems, "warning")
    assert warning.row == 6 and "same village" in warning.rule


def test_consecutive_postings_of_one_cadre_are_fine(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["assignments"] += "C1,U1,V3,team_member,2021-06-01,\n"
    assert read_raw(write_tables(tmp_path, valid_csv)).report.problems == []


def test_empty_file(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["outcomes"] = ""
    p = _only(_problems(write_tables(tmp_path, valid_csv)))
    assert (p.table, p.file, p.row) == ("outcomes", "outcomes.csv", None)
    assert "empty file" in p.rule


def test_header_without_rows_in_required_table(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["funding"] = "village_id,year,amount,source\n"
    problems = _problems(write_tables(tmp_path, valid_csv))
    assert any(p.table == "funding" and "no data rows" in p.rule and p.severity == "error" for p in problems)


def test_undecodable_text(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    directory = write_tables(tmp_path, valid_csv)
    (directory / "units.csv").write_bytes(b"unit_id,level\nU1,city\nU2,\xff\xfe\xfa\n")
    problems = _problems(directory)
    p = next(p for p in problems if p.file == "units.csv")
    assert p.row == 3
    assert "undecodable text" in p.rule


def test_required_table_missing(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    del valid_csv["units"]
    valid_csv["funding"] = valid_csv["funding"].replace("U1", "")
    valid_csv["assignments"] = "cadre_id,unit_id,village_id,role,start_date\n"
    problems = _problems(write_tables(tmp_path, valid_csv))
    missing = [p for p in problems if "required table missing" in p.rule]
    assert [p.table for p in missing] == ["units"]


def test_every_problem_is_collected(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["funding"] = valid_csv["funding"].replace("10.5", "ten").replace("V2,2021,5", "V2,1800,-5")
    valid_csv["units"] = valid_csv["units"].replace(",city,", ",somewhere,")
    report = read_raw(write_tables(tmp_path, valid_csv)).report
    rules = [(p.file, p.row, p.column) for p in report.errors]
    assert ("funding.csv", 2, "amount") in rules
    assert ("funding.csv", 4, "year") in rules
    assert ("funding.csv", 4, "amount") in rules
    assert ("units.csv", 2, "level") in rules
    assert len(report.errors) == 4


def test_input_files_are_never_modified(tmp_path: Path, valid_csv: dict[str, str]) -> None:
    valid_csv["funding"] = valid_csv["funding"].replace("10.5", "ten")
    directory = write_tables(tmp_path, valid_csv)
    before = tree_hashes(directory)
    read_raw(directory)
    assert tree_hashes(directory) == before


def test_hashed_duplicate_test_equals_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    # The national-scale duplicate test hashes rows first; it must flag exactly the rows pandas flags,
    # with NaN equal to NaN, -0.0 equal to 0.0, categoricals, nullable integers and missing values.
    import numpy as np
    import pandas as pd

    from villageaid.io import consistency as validate_module

    rng = np.random.default_rng(3)
    n = 2_000
    other_nan = np.array([0x7FF8000000000001], dtype=np.int64).view(np.float64)[0]  # NaN, another payload
    frame = pd.DataFrame({
        "population": rng.integers(0, 25, n),
        "village_id": pd.Categorical(rng.choice(["V1", "V2", "V3", None], n)),
        "year": pd.array(rng.choice([2019, 2020, None], n), dtype="Int64"),
        "amount": rng.choice([0.0, -0.0, 1.5, np.nan, other_nan], n),
        "source": rng.choice(["unit", "county"], n).astype(object),
    })
    frame["amount"] = frame["amount"].astype(float)
    columns = list(frame.columns)
    expected = frame.duplicated(columns, keep=False).to_numpy()
    assert expected.any() and not expected.all()
    assert (validate_module.duplicated_rows(frame, columns) == expected).all()
    assert (validate_module.duplicated_rows(frame, ["village_id", "year"])
            == frame.duplicated(["village_id", "year"], keep=False).to_numpy()).all()
    # Every row sharing one hash (as if all collided): the exact comparison still decides.
    monkeypatch.setattr(validate_module, "_row_hashes",
                        lambda f, c, rows=None, start=None: np.zeros(len(f) if rows is None else len(rows),
                                                                     dtype=np.uint64))
    assert (validate_module.duplicated_rows(frame, columns) == expected).all()


@pytest.mark.parametrize("seed", range(4))
def test_hashed_duplicate_test_on_categorical_codes_equals_pandas(seed: int) -> None:
    # Categorical columns are hashed by their codes: rows pandas flags are flagged, with many and unused
    # categories, categories in any order, missing values and columns of one category.
    import numpy as np
    import pandas as pd

    from villageaid.io.consistency import duplicated_rows

    rng = np.random.default_rng(seed)
    n = 5_000
    ids = [f"K{k:05d}" for k in range(3_000)]
    frame = pd.DataFrame({
        "cadre_id": pd.Categorical(rng.choice(ids, n), categories=[*ids[::-1], "unused"]),
        "village_id": pd.Categorical(rng.choice(["V1", "V2", None], n)),
        "role": pd.Categorical(np.full(n, "team_member")),
        "year": rng.integers(2019, 2021, n),
    })
    for columns in (list(frame.columns), ["cadre_id"], ["village_id", "role"], ["village_id", "year"]):
        expected = frame.duplicated(columns, keep=False).to_numpy()
        assert (duplicated_rows(frame, columns) == expected).all()


def _check_keys_before(table: str, frame, report) -> None:
    """check_keys as it was before whole-record duplicates were looked for among repeated keys only (reference)."""
    import numpy as np

    from villageaid.io.consistency import report_duplicates
    from villageaid.schema import RAW_TABLES

    schema = RAW_TABLES[table]
    if frame.empty:
        return
    columns = list(schema.column_names)
    complete_required = frame[list(schema.required_columns)].notna().all(axis=1).to_numpy()
    whole = complete_required & frame.duplicated(columns, keep=False).to_numpy()
    if schema.key:
        key = list(schema.key)
        complete = frame[key].notna().all(axis=1).to_numpy()
        dup = complete & frame.duplicated(key, keep=False).to_numpy()
    else:
        key, dup = columns, whole
    if not dup.any():
        return
    # the same rows, reported as check_keys reports them
    report_duplicates(table, frame, report, np.flatnonzero(dup), key, columns, whole)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("table", ["outcomes", "funding", "needs", "assignments", "villages"])
def test_check_keys_reports_as_before(table: str, seed: int) -> None:
    # Duplicate keys and whole-record duplicates are reported at the same rows, with the same values and partners,
    # as by the reference above (pandas' duplicated over every row), on typed tables with repeated keys, repeated
    # records, missing keys, hostile years (out of range, missing) and NaN amounts.
    import numpy as np
    import pandas as pd

    from villageaid.io.consistency import check_keys
    from villageaid.io.problems import ValidationReport
    from villageaid.schema import RAW_TABLES

    rng = np.random.default_rng(seed)
    n = 3_000
    schema = RAW_TABLES[table]
    data = {}
    for col in schema.columns:
        if col.kind in ("id", "text"):
            values = rng.choice([f"X{k}" for k in range(40)] + [None], n)
            data[col.name] = pd.Categorical(values)
        elif col.kind == "enum":
            data[col.name] = pd.Categorical(rng.choice([*col.allowed[:3], None], n), categories=list(col.allowed))
        elif col.kind in ("year", "int"):
            years = rng.choice([2019, 2020, 2021, -5, 10**12, None], n, p=[0.3, 0.3, 0.3, 0.03, 0.03, 0.04])
            data[col.name] = pd.array(years, dtype="Int64")
        elif col.kind == "bool":
            data[col.name] = pd.array(rng.choice([True, False, None], n), dtype="boolean")
        elif col.kind == "date":
            data[col.name] = pd.to_datetime(rng.choice(["2020-01-01", "2021-06-30", None], n))
        else:
            data[col.name] = rng.choice([0.0, -0.0, 1.5, np.nan], n)
    frame = pd.DataFrame(data)
    frame = pd.concat([frame, frame.iloc[rng.integers(0, n, 200)]], ignore_index=True)  # records given twice
    frame["_file"] = pd.Categorical(np.where(np.arange(len(frame)) % 2, "a.csv", "b.csv"))
    frame["_row"] = np.arange(2, len(frame) + 2)
    new, old = ValidationReport(), ValidationReport()
    check_keys(table, frame, new)
    _check_keys_before(table, frame, old)
    assert old.problems and [p.__dict__ for p in new.problems] == [p.__dict__ for p in old.problems]


def test_dense_duplicate_test_equals_pandas_on_wide_and_missing_integers() -> None:
    # Integers spanning more values than the rows (hashed, not counted), integers with missing values, a categorical
    # with unused categories and columns counted together beyond the limit all flag what pandas flags.
    import numpy as np
    import pandas as pd

    from villageaid.io.consistency import duplicated_rows

    rng = np.random.default_rng(11)
    n = 4_000
    frame = pd.DataFrame({
        "wide": rng.choice([0, 2**62, -(2**62), 7], n),
        "year": pd.array(rng.choice([2019, 2020, None], n), dtype="Int64"),
        "village_id": pd.Categorical(rng.choice([f"V{k}" for k in range(300)], n),
                                     categories=[f"V{k}" for k in range(400)]),
        "unit_id": pd.Categorical(rng.choice([f"U{k}" for k in range(300)], n)),
        "small": rng.integers(0, 3, n),
    })
    for columns in (["wide"], ["year"], ["wide", "year"], ["village_id", "unit_id"], ["village_id", "unit_id", "small"],
                    list(frame.columns)):
        expected = frame.duplicated(columns, keep=False).to_numpy()
        assert (duplicated_rows(frame, columns) == expected).all(), columns
