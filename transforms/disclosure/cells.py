"""The published tables as a system of cells and linear relations, and the attacker's view of it.

Every row of every published table is a *cell*. Rows of linked tables (the same ``universe``)
with the same coordinates are one cell: the Wi-Fi sessions of branch B in month M appear in the
sessions table, as the ``duration_band = all`` row of the duration table and as the
``volume_band = all`` row of the volume table. A total is its parts' sum, or for distinct
counts (people, devices) at most their sum and at least each part.

What an attacker can do with the model is :mod:`transforms.disclosure.attack`.
docs/disclosure.md has the reasoning.
"""

from __future__ import annotations

import math
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
    """For every dimension, each total row's relation with the rows that differ from it in
    that dimension alone. Plain dicts over the rows' text tuples (a table has thousands of
    rows; pandas' groupby and joins cost more than the work): the parents in row order, each
    with its children in row order."""
    cols = [*spec.by, *spec.dims]
    rows = list(_text(frame[cols]).itertuples(index=False, name=None))
    cids = ids.tolist()
    for d in spec.dims:
        k = cols.index(d)
        parents: dict[tuple, int] = {}
        groups: dict[tuple, list[int]] = {}
        for row, cid in zip(rows, cids):
            key = row[:k] + row[k + 1:]
            if row[k] == TOTAL:
                parents.setdefault(key, cid)
            else:
                groups.setdefault(key, []).append(cid)
        if not parents or not groups:
            continue
        if len(cols) > 1:
            pairs = [(p, groups[key]) for key, p in parents.items() if key in groups]
        else:
            pairs = [(next(iter(parents.values())), [c for g in groups.values() for c in g])]
        for p, ch in pairs:
            key = (int(p), tuple(sorted(ch)), spec.distinct)
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
