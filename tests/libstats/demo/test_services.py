"""The demo's service exports (libstats/demo/services/): deterministic, with the hazards the
package docstrings promise, and obviously fake people only."""

from __future__ import annotations

import hashlib
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from libstats.demo.services import generate_services

SEED = 20250701
FY = (date(2024, 7, 1), date(2025, 6, 30))


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.csv"))}


@pytest.fixture(scope="module")
def services(demo_exports) -> Path:
    """The session's demo exports (generate_demo, default seed): its services folder."""
    return demo_exports[0] / "services"


def test_same_seed_same_bytes(services, tmp_path):
    generate_services(tmp_path, SEED, *FY)
    assert _digest(tmp_path / "services") == {k: v for k, v in _digest(services).items()
                                              if "FY2025" in k}


def test_the_hazards_are_planted(services):
    s = pd.read_csv(services / "libki" / "statistics-FY2025.csv", dtype=str,
                    keep_default_na=False)
    assert {"LOGIN", "LOGOUT", "FORCE_LOGOUT", "ADMIN_LOGIN", "PRINT_JOB_CREATED"} <= set(
        s["action"])
    assert s["username"].str.fullmatch(r"guest\d+").any()
    assert s["username"].str.fullmatch(r"2\d{13}").any()                # card numbers
    assert s["client_name"].str.contains("-STAFF-").any()
    logins = set(s.loc[s["action"] == "LOGIN", "session_id"])
    ended = set(s.loc[s["action"].isin(["LOGOUT", "FORCE_LOGOUT"]), "session_id"])
    assert logins - ended                                                # crashed clients
    assert (services / "web" / "matomo-FY2025.csv").is_file()
    ga4 = pd.read_csv(services / "web" / "ga4-FY2025.csv", dtype=str)
    assert ga4["Date"].str.fullmatch(r"2025\d{4}").all()                 # YYYYMMDD, from Jan
    e = pd.read_csv(services / "libcal" / "events-FY2025.csv", dtype=str,
                    keep_default_na=False)
    assert {"Children", "Adults, Seniors", "Teens, Adults"} <= set(e["Audiences"])
    assert ((e["Location"] == "") & (e["Online"] != "")).any()           # virtual
    assert e["Location"].isin(["Riverside Park", "Farmers Market"]).any()
    assert (e["Confirmed Attendance"] == "").any()
    r = pd.read_csv(services / "libcal" / "registrations-FY2025.csv", dtype=str,
                    keep_default_na=False)
    assert {"Registered", "Waitlist", "Cancelled"} == set(r["Status"])
    assert {"Attended", "Not Attended", ""} == set(r["Attendance"])
    assert ((r["Status"] == "Waitlist") & (r["Attendance"] == "Attended")).any()
    assert (r["Email"] == "").any()                                      # phoned in
    key = r["Event ID"] + r["Email"].str.lower()
    assert (key.duplicated() & (r["Email"] != "")).any()                 # registered twice
    assert set(r["Event ID"]) <= set(e["Event ID"])
    no_count = set(e.loc[e["Confirmed Attendance"] == "", "Event ID"])
    assert no_count & set(r["Event ID"])             # attendance only from registrations
    k = pd.read_csv(services / "ill" / "illrequests-FY2025.csv", dtype=str,
                    keep_default_na=False)
    assert (k["completed"] == "0000-00-00").any() and k["notesopac"].str.contains("@").any()


def test_people_are_obviously_fake(services):
    text = "\n".join(p.read_text(encoding="utf-8") for p in services.rglob("*.csv"))
    emails = re.findall(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)", text)
    assert emails and set(emails) <= {"example.com", "example.org", "example.net"}
    assert set(re.findall(r"\(860\) (\d{3})-01\d\d", text)) == {"555"}
