"""Parquet read into pandas by read_parquet_frames: the frames pd.read_parquet makes (values, dtypes, categories'
storage, column index, attrs), with equal dictionaries sharing one CategoricalDtype."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from villageaid.io.parquet_frames import read_parquet_frames
from villageaid.io.write import write_parquet


def _assert_same_frame(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert [repr(d) for d in got.dtypes] == [repr(d) for d in expected.dtypes]
    assert got.columns.dtype == expected.columns.dtype and type(got.index) is type(expected.index)
    assert got.attrs == expected.attrs
    for name in expected.columns:
        if isinstance(expected[name].dtype, pd.CategoricalDtype):
            assert got[name].cat.codes.dtype == expected[name].cat.codes.dtype
            mine, theirs = got[name].cat.categories, expected[name].cat.categories
            assert mine.dtype == theirs.dtype
            if isinstance(theirs.dtype, pd.StringDtype):
                assert mine.array._pa_array.type == theirs.array._pa_array.type  # large_string, as pandas makes


def _tables(seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 400))
    ids = [f"V{k:04d}" for k in range(int(rng.integers(1, 300)))]
    villages = pd.DataFrame({
        "village_id": pd.Series(ids, dtype="category"),
        "county": pd.Series(rng.choice(["甲县", "乙县", "K"], len(ids)), dtype="category"),
        "population": rng.integers(0, 5_000, len(ids)),
        "name": pd.Series(rng.choice(["a", "b", None], len(ids)), dtype="str"),
        "share": np.where(rng.random(len(ids)) < 0.1, np.nan, rng.random(len(ids))),
        "flag": rng.random(len(ids)) < 0.5,
    })
    records = pd.DataFrame({
        "village_id": pd.Categorical.from_codes(rng.integers(-1, len(ids), n), dtype=villages["village_id"].dtype),
        "year": rng.integers(2015, 2026, n),
        "amount": rng.gamma(1.0, 10.0, n),
        "kind": pd.Categorical(rng.choice(["x", "y"], n), categories=["y", "x", "unused"]),
        "level": pd.Categorical(rng.choice(["low", "high"], n), categories=["low", "high"], ordered=True),
        "date": pd.Series(pd.Timestamp("2016-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")),
        "none": pd.Categorical.from_codes(np.full(n, -1), categories=["U1"]),  # every value missing
    })
    records.attrs["data_source"] = f"test {seed}"
    only_codes = pd.DataFrame({"village_id": villages["village_id"].iloc[::-1].reset_index(drop=True)})
    empty = records.iloc[:0]
    return {"villages": villages, "records": records, "only_codes": only_codes, "empty": empty}


@pytest.mark.parametrize("seed", range(4))
def test_frames_equal_pandas_read_parquet(tmp_path: Path, seed: int) -> None:
    tables = _tables(seed)
    for name, frame in tables.items():
        write_parquet(frame, tmp_path / f"{name}.parquet")
    columns = {"villages": None, "records": ["amount", "village_id", "kind"], "only_codes": None, "empty": None}
    frames = read_parquet_frames({name: (tmp_path / f"{name}.parquet", columns[name]) for name in tables})
    assert list(frames) == list(tables)
    for name in tables:
        _assert_same_frame(frames[name], pd.read_parquet(tmp_path / f"{name}.parquet", columns=columns[name]))
    # Equal dictionaries share one dtype, other dictionaries do not.
    assert frames["villages"]["village_id"].dtype is frames["only_codes"]["village_id"].dtype
    if len(frames["records"]):
        assert frames["records"]["village_id"].dtype is frames["villages"]["village_id"].dtype
        assert frames["records"]["kind"].dtype is not frames["villages"]["village_id"].dtype


def test_chunks_with_different_dictionaries_and_zero_columns(tmp_path: Path) -> None:
    # Row groups written with their own dictionaries (pyarrow unifies them: left to it), a file read without
    # columns, a table of only categoricals.
    first = pa.table({"code": pa.array(["a", "b"]).dictionary_encode(), "x": [1, 2]})
    second = pa.table({"code": pa.array(["c", "a"]).dictionary_encode(), "x": [3, 4]})
    with pq.ParquetWriter(tmp_path / "chunks.parquet", first.schema) as writer:
        writer.write_table(first)
        writer.write_table(second)
    files = {"chunks": (tmp_path / "chunks.parquet", None), "none": (tmp_path / "chunks.parquet", []),
             "codes": (tmp_path / "chunks.parquet", ["code"])}
    frames = read_parquet_frames(files)
    for name, (path, columns) in files.items():
        _assert_same_frame(frames[name], pd.read_parquet(path, columns=columns))


def test_columns_left_to_pyarrow() -> None:
    # Ordered dictionaries, dictionaries of numbers, empty ones, ones holding a null and columns without chunks are
    # not made here (None: pyarrow converts them); equal dictionaries of string and large_string share one dtype.
    from villageaid.io.parquet_frames import CategoriesCache, categorical_of

    cache = CategoriesCache()
    text = pa.array(["a", "b"])
    ordered = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), text, ordered=True)
    numbers = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array([1.5, 2.5]))
    empty = pa.DictionaryArray.from_arrays(pa.array([None], pa.int8()), pa.array([], pa.string()))
    with_null = pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array(["a", None]))
    for column in (ordered, numbers, empty, with_null):
        assert categorical_of(pa.chunked_array([column]), cache) is None
    assert categorical_of(pa.chunked_array([], pa.dictionary(pa.int8(), pa.string())), cache) is None
    plain = categorical_of(pa.chunked_array([pa.DictionaryArray.from_arrays(pa.array([1, None, 0]), text)]), cache)
    large = categorical_of(pa.chunked_array([pa.DictionaryArray.from_arrays(pa.array([0], pa.int16()),
                                                                            text.cast(pa.large_string()))]), cache)
    assert plain.tolist() == ["b", np.nan, "a"] and large.tolist() == ["a"]
    assert plain.dtype is large.dtype and plain.codes.dtype == np.int8
