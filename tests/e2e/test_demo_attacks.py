"""The attack suite on the demo library (issue 21's "done when": on the demo as well as on the
small generated libraries of tests/transforms/disclosure/test_attacks.py and test_zone_attacks.py).

Everything is attacked from the written files, as a visitor of the published folder or an analyst
of the pseudonymized zone would, with tests/oracles/release_attack.py (an LP attacker written apart
from transforms/disclosure/, HiGHS) and pandas; libstats code is only run, never asked:

1. **every published table and every public release of an overlapping period** in the demo's
   published folder (``.versions/`` included), one LP: no withheld cell narrows below the
   protection interval, except where whole-library figures (published whatever their size)
   pin it, and then no narrower than any release of those figures could make it and than
   the run reported;
2. **devices and sessions**: NOR on 2024-07-04 and 2024-09-02 (the issue's cells, once
   recovered as exactly 1 device) and every withheld device-day, by the plain subtraction
   (the month's sessions minus its published device-days) and by the LP;
3. **k over every shipped column** of the patrons file (and of the patrons with what their
   events say of them): only the columns the manifest declares non-identifying, with a reason,
   are left out;
4. **cross-year linkage**: the FY2023 zone (the annual fixture's run) against FY2025's on the
   attributes both ship; before protection (the raw attributes) most patrons were unique in
   both years;
5. **one added patron, the year rerun** (opt-in, ``LIBSTATS_LONG_ATTACKS=1``: a second demo
   run, 20-40 s): the run refuses with a DisclosureConflict naming the table and a way
   forward, and publishes nothing.

Monthly releases against the year are attacked on the small libraries only (test_attacks.py):
on the demo they would take two more runs. The figures are printed by ``test_zz_figures``
(``-s``) for the closing note and docs/disclosure.md §8.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from libstats.schema import PUBLISHED_TABLES
from tests.oracles.release_attack import attack_published, frames_of, releases

pytestmark = pytest.mark.slow
LIBRARY, PERIOD = "riverbend", "FY2025"
DEVICES, SESSIONS = "pub_wifi_devices__branch_day", "pub_wifi_sessions__branch_month"
ISSUE_CELLS = (("2024-07-04", "NOR"), ("2024-09-02", "NOR"))
NOT_ATTRIBUTES = {"patron_token", "key_id"}     # the manifest must give each its reason
K, K_MINORS, MINORS_AGE = 5, 10, 18                # the demo's settings (libstats defaults)
FIGURES: dict = {}


# --- the published folder, as a visitor has it ----------------------------------------------

def _width(r) -> float:
    return r[1] - r[0]


@pytest.fixture(scope="module")
def attacked(demo):
    import time
    started = time.monotonic()
    out = attack_published(demo / "out" / "published" / LIBRARY, PERIOD, PUBLISHED_TABLES)
    FIGURES["1 LP seconds (every withheld figure minimised and maximised)"] = round(
        time.monotonic() - started, 1)
    return out


# --- 1. every table, every overlapping release ----------------------------------------------

def test_no_withheld_cell_narrows_over_every_table_and_release(attacked):
    a, ranges, manifest, used, live = attacked
    interval = manifest["disclosure"]["protection_interval"]
    tables = manifest["disclosure"]["tables"]
    withheld = sum(int(t["suppressed_cells"]) for t in manifest["tables"])
    # every withheld cell is a figure of the attacker's (linked tables share theirs)
    assert sum(len(a.where[v]) for v in ranges) >= withheld > 0
    narrow = {v: r for v, r in ranges.items() if _width(r) < interval}
    widest = a.widest(narrow, live) if narrow else {}
    by_table: dict[str, list] = {}
    for v, r in ranges.items():
        for _, name, _ in a.where[v]:
            by_table.setdefault(name, []).append(_width(r))
    limited = Counter(a.where[v][0][1] for v in narrow)
    for v, r in narrow.items():
        # pinned by whole-library figures: no release of them could give it more room
        assert _width(r) >= _width(widest[v]), (a.where[v], r, widest[v])
    for name, n in limited.items():
        assert tables[name]["limited_by_open_figures"] >= n, name
    for name, widths in by_table.items():
        reported = tables[name]["narrowest_range"]
        assert reported is not None and min(widths) >= reported, name
    FIGURES["1 releases attacked"] = used
    FIGURES["1 withheld figures / LP variables / relations"] = (
        len(ranges), len(a.var), len(a.eq) + len(a.ub))
    FIGURES["1 narrowest range per table"] = {n: min(w) for n, w in sorted(by_table.items())}
    FIGURES["1 narrower than the interval (all under open figures)"] = dict(limited)
    FIGURES["1 exactly recovered (range 0)"] = dict(Counter(
        a.where[v][0][1] for v, r in narrow.items() if _width(r) == 0))


# --- 2. devices and sessions ----------------------------------------------------------------

def test_device_days_are_not_recovered_from_the_sessions(demo):
    a, ranges, manifest, _, _ = attack_published(demo / "out" / "published" / LIBRARY,
                                                 PERIOD, PUBLISHED_TABLES, only=DEVICES)
    interval = manifest["disclosure"]["protection_interval"]
    rel = demo / "out" / "published" / LIBRARY / PERIOD / "tables"
    devices = pd.read_parquet(rel / f"{DEVICES}.parquet")
    sessions = pd.read_parquet(rel / f"{SESSIONS}.parquet").set_index(["month", "branch_code"])
    days = devices[(devices["day"] != "all") & (devices["branch_code"] != "all")].copy()
    days["month"] = days["day"].str[:7]
    # the issue's attack: the month's sessions minus the published device-days leave room
    # for the withheld ones (each at least 1)
    widths = []
    for (month, branch), g in days.groupby(["month", "branch_code"]):
        hidden = g[g["suppressed"]]
        if hidden.empty:
            continue
        room = int(sessions.loc[(month, branch), "value"]) - int(g["value"].fillna(0).sum())
        widths += [room - (len(hidden) - 1) - 1] * len(hidden)
    assert widths and min(widths) >= interval
    # the LP with every relation (devices' totals, the sessions' tables, the other tables)
    cells = {}
    for v, r in ranges.items():
        for _, name, i in a.where[v]:
            if name == DEVICES:
                cells[(devices.loc[i, "day"], devices.loc[i, "branch_code"])] = r
    assert len(cells) == int(devices["suppressed"].sum())
    for cell in ISSUE_CELLS:
        assert cell in cells and _width(cells[cell]) >= interval, cell
    assert min(_width(r) for r in cells.values()) >= interval
    FIGURES["2 withheld device cells"] = len(cells)
    FIGURES["2 narrowest by sessions minus published device-days"] = min(widths)
    FIGURES["2 narrowest by the LP"] = min(_width(r) for r in cells.values())
    FIGURES["2 issue cells (LP range)"] = {f"{b} {d}": cells[(d, b)] for d, b in ISSUE_CELLS}


# --- 3. k over every shipped column ---------------------------------------------------------

def _zone(folder: Path, fy: str) -> Path:
    return folder / "out" / "pseudonymized" / LIBRARY / fy


def _classes(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    data = frame[cols].astype(object).where(frame[cols].notna(), "*").astype(str)
    data["patron_token"] = frame["patron_token"]
    return data.groupby(cols)["patron_token"].nunique().rename("n").reset_index()


def _may_be_minor(band: str) -> bool:
    head = band.split("-")[0].rstrip("+")
    return head.isdigit() and int(head) < MINORS_AGE


def _attributes(patrons: pd.DataFrame, manifest: dict) -> list[str]:
    declared = manifest["k_anonymity"]["non_identifying"]
    assert set(declared) == NOT_ATTRIBUTES and all(len(r) > 20 for r in declared.values())
    return [c for c in patrons.columns if c not in declared]


def _demo_manifest(demo: Path) -> dict:
    return json.loads((demo / "out" / "published" / LIBRARY / PERIOD / "manifest.json")
                      .read_text())


def _event_tokens(zone: Path, columns: list[str]) -> pd.DataFrame:
    """The distinct (token, columns) of the zone's events that carry a patron token."""
    cols = "".join(f", {c}" for c in columns)
    with duckdb.connect() as con:
        events = con.execute(
            f"SELECT DISTINCT patron_token{cols} FROM read_parquet("
            f"'{zone}/events/*/*.parquet') WHERE patron_token IS NOT NULL").df()
    return events.assign(patron_token=events["patron_token"].map(bytes))


def test_every_shipped_column_of_the_patrons_counts_for_k(demo):
    manifest = _demo_manifest(demo)
    patrons = pd.read_parquet(_zone(demo, PERIOD) / "patrons.parquet")
    cols = _attributes(patrons, manifest)
    assert {"enrolled_month", "last_activity_month", "is_registered_user",
            "reading_history_opt_in"} <= set(cols) and len(cols) == 8
    classes = _classes(patrons, cols)
    minors = classes[classes["age_band"].map(_may_be_minor)]
    assert classes["n"].min() >= K and minors["n"].min() >= K_MINORS
    assert manifest["k_anonymity"]["smallest_class"] == classes["n"].min()
    withheld_age = classes[classes["age_band"] == "*"]["n"]
    FIGURES["3 attribute columns"] = cols
    FIGURES["3 classes / smallest / smallest that may hold minors"] = (
        len(classes), int(classes["n"].min()), int(minors["n"].min()))
    FIGURES["3 smallest class with a withheld age band"] = int(withheld_age.min())


def test_the_events_say_nothing_of_a_patron_the_record_does_not(demo):
    """The event columns that describe the patron (role "patron" in the manifest) carry the
    record's (recoded) value: joined on the token, they split no class."""
    manifest = _demo_manifest(demo)
    zone = _zone(demo, PERIOD)
    patrons = pd.read_parquet(zone / "patrons.parquet")
    roles = next(t for t in manifest["pseudonymized"] if t["table"] == "events")["column_roles"]
    said = [c for c, role in roles.items() if role == "patron"]
    assert said == ["patron_category"]
    events = _event_tokens(zone, said)
    record = patrons.assign(patron_token=patrons["patron_token"].map(bytes))
    joined = events.merge(record, on="patron_token", how="left", suffixes=("", "_record"),
                          indicator=True)
    assert (joined["_merge"] == "both").all()        # every event token has its record
    for c in said:
        assert joined[c].isna().eq(joined[f"{c}_record"].isna()).all()
        assert (joined[c].dropna() == joined[f"{c}_record"].dropna()).all()
    FIGURES["3 event tokens joined to their records, values differing"] = (
        events["patron_token"].nunique(), 0)


def test_the_patrons_with_their_events_are_k_anonymous(demo):
    """An analyst joins the patrons file to the events: a token that has events is a patron
    who borrowed in the year. On the record's columns plus that fact every class must still
    hold k people (10 where it may hold a minor)."""
    manifest = _demo_manifest(demo)
    zone = _zone(demo, PERIOD)
    patrons = pd.read_parquet(zone / "patrons.parquet")
    cols = _attributes(patrons, manifest)
    borrowed = set(_event_tokens(zone, [])["patron_token"])
    joined = patrons.assign(has_events=patrons["patron_token"].map(lambda t: bytes(t) in borrowed))
    classes = _classes(joined, [*cols, "has_events"])
    below = classes[classes["n"] < classes["age_band"].map(
        lambda b: K_MINORS if _may_be_minor(b) else K)]
    with_events = below[below["has_events"] == "True"]
    FIGURES["3 with the has-events flag: classes / below k / records in them"] = (
        len(classes), len(below), int(below["n"].sum()))
    FIGURES["3 ... of tokens with events: classes below k / their sizes"] = (
        len(with_events), sorted(with_events["n"].tolist()))
    assert below.empty


# --- 4. cross-year linkage ------------------------------------------------------------------

BANDS = (0, 5, 12, 18, 25, 35, 45, 55, 65, 75)     # the demo's age bands, restated
FY_END = {"FY2023": dt.date(2023, 6, 30), "FY2025": dt.date(2025, 6, 30)}


def _band(born: str, at: dt.date) -> str:
    if not born:
        return "unknown"
    b = dt.date.fromisoformat(born)
    age = at.year - b.year - ((at.month, at.day) < (b.month, b.day))
    if age < 0:
        return "unknown"
    lo = max(x for x in BANDS if x <= age)
    hi = [x for x in BANDS if x > lo]
    return f"{lo}+" if not hi else f"{lo}-{hi[0] - 1}"


def _raw_unique_in_both(raw: Path, cfg_area: dict) -> int:
    """Before protection: patrons unique in both years on the four declared
    quasi-identifiers and the enrolment month, from the raw borrowers export."""
    b = pd.read_csv(raw / "koha" / "borrowers.csv", dtype=str, keep_default_na=False,
                    encoding="cp1252")
    area = b["zipcode"].map(cfg_area["postcodes"]).fillna(cfg_area["other"])
    keys = {}
    for fy in ("FY2023", "FY2025"):
        attrs = list(zip(b["branchcode"], b["categorycode"],
                         b["dateofbirth"].map(lambda d, fy=fy: _band(d, FY_END[fy])), area,
                         b["dateenrolled"].str[:7]))
        keys[fy] = (attrs, Counter(attrs))
    (a23, c23), (a25, c25) = keys["FY2023"], keys["FY2025"]
    return sum(1 for x, y in zip(a23, a25) if c23[x] == 1 and c25[y] == 1)


def test_the_zones_of_fy2023_and_fy2025_do_not_re_link(demo, annual):
    import tomllib
    cfg = tomllib.loads((demo / "library.toml").read_text())
    before = _raw_unique_in_both(demo / "raw", cfg["generalize"]["area"])
    za = pd.read_parquet(_zone(annual, "FY2023") / "patrons.parquet")
    zb = pd.read_parquet(_zone(demo, PERIOD) / "patrons.parquet")
    common = [c for c in zb.columns if c in za.columns and c not in NOT_ATTRIBUTES]
    ca, cb = _classes(za, common), _classes(zb, common)
    joined = cb.merge(ca, on=common, suffixes=("_b", "_a"))
    unique_both = int(joined.loc[(joined.n_a == 1) & (joined.n_b == 1), "n_b"].sum())
    below_both = int(joined.loc[(joined.n_a < K) & (joined.n_b < K), "n_b"].sum())
    # the smallest pair of classes an attacker can match a record to across the years
    smallest_pair = int(joined[["n_a", "n_b"]].min(axis=1).min())
    assert before > 1000                        # the attack bit before every column counted
    assert unique_both == 0 and below_both == 0 and smallest_pair >= K
    manifest = json.loads((annual / "out" / "published" / LIBRARY / "FY2023" / "manifest.json")
                          .read_text())
    # the FY2023 run had the FY2025 zone in place (the annual fixture) and measured the same
    (entry,) = manifest["k_anonymity"]["cross_year"]["compared_with"]
    assert entry == {"zone": PERIOD, "attributes": common, "classes_in_both": len(joined),
                     "records_unique_in_both": unique_both,
                     "records_below_k_in_both": below_both}
    FIGURES["4 raw attributes: patrons unique in both years"] = before
    FIGURES["4 zones: classes in both / unique in both / below k in both / smallest pair"] = (
        len(joined), unique_both, below_both, smallest_pair)


# --- 5. one added patron, the year rerun (opt-in) -------------------------------------------

def _with_one_more_patron(demo: Path, folder: Path) -> Path:
    """A copy of the demo (raw exports linked, outputs copied) with one fake patron more: 3
    checkouts and 1 renewal at NOR in 2024-11, in files of their own that the source globs
    match. Returns the config path."""
    raw = folder / "raw"
    (raw / "koha").mkdir(parents=True)
    for p in (demo / "raw").iterdir():
        if p.name != "koha":
            (raw / p.name).symlink_to(p)
    for p in (demo / "raw" / "koha").iterdir():
        (raw / "koha" / p.name).symlink_to(p)
    with open(demo / "raw" / "koha" / "statistics.csv", encoding="utf-8") as f:
        header = f.readline()
    loans = [f"2024-11-{d:02d} 14:00:00,NOR,0.0000,{kind},,{1268 + d},BK,GEN,5001,AFIC,PT,"
             f"intranet\n" for d, kind in ((5, "issue"), (12, "issue"), (19, "issue"),
                                            (26, "renew"))]
    (raw / "koha" / "statistics-added.csv").write_text(header + "".join(loans), encoding="utf-8")
    with open(demo / "raw" / "koha" / "borrowers.csv", encoding="cp1252") as f:
        columns = f.readline().strip().split(",")
    patron = dict.fromkeys(columns, "")
    patron.update(borrowernumber="5001", cardnumber="29999000005001", surname="Testperson",
                  firstname="Pat", city="Riverbend", state="CT", zipcode="06412",
                  country="USA", email="pat5001@example.com", phone="(555) 555-0101",
                  dateofbirth="1980-05-05", branchcode="NOR", categorycode="PT",
                  dateenrolled="2024-11-05", dateexpiry="2027-11-05", gonenoaddress="0",
                  lost="0", userid="testperson5001", privacy="1",
                  lastseen="2024-11-26 10:00:00", anonymized="0", lang="en")
    (raw / "koha" / "borrowers-added.csv").write_text(
        ",".join(columns) + "\n" + ",".join(patron[c] for c in columns) + "\n",
        encoding="cp1252")
    for name in ("library.toml", "demo.key"):
        shutil.copy2(demo / name, folder / name)
    shutil.copytree(demo / "out", folder / "out", symlinks=True)
    return folder / "library.toml"


@pytest.mark.skipif(os.environ.get("LIBSTATS_LONG_ATTACKS") != "1",
                    reason="a second demo run (20-40 s): LIBSTATS_LONG_ATTACKS=1 runs it")
def test_a_rerun_with_one_added_patron_refuses_or_isolates_nobody(demo, tmp_path):
    import time

    from libstats.config import load_config
    from libstats.errors import DisclosureConflict
    from libstats.period import parse_period
    from libstats.release import tree_hash
    from pipelines.run import run
    from tests.oracles.release_attack import published_in_both
    config_path = _with_one_more_patron(demo, tmp_path / "demo")
    root = tmp_path / "demo" / "out" / "published" / LIBRARY
    before = ((root / PERIOD).resolve(), tree_hash(root / PERIOD))
    config = load_config(config_path)
    started = time.monotonic()
    try:
        run(config, parse_period(config, PERIOD))
    except DisclosureConflict as err:
        text = str(err)
        assert "pub_circulation__branch_month_material" in text and "To proceed" in text
        assert ".versions/" in text              # names the release it must stay safe with
        # nothing published: the live release and the published folder are as they were
        assert ((root / PERIOD).resolve(), tree_hash(root / PERIOD)) == before
        assert len(releases(root)) == len(releases(demo / "out" / "published" / LIBRARY))
        FIGURES["5 rerun with one added patron"] = ("refused (DisclosureConflict), nothing "
                                                    "published", round(time.monotonic()
                                                                       - started, 1))
        return
    # published: the attacker holds both releases and the diff isolates nobody
    first = frames_of(before[0], json.loads((before[0] / "manifest.json").read_text()))
    live = (root / PERIOD).resolve()
    second = frames_of(live, json.loads((live / "manifest.json").read_text()))
    moved = 0
    for name, spec in PUBLISHED_TABLES.items():
        if name not in first or name not in second:
            continue
        diff = published_in_both(first[name], second[name], [*spec.by, *spec.dims])
        opened = diff[list(spec.open_totals)].eq("all").all(axis=1) if spec.open_totals else \
            pd.Series(False, index=diff.index)
        moved += int((diff["diff"].abs().between(1, 10) & ~opened).sum())
    a, ranges, manifest, _, name = attack_published(root, PERIOD, PUBLISHED_TABLES)
    interval = manifest["disclosure"]["protection_interval"]
    narrow = {v: r for v, r in ranges.items() if _width(r) < interval}
    widest = a.widest(narrow, name) if narrow else {}
    assert moved == 0
    assert all(_width(r) >= _width(widest[v]) for v, r in narrow.items())
    FIGURES["5 rerun with one added patron"] = ("published", moved, len(narrow))


def test_zz_figures(demo):
    """Last (it needs the shared demo, so the collection hook keeps it after the others)."""
    print("\ndemo attack figures:")
    for k, v in FIGURES.items():
        print(f"  {k}: {v}")
