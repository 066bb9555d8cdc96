"""Power for study design: how many counties and villages it takes to find the paper's claims.

Two studies. The effect-size study (:func:`power_replication`, :func:`summarize_power`): for each design (number
of counties, villages per county, effect size) the default process is simulated with the strong-alliance
coefficient after 2021 set to the effect size (and none before, so the H4 triple interaction equals it too), and
the share of replications in which the PPML test rejects at 5% is the power. A replication whose jackknife is
undefined tests with CRV1 errors (noted, counted in ``variance_fallbacks``); one whose test cannot be computed
counts as no rejection (``not_estimated``). Neither stops the study.

The power-by-claim study (:func:`claim_replication`, :func:`summarize_claim_power`, :func:`power_sentence`): a
scenario's process (seed_true by default) is simulated in each number of counties, every claim of the paper is
estimated as the discrimination study estimates it (:mod:`villageaid.studies.discrimination`), and the share of
replications whose verdict reads "supported" is the power of a claim the scenario makes true, or its
false-support rate where the scenario makes it false. A replication whose estimate cannot be computed counts as
not supported and is counted in ``not_estimated``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from villageaid.analysis import allocation_models, logic_shift_models
from villageaid.analysis.truth import key_truth
from villageaid.estimators.limits import DATA_LIMITS
from villageaid.io.validate import validate_tables
from villageaid.panel import build_panel
from villageaid.registry import SHIFT_PPML, TRANSITION_PPML, KeyEstimate
from villageaid.simulation import SCENARIOS, Scenario, seed_true, simulate
from villageaid.studies.discrimination import CLAIMS, STUDY_SCENARIOS, _estimates, claim_reading
from villageaid.workflow.outputs import BuildSettings, paper_variance, resolve_variance


def design_scenario(counties: int, villages_per_county: int, effect: float) -> Scenario:
    """Return the default process with the given counties and villages, and H3 = H4 = ``effect``."""
    base = seed_true()
    townships = max(1, round(villages_per_county / 15))
    transition = tuple((k, effect if k == "city_x_rich" else v) for k, v in base.coefficients_transition)
    campaign = tuple((k, 0.0 if k == "city_x_rich" else v) for k, v in base.coefficients_campaign)
    return replace(base, name=f"design_{counties}x{villages_per_county}_effect{effect:g}",
                   description="Power design", county_names=tuple(f"K{c + 1}" for c in range(counties)),
                   villages_per_county=(villages_per_county,) * counties, townships_per_county=(townships,) * counties,
                   counties_per_city=min(counties, 8), coefficients_transition=transition,
                   coefficients_campaign=campaign)


def power_replication(seed: int, design: tuple[int, int, float]) -> dict:
    """Run one replication of one design and return the p-values of the H3 and H4 tests."""
    counties, villages, effect = design
    data = simulate(design_scenario(counties, villages, effect), seed=seed)
    tables, _ = validate_tables(data.tables)
    panel = build_panel(tables)
    row = {"counties": counties, "villages_per_county": villages, "effect": effect, "seed": seed}
    for hypothesis, estimate, spec in (
            ("H3", lambda: allocation_models(panel, period="transition", bootstrap_draws=0).ppml, TRANSITION_PPML),
            ("H4", lambda: logic_shift_models(panel, bootstrap_draws=0, event_studies=False).ppml, SHIFT_PPML)):
        try:
            model = estimate()
            row[f"{hypothesis}_p"] = float(model.pvalues[spec.key_term])
            row[f"{hypothesis}_note"] = model.fallback_reason or ""
        except DATA_LIMITS as exc:  # a design these data cannot support: recorded, never the end of the run
            row[f"{hypothesis}_p"] = np.nan
            row[f"{hypothesis}_note"] = f"not estimated: {type(exc).__name__}: {exc}"
    return row


def power_task(seed: int, index: int, designs: tuple) -> dict:
    """Task ``index`` of a power study: one replication of ``designs[index]``."""
    return power_replication(seed, designs[index])


def summarize_power(rows: pd.DataFrame, *, target: float = 0.8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Power by design and hypothesis, and the fewest counties that reach ``target`` power."""
    long = rows.melt(id_vars=["counties", "villages_per_county", "effect", "seed"], value_vars=["H3_p", "H4_p"],
                     var_name="hypothesis", value_name="p_value")
    long["hypothesis"] = long["hypothesis"].str.replace("_p", "", regex=False)
    notes = rows.melt(id_vars=["counties", "villages_per_county", "effect", "seed"],
                      value_vars=[c for c in ("H3_note", "H4_note") if c in rows], var_name="hypothesis",
                      value_name="note")
    notes["hypothesis"] = notes["hypothesis"].str.replace("_note", "", regex=False)
    long = long.merge(notes, on=["counties", "villages_per_county", "effect", "seed", "hypothesis"], how="left")
    long["note"] = long["note"].fillna("")
    # Power counts a test that could not be computed as no rejection; how many were undefined is reported.
    power = (long.assign(reject=long["p_value"] < 0.05, not_estimated=long["note"].str.startswith("not estimated"),
                         fallback=long["note"].str.startswith("CRV3 undefined"))
             .groupby(["hypothesis", "effect", "villages_per_county", "counties"])
             .agg(power=("reject", "mean"), replications=("reject", "size"), not_estimated=("not_estimated", "sum"),
                  variance_fallbacks=("fallback", "sum")).reset_index())
    needed = []
    for (hypothesis, effect, villages), group in power.groupby(["hypothesis", "effect", "villages_per_county"]):
        reached = group.loc[group["power"] >= target, "counties"]
        needed.append({"hypothesis": hypothesis, "effect": effect, "villages_per_county": villages,
                       f"counties_for_{int(target * 100)}pct_power": int(reached.min()) if len(reached) else np.nan})
    return power, pd.DataFrame(needed)


# ---------------------------------------------------------------------------------------------------------------
# Power by claim: how many counties each of the paper's claims needs.
# ---------------------------------------------------------------------------------------------------------------

#: Share of replications reading "supported" that a design must reach.
POWER_TARGET = 0.8
#: What the share supported measures, by what the scenario makes of the claim.
MEASURES = {"power": "power", "false": "false-support rate", "no_truth": "support rate (no true value)"}
#: The claim the paper's sentence leads with: the strong-alliance shift (H4, post × city-level × rich, PPML).
HEADLINE_CLAIM = next(k.id for k in CLAIMS if k.source is SHIFT_PPML and k.where.get("term") == SHIFT_PPML.key_term)


def select_claims(text: str) -> tuple[KeyEstimate, ...]:
    """Return the claims named by ``text``: ``all``, or comma-separated hypotheses (``H3,H4``) and claim ids.

    Raises
    ------
    ValueError
        If a name is neither a hypothesis with claims nor a claim id, or none is given.
    """
    names = [part.strip() for part in text.split(",") if part.strip()]
    if "all" in names:
        return CLAIMS
    hypotheses = tuple(sorted({k.hypothesis for k in CLAIMS}, key=lambda h: int(h.removeprefix("H"))))
    ids = {k.id for k in CLAIMS}
    unknown = [name for name in names if name not in hypotheses and name not in ids]
    if unknown or not names:
        raise ValueError(f"unknown claim(s) {', '.join(unknown) or '(none given)'}: use all, hypotheses "
                         f"({', '.join(hypotheses)}) or claim ids ({', '.join(sorted(ids))})")
    return tuple(k for k in CLAIMS if k.hypothesis in names or k.id in names)


def claim_design(scenario: str, counties: int, villages_per_county: int | None = None) -> Scenario:
    """Return scenario ``scenario``'s process in ``counties`` counties.

    Parameters
    ----------
    scenario : str
        A scenario of :data:`~villageaid.studies.discrimination.STUDY_SCENARIOS`.
    counties : int
        Number of counties (at least 1).
    villages_per_county : int, optional
        Villages in each county (one township per 15); by default the scenario's own counties' sizes and
        townships, repeated in turn (seed_true: 150, 120, 150, ...).

    Returns
    -------
    Scenario
        The scenario itself when ``counties`` is its own number and ``villages_per_county`` is not given;
        otherwise its process with counties ``K01``... grouped eight to a city (or all in one city when fewer,
        never fewer to a city than the scenario has), as :func:`~villageaid.simulation.many_counties` does.
    """
    if scenario not in STUDY_SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}: use one of {', '.join(STUDY_SCENARIOS)}")
    if counties < 1 or (villages_per_county is not None and villages_per_county < 1):
        raise ValueError(f"a design needs at least one county and one village per county, got {counties} "
                         f"counties of {villages_per_county} villages")
    base = SCENARIOS[scenario]()
    own = len(base.county_names)
    if counties == own and villages_per_county is None:
        return base
    if villages_per_county is None:
        villages = tuple(base.villages_per_county[c % own] for c in range(counties))
        townships = tuple(base.townships_per_county[c % own] for c in range(counties))
    else:
        villages = (villages_per_county,) * counties
        townships = (max(1, round(villages_per_county / 15)),) * counties
    width = max(2, len(str(counties)))
    return replace(base, county_names=tuple(f"K{c + 1:0{width}d}" for c in range(counties)),
                   villages_per_county=villages, townships_per_county=townships,
                   counties_per_city=max(base.counties_per_city, min(counties, 8)))


def mean_villages(scenario: str, villages_per_county: int | None) -> float:
    """Return the villages per county of a design: the given number, or the mean of the scenario's own."""
    if villages_per_county is not None:
        return float(villages_per_county)
    return float(np.mean(SCENARIOS[scenario]().villages_per_county))


def claim_replication(seed: int, scenario: str, counties: int, villages_per_county: int | None = None,
                      claims: tuple[str, ...] | None = None, vcov: str = "auto") -> list[dict]:
    """One replication of a design: each claim's estimate, 95% interval, truth and the paper's verdict.

    The claims are estimated as the discrimination study estimates them (its estimation steps), with the variance
    ``vcov``: by default the one the build chooses for the design (``auto``: the village jackknife below 30
    counties, CRV1 by county from 30).

    Parameters
    ----------
    seed : int
        Seed of the simulated data.
    scenario, counties, villages_per_county
        The design (:func:`claim_design`).
    claims : tuple of str, optional
        Claim ids to report (default: every claim).
    vcov : str
        ``auto`` (the default), ``CRV3``, ``CRV1`` (by village) or ``CRV1-county``. The village jackknife's time
        grows about with the cube of the villages (a replication of 8 counties of 135 villages takes minutes);
        CRV1 by village is the fast approximation of it.

    Returns
    -------
    list of dict
        One row per claim; ``verdict`` is "not estimated" (with the reason in ``not_estimated``) where the data
        cannot support the estimate.
    """
    design = claim_design(scenario, counties, villages_per_county)
    data = simulate(design, seed=seed)
    tables, report = validate_tables(data.tables)
    if not report.ok:
        raise ValueError(f"simulated data failed validation: {report.errors[0].format()}")
    panel = build_panel(tables)
    vcov_name = resolve_variance(vcov, panel)
    results, limits = _estimates(panel, paper_variance(vcov_name), BuildSettings())
    per_county = mean_villages(scenario, villages_per_county)
    rows = []
    for key in CLAIMS:
        if claims is not None and key.id not in claims:
            continue
        truth = key_truth(data.truth, key)[0]
        rows.append({"seed": seed, "scenario": scenario, "counties": counties,
                     "villages_per_county": per_county, "villages": design.n_villages,
                     "vcov": vcov_name, "claim_id": key.id, "hypothesis": key.hypothesis, "direction": key.claim,
                     "truth": np.nan if truth is None else float(truth),
                     **claim_reading(key, results, limits, panel)})
    return rows


def claim_power_task(seed: int, index: int, tasks: tuple, claims: tuple[str, ...] | None = None,
                     vcov: str = "auto") -> list[dict]:
    """Task ``index`` of a power-by-claim study: one replication of the design ``tasks[index]``.

    ``tasks[index]`` is (scenario, counties, villages per county or None); ``claims`` and ``vcov`` as in
    :func:`claim_replication`.
    """
    scenario, counties, villages = tasks[index]
    return claim_replication(seed, scenario, counties, villages, claims, vcov)


def _measure(truth: float, direction: int) -> str:
    """Return what the share supported measures for a claim of ``direction`` whose true value is ``truth``."""
    if not np.isfinite(truth):
        return MEASURES["no_truth"]
    return MEASURES["power"] if truth * direction > 0 else MEASURES["false"]


def summarize_claim_power(rows: pd.DataFrame, *, target: float = POWER_TARGET
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Share supported per claim and design, and per claim the fewest counties reaching ``target`` power.

    Parameters
    ----------
    rows : DataFrame
        Rows of :func:`claim_replication`.
    target : float
        Power to reach (0.8).

    Returns
    -------
    by_claim : DataFrame
        Per claim, scenario, villages per county and counties: ``replications``, ``not_estimated`` (counted as
        not supported), ``variance_fallbacks``, the mean ``truth``, ``measure`` — "power" where the scenario
        makes the claim true, "false-support rate" where its truth is zero or of the other sign, "support rate
        (no true value)" where the scenario defines none — and ``rate``, the share of all replications whose
        verdict reads supported.
    needed : DataFrame
        Per claim, scenario and villages per county: ``counties_for_<target>pct_power``, the fewest counties in
        the grid whose power reaches ``target`` (empty if none does, or if the share is not a power), the grid's
        ends, the rate at its largest number of counties and a ``note`` saying why a cell is empty.
    """
    if rows.empty:
        raise ValueError("no replications to summarize")
    order = {key.id: i for i, key in enumerate(CLAIMS)}
    description = {key.id: key.description for key in CLAIMS}
    groups = ["claim_id", "hypothesis", "scenario", "villages_per_county", "counties"]
    by_claim = (rows.assign(supported=rows["verdict"] == "supported", missing=rows["verdict"] == "not estimated",
                            fallback=rows["variance_fallback"].fillna("") != "")
                .groupby(groups, sort=False)
                .agg(direction=("direction", "first"), vcov=("vcov", "first"), villages=("villages", "first"),
                     replications=("supported", "size"), not_estimated=("missing", "sum"),
                     variance_fallbacks=("fallback", "sum"), truth=("truth", "mean"), rate=("supported", "mean"))
                .reset_index())
    by_claim["description"] = by_claim["claim_id"].map(description)
    by_claim["measure"] = [_measure(t, d) for t, d in zip(by_claim["truth"], by_claim["direction"], strict=True)]
    by_claim["order"] = by_claim["claim_id"].map(order)
    by_claim = (by_claim.sort_values(["order", "scenario", "villages_per_county", "counties"], kind="mergesort")
                .reset_index(drop=True))
    by_claim = by_claim[["claim_id", "hypothesis", "description", "scenario", "counties", "villages_per_county",
                         "villages", "vcov", "replications", "not_estimated", "variance_fallbacks", "truth",
                         "measure", "rate"]]
    column = f"counties_for_{round(target * 100)}pct_power"
    needed = []
    for (claim_id, scenario, villages), group in by_claim.groupby(["claim_id", "scenario", "villages_per_county"],
                                                                  sort=False):
        powered = group.loc[group["measure"] == MEASURES["power"]]
        reached = powered.loc[powered["rate"] >= target, "counties"]
        most = group.loc[group["counties"].idxmax()]
        if len(reached):
            fewest = int(reached.min())
            below = powered.loc[(powered["counties"] > fewest) & (powered["rate"] < target), "counties"]
            note = (f"below {round(target * 100)}% again at {', '.join(map(str, below))} counties (too few "
                    "replications?)" if len(below) else "")
        elif len(powered) == len(group):
            note = f"not reached by {int(group['counties'].max())} counties"
        elif len(powered):
            note = (f"not reached by {int(powered['counties'].max())} counties (the claim is not true in the "
                    "scenario at every design)")
        elif most["measure"] == MEASURES["false"]:
            note = "not true in the scenario: a false-support rate, not power"
        else:
            note = "no true value in the scenario: a support rate, not power"
        needed.append({"claim_id": claim_id, "hypothesis": group["hypothesis"].iloc[0],
                       "description": group["description"].iloc[0], "scenario": scenario,
                       "villages_per_county": villages, column: int(reached.min()) if len(reached) else pd.NA,
                       "fewest_counties_tried": int(group["counties"].min()),
                       "most_counties_tried": int(group["counties"].max()), "measure": most["measure"],
                       "rate_at_most_counties": float(most["rate"]), "note": note})
    needed_frame = pd.DataFrame(needed)
    needed_frame[column] = needed_frame[column].astype("Int64")
    return by_claim, needed_frame


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"


def power_sentence(table: pd.DataFrame, *, headline: str = HEADLINE_CLAIM,
                   headline_label: str = "the strong-alliance shift (H4)") -> str:
    """Say in one or two plain sentences how many counties the claims need for 80% power.

    Parameters
    ----------
    table : DataFrame
        ``counties_for_80pct_power_by_claim.csv`` (:func:`summarize_claim_power`'s second table), for one
        scenario and one number of villages per county.
    headline : str
        Claim id the sentence leads with (default: the H4 triple interaction).
    headline_label : str
        How the sentence names it.

    Returns
    -------
    str
        E.g. "At 80% power, the strong-alliance shift (H4) needs 16 counties of 135 villages; 5 of the 23 claims
        true in the simulated process reach it with the two counties of the source paper; 7 are not reached by 40
        counties."

    Raises
    ------
    ValueError
        If the table is empty, lacks the counties column or mixes scenarios or numbers of villages per county.
    """
    column = "counties_for_80pct_power"
    if table.empty or column not in table:
        raise ValueError(f"power_sentence needs a non-empty table with a {column} column "
                         "(counties_for_80pct_power_by_claim.csv)")
    for setting in ("scenario", "villages_per_county"):
        if setting in table and table[setting].nunique() > 1:
            raise ValueError(f"power_sentence needs one {setting}, the table has "
                             f"{', '.join(map(str, table[setting].unique()))}: select one first")
    fewest, most = int(table["fewest_counties_tried"].min()), int(table["most_counties_tried"].max())
    villages = f"{float(table['villages_per_county'].iloc[0]):g}"
    true_claims = table.loc[table["measure"] == MEASURES["power"]]
    if true_claims.empty:
        worst = table.loc[table["rate_at_most_counties"].idxmax()]
        return (f"No claim is true in the simulated process; the largest false-support rate is "
                f"{100 * float(worst['rate_at_most_counties']):.0f}% ({worst['hypothesis']}, with {most} counties of "
                f"{villages} villages).")
    counties = true_claims[column]
    start = "At 80% power, "
    found = true_claims.loc[true_claims["claim_id"] == headline]
    if len(found):
        needs = found[column].iloc[0]
        start += (f"{headline_label} needs {int(needs)} counties of {villages} villages; " if pd.notna(needs) else
                  f"{headline_label} is not reached by {most} counties of {villages} villages; ")
    else:
        start = f"With {villages} villages a county, at 80% power "
    at_fewest = int((counties == fewest).sum())
    never = int(counties.isna().sum())
    design = "the two counties of the source paper" if fewest == 2 else _count(fewest, "county", "counties")
    reach = "reaches" if at_fewest == 1 else "reach"
    text = (f"{start}{at_fewest or 'none'} of the {len(true_claims)} claims true in the simulated process {reach} "
            f"it with {design}; ")
    text += (f"every one reaches it by {most} counties." if never == 0 else
             f"{never} {'is' if never == 1 else 'are'} not reached by {most} counties.")
    left_out = [f"{_count(len(hyps), 'claim', 'claims')} {what} ({', '.join(hyps)})"
                for what, hyps in (("false in the simulated process", _hypotheses(table, "false")),
                                   ("with no true value in the simulated process", _hypotheses(table, "no_truth")))
                if hyps]
    if left_out:
        text += f" Left out: {' and '.join(left_out)}."
    return text


def _hypotheses(table: pd.DataFrame, measure: str) -> list[str]:
    return list(table.loc[table["measure"] == MEASURES[measure], "hypothesis"])
