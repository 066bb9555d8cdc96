"""The fast paths of the demeaning, PPML and the wild bootstrap give the same bits as the direct computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.estimators import demean, feols, fepois
from villageaid.estimators.bootstrap import wild_cluster_bootstrap


def _unit_year(units: int, years: int, drop: float, duplicate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    unit, year = np.repeat(np.arange(units), years), np.tile(np.arange(years), units)
    kept = rng.random(len(unit)) > drop
    unit, year = unit[kept], year[kept]
    twice = rng.random(len(unit)) < duplicate  # a second observation in some cells
    unit, year = np.concatenate([unit, unit[twice]]), np.concatenate([year, year[twice]])
    order = rng.permutation(len(unit))
    return unit[order], year[order]


@pytest.mark.parametrize(("units", "years", "drop", "duplicate"), [(20_000, 10, 0.0, 0.0), (12_000, 12, 0.3, 0.1)])
def test_dense_cells_in_sparse_order_match_the_sparse_absorption(monkeypatch, units, years, drop, duplicate):
    unit, year = _unit_year(units, years, drop, duplicate, seed=units)
    rng = np.random.default_rng(1)
    fixed = demean.FixedEffects(("unit", "year"), (unit, year), (units, years))
    columns = np.asfortranarray(rng.normal(size=(len(unit), 3)))
    weights = rng.exponential(size=len(unit))
    assert units * years > demean.DENSE_CELLS  # the shape takes the sparse absorption, or its dense copy
    fast, _ = fixed.demean(columns, weights)
    monkeypatch.setattr(demean, "SPARSE_ORDER_DENSE_CELLS", 0)  # the scipy.sparse computation
    direct, _ = fixed.demean(columns, weights)
    assert fast.tobytes() == direct.tobytes()


def test_three_observations_in_a_cell_keep_the_sparse_matrices():
    unit, year = np.array([0, 0, 0, 1, 1]), np.array([0, 0, 0, 1, 0])
    assert demean._cells_in_sparse_order(unit, year, np.ones(5), 2, 2) is None


def test_ppml_with_many_units_gives_the_same_bits_by_either_absorption(monkeypatch):
    rng = np.random.default_rng(3)
    units = 15_000
    data = pd.DataFrame({"unit": np.repeat(np.arange(units), 8), "year": np.tile(np.arange(8), units)})
    data["x"] = rng.normal(size=len(data))
    data["y"] = rng.poisson(np.exp(0.8 + 0.3 * data["x"] + rng.normal(0, 0.5, units)[data["unit"]]))
    fast = fepois("y ~ x | unit + year", data, vcov={"CRV1": "unit"})
    monkeypatch.setattr(demean, "SPARSE_ORDER_DENSE_CELLS", 0)
    direct = fepois("y ~ x | unit + year", data, vcov={"CRV1": "unit"})
    assert fast.params.to_numpy().tobytes() == direct.params.to_numpy().tobytes()
    assert fast.std_errors.to_numpy().tobytes() == direct.std_errors.to_numpy().tobytes()


def test_bootstrap_rejections_from_moments_are_those_of_the_t_statistics():
    rng = np.random.default_rng(5)
    n, clusters = 3_000, 30
    data = pd.DataFrame({"g": rng.integers(0, clusters, n), "t": rng.integers(0, 5, n), "x": rng.normal(size=n)})
    data["y"] = 0.05 * data["x"] + rng.normal(size=clusters)[data["g"]] + rng.normal(size=n)
    fit = feols("y ~ x | t", data, vcov={"CRV1": "g"})
    result = wild_cluster_bootstrap(fit, "x", "g", draws=1999, seed=2)
    inversion = result.inversion
    for null in np.concatenate([np.linspace(-0.3, 0.3, 41), [result.conf_low, result.conf_high, result.estimate]]):
        t_observed = (inversion.estimate - null) / inversion.se_hat
        threshold = abs(t_observed) * (1 - 1e-10)
        direct = np.abs(inversion.bootstrap_t(null)) >= threshold
        assert np.array_equal(inversion._rejections(null, threshold), direct)
    # at the interval's ends some draws sit on the threshold: they are recomputed, not guessed
    assert 0 < result.p_value < 1


def _panel_with_zero_groups_and_separation() -> pd.DataFrame:
    """30 villages in 3 counties × 8 years, unbalanced; village 5 and (but for village 3) year 7 all zeros; a
    dummy that is one on a single zero outcome (separated)."""
    rng = np.random.default_rng(11)
    villages, years = 30, 8
    data = pd.DataFrame({"village": np.repeat(np.arange(villages), years), "year": np.tile(np.arange(years), villages)})
    data = data[rng.random(len(data)) > 0.15].reset_index(drop=True)
    data["county"] = data["village"] % 3
    data["x1"], data["x2"] = rng.normal(size=len(data)), rng.normal(size=len(data))
    effect = rng.normal(0, 0.5, villages)[data["village"]]
    data["y"] = rng.poisson(np.exp(0.5 + 0.3 * data["x1"] - 0.2 * data["x2"] + effect)).astype(float)
    data.loc[data["village"] == 5, "y"] = 0.0
    data.loc[(data["year"] == 7) & (data["village"] != 3), "y"] = 0.0
    data.loc[(data["year"] == 7) & (data["village"] == 3), "y"] = 4.0
    data["d"] = 0.0
    separated = data.index[(data["y"] == 0) & (data["village"] == 8)][0]
    data.loc[separated, "d"] = 1.0
    data.loc[separated, "y"] = 0.0
    return data


def _straightforward_irls(y, X, fixed, start, tolerance, check=None):
    """PPML's IRLS as first written: fresh arrays every iteration, the regressors squared where checked."""
    from scipy import linalg

    mu = (y + y.mean()) / 2 if start is None else np.exp(start)
    eta = np.log(mu)
    deviance_old = np.inf
    iterations = 0
    while True:
        iterations += 1
        z = eta + (y - mu) / mu
        if fixed is not None:
            stacked = np.empty((len(z), X.shape[1] + 1), order="F")
            stacked[:, 0], stacked[:, 1:] = z, X
            demeaned, _ = fixed.demean(stacked, mu, copy=False)
            zt, Xt = demeaned[:, 0], demeaned[:, 1:]
        else:
            zt, Xt = z, X
        Xw = Xt * mu[:, None]
        gram = Xw.T @ Xt
        if check is not None and iterations == 1:
            check(gram, (X**2 * mu[:, None]).sum(axis=0))
        beta = linalg.solve(gram, Xw.T @ zt, assume_a="pos")
        eta = z - (zt - Xt @ beta)
        mu = np.exp(eta)
        with np.errstate(divide="ignore", invalid="ignore"):
            deviance = float(2 * (np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)).sum())
        if abs(deviance - deviance_old) <= tolerance * max(abs(deviance), 1.0):
            return beta, mu
        deviance_old = deviance


def _straightforward_drop_all_zero_groups(y, fixed, keep):
    while True:
        sub = fixed.subset(keep)
        drop = np.zeros(int(keep.sum()), dtype=bool)
        for code, size in zip(sub.codes, sub.levels, strict=True):
            drop |= (np.bincount(code, weights=y[keep], minlength=size) == 0)[code]
        if not drop.any():
            return keep
        keep[np.flatnonzero(keep)[drop]] = False


def _straightforward_refit(problem, rows, label):
    """One leave-one-cluster-out PPML refit as first written (renumbered codes, boolean indexing, X**2 per refit)."""
    from villageaid.estimators import jackknife, poisson
    from villageaid.estimators.inference import COLLINEARITY_TOLERANCE, collinear_on_gram

    y, X, fixed, start = problem.y, problem.X, problem.fixed, problem.eta

    def collinear(gram, raw_ss):
        dropped = collinear_on_gram(gram, raw_ss, COLLINEARITY_TOLERANCE)
        if dropped:
            raise jackknife.undefined_error("village", label, problem.names[dropped[0]])

    def fit(keep):
        sub = fixed.subset(keep) if fixed is not None else None
        beta, mu = _straightforward_irls(y[keep], X[keep], sub, start[keep], poisson.JACKKNIFE_DEVIANCE_TOLERANCE,
                                         collinear)
        return beta, mu, sub

    keep = _straightforward_drop_all_zero_groups(y, fixed, rows.copy()) if fixed is not None else rows.copy()
    beta, mu, sub = fit(keep)
    if mu.min() >= poisson.COLLAPSED_MEAN * max(y[keep].mean(), 1e-300):
        return beta
    separated = poisson._relu_separated(y[keep], X[keep], sub)
    if not separated.any():
        return beta
    keep[np.flatnonzero(keep)[separated]] = False
    if fixed is not None:
        keep = _straightforward_drop_all_zero_groups(y, fixed, keep)
    return fit(keep)[0]


@pytest.mark.parametrize(("formula", "cluster"), [
    ("y ~ x1 + x2 + d | village + year", "village"),
    ("y ~ x1 + x2 + d | year", "village"),
    ("y ~ x1 + x2 | village + year", "county"),
    ("y ~ x1 + x2 + d", "village"),
])
def test_ppml_fit_and_jackknife_refits_give_the_bits_of_the_straightforward_computation(formula, cluster):
    from villageaid.estimators import poisson

    data = _panel_with_zero_groups_and_separation()
    fit = fepois(formula, data, vcov={"CRV3": cluster})
    problem = fit.inference.leave_one_out
    if "village +" in formula:  # village 5's outcomes are all zero
        assert any("only zero outcomes" in note for note in fit.notes)
    if "d" in formula.split("|")[0]:
        assert any("separated" in note for note in fit.notes)
    beta, _ = _straightforward_irls(problem.y, problem.X, problem.fixed, None, poisson.DEVIANCE_TOLERANCE)
    assert beta.tobytes() == fit.params.to_numpy().tobytes()
    codes, labels = pd.factorize(fit.inference.sample[cluster])
    fast = problem(codes, cluster)
    direct = np.vstack([_straightforward_refit(problem, codes != g, labels[g]) for g in range(len(labels))])
    assert fast.shape == (len(labels), len(fit.params))
    assert fast.tobytes() == direct.tobytes()


def test_ppml_jackknife_refusal_names_the_cluster_left_out():
    from villageaid.estimators import JackknifeUndefinedError

    data = _panel_with_zero_groups_and_separation()
    data["only_in_village_2"] = np.where(data["village"] == 2, data["x1"], 0.0)
    with pytest.raises(JackknifeUndefinedError, match=r"without cluster '2'.*only_in_village_2") as refusal:
        fepois("y ~ x1 + only_in_village_2 | year", data, vcov={"CRV3": "village"})
    assert refusal.value.cluster == 2


def test_ppml_jackknife_refit_separation_refuses_as_the_straightforward_computation():
    from villageaid.estimators import JackknifeUndefinedError

    data = _panel_with_zero_groups_and_separation()
    data["e"] = 0.0  # one on a zero of village 10 and a positive outcome of village 11: separated without village 11
    zero = data.index[(data["village"] == 10) & (data["y"] == 0)][0]
    positive = data.index[(data["village"] == 11) & (data["y"] > 0)][0]
    data.loc[[zero, positive], "e"] = 1.0
    with pytest.raises(JackknifeUndefinedError) as fast:
        fepois("y ~ x1 + x2 + e | village + year", data, vcov={"CRV3": "village"})
    fit = fepois("y ~ x1 + x2 + e | village + year", data, vcov={"CRV1": "village"})
    codes, labels = pd.factorize(fit.inference.sample["village"])
    with pytest.raises(JackknifeUndefinedError) as direct:
        for g in range(len(labels)):
            _straightforward_refit(fit.inference.leave_one_out, codes != g, labels[g])
    assert (fast.value.cluster, fast.value.term, str(fast.value)) == (11, "e", str(direct.value))
