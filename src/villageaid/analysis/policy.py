"""Allocation policy simulator: what the source paper's logics and recommendations would change, county by county.

Within each county the transition-period first-secretary posts and the county's money are reallocated under a
policy (:mod:`villageaid.analysis.policy_rules`: status quo; the campaign logic 雨露均沾 — bottom-line, need-graded
targeting; the strong alliance 强强联合; precise matching of the two lists 两张清单; county pooling 县级统筹; fewer but
stronger cadres; 开源; or the user's own), and each village's funding, collective income and per-capita income are
predicted (:mod:`villageaid.analysis.policy_model`). Every policy keeps each county's total money (budget-neutral;
开源's added channel is reported apart), and results are given under four return shapes, because which policy
ranks first depends on the shape: with the same return everywhere (linear) a budget-neutral reallocation cannot
change total collective income, with diminishing returns (concave, the estimated model) spreading raises it, with
returns rising with endowment (complementarity) concentration on the well endowed does, and with indivisible
projects (lumpy) spreading thin wastes money.

Measures (:data:`MEASURES`), each summed exactly over counties: the change in collective income (万元 a year) and in
per-capita income (元, population-weighted); the change in need-weighted Atkinson welfare (its equally distributed
equivalent income, 元); villages below the bottom line of per-capita income; the concentration index of funding by
need (villages ranked from the neediest, within counties: negative = funding sits with the needy, as in H7); the
share of funding reaching each county's poorest 40% (by endowment); the Gini of funding within counties; the share
of city-level (and higher) posts held by rich villages and by high-need villages (each county's neediest third);
the share of the need gaps the units' technical and market slots meet (with the two lists); cadres and their cost;
the county totals and the largest difference of any county's total from the status quo's.

Uncertainty and the optimiser's curse. The allocation (PPML) and the two return (H10 2SLS) models' coefficients are
drawn from their estimated normal distributions (parametric bootstrap; the models are drawn independently). The
draws are split in two halves; a planned policy (campaign, precise matching, pooling, a user's function) is planned
with the mean coefficients of one half and evaluated on the draws of the other, so no assignment is judged on the
draws it was optimised on (cross-fitting). The estimate is the value at the estimated coefficients under the plan of
the first half; the interval the 2.5 and 97.5 percentiles over the cross-fitted draws. With fewer than two draws the
plan is made and judged on the estimate (noted).

Counties are independent: they run serially, on a local Dask cluster or on an existing scheduler
(:func:`villageaid.executor.run_tasks`); the draws are made once from one seed and the task boundaries do not depend
on the number of workers, so the numbers are bit-identical whatever the workers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from villageaid.analysis.policy_model import (
    COEFFICIENTS,
    DEFAULT_SHAPE,
    SHAPE_LABELS,
    SHAPES,
    Allocation,
    County,
    CountyModel,
    CountyUnits,
    PolicySettings,
    equivalent_income,
    utility,
)
from villageaid.analysis.policy_rules import (
    RULES,
    county_pooling,
    match_slots,
    precise_matching,
    slots_following_posts,
)
from villageaid.estimators.limits import DataLimitError

__all__ = ["COEFFICIENTS", "DEFAULT_SHAPE", "MEASURES", "POLICIES", "POLICY_LABELS", "SHAPES", "SHAPE_LABELS",
           "Allocation", "County", "CountyFacts", "CountyModel", "CountyUnits", "CustomPolicy", "PolicyInputError",
           "PolicyModels", "PolicyResults", "PolicySettings", "simulate_policies"]

#: The built-in policies, in the order tables print them.
POLICIES = tuple(RULES)
POLICY_LABELS = {
    "status_quo": "Status quo (observed posts and funding)",
    "campaign": "Campaign logic: 雨露均沾（兜底、按需分级）",
    "strong_alliance": "Strong alliance: 强强联合",
    "precise_matching": "Precise matching: 两张清单",
    "county_pooling": "County pooling: 县级统筹",
    "cadre_reform": "Fewer but stronger cadres: 重点派、精准派、派精干",
    "opening": "开源: an added social or market channel",
    "custom": "User policy",
}
#: Default concentration cap of county pooling (a multiple of the county mean).
DEFAULT_CAP = 2.0
#: Tasks the counties are split into (independent of the number of workers).
TASKS = 64
POOREST_SHARE = 0.4
HIGH_NEED_SHARE = 1 / 3
ALLOCATION_TERMS = ("city", "strong", "city_x_rich")
RETURN_TERMS = ("asinh_funding_total", "asinh_funding_x_endowment")
#: Summed statistics of a county (draws × statistics).
STATISTICS = ("villages", "population", "funding", "added", "collective_change", "income_sum", "income_base_sum",
              "weight", "weighted_utility", "below_line", "funding_need_rank", "gini_villages", "poorest_funding",
              "city_posts", "city_posts_rich", "city_posts_high_need", "gaps_met", "gaps_servable", "cadres",
              "cadre_cost")
#: Measures and their labels, in the order tables print them.
MEASURES = {
    "welfare_change": "Need-weighted welfare (Atkinson EDE, 元/person)",
    "per_capita_income_change": "Per-capita income (元/person)",
    "collective_income_change": "Collective income (万元/year)",
    "villages_below_line": "Villages below the bottom line",
    "concentration_by_need": "Concentration of funding by need (− = to the needy)",
    "share_poorest_40": "Share of funding to the poorest 40%",
    "gini_within_county": "Gini of funding within counties",
    "city_posts_rich_share": "City-level posts held by rich villages (share)",
    "city_posts_high_need_share": "City-level posts held by high-need villages (share)",
    "need_gaps_met": "Need gaps met by technical and market slots (share)",
    "city_posts": "City-level (and higher) posts",
    "cadres": "Cadres posted",
    "cadre_cost": "Cadre cost (county cadre = 1)",
    "total_funding": "County funding (万元/year)",
    "added_funding": "Added channel (开源, 万元/year)",
    "county_total_difference": "Largest county total − status quo (万元)",
}


class PolicyInputError(DataLimitError):
    """A user policy or a list that cannot be used: every problem, in one report (a data limit, not a bug)."""


@dataclass(frozen=True)
class CustomPolicy:
    """A user's policy for one county: the post of each village and, optionally, its funding (万元 a year)."""

    post: np.ndarray
    funding: np.ndarray | None = None


@dataclass(frozen=True)
class PolicyModels:
    """The estimated models the simulator needs: point estimates and covariances.

    ``returns`` is the H10 heterogeneity model of log collective income and ``returns_per_capita`` that of log
    per-capita income (each: asinh funding and asinh funding × endowment index).
    """

    allocation: pd.Series
    allocation_vcov: pd.DataFrame
    returns: pd.Series
    returns_vcov: pd.DataFrame
    returns_per_capita: pd.Series
    returns_per_capita_vcov: pd.DataFrame

    def draws(self, n: int, seed: int) -> np.ndarray:
        """Return the estimate, then ``n`` parametric-bootstrap draws: (n + 1) × :data:`COEFFICIENTS`.

        One seed: the same at any worker count. The three models are drawn independently.
        """
        rng = np.random.default_rng(seed)
        parts = [(self.allocation, self.allocation_vcov), (self.returns, self.returns_vcov),
                 (self.returns_per_capita, self.returns_per_capita_vcov)]
        estimate = np.concatenate([p.to_numpy(float) for p, _ in parts])
        drawn = [rng.multivariate_normal(p.to_numpy(float), v.to_numpy(float), size=n) for p, v in parts]
        return np.vstack([estimate[None, :], np.hstack(drawn)])


def _gini_times_n(funding: np.ndarray) -> np.ndarray:
    """Return n × the Gini of each row (0 for a row without money)."""
    n = funding.shape[1]
    ordered = np.sort(funding, axis=1)
    totals = funding.sum(axis=1)
    weights = 2 * np.arange(1, n + 1) - n - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        gini = np.where(totals > 0, np.clip(ordered @ weights / (n * totals), 0.0, None), 0.0)
    return n * gini


def need_ranks(county: County) -> np.ndarray:
    """Fractional ranks within the county from the neediest (near 0) to the least needy (near 1), ties averaged."""
    from scipy.stats import rankdata

    return (rankdata(-county.need, method="average") - 0.5) / county.size


@dataclass(frozen=True)
class CountyFacts:
    """What judging an allocation needs of a county that no policy, shape or draw changes (made once a county)."""

    need_rank: np.ndarray  # fractional rank from the neediest, centred (need_ranks − 0.5)
    first_cost: np.ndarray  # yearly cost of each post's first secretary (by its unit's level)
    high_cost: float  # the cost of a created high-level post
    member_cost: float  # the cost of a team member (a county cadre)
    population: float
    income_base: float  # Σ status-quo per-capita income × population

    @classmethod
    def of(cls, county: County, settings: PolicySettings) -> CountyFacts:
        """Return the county's facts under the settings' cadre costs."""
        cost = settings.cadre_cost
        member = cost.get("county", 1.0)
        first = np.array([cost.get(level, member) for level in county.level])
        high = max((c for c, h in zip(first, county.city, strict=True) if h), default=cost.get("city", member))
        return cls(need_ranks(county) - 0.5, first, high, member, county.population.sum(),
                   county.per_capita @ county.population)


def allocation_statistics(county: County, model: CountyModel, allocation: Allocation, bottom_line: float,
                          facts: CountyFacts | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the summed :data:`STATISTICS` of one county under an allocation (draws × statistics).

    Also returns, per draw, the absolute difference between the county's funding and its status-quo total.
    ``facts`` (:meth:`CountyFacts.of` the county) saves recomputing them for every allocation.
    """
    settings = model.settings
    facts = facts or CountyFacts.of(county, settings)
    funding = allocation.money(model)
    difference = np.abs(funding.sum(axis=1) - county.total)
    spent = funding if allocation.added is None else funding + allocation.added
    income = model.per_capita(spent)
    collective = model.level("collective", spent) - county.income
    held_city = allocation.post_city(county)
    teams = county.team_size if allocation.team_size is None else allocation.team_size
    member = facts.member_cost
    secretary = np.where(allocation.post >= 0, facts.first_cost[np.maximum(allocation.post, 0)], facts.high_cost)
    out = np.empty((model.draws, len(STATISTICS)))
    col = {name: k for k, name in enumerate(STATISTICS)}
    out[:, col["villages"]] = county.size
    out[:, col["population"]] = facts.population
    out[:, col["funding"]] = funding.sum(axis=1)
    out[:, col["added"]] = 0.0 if allocation.added is None else allocation.added.sum()
    out[:, col["collective_change"]] = collective.sum(axis=1)
    out[:, col["income_sum"]] = income @ county.population
    out[:, col["income_base_sum"]] = facts.income_base
    out[:, col["weight"]] = model.weights.sum()
    out[:, col["weighted_utility"]] = utility(income, settings.epsilon) @ model.weights
    out[:, col["below_line"]] = (income < bottom_line).sum(axis=1)
    out[:, col["funding_need_rank"]] = spent @ facts.need_rank
    out[:, col["gini_villages"]] = _gini_times_n(spent)
    out[:, col["poorest_funding"]] = spent[:, county.poorest].sum(axis=1)
    out[:, col["city_posts"]] = held_city.sum()
    out[:, col["city_posts_rich"]] = (held_city & county.rich).sum()
    out[:, col["city_posts_high_need"]] = (held_city & county.high_need).sum()
    met, servable = allocation.gaps_served if allocation.gaps_served is not None else (0.0, 0.0)
    out[:, col["gaps_met"]] = met
    out[:, col["gaps_servable"]] = servable
    out[:, col["cadres"]] = teams.sum()
    out[:, col["cadre_cost"]] = secretary.sum() + (teams - 1).sum() * member
    return out, difference


def _fingerprint(allocation: Allocation) -> tuple:
    """Return what an allocation's statistics depend on, as a key: equal keys, equal statistics (bit for bit)."""
    arrays = (allocation.post, allocation.funding, allocation.team_size, allocation.added)
    return (*(None if a is None else (a.dtype.str, a.tobytes()) for a in arrays), allocation.gaps_served)


def _halves(coefficients: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Return the cross-fitting plans: (rows judged, planning coefficients), each half planned on the other's."""
    draws = len(coefficients) - 1
    if draws < 2:
        return [(np.arange(draws + 1), coefficients[[0]])]
    half = (draws + 1) // 2
    first, second = np.arange(1, half + 1), np.arange(half + 1, draws + 1)
    return [(np.r_[0, second], coefficients[first].mean(axis=0, keepdims=True)),
            (first, coefficients[second].mean(axis=0, keepdims=True))]


PolicyFunction = Callable[[County, CountyModel], "np.ndarray | Allocation"]


@dataclass(frozen=True)
class PolicyTask:
    """What one worker needs: its counties, the coefficient draws, the settings and any user policy."""

    counties: list[County]
    coefficients: np.ndarray
    settings: PolicySettings
    bottom_line: float
    shapes: tuple[str, ...] = SHAPES
    custom: dict[str, CustomPolicy] | None = None
    custom_function: PolicyFunction | None = None


def _custom_allocation(county: County, result: object) -> Allocation:
    """Turn what a user's function returned (posts or an Allocation) into a checked Allocation."""
    allocation = result if isinstance(result, Allocation) else Allocation(np.asarray(result, dtype=np.intp))
    post = allocation.post
    if post.shape != (county.size,) or not np.array_equal(np.sort(post), np.arange(county.size)):
        raise PolicyInputError(f"county {county.name}: a policy function must give each of the {county.size} "
                               "villages a different post of the county (a permutation of 0 … n − 1)")
    check_budget({county.name: allocation.funding}, [county])
    if allocation.gaps_served is None:
        allocation = replace(allocation, gaps_served=slots_following_posts(county, post))
    return allocation


def check_budget(funding: dict[str, np.ndarray | None], counties: list[County], *, source: str = "policy",
                 rtol: float = 1e-12, atol: float = 1e-9, atol_per_village: float = 0.0) -> None:
    """Refuse funding that changes a county's total: every county's difference, in one report.

    Parameters
    ----------
    funding : dict of str to array or None
        County name → each village's funding (万元 a year); None keeps the money following the posts.
    counties : list of County
    source : str
        Where the funding comes from, for the message.
    rtol, atol : float
        Tolerance of the comparison with the status-quo total.
    atol_per_village : float
        Added to ``atol`` for each village of the county (rounded amounts).
    """
    problems = []
    for county in counties:
        values = funding.get(county.name)
        if values is None:
            continue
        values = np.asarray(values, dtype=float)
        if values.shape != (county.size,) or not np.isfinite(values).all() or (values < 0).any():
            problems.append(f"{source}: county {county.name}: funding must be {county.size} finite amounts ≥ 0")
            continue
        total = float(values.sum())
        if not np.isclose(total, county.total, rtol=rtol, atol=atol + atol_per_village * county.size):
            problems.append(f"{source}: county {county.name}: funding totals {total:,.4f} 万元 against the status "
                            f"quo's {county.total:,.4f} (difference {total - county.total:+,.4f} 万元)")
    if problems:
        raise PolicyInputError("the policy is not budget-neutral (every county must keep its total money):\n"
                               + "\n".join(problems))


def _county_rules(task: PolicyTask, county: County) -> dict[str, tuple[Callable, bool]]:
    rules: dict[str, tuple[Callable, bool]] = dict(RULES)
    slots = match_slots(county)  # the lists' matching of slots: the same under every plan
    rules["precise_matching"] = (lambda c, plan, line: precise_matching(c, plan, line, slots=slots), True)
    # County pooling at the settings' cap is also a point of the cap curve: each (cap, plan) is solved once.
    pooled: dict[tuple[float, CountyModel], Allocation] = {}

    def pooling(c: County, plan: CountyModel, line: float, cap: float) -> Allocation:
        key = (float(cap), plan)  # the plan object itself: kept alive by the key, never confused with another
        if key not in pooled:
            pooled[key] = county_pooling(c, plan, line, cap=cap)
        return pooled[key]

    rules["county_pooling"] = (lambda c, plan, line: pooling(c, plan, line, task.settings.cap), True)
    if task.custom is not None:
        chosen = task.custom[county.name]
        rules["custom"] = (lambda c, plan, line: Allocation(chosen.post, funding=chosen.funding,
                                                            gaps_served=slots_following_posts(c, chosen.post)),
                           False)
    elif task.custom_function is not None:
        function = task.custom_function
        rules["custom"] = (lambda c, plan, line: _custom_allocation(c, function(c, plan)), True)
    for cap in task.settings.curve_caps:
        rules[f"curve_{cap:g}"] = (lambda c, plan, line, cap=cap: pooling(c, plan, line, cap), True)
    return rules


def run_counties(seed: int, task: PolicyTask) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """Sum the statistics of every policy and shape over the task's counties.

    Returns (policy, shape) → (draws × statistics sums, draws largest county-total difference).

    Work that gives the same numbers is done once: a rule that does not plan with the model (it uses the county
    and the settings only) is applied once a county, not once a shape; an allocation equal to one already judged
    under the shape (the two halves' plans often agree; pooling at the settings' cap is a point of the curve) takes
    its statistics, bit for bit the same as judging it again; and the county's own facts are made once.
    """
    plans = _halves(task.coefficients)
    totals: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    draws = len(task.coefficients)
    for county in task.counties:
        rules = _county_rules(task, county)
        facts = CountyFacts.of(county, task.settings)
        unplanned: dict[str, Allocation] = {}
        for shape in task.shapes:
            model = CountyModel(county, task.coefficients, shape, task.settings)
            planning = [CountyModel(county, coefficients, shape, task.settings) for _, coefficients in plans]
            judged: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
            for name, (rule, planned) in rules.items():
                stats = np.empty((draws, len(STATISTICS)))
                difference = np.empty(draws)
                for k, (rows, _) in enumerate(plans if planned else plans[:1]):
                    if planned:
                        allocation = rule(county, planning[k], task.bottom_line)
                    else:
                        if name not in unplanned:
                            unplanned[name] = rule(county, planning[k], task.bottom_line)
                        allocation = unplanned[name]
                    key = _fingerprint(allocation)
                    if key not in judged:
                        judged[key] = allocation_statistics(county, model, allocation, task.bottom_line, facts)
                    values, gaps = judged[key]
                    if planned:
                        stats[rows], difference[rows] = values[rows], gaps[rows]
                    else:
                        stats, difference = values.copy(), gaps.copy()
                key = (name, shape)
                if key in totals:
                    totals[key] = (totals[key][0] + stats, np.maximum(totals[key][1], difference))
                else:
                    totals[key] = (stats, difference)
    return totals


def _measures(stats: np.ndarray, difference: np.ndarray, status: np.ndarray, epsilon: float
              ) -> dict[str, np.ndarray]:
    """Measures from summed statistics (draws × statistics); ``status`` is the status quo's."""
    col = {name: stats[:, k] for k, name in enumerate(STATISTICS)}
    base = {name: status[:, k] for k, name in enumerate(STATISTICS)}
    spent = col["funding"] + col["added"]
    with np.errstate(divide="ignore", invalid="ignore"):
        ede = equivalent_income(col["weighted_utility"] / col["weight"], epsilon)
        ede_status = equivalent_income(base["weighted_utility"] / base["weight"], epsilon)
        return {
            "welfare_change": ede - ede_status,
            "per_capita_income_change": (col["income_sum"] - col["income_base_sum"]) / col["population"],
            "collective_income_change": col["collective_change"],
            "villages_below_line": col["below_line"],
            "concentration_by_need": 2 * col["funding_need_rank"] / spent,
            "share_poorest_40": col["poorest_funding"] / spent,
            "gini_within_county": col["gini_villages"] / col["villages"],
            "city_posts_rich_share": col["city_posts_rich"] / col["city_posts"],
            "city_posts_high_need_share": col["city_posts_high_need"] / col["city_posts"],
            "need_gaps_met": np.where(col["gaps_servable"] > 0, col["gaps_met"] / col["gaps_servable"], np.nan),
            "city_posts": col["city_posts"],
            "cadres": col["cadres"],
            "cadre_cost": col["cadre_cost"],
            "total_funding": col["funding"],
            "added_funding": col["added"],
            "county_total_difference": difference,
        }


def summarise(totals: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]], epsilon: float
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table rows (policy × shape × measure) and the pooling curve, from the summed statistics."""
    rows, curve = [], []
    for (name, shape), (stats, difference) in totals.items():
        status = totals[("status_quo", shape)][0]
        for measure, values in _measures(stats, difference, status, epsilon).items():
            row = {"policy": name, "shape": shape, "measure": measure, "estimate": float(values[0])}
            rest = values[1:][np.isfinite(values[1:])]
            if len(rest):
                row |= {"conf_low": float(np.percentile(rest, 2.5)), "conf_high": float(np.percentile(rest, 97.5))}
            else:
                row |= {"conf_low": np.nan, "conf_high": np.nan}
            (curve if name.startswith("curve_") else rows).append(row)
    table = pd.DataFrame(rows)
    table.insert(1, "label", table["policy"].map(POLICY_LABELS))
    front = pd.DataFrame(curve)
    front.insert(1, "cap", front["policy"].str.removeprefix("curve_").astype(float))
    return table, front


@dataclass(frozen=True)
class PolicyResults:
    """Table 9 (policies × shapes × measures) and the pooling cap curve, with intervals over coefficient draws.

    Attributes
    ----------
    table : DataFrame
        policy, label, shape, measure, estimate, conf_low, conf_high.
    curve : DataFrame
        The same for county pooling at each cap of ``settings.curve_caps`` (with a ``cap`` column).
    draws, counties, villages : int
    backend : str
    seconds : float
    notes : tuple of str
    settings : PolicySettings
    bottom_line : float
        The bottom line of per-capita income used (元).
    cross_fitted : bool
        Whether plans were made on one half of the draws and judged on the other.
    """

    table: pd.DataFrame
    curve: pd.DataFrame
    draws: int
    counties: int
    villages: int
    backend: str
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    settings: PolicySettings = field(default_factory=PolicySettings)
    bottom_line: float = float("nan")
    cross_fitted: bool = True

    @property
    def cap(self) -> float:
        """County pooling's concentration cap."""
        return self.settings.cap

    def tidy(self) -> pd.DataFrame:
        """Policies × shapes × measures: estimate (at the estimated coefficients) and the 2.5/97.5 percentiles."""
        return self.table.copy()

    def estimates(self, shape: str = DEFAULT_SHAPE) -> pd.DataFrame:
        """Policies × measures of one shape (estimates only)."""
        part = self.table.loc[self.table["shape"] == shape]
        return part.pivot(index="policy", columns="measure", values="estimate").reindex(
            [p for p in (*POLICIES, "custom") if p in set(part["policy"])])[list(MEASURES)]


def default_bottom_line(counties: list[County], settings: PolicySettings) -> float:
    """Return the bottom line of per-capita income: the settings' own, or its share of the median income."""
    if settings.bottom_line is not None:
        return float(settings.bottom_line)
    incomes = np.concatenate([c.per_capita for c in counties]) if counties else np.array([np.nan])
    return float(settings.bottom_line_share * np.median(incomes))


def simulate_policies(counties: list[County], models: PolicyModels, *, draws: int = 200, seed: int = 0,
                      settings: PolicySettings | None = None, shapes: tuple[str, ...] = SHAPES, workers: int = 0,
                      scheduler: str | None = None, custom: dict[str, CustomPolicy] | None = None,
                      custom_function: PolicyFunction | None = None, counties_per_task: int | None = None,
                      client: object = None, pool: str = "dask") -> PolicyResults:
    """Run every policy on every county under every return shape, for the estimate and ``draws`` draws.

    Parameters
    ----------
    counties : list of County
        From :func:`villageaid.analysis.policy_inputs.counties_from_panel`.
    models : PolicyModels
        From :func:`villageaid.analysis.policy_inputs.estimate_policy_models`.
    draws, seed : int
        Parametric-bootstrap draws of the coefficients, from one seed.
    settings : PolicySettings, optional
        Welfare, bottom line, projects, caps, cadre costs and 开源 (defaults: :class:`PolicySettings`).
    shapes : tuple of str
        Return shapes to compute (all of :data:`SHAPES` by default; the first is Table 9's).
    workers, scheduler :
        As every study command: 0 serial, K a local Dask cluster of K processes, or an existing scheduler.
    custom, custom_function :
        A user policy: per county the posts and optional funding (from
        :func:`~villageaid.analysis.policy_inputs.assignments_policy`), or a function (county, planning model) →
        post of each village or an :class:`Allocation` (must be picklable to run on a cluster). Funding that
        changes a county's total is refused (:class:`PolicyInputError`, each county's difference).
    counties_per_task : int, optional
        Counties per task (default: the counties split into :data:`TASKS` tasks, whatever the workers).
    client : distributed.Client, optional
        An already connected Dask client (reused, not closed).
    pool : {"dask", "fork"}
        How K local workers start (see :func:`villageaid.executor.run_tasks`); the results are the same.
    """
    import time

    from villageaid.executor import run_tasks

    settings = settings or PolicySettings()
    if draws < 0:
        raise ValueError("draws must be zero or more")
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown or not shapes:
        raise ValueError(f"shapes must be among {SHAPES}, got {shapes!r}")
    if custom is not None:
        missing = [c.name for c in counties if c.name not in custom]
        if missing:
            raise PolicyInputError(f"the user policy has no posts for the counties {', '.join(missing)}")
        check_budget({name: policy.funding for name, policy in custom.items()}, counties)
    started = time.perf_counter()
    coefficients = models.draws(draws, seed)
    bottom_line = default_bottom_line(counties, settings)
    # Task boundaries do not depend on the number of workers, so the sums over tasks are added in the same order
    # and serial and parallel runs give bit-identical numbers.
    size = counties_per_task or max(1, -(-len(counties) // TASKS))
    chunks = [counties[i:i + size] for i in range(0, len(counties), size)]
    tasks = [(PolicyTask(chunk, coefficients, settings, bottom_line, tuple(shapes),
                         None if custom is None else {c.name: custom[c.name] for c in chunk}, custom_function),)
             for chunk in chunks]
    run = run_tasks(run_counties, len(tasks), root_seed=seed, task_args=tasks, workers=workers,
                    scheduler=scheduler, client=client, pool=pool)
    if run.failures:
        raise RuntimeError("policy simulation failed in " + "; ".join(
            f"task {f.index}: {f.error.splitlines()[0]}" for f in run.failures))
    totals: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
    for result in run.results:
        for key, (stats, difference) in result.items():
            if key in totals:
                totals[key] = (totals[key][0] + stats, np.maximum(totals[key][1], difference))
            else:
                totals[key] = (stats, difference)
    table, curve = summarise(totals, settings.epsilon)
    notes = []
    if counties:
        notes.append(f"Need: {counties[0].need_definition}.")
        if counties[0].units is None:
            notes.append("No resource list (资源清单): no spare cadre slots for the cadre reform and no type-specific "
                         "matching of technical and market slots.")
    if draws < 2:
        notes.append("Fewer than two coefficient draws: plans were made and judged on the estimate (not "
                     "cross-fitted), so the optimised policies' gains are biased upward (the optimiser's curse).")
    return PolicyResults(table, curve, draws, len(counties), sum(c.size for c in counties), run.backend,
                         time.perf_counter() - started, tuple(notes), settings, bottom_line, draws >= 2)
