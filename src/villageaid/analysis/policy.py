"""Allocation policy simulator: what the source paper's recommendations would change, county by county.

Within each county the first-secretary posts of the transition period (each village's dispatching unit, with its
level and department strength) are reassigned among the county's villages under a policy, and each village's
funding and collective income are predicted from the estimated models:

* **allocation**: PPML of funding on the unit's level (city), strength (strong), city × rich and the village's
  endowment (county and year effects, transition years). A village's funding under another unit is its own mean
  transition funding times exp(Δη), Δη the model's change in the linear index — village heterogeneity is kept,
  and no fixed effect has to be recovered;
* **returns** (H10): log collective income rises by θ_i·asinh(funding), θ_i = θ₀ + θ₁·endowment index (2SLS,
  :mod:`villageaid.analysis.returns`). A village's collective income under funding F is its observed mean times
  exp(θ_i·(asinh F − asinh F̄_i)); the gain of a policy is the change in the county's total collective income per
  year (万元) against the status quo, which is zero by construction.

Policies (:data:`POLICIES`): ``status_quo``; ``benefits_all`` (雨露均沾: the county's funding split equally);
``strong_alliance`` (强强联合: the strongest units to the richest villages); ``need_based`` (两张清单 precise
matching: the assignment that maximises the county's predicted gain — an assignment problem solved by
``scipy.optimize.linear_sum_assignment``); ``need_based_capped`` (county pooling: need-based, then no village above
``cap`` × the county mean, the excess shared equally by the others); ``cadre_reform`` (fewer but stronger cadres:
the strongest first secretaries to the key — neediest — villages). Users add their own as a Python function or a
CSV of assignments (:func:`assignments_policy`).

Team size does not enter the allocation model (only the first secretary's unit does), so the cadre reform is
represented by who gets the strong first secretaries, not by smaller teams.

Uncertainty: the allocation (city, strong, city × rich) and return (θ₀, θ₁) coefficients are drawn from their
estimated normal distributions (parametric bootstrap); every policy, including the optimisation, is recomputed for
each draw. Counties are independent: they run serially, on a local Dask cluster or on an existing scheduler
(:func:`villageaid.executor.run_tasks`); the draws are made once from one seed, so the results are the same
whatever the number of workers.

Fairness measures, all aggregated exactly over counties: the Gini coefficient of funding within each county,
averaged over counties weighted by villages (the policies act within counties); the Theil T index over all
villages with its split between and within village types A–D (types under each policy's assignment); the share of
funding reaching each county's poorest 40% of villages (by endowment); and the number of villages of high
infrastructure need (no road access at baseline; without that column, each county's 20% with the lowest endowment)
left without a strong first secretary (city-level or strong department).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: The built-in policies, in the order tables print them.
POLICIES = ("status_quo", "benefits_all", "strong_alliance", "need_based", "need_based_capped", "cadre_reform")
POLICY_LABELS = {"status_quo": "Status quo (observed assignment)", "benefits_all": "Benefits all (equal split)",
                 "strong_alliance": "Strong alliance (assortative)", "need_based": "Need-based matching",
                 "need_based_capped": "Need-based with county pooling", "cadre_reform": "Strong cadres to key villages",
                 "custom": "User policy"}
#: Default concentration cap: no village above this multiple of its county's mean funding.
DEFAULT_CAP = 2.0
#: Caps of the fairness–efficiency frontier (∞: need-based without a cap; 1: everyone at the county mean).
FRONTIER_CAPS = (1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 4.0, 6.0, np.inf)
#: Tasks the counties are split into (independent of the number of workers).
TASKS = 64
POOREST_SHARE = 0.4
HIGH_NEED_SHARE = 0.2
ALLOCATION_TERMS = ("city", "strong", "city_x_rich")
RETURN_TERMS = ("asinh_funding_total", "asinh_funding_x_endowment")
STATISTICS = ("villages", "gain", "funding", "gini_weighted", "poorest_funding", "high_need_without_strong",
              "sum_flogf", *(f"{k}_{t}" for t in "ABCD" for k in ("n", "f", "flogf")))


class PolicyInputError(ValueError):
    """A user policy that cannot be applied: every problem, in one report."""


@dataclass(frozen=True)
class County:
    """One county's villages and first-secretary posts (arrays in village order)."""

    name: str
    village_id: np.ndarray
    unit_id: np.ndarray  # status-quo first secretary's unit of each village (its post)
    city: np.ndarray  # of each village's status-quo post
    strong: np.ndarray
    rich: np.ndarray
    endowment: np.ndarray
    funding: np.ndarray  # mean transition funding (万元, > 0)
    income: np.ndarray  # mean transition collective income (万元)
    poorest: np.ndarray  # among the county's poorest 40% by endowment
    high_need: np.ndarray  # high infrastructure need: no road access (or, without that column, lowest 20%)
    need_definition: str = "no road access"

    @property
    def size(self) -> int:
        """Number of villages."""
        return len(self.village_id)


@dataclass(frozen=True)
class Coefficients:
    """One draw (or the estimate) of the allocation and return coefficients."""

    city: float
    strong: float
    city_x_rich: float
    theta0: float
    theta1: float


@dataclass(frozen=True)
class PolicyModels:
    """The estimated models the simulator needs: point estimates and covariances."""

    allocation: pd.Series
    allocation_vcov: pd.DataFrame
    returns: pd.Series
    returns_vcov: pd.DataFrame

    def draws(self, n: int, seed: int) -> list[Coefficients]:
        """Return the estimate, then ``n`` parametric-bootstrap draws (one seed: the same at any worker count)."""
        rng = np.random.default_rng(seed)
        a = rng.multivariate_normal(self.allocation.to_numpy(), self.allocation_vcov.to_numpy(), size=n)
        r = rng.multivariate_normal(self.returns.to_numpy(), self.returns_vcov.to_numpy(), size=n)
        rows = np.vstack([np.r_[self.allocation.to_numpy(), self.returns.to_numpy()], np.hstack([a, r])])
        return [Coefficients(*map(float, row)) for row in rows]


def _funding_index(coef_city: object, coef_strong: object, coef_city_x_rich: object, city: np.ndarray,
                   strong: np.ndarray, rich: np.ndarray) -> np.ndarray:
    """Return the allocation model's linear index of a post (level, strength, level × rich); broadcasts."""
    return coef_city * city + coef_strong * strong + coef_city_x_rich * city * rich


def _income_gain(income: np.ndarray, theta: np.ndarray, funding: np.ndarray, base_asinh: np.ndarray) -> np.ndarray:
    """Return the change in collective income (万元 per year) when funding moves to ``funding``."""
    return income * (np.exp(theta * (np.arcsinh(funding) - base_asinh)) - 1)


def _cap(funding: np.ndarray, cap: float) -> np.ndarray:
    """No village above ``cap`` × the mean: the excess is shared equally by the villages below (water-filling)."""
    return _cap_rows(funding[None, :], cap)[0]


class Simulator:
    """Predicted funding and gains of one county for one coefficient draw."""

    def __init__(self, county: County, c: Coefficients) -> None:
        self.county, self.c = county, c
        self.theta = c.theta0 + c.theta1 * county.endowment
        self.base_index = self._index(county.city, county.strong)
        self.base_asinh = np.arcsinh(county.funding)

    def _index(self, city: np.ndarray, strong: np.ndarray) -> np.ndarray:
        return _funding_index(self.c.city, self.c.strong, self.c.city_x_rich, city, strong, self.county.rich)

    def funding(self, post: np.ndarray) -> np.ndarray:
        """Funding of each village when village i holds post ``post[i]`` (an index into the county's posts)."""
        city, strong = self.county.city[post], self.county.strong[post]
        return self.county.funding * np.exp(self._index(city, strong) - self.base_index)

    def gains(self, funding: np.ndarray) -> np.ndarray:
        """Change in each village's collective income (万元 per year) against the status quo."""
        return _income_gain(self.county.income, self.theta, funding, self.base_asinh)

    def post_kinds(self) -> np.ndarray:
        """Return the kind of each post: 2 × city-level + strong (0–3)."""
        return self.county.city.astype(np.intp) * 2 + self.county.strong.astype(np.intp)

    def gain_by_kind(self) -> np.ndarray:
        """Return the gain of village i holding a post of kind k (villages × 4 kinds)."""
        county = self.county
        city, strong = np.array([[0.0, 0.0, 1.0, 1.0]]), np.array([[0.0, 1.0, 0.0, 1.0]])
        index = _funding_index(self.c.city, self.c.strong, self.c.city_x_rich, city, strong, county.rich[:, None])
        funding = county.funding[:, None] * np.exp(index - self.base_index[:, None])
        return _income_gain(county.income[:, None], self.theta[:, None], funding, self.base_asinh[:, None])

    def gain_matrix(self) -> np.ndarray:
        """Return the gain of village i holding post j (villages × posts)."""
        return self.gain_by_kind()[:, self.post_kinds()]

    def strength_order(self) -> np.ndarray:
        """Return the posts from the strongest down: city-level first, then strong departments (the paper's ranking).

        The ranking is by the post's attributes, not by estimated funding multipliers, so that "the strongest
        units" means the same in every draw.
        """
        county = self.county
        score = 2 * county.city.astype(int) + county.strong.astype(int)
        return np.lexsort((np.arange(county.size), -score))


def need_based_assignment(gain_by_kind: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """Return the post of each village maximising the total gain (``scipy.optimize.linear_sum_assignment``).

    Posts of one kind are interchangeable, so the villages × posts assignment problem is solved in an exact,
    smaller form: taking the most common kind as the base, only the other ("scarce") posts are assigned, each to
    a different village, to maximise the gain over the base kind; the villages left take the base posts. The
    total is the same as the full problem's (Σ base gains + the scarce posts' extra gains), and the rectangular
    problem (scarce posts × villages) is several times faster than the square one.
    """
    from scipy.optimize import linear_sum_assignment

    n = len(kinds)
    counts = np.bincount(kinds, minlength=gain_by_kind.shape[1])
    base = int(np.argmax(counts))
    scarce = np.flatnonzero(kinds != base)
    post = np.empty(n, dtype=np.intp)
    if scarce.size == 0:
        return np.arange(n)
    extra = (gain_by_kind[:, kinds[scarce]] - gain_by_kind[:, [base]]).T  # scarce posts × villages
    rows, cols = linear_sum_assignment(extra, maximize=True)
    post[cols] = scarce[rows]
    taken = np.zeros(n, dtype=bool)
    taken[cols] = True
    post[~taken] = np.flatnonzero(kinds == base)
    return post


def _ranked(posts: np.ndarray, villages: np.ndarray) -> np.ndarray:
    post = np.empty(len(villages), dtype=np.intp)
    post[villages] = posts
    return post


PolicyFunction = Callable[[County, Simulator], np.ndarray]


def builtin_policies() -> dict[str, PolicyFunction]:
    """Return the built-in policies as functions (county, simulator) → post of each village.

    ``benefits_all`` keeps the posts (it changes funding, not units); ``need_based_capped`` takes the need-based
    posts (the cap acts on funding).
    """
    def status_quo(county: County, sim: Simulator) -> np.ndarray:
        return np.arange(county.size)

    def strong_alliance(county: County, sim: Simulator) -> np.ndarray:
        richest = np.lexsort((np.arange(county.size), -county.endowment))
        return _ranked(sim.strength_order(), richest)

    def cadre_reform(county: County, sim: Simulator) -> np.ndarray:
        neediest = np.lexsort((np.arange(county.size), county.endowment))
        return _ranked(sim.strength_order(), neediest)

    def need_based(county: County, sim: Simulator) -> np.ndarray:
        return need_based_assignment(sim.gain_by_kind(), sim.post_kinds())

    return {"status_quo": status_quo, "benefits_all": status_quo, "strong_alliance": strong_alliance,
            "need_based": need_based, "need_based_capped": need_based, "cadre_reform": cadre_reform}


@dataclass(frozen=True)
class PolicyTask:
    """What one worker needs: its counties, the coefficient draws, the policies and the caps."""

    counties: list[County]
    draws: list[Coefficients]
    cap: float = DEFAULT_CAP
    frontier_caps: tuple[float, ...] = FRONTIER_CAPS
    custom: dict[str, np.ndarray] | None = None  # county name → post of each village
    custom_function: PolicyFunction | None = None


#: Village type of (city-level post, rich village) as an index into "ABCD": A city & rich, B rich, C neither, D city.
_TYPE_INDEX = np.array([[2, 1], [3, 0]])


def _cap_rows(funding: np.ndarray, cap: float) -> np.ndarray:
    """Apply :func:`_cap` to every row of a (draws × villages) array at once."""
    if not np.isfinite(cap):
        return funding
    level = cap * funding.mean(axis=1, keepdims=True)
    out = funding.copy()
    for _ in range(funding.shape[1] + 1):
        excess = np.clip(out - level, 0, None).sum(axis=1, keepdims=True)
        if np.all(excess <= 1e-12 * np.maximum(1.0, out.sum(axis=1, keepdims=True))):
            break
        out = np.minimum(out, level)
        below = out < level - 1e-12
        out = out + np.where(below, excess / np.maximum(below.sum(axis=1, keepdims=True), 1), 0.0)
    return out


class _CountyDraws:
    """One county under every coefficient draw at once: (draws × villages) arrays."""

    def __init__(self, county: County, draws: list[Coefficients]) -> None:
        self.county = county
        coef = np.array([[d.city, d.strong, d.city_x_rich, d.theta0, d.theta1] for d in draws])
        self.b_city, self.b_strong, self.b_cxr = coef[:, [0]], coef[:, [1]], coef[:, [2]]
        self.theta = coef[:, [3]] + coef[:, [4]] * county.endowment[None, :]
        self.base_index = self._index(county.city[None, :], county.strong[None, :])
        self.base_asinh = np.arcsinh(county.funding)[None, :]
        self.rows = np.arange(len(draws))[:, None]

    def _index(self, city: np.ndarray, strong: np.ndarray) -> np.ndarray:
        return _funding_index(self.b_city, self.b_strong, self.b_cxr, city, strong, self.county.rich[None, :])

    def funding(self, post: np.ndarray) -> np.ndarray:
        """Funding (draws × villages) when village i holds post ``post[..., i]`` (one row or one per draw)."""
        county = self.county
        return county.funding[None, :] * np.exp(self._index(county.city[post], county.strong[post])
                                                - self.base_index)

    def statistics(self, post: np.ndarray, funding: np.ndarray) -> np.ndarray:
        """Return the summed statistics of :data:`STATISTICS` for every draw (draws × statistics)."""
        county = self.county
        draws = funding.shape[0]
        post = np.broadcast_to(post, funding.shape)
        city, strong = county.city[post], county.strong[post]
        types = _TYPE_INDEX[city.astype(np.intp), np.broadcast_to(county.rich.astype(np.intp), funding.shape)]
        flogf = funding * np.log(np.where(funding > 0, funding, 1.0))
        gains = _income_gain(county.income[None, :], self.theta, funding, self.base_asinh)
        ordered = np.sort(funding, axis=1)
        n = county.size
        totals = funding.sum(axis=1)
        weights = 2 * np.arange(1, n + 1) - n - 1
        with np.errstate(invalid="ignore", divide="ignore"):
            gini = np.where(totals > 0, np.clip(ordered @ weights / (n * totals), 0.0, None), 0.0)
        out = np.empty((draws, len(STATISTICS)))
        out[:, 0] = n
        out[:, 1] = gains.sum(axis=1)
        out[:, 2] = totals
        out[:, 3] = n * gini
        out[:, 4] = funding[:, county.poorest].sum(axis=1)
        out[:, 5] = (county.high_need[None, :] & ~(city | strong)).sum(axis=1)
        out[:, 6] = flogf.sum(axis=1)
        for t in range(4):
            member = types == t
            out[:, 7 + 3 * t] = member.sum(axis=1)
            out[:, 8 + 3 * t] = np.where(member, funding, 0.0).sum(axis=1)
            out[:, 9 + 3 * t] = np.where(member, flogf, 0.0).sum(axis=1)
        return out


def run_counties(seed: int, task: PolicyTask) -> dict[str, np.ndarray]:
    """Sum the statistics of every policy over the task's counties: policy → (draws, statistics).

    Every draw is computed at once per county; only the need-based assignment is solved draw by draw.
    """
    policies = builtin_policies()
    names = [*POLICIES, *(["custom"] if task.custom is not None or task.custom_function is not None else []),
             *(f"frontier_{c:g}" for c in task.frontier_caps)]
    totals = {name: np.zeros((len(task.draws), len(STATISTICS))) for name in names}
    for county in task.counties:
        batch = _CountyDraws(county, task.draws)
        status = np.arange(county.size)
        status_funding = batch.funding(status)
        first = Simulator(county, task.draws[0])
        fixed = {"status_quo": status, "strong_alliance": policies["strong_alliance"](county, first),
                 "cadre_reform": policies["cadre_reform"](county, first)}
        for name, post in fixed.items():
            totals[name] += batch.statistics(post, status_funding if name == "status_quo" else batch.funding(post))
        equal = np.repeat(status_funding.mean(axis=1, keepdims=True), county.size, axis=1)
        totals["benefits_all"] += batch.statistics(status, equal)
        need_post = np.vstack([policies["need_based"](county, Simulator(county, c)) for c in task.draws])
        need_funding = batch.funding(need_post)
        totals["need_based"] += batch.statistics(need_post, need_funding)
        totals["need_based_capped"] += batch.statistics(need_post, _cap_rows(need_funding, task.cap))
        for cap in task.frontier_caps:
            totals[f"frontier_{cap:g}"] += batch.statistics(need_post, _cap_rows(need_funding, cap))
        if task.custom is not None:
            post = task.custom[county.name]
            totals["custom"] += batch.statistics(post, batch.funding(post))
        elif task.custom_function is not None:
            post = np.vstack([task.custom_function(county, Simulator(county, c)) for c in task.draws])
            totals["custom"] += batch.statistics(post, batch.funding(post))
    return totals


@dataclass(frozen=True)
class PolicyResults:
    """Table 9 (policies) and the frontier, with intervals over the coefficient draws."""

    table: pd.DataFrame
    frontier: pd.DataFrame
    draws: int
    counties: int
    villages: int
    backend: str
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)
    cap: float = DEFAULT_CAP

    def tidy(self) -> pd.DataFrame:
        """Policies × measures: estimate (at the estimated coefficients) and the 2.5/97.5 percentiles."""
        return self.table.copy()


def _measures(stats: np.ndarray) -> dict[str, np.ndarray]:
    """Measures from summed statistics (draws × statistics)."""
    col = {name: stats[:, i] for i, name in enumerate(STATISTICS)}
    n, total = col["villages"], col["funding"]
    mean = total / n
    theil = col["sum_flogf"] / total - np.log(mean)
    between = np.zeros_like(total)
    for letter in "ABCD":
        n_g, f_g = col[f"n_{letter}"], col[f"f_{letter}"]
        with np.errstate(divide="ignore", invalid="ignore"):
            part = np.where(f_g > 0, (f_g / total) * np.log((f_g / n_g) / mean), 0.0)
        between += part
    return {"total_gain": col["gain"], "gini_within_county": col["gini_weighted"] / n, "theil": theil,
            "theil_between_types": between, "theil_within_types": theil - between,
            "share_poorest_40": col["poorest_funding"] / total,
            "high_need_without_strong": col["high_need_without_strong"], "total_funding": total}


def summarise(totals: dict[str, np.ndarray]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Table rows (policy × measure) and the frontier, from the summed statistics."""
    rows, frontier = [], []
    for name, stats in totals.items():
        for measure, values in _measures(stats).items():
            row = {"policy": name, "measure": measure, "estimate": float(values[0])}
            if len(values) > 1:
                row |= {"conf_low": float(np.percentile(values[1:], 2.5)),
                        "conf_high": float(np.percentile(values[1:], 97.5))}
            else:
                row |= {"conf_low": np.nan, "conf_high": np.nan}
            (frontier if name.startswith("frontier_") else rows).append(row)
    table = pd.DataFrame(rows)
    table.insert(1, "label", table["policy"].map(POLICY_LABELS))
    front = pd.DataFrame(frontier)
    front.insert(1, "cap", front["policy"].str.removeprefix("frontier_").astype(float))
    return table, front


def simulate_policies(counties: list[County], models: PolicyModels, *, draws: int = 200, seed: int = 0,
                      cap: float = DEFAULT_CAP, workers: int = 0, scheduler: str | None = None,
                      custom: dict[str, np.ndarray] | None = None, custom_function: PolicyFunction | None = None,
                      counties_per_task: int | None = None, client: object = None, pool: str = "dask"
                      ) -> PolicyResults:
    """Run every policy on every county for the estimate and ``draws`` coefficient draws.

    Parameters
    ----------
    counties : list of County
        From :func:`counties_from_panel`.
    models : PolicyModels
        From :func:`estimate_policy_models`.
    draws, seed : int
        Parametric-bootstrap draws of the coefficients, from one seed.
    cap : float
        The pooling policy's cap (multiple of the county mean funding); must be at least 1.
    workers, scheduler :
        As every study command: 0 serial, K a local Dask cluster of K processes, or an existing scheduler.
    custom, custom_function :
        A user policy: posts per county (from :func:`assignments_policy`) or a function (county, simulator) →
        post of each village (must be picklable to run on a cluster).
    counties_per_task : int, optional
        Counties per task (default: the counties split into :data:`TASKS` tasks, whatever the workers).
    client : distributed.Client, optional
        An already connected Dask client (reused, not closed).
    pool : {"dask", "fork"}
        How K local workers start (see :func:`villageaid.executor.run_tasks`); the results are the same.
    """
    import time

    from villageaid.executor import run_tasks

    if not cap >= 1:
        raise ValueError(f"the cap must be at least 1 (the county mean), got {cap}")
    if draws < 0:
        raise ValueError("draws must be zero or more")
    started = time.perf_counter()
    coefficient_draws = models.draws(draws, seed)
    # Task boundaries do not depend on the number of workers, so the sums over tasks are added in the same order
    # and serial and parallel runs give bit-identical numbers.
    size = counties_per_task or max(1, -(-len(counties) // TASKS))
    chunks = [counties[i:i + size] for i in range(0, len(counties), size)]
    tasks = [(PolicyTask(chunk, coefficient_draws, cap, FRONTIER_CAPS,
                         None if custom is None else {c.name: custom[c.name] for c in chunk}, custom_function),)
             for chunk in chunks]
    run = run_tasks(run_counties, len(tasks), root_seed=seed, task_args=tasks, workers=workers,
                    scheduler=scheduler, client=client, pool=pool)
    if run.failures:
        raise RuntimeError("policy simulation failed in " + "; ".join(
            f"task {f.index}: {f.error.splitlines()[0]}" for f in run.failures))
    totals = {name: sum(result[name] for result in run.results) for name in run.results[0]}
    table, frontier = summarise(totals)
    notes = [f"High infrastructure need: {counties[0].need_definition}."] if counties else []
    unfunded = sum(int((c.funding <= 0).sum()) for c in counties)
    if unfunded:
        notes.append(f"{unfunded} villages had no funding in any transition year: under the multiplicative "
                     "allocation model their funding stays zero whatever post they hold (only the equal split and "
                     "pooling give them money).")
    return PolicyResults(table, frontier, draws, len(counties), sum(c.size for c in counties), run.backend,
                         time.perf_counter() - started, tuple(notes), cap)
