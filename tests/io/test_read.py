"""Reading county ledgers: encodings, formats, Chinese headers, amount units, names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import VALID_CSV, write_tables
from villageaid.io import load_header_map, read_raw
from villageaid.io.pseudonym import pseudonymize

CHINESE_FUNDING = """村庄编号,年份,帮扶资金（元）,资金来源,项目类型
V1,2020,"105,000",派出单位,产业
V1,2020,200000,县级统筹,基础设施
V2,2021,50000,上级财政,
V3,2021,0,社会资金,
"""

CHINESE_ASSIGNMENTS = """姓名,派出单位编号,村庄编号,职务,驻村开始时间,驻村结束时间
张三,U1,V1,第一书记,2019年6月1日,2021/5/31
李四,U2,V2,驻村第一书记,43617,
王五,U2,V3,第一书记,2020.1.1,2021-12-31
赵六,U2,V1,队员,2020-01-01,2021年12月31日
"""


def _chinese_tables() -> dict[str, str]:
    tables = dict(VALID_CSV)
    tables["funding"] = CHINESE_FUNDING
    tables["assignments"] = CHINESE_ASSIGNMENTS
    return tables


def test_chinese_headers_values_units_and_dates(tmp_path: Path) -> None:
    raw = read_raw(write_tables(tmp_path, _chinese_tables()), salt=b"9f2c41d7e8a6b35c0f1e2d3c4b5a6978")
    assert raw.report.problems == []
    funding = raw.tables["funding"]
    assert funding["amount"].tolist() == [10.5, 20.0, 5.0, 0.0]  # 元 → 万元
    assert funding["source"].tolist() == ["unit", "county", "higher", "social"]
    assignments = raw.tables["assignments"]
    assert assignments["role"].tolist() == ["first_secretary"] * 3 + ["team_member"]
    assert assignments["start_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2019-06-01", "2019-06-01", "2020-01-01", "2020-01-01"]
    assert assignments["end_date"].dt.strftime("%Y-%m-%d").fillna("").tolist() == [
        "2021-05-31", "", "2021-12-31", "2021-12-31"]


def test_names_are_replaced_by_salted_pseudonyms(tmp_path: Path) -> None:
    raw = read_raw(write_tables(tmp_path, _chinese_tables()), salt=b"9f2c41d7e8a6b35c0f1e2d3c4b5a6978")
    assignments = raw.tables["assignments"]
    assert "name" not in assignments.columns
    text = assignments.to_csv()
    for name in ("张三", "李四", "王五", "赵六"):
        assert name not in text
    ids = assignments["cadre_id"].tolist()
    assert len(set(ids)) == 4 and all(i.startswith("P") and len(i) == 17 for i in ids)
    other = read_raw(write_tables(tmp_path / "again", _chinese_tables()), salt=b"0a1b2c3d4e5f60718293a4b5c6d7e8f9")
    assert set(other.tables["assignments"]["cadre_id"]).isdisjoint(ids)


def test_names_without_salt_are_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VILLAGEAID_SALT", raising=False)
    report = read_raw(write_tables(tmp_path, _chinese_tables())).report
    assert any("holds names" in p.rule and p.column == "姓名" for p in report.errors)


def test_pseudonyms_are_stable_and_trim_whitespace() -> None:
    a = pseudonymize(pd.Series(["张三", " 张三 ", None]), b"s")
    assert a[0] == a[1] and pd.isna(a[2])


def test_gbk_encoded_csv(tmp_path: Path) -> None:
    directory = write_tables(tmp_path, _chinese_tables(), encoding="gbk")
    raw = read_raw(directory, salt=b"9f2c41d7e8a6b35c0f1e2d3c4b5a6978")
    assert raw.report.problems == []
    assert raw.tables["units"]["unit_name"].tolist() == ["X市财政局", "K县民政局"]


def test_utf8_with_bom(tmp_path: Path) -> None:
    tables = dict(VALID_CSV)
    directory = write_tables(tmp_path, tables)
    (directory / "units.csv").write_bytes(b"\xef\xbb\xbf" + VALID_CSV["units"].encode("utf-8"))
    assert read_raw(directory).report.problems == []


def test_amount_unit_option_applies_when_header_declares_none(tmp_path: Path) -> None:
    tables = dict(VALID_CSV)
    tables["funding"] = tables["funding"].replace("10.5", "105000").replace(",20,", ",200000,") \
        .replace(",5,", ",50000,")
    raw = read_raw(write_tables(tmp_path, tables), amount_unit="yuan")
    assert raw.tables["funding"]["amount"].tolist() == [10.5, 20.0, 5.0, 0.0]


def test_parquet_tables(tmp_path: Path, valid_dir: Path) -> None:
    out = tmp_path / "pq"
    out.mkdir()
    for csv in valid_dir.glob("*.csv"):
        pd.read_csv(csv, dtype=str, keep_default_na=False).to_parquet(out / f"{csv.stem}.parquet")
    raw = read_raw(out)
    assert raw.report.problems == []
    assert raw.tables["funding"]["amount"].tolist() == [10.5, 20.0, 5.0, 0.0]


def test_parquet_rows_are_record_numbers(tmp_path: Path, valid_dir: Path) -> None:
    out = tmp_path / "pq"
    out.mkdir()
    for csv in valid_dir.glob("*.csv"):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        if csv.stem == "funding":
            frame.loc[2, "amount"] = "x"
        frame.to_parquet(out / f"{csv.stem}.parquet")
    problems = read_raw(out).report.errors
    assert [(p.file, p.row, p.column) for p in problems] == [("funding.parquet", 3, "amount")]


def test_one_workbook_with_a_sheet_per_table(tmp_path: Path, valid_dir: Path) -> None:
    out = tmp_path / "xl"
    out.mkdir()
    sheet_names = {"villages": "村庄", "units": "派出单位", "assignments": "驻村干部", "funding": "帮扶资金",
                   "designations": "designations", "outcomes": "outcomes"}
    with pd.ExcelWriter(out / "台账.xlsx") as writer:
        for name, sheet in sheet_names.items():
            frame = pd.read_csv(valid_dir / f"{name}.csv", dtype=str, keep_default_na=False)
            if name == "funding":
                frame["amount"] = pd.to_numeric(frame["amount"]).astype(object)
                frame.loc[1, "amount"] = "lots"
            if name == "assignments":  # Excel date cells
                frame["start_date"] = pd.to_datetime(frame["start_date"])
            frame.to_excel(writer, sheet_name=sheet, index=False)
    raw = read_raw(out)
    errors = raw.report.errors
    assert [(p.file, p.row, p.column, p.value) for p in errors] == [("台账.xlsx:帮扶资金", 3, "amount", "lots")]
    assert raw.tables["assignments"]["start_date"].dt.year.tolist() == [2019, 2019, 2020, 2020]


def test_one_workbook_per_table_with_excel_serial_dates(tmp_path: Path, valid_dir: Path) -> None:
    out = tmp_path / "xl"
    out.mkdir()
    for csv in valid_dir.glob("*.csv"):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        if csv.stem == "assignments":
            frame["start_date"] = [43617, 43617, 43831, 43831]  # Excel serial days
        frame.to_excel(out / f"{csv.stem}.xlsx", index=False)
    raw = read_raw(out)
    assert raw.report.problems == []
    assert raw.tables["assignments"]["start_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2019-06-01", "2019-06-01", "2020-01-01", "2020-01-01"]


def test_user_header_map_extends_the_shipped_one(tmp_path: Path) -> None:
    tables = dict(VALID_CSV)
    tables["资金台账"] = tables.pop("funding").replace("amount", "拨付金额")
    directory = write_tables(tmp_path / "d", tables)
    assert any("required table missing" in p.rule for p in read_raw(directory).report.errors)
    extra = tmp_path / "map.toml"
    extra.write_text('[tables]\n"资金台账" = "funding"\n[columns.funding]\n"拨付金额" = "amount"\n', encoding="utf-8")
    raw = read_raw(directory, header_map=load_header_map([extra]))
    assert raw.report.problems == []
    assert raw.tables["funding"]["amount"].sum() == pytest.approx(35.5, rel=1e-12)


def test_bad_header_map_is_reported(tmp_path: Path) -> None:
    extra = tmp_path / "map.toml"
    extra.write_text('[columns.funding]\n"金额" = "amountt"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown column 'amountt'"):
        load_header_map([extra])


def _typed_parquet_dir(tmp_path: Path, valid_dir: Path, *, row_group_size: int | None = None) -> Path:
    """The valid tables as Parquet with text as dictionaries and dates typed (as villageaid writes them)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp_path / "typed"
    out.mkdir()
    for csv in valid_dir.glob("*.csv"):
        frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
        for column in frame.columns:
            if column.endswith("_date"):
                frame[column] = pd.to_datetime(frame[column].replace("", None))
        table = pa.Table.from_pandas(frame, preserve_index=False)
        table = pa.table({name: (column.dictionary_encode() if column.type in (pa.string(), pa.large_string())
                                 else column)
                          for name, column in zip(table.column_names, table.columns, strict=True)})
        pq.write_table(table, out / f"{csv.stem}.parquet", row_group_size=row_group_size)
    return out


@pytest.mark.parametrize("row_group_size", [None, 1])
def test_parquet_dictionaries_and_typed_dates_read_as_text_and_dates(tmp_path: Path, valid_dir: Path,
                                                                      row_group_size: int | None) -> None:
    # Dictionary-encoded text stays categorical while read (one row group per record gives each its own
    # dictionary: they are unified); typed dates are not sent through text. Same tables as from CSV.
    from villageaid.io.read import _read_parquet

    typed_dir = _typed_parquet_dir(tmp_path, valid_dir, row_group_size=row_group_size)
    source = _read_parquet(typed_dir / "funding.parquet", "funding.parquet", "funding")
    assert isinstance(source.frame[0].dtype, pd.CategoricalDtype)
    typed, expected = read_raw(typed_dir), read_raw(valid_dir)
    assert typed.report.problems == []
    for name, frame in expected.tables.items():
        pd.testing.assert_frame_equal(typed.tables[name], frame, check_dtype=False, check_categorical=False)


def test_parquet_dictionary_with_repeated_or_null_values_is_decoded(tmp_path: Path) -> None:
    # Arrow allows a dictionary to hold the same text twice or a null; such a column is decoded, not
    # turned into a categorical (whose categories must be distinct).
    import pyarrow as pa
    import pyarrow.parquet as pq

    from villageaid.io.read import _text_categorical

    repeated = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2, None], type=pa.int32()),
                                              pa.array(["V1", "V1", None]))
    assert _text_categorical(pa.chunked_array([repeated])) is None
    clean = pa.DictionaryArray.from_arrays(pa.array([1, 0, None], type=pa.int32()), pa.array(["V1", "V2"]))
    assert _text_categorical(pa.chunked_array([clean])).astype(object).tolist()[:2] == ["V2", "V1"]
    from villageaid.io.read import _read_parquet

    twice = pa.DictionaryArray.from_arrays(pa.array([0, 1, 2, None], type=pa.int32()), pa.array(["V1", "V1", "V2"]))
    pq.write_table(pa.table({"village_id": twice}), tmp_path / "x.parquet")

    # (Parquet's writer merges the repeated text: whatever the reader gets, the values are the ones written.)
    column = _read_parquet(tmp_path / "x.parquet", "x.parquet", "villages").frame[0].astype(object)
    assert column.tolist()[:3] == ["V1", "V1", "V2"] and pd.isna(column.iloc[3])


def test_parquet_typed_date_out_of_range_is_reported_as_a_date(tmp_path: Path, valid_dir: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    typed_dir = _typed_parquet_dir(tmp_path, valid_dir)
    table = pq.read_table(typed_dir / "assignments.parquet")
    stamps = table.column("start_date").cast(pa.timestamp("ns")).to_pylist()
    stamps[0] = pd.Timestamp("2150-03-01").to_pydatetime()
    table = table.set_column(table.column_names.index("start_date"), "start_date",
                             pa.array(stamps, type=pa.timestamp("ns")))
    pq.write_table(table, typed_dir / "assignments.parquet")
    problems = read_raw(typed_dir).report.errors
    assert [(p.file, p.row, p.column, p.value) for p in problems] == [
        ("assignments.parquet", 1, "start_date", "2150-03-01")]


def _read_raw_before(directory: Path, salt: bytes | None) -> tuple[dict, object, dict]:
    """read_raw as it was before files were typed as they are read: read every file, then type every source."""
    from villageaid.io.codes import check_directory_codes, read_division_codes
    from villageaid.io.headers import load_header_map
    from villageaid.io.normalize import DATE_YEARS
    from villageaid.io.problems import ValidationReport
    from villageaid.io.read import read_sources
    from villageaid.io.validate import validate_sources

    report = ValidationReport()
    hmap = load_header_map()
    sources = read_sources(directory, hmap, report)
    units: dict = {}
    unreadable = {p.table for p in report.errors if p.table}
    tables = validate_sources(sources, hmap, report, salt=salt, date_years=DATE_YEARS, units=units,
                              found=unreadable, division_codes=read_division_codes(directory, report))
    check_directory_codes(directory, tables, report)
    return tables, report, units


@pytest.mark.parametrize("part", [pytest.param(0), *(pytest.param(k, marks=pytest.mark.slow) for k in range(1, 5))])
def test_typing_each_file_as_read_reports_as_before(tmp_path: Path, part: int) -> None:
    # Every case of the hostile corpus (non-numeric text, blanks, full-width digits, out-of-range values, broken
    # files, two sources of a table, workbooks): the same problems in the same order, the same counts of problems
    # not listed, the same tables and amount units as reading every file before typing any.
    from tests.io.hostile_corpus import build_corpus
    from villageaid.io import read_raw

    cases = [case for case in build_corpus() if not case.cli_only and not case.args]
    assert len(cases) > 50
    for k, case in list(enumerate(cases))[part::5]:  # a fifth of the corpus in the fast tier
        directory = tmp_path / f"case{k}"
        directory.mkdir()
        case.build(directory)
        salt = case.salt.encode() if case.salt else None
        raw = read_raw(directory, salt=salt)
        tables, report, units = _read_raw_before(directory, salt)
        assert [p.__dict__ for p in raw.report.problems] == [p.__dict__ for p in report.problems], case.name
        assert list(raw.report.suppressed.items()) == list(report.suppressed.items()), case.name
        assert raw.provenance.get("amount_units", {}) == units, case.name
        assert tables.keys() == raw.tables.keys(), case.name
        for name, frame in tables.items():
            assert frame.equals(raw.tables[name]) and frame.dtypes.equals(raw.tables[name].dtypes), (case.name, name)


@pytest.mark.parametrize("index_type", ["int8", "int16", "int32", "int64"])
def test_parquet_dictionary_codes_of_any_width_give_the_same_categorical(index_type: str) -> None:
    # The codes are taken in Arrow's own index width (never widened first): the categorical is the one pandas
    # builds from the values, missing cells included, with object categories in the dictionary's order.
    import pyarrow as pa

    from villageaid.io.read import _text_categorical

    indices = pa.array([2, 0, None, 1, 2, None, 0], type=getattr(pa, index_type)())
    chunks = [pa.DictionaryArray.from_arrays(indices, pa.array(["V3", "村一", "V1"])) for _ in range(2)]
    typed = _text_categorical(pa.chunked_array(chunks))
    values = ["V1", "V3", None, "村一", "V1", None, "V3"] * 2
    expected = pd.Series(pd.Categorical(values, categories=pd.Index(["V3", "村一", "V1"], dtype=object)))
    assert typed.equals(expected) and typed.dtype == expected.dtype
    assert typed.cat.categories.dtype == object
    assert typed.cat.codes.tolist() == expected.cat.codes.tolist()
