"""Typing of numeric columns (io.columns._coerce_column): the values kept and the cells reported.

The typing skips copies that change nothing (a factor of 1, masks that flag no cell); these tests hold its output,
value by value and bit by bit, to the rule it implements, on clean columns and on columns with every kind of bad cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.io.columns import SourceFrame, _coerce_column, _Collector
from villageaid.io.headers import load_header_map
from villageaid.io.problems import ValidationReport
from villageaid.schema import RAW_TABLES


def _typed(table: str, column: str, values: pd.Series, factor: float = 1.0) -> tuple[pd.Series, list[tuple]]:
    report = ValidationReport()
    source = SourceFrame(table, f"{table}.csv", pd.DataFrame({0: values}), np.arange(2, len(values) + 2))
    typed = _coerce_column(RAW_TABLES[table].column(column), values, load_header_map(), factor,
                           _Collector(report, source), column, (1949, 2100))
    return typed, [(p.row, p.code) for p in report.problems]


def _expected_numbers(numbers: np.ndarray, factor: float, low: float, high: float, whole: bool) -> np.ndarray:
    """The rule written out value by value: scaled, NaN where missing, not whole (whole columns) or out of range."""
    out = []
    for x in numbers:
        y = x * factor
        if np.isnan(y) or np.isinf(x) or (whole and y != np.floor(y)) or y < low or y > high:
            out.append(np.nan)
        else:
            out.append(y)
    return np.array(out, dtype=float)


@pytest.mark.parametrize("factor", [1.0, 1e-4])
@pytest.mark.parametrize("dirty", [False, True])
def test_money_amounts_equal_the_rule_bit_for_bit(factor: float, dirty: bool) -> None:
    rng = np.random.default_rng(1)
    numbers = rng.uniform(0, 5_000, 3_000)
    if dirty:
        numbers[[3, 7, 11, 13, 17]] = [np.nan, -1.0, 2e6 / factor, np.inf, -0.0]
    typed, problems = _typed("funding", "amount", pd.Series(numbers), factor)
    expected = _expected_numbers(numbers, factor, 0, 1_000_000, whole=False)
    assert typed.dtype == np.float64
    assert np.array_equal(typed.to_numpy(), expected, equal_nan=True)
    assert np.array_equal(typed.to_numpy().view(np.int64)[~np.isnan(expected)],
                          expected.view(np.int64)[~np.isnan(expected)])  # -0.0 stays -0.0: the same bits
    codes = {code for _, code in problems}
    assert codes == ({"negative_amount", "too_large", "not_finite"} if dirty else set())


@pytest.mark.parametrize("kind_table", [("funding", "year"), ("villages", "population")])
@pytest.mark.parametrize("dtype", ["int64", "float64", "Int64"])
@pytest.mark.parametrize("dirty", [False, True])
def test_whole_numbers_equal_the_rule(kind_table: tuple[str, str], dtype: str, dirty: bool) -> None:
    table, column = kind_table
    schema = RAW_TABLES[table].column(column)
    rng = np.random.default_rng(2)
    numbers = rng.integers(2005, 2030, 2_000).astype(float)
    if dirty:
        numbers[[1, 5, 9]] = [1990.0, 2040.0, 600_000.0] if column == "year" else [-3.0, 600_000.0, 7.0]
        if dtype != "int64":
            numbers[2] = np.nan
        if dtype == "float64":
            numbers[4] = 2010.5
    values = pd.Series(numbers).astype(dtype)
    typed, problems = _typed(table, column, values)
    expected = _expected_numbers(numbers, 1.0, schema.minimum, schema.maximum, whole=True)
    assert typed.dtype == "Int64"
    assert typed.isna().to_numpy().tolist() == np.isnan(expected).tolist()
    assert typed.dropna().astype(np.int64).tolist() == expected[~np.isnan(expected)].astype(np.int64).tolist()
    assert bool(problems) == dirty
    if dirty and dtype == "float64":
        assert (6, "not_whole") in problems  # the 2010.5 of record 4 (from 0), on row 6 (rows count from 2)
