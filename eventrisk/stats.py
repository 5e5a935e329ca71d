"""Small, exact statistics for the calibration report, written out with numpy and math.

Each is a few lines of a textbook formula, so the desk needs no scipy in its bundle:

- ``wilson``: the Wilson score interval for a proportion (Wilson 1927);
- ``normal_quantile``: the standard normal quantile, by bisection on ``math.erfc``;
- ``poisson_cdf``/``poisson_sf``, ``poisson_interval``, ``poisson_p``: the exact Poisson tail
  sums, the exact (Garwood 1936) interval for a Poisson mean and the matching two-sided exact
  test, which are the standard interval and test of an observed ÷ expected count
  (a standardised incidence ratio; Breslow & Day 1987, ch. 2);
- ``ScoreCurve``: the desk's score-to-trouble curve, a logistic regression on a restricted
  cubic spline of the score (Harrell, *Regression Modeling Strategies*, 2.4.5), so a group's
  expected trouble follows the score smoothly whatever shape the desk's curve has.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for a proportion (0, 0 for no trials)."""
    if trials == 0:
        return 0.0, 0.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    """Events, how many had the outcome, the rate and its interval (95% Wilson unless the
    field that holds it says otherwise)."""

    events: int
    with_outcome: int
    rate: float
    low: float
    high: float

    @classmethod
    def of(cls, k: int, n: int, z: float = Z95) -> Rate:
        low, high = wilson(k, n, z)
        return cls(n, k, k / n if n else 0.0, low, high)


def normal_quantile(p: float) -> float:
    """The z with P(Z <= z) = p for a standard normal Z (0 < p < 1), to 1e-12."""
    if not 0 < p < 1:
        raise ValueError("p must be between 0 and 1")
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2


def _log_terms(k: int, mu: float) -> np.ndarray:
    j = np.arange(k + 1, dtype=float)
    log_fact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, k + 1, dtype=float)))])
    return j * math.log(mu) - mu - log_fact


def _logsumexp(values: np.ndarray) -> float:
    top = float(values.max())
    return top + math.log(float(np.exp(values - top).sum()))


def poisson_cdf(k: int, mu: float) -> float:
    """P(X <= k) for X Poisson with mean ``mu``, summed exactly (in logs)."""
    if k < 0:
        return 0.0
    if mu <= 0:
        return 1.0
    return min(1.0, math.exp(_logsumexp(_log_terms(k, mu))))


def poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X Poisson with mean ``mu``."""
    if k <= 0:
        return 1.0
    return max(0.0, 1.0 - poisson_cdf(k - 1, mu))


def poisson_interval(observed: int, alpha: float) -> tuple[float, float]:
    """The exact (Garwood) two-sided 1 - ``alpha`` interval for a Poisson mean, having seen
    ``observed``: the means under which seeing ``observed`` or more (fewer) has probability
    ``alpha`` / 2."""
    half = alpha / 2

    def solve(f, lo: float, hi: float) -> float:  # f rises with the mean
        for _ in range(200):
            mid = (lo + hi) / 2
            if f(mid) < 0:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-10 * max(1.0, hi):
                break
        return (lo + hi) / 2
    lower = 0.0 if observed == 0 else solve(lambda m: poisson_sf(observed, m) - half,
                                            0.0, float(observed))
    top = observed + 12 * math.sqrt(observed + 1) + 40
    upper = solve(lambda m: half - poisson_cdf(observed, m), float(observed), top)
    return lower, upper


def poisson_p(observed: int, expected: float) -> float:
    """The two-sided exact test that ``observed`` came from a Poisson of mean ``expected``:
    twice the smaller tail, at most 1.  Below ``alpha`` exactly when ``poisson_interval``
    at ``alpha``, divided by ``expected``, leaves out 1."""
    if expected <= 0:
        return 1.0 if observed == 0 else 0.0
    return min(1.0, 2 * min(poisson_cdf(observed, expected), poisson_sf(observed, expected)))


# ---- the desk's score-to-trouble curve -----------------------------------------------------------

KNOT_QUANTILES = (0.05, 0.35, 0.65, 0.95)  # Harrell's four knots
FEW_SCORES = 6  # with this many distinct scores or fewer, each score's own rate is the curve


def _sigmoid(eta: np.ndarray) -> np.ndarray:
    # Log-odds beyond ±35 are certainties to double precision; clipping keeps exp finite when
    # trouble separates perfectly by score and the fit runs away.
    return 1 / (1 + np.exp(-np.clip(eta, -35.0, 35.0)))


class ScoreCurve:
    """The chance of trouble given the score, fitted over the whole desk: a binomial
    logistic regression on a restricted cubic spline of the score (four knots at the
    scores' 5th, 35th, 65th and 95th percentiles; fewer where they coincide).  With only a
    handful of distinct scores, each score's own trouble rate."""

    def __init__(self, scores, outcomes):
        s = np.asarray(scores, dtype=float)
        o = np.asarray(outcomes, dtype=float)
        self.levels, index = np.unique(s, return_inverse=True)
        self.pos = np.bincount(index, weights=o, minlength=len(self.levels))
        self.count = np.bincount(index, minlength=len(self.levels)).astype(float)
        self.saturated = len(self.levels) <= FEW_SCORES
        if self.saturated:
            self._rates = self.pos / self.count
            return
        knots = np.unique(np.quantile(s, KNOT_QUANTILES))
        if len(knots) < 3:  # most scores tied: a straight line in the log-odds
            knots = knots[:0]
        self.knots = knots
        self.lo = float(s.min())
        self.span = float(max(s.max() - s.min(), 1.0))
        self.beta = self._fit(self._basis(self.levels))

    def _basis(self, x: np.ndarray) -> np.ndarray:
        u = (np.asarray(x, dtype=float) - self.lo) / self.span
        columns = [np.ones_like(u), u]
        t = (self.knots - self.lo) / self.span
        k = len(t)
        if k >= 3:
            def cube(v):
                return np.clip(v, 0, None) ** 3
            for j in range(k - 2):
                columns.append((cube(u - t[j]) - cube(u - t[k - 2]) * (t[k - 1] - t[j])
                                / (t[k - 1] - t[k - 2]) + cube(u - t[k - 1]) * (t[k - 2] - t[j])
                                / (t[k - 1] - t[k - 2])) / (t[k - 1] - t[0]) ** 2)
        return np.column_stack(columns)

    def _fit(self, x: np.ndarray) -> np.ndarray:
        """Iteratively reweighted least squares on the counts per distinct score."""
        beta = np.zeros(x.shape[1])
        rate = self.pos.sum() / self.count.sum()
        beta[0] = math.log(rate / (1 - rate)) if 0 < rate < 1 else 0.0
        ridge = 1e-8 * np.eye(x.shape[1])
        for _ in range(50):
            p = np.clip(_sigmoid(x @ beta), 1e-12, 1 - 1e-12)
            w = self.count * p * (1 - p)
            gradient = x.T @ (self.pos - self.count * p)
            step = np.linalg.solve(x.T @ (x * w[:, None]) + ridge, gradient)
            beta = beta + step
            if float(np.abs(step).max()) < 1e-10:
                break
        return beta

    def __call__(self, scores) -> np.ndarray:
        """The chance of trouble at each of ``scores`` (scores the curve was fitted on, when
        it is saturated)."""
        s = np.asarray(scores, dtype=float)
        if self.saturated:
            return self._rates[np.searchsorted(self.levels, s)]
        return _sigmoid(self._basis(s) @ self.beta)
