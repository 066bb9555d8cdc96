"""What the policy simulator takes from a panel and from a user: counties, estimated models, user policies.

:func:`counties_from_panel` gives each county's villages with their transition-period posts, funding and
collective income; :func:`estimate_policy_models` the allocation (PPML) and return (H10 2SLS) coefficients —
the latter taken from the H10 analysis when it was estimated already, so a build fits it once;
:func:`assignments_policy` turns a user's assignments table (read by :func:`villageaid.io.assignments.
read_assignments`) into each county's posts, or reports every problem.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from villageaid.analysis.policy import (
    ALLOCATION_TERMS,
    HIGH_NEED_SHARE,
    POOREST_SHARE,
    RETURN_TERMS,
    County,
    PolicyInputError,
    PolicyModels,
    PolicyResults,
    simulate_policies,
)
from villageaid.estimators.limits import MissingDataError, NoVariationError

if TYPE_CHECKING:
    from villageaid.analysis.returns import ReturnsResults

#: The outcome of the return model the simulator predicts (collective income, 万元).
POLICY_OUTCOME = "log_collective_income"


def estimate_policy_models(panel: pd.DataFrame, returns: ReturnsResults | None = None) -> PolicyModels:
    """Estimate the allocation (PPML, transition years) and return (H10 heterogeneity 2SLS) models.

    ``returns`` (the H10 analysis of the same panel) supplies the 2SLS model instead of fitting it again.
    """
    from villageaid.analysis.returns import FUNDING, INSTRUMENTS, INTERACTION, returns_frame
    from villageaid.estimators import fepois
    from villageaid.estimators.iv import iv_fe

    needed = ["village_id", "year", "county", "period", "city_unit", "strong_unit", "rich", "endowment_index",
              "funding_total", "asinh_funding_total", "collective_income", "per_capita_income", "demonstration",
              "demonstration_cohort"]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise MissingDataError(f"the panel lacks the columns {', '.join(missing)} (build it with 'villageaid panel')")
    frame = returns_frame(panel[needed])  # only the columns the models use: the national panel is large
    transition = frame.loc[frame["period"] == "transition"]
    if transition.empty:
        raise MissingDataError("the panel has no transition-period years (2021 on): the policies reassign its posts")
    allocation = fepois("funding_total ~ city + strong + city_x_rich + rich_village + endowment_index | county + year",
                        transition, vcov={"CRV1": "village"})
    missing = [t for t in ALLOCATION_TERMS if t not in allocation.params.index]
    if missing:
        raise NoVariationError(f"the allocation model cannot estimate {', '.join(missing)} on these data "
                               "(no variation)")
    if returns is not None:
        model = returns.heterogeneity[POLICY_OUTCOME].iv
    else:
        sample = frame.loc[frame["period"].isin(["campaign", "transition"])]
        model = iv_fe(sample, outcome=POLICY_OUTCOME, endogenous=[FUNDING, INTERACTION],
                      instruments=[*INSTRUMENTS, *(f"{i}_x_endowment" for i in INSTRUMENTS)],
                      fixed_effects=("village_id", "year"), cluster="village_id").iv
    terms = list(ALLOCATION_TERMS)
    return PolicyModels(allocation.params[terms], allocation.vcov.loc[terms, terms], model.params[list(RETURN_TERMS)],
                        model.vcov.loc[list(RETURN_TERMS), list(RETURN_TERMS)])


def policy_analysis(panel: pd.DataFrame, *, returns: ReturnsResults | None = None, draws: int = 200,
                    seed: int = 0) -> PolicyResults:
    """Simulate the paper's policies on the panel's counties (Table 9), with ``draws`` coefficient draws.

    ``returns`` (the H10 analysis of the same panel, when it could be estimated) supplies the return model.
    """
    return simulate_policies(counties_from_panel(panel), estimate_policy_models(panel, returns), draws=draws,
                             seed=seed)


def counties_from_panel(panel: pd.DataFrame) -> list[County]:
    """Each county's villages with their transition-period posts, mean funding and collective income."""
    needed = ["village_id", "year", "county", "period", "first_secretary_unit_id", "city_unit", "strong_unit", "rich",
              "endowment_index", "funding_total", "collective_income"]
    missing = [c for c in needed if c not in panel.columns]
    if missing:
        raise MissingDataError(f"the policy simulator needs the panel columns {', '.join(missing)} (collective "
                               "income comes from the outcomes table)")
    frame = panel.loc[panel["period"] == "transition"]
    if frame.empty:
        raise MissingDataError("the panel has no transition-period years (2021 on)")
    first = frame.sort_values(["village_id", "year"]).groupby("village_id", observed=True, sort=True)
    villages = pd.DataFrame({
        "county": first["county"].first().astype(str),
        "unit_id": first["first_secretary_unit_id"].last().astype(str),
        "city": first["city_unit"].last().astype("boolean").fillna(False).astype(bool),
        "strong": first["strong_unit"].last().astype("boolean").fillna(False).astype(bool),
        "rich": first["rich"].last().astype("boolean").fillna(False).astype(bool),
        "endowment": first["endowment_index"].first().astype(float),
        "funding": first["funding_total"].mean().astype(float),
        "income": first["collective_income"].mean().astype(float),
    })
    roads = first["road_access"].first() if "road_access" in frame else None
    use_roads = roads is not None and roads.notna().all() and roads.astype(float).nunique() > 1
    problems = []
    if villages["funding"].isna().any():
        problems.append(f"{int(villages['funding'].isna().sum())} villages have no funding record in the transition "
                        "years")
    if villages["income"].isna().any():
        problems.append(f"{int(villages['income'].isna().sum())} villages have no collective income in the "
                        "transition years")
    if problems:
        raise MissingDataError("the policy simulator needs every village's transition funding and collective income: "
                               + "; ".join(problems))
    counties = []
    for name, group in villages.groupby("county", sort=True):
        rank = group["endowment"].rank(method="first") / len(group)
        if use_roads:
            high_need = (roads.loc[group.index].astype(float) == 0).to_numpy(bool)
            definition = "no road access (baseline)"
        else:
            high_need = (rank <= HIGH_NEED_SHARE).to_numpy(bool)
            definition = f"the county's {100 * HIGH_NEED_SHARE:.0f}% of villages with the lowest endowment"
        counties.append(County(
            str(name), group.index.to_numpy(dtype=object), group["unit_id"].to_numpy(dtype=object),
            group["city"].to_numpy(bool), group["strong"].to_numpy(bool), group["rich"].to_numpy(bool),
            group["endowment"].to_numpy(float), group["funding"].to_numpy(float), group["income"].to_numpy(float),
            (rank <= POOREST_SHARE).to_numpy(bool), high_need, definition))
    return counties


def assignments_policy(assignments: pd.DataFrame, counties: list[County], *, source: str = "assignments"
                       ) -> dict[str, np.ndarray]:
    """Turn a user's assignments (columns village_id, unit_id) into each county's posts, or report every problem.

    Every village of the panel needs exactly one unit; a unit may serve as many villages of a county as it does
    in the status quo (its capacity there), and only in that county.
    """
    problems = []
    for column in ("village_id", "unit_id"):
        if column not in assignments.columns:
            problems.append(f"{source}: missing column {column!r} (expected village_id, unit_id)")
    if problems:
        raise PolicyInputError("\n".join(problems))
    table = assignments.assign(village_id=assignments["village_id"].astype(str).str.strip(),
                               unit_id=assignments["unit_id"].astype(str).str.strip())
    county_of = {v: c.name for c in counties for v in c.village_id}
    duplicated = table.loc[table["village_id"].duplicated(keep=False)]
    for village, rows in duplicated.groupby("village_id"):
        problems.append(f"{source}: village {village!r} is assigned {len(rows)} times (rows "
                        f"{', '.join(str(i + 2) for i in rows.index)}); expected one unit per village")
    for i, row in table.iterrows():
        if row["village_id"] not in county_of:
            problems.append(f"{source}, row {i + 2}: unknown village {row['village_id']!r}")
    out = {}
    for county in counties:
        rows = table.loc[table["village_id"].isin(set(county.village_id))].drop_duplicates("village_id")
        slots: dict[str, list[int]] = {}
        for j, unit in enumerate(county.unit_id):
            slots.setdefault(unit, []).append(j)
        for i, row in rows.loc[~rows["unit_id"].isin(set(slots))].iterrows():
            problems.append(f"{source}, row {i + 2}: unit {row['unit_id']!r} has no first-secretary post in county "
                            f"{county.name} (units there: {', '.join(sorted(slots)[:8])}…)")
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
        out[county.name] = post
    if problems:
        raise PolicyInputError(f"{len(problems)} problem(s) in the policy:\n" + "\n".join(problems))
    return out
