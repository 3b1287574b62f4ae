"""An independent audit of published tables, for the tests: integer programming over every cell.

Written apart from transforms/disclosure/cells.py: every cell of every table is a variable (published ones
fixed to their value, withheld ones free from 1 up), every total is written out from the table
rows with pandas, linked tables share variables by their coordinates, a distinct count is at
most the transactions it is drawn from (``TableSpec.drawn_from``), and each withheld cell is
minimised and maximised as an *integer* program (scipy.optimize.milp, HiGHS branch and bound),
which is at least as tight as the LP bounds libstats uses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

BIG = 10 ** 9


def _coordinates(row: dict, spec) -> tuple:
    dims = {d: row[d] for d in spec.dims if row[d] != "all"}
    return (spec.universe or spec.name, tuple(row[b] for b in spec.by),
            tuple(sorted(dims.items())))


def _open(row: dict, spec) -> bool:
    """A whole-library, whole-period row of a table of transactions (published whatever its
    size)."""
    return bool(spec.open_totals) and all(row[d] == "all" for d in spec.open_totals)


def integer_ranges(frames: dict[str, pd.DataFrame], specs: dict, *,
                   most: set | None = None) -> dict[tuple, tuple]:
    """{(table, row number): (min, max)} of every withheld cell; max is None if unbounded.

    ``most``: (table, row number) of withheld cells whose widest possible range is asked
    for instead: every cell but the open ones and the zeros is taken as withheld."""
    var: dict[tuple, int] = {}
    value: dict[int, int | None] = {}
    where: dict[int, list] = {}
    for name, frame in frames.items():
        for i, row in enumerate(frame.astype(object).to_dict("records")):
            key = _coordinates({k: str(v) for k, v in row.items()}, specs[name])
            v = var.setdefault(key, len(var))
            known = None if row["suppressed"] else int(row["value"])
            if most is not None and known != 0 and not _open(
                    {k: str(x) for k, x in row.items()}, specs[name]):
                known = None
            if value.get(v) is None:
                value[v] = known
            where.setdefault(v, []).append((name, i))
    eq, ub = [], []          # lists of {var: coef}
    for name, frame in frames.items():
        spec = specs[name]
        rows = frame.astype(str).to_dict("records")
        for d in spec.dims:
            groups: dict[tuple, dict] = {}
            for row in rows:
                rest = tuple(row[c] for c in (*spec.by, *spec.dims) if c != d)
                g = groups.setdefault(rest, {"total": None, "parts": []})
                v = var[_coordinates(row, spec)]
                if row[d] == "all":
                    g["total"] = v
                else:
                    g["parts"].append(v)
            for g in groups.values():
                if g["total"] is None or not g["parts"]:
                    continue
                if spec.distinct:
                    ub.append({g["total"]: 1, **{p: -1 for p in g["parts"]}})
                    ub += [{p: 1, g["total"]: -1} for p in g["parts"]]
                else:
                    row = {p: -1 for p in g["parts"]}
                    row[g["total"]] = row.get(g["total"], 0) + 1
                    eq.append(row)
    ub += _bounds(frames, specs, var)
    n = len(var)
    free = [v for v in range(n) if value[v] is None]
    # Published cells are constants: each relation keeps its withheld cells and a constant.
    # Withheld cells that share no relation, directly or through other withheld cells, do not
    # constrain each other, so each connected group is its own (small) integer program: the
    # same ranges as one program over the whole table, solved far faster.
    parent = {v: v for v in free}

    def root(v):
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    reduced = []              # (kind, {free var: coef}, constant)
    for kind, rows in (("eq", eq), ("ub", ub)):
        for row in rows:
            const = sum(c * value[v] for v, c in row.items() if value[v] is not None)
            part = {v: c for v, c in row.items() if value[v] is None and c}
            if not part:      # published figures only: they must agree with each other
                assert const == 0 if kind == "eq" else const <= 0, "published figures disagree"
                continue
            reduced.append((kind, part, const))
            first, *rest = part
            for v in rest:
                parent[root(v)] = root(first)
    components: dict[int, list[int]] = {}
    for v in free:
        components.setdefault(root(v), []).append(v)
    rows_of: dict[int, list] = {}
    for kind, part, const in reduced:
        rows_of.setdefault(root(next(iter(part))), []).append((kind, part, const))
    wanted = None if most is None else {var_ for var_, ws in where.items()
                                        if any(w in most for w in ws)}
    out = {}
    for comp_root, members in components.items():
        if wanted is not None and not wanted & set(members):
            continue
        index = {v: k for k, v in enumerate(members)}
        m = len(members)
        constraints = []
        for kind in ("eq", "ub"):
            rows = [(part, const) for k, part, const in rows_of.get(comp_root, ()) if k == kind]
            if rows:
                a = lil_matrix((len(rows), m))
                for k, (part, _) in enumerate(rows):
                    for v, c in part.items():
                        a[k, index[v]] = c
                rhs = np.array([-const for _, const in rows], float)
                constraints.append(LinearConstraint(a.tocsr(), rhs if kind == "eq" else -np.inf,
                                                    rhs))
        bounds = Bounds(np.ones(m), np.full(m, float(BIG)))
        for v in members:
            if wanted is not None and v not in wanted:
                continue
            ends = []
            for sign in (1, -1):
                c = np.zeros(m)
                c[index[v]] = sign
                res = milp(c, constraints=constraints, integrality=np.ones(m), bounds=bounds)
                assert res.status == 0, res.message
                ends.append(round(sign * res.fun))
            hi = None if ends[1] >= BIG else ends[1]
            for w in where[v]:
                out[w] = (ends[0], hi)
    return out


def _bounds(frames: dict, specs: dict, var: dict) -> list[dict]:
    """A distinct count drawn from transactions (``TableSpec.drawn_from``): its cells that
    fall in one place and period of those transactions (the days of a month at a branch)
    together count at most those transactions (the month's sessions there, or checkouts plus
    renewals). Relations whose transactions are in none of ``frames`` are left out."""
    out = []
    for name, frame in frames.items():
        spec = specs[name]
        for src in spec.drawn_from:
            coarse = dict(src.coarser)
            groups: dict[tuple, set] = {}
            for row in frame.astype(str).to_dict("records"):
                where = sorted((coarse.get(d, d), row[d][:7] if d in coarse else row[d])
                               for d in spec.dims if row[d] != "all")
                groups.setdefault((tuple(row[b] for b in spec.by), tuple(where)), set()).add(
                    var[_coordinates(row, spec)])
            for (_, where), cells in groups.items():
                uppers = [var.get((src.universe, tuple(b), where)) for b in src.by]
                if any(u is None for u in uppers):
                    continue
                row = {c: 1 for c in cells}
                for u in uppers:
                    row[u] = row.get(u, 0) - 1
                out.append(row)
    return out


def narrowest(ranges: dict) -> float:
    return min(((hi if hi is not None else np.inf) - lo for lo, hi in ranges.values()),
               default=np.inf)
