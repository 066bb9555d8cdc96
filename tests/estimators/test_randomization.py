"""Randomization inference: exact enumeration and random draws against brute force written here with
itertools, and the inverted interval against a brute-force search over a fine grid of effects."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators.randomization import PermutationResult, permutation_interval, permutation_test

VILLAGES = np.arange(8)
COUNTY = np.repeat([0, 1], 4)  # villages 0-3 in county 0, 4-7 in county 1
TREATED = np.array([1, 0, 1, 0, 0, 1, 1, 0])  # two treated villages per county
TAU = 1.5


def _villages(seed: int = 5, effect: float = TAU) -> pd.DataFrame:
    """Eight villages in two counties of four, two treated per county, three years each."""
    rng = np.random.default_rng(seed)
    village = np.repeat(VILLAGES, 3)
    frame = pd.DataFrame({"village": village, "county": COUNTY[village], "year": np.tile([2019, 2020, 2021], 8),
                          "d": TREATED[village]})
    frame["y"] = (rng.normal(size=8)[village] + 0.5 * frame["county"] + 0.2 * (frame["year"] - 2020)
                  + effect * frame["d"] + rng.normal(scale=0.5, size=len(frame)))
    return frame


def _coefficient(frame: pd.DataFrame) -> float:
    """OLS coefficient on d with county and year dummies (cheap: NumPy least squares)."""
    year = frame["year"].to_numpy()
    X = np.column_stack([frame["d"].to_numpy(float), np.ones(len(frame)), frame["county"].to_numpy(float),
                         year == 2020, year == 2021]).astype(float)
    return float(np.linalg.lstsq(X, frame["y"].to_numpy(float), rcond=None)[0][0])


def _gap(frame: pd.DataFrame) -> float:
    """Difference in mean outcome, treated minus untreated."""
    d, y = frame["d"].to_numpy(), frame["y"].to_numpy(float)
    return float(y[d == 1].mean() - y[d == 0].mean())


def _village_assignments() -> list[np.ndarray]:
    """Every assignment of two treated villages per county, as a village-level 0/1 vector (brute force)."""
    out = []
    for first in itertools.combinations(range(4), 2):
        for second in itertools.combinations(range(4, 8), 2):
            treated = np.zeros(8, dtype=int)
            treated[list(first) + list(second)] = 1
            out.append(treated)
    return out


def _brute_force(frame: pd.DataFrame, statistic, assignments: list[np.ndarray], unit: np.ndarray) -> np.ndarray:
    """The statistic with d = assignment[unit] for each assignment."""
    return np.array([statistic(frame.assign(d=treated[unit])) for treated in assignments])


def _p(null: np.ndarray, observed: float, alternative: str) -> float:
    if alternative == "two-sided":
        return float(np.mean(np.abs(null) >= abs(observed) * (1 - 1e-12)))
    if alternative == "greater":
        return float(np.mean(null >= observed - 1e-12 * abs(observed)))
    return float(np.mean(null <= observed + 1e-12 * abs(observed)))


def test_exact_p_value_over_villages_within_counties_equals_brute_force() -> None:
    frame = _villages()
    result = permutation_test(_coefficient, frame, "d", strata="county", clusters="village")
    null = _brute_force(frame, _coefficient, _village_assignments(), frame["village"].to_numpy())
    observed = _coefficient(frame)
    assert isinstance(result, PermutationResult)
    assert result.exact and result.assignments == 36 and len(result.null_distribution) == 36
    assert result.statistic == pytest.approx(observed, rel=1e-12, abs=0)
    np.testing.assert_allclose(np.sort(result.null_distribution), np.sort(null), rtol=1e-10, atol=1e-12)
    assert result.p_value == pytest.approx(_p(null, observed, "two-sided"), rel=0, abs=1e-12)
    assert 1 / 36 <= result.p_value < 0.2  # the effect is large: the test is not trivially 1


def test_every_assignment_is_enumerated_once_and_keeps_villages_whole() -> None:
    frame = _villages()
    seen = []

    def record(f: pd.DataFrame) -> float:
        per_village = f.groupby("village")["d"].agg(["min", "max"])
        assert (per_village["min"] == per_village["max"]).all()  # a village's rows move together
        assert f.groupby("county")["d"].sum().tolist() == [6, 6]  # two treated villages (3 rows each) per county
        assert f["y"].equals(frame["y"]) and f.index.equals(frame.index)
        seen.append(tuple(per_village["max"]))
        return _gap(f)

    result = permutation_test(record, frame, "d", strata="county", clusters="village")
    assert result.exact and result.assignments == 36
    assert len(seen) == 37 and len(set(seen[1:])) == 36  # the observed frame first, then each assignment once
    assert set(seen[1:]) == {tuple(t) for t in _village_assignments()}
    assert frame["d"].tolist() == list(TREATED[frame["village"]])  # the caller's frame is left alone


def test_rows_within_strata_equal_brute_force() -> None:
    rng = np.random.default_rng(2)
    stratum = np.repeat([0, 1], [5, 4])
    frame = pd.DataFrame({"s": stratum, "d": [1, 0, 0, 1, 0, 1, 0, 0, 1], "y": rng.normal(size=9)})
    frame["y"] += 2.0 * frame["d"]
    assignments = []
    for first in itertools.combinations(range(5), 2):
        for second in itertools.combinations(range(5, 9), 2):
            d = np.zeros(9, dtype=int)
            d[list(first) + list(second)] = 1
            assignments.append(d)
    null = _brute_force(frame, _gap, assignments, np.arange(9))
    result = permutation_test(_gap, frame, "d", strata="s")
    assert result.exact and result.assignments == 10 * 6
    np.testing.assert_allclose(np.sort(result.null_distribution), np.sort(null), rtol=1e-12, atol=1e-12)
    assert result.p_value == pytest.approx(_p(null, _gap(frame), "two-sided"), rel=0, abs=1e-12)
    # Without strata the rows are permuted over the whole frame: C(9, 4) assignments.
    assert permutation_test(_gap, frame, "d").assignments == 126


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_one_sided_p_values_equal_brute_force(alternative: str) -> None:
    frame = _villages(seed=11, effect=0.6)
    null = _brute_force(frame, _coefficient, _village_assignments(), frame["village"].to_numpy())
    result = permutation_test(_coefficient, frame, "d", strata="county", clusters="village", alternative=alternative)
    expected = _p(null, _coefficient(frame), alternative)
    assert result.alternative == alternative
    assert result.p_value == pytest.approx(expected, rel=0, abs=1e-12)
    other = "less" if alternative == "greater" else "greater"
    assert expected != pytest.approx(_p(null, _coefficient(frame), other), rel=0, abs=1e-12)  # sides differ


@pytest.mark.parametrize("alternative", ["two-sided", "greater", "less"])
def test_a_statistic_identical_under_every_assignment_has_p_one(alternative: str) -> None:
    frame = _villages()
    result = permutation_test(lambda f: float(f["y"].mean()), frame, "d", strata="county", clusters="village",
                              alternative=alternative)
    assert result.p_value == pytest.approx(1.0, rel=0, abs=1e-15)
    assert np.ptp(result.null_distribution) == pytest.approx(0.0, rel=0, abs=1e-15)


def test_random_draws_are_seeded_include_the_observed_assignment_and_approximate_the_exact_p() -> None:
    frame = _villages(seed=11, effect=0.9)
    exact = permutation_test(_coefficient, frame, "d", strata="county", clusters="village")
    kept = []

    def record(f: pd.DataFrame) -> float:
        kept.append(f.groupby("county")["d"].sum().tolist())
        return _coefficient(f)

    draws = 2000
    first = permutation_test(record, frame, "d", strata="county", clusters="village", draws=draws, seed=7,
                             exact_limit=0)
    assert len(kept) == draws + 1 and all(counts == [6, 6] for counts in kept)  # two treated villages per county
    again = permutation_test(_coefficient, frame, "d", strata="county", clusters="village", draws=draws, seed=7,
                             exact_limit=0)
    other = permutation_test(_coefficient, frame, "d", strata="county", clusters="village", draws=50, seed=8,
                             exact_limit=0)
    assert not first.exact and first.assignments == draws + 1 and len(first.null_distribution) == draws + 1
    np.testing.assert_array_equal(first.null_distribution, again.null_distribution)
    assert first.p_value == again.p_value
    assert not np.array_equal(first.null_distribution[:51], other.null_distribution)
    assert first.null_distribution[0] == first.statistic == exact.statistic
    draws_extreme = np.sum(np.abs(first.null_distribution[1:]) >= abs(first.statistic) * (1 - 1e-12))
    assert first.p_value == pytest.approx((1 + draws_extreme) / (draws + 1), rel=0, abs=1e-15)
    # Every draw is one of the 36 exact assignments, and the p-values agree within Monte Carlo error.
    exact_values = np.sort(exact.null_distribution)
    nearest = exact_values[np.clip(np.searchsorted(exact_values, first.null_distribution), 0, 35)]
    below = exact_values[np.clip(np.searchsorted(exact_values, first.null_distribution) - 1, 0, 35)]
    gaps = np.minimum(np.abs(nearest - first.null_distribution), np.abs(below - first.null_distribution))
    np.testing.assert_allclose(gaps, 0, atol=1e-10)
    assert 0.05 < exact.p_value < 0.6
    assert first.p_value == pytest.approx(exact.p_value, rel=0, abs=0.03)


@pytest.mark.parametrize("exact_limit", [20000, 0])
def test_a_statistic_of_rows_gives_the_frame_statistics_results(exact_limit: int) -> None:
    """statistic_reads="rows": the statistic gathers the treatment itself from the assignment's source rows."""
    frame = _villages(seed=3)
    d = frame["d"].to_numpy()

    def of_rows(rows: np.ndarray) -> float:
        return _coefficient(frame.assign(d=d[rows]))

    options = {"strata": "county", "clusters": "village", "draws": 300, "seed": 4, "exact_limit": exact_limit}
    by_frame = permutation_test(_coefficient, frame, "d", **options)
    by_rows = permutation_test(of_rows, frame, "d", statistic_reads="rows", **options)
    np.testing.assert_array_equal(by_rows.null_distribution, by_frame.null_distribution)
    assert (by_rows.p_value, by_rows.exact, by_rows.statistic) == (by_frame.p_value, by_frame.exact,
                                                                   by_frame.statistic)
    with pytest.raises(ValueError, match="statistic_reads must be 'frame' or 'rows', got 'columns'"):
        permutation_test(of_rows, frame, "d", statistic_reads="columns", **options)


def test_treatment_columns_permuted_together() -> None:
    frame = _villages()
    dose = np.array([1, 0, 2, 0, 0, 2, 1, 0])
    frame["dose"] = dose[frame["village"]]
    pairs = set()

    def record(f: pd.DataFrame) -> float:
        assert ((f["d"] == 0) == (f["dose"] == 0)).all()
        for county in (0, 1):
            assert sorted(f.loc[f["county"] == county].groupby("village")["dose"].first()) == [0, 0, 1, 2]
        pairs.add(tuple(f.groupby("village")["dose"].first()))
        return float(np.polyfit(f["dose"], f["y"], 1)[0])

    result = permutation_test(record, frame, ["d", "dose"], strata="county", clusters="village")
    assert result.exact and result.assignments == 12 * 12 and len(pairs) == 144  # 4!/(2!1!1!) per county


def test_a_path_varying_within_villages_moves_whole() -> None:
    frame = _villages().rename(columns={"d": "treated"})
    frame["post"] = (frame["year"] >= 2020).astype(int)
    frame["d_post"] = frame["treated"] * frame["post"]  # treated villages have the path (0, 1, 1)

    def did(f: pd.DataFrame, treated: pd.Series, d_post: pd.Series) -> float:
        X = np.column_stack([d_post, np.ones(len(f)), treated, f["post"]]).astype(float)
        return float(np.linalg.lstsq(X, f["y"].to_numpy(float), rcond=None)[0][0])

    # Permuting the paths of d_post across villages equals permuting "treated" and interacting it with post.
    by_path = permutation_test(lambda f: did(f, f.groupby("village")["d_post"].transform("max"), f["d_post"]),
                               frame, "d_post", strata="county", clusters="village")
    by_level = permutation_test(lambda f: did(f, f["treated"], f["treated"] * f["post"]), frame, "treated",
                                strata="county", clusters="village")
    assert by_path.assignments == by_level.assignments == 36
    np.testing.assert_allclose(np.sort(by_path.null_distribution), np.sort(by_level.null_distribution),
                               rtol=1e-10, atol=1e-12)
    assert by_path.p_value == pytest.approx(by_level.p_value, rel=0, abs=1e-12)
    # Rows are matched by their order within the village: the frame sorted by year gives the same test.
    by_year = permutation_test(lambda f: did(f, f.groupby("village")["d_post"].transform("max"), f["d_post"]),
                               frame.sort_values(["year", "village"]), "d_post", strata="county", clusters="village")
    np.testing.assert_allclose(np.sort(by_year.null_distribution), np.sort(by_path.null_distribution),
                               rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="as many rows"):
        permutation_test(_gap, frame.iloc[1:], "d_post", strata="county", clusters="village")


def test_tidy() -> None:
    result = permutation_test(_coefficient, _villages(), "d", strata="county", clusters="village")
    row = result.tidy("d").iloc[0]
    assert list(result.tidy().columns) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                           "conf_high", "assignments", "exact", "alternative"]
    assert row["term"] == "d" and row["assignments"] == 36 and bool(row["exact"])
    assert row["estimate"] == pytest.approx(result.statistic, rel=1e-15, abs=0)
    assert row["p_value"] == pytest.approx(result.p_value, rel=1e-15, abs=0)


def _grid_p_values(frame: pd.DataFrame, taus: np.ndarray) -> np.ndarray:
    """Brute-force p-values of the sharp nulls y(0) = y - tau d, for every tau at once (difference in means)."""
    y, d = frame["y"].to_numpy(float), frame["d"].to_numpy()
    unit = frame["village"].to_numpy()
    observed = _gap(frame) - taus
    extreme = np.zeros(len(taus))
    for treated in _village_assignments():
        d_new = treated[unit]
        imputed = y[None, :] - np.outer(taus, d) + np.outer(taus, d_new)  # the outcome under d_new
        stat = imputed[:, d_new == 1].mean(axis=1) - imputed[:, d_new == 0].mean(axis=1) - taus
        extreme += np.abs(stat) >= np.abs(observed) * (1 - 1e-12)
    return extreme / 36


def test_interval_equals_a_brute_force_grid_search_and_covers_the_effect() -> None:
    # The design is balanced, so |T| ties in pairs (an assignment and its mirror) and p takes the values 2k/36:
    # at level 32/36 the test rejects at p <= 4/36 (not only p < 4/36), and the ends show which.
    level = 32 / 36
    alpha = 4 / 36 + 1e-12
    frame = _villages(seed=3)
    estimate = _gap(frame)
    step = 1e-3
    taus = estimate + np.arange(-6000, 6001) * step
    accepted = taus[_grid_p_values(frame, taus) > alpha]
    assert len(accepted) == round((accepted.max() - accepted.min()) / step) + 1  # the accepted set is an interval
    assert taus[0] < accepted.min() and accepted.max() < taus[-1]  # and lies inside the grid
    xtol = 1e-7
    low, high = permutation_interval(_gap, frame, "y", "d", level=level, strata="county", clusters="village",
                                     xtol=xtol)
    assert low == pytest.approx(accepted.min(), rel=0, abs=step)
    assert high == pytest.approx(accepted.max(), rel=0, abs=step)
    # The ends are the jumps of the p-value to within xtol: just inside is accepted, just outside rejected.
    inside_outside = _grid_p_values(frame, np.array([low + xtol, high - xtol, low - xtol, high + xtol]))
    assert (inside_outside[:2] > alpha).all() and (inside_outside[2:] <= alpha).all()
    assert low < TAU < high
    assert np.isfinite(low) and np.isfinite(high)
    # A grid given to the function gives the smallest and largest accepted grid values, the same as here.
    coarse = estimate + np.arange(-40, 41) * 0.1
    expected = coarse[_grid_p_values(frame, coarse) > alpha]
    got = permutation_interval(_gap, frame, "y", "d", level=level, strata="county", clusters="village", grid=coarse)
    assert got == pytest.approx((expected.min(), expected.max()), rel=0, abs=1e-12)


def test_interval_is_unbounded_when_the_test_cannot_reject() -> None:
    frame = pd.DataFrame({"d": [1, 0, 1, 0], "y": [3.0, 1.0, 2.5, 0.5]})  # 6 assignments: p >= 1/6 > 0.05
    assert permutation_interval(_gap, frame, "y", "d") == (-np.inf, np.inf)
    # With two treated villages of four per county, swapping treated and untreated everywhere gives the mirror
    # image of the observed assignment: far from the estimate both tie, so p -> 2/36 > 0.05 and never rejects.
    villages = _villages(seed=3)
    assert _grid_p_values(villages, np.array([-1e4, 1e4])).tolist() == [2 / 36, 2 / 36]
    assert permutation_interval(_gap, villages, "y", "d", strata="county", clusters="village") == (-np.inf, np.inf)


def test_clear_errors() -> None:
    frame = _villages()
    with pytest.raises(ValueError, match=r"missing columns in frame: 'treat' \(treatment\)"):
        permutation_test(_gap, frame, "treat")
    with pytest.raises(ValueError, match=r"'township' \(strata\), 'hamlet' \(clusters\)"):
        permutation_test(_gap, frame, "d", strata="township", clusters="hamlet")
    with pytest.raises(ValueError, match=r"'income' \(outcome\)"):
        permutation_interval(_gap, frame, "income", "d")
    with pytest.raises(ValueError, match="constant within every stratum"):
        permutation_test(_gap, frame.assign(s=frame["d"]), "d", strata="s", clusters="village")
    with pytest.raises(ValueError, match="draws must be an integer of at least 1"):
        permutation_test(_gap, frame, "d", draws=0)
    with pytest.raises(ValueError, match="unknown alternative 'bigger'"):
        permutation_test(_gap, frame, "d", alternative="bigger")
    with pytest.raises(ValueError, match="not nested in strata"):
        permutation_test(_gap, frame, "d", strata="year", clusters="village")
    with pytest.raises(ValueError, match="missing values"):
        permutation_test(_gap, frame.assign(d=frame["d"].where(frame.index > 0)), "d")
    with pytest.raises(ValueError, match="must be 0/1"):
        permutation_interval(_gap, frame.assign(d=2 * frame["d"]), "y", "d")
    with pytest.raises(ValueError, match="statistic is NaN"):
        permutation_test(lambda f: float("nan"), frame, "d", strata="county", clusters="village")
