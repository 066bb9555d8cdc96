"""The truth of a simulated edition beside what the analyses estimate.

A simulated panel carries its data-generating process's ``truth.json`` (``panel.attrs["truth"]``, a JSON string
set when the panel is built from simulated records). :func:`key_truth` gives the true value of a key estimate,
and whether it is exact or an approximation on the estimator's scale (asinh models, an IV average of
heterogeneous returns); :func:`carrying_villages` how many villages carry a coefficient in each period.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from villageaid.registry import KeyEstimate, ModelSpec

#: Truth (a key of ``truth.json`` → ``effects``) of each term of the H1–H4 formula models, on the PPML scale.
TERM_TRUTH = {"city": "H1_city_unit", "rich_village": "H2_rich", "endowment_index": "H2_endowment_index",
              "city_x_rich": "H3_city_x_rich", "strong": "H8_strong_unit", "post:city": "H4_post_x_city",
              "post:rich_village": "H4_post_x_rich", "post:city_x_rich": "H4_post_x_city_x_rich",
              "post:endowment_index": "H4_post_x_endowment_index", "need_index": "H2_need_index",
              "deep_poverty": "H2_deep_poverty", "post:need_index": "H4_post_x_need_index",
              "post:deep_poverty": "H4_post_x_deep_poverty",
              "members_strength": "H12_members_strength", "city_x_members": "H12_city_x_members_strength"}
#: Truths that differ from :data:`TERM_TRUTH` for a model of one source's funding: (outcome, term) → key. Every
#: other term acts on every source alike in the simulation, so its truth is the same for any source.
OUTCOME_TERM_TRUTH = {("funding_county", "city"): "H11_county_city_unit"}
#: Indicators behind the binary terms, whose coefficients rest on the villages where they are 1.
INDICATORS = {"city": ("city_unit",), "rich_village": ("rich",), "strong": ("strong_unit",),
              "city_x_rich": ("city_unit", "rich"), "demo": ("demonstration",)}


def panel_truth(panel: pd.DataFrame) -> dict | None:
    """Return the truth a simulated panel carries, or None for records."""
    text = panel.attrs.get("truth")
    if not text:
        return None
    return json.loads(text) if isinstance(text, str) else dict(text)


def _lookup(effects: dict, path: str) -> float | None:
    value: object = effects
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def model_truth(truth: dict, model: ModelSpec, term: str) -> tuple[float | None, bool]:
    """Return the true value of a formula model's term and whether it is approximate (asinh outcomes).

    The truths are on the log scale of expected funding, which PPML estimates; OLS on asinh(funding) estimates
    about (1 − share of village-years without funding) times them.
    """
    effects = truth["effects"]
    base = OUTCOME_TERM_TRUTH.get((model.outcome, term), TERM_TRUTH.get(term))
    if base is None or base not in effects:
        return None, False
    value = effects[base]
    if isinstance(value, dict):
        if len(model.periods) != 1 or model.periods[0] not in value:
            return None, False
        value = value[model.periods[0]]
    value = float(value)
    if model.estimator == "fepois":
        return value, False
    share = float(effects.get("asinh_approx", {}).get("share_no_funding", math.nan))
    return (1 - share) * value, True


def key_truth(truth: dict, key: KeyEstimate) -> tuple[float | None, bool]:
    """Return the true value of a key estimate (None without one) and whether it is an approximation."""
    source = key.source
    if isinstance(source, ModelSpec) and source.terms and key.column == "estimate":
        return model_truth(truth, source, str(key.where.get("term", "")))
    if key.truth is None:
        return None, False
    return _lookup(truth["effects"], key.truth), key.truth_approximate


def carrying_villages(panel: pd.DataFrame, term: str, periods: Sequence[str] = ("campaign", "transition")
                      ) -> dict[str, int] | None:
    """Return, per period, how many villages carry a binary term's coefficient (None for other terms).

    A coefficient on an indicator (or a product of indicators) rests on the villages where it is 1 in some year
    of the period, or on those where it is 0 when they are fewer; ``post:`` terms on both periods.
    """
    held = units_holding(panel, term, "village_id", periods)
    return None if held is None else {period: min(count, total - count) for period, (count, total) in held.items()}


def units_holding(panel: pd.DataFrame, term: str, unit: str, periods: Sequence[str] = ("campaign", "transition")
                  ) -> dict[str, tuple[int, int]] | None:
    """Return, per period, how many ``unit`` groups (villages, townships) have a binary term at 1 in some year, of all.

    None for a term that is not an indicator or a product of indicators, or when its columns are missing; a
    period without rows is left out.
    """
    indicators = INDICATORS.get(term.removeprefix("post:"))
    if indicators is None or any(column not in panel for column in (*indicators, unit, "period")):
        return None
    out = {}
    for period in periods:
        rows = panel.loc[panel["period"] == period]
        if rows.empty:
            continue
        value = np.ones(len(rows), dtype=bool)
        for column in indicators:
            value &= rows[column].astype("boolean").fillna(False).to_numpy(dtype=bool)
        ever = pd.Series(value, index=rows.index).groupby(rows[unit], observed=True).any()
        out[period] = (int(ever.sum()), len(ever))
    return out
