"""Generate the H6 performance reference panel (run once from the repository root; the CSV is kept).

    .venv/bin/python tests/reference/performance/make_data.py

80 villages × 2016–2025 in two counties (four townships each), the panel's columns that
:mod:`villageaid.analysis.performance` reads: village_id, county, township, year, period ("campaign" 2016–2020,
"transition" 2021–2025), post, village_type (A–D, drawn again for the transition), endowment_index,
funding_total (万元, about a third zeros; two villages never funded, which PPML drops) and collective_income
(万元, positive, two decimals, about 3% missing). Collective income grows faster after 2020 in villages that
start higher and in type A, and funding follows last year's income growth after 2020, so the H6 terms are
not zero.
"""

from pathlib import Path

import numpy as np
import pandas as pd

rng = np.random.default_rng(20261207)
villages, years = 80, np.arange(2016, 2026)
county = np.repeat(["K1", "K2"], villages // 2)
township = np.array([f"{c}T{t}" for c, t in zip(county, rng.integers(1, 5, villages), strict=True)])
endowment = rng.normal(size=villages)
rich = endowment > 0.3


def village_type(city: np.ndarray) -> np.ndarray:
    """A city + rich, B county + rich, C county + poor, D city + poor."""
    return np.where(rich, np.where(city, "A", "B"), np.where(city, "D", "C"))


city_campaign = rng.random(villages) < 0.30 + 0.10 * endowment
city_transition = np.where(rng.random(villages) < 0.7, city_campaign, rng.random(villages) < 0.35)
type_campaign, type_transition = village_type(city_campaign), village_type(city_transition)

level = 1.0 + 0.6 * endowment + rng.normal(scale=0.5, size=villages)
growth_campaign = 0.08 + rng.normal(scale=0.04, size=villages)
growth_transition = (0.04 + 0.06 * (level - level.mean()) + 0.05 * (type_transition == "A")
                     + rng.normal(scale=0.04, size=villages))
t = years - years[0]
after = np.maximum(years - 2020, 0)
log_ci = (level[:, None] + growth_campaign[:, None] * np.minimum(t, 4)[None, :]
          + growth_transition[:, None] * after[None, :] + rng.normal(scale=0.15, size=(villages, len(years))))
ci = np.maximum(np.round(np.exp(log_ci), 2), 0.01)
ci[rng.random(ci.shape) < 0.03] = np.nan

post = (years >= 2021).astype(int)
previous = np.full_like(log_ci, np.nan)
previous[:, 2:] = log_ci[:, 1:-1] - log_ci[:, :-2]
county_year = rng.normal(scale=0.3, size=(2, len(years)))[(county == "K2").astype(int)]
log_mu = (3.0 + 0.3 * endowment[:, None] + rng.normal(scale=0.5, size=villages)[:, None] + county_year
          + 1.5 * post[None, :] * np.nan_to_num(previous))
funding = np.exp(log_mu + rng.normal(scale=0.6, size=log_mu.shape)) * (rng.random(log_mu.shape) > 0.35)
funding[:2] = 0.0
funding = np.round(funding, 4)

panel = pd.DataFrame({
    "village_id": np.repeat([f"V{i:03d}" for i in range(1, villages + 1)], len(years)),
    "county": np.repeat(county, len(years)),
    "township": np.repeat(township, len(years)),
    "year": np.tile(years, villages),
    "period": np.tile(np.where(post == 1, "transition", "campaign"), villages),
    "post": np.tile(post, villages),
    "village_type": np.where(np.tile(post, villages) == 1, np.repeat(type_transition, len(years)),
                             np.repeat(type_campaign, len(years))),
    "endowment_index": np.repeat(np.round(endowment, 6), len(years)),
    "funding_total": funding.ravel(),
    "collective_income": ci.ravel(),
})
panel.to_csv(Path(__file__).with_name("panel.csv"), index=False)
