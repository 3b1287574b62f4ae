"""The published tables as a system of cells and linear relations, and the attacker's view of it.

Every row of every published table is a *cell*. Rows of linked tables (the same ``universe``)
with the same coordinates are one cell: the Wi-Fi sessions of branch B in month M appear in the
sessions table, as the ``duration_band = all`` row of the duration table and as the
``volume_band = all`` row of the volume table. A total is its parts' sum, or for distinct
counts (people, devices) at most their sum and at least each part.

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
import pandas as pd

from libstats.schema import TOTAL, TableSpec


@dataclass(frozen=True)
class Relation:
    """``parent`` is the total of ``children`` along one dimension; or, with ``bound``, the
    children together are at most ``parent`` plus ``uppers`` (people or devices drawn from
    transactions: :class:`libstats.schema.DrawnFrom`)."""

    parent: int
    children: tuple[int, ...]
    distinct: bool          # distinct counts: parent <= sum(children), each child <= parent
    bound: bool = False     # sum(children) <= parent + sum(uppers)
    uppers: tuple[int, ...] = ()

    @property
    def members(self) -> tuple[int, ...]:
        return (self.parent, *self.uppers, *self.children)

    @property
    def kind(self) -> str:
        return "bound" if self.bound else "distinct" if self.distinct else "sum"


@dataclass
class CellModel:
    """Cells (by id), their values where known, and the relations between them.

    Attributes:
        value: the cell's count, or None when withheld in a release read back from disk.
        where: (table, row number) of the cell's first row, for messages.
        level: how many of its dimensions are at the total level (0 = an inner cell).
        rows: per table, the cell id of each row, in row order.
        relations: every total relation, deduplicated.
        open: cells published whatever their size (whole-library, whole-period figures of
            transactions: ``TableSpec.open_totals``).
    """

    value: list = field(default_factory=list)
    where: list = field(default_factory=list)
    level: list = field(default_factory=list)
    rows: dict = field(default_factory=dict)
    relations: list = field(default_factory=list)
    ids: dict = field(default_factory=dict)
    open: set = field(default_factory=set)
    # cells of earlier releases that are not this release's figures (their time totals, or
    # every figure of a table whose data were revised since): never withheld or chosen by
    # this run, and hidden to the attacker where that release withheld them
    foreign: set = field(default_factory=set)

    @property
    def size(self) -> int:
        return len(self.value)

    def by_cell(self) -> list[list[int]]:
        """For each cell, the indexes of the relations it takes part in."""
        out: list[list[int]] = [[] for _ in range(self.size)]
        for i, r in enumerate(self.relations):
            for c in dict.fromkeys(r.members):
                out[c].append(i)
        return out

    def relations_of(self, name: str) -> dict[str, int]:
        """How many relations of each kind hold a cell of table ``name`` (for the manifest)."""
        cells = set(self.rows[name].tolist())
        out: dict[str, int] = defaultdict(int)
        for r in self.relations:
            if cells.intersection(r.members):
                out[r.kind] += 1
        return dict(sorted(out.items()))


TIME_DIMS = ("month", "day")


def cell_keys(frame: pd.DataFrame, spec: TableSpec, *, period: str | None = None,
              release: str | None = None) -> list[tuple]:
    """The canonical coordinates of each row: universe, the ``by`` values, and the
    dimensions not at their total level (sorted by name, so linked tables agree).

    ``period``: the rows are an earlier release's of another period, whose time totals
    (month = all: that period) are not this release's: they are marked with the period.
    ``release``: the rows are figures of an earlier release that are not this release's
    (revised data): every key is marked with it."""
    dims = sorted(spec.dims)
    by_vals = _text(frame[list(spec.by)]).itertuples(index=False, name=None) \
        if spec.by else [()] * len(frame)
    dim_vals = _text(frame[dims]).itertuples(index=False, name=None)
    uni = spec.universe_name if release is None else f"{spec.universe_name}@{release}"
    if period is None:
        return [(uni, b, tuple((d, v) for d, v in zip(dims, dv) if v != TOTAL))
                for b, dv in zip(by_vals, dim_vals)]
    tag = f"{TOTAL}@{period}"
    return [(uni, b, tuple((d, tag if v == TOTAL else v) for d, v in zip(dims, dv)
                           if v != TOTAL or d in TIME_DIMS))
            for b, dv in zip(by_vals, dim_vals)]


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns as Python strings (object dtype): the cell model groups and looks up
    thousands of small keys, where pandas' Arrow-backed strings cost a millisecond a call."""
    return frame.astype(str).astype(object)


@dataclass(frozen=True)
class Earlier:
    """An earlier public release's tables, as the attacker holds them.

    ``same_period``: the release of this run's period that this run replaces (it stays
    readable under ``.versions/``). ``apart``: its tables whose figures are not this
    release's (data revised since): all their cells are kept apart from this release's, with
    their own relations. Otherwise a figure with this release's coordinates is the same
    figure (of another period: its months and days, not its time totals)."""

    label: str              # unique among the releases
    period: str
    frames: dict
    same_period: bool
    open_totals: bool
    apart: frozenset = frozenset()


def build_model(frames: dict[str, pd.DataFrame], specs: dict[str, TableSpec], *,
                open_totals: bool = True, earlier: tuple = ()) -> CellModel:
    """The cells and relations of a release's tables (frames with ``value``, and
    ``suppressed`` where values are withheld). ``open_totals``: whether the whole-library
    rows are open (a fiscal-year release; a month's release has none).

    ``earlier``: the earlier public releases (:class:`Earlier`) of the same or overlapping
    periods. Their figures and relations enter the model: a figure they published is known,
    a figure they withheld that is this release's too is the same cell, and every other
    figure of theirs is a cell of its own (:attr:`CellModel.foreign`)."""
    m = CellModel()
    seen: set[tuple] = set()
    for name, frame in frames.items():
        _add_table(m, name, frame, specs[name], cell_keys(frame, specs[name]),
                   open_totals, seen, foreign=False)
    for e in earlier:
        for name, frame in e.frames.items():
            spec = specs.get(name)
            if spec is None or not any(specs[n].universe_name == spec.universe_name
                                       for n in frames):
                continue
            has_time = any(d in TIME_DIMS for d in spec.dims)
            if name in e.apart or (not e.same_period and not has_time):
                keys = cell_keys(frame, spec, release=e.label)
            elif e.same_period:
                keys = cell_keys(frame, spec)
            else:
                keys = cell_keys(frame, spec, period=e.period)
            _add_table(m, f"{e.label}:{name}", frame, spec, keys, e.open_totals, seen,
                       foreign=True)
    _add_bounds(m, frames, specs, seen)
    return m


def _add_table(m: CellModel, name: str, frame: pd.DataFrame, spec: TableSpec, keys: list,
               open_totals: bool, seen: set, *, foreign: bool) -> None:
    values = frame["value"].tolist()
    hidden = frame["suppressed"].tolist() if "suppressed" in frame else [False] * len(frame)
    is_open = spec.open_rows(frame) if open_totals else [False] * len(frame)
    ids = np.empty(len(frame), dtype=np.int64)
    for i, (key, v, h, o) in enumerate(zip(keys, values, hidden, is_open)):
        known = None if (h or v is None or v is pd.NA or
                         (isinstance(v, float) and math.isnan(v))) else int(v)
        cid = m.ids.get(key)
        if cid is None:
            cid = m.ids[key] = m.size
            m.value.append(known)
            m.where.append((name, i))
            m.level.append(len(spec.dims) - len(key[2]))
            if foreign:
                m.foreign.add(cid)
        elif m.value[cid] is None:
            m.value[cid] = known
        elif known is not None and known != m.value[cid]:
            raise ValueError(f"linked tables disagree: table '{name}' row {i + 1} and "
                             f"table '{m.where[cid][0]}' row {m.where[cid][1] + 1} are "
                             f"the same figure with different counts")
        ids[i] = cid
        if o:
            m.open.add(cid)
    m.rows[name] = ids
    _add_relations(m, frame, spec, ids, seen)


def _add_bounds(m: CellModel, frames: dict, specs: dict, seen: set) -> None:
    """The relations between tables derived from ``TableSpec.drawn_from``: the cells of a
    distinct count that count disjoint slices of the same transactions (the days of a month
    at one branch) add up to at most those transactions (the month's sessions there)."""
    for name, frame in frames.items():
        spec = specs[name]
        for src in spec.drawn_from:
            groups: dict[tuple, list[int]] = defaultdict(list)
            for key, cid in zip(cell_keys(frame, spec), m.rows[name].tolist()):
                groups[(key[1], src.target(key[2]))].append(int(cid))
            for (_, target), cells in groups.items():
                uppers = [m.ids.get((src.universe, b, target)) for b in src.by]
                if any(u is None for u in uppers):
                    continue        # the transactions are not published in this release
                key = ("bound", tuple(sorted(set(cells))), tuple(uppers))
                if key not in seen:
                    seen.add(key)
                    m.relations.append(Relation(uppers[0], key[1], False, True,
                                                tuple(uppers[1:])))


def _add_relations(m: CellModel, frame: pd.DataFrame, spec: TableSpec, ids: np.ndarray,
                   seen: set) -> None:
    cols = [*spec.by, *spec.dims]
    df = _text(frame[cols]).reset_index(drop=True)
    df["_cid"] = ids
    for d in spec.dims:
        others = [c for c in cols if c != d]
        is_total = df[d] == TOTAL
        parents = df[is_total]
        children = df[~is_total]
        if parents.empty or children.empty:
            continue
        if others:
            groups = children.groupby(others, sort=False)["_cid"].agg(tuple)
            pid = parents.set_index(others)["_cid"]
            joined = pd.concat([pid.rename("p"), groups.rename("c")], axis=1, join="inner")
            pairs = zip(joined["p"].tolist(), joined["c"].tolist())
        else:
            pairs = [(int(parents["_cid"].iloc[0]), tuple(children["_cid"].tolist()))]
        for p, ch in pairs:
            key = (int(p), tuple(sorted(int(c) for c in ch)), spec.distinct)
            if key not in seen:
                seen.add(key)
                m.relations.append(Relation(*key))


def check_consistent(m: CellModel) -> list[int]:
    """Relations whose known values do not hold (a libstats bug if any): their indexes."""
    bad = []
    for i, r in enumerate(m.relations):
        vals = [m.value[c] for c in r.members]
        if any(v is None for v in vals):
            continue
        p, ch = vals[0], [m.value[c] for c in r.children]
        if r.bound:
            ok = sum(ch) <= p + sum(m.value[c] for c in r.uppers)
        else:
            ok = (max(ch) <= p <= sum(ch)) if r.distinct else p == sum(ch)
        if not ok:
            bad.append(i)
    return bad


@dataclass(frozen=True)
class Range:
    low: int
    high: float          # math.inf when nothing bounds the cell from above
    # While choosing cells: the relations that bind the cell's range (non-zero duals of its
    # LPs), where withholding one more cell would widen it.
    binding: tuple = field(default=(), compare=False)

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
           targets: set[int] | None = None) -> dict[int, Range]:
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
        part = _solve(m, comp, rows_by[k], interval, cap, targets)
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


def _solve(m: CellModel, comp: list[int], rows: list, interval: int | None,
           cap: int, targets: set[int] | None = None) -> dict[int, Range]:
    todo = [j for j, c in enumerate(comp) if targets is None or c in targets]
    if interval is not None or len(todo) < _LP_SPLIT_AT:
        return _solve_cells(m, comp, rows, interval, cap, todo)
    from concurrent.futures import ThreadPoolExecutor
    size = -(-len(todo) // _LP_THREADS)
    parts = [todo[k:k + size] for k in range(0, len(todo), size)]
    with ThreadPoolExecutor(max_workers=len(parts), thread_name_prefix="highs") as pool:
        found = list(pool.map(lambda part: _solve_cells(m, comp, rows, None, cap, part), parts))
    return {c: r for part in found for c, r in part.items()}


def _solve_cells(m: CellModel, comp: list[int], rows: list, interval: int | None,
                 cap: int, todo: list[int]) -> dict[int, Range]:
    """The ranges of the cells at positions ``todo`` of ``comp``, in one HiGHS instance (each
    LP warm-started from the one before)."""
    import highspy

    n = len(comp)
    pos = {c: j for j, c in enumerate(comp)}
    h = _new_highs()
    h.setOptionValue("output_flag", False)
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

    for j in todo:
        c = comp[j]
        high = math.floor(extreme(j, -1.0) + 1e-6)
        high = math.inf if high >= cap else high
        v = m.value[c]
        if interval is not None and v is not None and high - v >= interval:
            out[c] = Range(v, high)
            continue
        tight = binding() if interval is not None else set()
        low = math.ceil(extreme(j, 1.0) - 1e-6)
        if interval is not None and high - low < interval:
            tight |= binding()
        out[c] = Range(low, high, tuple(sorted(tight)))
    return out


_BANNER_LOCK = threading.Lock()
_banner_shown = False


def _new_highs():
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
