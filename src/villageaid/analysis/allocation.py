"""H1–H3 and H8: unit level, village endowment and their combination as predictors of funding.

Does the dispatching unit's level, the village's endowment, and their combination ("strong alliance",
强强联合) predict funding? And are vertical (level) gaps larger than horizontal (department strength) ones?

Models, for one period at a time (transition 2021–2025, and beside it the campaign 2016–2020), with
county × year fixed effects and baseline controls, errors clustered by village (cluster jackknife):

* level and endowment: funding on city-level first secretary, rich, city × rich, the continuous
  endowment index, strong department and the demonstration terms — asinh(funding) by OLS and funding by
  Poisson pseudo-ML;
* typology: the same with type dummies A, B, D (C, county unit + poor village, the reference).

H8 is the Wald test that the city-level and strong-department coefficients are equal.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from villageaid.analysis.variables import (
    analysis_frame,
    available_controls,
    available_optional,
    fit_with_fallback,
    formula_models,
    township_bootstrap,
    village_variance,
)
from villageaid.estimators import (
    RegressionResults,
    WaldTest,
    WildBootstrapResult,
    feols,
    fepois,
)
from villageaid.estimators.formula import parse_formula
from villageaid.estimators.randomization import PermutationResult, permutation_test
from villageaid.estimators.vcov import VcovSpec


@dataclass(frozen=True)
class AllocationResults:
    """H1–H3 and H8 models of one period."""

    period: str
    asinh_ols: RegressionResults | None
    ppml: RegressionResults | None
    types_ols: RegressionResults | None
    level_vs_strength_ols: WaldTest | None
    level_vs_strength_ppml: WaldTest | None
    strong_alliance_bootstrap: WildBootstrapResult | None
    vertical_gap_ppml: OneSidedTest | None = None
    sector_ppml: RegressionResults | None = None
    sectors_ppml: WaldTest | None = None
    #: Randomisation inference on the city × rich coefficient of the asinh model: the sharp null that the first
    #: secretary's unit (its level, strength and team) does nothing, units permuted among villages within county.
    strong_alliance_randomization: PermutationResult | None = None


@dataclass(frozen=True)
class OneSidedTest:
    """A one-sided test of a linear combination of coefficients (H8: vertical gap − horizontal gap > 0).

    ``conf_low`` and ``conf_high`` are one-sided bounds at ``level`` (normal), each end a one-sided test at
    1 − ``level``; ``p_value`` is against H0: combination ≤ 0.
    """

    term: str
    estimate: float
    std_error: float
    p_value: float
    conf_low: float
    conf_high: float
    level: float = 0.95

    def tidy(self) -> pd.DataFrame:
        """Return the test as one tidy row."""
        return pd.DataFrame([{"term": self.term, "estimate": self.estimate, "std_error": self.std_error,
                              "statistic": self.estimate / self.std_error, "p_value": self.p_value,
                              "conf_low": self.conf_low, "conf_high": self.conf_high}])


def one_sided_gap(model: RegressionResults, larger: str, smaller: str, *, level: float = 0.95) -> OneSidedTest:
    """Return the one-sided test that the coefficient of ``larger`` exceeds that of ``smaller`` in ``model``.

    The difference, its standard error from the model's variance (the jackknife where the model has it) and normal
    one-sided bounds; the claim is directional, so a two-sided Wald test answers another question.
    """
    params, vcov = model.params, model.vcov
    weights = pd.Series(0.0, index=params.index)
    weights[larger], weights[smaller] = 1.0, -1.0
    estimate = float(weights @ params)
    error = float(np.sqrt(weights.to_numpy() @ vcov.loc[params.index, params.index].to_numpy() @ weights.to_numpy()))
    z = float(stats.norm.ppf(level))
    return OneSidedTest(f"{larger} - {smaller}", estimate, error, float(stats.norm.sf(estimate / error)),
                        estimate - z * error, estimate + z * error, level)


#: The models an allocation analysis estimates, by where its results keep them (``sector_ppml``, transition only:
#: the PPML model with the first secretary's sector, where the records give it).
ALLOCATION_MODELS = ("asinh_ols", "ppml", "types_ols", "sector_ppml")


def allocation_models(panel: pd.DataFrame, *, period: str = "transition", bootstrap_draws: int = 9999,
                      seed: int = 1, vcov: VcovSpec | None = None,
                      models: Collection[str] = ALLOCATION_MODELS,
                      randomization_draws: int = 0) -> AllocationResults:
    """Estimate the H1–H3 models and the H8 test for ``period``.

    Parameters
    ----------
    panel : DataFrame
        The village × year panel.
    period : {"transition", "campaign"}
    bootstrap_draws : int
        Draws of the township-level wild cluster bootstrap of the city × rich coefficient (0 to skip).
    seed : int
        Seed of the bootstrap.
    vcov : VarianceEstimator, str or dict, optional
        Variance of the models; by default the cluster jackknife by village (``{"CRV3": "village"}``). Where the
        jackknife is undefined on these data, a model keeps its estimates with CRV1 errors by village, marked
        (``fallback_reason``).
    models : collection of str
        Which of :data:`ALLOCATION_MODELS` to estimate (the others are None; the H8 test of a model not estimated
        too). The Monte Carlo studies estimate only the models their claims read.
    randomization_draws : int
        Random permutations of the randomisation test of city × rich (0 to skip; every permutation when there
        are fewer distinct ones, and the p-value is then exact): see :func:`unit_randomization`.
    """
    frame = analysis_frame(panel)
    frame = frame.loc[frame["period"] == period]
    controls = available_controls(frame)
    optional = available_optional(frame)
    demonstration = bool(frame["demo"].any())
    variance = village_variance(vcov)
    specs = formula_models(f"allocation_{period}")
    unknown = set(models) - set(ALLOCATION_MODELS)
    if unknown:
        raise ValueError(f"unknown allocation models {sorted(unknown)}: use some of {ALLOCATION_MODELS}")
    asinh_formula = specs["asinh_ols"].formula(controls, demonstration=demonstration, available=optional)
    fitted = {name: fit_with_fallback(fepois if name == "ppml" else feols,
                                      specs[name].formula(controls, demonstration=demonstration, available=optional),
                                      frame,
                                      vcov=variance) for name in ALLOCATION_MODELS[:3] if name in models}
    asinh_ols, ppml, types_ols = (fitted.get(name) for name in ALLOCATION_MODELS[:3])
    restriction = {"city": 1.0, "strong": -1.0}
    tests = []
    for model in (asinh_ols, ppml):
        row = [[restriction.get(name, 0.0) for name in model.params.index]] if model is not None else None
        tests.append(None if model is None else
                     model.wald_test(restriction=row, hypothesis="city-level effect = strong-department effect"))
    bootstrap = None
    if (bootstrap_draws and "township" in frame and asinh_ols is not None
            and specs["asinh_ols"].key_term in asinh_ols.params.index):
        # (a term dropped as collinear — no type-A village in a period — has nothing to bootstrap)
        bootstrap = township_bootstrap(asinh_formula, frame, specs["asinh_ols"].key_term, draws=bootstrap_draws,
                                       seed=seed)
    gap = one_sided_gap(ppml, "city", "strong") if ppml is not None and {"city", "strong"} <= set(ppml.params.index) \
        else None
    sector_model, sector_test = None, None
    if "sector_ppml" in models and period == "transition":
        sector_model, sector_test = _sector_model(
            frame, specs["ppml"].formula(controls, demonstration=demonstration, available=optional), variance)
    randomization = None
    if (randomization_draws and asinh_ols is not None and "city_x_rich" in asinh_ols.params.index
            and not frame[[t for t in UNIT_TRAITS if t in frame]].isna().any().any()):
        randomization = unit_randomization(asinh_formula, frame, "city_x_rich", draws=randomization_draws,
                                           seed=seed)
    return AllocationResults(period, asinh_ols, ppml, types_ols, tests[0], tests[1], bootstrap, gap, sector_model,
                             sector_test, randomization)


#: The unit's traits that move with it when units are permuted among villages, and the products rebuilt after.
UNIT_TRAITS = ("city", "strong", "members_strength")


def unit_randomization(formula: str, frame: pd.DataFrame, term: str, *, draws: int, seed: int
                       ) -> PermutationResult:
    """Randomisation test of ``term`` in an OLS model: first secretaries' units permuted within each county.

    The sharp null is that the unit a village receives — its level, its department's strength and its team's
    strength — changes no village's funding. Each county decides its own postings, so the units (their traits'
    paths over the period's years, whole by village) are permuted among the county's villages, each county
    keeping its posts; ``city_x_rich`` and ``city_x_members`` are rebuilt from the permuted traits and each
    village's own richness. The statistic is the OLS coefficient of ``term`` refitted on each assignment: its
    p-value needs no variance estimate and no large number of clusters, only the exchangeability of postings
    within county that the null asserts (it is exact when every assignment is enumerated).
    """
    traits = [t for t in UNIT_TRAITS if t in frame]
    ordered = frame.sort_values(["village", "year"], kind="stable")

    statistic, reads = _fast_coefficient(formula, ordered, term, _unit_products, traits,
                                         product_reads=("rich_village", "members_strength", "city_x_members"))
    return permutation_test(statistic, ordered, traits, strata="county", clusters="village", draws=draws,
                            seed=seed, statistic_reads=reads)


def _unit_products(columns: Mapping[str, object]) -> dict[str, object]:
    """Return the products of the unit's traits with the village's from columns (Series or arrays), as in the frame."""
    products = {"city_x_rich": columns["city"] * columns["rich_village"]}
    if "members_strength" in columns and "city_x_members" in columns:
        products["city_x_members"] = columns["city"] * (columns["members_strength"] - 1.0)
    return products


def _fast_coefficient(formula: str, data: pd.DataFrame, term: str,
                      products: Callable[[Mapping[str, object]], dict[str, object]], treatment: Sequence[str], *,
                      product_reads: Sequence[str] = ()) -> tuple[Callable, str]:
    """Return the OLS coefficient of ``term`` (``feols``'s) under an assignment, as a least-squares solve.

    A randomisation test refits the model a thousand times; ``feols`` parses and checks the formula each time
    (about 5 ms here), and a copy of the whole frame per assignment costs about as much. With plain regressors
    and fixed effects, the outcome's and the unchanged fixed effects' part is computed once; each refit gathers
    the ``treatment`` columns at the assignment's rows, recomputes ``products`` of them and the columns
    ``product_reads``, puts the columns that moved into the design, demeans and solves: the same numbers as
    rebuilding the whole frame (float64 columns, elementwise products), a tenth of the time. The solve is
    checked against ``feols`` on ``data`` (a regressor ``feols`` drops as collinear would make them differ);
    anything else — another kind of formula, or a mismatch — refits ``feols`` on the re-assigned frame.

    Returns
    -------
    statistic, reads
        ``(rows -> coefficient, "rows")`` on the fast path, ``(frame -> coefficient, "frame")`` otherwise: the
        two forms :func:`~villageaid.estimators.randomization.permutation_test` takes (``statistic_reads``).
    """
    from villageaid.estimators.demean import FixedEffects

    def with_feols(frame: pd.DataFrame) -> float:
        return float(feols(formula, frame.assign(**products(frame)), vcov="iid").params[term])

    parsed = parse_formula(formula)
    if not parsed.fixed_effects or any(not t.isidentifier() for t in parsed.terms) or term not in parsed.terms:
        return with_feols, "frame"
    fixed = FixedEffects.from_data(data, parsed.fixed_effects)
    outcome = fixed.demean(data[[parsed.depvar]].to_numpy(dtype=float))[0][:, 0]
    columns, position = list(parsed.terms), parsed.terms.index(term)
    base = np.asfortranarray(data[columns].to_numpy(dtype=float))  # the design as observed
    observed = {c: data[c].to_numpy(dtype=float) for c in dict.fromkeys([*treatment, *product_reads]) if c in data}
    rebuilt = {*treatment, *products(observed)}  # the columns an assignment changes
    moved = [(j, c) for j, c in enumerate(columns) if c in rebuilt]

    def coefficient(rows: np.ndarray) -> float:
        assigned = dict(observed)
        for column in treatment:
            assigned[column] = observed[column].take(rows)
        assigned.update(products(assigned))
        design = base.copy(order="F")
        for j, column in moved:
            design[:, j] = assigned[column]
        design = fixed.demean(design, copy=False)[0]
        solution, *_ = np.linalg.lstsq(design, outcome, rcond=None)
        return float(solution[position])

    if not np.isclose(coefficient(np.arange(len(data))), with_feols(data), rtol=1e-9, atol=1e-12):
        return with_feols, "frame"
    return coefficient, "rows"


def _sector_model(frame: pd.DataFrame, formula: str, variance: object
                  ) -> tuple[RegressionResults | None, WaldTest | None]:
    """Return the PPML model with the first secretary's sector added, and the joint test of the sector terms.

    The sector (党政机关, 事业单位, 国有企业) is a second horizontal dimension; where the records do not give it
    for every village-year, or give one sector only, neither is estimated.
    """
    if "first_secretary_sector" not in frame or frame["first_secretary_sector"].isna().any():
        return None, None
    sectors = frame["first_secretary_sector"].astype(str)
    if sectors.nunique() < 2:
        return None, None
    reference = "government" if "government" in set(sectors) else sectors.value_counts().index[0]
    lhs, rhs = formula.split("~", 1)
    terms, effects = rhs.split("|", 1)
    full = f"{lhs}~{terms.rstrip()} + i(first_secretary_sector, ref={reference!r}) |{effects}"
    model = fit_with_fallback(fepois, full, frame.assign(first_secretary_sector=sectors), vcov=variance)
    names = [name for name in model.params.index if name.startswith("first_secretary_sector")]
    restriction = [[1.0 if name == term else 0.0 for name in model.params.index] for term in names]
    test = model.wald_test(restriction=restriction, hypothesis="no sector gaps") if names else None
    return model, test
