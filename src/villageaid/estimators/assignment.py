"""Assign resources to needs: the best flow under supplies, demands, group capacities and a budget.

R resources (rows) and N needs (columns). Resource ``r`` can give at most ``supply[r]`` units, need ``n`` can
usefully take at most ``demand[n]`` units, and each unit sent from ``r`` to ``n`` gains ``value[r, n]``
(``-inf`` or NaN: the pair is not allowed, e.g. the resource's type does not serve that need).
:func:`solve_assignment` finds the flow ``x`` that maximises Σ value·x subject to

* Σₙ x[r, n] ≤ supply[r] (``= supply[r]`` with ``exact_supply=True``: every resource fully used),
* Σᵣ x[r, n] ≤ demand[n],
* Σ x over the columns of each column group ≤ its capacity (e.g. at most one post per village), and the same
  for row groups (e.g. the resources of one unit),
* Σ cost[r, n]·x[r, n] ≤ budget,
* x ≥ 0, integer with ``integer=True`` (indivisible slots) or continuous,

the transportation problem (Hitchcock 1941) with side constraints. Nothing here knows about villages.

Solvers. A pure one-to-one instance (integer, every supply and demand 0 or 1, no budget, no group capacity that can
bind) is a rectangular assignment problem, solved by :func:`scipy.optimize.linear_sum_assignment`; resources may
stay unused through one zero-valued dummy column per resource, so no forbidden pair and no pair of value ≤ 0 is
ever forced. Other instances are solved by HiGHS, with sparse constraint matrices over the allowed pairs only.
Without a budget the constraint matrix (supplies, demands and group capacities, groups partitioning rows and
columns) is totally unimodular (Hoffman & Kruskal 1956), so with whole capacities every vertex of the LP is
integral: an integer instance without a budget, like a continuous one, goes to :func:`scipy.optimize.linprog` (dual
simplex, whose vertex is checked to be integral and otherwise handed to ``milp``). A budget row breaks this: an
integer instance with a budget goes to :func:`scipy.optimize.milp` (branch and cut). With ``method="auto"`` an
integer instance with a budget (and without ``exact_supply``) is first priced: the budget row is relaxed into the
objective (Lagrangian relaxation, a few totally unimodular LPs). If the best flow without the budget is within it,
that flow is optimal and returned (``method="linprog"``); otherwise the Lagrangian bound and the best flow within
the budget found on the way fix at 0 the pairs that carry no unit in any optimal flow, and ``milp`` solves what is
left (several times faster on instances of a few hundred rows and columns).

Ties. Several flows can reach the same optimum (two equally valuable needs, say). Which one is returned is fixed
by two rules, and no perturbation of the values is used, so ``objective`` is exactly Σ value·flow:

1. without ``exact_supply``, a pair whose value is ≤ 0 never carries flow: it gains nothing, and leaving the
   resource unused is preferred (with ``exact_supply`` such pairs may be needed and are used as rule 2 says);
2. among the remaining optimal flows, the one returned is the one the deterministic solver reaches on a
   canonical formulation: variables are the allowed pairs in row-major order (row 0's columns first), the
   constraints come in a fixed order (supplies, demands, column groups, row groups, budget), and both
   ``linear_sum_assignment`` and HiGHS (serial, fixed seed) are deterministic for a given input. Pricing the
   budget (above) removes pairs from that formulation, so ``method="auto"`` and ``method="milp"`` may return
   different flows of the same objective.

So the same inputs always give the same flow with the same SciPy, but permuting rows or columns may select a
different optimum among the tied ones (with the same objective). A ``time_limit`` that interrupts branch and
cut makes the incumbent depend on timing; such a result has ``optimal=False``.

Accuracy. HiGHS stops branch and cut when the gap between the incumbent and the bound is below ``mip_gap``
(relative, 0 by default here rather than HiGHS's 1e-4) or 1e-6 (absolute, HiGHS's fixed default, which SciPy
does not expose): express values in units in which 1e-6 is negligible.

References
----------
Hitchcock, F. L. (1941). "The distribution of a product from several sources to numerous localities."
*Journal of Mathematics and Physics* 20, 224–230.

Hoffman, A. J. & Kruskal, J. B. (1956). "Integral boundary points of convex polyhedra." In *Linear Inequalities
and Related Systems*, Princeton University Press, 223–246.

Crouse, D. F. (2016). "On implementing 2D rectangular assignment algorithms." *IEEE Transactions on Aerospace
and Electronic Systems* 52(4), 1679–1696.

Huangfu, Q. & Hall, J. A. J. (2018). "Parallelizing the dual revised simplex method." *Mathematical Programming
Computation* 10(1), 119–142.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, OptimizeResult, linear_sum_assignment, linprog, milp

from villageaid.estimators.limits import DataLimitError

Method = Literal["auto", "linear_sum_assignment", "milp", "linprog"]

#: Values accepted by ``method``.
METHODS: tuple[str, ...] = ("auto", "linear_sum_assignment", "milp", "linprog")

#: Columns of :meth:`AssignmentResult.tidy` (then ``cost`` when a cost was given).
TIDY_COLUMNS: tuple[str, ...] = ("row", "column", "flow", "value")


class InfeasibleAssignmentError(DataLimitError):
    """No flow meets the constraints: with ``exact_supply=True`` the resources cannot all be fully used."""


@dataclass(frozen=True)
class AssignmentResult:
    """The best flow of resources (rows) to needs (columns) found by :func:`solve_assignment`.

    Attributes
    ----------
    flow : numpy.ndarray
        R × N flow (read-only, float; integer-valued when ``integer=True``); zero on forbidden pairs.
    value : numpy.ndarray
        The R × N value matrix the flow was chosen for (read-only; ``-inf`` or NaN on forbidden pairs).
    objective : float
        Σ value·flow over the pairs that carry flow, computed from ``flow`` (no solver round-off).
    method : {"linear_sum_assignment", "milp", "linprog"}
        The solver that produced the flow (``linprog`` for a budget that does not bind; see the module docstring).
    status : str
        The solver's message.
    optimal : bool
        Whether the flow is proven optimal (False when a ``time_limit`` stopped branch and cut first).
    cost : numpy.ndarray or None
        The R × N unit costs (read-only), when a budget was given.
    total_cost : float or None
        Σ cost·flow, when a budget was given.
    """

    flow: np.ndarray = field(compare=False, repr=False)
    value: np.ndarray = field(compare=False, repr=False)
    objective: float
    method: str
    status: str
    optimal: bool
    cost: np.ndarray | None = field(default=None, compare=False, repr=False)
    total_cost: float | None = None

    @property
    def row_totals(self) -> np.ndarray:
        """Units given by each resource, Σₙ flow[r, n] (length R)."""
        return self.flow.sum(axis=1)

    @property
    def column_totals(self) -> np.ndarray:
        """Units received by each need, Σᵣ flow[r, n] (length N)."""
        return self.flow.sum(axis=0)

    def tidy(self) -> pd.DataFrame:
        """Return one row per pair that carries flow, in row-major order.

        Returns
        -------
        pandas.DataFrame
            Columns ``row, column`` (positions in ``value``), ``flow``, ``value`` (gain per unit), then ``cost``
            (per unit) when a budget was given.
        """
        rows, columns = np.nonzero(self.flow > 0)
        frame = pd.DataFrame(dict(zip(TIDY_COLUMNS, (rows, columns, self.flow[rows, columns],
                                                     self.value[rows, columns]), strict=True)))
        if self.cost is not None:
            frame["cost"] = self.cost[rows, columns]
        return frame

    def __str__(self) -> str:
        pairs = int(np.count_nonzero(self.flow > 0))
        state = "optimal" if self.optimal else "not proven optimal"
        budget = "" if self.total_cost is None else f", cost = {self.total_cost:.6g}"
        return (f"Assignment ({self.method}, {state}): objective = {self.objective:.6g}, "
                f"{self.flow.sum():.6g} units over {pairs} pairs{budget}")


@dataclass(frozen=True)
class _Groups:
    """Capacities of the groups that can bind: ``member[k]`` is the group (0..G-1) of item k or -1 if none."""

    member: np.ndarray
    capacity: np.ndarray


def solve_assignment(
    value: ArrayLike,
    supply: ArrayLike,
    demand: ArrayLike,
    *,
    integer: bool = True,
    column_groups: ArrayLike | None = None,
    column_group_capacity: float | Mapping[object, float] | pd.Series | None = None,
    row_groups: ArrayLike | None = None,
    row_group_capacity: float | Mapping[object, float] | pd.Series | None = None,
    cost: ArrayLike | None = None,
    budget: float | None = None,
    exact_supply: bool = False,
    method: Method = "auto",
    time_limit: float | None = None,
    mip_gap: float = 0.0,
) -> AssignmentResult:
    """Find the flow of resources (rows) to needs (columns) of greatest total value under capacities.

    Maximises Σ value[r, n]·x[r, n] subject to Σₙ x[r, n] ≤ supply[r] (or ``=``), Σᵣ x[r, n] ≤ demand[n], the
    group capacities, Σ cost·x ≤ budget and x ≥ 0 (integer or continuous); see the module docstring for the
    solvers and the tie rule.

    Parameters
    ----------
    value : array-like, shape (R, N)
        Gain per unit sent from resource r to need n; ``-inf`` or NaN forbids the pair. ``+inf`` is refused.
    supply : array-like, shape (R,), or float
        Units each resource can give (finite, ≥ 0; a scalar applies to every resource).
    demand : array-like, shape (N,), or float
        Units each need can usefully take (finite, ≥ 0; a scalar applies to every need).
    integer : bool
        Integer flows (indivisible slots; supplies, demands and group capacities must then be whole numbers)
        or continuous ones.
    column_groups : array-like, shape (N,), optional
        A group label per column (e.g. the village of each need); needs ``column_group_capacity``.
    column_group_capacity : float, mapping or pandas.Series, optional
        Most units the columns of a group may receive in total: one number for every group, or a mapping from
        each label in ``column_groups`` to its capacity (≥ 0; ``inf`` for no cap).
    row_groups : array-like, shape (R,), optional
        A group label per row (e.g. the unit that holds each resource); needs ``row_group_capacity``.
    row_group_capacity : float, mapping or pandas.Series, optional
        Most units the rows of a group may give in total, given as ``column_group_capacity``.
    cost : array-like, shape (R, N) or (R,), or float, optional
        Cost per unit sent (finite, ≥ 0 on allowed pairs; shape (R,) is a cost per resource whatever the need).
        Requires ``budget``.
    budget : float, optional
        Upper bound on Σ cost·x (finite, ≥ 0). Requires ``cost``.
    exact_supply : bool
        Require every resource to be fully used (Σₙ x[r, n] = supply[r]); pairs of negative value may then carry
        flow. Raises :class:`InfeasibleAssignmentError` when impossible.
    method : {"auto", "linear_sum_assignment", "milp", "linprog"}
        Solver. ``"auto"`` takes ``linear_sum_assignment`` for a pure one-to-one integer instance, ``milp`` (after
        pricing the budget) for an integer instance with a budget, and ``linprog`` otherwise (continuous
        instances, and integer ones without a budget, whose LP optimum is integral). ``"linear_sum_assignment"`` is
        refused when the instance is not one-to-one or ``integer=False``, and ``"linprog"`` when ``integer=True``
        with a budget.
    time_limit : float, optional
        Seconds after which HiGHS stops (ignored by ``linear_sum_assignment``). Branch and cut then returns its
        best flow with ``optimal=False``; a linear program stopped early raises ``RuntimeError``.
    mip_gap : float
        Relative optimality gap at which branch and cut may stop (≥ 0; 0 means proven optimal).

    Returns
    -------
    AssignmentResult
        The flow, its objective, the solver used and its status.

    Raises
    ------
    ValueError
        For malformed input (shapes, NaN or negative capacities, ``+inf`` values, group labels, a budget without
        costs, fractional capacities with ``integer=True``, an unsuitable ``method``).
    InfeasibleAssignmentError
        When ``exact_supply=True`` and no flow uses every resource fully (a subclass of ``ValueError``).
    RuntimeError
        When the solver fails or stops at ``time_limit`` without a usable flow.

    Examples
    --------
    Two resources of two units each, three needs of one unit each; resource 1 cannot serve need 0:

    >>> import numpy as np
    >>> value = np.array([[4.0, 1.0, 2.0], [np.nan, 3.0, 5.0]])
    >>> result = solve_assignment(value, supply=2, demand=1)
    >>> result.flow
    array([[1., 0., 0.],
           [0., 1., 1.]])
    >>> result.objective, result.method
    (12.0, 'linprog')

    A budget of 2 when every unit costs 1 keeps only the two best pairs:

    >>> solve_assignment(value, supply=2, demand=1, cost=1.0, budget=2).objective
    9.0
    """
    values, allowed = _value_matrix(value)
    n_rows, n_columns = values.shape
    supplies = _capacities(supply, "supply", n_rows, "row of value", integer)
    demands = _capacities(demand, "demand", n_columns, "column of value", integer)
    costs, budget_value = _budget(cost, budget, allowed)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit > 0):
        raise ValueError(f"time_limit must be a positive number of seconds or None, got {time_limit!r}")
    if not (math.isfinite(mip_gap) and mip_gap >= 0):
        raise ValueError(f"mip_gap must be finite and ≥ 0, got {mip_gap!r}")
    if not integer and method == "linear_sum_assignment":
        raise ValueError("method='linear_sum_assignment' solves integer one-to-one instances; integer is False")
    if integer and method == "linprog" and costs is not None:
        raise ValueError("method='linprog' solves integer instances only without a budget (whose LP relaxation "
                         "is integral); use method='milp' or 'auto'")

    total_supply, total_demand = float(supplies.sum()), float(demands.sum())
    column_caps = _groups(column_groups, column_group_capacity, "column_groups", "column_group_capacity",
                          n_columns, "column of value", demands, total_supply, integer)
    row_caps = _groups(row_groups, row_group_capacity, "row_groups", "row_group_capacity", n_rows,
                       "row of value", supplies, total_demand, integer)

    # The pairs that may carry flow: allowed, with room at both ends and, unless every resource must be used,
    # a positive gain (tie rule 1).
    usable = allowed & (supplies[:, None] > 0) & (demands[None, :] > 0)
    if not exact_supply:
        usable &= np.where(allowed, values, 0.0) > 0
    else:
        _check_exact_supply(usable, supplies, demands)

    reason = _not_one_to_one(supplies, demands, costs, column_caps, row_caps)
    if method == "linear_sum_assignment" and reason is not None:
        raise ValueError(f"method='linear_sum_assignment' needs a one-to-one instance, but {reason}")
    requested = method
    if method == "auto":
        if integer and reason is None:
            method = "linear_sum_assignment"
        else:
            method = "milp" if integer and costs is not None else "linprog"

    if not usable.any():
        flow = np.zeros(values.shape)
        status = "no allowed pair can gain: nothing assigned"
        optimal = True
    elif method == "linear_sum_assignment":
        flow, status, optimal = _solve_one_to_one(values, usable, exact_supply), "optimal", True
    else:
        program = _build_program(values, usable, supplies, demands, column_caps, row_caps, costs, budget_value,
                                 exact_supply)
        lagrangian = requested == "auto" and integer and costs is not None and not exact_supply
        x, status, optimal, method = _solve_program(program, integer, method, lagrangian, time_limit, mip_gap)
        flow = np.zeros(values.shape)
        flow[program.pair_rows, program.pair_columns] = x

    carrying = flow > 0
    objective = float(np.sum(values[carrying] * flow[carrying]))
    total_cost = None if costs is None else float(np.sum(costs[carrying] * flow[carrying]))
    for array in (flow, values, costs):
        if array is not None:
            array.flags.writeable = False
    return AssignmentResult(flow=flow, value=values, objective=objective, method=method, status=status,
                            optimal=optimal, cost=costs, total_cost=total_cost)


def _value_matrix(value: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Return the values as a float copy and the mask of allowed pairs (finite values)."""
    try:
        values = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"value must be a numeric R × N matrix: {exc}") from exc
    if values.ndim != 2:
        raise ValueError(f"value must be two-dimensional (resources × needs), got shape {values.shape}")
    positive_infinite = np.argwhere(values == np.inf)
    if len(positive_infinite):
        r, n = positive_infinite[0]
        raise ValueError(f"value[{r}, {n}] = inf: values must be finite, or -inf / NaN to forbid a pair")
    return values, np.isfinite(values)


def _plain(item: object) -> object:
    """Return a NumPy scalar as the Python object it holds: messages read ``1.5``, not ``np.float64(1.5)``."""
    return item.item() if isinstance(item, np.generic) else item


def _capacities(capacity: ArrayLike, name: str, length: int, what: str, integer: bool) -> np.ndarray:
    """Validate supplies or demands: one finite, non-negative number per item (whole with ``integer``)."""
    try:
        array = np.array(capacity, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from exc
    if array.ndim == 0:
        array = np.full(length, float(array))
    if array.shape != (length,):
        raise ValueError(f"{name} must have one entry per {what} ({length}), got shape {array.shape}")
    _check_amounts(array, name, integer, allow_infinite=False)
    return array


def _check_amounts(array: np.ndarray, name: str, integer: bool, *, allow_infinite: bool,
                   labels: np.ndarray | None = None) -> None:
    """Raise for the first NaN, negative, infinite (unless allowed) or, with ``integer``, fractional entry."""
    where = (lambda i: f"{name}[{_plain(labels[i])!r}]") if labels is not None else (lambda i: f"{name}[{i}]")
    checks = [(np.isnan(array), "is NaN"), (array < 0, "is negative")]
    if not allow_infinite:
        checks.append((np.isinf(array), "is not finite"))
    if integer:
        checks.append((np.isfinite(array) & (array != np.floor(array)),
                       "is not a whole number (integer=True; round it down, or use integer=False)"))
    for bad, problem in checks:
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{where(i)} = {_plain(array[i])!r} {problem}")


def _budget(cost: ArrayLike | None, budget: float | None,
            allowed: np.ndarray) -> tuple[np.ndarray | None, float | None]:
    """Validate the unit costs (broadcast to R × N) and the budget, which come together or not at all."""
    if cost is None and budget is None:
        return None, None
    if cost is None:
        raise ValueError("budget was given without cost: give the cost of each unit sent as cost=")
    if budget is None:
        raise ValueError("cost was given without budget: give the most that may be spent as budget=")
    try:
        budget_value = float(budget)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"budget must be a finite number ≥ 0, got {budget!r}") from exc
    if not (math.isfinite(budget_value) and budget_value >= 0):
        raise ValueError(f"budget must be a finite number ≥ 0, got {budget_value!r}")
    try:
        costs = np.array(cost, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cost must be numeric: {exc}") from exc
    n_rows, n_columns = allowed.shape
    if costs.ndim == 0 or costs.shape == (n_rows, n_columns):
        costs = np.array(np.broadcast_to(costs, allowed.shape))
    elif costs.shape == (n_rows,):
        costs = np.repeat(costs[:, None], n_columns, axis=1)
    else:
        raise ValueError(f"cost must be a scalar, one entry per row of value ({n_rows},) or a matrix shaped like "
                         f"value ({n_rows}, {n_columns}); got shape {costs.shape}")
    bad = allowed & ~(np.isfinite(costs) & (costs >= 0))
    if bad.any():
        r, n = np.argwhere(bad)[0]
        raise ValueError(f"cost[{r}, {n}] = {_plain(costs[r, n])!r}: costs of allowed pairs must be finite and ≥ 0")
    return costs, budget_value


def _groups(labels: ArrayLike | None, capacity: float | Mapping[object, float] | pd.Series | None, name: str,
            capacity_name: str, length: int, what: str, amounts: np.ndarray, other_total: float,
            integer: bool) -> _Groups | None:
    """Validate a grouping and its capacities; keep only the groups whose capacity can bind.

    A group cannot bind when its capacity is at least the most its members can carry: the sum of their own
    capacities (``amounts``) or everything the other side holds (``other_total``).
    """
    if labels is None and capacity is None:
        return None
    if labels is None:
        raise ValueError(f"{capacity_name} was given without {name}: give a group label per item")
    if capacity is None:
        raise ValueError(f"{name} was given without {capacity_name}: give a capacity per group")
    label_array = np.asarray(labels)
    if label_array.shape != (length,):
        raise ValueError(f"{name} must have one label per {what} ({length}), got shape {label_array.shape}")
    codes, uniques = pd.factorize(label_array, sort=True)
    if (codes < 0).any():
        i = int(np.flatnonzero(codes < 0)[0])
        raise ValueError(f"{name}[{i}] = {_plain(label_array[i])!r} is missing: every item needs a group label")
    uniques = np.asarray(uniques)
    if isinstance(capacity, pd.Series | Mapping):
        table = capacity.to_dict() if isinstance(capacity, pd.Series) else dict(capacity)
        missing = [label for label in uniques if label not in table]
        if missing:
            raise ValueError(f"{capacity_name} has no entry for group label {_plain(missing[0])!r} of {name}")
        caps = np.array([table[label] for label in uniques], dtype=float)
    else:
        try:
            scalar = float(capacity)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{capacity_name} must be a number or a mapping from group label to capacity, "
                             f"got {type(capacity).__name__}") from exc
        caps = np.full(len(uniques), scalar)
    _check_amounts(caps, capacity_name, integer, allow_infinite=True, labels=uniques)
    most = np.minimum(np.bincount(codes, weights=amounts, minlength=len(uniques)), other_total)
    binding = caps < most
    if not binding.any():
        return None
    renumber = np.full(len(uniques), -1)
    renumber[binding] = np.arange(int(binding.sum()))
    return _Groups(member=renumber[codes], capacity=caps[binding])


def _check_exact_supply(usable: np.ndarray, supplies: np.ndarray, demands: np.ndarray) -> None:
    """Raise early, with a precise message, when plainly no flow can use every resource fully."""
    stranded = (supplies > 0) & ~usable.any(axis=1)
    if stranded.any():
        r = int(np.flatnonzero(stranded)[0])
        raise InfeasibleAssignmentError(
            f"exact_supply=True but resource {r} (supply[{r}] = {_plain(supplies[r])!r}) has no allowed need with "
            "positive demand")
    reach = (usable * demands[None, :]).sum(axis=1)
    short = reach < supplies
    if short.any():
        r = int(np.flatnonzero(short)[0])
        raise InfeasibleAssignmentError(
            f"exact_supply=True but resource {r} (supply[{r}] = {_plain(supplies[r])!r}) can reach needs with a total "
            f"demand of only {_plain(reach[r])!r}")
    if supplies.sum() > demands.sum():
        raise InfeasibleAssignmentError(
            f"exact_supply=True but the total supply ({_plain(supplies.sum())!r}) exceeds the total demand "
            f"({_plain(demands.sum())!r})")


def _not_one_to_one(supplies: np.ndarray, demands: np.ndarray, costs: np.ndarray | None,
                    column_caps: _Groups | None, row_caps: _Groups | None) -> str | None:
    """Why the (integer) instance is not a pure one-to-one assignment, or None if it is."""
    if not np.isin(supplies, (0.0, 1.0)).all():
        return "some supply is neither 0 nor 1"
    if not np.isin(demands, (0.0, 1.0)).all():
        return "some demand is neither 0 nor 1"
    if costs is not None:
        return "a budget is given"
    if column_caps is not None:
        return "a column group capacity can bind"
    if row_caps is not None:
        return "a row group capacity can bind"
    return None


def _solve_one_to_one(values: np.ndarray, usable: np.ndarray, exact_supply: bool) -> np.ndarray:
    """Solve a 0/1 assignment with ``linear_sum_assignment``; forbidden pairs cost +inf and are never chosen.

    With ``exact_supply`` every row holding a unit (a row with a usable pair) must be matched. Otherwise each
    row also gets a zero-cost dummy column meaning "unused", so a row is matched to a real column only when it
    gains and the optimum is the best partial matching, not the best complete one.
    """
    rows = np.flatnonzero(usable.any(axis=1))
    columns = np.flatnonzero(usable.any(axis=0))
    block = usable[np.ix_(rows, columns)]
    costs = np.where(block, -np.where(block, values[np.ix_(rows, columns)], 0.0), np.inf)
    flow = np.zeros(values.shape)
    if exact_supply:
        if len(rows) > len(columns):
            raise InfeasibleAssignmentError(
                f"exact_supply=True but {len(rows)} resources of supply 1 share only {len(columns)} needs")
        try:
            matched_rows, matched_columns = linear_sum_assignment(costs)
        except ValueError as exc:  # no complete matching of the rows avoids the forbidden pairs
            raise InfeasibleAssignmentError(
                "exact_supply=True but no one-to-one assignment gives every resource an allowed need") from exc
        flow[rows[matched_rows], columns[matched_columns]] = 1.0
        return flow
    transposed = len(rows) > len(columns)
    oriented = costs.T if transposed else costs
    padded = np.hstack([oriented, np.zeros((oriented.shape[0], oriented.shape[0]))])
    first, second = linear_sum_assignment(padded)
    real = second < oriented.shape[1]
    first, second = first[real], second[real]
    if transposed:
        first, second = second, first
    flow[rows[first], columns[second]] = 1.0
    return flow


@dataclass(frozen=True)
class _Program:
    """The linear program over the usable pairs: maximise gain·x, lower ≤ matrix·x ≤ upper_rows, 0 ≤ x ≤ upper.

    Variables are the usable pairs in row-major order (tie rule 2); rows are the supplies, the demands, the
    column groups that can bind, the row groups that can bind and, last, the budget (when ``pair_cost`` is set),
    in that order. Every entry of ``matrix`` is ≥ 0.
    """

    pair_rows: np.ndarray
    pair_columns: np.ndarray
    gain: np.ndarray
    upper: np.ndarray
    matrix: sparse.csr_array
    lower_rows: np.ndarray
    upper_rows: np.ndarray
    pair_cost: np.ndarray | None = None
    budget: float | None = None

    def without_budget(self) -> _Program:
        """Return the same program without its budget row: totally unimodular, with an integral LP optimum."""
        if self.pair_cost is None:
            return self
        return _Program(self.pair_rows, self.pair_columns, self.gain, self.upper, self.matrix[:-1],
                        self.lower_rows[:-1], self.upper_rows[:-1])


def _build_program(values: np.ndarray, usable: np.ndarray, supplies: np.ndarray, demands: np.ndarray,
                   column_caps: _Groups | None, row_caps: _Groups | None, costs: np.ndarray | None,
                   budget: float | None, exact_supply: bool) -> _Program:
    """Assemble the sparse constraint matrix (one block per family of constraints) and the variable bounds."""
    pair_rows, pair_columns = np.nonzero(usable)
    n_pairs = len(pair_rows)
    pairs = np.arange(n_pairs)
    upper = np.minimum(supplies[pair_rows], demands[pair_columns])
    blocks, lowers, uppers = [], [], []

    def add(members: np.ndarray, capacities: np.ndarray, weights: np.ndarray | None = None, *,
            equal: bool = False) -> None:
        keep = members >= 0
        data = np.ones(int(keep.sum())) if weights is None else weights[keep]
        blocks.append(sparse.csr_array((data, (members[keep], pairs[keep])), shape=(len(capacities), n_pairs)))
        lowers.append(capacities if equal else np.full(len(capacities), -np.inf))
        uppers.append(capacities)

    add(pair_rows, supplies, equal=exact_supply)
    add(pair_columns, demands)
    for groups, items in ((column_caps, pair_columns), (row_caps, pair_rows)):
        if groups is not None:
            member = groups.member[items]
            add(member, groups.capacity)
            upper = np.where(member >= 0, np.minimum(upper, groups.capacity[np.maximum(member, 0)]), upper)
    pair_cost = None
    if costs is not None and budget is not None:
        pair_cost = costs[pair_rows, pair_columns]
        add(np.zeros(n_pairs, dtype=int), np.array([budget]), pair_cost)
    return _Program(pair_rows=pair_rows, pair_columns=pair_columns, gain=values[pair_rows, pair_columns],
                    upper=upper, matrix=sparse.vstack(blocks, format="csr"), lower_rows=np.concatenate(lowers),
                    upper_rows=np.concatenate(uppers), pair_cost=pair_cost, budget=budget)


def _solve_program(program: _Program, integer: bool, method: str, lagrangian: bool, time_limit: float | None,
                   mip_gap: float) -> tuple[np.ndarray, str, bool, str]:
    """Solve the program with HiGHS; return the flow over its pairs, the status, optimality and the method used.

    ``linprog`` runs the dual simplex, whose solution is a vertex: for an integer instance without a budget the
    constraint matrix is totally unimodular and the capacities whole, so that vertex is integral (checked; if it
    is not, the instance goes to ``milp``). With ``lagrangian`` (integer, budget, no ``exact_supply``) the budget
    is first priced out (:func:`_price_budget`): if it does not bind, the flow without it is optimal and returned
    (method ``linprog``); otherwise the pairs that cannot carry a unit in an optimal flow are fixed at 0 before
    ``milp``.
    """
    deadline = None if time_limit is None else time.perf_counter() + time_limit
    keep = np.ones(len(program.gain), dtype=bool)
    note = ""
    if method == "linprog":
        result = _solve_lp(program, deadline)
        x = np.clip(result.x, 0.0, program.upper)
        if not integer:
            return x, str(result.message), True, "linprog"
        if _integral(x):
            status = f"{result.message} (LP relaxation integral: totally unimodular constraints)"
            return np.rint(x), status, True, "linprog"
        note = " (the LP relaxation was not integral)"  # a fractional vertex: only possible through numerical trouble
    elif lagrangian:
        priced = _price_budget(program, deadline)
        if isinstance(priced, _Unbudgeted):
            return priced.flow, priced.status, True, "linprog"
        keep, note = priced
        if not keep.any():
            return np.zeros(len(program.gain)), f"optimal{note}", True, "linprog"  # the LPs proved it
    result = _solve_mip(program, keep, integer, deadline, mip_gap)
    x = np.zeros(len(program.gain))
    x[keep] = np.rint(result.x) if integer else np.clip(result.x, 0.0, program.upper[keep])
    return x, f"{result.message}{note}", result.status == 0, "milp"


#: Largest distance to a whole number for which an LP solution of an integer instance counts as integral.
_INTEGRALITY_TOLERANCE = 1e-6

#: Most prices of the budget tried by :func:`_price_budget` (each costs one LP without the budget row).
_MAX_PRICES = 40


def _integral(x: np.ndarray) -> bool:
    """Whether every entry of ``x`` is within :data:`_INTEGRALITY_TOLERANCE` of a whole number."""
    return bool(np.max(np.abs(x - np.rint(x)), initial=0.0) <= _INTEGRALITY_TOLERANCE)


@dataclass(frozen=True)
class _Unbudgeted:
    """An integral optimum of the program without its budget row that also meets the budget: optimal."""

    flow: np.ndarray
    status: str


def _price_budget(program: _Program, deadline: float | None) -> _Unbudgeted | tuple[np.ndarray, str]:
    """Price the budget out (Lagrangian relaxation) to bound the optimum and fix pairs at 0 before ``milp``.

    For a price λ ≥ 0 of the budget, maximising (gain − λ·cost)·x without the budget row is a totally
    unimodular LP (one fast dual simplex, an integral vertex x_λ), and L(λ) = λ·budget + (gain − λ·cost)·x_λ
    bounds the optimum. If x_0 (rounded) meets every constraint, the budget included, it is optimal and returned.
    Otherwise L is convex and piecewise linear in λ with slope budget − cost·x_λ; Kelley's cutting planes in one
    dimension, between λ = 0 (where the budget binds) and a price at which every costly pair loses, reach its
    minimum in a few steps. Every x_λ within the budget, rounded down, is a feasible integer flow; the best gives
    z. With the duals y ≥ 0 of that LP and reduced gains d = gain − λ·cost − Aᵀy, every integer flow within the
    budget has gain·x ≤ B − Σ_{d<0} |d|·x, where B = λ·budget + yᵀb + Σ_{d>0} d·u holds for any λ, y ≥ 0
    whatever their accuracy. A pair with |d| > B − z thus carries no unit in any integer flow of gain ≥ z, in
    particular in no optimal one, and is fixed at 0 (with a relative margin for rounding): every optimal flow
    survives, and branch and cut sees a much smaller model. Only valid for integer instances whose rows are all
    inequalities (no ``exact_supply``).

    Returns
    -------
    _Unbudgeted or (numpy.ndarray, str)
        The optimal flow when the budget does not bind; otherwise the mask of pairs kept and a note for the status.
    """
    base = program.without_budget()
    cost, budget = program.pair_cost, program.budget
    if cost is None or budget is None:
        raise RuntimeError("_price_budget needs a program with a budget row")
    every_pair = np.ones(len(program.gain), dtype=bool)

    def feasible(flow: np.ndarray) -> bool:
        return bool(np.all(program.matrix @ flow <= program.upper_rows))

    def evaluate(price: float) -> tuple[float, float, float, np.ndarray, float, np.ndarray]:
        """Return (price, L(price), slope, x, bound B, reduced gains d) at one price of the budget."""
        result = _solve_lp(base, deadline, gain=program.gain - price * cost)
        x = np.clip(result.x, 0.0, program.upper)
        y = np.maximum(-result.ineqlin.marginals, 0.0)
        reduced = program.gain - price * cost - base.matrix.T @ y
        bound = float(price * budget + y @ base.upper_rows + np.maximum(reduced, 0.0) @ program.upper)
        value = float(price * budget + (program.gain - price * cost) @ x)
        return price, value, float(budget - cost @ x), x, bound, reduced

    low = evaluate(0.0)
    if not _integral(low[3]):  # numerical trouble: leave the whole problem to branch and cut
        return every_pair, ""
    unbudgeted = np.rint(low[3])
    if feasible(unbudgeted):
        return _Unbudgeted(unbudgeted, "optimal (the budget does not bind: the best flow without it is within it)")
    # Here cost·x_0 > budget ≥ 0, so some pair is costly; above this price every costly pair has a negative gain.
    costly = cost > 0
    high = evaluate(float(np.max(program.gain[costly] / cost[costly])) * (1 + 1e-9) + 1e-12)
    best, reduced = min((low[4], low[5]), (high[4], high[5]), key=lambda pair: pair[0])
    candidates = [high]
    for _ in range(_MAX_PRICES):
        (p0, v0, s0, *_), (p1, v1, s1, *_) = low, high
        if s0 >= s1:
            break
        price = (v1 - v0 + s0 * p0 - s1 * p1) / (s0 - s1)
        model = v0 + s0 * (price - p0)
        point = evaluate(price)
        if point[4] < best:
            best, reduced = point[4], point[5]
        if point[2] >= 0:
            candidates.append(point)
        if point[1] <= model + 1e-9 * max(1.0, abs(model)) or not (p0 < price < p1):
            break
        if point[2] < 0:
            low = point
        else:
            high = point
    incumbent = -np.inf
    for candidate in candidates:
        flow = np.floor(candidate[3] + _INTEGRALITY_TOLERANCE)
        if feasible(flow):
            incumbent = max(incumbent, float(program.gain @ flow))
    if not np.isfinite(incumbent):
        return every_pair, ""
    margin = 1e-7 * max(1.0, abs(best), abs(incumbent))
    keep = reduced >= -(best - incumbent) - margin
    return keep, f" (budget priced out: {int(keep.sum())} of {len(keep)} pairs can carry flow in an optimal one)"


def _remaining(deadline: float | None) -> dict[str, float]:
    """HiGHS options carrying what is left of the time limit."""
    return {} if deadline is None else {"time_limit": max(deadline - time.perf_counter(), 1e-3)}


def _check_status(result: OptimizeResult, solver: str, *, incumbent_ok: bool) -> None:
    """Raise for an infeasible program, or for a failed or interrupted solve without a usable flow."""
    if result.status == 2:
        raise InfeasibleAssignmentError(
            "exact_supply=True but no flow uses every resource fully within the demands, group capacities and "
            f"budget ({solver}: {result.message})")
    # A stopped branch and cut still holds a feasible incumbent; a stopped simplex may hold an infeasible point.
    if result.status != 0 and not (incumbent_ok and result.status == 1 and result.x is not None):
        raise RuntimeError(f"{solver} found no usable flow (status {result.status}): {result.message}")


def _solve_lp(program: _Program, deadline: float | None, gain: np.ndarray | None = None) -> OptimizeResult:
    """Maximise ``gain`` (default: the program's) over the program with HiGHS's dual simplex (a vertex)."""
    equality = program.lower_rows == program.upper_rows
    inequality = ~equality
    result = linprog(-(program.gain if gain is None else gain),
                     A_ub=program.matrix[inequality] if inequality.any() else None,
                     b_ub=program.upper_rows[inequality] if inequality.any() else None,
                     A_eq=program.matrix[equality] if equality.any() else None,
                     b_eq=program.upper_rows[equality] if equality.any() else None,
                     bounds=np.column_stack([np.zeros(len(program.gain)), program.upper]), method="highs-ds",
                     options=_remaining(deadline))
    _check_status(result, "linprog", incumbent_ok=False)
    return result


def _solve_mip(program: _Program, keep: np.ndarray, integer: bool, deadline: float | None,
               mip_gap: float) -> OptimizeResult:
    """Run ``milp`` on the kept pairs (all others stay at 0)."""
    options: dict[str, float] = {"mip_rel_gap": mip_gap, **_remaining(deadline)}
    result = milp(-program.gain[keep], integrality=np.full(int(keep.sum()), 1 if integer else 0),
                  bounds=Bounds(np.zeros(int(keep.sum())), program.upper[keep]),
                  constraints=LinearConstraint(program.matrix[:, keep], program.lower_rows, program.upper_rows),
                  options=options)
    _check_status(result, "milp", incumbent_ok=integer)
    return result
