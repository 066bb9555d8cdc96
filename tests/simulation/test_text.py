"""The simulator's Arrow text builders give what pandas' text arithmetic gave (the former code is the reference)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from villageaid.simulation.generate import _as_text, _joined, _number_text, _text_of, _where


def _frame_text(values: np.ndarray) -> pd.Series:
    """How a DataFrame stores a NumPy string column (the former code's path)."""
    return pd.DataFrame({"text": values})["text"]


def test_numbers_padded_as_zfill() -> None:
    numbers = np.r_[np.random.default_rng(3).integers(0, 10**7, 500), 0, 1, 9, 10, 99, 100, 999, 1000, 12345678]
    for width in (0, 1, 2, 3, 7):
        expected = pd.Series(numbers).astype(str).str.zfill(width)
        assert _as_text(_number_text(numbers, width)).tolist() == expected.tolist()


def test_joined_and_where_as_pandas_text_arithmetic() -> None:
    rng = np.random.default_rng(5)
    names = np.array(["W县", "P县", "县", "Ａ县"])
    picks = rng.integers(0, len(names), 300)
    group = rng.integers(0, 40, 300)
    kind = rng.random(300) < 0.5
    group_text = pd.Series(group + 1).astype(str)
    county_text = pd.Series(names[picks])
    former = np.where(kind, "H" + group_text, county_text + "县")
    former = ("U-" + pd.Series(former) + "-" + group_text.str.zfill(3)).array
    built = _joined("U-", _where(kind, _joined("H", _number_text(group + 1)),
                                 _joined(_text_of(names, picks), "县")), "-", _number_text(group + 1, 3))
    assert _as_text(built).tolist() == list(former)


def test_as_text_stores_what_a_frame_stores() -> None:
    values = np.array(["plain", "hill", "mountain", "山区", ""])
    stored = _frame_text(values)
    built = pd.Series(_as_text(values))
    assert built.dtype == stored.dtype and type(built.array) is type(stored.array)
    assert built.array._pa_array.type == stored.array._pa_array.type
    assert built.equals(stored)
    from_arrow = pd.Series(_as_text(_text_of(list(values), np.arange(len(values)))))
    assert from_arrow.equals(stored) and from_arrow.array._pa_array.type == stored.array._pa_array.type
