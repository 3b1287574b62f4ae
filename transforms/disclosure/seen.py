"""What the LPs of the attacker (:mod:`transforms.disclosure.attack`) already show without
being solved (docs/disclosure.md §4).

Every solution HiGHS returns is a feasible point of a group's LP, and so, while cells are
chosen, is the vector of true counts. A cell's range contains every value it takes at those
points (:class:`Seen`). Each row alone bounds each of its cells (:func:`row_box`); no feasible
point passes such a bound, so where a point seen meets it, it is the LP's optimum.
"""

from __future__ import annotations

import math

import numpy as np

AT_BOUND = 1e-7             # a column value this close to a bound is at it


class Seen:
    """The least and greatest value each column takes over the feasible points seen."""

    def __init__(self, n: int, on: bool = True):
        self.low = np.full(n, np.inf)
        self.high = np.full(n, -np.inf)
        self.on = on

    def add(self, x: np.ndarray) -> None:
        if not self.on:
            return              # nothing seen: no shortcut
        np.minimum(self.low, x, out=self.low)
        np.maximum(self.high, x, out=self.high)

    def bounds(self, j: int) -> tuple[int, int]:
        """The whole numbers the column's range is known to contain (rounded inwards)."""
        return math.ceil(self.low[j] - 1e-6), math.floor(self.high[j] + 1e-6)

    def span(self, j: int) -> float:
        if not math.isfinite(self.low[j]):
            return -math.inf
        low, high = self.bounds(j)
        return high - low

    def reaches_high(self, j: int, bound: float) -> int | None:
        """The LP maximum, rounded down, when a feasible point meets ``bound`` (which no
        feasible point passes): then the maximum is the bound."""
        if self.high[j] >= bound - AT_BOUND:
            return math.floor(bound + 1e-6)
        return None

    def reaches_low(self, j: int, bound: float) -> int | None:
        if self.low[j] <= bound + AT_BOUND:
            return math.ceil(bound - 1e-6)
        return None


def row_box(rows: list, pos: dict, n: int, cap: float) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on every column of a group's LP that hold at every feasible point: the box
    [1, cap] of the columns, narrowed by each row alone (a row sum(a_k x_k) = rhs, or <= rhs,
    with every other column anywhere in its box leaves a_c x_c between rhs minus the others'
    largest and rhs minus their smallest sum). One pass, in real numbers (no rounding): a
    bound of the LP, not only of its integer points. If a feasible point meets such a bound,
    the LP optimum in that direction is the bound, and its LP need not be solved."""
    lo = np.ones(n)
    hi = np.full(n, float(cap))
    for cells, coefs, rhs, is_eq, _ in rows:
        if not cells:
            continue
        idx = [pos[c] for c in cells]
        mins = [a * 1.0 if a > 0 else a * cap for a in coefs]      # min of a_k x_k
        maxs = [a * cap if a > 0 else a * 1.0 for a in coefs]      # max of a_k x_k
        smin, smax = sum(mins), sum(maxs)
        for j, a, mn, mx in zip(idx, coefs, mins, maxs):
            top = rhs - (smin - mn)             # a_j x_j <= top
            bottom = rhs - (smax - mx)          # a_j x_j >= bottom (equalities only)
            if a > 0:
                hi[j] = min(hi[j], top / a)
                if is_eq:
                    lo[j] = max(lo[j], bottom / a)
            elif a < 0:
                lo[j] = max(lo[j], top / a)
                if is_eq:
                    hi[j] = min(hi[j], bottom / a)
    return lo, hi
