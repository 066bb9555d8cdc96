"""Multiple estimation: several outcomes, stepwise regressors and fixed effects, split samples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid import MultipleResults, NotEstimated, etable, feols, fepois
from villageaid.estimators.multiple import expand_formula

DATA = pd.read_csv("tests/reference/estimators/panel_data.csv")


def test_expansion_follows_fixest() -> None:
    assert [f for _, f in expand_formula("y ~ sw(x1, x2)")] == ["y ~ x1", "y ~ x2"]
    assert [f for _, f in expand_formula("y ~ sw0(x1, x2) + d")] == ["y ~ d", "y ~ x1 + d", "y ~ x2 + d"]
    assert [f for _, f in expand_formula("y ~ csw(x1, x2) | unit")] == ["y ~ x1 | unit", "y ~ x1 + x2 | unit"]
    assert [f for _, f in expand_formula("c(y, count) ~ x1")] == ["y ~ x1", "count ~ x1"]
    assert [f for _, f in expand_formula("y ~ x1 | csw0(unit, period)")] == ["y ~ x1", "y ~ x1 | unit",
                                                                            "y ~ x1 | unit + period"]
    with pytest.raises(ValueError, match="one stepwise function"):
        expand_formula("y ~ sw(x1, x2) | csw(unit, period)")
    with pytest.raises(ValueError, match="at least one argument"):
        expand_formula("y ~ sw()")


def test_each_model_equals_its_own_fit() -> None:
    multi = feols("y + count ~ csw(x1, x2) | unit", DATA, vcov="hetero")
    assert isinstance(multi, MultipleResults) and len(multi) == 4
    for model in multi:
        alone = feols(model.formula, DATA, vcov="hetero")
        pd.testing.assert_series_equal(model.params, alone.params)
        np.testing.assert_allclose(model.se(), alone.se(), rtol=1e-12, atol=0)
    assert [m.formula for m in multi] == ["y ~ x1 | unit", "y ~ x1 + x2 | unit", "count ~ x1 | unit",
                                          "count ~ x1 + x2 | unit"]
    tidy = multi.tidy()
    assert set(tidy["formula"]) == {m.formula for m in multi} and len(tidy) == 6
    table = etable(multi).to_frame()
    assert table.shape[1] == 4


def test_split_and_fsplit_estimate_on_each_sample() -> None:
    split = fepois("count ~ x1 | unit", DATA, split="grp")
    assert len(split) == DATA["grp"].nunique()
    first = split[0]
    group = DATA["grp"].iloc[0]
    alone = fepois("count ~ x1 | unit", DATA[DATA["grp"] == group])
    pd.testing.assert_series_equal(first.params, alone.params)
    full = feols("y ~ x1", DATA, fsplit="grp")
    assert len(full) == DATA["grp"].nunique() + 1 and next(iter(full.models)).startswith("sample: full sample")


def test_an_unknown_outcome_is_named_and_an_unsupported_model_keeps_its_place() -> None:
    with pytest.raises(KeyError, match=r"outcome.*no_such_outcome"):
        feols("y + no_such_outcome ~ x1", DATA)
    with pytest.raises(KeyError, match="split column"):
        feols("y ~ x1", DATA, split="no_such_column")
    constant = DATA.assign(z=np.where(DATA["grp"] == DATA["grp"].iloc[0], 1.0, DATA["x1"]))
    multi = feols("y ~ z | unit", constant, split="grp")
    places = multi.to_list()
    assert isinstance(places[0], NotEstimated) and "no regressor left" in places[0].reason
    assert all(not isinstance(m, NotEstimated) for m in places[1:])
    assert len(multi.estimated) == len(multi) - 1 and "not estimated" in str(multi.summary())
