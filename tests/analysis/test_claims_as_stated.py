"""The claims as the source paper states them, on simulated data whose truth is known and on records that lack them.

Each analysis recovers its truth on the default edition (one data set: the estimate within its 95% interval, or
within four standard errors for truths that are approximations), refuses with a declared data limit where the
records lack what it needs, and the null scenario puts zero in every new truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from villageaid.analysis.concentration import concentration_models
from villageaid.analysis.county_matching import county_matching_models
from villageaid.analysis.industry import industry_models, unit_left
from villageaid.analysis.matching import assignment_change
from villageaid.analysis.mismatch import mismatch_models
from villageaid.analysis.truth import key_truth
from villageaid.analysis.typology import cutoff_sensitivity, typology_counts
from villageaid.estimators.limits import MissingDataError
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.registry import BY_ID, COUNTY_TRANSITION, key_for
from villageaid.simulation import SCENARIOS, simulate

CRV1 = {"CRV1": "village"}


@pytest.fixture(scope="module")
def default() -> tuple[pd.DataFrame, dict]:
    data = simulate(seed=5)
    tables, report = validate_tables(data.tables)
    assert report.ok
    return build_panel(tables), data.truth


def _covers(estimate: float, std_error: float, truth: float, width: float = 1.96) -> bool:
    return abs(estimate - truth) <= width * std_error


def test_concentration_flips_at_2021_and_matches_the_covariance_formula(default) -> None:
    panel, truth = default
    results = concentration_models(panel, draws=199, seed=1)
    change = results.change.set_index(["ranking", "form"])
    for ranking in ("endowment", "need"):
        row = change.loc[(ranking, "standard")]
        assert row["campaign"] < 0 < row["transition"]  # pro-poor in the campaign, pro-rich after 2021
        assert row["conf_low"] <= truth["effects"]["H7_concentration"][ranking] <= row["conf_high"]
    # the yearly index by endowment equals 2 cov(y, R) / mean(y), R the fractional rank, computed here
    villages = panel.drop_duplicates("village_id").set_index("village_id")["endowment_index"]
    year = panel.loc[panel["year"] == 2023].set_index("village_id")["funding_total"]
    rank = (villages.reindex(year.index).rank(method="average").to_numpy() - 0.5) / len(year)
    y = year.to_numpy(float)
    expected = 2 * np.cov(y, rank, bias=True)[0, 1] / y.mean()
    found = results.by_year.query("ranking == 'endowment' and form == 'standard' and year == 2023")["estimate"]
    np.testing.assert_allclose(found.iloc[0], expected, rtol=1e-10, atol=1e-12)


def test_concentration_needs_a_ranking(default) -> None:
    panel, _ = default
    only_endowment = concentration_models(panel.assign(need_index=np.nan), draws=19)
    assert set(only_endowment.change["ranking"]) == {"endowment"}
    with pytest.raises(MissingDataError, match="ranking variable"):
        concentration_models(panel.assign(need_index=np.nan, endowment_index=np.nan), draws=19)


def test_county_matching_follows_city_units(default) -> None:
    panel, truth = default
    results = county_matching_models(panel, vcov=CRV1)
    row = results.county_transition.tidy().set_index("term").loc["city"]
    value, _ = key_truth(truth, key_for(COUNTY_TRANSITION, "city"))
    assert value == pytest.approx(0.35 + 0.5)
    assert _covers(row["estimate"], row["std_error"], value)
    with pytest.raises(MissingDataError, match="no county funding"):
        county_matching_models(panel.assign(funding_county=0.0), vcov=CRV1)


def test_industries_collapse_in_weak_villages_after_the_unit_leaves(default) -> None:
    panel, truth = default
    results = industry_models(panel, vcov=CRV1)
    row = results.after_departure.tidy().set_index("term").loc["post:weak"]
    value = truth["effects"]["H10_industry_collapse"]["probability_change_weak_minus_rich"]
    assert _covers(row["estimate"], row["std_error"], value, width=4.0)
    assert results.villages_left > 0 and set(results.survival["unit"]) <= {"left", "stayed", "unknown"}
    with pytest.raises(MissingDataError, match="industry_active"):
        industry_models(panel.assign(industry_active=pd.NA), vcov=CRV1)


def test_unit_left_compares_the_last_campaign_and_first_transition_unit() -> None:
    frame = pd.DataFrame({"village_id": ["A", "A", "B", "B", "C", "C"], "year": [2020, 2021] * 3,
                          "period": ["campaign", "transition"] * 3,
                          "first_secretary_unit_id": ["U1", "U2", "U3", "U3", None, "U4"]})
    left = unit_left(frame)
    assert left["A"] and not left["B"] and pd.isna(left["C"])


def test_mismatch_costs_income_and_needs_a_need_list(default) -> None:
    panel, truth = default
    results = mismatch_models(panel, vcov=CRV1)
    row = results.returns.tidy().set_index("term").loc["unmatched_share"]
    assert _covers(row["estimate"], row["std_error"],
                   truth["effects"]["H10_mismatch"]["unmatched_share_on_log_collective_income"])
    assert results.matched_share["matched_share"].between(0, 1).all()
    without = panel.drop(columns=["funding_matched", "funding_unmatched"])
    with pytest.raises(MissingDataError, match="need list"):
        mismatch_models(without, vcov=CRV1)


def test_assignment_turns_towards_endowment_at_2021(default) -> None:
    panel, truth = default
    row = assignment_change(panel).tidy().set_index("term").loc["endowment_index:transition"]
    assert _covers(row["estimate"], row["std_error"], truth["effects"]["H9_assignment_logit_change"])


def test_typology_cutoffs_count_every_typed_village(default) -> None:
    panel, _ = default
    table = cutoff_sensitivity(panel)
    assert set(table["cutoff"]) == {"upper tercile", "median", "upper quartile"}
    totals = table.groupby(["cutoff", "period"])["villages"].sum()
    assert totals.nunique() == 1  # the same typed villages under every cut-off
    default_cut = table.loc[table["cutoff"] == "upper tercile"].set_index(["period", "village_type"])["villages"]
    counts = typology_counts(panel)
    counts = counts.loc[counts["county"] == "All"].set_index(["period", "village_type"])["villages"]
    pd.testing.assert_series_equal(default_cut.sort_index(), counts.sort_index(), check_names=False)


def test_the_null_puts_zero_in_every_new_truth() -> None:
    effects = simulate(SCENARIOS["null"](), seed=2).truth["effects"]
    for name in ("H2_need_index", "H2_deep_poverty", "H12_city_x_members_strength", "H11_county_matching_city",
                 "H6_lagged_growth"):
        assert set(effects[name].values()) == {0.0}, name
    assert effects["H4_post_x_need_index"] == 0 and effects["H9_assignment_logit_change"] == 0
    assert effects["H10_mismatch"]["unmatched_share_on_log_collective_income"] == 0
    assert effects["H10_industry_collapse"]["logit_shift_weak_after_unit_left"] == 0


def test_every_new_claim_has_its_truth_in_the_default_edition(default) -> None:
    _, truth = default
    for key_id in ("allocation.campaign_ppml.need_index.estimate", "logic_shift.shift_ppml.post_need.estimate",
                   "performance.lagged_ppml.post_lag_growth.estimate", "concentration.change.endowment",
                   "allocation.h8_gap_ppml.vertical_over_horizontal.estimate",
                   "matching.h9_logit_change.change.estimate", "industry.industry_survival.collapse.estimate",
                   "mismatch.mismatch_returns.unmatched.estimate",
                   "county_matching.county_transition_ppml.city.estimate",
                   "allocation.transition_ppml.city_x_members.estimate"):
        value, _ = key_truth(truth, BY_ID[key_id])
        assert value is not None and np.isfinite(value), key_id


def test_the_triple_difference_has_its_own_event_study(default) -> None:
    from villageaid.analysis.logic_shift import logic_shift_models

    panel, truth = default
    results = logic_shift_models(panel, bootstrap_draws=0, vcov=CRV1)
    study = results.triple_event_study.tidy().set_index("period")
    assert study.loc[2020, "term"] == "(reference)" and results.triple_event_study.pre_trend is not None
    # the alliance coefficient moves from 0 to 0.6 in log expected funding at 2021 (asinh: about 0.52 of it)
    after = study.loc[[2021, 2022, 2023, 2024, 2025], "estimate"].mean()
    before = study.loc[[2016, 2017, 2018, 2019], "estimate"].mean()
    assert after - before > 0
    assert truth["effects"]["H4_post_x_city_x_rich"] == pytest.approx(0.6)
