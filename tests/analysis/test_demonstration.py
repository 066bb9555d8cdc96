"""H5 designs a referee asks for: anticipation of designation and who is designated."""

from __future__ import annotations

import numpy as np
import pytest

from villageaid.analysis.demonstration import (
    demonstration_models,
    designation_effects,
    designation_frame,
    designation_selection,
)
from villageaid.panel import build_panel
from villageaid.simulation import simulate


@pytest.fixture(scope="module")
def data():
    simulated = simulate(seed=9)
    return build_panel(simulated.tables), simulated.truth


def test_anticipation_is_reported_beside_the_main_estimates(data) -> None:
    panel, _ = data
    results = demonstration_models(panel, draws=9, anticipation=1)
    direct = designation_effects(designation_frame(panel), "not_yet_treated", anticipation=1).aggregate("simple")
    np.testing.assert_allclose(results.cs_anticipation_simple.overall_estimate, direct.overall_estimate, rtol=1e-12,
                               atol=0)
    assert results.anticipation == 1
    assert demonstration_models(panel, draws=9, anticipation=0).cs_anticipation_simple is None


def test_the_selection_equation_finds_who_the_simulation_designates(data) -> None:
    panel, truth = data
    table = designation_selection(panel).tidy().set_index("term")
    scenario = truth["scenario"]
    # the hazard of each wave rises with endowment and a city-level unit (logit slopes 0.8 each); ever being
    # designated over three low-hazard waves has nearly the same slopes
    for term, slope in (("endowment_index", scenario["demonstration_slope_endowment"]),
                        ("city", scenario["demonstration_slope_city"])):
        assert abs(table.loc[term, "estimate"] - slope) < 2.5 * table.loc[term, "std_error"], term
    assert abs(table.loc["need_index", "estimate"]) < 2.5 * table.loc["need_index", "std_error"]
