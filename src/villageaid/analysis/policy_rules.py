"""The allocation policies: each a function of a county and a planning model, returning an :class:`Allocation`.

The source paper contrasts two allocation logics and closes with three recommendations (lines 779–822); each is a
rule here, applied within a county and keeping its total money (see :mod:`villageaid.analysis.policy_model`):

* :func:`status_quo` — the observed posts and funding;
* :func:`campaign_logic` — 雨露均沾 as the paper defines it (lines 258–265): bottom-line, need-graded targeting,
  not an equal split (平均化). The strongest posts go to the neediest villages; the county's money goes first,
  neediest first, to lifting each village to the bottom line of per-capita income (兜底: as much as it takes, at
  most ``campaign_cap`` × the county mean for one village), and the rest is shared in proportion to need (按需分级);
* :func:`strong_alliance` — 强强联合: the strongest posts to the best-endowed villages, money following the posts;
* :func:`precise_matching` — 两张清单 (建议一): the posts assigned to villages to maximise need-weighted welfare
  (a one-to-one assignment: ``linear_sum_assignment`` through :func:`~villageaid.estimators.assignment.
  solve_assignment`), and the units' technical and market slots assigned to the need dimensions they serve, under
  each unit's capacity (a transportation problem over the two lists whose gains do not depend on the unit, so
  solved exactly by sorting; the tests hold it to ``solve_assignment`` on the full problem);
* :func:`county_pooling` — 县级统筹 (建议二): the county's money pooled and given out as indivisible projects of L
  万元 to maximise need-weighted welfare, no village above ``cap`` × the county mean (a multiple-choice knapsack:
  the exact greedy where every village's value is concave in its number of projects, otherwise an exact dynamic
  program; ``scipy.optimize.milp`` through ``solve_assignment`` as the tests' independent check);
* :func:`cadre_reform` — 重点派、精准派、派精干 (建议三): ordinary villages' teams cut to ``ordinary_team_size``, the
  cadres saved paying (at the cadre costs of :class:`PolicySettings`) for high-level first secretaries from the
  high-level units' spare cadre slots, and the high-level posts going to the neediest (key) villages;
* :func:`opening` — 开源: the status quo plus an added social or market channel of ``opening_share`` × the county's
  money, shared in proportion to need; reported as added money.

A planned policy (campaign, precise matching, pooling) uses its planning model's predictions; the simulator plans on
one half of the coefficient draws and evaluates on the other (:func:`villageaid.analysis.policy.simulate_policies`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from villageaid.analysis.policy_model import SLOT_TYPES, UNIT_RESOURCE_COLUMNS, Allocation, County, CountyModel
from villageaid.estimators.assignment import solve_assignment
from villageaid.schema import NEED_DIMENSIONS, RESOURCE_SERVES

PolicyRule = Callable[[County, CountyModel, float], Allocation]


def _ranked(posts: np.ndarray, villages: np.ndarray) -> np.ndarray:
    """Give ``posts[k]`` to ``villages[k]``."""
    post = np.empty(len(villages), dtype=np.intp)
    post[villages] = posts
    return post


def _best_gaps(county: County) -> np.ndarray | None:
    """Villages × slot types: the largest gap among the need dimensions each slot type serves (0 if none)."""
    if county.gaps is None:
        return None
    gaps = np.nan_to_num(county.gaps, nan=0.0)
    columns = [[NEED_DIMENSIONS.index(d) for d in RESOURCE_SERVES[kind]] for kind in SLOT_TYPES]
    return np.column_stack([gaps[:, c].max(axis=1) for c in columns])


def _slot_capacity(county: County) -> np.ndarray | None:
    """Units × slot types: the county's whole slots of each unit (0 where the list names none)."""
    if county.units is None:
        return None
    columns = [UNIT_RESOURCE_COLUMNS.index(kind) for kind in SLOT_TYPES]
    return np.floor(np.nan_to_num(county.units.capacity[:, columns], nan=0.0))


def slots_following_posts(county: County, post: np.ndarray) -> tuple[float, float] | None:
    """Gaps met when each unit's technical and market slots serve the villages holding its posts.

    A unit serves the villages holding its posts, neediest first, up to its slots of each type; a village takes
    at most one slot of a type. Returns (gaps met, gaps the slot types could meet), or None without the lists.
    The gaps met are added in that order (type by type, villages from the neediest), one after the other.
    """
    best, capacity = _best_gaps(county), _slot_capacity(county)
    if best is None or capacity is None:
        return None
    units = county.units
    assert units is not None
    order = county.need_order()
    holder = np.where(post >= 0, units.post_unit[np.maximum(post, 0)], -1)[order]  # in need order
    held = holder >= 0
    # each village's rank among the villages its unit serves, in need order (0 = the unit's neediest)
    by_unit = np.argsort(np.where(held, holder, -1), kind="stable")
    sorted_units = np.where(held, holder, -1)[by_unit]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_units)) + 1]
    rank = np.empty(len(order), dtype=np.intp)
    rank[by_unit] = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    unit = np.maximum(holder, 0)
    served = [best[order, k][held & (rank < capacity[unit, k])] for k in range(len(SLOT_TYPES))]
    # one after the other, as a running sum (not pairwise): the same number whatever the vector width
    return float(np.cumsum(np.concatenate([[0.0], *served]))[-1]), float(best.sum())


def match_slots(county: County) -> tuple[float, float] | None:
    """Assign the units' technical and market slots to the villages' needs of the types they serve (两张清单).

    A transportation problem: rows (unit, slot type) with the unit's whole slots as supply, columns (village,
    slot type) taking one slot each; a slot serves only its own type's column, gaining the village's largest gap
    among the dimensions the type serves (:data:`~villageaid.schema.RESOURCE_SERVES`). The gain does not depend
    on the unit, so the slots of one type are interchangeable and the optimum fills, type by type, the largest
    gaps up to the type's slots over all units: solved by sorting (the tests hold it to
    :func:`~villageaid.estimators.assignment.solve_assignment` on the full problem), which keeps it in
    milliseconds on counties of hundreds of units. Returns (gaps met, gaps the slot types could meet); the gaps
    met are summed exactly (``math.fsum``).
    """
    best, capacity = _best_gaps(county), _slot_capacity(county)
    if best is None or capacity is None:
        return None
    chosen = []
    for k in range(len(SLOT_TYPES)):
        gains = np.sort(best[:, k][best[:, k] > 0])[::-1]  # a pair gaining nothing carries no slot
        chosen.append(gains[:int(capacity[:, k].sum())])
    return math.fsum(np.concatenate(chosen)), float(best.sum())


def status_quo(county: County, plan: CountyModel, bottom_line: float) -> Allocation:
    """Keep the observed posts and funding."""
    post = np.arange(county.size)
    return Allocation(post, gaps_served=slots_following_posts(county, post))


def strong_alliance(county: County, plan: CountyModel, bottom_line: float) -> Allocation:
    """强强联合: the strongest posts (city-level first, then strong departments) to the best-endowed villages."""
    post = _ranked(county.strength_order(), county.richest_order())
    return Allocation(post, gaps_served=slots_following_posts(county, post))


def campaign_funding(county: County, plan: CountyModel, bottom_line: float) -> np.ndarray:
    """Return the campaign's money: to the bottom line, neediest first, then in proportion to need.

    Stage 1 (兜底): in need order, each village gets the funding the planning model says lifts (or keeps) its
    per-capita income at the bottom line — at most ``campaign_cap`` × the county mean, and no more than is left.
    Stage 2 (按需分级): what is left is shared in proportion to the need score (equally if no village has a need).
    The total is the county's.
    """
    total, n = county.total, county.size
    required = np.minimum(plan.funding_for(bottom_line), plan.settings.campaign_cap * total / n)
    funding = np.zeros(n)
    left = total
    for village in county.need_order():
        give = min(required[village], left)
        funding[village] = give
        left -= give
        if left <= 0:
            break
    left = total - funding.sum()
    weights = county.need if county.need.sum() > 0 else np.ones(n)
    funding += left * weights / weights.sum()
    return funding


def campaign_logic(county: County, plan: CountyModel, bottom_line: float) -> Allocation:
    """雨露均沾 (兜底、按需分级): strongest posts to the neediest; money to the bottom line, then by need."""
    post = _ranked(county.strength_order(), county.need_order())
    return Allocation(post, funding=campaign_funding(county, plan, bottom_line),
                      gaps_served=slots_following_posts(county, post))


def match_posts(county: County, plan: CountyModel) -> np.ndarray:
    """Assign the posts to villages to maximise need-weighted welfare (one post per village, every post held).

    The value of village i holding post j is its need-weighted utility with its own money plus the post's money,
    ωᵢ·u_ε(yᵢ(Aᵢ + Mⱼ)), under the planning model: a one-to-one assignment, which
    :func:`~villageaid.estimators.assignment.solve_assignment` solves with ``linear_sum_assignment``.
    """
    funding = plan.own_money[0][None, :] + plan.post_money[0][:, None]  # posts × villages
    value = plan.welfare_value(funding)
    value = value - value[np.arange(county.size), np.arange(county.size)][None, :]  # against the own post
    scale = np.max(np.abs(value))
    result = solve_assignment(value / scale if scale > 0 else value, 1.0, 1.0, exact_supply=True)
    post = np.argmax(result.flow, axis=0)
    if not np.array_equal(np.sort(post), np.arange(county.size)):
        raise RuntimeError(f"county {county.name}: the post assignment is not one post per village")
    return post


def precise_matching(county: County, plan: CountyModel, bottom_line: float, *,
                     slots: tuple[float, float] | None = None) -> Allocation:
    """两张清单: posts to the villages where they add most need-weighted welfare; slots to the needs they serve.

    ``slots`` is :func:`match_slots` of the county when already computed (it depends on the lists only).
    """
    return Allocation(match_posts(county, plan), gaps_served=match_slots(county) if slots is None else slots)


def _project_values(county: County, plan: CountyModel, most: int, remainder: float) -> np.ndarray:
    """Villages × (0 … most) projects: need-weighted utility with that many projects and the equal remainder."""
    levels = np.arange(most + 1) * plan.settings.project_size + remainder / county.size
    funding = np.broadcast_to(levels[:, None], (most + 1, county.size))
    return plan.welfare_value(funding).T


def pool_projects(county: County, plan: CountyModel, cap: float, *, method: str = "auto") -> np.ndarray:
    """Return the number of projects of each village when the pooled county fund is given as indivisible projects.

    K = ⌊total / L⌋ projects; a village gets at most ⌊cap × mean / L⌋ (at least one); each village's value of k
    projects is its need-weighted utility at k·L plus an equal share of the remainder. With ``method="auto"`` the
    exact greedy (the K largest marginal values) is used where every village's value is concave in k, and otherwise
    the exact dynamic program over villages and projects (:func:`_knapsack_projects`, O(villages × K × most)).
    ``method="milp"`` solves the same multiple-choice knapsack through
    :func:`~villageaid.estimators.assignment.solve_assignment` (``milp``): columns (village, k) of value ω·u, one per
    village, cost k·L within the fund — an independent check (the tests hold the three to each other), but a
    minute or more where the cap does not bind on a county of hundreds of projects.
    """
    size = plan.settings.project_size
    total, n = county.total, county.size
    projects = int(np.floor(total / size + 1e-9))
    most = projects if not np.isfinite(cap) else max(1, int(np.floor(cap * total / n / size + 1e-9)))
    most = min(most, projects)
    remainder = total - projects * size
    values = _project_values(county, plan, most, remainder)
    if method == "auto":
        count = _greedy_projects(values, projects) if most > 0 else None
        return count if count is not None else _knapsack_projects(values, projects)
    shifted = values - values.min() + 1.0  # every level gains: each village takes exactly one (tie rule 1)
    scale = shifted.max()
    cost = np.tile(np.arange(most + 1) * size, n)[None, :]
    result = solve_assignment((shifted / scale).reshape(1, -1), [float(n)], 1.0,
                              column_groups=np.repeat(np.arange(n), most + 1), column_group_capacity=1.0,
                              cost=cost, budget=projects * size, method="milp" if method == "milp" else "auto")
    chosen = result.flow.reshape(n, most + 1)
    if not np.allclose(chosen.sum(axis=1), 1.0):
        raise RuntimeError(f"county {county.name}: pooling left a village without a project level")
    return np.argmax(chosen, axis=1)


def _upper_hull(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the least concave majorant of values over k = 0 … m and whether each k is one of its vertices."""
    hull: list[int] = []
    for k in range(len(values)):
        while len(hull) >= 2 and ((values[hull[-1]] - values[hull[-2]]) * (k - hull[-1])
                                  <= (values[k] - values[hull[-1]]) * (hull[-1] - hull[-2])):
            hull.pop()
        hull.append(k)
    vertex = np.zeros(len(values), dtype=bool)
    vertex[hull] = True
    return np.interp(np.arange(len(values)), hull, values[hull]), vertex


def _greedy_projects(values: np.ndarray, projects: int) -> np.ndarray | None:
    """Projects per village by the greedy on each village's concave majorant, or None if that is not optimal.

    With equal costs, taking the ``projects`` largest gaining marginal values of the villages' concave majorants
    solves the relaxed problem; when every village ends on a vertex of its majorant (always, where values are
    concave) the relaxed optimum is attained by the values themselves, so it is the optimum. Money not spent is
    shared equally, as the knapsack leaves it.
    """
    n, levels = values.shape
    marginal = np.diff(values, axis=1)
    concave = np.all(np.diff(marginal, axis=1) <= 1e-12 * np.maximum(1.0, np.abs(marginal[:, 1:])), axis=1)
    envelope = values.copy()
    vertex = np.ones(values.shape, dtype=bool)
    for village in np.flatnonzero(~concave):
        envelope[village], vertex[village] = _upper_hull(values[village])
    gains = np.diff(envelope, axis=1).ravel()
    if projects >= gains.size:
        order = np.arange(gains.size)
    else:
        # The ``projects`` largest gains, ties to the lower index: a partition, not a full sort (the set is what
        # counts, and it is the one a stable sort by gain would take; the national run spends its time here).
        threshold = np.partition(gains, gains.size - projects)[gains.size - projects]
        above = np.flatnonzero(gains > threshold)
        order = np.concatenate([above, np.flatnonzero(gains == threshold)[:projects - above.size]])
    order = order[gains[order] > 0]
    count = np.bincount(order // (levels - 1), minlength=n)
    return count if vertex[np.arange(n), count].all() else None


def _knapsack_projects(values: np.ndarray, projects: int) -> np.ndarray:
    """Return the projects of each village that maximise Σ values[i, kᵢ] with Σ kᵢ ≤ ``projects`` (exact).

    Dynamic programming over the villages: ``best[j]``, the most the villages so far reach with at most j projects,
    becomes maxₖ best[j − k] + values[i, k]; then the choices are read back from the last village. Ties go to the
    fewest projects for the later village. For values of any shape (where the greedy is not exact).
    """
    n, levels = values.shape
    width = projects + 1
    steps = np.arange(levels)
    best = np.zeros(width)
    choice = np.zeros((n, width), dtype=np.int64)
    budget = np.arange(width)[:, None] - steps[None, :]  # j − k
    possible = budget >= 0
    for village in range(n):
        candidates = np.where(possible, best[np.maximum(budget, 0)] + values[village][None, :], -np.inf)
        choice[village] = np.argmax(candidates, axis=1)  # the first maximum: the fewest projects
        best = candidates[np.arange(width), choice[village]]
    count = np.zeros(n, dtype=np.int64)
    left = projects
    for village in range(n - 1, -1, -1):
        count[village] = choice[village, left]
        left -= count[village]
    return count


def county_pooling(county: County, plan: CountyModel, bottom_line: float, *, cap: float | None = None
                   ) -> Allocation:
    """县级统筹: the county's money pooled into indivisible projects under a concentration cap; posts as now."""
    cap = plan.settings.cap if cap is None else cap
    count = pool_projects(county, plan, cap)
    size = plan.settings.project_size
    funding = count * size
    funding = funding + (county.total - funding.sum()) / county.size  # the remainder, shared equally
    post = np.arange(county.size)
    return Allocation(post, funding=funding, gaps_served=slots_following_posts(county, post))


def cadre_reform(county: County, plan: CountyModel, bottom_line: float) -> Allocation:
    """重点派、精准派、派精干: smaller teams for ordinary villages pay for more high-level posts at key villages.

    The neediest villages are the key villages (the recommendation's 重点村, chosen here by need — not the
    重点帮扶村 designation, which in the paper went to an advantaged village): as many as there will be high-level
    posts. Ordinary villages'
    teams shrink to ``ordinary_team_size``; the cadre cost saved pays, one by one, for new high-level first
    secretaries (each costing its level's cadre cost instead of a county cadre's) from the high-level units'
    spare cadre slots, while slots and savings last. The posts then go from the strongest down to the villages
    from the neediest down; the weakest posts are the ones the new posts replace. Without a resource list there
    are no spare slots: the reform only reassigns the posts and cuts the teams.
    """
    settings = plan.settings
    n = county.size
    cost = settings.cadre_cost
    member = cost.get("county", 1.0)
    team = county.team_size.astype(int)
    order_need = county.need_order()
    existing_high = int(county.city.sum())
    high_cost = max((cost.get(level, member) for level, high in zip(county.level, county.city, strict=True)
                     if high), default=cost.get("city", member))
    spare = 0 if county.units is None else int(county.units.spare_cadres[county.units.high_level].sum())

    def reformed_teams(new: int) -> tuple[np.ndarray, float]:
        key = np.zeros(n, dtype=bool)
        key[order_need[:existing_high + new]] = True  # the key villages keep their teams
        teams = np.where(key, team, np.minimum(team, settings.ordinary_team_size))
        return teams, float((team - teams).sum()) * member - new * (high_cost - member)

    new = 0
    reformed, _ = reformed_teams(0)
    while new < min(spare, n - existing_high):
        teams, saved = reformed_teams(new + 1)
        if saved < 0:
            break
        new, reformed = new + 1, teams
    strongest = county.strength_order()
    # existing high-level posts first, then the new ones; the weakest posts are those the new ones replace
    posts = np.concatenate([strongest[:existing_high], np.full(new, -1, dtype=np.intp),
                            strongest[existing_high:n - new]])
    post = _ranked(posts, order_need)
    return Allocation(post, team_size=reformed, gaps_served=slots_following_posts(county, post))


def opening(county: County, plan: CountyModel, bottom_line: float) -> Allocation:
    """开源: the status quo plus a new social or market channel, shared in proportion to need (added money)."""
    weights = county.need if county.need.sum() > 0 else np.ones(county.size)
    added = plan.settings.opening_share * county.total * weights / weights.sum()
    post = np.arange(county.size)
    return Allocation(post, funding=county.funding.copy(), added=added,
                      gaps_served=slots_following_posts(county, post))


#: The built-in policies in the order tables print them, and whether each plans with the model.
RULES: dict[str, tuple[PolicyRule, bool]] = {
    "status_quo": (status_quo, False),
    "campaign": (campaign_logic, True),
    "strong_alliance": (strong_alliance, False),
    "precise_matching": (precise_matching, True),
    "county_pooling": (county_pooling, True),
    "cadre_reform": (cadre_reform, False),
    "opening": (opening, False),
}
