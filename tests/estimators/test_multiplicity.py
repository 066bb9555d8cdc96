"""Romano–Wolf step-down p-values against a brute-force reference written from the definition, their
bounds (unadjusted ≤ Romano–Wolf ≤ Holm ≤ Bonferroni when the bootstrap marginals agree), the
perfectly correlated and independent limits, and Holm/Bonferroni on hand-worked examples."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from villageaid.estimators.multiplicity import (
    bonferroni,
    bootstrap_p_values,
    bootstrap_t_statistics,
    holm,
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
