"""Small exact statistics in pure Python: least squares, Student t and F distributions.

Why here and hand-written: the impact estimate (:mod:`analytics.impact`) needs a least-squares
fit of a few columns (level, trend, six weekday effects), the t quantile of its prediction
interval and the p-values that decide whether a trend or a weekly pattern is warranted.
numpy and scipy are not dependencies of installpulse, and these few functions are short,
well known (Numerical Recipes' continued fraction for the incomplete beta function) and
checked against tabled values in tests/analytics/test_impact_stats.py.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Matrix = list[list[float]]


def solve(a: Matrix, b: Sequence[float]) -> list[float]:
    """x with a x = b, by Gaussian elimination with partial pivoting; ValueError if singular."""
    n = len(a)
    m = [[*row, rhs] for row, rhs in zip(a, b, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < 1e-12 * max(1.0, max(abs(v) for v in m[pivot][:n])):
            raise ValueError("singular system")
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            if f:
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def inverse(a: Matrix) -> Matrix:
    """The inverse of a small square matrix (one solve per column)."""
    n = len(a)
    cols = [solve(a, [1.0 if i == j else 0.0 for i in range(n)]) for j in range(n)]
    return [[cols[j][i] for j in range(n)] for i in range(n)]


def quad(v: Sequence[float], a: Matrix) -> float:
    """vᵀ a v."""
    return sum(v[i] * a[i][j] * v[j] for i in range(len(v)) for j in range(len(v)))


class Fit:
    """Ordinary least squares of y on the columns of x (rows = days).

    ``beta`` the coefficients, ``rss`` the residual sum of squares, ``residuals``, ``xtx_inv``
    = (XᵀX)⁻¹ (for prediction variances and standard errors).
    """

    def __init__(self, x: Sequence[Sequence[float]], y: Sequence[float]) -> None:
        p = len(x[0])
        xtx = [[sum(r[i] * r[j] for r in x) for j in range(p)] for i in range(p)]
        xty = [sum(r[i] * v for r, v in zip(x, y, strict=True)) for i in range(p)]
        self.xtx_inv = inverse(xtx)
        self.beta = [sum(self.xtx_inv[i][j] * xty[j] for j in range(p)) for i in range(p)]
        self.fitted = [sum(b * c for b, c in zip(self.beta, r, strict=True)) for r in x]
        self.residuals = [v - f for v, f in zip(y, self.fitted, strict=True)]
        self.rss = sum(e * e for e in self.residuals)
        # A perfect fit leaves rounding dust (1e-28 on values of 100): call it zero, so an
        # exact series gets an interval of exactly zero width rather than 1e-13.
        if self.rss <= 1e-20 * sum(v * v for v in y):
            self.rss = 0.0
        self.n = len(y)
        self.p = p

    def predict(self, row: Sequence[float]) -> float:
        return sum(b * c for b, c in zip(self.beta, row, strict=True))


# ----- distributions -------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    ln = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
    ln += b * math.log1p(-x)
    front = math.exp(ln)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p (bisection on :func:`t_cdf`; p in (0, 1))."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"probability must be between 0 and 1, got {p}")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12:
            break
    return (lo + hi) / 2.0


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|)."""
    return betainc(df / 2.0, 0.5, df / (df + t * t))


def f_sf(f: float, d1: float, d2: float) -> float:
    """P(F >= f) for the F distribution with (d1, d2) degrees of freedom."""
    if f <= 0:
        return 1.0
    return betainc(d2 / 2.0, d1 / 2.0, d2 / (d2 + d1 * f))
