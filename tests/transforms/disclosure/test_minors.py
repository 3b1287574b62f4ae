"""Cells that count minors get the stricter primary threshold (``[minors] threshold``,
docs/disclosure.md §6), and the result is still protected (the independent integer audit)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from libstats.schema import PUBLISHED_TABLES
from pipelines.disclosure import minor_cells
from tests.oracles.disclosure_reference import integer_ranges, narrowest
from transforms.disclosure import suppression
from transforms.disclosure.cells import build_model

REG = "pub_registered_users__branch_age_category"
SPEC = PUBLISHED_TABLES[REG]

# home branch × age band × category; the children's cells hold 12 and 14, above the adults'
# threshold (10) but within the minors' default (15); one adult cell holds 13
COUNTS = {("MAIN", "5-11", "J"): 12, ("MAIN", "12-17", "J"): 40, ("MAIN", "18-64", "PT"): 13,
          ("MAIN", "65+", "PT"): 80, ("WEST", "5-11", "J"): 14, ("WEST", "12-17", "J"): 33,
          ("WEST", "18-64", "PT"): 90, ("WEST", "65+", "PT"): 55}


def _frames() -> dict:
    df = pd.DataFrame([("FY2025", b, a, c, v) for (b, a, c), v in COUNTS.items()],
                      columns=["fiscal_year", "branch_code", "age_band", "patron_category",
                               "value"])
    return {REG: suppression.add_totals(df, SPEC)}


def _shown(out, **where) -> bool:
    sel = out
    for k, v in where.items():
        sel = sel[sel[k] == v]
    return not sel["suppressed"].iloc[0]


def test_cells_of_minors_are_withheld_up_to_their_own_threshold():
    frames = _frames()
    m = build_model(frames, {REG: SPEC})
    config = SimpleNamespace(minors_age=18, minors_categories=())
    minors = minor_cells(m, config)
    # every cell with an under-18 age band (inner and totals), none of the adults'
    coords = [dict(key[2]) for key, c in m.ids.items() if c in minors]
    assert coords and all(c.get("age_band") in ("5-11", "12-17") for c in coords)
    p = suppression.protect(m, threshold=10, interval=10,
                            thresholds={c: 15 for c in minors})
    out = suppression.apply(frames, m, p.withheld)[REG]
    primary = {(k[2], m.value[c]) for k, c in m.ids.items() if c in p.primary}
    # 12 and 14 children (and their category totals, the same counts): withheld for size
    assert primary == {((("age_band", "5-11"), ("branch_code", "MAIN"),
                         ("patron_category", "J")), 12),
                       ((("age_band", "5-11"), ("branch_code", "MAIN")), 12),
                       ((("age_band", "5-11"), ("branch_code", "WEST"),
                         ("patron_category", "J")), 14),
                       ((("age_band", "5-11"), ("branch_code", "WEST")), 14)}
    # 13 adults at MAIN are above the adults' threshold: not withheld for size
    assert all(v != 13 for _, v in primary)
    assert not _shown(out, branch_code="MAIN", age_band="5-11", patron_category="J")
    # the same table under the adults' threshold alone withholds no child for size
    assert suppression.protect(build_model(_frames(), {REG: SPEC}), threshold=10,
                               interval=10).primary == set()
    ranges = integer_ranges({REG: out}, {REG: SPEC})
    assert narrowest(ranges) >= 10


def test_a_minors_patron_category_counts_whatever_the_age_band():
    frames = _frames()
    m = build_model(frames, {REG: SPEC})
    by_cat = minor_cells(m, SimpleNamespace(minors_age=18, minors_categories=("J",)))
    by_age = minor_cells(m, SimpleNamespace(minors_age=18, minors_categories=()))
    assert by_age < by_cat          # the category J totals (age band 'all') join
    none = minor_cells(m, SimpleNamespace(minors_age=5, minors_categories=()))
    assert none == set()            # no band starts below 5 but 0-4, which is not in the table
