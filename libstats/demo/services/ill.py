"""Interlibrary loan: Koha's ``illrequests`` (``services/ill/illrequests-*.csv``: requests
for our patrons, received from other libraries) and the ILL office's lending log
(``services/ill/lending-*.csv``, generic CSV: our items lent to other libraries).

Hazards planted: Koha marks a filled request by status (COMP, CHK, RET) or by a completed
date, and writes ``0000-00-00`` for no date; the patron's notes hold free text with an
example.com email; the lending log writes Y/N and names the borrowing library."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from faker import Faker

from libstats.demo.common import BRANCHES
from libstats.demo.services.common import open_days, write_csv
from libstats.profiles.ill import KOHA_ILLREQUESTS

KOHA_HEADER = list(KOHA_ILLREQUESTS.columns)
LENDING_HEADER = ["request_date", "direction", "filled", "borrowing_library", "title"]
STATUSES = [("COMP", 0.45), ("RET", 0.15), ("CHK", 0.1), ("REQ", 0.12), ("CANCREQ", 0.08),
            ("NEW", 0.05), ("REQREV", 0.05)]


def write_ill(root: Path, rng: np.random.Generator, fake: Faker, start, end,
              label: str) -> dict:
    koha, lending = [], []
    days = open_days(start, end)
    names, probs = zip(*STATUSES)
    for day in days:
        for _ in range(int(rng.poisson(1.3))):
            status = str(rng.choice(names, p=np.array(probs) / sum(probs)))
            done = status in ("COMP", "RET", "CHK")
            completed = day.isoformat() if done and rng.random() < 0.7 else (
                "0000-00-00" if rng.random() < 0.3 else "")
            note = (f"please email {fake.user_name()}@example.com" if rng.random() < 0.2
                    else "")
            row = {c: "" for c in KOHA_HEADER}
            row.update(illrequest_id=str(len(koha) + 1), borrowernumber=str(
                int(rng.integers(1, 4000))), branchcode=BRANCHES[int(rng.integers(0, 3))],
                status=status, placed=day.isoformat(), updated=f"{day} 12:00:00",
                completed=completed, medium="Book", notesopac=note, backend="FreeForm")
            koha.append([row[c] for c in KOHA_HEADER])
        for _ in range(int(rng.poisson(0.9))):
            lending.append([day.isoformat(), "lent", "Y" if rng.random() < 0.8 else "N",
                            f"{fake.city()} Public Library", fake.catch_phrase()])
    write_csv(root / "ill" / f"illrequests-{label}.csv", KOHA_HEADER, koha)
    write_csv(root / "ill" / f"lending-{label}.csv", LENDING_HEADER, lending)
    return {"koha": len(koha), "lending": len(lending)}
