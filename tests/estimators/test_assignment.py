"""solve_assignment against brute-force enumeration written here with itertools, against a MIP built by hand with
scipy.optimize.milp over every pair, and its one-to-one reduction (linear_sum_assignment) against milp; then
infeasible instances, malformed input and determinism."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

import villageaid.estimators
from villageaid.estimators.assignment import (
    TIDY_COLUMNS,
    AssignmentResult,
    InfeasibleAssignmentError,
    solve_assignment,
)
from villageaid.estimators.limits import DataLimitError

# Objectives of integer flows are sums of a few values: any two solvers that both reach the optimum agree to
# round-off (the values are random, so distinct flows differ by far more than HiGHS's absolute gap of 1e-6).
RTOL, ATOL = 1e-9, 1e-9

FEATURES = ("plain", "forbidden", "column_groups", "row_groups", "budget", "exact_supply", "everything")


# ---------------------------------------------------------------------------------------------------------------
# Brute force and instances


def _brute_force(value: np.ndarray, supply: np.ndarray, demand: np.ndarray, *,
                 column_groups: np.ndarray | None = None, column_group_capacity: dict | None = None,
                 row_groups: np.ndarray | None = None, row_group_capacity: dict | None = None,
                 cost: np.ndarray | None = None, budget: float | None = None,
                 exact_supply: bool = False) -> float | None:
    """Best Σ value·x over every integer flow on the allowed pairs (None if none is feasible)."""
    n_rows, n_columns = value.shape
    allowed = np.isfinite(value)
    pairs = [(r, n) for r in range(n_rows) for n in range(n_columns) if allowed[r, n]]
    ranges = [range(int(min(supply[r], demand[n])) + 1) for r, n in pairs]
    grid = np.array(list(itertools.product(*ranges)), dtype=float).reshape(-1, len(pairs))
    flows = np.zeros((len(grid), n_rows, n_columns))
    for k, (r, n) in enumerate(pairs):
        flows[:, r, n] = grid[:, k]
    row_totals, column_totals = flows.sum(axis=2), flows.sum(axis=1)
    ok = (row_totals == supply).all(axis=1) if exact_supply else (row_totals <= supply).all(axis=1)
    ok &= (column_totals <= demand).all(axis=1)
    if column_groups is not None and column_group_capacity is not None:
        for label, capacity in column_group_capacity.items():
            ok &= column_totals[:, column_groups == label].sum(axis=1) <= capacity
    if row_groups is not None and row_group_capacity is not None:
        for label, capacity in row_group_capacity.items():
            ok &= row_totals[:, row_groups == label].sum(axis=1) <= capacity
    if cost is not None and budget is not None:
        ok &= (flows * np.where(allowed, cost, 0.0)).sum(axis=(1, 2)) <= budget
    if not ok.any():
        return None
    return float((flows * np.where(allowed, value, 0.0)).sum(axis=(1, 2))[ok].max())


def _small_instance(seed: int, feature: str) -> dict[str, Any]:
    """At most 3 × 3 pairs with supplies and demands up to 2: at most 3⁹ flows to enumerate."""
    rng = np.random.default_rng(seed)
    n_rows, n_columns = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    value = np.round(rng.normal(1.0, 1.5, (n_rows, n_columns)), 3)  # some values ≤ 0
    instance: dict[str, Any] = {"value": value, "supply": rng.integers(0, 3, n_rows).astype(float),
                                "demand": rng.integers(0, 3, n_columns).astype(float)}
    everything = feature == "everything"
    if feature in ("forbidden", "everything"):
        forbidden = rng.random(value.shape) < 0.3
        value[forbidden] = np.where(rng.random(value.shape) < 0.5, np.nan, -np.inf)[forbidden]
    if feature in ("column_groups", "everything"):
        instance["column_groups"] = rng.integers(0, 2, n_columns)
        instance["column_group_capacity"] = {0: int(rng.integers(0, 3)), 1: int(rng.integers(0, 3))}
    if feature in ("row_groups", "everything"):
        instance["row_groups"] = np.array(["a", "b", "a"][:n_rows])
        instance["row_group_capacity"] = {"a": int(rng.integers(0, 4)), "b": int(rng.integers(0, 4))}
    if feature in ("budget", "everything"):
        instance["cost"] = np.round(rng.uniform(0.0, 2.0, value.shape), 2)
        instance["budget"] = float(np.round(rng.uniform(0.0, 4.0), 2))
    if feature == "exact_supply" or (everything and seed % 2 == 0):
        instance["exact_supply"] = True
    return instance


def _methods(instance: dict[str, Any]) -> list[str]:
    """Every solver that may take the (integer) instance."""
    one_to_one = np.isin(instance["supply"], (0, 1)).all() and np.isin(instance["demand"], (0, 1)).all() \
        and "cost" not in instance and "column_groups" not in instance and "row_groups" not in instance
    return ["auto", "milp"] + ([] if "cost" in instance else ["linprog"]) \
        + (["linear_sum_assignment"] if one_to_one else [])


def _assert_feasible(result: AssignmentResult, instance: dict[str, Any], *, integer: bool = True) -> None:
    """The flow meets every constraint and the reported totals are computed from it."""
    value, flow = instance["value"], result.flow
    supply = np.broadcast_to(np.asarray(instance["supply"], dtype=float), (value.shape[0],))
    demand = np.broadcast_to(np.asarray(instance["demand"], dtype=float), (value.shape[1],))
    slack = 1e-9
    assert flow.shape == value.shape and (flow >= 0).all()
    if integer:
        assert_array_equal(flow, np.rint(flow))
    assert (flow[~np.isfinite(value)] == 0).all()
    if instance.get("exact_supply"):
        assert_allclose(result.row_totals, supply, rtol=0, atol=slack)
    else:
        assert (result.row_totals <= supply + slack).all()
        assert (flow[np.isfinite(value) & (value <= 0)] == 0).all()  # tie rule 1: nothing on a pair that gains ≤ 0
    assert (result.column_totals <= demand + slack).all()
    for groups, capacity, totals in (("column_groups", "column_group_capacity", result.column_totals),
                                     ("row_groups", "row_group_capacity", result.row_totals)):
        if groups in instance:
            for label, cap in instance[capacity].items():
                assert totals[instance[groups] == label].sum() <= cap + slack
    carrying = flow > 0
    assert_allclose(result.objective, np.sum(value[carrying] * flow[carrying]), rtol=RTOL, atol=ATOL)
    if "cost" in instance:
        assert result.total_cost is not None and result.total_cost <= instance["budget"] + slack
    else:
        assert result.total_cost is None


def _solve(instance: dict[str, Any], **options: Any) -> AssignmentResult:
    return solve_assignment(**instance, **options)


# ---------------------------------------------------------------------------------------------------------------
# Optimality against brute force


@pytest.mark.parametrize("feature", FEATURES)
@pytest.mark.parametrize("seed", range(6))
def test_optimum_equals_brute_force(seed: int, feature: str) -> None:
    instance = _small_instance(seed, feature)
    best = _brute_force(**instance)
    for method in _methods(instance):
        if best is None:
            with pytest.raises(InfeasibleAssignmentError, match="exact_supply=True but"):
                _solve(instance, method=method)
            continue
        result = _solve(instance, method=method)
        assert result.optimal
        assert_allclose(result.objective, best, rtol=RTOL, atol=ATOL, err_msg=method)
        _assert_feasible(result, instance)


def test_brute_force_cases_cover_infeasible_and_binding_budgets() -> None:
    # Guard against the brute-force test passing vacuously: some instances are infeasible, some budgets bind.
    infeasible = [seed for seed in range(6) if _brute_force(**_small_instance(seed, "exact_supply")) is None]
    binding = []
    for seed in range(6):
        instance = _small_instance(seed, "budget")
        unbudgeted = {k: v for k, v in instance.items() if k not in ("cost", "budget")}
        binding.append(_brute_force(**instance) < _brute_force(**unbudgeted))  # type: ignore[operator]
    assert infeasible and any(binding) and not all(binding)


def test_budget_with_cost_per_resource_matches_brute_force() -> None:
    rng = np.random.default_rng(11)
    value = np.round(rng.uniform(0.1, 3.0, (3, 3)), 3)
    supply, demand, per_resource = np.array([2.0, 1.0, 2.0]), np.array([1.0, 2.0, 2.0]), np.array([1.5, 0.5, 1.0])
    result = solve_assignment(value, supply, demand, cost=per_resource, budget=3.0)
    best = _brute_force(value, supply, demand, cost=np.repeat(per_resource[:, None], 3, axis=1), budget=3.0)
    assert_allclose(result.objective, best, rtol=RTOL, atol=ATOL)
    assert_allclose(result.cost, np.repeat(per_resource[:, None], 3, axis=1), rtol=0, atol=0)


# ---------------------------------------------------------------------------------------------------------------
# One-to-one: linear_sum_assignment against milp


@pytest.mark.parametrize(("n_rows", "n_columns"), [(12, 12), (15, 9), (8, 14)])
@pytest.mark.parametrize("exact_supply", [False, True])
def test_linear_sum_assignment_reduction_matches_milp(n_rows: int, n_columns: int, exact_supply: bool) -> None:
    rng = np.random.default_rng(n_rows * 100 + n_columns)
    value = rng.normal(0.5, 1.0, (n_rows, n_columns))  # about a third of the pairs lose
    value[rng.random(value.shape) < 0.2] = np.nan
    supply = np.ones(n_rows)
    if exact_supply:
        supply[n_columns:] = 0  # at most as many resources as needs, so all of them can be placed
        value[np.arange(min(n_rows, n_columns)), np.arange(min(n_rows, n_columns))] = 0.1  # a perfect matching
    instance = {"value": value, "supply": supply, "demand": 1.0, "exact_supply": exact_supply}
    reduced = _solve(instance)
    assert reduced.method == "linear_sum_assignment"
    if exact_supply:
        assert_array_equal(reduced.row_totals, supply)
    for method in ("milp", "linprog"):
        other = _solve(instance, method=method)
        assert other.method == method
        assert_allclose(reduced.objective, other.objective, rtol=RTOL, atol=ATOL)
    _assert_feasible(reduced, instance)


# ---------------------------------------------------------------------------------------------------------------
# An independent formulation: the MIP over every R × N pair, built by hand


def _hand_built(value: np.ndarray, supply: np.ndarray, demand: np.ndarray, column_groups: np.ndarray,
                column_cap: float, row_groups: np.ndarray, row_cap: float, cost: np.ndarray | None,
                budget: float | None, integer: bool) -> float:
    """Maximise Σ value·x over all R·N variables (forbidden pairs bounded at 0), dense Kronecker constraints."""
    n_rows, n_columns = value.shape
    allowed = np.isfinite(value)
    gain = np.where(allowed, value, 0.0).ravel()
    upper = np.where(allowed, np.inf, 0.0).ravel()
    column_indicator = (column_groups[None, :] == np.unique(column_groups)[:, None]).astype(float)
    row_indicator = (row_groups[None, :] == np.unique(row_groups)[:, None]).astype(float)
    blocks = [np.kron(np.eye(n_rows), np.ones((1, n_columns))), np.kron(np.ones((1, n_rows)), np.eye(n_columns)),
              np.kron(np.ones((1, n_rows)), column_indicator), np.kron(row_indicator, np.ones((1, n_columns)))]
    rhs = [supply, demand, np.full(len(column_indicator), column_cap), np.full(len(row_indicator), row_cap)]
    if cost is not None and budget is not None:
        blocks.append(np.where(allowed, cost, 0.0).reshape(1, -1))
        rhs.append(np.array([budget]))
    matrix, bound = np.vstack(blocks), np.concatenate(rhs)
    if integer:
        result = milp(-gain, integrality=np.ones(len(gain)), bounds=Bounds(np.zeros(len(gain)), upper),
                      constraints=LinearConstraint(sparse.csr_array(matrix), -np.inf, bound),
                      options={"mip_rel_gap": 0.0})
        assert result.status == 0, result.message
        return float(gain @ np.rint(result.x))
    result = linprog(-gain, A_ub=matrix, b_ub=bound, bounds=np.column_stack([np.zeros(len(gain)), upper]),
                     method="highs")
    assert result.status == 0, result.message
    return float(-result.fun)


@pytest.mark.parametrize(("with_budget", "integer"), [(True, True), (False, True), (True, False), (False, False)])
@pytest.mark.parametrize("seed", [3, 4])
def test_matches_hand_built_milp_on_medium_instance(seed: int, with_budget: bool, integer: bool) -> None:
    rng = np.random.default_rng(seed)
    n_rows, n_columns = 40, 20
    value = rng.gamma(2.0, 1.0, (n_rows, n_columns)) - 0.5
    value[rng.random(value.shape) < 0.25] = np.nan
    supply = rng.integers(1, 4, n_rows).astype(float)
    demand = rng.integers(1, 3, n_columns).astype(float)
    column_groups, row_groups = np.arange(n_columns) // 2, np.arange(n_rows) // 4  # pairs of needs, 4 resources
    cost = rng.uniform(0.5, 2.0, value.shape)
    budget = 20.0 if with_budget else None
    result = solve_assignment(value, supply, demand, integer=integer, column_groups=column_groups,
                              column_group_capacity=2, row_groups=row_groups, row_group_capacity=5,
                              cost=cost if with_budget else None, budget=budget)
    desired = _hand_built(value, supply, demand, column_groups, 2, row_groups, 5, cost if with_budget else None,
                          budget, integer)
    assert result.optimal
    assert_allclose(result.objective, desired, rtol=RTOL)
    if integer and with_budget:  # the budget binds (so branch and cut, not the unbudgeted flow, is tested)
        unbudgeted = _hand_built(value, supply, demand, column_groups, 2, row_groups, 5, None, None, integer)
        assert result.objective < unbudgeted - 1.0
        assert result.method == "milp"
        assert_allclose(solve_assignment(value, supply, demand, column_groups=column_groups, column_group_capacity=2,
                                         row_groups=row_groups, row_group_capacity=5, cost=cost, budget=budget,
                                         method="milp").objective, desired, rtol=RTOL)
    if not integer:
        assert result.method == "linprog"
    instance = {"value": value, "supply": supply, "demand": demand, "column_groups": column_groups,
                "column_group_capacity": {g: 2 for g in np.unique(column_groups)}, "row_groups": row_groups,
                "row_group_capacity": {g: 5 for g in np.unique(row_groups)}}
    if with_budget:
        instance |= {"cost": cost, "budget": budget}
    _assert_feasible(result, instance, integer=integer)


def test_budget_that_does_not_bind_returns_the_unbudgeted_optimum() -> None:
    rng = np.random.default_rng(7)
    value = rng.uniform(0.1, 2.0, (10, 6))
    free = solve_assignment(value, 2, 3)
    capped = solve_assignment(value, 2, 3, cost=1.0, budget=float(free.flow.sum()))
    assert_allclose(capped.objective, free.objective, rtol=RTOL)
    assert capped.optimal and capped.total_cost == pytest.approx(free.flow.sum(), rel=RTOL, abs=ATOL)


def test_zero_budget_assigns_only_free_pairs() -> None:
    value = np.array([[1.0, 2.0], [3.0, 4.0]])
    cost = np.array([[1.0, 0.0], [1.0, 1.0]])
    result = solve_assignment(value, [2, 2], [2, 2], cost=cost, budget=0.0)
    assert_array_equal(result.flow, [[0.0, 2.0], [0.0, 0.0]])
    assert_allclose(result.objective, 4.0, rtol=RTOL, atol=ATOL)
    nothing = solve_assignment(value, [2, 2], [2, 2], cost=1.0, budget=0.5)
    assert_array_equal(nothing.flow, np.zeros((2, 2)))
    assert nothing.objective == 0.0 and nothing.optimal


# ---------------------------------------------------------------------------------------------------------------
# Continuous flows and the tie rule


def test_continuous_flow_may_be_fractional() -> None:
    # One resource of 1.5 units, two needs of one unit: the LP sends 1 to the better need and 0.5 to the other.
    result = solve_assignment([[3.0, 2.0]], [1.5], [1.0, 1.0], integer=False)
    assert_allclose(result.flow, [[1.0, 0.5]], rtol=0, atol=1e-12)
    assert_allclose(result.objective, 4.0, rtol=RTOL, atol=ATOL)
    with pytest.raises(ValueError, match=r"supply\[0\] = 1.5 is not a whole number"):
        solve_assignment([[3.0, 2.0]], [1.5], [1.0, 1.0])


def test_pairs_that_do_not_gain_stay_empty_unless_every_resource_must_be_used() -> None:
    value = np.array([[0.0, -1.0], [-2.0, 5.0]])
    result = solve_assignment(value, 1, 1)
    assert_array_equal(result.flow, [[0.0, 0.0], [0.0, 1.0]])
    exact = solve_assignment(value, 1, 1, exact_supply=True)
    assert_array_equal(exact.flow, [[1.0, 0.0], [0.0, 1.0]])
    assert_allclose(exact.objective, 5.0, rtol=RTOL, atol=ATOL)
    none = solve_assignment(-np.abs(value) - 1.0, 1, 1)
    assert_array_equal(none.flow, np.zeros((2, 2)))
    assert none.objective == 0.0 and "nothing assigned" in none.status


# ---------------------------------------------------------------------------------------------------------------
# Infeasible instances


@pytest.mark.parametrize(("arguments", "message", "continuous_message"), [
    ({"value": [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], "supply": 1, "demand": 1},
     r"total supply \(3.0\) exceeds the total demand \(2.0\)", None),
    ({"value": [[1.0, 2.0], [np.nan, -np.inf]], "supply": 1, "demand": 2},
     r"resource 1 \(supply\[1\] = 1.0\) has no allowed need with positive demand", None),
    ({"value": [[1.0, np.nan], [1.0, 1.0]], "supply": [3, 0], "demand": [2, 5]},
     r"resource 0 \(supply\[0\] = 3.0\) can reach needs with a total demand of only 2.0", None),
    # Hall's condition fails (resources 0 and 1 can only serve need 0): found by the solver, not the pre-checks.
    ({"value": [[1.0, np.nan, np.nan], [1.0, np.nan, np.nan], [1.0, 1.0, 1.0]], "supply": 1, "demand": 1},
     "no one-to-one assignment gives every resource an allowed need", "no flow uses every resource fully"),
    ({"value": [[1.0, np.nan], [1.0, np.nan], [1.0, 1.0]], "supply": [2, 1, 1], "demand": [2, 5]},
     r"no flow uses every resource fully within the demands, group capacities and budget \(linprog", None),
    ({"value": [[1.0, 2.0]], "supply": 2, "demand": 1, "cost": 1.0, "budget": 1.5},
     r"no flow uses every resource fully within the demands, group capacities and budget \(milp",
     r"no flow uses every resource fully within the demands, group capacities and budget \(linprog"),
    ({"value": [[1.0, 2.0], [1.0, 2.0]], "supply": 1, "demand": 1, "column_groups": ["v", "v"],
      "column_group_capacity": 1}, "no flow uses every resource fully", None),
])
@pytest.mark.parametrize("integer", [True, False])
def test_infeasible_instances_raise(arguments: dict[str, Any], message: str, continuous_message: str | None,
                                    integer: bool) -> None:
    expected = message if integer or continuous_message is None else continuous_message
    with pytest.raises(InfeasibleAssignmentError, match=expected) as caught:
        solve_assignment(**arguments, exact_supply=True, integer=integer)
    assert isinstance(caught.value, DataLimitError) and isinstance(caught.value, ValueError)
    # Without exact_supply the same instances are feasible: nothing need be assigned.
    assert solve_assignment(**arguments, integer=integer).optimal


# ---------------------------------------------------------------------------------------------------------------
# Malformed input


VALUE = np.array([[1.0, 2.0, np.nan], [3.0, -np.inf, 4.0]])


@pytest.mark.parametrize(("changes", "message"), [
    ({"value": [[1.0, np.inf, 0.0], [1.0, 1.0, 1.0]]}, r"value\[0, 1\] = inf"),
    ({"value": [1.0, 2.0, 3.0]}, "value must be two-dimensional"),
    ({"value": [["a", "b", "c"], ["d", "e", "f"]]}, "value must be a numeric"),
    ({"supply": [1.0, np.nan]}, r"supply\[1\] = nan is NaN"),
    ({"supply": [1.0, -1.0]}, r"supply\[1\] = -1.0 is negative"),
    ({"supply": np.inf}, r"supply\[0\] = inf is not finite"),
    ({"supply": [1.0, 1.0, 1.0]}, r"supply must have one entry per row of value \(2\), got shape \(3,\)"),
    ({"demand": [1.0, 1.0]}, r"demand must have one entry per column of value \(3\), got shape \(2,\)"),
    ({"demand": [1.0, -2.0, 1.0]}, r"demand\[1\] = -2.0 is negative"),
    ({"demand": [1.0, np.nan, 1.0]}, r"demand\[1\] = nan is NaN"),
    ({"demand": [0.5, 1.0, 1.0]}, r"demand\[0\] = 0.5 is not a whole number"),
    ({"budget": 3.0}, "budget was given without cost"),
    ({"cost": 1.0}, "cost was given without budget"),
    ({"cost": 1.0, "budget": -1.0}, "budget must be a finite number ≥ 0"),
    ({"cost": 1.0, "budget": np.nan}, "budget must be a finite number ≥ 0"),
    ({"cost": np.ones((3, 2)), "budget": 1.0}, r"cost must be a scalar, one entry per row .* got shape \(3, 2\)"),
    ({"cost": [[1.0, -1.0, 1.0], [1.0, 1.0, 1.0]], "budget": 1.0}, r"cost\[0, 1\] = -1.0"),
    ({"cost": [[1.0, 1.0, 1.0], [np.nan, 1.0, 1.0]], "budget": 1.0}, r"cost\[1, 0\] = nan"),
    ({"column_groups": [0, 0, 1]}, "column_groups was given without column_group_capacity"),
    ({"row_group_capacity": 1}, "row_group_capacity was given without row_groups"),
    ({"column_groups": [0, 1], "column_group_capacity": 1}, "column_groups must have one label per column"),
    ({"row_groups": [None, "a"], "row_group_capacity": 1}, r"row_groups\[0\] = None is missing"),
    ({"column_groups": ["a", "a", "b"], "column_group_capacity": {"a": 1}},
     "column_group_capacity has no entry for group label 'b'"),
    ({"column_groups": ["a", "a", "b"], "column_group_capacity": {"a": 1, "b": -1}},
     r"column_group_capacity\['b'\] = -1.0 is negative"),
    ({"row_groups": [0, 0], "row_group_capacity": np.nan}, r"row_group_capacity\[0\] = nan is NaN"),
    ({"row_groups": [0, 0], "row_group_capacity": "two"}, "row_group_capacity must be a number or a mapping"),
    ({"method": "hungarian"}, "method must be one of"),
    ({"method": "linear_sum_assignment", "supply": 2}, "needs a one-to-one instance, but some supply is neither"),
    ({"method": "linear_sum_assignment", "integer": False}, "solves integer one-to-one instances"),
    ({"method": "linprog", "cost": 1.0, "budget": 1.0}, "method='linprog' solves integer instances only without"),
    ({"time_limit": -1.0}, "time_limit must be a positive number"),
    ({"mip_gap": -0.1}, "mip_gap must be finite and ≥ 0"),
])
def test_malformed_input_raises_value_error_naming_the_argument(changes: dict[str, Any], message: str) -> None:
    arguments = {"value": VALUE, "supply": 1.0, "demand": 1.0} | changes
    with pytest.raises(ValueError, match=message) as caught:
        solve_assignment(**arguments)
    assert not isinstance(caught.value, InfeasibleAssignmentError)


# ---------------------------------------------------------------------------------------------------------------
# Determinism, inputs and the result


@pytest.mark.parametrize("options", [
    {}, {"method": "milp"}, {"integer": False}, {"cost": "random", "budget": 6.0},
    {"cost": "random", "budget": 6.0, "method": "milp"}, {"column_groups": "pairs", "column_group_capacity": 1},
])
def test_same_input_gives_the_same_assignment(options: dict[str, Any]) -> None:
    rng = np.random.default_rng(1)
    value = np.round(rng.uniform(0.0, 2.0, (14, 10)), 1)  # rounded: many tied optima
    supply, demand = rng.integers(1, 3, 14), np.ones(10)
    options = dict(options)
    if options.get("cost") == "random":
        options["cost"] = np.round(rng.uniform(0.5, 1.5, value.shape), 1)
    if options.get("column_groups") == "pairs":
        options["column_groups"] = np.arange(10) // 2
    before = value.copy()
    first = solve_assignment(value, supply, demand, **options)
    again = solve_assignment(value.copy(), supply.copy(), demand.copy(), **options)
    assert_array_equal(first.flow, again.flow)
    assert first == again  # objective, method, status, optimality and total cost
    assert_array_equal(value, before)  # the input is not modified


def test_one_to_one_is_deterministic_with_ties() -> None:
    value = np.ones((6, 4))
    flows = [solve_assignment(value, 1, 1).flow for _ in range(3)]
    assert_array_equal(flows[0], flows[1])
    assert_array_equal(flows[0], flows[2])
    assert flows[0].sum() == 4.0


def test_result_fields_tidy_and_read_only_arrays() -> None:
    value = np.array([[4.0, 1.0, 2.0], [np.nan, 3.0, 5.0]])
    result = solve_assignment(value, 2, 1, cost=[[1.0, 1.0, 1.0], [2.0, 1.0, 2.0]], budget=4.0)
    assert isinstance(result, AssignmentResult)
    # Each need takes one unit: 4 (cost 1) + 3 (cost 1) + 5 (cost 2) = 12 spends the whole budget of 4.
    assert_array_equal(result.flow, [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    assert_allclose(result.objective, 12.0, rtol=RTOL, atol=ATOL)
    assert_allclose(result.total_cost, 4.0, rtol=RTOL, atol=ATOL)
    table = result.tidy()
    assert tuple(table.columns) == (*TIDY_COLUMNS, "cost")
    assert_allclose((table["flow"] * table["value"]).sum(), result.objective, rtol=RTOL, atol=ATOL)
    assert_allclose((table["flow"] * table["cost"]).sum(), result.total_cost, rtol=RTOL, atol=ATOL)
    assert_allclose(result.row_totals, result.flow.sum(axis=1), rtol=0, atol=0)
    assert_allclose(result.column_totals, result.flow.sum(axis=0), rtol=0, atol=0)
    for array in (result.flow, result.value, result.cost):
        assert array is not None and not array.flags.writeable
    assert "objective = 12" in str(result) and "cost = " in str(result)
    plain = solve_assignment(value, 2, 1).tidy()
    assert tuple(plain.columns) == TIDY_COLUMNS
    with pytest.raises(AttributeError):
        result.objective = 0.0  # type: ignore[misc]


def test_group_capacities_as_series_mapping_or_scalar_agree() -> None:
    rng = np.random.default_rng(5)
    value = rng.uniform(0.1, 2.0, (6, 6))
    labels = np.array(["x", "x", "y", "y", "z", "z"])
    objectives = [solve_assignment(value, 2, 1, column_groups=labels, column_group_capacity=capacity).objective
                  for capacity in (1, {"x": 1, "y": 1, "z": 1}, pd.Series({"z": 1, "y": 1, "x": 1}))]
    assert_allclose(objectives, objectives[0], rtol=RTOL, atol=ATOL)
    free = solve_assignment(value, 2, 1)
    loose = solve_assignment(value, 2, 1, column_groups=labels, column_group_capacity=np.inf)
    assert_allclose(loose.objective, free.objective, rtol=RTOL, atol=ATOL)
    assert objectives[0] < free.objective


def test_exported_from_the_estimators_package() -> None:
    assert villageaid.estimators.solve_assignment is solve_assignment
    assert villageaid.estimators.AssignmentResult is AssignmentResult
    assert villageaid.estimators.InfeasibleAssignmentError is InfeasibleAssignmentError
    assert {"solve_assignment", "AssignmentResult", "InfeasibleAssignmentError"} <= set(
        villageaid.estimators.__all__)
