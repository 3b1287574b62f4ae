"""Totals and disclosure control of the published tables (docs/disclosure.md).

1. :func:`add_totals` gives every sum table its totals (branch → whole library, month → whole
   period, material type → all ...); distinct-count tables get theirs from SQL.
2. :func:`protect` withholds every count from 1 to the threshold (primary suppression), then
   further cells until no withheld cell can be narrowed, from everything the release and the
   earlier releases of the fiscal year publish, to a range smaller than the protection interval
   (complementary suppression: a cheap pass over the totals first, then cells chosen from the
   relations that bind the attacker's LP of :mod:`transforms.disclosure.cells`, until the LP finds every
   withheld cell wide enough).
3. :func:`apply` writes the decision into the frames: ``value`` empty and ``suppressed`` true.

The tables are small (thousands of cells, whatever the size of the exports), so this is pandas
and Python over cells, not SQL over events.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from libstats.errors import InputError
from libstats.schema import TOTAL, TableSpec
from transforms.disclosure.attack import Range, attack, limits, under_open
from transforms.disclosure.cells import CellModel


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
    fast = frame["value"].dtype == np.int64
    # each key column's values as integer codes, once (missing values a code of their own,
    # like groupby's dropna=False)
    codes = {c: pd.factorize(frame[c], use_na_sentinel=False)[0] for c in spec.key} \
        if fast else {}
    values = frame["value"].to_numpy()
    for k in range(1, len(dims) + 1):
        for totalled in itertools.combinations(dims, k):
            keep = [c for c in spec.key if c not in totalled]
            if fast and keep:
                # groupby(keep, sort=False).sum() without pandas' per-call overhead: the
                # groups in order of first appearance, each total row built from its first
                # row (so every column keeps the frame's dtype)
                _, first, inverse = np.unique(np.stack([codes[c] for c in keep], axis=1),
                                              axis=0, return_index=True, return_inverse=True)
                sums = np.zeros(len(first), dtype=np.int64)
                np.add.at(sums, inverse.ravel(), values)
                order = np.argsort(first, kind="stable")
                g = frame[keep].iloc[first[order]].reset_index(drop=True)
                g["value"] = sums[order]
            else:
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
        codes, uniques = pd.factorize(frame[c].astype(str).to_numpy(dtype=object))
        is_total = np.asarray(uniques, dtype=object) == TOTAL
        rank = np.cumsum(~is_total) - 1                 # first-appearance order, totals out
        rank[is_total] = int((~is_total).sum())         # ... and last
        ranks[c] = rank[codes]
    order = pd.DataFrame(ranks, index=frame.index).sort_values(list(spec.key),
                                                               kind="stable").index
    return frame.loc[order].reset_index(drop=True)


@dataclass
class Protection:
    """The decision for a release's cells.

    Attributes:
        primary: cells withheld for their size (1..threshold).
        secondary: cells withheld to protect them.
        sticky: cells withheld because an earlier release of the fiscal year withheld them.
        unsafe: withheld cells whose range is narrower than the interval (empty on success).
        limits: withheld cells under a small open figure, with the widest range any release
            could give them when it is narrower than the interval (what they need instead).
    """

    primary: set = field(default_factory=set)
    secondary: set = field(default_factory=set)
    sticky: set = field(default_factory=set)
    unsafe: dict = field(default_factory=dict)
    limits: dict = field(default_factory=dict)
    # cells withheld because they changed by 1..threshold from a figure an earlier public
    # release showed (the difference would count the people added or removed)
    changed: set = field(default_factory=set)
    # unsafe cells an earlier public release's figures leave too narrow whatever this run
    # withholds (pinned by figures already public): a rerun that cannot be made safe
    conflicts: dict = field(default_factory=dict)
    # cells an earlier release published with the same count (they cannot protect)
    known_public: set = field(default_factory=set)

    @property
    def withheld(self) -> set:
        return self.primary | self.changed | self.secondary | self.sticky


def safe(r: Range, interval: int) -> bool:
    return r.width >= interval


def primary_cells(m: CellModel, threshold: int, thresholds: dict | None = None) -> set[int]:
    """The cells withheld for their size: a count from 1 to its threshold, open figures
    excepted. ``thresholds``: a stricter threshold for some cells (by id), e.g. cells that
    describe minors; every other cell has ``threshold``."""
    limit = thresholds or {}
    return {c for c, v in enumerate(m.value)
            if v is not None and 1 <= v <= limit.get(c, threshold) and c not in m.open
            and c not in m.foreign}


def protect(m: CellModel, *, threshold: int, interval: int, sticky: set | None = None,
            again: set | None = None, known: set | None = None, changed: set | None = None,
            thresholds: dict | None = None, margins: set | None = None,
            progress=None) -> Protection:
    """Choose the cells to withhold.

    ``sticky``: cells an earlier release of the fiscal year (another period) withheld:
    withheld again unless zero. ``again``: cells the release this run replaces withheld to
    protect others: withheld again, after the first pass, so that a re-run with the same
    inputs reaches the same cells (and counts them the same way). ``known``: cells an earlier
    release published with the same value (no protection can come from them). ``changed``:
    cells whose count changed by 1..threshold from a figure an earlier release published:
    withheld like small counts. ``thresholds``: per-cell thresholds (:func:`primary_cells`).
    ``margins``: the figures the state survey asks for per outlet (a branch's registered
    users, its circulation by material): a complement among them costs :data:`MARGIN_COST`
    more than another cell (:func:`_cost`), so interior cells protect first.
    """
    margins = frozenset(margins or ())
    # open cells (whole-library figures of transactions) are published: never withheld, never
    # complements, like the figures an earlier release published
    p_known = set(known or ())
    known = (known or set()) | m.open | m.foreign
    # an earlier release's own figures that it withheld: unknown to the attacker, protected
    # like this release's, never withheld or shown by this run
    theirs = {c for c in m.foreign if m.value[c] is None}
    index = m.by_cell()
    p = Protection()
    p.known_public = p_known
    p.primary = primary_cells(m, threshold, thresholds)
    p.changed = {c for c in (changed or set()) if m.value[c] and c not in p.primary}
    p.sticky = {c for c in (sticky or set()) if m.value[c] and c not in p.primary | p.changed}
    withheld = p.primary | p.changed | p.sticky
    cache: dict = {}            # attacker LPs of connected groups a round did not change
    withheld = _close_locally(m, index, withheld, known, interval, margins)
    withheld |= {c for c in (again or set()) if m.value[c]}
    carried = set(p.sticky)     # (cells of the replaced release are treated as this run's)
    rounds = 0
    below = _under_small_open(m, interval)
    # Withholding one more cell only relaxes the attacker's LP (a value it knew becomes an
    # unknown, and the old solutions stay feasible with that unknown at its true value), so no
    # hidden cell's range narrows: a cell found safe stays safe. So after the first round only
    # the cells still unsafe and the cells just withheld are solved again. Showing a pinned
    # cell (below) can tighten the LP (its range is whole numbers rounded inwards; the LP's may
    # be a fraction wider), so the round after one solves every cell again. Which complements
    # are chosen can differ from solving every cell every round where an LP has several dual
    # solutions (warm starts differ); on the benchmark and the demo they are the same cells.
    ranges: dict = {}
    stale: set | None = None    # None: every hidden cell
    while True:
        hidden = (withheld - known) | theirs
        if stale is None:
            ranges = attack(m, hidden, index=index, interval=interval, cache=cache)
        else:
            ranges = {c: r for c, r in ranges.items() if c in hidden}
            ranges.update(attack(m, hidden, index=index, interval=interval,
                                 targets=stale & hidden))
        unsafe = {c: r for c, r in ranges.items() if not safe(r, interval)}
        # Under a small open figure no complement can give a cell the full interval: it
        # needs the widest range any release could give it (tabular.limits), no more.
        new = {c for c in unsafe if c in below and c not in p.limits}
        p.limits.update(limits(m, new, index))
        unsafe = {c: r for c, r in unsafe.items() if r.width < p.limits.get(c, interval)}
        # A cell withheld because an earlier release of another period withheld it, above the
        # threshold, that the published figures pin down protects nothing and hides nothing:
        # it is shown (the attacker's LP does not change). A complement this run chose is protected like
        # any other withheld cell instead: showing it and choosing it again could loop, and
        # once a whole-library figure is fixed it is often the only cell that can protect.
        pinned = {c for c, r in unsafe.items()
                  if r.width == 0 and c in carried and m.value[c] is not None
                  and m.value[c] > threshold}
        if pinned:
            withheld -= pinned
            known = known | pinned      # shown: never a complement again (it would loop)
            ranges = {c: r for c, r in ranges.items() if c not in pinned}
            unsafe = {c: r for c, r in unsafe.items() if c not in pinned}
        if not unsafe:
            break
        added: set = set()
        for c in sorted(unsafe):
            pick = _complement(m, index, c, withheld | added, known, ranges, interval,
                               margins)
            if pick is not None:
                added.add(pick)
        if not added:
            break                   # nothing left to withhold: the audit will fail the run
        withheld |= added
        stale = None if pinned else set(unsafe) | added
        rounds += 1
        if progress:
            progress(f"  complementary suppression: round {rounds}, "
                     f"{len(withheld - p.primary - p.changed - p.sticky)} cell(s) so far")
    p.sticky &= withheld            # a pinned one is shown again, like any pinned cell
    p.limits = {c: w for c, w in p.limits.items() if c in withheld and w < interval}
    p.secondary = withheld - p.primary - p.changed - p.sticky
    p.unsafe = unsafe
    if unsafe and known - m.open:
        # would they be safe if the earlier releases had published nothing? then it is the
        # figures already public that pin them: a conflict with those releases
        public = {c for c in known - m.open if m.value[c] != 0}
        alone = attack(m, withheld | public | theirs, index=index, targets=set(unsafe))
        p.conflicts = {c: r for c, r in unsafe.items()
                       if c in alone and alone[c].width >= p.limits.get(c, interval)}
    return p


def _under_small_open(m: CellModel, interval: int) -> set[int]:
    """Cells below an open figure small enough to limit their range (under four protection
    intervals: above that, the parts of a total keep room enough). Only a shortcut: the
    other cells are held to the full interval."""
    small = {c for c in m.open if m.value[c] is not None and m.value[c] < 4 * interval}
    # people drawn from transactions (active borrowers, devices) are bounded by them: under
    # a small transaction figure they are limited too
    drawn = {c for r in m.relations if r.bound for c in r.children}
    return under_open(m, small) | drawn


def _close_locally(m: CellModel, index, withheld: set, known: set, interval: int,
                   margins: frozenset = frozenset()) -> set:
    """Cheap first pass, without LPs: while some total relation holds a withheld cell whose
    fellow withheld cells leave it less room than the interval (a lone withheld cell in a
    line is recovered by subtraction), withhold one more cell of that relation."""
    withheld = set(withheld)
    todo = sorted({i for c in withheld for i in index[c]})
    while todo:
        nxt: set[int] = set()
        for i in todo:
            r = m.relations[i]
            if r.distinct or r.bound:
                continue
            members = r.members
            hidden = [c for c in members if c in withheld and c not in known]
            if not hidden:
                continue
            slack = sum(m.value[c] - 1 for c in hidden)
            if len(hidden) > 1 and min(slack - (m.value[c] - 1) for c in hidden) >= interval:
                continue
            best = None
            for c in members:
                v = m.value[c]
                if c in withheld or c in known or not v:
                    continue
                key = (_cost(m, index, c, i, withheld, margins), m.level[c],
                       (0, v) if v > interval else (1, -v), c)
                if best is None or key < best[0]:
                    best = (key, c)
            if best is None:
                continue
            withheld.add(best[1])
            nxt.update(index[best[1]])
        todo = sorted(nxt)
    return withheld


def _neighbours(m: CellModel, index, c: int) -> set[int]:
    out = set()
    for i in index[c]:
        out.update(m.relations[i].members)
    return out


def _complement(m: CellModel, index, cell: int, withheld: set, known: set, ranges,
                interval: int, margins: frozenset = frozenset()) -> int | None:
    """The cell to withhold next for an unsafe ``cell``.

    The relations that bind it are those with a non-zero dual in its LPs; failing that, all
    of its relations, the one whose other withheld cells leave it the least room (the sum of
    their counts above 1) first. From a relation, the published non-zero cell that costs
    least: the fewest relations it would be alone in, a survey margin counted as
    :data:`MARGIN_COST` more (:func:`_cost`), then inner cells
    before totals (the whole-library figures are what readers need), then the smallest count
    that gives the room still missing, else the largest. Failing any, a relation of a
    withheld cell next to it."""
    def room(r) -> int:
        return sum(m.value[c] - 1 for c in r.members
                   if c != cell and c in withheld and m.value[c] is not None)

    def candidates(rel_ids):
        for i in sorted(rel_ids, key=lambda i: (room(m.relations[i]), i)):
            r = m.relations[i]
            need = interval - room(r)
            best = None
            for c in r.members:
                v = m.value[c]
                if c in withheld or c in known or not v:
                    continue
                key = (_cost(m, index, c, i, withheld, margins), m.level[c],
                       (0, v) if v - 1 >= need else (1, -v), c)
                if best is None or key < best[0]:
                    best = (key, c)
            if best is not None:
                return best[1]
        return None

    pick = candidates(ranges[cell].binding) if cell in ranges else None
    if pick is None:
        pick = candidates(index[cell])
    if pick is None:
        near = {c for c in _neighbours(m, index, cell) if c in withheld}
        pick = candidates({i for c in near for i in index[c]})
    return pick


#: What withholding one of the figures the state survey asks for per outlet costs, on top of
#: the relations it would be alone in (:func:`_exposed`): as much as opening this many new
#: lines. A branch's registered users or its circulation is what a state report's outlet
#: columns read; an interior cell (branch x age band x category) that protects as well is
#: chosen first, and a margin only when no other cell of the relation comes within that
#: cost (docs/disclosure.md §3). Any choice is audited the same way, so the weight decides
#: which cells are withheld, never whether the withheld ones are safe.
MARGIN_COST = 2


def _cost(m: CellModel, index, c: int, via: int, withheld: set, margins: frozenset) -> int:
    return _exposed(m, index, c, via, withheld) + (MARGIN_COST if c in margins else 0)


def _exposed(m: CellModel, index, c: int, via: int, withheld: set) -> int:
    """How many of a candidate's relations other than ``via`` would hold it as their only
    withheld cell: each would need a complement of its own, so reusing a line already
    withheld elsewhere is cheaper than starting a new one."""
    return sum(1 for j in index[c] if j != via and _hidden_in(m.relations[j], withheld) == 0)


def _hidden_in(r, withheld: set) -> int:
    return sum(c in withheld for c in r.members)


def apply(frames: dict[str, pd.DataFrame], m: CellModel, withheld: set) -> dict:
    """The frames with withheld cells' ``value`` empty and ``suppressed`` set."""
    out = {}
    for name, frame in frames.items():
        hidden = np.array([int(c) in withheld for c in m.rows[name]], dtype=bool)
        f = frame.copy()
        f["value"] = f["value"].astype("Int64").mask(hidden)
        f["suppressed"] = hidden
        out[name] = f
    return out
