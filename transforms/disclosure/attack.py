"""The attacker's view of the published cells (:mod:`transforms.disclosure.cells`).

:func:`attack` is what anyone holding the release can do: for every withheld cell, the smallest
and largest value consistent with every published figure and relation (linear programming with
HiGHS, through highspy). Withheld cells are at least 1, because libstats never withholds a zero;
an attacker who knows that learns it, so the audit assumes it too. The LP bounds are rounded
inwards to integers (counts are whole numbers). docs/disclosure.md has the reasoning.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from libstats.schema import TOTAL
from transforms.disclosure.cells import CellModel
from transforms.disclosure.seen import Seen, row_box

@dataclass(frozen=True)
class Range:
    low: int
    high: float          # math.inf when nothing bounds the cell from above
    # While choosing cells: the relations that bind the cell's range (non-zero duals of its
    # LPs), where withholding one more cell would widen it.
    binding: tuple = field(default=(), compare=False)
    # False: only known to contain [low, high] (feasible points gave it that wide a range,
    # ``attack(wide=...)``); its true range may be wider.
    exact: bool = field(default=True, compare=False)

    @property
    def width(self) -> float:
        return self.high - self.low


def _components(cells: list[int], rows: list[list[int]]) -> list[list[int]]:
    parent = {c: c for c in cells}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for members in rows:
        first = find(members[0])
        for other in members[1:]:
            root = find(other)
            if root != first:
                parent[max(root, first)] = min(root, first)
                first = min(root, first)
    groups: dict[int, list[int]] = defaultdict(list)
    for c in cells:
        groups[find(c)].append(c)
    return [sorted(g) for _, g in sorted(groups.items())]


def attack(m: CellModel, hidden: set[int], *, index: list[list[int]] | None = None,
           interval: int | None = None, cache: dict | None = None,
           targets: set[int] | None = None, wide: int | None = None,
           tables: dict | None = None) -> dict[int, Range]:
    """The feasible range of every hidden cell, given every other cell's value and every
    relation.

    ``hidden`` are the cells the attacker does not know; every other cell must have a known
    value. Each connected group of hidden cells is one LP, solved twice per cell (minimum and
    maximum) by HiGHS with a warm start.

    With ``interval`` (used while choosing cells, where libstats knows each cell's value v):
    when the maximum alone is at least v + interval the minimum is not computed, and the range
    is reported as (v, maximum): wide enough, which is all the caller asks.

    ``cache``: results of earlier calls by connected group, reused while a group is unchanged.
    ``targets``: compute the ranges of these hidden cells only (and only their groups).
    ``wide`` (without ``interval``): a cell that feasible points already show to range over at
    least this much is reported with that range and ``exact=False``, without its LPs (the
    audit needs exact ranges only where they could be narrow or the narrowest:
    :func:`transforms.disclosure.audit.audit_published`). ``tables``: for each cell, the
    tables it is a row of; with ``wide``, a cell whose range seen is narrower than the
    narrowest exact range of one of its tables in its group is solved exactly.
    """
    index = index if index is not None else m.by_cell()
    # Each relation becomes rows over the hidden cells: equalities (sums) and
    # inequalities (distinct counts), with the known cells moved to the right-hand side.
    eq_rows, ub_rows = [], []           # (hidden cells, coefficients, rhs, relation)
    for i in sorted({i for c in hidden for i in index[c]}):
        r = m.relations[i]
        if r.bound:                                               # sum - uppers <= 0
            terms = [*((c, 1.0) for c in r.children),
                     *((c, -1.0) for c in (r.parent, *r.uppers))]
            ub_rows.append((*_row(m, hidden, _merge(terms)), i))
            continue
        terms = [(r.parent, 1.0), *((c, -1.0) for c in r.children)]
        if not r.distinct:
            eq_rows.append((*_row(m, hidden, terms), i))
            continue
        ub_rows.append((*_row(m, hidden, terms), i))             # parent - sum <= 0
        for c in r.children:                                      # child - parent <= 0
            if c in hidden or r.parent in hidden:
                ub_rows.append((*_row(m, hidden, [(c, 1.0), (r.parent, -1.0)]), i))
    links = [row[0] for row in eq_rows + ub_rows if len(row[0]) > 1]
    comps = _components(sorted(hidden), links + [[c] for c in hidden])
    if targets is not None:
        comps = [g for g in comps if targets.intersection(g)]
    done = []
    if cache is not None:
        done = [g for g in comps if tuple(g) in cache]
        comps = [g for g in comps if tuple(g) not in cache]
    which = {c: k for k, g in enumerate(comps) for c in g}
    rows_by: dict[int, list] = defaultdict(list)
    for is_eq, rows in ((True, eq_rows), (False, ub_rows)):
        for cells, coefs, rhs, rel in rows:
            if cells and cells[0] in which:
                rows_by[which[cells[0]]].append((cells, coefs, rhs, is_eq, rel))
    # A finite cap keeps every LP bounded (HiGHS' presolve can call an unbounded LP
    # infeasible): four times every known count together, which no cell reaches unless
    # nothing bounds it, and small enough for sound numerics.
    cap = max(10 ** 6, 4 * sum(v for v in m.value if v))
    result: dict[int, Range] = {}
    for k, comp in enumerate(comps):
        part = _solve(m, comp, rows_by[k], interval, cap, targets, wide, tables)
        result.update(part)
        if cache is not None:
            cache[tuple(comp)] = part
    for g in done:
        result.update(cache[tuple(g)])
    return result


# Ranges alone (no ``interval``: the audit, ``limits``) do not depend on the order the LPs
# are solved in, so a large group's cells are split between this many HiGHS instances, each
# in a thread (HiGHS releases the GIL). While cells are being chosen, the relations an LP
# binds (its duals) can depend on that order, so those LPs are solved one after another.
_LP_THREADS = 2
_LP_SPLIT_AT = 64           # cells of one group, at least
_PRIMAL_SIMPLEX = 4         # HiGHS' simplex_strategy for the primal simplex
_PRIMAL_WHILE_CHOOSING = False
# False: every LP is solved, none is known from feasible points (the reference the tests
# compare the shortcuts with; the ranges are the same, the LPs many more)
_SHORTCUTS = True


def _solve(m: CellModel, comp: list[int], rows: list, interval: int | None,
           cap: int, targets: set[int] | None = None,
           wide: int | None = None, tables: dict | None = None) -> dict[int, Range]:
    todo = [j for j, c in enumerate(comp) if targets is None or c in targets]
    if interval is not None or len(todo) < _LP_SPLIT_AT:
        return _solve_cells(m, comp, rows, interval, cap, todo, wide=wide, tables=tables)
    from concurrent.futures import ThreadPoolExecutor
    size = -(-len(todo) // _LP_THREADS)
    parts = [todo[k:k + size] for k in range(0, len(todo), size)]
    with ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="highs") as pool:
        found = list(pool.map(lambda part: _solve_cells(m, comp, rows, None, cap, part,
                                                        wide=wide, tables=tables), parts))
    return {c: r for part in found for c, r in part.items()}


def _solve_cells(m: CellModel, comp: list[int], rows: list, interval: int | None,
                 cap: int, todo: list[int], *, wide: int | None = None,
                 tables: dict | None = None) -> dict[int, Range]:
    """The ranges of the cells at positions ``todo`` of ``comp``, in one HiGHS instance (each
    LP warm-started from the one before)."""
    import highspy

    n = len(comp)
    pos = {c: j for j, c in enumerate(comp)}
    h = new_highs()
    h.setOptionValue("output_flag", False)
    if interval is None or _PRIMAL_WHILE_CHOOSING:
        # Each LP differs from the one before in its objective only: the previous optimal
        # basis stays feasible, and the primal simplex goes on from it (about 5x faster than
        # HiGHS' default dual simplex here). The optimum's value, hence every range, is the
        # same; the duals of a degenerate LP may not be, so while cells are being chosen (the
        # binding relations decide the complements) the default stays.
        h.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX)
    h.addVars(n, np.ones(n), np.full(n, float(cap)))
    for cells, coefs, rhs, is_eq, _ in rows:
        h.addRow(rhs if is_eq else -highspy.kHighsInf, rhs, len(cells),
                 np.array([pos[c] for c in cells], dtype=np.int32),
                 np.array(coefs, dtype=np.float64))
    cols = np.arange(n, dtype=np.int32)
    out: dict[int, Range] = {}

    def extreme(j: int, sign: float) -> float:
        cost = np.zeros(n)
        cost[j] = sign
        h.changeColsCost(n, cols, cost)
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            c = comp[j]
            raise ValueError("the published figures admit no solution: the release's totals "
                             f"do not add up (cell at table '{m.where[c][0]}' row "
                             f"{m.where[c][1] + 1})")
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS could not solve the audit LP ({status})")
        return sign * h.getInfo().objective_function_value

    def binding() -> set[int]:
        duals = h.getSolution().row_dual
        return {rows[k][4] for k, d in enumerate(duals) if abs(d) > 1e-9}

    # Shortcuts (docs/disclosure.md §4), each one an LP whose result is known without solving:
    # every solution HiGHS returns is a feasible point of the group's LP (so is the true count
    # vector while cells are chosen), and each cell's range contains every value it takes in
    # those points (``seen``). The box holds bounds that no feasible point can pass, from each
    # row alone: the LP optimum lies between the best value seen and that bound, so where they
    # meet it is known (:mod:`transforms.disclosure.seen`).
    lo_box, hi_box = row_box(rows, pos, n, cap)
    seen = Seen(n, _SHORTCUTS)
    if interval is not None:
        truth = [m.value[c] for c in comp]
        if all(v is not None for v in truth):
            seen.add(np.array(truth, dtype=np.float64))

    def see() -> None:
        x = np.asarray(h.getSolution().col_value)
        if len(x) == n:
            seen.add(x)

    def solve(j: int, may_skip: bool) -> Range:
        c = comp[j]
        v = m.value[c]
        if interval is not None and seen.span(j) >= interval:
            # feasible points already give it a range this wide: safe, which is all that is
            # asked while choosing cells (its binding relations are asked for unsafe cells only)
            return Range(*seen.bounds(j))
        if may_skip and wide is not None and interval is None and seen.span(j) >= wide:
            return Range(*seen.bounds(j), exact=False)
        known_high = seen.reaches_high(j, hi_box[j])
        if known_high is not None and interval is None:
            high = known_high
        else:
            high = math.floor(extreme(j, -1.0) + 1e-6)
            see()
        high = math.inf if high >= cap else high
        if interval is not None and v is not None and high - v >= interval:
            return Range(v, high)
        known_low = seen.reaches_low(j, lo_box[j])
        if known_low is not None and (interval is None or high - known_low >= interval):
            # the minimum is known (1, or a row's bound, met by a feasible point): while
            # choosing cells a range this wide is safe (its binding relations are not asked
            # for); in the audit it is the exact range
            return Range(known_low, high)
        tight = binding() if interval is not None else set()
        low = math.ceil(extreme(j, 1.0) - 1e-6)
        see()
        if interval is not None and high - low < interval:
            tight |= binding()
        return Range(low, high, tuple(sorted(tight)))

    for j in todo:
        out[comp[j]] = solve(j, True)
    if wide is not None and tables:
        # A cell reported only as wide could still be its table's narrowest: solve exactly,
        # smallest range seen first, each cell whose range seen is narrower than the narrowest
        # exact range of one of its tables here (the narrowest over all groups is at most
        # that, so a cell left inexact is never below it)
        while True:
            best: dict = {}
            for c, r in out.items():
                if r.exact:
                    for t in tables.get(c, ()):
                        best[t] = min(best.get(t, math.inf), r.width)
            need = [(r.width, c) for c, r in out.items() if not r.exact and any(
                r.width < best.get(t, math.inf) for t in tables.get(c, ()))]
            if not need:
                break
            c = min(need)[1]
            out[c] = solve(pos[c], False)
    return out


_BANNER_LOCK = threading.Lock()
_banner_shown = False


def new_highs():
    """A HiGHS instance. The first one of a process prints HiGHS' copyright banner on the C
    standard output, before any option can be set; that output is sent to /dev/null (``-q``
    means quiet, and a release's logs carry libstats' messages only)."""
    global _banner_shown
    import highspy

    with _BANNER_LOCK:
        if _banner_shown:
            return highspy.Highs()
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _banner_shown = True
        return h


def _merge(terms) -> list:
    out: dict[int, float] = {}
    for c, a in terms:
        out[c] = out.get(c, 0.0) + a
    return [(c, a) for c, a in out.items() if a]


def _row(m: CellModel, hidden: set[int], terms) -> tuple[list[int], list[float], float]:
    cells, coefs, rhs = [], [], 0.0
    for c, a in terms:
        if c in hidden:
            cells.append(c)
            coefs.append(a)
        else:
            rhs -= a * m.value[c]
    return cells, coefs, rhs


def limits(m: CellModel, cells: set[int], index: list[list[int]] | None = None) -> dict:
    """The widest range each of ``cells`` could have in any release that publishes the open
    cells and the zeros: every other cell withheld. Where an open figure is small, no choice
    of complements gives its parts a range as wide as the protection interval; this is the
    most they can get (docs/disclosure.md §3)."""
    if not cells:
        return {}
    hidden = {c for c, v in enumerate(m.value) if v is None or (c not in m.open and v != 0)}
    return {c: r.width for c, r in attack(m, hidden, index=index,
                                          targets=set(cells) & hidden).items()}


def under_open(m: CellModel, opens: set[int]) -> set[int]:
    """The cells below (or equal to) any of the open cells ``opens``: same table group, and
    every coordinate of the open cell shared."""
    keys = {cid: key for key, cid in m.ids.items()}
    tops = defaultdict(list)
    for e in opens:
        u, b, pairs = keys[e]
        # an earlier release's period total (month = all@FY2025) is at the total level
        tops[(u, b)].append({p for p in pairs if not p[1].startswith(f"{TOTAL}@")})
    return {cid for cid, (u, b, pairs) in keys.items()
            if any(t <= set(pairs) for t in tops.get((u, b), ()))}
