"""Independent recount of the service domains from the raw demo exports (pandas, fnmatch;
no libstats code): public-computer sessions (PITUSR), website visits (WEBVISIT), programs
(TOTPRO, TOTATTEN and their parts), interlibrary loans (LOANTO, LOANFM), and the public
computers the Libki log shows (GPTERMS, which the report takes from the config).

The rules are restated here from the PLS definitions and the vendors' documentation, not
imported: a Libki LOGIN row is one use; staff machines (the config's patterns) are not public;
web visits are the analytics tools' daily figures; a LibCal row is one program session, its
audiences give one PLS group (several groups: general interest), its format is virtual with
an online location and no room, offsite at the configured places, else onsite; a session
without a head count takes its attendance from the registrations export (the distinct
people, by email, else by name, with a Registered registration marked Attended, when
any of the event's non-cancelled registrations carries a mark); a Koha ILL
request is received from another library and filled by status COMP/CHK/RET or a completed
date; the lending log's Y rows are loans provided.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pandas as pd

# The demo's LibCal audience labels and the PLS group each names (the demo config maps
# "Children" to ages 6-11).
DEMO_AUDIENCES = {"babies": "0_5", "preschool": "0_5", "children": "6_11",
                  "school age": "6_11", "teens": "12_18", "adults": "19", "seniors": "19",
                  "families": "gen"}
_GROUP_CODES = {"0_5": "K0_5", "6_11": "K6_11", "12_18": "YA", "19": "ADULT", "gen": "GEN"}


def _read(folder: Path, pattern: str) -> pd.DataFrame:
    files = sorted(folder.glob(pattern))
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files],
                     ignore_index=True) if files else pd.DataFrame()


def pc_sessions(raw: Path, staff_patterns: list[str], start: str, end: str) -> int:
    s = _read(raw / "services" / "libki", "statistics-*.csv")
    day = s["created_on"].str[:10]
    staff = s["client_name"].map(lambda c: any(fnmatch.fnmatch(c.lower(), p.lower())
                                               for p in staff_patterns))
    return int(((s["action"] == "LOGIN") & ~staff & (day >= start) & (day <= end)).sum())


def public_computers(raw: Path, staff_patterns: list[str], start: str, end: str) -> int:
    """The public computers (PLS GPTERMS) as the Libki log shows them: distinct computers
    with a LOGIN in the period that are not staff machines."""
    s = _read(raw / "services" / "libki", "statistics-*.csv")
    day = s["created_on"].str[:10]
    s = s[(s["action"] == "LOGIN") & (day >= start) & (day <= end)]
    staff = s["client_name"].map(lambda c: any(fnmatch.fnmatch(c.lower(), p.lower())
                                               for p in staff_patterns))
    return int(s.loc[~staff, "client_name"].nunique())


def web_visits(raw: Path, start: str, end: str) -> int:
    m = _read(raw / "services" / "web", "matomo-*.csv")
    g = _read(raw / "services" / "web", "ga4-*.csv")
    total = 0
    if len(m):
        total += int(m.loc[(m["date"] >= start) & (m["date"] <= end), "nb_visits"]
                     .astype(int).sum())
    if len(g):
        iso = g["Date"].str[:4] + "-" + g["Date"].str[4:6] + "-" + g["Date"].str[6:8]
        total += int(g.loc[(iso >= start) & (iso <= end), "Sessions"].astype(int).sum())
    return total


def programs(raw: Path, offsite: list[str], start: str, end: str) -> dict[str, int]:
    e = _read(raw / "services" / "libcal", "events-*.csv")
    e = e[(e["Date"] >= start) & (e["Date"] <= end)].copy()

    def group(labels: str) -> str:
        gs = {DEMO_AUDIENCES[x.strip().lower()] for x in labels.split(",") if x.strip()}
        return gs.pop() if len(gs) == 1 else "gen"
    e["group"] = e["Audiences"].map(group)
    e["format"] = "ON"
    e.loc[(e["Location"] == "") & (e["Online"] != ""), "format"] = "VIR"
    e.loc[e["Location"].str.lower().isin([o.lower() for o in offsite]), "format"] = "OFF"
    e["att"] = pd.to_numeric(e["Confirmed Attendance"], errors="coerce")
    from_regs = registration_attendance(raw)
    blank = e["att"].isna()
    if "Event ID" in e:
        e.loc[blank, "att"] = e.loc[blank, "Event ID"].map(from_regs)
    e["att"] = e["att"].fillna(0).astype(int)
    out = {"TOTPRO": len(e), "TOTATTEN": int(e["att"].sum())}
    for g, code in _GROUP_CODES.items():
        out[f"{code}PRO"] = int((e["group"] == g).sum())
        out[f"{code}ATTEN"] = int(e.loc[e["group"] == g, "att"].sum())
    for f in ("ON", "OFF", "VIR"):
        out[f"{f}PRO"] = int((e["format"] == f).sum())
        out[f"{f}ATTEN"] = int(e.loc[e["format"] == f, "att"].sum())
    return out


def registration_attendance(raw: Path) -> dict[str, int]:
    """Event ID -> attendance from the LibCal registrations (events whose marks were taken)."""
    r = _read(raw / "services" / "libcal", "registrations-*.csv")
    if not len(r):
        return {}
    r = r[r["Status"].str.lower() != "cancelled"].copy()
    r["who"] = r["Email"].str.lower()
    no_email = r["who"] == ""
    r.loc[no_email, "who"] = (r.loc[no_email, "First Name"] + " "
                              + r.loc[no_email, "Last Name"]).str.lower()
    marked = r[r["Attendance"] != ""].groupby("Event ID").size()
    came = r[(r["Status"] == "Registered") & (r["Attendance"] == "Attended")]
    counts = came.groupby("Event ID")["who"].nunique()
    return {eid: int(counts.get(eid, 0)) for eid in marked.index}


def ill(raw: Path, start: str, end: str) -> dict[str, int]:
    k = _read(raw / "services" / "ill", "illrequests-*.csv")
    k = k[(k["placed"] >= start) & (k["placed"] <= end)]
    filled = k["status"].isin(["COMP", "CHK", "RET"]) | (
        (k["completed"] != "") & (k["completed"] != "0000-00-00"))
    lend = _read(raw / "services" / "ill", "lending-*.csv")
    lend = lend[(lend["request_date"] >= start) & (lend["request_date"] <= end)]
    return {"LOANFM": int(filled.sum()), "LOANTO": int((lend["filled"] == "Y").sum())}
