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
