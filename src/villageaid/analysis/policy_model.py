"""What the policy simulator predicts for one county: money that follows the posts, returns of four shapes, welfare.

A county's money is fixed. Each village's mean transition-period funding F⁰ᵢ (万元 a year) is split in two by the
allocation model (PPML of funding on the first secretary's level, strength and level × rich village, transition
years): the money its post brings, Mⱼ = F⁰ⱼ·max(0, 1 − exp(−ηⱼ)) with ηⱼ the post's linear index at the village that
holds it now (the part of the funding the model attributes to a city-level or strong-department post against a
county-level general one), and the rest, Aᵢ = F⁰ᵢ − Mᵢ, which stays with the village. When posts move, their money
moves with them: village i holding post j gets Aᵢ + Mⱼ. The county's total Σ F⁰ is unchanged by construction (the
budget-neutral reading of the allocation model: a city-level post brings its money to whichever village holds it,
it does not create money). A policy that creates posts (the cadre reform) gives each new high-level post the mean
money of the county's high-level posts and scales every village's own money Aᵢ by the same factor so that the total
stays fixed. Policies that set money directly (the campaign logic, county pooling) give each village a planned amount,
again summing to the county's total.

Returns. Collective income (万元) and per-capita income (元) respond to funding F in one of four shapes
(:data:`SHAPES`), each anchored at the village's observed mean Y⁰ᵢ under its status-quo funding:

* ``concave`` — the estimated H10 model: log Y rises by θᵢ·asinh(F), θᵢ = θ₀ + θ₁·endowment index, so
  Yᵢ(F) = Y⁰ᵢ·exp(θᵢ·(asinh F − asinh F⁰ᵢ)); diminishing returns, lower (with θ₁ < 0) in better-endowed villages.
  θᵢ is held at 0 where the linear interaction would make it negative (at the ends of the endowment range): a
  counterfactual in which more money lowers a village's income would rest on extrapolation alone;
* ``linear`` — constant returns, the same everywhere: Yᵢ(F) = Y⁰ᵢ + b·(F − F⁰ᵢ), b the concave model's marginal
  return Y⁰ᵢθᵢ/√(1 + F⁰ᵢ²) averaged over the county's villages (so a budget-neutral reallocation leaves the
  county's total unchanged);
* ``complementarity`` — returns rising with endowment, as the county officials believe (the ``complementarity``
  simulated scenario): the concave form with θᵢ = max(0, θ₀ + |θ₁|·endowment index);
* ``lumpy`` — indivisible projects of L 万元: Yᵢ(F) = Y⁰ᵢ + b·L·(⌊F/L⌋ − ⌊F⁰ᵢ/L⌋), money returns only in whole
  projects.

Welfare. Per-capita income enters need-weighted Atkinson welfare: W = Σ ωᵢ·u_ε(yᵢ) with u_ε(y) = y^(1−ε)/(1−ε)
(log y at ε = 1) and weights ωᵢ = populationᵢ × (1 + needᵢ), needᵢ ∈ [0, 1] the village's mean gap on the need list
(需求清单); it is reported as its equally distributed equivalent income (元 per person), whose change against the
status quo is the welfare gain. Incomes a shape would drive below 1% of their observed level are held there.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: The return shapes, in the order tables print them; ``concave`` is the estimated model.
SHAPES = ("concave", "linear", "complementarity", "lumpy")
SHAPE_LABELS = {"concave": "concave (estimated: asinh, θ falling with endowment)",
                "linear": "linear (the same return everywhere)",
                "complementarity": "complementarity (returns rising with endowment)",
                "lumpy": "lumpy projects (returns in whole projects only)"}
DEFAULT_SHAPE = "concave"
#: The coefficients drawn for the uncertainty: allocation (PPML) and the two H10 return models.
COEFFICIENTS = ("city", "strong", "city_x_rich", "theta0", "theta1", "theta0_per_capita", "theta1_per_capita")
#: Resource types of the resource list used by the simulator, in the order of :attr:`CountyUnits.capacity`.
UNIT_RESOURCE_COLUMNS = ("money", "technical", "market", "cadre")
#: Slots matched to needs by type (资源类型 → 需求维度); money follows the posts and cadres are the posts.
SLOT_TYPES = ("technical", "market")
#: Lowest per-capita income a shape can predict, as a share of the village's observed one.
INCOME_FLOOR = 0.01


@dataclass(frozen=True)
class PolicySettings:
    """The simulator's parameters: welfare, bottom line, projects, caps, the cadre reform and 开源.

    Attributes
    ----------
    epsilon : float
        Inequality aversion of the Atkinson welfare (≥ 0; 1 is log utility).
    bottom_line : float or None
        The bottom line of per-capita income (元); None: ``bottom_line_share`` × the median village's status-quo
        per-capita income over all counties.
    bottom_line_share : float
        Share of the median used when ``bottom_line`` is None.
    project_size : float
        Size L of an indivisible project (万元 a year): a 50万 project spread over a team's two-year minimum term.
    cap : float
        County pooling's concentration cap: no village more than ``cap`` × the county's mean funding in projects.
    curve_caps : tuple of float
        Caps of the pooling curve.
    campaign_cap : float
        The campaign's most for one village in its bottom-line stage, as a multiple of the county's mean funding
        (the campaign avoided 过度帮扶).
    opening_share : float
        开源: the added social or market channel, as a share of the county's total funding.
    ordinary_team_size : int
        The cadre reform's team size for ordinary (non-key) villages.
    cadre_cost : dict of str to float
        Yearly cost of a cadre by the level of its unit (a county cadre = 1); members count as county cadres.
    """

    epsilon: float = 1.0
    bottom_line: float | None = None
    bottom_line_share: float = 0.8
    project_size: float = 25.0
    cap: float = 2.0
    curve_caps: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 4.0, np.inf)
    campaign_cap: float = 3.0
    opening_share: float = 0.1
    ordinary_team_size: int = 2
    cadre_cost: dict[str, float] = field(default_factory=lambda: {
        "central": 2.0, "provincial": 2.0, "city": 1.5, "county": 1.0, "township": 1.0})

    def __post_init__(self) -> None:
        problems = []
        if not (np.isfinite(self.epsilon) and self.epsilon >= 0):
            problems.append(f"epsilon must be finite and ≥ 0, got {self.epsilon!r}")
        if self.bottom_line is not None and not (np.isfinite(self.bottom_line) and self.bottom_line > 0):
            problems.append(f"bottom_line must be a positive income in 元, got {self.bottom_line!r}")
        if not (0 < self.bottom_line_share <= 2):
            problems.append(f"bottom_line_share must be in (0, 2], got {self.bottom_line_share!r}")
        if not (np.isfinite(self.project_size) and self.project_size > 0):
            problems.append(f"project_size must be positive (万元), got {self.project_size!r}")
        for name in ("cap", "campaign_cap"):
            if not getattr(self, name) >= 1:
                problems.append(f"{name} must be at least 1 (a multiple of the county mean), got "
                                f"{getattr(self, name)!r}")
        if any(not c >= 1 for c in self.curve_caps):
            problems.append(f"every cap of the curve must be at least 1, got {self.curve_caps!r}")
        if not (0 <= self.opening_share <= 1):
            problems.append(f"opening_share must be in [0, 1], got {self.opening_share!r}")
        if self.ordinary_team_size < 1:
            problems.append(f"ordinary_team_size must be at least 1, got {self.ordinary_team_size!r}")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class CountyUnits:
    """The resource list (资源清单) of the units holding first-secretary posts in one county.

    Attributes
    ----------
    unit_id : numpy.ndarray
        The units (object), in order.
    capacity : numpy.ndarray
        Units × :data:`UNIT_RESOURCE_COLUMNS`: the county's share of each unit's yearly capacity (a unit posting
        in several counties has its capacity split by its first-secretary posts, whole slots by largest
        remainder); NaN where the list names no such resource.
    spare_cadres : numpy.ndarray
        Cadre slots beyond the cadres the unit has in post now (its county share, ≥ 0).
    high_level : numpy.ndarray
        Whether the unit is city-level or higher.
    post_unit : numpy.ndarray
        For each status-quo post (village order), the index of its unit.
    """

    unit_id: np.ndarray
    capacity: np.ndarray
    spare_cadres: np.ndarray
    high_level: np.ndarray
    post_unit: np.ndarray


@dataclass(frozen=True)
class County:
    """One county's villages and their status-quo first-secretary posts (arrays in village order).

    Post j is the post village j holds in the status quo; a policy gives each village the index of a post.
    """

    name: str
    village_id: np.ndarray
    unit_id: np.ndarray  # status-quo first secretary's unit of each village (its post)
    level: np.ndarray  # level of that unit (central … township)
    city: np.ndarray  # the post is city-level or higher
    strong: np.ndarray  # the post is from a strong department
    rich: np.ndarray
    endowment: np.ndarray
    funding: np.ndarray  # mean transition funding (万元 a year, ≥ 0)
    income: np.ndarray  # mean transition collective income (万元)
    per_capita: np.ndarray  # mean transition per-capita income (元, > 0)
    population: np.ndarray
    need: np.ndarray  # need score in [0, 1]: the mean gap of the need list (or its stand-in)
    poorest: np.ndarray  # among the county's poorest 40% by endowment
    high_need: np.ndarray  # among the county's neediest third by need score
    team_size: np.ndarray  # cadres in the village's team (first secretary included)
    gaps: np.ndarray | None = None  # villages × need dimensions (NaN: not assessed); None without a need list
    units: CountyUnits | None = None  # None without a resource list
    need_definition: str = "need list (mean gap)"

    @property
    def size(self) -> int:
        """Number of villages."""
        return len(self.village_id)

    @property
    def total(self) -> float:
        """The county's total funding (万元 a year), which every policy keeps."""
        return float(self.funding.sum())

    def strength_order(self) -> np.ndarray:
        """Return the posts from the strongest down: city-level or higher first, then strong departments.

        The ranking is by the post's attributes, not by estimated money, so "the strongest posts" means the same
        in every draw; ties keep the village order.
        """
        score = 2 * self.city.astype(int) + self.strong.astype(int)
        return np.lexsort((np.arange(self.size), -score))

    def need_order(self) -> np.ndarray:
        """Return the villages from the neediest down (need score; ties: lower endowment first, then order)."""
        return np.lexsort((np.arange(self.size), self.endowment, -self.need))

    def richest_order(self) -> np.ndarray:
        """Return the villages from the best endowed down (ties in village order)."""
        return np.lexsort((np.arange(self.size), -self.endowment))


def utility(income: np.ndarray, epsilon: float) -> np.ndarray:
    """Atkinson utility u_ε(y) = y^(1−ε)/(1−ε), log y at ε = 1 (incomes > 0)."""
    if epsilon == 1.0:
        return np.log(income)
    return income ** (1.0 - epsilon) / (1.0 - epsilon)


def equivalent_income(mean_utility: np.ndarray, epsilon: float) -> np.ndarray:
    """Invert :func:`utility`: the income whose utility is ``mean_utility`` (the equally distributed equivalent)."""
    if epsilon == 1.0:
        return np.exp(mean_utility)
    return ((1.0 - epsilon) * mean_utility) ** (1.0 / (1.0 - epsilon))


class CountyModel:
    """A county's predicted money and incomes under one return shape, for a batch of coefficient draws.

    Arrays are draws × villages (or draws × posts). A planning model is the same with one row.

    Parameters
    ----------
    county : County
    coefficients : numpy.ndarray
        Draws × :data:`COEFFICIENTS`.
    shape : str
        One of :data:`SHAPES`.
    settings : PolicySettings
    """

    def __init__(self, county: County, coefficients: np.ndarray, shape: str, settings: PolicySettings) -> None:
        if shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")
        coefficients = np.atleast_2d(np.asarray(coefficients, dtype=float))
        self.county, self.shape, self.settings = county, shape, settings
        c = {name: coefficients[:, [k]] for k, name in enumerate(COEFFICIENTS)}
        index = c["city"] * county.city + c["strong"] * county.strong + c["city_x_rich"] * (county.city & county.rich)
        #: Money each post brings (draws × posts) and money each village keeps (draws × villages).
        self.post_money = county.funding * np.clip(-np.expm1(-index), 0.0, None)
        self.own_money = county.funding - self.post_money
        self.weights = county.population * (1.0 + county.need)
        e = county.endowment
        self._asinh_funding = np.arcsinh(county.funding)  # used by every call of level(): computed once
        self._theta = {}
        self._slope = {}
        for outcome, base, t0, t1 in (("collective", county.income, c["theta0"], c["theta1"]),
                                      ("per_capita", county.per_capita, c["theta0_per_capita"],
                                       c["theta1_per_capita"])):
            concave = np.clip(t0 + t1 * e, 0.0, None)  # money never lowers an income (see the module docstring)
            self._theta[outcome] = (np.clip(t0 + np.abs(t1) * e, 0.0, None) if shape == "complementarity"
                                    else concave)
            marginal = base * concave / np.sqrt(1.0 + county.funding ** 2)
            self._slope[outcome] = marginal.mean(axis=1, keepdims=True)

    @property
    def draws(self) -> int:
        """Number of coefficient rows."""
        return self.post_money.shape[0]

    def level(self, outcome: str, funding: np.ndarray) -> np.ndarray:
        """Predicted collective (万元) or per-capita (元) income of each village under ``funding``.

        ``funding`` broadcasts against draws × villages (its last axis is the villages).
        """
        county = self.county
        base = county.income if outcome == "collective" else county.per_capita
        if self.shape in ("concave", "complementarity"):
            return base * np.exp(self._theta[outcome] * (np.arcsinh(funding) - self._asinh_funding))
        slope = self._slope[outcome]
        if self.shape == "linear":
            return base + slope * (funding - county.funding)
        size = self.settings.project_size
        return base + slope * size * (np.floor(funding / size) - np.floor(county.funding / size))

    def per_capita(self, funding: np.ndarray) -> np.ndarray:
        """Per-capita income (元), held at :data:`INCOME_FLOOR` of its observed level at least."""
        return np.maximum(self.level("per_capita", funding), INCOME_FLOOR * self.county.per_capita)

    def welfare_value(self, funding: np.ndarray) -> np.ndarray:
        """Need-weighted utility ωᵢ·u_ε(yᵢ) of each village under ``funding``."""
        return self.weights * utility(self.per_capita(funding), self.settings.epsilon)

    def funding_for(self, target: float) -> np.ndarray:
        """Return the least funding that lifts each village's predicted per-capita income to ``target`` (元).

        0 where the village reaches it with no money; ``inf`` where no amount does. Uses the first row.
        """
        county = self.county
        base = county.per_capita
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if self.shape in ("concave", "complementarity"):
                theta = self._theta["per_capita"][0]
                step = np.log(target / base) / theta
                need = np.sinh(np.arcsinh(county.funding) + step)
                need = np.where(theta > 0, need, np.where(base >= target, 0.0, np.inf))
            else:
                slope = float(self._slope["per_capita"][0, 0])
                if self.shape == "linear":
                    need = county.funding + (target - base) / slope if slope > 0 else np.full(county.size, np.inf)
                else:
                    size = self.settings.project_size
                    projects = np.floor(county.funding / size) + np.ceil((target - base) / (slope * size))
                    need = projects * size if slope > 0 else np.full(county.size, np.inf)
        reached_without = self.per_capita(np.zeros(county.size))[0] >= target
        need = np.where(reached_without, 0.0, need)
        return np.where(np.isnan(need), np.inf, np.clip(need, 0.0, None))


@dataclass(frozen=True)
class Allocation:
    """What a policy decides for one county.

    Attributes
    ----------
    post : numpy.ndarray
        For each village, the index of the status-quo post it holds (its unit and the money the post brings), or
        -1 for a high-level post the policy creates (with the mean money of the county's high-level posts).
    funding : numpy.ndarray or None
        Planned funding of each village (万元 a year), summing to the county's total, for a policy that sets the
        money; None when the money follows the posts.
    team_size : numpy.ndarray or None
        Cadres in each village's team (None: as now).
    added : numpy.ndarray or None
        Money of an added channel (开源, 万元 a year), on top of the county's total.
    gaps_served : tuple of float or None
        Need gaps met by the units' technical and market slots and the gaps those slot types could meet (the
        two lists' type-specific coverage); None without the two lists.
    """

    post: np.ndarray
    funding: np.ndarray | None = None
    team_size: np.ndarray | None = None
    added: np.ndarray | None = None
    gaps_served: tuple[float, float] | None = None

    def post_city(self, county: County) -> np.ndarray:
        """Whether each village's post is city-level or higher (a created post is)."""
        return np.where(self.post >= 0, county.city[np.maximum(self.post, 0)], True)

    def money(self, model: CountyModel) -> np.ndarray:
        """Funding of each village (draws × villages) under the model's draws; sums to the county's total."""
        county = model.county
        if self.funding is not None:
            return np.broadcast_to(self.funding, (model.draws, county.size)).copy()
        held = self.post >= 0
        if held.all() and np.array_equal(np.sort(self.post), np.arange(county.size)):
            return model.own_money + model.post_money[:, self.post]  # a permutation: Σ M unchanged
        high = county.city
        mean_high = (np.where(high, model.post_money, 0.0).sum(axis=1, keepdims=True) / max(int(high.sum()), 1))
        money = np.where(held, model.post_money[:, np.maximum(self.post, 0)], mean_high)
        own = model.own_money.sum(axis=1, keepdims=True)
        scale = np.where(own > 0, (county.total - money.sum(axis=1, keepdims=True)) / np.where(own > 0, own, 1.0),
                         1.0)
        return np.clip(scale, 0.0, None) * model.own_money + money
