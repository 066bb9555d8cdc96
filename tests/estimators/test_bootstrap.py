"""Wild cluster bootstrap: the fast cluster-sum algebra against brute force, and random draws against
the exact (fully enumerated) bootstrap distribution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators import FEOLS, feols
from villageaid.estimators.bootstrap import (
    _ClusterSums,
    _restricted_beta,
    _t_stats,
    bootstrap_weights,
    wild_cluster_bootstrap,
)


def _data(clusters: int = 8, per: int = 25, effect: float = 0.0, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = clusters * per
    d = pd.DataFrame({"g": np.repeat(np.arange(clusters), per), "t": np.tile(np.arange(5), n // 5)})
    d["x"] = rng.normal(size=n) + rng.normal(size=clusters)[d["g"]]
    d["z"] = rng.normal(size=n)
    d["y"] = effect * d["x"] + 0.5 * d["z"] + rng.normal(size=clusters)[d["g"]] + rng.normal(size=n)
    return d


def test_fast_bootstrap_t_statistics_equal_brute_force() -> None:
    d = _data()
    model = FEOLS("y ~ x + z | t", d)
    design = model.design(("g",))
    X, y = design.X_tilde, design.y_tilde
    codes = d["g"].to_numpy()
    j, null = 0, 0.1
    sums = _ClusterSums(X, y, codes, j, design.fixed)
    G, n, k = 8, len(d), 2
    fe_df = design.fixed.degrees_of_freedom
    factor = G / (G - 1) * (n - 1) / (n - k - fe_df)  # t is not nested in g
    v = bootstrap_weights("webb", 40, G, np.random.default_rng(0))
    base = _restricted_beta(X, y, j, null)
    fast = _t_stats(sums, v, base, null, factor)
    resid = y - X @ base
    slow = []
    for draw in v:
        frame = d.assign(ystar=X @ base + resid * draw[codes] + (d["y"].to_numpy() - y))
        fit = feols("ystar ~ x + z | t", frame, vcov={"CRV1": "g"})
        slow.append((fit.params["x"] - null) / fit.std_errors["x"])
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)


def test_observed_statistic_is_the_crv1_t() -> None:
    d = _data()
    result = wild_cluster_bootstrap(FEOLS("y ~ x + z | t", d), "x", "g", draws=999, seed=1)
    fit = feols("y ~ x + z | t", d, vcov={"CRV1": "g"})
    np.testing.assert_allclose(result.estimate, fit.params["x"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.t_stat, fit.tstats["x"], rtol=1e-10, atol=0)


@pytest.mark.parametrize("restricted", [True, False])
def test_random_draws_converge_to_full_enumeration(restricted: bool) -> None:
    d = _data(effect=0.15)
    model = FEOLS("y ~ x + z | t", d)
    exact = wild_cluster_bootstrap(model, "x", "g", draws=256, restricted=restricted)
    assert exact.full_enumeration and exact.draws == 2**8
    sampled = wild_cluster_bootstrap(model, "x", "g", draws=60_000, seed=7, restricted=restricted,
                                     enumerate_all=False)
    assert not sampled.full_enumeration
    # Monte Carlo error of a proportion with B = 60,000 is at most 0.002; allow 3 standard errors.
    np.testing.assert_allclose(sampled.p_value, exact.p_value, rtol=0, atol=0.006)


def test_seeded_results_are_reproducible_and_intervals_contain_the_estimate() -> None:
    d = _data(clusters=14, effect=0.3)
    model = FEOLS("y ~ x + z | t", d)
    first = wild_cluster_bootstrap(model, "x", "g", draws=1999, seed=11, weights="webb")
    second = wild_cluster_bootstrap(model, "x", "g", draws=1999, seed=11, weights="webb")
    assert first == second
    assert first.conf_low < first.estimate < first.conf_high
    # The interval from test inversion is where the bootstrap p-value crosses 1 - level.
    low_p = wild_cluster_bootstrap(model, "x", "g", null=first.conf_low - 1e-6, draws=1999, seed=11, weights="webb")
    in_p = wild_cluster_bootstrap(model, "x", "g", null=first.conf_low + 1e-3, draws=1999, seed=11, weights="webb")
    assert low_p.p_value < 0.05 <= in_p.p_value


def test_unknown_term_and_weights() -> None:
    model = FEOLS("y ~ x + z | t", _data())
    with pytest.raises(KeyError, match="not a coefficient"):
        wild_cluster_bootstrap(model, "w", "g")
    with pytest.raises(ValueError, match="unknown weights"):
        wild_cluster_bootstrap(model, "x", "g", weights="normal", draws=10, seed=1)  # type: ignore[arg-type]


@pytest.mark.slow
def test_wcr_size_under_the_null_with_few_clusters() -> None:
    """Known property: with 10 clusters the restricted bootstrap rejects a true null about 5% of the time."""
    rejections = []
    for rep in range(300):
        d = _data(clusters=10, per=20, effect=0.0, seed=1000 + rep)
        result = wild_cluster_bootstrap(FEOLS("y ~ x + z | t", d), "x", "g", draws=399, seed=rep, weights="webb")
        rejections.append(result.p_value < 0.05)
    assert 0.02 <= np.mean(rejections) <= 0.09


def test_p_values_along_the_null_equal_a_bootstrap_rebuilt_at_each_null() -> None:
    """The interval inverts p(b) from the same draws using the affinity of the restricted fit in b; at every b the
    p-value equals the one from the pieces rebuilt at that b, and the interval's ends sit where p crosses alpha."""
    d = _data(clusters=10, effect=0.3)
    fit = feols("y ~ x + z | t", d, vcov={"CRV1": "g"})
    result = wild_cluster_bootstrap(fit, "x", "g", draws=999, weights="webb", seed=5)
    design = fit.model.design(("g",))
    X, y = np.asarray(design.X_tilde), np.asarray(design.y_tilde)
    codes = d["g"].to_numpy()
    sums = _ClusterSums(X, y, codes, 0, design.fixed)
    n, k, G = len(d), 2, 10
    factor = G / (G - 1) * (n - 1) / (n - k - design.fixed.degrees_of_freedom)
    v = bootstrap_weights("webb", 999, G, np.random.default_rng(5))
    se = result.estimate / result.t_stat

    def rebuilt(b: float) -> float:
        t_star = _t_stats(sums, v, _restricted_beta(X, y, 0, b), b, factor)
        return float(np.mean(np.abs(t_star) >= abs((result.estimate - b) / se) * (1 - 1e-10)))

    assert rebuilt(0.0) == result.p_value
    for end in (result.conf_low, result.conf_high):
        inside, outside = end - (end - result.estimate) * 1e-6, end + (end - result.estimate) * 1e-6
        assert rebuilt(inside) >= 0.05 > rebuilt(outside)
