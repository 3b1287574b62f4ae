"""An independent attacker over several public releases, for the attack suite.

Written apart from transforms/disclosure/: the attacker holds every published table of every
release given, writes every relation out from the table rows with pandas, and for each withheld
figure minimises and maximises it by linear programming (scipy ``linprog``, HiGHS):

- within a table, a total is the sum of its parts (for distinct counts: at most their sum, at
  least each part);
- across releases, a month's or a day's figure is the same figure in every release that
  publishes it (the data did not change between them, unless the release is ``separate``), and
  each release's period total (month = all) is a figure of its own;
- across tables: the Wi-Fi devices of the days of a month at a branch add up to at most the
  sessions of that branch and month (a device-day has a session), and a month's active
  borrowers at a branch are at most its checkouts plus renewals there.

Withheld figures are at least 1 (libstats never withholds a zero). Bounds are rounded inwards.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import lil_matrix

BIG = 10 ** 7
TIME = ("month", "day")
CIRC = "pub_circulation__branch_month_material"
BORROWERS = "pub_active_borrowers__branch_month"
SESSIONS = "pub_wifi_sessions__branch_month"
DEVICES = "pub_wifi_devices__branch_day"


class Attacker:
    def __init__(self, specs: dict):
        self.specs = specs
        self.var: dict[tuple, int] = {}
        self.value: dict[int, int | None] = {}
        self.where: dict[int, list] = {}
        self.eq: list[dict] = []
        self.ub: list[dict] = []

    def _key(self, release: str, period: str, name: str, row: dict, separate: bool) -> tuple:
        spec = self.specs[name]
        uni = spec.universe or spec.name
        dims = []
        for d in sorted(spec.dims):
            if row[d] != "all":
                dims.append((d, row[d]))
            elif d in TIME:
                dims.append((d, "all@" + period))
        timeless = not any(d in TIME for d in spec.dims)
        tag = release if separate else (period if timeless else "")
        return (tag, uni, tuple(row[b] for b in spec.by), tuple(dims))

    def add(self, release: str, period: str, frames: dict, *, separate: bool = False) -> None:
        """A release's published frames. ``separate``: its figures are of other data (a rerun
        with revised exports): none is the same figure as another release's."""
        for name, frame in frames.items():
            spec = self.specs[name]
            rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
            srows = [{k: str(v) for k, v in r.items()} for r in rows]
            ids = []
            for i, (row, srow) in enumerate(zip(rows, srows)):
                v = self.var.setdefault(self._key(release, period, name, srow, separate),
                                        len(self.var))
                known = None if row["suppressed"] else int(row["value"])
                if self.value.get(v) is None:
                    self.value[v] = known
                else:
                    assert known is None or known == self.value[v], (name, i)
                self.where.setdefault(v, []).append((release, name, i))
                ids.append(v)
            for d in spec.dims:
                groups: dict[tuple, dict] = {}
                for srow, v in zip(srows, ids):
                    rest = tuple(srow[c] for c in (*spec.by, *spec.dims) if c != d)
                    g = groups.setdefault(rest, {"total": None, "parts": []})
                    if srow[d] == "all":
                        g["total"] = v
                    else:
                        g["parts"].append(v)
                for g in groups.values():
                    if g["total"] is None or not g["parts"]:
                        continue
                    if spec.distinct:
                        self.ub.append({g["total"]: 1, **{p: -1 for p in g["parts"]}})
                        self.ub += [{p: 1, g["total"]: -1} for p in g["parts"]]
                    else:
                        self.eq.append({g["total"]: 1, **{p: -1 for p in g["parts"]}})
            self._cross(release, period, name, srows, ids, frames, separate)

    def _cross(self, release, period, name, srows, ids, frames, separate) -> None:
        if name == DEVICES and SESSIONS in frames:
            sums: dict[tuple, list] = {}
            for srow, v in zip(srows, ids):
                month = srow["day"][:7] if srow["day"] != "all" else "all"
                sums.setdefault((month, srow["branch_code"]), []).append(v)
            for (month, branch), parts in sums.items():
                target = self._key(release, period, SESSIONS,
                                   {"month": month, "branch_code": branch}, separate)
                if target in self.var:
                    row = {p: 1 for p in parts}
                    row[self.var[target]] = -1
                    self.ub.append(row)
        if name == BORROWERS and CIRC in frames:
            for srow, v in zip(srows, ids):
                loans = [self._key(release, period, CIRC, {
                    "month": srow["month"], "branch_code": srow["branch_code"],
                    "material_type": "all", "audience": "all", "measure": m}, separate)
                    for m in ("checkouts", "renewals")]
                if all(k in self.var for k in loans):
                    self.ub.append({v: 1, **{self.var[k]: -1 for k in loans}})

    def ranges(self) -> dict[int, tuple[int, float]]:
        """{variable: (min, max)} of every withheld figure (max inf when unbounded)."""
        n = len(self.var)
        lower = [self.value[v] if self.value[v] is not None else 1 for v in range(n)]
        upper = [self.value[v] if self.value[v] is not None else BIG for v in range(n)]

        def matrix(rows):
            a = lil_matrix((len(rows), n))
            for k, row in enumerate(rows):
                for v, c in row.items():
                    a[k, v] = a[k, v] + c
            return a.tocsr()
        a_eq = matrix(self.eq) if self.eq else None
        a_ub = matrix(self.ub) if self.ub else None
        out = {}
        for v in range(n):
            if self.value[v] is not None:
                continue
            ends = []
            for sign in (1, -1):
                c = np.zeros(n)
                c[v] = sign
                res = linprog(c, A_ub=a_ub, b_ub=None if a_ub is None else np.zeros(a_ub.shape[0]),
                              A_eq=a_eq, b_eq=None if a_eq is None else np.zeros(a_eq.shape[0]),
                              bounds=list(zip(lower, upper)), method="highs")
                assert res.status == 0, res.message
                ends.append(sign * res.fun)
            lo, hi = int(np.ceil(ends[0] - 1e-6)), int(np.floor(ends[1] + 1e-6))
            out[v] = (lo, np.inf if hi >= BIG else hi)
        return out

    def narrow(self, interval: int, ranges=None) -> list[tuple]:
        """Withheld figures narrower than ``interval``: (where, range)."""
        ranges = self.ranges() if ranges is None else ranges
        return [(self.where[v], r) for v, r in ranges.items() if r[1] - r[0] < interval]


def published_in_both(old: pd.DataFrame, new: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows published in both releases, with the difference new - old."""
    both = old.merge(new, on=keys, suffixes=("_old", "_new"))
    both = both[~both["suppressed_old"] & ~both["suppressed_new"]].copy()
    both["diff"] = both["value_new"].astype("int64") - both["value_old"].astype("int64")
    return both
