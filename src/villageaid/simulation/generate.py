"""Simulated default data: a documented data-generating process calibrated to the paper.

The process (data/README.md) follows Lan & Cheng's account of two western counties:

1. A latent endowment drives each village's observed baseline (population, 2015 poverty rate and status,
   distance, terrain, 2020 collective income, industry, road). The endowment index and the rich flag
   used below are computed from these observables by the same functions the panel uses, so the true
   effects written to ``truth.json`` are effects of the variables the analysis sees.
2. Dispatching units are assigned in two rounds: at the start of the campaign (late 2015) and in the
   nationwide re-selection of May–June 2021. In each round P(city-level unit) = expit(a + γ·index), with
   γ < 0 in the campaign (strong units to poor villages, 雨露均沾) and γ > 0 after 2021 (强强联合); the
   unit's strength follows the same pattern. Units are fixed within a round; their cadres rotate.
3. Demonstration villages are designated in waves from 2021, with a hazard rising in endowment and level.
4. Funding from each source (unit, county, higher government, social) is zero with a fixed probability
   and otherwise log-normal with a persistent (AR(1)) shock, with E[amount | X] = base_s ·
   exp(year + county×year + village effect + X·β_period + demonstration effect). The expectation is
   exactly log-linear, so PPML recovers β; "strong alliance" is β(city × rich) > 0 after 2021, and the
   demonstration effect grows with years since designation (强者愈强).
5. Outcomes respond to funding (H10): log collective and per-capita income by θ·asinh(funding), θ falling with
   the endowment index; the unit acts only through its funding; bad years lower incomes and raise county
   funding (endogeneity). Industry still active follows a logit in endowment and funding.
6. The two lists (两张清单), drawn from a stream of their own so that the six tables do not change: each
   village's need list gives a gap in [0, 1] on each need dimension, expit of a logit linear in the latent need,
   the endowment index and deep poverty, its main need carrying its largest gap; each unit with postings lists
   its money budget and technical and market slots, rising with its level and department strength, and cadre
   slots covering the cadres it has in post at once in the assignments' latest year.

Every parameter is a field of :class:`Scenario`; :func:`simulate` returns the raw tables and the
truth (parameters and the true value of each effect the hypothesis tests estimate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.special import expit, logit

from villageaid.config import DEFAULT_SEED
from villageaid.io.lists import posts_in_latest_year
from villageaid.panel.endowment import endowment_index, need_index, rich_flag
from villageaid.schema import (
    FUNDING_SOURCES,
    NEED_DIMENSIONS,
    NEED_TYPES,
    PROJECT_NEED,
    RESOURCE_SERVES,
    RESOURCE_TYPES,
    UNIT_STRENGTHS,
)
from villageaid.simulation.scenarios import Scenario, SimulatedData, seed_true

# Departments by strength class (强势职能部门 / 一般部门 / 边缘部门), used to name simulated units.
_DEPARTMENTS = {
    "strong": ("发展和改革委员会", "财政局", "交通运输局", "农业农村局", "住房和城乡建设局", "水利局"),
    "general": ("民政局", "教育局", "卫生健康委员会", "商务局", "文化和旅游局", "人力资源和社会保障局",
                "自然资源局", "生态环境局"),
    "marginal": ("档案局", "地方志办公室", "科学技术协会", "妇女联合会", "文学艺术界联合会", "残疾人联合会"),
}
_PROJECT_TYPES = {
    "unit": ("industry", "infrastructure", "public_service", "consumption_assistance"),
    "county": ("infrastructure", "industry", "housing", "water"),
    "higher": ("infrastructure", "industry", "water", "education"),
    "social": ("donation", "industry", "education"),
}

def _intercept_for_share(index: np.ndarray, slope: float, share: float) -> float:
    """Intercept a with mean(expit(a + slope·index)) = share in this sample."""
    from scipy.optimize import brentq  # imported here: scipy.optimize is slow to import and used once

    return float(brentq(lambda a: expit(a + slope * index).mean() - share, -30.0, 30.0, xtol=1e-12))


def _text_of(values: object, positions: np.ndarray) -> pa.Array:
    """Arrow strings ``values[positions]`` (a short list of names picked per row), without Python strings."""
    return pa.array(list(values), type=pa.string()).take(pa.array(positions))


def _number_text(numbers: np.ndarray, width: int = 0) -> pa.Array:
    """Whole numbers (not negative) as Arrow text, left-padded with zeros to ``width`` as ``str.zfill`` does."""
    text = pc.cast(pa.array(numbers), pa.string())
    return pc.utf8_lpad(text, width, "0") if width > 1 else text


def _joined(*parts: object) -> pa.Array:
    """Concatenate Arrow string arrays and fixed strings elementwise.

    Done with Arrow's kernels because pandas' text arithmetic (``+``, ``str.cat``) on numbers turned to text makes
    one Python string per cell and per step: seconds at the national scale for the same values.
    """
    return pc.binary_join_element_wise(*parts, "")


def _where(condition: np.ndarray, if_true: object, if_false: object) -> pa.Array:
    """Elementwise choice between Arrow strings or fixed strings (``np.where`` for text)."""
    return pc.if_else(pa.array(condition), if_true, if_false)


def _as_text(values: pa.Array | np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Pandas text (``str``, Arrow-backed) from Arrow strings or a NumPy string array, as a frame would store it."""
    return pd.array(values if isinstance(values, pa.Array) else pa.array(values, type=pa.string()), dtype="str")


def _villages(s: Scenario, rng: np.random.Generator, rng_need: np.random.Generator
              ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Draw the villages table; return it, each village's county number and its latent need."""
    n = s.n_villages
    county = np.repeat(np.arange(len(s.villages_per_county)), s.villages_per_county)
    within = np.concatenate([np.arange(v) for v in s.villages_per_county])
    sizes = np.asarray(s.villages_per_county)[county]
    n_town = np.asarray(s.townships_per_county)[county]
    township = within * n_town // sizes
    township_offset = np.concatenate([[0], np.cumsum(s.townships_per_county)[:-1]])
    township_shift = rng.normal(0, s.township_endowment_sd, int(sum(s.townships_per_county)))
    latent = rng.normal(0, 1, n) + township_shift[township_offset[county] + township]
    population = np.round(np.exp(7.0 + 0.2 * latent + rng.normal(0, 0.4, n))).astype(np.int64)
    # Need (the 2015 register, monitored households, infrastructure gaps) has its own latent factor, correlated
    # with the endowment's but not its mirror.
    rho = s.need_endowment_correlation
    need = rho * latent / latent.std() + math.sqrt(1 - rho**2) * rng_need.normal(0, 1, n)
    poverty_rate = np.round(expit(-1.5 + 0.8 * need + rng.normal(0, 0.3, n)), 4)
    poor = rng.random(n) < expit(0.4 + 1.5 * need)
    monitored = rng_need.poisson(population / 3.5 * expit(-3.5 + 0.8 * need))
    gaps = rng_need.binomial(6, expit(-1.2 + 0.8 * need - 0.4 * latent))
    # The main need of the village's need list: infrastructure where gaps are many, industry where the endowment
    # is good, public services otherwise (with noise).
    scores = np.column_stack([0.8 * latent, 0.5 * gaps - 1.0, np.zeros(n)]) + rng_need.gumbel(0, 1, (n, 3))
    main_need = np.asarray(NEED_TYPES)[np.argmax(scores, axis=1)]
    distance = np.round(np.exp(3.0 - 0.3 * latent + rng.normal(0, 0.4, n)), 1)
    terrain_score = -latent + rng.normal(0, 0.8, n)
    terrain = np.select([terrain_score < -0.8, terrain_score < 0.5], ["plain", "hill"], "mountain")
    income = np.round(np.exp(1.5 + 0.8 * latent + rng.normal(0, 0.5, n)), 2)
    industry = rng.random(n) < expit(-0.5 + 1.2 * latent)
    road = rng.random(n) < expit(1.5 + 1.0 * latent)
    names = _text_of(s.county_names, county)
    width = len(str(max(s.villages_per_county)))
    # Text columns are built as Arrow strings (pandas text) without a Python string per cell: a round trip through
    # millions of Python strings costs seconds at the national scale and gives the same column.
    village_id = _joined(names, _number_text(within + 1, width))
    township_id = _joined(names, "-T", _number_text(township + 1, 2))
    villages = pd.DataFrame({
        "village_id": _as_text(village_id),
        "county": _as_text(names),
        "township": _as_text(township_id),
        "population": population,
        "poor_village_2015": poor.astype(np.int64),
        "poverty_rate_2015": poverty_rate,
        "distance_to_county_km": distance,
        "terrain": _as_text(terrain),
        "collective_income_2020": income,
        "industry_base": industry.astype(np.int64),
        "road_access": road.astype(np.int64),
        "monitored_households": monitored.astype(np.int64),
        "infrastructure_gaps": gaps.astype(np.int64),
        "main_need": _as_text(main_need),
    })
    return villages, county, need


@dataclass(frozen=True)
class _Round:
    """One assignment round (campaign or transition): per-village level and strength and unit index."""

    city: np.ndarray
    strength: np.ndarray  # 0 strong, 1 general, 2 marginal
    unit: np.ndarray  # index into the units table
    team_units: np.ndarray  # (n, team_members) indices into the units table
    members_score: np.ndarray  # mean strength score of the members (strong 2, general 1, marginal 0)


def _draw_round(s: Scenario, index: np.ndarray, slope_city: float, slope_strong: float,
                rng: np.random.Generator, hidden: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draw each village's unit level and strength; ``hidden`` (slope × unobserved factor) shifts both logits."""
    n = len(index)
    if hidden is None:
        a_city = _intercept_for_share(index, slope_city, s.city_unit_share)
        city = rng.random(n) < expit(a_city + slope_city * index)
        a_strong = _intercept_for_share(index, slope_strong, s.strong_unit_share)
        strong = rng.random(n) < expit(a_strong + slope_strong * index)
    else:  # the predictors include the factor the researcher does not observe (hidden_selection)
        city_index, strong_index = slope_city * index + hidden, slope_strong * index + hidden
        city = rng.random(n) < expit(_intercept_for_share(city_index, 1.0, s.city_unit_share) + city_index)
        strong = rng.random(n) < expit(_intercept_for_share(strong_index, 1.0, s.strong_unit_share) + strong_index)
    marginal = ~strong & (rng.random(n) < s.marginal_share_of_not_strong)
    strength = np.where(strong, 0, np.where(marginal, 2, 1))
    return city, strength


def _units_and_rounds(s: Scenario, county: np.ndarray, index: np.ndarray, rng: np.random.Generator,
                      hidden: np.ndarray) -> tuple[pd.DataFrame, dict[str, _Round]]:
    selection = s.hidden_selection * hidden if s.hidden_selection else None
    draws = {
        "campaign": _draw_round(s, index, s.assignment_slope_campaign, s.strength_slope_campaign, rng),
        "transition": _draw_round(s, index, s.assignment_slope_transition, s.strength_slope_transition, rng,
                                  selection),
    }
    n_counties = len(s.county_names)
    city_of_county = np.arange(n_counties) // s.counties_per_city
    n_cities = int(city_of_county.max()) + 1
    # Pools: high-level units per (city, strength) and county units per (county, strength).
    high_group = city_of_county[county]
    pools: list[tuple[str, int, int, int]] = []  # (kind, group, strength, size)
    need_high = np.zeros((n_cities, 3))
    need_county = np.zeros((n_counties, 3))
    for city, strength in draws.values():
        need_high = np.maximum(need_high, np.histogram2d(high_group[city], strength[city],
                                                         bins=[np.arange(n_cities + 1), np.arange(4)])[0])
        need_county = np.maximum(need_county, np.histogram2d(county[~city], strength[~city],
                                                             bins=[np.arange(n_counties + 1), np.arange(4)])[0])
    # County pools also post the team members; give them room for a third of the team too.
    team_need = np.bincount(county, minlength=n_counties) * s.team_members / 3.0
    offsets_high = np.zeros((n_cities, 3), dtype=np.int64)
    offsets_county = np.zeros((n_counties, 3), dtype=np.int64)
    sizes_high = np.maximum(1, np.ceil(need_high / s.villages_per_unit)).astype(np.int64)
    sizes_county = np.maximum(1, np.ceil((need_county + team_need[:, None] / 3) / s.villages_per_unit)).astype(
        np.int64)
    total = 0
    for g in range(n_cities):
        for k in range(3):
            offsets_high[g, k] = total
            total += sizes_high[g, k]
            pools.append(("high", g, k, int(sizes_high[g, k])))
    for c in range(n_counties):
        for k in range(3):
            offsets_county[c, k] = total
            total += sizes_county[c, k]
            pools.append(("county", c, k, int(sizes_county[c, k])))
    # Unit attributes.
    kind = np.concatenate([np.full(size, kd == "high") for kd, _, _, size in pools])
    group = np.concatenate([np.full(size, g) for _, g, _, size in pools])
    strength = np.concatenate([np.full(size, k) for _, _, k, size in pools])
    number = np.concatenate([np.arange(size) for *_, size in pools])
    u = rng.random(total)
    level = np.where(
        kind,
        np.where(u < s.central_share_of_high, "central",
                 np.where(u < s.central_share_of_high + s.provincial_share_of_high, "provincial", "city")),
        "county",
    )
    sector = rng.choice(np.array(["party", "government", "enterprise", "public_institution"]), total,
                        p=[0.15, 0.55, 0.15, 0.15])
    # Identifiers and Chinese names of the units, built column-wise as Arrow strings (hundreds of thousands at
    # national scale; see _joined).
    n_depts = np.array([len(_DEPARTMENTS[name]) for name in UNIT_STRENGTHS])
    first_dept = np.concatenate([[0], np.cumsum(n_depts)[:-1]])
    dept = _text_of([d for name in UNIT_STRENGTHS for d in _DEPARTMENTS[name]],
                    first_dept[strength] + number % n_depts[strength])
    repeat = number // n_depts[strength]
    suffix = _where(repeat > 0, _joined("(", _number_text(repeat + 1), ")"), "")
    group_text = _number_text(group + 1)
    county_text = _text_of(s.county_names, np.where(kind, 0, group))
    place = _where(level == "central", "国家", _where(level == "provincial", _joined("省", group_text),
                                                     _joined("X", group_text, "市")))
    place = _where(kind, place, _joined(county_text, "县"))
    unit_names = _joined(place, dept, suffix)
    serial = _joined(_number_text(strength), _number_text(number + 1, 3))
    owner = _where(kind, _joined("H", group_text), county_text)
    unit_ids = _joined("U-", owner, "-", serial)
    units = pd.DataFrame({"unit_id": _as_text(unit_ids), "unit_name": _as_text(unit_names), "level": _as_text(level),
                          "sector": _as_text(sector), "strength": _as_text(_text_of(UNIT_STRENGTHS, strength))})
    rounds: dict[str, _Round] = {}
    n = len(county)
    for period, (city, strength_v) in draws.items():
        pick = rng.random(n)
        high_unit = offsets_high[high_group, strength_v] + (pick * sizes_high[high_group, strength_v]).astype(int)
        county_unit = (offsets_county[county, strength_v]
                       + (pick * sizes_county[county, strength_v]).astype(int))
        unit = np.where(city, high_unit, county_unit)
        # Team members come from the county's own departments, any strength; in the 2021 round a city-level
        # secretary's members come from strong departments more often (多级合治).
        team_strength = rng.integers(0, 3, (n, s.team_members))
        if period == "transition":
            strong_member = rng.random((n, s.team_members)) < s.strong_members_with_city
            other = rng.integers(1, 3, (n, s.team_members))
            team_strength = np.where(city[:, None], np.where(strong_member, 0, other), team_strength)
        team_pick = rng.random((n, s.team_members))
        team = (offsets_county[county[:, None], team_strength]
                + (team_pick * sizes_county[county[:, None], team_strength]).astype(int))
        rounds[period] = _Round(city, strength_v, unit, team, (2.0 - team_strength).mean(axis=1))
    return units, rounds


def _lexsort_by_one_key(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """``np.lexsort(keys)`` (the last key primary; ties kept in their order), as one stable sort of a packed key.

    Each integer key is shifted to start at 0 and packed into one int64 in mixed radix (the primary key most
    significant), which orders the rows as the keys do; a stable sort of it gives lexsort's permutation, several
    times faster on millions of rows. Keys too wide to pack fall back to ``np.lexsort``.
    """
    packed = np.zeros(len(keys[0]), dtype=np.int64)
    if len(packed) == 0:
        return np.lexsort(keys)
    spans = [int(key.max()) - int(key.min()) + 1 for key in keys]
    if math.prod(spans) >= 2**62:
        return np.lexsort(keys)
    for key, span in zip(reversed(keys), reversed(spans), strict=True):
        packed *= span
        packed += key.astype(np.int64) - int(key.min())
    return np.argsort(packed, kind="stable")


def _day(year: int, month: int, day: int, shift: np.ndarray) -> np.ndarray:
    return np.datetime64(f"{year:04d}-{month:02d}-{day:02d}") + shift.astype("timedelta64[D]")


def _assignments(s: Scenario, village_index: pd.Index, unit_index: pd.Index, rounds: dict[str, _Round],
                 rng: np.random.Generator) -> pd.DataFrame:
    n = len(village_index)
    start = _day(s.first_year - 1, 10, 1, rng.integers(0, 121, n))
    rotation = _day(s.transition_start, 5, 1, rng.integers(0, 61, n))
    mid_campaign = _day((s.first_year + s.transition_start) // 2, 7, 1, rng.integers(-90, 91, n))
    mid_transition = _day((s.transition_start + s.last_year + 1) // 2, 7, 1, rng.integers(-90, 91, n))
    one = np.timedelta64(1, "D")
    nat = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    pieces = []
    for period, bounds in (("campaign", ((start, mid_campaign - one), (mid_campaign, rotation - one))),
                           ("transition", ((rotation, mid_transition - one), (mid_transition, nat)))):
        r = rounds[period]
        for first, last in bounds:  # first secretaries: two terms a round, same unit
            pieces.append((r.unit, "first_secretary", first, last))
        for m in range(s.team_members):  # team members: one posting a round
            pieces.append((r.team_units[:, m], "team_member", bounds[0][0], bounds[1][1]))
    village_idx = np.tile(np.arange(n), len(pieces))
    unit_idx = np.concatenate([p[0] for p in pieces])
    role_code = np.concatenate([np.full(n, 0 if p[1] == "first_secretary" else 1, dtype=np.int8) for p in pieces])
    start_day = np.concatenate([p[2] for p in pieces])
    start_date = start_day.astype("datetime64[ns]")
    end_date = np.concatenate([p[3] for p in pieces]).astype("datetime64[ns]")
    # Days order the postings as their nanoseconds do (every date is a whole day), and pack into one key.
    order = _lexsort_by_one_key((role_code, start_day.view(np.int64), village_idx))
    del start_day
    width = len(str(len(order)))
    cadre_id = ("K" + pd.Series(np.arange(1, len(order) + 1)).astype(str).str.zfill(width)).array
    return pd.DataFrame({
        "cadre_id": cadre_id,
        "unit_id": pd.Categorical.from_codes(unit_idx[order], categories=unit_index),
        "village_id": pd.Categorical.from_codes(village_idx[order], categories=village_index),
        "role": pd.Categorical.from_codes(role_code[order], categories=["first_secretary", "team_member"]),
        "start_date": start_date[order],
        "end_date": end_date[order],
    })


def _designations(s: Scenario, villages: pd.DataFrame, index: np.ndarray, city_transition: np.ndarray,
                  rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    n = len(index)
    cohort = np.zeros(n, dtype=np.int64)
    for year, hazard in zip(s.demonstration_cohorts, s.demonstration_hazard, strict=True):
        p = expit(logit(hazard) + s.demonstration_slope_endowment * index
                  + s.demonstration_slope_city * city_transition)
        new = (cohort == 0) & (rng.random(n) < p)
        cohort[new] = year
    poverty = villages["poverty_rate_2015"].to_numpy()
    deep = poverty >= np.quantile(poverty, 1 - s.deep_poverty_share)
    key = index <= np.quantile(index, s.key_assistance_share)
    vid = villages["village_id"].to_numpy()
    frames = [
        pd.DataFrame({"village_id": vid[deep], "year": 2017, "kind": "deep_poverty"}),
        pd.DataFrame({"village_id": vid[key], "year": s.transition_start, "kind": "key_assistance"}),
        pd.DataFrame({"village_id": vid[cohort > 0], "year": cohort[cohort > 0], "kind": "demonstration"}),
    ]
    table = pd.concat(frames, ignore_index=True).sort_values(["year", "kind", "village_id"], kind="mergesort")
    return table.reset_index(drop=True), cohort, deep


def _neighbours_designated(township: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Share of the other villages of each village's township designated by each year (0 for designated ones)."""
    codes, _ = pd.factorize(township)
    size = np.bincount(codes)[codes].astype(float)
    designated = np.zeros((codes.max() + 1, treated.shape[1]))
    np.add.at(designated, codes, treated.astype(float))
    others = (designated[codes] - treated) / np.maximum(size - 1, 1)[:, None]
    return np.where(treated, 0.0, others)


def _need_list(s: Scenario, villages: pd.DataFrame, latent_need: np.ndarray, index: np.ndarray, deep: np.ndarray,
               rng: np.random.Generator, village_index: pd.Index) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Draw the needs table (需求清单): a gap on every dimension of every village, the main need's the largest."""
    n, k = len(villages), len(NEED_DIMENSIONS)
    coef = np.array([row[1:] for row in s.need_gap_coefficients], dtype=float)  # (dimension, 3)
    eta = (coef[None, :, 0] + coef[None, :, 1] * latent_need[:, None] + coef[None, :, 2] * index[:, None]
           + s.need_gap_deep_poverty * deep[:, None] + rng.normal(0, s.need_gap_noise_sd, (n, k)))
    main = pd.Categorical(villages["main_need"], categories=list(NEED_DIMENSIONS)).codes.astype(np.int64)
    rows = np.arange(n)
    others = eta.copy()
    others[rows, main] = -np.inf
    eta[rows, main] = np.maximum(eta[rows, main], others.max(axis=1) + s.need_gap_main_premium)
    # Gaps to 0.001; the main need stays the largest after rounding (others at most 0.999, the main need at least
    # 0.001 above them).
    gap = np.minimum(np.round(expit(eta), 3), 0.999)
    rounded_others = gap.copy()
    rounded_others[rows, main] = -np.inf
    gap[rows, main] = np.round(np.maximum(np.round(expit(eta[rows, main]), 3),
                                          rounded_others.max(axis=1) + 0.001), 3)
    needs = pd.DataFrame({
        "village_id": pd.Categorical.from_codes(np.repeat(rows, k), categories=village_index),
        "dimension": pd.Categorical.from_codes(np.tile(np.arange(k), n), categories=list(NEED_DIMENSIONS)),
        "gap": gap.ravel(),
        "year": np.full(n * k, s.transition_start, dtype=np.int64),
    })
    truth = {
        "model": ("gap = expit(eta), eta = intercept_d + latent_need_d × latent need + endowment_index_d × endowment "
                  "index + deep_poverty × deep-poverty village + N(0, noise_sd²), for village i and dimension d; the "
                  "main need's eta is raised to max(the village's other eta) + main_need_premium where it is lower. "
                  "Gaps are rounded to 0.001, the others capped at 0.999 and the main need's kept at least 0.001 "
                  "above them, so the main need (villages.main_need) always carries the largest gap. The latent "
                  "need (standard deviation 1) drives the 2015 register, monitored households and infrastructure "
                  "gaps as well; the analysis's need_index is built from those."),
        "coefficients": {row[0]: {"intercept": row[1], "latent_need": row[2], "endowment_index": row[3]}
                         for row in s.need_gap_coefficients},
        "deep_poverty": s.need_gap_deep_poverty,
        "noise_sd": s.need_gap_noise_sd,
        "main_need_premium": s.need_gap_main_premium,
        "year": int(s.transition_start),
        "realized": {
            "mean_gap": {d: float(gap[:, j].mean()) for j, d in enumerate(NEED_DIMENSIONS)},
            "correlation_with_latent_need": {d: float(np.corrcoef(gap[:, j], latent_need)[0, 1]) if n > 1 else None
                                             for j, d in enumerate(NEED_DIMENSIONS)},
            "share_main_need_largest": float((gap[rows, main] > rounded_others.max(axis=1)).mean()) if n else None,
        },
    }
    return needs, truth


def _resource_list(s: Scenario, units: pd.DataFrame, assignments: pd.DataFrame, rng: np.random.Generator,
                   ids: pd.Index) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Draw the unit_resources table (资源清单) for every unit with postings: money, technical, market, cadre.

    ``ids`` is the units' identifiers as an index (the categories of the assignments' ``unit_id``).
    """
    # The assignments' unit_id is a categorical whose categories are ``ids`` (the units' rows, in order), so its
    # codes are the units' positions: the units with postings and their values are found by position, without
    # looking up hundreds of thousands of identifiers as text.
    unit_codes = assignments["unit_id"].cat.codes.to_numpy()
    if not assignments["unit_id"].cat.categories.equals(ids):
        raise ValueError("the assignments' unit_id categories must be the units' identifiers")
    with_posts = np.zeros(len(units), dtype=bool)
    with_posts[unit_codes[unit_codes >= 0]] = True
    m = int(with_posts.sum())
    level_codes, level_names = pd.factorize(units["level"][with_posts])
    strength_codes, strength_names = pd.factorize(units["strength"][with_posts])

    def by_value(codes: np.ndarray, names: pd.Index, pairs: tuple[tuple[str, float], ...]) -> np.ndarray:
        """Each unit's value of ``pairs`` by its level or strength (NaN where none), as ``Series.map`` gives."""
        lookup = dict(pairs)
        return np.array([lookup.get(name, np.nan) for name in names], dtype=float)[codes]

    shift = by_value(strength_codes, strength_names, s.unit_resource_strength)

    def by_level(pairs: tuple[tuple[str, float], ...]) -> np.ndarray:
        return by_value(level_codes, level_names, pairs)

    budget = np.round(by_level(s.unit_budget_by_level) * np.exp(shift + rng.normal(0, s.unit_budget_log_sd, m)), 1)
    technical = rng.poisson(by_level(s.unit_technical_by_level) * np.exp(shift))
    market = rng.poisson(by_level(s.unit_market_by_level) * np.exp(shift))
    posts_year, posts = posts_in_latest_year(assignments)
    current_all = np.zeros(len(units), dtype=np.int64)
    current_all[ids.get_indexer(posts.index)] = posts.to_numpy(dtype=np.int64)  # units with a post in posts_year
    current = current_all[with_posts]
    cadre = current + rng.poisson(s.cadre_spare_slots, m)
    capacity = np.column_stack([budget, technical, market, cadre]).astype(float)  # RESOURCE_TYPES order
    k = len(RESOURCE_TYPES)
    resources = pd.DataFrame({
        "unit_id": pd.Categorical.from_codes(np.repeat(np.arange(m), k), categories=ids[with_posts]),
        "resource_type": pd.Categorical.from_codes(np.tile(np.arange(k), m), categories=list(RESOURCE_TYPES)),
        "capacity": capacity.ravel(),
    })
    levels = [lv for lv, _ in s.unit_budget_by_level if lv in level_names]
    truth = {
        "model": ("For every unit with a posting in the assignments: money = median_level × exp(strength + "
                  "N(0, budget_log_sd²)) 万元 a year, rounded to 0.1; technical ~ Poisson(technical_level × "
                  "exp(strength)); market ~ Poisson(market_level × exp(strength)); cadre = the cadres the unit has "
                  "in post at once in posts_year (villageaid.io.lists.posts_in_latest_year) + Poisson(cadre_spare_"
                  "slots). strength is the log multiplier of the unit's department strength."),
        "budget_median_by_level": dict(s.unit_budget_by_level),
        "technical_mean_by_level": dict(s.unit_technical_by_level),
        "market_mean_by_level": dict(s.unit_market_by_level),
        "strength_log_multiplier": dict(s.unit_resource_strength),
        "budget_log_sd": s.unit_budget_log_sd,
        "cadre_spare_slots": s.cadre_spare_slots,
        "posts_year": posts_year,
        "serves": {kind: list(dims) for kind, dims in RESOURCE_SERVES.items()},
        "realized": {
            "units": int(m),
            "units_without_postings": int(len(units) - m),
            "mean_capacity_by_level": {lv: {kind: float(capacity[level_codes == level_names.get_loc(lv), j].mean())
                                            for j, kind in enumerate(RESOURCE_TYPES)} for lv in levels},
            "cadre_slots_above_posts": int((cadre - current).sum()),
        },
    }
    return resources, truth


def simulate(scenario: Scenario | None = None, *, seed: int = DEFAULT_SEED) -> SimulatedData:
    """Simulate the raw tables (the six of the records and the two lists) and the truth.

    Parameters
    ----------
    scenario : Scenario, optional
        Parameters; :func:`~villageaid.simulation.scenarios.seed_true` by default.
    seed : int
        Root seed; each component draws from its own stream spawned from it, so the same seed gives
        the same data.

    Returns
    -------
    SimulatedData
    """
    s = scenario or seed_true()
    # Streams 0–4 are those of the first version of the process; later mechanisms draw from their own, so the
    # seed_true data do not change when one is added (a child of SeedSequence.spawn depends on its position only).
    streams = [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(8)]
    rng_villages, rng_assign, rng_design, rng_funding, rng_outcomes, rng_need, rng_hidden, rng_lists = streams
    villages, county, latent_need = _villages(s, rng_villages, rng_need)
    index_series = endowment_index(villages)
    index = index_series.to_numpy()
    need_score = need_index(villages).to_numpy()
    rich = rich_flag(index_series, villages["county"], quantile=s.rich_quantile).to_numpy(dtype=bool)
    hidden = rng_hidden.normal(0, 1, s.n_villages)  # a village trait the records do not show (hidden_selection)
    units, rounds = _units_and_rounds(s, county, index, rng_assign, hidden)
    # The village and unit identifiers as indexes, made once: every table's categorical shares them (pandas
    # checks an index's uniqueness once, not once per table).
    village_index = pd.Index(villages["village_id"].to_numpy(), dtype=object)
    unit_index = pd.Index(units["unit_id"].to_numpy(), dtype=object)
    assignments = _assignments(s, village_index, unit_index, rounds, rng_assign)
    designations, cohort, deep = _designations(s, villages, index, rounds["transition"].city, rng_design)

    n, years = s.n_villages, s.years
    n_years = len(years)
    post = years >= s.transition_start
    # Per-village, per-year regressors.
    city = np.where(post[None, :], rounds["transition"].city[:, None], rounds["campaign"].city[:, None])
    strong = np.where(post[None, :], (rounds["transition"].strength == 0)[:, None],
                      (rounds["campaign"].strength == 0)[:, None])
    members = np.where(post[None, :], rounds["transition"].members_score[:, None],
                       rounds["campaign"].members_score[:, None])
    log_mean = np.zeros((n, n_years))
    for period, mask in (("campaign", ~post), ("transition", post)):
        b = s.coefficients(period)
        part = (b["city_unit"] * city + b["rich"] * rich[:, None] + b["city_x_rich"] * city * rich[:, None]
                + b["strong_unit"] * strong + b["endowment_index"] * index[:, None]
                + b["need_index"] * need_score[:, None]
                + b["deep_poverty"] * deep[:, None] + b["members_strength"] * members
                + b["city_x_members_strength"] * city * (members - 1.0))
        log_mean[:, mask] = part[:, mask]
    county_matching = np.where(post[None, :], s.county_matching_city_transition,
                               s.county_matching_city_campaign) * city
    poor_2015 = villages["poor_village_2015"].to_numpy(dtype=bool)
    if s.former_poor_effect_transition:  # need_decline: former poor villages' needs met after 2020
        log_mean[:, post] += s.former_poor_effect_transition * poor_2015[:, None]
    if s.hidden_funding_effect:  # hidden_selection: the unobserved trait also draws funding
        log_mean += s.hidden_funding_effect * hidden[:, None]
    county_year = rng_funding.normal(0, s.county_year_sd, (len(s.county_names), n_years))
    village_effect = rng_funding.normal(-s.village_effect_sd**2 / 2, s.village_effect_sd, n)
    log_mean += np.asarray(s.year_effects)[None, :] + county_year[county] + village_effect[:, None]
    event_time = years[None, :] - cohort[:, None]
    treated = (cohort[:, None] > 0) & (event_time >= 0)
    demo_effect = np.where(treated, s.demonstration_effect + s.demonstration_effect_growth * event_time, 0.0)
    diverted = (_neighbours_designated(villages["township"].to_numpy(), treated) if s.designation_spillover
                else np.zeros((n, n_years)))
    base = dict(s.base_funding)
    zero = dict(s.zero_probability)
    # The years are simulated in order, one year of every village at a time. The loop below works on year-major
    # arrays (years × villages, names ending in _by_year), where a year is contiguous, instead of a column of a
    # village-major array read with a stride: the same values, elementwise, without the strided passes over
    # memory. The results are made village-major again after the loop.
    amounts_by_year = {source: np.zeros((n_years, n)) for source in FUNDING_SOURCES}
    shocks, positive, projects = {}, {}, {}
    sd, rho = s.funding_log_sd, s.funding_persistence
    project_types = sorted({t for kinds in _PROJECT_TYPES.values() for t in kinds})
    # The need each project type serves, as a code into NEED_TYPES (-1: none), compared below with the village's
    # main need's code: the same matches as comparing the names, without millions of string comparisons.
    serves = np.array([NEED_TYPES.index(PROJECT_NEED[t]) if PROJECT_NEED.get(t) in NEED_TYPES else -1
                       for t in project_types])
    for source in FUNDING_SOURCES:  # shocks, positive and projects year-major (the same draws, transposed)
        shock = np.empty((n_years, n))
        shock[0] = rng_funding.normal(0, sd, n)
        innovations = rng_funding.normal(0, sd * math.sqrt(1 - rho**2), (n, n_years))
        for t in range(1, n_years):
            shock[t] = rho * shock[t - 1] + innovations[:, t]
        shocks[source] = shock
        positive[source] = np.ascontiguousarray((rng_funding.random((n, n_years)) >= zero[source]).T)
        kinds = np.array([project_types.index(t) for t in _PROJECT_TYPES[source]])
        projects[source] = np.ascontiguousarray(kinds[rng_funding.integers(0, len(kinds), (n, n_years))].T)

    # Outcomes respond to this year's funding with diminishing returns (asinh), less so in richer villages
    # (H10); a bad year (a high county-funding shock) also lowers incomes, so funding is endogenous. The share of
    # the year's funding whose projects serve no need of the village's need list lowers incomes (低效 as mismatch).
    # Funding responds to last year's growth of collective income (强者愈强: results attract resources), so the
    # years are simulated in order.
    need_by_year = s.outcome_need_shock * shocks["county"] / sd
    since_2020 = years[None, :] - (s.transition_start - 1)
    theta_collective = s.collective_income_response + s.collective_income_response_endowment * index
    theta_per_capita = s.per_capita_income_response + s.per_capita_income_response_endowment * index
    noise_collective = rng_outcomes.normal(0, 0.12, (n, n_years))
    noise_per_capita = rng_outcomes.normal(0, 0.06, (n, n_years))
    main_need = pd.Categorical(villages["main_need"], categories=list(NEED_TYPES)).codes.astype(np.int64)
    feedback = np.where(post, s.performance_feedback_transition, s.performance_feedback_campaign)
    log_collective_by_year = np.zeros((n_years, n))
    log_income_2020 = np.log(villages["collective_income_2020"].to_numpy())  # once, not once a year
    matched_by_year = np.zeros((n_years, n))  # funding whose project serves the village's main need
    recorded_by_year = np.zeros((n_years, n))
    log_mean_by_year = np.ascontiguousarray(log_mean.T)
    del log_mean
    demo_by_year = np.ascontiguousarray(demo_effect.T)
    matching_by_year = np.ascontiguousarray(county_matching.T)
    diverted_by_year = np.ascontiguousarray(diverted.T) if s.designation_spillover else None
    noise_by_year = np.ascontiguousarray(noise_collective.T)
    del noise_collective
    for t in range(n_years):
        if t >= 2 and feedback[t]:
            log_mean_by_year[t] += feedback[t] * (log_collective_by_year[t - 1] - log_collective_by_year[t - 2])
        for source in FUNDING_SOURCES:
            mean = base[source] * np.exp(log_mean_by_year[t] + demo_by_year[t])
            if source == "county" and s.designation_spillover:  # spillover: designation diverts county money
                mean = mean * np.exp(s.designation_spillover * diverted_by_year[t])
            if source == "county":  # 县级配套: the county matches what a city-level unit brings
                mean = mean * np.exp(matching_by_year[t])
            amount = np.where(positive[source][t],
                              mean * np.exp(shocks[source][t] - sd**2 / 2) / (1 - zero[source]), 0.0)
            amounts_by_year[source][t] = amount
            rounded = np.where(np.round(amount, 4) > 0, np.round(amount, 4), 0.0)
            recorded_by_year[t] += rounded
            matched_by_year[t] += np.where(serves[projects[source][t]] == main_need, rounded, 0.0)
        total_t = sum(amounts_by_year[source][t] for source in FUNDING_SOURCES)
        recorded_t, matched_t = recorded_by_year[t], matched_by_year[t]
        unmatched_t = np.where(recorded_t > 0, (recorded_t - matched_t) / np.where(recorded_t > 0, recorded_t, 1.0),
                               0.0)
        log_collective_by_year[t] = (log_income_2020
                                     + s.collective_income_growth * since_2020[0, t]
                                     + theta_collective * (np.arcsinh(total_t) - 3.0) + s.mismatch_cost * unmatched_t
                                     - need_by_year[t] + noise_by_year[t])
    del demo_by_year, matching_by_year, diverted_by_year, noise_by_year
    # Village-major again (villages × years), as every later step reads them.
    log_mean = np.ascontiguousarray(log_mean_by_year.T)
    amounts = {source: np.ascontiguousarray(amounts_by_year.pop(source).T) for source in FUNDING_SOURCES}
    matched = np.ascontiguousarray(matched_by_year.T)
    recorded = np.ascontiguousarray(recorded_by_year.T)
    log_collective = np.ascontiguousarray(log_collective_by_year.T)
    need = np.ascontiguousarray(need_by_year.T)
    del log_mean_by_year, matched_by_year, recorded_by_year, log_collective_by_year, need_by_year
    mean_without_demo = np.exp(log_mean) * (sum(base.values()) + base["county"] * (np.exp(county_matching) - 1))
    total = sum(amounts.values())
    unmatched_share = np.where(recorded > 0, (recorded - matched) / np.where(recorded > 0, recorded, 1.0), 0.0)
    asinh_total = np.arcsinh(total)
    collective = np.exp(log_collective)
    per_capita = s.per_capita_income_base * np.exp(
        0.2 * index[:, None] + s.per_capita_income_growth * (years[None, :] - s.first_year)
        + theta_per_capita[:, None] * (asinh_total - 3.0) + 0.4 * s.mismatch_cost * unmatched_share - need
        + noise_per_capita)

    # Draws and intermediates no later step reads: freed before the tables and the truth are built, so that a
    # national run holds less at its peak (hundreds of MB; no value changes).
    del shocks, positive, log_collective, noise_per_capita, innovations, need, log_mean, strong
    del members, county_matching, event_time, treated, diverted, unmatched_share
    # Funding records: one row per village, year and source with a positive amount.
    fs_unit = np.where(post[None, :], rounds["transition"].unit[:, None], rounds["campaign"].unit[:, None])
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("village", "year", "amount", "source", "project",
                                                          "unit")}
    for code, source in enumerate(FUNDING_SOURCES):
        rows, cols = np.nonzero(np.round(amounts[source], 4) > 0)
        parts["village"].append(rows)
        parts["year"].append(years[cols])
        parts["amount"].append(np.round(amounts[source][rows, cols], 4))
        parts["source"].append(np.full(len(rows), code, dtype=np.int8))
        parts["project"].append(projects[source][cols, rows])  # year-major
        parts["unit"].append(fs_unit[rows, cols] if source == "unit" else np.full(len(rows), -1))
    # Each column's pieces are joined, ordered and made a column in turn, each intermediate freed as soon as it is
    # used (7 million records: hundreds of MB less at the national peak; the same table).
    col = {k: np.concatenate(parts.pop(k)) for k in list(parts)}
    order = _lexsort_by_one_key((col["source"], col["year"], col["village"]))
    funding = pd.DataFrame({
        "village_id": pd.Categorical.from_codes(col.pop("village")[order], categories=village_index),
        "year": col.pop("year")[order],
        "amount": col.pop("amount")[order],
        "source": pd.Categorical.from_codes(col.pop("source")[order], categories=list(FUNDING_SOURCES)),
        "project_type": pd.Categorical.from_codes(col.pop("project")[order], categories=project_types),
        "unit_id": pd.Categorical.from_codes(col.pop("unit")[order], categories=unit_index),
    })
    del parts, col, order, projects, fs_unit
    # Industries of weak villages collapse when the campaign's unit leaves at the 2021 rotation.
    unit_left = rounds["campaign"].unit != rounds["transition"].unit
    collapse = s.industry_collapse_weak * (~rich & unit_left)[:, None] * post[None, :]
    industry_probability = expit(s.industry_intercept + s.industry_slope_endowment * index[:, None]
                                 + s.industry_response * (asinh_total - 3.0) + collapse)
    industry = rng_outcomes.random((n, n_years)) < industry_probability
    outcomes = pd.DataFrame({
        "village_id": pd.Categorical.from_codes(np.repeat(np.arange(n), n_years), categories=village_index),
        "year": np.tile(years, n),
        "collective_income": np.round(collective.ravel(), 2),
        "per_capita_income": np.round(per_capita.ravel(), 0),
        "industry_active": industry.ravel().astype(np.int64),
    })
    del collective, per_capita, industry
    tables = {
        "villages": villages,
        "units": units,
        "assignments": assignments,
        "funding": funding,
        "designations": designations,
        "outcomes": outcomes,
    }
    # The two lists (两张清单), from their own stream: the six tables above do not depend on them.
    needs, needs_truth = _need_list(s, villages, latent_need, index, deep, rng_lists, village_index)
    resources, resources_truth = _resource_list(s, units, assignments, rng_lists, unit_index)
    tables["needs"] = needs
    tables["unit_resources"] = resources
    # H10 truth of the arrival of a city-level unit: the same draws with the city-level part of expected
    # funding removed give each village-year's funding without it.
    city_part = np.zeros((n, n_years))
    for period, mask in (("campaign", ~post), ("transition", post)):
        b = s.coefficients(period)
        city_part[:, mask] = (city * (_city_on_total(s, period) + b["city_x_rich"] * rich[:, None]))[:, mask]
    arrival = ~rounds["campaign"].city & rounds["transition"].city
    gain = theta_collective[:, None] * (asinh_total - np.arcsinh(total * np.exp(-city_part)))
    arrival_truth = {
        "cohort": int(s.transition_start),
        "villages": int(arrival.sum()),
        "att_log_collective_income_by_year": {str(int(t)): float(gain[arrival, j].mean()) if post[j] else 0.0
                                              for j, t in enumerate(years)} if arrival.any() else {},
        "note": ("Effect on log collective income of the city-level part of the unit's funding for villages whose "
                 "first secretary is city-level for the first time in the transition round (cohort 2021), "
                 "holding every other draw fixed. Arrival often comes with a change of department strength, "
                 "which Callaway–Sant'Anna counts in the total effect and this number does not."),
    }
    truth = _truth(s, seed, index, rich, rounds, cohort, years, mean_without_demo, demo_effect, amounts, city,
                   poor_2015, theta_collective, theta_per_capita)
    truth["effects"]["H10_arrival"] = arrival_truth
    truth["effects"].update(_new_claims_truth(s, rich, unit_left, post, industry_probability, theta_collective,
                                              matched, recorded))
    truth["effects"]["H7_concentration"] = _concentration_truth(mean_without_demo * np.exp(demo_effect), index,
                                                                need_score, post)
    truth["two_lists"] = {
        "note": ("How the need list (needs, 需求清单) and the resource list (unit_resources, 资源清单) are drawn; "
                 "the need dimensions each resource type serves are fixed (schema.RESOURCE_SERVES)."),
        "needs": needs_truth,
        "unit_resources": resources_truth,
    }
    return SimulatedData(tables, truth)


def _concentration_truth(expected: np.ndarray, index: np.ndarray, need: np.ndarray, post: np.ndarray
                         ) -> dict[str, Any]:
    """Change at 2021 of the concentration index of expected funding, ranked by endowment and from the neediest."""
    from villageaid.estimators.concentration import concentration_indices

    out: dict[str, Any] = {}
    for name, rank_by in (("endowment", index), ("need", -need)):
        yearly = concentration_indices(expected, rank_by)
        out[name] = float(yearly[post].mean() - yearly[~post].mean())
    out["note"] = ("Standard concentration index of each village's expected funding in each year (given its "
                   "draws of units, designation and feedback; without the spillover scenario's diversion), ranked "
                   "by the endowment index and from the neediest; the change is the transition mean minus the "
                   "campaign mean. The estimate uses realised funding, so the truth is approximate.")
    return out


def _city_on_total(s: Scenario, period: str) -> float:
    """Effect of a city-level secretary on log expected total funding: its own plus the county's matching.

    The county multiplies its own funding by exp(matching) where a city-level unit is posted, so expected total
    funding rises by log(1 + w (exp(matching) − 1)) besides the unit's own effect, w the county's share of the
    expected funding (every other term multiplies all sources alike, so the share is the same for every village).
    """
    base = dict(s.base_funding)
    matching = s.county_matching_city_transition if period == "transition" else s.county_matching_city_campaign
    weight = base["county"] / sum(base.values())
    return s.coefficients(period)["city_unit"] + math.log1p(weight * math.expm1(matching))


def _new_claims_truth(s: Scenario, rich: np.ndarray, unit_left: np.ndarray, post: np.ndarray,
                      industry_probability: np.ndarray, theta_collective: np.ndarray, matched: np.ndarray,
                      recorded: np.ndarray) -> dict[str, Any]:
    """Truths of the need, team, county-matching, industry and mismatch claims (the source paper as stated)."""
    bc, bt = s.coefficients("campaign"), s.coefficients("transition")

    def by_period(name: str) -> dict[str, float]:
        return {"campaign": bc[name], "transition": bt[name]}

    def change(probability: np.ndarray, rows: np.ndarray) -> float:
        return float(probability[np.ix_(rows, post)].mean() - probability[np.ix_(rows, ~post)].mean())

    weak_left, strong_left = ~rich & unit_left, rich & unit_left
    collapse = (change(industry_probability, weak_left) - change(industry_probability, strong_left)
                if weak_left.any() and strong_left.any() else None)
    funded = recorded > 0
    return {
        "H2_need_index": by_period("need_index"),
        "H2_deep_poverty": by_period("deep_poverty"),
        "H4_post_x_need_index": bt["need_index"] - bc["need_index"],
        "H11_county_city_unit": {"campaign": bc["city_unit"] + s.county_matching_city_campaign,
                                 "transition": bt["city_unit"] + s.county_matching_city_transition},
        "H11_county_matching_city": {"campaign": s.county_matching_city_campaign,
                                     "transition": s.county_matching_city_transition},
        "H12_members_strength": by_period("members_strength"),
        "H8_city_minus_strong": {"campaign": _city_on_total(s, "campaign") - bc["strong_unit"],
                                 "transition": _city_on_total(s, "transition") - bt["strong_unit"]},
        "H4_post_x_deep_poverty": bt["deep_poverty"] - bc["deep_poverty"],
        "H9_assignment_logit_change": s.assignment_slope_transition - s.assignment_slope_campaign,
        "H6_lagged_growth": {"campaign": s.performance_feedback_campaign,
                             "transition": s.performance_feedback_transition},
        "H6_post_x_lagged_growth": s.performance_feedback_transition - s.performance_feedback_campaign,
        "H12_city_x_members_strength": by_period("city_x_members_strength"),
        "H10_industry_collapse": {
            "logit_shift_weak_after_unit_left": s.industry_collapse_weak,
            "probability_change_weak_minus_rich": collapse,
            "note": ("Among villages whose campaign unit left at the 2021 rotation: the change from the campaign to "
                     "the transition in the mean probability that the assisted industry is still active, in villages "
                     "that are not rich minus rich ones (what the difference in differences of industry_active "
                     "estimates), with every mechanism of the process, funding included."),
        },
        "H10_mismatch": {
            "unmatched_share_on_log_collective_income": s.mismatch_cost,
            "unmatched_share_on_log_per_capita_income": 0.4 * s.mismatch_cost,
            "share_funding_matched": float(matched[funded].sum() / recorded[funded].sum()) if funded.any() else None,
            "note": ("Log collective income falls by mismatch_cost times the share of the year's funding whose "
                     "projects serve no need of the village's need list (log per-capita income by 0.4 times it), "
                     "beside the return theta × asinh(total funding)."),
        },
    }


def _truth(s: Scenario, seed: int, index: np.ndarray, rich: np.ndarray, rounds: dict[str, _Round],
           cohort: np.ndarray, years: np.ndarray, mean_without_demo: np.ndarray, demo_effect: np.ndarray,
           amounts: dict[str, np.ndarray], city: np.ndarray, poor_2015: np.ndarray, theta_collective: np.ndarray,
           theta_per_capita: np.ndarray) -> dict[str, Any]:
    total = sum(amounts.values())
    bc, bt = s.coefficients("campaign"), s.coefficients("transition")
    all_zero = float(np.prod([p for _, p in s.zero_probability]))

    def by_period(name: str) -> dict[str, float]:
        return {"campaign": bc[name], "transition": bt[name]}

    city_total = {period: _city_on_total(s, period) for period in ("campaign", "transition")}

    def types(b: dict[str, float], period: str) -> dict[str, float]:
        return {"A": city_total[period] + b["rich"] + b["city_x_rich"], "B": b["rich"], "D": city_total[period]}

    att_rows = []
    for g in sorted(set(cohort[cohort > 0].tolist())):
        members = cohort == g
        for t_idx, t in enumerate(years):
            gain = mean_without_demo[members, t_idx] * (np.exp(demo_effect[members, t_idx]) - 1)
            att_rows.append({"cohort": int(g), "year": int(t), "att_level": float(gain.mean()),
                             "effect_log": float(demo_effect[members, t_idx].mean())})
    post = years >= s.transition_start
    poor_campaign = poor_2015[:, None] & ~post[None, :]
    vtype = np.select([city & rich[:, None], ~city & rich[:, None], ~city & ~rich[:, None]], ["A", "B", "C"], "D")
    effects = {
        "scale": ("Effects are on the log of expected funding (what PPML estimates). OLS of log(funding) on "
                  "positive amounts has the same slopes; OLS of asinh(funding) has slopes close to "
                  "(1 - share of village-years with no funding) times these, given in asinh_approx."),
        "H1_city_unit": city_total,
        "H1_note": ("The effect of a city-level secretary on total funding: its own (city_unit in the scenario) and "
                    "the county's matching of it (H11), log(1 + w (exp(matching) − 1)) with w the county's share "
                    "of expected funding."),
        "H2_rich": by_period("rich"),
        "H2_endowment_index": by_period("endowment_index"),
        "H3_city_x_rich": by_period("city_x_rich"),
        "H3_type_vs_C": {"campaign": types(bc, "campaign"), "transition": types(bt, "transition")},
        "H4_post_x_city": city_total["transition"] - city_total["campaign"],
        "H4_post_x_rich": bt["rich"] - bc["rich"],
        "H4_post_x_city_x_rich": bt["city_x_rich"] - bc["city_x_rich"],
        "H4_post_x_endowment_index": bt["endowment_index"] - bc["endowment_index"],
        "H4_note": ("The H4 model is exactly specified with village and year effects, city_unit, city × rich, "
                    "strong_unit, post × (city, rich, city × rich, endowment_index) and the demonstration "
                    "indicator (its effect grows with years since designation, see H5)."),
        "H5_demonstration_effect_log": {"at_designation": s.demonstration_effect,
                                        "growth_per_year": s.demonstration_effect_growth},
        "H5_att_gt": att_rows,
        "H5_note": ("att_level is the expected gain in total funding (万元) of cohort g in year t, averaged "
                    "over its villages given their characteristics; 0 before designation."),
        "H6_funding_shock_persistence": s.funding_persistence,
        "H8_city_unit": city_total,
        "H8_strong_unit": by_period("strong_unit"),
        "H9_assignment_logit_slope": {"campaign": s.assignment_slope_campaign,
                                      "transition": s.assignment_slope_transition},
        "H9_strength_logit_slope": {"campaign": s.strength_slope_campaign,
                                    "transition": s.strength_slope_transition},
        "asinh_approx": {
            "share_no_funding": all_zero,
            "H3_city_x_rich_transition": (1 - all_zero) * bt["city_x_rich"],
            "H4_post_x_city_x_rich": (1 - all_zero) * (bt["city_x_rich"] - bc["city_x_rich"]),
            "H4_post_x_rich": (1 - all_zero) * (bt["rich"] - bc["rich"]),
            "H5_at_designation": (1 - all_zero) * s.demonstration_effect,
        },
        "need_decline_former_poor_transition": s.former_poor_effect_transition,
        "spillover_designation_county": s.designation_spillover,
        # no process makes designation lift neighbours' incomes (以点带面); with diversion they fall through the
        # money diverted, by each village's return and county share: no single parameter, so no true value
        "spillover_designation_income": None if s.designation_spillover else 0.0,
        "hidden_selection": {"assignment_slope_transition": s.hidden_selection,
                             "funding_effect": s.hidden_funding_effect},
        "mechanisms_note": ("need_decline_former_poor_transition: effect on log expected funding from the transition "
                            "on of having been a poor village in 2015 (needs met). spillover_designation_county: "
                            "effect on log expected county funding of a village not designated of the share of the "
                            "other villages of its township designated. "
                            "spillover_designation_income: its effect on log collective income (0 without diversion; "
                            "none given with it, as no single parameter sets it). hidden_selection: logit slope of the "
                            "transition round's assignment of city-level units and strong departments on a village "
                            "trait the records lack, and that trait's effect on log expected funding. Where they are "
                            "not zero, the models of the tables omit them: the estimates are then biased for the "
                            "truths above, which is what the scenario shows."),
        "outcomes": {
            "collective_income_response_to_asinh_funding": s.collective_income_response,
            "per_capita_income_response_to_asinh_funding": s.per_capita_income_response,
            "industry_logit_response_to_asinh_funding": s.industry_response,
        },
        "H10_returns": {
            "log_collective_income": {"asinh_funding": s.collective_income_response,
                                      "asinh_funding_x_endowment_index": s.collective_income_response_endowment},
            "log_per_capita_income": {"asinh_funding": s.per_capita_income_response,
                                      "asinh_funding_x_endowment_index": s.per_capita_income_response_endowment},
            "mean_return_log_collective_income": float(np.mean(theta_collective)),
            "mean_return_log_per_capita_income": float(np.mean(theta_per_capita)),
            "note": ("log outcome_it = village effect + year effect + theta_i × asinh(funding_it) − need shock + "
                     "noise, theta_i = asinh_funding + asinh_funding_x_endowment_index × endowment index. The "
                     "dispatching unit affects outcomes only through funding. mean_return_* is theta averaged "
                     "over villages (what IV without the interaction estimates, up to weighting). The return per "
                     "10,000 yuan at funding F is theta_i / sqrt(1 + F^2) in log points."),
        },
    }
    realized = {
        "villages": int(s.n_villages),
        "city_unit_share": {"campaign": float(rounds["campaign"].city.mean()),
                            "transition": float(rounds["transition"].city.mean())},
        "rich_share": float(rich.mean()),
        "type_share_transition": {k: float((vtype[:, post] == k).mean()) for k in "ABCD"},
        "type_share_campaign": {k: float((vtype[:, ~post] == k).mean()) for k in "ABCD"},
        "demonstration_villages_by_cohort": {str(g): int((cohort == g).sum()) for g in s.demonstration_cohorts},
        "share_village_years_without_funding": float((total == 0).mean()),
        "mean_funding_poor_village_campaign": {
            "unit": float(amounts["unit"][poor_campaign].mean()),
            "coordinated": float((total - amounts["unit"])[poor_campaign].mean()),
        },
        "calibration_target_poor_village_campaign": {"unit": 23.0, "coordinated": 71.0},
        "mean_funding_type_A_transition": float(total[(vtype == "A") & post[None, :]].mean())
        if ((vtype == "A") & post[None, :]).any() else None,
    }
    return {
        "simulated": True,
        "note": ("Simulated data from villageaid's documented data-generating process; not real records. "
                 "Effects below are the true values the hypothesis tests estimate."),
        "seed": seed,
        "scenario": s.to_dict(),
        "effects": effects,
        "realized": realized,
    }
