"""What protection costs, and how far the heuristic is from the least it could cost.

:func:`information_loss`: per table, the cells withheld, their share of the cells, and the
share of the table's counted events (its inner cells) that readers cannot place.

:func:`milp_bound`: the fewest cells any safe pattern must withhold, from below. A withheld
cell that is the only withheld member of a sum relation is that relation's total minus the
rest: so in every relation, each withheld cell needs another withheld member (that can be
withheld: not open, not zero, not already public). Every pattern the audit accepts satisfies
this, so the least number of cells satisfying it (a MILP, HiGHS) is a lower bound on the
optimum, and ``withheld / bound`` an upper bound on how far the heuristic is from optimal.
docs/disclosure.md §3.
"""

from __future__ import annotations

import numpy as np

from transforms.disclosure.cells import CellModel

#: models larger than this are not compared. The bound is a report figure (how far the
#: heuristic is from the best pattern), not a safety check: the audit decides whether a release
#: is safe, with or without it. On the 100,000-row benchmark (4,420 cells) the MILP took 0.5 s
#: of a run whose target is 2 s, as long as the audit itself; a small library's tables (a
#: month, a branch or two) stay under this and are compared.
MILP_MAX_CELLS = 2000
MILP_SECONDS = 20.0


def information_loss(m: CellModel, name: str, withheld: set) -> dict:
    ids = m.rows[name].tolist()
    hidden = [c for c in ids if c in withheld]
    inner = [c for c in ids if m.level[c] == 0]
    total = sum(m.value[c] or 0 for c in inner)
    lost = sum(m.value[c] or 0 for c in inner if c in withheld)
    return {"cells_withheld": len(hidden),
            "share_of_cells": round(len(hidden) / max(1, len(ids)), 4),
            "share_of_inner_counts": round(lost / total, 4) if total else 0.0}


def milp_bound(m: CellModel, must: set, fixed_out: set) -> dict | None:
    """The least number of cells to withhold, per table and in all, such that every cell of
    ``must`` is withheld and no sum relation holds exactly one withheld cell. ``fixed_out``:
    cells that cannot be withheld (open, zero, public already). None when the model is too
    large or HiGHS finds no optimum in time."""
    import highspy

    from transforms.disclosure.attack import new_highs

    current = {c for name, ids in m.rows.items() if ":" not in name for c in ids.tolist()}
    if len(current) > MILP_MAX_CELLS:
        return None
    free = sorted(c for c in current if c not in fixed_out and m.value[c] not in (None, 0))
    pos = {c: j for j, c in enumerate(free)}
    n = len(free)
    if n == 0:
        return None
    h = new_highs()             # without HiGHS' banner on the run's output
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", MILP_SECONDS)
    lower = np.array([1.0 if c in must else 0.0 for c in free])
    h.addVars(n, lower, np.ones(n))
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                            np.array([highspy.HighsVarType.kInteger] * n))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), np.ones(n))
    for r in m.relations:
        if r.distinct or r.bound:
            continue
        members = [pos[c] for c in dict.fromkeys(r.members) if c in pos]
        if len(members) < 2:
            continue
        for j in members:               # x_j <= sum of the other members
            idx = np.array(members, dtype=np.int32)
            coef = np.array([-1.0 if k == j else 1.0 for k in members])
            h.addRow(0.0, highspy.kHighsInf, len(members), idx, coef)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    x = np.round(np.array(h.getSolution().col_value)).astype(int)
    chosen = {c for c, j in pos.items() if x[j]}
    per = {name: sum(c in chosen for c in ids.tolist())
           for name, ids in m.rows.items() if ":" not in name}
    return {"cells": len(chosen), "tables": per}
