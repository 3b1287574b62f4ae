"""Totals and disclosure control of the published tables (docs/disclosure.md).

1. :func:`add_totals` gives every sum table its totals (branch → whole library, month → whole
   period, material type → all ...); distinct-count tables get theirs from SQL.
2. :func:`protect` withholds every count from 1 to the threshold (primary suppression), then
   further cells until no withheld cell can be narrowed, from everything the release and the
   earlier releases of the fiscal year publish, to a range smaller than the protection interval
   (complementary suppression, checked by the attacker's LP of :mod:`libstats.tabular`), then
   gives back every complementary cell that is not needed.
3. :func:`apply` writes the decision into the frames: ``value`` empty and ``suppressed`` true.

The tables are small (thousands of cells, whatever the size of the exports), so this is pandas
and Python over cells, not SQL over events.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import pandas as pd

from libstats.errors import InputError
from libstats.schema import TOTAL, TableSpec
from libstats.tabular import CellModel, Range, attack


def check_reserved(frame: pd.DataFrame, spec: TableSpec) -> None:
    """No dimension value may be the total label itself (a vendor or patron category called
    'all' would be read as a total)."""
    for d in spec.dims:
        if (frame[d].astype(str) == TOTAL).any():
            raise InputError(spec.name, f"a '{d}' value is '{TOTAL}', the label libstats "
                                        f"reserves for totals; rename it in the export or the "
                                        f"config")


def add_totals(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """The table with a total row for every combination of its dimensions at the total level:
    sums of the rows below, for every ``by`` value separately."""
    check_reserved(frame, spec)
    parts = [frame]
    dims = list(spec.dims)
    for k in range(1, len(dims) + 1):
        for totalled in itertools.combinations(dims, k):
            keep = [c for c in spec.key if c not in totalled]
            g = frame.groupby(keep, sort=False, dropna=False)["value"].sum().reset_index()
            for d in totalled:
                g[d] = TOTAL
            parts.append(g[frame.columns])
    return order_rows(pd.concat(parts, ignore_index=True), spec)


def order_rows(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Rows in key order, each column's values in the order they first appear (the SQL's
    order: months, band order, weekday order), totals last."""
    ranks = {}
    for c in spec.key:
        values = frame[c].astype(str)
        order = {v: i for i, v in enumerate(dict.fromkeys(v for v in values if v != TOTAL))}
        ranks[c] = values.map(lambda v, o=order: o.get(v, len(o)))
    order = pd.DataFrame(ranks).sort_values(list(spec.key), kind="stable").index
    return frame.loc[order].reset_index(drop=True)


@dataclass
class Protection:
    """The decision for a release's cells.

    Attributes:
        primary: cells withheld for their size (1..threshold).
        secondary: cells withheld to protect them.
        sticky: cells withheld because an earlier release of the fiscal year withheld them.
        ranges: the attacker's range of every withheld cell.
        unsafe: withheld cells whose range is narrower than the interval (empty on success).
    """

    primary: set = field(default_factory=set)
    secondary: set = field(default_factory=set)
    sticky: set = field(default_factory=set)
    ranges: dict = field(default_factory=dict)
    unsafe: dict = field(default_factory=dict)

    @property
    def withheld(self) -> set:
        return self.primary | self.secondary | self.sticky


def safe(r: Range, interval: int) -> bool:
    return r.width >= interval


def protect(m: CellModel, *, threshold: int, interval: int, sticky: set | None = None,
            known: set | None = None, progress=None) -> Protection:
    """Choose the cells to withhold.

    ``sticky``: cells an earlier release of the fiscal year withheld (withheld again unless
    zero). ``known``: cells an earlier release published with the same value (no protection
    can come from them).
    """
    known = known or set()
    index = m.by_cell()
    p = Protection()
    p.primary = {c for c, v in enumerate(m.value) if v is not None and 1 <= v <= threshold}
    p.sticky = {c for c in (sticky or set()) if m.value[c] and c not in p.primary}
    withheld = p.primary | p.sticky

    def audit(cells: set, only: set | None = None) -> dict[int, Range]:
        return attack(m, cells - known, only=only, index=index, interval=interval)

    rounds = 0
    while True:
        ranges = audit(withheld)
        unsafe = {c: r for c, r in ranges.items() if not safe(r, interval)}
        if not unsafe:
            break
        rounds += 1
        added = set()
        for c in sorted(unsafe):
            cube = _hypercube(m, c, withheld | added, known, interval)
            if cube:
                added |= cube
                continue
            pick = _complement(m, index, c, withheld | added, known, ranges, interval)
            if pick is not None:
                added.add(pick)
        if not added:
            break
        withheld |= added
        if progress:
            progress(f"  complementary suppression: round {rounds}, "
                     f"{len(withheld - p.primary - p.sticky)} cell(s) so far")
    p.secondary = withheld - p.primary - p.sticky
    if not unsafe:
        # Give back every complementary cell the others make unnecessary: totals first, then
        # the largest counts.
        for c in sorted(p.secondary, key=lambda c: (-m.level[c], -m.value[c], c)):
            trial = withheld - {c}
            if all(safe(r, interval) for r in audit(trial, only={c} | _neighbours(
                    m, index, c)).values()):
                withheld = trial
        p.secondary = withheld - p.primary - p.sticky
        ranges = audit(withheld)
        unsafe = {c: r for c, r in ranges.items() if not safe(r, interval)}
    p.ranges, p.unsafe = ranges, unsafe
    return p


def _hypercube(m: CellModel, cell: int, withheld: set, known: set, interval: int) -> set:
    """The cheapest hypercube around ``cell`` in its table (the hypercube method of Repsilber,
    as in tau-Argus and sdcTable): for every dimension where the cell is not a total, one other
    value; the 2^k corners withheld together let every corner move by the same amount with
    alternating signs, every total unchanged. Corners must be non-zero and unpublished before.
    Cost: the counts newly withheld. Returns the corners to add (empty if no cube fits)."""
    name, row = m.where[cell]
    t = m.tables[name]
    coord = t.coords[row]
    varying = [i for i, c in enumerate(t.columns)
               if c in t.inner and coord[i] != TOTAL]
    if not varying:
        return set()
    alternatives = [[v for v in t.inner[t.columns[i]] if v != coord[i]] for i in varying]
    if not all(alternatives):
        return set()
    masks = [(mask, bin(mask).count("1") % 2) for mask in range(1, 1 << len(varying))]
    best = None
    for combo in itertools.product(*alternatives):
        cost, corners = 0, []
        room = [m.value[cell] - 1, math.inf]      # how far + corners can fall, - corners fall
        for mask, odd in masks:
            c = list(coord)
            for bit, i in enumerate(varying):
                if mask >> bit & 1:
                    c[i] = combo[bit]
            cid = t.cell_at.get(tuple(c))
            v = None if cid is None else m.value[cid]
            if not v or cid in known:
                break
            room[odd] = min(room[odd], v - 1)
            if cid not in withheld:
                cost += v
                corners.append(cid)
            if best is not None and not best[0][0] and cost >= best[0][1]:
                break                       # dearer than a cube already good enough
        else:
            width = room[0] + room[1]
            key = (width < interval, cost if width >= interval else -width)
            if best is None or key < best[0]:
                best = (key, corners)
    return set(best[1]) if best else set()


def _neighbours(m: CellModel, index, c: int) -> set[int]:
    out = set()
    for i in index[c]:
        r = m.relations[i]
        out.add(r.parent)
        out.update(r.children)
    return out


def _complement(m: CellModel, index, cell: int, withheld: set, known: set, ranges,
                interval: int) -> int | None:
    """The cell to withhold next for an unsafe ``cell``.

    The relation that binds it most is the one whose other withheld cells leave it the least
    room (the sum of their counts above 1). From it, the published non-zero cell that costs
    least: inner cells before totals (the whole-library figures are what readers need), then
    the smallest count that gives the room still missing, else the largest. Failing any, a
    relation of a withheld cell next to it."""
    def room(r) -> int:
        return sum(m.value[c] - 1 for c in (r.parent, *r.children)
                   if c != cell and c in withheld and m.value[c] is not None)

    def candidates(rel_ids):
        for i in sorted(rel_ids, key=lambda i: (room(m.relations[i]), i)):
            r = m.relations[i]
            need = interval - room(r)
            best = None
            for c in (r.parent, *r.children):
                v = m.value[c]
                if c in withheld or c in known or not v:
                    continue
                key = (m.level[c], (0, v) if v - 1 >= need else (1, -v), c)
                if best is None or key < best[0]:
                    best = (key, c)
            if best is not None:
                return best[1]
        return None

    pick = candidates(index[cell])
    if pick is None:
        near = {c for c in _neighbours(m, index, cell) if c in withheld}
        pick = candidates({i for c in near for i in index[c]})
    return pick


def _hidden_in(r, withheld: set) -> int:
    return (r.parent in withheld) + sum(c in withheld for c in r.children)


def apply(frames: dict[str, pd.DataFrame], m: CellModel, withheld: set) -> dict:
    """The frames with withheld cells' ``value`` empty and ``suppressed`` set."""
    out = {}
    for name, frame in frames.items():
        hidden = [int(c) in withheld for c in m.rows[name]]
        f = frame.copy()
        f["value"] = f["value"].astype("Int64").mask(hidden)
        f["suppressed"] = hidden
        out[name] = f
    return out


def narrowest(ranges: dict[int, Range]) -> float:
    return min((r.width for r in ranges.values()), default=math.inf)
