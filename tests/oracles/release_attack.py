"""An independent attacker over several public releases, for the attack suite.

Written apart from transforms/disclosure/: the attacker holds every published table of every
release given, writes every relation out from the table rows with pandas, and for each withheld
figure minimises and maximises it by linear programming (HiGHS, through highspy):

- within a table, a total is the sum of its parts (for distinct counts: at most their sum, at
  least each part);
- across releases, a month's or a day's figure is the same figure in every release that
  publishes it (the data did not change between them, unless the release is ``separate``), and
  each release's period total (month = all) is a figure of its own;
- across tables: the Wi-Fi devices of the days of a month at a branch add up to at most the
  sessions of that branch and month (a device-day has a session), and a month's active
  borrowers at a branch are at most its checkouts plus renewals there.

Withheld figures are at least 1 (libstats never withholds a zero). Bounds are rounded inwards.
A whole-period figure is one figure whatever table of its universe publishes it: a table without
a time dimension (weekday × hour) covers the release's period, like the ``month = all`` rows.

Published figures are constants, so withheld figures that share no relation, directly or through
other withheld figures, cannot narrow each other: each connected group is its own LP, solved with
HiGHS (highspy) warm-started from one objective to the next (the same bounds as one LP over
every figure, solved far faster: the demo release's 1,900 withheld cells in seconds).
"""

from __future__ import annotations

import json
from pathlib import Path

import highspy
import numpy as np
import pandas as pd

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
        self.open: dict[int, bool] = {}          # a whole-library, whole-period figure
        self.shown_by: dict[int, set] = {}       # the releases that published the figure

    def _key(self, release: str, period: str, name: str, row: dict, separate: bool) -> tuple:
        spec = self.specs[name]
        uni = spec.universe or spec.name
        dims = set()
        for d in spec.dims:
            if row[d] != "all":
                dims.add((d, row[d]))
            elif d in TIME:
                dims.add(("@period", period))
        if not any(d in TIME for d in spec.dims):
            dims.add(("@period", period))
        tag = release if separate else ""
        return (tag, uni, tuple(row[b] for b in spec.by), tuple(sorted(dims)))

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
                if known is not None:
                    self.shown_by.setdefault(v, set()).add(release)
                self.open[v] = self.open.get(v, False) or (bool(spec.open_totals) and all(
                    srow[d] == "all" for d in spec.open_totals))
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

    def ranges(self, only=None, value=None) -> dict[int, tuple[int, float]]:
        """{variable: (min, max)} of every withheld figure (max inf when unbounded); ``only``:
        of those variables; ``value``: with these known figures instead of the published."""
        value = self.value if value is None else value
        free = [v for v in range(len(self.var)) if value[v] is None]
        parent = {v: v for v in free}

        def root(v):
            while parent[v] != v:
                parent[v] = parent[parent[v]]
                v = parent[v]
            return v
        reduced = []                          # (is_eq, {withheld: coefficient}, constant)
        for is_eq, rows in ((True, self.eq), (False, self.ub)):
            for row in rows:
                const = sum(c * value[v] for v, c in row.items() if value[v] is not None)
                part = {v: c for v, c in row.items() if value[v] is None and c}
                if not part:                  # published figures only: they must agree
                    assert const == 0 if is_eq else const <= 0, "published figures disagree"
                    continue
                reduced.append((is_eq, part, const))
                first, *rest = part
                for v in rest:
                    parent[root(v)] = root(first)
        groups: dict[int, list[int]] = {}
        for v in free:
            groups.setdefault(root(v), []).append(v)
        rows_of: dict[int, list] = {}
        for r in reduced:
            rows_of.setdefault(root(next(iter(r[1]))), []).append(r)
        wanted = None if only is None else set(only)
        out = {}
        for g, members in groups.items():
            if wanted is None or wanted & set(members):
                out.update(_solve(members, rows_of.get(g, []), wanted))
        return out

    def widest(self, variables, release: str) -> dict[int, tuple[int, float]]:
        """The ranges of ``variables`` had ``release`` withheld every figure it published but
        the whole-library, whole-period ones and the zeros (what no release of those open
        figures could avoid); figures other releases published stay known."""
        value = {v: (None if x not in (None, 0) and not self.open[v]
                     and self.shown_by.get(v, set()) <= {release} else x)
                 for v, x in self.value.items()}
        return self.ranges(only=variables, value=value)

    def narrow(self, interval: int, ranges=None) -> list[tuple]:
        """Withheld figures narrower than ``interval``: (where, range)."""
        ranges = self.ranges() if ranges is None else ranges
        return [(self.where[v], r) for v, r in ranges.items() if r[1] - r[0] < interval]


def _solve(members: list[int], rows: list, wanted) -> dict[int, tuple[int, float]]:
    """Minimise and maximise each withheld figure of one connected group."""
    index = {v: k for k, v in enumerate(members)}
    m = len(members)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")       # warm starts: the constraints stay the same
    h.addVars(m, np.ones(m), np.full(m, float(BIG)))
    for is_eq, part, const in rows:
        cols = np.array([index[v] for v in part], dtype=np.int32)
        h.addRow(-const if is_eq else -highspy.kHighsInf, -const, len(cols), cols,
                 np.array(list(part.values()), dtype=float))
    out = {}
    for v in members:
        if wanted is not None and v not in wanted:
            continue
        ends = []
        for sign in (1.0, -1.0):
            h.changeColCost(index[v], sign)
            h.run()
            assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal, h.modelStatusToString(
                h.getModelStatus())
            ends.append(sign * h.getInfo().objective_function_value)
        h.changeColCost(index[v], 0.0)
        lo, hi = int(np.ceil(ends[0] - 1e-6)), int(np.floor(ends[1] + 1e-6))
        out[v] = (lo, np.inf if hi >= BIG else hi)
    return out


def published_in_both(old: pd.DataFrame, new: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows published in both releases, with the difference new - old."""
    both = old.merge(new, on=keys, suffixes=("_old", "_new"))
    both = both[~both["suppressed_old"] & ~both["suppressed_new"]].copy()
    both["diff"] = both["value_new"].astype("int64") - both["value_old"].astype("int64")
    return both


# --- a published folder, as a visitor has it ---------------------------------------------

def releases(root: Path) -> list[tuple[str, Path, dict]]:
    """Every release folder of the library (live ones and ``.versions/``), once each:
    (name, folder, manifest)."""
    seen, out = set(), []
    for folder in sorted([*root.glob("*"), *(root / ".versions").glob("*")]):
        real = folder.resolve()
        if real in seen or not (real / "manifest.json").is_file():
            continue
        seen.add(real)
        out.append((real.name, real, json.loads((real / "manifest.json").read_text())))
    return out


def overlaps(a: dict, b: dict) -> bool:
    return a["start"] <= b["end"] and b["start"] <= a["end"]


def frames_of(folder: Path, manifest: dict) -> dict[str, pd.DataFrame]:
    return {t["name"]: pd.read_parquet(folder / "tables" / f"{t['name']}.parquet")
            for t in manifest["tables"]}


def attack_published(root: Path, label: str, specs: dict, only: str | None = None):
    """An attacker holding the live release ``label`` and every release of an overlapping
    period in ``root``; other versions of the same period are reruns of other data
    (``separate``). ``only``: the ranges of that table's withheld figures alone (the LP of
    the groups they are in). Returns (attacker, ranges, live manifest, the releases used, the
    live release's folder name)."""
    live = (root / label).resolve()
    manifest = json.loads((live / "manifest.json").read_text())
    a = Attacker(specs)
    used = []
    for name, folder, m in releases(root):
        if folder != live and not overlaps(m["period"], manifest["period"]):
            continue
        separate = folder != live and m["period"]["label"] == label
        a.add(name, m["period"]["label"], frames_of(folder, m), separate=separate)
        used.append(name)
    wanted = None if only is None else {v for v, ws in a.where.items()
                                        if any(w[1] == only for w in ws)}
    return a, a.ranges(only=wanted), manifest, used, live.name
