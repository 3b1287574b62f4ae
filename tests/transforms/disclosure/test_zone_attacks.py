"""Attacks on the pseudonymized zone (issue 21, items 4, 5, 7), written without libstats'
readers, k-anonymity or linkage code: a generated library of 240 fake patrons with loans in
FY2023 and FY2025 is run twice through the CLI, then attacked from the written files (and the
raw exports, read with the csv module) as an analyst with access to both years' zones would.

- **k over every shipped column**: every column of ``patrons.parquet`` but the token and the
  key id, grouped by pandas: each class holds at least k people (10 where it may hold a child).
- **cross-year attribute linkage**: the FY2023 and FY2025 patrons files joined on the columns
  both ship: no record is unique (or below k) in both years; the same figures as the manifest.
- **one sighting, a year of loans**: opted-in patrons' loans unique among the period's events
  on (time, branch, item type, collection), counted from the raw export at day, week and month.

The figures before protection (the raw attributes the zone used to ship) are asserted too, so
the attacks are shown to bite on this library.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipelines.cli import main
from tests.conftest import BORROWER_HEADER, CONFIG, STAT_HEADER, csv_text

PUB = "out/published/testville/{}"
PZ = "out/pseudonymized/testville/{}"
BANDS = (0, 5, 12, 18, 25, 35, 45, 55, 65, 75)        # the default age bands, restated
K, K_MINORS = 5, 10
NOT_QI = {"patron_token", "key_id"}
FY_END = {"FY2023": dt.date(2023, 6, 30), "FY2025": dt.date(2025, 6, 30)}
FY_START = {"FY2023": dt.date(2022, 7, 1), "FY2025": dt.date(2024, 7, 1)}


def _library(folder: Path) -> Path:
    rnd = random.Random(21)
    patrons, events = [], []
    for n in range(1, 241):
        born = dt.date(rnd.randint(1935, 2018), rnd.randint(1, 12), rnd.randint(1, 28))
        enrolled = dt.date(rnd.randint(2008, 2022), rnd.randint(1, 12), rnd.randint(1, 28))
        seen = dt.date(2025, rnd.randint(1, 6), rnd.randint(1, 28))
        cat = "J" if born.year > 2007 else rnd.choice(["PT", "PT", "ST", "SR"])
        patrons.append([str(n), f"2999900{n:07d}", f"Testperson{n}", "Pat",
                        f"pat{n}@example.com", f"(555) 555-{n:04d}",
                        rnd.choice(["06100", "06105", "06250", "06260"]), born.isoformat(),
                        rnd.choice(["MAIN", "WEST"]), cat, enrolled.isoformat(), "2027-03-01",
                        f"{seen.isoformat()} 10:00:00", "0" if rnd.random() < 0.35 else "1", ""])
    for fy in ("FY2023", "FY2025"):
        days = (FY_END[fy] - FY_START[fy]).days
        for _ in range(700):
            p = rnd.choice(patrons)
            day = FY_START[fy] + dt.timedelta(days=rnd.randint(0, days))
            events.append([f"{day.isoformat()} 1{rnd.randint(0, 8)}:00:00",
                           rnd.choice(["MAIN", "WEST"]), "0.0000", "issue", "",
                           str(rnd.randint(1, 400)), rnd.choice(["BK", "BK", "JBK", "DVD"]),
                           "GEN", p[0], rnd.choice(["AFIC", "ANF", "JFIC", "MEDIA"]), p[9],
                           "intranet"])
    raw = folder / "raw"
    raw.mkdir()
    (raw / "statistics.csv").write_text(csv_text(STAT_HEADER, events), encoding="utf-8")
    (raw / "borrowers.csv").write_text(csv_text(BORROWER_HEADER, patrons), encoding="utf-8")
    config = folder / "library.toml"
    config.write_text(CONFIG.replace('format = "koha_statistics"',
                                     'format = "koha_statistics"\nevent_time = "week"'),
                      encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def two_years(tmp_path_factory) -> Path:
    mp = pytest.MonkeyPatch()
    mp.setenv("LIBSTATS_TEST_KEY", "ab" * 32)
    folder = tmp_path_factory.mktemp("two_years")
    config = _library(folder)
    try:
        for fy in ("FY2023", "FY2025"):           # the earlier year's zone is in place first
            assert main(["run", str(config), "--period", fy, "-q"]) == 0
    finally:
        mp.undo()
    return folder


def _raw(folder: Path, name: str) -> list[dict]:
    with open(folder / "raw" / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _band(born: str, at: dt.date) -> str:
    b = dt.date.fromisoformat(born)
    age = at.year - b.year - ((at.month, at.day) < (b.month, b.day))
    lo = max(x for x in BANDS if x <= age)
    hi = [x for x in BANDS if x > lo]
    return f"{lo}+" if not hi else f"{lo}-{hi[0] - 1}"


def _raw_attributes(folder: Path, fy: str) -> dict[str, tuple]:
    """Per patron: the four declared quasi-identifiers and the enrolment month, as the zone
    shipped them before every column counted."""
    return {p["borrowernumber"]: (p["branchcode"], p["categorycode"],
                                  _band(p["dateofbirth"], FY_END[fy]), p["zipcode"][:3] + "xx",
                                  p["dateenrolled"][:7])
            for p in _raw(folder, "borrowers.csv")}


def _patrons(folder: Path, fy: str) -> pd.DataFrame:
    return pd.read_parquet(folder / PZ.format(fy) / "patrons.parquet")


def _events(folder: Path, fy: str) -> pd.DataFrame:
    with duckdb.connect() as con:
        return con.execute(f"SELECT * FROM read_parquet('{folder / PZ.format(fy)}"
                           f"/events/*/*.parquet')").df()


def _classes(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    data = frame[cols].astype(object).where(frame[cols].notna(), "*").astype(str)
    data["patron_token"] = frame["patron_token"]
    return data.groupby(cols)["patron_token"].nunique().rename("n").reset_index()


def _may_be_minor(band: str) -> bool:
    head = band.split("-")[0].rstrip("+")
    return head.isdigit() and int(head) < 18


# --- k over every shipped column ----------------------------------------------------------------

def test_before_the_enrolment_month_singled_out_most_patrons(two_years):
    attrs = _raw_attributes(two_years, "FY2025")
    counts = Counter(attrs.values())
    unique = sum(1 for a in attrs.values() if counts[a] == 1)
    assert unique == 240            # all 240: what the zone used to allow


@pytest.mark.parametrize("fy", ["FY2023", "FY2025"])
def test_every_shipped_column_counts_for_k(two_years, fy):
    patrons = _patrons(two_years, fy)
    qis = [c for c in patrons.columns if c not in NOT_QI]
    assert {"enrolled_month", "last_activity_month", "is_registered_user",
            "reading_history_opt_in"} <= set(qis)
    assert patrons["enrolled_month"].dropna().str.fullmatch(r"\d{4}-xx").all()   # years
    # the event files tell which tokens borrowed in the year: one more attribute of a record
    events = sorted((two_years / PZ.format(fy) / "events").glob("month=*/*.parquet"))
    borrowed = set(pd.concat([pd.read_parquet(f, columns=["patron_token"]) for f in events])
                   ["patron_token"].dropna().map(bytes))
    patrons["has_zone_events"] = patrons["patron_token"].map(lambda t: bytes(t) in borrowed)
    assert patrons["has_zone_events"].any()
    classes = _classes(patrons, [*qis, "has_zone_events"])
    assert classes["n"].min() >= K
    minors = classes[classes["age_band"].map(_may_be_minor)]
    assert minors.empty or minors["n"].min() >= K_MINORS
    report = json.loads((two_years / PUB.format(fy) / "manifest.json").read_text())["k_anonymity"]
    assert report["quasi_identifiers"] == [*qis, "has_zone_events"]
    assert report["smallest_class"] == classes["n"].min()


def test_the_events_do_not_give_back_what_the_record_withheld(two_years):
    patrons = _patrons(two_years, "FY2025")
    events = _events(two_years, "FY2025")
    mine = events[events["patron_token"].notna()]
    assert len(mine) > 0
    record = dict(zip(patrons["patron_token"], patrons["patron_category"]))
    for token, cat in zip(mine["patron_token"], mine["patron_category"]):
        assert pd.isna(cat) or cat == record.get(token)


# --- cross-year attribute linkage ---------------------------------------------------------------

def test_before_patrons_were_unique_in_both_years(two_years):
    a, b = _raw_attributes(two_years, "FY2023"), _raw_attributes(two_years, "FY2025")
    ca, cb = Counter(a.values()), Counter(b.values())
    both = sum(1 for p in b if cb[b[p]] == 1 and ca.get(b[p]) == 1)
    assert both == 198              # of 240: followed from one year's zone to the other's


def test_the_zones_of_two_years_do_not_re_link(two_years):
    za, zb = _patrons(two_years, "FY2023"), _patrons(two_years, "FY2025")
    common = [c for c in zb.columns if c in za.columns and c not in NOT_QI]
    ca, cb = _classes(za, common), _classes(zb, common)
    joined = cb.merge(ca, on=common, suffixes=("_b", "_a"))
    unique_both = int(joined.loc[(joined.n_a == 1) & (joined.n_b == 1), "n_b"].sum())
    below_both = int(joined.loc[(joined.n_a < K) & (joined.n_b < K), "n_b"].sum())
    assert unique_both == 0 and below_both == 0
    manifest = json.loads((two_years / PUB.format("FY2025") / "manifest.json").read_text())
    (entry,) = manifest["k_anonymity"]["cross_year"]["compared_with"]
    assert entry == {"zone": "FY2023", "attributes": common, "classes_in_both": len(joined),
                     "records_unique_in_both": 0, "records_below_k_in_both": 0}
    check = next(c for c in manifest["checks"] if c["check"] == "cross_year_linkage")
    assert check["passed"]
    # the earlier year had no later zone to compare with
    earlier = json.loads((two_years / PUB.format("FY2023") / "manifest.json").read_text())
    assert earlier["k_anonymity"]["cross_year"]["compared_with"] == []


# --- one sighting, a year of loans ----------------------------------------------------------------

def _time(day: dt.date, granularity: str) -> dt.date:
    if granularity == "day":
        return day
    first = day.replace(day=1)
    return first if granularity == "month" else max(day - dt.timedelta(days=day.weekday()),
                                                    first)


def _one_sighting(folder: Path, fy: str, granularity: str) -> int:
    opted = {p["borrowernumber"] for p in _raw(folder, "borrowers.csv") if p["privacy"] == "0"}
    rows = [r for r in _raw(folder, "statistics.csv")
            if FY_START[fy] <= dt.date.fromisoformat(r["datetime"][:10]) <= FY_END[fy]]
    key = [(_time(dt.date.fromisoformat(r["datetime"][:10]), granularity), r["branch"],
            r["itemtype"], r["ccode"]) for r in rows]
    counts = Counter(key)
    return sum(1 for r, k in zip(rows, key) if counts[k] == 1 and r["borrowernumber"] in opted)


def test_one_sighting_finds_fewer_loans_the_coarser_the_event_time(two_years):
    day, week, month = (_one_sighting(two_years, "FY2025", g) for g in ("day", "week", "month"))
    # of 700 loans in FY2025, 265 by opted-in patrons
    assert (day, week, month) == (247, 161, 28)
    manifest = json.loads((two_years / PUB.format("FY2025") / "manifest.json").read_text())
    events = next(t for t in manifest["pseudonymized"] if t["table"] == "events")
    assert events["event_time"] == {"stats": "week"}
    assert events["opted_in_events_unique"] == week
    assert set(events["column_roles"]) >= set(_events(two_years, "FY2025").columns)
    zone = _events(two_years, "FY2025")
    days = pd.to_datetime(zone["event_date"])
    assert ((days.dt.day_of_week == 0) | (days.dt.day == 1)).all()      # Mondays or the 1st
