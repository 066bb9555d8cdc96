"""Normalize free-text values of county ledgers: unit levels, dates, numbers and yes/no answers.

Each parser is vectorized over a pandas Series and returns the parsed values together with a boolean
mask of the entries that were present but could not be read, so that validation can report every bad
cell by row. Missing cells (empty strings, NaN) are missing, not bad.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from dataclasses import dataclass

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

# Words that contain an administrative character without naming a level (市场 = market, 社区 = community, 乡村 =
# rural as in 乡村振兴局, the rural revitalisation bureau of any level; 城乡 = urban and rural as in 城乡建设局;
# 乡镇企业 = township enterprises as in 乡镇企业局; 县域 = county-wide).
_NOT_ADMIN = re.compile("市场|城市|都市|超市|社区|小区|区域|园区|景区|山区|片区|城区|区划|镇静|乡村|城乡|乡镇企业|县域")
# The Party's name before a committee is not a central unit: 中国共产党W县委员会, 中共X省委组织部 (中共中央 is).
_PARTY_NAME = re.compile("^(中国共产党|中共)(?!中央)")
_ADMIN_MARK = re.compile("[省市州县区旗乡镇]")
_MARK_LEVEL = {"省": "provincial", "市": "city", "州": "city", "县": "county", "区": "county", "旗": "county",
               "乡": "township", "镇": "township"}
_CENTRAL_PREFIX = re.compile("^(中央|中共中央|国家|国务院|中国)|部委")
_CENTRAL_WORD = re.compile("中央|国家|国务院|部委|央企")
# Words that join two levels: 市县联合, 中央和省, 省/市, 省市县三级 — the unit is not one level.
_CONJUNCTION = re.compile("联合|合派|共建|共同|和|与|及|、|/|／|\\+|＋|&|＆|,|，|;|；|三级|两级|二级|多级")
# A rank (行政级别) is not the level of the dispatching unit: 副省级 is a city with a provincial rank.
_AMBIGUOUS_RANKS = {"副省级": ("provincial", "city"), "计划单列": ("provincial", "city"),
                    "副部级": ("central", "provincial"), "副厅级": ("provincial", "city"),
                    "副地级": ("city", "county"), "副县级": ("county", "township")}
_RANK_ONLY = re.compile("^(正|副)?(部|厅|局|处|科|股)级$")
_MARK_RUN = re.compile("[省市州县区旗乡镇]{2,}")


def classify_level(text: object, user_levels: dict[str, str] | None = None) -> tuple[str | None, tuple[str, ...]]:
    """Classify a free-text unit level, telling an unknown form from an ambiguous one.

    Returns
    -------
    level : str or None
        The level, or None when the text names no level or more than one.
    named : tuple of str
        The levels the text names when it is ambiguous (two or more); empty otherwise.
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None, ()
    raw = str(text).strip().replace(" ", "").replace("\u3000", "")
    if not raw:
        return None, ()
    if user_levels:
        mapped = user_levels.get(raw) or user_levels.get(raw.lower())
        if mapped:
            return mapped, ()
    word = _LEVEL_WORDS.get(raw.lower()) or _LEVEL_WORDS.get(raw.removesuffix("单位"))
    if word:
        return word, ()
    for rank, levels in _AMBIGUOUS_RANKS.items():
        if rank in raw:
            return None, levels
    if _RANK_ONLY.match(raw):
        return None, ()
    raw = _PARTY_NAME.sub("", raw)
    stripped = _NOT_ADMIN.sub("", raw)
    marks = _ADMIN_MARK.findall(stripped)
    named = list(dict.fromkeys(([] if not _CENTRAL_WORD.search(raw) else ["central"])
                               + [_MARK_LEVEL[m] for m in marks]))
    for run in _MARK_RUN.findall(stripped):  # 省市, 市县, 省市县: adjacent marks of different levels
        run_levels = {_MARK_LEVEL[m] for m in run}
        if len(run_levels) > 1:
            return None, tuple(named)
    if _CONJUNCTION.search(stripped) and len(named) > 1:
        return None, tuple(named)
    if _CENTRAL_PREFIX.search(raw):
        if marks:  # a central system's local branch (中国农业银行W县支行, 国家税务总局W县税务局): two levels, reported
            return None, tuple(dict.fromkeys(["central", *(_MARK_LEVEL[m] for m in marks)]))
        return "central", ()
    if marks:
        return _MARK_LEVEL[marks[-1]], ()
    return None, ()


def normalize_level(text: object, user_levels: dict[str, str] | None = None) -> str | None:
    """Map a free-text unit level onto one of central, provincial, city, county, township.

    Rules, in order: (0) the user's own forms (``[levels]`` of a header-map file); (1) an exact level word
    (中央, 省直, 市派, 县级, 区, 乡镇, "city", ...); (2) forms that name two levels are ambiguous and return
    None: joined levels (市县联合, 中央和省, 省/市, 省市县三级), adjacent level characters of different levels
    (省市, 市县) and ranks that are not levels (副省级, 计划单列); (3) a unit name beginning with
    中央/国家/国务院/中国 or containing 部委 is central — unless it also names a lower administrative area: a
    central system's local branch (中国农业银行W县支行, 国家税务总局W县税务局) names two levels and is ambiguous;
    (4) otherwise the last administrative character of the name decides, after words that hold one without naming
    a level are set aside (市场 market, 社区 community, 乡村 rural as in 乡村振兴局, 城乡 urban and rural, 乡镇企业
    township enterprises, 县域 county-wide) and the Party's name before a committee (中国共产党W县委员会, 中共X省委):
    省 → provincial, 市/州 → city, 县/区/旗 → county, 乡/镇 → township, so "X市民政局" is city, "X市Y县农业农村局"
    and "W县乡村振兴局" are county. A string that fits none of these returns None: it is reported, never guessed.

    Parameters
    ----------
    text : object
        The level (or unit name) as written in the ledger.
    user_levels : dict, optional
        The user's own forms → level.

    Returns
    -------
    str or None
        The normalized level, or None when the text fits no rule or names more than one level.
    """
    return classify_level(text, user_levels)[0]


# --- missing cells ---------------------------------------------------------------------------------

_MISSING = {"", "na", "n/a", "nan", "none", "null", "-", "—", "无数据", "缺失"}


def _never_missing_pattern() -> str:
    """Return a character class of characters no missing marker holds, once trimmed and lowered, whatever their case.

    ASCII letters and digits and the CJK unified ideographs, less the characters of the markers (n/a, none, null,
    无数据, 缺失 …): none is white space, and none lowers to a marker's character. Written as the characters
    themselves, for Arrow's RE2 (as ``_NEEDS_CLEANING``).
    """
    import string

    in_markers = set("".join(_MISSING))
    ascii_chars = "".join(c for c in string.ascii_letters + string.digits if c.lower() not in in_markers)
    ranges, low = [], 0x4E00
    for point in sorted(ord(c) for c in in_markers if 0x4E00 <= ord(c) <= 0x9FFF):
        if point > low:
            ranges.append(chr(low) + "-" + chr(point - 1))
        low = point + 1
    ranges.append(chr(low) + "-" + chr(0x9FFF))
    return "[" + ascii_chars + "".join(ranges) + "]"


_NEVER_MISSING = _never_missing_pattern()


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


# Characters that never change under cleaning: printable ASCII and the CJK unified ideographs (basic block and
# extension A have no compatibility decompositions and are all assigned). Values made only of them, without runs
# of spaces, skip the per-character work — Chinese names and places are most of a ledger's text.
# The ranges are written as the characters themselves (not \u escapes) so that Arrow's RE2 engine runs the
# pattern over the whole column at once; RE2's \s is ASCII white space, the rest falls outside the ranges.
_NEEDS_CLEANING = "[^ -~" + chr(0x3400) + "-" + chr(0x4DBF) + chr(0x4E00) + "-" + chr(0x9FFF) + "]|\\s{2,}"
# Text that is not clean, as one pattern (one pass of RE2 over the values): a character cleaning could change or a
# run of white space (``_NEEDS_CLEANING``), a space at either end (any other white space is outside the characters
# that never change), an empty value or a missing marker of ``_MISSING`` in any case (its other markers, "—", are
# outside those characters too).
_NOT_CLEAN = (_NEEDS_CLEANING + "|^ | $|^(?i:na|n/a|nan|none|null|-)?$|^(?:无数据|缺失)$")
_BREAKING = {"\t", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029"}


def _clean_one(text: str) -> tuple[str, bool, bool]:
    normalized = unicodedata.normalize("NFKC", text)
    kept, invisible = [], False
    for ch in normalized:
        if ch in _BREAKING:
            kept.append(" ")
            invisible = True
        elif unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn"):
            invisible = True
        else:
            kept.append(ch)
    joined = "".join(kept)
    collapsed = " ".join(joined.split())
    return collapsed, invisible, collapsed != joined.strip()


def _matches(text: pd.Series, pattern: str) -> np.ndarray:
    """Where ``pattern`` matches (RE2 in pyarrow.compute; missing values never match).

    Called directly because pandas' ``str.contains`` took eight times longer on the same Arrow strings.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    found = pc.match_substring_regex(pa.array(text, type=pa.string(), from_pandas=True), pattern)
    return np.asarray(pc.fill_null(found, False), dtype=bool)


def clean_text_uniques(uniques: pd.Index | np.ndarray) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Clean distinct text values as identifiers and names must be compared.

    Unicode compatibility forms are unified (NFKC: full-width ``Ｗ１`` is ``W1``), invisible and control
    characters are removed (zero-width spaces, right-to-left marks and overrides, BOMs, tabs and line breaks
    become one space) and runs of white space become one space, so that a county written with an invisible
    mark is not a second county.

    Returns
    -------
    cleaned : Series of str
        The cleaned values (<NA> where missing).
    invisible : ndarray of bool
        Values that held invisible or control characters.
    spaces : ndarray of bool
        Values whose inner white space was collapsed.
    """
    text = text_of_uniques(uniques)
    n = len(text)
    invisible = np.zeros(n, dtype=bool)
    spaces = np.zeros(n, dtype=bool)
    if n == 0:
        return text, invisible, spaces
    candidates = np.flatnonzero(_matches(text, _NEEDS_CLEANING))
    if candidates.size:
        values = text.to_numpy(dtype=object, na_value=None)
        for i in candidates:
            values[i], invisible[i], spaces[i] = _clean_one(values[i])
        text = pd.Series(values, dtype="string")
        text = text.where(text.str.len() > 0)
    return text, invisible, spaces


def _arrow_text(uniques: pd.Index) -> object | None:
    """Return the distinct values as Arrow text without a Python object each, or None if they are not all text.

    Arrow-backed text (pandas' ``str`` and ``string[pyarrow]`` dtypes: every Parquet and CSV text column) hands
    over its own Arrow array; other values are tested for being text first (as :func:`text_of_uniques` does) and
    converted.
    """
    import pyarrow as pa

    dtype = uniques.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        text = uniques.array.__arrow_array__()  # the array's own (chunked) Arrow data: no copy
        return None if text.null_count else text  # a missing value is cleaned the long way, as for object values
    if pd.api.types.infer_dtype(uniques, skipna=False) != "string":
        return None  # not all text (numbers, missing values): cleaned the long way
    return pa.array(np.asarray(uniques, dtype=object), type=pa.string())


def is_clean_text(uniques: pd.Index) -> bool:
    """Return True when every distinct value is text that :func:`clean_text_uniques` leaves as it is.

    That is: no value is trimmed, none is empty or a missing marker, and none holds a character cleaning could
    change (white space runs, invisible or compatibility characters). Checked with Arrow's string kernels on the
    values as they are, which is how :func:`text_of_uniques` and :func:`clean_text_uniques` test them too;
    Arrow-backed values are tested in their own Arrow array, never turned into Python strings.
    """
    import pyarrow.compute as pc

    entry = _shared_entry(uniques)
    if entry is not None and entry[2] is not None:
        return entry[2]  # the same Index, tested already (the villages' identifiers named by every table)
    text = entry[0] if entry is not None else _arrow_text(uniques)  # the Arrow text it was made from: no copy
    if text is None:
        return False
    clean = not pc.any(pc.match_substring_regex(text, _NOT_CLEAN)).as_py()
    if entry is not None:
        entry[2] = clean
    return clean


# Object Indexes of text made from Arrow text (shared_text_index), while some table holds them: per Index, the
# text it was made from (as Arrow ``string``), a weak reference to it and whether it is clean text (once tested).
# At most the latest ``_SHARED_TEXT_LIMIT`` Indexes, each of at most ``_SHARED_TEXT_MAX`` values, are remembered.
_SHARED_TEXT: list[list] = []
_SHARED_TEXT_LIMIT = 16
_SHARED_TEXT_MAX = 1 << 21


def _shared_entry(index: pd.Index) -> list | None:
    """Return the entry of an Index :func:`shared_text_index` made (the very object), None for any other Index."""
    if index.dtype != object:
        return None
    return next((entry for entry in _SHARED_TEXT if entry[1]() is index), None)


def shared_text_index(text: object) -> pd.Index:
    """Return distinct Arrow text as an Index of Python strings, the one already made from equal text if alive.

    Tables of one folder name the same villages and units: at a national scale the dictionaries of ``village_id``
    in the funding, outcome, need and assignment files are the same 500,000 identifiers, each of which would become
    a Python string once per table. Equal text (compared in Arrow, byte for byte) gets the very Index made first
    instead: an Index is immutable, so sharing it changes no value, order or dtype; and pandas keeps on it the hash
    table it built when checking the values distinct. An Index is remembered only while something holds it.

    Parameters
    ----------
    text : pyarrow Array or ChunkedArray of string or large_string
        Distinct values, without nulls.

    Returns
    -------
    Index of object
    """
    import pyarrow as pa

    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
    key = None
    try:  # text of millions of distinct values (a table's own identifiers, as cadres'): not kept beside its Index
        if len(text) <= _SHARED_TEXT_MAX:
            key = text if text.type == pa.string() else text.cast(pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # over 2 GB of text: not shared
        pass
    _SHARED_TEXT[:] = [entry for entry in _SHARED_TEXT if entry[1]() is not None]
    if key is not None:
        for known, ref, _ in _SHARED_TEXT:
            index = ref()
            if index is not None and len(known) == len(key) and known.equals(key):
                return index
    index = pd.Index(text.to_numpy(zero_copy_only=False), dtype=object)
    if key is not None:
        _SHARED_TEXT.append([key, weakref.ref(index), None])
        del _SHARED_TEXT[:-_SHARED_TEXT_LIMIT]
    return index


def codes_and_uniques(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 for NaN/None) and distinct values of a column; free for categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.array.codes.astype(np.int64), values.cat.categories
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), pd.Index(uniques)


def object_categories(values: pd.Series) -> pd.Index | None:
    """Return the categories of a categorical of Python objects (every typed text column), None for any other column.

    Checks on such a column look up its distinct values once and reach the rows through its codes (code -1, a
    missing cell, indexing a value appended after the categories' own) instead of hashing every row's value.
    """
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype) and dtype.categories.dtype == object:
        return dtype.categories
    return None


def present_values(values: pd.Series) -> pd.Index:
    """Return the distinct non-missing values of an identifier column as an Index of objects.

    They come in their categories' order, or in their order of appearance. For a categorical of objects whose
    categories every row's codes use (as typing makes them), the very categories: pandas keeps the hash table it
    built when it checked them distinct, and lookups reuse it.
    """
    categories = object_categories(values)
    if categories is not None:
        used = np.bincount(values.array.codes + 1, minlength=len(categories) + 1)[1:] > 0
        return categories if used.all() else categories[used]
    codes, uniques = codes_and_uniques(values)
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(uniques)))
    return pd.Index(np.asarray(uniques, dtype=object)[used], dtype=object)


def _missing_text(values: pd.Series) -> np.ndarray:
    """Where text (pandas' string dtypes) is missing, empty or a missing marker once trimmed, in any case."""
    # Vectorised string kernels beat factorising a column of two million distinct amounts.
    text = values.str.strip()
    lowered = text.str.lower()
    return (values.isna() | (text.str.len() == 0) | lowered.isin(list(_MISSING))).to_numpy(dtype=bool)


def missing_mask(values: pd.Series) -> np.ndarray:
    """Return True where a cell is empty or a conventional missing marker."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" and len(values):
        # Arrow-backed text (every CSV column, Parquet text): a value holding a letter, digit or ideograph that no
        # missing marker holds is not missing (one RE2 pass over the column); the few others are tested as below.
        import pyarrow.compute as pc

        text = values.array.__arrow_array__()
        maybe = ~np.asarray(pc.fill_null(pc.match_substring_regex(text, _NEVER_MISSING), False), dtype=bool)
        missing = np.zeros(len(values), dtype=bool)
        if maybe.any():
            missing[maybe] = _missing_text(values[maybe])
        return missing
    if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object:
        return _missing_text(values)
    if isinstance(dtype, pd.CategoricalDtype):
        # Its categories are its distinct values; rows reached through the codes in their own width (code -1, a
        # missing cell, picks the True appended), and no lookup at all when no category reads as missing.
        codes = values.array.codes  # the categorical's own (read-only) codes: no copy
        if len(dtype.categories) == 0 or is_clean_text(dtype.categories):  # clean text is never a missing marker
            return codes < 0
        unique_missing = text_of_uniques(dtype.categories).isna().to_numpy(dtype=bool)
        return np.append(unique_missing, True)[codes] if unique_missing.any() else codes < 0
    if values.dtype == object:
        # Work on distinct values only: ledgers repeat the same strings many times.
        codes, uniques = codes_and_uniques(values)
        if len(uniques) == 0:
            return codes < 0
        unique_missing = text_of_uniques(uniques).isna().to_numpy(dtype=bool)
        return (codes < 0) | unique_missing[np.maximum(codes, 0)]
    return values.isna().to_numpy(dtype=bool)


# --- numbers ---------------------------------------------------------------------------------------

_GROUPED = re.compile(r"^[+-]?\d{1,3}(?:([,\s])\d{3})(?:\1\d{3})*(?:\.\d+)?$")
_NUMERIC_LOOKING = re.compile(r"^[+-]?[\d,\s.]+$")


@dataclass(frozen=True)
class ParsedNumbers:
    """Numbers parsed from a column, with masks of the cells that could not be read and why.

    Attributes
    ----------
    values : ndarray of float
        Parsed values; NaN where missing or unreadable.
    not_number : ndarray of bool
        Present but not a number.
    bad_separator : ndarray of bool
        Digits with commas or spaces that are not groups of three (``12,5``): a decimal comma or a typo.
    not_finite : ndarray of bool
        ``inf``, ``1e309`` and other values that are not finite.
    """

    values: np.ndarray
    not_number: np.ndarray
    bad_separator: np.ndarray
    not_finite: np.ndarray

    @property
    def bad(self) -> np.ndarray:
        """Any cell that was present but not read."""
        return self.not_number | self.bad_separator | self.not_finite


def parse_numbers_detailed(values: pd.Series) -> ParsedNumbers:
    """Parse numbers; thousands separators are accepted only in groups of three (12,500 or 12 500).

    Full-width digits (１２.５) are read as digits. ``12,5`` is not read as 125 or as 12.5: a comma that does
    not separate groups of three is reported.
    """
    n = len(values)
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float, na_value=np.nan, copy=True)  # a fresh array, never the column's own
        infinite = np.isinf(numbers)
        numbers[infinite] = np.nan
        zeros = np.zeros(n, dtype=bool)
        return ParsedNumbers(numbers, zeros, zeros.copy(), infinite)
    missing = missing_mask(values)
    text = (values if pd.api.types.is_string_dtype(values.dtype) and values.dtype != object
            else values.astype("string")).str.strip()
    numbers = np.array(pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
    numbers[missing] = np.nan
    todo = ~missing & np.isnan(numbers)
    bad_separator = np.zeros(n, dtype=bool)
    if todo.any():  # slow path for the cells that are not plain numbers, on their distinct values only
        idx = np.flatnonzero(todo)
        codes, uniques = pd.factorize(text.iloc[idx].astype(object))
        unique_numbers = np.full(len(uniques), np.nan)
        unique_separator = np.zeros(len(uniques), dtype=bool)
        for k, cell in enumerate(uniques):
            cleaned = unicodedata.normalize("NFKC", str(cell)).strip().replace("\u3000", " ")
            if "_" in cleaned:  # 1_000 is Python's way of writing a number, not a ledger's: float() must not read it
                continue
            if _GROUPED.match(cleaned):
                cleaned = re.sub(r"[,\s]", "", cleaned)
            elif ("," in cleaned or " " in cleaned) and _NUMERIC_LOOKING.match(cleaned):
                unique_separator[k] = True
                continue
            try:
                unique_numbers[k] = float(cleaned)
            except ValueError:
                continue
        numbers[idx] = unique_numbers[codes]
        bad_separator[idx] = unique_separator[codes]
    not_finite = ~missing & np.isinf(numbers)
    numbers[not_finite] = np.nan
    not_number = ~missing & np.isnan(numbers) & ~bad_separator & ~not_finite
    return ParsedNumbers(numbers, not_number, bad_separator, not_finite)


def parse_numbers(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Parse numbers written with optional thousands separators.

    Returns
    -------
    numbers : ndarray of float
        Parsed values, NaN where missing or unreadable.
    bad : ndarray of bool
        True where a cell was present but is not a finite number.
    """
    parsed = parse_numbers_detailed(values)
    return parsed.values, parsed.bad


# --- yes / no --------------------------------------------------------------------------------------

_TRUE = {"1", "1.0", "true", "t", "yes", "y", "是", "有", "√", "✓"}
_FALSE = {"0", "0.0", "false", "f", "no", "n", "否", "无", "×"}


def _yes_or_no(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Where values, written out as text, trimmed and lowered, are a yes and where a no."""
    text = values.astype("string").str.strip().str.lower()
    return text.isin(list(_TRUE)).to_numpy(dtype=bool), text.isin(list(_FALSE)).to_numpy(dtype=bool)


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
    if getattr(values.dtype, "kind", "") in "iu" and len(values) > 1_000:
        # Integers (0/1 columns of millions of records): each distinct value is written out as text once and the
        # answers spread back by its codes. An integer has one text, so this equals writing out every cell.
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        unique_true, unique_false = _yes_or_no(pd.Series(uniques, dtype=values.dtype))
        is_true = np.append(unique_true, False)[codes]
        is_false = np.append(unique_false, False)[codes]
    else:
        is_true, is_false = _yes_or_no(values)
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
#: Dates outside these calendar years are implausible for a village posting (configurable: --date-years).
DATE_YEARS: tuple[int, int] = (1949, 2100)


def _excel_serial_range(years: tuple[int, int]) -> tuple[int, int]:
    low = (pd.Timestamp(year=years[0], month=1, day=1) - _EXCEL_EPOCH).days
    high = (pd.Timestamp(year=years[1], month=12, day=31) - _EXCEL_EPOCH).days
    return low, high


def parse_dates_detailed(values: pd.Series, years: tuple[int, int] = DATE_YEARS
                         ) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse dates in the forms county ledgers use (see :func:`_parse_dates_each`), each distinct value once.

    Ledgers repeat a few thousand dates over millions of rows: the distinct values are parsed and the results
    spread back by their codes, which gives the same output as parsing every cell.
    """
    if len(values) > 1_000 and not pd.api.types.is_datetime64_any_dtype(values.dtype):
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) <= len(values) // 2:
            dates, unreadable, implausible = _parse_dates_each(pd.Series(uniques, dtype=values.dtype), years)
            present = codes >= 0
            out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]")
            out[present] = dates.to_numpy(dtype="datetime64[ns]")[codes[present]]
            bad_read = np.zeros(len(values), dtype=bool)
            bad_year = np.zeros(len(values), dtype=bool)
            bad_read[present] = unreadable[codes[present]]
            bad_year[present] = implausible[codes[present]]
            return pd.Series(out, index=values.index), bad_read, bad_year
    return _parse_dates_each(values, years)


def _parse_dates_each(values: pd.Series, years: tuple[int, int] = DATE_YEARS
                      ) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse dates in the forms county ledgers use, and tell unreadable from implausible dates.

    Accepted: ISO ``2021-05-01``, ``2021/5/1``, ``2021.5.1``, ``2021年5月1日`` (each optionally with a
    time), ``20210501``, Excel date cells and Excel serial day numbers (days since 1899-12-30) within
    ``years``. Time-zone-aware timestamps are read as the date on the clock in their own time zone.

    Returns
    -------
    dates : Series of datetime64[ns]
        Parsed dates (time of day dropped), NaT where missing, unreadable or implausible.
    unreadable : ndarray of bool
        Present but not a date.
    implausible : ndarray of bool
        A date outside ``years`` (e.g. 1800-01-01 or 2999-12-31).
    """
    n = len(values)
    low_year, high_year = years
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        year = values.dt.year.to_numpy(dtype=float, na_value=np.nan)
        implausible = (year < low_year) | (year > high_year)
        dates = values.where(~implausible).dt.normalize().astype("datetime64[ns]")
        return dates, np.zeros(n, dtype=bool), implausible
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    missing = missing_mask(values)
    todo = ~missing
    implausible = np.zeros(n, dtype=bool)
    # Excel cells already typed as dates (datetime/Timestamp objects).
    if values.dtype == object:
        is_stamp = values.map(lambda v: isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year"))
        is_stamp = is_stamp.to_numpy(dtype=bool) & todo
        if is_stamp.any():
            stamps = values[is_stamp]
            year = np.array([getattr(v, "year", -1) for v in stamps], dtype=float)
            ok = (year >= low_year) & (year <= high_year)
            where = np.flatnonzero(is_stamp)
            implausible[where[~ok]] = True
            if ok.any():
                good = pd.to_datetime(pd.Series(list(stamps[ok])), utc=False)
                if isinstance(good.dtype, pd.DatetimeTZDtype):
                    good = good.dt.tz_localize(None)
                out[where[ok]] = good.dt.normalize().to_numpy(dtype="datetime64[ns]")
            todo &= ~is_stamp
    text = values.astype("string").str.strip()
    for pattern in (_YMD, _COMPACT):
        if todo.any():
            parts = text[todo].str.extract(pattern).astype("float")
            year, month, day = (parts[k].to_numpy() for k in range(3))
            shaped = ~np.isnan(year) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31)
            outside = shaped & ((year < low_year) | (year > high_year))
            implausible[np.flatnonzero(todo)[outside]] = True
            year = np.where(outside, np.nan, year)
            stamp = pd.to_datetime(
                pd.DataFrame({"year": year, "month": month, "day": day}), errors="coerce"
            ).to_numpy(dtype="datetime64[ns]")
            out[todo] = stamp
            todo[todo] = np.isnat(stamp) & ~outside
    if todo.any():  # Excel serial day numbers
        serial = pd.to_numeric(text[todo], errors="coerce").to_numpy(dtype=float)
        low, high = _excel_serial_range(years)
        ok = (serial >= low) & (serial <= high) & (serial == np.floor(serial))
        stamp = np.full(len(serial), np.datetime64("NaT"), dtype="datetime64[ns]")
        stamp[ok] = (_EXCEL_EPOCH + pd.to_timedelta(serial[ok], unit="D")).to_numpy(dtype="datetime64[ns]")
        out[todo] = stamp
        todo[todo] = np.isnat(stamp)
    return pd.Series(out, index=values.index), todo, implausible


def parse_dates(values: pd.Series, years: tuple[int, int] = DATE_YEARS) -> tuple[pd.Series, np.ndarray]:
    """Parse dates in the forms county ledgers use (see :func:`parse_dates_detailed`).

    Returns
    -------
    dates : Series of datetime64[ns]
        Parsed dates, NaT where missing, unreadable or implausible.
    bad : ndarray of bool
        True where a cell was present but is not a plausible date.
    """
    dates, unreadable, implausible = parse_dates_detailed(values, years)
    return dates, unreadable | implausible
