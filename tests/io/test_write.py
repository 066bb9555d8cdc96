"""Writing outputs: a long frame's Parquet (one row group) reads back exactly as pandas' own writer and the former
writer by row groups write it, attrs included."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from villageaid.io import write as write_module
from villageaid.io.write import statistics_columns, write_parquet


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


def _write_by_row_group(frame: pd.DataFrame, path: Path, rows: int) -> None:
    """The former writer of long frames (to main b8c8ab3): converted and written one row group of ``rows`` at a time."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    def part(start: int, schema: pa.Schema | None = None) -> pa.Table:
        return pa.Table.from_pandas(frame.iloc[start:start + rows], schema=schema, preserve_index=False)

    first = part(0)
    metadata = dict(first.schema.metadata or {})
    if frame.attrs:
        metadata[b"PANDAS_ATTRS"] = json.dumps(frame.attrs).encode()
    schema = first.schema.with_metadata(metadata)
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        writer.write_table(first.replace_schema_metadata(metadata))
        for start in range(rows, len(frame), rows):
            writer.write_table(part(start, schema))


def test_long_frame_written_in_one_row_group_reads_back_as_pandas_and_the_former_writer_write_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow.parquet as pq

    frame = _frame(23)
    frame.to_parquet(tmp_path / "pandas.parquet", index=False, engine="pyarrow", compression="zstd",
                     write_statistics=statistics_columns(frame))
    _write_by_row_group(frame, tmp_path / "groups.parquet", 7)  # four row groups, the last one short
    monkeypatch.setattr(write_module, "PARQUET_ROW_GROUP", 7)  # 23 rows count as a long frame
    write_parquet(frame, tmp_path / "long.parquet")
    write_parquet(frame, tmp_path / "again.parquet")
    assert pq.ParquetFile(tmp_path / "groups.parquet").num_row_groups == 4
    assert pq.ParquetFile(tmp_path / "long.parquet").num_row_groups == 1
    long, by_pandas = pd.read_parquet(tmp_path / "long.parquet"), pd.read_parquet(tmp_path / "pandas.parquet")
    pd.testing.assert_frame_equal(long, by_pandas, check_exact=True)
    pd.testing.assert_frame_equal(long, pd.read_parquet(tmp_path / "groups.parquet"), check_exact=True)
    pd.testing.assert_frame_equal(long, frame, check_exact=True, check_categorical=True, check_dtype=False)
    for column in ("village_id", "unit"):  # the categories themselves, unused ones included
        assert list(long[column].cat.categories) == list(frame[column].cat.categories)
    assert long.attrs == frame.attrs
    assert pq.read_schema(tmp_path / "long.parquet").metadata == pq.read_schema(tmp_path / "pandas.parquet").metadata
    assert (tmp_path / "long.parquet").read_bytes() == (tmp_path / "again.parquet").read_bytes()
    # One row group however long: the bytes are those pandas writes for a frame within its row-group size.
    assert (tmp_path / "long.parquet").read_bytes() == (tmp_path / "pandas.parquet").read_bytes()


def test_few_categories_written_as_before(tmp_path: Path) -> None:
    # Below the threshold: the same bytes as pandas' own writer with its default dictionary.
    frame = _frame(500)
    write_parquet(frame, tmp_path / "a.parquet")
    frame.to_parquet(tmp_path / "b.parquet", index=False, engine="pyarrow", compression="zstd",
                     write_statistics=statistics_columns(frame))
    assert (tmp_path / "a.parquet").read_bytes() == (tmp_path / "b.parquet").read_bytes()


@pytest.mark.parametrize("long", [False, True])
def test_statistics_for_numbers_booleans_and_dates_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        long: bool) -> None:
    import pyarrow.parquet as pq

    frame = _frame(30).assign(
        day=pd.date_range("2021-01-01", periods=30, freq="D"),
        name=pd.array([f"n{k}" for k in range(30)], dtype="str"),
        flag=np.arange(30) % 2 == 0,
    )
    assert statistics_columns(frame) == ["year", "amount", "rich", "cohort", "day", "flag"]
    if long:
        monkeypatch.setattr(write_module, "PARQUET_ROW_GROUP", 7)
    write_parquet(frame, tmp_path / "a.parquet")
    group = pq.ParquetFile(tmp_path / "a.parquet").metadata.row_group(0)
    stats = {group.column(i).path_in_schema: group.column(i).statistics for i in range(group.num_columns)}
    assert {name for name, kept in stats.items() if kept is not None and kept.has_min_max} == {
        "year", "amount", "rich", "cohort", "day", "flag"}
    assert stats["year"].min == 2016 and stats["year"].max == 2025
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a.parquet"), frame, check_exact=True,
                                  check_dtype=False, check_categorical=True)
