"""What the policy simulator takes from a panel, the two lists and a user: counties, estimated models, user policies.

:func:`counties_from_panel` gives each county's villages with their transition-period posts, funding, incomes,
population and teams, their needs from the need list (需求清单) and the units' capacities from the resource list
(资源清单) where the records have them; :func:`estimate_policy_models` the allocation (PPML) and the two return (H10
2SLS) models — taken from the H10 analysis when it was estimated already, so a build fits them once;
:func:`assignments_policy` turns a user's assignments table into each county's posts (and funding), or reports every
problem; :func:`policy_lists` gathers the lists and the units' current posts from validated tables.

Without a need list a village's need is the within-county rank of the panel's need index (0 least, 1 most needy);
without a resource list there are no spare cadre slots and no type-specific matching of slots (noted in Table 9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from villageaid.analysis.policy import (
    ALLOCATION_TERMS,
    HIGH_NEED_SHARE,
    POOREST_SHARE,
    RETURN_TERMS,
    County,
    CountyUnits,
    CustomPolicy,
    PolicyInputError,
    PolicyModels,
    PolicyResults,
    PolicySettings,
    simulate_policies,
)
from villageaid.analysis.policy_model import UNIT_RESOURCE_COLUMNS
from villageaid.estimators.limits import MissingDataError, NoVariationError
from villageaid.schema import CITY_OR_ABOVE, NEED_DIMENSIONS

if TYPE_CHECKING:
    from villageaid.analysis.returns import ReturnsResults
    from villageaid.io.lists import TwoLists

#: The outcomes of the return models the simulator predicts.
POLICY_OUTCOME = "log_collective_income"
POLICY_OUTCOME_PER_CAPITA = "log_per_capita_income"
#: How far (万元 a year) a user's county total may be from the status quo's, per village: amounts rounded to
#: 0.01 万元 (100 元), nothing more.
FUNDING_ROUNDING = 0.005


@dataclass(frozen=True)
class PolicyLists:
    """The two lists (两张清单) and the cadres each unit has in post now, as the simulator takes them.

    Attributes
    ----------
    lists : TwoLists
        The validated need and resource lists.
    unit_posts : Series or None
        Cadres each unit has in post at once in the assignments' latest year
        (:func:`villageaid.io.lists.posts_in_latest_year`), indexed by ``unit_id``; spare cadre slots are the
        capacity beyond these. None: the panel's first-secretary posts stand in (members' posts unknown).
    """

    lists: TwoLists
    unit_posts: pd.Series | None = None


def policy_lists(tables: dict[str, pd.DataFrame]) -> PolicyLists | None:
    """Gather the two lists and the units' current posts from validated tables (None when there are no lists)."""
    from villageaid.io.lists import posts_in_latest_year, two_lists

    lists = two_lists(tables)
    if lists.empty:
        return None
    assignments = tables.get("assignments")
    posts = None
    if assignments is not None and {"unit_id", "start_date"} <= set(assignments.columns):
        posts = posts_in_latest_year(assignments)[1]
    return PolicyLists(lists, posts)


def read_policy_lists(folder: object) -> PolicyLists | None:
    """Read the two lists and the assignments of a validated set or a folder of records (None without lists)."""
    from pathlib import Path

    from villageaid.io.problems import DataError
    from villageaid.io.provenance import is_validated_set, read_validated_set
    from villageaid.io.read import read_raw
    from villageaid.schema import RAW_TABLES

    folder = Path(str(folder))
    if is_validated_set(folder):
        columns: dict[str, tuple[str, ...] | None] = {name: () for name in RAW_TABLES}
        columns.update({"needs": None, "unit_resources": None,
                        "assignments": ("village_id", "unit_id", "role", "start_date", "end_date")})
        return policy_lists(read_validated_set(folder, columns))
    raw = read_raw(folder)
    if not raw.report.ok:
        raise DataError(raw.report)
    return policy_lists(raw.tables)


#: Panel columns the allocation and return models use.
MODEL_COLUMNS = ("village_id", "year", "county", "period", "city_unit", "strong_unit", "rich", "endowment_index",
                 "funding_total", "asinh_funding_total", "collective_income", "per_capita_income")
#: Panel columns :func:`counties_from_panel` uses (the optional ones, when the panel has them).
COUNTY_COLUMNS = ("village_id", "year", "county", "period", "first_secretary_unit_id", "first_secretary_level",
                  "city_unit", "strong_unit", "rich", "endowment_index", "funding_total", "collective_income",
                  "per_capita_income")
OPTIONAL_COUNTY_COLUMNS = ("population", "team_size", "need_index")


def read_policy_panel(path: object) -> pd.DataFrame:
    """Read the columns of a panel (Parquet) that the policy simulator uses, and the panel's attributes.

    The national panel has some 45 columns over 5 million village-years; the simulator needs 16 of them, so
    reading only those keeps the peak memory of estimating its models within a few GB.
    """
    import pyarrow.parquet as pq

    present = set(pq.read_schema(str(path)).names)
    wanted = dict.fromkeys([*MODEL_COLUMNS, *COUNTY_COLUMNS, *OPTIONAL_COUNTY_COLUMNS])
    return pd.read_parquet(str(path), columns=[c for c in wanted if c in present])


def _as_float(column: pd.Series) -> np.ndarray:
    """Return a 0/1 (nullable boolean) or numeric column as float64, missing as NaN (as analysis_frame)."""
    return column.astype("Float64").astype(float).to_numpy()


def _allocation_frame(panel: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """Return the allocation model's variables on ``rows`` (the transition years), as the analysis frame has them.

    Only the model's columns, built from the panel's own without copying it (the national panel is large);
    the same values as :func:`villageaid.analysis.variables.analysis_frame` (tested). ``village`` (the cluster)
    keeps the panel's categorical ids: the clusters are numbered by first appearance either way.
    """
    part = panel.loc[rows, ["county", "year", "village_id", "city_unit", "strong_unit", "rich", "endowment_index",
                            "funding_total"]]
    city, strong, rich = (_as_float(part[c]) for c in ("city_unit", "strong_unit", "rich"))
    return pd.DataFrame({"funding_total": part["funding_total"].to_numpy(), "city": city, "strong": strong,
                         "city_x_rich": city * rich, "rich_village": rich,
                         "endowment_index": part["endowment_index"].to_numpy(), "county": part["county"].to_numpy(),
                         "year": part["year"].to_numpy(), "village": part["village_id"].to_numpy()}, copy=False)


def _return_frame(panel: pd.DataFrame, rows: np.ndarray, outcome: str) -> pd.DataFrame:
    """Return one H10 return model's variables on ``rows``, as :func:`~villageaid.analysis.returns.returns_frame`."""
    from villageaid.analysis.returns import FUNDING, INTERACTION

    part = panel.loc[rows, ["village_id", "year", "city_unit", "strong_unit", "endowment_index", FUNDING,
                            outcome.removeprefix("log_")]]
    values = part[outcome.removeprefix("log_")].astype(float)
    endowment = part["endowment_index"]
    city, strong = _as_float(part["city_unit"]), _as_float(part["strong_unit"])
    return pd.DataFrame({outcome: np.log(values.where(values > 0)).to_numpy(), FUNDING: part[FUNDING].to_numpy(),
                         INTERACTION: (part[FUNDING] * endowment).to_numpy(), "city": city, "strong": strong,
                         "city_x_endowment": city * endowment.to_numpy(),
                         "strong_x_endowment": strong * endowment.to_numpy(),
                         "village_id": part["village_id"].to_numpy(), "year": part["year"].to_numpy()}, copy=False)


def estimate_policy_models(panel: pd.DataFrame, returns: ReturnsResults | None = None) -> PolicyModels:
    """Estimate the allocation (PPML, transition years) and the two return (H10 heterogeneity 2SLS) models.

    ``returns`` (the H10 analysis of the same panel) supplies the 2SLS models instead of fitting them again. Each
    model gets a frame of its own columns only, dropped once it is fitted, so the peak memory stays a small
    multiple of one model's data (a panel read with :func:`read_policy_panel` keeps the whole run small).
    """
    from villageaid.analysis.returns import FUNDING, INSTRUMENTS, INTERACTION
    from villageaid.estimators import fepois
    from villageaid.estimators.iv import iv_fe

    missing = [c for c in MODEL_COLUMNS if c not in panel.columns]
    if missing:
        raise MissingDataError(f"the panel lacks the columns {', '.join(missing)} (build it with 'villageaid panel')")
    transition = (panel["period"] == "transition").to_numpy(dtype=bool)
    if not transition.any():
        raise MissingDataError("the panel has no transition-period years (2021 on): the policies reassign its posts")
    frame = _allocation_frame(panel, transition)
    allocation = fepois("funding_total ~ city + strong + city_x_rich + rich_village + endowment_index | county + year",
                        frame, vcov={"CRV1": "village"})
    del frame
    missing = [t for t in ALLOCATION_TERMS if t not in allocation.params.index]
    if missing:
        raise NoVariationError(f"the allocation model cannot estimate {', '.join(missing)} on these data "
                               "(no variation)")
    terms, returns_terms = list(ALLOCATION_TERMS), list(RETURN_TERMS)
    allocation_params, allocation_vcov = allocation.params[terms], allocation.vcov.loc[terms, terms]
    del allocation
    models = {}
    sample = panel["period"].isin(["campaign", "transition"]).to_numpy(dtype=bool)
    for outcome in (POLICY_OUTCOME, POLICY_OUTCOME_PER_CAPITA):
        if returns is not None and outcome in returns.heterogeneity:
            fit = returns.heterogeneity[outcome].iv
        else:
            frame = _return_frame(panel, sample, outcome)
            fit = iv_fe(frame, outcome=outcome, endogenous=[FUNDING, INTERACTION],
                        instruments=[*INSTRUMENTS, *(f"{i}_x_endowment" for i in INSTRUMENTS)],
                        fixed_effects=("village_id", "year"), cluster="village_id").iv
            del frame
        models[outcome] = (fit.params[returns_terms], fit.vcov.loc[returns_terms, returns_terms])
        del fit
    return PolicyModels(allocation_params, allocation_vcov, *models[POLICY_OUTCOME],
                        *models[POLICY_OUTCOME_PER_CAPITA])


def policy_analysis(panel: pd.DataFrame, *, returns: ReturnsResults | None = None, draws: int = 200,
                    seed: int = 0, lists: PolicyLists | None = None,
                    settings: PolicySettings | None = None) -> PolicyResults:
    """Simulate the paper's policies on the panel's counties (Table 9), with ``draws`` coefficient draws.

    ``returns`` (the H10 analysis of the same panel, when it could be estimated) supplies the return models;
    ``lists`` the two lists (from :func:`policy_lists`), without which stand-ins are used (noted).
    """
    return simulate_policies(counties_from_panel(panel, lists), estimate_policy_models(panel, returns), draws=draws,
                             seed=seed, settings=settings)


def _problem(table: str, row: object, column: str, value: object, message: str) -> str:
    """One line of a report: table, row (as a spreadsheet counts it: header = row 1), column and value."""
    if isinstance(value, str):
        shown = repr(value)
    elif isinstance(value, (int, float, np.number)):
        shown = repr(float(value))
    else:
        shown = repr(str(value))
    return f"{table}, row {row}, column {column} = {shown}: {message}"


def _need_scores(villages: pd.DataFrame, lists: PolicyLists | None) -> tuple[pd.Series, pd.DataFrame | None, str]:
    """Each village's need score in [0, 1], its gaps (villages × dimensions) and how the score was defined."""
    if lists is None or lists.lists.needs.empty:
        grouped = villages.groupby("county", sort=True)["need_index"]
        score = (grouped.rank(method="average") - 1) / (grouped.transform("size") - 1).clip(lower=1)
        return (score.fillna(0.5).astype(float), None,
                "no need list (需求清单): the within-county rank of the panel's need index (0 least, 1 most needy)")
    needs = lists.lists.needs.reset_index(drop=True)
    problems = []
    known = set(villages.index)
    ids = needs["village_id"].astype(object).astype(str)
    gap = pd.to_numeric(needs["gap"], errors="coerce")
    for i in np.flatnonzero(~ids.isin(known).to_numpy()):
        problems.append(_problem("needs", i + 2, "village_id", ids.iat[i], "a village the panel does not hold"))
    for i in np.flatnonzero(~gap.between(0, 1).to_numpy()):
        problems.append(_problem("needs", i + 2, "gap", needs["gap"].iat[i], "a gap must be between 0 and 1"))
    dimension = needs["dimension"].astype(object).astype(str)
    for i in np.flatnonzero(~dimension.isin(NEED_DIMENSIONS).to_numpy()):
        problems.append(_problem("needs", i + 2, "dimension", dimension.iat[i],
                                 f"not a need dimension ({', '.join(NEED_DIMENSIONS)})"))
    duplicated = pd.DataFrame({"v": ids, "d": dimension}).duplicated(keep="first").to_numpy()
    for i in np.flatnonzero(duplicated):
        problems.append(_problem("needs", i + 2, "dimension", dimension.iat[i],
                                 f"village {ids.iat[i]!r} has this dimension twice"))
    if problems:
        raise PolicyInputError(f"{len(problems)} problem(s) in the need list:\n" + "\n".join(problems[:50]))
    wide = (pd.DataFrame({"village_id": ids, "dimension": dimension, "gap": gap})
            .pivot(index="village_id", columns="dimension", values="gap")
            .reindex(index=villages.index, columns=list(NEED_DIMENSIONS)))
    assessed = wide.notna().any(axis=1)
    if not assessed.all():
        missing = list(wide.index[~assessed])
        raise PolicyInputError(f"the need list (table needs, column village_id) has no row for {len(missing)} "
                               f"villages of the panel (first: {', '.join(map(repr, missing[:5]))}); give every "
                               "village its needs, or leave the need list out")
    return wide.mean(axis=1).astype(float), wide, "the need list (需求清单): each village's mean gap"


@dataclass(frozen=True)
class _UnitColumns:
    """Per village, what its first-secretary unit brings to the resource list (positional, built once)."""

    unit: np.ndarray  # unit_id (object)
    capacity: np.ndarray  # villages × UNIT_RESOURCE_COLUMNS: the unit's whole capacity (NaN: not on the list)
    cadres_now: np.ndarray  # the unit's cadres in post now (all counties)
    posts_everywhere: np.ndarray  # the unit's first-secretary posts over all counties
    high_level: np.ndarray


def _unit_columns(villages: pd.DataFrame, resources: pd.DataFrame, unit_posts: pd.Series) -> _UnitColumns:
    unit = villages["unit_id"].to_numpy(dtype=object)
    codes = pd.Index(resources.index.to_numpy(dtype=object)).get_indexer(unit)
    matrix = np.vstack([resources.to_numpy(float), np.full((1, resources.shape[1]), np.nan)])
    posted = pd.Index(unit_posts.index.to_numpy(dtype=object)).get_indexer(unit)
    counts = pd.Series(unit).value_counts()
    everywhere = counts.to_numpy(float)[pd.Index(counts.index.to_numpy(dtype=object)).get_indexer(unit)]
    return _UnitColumns(unit, matrix[codes], np.where(posted >= 0, unit_posts.to_numpy(float)[posted], 0.0),
                        everywhere, villages["level"].astype(str).isin(sorted(CITY_OR_ABOVE)).to_numpy(bool))


def _county_units(columns: _UnitColumns | None, rows: np.ndarray) -> CountyUnits | None:
    """Return the resource list of the units holding posts in one county (capacities split by posts).

    ``rows`` are the county's villages (positions). A unit posting first secretaries in several counties has
    its capacity and its cadres in post split by its posts in each.
    """
    if columns is None:
        return None
    codes, unit_ids = pd.factorize(columns.unit[rows])
    first = rows[np.unique(codes, return_index=True)[1]]
    county_share = np.bincount(codes).astype(float) / columns.posts_everywhere[first]
    split = columns.capacity[first] * county_share[:, None]
    slots = [UNIT_RESOURCE_COLUMNS.index(k) for k in ("technical", "market", "cadre")]
    split[:, slots] = np.floor(split[:, slots] + 1e-9)  # whole slots (the county's share, rounded down)
    cadre = split[:, UNIT_RESOURCE_COLUMNS.index("cadre")]
    current = columns.cadres_now[first] * county_share
    spare = np.floor(np.clip(np.nan_to_num(cadre, nan=0.0) - np.ceil(current - 1e-9), 0.0, None))
    return CountyUnits(np.asarray(unit_ids, dtype=object), split, spare, columns.high_level[first],
                       codes.astype(np.intp))


def _resources(lists: PolicyLists | None, villages: pd.DataFrame) -> tuple[pd.DataFrame | None, pd.Series]:
    """Units × resource types (capacity), checked against the panel's posts; and each unit's cadres in post."""
    fs_posts = villages["unit_id"].value_counts()
    if lists is None or lists.lists.unit_resources.empty:
        return None, fs_posts
    table = lists.lists.unit_resources.reset_index(drop=True)
    unit = table["unit_id"].astype(object).astype(str)
    kind = table["resource_type"].astype(object).astype(str)
    capacity = pd.to_numeric(table["capacity"], errors="coerce")
    posts = lists.unit_posts if lists.unit_posts is not None else fs_posts
    posts = posts.groupby(posts.index.astype(str)).sum()
    problems = []
    for i in np.flatnonzero(~kind.isin(UNIT_RESOURCE_COLUMNS).to_numpy()):
        problems.append(_problem("unit_resources", i + 2, "resource_type", kind.iat[i],
                                 f"not a resource type ({', '.join(UNIT_RESOURCE_COLUMNS)})"))
    for i in np.flatnonzero(~(capacity >= 0).to_numpy()):
        problems.append(_problem("unit_resources", i + 2, "capacity", table["capacity"].iat[i],
                                 "a capacity must be a number ≥ 0"))
    cadre = (kind == "cadre").to_numpy()
    needed = np.maximum(posts.reindex(unit).fillna(0).to_numpy(float),
                        fs_posts.reindex(unit).fillna(0).to_numpy(float))
    for i in np.flatnonzero(cadre & (capacity.to_numpy(float) < needed)):
        problems.append(_problem("unit_resources", i + 2, "capacity", table["capacity"].iat[i],
                                 f"unit {unit.iat[i]!r} has {int(needed[i])} cadres in post now: its cadre slots "
                                 "cannot be fewer"))
    if problems:
        raise PolicyInputError(f"{len(problems)} problem(s) in the resource list:\n" + "\n".join(problems[:50]))
    wide = (pd.DataFrame({"unit_id": unit, "resource_type": kind, "capacity": capacity})
            .pivot_table(index="unit_id", columns="resource_type", values="capacity", aggfunc="sum")
            .reindex(columns=list(UNIT_RESOURCE_COLUMNS)))
    return wide, posts


def counties_from_panel(panel: pd.DataFrame, lists: PolicyLists | None = None) -> list[County]:
    """Each county's villages with their transition-period posts, funding, incomes, needs and units.

    Parameters
    ----------
    panel : DataFrame
        The village × year panel.
    lists : PolicyLists, optional
        The two lists (:func:`policy_lists`); checked against the panel, every problem reported with its table,
        row, column and value (:class:`~villageaid.analysis.policy.PolicyInputError`).
    """
    missing = [c for c in COUNTY_COLUMNS if c not in panel.columns]
    if missing:
        raise MissingDataError(f"the policy simulator needs the panel columns {', '.join(missing)} (incomes come "
                               "from the outcomes table)")
    used = [c for c in (*COUNTY_COLUMNS, *OPTIONAL_COUNTY_COLUMNS) if c in panel.columns]
    frame = panel.loc[(panel["period"] == "transition").to_numpy(dtype=bool), used]  # only what is used: a copy
    if frame.empty:
        raise MissingDataError("the panel has no transition-period years (2021 on)")
    first = frame.sort_values(["village_id", "year"]).groupby("village_id", observed=True, sort=True)
    villages = pd.DataFrame({
        "county": first["county"].first().astype(str),
        "unit_id": first["first_secretary_unit_id"].last().astype(str),
        "level": first["first_secretary_level"].last().astype(str),
        "city": first["city_unit"].last().astype("boolean").fillna(False).astype(bool),
        "strong": first["strong_unit"].last().astype("boolean").fillna(False).astype(bool),
        "rich": first["rich"].last().astype("boolean").fillna(False).astype(bool),
        "endowment": first["endowment_index"].first().astype(float),
        "funding": first["funding_total"].mean().astype(float),
        "income": first["collective_income"].mean().astype(float),
        "per_capita": first["per_capita_income"].mean().astype(float),
        "population": (first["population"].first().astype(float) if "population" in frame
                       else pd.Series(1.0, index=first.size().index)),
        "team": (first["team_size"].last().astype(float) if "team_size" in frame
                 else pd.Series(1.0, index=first.size().index)),
        "need_index": (first["need_index"].first().astype(float) if "need_index" in frame
                       else -first["endowment_index"].first().astype(float)),
    })
    villages.index = villages.index.astype(str)
    problems = []
    for column, what in (("funding", "funding record"), ("income", "collective income"),
                         ("per_capita", "per-capita income")):
        if villages[column].isna().any():
            problems.append(f"{int(villages[column].isna().sum())} villages have no {what} in the transition years")
    if (villages["per_capita"] <= 0).any():
        problems.append(f"{int((villages['per_capita'] <= 0).sum())} villages have a per-capita income ≤ 0")
    if problems:
        raise MissingDataError("the policy simulator needs every village's transition funding and incomes: "
                               + "; ".join(problems))
    villages["population"] = villages["population"].fillna(villages["population"].median()).fillna(1.0)
    villages["team"] = villages["team"].fillna(1.0).clip(lower=1.0)
    need, gaps, definition = _need_scores(villages, lists)
    resources, unit_posts = _resources(lists, villages)
    columns = None if resources is None else _unit_columns(villages, resources, unit_posts)
    need_score = need.to_numpy(float)
    gap_matrix = None if gaps is None else gaps.to_numpy(float)
    ids = villages.index.to_numpy(dtype=object)
    data = {name: villages[name].to_numpy() for name in ("unit_id", "level", "city", "strong", "rich", "endowment",
                                                          "funding", "income", "per_capita", "population", "team")}
    counties = []
    for name, rows in sorted(villages.groupby("county", sort=True).indices.items()):
        rows = np.asarray(rows)
        size = len(rows)
        endowment, score = data["endowment"][rows].astype(float), need_score[rows]
        poorest = np.empty(size, dtype=bool)
        poorest[np.lexsort((np.arange(size), endowment))] = np.arange(1, size + 1) / size <= POOREST_SHARE
        high_need = np.empty(size, dtype=bool)
        high_need[np.lexsort((np.arange(size), -score))] = np.arange(1, size + 1) <= HIGH_NEED_SHARE * size
        counties.append(County(
            str(name), ids[rows], data["unit_id"][rows].astype(object), data["level"][rows].astype(object),
            data["city"][rows].astype(bool), data["strong"][rows].astype(bool), data["rich"][rows].astype(bool),
            endowment, data["funding"][rows].astype(float), data["income"][rows].astype(float),
            data["per_capita"][rows].astype(float), data["population"][rows].astype(float), score, poorest,
            high_need, data["team"][rows].astype(float).round().astype(np.int64),
            None if gap_matrix is None else gap_matrix[rows], _county_units(columns, rows), definition))
    return counties


def assignments_policy(assignments: pd.DataFrame, counties: list[County], *, source: str = "assignments"
                       ) -> dict[str, CustomPolicy]:
    """Turn a user's assignments into each county's posts (and funding), or report every problem.

    Columns village_id and unit_id, optionally funding (万元 a year). Every village of the panel needs exactly
    one unit; a unit may serve as many villages of a county as it does in the status quo (its posts there), and
    only in that county. Funding, where given, must be given for every village and keep each county's total up to
    rounding (:data:`FUNDING_ROUNDING` 万元 a village; refused otherwise, with each county's difference); it is then
    scaled to the total exactly.

    Problems name rows as a spreadsheet shows them: the file's own row numbers where the table is indexed by them
    (an index named ``row``, as :func:`villageaid.io.assignments.read_assignments` reads a CSV, blank lines
    skipped), else the row of a CSV written from the table (the header is row 1, the first row 2).
    """
    problems = []
    for column in ("village_id", "unit_id"):
        if column not in assignments.columns:
            problems.append(f"{source}: missing column {column!r} (expected village_id, unit_id[, funding])")
    if problems:
        raise PolicyInputError("\n".join(problems))
    file_rows = (assignments.index.to_numpy(dtype=np.int64) if assignments.index.name == "row"
                 else np.arange(2, len(assignments) + 2))
    table = assignments.assign(village_id=assignments["village_id"].astype(str).str.strip(),
                               unit_id=assignments["unit_id"].astype(str).str.strip())
    table.index = pd.Index(file_rows, name="row")  # rows named as in the file from here on
    has_funding = "funding" in table.columns
    if has_funding:
        text = table["funding"].astype(str).str.strip()
        amount = pd.to_numeric(text, errors="coerce")
        for i in np.flatnonzero(~(amount >= 0).to_numpy() | ~np.isfinite(amount.to_numpy(float))):
            problems.append(f"{source}, row {file_rows[i]}, column funding = {text.iat[i]!r}: funding must be a "
                            "number ≥ 0 (万元 a year)")
        table = table.assign(funding=amount)
    county_of = {v: c.name for c in counties for v in c.village_id}
    duplicated = table.loc[table["village_id"].duplicated(keep=False)]
    for village, rows in duplicated.groupby("village_id"):
        problems.append(f"{source}: village {village!r} is assigned {len(rows)} times (rows "
                        f"{', '.join(str(i) for i in rows.index)}); expected one unit per village")
    for i, row in table.iterrows():
        if row["village_id"] not in county_of:
            problems.append(f"{source}, row {i}, column village_id = {row['village_id']!r}: unknown village")
    out, budget = {}, {}
    for county in counties:
        rows = table.loc[table["village_id"].isin(set(county.village_id))].drop_duplicates("village_id")
        slots: dict[str, list[int]] = {}
        for j, unit in enumerate(county.unit_id):
            slots.setdefault(unit, []).append(j)
        for i, row in rows.loc[~rows["unit_id"].isin(set(slots))].iterrows():
            problems.append(f"{source}, row {i}, column unit_id = {row['unit_id']!r}: the unit has no "
                            f"first-secretary post in county {county.name} (units there: "
                            f"{', '.join(sorted(slots)[:8])}…)")
        counts = rows["unit_id"].value_counts()
        for unit, count in counts.items():
            if unit in slots and count > len(slots[unit]):
                problems.append(f"{source}: unit {unit!r} is assigned {count} villages in county {county.name}; "
                                f"its capacity there is {len(slots[unit])}")
        given = dict(zip(rows["village_id"], rows["unit_id"], strict=True))
        missing = [v for v in county.village_id if v not in given]
        if missing:
            problems.append(f"{source}: county {county.name}: {len(missing)} villages without a unit (first: "
                            f"{', '.join(map(repr, missing[:5]))})")
        if problems:
            continue
        post = np.empty(county.size, dtype=np.intp)
        used: dict[str, int] = {}
        for i, village in enumerate(county.village_id):
            unit = given[village]
            post[i] = slots[unit][used.get(unit, 0)]
            used[unit] = used.get(unit, 0) + 1
        funding = None
        if has_funding:
            funding = rows.set_index("village_id")["funding"].reindex(county.village_id).to_numpy(float)
            budget[county.name] = funding
        out[county.name] = CustomPolicy(post, funding)
    if problems:
        raise PolicyInputError(f"{len(problems)} problem(s) in the policy:\n" + "\n".join(problems))
    from villageaid.analysis.policy import check_budget

    # Amounts in a table are rounded: a county's total within FUNDING_ROUNDING a village of the status quo's is
    # accepted and then scaled to it exactly, so that the simulation keeps every county's money to 1e-9.
    check_budget(budget, counties, source=source, rtol=0.0, atol=0.0, atol_per_village=FUNDING_ROUNDING)
    for county in counties:
        policy = out[county.name]
        if policy.funding is not None and policy.funding.sum() > 0:
            out[county.name] = CustomPolicy(policy.post, policy.funding * (county.total / policy.funding.sum()))
    return out
