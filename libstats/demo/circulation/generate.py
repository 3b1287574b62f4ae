"""Write the demo library's four ILS exports (Koha and Sierra), deterministically.

:func:`generate_circulation` runs the model in a fixed order (patrons, their text columns,
items, transactions, then the exports) from one numpy generator and one Faker, both seeded with
the demo seed, so the same seed gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from faker import Faker

from libstats.demo.circulation import koha, sierra
from libstats.demo.circulation.borrowers import patron_columns
from libstats.demo.circulation.constants import FILES, ISSUE
from libstats.demo.circulation.dates import Calendar
from libstats.demo.circulation.items import accession_ill_items, build_items, renumber_items
from libstats.demo.circulation.patrons import build_patrons, set_lastseen
from libstats.demo.circulation.transactions import transactions
from libstats.demo.common import DEFAULT_SEED, EXAMPLE_DOMAINS

__all__ = ["generate_circulation"]


def generate_circulation(raw_dir: Path, seed: int = DEFAULT_SEED) -> dict:
    """Write ``koha/statistics.csv``, ``koha/borrowers.csv``, ``koha/items.csv`` and
    ``sierra/circ_trans.csv`` under ``raw_dir``.

    Returns a JSON-serialisable summary: ``{"seed", "files": {name: path relative to raw_dir},
    "rows": {name: data rows (physical lines minus header may be more: some notes span lines)},
    "total_transactions": statistics rows + circ_trans rows}``.
    """
    raw_dir = Path(raw_dir)
    rng = np.random.default_rng(seed)
    Faker.seed(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    cal = Calendar(rng)

    pat = build_patrons(rng, cal)
    patron_columns(rng, fake, pat)
    staff_emails = [e for e, c in zip(pat.cols["email"], pat.category) if c == "ST" and e]
    staff_emails = staff_emails or [f"circ.desk@{EXAMPLE_DOMAINS[0]}"]
    items = build_items(rng, fake, staff_emails)
    ev = transactions(rng, cal, pat, items)
    is_issue = ev.etype == ISSUE
    accession_ill_items(rng, items, ev.item[is_issue], ev.day[is_issue])
    ev.item = renumber_items(rng, items, ev.item)
    set_lastseen(cal, pat, ev.patron, ev.day * 86400 + ev.tod)

    rows = {"koha_statistics": koha.write_statistics(raw_dir, rng, fake.random, ev, pat, items),
            "sierra_circ_trans": sierra.write_circ_trans(raw_dir, rng, ev, pat, items),
            "koha_borrowers": koha.write_borrowers(raw_dir, pat),
            "koha_items": koha.write_items(raw_dir, rng, cal, ev, items)}
    return {
        "seed": seed,
        "files": dict(FILES),
        "rows": {name: rows[name] for name in FILES},
        "total_transactions": rows["koha_statistics"] + rows["sierra_circ_trans"],
    }
