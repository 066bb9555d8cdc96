from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.io.normalize import normalize_level, parse_bools, parse_dates, parse_numbers


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("中央", "central"), ("国家部委", "central"), ("中央企业", "central"), ("国家开发银行", "central"),
        ("省", "provincial"), ("省级", "provincial"), ("省直", "provincial"), ("四川省农业农村厅", "provincial"),
        ("市", "city"), ("市级", "city"), ("市派", "city"), ("X市民政局", "city"), ("X市财政局", "city"),
        ("县", "county"), ("县级", "county"), ("县派", "county"), ("区", "county"), ("W县教育局", "county"),
        ("X市Y区住建局", "county"), ("W县市场监督管理局", "county"),
        ("乡", "township"), ("镇", "township"), ("乡镇", "township"), ("Z镇人民政府", "township"),
        ("City", "city"), (" county ", "county"),
    ],
)
def test_levels_are_normalized(text: str, level: str) -> None:
    assert normalize_level(text) == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # 乡村 (rural), 城乡 (urban and rural), 乡镇企业 (township enterprises) name no township
        ("W县乡村振兴局", "county"), ("江西省乡村振兴局", "provincial"), ("国家乡村振兴局", "central"),
        ("W县城乡建设局", "county"), ("X市乡镇企业局", "city"), ("Z镇乡村振兴办", "township"),
        # the Party's name before a committee is not a central unit
        ("中国共产党W县委员会", "county"), ("中共江西省委组织部", "provincial"), ("中共中央组织部", "central"),
    ],
)
def test_words_holding_an_administrative_character_name_no_level(text: str, level: str) -> None:
    assert normalize_level(text) == level


@pytest.mark.parametrize(
    ("text", "levels"),
    [("中国农业银行W县支行", ("central", "county")), ("国家税务总局W县税务局", ("central", "county")),
     ("国家开发银行江西省分行", ("central", "provincial"))],
)
def test_a_central_systems_local_branch_names_two_levels(text: str, levels: tuple[str, ...]) -> None:
    """A county branch of a central bank is reported as naming two levels, never guessed (the user's map decides)."""
    from villageaid.io.normalize import classify_level

    assert classify_level(text) == (None, levels)
    assert classify_level(text, {text: "county"}) == ("county", ())


@pytest.mark.parametrize("text", ["民政局", "foo", "部门", "", None])
def test_unknown_levels_are_not_guessed(text: str | None) -> None:
    assert normalize_level(text) is None


def test_dates_in_common_forms() -> None:
    values = pd.Series(["2021-05-01", "2021/5/1", "2021年5月1日", "2021.5.1", "20210501", "44317",
                        "2021-05-01 00:00:00", "", None, "spring", "2021-02-30", "12"], dtype=object)
    dates, bad = parse_dates(values)
    expected = ["2021-05-01"] * 7
    assert dates.iloc[:7].dt.strftime("%Y-%m-%d").tolist() == expected
    assert dates.iloc[7:].isna().all()
    assert bad.tolist() == [False] * 9 + [True, True, True]


def test_numbers_with_separators_and_bad_values() -> None:
    numbers, bad = parse_numbers(pd.Series(["1,200.5", "3", "", "abc", "2，000", "NA"]))
    np.testing.assert_allclose(numbers[[0, 1, 4]], [1200.5, 3.0, 2000.0], rtol=0, atol=0)
    assert np.isnan(numbers[[2, 3, 5]]).all()
    assert bad.tolist() == [False, False, False, True, False, False]


def test_yes_no_answers() -> None:
    flags, bad = parse_bools(pd.Series(["是", "否", "1", "0", "yes", "No", "maybe", ""], dtype=object))
    assert flags.iloc[:6].tolist() == [True, False, True, False, True, False]
    assert flags.iloc[6:].isna().all()
    assert bad.tolist() == [False] * 6 + [True, False]


def test_dates_parsed_once_per_distinct_value_equal_cell_by_cell_parsing() -> None:
    """Large columns are parsed per distinct value and spread back: the same dates and flags as every cell."""
    import numpy as np
    import pandas as pd

    from villageaid.io.normalize import _parse_dates_each, parse_dates_detailed

    pool = np.array(["2021-05-01", "2021/5/1", "2021年5月1日", "20210501", "44317", "1800-01-01", "2999-12-31",
                     "abc", "", "  ", None, "2019-06-01 08:00", pd.Timestamp("2020-01-02"), "2021.13.01"],
                    dtype=object)
    values = pd.Series(pool[np.random.default_rng(0).integers(0, len(pool), 5_000)], dtype=object)
    for column in (values, values.where(values.map(lambda v: not isinstance(v, pd.Timestamp))).astype("string")):
        fast, slow = parse_dates_detailed(column), _parse_dates_each(column)
        pd.testing.assert_series_equal(fast[0], slow[0])
        np.testing.assert_array_equal(fast[1], slow[1])
        np.testing.assert_array_equal(fast[2], slow[2])


def test_cleaning_candidates_are_the_same_for_arrow_and_python_regular_expressions() -> None:
    """The pattern that picks values needing cleaning runs in Arrow (RE2); it must flag what Python's re flags."""
    import re

    import pandas as pd

    from villageaid.io.normalize import _NEEDS_CLEANING, _matches

    values = ["abc", "a  b", "X市财政局", "Ｗ１", "a\tb", "中\u200b文", "ok x", "é", "\u3000村", "村\u00a0委", "㐀䶿",
              "豈", "a\x0bb", "—", "１２", "A-1"]
    arrow = pd.Series(values, dtype="string[pyarrow]").str.contains(_NEEDS_CLEANING, regex=True).tolist()
    assert arrow == [bool(re.search(_NEEDS_CLEANING, v)) for v in values]
    assert _matches(pd.Series([*values, None], dtype="string"), _NEEDS_CLEANING).tolist() == [*arrow, False]
    assert arrow[2] is False and arrow[3] is True  # Chinese text skips the work; full-width forms do not


_HOSTILE_TEXT = [" V1", "V1", "V1 ", "", " ", "NA", "na ", "None", "—", "缺失", "Ｖ１", "V\u200b1", "a  b", "a b",
                 "正常村",
                 "\t", "x\u3000", "１２.５", "12,5", "-", "V\u202e1", "ｖ", "村\u00a0名", "Null", "nan", "C0000001"]


@pytest.mark.parametrize("kind", ["object", "categorical", "arrow"])
@pytest.mark.parametrize("seed", range(6))
def test_clean_text_fast_path_equals_cleaning(monkeypatch: pytest.MonkeyPatch, kind: str, seed: int) -> None:
    # Text that cleaning leaves alone skips it (is_clean_text); the typed column, its categories (and their order)
    # and the warnings are those of the full cleaning, on hostile values and on columns clean throughout.
    from villageaid.io import columns as columns_module
    from villageaid.io.columns import SourceFrame, _clean_text, _Collector
    from villageaid.io.problems import ValidationReport

    rng = np.random.default_rng(seed)
    pool = _HOSTILE_TEXT if seed % 2 else ["V1", "V2", "正常村", "C0000001", "a b", "x-y"]
    cells = list(rng.choice(pool, 300))
    if seed % 3 == 0:
        cells[5] = None
    series = pd.Series(cells, dtype=object)
    if kind == "categorical":
        series = series.astype("category")
    elif kind == "arrow":
        series = series.astype("string[pyarrow]")

    def typed(fast: bool) -> tuple[pd.Series, list]:
        report = ValidationReport()
        source = SourceFrame("villages", "v.csv", pd.DataFrame({0: series}), np.arange(2, 302))
        if not fast:
            monkeypatch.setattr(columns_module, "is_clean_text", lambda uniques: False)
        out = _clean_text(series, _Collector(report, source), "village_id")
        monkeypatch.undo()
        return out, [p.__dict__ for p in report.problems]

    (fast, fast_problems), (slow, slow_problems) = typed(True), typed(False)
    assert fast.equals(slow) and fast_problems == slow_problems
    assert list(fast.cat.categories) == list(slow.cat.categories)
    assert fast.cat.categories.dtype == slow.cat.categories.dtype
    assert (fast.cat.codes == slow.cat.codes).all()


def _is_clean_text_reference(values: list[object]) -> bool:
    """is_clean_text as it was written before it took Arrow text directly (trim, missing markers, then the pattern)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from villageaid.io.normalize import _MISSING, _NEEDS_CLEANING

    if pd.api.types.infer_dtype(values, skipna=False) != "string":
        return False
    text = pa.array(values, type=pa.string())
    trimmed = pc.utf8_trim_whitespace(text)
    if not pc.all(pc.equal(trimmed, text)).as_py():
        return False
    if pc.any(pc.is_in(pc.utf8_lower(trimmed), value_set=pa.array(sorted(_MISSING), type=pa.string()))).as_py():
        return False
    return not pc.any(pc.match_substring_regex(text, _NEEDS_CLEANING)).as_py()


_CLEAN_OR_NOT = [*_HOSTILE_TEXT, "NaN", "N/A", "NULL", "nONe", "无数据", "缺失 ", " 缺失", "—", "a\u2028b", "x\x0b",
                 "x\x1c", "\u017f", "\u212a", "é", "𠮷", "村\u3000", "a\tb", "a\nb", "村 ", "n/a/", "nana", "non",
                 "-1", "--", "V1\u00a0", "\u00a0V1", "ａ", "㎏", "Ⅻ", "①", "x\u0000", "x\ud7ff", "\ufeffV1"]


@pytest.mark.parametrize("value", _CLEAN_OR_NOT)
def test_is_clean_text_gives_the_same_answer_on_arrow_and_object_text(value: str) -> None:
    # The same distinct values, as Python strings, as Arrow-backed text (pandas' str and string[pyarrow], the dtypes
    # of Parquet and CSV text) and as a categorical's categories: one answer, the one of the checks written out
    # one by one; and never True for a value that cleaning would change or read as missing.
    from villageaid.io.normalize import clean_text_uniques, is_clean_text

    values = ["V1", "正常村", value]
    expected = _is_clean_text_reference(values)
    for dtype in (object, "str", "string[pyarrow]"):
        assert is_clean_text(pd.Index(values, dtype=dtype)) is expected, dtype
    assert is_clean_text(pd.Series(values, dtype="category").cat.categories) is expected
    if expected:
        cleaned, invisible, spaces = clean_text_uniques(pd.Index(values, dtype=object))
        assert cleaned.tolist() == values and not invisible.any() and not spaces.any()


def test_is_clean_text_refuses_what_is_not_all_text() -> None:
    # Missing values and numbers among the distinct values are cleaned the long way, whatever the dtype.
    from villageaid.io.normalize import is_clean_text

    assert is_clean_text(pd.Index(["V1", "V2"], dtype="str"))
    assert not is_clean_text(pd.Index(["V1", None], dtype="string[pyarrow]"))
    assert not is_clean_text(pd.Index(["V1", np.nan], dtype="str"))
    assert not is_clean_text(pd.Index(["V1", None], dtype=object))
    assert not is_clean_text(pd.Index(["V1", 101], dtype=object))
    assert not is_clean_text(pd.Index([101.0, 102.0]))
    assert not is_clean_text(pd.Index([pd.Timestamp("2021-05-01")], dtype=object))
    assert not is_clean_text(pd.Index(["V1", b"V2"], dtype=object))


@pytest.mark.parametrize("seed", range(3))
def test_missing_mask_on_arrow_text_equals_the_trimmed_lowered_test(seed: int) -> None:
    # Arrow-backed text skips the trimmed and lowered test for values holding a character no missing marker holds;
    # the answer is the one of that test on every value (hostile values, markers in any case and with white space).
    from villageaid.io.normalize import _MISSING, missing_mask

    rng = np.random.default_rng(seed)
    pieces = ["n", "N", "a", "A", "/", "o", "e", "u", "l", "L", "-", "—", "无", "数", "据", "缺", "失", " ", "\t",
              "\u3000", "\u00a0", "\u200b", "\n", "V", "1", "村", "b", "Ｎ", "\u212a", "\u017f", "x"]
    values: list[object] = [*_CLEAN_OR_NOT, *sorted(_MISSING), " NaN ", "\u3000缺失", "N/A\t", None]
    values += ["".join(rng.choice(pieces, rng.integers(0, 6))) for _ in range(3000)]
    for dtype in ("str", "string[pyarrow]"):
        series = pd.Series(values, dtype=dtype)
        text = series.str.strip()
        expected = (series.isna() | (text.str.len() == 0) | text.str.lower().isin(list(_MISSING))).to_numpy(bool)
        assert missing_mask(series).tolist() == expected.tolist()
        assert missing_mask(series).tolist() == missing_mask(series.astype(object)).tolist()
        as_categories = pd.Series(values, dtype=object).astype("category")
        assert missing_mask(as_categories).tolist() == expected.tolist()
        assert missing_mask(as_categories[~expected]).tolist() == [False] * int((~expected).sum())
    assert expected.sum() > 100 and (~expected).sum() > 100


@pytest.mark.parametrize("dtype", ["int64", "Int64", "uint8", "int8"])
def test_yes_no_integers_read_once_per_distinct_value_equal_cell_by_cell_reading(dtype: str) -> None:
    # A 0/1 column of millions of records is written out as text once per distinct value: the flags and the bad
    # cells are those of writing out every cell (as an object column is read).
    rng = np.random.default_rng(0)
    numbers = rng.choice([0, 1, 1, 2, 10], 5000)
    series = pd.Series(numbers, dtype=dtype)
    if dtype == "Int64":
        series[rng.random(5000) < 0.1] = pd.NA
    flags, bad = parse_bools(series)
    expected_flags, expected_bad = parse_bools(series.astype(object))
    assert flags.equals(expected_flags) and flags.dtype == "boolean"
    assert bad.tolist() == expected_bad.tolist() and bad.any() and flags.isna().any()


def test_equal_arrow_text_shares_one_index_of_python_strings() -> None:
    # Equal text (another table's dictionary of the same identifiers) gets the very Index made first, while it is
    # alive; other text, the same values in another order, or large_string text with other values get their own.
    import gc

    import pyarrow as pa

    from villageaid.io.normalize import shared_text_index

    first = shared_text_index(pa.array(["V1", "V2", "村三"]))
    assert first.dtype == object and first.tolist() == ["V1", "V2", "村三"] and first.is_unique
    assert shared_text_index(pa.chunked_array([["V1"], ["V2", "村三"]], type=pa.large_string())) is first
    assert shared_text_index(pa.array(["V2", "V1", "村三"])) is not first
    other = shared_text_index(pa.array(["V1", "V2", "村四"], type=pa.large_string()))
    assert other is not first and other.tolist() == ["V1", "V2", "村四"]
    assert [type(v) for v in other] == [str, str, str]
    # An Index no table holds any more is forgotten (its text with it), never kept alive by the sharing.
    from villageaid.io import normalize

    del first
    gc.collect()
    held = shared_text_index(pa.array(["x"]))
    assert all(ref() is not None for _, ref, _ in normalize._SHARED_TEXT)
    assert not any(known.to_pylist() == ["V1", "V2", "村三"] for known, _, _ in normalize._SHARED_TEXT)
    assert any(ref() is held for _, ref, _ in normalize._SHARED_TEXT)


def test_typed_tables_of_equal_identifiers_share_categories_and_equal_separately_typed_ones(tmp_path) -> None:
    # Two Parquet files naming the same villages: the typed columns share one Index of categories, and each equals
    # the column typed alone (values, codes, dtype).
    import pyarrow as pa
    import pyarrow.parquet as pq

    from villageaid.io.read import _read_parquet, _text_categorical

    ids = pa.array(["V3", "V1", "V2"])
    column = pa.chunked_array([pa.DictionaryArray.from_arrays(pa.array([0, 2, 1, None, 0], type=pa.int32()), ids)])
    a, b = _text_categorical(column), _text_categorical(column)
    assert a.cat.categories is b.cat.categories
    pq.write_table(pa.table({"village_id": pa.array(["V3", "V1", "V2"], type=pa.large_string())}),
                   tmp_path / "villages.parquet")
    source = _read_parquet(tmp_path / "villages.parquet", "villages.parquet", "villages")
    from villageaid.io.columns import _clean_text

    typed = _clean_text(source.frame[0])
    assert typed.cat.categories is a.cat.categories
    expected = pd.Series(pd.Categorical(["V3", "V1", "V2"], categories=pd.Index(["V3", "V1", "V2"], dtype=object)))
    assert typed.equals(expected) and typed.dtype == expected.dtype


@pytest.mark.parametrize("value", ["V3", " V3", "NA", "V\u200b3", "Ｖ3", "村三"])
def test_shared_index_is_tested_as_its_values_are(value: str) -> None:
    # An Index made by shared_text_index is tested on the Arrow text it was made from (once; the answer kept with
    # it): the answer, and the missing cells of a categorical of it, are those of an equal Index made apart.
    import pyarrow as pa

    from villageaid.io.normalize import is_clean_text, missing_mask, shared_text_index

    values = ["V1", "V2", value]
    shared = shared_text_index(pa.array(values))
    apart = pd.Index(values, dtype=object)
    assert is_clean_text(shared) is is_clean_text(apart) is _is_clean_text_reference(values)
    assert is_clean_text(shared) is is_clean_text(apart)  # the kept answer
    codes = np.array([0, 2, -1, 1, 2])
    assert (missing_mask(pd.Series(pd.Categorical.from_codes(codes, categories=shared))).tolist()
            == missing_mask(pd.Series(pd.Categorical.from_codes(codes, categories=apart))).tolist()
            == missing_mask(pd.Series(apart[np.maximum(codes, 0)].where(codes >= 0), dtype=object)).tolist())


def test_text_of_more_values_than_the_limit_is_not_kept_for_sharing(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    from villageaid.io import normalize

    monkeypatch.setattr(normalize, "_SHARED_TEXT_MAX", 2)
    text = pa.array(["C1", "C2", "C3"])
    first, second = normalize.shared_text_index(text), normalize.shared_text_index(text)
    assert first is not second and first.equals(second) and first.dtype == second.dtype == object
    assert not any(ref() is first for _, ref, _ in normalize._SHARED_TEXT)


def test_present_values_of_categoricals_and_plain_columns() -> None:
    """Distinct non-missing values: a typed categorical whose categories are all used gives its very categories (the
    hash table pandas built is reused); otherwise the used ones, as the same values in a plain column give."""
    from villageaid.io.normalize import object_categories, present_values

    categories = pd.Index(["V3", "V1", "V2"], dtype=object)
    full = pd.Series(pd.Categorical.from_codes([2, 0, -1, 1, 0], categories=categories))
    assert object_categories(full) is categories and present_values(full) is categories
    partial = pd.Series(pd.Categorical.from_codes([2, -1, 2, 0], categories=categories))
    assert present_values(partial).tolist() == ["V3", "V2"] and present_values(partial).dtype == object
    plain = pd.Series(["V2", None, "V2", "V3"], dtype=object)
    assert object_categories(plain) is None
    assert present_values(plain).tolist() == ["V2", "V3"] and present_values(plain).dtype == object
    assert object_categories(pd.Series(pd.Categorical(["a"]))) is None  # categories not of objects (pandas text)
    assert present_values(pd.Series(pd.Categorical.from_codes([-1, -1], categories=categories))).empty
