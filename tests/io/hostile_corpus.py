"""A corpus of bad, messy and hostile county ledgers, built on demand (never committed as data).

Each case writes a data directory from the small valid ledger of ``tests/conftest.py`` with one thing
broken or written the way real ledgers arrive, and says what must happen: ``error`` (exit 2 with a given
message code in the report), ``warn`` (read, exit 0, with a given warning) or ``read`` (read correctly,
with a check of the numbers). ``tests/io/test_hostile.py`` runs every case through the library and the
command line. To look at the corpus by hand::

    .venv/bin/python -m tests.io.hostile_corpus /tmp/corpus
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from tests.conftest import VALID_CSV, write_tables

STRONG_SALT = "7c1e9a4f0b2d6e8a3c5f7b9d1e3a5c7f"


@dataclass(frozen=True)
class Case:
    """One hostile input and what must come of it."""

    name: str
    build: Callable[[Path], None]
    expect: str  # "error", "warn" or "read"
    code: str | None = None
    check: Callable[[object, object], None] | None = None
    args: tuple[str, ...] = ()
    salt: str | None = None
    cli_only: bool = False  # refused by the command line before reading (salt, --out)
    max_errors: int | None = None
    extra: dict = field(default_factory=dict)


def _tables(**changes: str | None) -> dict[str, str]:
    tables = dict(VALID_CSV)
    for name, text in changes.items():
        if text is None:
            tables.pop(name)
        else:
            tables[name] = text
    return tables


def _replace(table: str, old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def build(directory: Path) -> None:
        text = VALID_CSV[table]
        assert old in text, (table, old)
        write_tables(directory, _tables(**{table: text.replace(old, new, count)}))
    return build


def _with_files(files: dict[str, bytes], drop: tuple[str, ...] = (), **changes: str) -> Callable[[Path], None]:
    def build(directory: Path) -> None:
        tables = _tables(**changes)
        for name in drop:
            tables.pop(name)
        write_tables(directory, tables)
        for file_name, data in files.items():
            (directory / file_name).write_bytes(data)
    return build


def _frame(table: str) -> pd.DataFrame:
    import io

    return pd.read_csv(io.StringIO(VALID_CSV[table]), dtype=str, keep_default_na=False)


def _as_parquet(table: str, frame: pd.DataFrame | Callable[[], object]) -> Callable[[Path], None]:
    def build(directory: Path) -> None:
        tables = _tables(**{table: None})
        write_tables(directory, tables)
        data = frame() if callable(frame) else frame
        if isinstance(data, pd.DataFrame):
            data.to_parquet(directory / f"{table}.parquet")
        else:  # a pyarrow table
            import pyarrow.parquet as pq

            pq.write_table(data, directory / f"{table}.parquet")
    return build


def _workbook(sheets: dict[str, pd.DataFrame], file_name: str = "台账.xlsx", hidden: tuple[str, ...] = (),
              keep_csv: tuple[str, ...] = (), title_rows: dict[str, list[str]] | None = None,
              formulas: dict[str, tuple[str, str]] | None = None) -> Callable[[Path], None]:
    def build(directory: Path) -> None:
        from openpyxl import Workbook

        tables = {k: v for k, v in VALID_CSV.items() if k in keep_csv}
        write_tables(directory, tables)
        book = Workbook()
        book.remove(book.active)
        for sheet_name, frame in sheets.items():
            ws = book.create_sheet(sheet_name)
            for title in (title_rows or {}).get(sheet_name, []):
                ws.append([title])
            ws.append(list(frame.columns))
            for record in frame.itertuples(index=False):
                ws.append([None if (isinstance(v, float) and np.isnan(v)) else v for v in record])
            if sheet_name in hidden:
                ws.sheet_state = "hidden"
            for cell, formula in (formulas or {}).get(sheet_name, {}).items() if formulas else []:
                ws[cell] = formula
        book.save(directory / file_name)
    return build


def _all_sheets(names: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
    names = names or {}
    return {names.get(t, t): _frame(t) for t in VALID_CSV}


# --- checks of what was read -----------------------------------------------------------------------

def _amounts(expected: list[float]) -> Callable[[object, object], None]:
    def check(raw, base) -> None:
        got = raw.tables["funding"]["amount"].tolist()
        assert np.allclose(got, expected, rtol=1e-12, atol=0), got
    return check


def _same_as_base(*tables: str) -> Callable[[object, object], None]:
    def check(raw, base) -> None:
        for name in tables or tuple(VALID_CSV):
            a, b = raw.tables[name], base.tables[name]
            assert len(a) == len(b), name
            for column in b.columns:
                left, right = a[column].astype(object).tolist(), b[column].astype(object).tolist()
                assert [None if pd.isna(x) else x for x in left] == [None if pd.isna(x) else x for x in right], \
                    (name, column, left, right)
    return check


def _one_county(raw, base) -> None:
    assert raw.tables["villages"]["county"].nunique() == 1, raw.tables["villages"]["county"].tolist()


def _column_equals(table: str, column: str, expected: list) -> Callable[[object, object], None]:
    def check(raw, base) -> None:
        got = raw.tables[table][column].astype(object).tolist()
        got = [None if pd.isna(v) else (v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else v) for v in got]
        if all(isinstance(v, float) for v in expected):
            assert np.allclose(np.array(got, dtype=float), expected, rtol=1e-12, atol=0), got
        else:
            assert got == expected, got
    return check


BASE_AMOUNTS = [10.5, 20.0, 5.0, 0.0]
FUNDING_YUAN = """village_id,year,{header},source,unit_id
V1,2020,{a},unit,U1
V1,2020,{b},county,
V2,2021,{c},higher,
V3,2021,0,social,
"""


def _funding_in(header: str, factor: float) -> str:
    a, b, c = (f"{v * factor:.10g}" for v in BASE_AMOUNTS[:3])
    return FUNDING_YUAN.format(header=header, a=a, b=b, c=c)


def build_corpus() -> list[Case]:
    """Return every case of the corpus."""
    funding = VALID_CSV["funding"]
    villages = VALID_CSV["villages"]
    units = VALID_CSV["units"]
    assignments = VALID_CSV["assignments"]
    cases: list[Case] = []
    add = cases.append

    # --- one table from two sources, records pasted twice ------------------------------------------
    add(Case("funding_and_zijin_csv", _with_files({"资金.csv": funding.encode()}), "error", "two_sources"))
    add(Case("funding_csv_and_xlsx", _workbook({"funding": _frame("funding")}, "funding.xlsx",
                                               keep_csv=tuple(VALID_CSV)), "error", "two_sources"))
    add(Case("hidden_sheet_duplicates_funding", _workbook({**_all_sheets(), "项目资金": _frame("funding")},
                                                          hidden=("项目资金",)), "error", "two_sources"))
    add(Case("funding_csv_and_parquet", lambda d: (write_tables(d, _tables()),
                                                   _frame("funding").to_parquet(d / "funding.parquet")),
             "error", "two_sources"))
    add(Case("villages_twice_by_codebook_name", _with_files({"村庄基本情况.csv": villages.encode()}), "error",
             "two_sources"))
    add(Case("funding_rows_pasted_twice", _replace("funding", "V2,2021,5,higher,\n",
                                                   "V2,2021,5,higher,\nV2,2021,5,higher,\n"), "error",
             "duplicate_record"))
    add(Case("all_funding_pasted_twice", lambda d: write_tables(d, _tables(
        funding=funding + "".join(funding.splitlines(keepends=True)[1:]))), "error", "duplicate_record"))
    add(Case("village_row_twice", _replace("villages", "V3,K,T2,950,1,0.22,3.0,17.0\n",
                                           "V3,K,T2,950,1,0.22,3.0,17.0\nV3,K,T2,950,1,0.22,3.0,17.0\n"), "error",
             "duplicate_record"))
    add(Case("village_key_twice_different_values", _replace("villages", "V3,K,T2,950,1,0.22,3.0,17.0\n",
                                                            "V3,K,T2,950,1,0.22,3.0,17.0\nV3,K,T2,951,1,0.22,3.0,17.0\n"),
             "error", "duplicate_key"))

    # --- units stated in headers ---------------------------------------------------------------------
    for header, factor in (("帮扶资金（单位：元）", 1e4), ("帮扶资金（千元）", 10.0), ("amount (亿元)", 1e-4),
                           ("amount（万元）", 1.0), ("amount (yuan)", 1e4), ("金额/元", 1e4), ("帮扶资金万元", 1.0),
                           ("帮扶资金(单位:万元)", 1.0), ("资金金额【元】", 1e4), ("amount (10k yuan)", 1.0),
                           ("amount (百万元)", 0.01)):
        add(Case(f"unit_header_{header}", lambda d, h=header, f=factor: write_tables(d, _tables(
            funding=_funding_in(h, f))), "read", check=_amounts(BASE_AMOUNTS)))
    add(Case("unit_header_conflicts_with_option", lambda d: write_tables(d, _tables(
        funding=_funding_in("帮扶资金（元）", 1e4))), "error", "unit_conflict", args=("--amount-unit", "wan")))
    add(Case("unit_header_agrees_with_option", lambda d: write_tables(d, _tables(
        funding=_funding_in("帮扶资金（元）", 1e4))), "read", check=_amounts(BASE_AMOUNTS),
        args=("--amount-unit", "元")))
    add(Case("unit_option_chinese_yuan", lambda d: write_tables(d, _tables(funding=_funding_in("amount", 1e4))),
             "read", check=_amounts(BASE_AMOUNTS), args=("--amount-unit", "元")))
    add(Case("unit_option_thousand", lambda d: write_tables(d, _tables(funding=_funding_in("amount", 10.0))),
             "read", check=_amounts(BASE_AMOUNTS), args=("--amount-unit", "thousand")))
    add(Case("amounts_in_yuan_unstated", lambda d: write_tables(d, _tables(funding=_funding_in("amount", 1e4))),
             "warn", "large_amount"))
    add(Case("amount_in_km", lambda d: write_tables(d, _tables(funding=_funding_in("amount（公里）", 1.0))),
             "error", "unit_mismatch"))
    add(Case("poverty_rate_in_percent", lambda d: write_tables(d, _tables(villages=villages.replace(
        "poverty_rate_2015", "贫困发生率（%）").replace("0.30", "30").replace("0.05", "5").replace("0.22", "22"))),
        "read", check=_column_equals("villages", "poverty_rate_2015", [0.30, 0.05, 0.22])))
    add(Case("population_in_households", _replace("villages", "population", "户籍人口（户）"), "error",
             "unit_mismatch"))
    add(Case("collective_income_2020_in_yuan", lambda d: write_tables(d, _tables(villages=villages.replace(
        "collective_income_2020", "村集体经济收入(2020)（元）").replace(",1.5,", ",15000,").replace(
        ",12.0,", ",120000,").replace(",3.0,", ",30000,"))), "read",
        check=_column_equals("villages", "collective_income_2020", [1.5, 12.0, 3.0])))
    add(Case("per_capita_income_in_wan", lambda d: write_tables(d, _tables(outcomes=VALID_CSV["outcomes"].replace(
        "per_capita_income", "人均可支配收入（万元）").replace(",9000,", ",0.9,").replace(",9500,", ",0.95,"))),
        "read", check=_column_equals("outcomes", "per_capita_income", [9000.0, 9500.0])))
    add(Case("header_unit_note_ignored", _replace("funding", "amount", "amount（必填）"), "read",
             check=_amounts(BASE_AMOUNTS)))

    # --- numbers -------------------------------------------------------------------------------------
    for name, value, code in (("inf", "inf", "not_finite"), ("1e309", "1e309", "not_finite"),
                              ("minus_inf", "-inf", "not_finite"), ("infinity", "Infinity", "not_finite"),
                              ("decimal_comma", "12,5", "bad_separator"), ("bad_group", "1,23,4", "bad_separator"),
                              ("wan_suffix", "12.5万", "not_amount"), ("excel_error", "#DIV/0!", "not_amount"),
                              ("hex", "0x10", "not_amount"), ("huge", "2000000", "too_large"),
                              ("negative", "-3", "negative_amount"), ("nan_text", "NaN", "required_missing"),
                              ("em_dash", "—", "required_missing")):
        add(Case(f"amount_{name}", _replace("funding", "V2,2021,5,", f'V2,2021,"{value}",'), "error", code))
    for name, value, expected in (("thousands", '"1,234.5"', 1234.5), ("full_width", "１２.５", 12.5),
                                  ("spaces", '" 5 "', 5.0), ("space_groups", '"1 234"', 1234.0),
                                  ("exponent", "5e0", 5.0)):
        add(Case(f"amount_{name}", _replace("funding", "V2,2021,5,", f"V2,2021,{value},"), "read",
                 check=_amounts([10.5, 20.0, expected, 0.0])))
    add(Case("population_overflow", _replace("villages", "V1,K,T1,800,", "V1,K,T1,99999999999999999999,"), "error",
             "too_large"))
    add(Case("population_negative", _replace("villages", "V1,K,T1,800,", "V1,K,T1,-5,"), "error", "negative"))
    add(Case("year_fraction", _replace("funding", "V2,2021,", "V2,2021.5,"), "error", "not_whole"))
    add(Case("year_1800", _replace("funding", "V2,2021,", "V2,1800,"), "error", "year_range"))
    add(Case("poverty_rate_above_one", _replace("villages", ",0.30,", ",1.5,"), "error", "out_of_range"))
    add(Case("population_float_text", _replace("villages", "V1,K,T1,800,", "V1,K,T1,800.0,"), "read",
             check=_column_equals("villages", "population", [800, 1200, 950])))

    # --- dates ---------------------------------------------------------------------------------------
    for name, value, code in (("1800", "1800-01-01", "date_range"), ("2999", "2999-12-31", "date_range"),
                              ("feb30", "2021-02-30", "bad_date"), ("words", "yesterday", "bad_date"),
                              ("year_9999", "9999/1/1", "date_range")):
        add(Case(f"start_date_{name}", _replace("assignments", "C3,U2,V3,first_secretary,2020-01-01",
                                                f"C3,U2,V3,first_secretary,{value}"), "error", code))
    for name, value in (("chinese", "2020年1月1日"), ("slashes", "2020/1/1"), ("serial", "43831"),
                        ("compact", "20200101"), ("dots", "2020.1.1"), ("with_time", "2020-01-01 08:30:00")):
        add(Case(f"start_date_{name}", _replace("assignments", "C3,U2,V3,first_secretary,2020-01-01",
                                                f"C3,U2,V3,first_secretary,{value}"), "read",
                 check=_column_equals("assignments", "start_date",
                                      ["2019-06-01", "2019-06-01", "2020-01-01", "2020-01-01"])))
    add(Case("date_years_option", _replace("assignments", "C3,U2,V3,first_secretary,2020-01-01",
                                           "C3,U2,V3,first_secretary,1999-01-01"), "error", "date_range",
             args=("--date-years", "2000-2030")))
    add(Case("end_before_start", _replace("assignments", "2020-01-01,2021-12-31\nC4", "2020-01-01,2019-12-31\nC4"),
             "error", "end_before_start"))

    # --- encodings and file formats ------------------------------------------------------------------
    chinese_units = "单位编号,单位名称,单位层级,部门实力\nU1,X市财政局,市级,强势\nU2,K县民政局,县级,一般\n"
    add(Case("gbk_csv", lambda d: (write_tables(d, _tables(units=None)),
                                   (d / "units.csv").write_bytes(chinese_units.encode("gbk"))),
             "read", check=_same_as_base("units")))
    add(Case("big5_csv", lambda d: (write_tables(d, _tables(units=None)),
                                    (d / "units.csv").write_bytes(
                                        "單位編號,單位名稱,單位層級,部門實力\nU1,臺北市財政局,市級,強勢\n"
                                        "U2,縣民政局,縣級,一般\n".encode("big5"))),
             "error", "foreign_encoding"))
    add(Case("shift_jis_csv", lambda d: (write_tables(d, _tables(units=None)),
                                         (d / "units.csv").write_bytes(
                                             "unit_id,unit_name,level,strength\nU1,東京都財務局,市,strong\n"
                                             "U2,ひらがなカタカナ,県,general\n".encode("shift_jis"))),
             "error", "foreign_encoding"))
    add(Case("utf16_csv", lambda d: (write_tables(d, _tables(units=None)),
                                     (d / "units.csv").write_bytes(chinese_units.encode("utf-16"))),
             "read", check=_same_as_base("units")))
    add(Case("binary_csv", _with_files({"units.csv": bytes(range(256)) * 4}, drop=("units",)), "error"))
    add(Case("latin1_csv", lambda d: (write_tables(d, _tables(units=None)), (d / "units.csv").write_bytes(
        "unit_id,unit_name,level,strength\nU1,Caf\xe9,city,strong\nU2,K,county,general\n".encode("latin-1"))),
        "error"))
    add(Case("extra_field", _replace("funding", "V2,2021,5,higher,\n", "V2,2021,5,higher,,zzz\n"), "error",
             "csv_extra_fields"))
    add(Case("trailing_empty_fields", _replace("funding", "V2,2021,5,higher,\n", "V2,2021,5,higher,,,\n"), "read",
             check=_amounts(BASE_AMOUNTS)))
    add(Case("quoted_newline", _replace("units", "U1,X市财政局,", 'U1,"X市\n财政局",'), "read",
             check=_column_equals("units", "unit_name", ["X市 财政局", "K县民政局"])))
    add(Case("unclosed_quote", _replace("funding", "V2,2021,5,", 'V2,2021,"5,'), "error"))
    add(Case("empty_file", _with_files({"units.csv": b""}, drop=("units",)), "error", "empty_file"))
    add(Case("bom_only_file", _with_files({"units.csv": b"\xef\xbb\xbf"}, drop=("units",)), "error", "empty_file"))
    add(Case("header_only", lambda d: write_tables(d, _tables(units="unit_id,unit_name,level,strength\n")),
             "error", "no_rows"))
    add(Case("semicolon_csv", lambda d: write_tables(d, _tables(units=units.replace(",", ";"))), "error",
             "missing_column"))
    add(Case("tab_separated_csv", lambda d: write_tables(d, _tables(units=units.replace(",", "\t"))), "error",
             "missing_column"))
    add(Case("old_xls", _with_files({"funding.xls": b"\xd0\xcf\x11\xe0junk"}, drop=("funding",)), "error",
             "old_format"))
    add(Case("wps_et", _with_files({"帮扶资金.et": b"junk"}, drop=("funding",)), "error", "old_format"))
    add(Case("corrupt_xlsx", _with_files({"funding.xlsx": b"PK\x03\x04 not really"}, drop=("funding",)), "error",
             "excel_unreadable"))
    add(Case("corrupt_parquet", _with_files({"funding.parquet": b"PAR1 junk PAR1"}, drop=("funding",)), "error",
             "parquet_unreadable"))
    add(Case("formula_without_value", _workbook(
        {**_all_sheets(), "funding": _frame("funding").assign(amount=pd.to_numeric(_frame("funding")["amount"]))},
        formulas={"funding": {"C3": "=C2*2"}}), "error", "formula_no_value"))
    add(Case("title_rows_above_header", _workbook(_all_sheets(), title_rows={
        "funding": ["W县驻村帮扶资金台账", "填报单位：县乡村振兴局"]}), "warn", "header_row"))
    add(Case("hidden_sheet_only_source", _workbook(_all_sheets(), hidden=("designations",)), "warn",
             "hidden_sheet"))
    add(Case("extra_sheet_ignored", _workbook({**_all_sheets(), "Sheet1": pd.DataFrame({"x": [1]})}), "warn",
             "ignored_sheet"))
    codebook_names = {"villages": "村庄基本情况", "units": "派出单位", "assignments": "驻村干部选派",
                      "funding": "帮扶资金", "designations": "村庄认定", "outcomes": "村庄发展结果"}
    add(Case("codebook_sheet_names", _workbook(_all_sheets(codebook_names), "数据.xlsx"), "read",
             check=_same_as_base("villages", "funding", "outcomes", "designations")))
    add(Case("excel_lock_file_ignored", _with_files({"~$funding.xlsx": b"lock"}), "read",
             check=_same_as_base("funding")))
    add(Case("empty_directory", lambda d: d.mkdir(parents=True, exist_ok=True), "error", "dir_empty"))
    add(Case("required_table_missing", lambda d: write_tables(d, _tables(units=None)), "error",
             "required_table_missing"))

    # --- Parquet -------------------------------------------------------------------------------------
    def tz_assignments() -> pd.DataFrame:
        frame = _frame("assignments")
        frame["start_date"] = pd.to_datetime(frame["start_date"]).dt.tz_localize("Asia/Shanghai") \
            + pd.Timedelta(hours=23)
        return frame

    add(Case("parquet_tz_aware_dates", _as_parquet("assignments", tz_assignments), "read",
             check=_column_equals("assignments", "start_date",
                                  ["2019-06-01", "2019-06-01", "2020-01-01", "2020-01-01"])))

    def far_dates():
        import pyarrow as pa

        frame = _frame("assignments")
        table = pa.Table.from_pandas(frame.drop(columns=["start_date"]), preserve_index=False)
        import datetime as dt
        stamps = pa.array([dt.datetime(2999, 12, 31), dt.datetime(2019, 6, 1), dt.datetime(2020, 1, 1),
                           dt.datetime(2020, 1, 1)], type=pa.timestamp("us"))
        return table.append_column("start_date", stamps)

    add(Case("parquet_date_2999", _as_parquet("assignments", far_dates), "error", "date_range"))
    add(Case("parquet_list_level", _as_parquet("units", lambda: _frame("units").assign(
        level=[["city"], ["county"]])), "error", "unusable_column"))
    add(Case("parquet_list_extra_column", _as_parquet("units", lambda: _frame("units").assign(
        tags=[[1, 2], [3]])), "warn", "unexpected_column"))
    add(Case("parquet_struct_column", _as_parquet("units", lambda: _frame("units").assign(
        unit_name=[{"a": 1}, {"a": 2}])), "error", "unusable_column"))
    add(Case("parquet_inf_amount", _as_parquet("funding", lambda: _frame("funding").assign(
        amount=[10.5, np.inf, 5.0, 0.0])), "error", "not_finite"))
    add(Case("parquet_uint64_population", _as_parquet("villages", lambda: _frame("villages").assign(
        population=np.array([2**63 + 5, 1200, 950], dtype=np.uint64))), "error", "too_large"))
    add(Case("parquet_categorical_level", _as_parquet("units", lambda: _frame("units").assign(
        level=pd.Categorical(["city", "county"]))), "read", check=_same_as_base("units")))
    add(Case("parquet_with_index", _as_parquet("funding", lambda: _frame("funding").set_index("village_id")),
             "read", check=_same_as_base("funding")))

    def decimal_amounts():
        import decimal

        import pyarrow as pa

        frame = _frame("funding")
        table = pa.Table.from_pandas(frame.drop(columns=["amount"]), preserve_index=False)
        values = pa.array([decimal.Decimal(v) for v in ("10.5", "20", "5", "0")], type=pa.decimal128(10, 2))
        return table.append_column("amount", values)

    add(Case("parquet_decimal_amounts", _as_parquet("funding", decimal_amounts), "read",
             check=_amounts(BASE_AMOUNTS)))
    add(Case("parquet_bool_typed", _as_parquet("villages", lambda: _frame("villages").assign(
        poor_village_2015=[True, False, True])), "read", check=_same_as_base("villages")))

    # --- identifiers, names and headers --------------------------------------------------------------
    add(Case("county_with_rtl_mark", _replace("villages", "V2,K,", "V2,K\u200f,"), "warn", "normalized_text",
             check=_one_county))
    add(Case("county_with_rlo_override", _replace("villages", "V2,K,", "V2,\u202eK,"), "warn", "normalized_text",
             check=_one_county))
    add(Case("village_id_zero_width", _replace("funding", "V2,2021,", "V2\u200b,2021,"), "warn", "normalized_text",
             check=_same_as_base("funding")))
    add(Case("village_id_full_width", _replace("funding", "V2,2021,", "Ｖ２,2021,"), "read",
             check=_same_as_base("funding")))
    add(Case("county_double_space", lambda d: write_tables(d, _tables(villages=villages.replace(",K,", ",K  县,")
                                                                      .replace("V3,K  县,", "V3,K 县,"))),
             "warn", "normalized_text", check=_one_county))
    add(Case("county_with_space", lambda d: write_tables(d, _tables(villages=villages.replace(",K,", ",Wu Xian,"))),
             "read", check=_one_county))
    add(Case("bell_in_unit_name", _replace("units", "X市财政局", "X市\x07财政局"), "warn", "normalized_text"))
    add(Case("rtl_in_header", _replace("funding", "village_id", "village\u202e_id"), "read",
             check=_same_as_base("funding")))
    add(Case("bilingual_header", _replace("funding", "village_id", '"村庄编号\nvillage_id"'), "read",
             check=_same_as_base("funding")))
    add(Case("chinese_headers", _replace("units", "unit_id,unit_name,level,strength",
                                         "派出单位编号,派出单位名称,单位层级,部门实力"), "read",
             check=_same_as_base("units")))
    add(Case("mixed_case_header", _replace("units", "unit_id,", " Unit_ID ,"), "read", check=_same_as_base("units")))
    add(Case("renamed_key_header_in_funding", _replace("funding", "village_id", "村庄编码"), "error",
             "missing_column", max_errors=1))
    add(Case("renamed_key_header_in_villages", _replace("villages", "village_id", "村庄编码"), "error",
             "missing_column", max_errors=2))
    add(Case("two_village_id_columns", _replace("funding", "village_id,year", "village_id,村庄编号,year"), "error",
             "duplicate_header"))
    add(Case("unknown_column_warns", _replace("units", "strength\n", "strength,colour\n"), "warn",
             "unexpected_column"))
    add(Case("missing_role_column", lambda d: write_tables(d, _tables(assignments=assignments.replace(
        ",role,", ",").replace(",first_secretary,", ",").replace(",team_member,", ","))), "error", "missing_column"))
    add(Case("file_name_with_newline", _with_files({"notes\nOK: valid.csv": b"a,b\n1,2\n"}), "warn",
             "ignored_file"))
    add(Case("file_name_with_rlo", _with_files({"\u202evsc.stnemngissa": b"x"}), "read",
             check=_same_as_base("funding")))
    add(Case("formula_text_in_village_name", lambda d: write_tables(d, _tables(villages=villages.replace(
        "village_id,county,township,population", "village_id,village_name,county,township,population").replace(
        "V1,K,", 'V1,"=HYPERLINK(""http://x"",""y"")",K,').replace("V2,K,", "V2,+cmd,K,").replace(
        "V3,K,", "V3,@SUM(A1),K,"))), "read",
        check=_column_equals("villages", "village_name", ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(A1)"])))

    # --- unit levels ---------------------------------------------------------------------------------
    for form in ("市县联合", "省市", "省市县三级", "副省级", "中央和省联合", "省/市", "市、县"):
        add(Case(f"level_ambiguous_{form}", _replace("units", "U1,X市财政局,city", f"U1,X市财政局,{form}"), "error",
                 "ambiguous_level"))
    for form in ("民政局", "部门", "处级"):
        add(Case(f"level_unknown_{form}", _replace("units", "U1,X市财政局,city", f"U1,X市财政局,{form}"), "error",
                 "unknown_level"))
    for form, level in (("市派", "city"), ("市直单位", "city"), ("X市民政局", "city"), ("Ｃｉｔｙ", "city")):
        add(Case(f"level_form_{form}", _replace("units", "U1,X市财政局,city", f"U1,X市财政局,{form}"), "read",
                 check=_column_equals("units", "level", [level, "county"])))

    def user_levels(directory: Path) -> None:
        write_tables(directory, _tables(units=units.replace("U1,X市财政局,city", "U1,X市财政局,市县联合")))
        (directory.parent / f"{directory.name}_map.toml").write_text('[levels]\n"市县联合" = "city"\n',
                                                                     encoding="utf-8")

    add(Case("level_user_mapping", user_levels, "read", check=_column_equals("units", "level", ["city", "county"]),
             extra={"header_map": True}))

    # --- postings ------------------------------------------------------------------------------------
    add(Case("two_first_secretaries", lambda d: write_tables(d, _tables(
        assignments=assignments + "C5,U2,V1,first_secretary,2020-06-01,2020-12-31\n")), "error",
        "two_first_secretaries"))
    add(Case("first_secretary_handover_same_day", lambda d: write_tables(d, _tables(
        assignments=assignments + "C5,U2,V1,first_secretary,2021-05-31,\n")), "read",
        check=lambda raw, base: None))
    add(Case("cadre_in_two_villages", lambda d: write_tables(d, _tables(
        assignments=assignments + "C1,U1,V2,team_member,2020-01-01,2020-12-31\n")), "error", "cadre_two_villages"))
    add(Case("role_chinese_form", _replace("assignments", "C4,U2,V1,team_member", "C4,U2,V1,驻村队员"), "read",
             check=_same_as_base("assignments")))
    add(Case("role_unknown", _replace("assignments", "C4,U2,V1,team_member", "C4,U2,V1,村支书"), "error",
             "unknown_value"))
    add(Case("undefined_village", _replace("funding", "V2,2021,", "V9,2021,"), "error", "undefined_reference"))
    add(Case("missing_key_value", _replace("villages", "V3,K,", ",K,"), "error", "missing_key"))
    add(Case("single_funding_record", lambda d: write_tables(d, _tables(
        funding="village_id,year,amount,source,unit_id\nV1,2020,10.5,unit,U1\n")), "read",
        check=_amounts([10.5])))

    # --- names, salts and output folders (the command line) ------------------------------------------
    with_names = assignments.replace("cadre_id", "姓名").replace("C1,", "张三,").replace("C2,", "李四,").replace(
        "C3,", "王五,").replace("C4,", "赵六,")
    add(Case("names_without_salt", lambda d: write_tables(d, _tables(assignments=with_names)), "error",
             "name_no_salt"))
    add(Case("names_with_strong_salt", lambda d: write_tables(d, _tables(assignments=with_names)), "read",
             check=lambda raw, base: None, salt=STRONG_SALT))
    add(Case("names_with_zero_width", lambda d: write_tables(d, _tables(assignments=with_names.replace(
        "张三,", "张\u200b三,"))), "warn", "normalized_text", salt=STRONG_SALT))
    for label, salt in (("one_char_salt", "x"), ("short_salt", "abc123"), ("uniform_salt", "a" * 40),
                        ("two_letter_salt", "abababababababababab"), ("blank_salt", "   ")):
        add(Case(f"weak_{label}", lambda d: write_tables(d, _tables(assignments=with_names)), "error",
                 salt=salt, cli_only=True))
    add(Case("out_inside_input", lambda d: write_tables(d, _tables()), "error", cli_only=True,
             extra={"out_inside": True}))
    add(Case("out_is_input", lambda d: write_tables(d, _tables()), "error", cli_only=True,
             extra={"out_is_input": True}))
    return cases


def main(argv: list[str]) -> int:
    """Write every case of the corpus under the folder given."""
    root = Path(argv[0])
    for case in build_corpus():
        case.build(root / case.name)
    print(f"wrote {len(build_corpus())} cases under {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
