"""Writing outputs: Parquet by row group reads back exactly as pandas' own writer, attrs included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.io import write as write_module
from villageaid.io.write import write_parquet


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({
        "village_id": pd.Categorical.from_codes(rng.integers(0, 5, n), categories=[f"V{k}" for k in range(5)]),
        "year": np.arange(n) % 10 + 2016,
        "amount": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        "rich": pd.array(np.where(rng.random(n) < 0.3, None, rng.random(n) < 0.5), dtype="boolean"),
        "cohort": pd.array(np.where(rng.random(n) < 0.3, None, rng.integers(2017, 2022, n)), dtype="Int64"),
        "village_type": rng.choice(["A", "B", "C", "D"], n).astype(object),
        "unit": pd.Categorical.from_codes(np.full(n, -1), categories=["U1", "U2"]),  # all missing
    })
    frame.attrs["data_source"] = "simulated, scenario test, seed 1"
    return frame


def test_parquet_written_by_row_group_reads_back_as_pandas_writes_it(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    frame = _frame(23)
    frame.to_parquet(tmp_path / "pandas.parquet", index=False, engine="pyarrow", compression="zstd")
    monkeypatch.setattr(write_module, "PARQUET_ROW_GROUP", 7)  # four row groups, the last one short
    write_parquet(frame, tmp_path / "groups.parquet")
    write_parquet(frame, tmp_path / "again.parquet")
    import pyarrow.parquet as pq

    assert pq.ParquetFile(tmp_path / "groups.parquet").num_row_groups == 4
    by_groups, by_pandas = pd.read_parquet(tmp_path / "groups.parquet"), pd.read_parquet(tmp_path / "pandas.parquet")
    pd.testing.assert_frame_equal(by_groups, by_pandas, check_exact=True)
    pd.testing.assert_frame_equal(by_groups, frame, check_exact=True, check_categorical=True,
                                  check_dtype=False)
    assert by_groups.attrs == frame.attrs
    assert (tmp_path / "groups.parquet").read_bytes() == (tmp_path / "again.parquet").read_bytes()


@pytest.mark.parametrize("row_group", [700, 5_000])
def test_many_categories_written_plain_read_back_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          row_group: int) -> None:
    # A categorical with many categories, each used, in first-use order (as validation's identifiers) in a table of
    # several row groups is written without a Parquet dictionary; it reads back the same values, categories and
    # category order. One with an unused category or another order keeps its dictionary, and reads back unchanged
    # too; a table of one row group keeps every dictionary.
    import pyarrow.parquet as pq

    monkeypatch.setattr(write_module, "PLAIN_CATEGORIES", 50)
    monkeypatch.setattr(write_module, "PARQUET_ROW_GROUP", row_group)
    rng = np.random.default_rng(5)
    n = 2_000
    ids = pd.Series([f"C{k:05d}" for k in rng.permutation(n)])
    ids[rng.random(n) < 0.1] = None
    codes, uniques = pd.factorize(ids)
    first_use = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))
    reordered = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object)).reorder_categories(
        list(uniques[::-1]))
    unused = pd.Categorical.from_codes(codes, categories=pd.Index([*uniques, "never"], dtype=object))
    frame = pd.DataFrame({"first_use": first_use, "reordered": reordered, "unused": unused,
                          "few": pd.Categorical(rng.choice(["a", "b"], n)), "year": np.arange(n)})
    assert write_module._plain_categoricals(frame) == (["first_use"] if row_group < n else [])
    path = write_parquet(frame, tmp_path / "t.parquet")
    frame.to_parquet(tmp_path / "dictionary.parquet", index=False, engine="pyarrow", compression="zstd")
    back, before = pd.read_parquet(path), pd.read_parquet(tmp_path / "dictionary.parquet")
    assert back.equals(before) and back.dtypes.equals(before.dtypes)
    for column in ("first_use", "reordered", "unused", "few"):
        assert list(back[column].cat.categories) == list(frame[column].cat.categories)
        assert back[column].cat.categories.dtype == before[column].cat.categories.dtype
        assert (back[column].cat.codes == frame[column].cat.codes).all()
    encodings = {pq.ParquetFile(path).metadata.row_group(0).column(i).path_in_schema:
                 pq.ParquetFile(path).metadata.row_group(0).column(i).encodings for i in range(5)}
    assert ("RLE_DICTIONARY" in encodings["first_use"]) == (row_group >= n) and "RLE_DICTIONARY" in encodings["unused"]


def test_few_categories_written_as_before(tmp_path: Path) -> None:
    # Below the threshold nothing changes: the same bytes as pandas' own writer with its default dictionary.
    frame = _frame(500)
    write_parquet(frame, tmp_path / "a.parquet")
    frame.to_parquet(tmp_path / "b.parquet", index=False, engine="pyarrow", compression="zstd")
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()
