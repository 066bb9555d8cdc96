"""The scenarios of the simulated data: every parameter of the data-generating process, documented.

:class:`Scenario` holds the parameters; :data:`SCENARIOS` names the scenarios the command line offers. The
process itself is in :mod:`villageaid.simulation.generate`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from villageaid.config import DEFAULT_SEED
from villageaid.panel.endowment import DEFAULT_RICH_QUANTILE
from villageaid.schema import FUNDING_SOURCES, NEED_DIMENSIONS, UNIT_LEVELS, UNIT_STRENGTHS

#: The variables whose effects on log expected funding a scenario sets, in order.
COEFFICIENT_NAMES = ("city_unit", "rich", "city_x_rich", "strong_unit", "endowment_index", "need_index",
                     "deep_poverty", "members_strength", "city_x_members_strength")


@dataclass(frozen=True)
class Scenario:
    """All parameters of the data-generating process.

    Money is in 万元. Coefficients are on the log of expected funding (the PPML scale).

    Attributes
    ----------
    name, description : str
        Identification.
    county_names : tuple of str
        Counties, in order.
    villages_per_county, townships_per_county : tuple of int
        Size of each county.
    counties_per_city : int
        Counties sharing one city's pool of city-level units.
    first_year, last_year, transition_start : int
        Years simulated and the first year of the transition period.
    township_endowment_sd : float
        Standard deviation of township shifts of the latent endowment.
    city_unit_share : float
        Expected share of villages whose first secretary comes from a city-level or higher unit.
    central_share_of_high, provincial_share_of_high : float
        Shares of central and provincial units among city-or-above units (the rest are city level).
    assignment_slope_campaign, assignment_slope_transition : float
        Logit slope of P(city-level unit) on the endowment index in each assignment round.
    strong_unit_share : float
        Expected share of first secretaries from strong departments.
    strength_slope_campaign, strength_slope_transition : float
        Logit slope of P(strong department) on the endowment index.
    marginal_share_of_not_strong : float
        Share of marginal departments among units that are not strong.
    team_members : int
        Team members besides the first secretary (about 3 cadres a village).
    villages_per_unit : float
        Villages supported by one dispatching unit on average.
    rich_quantile : float
        Quantile of the county's endowment index at or above which a village is rich.
    base_funding : tuple of (str, float)
        Expected funding per year by source for the reference village (county-level, general-strength
        unit, poor, index 0, not a demonstration village) in the campaign's first year.
    zero_probability : tuple of (str, float)
        Probability that a source gives nothing to a village in a year.
    funding_log_sd : float
        Standard deviation of the log of positive amounts around their mean.
    funding_persistence : float
        AR(1) coefficient of that log shock from one year to the next.
    village_effect_sd : float
        Standard deviation of the village effect on log expected funding.
    year_effects : tuple of float
        Log multiplier of expected funding for each year (first_year … last_year).
    county_year_sd : float
        Standard deviation of county × year shocks to log expected funding.
    coefficients_campaign, coefficients_transition : tuple of (str, float)
        Effects on log expected funding of city_unit, rich, city_x_rich, strong_unit, endowment_index, need_index
        (the need gradient: graded targeting, 雨露均沾, when positive), deep_poverty (a deep-poverty village,
        深度贫困村, first), members_strength (the team members' mean strength score, strong 2 … marginal 0) and
        city_x_members_strength (多级合治: a city-level secretary with strong members; it multiplies city ×
        (members' score − 1), so that city_unit is the effect of a city-level secretary with general members).
    need_endowment_correlation : float
        Correlation of the latent need (which drives the 2015 poverty register, monitored households and
        infrastructure gaps) with the latent endowment (which drives geography and baseline): need is not the
        mirror of endowment.
    strong_members_with_city : float
        In the 2021 round, the probability that a team member of a village with a city-level first secretary
        comes from a strong county department (多级合治); elsewhere members' strength is uniform.
    county_matching_city_campaign, county_matching_city_transition : float
        Extra effect of a city-level first secretary on log expected county funding (县级配套: the county matches
        what a strong unit brings), beyond its effect on every source.
    industry_collapse_weak : float
        From 2021, the shift of the logit of industry still active in villages that are not rich and whose
        campaign unit left at the 2021 rotation (industries collapse when support ends).
    performance_feedback_campaign, performance_feedback_transition : float
        Effect on log expected funding of the village's growth of log collective income in the previous year
        (强者愈强: resources follow results already achieved), in each period.
    mismatch_cost : float
        Effect on log collective income of the share of the year's funding whose projects serve no need the
        village's need list names (低效 as mismatch; 0.4 times it on log per-capita income).
    demonstration_cohorts : tuple of int
        Designation waves.
    demonstration_hazard : tuple of float
        Hazard of designation in each wave for a county-unit village at index 0.
    demonstration_slope_endowment, demonstration_slope_city : float
        Logit slopes of the hazard on the endowment index and on a city-level unit (2021 round).
    demonstration_effect, demonstration_effect_growth : float
        Effect of designation on log expected funding in its first year, and its growth per year since.
    deep_poverty_share, key_assistance_share : float
        Shares of villages designated deep-poverty (2017, highest poverty rates) and key-assistance
        (2021, lowest endowment).
    collective_income_growth : float
        Yearly growth of collective income.
    collective_income_response, collective_income_response_endowment : float
        Return to funding (H10): log collective income rises by θ_i·asinh(funding), with
        θ_i = response + response_endowment × endowment index — diminishing returns in the amount (asinh) and
        lower returns in better-endowed villages when response_endowment < 0 (the efficiency cost of sending
        the money to the rich). Dispatching units raise outcomes only through the funding they bring, which
        makes their level and strength valid instruments.
    per_capita_income_base, per_capita_income_growth : float
        Per-capita income in the first year (元) at index 0 and its growth.
    per_capita_income_response, per_capita_income_response_endowment : float
        The same return for log per-capita income.
    outcome_need_shock : float
        How much a bad year lowers both incomes per standard deviation of the county-funding shock (county top-ups
        go to villages in trouble): funding is endogenous, OLS understates the return, IV does not.
    industry_intercept, industry_slope_endowment, industry_response : float
        Logit model of industry still active on the index and on asinh(funding) − 3.
    former_poor_effect_transition : float
        Effect on log expected funding, from the transition on, of having been a poor village in 2015: their
        needs met, funding falls (``need_decline``; 0 elsewhere).
    designation_spillover : float
        Effect on log expected county funding of a village not (yet) designated of the share of the other
        villages of its township that are designated: designation diverts county money (``spillover``).
    hidden_selection : float
        Logit slope of P(city-level unit) and P(strong department) in the transition round on a village trait
        the records do not show (standard normal; ``hidden_selection``).
    hidden_funding_effect : float
        Effect of that trait on log expected funding in every year.
    need_gap_coefficients : tuple of (str, float, float, float)
        The need list (需求清单): per need dimension (schema.NEED_DIMENSIONS, in order) the intercept and the
        slopes on the latent need and on the endowment index of the logit of the village's gap, gap = expit(η),
        η = intercept + need slope × latent need + endowment slope × endowment index + deep-poverty shift + noise.
    need_gap_deep_poverty : float
        Shift of every dimension's logit gap in a deep-poverty village (深度贫困村).
    need_gap_noise_sd : float
        Standard deviation of the village × dimension noise of the logit gap.
    need_gap_main_premium : float
        The main need (villages.main_need) carries the village's largest gap: its logit is raised to the largest of
        the village's logits plus this premium where it is not already that far above them.
    unit_budget_by_level : tuple of (str, float)
        The resource list (资源清单): median money budget (万元 a year) of a general-strength unit at each level
        (schema.UNIT_LEVELS, in order); log-normal around it.
    unit_technical_by_level, unit_market_by_level : tuple of (str, float)
        Mean technical-assistance and market-channel slots of a general-strength unit at each level (Poisson).
    unit_resource_strength : tuple of (str, float)
        Log multiplier of the budget and of the mean technical and market slots by department strength
        (schema.UNIT_STRENGTHS, in order): strong departments offer more, marginal ones less.
    unit_budget_log_sd : float
        Standard deviation of the log budget around its median.
    cadre_spare_slots : float
        Mean number of cadre slots (Poisson) above the cadres the unit has in post at once in the latest year of
        the assignments, so that its slots always cover its posts.
    """

    name: str
    description: str
    county_names: tuple[str, ...]
    villages_per_county: tuple[int, ...]
    townships_per_county: tuple[int, ...]
    counties_per_city: int = 8
    first_year: int = 2016
    last_year: int = 2025
    transition_start: int = 2021
    township_endowment_sd: float = 0.3
    city_unit_share: float = 0.15
    central_share_of_high: float = 0.01
    provincial_share_of_high: float = 0.25
    assignment_slope_campaign: float = -0.8
    assignment_slope_transition: float = 0.4
    strong_unit_share: float = 0.3
    strength_slope_campaign: float = -0.3
    strength_slope_transition: float = 0.6
    marginal_share_of_not_strong: float = 0.3
    team_members: int = 2
    villages_per_unit: float = 2.0
    rich_quantile: float = DEFAULT_RICH_QUANTILE
    base_funding: tuple[tuple[str, float], ...] = (("unit", 11.5), ("county", 15.0), ("higher", 12.0),
                                                   ("social", 2.4))
    zero_probability: tuple[tuple[str, float], ...] = (("unit", 0.3), ("county", 0.65), ("higher", 0.75),
                                                       ("social", 0.9))
    funding_log_sd: float = 1.0
    funding_persistence: float = 0.5
    village_effect_sd: float = 0.4
    year_effects: tuple[float, ...] = (0.0, 0.1, 0.2, 0.25, 0.25, -0.2, -0.25, -0.3, -0.3, -0.35)
    county_year_sd: float = 0.05
    coefficients_campaign: tuple[tuple[str, float], ...] = (
        ("city_unit", 0.25), ("rich", -0.5), ("city_x_rich", 0.0), ("strong_unit", 0.15),
        ("endowment_index", -0.15), ("need_index", 0.4), ("deep_poverty", 0.3), ("members_strength", 0.1),
        ("city_x_members_strength", 0.0))
    coefficients_transition: tuple[tuple[str, float], ...] = (
        ("city_unit", 0.35), ("rich", 0.3), ("city_x_rich", 0.6), ("strong_unit", 0.15),
        ("endowment_index", 0.25), ("need_index", 0.0), ("deep_poverty", 0.0), ("members_strength", 0.1),
        ("city_x_members_strength", 0.3))
    need_endowment_correlation: float = -0.5
    strong_members_with_city: float = 0.7
    county_matching_city_campaign: float = 0.0
    county_matching_city_transition: float = 0.5
    industry_collapse_weak: float = -1.0
    mismatch_cost: float = -0.15
    performance_feedback_campaign: float = 0.0
    performance_feedback_transition: float = 1.0
    demonstration_cohorts: tuple[int, ...] = (2021, 2022, 2023)
    demonstration_hazard: tuple[float, ...] = (0.04, 0.05, 0.05)
    demonstration_slope_endowment: float = 0.8
    demonstration_slope_city: float = 0.8
    demonstration_effect: float = 0.3
    demonstration_effect_growth: float = 0.1
    deep_poverty_share: float = 0.08
    key_assistance_share: float = 0.10
    collective_income_growth: float = 0.04
    collective_income_response: float = 0.10
    collective_income_response_endowment: float = -0.03
    per_capita_income_base: float = 7000.0
    per_capita_income_growth: float = 0.08
    per_capita_income_response: float = 0.04
    per_capita_income_response_endowment: float = -0.012
    outcome_need_shock: float = 0.15
    industry_intercept: float = 0.5
    industry_slope_endowment: float = 0.5
    industry_response: float = 0.3
    former_poor_effect_transition: float = 0.0
    designation_spillover: float = 0.0
    hidden_selection: float = 0.0
    hidden_funding_effect: float = 0.0
    need_gap_coefficients: tuple[tuple[str, float, float, float], ...] = (
        ("infrastructure", -0.8, 0.8, -0.4), ("industry", -0.4, 0.6, -0.5), ("governance", -1.2, 0.4, -0.1),
        ("public_service", -0.7, 0.7, -0.3), ("monitored_households", -1.0, 1.0, 0.0))
    need_gap_deep_poverty: float = 0.5
    need_gap_noise_sd: float = 0.5
    need_gap_main_premium: float = 0.5
    unit_budget_by_level: tuple[tuple[str, float], ...] = (("central", 500.0), ("provincial", 200.0),
                                                           ("city", 80.0), ("county", 25.0), ("township", 8.0))
    unit_technical_by_level: tuple[tuple[str, float], ...] = (("central", 6.0), ("provincial", 4.0), ("city", 3.0),
                                                              ("county", 1.5), ("township", 0.5))
    unit_market_by_level: tuple[tuple[str, float], ...] = (("central", 5.0), ("provincial", 3.0), ("city", 2.0),
                                                           ("county", 1.0), ("township", 0.3))
    unit_resource_strength: tuple[tuple[str, float], ...] = (("strong", 0.5), ("general", 0.0), ("marginal", -0.5))
    unit_budget_log_sd: float = 0.4
    cadre_spare_slots: float = 0.5

    def __post_init__(self) -> None:
        problems = []
        n_years = self.last_year - self.first_year + 1
        if not (len(self.county_names) == len(self.villages_per_county) == len(self.townships_per_county)):
            problems.append("county_names, villages_per_county and townships_per_county differ in length")
        if len(self.year_effects) != n_years:
            problems.append(f"year_effects has {len(self.year_effects)} values for {n_years} years")
        if not self.first_year < self.transition_start <= self.last_year:
            problems.append("transition_start must lie after first_year and not after last_year")
        if len(self.demonstration_cohorts) != len(self.demonstration_hazard):
            problems.append("demonstration_cohorts and demonstration_hazard differ in length")
        for name in ("city_unit_share", "strong_unit_share", "rich_quantile"):
            if not 0 < getattr(self, name) < 1:
                problems.append(f"{name} must be strictly between 0 and 1")
        if not -1 < self.need_endowment_correlation < 1:
            problems.append("need_endowment_correlation must be strictly between -1 and 1")
        if not 0 <= self.strong_members_with_city <= 1:
            problems.append("strong_members_with_city must lie in [0, 1]")
        for pairs in (self.base_funding, self.zero_probability):
            if tuple(k for k, _ in pairs) != FUNDING_SOURCES:
                problems.append(f"funding parameters must name the sources {FUNDING_SOURCES} in order")
        for pairs in (self.coefficients_campaign, self.coefficients_transition):
            if tuple(k for k, _ in pairs) != COEFFICIENT_NAMES:
                problems.append(f"coefficients must name {COEFFICIENT_NAMES} in order")
        if tuple(row[0] for row in self.need_gap_coefficients) != NEED_DIMENSIONS:
            problems.append(f"need_gap_coefficients must name the need dimensions {NEED_DIMENSIONS} in order")
        for name in ("unit_budget_by_level", "unit_technical_by_level", "unit_market_by_level"):
            pairs = getattr(self, name)
            if tuple(k for k, _ in pairs) != UNIT_LEVELS:
                problems.append(f"{name} must name the unit levels {UNIT_LEVELS} in order")
            elif any(not v >= 0 for _, v in pairs):
                problems.append(f"{name} must be zero or more at every level")
        if tuple(k for k, _ in self.unit_resource_strength) != UNIT_STRENGTHS:
            problems.append(f"unit_resource_strength must name the strengths {UNIT_STRENGTHS} in order")
        for name in ("need_gap_noise_sd", "need_gap_main_premium", "unit_budget_log_sd", "cadre_spare_slots"):
            if not getattr(self, name) >= 0:
                problems.append(f"{name} must be zero or more")
        if any(min(t, v) < 1 for t, v in zip(self.townships_per_county, self.villages_per_county, strict=False)):
            problems.append("every county needs at least one township and one village")
        if problems:
            raise ValueError("invalid scenario: " + "; ".join(problems))

    @property
    def n_villages(self) -> int:
        """Number of villages."""
        return int(sum(self.villages_per_county))

    @property
    def years(self) -> np.ndarray:
        """Simulated years."""
        return np.arange(self.first_year, self.last_year + 1)

    def coefficients(self, period: str) -> dict[str, float]:
        """Effects on log expected funding in ``period`` ("campaign" or "transition")."""
        pairs = self.coefficients_campaign if period == "campaign" else self.coefficients_transition
        return dict(pairs)

    def to_dict(self) -> dict[str, Any]:
        """All parameters as plain JSON-ready values."""
        return asdict(self)


def seed_true() -> Scenario:
    """Return the default edition: the source paper's claims built in, in counties W and P of city X.

    Counties W (150 villages, 10 townships) and P (120 villages, 8), 2016–2025: strong units and funding go to
    poor villages in the campaign and to rich ones after 2021 (the strong alliance), designation draws funding,
    funding is persistent and returns fall with endowment.
    """
    return Scenario(
        name="seed_true",
        description="The source paper's claims built in: two western counties W and P of city X, as in Lan & "
                    "Cheng; 2016–2025.",
        county_names=("W", "P"),
        villages_per_county=(150, 120),
        townships_per_county=(10, 8),
        counties_per_city=2,
    )


def national(n_villages: int = 500_000, *, villages_per_county: int = 175, seed: int = DEFAULT_SEED) -> Scenario:
    """Return a national-scale scenario of ``n_villages`` villages in counties of about ``villages_per_county``.

    County sizes vary (±40%) reproducibly with ``seed``; townships hold about 17 villages each.
    """
    if n_villages < 1:
        raise ValueError("n_villages must be positive")
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    sizes: list[int] = []
    while sum(sizes) < n_villages:
        sizes.append(int(rng.integers(int(villages_per_county * 0.6), int(villages_per_county * 1.4) + 1)))
    sizes[-1] -= sum(sizes) - n_villages
    if sizes[-1] < 1:
        sizes.pop()
        sizes[-1] += n_villages - sum(sizes)
    townships = tuple(max(1, round(s / 17)) for s in sizes)
    width = len(str(len(sizes)))
    return Scenario(
        name="national",
        description=f"National-scale scenario: {n_villages} villages in {len(sizes)} counties, 2016–2025.",
        county_names=tuple(f"C{c:0{width}d}" for c in range(len(sizes))),
        villages_per_county=tuple(sizes),
        townships_per_county=townships,
    )


def _zero(pairs: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
    return tuple((name, 0.0) for name, _ in pairs)


def null() -> Scenario:
    """Return the full null: nothing the source paper claims holds, in the seed_true counties.

    No effect of unit level, strength, richness, the endowment or their combination on funding in either period
    (so no change at 2021), no change of assignment at 2021 (units ignore endowment in both rounds), no capture
    by designation, no persistence of funding beyond village traits and no feedback from results to resources,
    and homogeneous returns — here zero: funding changes no income. Need does not grade funding, teams do not
    matter, the county does not match strong units, industries do not collapse when a unit leaves, and a project
    is worth the same whatever need it serves.
    """
    base = seed_true()
    return replace(base, name="null", description="The full null: no claim of the source paper holds.",
                   coefficients_campaign=_zero(base.coefficients_campaign),
                   coefficients_transition=_zero(base.coefficients_transition),
                   assignment_slope_campaign=0.0, assignment_slope_transition=0.0, strength_slope_campaign=0.0,
                   strength_slope_transition=0.0, demonstration_effect=0.0, demonstration_effect_growth=0.0,
                   funding_persistence=0.0, collective_income_response=0.0, collective_income_response_endowment=0.0,
                   per_capita_income_response=0.0, per_capita_income_response_endowment=0.0, industry_response=0.0,
                   strong_members_with_city=1 / 3, county_matching_city_transition=0.0, industry_collapse_weak=0.0,
                   mismatch_cost=0.0, performance_feedback_transition=0.0)


def complementarity() -> Scenario:
    """Return seed_true with returns to funding that rise with endowment, as the county officials believe."""
    base = seed_true()
    return replace(base, name="complementarity",
                   description="Returns to funding rise with the endowment: the strong alliance is efficient.",
                   collective_income_response_endowment=-base.collective_income_response_endowment,
                   per_capita_income_response_endowment=-base.per_capita_income_response_endowment)


def need_decline() -> Scenario:
    """Return need-based allocation throughout: after 2020 former poor villages get less because needs were met.

    Funding follows the campaign's (pro-poor) coefficients in both periods, with no strong alliance, and units
    are assigned as in the campaign in both rounds; from 2021 villages poor in 2015 get exp(−0.8) of what they
    would. Rich villages' share rises without any turn towards them.
    """
    base = seed_true()
    campaign = tuple((k, 0.0 if k == "city_x_rich" else v) for k, v in base.coefficients_campaign)
    return replace(base, name="need_decline",
                   description="Need-based allocation throughout; after 2020 funding falls in former poor "
                               "villages whose needs were met; no strong alliance.",
                   coefficients_campaign=campaign, coefficients_transition=campaign,
                   assignment_slope_transition=base.assignment_slope_campaign,
                   strength_slope_transition=base.strength_slope_campaign, former_poor_effect_transition=-0.8)


def spillover() -> Scenario:
    """Return seed_true in which designation diverts county money from the other villages of the township."""
    return replace(seed_true(), name="spillover",
                   description="Designation diverts county funding from the other villages of its township.",
                   designation_spillover=-2.0)


def hidden_selection() -> Scenario:
    """Return a scenario where units do nothing, but strong units pick villages on a trait the records lack.

    Unit level, strength, the team's members and their combination with richness have no effect on funding, and
    the county matches nothing; in the 2021 round city-level units and strong departments choose villages on an
    unobserved trait (logit slope 1.5) that also raises their funding (0.5 log points per standard deviation, every
    year). Richness and the endowment act as in seed_true.
    """
    base = seed_true()

    def no_unit_effect(pairs: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
        units = ("city_unit", "strong_unit", "city_x_rich", "members_strength", "city_x_members_strength")
        return tuple((k, 0.0 if k in units else v) for k, v in pairs)

    return replace(base, name="hidden_selection",
                   description="Units have no effect; strong units select villages on an unobserved trait that "
                               "also draws funding.",
                   coefficients_campaign=no_unit_effect(base.coefficients_campaign),
                   coefficients_transition=no_unit_effect(base.coefficients_transition),
                   hidden_selection=1.5, hidden_funding_effect=0.5, county_matching_city_transition=0.0)


def many_counties() -> Scenario:
    """Return seed_true's process in 40 counties of 80 villages (3,200) in five cities: county-level inference."""
    counties = 40
    return replace(seed_true(), name="many_counties",
                   description="The seed_true process in 40 counties of 80 villages (five townships each) of "
                               "five cities.",
                   county_names=tuple(f"K{c + 1:02d}" for c in range(counties)), villages_per_county=(80,) * counties,
                   townships_per_county=(5,) * counties, counties_per_city=8)


#: The scenarios of simulated editions and studies, each with its documented data-generating process.
SCENARIOS = {"seed_true": seed_true, "null": null, "complementarity": complementarity, "need_decline": need_decline,
             "spillover": spillover, "hidden_selection": hidden_selection, "many_counties": many_counties,
             "national": national}

@dataclass(frozen=True)
class SimulatedData:
    """The raw tables (the six of the records and the two lists) and the truth of one simulated data set."""

    tables: dict[str, pd.DataFrame]
    truth: dict[str, Any]
