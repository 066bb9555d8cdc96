"""Romano–Wolf step-down p-values against a brute-force reference written from the definition, their
bounds (unadjusted ≤ Romano–Wolf ≤ Holm ≤ Bonferroni when the bootstrap marginals agree), the
perfectly correlated and independent limits, and Holm/Bonferroni on hand-worked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from villageaid.estimators import feols, ssc
from villageaid.estimators.multiplicity import (
    bonferroni,
    bootstrap_p_values,
    bootstrap_t_statistics,
    cluster_influence,
    gaussian_romano_wolf,
    holm,
    joint_correlation,
    romano_wolf,
)


def _orient(value: float, alternative: str) -> float:
    if alternative == "two-sided":
        return abs(value)
    if alternative == "greater":
        return value
    return -value


def _brute_force_romano_wolf(t: np.ndarray, boot: np.ndarray, alternatives: list[str],
                             plus_one: bool = True) -> list[float]:
    """The step-down algorithm of Romano & Wolf (2016) with plain loops over steps and draws."""
    k, b_draws = len(t), len(boot)
    s = [_orient(float(t[i]), alternatives[i]) for i in range(k)]
    order = sorted(range(k), key=lambda i: -s[i])  # stable, as the implementation
    adjusted = [0.0] * k
    previous = 0.0
    for j, hyp in enumerate(order):
        remaining = order[j:]
        count = 0
        for b in range(b_draws):
            largest = max(_orient(float(boot[b, i]), alternatives[i]) for i in remaining)
            if largest >= s[hyp]:
                count += 1
        raw = (1 + count) / (b_draws + 1) if plus_one else count / b_draws
        previous = max(previous, raw)
        adjusted[hyp] = previous
    return adjusted


def _correlated_draws(rng: np.random.Generator, b_draws: int, k: int, rho: float = 0.5) -> np.ndarray:
    cov = np.full((k, k), rho) + (1 - rho) * np.eye(k)
    return rng.multivariate_normal(np.zeros(k), cov, size=b_draws)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 3, 6])
@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less", "mixed"])
def test_romano_wolf_equals_brute_force(seed: int, k: int, alternative: str) -> None:
    rng = np.random.default_rng(seed)
    b_draws = 199
    t = rng.normal(scale=1.5, size=k)
    boot = _correlated_draws(rng, b_draws, k)
    if alternative == "mixed":
        alternatives = [("two-sided", "greater", "less")[i % 3] for i in range(k)]
        argument: str | list[str] = alternatives
    else:
        alternatives = [alternative] * k
        argument = alternative
    for plus_one in (True, False):
        expected = _brute_force_romano_wolf(t, boot, alternatives, plus_one=plus_one)
        got = romano_wolf(t, boot, alternative=argument, plus_one=plus_one)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_brute_force_handles_ties_and_discrete_draws() -> None:
    # Rademacher-like discrete draws and tied observed statistics: ``>=`` and the tie order matter here.
    rng = np.random.default_rng(11)
    boot = rng.choice([-2.0, -1.0, 0.0, 1.0, 2.0], size=(63, 5))
    t = np.array([1.0, -1.0, 2.0, 0.0, 1.0])
    for alternative in ("two-sided", "greater", "less"):
        expected = _brute_force_romano_wolf(t, boot, [alternative] * 5)
        np.testing.assert_allclose(romano_wolf(t, boot, alternative=alternative), expected, rtol=0, atol=1e-12)
    # tied statistics get the same adjusted p-value whichever comes first
    p = romano_wolf(t, boot)
    assert p[0] == p[1] == p[4]


def test_hand_worked_example() -> None:
    # Two hypotheses, four draws. |t| = (2.0, 1.0); step 1 uses max(|t*_1|, |t*_2|) = (2.5, 1.5, 1.0, 0.5),
    # of which 1 is >= 2: p = (1 + 1) / 5 = 0.4. Step 2 uses |t*_2| = (2.5, 0.1, 1.0, 0.5), of which 2 are >= 1:
    # p = 3 / 5 = 0.6. Monotone already.
    t = np.array([-2.0, 1.0])
    boot = np.array([[0.3, 2.5], [1.5, -0.1], [-0.2, 1.0], [0.5, 0.5]])
    np.testing.assert_allclose(romano_wolf(t, boot), [0.4, 0.6], rtol=0, atol=1e-15)
    np.testing.assert_allclose(romano_wolf(t, boot, plus_one=False), [0.25, 0.5], rtol=0, atol=1e-15)
    # one-sided: "greater" orients t to (-2, 1), so hypothesis 2 comes first: max over both columns
    # (2.5, 1.5, 1.0, 0.5) >= 1 three times -> 4/5; then column 1 (0.3, 1.5, -0.2, 0.5) >= -2 four times -> 5/5.
    np.testing.assert_allclose(romano_wolf(t, boot, alternative="greater"), [1.0, 0.8], rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", [3, 4])
def test_single_hypothesis_is_the_bootstrap_p_value(seed: int) -> None:
    rng = np.random.default_rng(seed)
    boot = rng.standard_t(df=5, size=(999, 1))
    t = np.array([1.7])
    expected = (1 + np.sum(np.abs(boot[:, 0]) >= abs(t[0]))) / (999 + 1)
    np.testing.assert_allclose(romano_wolf(t, boot), [expected], rtol=0, atol=1e-15)
    np.testing.assert_allclose(bootstrap_p_values(t, boot), [expected], rtol=0, atol=1e-15)
    proportion = np.mean(boot[:, 0] >= t[0])
    np.testing.assert_allclose(romano_wolf(t, boot, alternative="greater", plus_one=False), [proportion],
                               rtol=0, atol=1e-15)


def test_less_is_greater_on_negated_statistics() -> None:
    rng = np.random.default_rng(5)
    t, boot = rng.normal(size=4), _correlated_draws(rng, 300, 4)
    np.testing.assert_allclose(romano_wolf(t, boot, alternative="less"),
                               romano_wolf(-t, -boot, alternative="greater"), rtol=0, atol=1e-15)


def test_result_follows_the_hypotheses_when_reordered() -> None:
    rng = np.random.default_rng(6)
    t, boot = rng.normal(scale=2, size=5), _correlated_draws(rng, 400, 5)
    alternatives = ["two-sided", "less", "greater", "two-sided", "less"]
    perm = np.array([3, 0, 4, 1, 2])
    base = romano_wolf(t, boot, alternative=alternatives)
    permuted = romano_wolf(t[perm], boot[:, perm], alternative=[alternatives[i] for i in perm])
    np.testing.assert_allclose(permuted, base[perm], rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", [7, 8, 9])
@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
def test_bounds_unadjusted_romano_wolf_holm_bonferroni(seed: int, alternative: str) -> None:
    # Each column is a different permutation of the same draws: the dependence is arbitrary but every column has
    # the same empirical marginal, under which Romano–Wolf <= Holm <= Bonferroni holds exactly (each step's
    # maximum exceeds s_(j) in at most (K - j + 1) times as many draws as one column does).
    rng = np.random.default_rng(seed)
    k, b_draws = 6, 499
    common = rng.normal(size=b_draws)
    boot = np.column_stack([common] + [rng.permutation(common) for _ in range(k - 1)])
    boot[:, 1] = common[::-1]  # some dependence beyond random permutations
    t = rng.normal(scale=1.5, size=k)

    unadjusted = bootstrap_p_values(t, boot, alternative=alternative)
    oriented = np.abs(t) if alternative == "two-sided" else t
    np.testing.assert_allclose(unadjusted, (1 + (np.where(alternative == "two-sided", np.abs(boot), boot)
                                                 >= oriented).sum(axis=0)) / (b_draws + 1), rtol=0, atol=1e-15)
    adjusted = romano_wolf(t, boot, alternative=alternative)

    assert np.all(adjusted >= unadjusted - 1e-15)
    order = np.argsort(-oriented)
    assert np.all(np.diff(adjusted[order]) >= 0)
    assert np.all(adjusted <= holm(unadjusted) + 1e-15)
    assert np.all(adjusted <= bonferroni(unadjusted) + 1e-15)
    assert np.all(adjusted <= 1.0)
    # the adjustment is not vacuous: at least one test is penalised
    assert np.any(adjusted > unadjusted + 1e-3)


def test_adjusted_at_least_unadjusted_with_heterogeneous_columns() -> None:
    # The lower bound and monotonicity hold for any draws, not only for common marginals.
    rng = np.random.default_rng(10)
    boot = _correlated_draws(rng, 300, 5, rho=0.3) * np.array([0.5, 1.0, 2.0, 1.0, 3.0])
    t = rng.normal(scale=2, size=5)
    adjusted, unadjusted = romano_wolf(t, boot), bootstrap_p_values(t, boot)
    assert np.all(adjusted >= unadjusted)
    assert np.all(np.diff(adjusted[np.argsort(-np.abs(t))]) >= 0)


def test_bonferroni_is_not_a_bound_when_the_marginals_differ() -> None:
    # Documents a finite-sample fact: with a heavy-tailed column whose observed statistic is small, the first step's
    # maximum is driven by that column, so Romano–Wolf exceeds Bonferroni on the bootstrap p-values.
    rng = np.random.default_rng(12)
    boot = np.column_stack([rng.normal(size=999), 10 * rng.normal(size=999)])
    t = np.array([3.5, 0.1])
    adjusted, unadjusted = romano_wolf(t, boot), bootstrap_p_values(t, boot)
    assert adjusted[0] > bonferroni(unadjusted)[0] + 0.5


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_perfectly_correlated_statistics_need_no_adjustment(alternative: str) -> None:
    rng = np.random.default_rng(13)
    common = rng.normal(size=(999, 1))
    boot = np.repeat(common, 5, axis=1)
    t = np.array([2.1, -0.4, 1.2, -2.6, 0.05])
    adjusted = romano_wolf(t, boot, alternative=alternative)
    unadjusted = bootstrap_p_values(t, boot, alternative=alternative)
    np.testing.assert_allclose(adjusted, unadjusted, rtol=0, atol=1e-15)
    assert np.ptp(unadjusted) > 0.3  # the p-values really differ, so equality is informative


def test_independent_statistics_give_step_down_sidak() -> None:
    # With independent columns P(max_{i in S} |Z_i| >= s) = 1 - (1 - p(s))^|S|, so Romano–Wolf is the step-down
    # Šidák adjustment of the exact p-values, up to bootstrap noise (standard error <= 0.004 at B = 20000).
    rng = np.random.default_rng(14)
    k, b_draws = 4, 20_000
    boot = rng.normal(size=(b_draws, k))
    t = np.array([2.4, -0.9, 1.6, 0.4])
    exact = 2 * stats.norm.sf(np.abs(t))
    order = np.argsort(exact)
    sidak = np.empty(k)
    sidak[order] = np.maximum.accumulate(1 - (1 - exact[order]) ** np.arange(k, 0, -1))
    adjusted = romano_wolf(t, boot)
    np.testing.assert_allclose(adjusted, sidak, rtol=0, atol=0.02)
    # the check discriminates: Holm and no adjustment are both more than 0.02 away somewhere
    assert np.max(np.abs(holm(exact) - sidak)) > 0.1
    assert np.max(np.abs(exact - sidak)) > 0.1


def test_holm_and_bonferroni_hand_worked() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005])
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> running max 0.02, 0.03, 0.06, 0.06
    np.testing.assert_allclose(holm(p), [0.03, 0.06, 0.06, 0.02], rtol=0, atol=1e-15)
    np.testing.assert_allclose(bonferroni(p), [0.04, 0.16, 0.12, 0.02], rtol=0, atol=1e-15)
    q = np.array([0.3, 0.6, 0.2])
    # sorted 0.2, 0.3, 0.6 times 3, 2, 1 = 0.6, 0.6, 0.6
    np.testing.assert_allclose(holm(q), [0.6, 0.6, 0.6], rtol=0, atol=1e-15)
    np.testing.assert_allclose(bonferroni(q), [0.9, 1.0, 0.6], rtol=0, atol=1e-15)  # 1.8 capped
    np.testing.assert_allclose(holm([0.6, 0.7]), [1.0, 1.0], rtol=0, atol=1e-15)  # 1.2 capped
    np.testing.assert_allclose(holm([0.5, 0.4]), [0.8, 0.8], rtol=0, atol=1e-15)
    np.testing.assert_allclose(holm([0.02]), [0.02], rtol=0, atol=1e-15)


def test_holm_and_bonferroni_match_statsmodels() -> None:
    rng = np.random.default_rng(15)
    p = rng.uniform(0, 0.3, size=12)
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=1e-12, atol=0)
    np.testing.assert_allclose(bonferroni(p), multipletests(p, method="bonferroni")[1], rtol=1e-12, atol=0)


def test_bootstrap_t_statistics() -> None:
    estimates, se = np.array([1.0, -0.5]), np.array([0.5, 0.25])
    draws = np.array([[1.5, -0.5], [0.5, 0.0], [1.0, -1.0]])
    observed, boot = bootstrap_t_statistics(estimates, se, draws)
    np.testing.assert_allclose(observed, [2.0, -2.0], rtol=0, atol=1e-15)
    np.testing.assert_allclose(boot, [[1.0, 0.0], [-1.0, 2.0], [0.0, -2.0]], rtol=0, atol=1e-15)
    draw_se = np.array([[0.25, 0.5], [0.5, 0.5], [1.0, 0.1]])
    _, boot_t = bootstrap_t_statistics(estimates, se, draws, draw_std_errors=draw_se)
    np.testing.assert_allclose(boot_t, [[2.0, 0.0], [-1.0, 1.0], [0.0, -5.0]], rtol=0, atol=1e-14)


def test_bootstrap_t_statistics_feed_romano_wolf() -> None:
    rng = np.random.default_rng(16)
    estimates, se = np.array([0.3, 0.05, -0.2]), np.array([0.1, 0.1, 0.1])
    draws = estimates + 0.1 * _correlated_draws(rng, 500, 3)
    observed, boot = bootstrap_t_statistics(estimates, se, draws)
    expected = _brute_force_romano_wolf(observed, (draws - estimates) / se, ["two-sided"] * 3)
    np.testing.assert_allclose(romano_wolf(observed, boot), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("statistics", "boot", "kwargs", "message"),
    [
        (np.zeros(3), np.zeros((10, 2)), {}, r"2 columns but there are 3 hypotheses"),
        (np.zeros(3), np.zeros(10), {}, r"two-dimensional"),
        (np.zeros((3, 1)), np.zeros((10, 3)), {}, r"statistics must be one-dimensional"),
        (np.zeros(0), np.zeros((10, 0)), {}, r"at least one hypothesis \(K >= 1\)"),
        (np.zeros(2), np.zeros((0, 2)), {}, r"at least one bootstrap draw is needed \(B >= 1\)"),
        (np.array([1.0, np.nan]), np.zeros((10, 2)), {}, r"statistics contains NaN at positions \[1\]"),
        (np.zeros(2), np.where(np.eye(10, 2) > 0, np.nan, 0.0), {}, r"bootstrap_statistics contains NaN in 2"),
        (np.zeros(2), np.zeros((10, 2)), {"alternative": "two.sided"}, r"unknown alternative 'two.sided'"),
        (np.zeros(2), np.zeros((10, 2)), {"alternative": ["less", "bigger"]}, r"unknown alternative 'bigger'"),
        (np.zeros(2), np.zeros((10, 2)), {"alternative": ["less"]}, r"alternative has 1 entries but there are 2"),
    ],
)
def test_romano_wolf_rejects_bad_input(statistics: np.ndarray, boot: np.ndarray, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        romano_wolf(statistics, boot, **kwargs)


def test_other_functions_reject_bad_input() -> None:
    with pytest.raises(ValueError, match=r"p_values must lie in \[0, 1\]"):
        holm([0.2, 1.5])
    with pytest.raises(ValueError, match=r"p_values must lie in \[0, 1\]"):
        bonferroni([-0.1])
    with pytest.raises(ValueError, match=r"p_values contains NaN"):
        holm([0.2, np.nan])
    with pytest.raises(ValueError, match=r"at least one hypothesis"):
        bonferroni([])
    with pytest.raises(ValueError, match=r"bootstrap_statistics has 3 columns"):
        bootstrap_p_values(np.zeros(2), np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"std_errors has 3 entries but estimates has 2"):
        bootstrap_t_statistics(np.zeros(2), np.ones(3), np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"std_errors must be positive"):
        bootstrap_t_statistics(np.zeros(2), np.array([1.0, 0.0]), np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"draws has 1 columns but there are 2 hypotheses"):
        bootstrap_t_statistics(np.zeros(2), np.ones(2), np.zeros((5, 1)))
    with pytest.raises(ValueError, match=r"draw_std_errors has shape \(4, 2\) but draws has shape \(5, 2\)"):
        bootstrap_t_statistics(np.zeros(2), np.ones(2), np.zeros((5, 2)), draw_std_errors=np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"draw_std_errors must be positive; 1 entries"):
        bootstrap_t_statistics(np.zeros(2), np.ones(2), np.zeros((2, 2)), draw_std_errors=[[1.0, 1.0], [1.0, -1.0]])
    with pytest.raises(ValueError, match=r"draws contains NaN"):
        bootstrap_t_statistics(np.zeros(1), np.ones(1), [[np.nan]])


# --- joint tests of estimates from different models: cluster influences and the Gaussian step-down -----------

def _two_models(seed: int = 3) -> tuple[pd.DataFrame, object, object]:
    rng = np.random.default_rng(seed)
    n, clusters = 400, 40
    data = pd.DataFrame({"g": rng.integers(0, clusters, n), "x": rng.normal(size=n), "z": rng.normal(size=n)})
    shock = rng.normal(size=clusters)[data["g"]]
    data["y1"] = 0.5 * data["x"] + shock + rng.normal(size=n)
    data["y2"] = 0.3 * data["x"] - 0.2 * data["z"] + 0.8 * shock + 0.5 * data["y1"] + rng.normal(size=n)
    first = feols("y1 ~ x", data, vcov={"CRV1": "g"})
    second = feols("y2 ~ x + z", data, vcov={"CRV1": "g"})
    return data, first, second


def test_cluster_influence_squares_sum_to_the_crv1_variance_without_its_factors() -> None:
    _, first, _ = _two_models()
    influence = cluster_influence(first, "x", "g")
    plain = first.with_vcov({"CRV1": "g"}, ssc=ssc(adj=False, cluster_adj=False))
    np.testing.assert_allclose((influence ** 2).sum(), plain.vcov.loc["x", "x"], rtol=1e-10, atol=0)
    assert len(influence) == 40


def test_joint_correlation_equals_the_stacked_covariance_by_hand() -> None:
    data, first, second = _two_models()
    influences = []
    for outcome, columns in (("y1", ["x"]), ("y2", ["x", "z"])):
        design = np.column_stack([np.ones(len(data)), data[columns].to_numpy()])
        inverse = np.linalg.inv(design.T @ design)
        residual = data[outcome].to_numpy() - design @ (inverse @ design.T @ data[outcome].to_numpy())
        per_row = (design * residual[:, None]) @ inverse  # row i's pull on every coefficient
        influences.append(pd.Series(per_row[:, 1]).groupby(data["g"].to_numpy()).sum())
    by_hand = np.corrcoef(np.vstack(influences), rowvar=True)  # (means are zero: same as the raw cross-products)
    raw = np.vstack(influences) @ np.vstack(influences).T
    raw = raw / np.sqrt(np.outer(np.diag(raw), np.diag(raw)))
    found = joint_correlation([cluster_influence(first, "x", "g"), cluster_influence(second, "x", "g")])
    np.testing.assert_allclose(found, raw, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(found, by_hand, rtol=0, atol=1e-8)
    assert found[0, 1] > 0.3  # the shared cluster shock and y1 in y2 make the two estimates move together


def test_joint_correlation_fills_clusters_absent_from_a_model_with_zero() -> None:
    a = pd.Series([1.0, -1.0, 2.0], index=["u", "v", "w"])
    b = pd.Series([1.0, 1.0], index=["u", "x"])
    found = joint_correlation([a, b])
    np.testing.assert_allclose(found[0, 1], 1.0 / np.sqrt(6.0 * 2.0), rtol=1e-12, atol=0)
    with pytest.raises(ValueError, match="zero variance"):
        joint_correlation([a, pd.Series([0.0], index=["u"])])
    with pytest.raises(ValueError, match="at least one"):
        joint_correlation([])


def test_gaussian_romano_wolf_keeps_a_single_p_value_and_gives_step_down_sidak_when_independent() -> None:
    p_alone = gaussian_romano_wolf(np.array([stats.norm.isf(0.03)]), np.eye(1), alternative="greater",
                                   draws=99_999, seed=1)
    np.testing.assert_allclose(p_alone, [0.03], rtol=0, atol=0.002)
    p = np.array([0.01, 0.02, 0.2])
    adjusted = gaussian_romano_wolf(stats.norm.isf(p), np.eye(3), alternative="greater", draws=99_999, seed=2)
    sidak = np.maximum.accumulate([1 - (1 - 0.01) ** 3, 1 - (1 - 0.02) ** 2, 0.2])
    np.testing.assert_allclose(adjusted, sidak, rtol=0, atol=0.004)
    # perfectly correlated tests need no adjustment
    same = gaussian_romano_wolf(stats.norm.isf(p), np.ones((3, 3)), alternative="greater", draws=99_999, seed=3)
    np.testing.assert_allclose(same, p, rtol=0, atol=0.003)


def test_gaussian_romano_wolf_refuses_bad_correlations() -> None:
    with pytest.raises(ValueError, match="2 × 2"):
        gaussian_romano_wolf(np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="unit diagonal"):
        gaussian_romano_wolf(np.zeros(2), 2 * np.eye(2))
    with pytest.raises(ValueError, match="positive semi-definite"):
        gaussian_romano_wolf(np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="draws"):
        gaussian_romano_wolf(np.zeros(1), np.eye(1), draws=0)
