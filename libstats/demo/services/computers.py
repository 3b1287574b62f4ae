"""Libki's ``statistics`` table, one fiscal year (``services/libki/statistics-FYyyyy.csv``).

Hazards planted: user names are library-card barcodes or guest passes (``guest17``); staff
computers (``CEN-STAFF-01``) log sessions too (excluded by ``[computers] staff_computers``);
``ADMIN_LOGIN`` and print-job rows are not sessions; a crashed client leaves a LOGIN without
LOGOUT (length unknown); a staff member's FORCE_LOGOUT ends some sessions; the info column
holds JSON with the user's id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from libstats.demo.common import BRANCHES, make_barcode
from libstats.demo.services.common import PC_COUNT, PC_LOCATIONS, open_days, write_csv

HEADER = ["instance", "id", "username", "client_name", "client_location", "client_type",
          "action", "created_on", "anonymized", "session_id", "info"]


def write_libki(root: Path, rng: np.random.Generator, start, end, label: str) -> int:
    """Returns the number of LOGIN rows written."""
    rows: list[list] = []
    rid = 0
    logins = 0

    def add(user, client, loc, action, ts, sid, info="{}"):
        nonlocal rid
        rid += 1
        rows.append(["", rid, user, client, loc, "", action, ts.strftime("%Y-%m-%d %H:%M:%S"),
                     0, sid, info])

    for day in open_days(start, end):
        for b in BRANCHES:
            clients = [f"{b}-PC{i + 1:02d}" for i in range(PC_COUNT[b])] + [f"{b}-STAFF-01"]
            for client in clients:
                n = int(rng.poisson(1.2 if "STAFF" in client else 3.5))
                t = datetime(day.year, day.month, day.day, 9, 30) + timedelta(
                    minutes=int(rng.integers(0, 90)))
                for _ in range(n):
                    length = int(rng.integers(5, 120))
                    if t.hour >= 19:
                        break
                    if rng.random() < 0.15:
                        user = f"guest{int(rng.integers(1, 400))}"
                    else:
                        user = make_barcode("2", int(rng.integers(1, 4000)))
                    sid = f"{label}-{rid + 1:07d}"
                    add(user, client, PC_LOCATIONS[b], "LOGIN", t, sid,
                        f'{{"client_version":"2.2","user_id":{int(rng.integers(1, 9000))}}}')
                    logins += 1
                    u = rng.random()
                    end_t = t + timedelta(minutes=length)
                    if u < 0.05:
                        pass                                   # crashed: no logout
                    elif u < 0.08:
                        add(user, client, PC_LOCATIONS[b], "FORCE_LOGOUT", end_t, sid)
                    else:
                        add(user, client, PC_LOCATIONS[b], "LOGOUT", end_t, sid)
                    if rng.random() < 0.1:
                        add(user, client, PC_LOCATIONS[b], "PRINT_JOB_CREATED",
                            t + timedelta(minutes=length // 2), sid)
                    t = end_t + timedelta(minutes=int(rng.integers(1, 40)))
            if rng.random() < 0.3:
                add("staffadmin", "", "", "ADMIN_LOGIN",
                    datetime(day.year, day.month, day.day, 8, 55), "")
    write_csv(root / "libki" / f"statistics-{label}.csv", HEADER, rows)
    return logins
