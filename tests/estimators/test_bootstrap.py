"""Wild cluster bootstrap: the fast cluster-sum algebra against brute force, and random draws against
the exact (fully enumerated) bootstrap distribution; the subcluster bootstrap (weights by groups nested in the
variance clusters) against an independent brute force."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators import FEOLS, feols
from villageaid.estimators.bootstrap import (
    _ClusterSums,
    _restricted_beta,
    _SubclusterSums,
    _t_stats,
    bootstrap_weights,
    treated_clusters,
    wild_cluster_bootstrap,
)
from villageaid.estimators.limits import TooFewError


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


# --- the subcluster wild bootstrap (MacKinnon & Webb 2018) ---------------------------------------------------------

#: Rows of each of the 8 subclusters (in order); subclusters 0–2 lie in cluster 0, 3–5 in cluster 1, 6–7 in cluster 2.
_SUB_SIZES = (6, 9, 7, 8, 5, 10, 8, 7)
_SUB_PARENT = (0, 0, 0, 1, 1, 1, 2, 2)


def _subcluster_data(seed: int = 12) -> pd.DataFrame:
    """60 rows, 3 clusters ``g`` holding 8 subclusters ``village`` (numbered in order of appearance), a period."""
    rng = np.random.default_rng(seed)
    village = np.repeat(np.arange(8), _SUB_SIZES)
    n = len(village)
    d = pd.DataFrame({"g": np.array(_SUB_PARENT)[village], "village": village, "t": np.tile(np.arange(4), n // 4)})
    d["x"] = rng.normal(size=n) + rng.normal(size=8)[village]
    d["z"] = rng.normal(size=n)
    d["y"] = 0.2 * d["x"] + 0.5 * d["z"] + 0.3 * d["t"] + rng.normal(size=8)[village] + rng.normal(size=n)
    return d


def _brute_force_subcluster(d: pd.DataFrame, null: float, restricted: bool) -> tuple[np.ndarray, float]:
    """Bootstrap t statistics over all 2^8 sign vectors (itertools order) and the p-value, by refitting OLS with
    the period dummies written out: y* = Zβ̃ + ũ·v[village], CRV1 by ``g`` with G/(G − 1)·(n − 1)/(n − K)."""
    y = d["y"].to_numpy()
    Z = np.column_stack([d["x"], d["z"], pd.get_dummies(d["t"]).to_numpy(dtype=float)])
    n, K = len(d), np.linalg.matrix_rank(Z)
    clusters = d["g"].to_numpy()
    G = len(np.unique(clusters))
    factor = G / (G - 1) * (n - 1) / (n - K)

    def fit(outcome: np.ndarray) -> tuple[np.ndarray, float]:
        beta = np.linalg.lstsq(Z, outcome, rcond=None)[0]
        resid = outcome - Z @ beta
        bread = np.linalg.inv(Z.T @ Z)
        meat = sum(np.outer(s, s) for s in (Z[clusters == g].T @ resid[clusters == g] for g in range(G)))
        return beta, float(np.sqrt(factor * (bread @ meat @ bread)[0, 0]))

    beta_hat, se_hat = fit(y)
    if restricted:
        base = np.empty(Z.shape[1])
        base[0] = null
        base[1:] = np.linalg.lstsq(Z[:, 1:], y - null * Z[:, 0], rcond=None)[0]
        center = null
    else:
        base, center = beta_hat, beta_hat[0]
    fitted, resid = Z @ base, y - Z @ base
    village = d["village"].to_numpy()
    t_star = []
    for signs in itertools.product([-1.0, 1.0], repeat=8):
        beta, se = fit(fitted + resid * np.array(signs)[village])
        t_star.append((beta[0] - center) / se)
    t_star = np.array(t_star)
    t_observed = (beta_hat[0] - null) / se_hat
    # The draws v = ±1 reproduce |t| itself: count them whatever the rounding (the function's tie rule).
    return t_star, float(np.mean(np.abs(t_star) >= abs(t_observed) * (1 - 1e-10)))


@pytest.mark.parametrize("restricted", [True, False])
def test_subcluster_bootstrap_equals_brute_force_enumeration(restricted: bool) -> None:
    d = _subcluster_data()
    null = 0.1
    result = wild_cluster_bootstrap(FEOLS("y ~ x + z | t", d), "x", "g", null=null, draws=999, restricted=restricted,
                                    bootstrap_cluster="village")
    assert result.full_enumeration and result.draws == 2**8
    assert (result.clusters, result.bootstrap_groups, result.bootstrap_level) == (3, 8, "village")
    t_star, p_value = _brute_force_subcluster(d, null, restricted)
    np.testing.assert_allclose(result.inversion.bootstrap_t(null), t_star, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(result.p_value, p_value, rtol=0, atol=1e-12)
    assert 0 < result.p_value < 1  # neither bound: the comparison is not between two degenerate answers


def test_subcluster_bootstrap_along_the_null_equals_brute_force() -> None:
    """The restricted bootstrap inverts p(b) from pieces at b = 0 and b = 1: at another b it is still exact."""
    d = _subcluster_data(seed=5)
    result = wild_cluster_bootstrap(FEOLS("y ~ x + z | t", d), "x", "g", draws=999, bootstrap_cluster="village")
    for b in (result.conf_low, -0.4, 0.7):
        t_star, p_value = _brute_force_subcluster(d, b, True)
        np.testing.assert_allclose(result.inversion.bootstrap_t(b), t_star, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(result.inversion.p_value(b), p_value, rtol=0, atol=1e-12)


def test_subcluster_algebra_with_clusters_as_groups_equals_the_cluster_algebra() -> None:
    """The subcluster pieces reduce to the cluster-level ones when each cluster is one group, with two fixed
    effects (alternating projections) too."""
    d = _data(clusters=9)
    d["s"] = d.index % 3
    model = FEOLS("y ~ x + z | t + s", d)
    design = model.design(("g",))
    X, y = np.asarray(design.X_tilde), np.asarray(design.y_tilde)
    codes = d["g"].to_numpy()
    sums = _ClusterSums(X, y, codes, 0, design.fixed)
    factor = 1.0
    v = bootstrap_weights("webb", 50, 9, np.random.default_rng(2))
    for base in (_restricted_beta(X, y, 0, 0.2), np.linalg.lstsq(X, y, rcond=None)[0]):
        np.testing.assert_allclose(_t_stats(_SubclusterSums(sums, codes), v, base, 0.2, factor),
                                   _t_stats(sums, v, base, 0.2, factor), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("restricted", [True, False])
def test_bootstrap_cluster_equal_to_cluster_reproduces_the_cluster_bootstrap(restricted: bool) -> None:
    d = _data(clusters=10, effect=0.2)
    d["g_label"] = "township " + d["g"].astype(str)  # the same partition under other labels
    model = FEOLS("y ~ x + z | t", d)
    base = wild_cluster_bootstrap(model, "x", "g", draws=499, seed=3, weights="webb", restricted=restricted)
    assert base.bootstrap_level is None and base.bootstrap_groups == 10
    for column in ("g", "g_label", ["g", "g_label"]):
        same = wild_cluster_bootstrap(model, "x", "g", draws=499, seed=3, weights="webb", restricted=restricted,
                                      bootstrap_cluster=column)
        assert replace(same, bootstrap_level=None) == base  # every field but the level named
        for field_name in ("numerators", "scores", "t_star"):
            ours, theirs = getattr(same.inversion, field_name), getattr(base.inversion, field_name)
            assert (ours is None and theirs is None) or all(
                np.array_equal(a, b) for a, b in zip(np.atleast_2d(ours), np.atleast_2d(theirs), strict=True))


def test_several_bootstrap_columns_cross_their_groups() -> None:
    d = _subcluster_data()
    d["half"] = (d.index % 2).astype(str)
    d["village_half"] = d["village"].astype(str) + "/" + d["half"]
    model = FEOLS("y ~ x + z | t", d)
    crossed = wild_cluster_bootstrap(model, "x", "g", draws=399, seed=4, weights="webb",
                                     bootstrap_cluster=["village", "half"])
    combined = wild_cluster_bootstrap(model, "x", "g", draws=399, seed=4, weights="webb",
                                      bootstrap_cluster="village_half")
    assert crossed.bootstrap_groups == 16 and crossed.bootstrap_level == "village × half"
    assert replace(crossed, bootstrap_level="village_half") == combined


def test_observation_level_weights_equal_refits_with_the_same_draws() -> None:
    """A column unique by row draws one weight per observation (the ordinary wild bootstrap, clustered t)."""
    d = _subcluster_data()
    d["row"] = np.arange(len(d))
    result = wild_cluster_bootstrap(FEOLS("y ~ x + z | t", d), "x", "g", draws=30, seed=8, weights="webb",
                                    restricted=False, bootstrap_cluster="row")
    assert (result.bootstrap_groups, result.full_enumeration) == (60, False)
    v = bootstrap_weights("webb", 30, 60, np.random.default_rng(8))
    fit = feols("y ~ x + z | t", d, vcov={"CRV1": "g"})
    resid = np.asarray(fit.resid)
    fitted = d["y"].to_numpy() - resid
    slow = []
    for draw in v:
        refit = feols("ystar ~ x + z | t", d.assign(ystar=fitted + resid * draw), vcov={"CRV1": "g"})
        slow.append((refit.params["x"] - fit.params["x"]) / refit.std_errors["x"])
    np.testing.assert_allclose(result.inversion.bootstrap_t(0.0), slow, rtol=1e-9, atol=1e-12)


def test_bootstrap_cluster_errors() -> None:
    d = _subcluster_data()
    d["across"] = d["village"] % 4  # groups 0–3 each span two clusters
    d["one"] = 1
    d["gappy"] = d["village"].astype(float).where(d.index != 7)
    model = FEOLS("y ~ x + z | t", d)
    with pytest.raises(KeyError, match="bootstrap_cluster column 'hamlet' is not in the data"):
        wild_cluster_bootstrap(model, "x", "g", bootstrap_cluster="hamlet")
    with pytest.raises(ValueError, match=r"'across' is not nested in cluster 'g': the group across = 0 spans "
                                         r"g = 0 and g = 1"):
        wild_cluster_bootstrap(model, "x", "g", bootstrap_cluster="across")
    with pytest.raises(TooFewError, match="at least two groups of bootstrap_cluster one, found 1"):
        wild_cluster_bootstrap(model, "x", "g", bootstrap_cluster="one")
    with pytest.raises(ValueError, match="'gappy' has missing values"):
        wild_cluster_bootstrap(model, "x", "g", bootstrap_cluster="gappy")
    with pytest.raises(ValueError, match="non-empty sequence"):
        wild_cluster_bootstrap(model, "x", "g", bootstrap_cluster=[])


def test_subcluster_result_reports_the_level_of_the_weights() -> None:
    d = _subcluster_data()
    result = wild_cluster_bootstrap(FEOLS("y ~ x + z | t", d), "x", "g", draws=99, seed=1, weights="webb",
                                    bootstrap_cluster="village")
    assert "bootstrap weights by village (8) within 3 g clusters" in str(result)
    assert list(result.etable_rows()) == ["Wild bootstrap p (WCR, weights by village (8), G = 3)",
                                          "Wild bootstrap 95% CI"]
    plain = wild_cluster_bootstrap(FEOLS("y ~ x + z | t", d), "x", "g", draws=99, seed=1, weights="webb")
    assert "G = 3)" in str(plain) and "weights by" not in str(plain)
    assert list(plain.etable_rows()) == ["Wild bootstrap p (WCR, G = 3)", "Wild bootstrap 95% CI"]
    # the interval at another level comes from the same draws; without them it is refused
    wider = result.tidy(0.99)
    assert wider["conf_low"].iloc[0] <= result.conf_low and result.conf_high <= wider["conf_high"].iloc[0]
    with pytest.raises(ValueError, match="were not kept"):
        result.remove_data().tidy(0.99)


def test_treated_clusters_counts_clusters_with_any_nonzero_treatment() -> None:
    data = pd.DataFrame({"county": ["a", "a", "a", "a", "b", "b", "c", "c", None],
                         "township": [1, 1, 2, 2, 3, 3, 4, 4, 5],
                         "aid": [0.0, 2.5, 0.0, 0.0, np.nan, 0.0, -1.0, 0.0, 1.0],
                         "flag": [False, True, False, False, False, False, True, False, True]})
    assert treated_clusters(data, "aid", "township") == 3  # townships 1, 4 and 5; a missing value is untreated
    assert treated_clusters(data, "aid", "county") == 2  # a and c; the row without a county is ignored
    assert treated_clusters(data, "flag", ["county", "township"]) == 2
    with pytest.raises(KeyError, match="'dose' is not in the data"):
        treated_clusters(data, "dose", "township")


def _few_treated(seed: int, clusters: int = 16, treated: int = 2, villages: int = 5, per: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = clusters * villages * per
    d = pd.DataFrame({"g": np.repeat(np.arange(clusters), villages * per),
                      "village": np.repeat(np.arange(clusters * villages), per)})
    d["d"] = (d["g"] < treated).astype(float)  # a cluster-level treatment, no effect
    d["z"] = rng.normal(size=n)
    village_effect = 0.5 * rng.normal(size=clusters * villages)[d["village"]]
    d["y"] = 0.5 * d["z"] + rng.normal(size=clusters)[d["g"]] + village_effect + rng.normal(size=n)
    return d


def test_subcluster_bootstrap_is_not_degenerate_with_two_treated_clusters() -> None:
    """MacKinnon & Webb (2017, 2018): with 2 treated clusters of 16 the ordinary WCR seldom produces small p-values
    (it under-rejects); weights by village restore a lower tail near the nominal rate."""
    subcluster, ordinary = [], []
    for rep in range(50):
        d = _few_treated(100 + rep)
        assert treated_clusters(d, "d", "g") == 2
        model = FEOLS("y ~ d + z", d)
        subcluster.append(wild_cluster_bootstrap(model, "d", "g", draws=199, seed=rep, weights="webb",
                                                 bootstrap_cluster="village").p_value)
        ordinary.append(wild_cluster_bootstrap(model, "d", "g", draws=199, seed=rep, weights="webb").p_value)
    subcluster, ordinary = np.array(subcluster), np.array(ordinary)
    assert 0.04 <= np.mean(subcluster < 0.10) <= 0.25  # a lower tail, near 10% (50 replications)
    assert np.mean(subcluster > 0.9) <= 0.25  # not piled up at the top either
    assert 0.35 <= np.mean(subcluster) <= 0.65
    assert np.mean(ordinary < 0.10) < np.mean(subcluster < 0.10)
