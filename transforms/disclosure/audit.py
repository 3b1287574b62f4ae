"""The disclosure audit: can anyone holding the release narrow a withheld cell down?

For every withheld cell, the smallest and largest value consistent with every published figure
of the release (and, inside ``libstats run``, of the earlier releases of the fiscal year), by
linear programming (:func:`transforms.disclosure.attack.attack`). A withheld cell whose range is narrower
than the protection interval fails the release. The audit reads only what is published: the
frames with their ``suppressed`` flags, never the withheld values, so ``libstats check`` runs it
on a release folder too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from libstats.results import CheckResult
from libstats.schema import PUBLISHED_TABLES
from transforms.disclosure.attack import Range, attack, limits
from transforms.disclosure.cells import build_model

CHECK = "complementary_suppression"


@dataclass
class Audit:
    """Per table: withheld cells, those whose range is too narrow, the narrowest range."""

    interval: int
    withheld: dict = field(default_factory=dict)
    unsafe: dict = field(default_factory=dict)
    narrowest: dict = field(default_factory=dict)
    # withheld cells narrower than the interval because an open (whole-library) figure
    # above them is small, and as wide as any release could make them
    limited: dict = field(default_factory=dict)
    # per table, how many relations of each kind the audit used (sum, distinct, bound)
    relations: dict = field(default_factory=dict)

    def checks(self) -> list[CheckResult]:
        return [CheckResult(
            check=CHECK, zone="published", table=name, column="value",
            passed=self.unsafe[name] == 0, failing_count=self.unsafe[name],
            threshold=f"every withheld cell's feasible range at least {self.interval} wide, "
                      f"or as wide as the published whole-library figures allow",
            engine="highs",
            detail=(f"{self.unsafe[name]} withheld cell(s) can be narrowed to a range under "
                    f"{self.interval} from the published figures")
            if self.unsafe[name] else "") for name in self.withheld]


def audit_published(frames: dict[str, pd.DataFrame], interval: int, *,
                    known: dict[tuple, int] | None = None, open_totals: bool = True,
                    earlier: tuple = ()) -> Audit:
    """Audit published frames (``value`` empty where ``suppressed``).

    ``known``: figures an earlier release published, by cell coordinates
    (:func:`transforms.disclosure.cells.cell_keys`), that equal this release's withheld cells.
    ``earlier``: the earlier public releases of the same or overlapping periods
    (:class:`transforms.disclosure.cells.Earlier`): their figures and relations are the
    attacker's too, and their withheld cells must stay as wide (counted under the table of
    this release with the same name).
    """
    specs = {n: PUBLISHED_TABLES[n] for n in frames}
    m = build_model(frames, specs, open_totals=open_totals, earlier=tuple(earlier))
    for key, value in (known or {}).items():
        cid = m.ids.get(key)
        if cid is not None and m.value[cid] is None:
            m.value[cid] = int(value)
    hidden = {c for c, v in enumerate(m.value) if v is None}
    by_table: dict[str, list] = {}
    for name, ids in m.rows.items():
        by_table.setdefault(name.rsplit(":", 1)[-1], []).extend(ids.tolist())
    ranges = _ranges(m, hidden, interval, by_table) if hidden else {}
    narrow = {c for c, r in ranges.items() if r.width < interval}
    # A narrow cell passes only if no release publishing the open figures and the zeros could
    # give it more: its range with every other cell withheld is no wider.
    most = limits(m, narrow) if narrow and m.open else {}
    audit = Audit(interval)
    for name in frames:
        cells = [c for c in dict.fromkeys(by_table[name]) if c in ranges]
        audit.withheld[name] = int(frames[name]["suppressed"].sum())
        audit.unsafe[name] = sum(ranges[c].width < min(interval, most.get(c, interval))
                                 for c in cells)
        audit.limited[name] = sum(c in narrow and ranges[c].width >= most.get(c, interval)
                                  for c in cells)
        audit.narrowest[name] = min((ranges[c].width for c in cells), default=math.inf)
        audit.relations[name] = m.relations_of(name)
    return audit



def _ranges(m, hidden: set, interval: int, by_table: dict) -> dict[int, Range]:
    """The attacker's range of every withheld cell, exact wherever the audit's result depends
    on it, with fewer LPs than solving every cell (docs/disclosure.md §4).

    The audit uses a cell's range in three ways: whether it is narrower than the interval
    (unsafe, or limited by a small open figure), and, per table, the narrowest range. A range
    is known to contain every value the cell takes at a feasible point of the LP, and every
    LP solution is one. So a cell that the solutions seen so far already spread over at least
    the interval (``attack(wide=interval)``, ``exact=False``) is not narrow, whatever its LPs
    would give; it matters only if it could be its table's narrowest, that is if its range
    seen is narrower than the narrowest exact range of the table. Those cells, and only those,
    are solved exactly, smallest range seen first, until no table has one left. So every
    unsafe and limited count and every narrowest range is the one solving every LP gives
    (``tests/transforms/disclosure/test_suppression.py`` compares the two on recorded cases).
    """
    member: dict[int, set] = {}
    for name, cells in by_table.items():
        for c in cells:
            member.setdefault(c, set()).add(name)
    # the narrowest of each table is looked for in each group's solver first (warm starts);
    # the loop below finds what is left across groups
    ranges: dict[int, Range] = attack(m, hidden, wide=interval, tables=member)
    tables = [[c for c in dict.fromkeys(cells) if c in ranges] for cells in by_table.values()]
    while True:
        todo: set[int] = set()
        for cells in tables:
            best = min((ranges[c].width for c in cells if ranges[c].exact), default=math.inf)
            open_ = sorted((ranges[c].width, c) for c in cells
                           if not ranges[c].exact and ranges[c].width < best)
            todo.update(c for _, c in open_[:_BATCH])
        if not todo:
            return ranges
        ranges.update(attack(m, hidden, targets=todo))


#: inexact cells solved per table and pass while looking for a table's narrowest range
_BATCH = 8
