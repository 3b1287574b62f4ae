"""What the service generators share: the open days of a fiscal year, CSV writing, and
obviously fake people (Faker names, example.com emails, 555-01xx phones)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

from libstats.demo.common import HOLIDAYS

BRANCH_NAMES = {"CEN": "Central Library", "NOR": "Northgate Branch", "EAS": "East Hollow Branch"}
#: Libki client locations of each branch's public computers (mapped in [computers.locations]).
PC_LOCATIONS = {"CEN": "central-lab", "NOR": "north-lab", "EAS": "east-lab"}
#: Daily sessions per public computer and computers per branch.
PC_COUNT = {"CEN": 6, "NOR": 3, "EAS": 2}


def open_days(start: date, end: date) -> list[date]:
    """Every day from start to end the library is open (closed Sundays and holidays)."""
    days, d = [], start
    while d <= end:
        if d.weekday() != 6 and d not in HOLIDAYS:
            days.append(d)
        d += timedelta(days=1)
    return days


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def fake_phone(r) -> str:
    return f"(860) 555-01{r.randint(0, 99):02d}"
