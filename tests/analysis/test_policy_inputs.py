"""What the policy simulator takes: the two lists checked against the panel, user policies checked, every problem
reported with its table, row, column and value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis.policy import PolicyInputError, simulate_policies
from villageaid.analysis.policy_inputs import (
    PolicyLists,
    assignments_policy,
    counties_from_panel,
    estimate_policy_models,
    policy_lists,
)
from villageaid.config import DEFAULT_SEED
from villageaid.io.lists import TwoLists
from villageaid.panel.village_year import build_panel
from villageaid.simulation import simulate


@pytest.fixture(scope="module")
def data() -> tuple:
    tables = simulate(seed=DEFAULT_SEED).tables
    return build_panel(tables), policy_lists(tables)


def test_the_lists_reach_the_counties(data: tuple) -> None:
    panel, lists = data
    counties = counties_from_panel(panel, lists)
    assert lists is not None and lists.unit_posts is not None
    for county in counties:
        assert county.gaps.shape == (county.size, 5) and np.all((county.need >= 0) & (county.need <= 1))
        np.testing.assert_allclose(county.need, np.nanmean(county.gaps, axis=1))
        assert county.units is not None and (county.units.spare_cadres >= 0).all()
        assert county.high_need.sum() == round(county.size / 3)
        assert county.units.unit_id[county.units.post_unit].tolist() == county.unit_id.tolist()


def _with(lists: PolicyLists, *, needs: pd.DataFrame | None = None, resources: pd.DataFrame | None = None
          ) -> PolicyLists:
    return PolicyLists(TwoLists(lists.lists.needs if needs is None else needs,
                                lists.lists.unit_resources if resources is None else resources), lists.unit_posts)


def test_a_need_list_contradicting_the_panel_is_refused(data: tuple) -> None:
    panel, lists = data
    needs = lists.lists.needs.astype({"village_id": object, "dimension": object}).copy()
    needs.loc[3, "village_id"] = "NO-SUCH-VILLAGE"
    needs.loc[7, "gap"] = 1.7
    with pytest.raises(PolicyInputError) as error:
        counties_from_panel(panel, _with(lists, needs=needs))
    text = str(error.value)
    assert "needs, row 5, column village_id = 'NO-SUCH-VILLAGE'" in text
    assert "needs, row 9, column gap = 1.7" in text
    partial = needs.loc[needs["village_id"].astype(str) != str(needs["village_id"].iat[0])]
    partial = partial.loc[partial.index != 3].assign(gap=lambda f: f["gap"].clip(0, 1))
    with pytest.raises(PolicyInputError, match="no row for 1 villages"):
        counties_from_panel(panel, _with(lists, needs=partial))


def test_cadre_slots_below_the_current_posts_are_refused(data: tuple) -> None:
    panel, lists = data
    resources = lists.lists.unit_resources.astype({"unit_id": object, "resource_type": object}).copy()
    row = int(np.flatnonzero(resources["resource_type"] == "cadre")[0])
    unit = resources.loc[row, "unit_id"]
    resources.loc[row, "capacity"] = 0.0
    with pytest.raises(PolicyInputError) as error:
        counties_from_panel(panel, _with(lists, resources=resources))
    text = str(error.value)
    assert f"unit_resources, row {row + 2}, column capacity = 0.0" in text and f"unit {unit!r} has" in text
    resources.loc[row, "capacity"] = -3.0
    with pytest.raises(PolicyInputError, match="a capacity must be a number ≥ 0"):
        counties_from_panel(panel, _with(lists, resources=resources))


def test_a_user_policy_that_is_not_budget_neutral_is_refused_with_each_county(data: tuple) -> None:
    panel, lists = data
    counties = counties_from_panel(panel, lists)
    rows = pd.DataFrame({"village_id": np.concatenate([c.village_id for c in counties]),
                         "unit_id": np.concatenate([c.unit_id for c in counties]),
                         "funding": np.concatenate([c.funding for c in counties])})
    kept = assignments_policy(rows.astype(str).assign(funding=rows["funding"].map(repr)), counties)
    assert all(np.allclose(kept[c.name].funding, c.funding) for c in counties)
    rounded = assignments_policy(rows.assign(funding=rows["funding"].round(4)), counties)  # as a table writes it
    for county in counties:
        assert rounded[county.name].funding.sum() == pytest.approx(county.total, rel=0, abs=1e-9)
    more = rows.assign(funding=rows["funding"] * 1.1)
    with pytest.raises(PolicyInputError) as error:
        assignments_policy(more, counties, source="mine.csv")
    text = str(error.value)
    assert "not budget-neutral" in text
    for county in counties:
        assert f"county {county.name}: funding totals" in text
        assert f"difference {0.1 * county.total:+,.4f} 万元" in text
    bad = rows.astype(str)
    bad.loc[2, "funding"] = "lots"
    with pytest.raises(PolicyInputError, match=r"mine\.csv, row 4, column funding = 'lots'"):
        assignments_policy(bad, counties, source="mine.csv")


def test_a_user_policy_from_assignments(data: tuple) -> None:
    panel, lists = data
    counties = counties_from_panel(panel, lists)
    models = estimate_policy_models(panel)
    status = pd.DataFrame({"village_id": np.concatenate([c.village_id for c in counties]),
                           "unit_id": np.concatenate([c.unit_id for c in counties])})
    custom = assignments_policy(status.sample(frac=1, random_state=1), counties)
    result = simulate_policies(counties, models, draws=3, seed=1, custom=custom, shapes=("concave",))
    table = result.table.set_index(["policy", "measure"])
    pd.testing.assert_series_equal(table.loc["custom", "estimate"], table.loc["status_quo", "estimate"])


def test_bad_assignments_are_all_reported(data: tuple) -> None:
    panel, lists = data
    counties = counties_from_panel(panel, lists)
    first = counties[0]
    rows = [{"village_id": v, "unit_id": u} for v, u in zip(first.village_id, first.unit_id, strict=True)]
    rows[0]["unit_id"] = rows[1]["unit_id"] = rows[2]["unit_id"] = first.unit_id[0]  # over capacity
    rows[3]["unit_id"] = "NO-SUCH-UNIT"
    rows.append({"village_id": "NO-SUCH-VILLAGE", "unit_id": first.unit_id[0]})
    rows.append(dict(rows[4]))  # a village twice
    with pytest.raises(PolicyInputError) as error:
        assignments_policy(pd.DataFrame(rows), counties, source="mine.csv")
    text = str(error.value)
    for expected in ("column village_id = 'NO-SUCH-VILLAGE': unknown village",
                     "column unit_id = 'NO-SUCH-UNIT': the unit has no first-secretary post",
                     "its capacity there is", "is assigned 2 times", f"county {counties[1].name}",
                     "villages without a unit"):
        assert expected in text
    with pytest.raises(PolicyInputError, match="missing column 'unit_id'"):
        assignments_policy(pd.DataFrame({"village_id": ["x"]}), counties)


def test_problems_name_the_files_own_rows_across_blank_lines(data: tuple, tmp_path) -> None:
    """A policy CSV with blank lines: each problem names the row a spreadsheet shows, as a table's index says."""
    from villageaid.io.assignments import read_assignments

    panel, lists = data
    counties = counties_from_panel(panel, lists)
    rows = [f"{v},{u}" for c in counties for v, u in zip(c.village_id, c.unit_id, strict=True)]
    rows[3] = "NO-SUCH-VILLAGE," + rows[3].split(",")[1]  # after two blank lines: row 7 of the file
    rows[5] = rows[5].split(",")[0] + ",NO-SUCH-UNIT"  # row 9
    path = tmp_path / "mine.csv"
    path.write_text("village_id,unit_id\n" + "\n".join(rows[:2]) + "\n\n\n" + "\n".join(rows[2:]) + "\n",
                    encoding="utf-8")
    table = read_assignments(path)
    assert table.index.name == "row" and table.index[:3].tolist() == [2, 3, 6]
    with pytest.raises(PolicyInputError) as error:
        assignments_policy(table, counties, source="mine.csv")
    text = str(error.value)
    assert "mine.csv, row 7, column village_id = 'NO-SUCH-VILLAGE'" in text
    assert "mine.csv, row 9, column unit_id = 'NO-SUCH-UNIT'" in text
    with pytest.raises(PolicyInputError) as error:  # a table made in Python: the rows of the CSV it would write
        assignments_policy(table.reset_index(drop=True), counties, source="mine.csv")
    assert "mine.csv, row 5, column village_id = 'NO-SUCH-VILLAGE'" in str(error.value)


def test_the_model_frames_hold_the_analysis_frame_values(data: tuple) -> None:
    """The policy models' narrow frames carry exactly the values of the H10 analysis frame (no drift)."""
    from villageaid.analysis.policy_inputs import _allocation_frame, _return_frame
    from villageaid.analysis.returns import returns_frame

    panel = data[0]
    full = returns_frame(panel)
    transition = (panel["period"] == "transition").to_numpy()
    narrow = _allocation_frame(panel, transition)
    for column in ("funding_total", "city", "strong", "city_x_rich", "rich_village", "endowment_index"):
        np.testing.assert_array_equal(narrow[column].to_numpy(), full.loc[transition, column].to_numpy())
    assert (narrow["village"].astype(str).to_numpy() == full.loc[transition, "village"].to_numpy()).all()
    rows = panel["period"].isin(["campaign", "transition"]).to_numpy()
    for outcome in ("log_collective_income", "log_per_capita_income"):
        frame = _return_frame(panel, rows, outcome)
        for column in frame.columns.drop(["village_id", "year"]):
            np.testing.assert_array_equal(frame[column].to_numpy(), full.loc[rows, column].to_numpy())


def test_a_panel_read_with_only_the_policy_columns_gives_the_same_models(data: tuple, tmp_path: object) -> None:
    from villageaid.analysis.policy_inputs import read_policy_panel

    panel = data[0]
    path = tmp_path / "panel.parquet"  # type: ignore[operator]
    panel.to_parquet(path)
    narrow = read_policy_panel(path)
    assert len(narrow.columns) < len(panel.columns) and narrow.attrs.keys() == panel.attrs.keys()
    one, two = estimate_policy_models(panel), estimate_policy_models(narrow)
    for name in ("allocation", "allocation_vcov", "returns", "returns_vcov"):
        np.testing.assert_array_equal(getattr(one, name).to_numpy(), getattr(two, name).to_numpy())
