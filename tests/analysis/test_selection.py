"""H1 and H3 against the selection of villages by units: unit fixed effects and rotations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis.selection import selection_models
from villageaid.estimators.limits import MissingDataError, NoVariationError
from villageaid.panel import build_panel
from villageaid.simulation import simulate

CRV1 = {"CRV1": "village"}


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, dict]:
    simulated = simulate(seed=5)
    return build_panel(simulated.tables), simulated.truth


def test_unit_effects_and_rotations_recover_the_simulated_effects() -> None:
    """Over eight simulated data sets (one estimate misses by more than its interval in one of twenty)."""
    found, truths = [], []
    for seed in range(8):
        simulated = simulate(seed=seed)
        effects = simulated.truth["effects"]
        scale = 1 - effects["asinh_approx"]["share_no_funding"]  # asinh(funding) moves by about this × log points
        results = selection_models(build_panel(simulated.tables), vcov=CRV1)
        unit = results.unit_effects.tidy().set_index("term")
        rotation = results.rotation.tidy().set_index("term")
        found.append((unit.loc["city_x_rich", "estimate"], rotation.loc["d_city", "estimate"]))
        # units have no effect of their own beyond level and strength: within a unit, city × rich is the
        # alliance; a rotation's change of level moves funding by the campaign's level effect (its change at
        # 2021 is the d_post_city term)
        truths.append((scale * effects["H3_city_x_rich"]["transition"], scale * effects["H1_city_unit"]["campaign"]))
        assert results.rotations > 0 and "unit" in results.unit_effects.fixed_effects
    found, truths = np.asarray(found), np.asarray(truths)
    monte_carlo = found.std(axis=0, ddof=1) / np.sqrt(len(found))
    assert (np.abs(found.mean(axis=0) - truths.mean(axis=0)) < 4 * monte_carlo).all(), (found.mean(axis=0), truths)


def test_the_designs_say_what_they_lack(data) -> None:
    panel, _ = data
    with pytest.raises(MissingDataError, match="first secretaries' units"):
        selection_models(panel.assign(first_secretary_unit_id=pd.NA), vcov=CRV1)
    # every village its own unit: a unit is never seen with both a rich and a poor village
    own = panel.assign(first_secretary_unit_id=panel["village_id"].astype(str))
    with pytest.raises(NoVariationError, match="both a rich and a poor village"):
        selection_models(own, vcov=CRV1)
