"""Normalize free-text values of county ledgers: unit levels, dates, numbers and yes/no answers.

Each parser is vectorized over a pandas Series and returns the parsed values together with a boolean
mask of the entries that were present but could not be read, so that validation can report every bad
cell by row. Missing cells (empty strings, NaN) are missing, not bad.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# --- unit levels -----------------------------------------------------------------------------------

_LEVEL_WORDS: dict[str, str] = {}
for _level, _words in {
    "central": "central 中央 中央单位 中直 中直单位 中央部委 国家 国家部委 部委 国务院 央企 中央企业 中管企业",
    "provincial": "provincial province 省 省级 省直 省派 省属 省委 省政府 省直单位 省级单位",
    "city": "city prefecture 市 市级 市直 市派 市属 市委 市政府 市直单位 市级单位 地级 州 州级 州直 地区",
    "county": "county district 县 县级 县直 县派 县属 县委 县政府 县直单位 县级单位 区 区级 区直 区派 旗 旗级",
    "township": "township town 乡 镇 乡镇 乡级 镇级 乡派 镇派 乡镇级 街道",
}.items():
    for _word in _words.split():
        _LEVEL_WORDS[_word] = _level

# Words that contain an administrative character without naming a level (市场 = market, 社区 = community).
_NOT_ADMIN = re.compile("市场|城市|都市|超市|社区|小区|区域|园区|景区|山区|片区|城区|区划|镇静")
_ADMIN_MARK = re.compile("[省市州县区旗乡镇]")
_MARK_LEVEL = {"省": "provincial", "市": "city", "州": "city", "县": "county", "区": "county", "旗": "county",
               "乡": "township", "镇": "township"}
_CENTRAL_PREFIX = re.compile("^(中央|中共中央|国家|国务院|中国)|部委")


def normalize_level(text: object) -> str | None:
    """Map a free-text unit level onto one of central, provincial, city, county, township.

    Rules, in order: (1) an exact level word (中央, 省直, 市派, 县级, 区, 乡镇, "city", ...); (2) a unit
    name beginning with 中央/国家/国务院/中国 or containing 部委 is central; (3) otherwise the last
    administrative character of the name decides, after words such as 市场 (market) or 社区 (community)
    are set aside: 省 → provincial, 市/州 → city, 县/区/旗 → county, 乡/镇 → township, so "X市民政局" is
    city and "X市Y县农业农村局" is county. A string that fits none of these returns None: it is reported,
    never guessed.

    Parameters
    ----------
    text : object
        The level (or unit name) as written in the ledger.

    Returns
    -------
    str or None
        The normalized level, or None when the text fits no rule.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    raw = str(text).strip().replace(" ", "").replace("\u3000", "")
    if not raw:
        return None
    word = _LEVEL_WORDS.get(raw.lower()) or _LEVEL_WORDS.get(raw.rstrip("单位"))
    if word:
        return word
    if _CENTRAL_PREFIX.search(raw):
        return "central"
    marks = _ADMIN_MARK.findall(_NOT_ADMIN.sub("", raw))
    if marks:
        return _MARK_LEVEL[marks[-1]]
    return None


# --- missing cells ---------------------------------------------------------------------------------

_MISSING = {"", "na", "n/a", "nan", "none", "null", "-", "—", "无数据", "缺失"}


def text_of_uniques(uniques: pd.Index | np.ndarray) -> pd.Series:
    """Return distinct cell values as trimmed text, with <NA> for empty cells and missing markers.

    Whole-number floats (as Excel stores identifiers such as 101) become "101". Works on the distinct
    values of a column only, so it costs little however often a value repeats.
    """
    values = pd.Series(uniques, dtype=object if not isinstance(uniques, pd.Index) else None)
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.notna() & (values == np.floor(values))
        text = values.astype(object).where(~whole, values.where(whole).astype("Int64").astype(object))
        text = text.astype(object).map(lambda v: None if pd.isna(v) else str(v))
    elif pd.api.types.is_string_dtype(values.dtype) and pd.api.types.infer_dtype(values, skipna=True) == "string":
        text = values
    else:
        text = values.map(
            lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
            else str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)
        )
    text = text.astype("string").str.strip()
    missing = text.isna() | text.str.lower().isin(list(_MISSING))
    return text.where(~missing.to_numpy(dtype=bool))


def codes_and_uniques(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 for NaN/None) and distinct values of a column; free for categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(dtype=np.int64), values.cat.categories
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), pd.Index(uniques)


def missing_mask(values: pd.Series) -> np.ndarray:
    """Return True where a cell is empty or a conventional missing marker."""
    if values.dtype == object or pd.api.types.is_string_dtype(values.dtype) or isinstance(
            values.dtype, pd.CategoricalDtype):
        # Work on distinct values only: ledgers repeat the same strings many times.
        codes, uniques = codes_and_uniques(values)
        if len(uniques) == 0:
            return codes < 0
        unique_missing = text_of_uniques(uniques).isna().to_numpy(dtype=bool)
        return (codes < 0) | unique_missing[np.maximum(codes, 0)]
    return values.isna().to_numpy(dtype=bool)


# --- numbers ---------------------------------------------------------------------------------------

_THOUSANDS = re.compile(r"[,，\s]")


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse numbers written with optional thousands separators.

    Returns
    -------
    numbers : ndarray of float
        Parsed values, NaN where missing or unreadable.
    bad : ndarray of bool
        True where a cell was present but is not a number.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan)
        return numbers, np.zeros(len(values), dtype=bool)
    missing = missing_mask(values)
    text = values.astype("string").str.replace(_THOUSANDS, "", regex=True)
    numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    numbers[missing] = np.nan
    bad = ~missing & np.isnan(numbers)
    return numbers, bad


# --- yes / no --------------------------------------------------------------------------------------

_TRUE = {"1", "1.0", "true", "t", "yes", "y", "是", "有", "√", "✓"}
_FALSE = {"0", "0.0", "false", "f", "no", "n", "否", "无", "×"}


def parse_bools(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse yes/no answers (1/0, true/false, yes/no, 是/否, 有/无).

    Returns
    -------
    flags : Series of pandas "boolean"
        Parsed values, <NA> where missing or unreadable.
    bad : ndarray of bool
        True where a cell was present but is not a yes/no answer.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean"), np.zeros(len(values), dtype=bool)
    missing = missing_mask(values)
    text = values.astype("string").str.strip().str.lower()
    is_true = text.isin(list(_TRUE)).to_numpy(dtype=bool)
    is_false = text.isin(list(_FALSE)).to_numpy(dtype=bool)
    flags = pd.Series(pd.array(np.where(is_true, True, False), dtype="boolean"), index=values.index)
    flags[~(is_true | is_false)] = pd.NA
    bad = ~missing & ~is_true & ~is_false
    return flags, bad


# --- dates -----------------------------------------------------------------------------------------

_YMD = re.compile(
    r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?\s*$"
)
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
# Excel serial numbers accepted as dates: 1950-01-01 .. 2099-12-31.
_EXCEL_SERIAL_RANGE = (18264, 73050)


def parse_dates(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Parse dates in the forms county ledgers use.

    Accepted: ISO ``2021-05-01``, ``2021/5/1``, ``2021.5.1``, ``2021年5月1日`` (each optionally with a
    time), ``20210501``, Excel date cells and Excel serial day numbers (days since 1899-12-30, between
    1950 and 2099).

    Returns
    -------
    dates : Series of datetime64[ns]
        Parsed dates (time of day dropped), NaT where missing or unreadable.
    bad : ndarray of bool
        True where a cell was present but is not a date.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.normalize().astype("datetime64[ns]"), np.zeros(len(values), dtype=bool)
    n = len(values)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    missing = missing_mask(values)
    todo = ~missing
    # Excel cells already typed as dates (datetime/Timestamp objects).
    if values.dtype == object:
        is_stamp = values.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year"))
        is_stamp = is_stamp.to_numpy(dtype=bool) & todo
        if is_stamp.any():
            out[is_stamp] = pd.to_datetime(values[is_stamp]).dt.normalize().to_numpy(dtype="datetime64[ns]")
            todo &= ~is_stamp
    text = values.astype("string").str.strip()
    if todo.any():  # fast path: ISO dates
        iso = pd.to_datetime(text[todo], format="%Y-%m-%d", errors="coerce").to_numpy(dtype="datetime64[ns]")
        out[todo] = iso
        todo[todo] = np.isnat(iso)
    for pattern in (_YMD, _COMPACT):
        if todo.any():
            parts = text[todo].str.extract(pattern).astype("float")
            stamp = pd.to_datetime(
                pd.DataFrame({"year": parts[0], "month": parts[1], "day": parts[2]}), errors="coerce"
            ).to_numpy(dtype="datetime64[ns]")
            out[todo] = stamp
            todo[todo] = np.isnat(stamp)
    if todo.any():  # Excel serial day numbers
        serial = pd.to_numeric(text[todo], errors="coerce").to_numpy(dtype=float)
        ok = (serial >= _EXCEL_SERIAL_RANGE[0]) & (serial <= _EXCEL_SERIAL_RANGE[1]) & (serial == np.floor(serial))
        stamp = np.full(len(serial), np.datetime64("NaT"), dtype="datetime64[ns]")
        stamp[ok] = (_EXCEL_EPOCH + pd.to_timedelta(serial[ok], unit="D")).to_numpy(dtype="datetime64[ns]")
        out[todo] = stamp
        todo[todo] = np.isnat(stamp)
    return pd.Series(out, index=values.index), todo
