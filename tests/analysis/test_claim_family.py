"""The claims tested together: the family's correlation and the Romano–Wolf adjustment (Table 0)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis.allocation import allocation_models
from villageaid.analysis.claim_family import CLAIMS, claim_family, one_sided_p
from villageaid.panel import build_panel
from villageaid.registry import TRANSITION_PPML, key_for
from villageaid.simulation import simulate


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return build_panel(simulate(seed=5).tables)


@pytest.fixture(scope="module")
def family(panel: pd.DataFrame):
    return claim_family(panel, seed=7)


def test_the_family_holds_the_model_claims_and_says_why_the_others_stay_out(family) -> None:
    assert set(family.keys) | set(family.excluded) == {k.id for k in CLAIMS}
    assert not set(family.keys) & set(family.excluded)
    assert key_for(TRANSITION_PPML, "city_x_rich").id in family.keys
    assert "group-time" in family.excluded["demonstration.cs_not_yet.e0.estimate"]
    assert "table's statistic" in family.excluded["concentration.change.need"]
    correlation = family.correlation
    assert correlation.shape == (len(family.keys),) * 2
    np.testing.assert_allclose(correlation, correlation.T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.diag(correlation), 1.0, rtol=0, atol=1e-12)
    assert np.linalg.eigvalsh(correlation).min() > -1e-10
    assert family.tidy()["in_family"].sum() == len(family.keys)


def test_the_family_reads_the_estimates_of_the_papers_models(panel: pd.DataFrame, family) -> None:
    """The refit serves only the correlation: its estimates are the tables' (same model, another variance)."""
    paper = allocation_models(panel, period="transition", bootstrap_draws=0, models=("ppml",)).ppml
    refit = allocation_models(panel, period="transition", bootstrap_draws=0, vcov={"CRV1": "village"},
                              models=("ppml",)).ppml
    np.testing.assert_allclose(refit.params.to_numpy(), paper.params.to_numpy(), rtol=1e-12, atol=0)


def test_adjusted_p_values_are_at_least_the_unadjusted_and_a_claim_alone_keeps_its_own(family) -> None:
    rng = np.random.default_rng(0)
    p = dict(zip(family.keys, rng.uniform(0.0001, 0.3, len(family.keys)), strict=True))
    adjusted = family.adjust(p)
    assert set(adjusted) == set(family.keys)
    # Romano–Wolf: at least the unadjusted p (up to the (1 + count)/(B + 1) convention), at most Bonferroni's
    for key, value in adjusted.items():
        assert value >= p[key] - 0.01 and value <= min(1.0, len(p) * p[key]) + 0.01, key
    first = family.keys[0]
    alone = family.adjust({first: 0.04})
    np.testing.assert_allclose(alone[first], 0.04, rtol=0, atol=0.006)
    # claims without a p-value drop out; the adjustment is seeded
    assert family.adjust({first: np.nan}) == {}
    assert family.adjust(p) == adjusted


def test_one_sided_p_in_the_claimed_direction() -> None:
    assert one_sided_p(1.0, 2.0, 0.04, +1) == pytest.approx(0.02, rel=0, abs=1e-15)
    assert one_sided_p(1.0, 2.0, 0.04, -1) == pytest.approx(0.98, rel=0, abs=1e-15)
    assert one_sided_p(-1.0, -2.0, 0.04, -1) == pytest.approx(0.02, rel=0, abs=1e-15)
    assert np.isnan(one_sided_p(1.0, np.nan, 0.04, +1))
