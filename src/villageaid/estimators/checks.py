"""The input checks of every public estimator, in one place.

Each check raises ``TypeError`` (wrong kind of argument) or ``ValueError`` (a value out of range; the data-limit
subclasses of :mod:`villageaid.estimators.limits` where the data cannot support the estimate) with a message that
names the argument, the value it got and what was expected. They run once at an estimator's entry, before any
computation, and never modify their inputs, so that valid inputs give exactly the results they gave before.

The library's policy on values that cannot be used (stated in each estimator's docstring and in the README):

* **missing values** (NaN, None) in an outcome, a regressor, a fixed effect or a weight of a formula estimator drop
  the observation with a counted note ("N observations removed because of missing values"), as R does;
* **infinite values** in an outcome or a regressor of a formula estimator drop the observation with a separate
  counted note naming the columns (:func:`sample_mask`; fixest's convention), never silently; ``att_gt`` and the
  difference-in-differences estimators built on it drop those rows and say so in the same way;
* **weights**: negative or infinite weights are refused; zero weights drop the observation with a counted note;
* **arrays** given directly (``honest_did``'s betahat and sigma, the multiplicity corrections, inequality and
  concentration measures) are refused when they hold NaN or infinite values, naming the offending entries;
* **clustered variances and the wild bootstrap** need at least two clusters;
* **resampling** is bounded: draws × the numbers held per draw may not exceed :data:`MAX_DRAW_CELLS`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from villageaid.estimators.limits import MissingDataError, NoVariationError, TooFewError

#: Upper bound on the numbers a resampling method holds at once: draws × (clusters, groups or observations per
#: draw). 2**28 float64 numbers are 2 GiB; the project's own analyses use about 1 % of it.
MAX_DRAW_CELLS = 2**28

#: A column whose largest absolute value exceeds this cannot be squared in float64 without overflow (its sum of
#: squares is infinite), and one whose largest absolute value is below the reciprocal underflows to zero: both
#: would be read as collinear.
LARGEST_SCALE = 1e150

#: A regressor dropped as collinear that keeps more than this share of its sum of squares once the design's
#: columns are scaled to unit length is badly scaled, not collinear (the tolerance of the test is 1e-10).
SCALED_RESIDUAL_SHARE = 1e-6


def _shown(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def require_frame(data: object, who: str, argument: str = "data") -> pd.DataFrame:
    """Refuse anything but a pandas DataFrame with at least one row.

    Raises
    ------
    TypeError
        ``data`` is not a DataFrame.
    MissingDataError
        It has no rows (a ``ValueError``).
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{who}: {argument} must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise MissingDataError(f"{who}: {argument} has no rows (columns: {', '.join(map(str, data.columns[:8]))}"
                               f"{', ...' if len(data.columns) > 8 else ''})")
    return data


def require_text(value: object, argument: str, who: str) -> str:
    """Refuse anything but a non-empty string (a formula or a column name)."""
    if not isinstance(value, str):
        raise TypeError(f"{who}: {argument} must be a string, got {type(value).__name__} {_shown(value)}")
    if not value.strip():
        raise ValueError(f"{who}: {argument} must not be empty, got {value!r}")
    return value


def require_names(values: object, argument: str, who: str) -> list[str]:
    """Refuse anything but a sequence of column names (a single string is refused: it would be read as letters)."""
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise TypeError(f"{who}: {argument} must be a list of column names, got {type(values).__name__} "
                        f"{_shown(values)}")
    names = list(values)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{who}: {argument} must hold column names (strings), got {type(name).__name__} "
                            f"{_shown(name)}")
    return names


def require_columns(data: pd.DataFrame, columns: dict[str, str | Sequence[str] | None], who: str) -> None:
    """Refuse column arguments naming no column of ``data``: ``KeyError`` naming each argument and column.

    ``columns`` maps an argument name to its column (or list of columns; None: not given).
    """
    missing = []
    for argument, value in columns.items():
        if value is None:
            continue
        names = value if isinstance(value, list | tuple) else [value]
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"{who}: {argument} must be a column name (a string), got {type(name).__name__} "
                                f"{_shown(name)}")
            if name not in data.columns:
                missing.append(f"{name!r} ({argument})")
    if missing:
        raise KeyError(f"{who}: columns not in the data: {', '.join(missing)}")


def require_choice(value: object, argument: str, choices: Sequence[object], who: str) -> None:
    """Refuse a value outside ``choices``."""
    if not any(value == choice and type(value) is type(choice) for choice in choices):
        raise ValueError(f"{who}: {argument} must be one of {', '.join(map(repr, choices))}, got {_shown(value)}")


def require_int(value: object, argument: str, who: str, *, minimum: int | None = None,
                maximum: int | None = None) -> int:
    """Return ``value`` as an int, refusing a non-integer (``TypeError``) or one out of range (``ValueError``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"{who}: {argument} must be an integer, got {type(value).__name__} {_shown(value)}")
    number = int(value)
    if minimum is not None and number < minimum:
        raise ValueError(f"{who}: {argument} must be at least {minimum}, got {number}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{who}: {argument} must be at most {maximum:,}, got {number:,}")
    return number


def require_real(value: object, argument: str, who: str, *, low: float | None = None, high: float | None = None,
                 open_low: bool = False, open_high: bool = False) -> float:
    """Return ``value`` as a finite float in [low, high] (``open_*``: excluding the bound)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{who}: {argument} must be a number, got {type(value).__name__} {_shown(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{who}: {argument} must be a finite number, got {number!r}")
    if low is not None and (number < low or (open_low and number == low)):
        raise ValueError(f"{who}: {argument} must be {'above' if open_low else 'at least'} {low:g}, got {number!r}")
    if high is not None and (number > high or (open_high and number == high)):
        raise ValueError(f"{who}: {argument} must be {'below' if open_high else 'at most'} {high:g}, got {number!r}")
    return number


def require_level(value: object, who: str, argument: str = "conf_level") -> float:
    """Refuse a confidence level (or a size) outside (0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < float(value) < 1:
        raise ValueError(f"{who}: {argument} must be a number between 0 and 1 (e.g. 0.95), got {_shown(value)}")
    return float(value)


def require_seed(value: object, who: str, argument: str = "seed") -> int | None:
    """Refuse a seed numpy would not take: None or an integer of 0 or more."""
    if value is None:
        return None
    return require_int(value, argument, who, minimum=0)


def require_draws(draws: object, per_draw: int, who: str, *, argument: str = "draws", what: str = "numbers") -> int:
    """Refuse draws that are not a positive integer, or that would hold more than :data:`MAX_DRAW_CELLS` numbers.

    ``per_draw`` is how many numbers each draw holds (clusters, groups or observations), ``what`` says what they are.
    """
    count = require_int(draws, argument, who, minimum=1)
    if count * max(per_draw, 1) > MAX_DRAW_CELLS:
        most = MAX_DRAW_CELLS // max(per_draw, 1)
        raise ValueError(f"{who}: {argument}={count:,} with {per_draw:,} {what} per draw would hold "
                         f"{count * per_draw:,} numbers ({count * per_draw * 8 / 2**30:.1f} GiB); the bound is "
                         f"{MAX_DRAW_CELLS:,} numbers (2 GiB), so at most {most:,} draws here")
    return count


def require_clusters(groups: int, subject: str, *, kind: str = "clusters") -> None:
    """Refuse a clustered variance or a cluster bootstrap with fewer than two clusters (``TooFewError``).

    With one cluster the cluster sums of the scores are their total, zero at the estimate: the variance would be
    zero (or rounding noise such as 2.6e-16) rather than undefined. The message reads "{subject} needs at least
    two {kind}, found {groups}".
    """
    if groups < 2:
        raise TooFewError(f"{subject} needs at least two {kind}, found {groups}")


def _entries(bad: np.ndarray, argument: str, values: np.ndarray, labels: Sequence[object] | None = None) -> str:
    where = np.argwhere(bad)
    shown = []
    for index in where[:5]:
        name = (f"{argument}[{labels[int(index[0])]!r}]" if labels is not None and len(index) == 1
                else f"{argument}[{', '.join(map(str, index))}]")
        shown.append(f"{name} = {values[tuple(index)]}")
    more = f" and {len(where) - 5} more" if len(where) > 5 else ""
    return ", ".join(shown) + more


def require_finite_array(values: object, argument: str, who: str, *, labels: Sequence[object] | None = None,
                         ndim: int | None = None) -> np.ndarray:
    """Return ``values`` as a float array, refusing NaN and infinite entries by name and position."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{who}: {argument} must be an array of numbers, got {type(values).__name__} "
                        f"{_shown(values)}") from exc
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{who}: {argument} must be a {ndim}-dimensional array, got shape {array.shape}")
    bad = ~np.isfinite(array)
    if bad.any():
        raise ValueError(f"{who}: {argument} has {int(bad.sum())} non-finite entries (NaN or infinite): "
                         f"{_entries(bad, argument, array, labels)}")
    return array


def require_covariance(sigma: object, who: str, argument: str = "sigma") -> np.ndarray:
    """Refuse a covariance matrix that is not square, finite, symmetric and positive semi-definite, saying which."""
    matrix = np.asarray(sigma, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{who}: {argument} must be a square matrix, got shape {matrix.shape}")
    require_finite_array(matrix, argument, who)
    if not np.allclose(matrix, matrix.T, rtol=1e-8, atol=1e-12):
        i, j = np.unravel_index(np.argmax(np.abs(matrix - matrix.T)), matrix.shape)
        raise ValueError(f"{who}: {argument} must be symmetric: {argument}[{i}, {j}] = {matrix[i, j]:g} but "
                         f"{argument}[{j}, {i}] = {matrix[j, i]:g}")
    diagonal = np.diag(matrix)
    if (diagonal <= 0).any():
        j = int(np.flatnonzero(diagonal <= 0)[0])
        raise ValueError(f"{who}: {argument} must have positive variances on its diagonal: "
                         f"{argument}[{j}, {j}] = {diagonal[j]:g}")
    scale = np.sqrt(diagonal)
    smallest = float(np.linalg.eigvalsh(matrix / scale[:, None] / scale[None, :]).min())
    if smallest < -1e-8:
        raise ValueError(f"{who}: {argument} is not positive semi-definite (as a correlation matrix its smallest "
                         f"eigenvalue is {smallest:.3g}); a covariance matrix must be")
    return matrix


def _row_label(data: pd.DataFrame | None, row: int) -> str:
    if data is None:
        return f"row {row}"
    return f"row {data.index[row]!r}"


def require_weights(values: np.ndarray, column: str, who: str, data: pd.DataFrame | None = None) -> np.ndarray:
    """Refuse negative or infinite weights (naming the column, the count and the first row); return the zero ones."""
    with np.errstate(invalid="ignore"):
        negative = values < 0
    infinite = np.isinf(values)
    for bad, what in ((negative, "negative"), (infinite, "infinite")):
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{who}: weights column {column!r} has {int(bad.sum()):,} {what} value(s) (first at "
                             f"{_row_label(data, row)}: {values[row]}); weights must be finite and zero or more")
    return values == 0


def sample_mask(blocks: Sequence[np.ndarray], names: Sequence[str], who: str, *, notes: list[str],
                weights: np.ndarray | None = None, weights_column: str | None = None,
                data: pd.DataFrame | None = None, also_missing: np.ndarray | None = None) -> np.ndarray:
    """Rows of a design an estimator can use, with a counted note for each reason a row is left out.

    ``blocks`` are the outcome and regressor arrays (1-D or n × k, over all rows of ``data``) and ``names`` their
    columns in order. A row with a missing value (NaN) in a block, in ``weights`` or in ``also_missing`` (missing
    fixed effects or clusters) is left out with the note "N observations removed because of missing values"; a row
    with an infinite value is left out with its own note naming the columns and their counts; a row of zero weight
    with its own note. Negative and infinite weights are refused (:func:`require_weights`). Notes are appended to
    ``notes`` in that order.

    Returns
    -------
    ndarray of bool
        The rows kept.
    """
    columns = [block[:, None] if block.ndim == 1 else block for block in blocks]
    n = len(columns[0]) if columns else (len(data) if data is not None else 0)
    missing = np.zeros(n, dtype=bool) if also_missing is None else np.array(also_missing, dtype=bool)
    unusable = np.zeros(n, dtype=bool)
    for block in columns:  # one pass over the design, as a plain finiteness test; the few bad rows are sorted below
        if block.shape[1]:
            unusable |= ~np.isfinite(block).all(axis=1)
    rows = np.flatnonzero(unusable)
    infinite_cells = np.zeros((len(rows), 0), dtype=bool)
    if len(rows):
        parts = [block[rows] for block in columns]
        missing[rows] |= np.column_stack([np.isnan(part).any(axis=1) for part in parts]).any(axis=1)
        infinite_cells = np.column_stack([np.isinf(part) for part in parts])
    zero = None
    if weights is not None:
        zero = require_weights(weights, weights_column or "weights", who, data)
        missing |= np.isnan(weights)
    if missing.any():
        notes.append(f"{int(missing.sum()):,} observations removed because of missing values")
    ok = ~missing
    if len(rows):
        infinite_cells &= ok[rows][:, None]
        infinite_rows = infinite_cells.any(axis=1)
        if infinite_rows.any():
            counts = infinite_cells.sum(axis=0)
            shown = ", ".join(f"{name!r}: {int(count):,}" for name, count in zip(names, counts, strict=True)
                              if count)
            notes.append(f"{int(infinite_rows.sum()):,} observations removed because of infinite values ({shown})")
            ok[rows[infinite_rows]] = False
    if zero is not None and (zero & ok).any():
        notes.append(f"{int((zero & ok).sum()):,} observations of zero weight ({weights_column!r}) removed")
        ok &= ~zero
    return ok


def refuse_infinite(data: pd.DataFrame, columns: Sequence[str], who: str) -> None:
    """Refuse infinite values in numeric ``columns`` of ``data``, naming each column, its count and first row.

    For estimators that difference or reshape a panel, where dropping one observation would silently change
    the units or periods compared (missing values keep their documented treatment there).
    """
    problems = []
    for column in dict.fromkeys(columns):
        series = data[column]
        if not (pd.api.types.is_float_dtype(series.dtype) or series.dtype == object):
            continue
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = np.isinf(values)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            problems.append(f"{column!r} has {int(bad.sum()):,} (first at {_row_label(data, row)}: {values[row]})")
    if problems:
        raise ValueError(f"{who}: infinite values, which this estimator refuses rather than drop: "
                         f"{'; '.join(problems)}")


def require_panel(data: object, who: str, *, refuse_infinite_in: Sequence[str] = (),
                  **columns: str | Sequence[str] | None) -> pd.DataFrame:
    """Check a panel estimator's inputs: a non-empty DataFrame, every column argument present, no infinite value.

    ``refuse_infinite_in`` are the columns that may hold no infinite value (periods and cohorts always; outcomes
    where the estimator refuses rather than drops them).
    """
    frame = require_frame(data, who)
    for argument, value in columns.items():
        if value is not None and not isinstance(value, str):
            require_names(value, argument, who)
    require_columns(frame, dict(columns), who)
    refuse_infinite(frame, list(refuse_infinite_in), who)
    return frame


def check_scale(names: Sequence[str], columns: np.ndarray, who: str, *, outcome: np.ndarray | None = None,
                depvar: str = "") -> None:
    """Refuse columns too large or too small to square in float64: they would overflow or be read as collinear.

    ``columns`` are the regressors (n × k) over the estimation sample, ``outcome`` the dependent variable.
    """
    def refuse(name: str, role: str, largest: float) -> None:
        problem = "too large" if largest > LARGEST_SCALE else "too small"
        raise ValueError(f"{who}: {role} {name!r} is {problem} to estimate in float64 (largest absolute value "
                         f"{largest:.3g}; its squares {'overflow' if problem == 'too large' else 'underflow'}): this "
                         f"is a problem of scale, not of collinearity — rescale it (e.g. multiply by "
                         f"{10.0 ** -round(math.log10(largest)):.0e}) and refit")

    if outcome is not None and len(outcome):
        largest = max(abs(float(outcome.max())), abs(float(outcome.min())))
        if largest > LARGEST_SCALE or 0 < largest < 1 / LARGEST_SCALE:
            refuse(depvar, "outcome", largest)
    if columns.size == 0:
        return
    # max and min rather than abs().max(): no n × k temporary at millions of rows
    largest_by_column = np.maximum(np.abs(columns.max(axis=0)), np.abs(columns.min(axis=0)))
    for name, largest in zip(names, largest_by_column, strict=True):
        if largest > LARGEST_SCALE or 0 < largest < 1 / LARGEST_SCALE:
            refuse(name, "regressor", float(largest))


def refuse_collinear(X: np.ndarray, names: Sequence[str], who: str) -> None:
    """Refuse regressors that are linear combinations of earlier ones, naming them (estimators that cannot drop them).

    The test is :func:`~villageaid.estimators.inference.collinear_on_gram`'s, the one ``feols`` drops columns by.
    """
    from villageaid.estimators.inference import COLLINEARITY_TOLERANCE, collinear_on_gram

    dropped = collinear_on_gram(X.T @ X, (X**2).sum(axis=0), COLLINEARITY_TOLERANCE)
    if dropped:
        terms = ", ".join(repr(names[j]) for j in dropped)
        raise NoVariationError(f"{who}: term(s) {terms} are collinear with the other terms (a linear combination of "
                               "them, or constant): remove them and refit")


def require_collinear(gram: np.ndarray, raw_ss: np.ndarray, dropped: Sequence[int], names: Sequence[str]) -> None:
    """Refuse a column found collinear that is not collinear once the design's columns are scaled to unit length.

    The collinearity test (:func:`~villageaid.estimators.inference.collinear_on_gram`) is scale-free in exact
    arithmetic; a column that keeps more than :data:`SCALED_RESIDUAL_SHARE` of its sum of squares after the kept
    columns on the scaled Gram matrix was made to look redundant by rounding or overflow: a problem of scale, which
    is refused with the condition number of the scaled design rather than dropped as collinear.
    """
    if np.isfinite(gram).all() and np.isfinite(raw_ss).all():
        scale = 1 / np.sqrt(np.maximum(raw_ss, 1e-300))
        scaled = gram * scale[:, None] * scale[None, :]
    else:
        scaled = np.full(gram.shape, np.nan)
    keep = [j for j in range(gram.shape[0]) if j not in dropped]
    for j in dropped:
        residual = scaled[j, j]
        if keep and np.isfinite(residual):
            cross = scaled[keep, j]
            residual = scaled[j, j] - cross @ np.linalg.lstsq(scaled[np.ix_(keep, keep)], cross, rcond=None)[0]
        if not np.isfinite(residual) or residual > SCALED_RESIDUAL_SHARE:
            condition = float(np.linalg.cond(scaled)) if np.isfinite(scaled).all() else np.inf
            raise ValueError(f"term {names[j]!r} looks collinear only because of the scale of the design (condition "
                             f"number of the column-scaled design {condition:.3g}, share of its variation left by "
                             f"the other terms {residual:.3g}): rescale the regressors and refit")
