"""The ARP moment-inequality machinery behind HonestDiD's conditional methods: R's draws, vertices, both engines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from villageaid.estimators import arp

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "honestdid"


def test_normal_draws_are_r_s_for_the_same_seed() -> None:
    draws = json.loads((REFERENCE / "r_draws.json").read_text(encoding="utf-8"))
    for seed, expected in draws["rnorm"].items():
        np.testing.assert_allclose(arp.r_normal_draws(len(expected), int(seed)), expected, rtol=0, atol=1e-14)
    sigma = np.asarray(draws["rmvnorm"]["sigma"])
    expected = np.asarray(draws["rmvnorm"]["draws"])
    np.testing.assert_allclose(arp.r_mvnorm(len(expected), sigma, 0), expected, rtol=0, atol=1e-12)


def _random_problem(rows: int, nuisance: int, seed: int) -> arp.MomentInequalities:
    rng = np.random.default_rng(seed)
    root = rng.normal(size=(rows, rows))
    return arp.MomentInequalities(rng.normal(size=rows), rng.normal(size=rows), rng.normal(size=(rows, nuisance)),
                                  root @ root.T / rows + np.eye(rows) * 0.1)


@pytest.mark.parametrize(("rows", "nuisance"), [(6, 0), (7, 1), (8, 3)])
def test_eta_over_the_vertices_is_the_linear_program(rows: int, nuisance: int) -> None:
    problem = _random_problem(rows, nuisance, rows)
    vertices = arp.dual_vertices(problem.nuisance, problem.sd)
    assert np.all(vertices >= 0)
    np.testing.assert_allclose(vertices @ problem.sd, 1.0, rtol=0, atol=1e-10)
    np.testing.assert_allclose(vertices @ problem.nuisance, 0.0, rtol=0, atol=1e-10)
    for theta in (-2.0, 0.0, 1.5):
        y = problem.y0 - problem.slope * theta
        eta_lp, _ = arp._eta_lp(y, problem.nuisance, problem.sd)
        assert float((vertices @ y).max()) == pytest.approx(eta_lp, abs=1e-9)


@pytest.mark.parametrize("hybrid", ["ARP", "LF"])
def test_the_two_engines_accept_the_same_values(hybrid: str) -> None:
    problem = _random_problem(8, 2, 3)
    theta = np.linspace(-6, 6, 61)
    vertices = arp.problem_vertices(problem)
    assert vertices is not None
    options = {"alpha": 0.05, "hybrid": hybrid}
    if hybrid == "LF":
        lf_cv = arp.least_favorable_cv(problem, 0.005, draws=300, vertices=vertices)
        assert lf_cv == pytest.approx(arp.least_favorable_cv(problem, 0.005, draws=300), rel=1e-9)
        options |= {"kappa": 0.005, "lf_cv": lf_cv}
    by_vertices = arp.conditional_test(problem, theta, vertices=vertices, **options)
    by_lp = arp.conditional_test(problem, theta, **options)
    np.testing.assert_array_equal(by_vertices, by_lp)
    assert by_vertices.any() and not by_vertices.all()


def test_too_many_supports_fall_back_to_linear_programming(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = _random_problem(8, 2, 5)
    monkeypatch.setattr(arp, "MAX_SUPPORTS", 10)
    assert arp.problem_vertices(problem) is None
    with pytest.raises(ValueError, match="MAX_SUPPORTS"):
        arp.dual_vertices(problem.nuisance, problem.sd)


def test_size_of_the_conditional_test_under_the_least_favourable_null() -> None:
    """All moments at their bound (mean zero): the tests reject about alpha of the time, never much more."""
    problem = _random_problem(6, 1, 11)
    vertices = arp.problem_vertices(problem)
    lf_cv = arp.least_favorable_cv(problem, 0.005, draws=1000, vertices=vertices)
    draws = np.random.default_rng(7).multivariate_normal(np.zeros(6), problem.sigma, size=2000)
    rejections = {"ARP": 0, "LF": 0}
    for draw in draws:
        shifted = arp.MomentInequalities(draw, problem.slope, problem.nuisance, problem.sigma)
        for hybrid in rejections:
            options = {"kappa": 0.005, "lf_cv": lf_cv} if hybrid == "LF" else {}
            rejections[hybrid] += int(not arp.conditional_test(shifted, np.zeros(1), alpha=0.05, hybrid=hybrid,
                                                               vertices=vertices, **options)[0])
    for count in rejections.values():
        assert 0.03 < count / len(draws) < 0.07  # binomial sd 0.005 around 0.05
