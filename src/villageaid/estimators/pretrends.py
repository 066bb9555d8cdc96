"""Power of pre-trend tests (Roth 2022, "Pretest with Caution", AER: Insights), for any event study.

A passed pre-trend test is weak evidence when the test has little power. For a hypothesised violation of
parallel trends ``delta`` (for example a linear trend through the reference period), this module computes

* the power of the usual pre-test — reject when any pre-period coefficient has |t| > 1.96 — against ``delta``:
  ``1 - P(|beta_pre,k| <= 1.96 se_k for all k)`` under ``beta_pre ~ N(delta_pre, Sigma_pre)``;
* the Bayes factor ``P(pass | delta) / P(pass | parallel trends)`` and the likelihood ratio of the observed
  pre-period coefficients under ``delta`` against parallel trends;
* what the coefficients are expected to be *conditional on passing* the pre-test: the truncated-normal mean of
  the pre-period coefficients (Tallis 1961) and, through their covariance, of the post-period ones. With no true
  effect, the post-period means are the bias of the event-study estimates after pre-testing;
* the slope of a linear violation that the pre-test detects with a given probability (50%, 80%).

It follows the R package pretrends (Roth) and is checked against it on He and Wang (2017) in
``tests/reference/pretrends``. Written here because no maintained Python implementation exists; the
multivariate normal probabilities come from SciPy (Genz's algorithm).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from villageaid.estimators.checks import require_covariance, require_finite_array, require_real
from villageaid.estimators.limits import TooFewError
from villageaid.estimators.results import DescriptiveResults
from villageaid.estimators.summary import normal_inference
from villageaid.threads import fixed_blas_order

#: Critical value of the pre-test on each coefficient (|t| above it rejects).
PRETEST_CRITICAL_VALUE = 1.96
_MVN_OPTIONS = {"maxpts": 200_000, "abseps": 1e-8, "releps": 0.0}
#: Cheaper settings for the root search of :func:`slope_for_power` (about 5x faster), whose result is then
#: polished with the precise settings.
_MVN_SEARCH_OPTIONS = {"maxpts": 50_000, "abseps": 1e-6, "releps": 0.0}


#: Box probabilities already computed in this process, by their exact inputs (at most :data:`_BOX_CACHE_SIZE`).
_BOX_CACHE: dict[tuple, float] = {}
_BOX_CACHE_SIZE = 4096


def _box_probability(mean: np.ndarray, cov: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                     options: dict | None = None) -> float:
    """P(lower <= X <= upper) for X ~ N(mean, cov) (SciPy's Genz algorithm, fixed seed: reproducible).

    The integration is seeded, so the same inputs give the same bits; a probability asked for again (the pre-test's
    size and the first points of the root search are the same for every power of one event study) is returned
    from :data:`_BOX_CACHE` instead of integrating 200,000 points again.
    """
    from scipy import stats

    if len(mean) == 0:
        return 1.0
    if len(mean) == 1:
        sd = float(np.sqrt(cov[0, 0]))
        return float(stats.norm.cdf(upper[0], mean[0], sd) - stats.norm.cdf(lower[0], mean[0], sd))
    chosen = options or _MVN_OPTIONS
    arrays = [np.ascontiguousarray(a, dtype=float) for a in (mean, cov, lower, upper)]
    key = (*(a.tobytes() for a in arrays), cov.shape, tuple(sorted(chosen.items())))
    if key not in _BOX_CACHE:
        if len(_BOX_CACHE) >= _BOX_CACHE_SIZE:
            _BOX_CACHE.clear()
        dist = stats.multivariate_normal(mean=mean, cov=cov, seed=20240601, **chosen)
        _BOX_CACHE[key] = float(dist.cdf(upper, lower_limit=lower))
    return _BOX_CACHE[key]


def truncated_normal_mean(mean: np.ndarray, cov: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Mean of N(mean, cov) truncated to the box [lower, upper] (Tallis 1961; as R tmvtnorm::mtmvnorm).

    ``E[X] = mean + cov @ (F(lower) - F(upper)) / alpha``, where ``alpha`` is the box probability and
    ``F_k(c)`` the normal density of ``X_k`` at ``c`` times the probability that the other coordinates fall
    in their bounds given ``X_k = c``.
    """
    mean, cov = np.asarray(mean, float), np.asarray(cov, float)
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    from scipy import stats

    d = len(mean)
    alpha = _box_probability(mean, cov, lower, upper)
    if alpha <= 0:
        raise ValueError("the truncation box has probability zero under this normal distribution")
    f_low, f_high = np.zeros(d), np.zeros(d)
    for k in range(d):
        others = [j for j in range(d) if j != k]
        sd_k = np.sqrt(cov[k, k])
        for bound, out in ((lower[k], f_low), (upper[k], f_high)):
            density = stats.norm.pdf(bound, mean[k], sd_k)
            if not others:
                out[k] = density
                continue
            shift = cov[others, k] / cov[k, k]
            conditional_mean = mean[others] + shift * (bound - mean[k])
            conditional_cov = cov[np.ix_(others, others)] - np.outer(shift, cov[k, others])
            out[k] = density * _box_probability(conditional_mean, conditional_cov, lower[others], upper[others])
    return mean + cov @ (f_low - f_high) / alpha


def _pre_indices(t: np.ndarray, reference: float) -> np.ndarray:
    pre = np.flatnonzero(t < reference)
    if pre.size == 0:
        raise TooFewError(f"no pre-period coefficient: every relative time is at or after the reference period "
                          f"{reference}; pass the reference period of the event study")
    return pre


def _check_inputs(betahat: np.ndarray | None, sigma: np.ndarray, t: np.ndarray, who: str = "pretrend_power") -> None:
    """Refuse non-finite or ill-shaped inputs, naming the offending entries (shared with ``honest_did``)."""
    if betahat is not None:
        require_finite_array(betahat, "betahat", who, ndim=1)
    require_finite_array(t, "t", who, ndim=1)
    require_covariance(sigma, who)  # square, finite, symmetric, positive variances, positive semi-definite
    if len(t) != sigma.shape[0]:
        raise ValueError(f"t has {len(t)} relative times but sigma is {sigma.shape[0]} × {sigma.shape[0]}")
    if betahat is not None and len(betahat) != len(t):
        raise ValueError(f"betahat has {len(betahat)} coefficients but t has {len(t)} relative times")


@fixed_blas_order
def pretest_power(delta_pre: np.ndarray, sigma_pre: np.ndarray,
                  critical_value: float = PRETEST_CRITICAL_VALUE, options: dict | None = None) -> float:
    """Probability that the pre-test rejects (some |t| > critical value) when the pre-period means are ``delta_pre``."""
    bound = critical_value * np.sqrt(np.diag(sigma_pre))
    return 1.0 - _box_probability(np.asarray(delta_pre, float), sigma_pre, -bound, bound, options)


@fixed_blas_order
def slope_for_power(sigma: np.ndarray, t: np.ndarray, *, reference: float = -1, target_power: float = 0.5,
                    critical_value: float = PRETEST_CRITICAL_VALUE) -> float:
    """Slope of a linear violation ``slope * (t - reference)`` that the pre-test detects with ``target_power``.

    Parameters
    ----------
    sigma : array
        Covariance of the event-study coefficients (all of them, in the order of ``t``).
    t : array
        Relative time of each coefficient (the reference period has no coefficient).
    reference : float
        The omitted (reference) period.
    target_power : float
        Probability of rejecting, strictly between the size of the test and 1.

    Returns
    -------
    float
        The slope (a magnitude, always positive), as R pretrends' ``slope_for_power``.

    Examples
    --------
    >>> import numpy as np
    >>> sigma = np.diag([0.01, 0.01, 0.01, 0.02])
    >>> round(slope_for_power(sigma, np.array([-4, -3, -2, 0]), reference=-1, target_power=0.8), 3)
    0.078
    """
    from scipy import optimize

    sigma, t = np.asarray(sigma, float), np.asarray(t, float)
    _check_inputs(None, sigma, t, "slope_for_power")
    pre = _pre_indices(t, reference)
    sigma_pre = sigma[np.ix_(pre, pre)]
    distance = t[pre] - reference
    size = pretest_power(np.zeros(len(pre)), sigma_pre, critical_value)
    if not size < target_power < 1:
        raise ValueError(f"target_power must lie between the pre-test's size ({size:.3f}) and 1, got {target_power}")
    upper = 8 * float(np.max(np.sqrt(np.diag(sigma_pre))))
    while pretest_power(distance * upper, sigma_pre, critical_value, _MVN_SEARCH_OPTIONS) < target_power:
        upper *= 2
    rough = float(optimize.brentq(
        lambda s: pretest_power(distance * s, sigma_pre, critical_value, _MVN_SEARCH_OPTIONS) - target_power,
        0.0, upper, xtol=1e-14, rtol=1e-10))
    # One secant step with the precise probabilities from the cheap root (a few parts per million away) lands
    # within about 1e-9 of the precise root, for two precise evaluations instead of a dozen.
    step = rough * 1e-4
    low_gap = pretest_power(distance * rough, sigma_pre, critical_value) - target_power
    high_gap = pretest_power(distance * (rough + step), sigma_pre, critical_value) - target_power
    if high_gap == low_gap:
        return rough
    return float(rough - low_gap * step / (high_gap - low_gap))


@dataclass(frozen=True)
class PretrendPower(DescriptiveResults):
    """Power of the pre-trend test against a hypothesised violation, and what passing it implies.

    Attributes
    ----------
    t, betahat, std_error, delta : ndarray
        Relative times, estimates, standard errors and the hypothesised violation (reference period included,
        with 0).
    mean_after_pretesting : ndarray
        Expected coefficients conditional on passing the pre-test, if ``delta`` is the truth.
    reference : float
        The reference period.
    power : float
        Probability that the pre-test rejects under ``delta``.
    power_parallel : float
        Its size: the probability of rejecting under parallel trends.
    bayes_factor, likelihood_ratio : float
        ``P(pass | delta) / P(pass | 0)`` and the likelihood ratio of the observed pre-period coefficients.
    critical_value : float
    nobs : int
        Observations of the event study (0 when only coefficients were given).
    """

    t: np.ndarray
    betahat: np.ndarray
    std_error: np.ndarray
    delta: np.ndarray
    mean_after_pretesting: np.ndarray
    reference: float
    power: float
    power_parallel: float
    bayes_factor: float
    likelihood_ratio: float
    critical_value: float = PRETEST_CRITICAL_VALUE
    nobs: int = 0

    no_variance_reason: ClassVar[str] = ("it is a power calculation; the event study it came from has the variance "
                                         "matrix")

    def tidy(self, conf_level: float | None = None) -> pd.DataFrame:
        """Return one row per relative time: estimate, inference, hypothesised violation, mean after pre-testing.

        ``bias_after_pretesting`` is that mean for post periods: the bias of the estimate when there is no true
        effect and the hypothesised violation holds, among samples that pass the pre-test.
        """
        inference = normal_inference(self.betahat, self.std_error, self._level(conf_level))
        table = pd.DataFrame({"term": [f"t={t:g}" for t in self.t], "estimate": self.betahat,
                              "std_error": self.std_error, **inference})
        table["relative_time"] = self.t
        table["delta"] = self.delta
        table["mean_after_pretesting"] = self.mean_after_pretesting
        table["bias_after_pretesting"] = np.where(self.t > self.reference, self.mean_after_pretesting, np.nan)
        return table

    def _summary_header(self) -> tuple[str, tuple[str, ...]]:
        return "Power of the pre-trend test (Roth 2022)", (
            f"Reference period: {self.reference:g}; the pre-test rejects when any pre-period |t| > "
            f"{self.critical_value:g}",)

    def _summary_footer(self) -> tuple[str, ...]:
        return (f"Power against the hypothesised violation: {self.power:.4f} (under parallel trends: "
                f"{self.power_parallel:.4f})",
                f"Bayes factor P(pass | violation) / P(pass | parallel): {self.bayes_factor:.4f}",
                f"Likelihood ratio of the observed pre-period coefficients: {self.likelihood_ratio:.4f}")


@fixed_blas_order
def pretrend_power(betahat: np.ndarray, sigma: np.ndarray, t: np.ndarray, *, reference: float = -1,
                   delta: np.ndarray | None = None, slope: float | None = None,
                   critical_value: float = PRETEST_CRITICAL_VALUE, nobs: int = 0) -> PretrendPower:
    """Power of the pre-trend test against a hypothesised violation (as R ``pretrends::pretrends``).

    Parameters
    ----------
    betahat : array
        Event-study coefficients (the reference period omitted).
    sigma : array
        Their covariance.
    t : array
        Relative time of each coefficient.
    reference : float
        The omitted period (default -1).
    delta : array, optional
        The hypothesised violation at each ``t`` (a user-given trend).
    slope : float, optional
        Or a linear violation ``slope * (t - reference)``; exactly one of ``delta`` and ``slope``.
    critical_value : float
        The pre-test's critical value on each |t| (default 1.96).

    Returns
    -------
    PretrendPower

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([-4, -3, -2, 0, 1])
    >>> sigma = np.diag([0.01, 0.01, 0.01, 0.02, 0.02])
    >>> result = pretrend_power(np.array([0.05, -0.02, 0.01, 0.3, 0.4]), sigma, t, reference=-1, slope=0.05)
    >>> round(result.power, 3)
    0.483
    """
    from scipy import stats

    betahat, sigma, t = (np.asarray(x, float) for x in (betahat, sigma, t))
    _check_inputs(betahat, sigma, t)
    if (delta is None) == (slope is None):
        raise ValueError("give exactly one of delta (a hypothesised violation) and slope (a linear one)")
    if slope is not None:
        require_real(slope, "slope", "pretrend_power")
    require_real(critical_value, "critical_value", "pretrend_power", low=0, open_low=True)
    delta = slope * (t - reference) if slope is not None else require_finite_array(delta, "delta", "pretrend_power")
    if len(delta) != len(t):
        raise ValueError(f"delta has {len(delta)} values but t has {len(t)} relative times")
    pre = _pre_indices(t, reference)
    post = np.flatnonzero(t > reference)
    sigma_pre = sigma[np.ix_(pre, pre)]
    bound = critical_value * np.sqrt(np.diag(sigma_pre))
    power = pretest_power(delta[pre], sigma_pre, critical_value)
    power_parallel = pretest_power(np.zeros(len(pre)), sigma_pre, critical_value)
    likelihood = stats.multivariate_normal(mean=delta[pre], cov=sigma_pre).pdf(betahat[pre])
    likelihood_parallel = stats.multivariate_normal(mean=np.zeros(len(pre)), cov=sigma_pre).pdf(betahat[pre])
    mean_pre = truncated_normal_mean(delta[pre], sigma_pre, -bound, bound)
    mean = delta.copy()
    mean[pre] = mean_pre
    if post.size:
        mean[post] = delta[post] + sigma[np.ix_(post, pre)] @ np.linalg.solve(sigma_pre, mean_pre - delta[pre])
    # The reference period joins the table with 0, as in R pretrends' event plot data.
    order = np.argsort(np.concatenate([t, [reference]]), kind="stable")
    se = np.sqrt(np.diag(sigma))

    def with_reference(values: np.ndarray, at_reference: float = 0.0) -> np.ndarray:
        return np.concatenate([values, [at_reference]])[order]

    return PretrendPower(with_reference(t, reference), with_reference(betahat), with_reference(se),
                         with_reference(delta),
                         with_reference(mean), float(reference), power, power_parallel,
                         (1 - power) / (1 - power_parallel), float(likelihood / likelihood_parallel),
                         critical_value, nobs)


def event_study_inputs(result: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
    """Coefficients, covariance, relative times, reference period and observations of a villageaid event study.

    Accepts a TWFE event study (``event_study``) or the dynamic aggregation of ``att_gt`` with a universal
    base period (which checks itself and refuses a varying base period).
    """
    own_inputs = getattr(result, "_event_study_inputs", None)
    if own_inputs is not None:
        beta, sigma, t, reference = own_inputs()
        return beta, sigma, t, reference, int(result.nobs)
    periods = getattr(result, "periods", None)
    model = getattr(result, "model", None)
    if periods is not None and model is not None:
        keys = sorted(periods)
        terms = [periods[k] for k in keys]
        beta = model.params[terms].to_numpy(dtype=float)
        sigma = model.vcov.loc[terms, terms].to_numpy(dtype=float)
        return beta, sigma, np.asarray(keys, float), float(result.reference), int(model.nobs)
    raise TypeError(f"{type(result).__name__} is not an event study villageaid can read; pass betahat, sigma "
                    "and the relative times yourself")


def power_of(result: object, *, slope: float | None = None, delta: object = None,
             target_power: float | None = None) -> PretrendPower:
    """Pre-trend power of a villageaid event study (the ``.pretrend_power()`` of event-study results).

    Give a linear ``slope`` per period, a ``delta`` per period, or ``target_power`` for the linear violation
    the pre-test detects with that probability.
    """
    beta, sigma, t, reference, nobs = event_study_inputs(result)
    if target_power is not None:
        if slope is not None or delta is not None:
            raise ValueError("give one of slope, delta and target_power")
        slope = slope_for_power(sigma, t, reference=reference, target_power=target_power)
    return pretrend_power(beta, sigma, t, reference=reference, slope=slope, delta=delta, nobs=nobs)


def slope_of(result: object, target_power: float = 0.8) -> float:
    """Slope per period of a linear violation the pre-test of a villageaid event study detects (Roth 2022)."""
    _, sigma, t, reference, _ = event_study_inputs(result)
    return slope_for_power(sigma, t, reference=reference, target_power=target_power)
