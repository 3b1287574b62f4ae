"""Small generated libraries for the attack suite: events drawn with a fixed seed, and the
published tables' raw counts computed from them with pandas (not with libstats' SQL).

The counts are what ``pipelines.disclosure.protect`` receives: sum tables without totals (it
adds them), distinct-count tables with their distinct totals (``all``). Everything is fake:
patrons and devices are numbers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

FY = "FY2025"
BRANCHES = ("MAIN", "NOR")
MATERIALS = ("book",)
AUDIENCES = ("adult",)
MEASURES = ("checkouts", "renewals")
MONTHS = tuple(f"{y}-{m:02d}" for y, m in [(2024, m) for m in range(7, 13)] +
               [(2025, m) for m in range(1, 7)])


def loans(seed: int = 7, patrons: int = 150, events: int = 1500) -> pd.DataFrame:
    """One row per loan event: patron, month, branch, material, audience, measure. The small
    branch NOR's renewals are rare, so there are small cells to protect."""
    rng = np.random.default_rng(seed)
    branch = rng.choice(BRANCHES, size=events, p=[0.6, 0.4])
    return pd.DataFrame({
        "patron": rng.integers(1, patrons + 1, size=events),
        "month": rng.choice(MONTHS, size=events),
        "branch_code": branch,
        "material_type": rng.choice(MATERIALS, size=events),
        "audience": rng.choice(AUDIENCES, size=events),
        "measure": rng.choice(MEASURES, size=events, p=[0.75, 0.25]),
    })


def add_patron(events: pd.DataFrame, patron: int, month: str, branch: str) -> pd.DataFrame:
    """The issue's rerun: ONE more patron, 3 checkouts and 1 renewal at one branch, one month."""
    rows = [dict(patron=patron, month=month, branch_code=branch, material_type="book",
                 audience="adult", measure=m) for m in ("checkouts",) * 3 + ("renewals",)]
    return pd.concat([events, pd.DataFrame(rows)], ignore_index=True)


def circulation(events: pd.DataFrame, months=MONTHS) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product(
        [months, BRANCHES, MATERIALS, AUDIENCES, MEASURES],
        names=["month", "branch_code", "material_type", "audience", "measure"]).to_frame(
        index=False)
    n = events[events["month"].isin(months)].groupby(list(grid.columns)).size().rename(
        "value").reset_index()
    out = grid.merge(n, how="left", on=list(grid.columns)).fillna({"value": 0})
    out.insert(0, "fiscal_year", FY)
    out["value"] = out["value"].astype("int64")
    return out


def active_borrowers(events: pd.DataFrame, months=MONTHS) -> pd.DataFrame:
    e = events[events["month"].isin(months) & events["measure"].isin(["checkouts", "renewals"])]
    rows = []
    for m in (*months, "all"):
        for b in (*BRANCHES, "all"):
            sel = e
            if m != "all":
                sel = sel[sel["month"] == m]
            if b != "all":
                sel = sel[sel["branch_code"] == b]
            rows.append((FY, m, b, int(sel["patron"].nunique())))
    return pd.DataFrame(rows, columns=["fiscal_year", "month", "branch_code", "value"])


def wifi(seed: int = 11, days: int = 31, month: str = "2024-07", holiday: int = 4
         ) -> pd.DataFrame:
    """Sessions of one month: (day, branch, device), Meraki-style (almost every device has one
    session a day). On the holiday the small branch NOR sees one device only."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in range(1, days + 1):
        day = f"{month}-{d:02d}"
        for b, mean in (("MAIN", 60), ("NOR", 14)):
            n = 1 if (b == "NOR" and d == holiday) else int(rng.poisson(mean))
            devices = rng.choice(10_000, size=n, replace=False)
            for dev in devices:
                rows.append((day, b, f"{b}-{dev}"))
    return pd.DataFrame(rows, columns=["day", "branch_code", "device"])


def wifi_tables(sessions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    s = sessions.assign(month=sessions["day"].str[:7])
    branches = ("MAIN", "NOR")
    months = sorted(s["month"].unique())
    by_month = (s.groupby(["month", "branch_code"]).size().rename("value").reset_index())
    grid = pd.MultiIndex.from_product([months, branches], names=["month", "branch_code"]
                                      ).to_frame(index=False)
    sess = grid.merge(by_month, how="left").fillna({"value": 0})
    sess.insert(0, "fiscal_year", FY)
    start = dt.date.fromisoformat(f"{months[0]}-01")
    days = [(start + dt.timedelta(days=i)).isoformat() for i in range(31)]
    rows = []
    for d in (*days, "all"):
        for b in (*branches, "all"):
            sel = s
            if d != "all":
                sel = sel[sel["day"] == d]
            if b != "all":
                sel = sel[sel["branch_code"] == b]
            rows.append((FY, d, b, int(sel["device"].nunique())))
    devices = pd.DataFrame(rows, columns=["fiscal_year", "day", "branch_code", "value"])
    sess["value"] = sess["value"].astype("int64")
    return {"pub_wifi_sessions__branch_month": sess, "pub_wifi_devices__branch_day": devices}
