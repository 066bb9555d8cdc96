"""The standard errors the paper prints (Tables 3-5 and 8) are the exact leave-one-village-out jackknife.

Each check refits the printed model without each village (every fixed effect re-estimated, the county ×
year effects included) and compares (G − 1)/G · Σ (β₋g − β̂)² with the printed variance, to 1e-6 relative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis import allocation_models, logic_shift_models
from villageaid.analysis.variables import analysis_frame
from villageaid.estimators import FEOLS, FEPoisson, RegressionResults
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.simulation import simulate


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    tables, report = validate_tables(simulate().tables)
    assert report.ok
    return build_panel(tables)


def _brute_force_jackknife(result: RegressionResults, data: pd.DataFrame) -> np.ndarray:
    model_class = type(result.model)
    full = result.params
    shifts = []
    for village in data["village"].unique():
        rest = data.loc[data["village"] != village].reset_index(drop=True)
        refit = model_class(result.formula, rest).fit(vcov="iid")
        shifts.append(refit.params[full.index].to_numpy() - full.to_numpy())
    shifts = np.array(shifts)
    groups = len(shifts)
    return (groups - 1) / groups * shifts.T @ shifts


def _check(result: RegressionResults, data: pd.DataFrame) -> None:
    assert result.vcov_type == "cluster jackknife (CRV3) by village"
    exact = _brute_force_jackknife(result, data)
    np.testing.assert_allclose(result.std_errors.to_numpy(), np.sqrt(np.diag(exact)), rtol=1e-6, atol=0)


@pytest.mark.integration
def test_table3_and_table8_errors_are_the_exact_village_jackknife(panel: pd.DataFrame) -> None:
    results = allocation_models(panel, period="transition", bootstrap_draws=0)
    frame = analysis_frame(panel)
    frame = frame.loc[frame["period"] == "transition"].reset_index(drop=True)
    for result in (results.asinh_ols, results.ppml, results.types_ols):  # Table 8's H8 tests use the first two
        _check(result, frame)
    assert isinstance(results.ppml.model, FEPoisson) and isinstance(results.asinh_ols.model, FEOLS)


@pytest.mark.integration
def test_table4_and_table5_errors_are_the_exact_village_jackknife(panel: pd.DataFrame) -> None:
    results = logic_shift_models(panel, bootstrap_draws=0, event_studies=True)
    frame = analysis_frame(panel)
    for result in (results.asinh_ols, results.ppml, results.rich_event_study.model):
        _check(result, frame)
