"""The attack suite (issue 21): an attacker independent of the code under test
(tests/oracles/release_attack.py, scipy) holds every published table of a release and of every
earlier public release of the fiscal year, with the relations between tables, and tries to
narrow the withheld figures; a rerun with one added patron is differenced against the release
it replaced. Small generated libraries (tests/oracles/small_library.py), through
``pipelines.disclosure.protect``, the run's disclosure step."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

import pytest

import pipelines.disclosure as disclosure
from libstats.period import Period
from libstats.schema import PUBLISHED_TABLES
from tests.oracles import small_library as lib
from tests.oracles.release_attack import Attacker, published_in_both

# the settings protect() reads; minors' defaults as libstats.config gives them
MINORS = {"minors_age": 18, "minors_categories": ()}
CONFIG = SimpleNamespace(threshold=10, protection_interval=10, minors_threshold=15, **MINORS)
CIRC = "pub_circulation__branch_month_material"
BORROWERS = "pub_active_borrowers__branch_month"
DEVICES = "pub_wifi_devices__branch_day"
FIGURES: dict = {}          # printed at the end (-s): the closing note's figures


def period(label: str, months: tuple) -> Period:
    first = dt.date.fromisoformat(months[0] + "-01")
    last = dt.date.fromisoformat(months[-1] + "-28")
    while (last + dt.timedelta(days=1)).month == last.month:
        last += dt.timedelta(days=1)
    return Period(label, 2025, first, last)


FY = period("FY2025", lib.MONTHS)


def release(raw: dict, p: Period, earlier: list):
    out = disclosure.protect(raw, CONFIG, p, earlier)
    assert all(t["unsafe"] == 0 for t in out.report["tables"].values())
    return out


def as_earlier(label: str, p: Period, published) -> disclosure.Earlier:
    manifest = {"period": {"label": p.label, "fiscal_year": p.fiscal_year_label},
                "disclosure": published.report}
    return disclosure.Earlier(label, "0" * 64, published.frames, manifest)


def circ_raw(events, months=lib.MONTHS) -> dict:
    return {CIRC: lib.circulation(events, months), BORROWERS: lib.active_borrowers(events, months)}


def attacker(*releases) -> Attacker:
    a = Attacker(PUBLISHED_TABLES)
    for label, p, frames, separate in releases:
        a.add(label, p.label, frames, separate=separate)
    return a


def open_row(row) -> bool:
    return row.get("month") == "all" and row.get("branch_code") == "all"


def test_devices_are_not_recovered_from_the_sessions():
    """Issue 21 item 1: Σ over a month's days of a branch's devices ≤ its sessions that month
    (Meraki-style data: almost every device-day is one session). NOR's holiday with one device
    was recovered exactly from July's sessions minus the published device-days."""
    raw = lib.wifi_tables(lib.wifi())
    month = period("2024-07", ("2024-07",))
    # before: the devices table audited alone (no relation to the sessions)
    alone = {n: replace(s, drawn_from=()) for n, s in PUBLISHED_TABLES.items()}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(disclosure, "PUBLISHED_TABLES", alone)
        before = disclosure.protect(raw, CONFIG, month, [])
    a = attacker(("r", month, before.frames, False))
    narrow = a.narrow(10)
    FIGURES["devices/sessions before"] = (len(narrow), min((r[1] - r[0] for _, r in narrow),
                                                           default=None))
    assert narrow, "the attack of the issue no longer works on the unprotected release"
    holiday = before.frames[DEVICES].query("day == '2024-07-04' and branch_code == 'NOR'")
    assert holiday["suppressed"].all()
    # after: the relation derived from TableSpec.drawn_from enters the audit and the choice
    after = release(raw, month, [])
    assert after.report["tables"][DEVICES]["relations"].get("bound", 0) > 0
    ranges = attacker(("r", month, after.frames, False)).ranges()
    widths = [hi - lo for lo, hi in ranges.values()]
    FIGURES["devices/sessions after"] = (sum(w < 10 for w in widths), min(widths))
    assert min(widths) >= 10


def test_a_rerun_with_one_added_patron_does_not_isolate_them():
    """Issue 21 item 2: one more patron (3 checkouts, 1 renewal at NOR in 2024-10), the fiscal
    year rerun. Ignoring the release it replaces, the diff of the two releases isolates them.
    With it, the change (1..threshold) is withheld, but the whole-library figures (published
    whatever their size) and the unchanged figures already public pin it: the run stops with
    a conflict in the steward's terms, and nothing that could isolate the patron is published."""
    from libstats.errors import DisclosureConflict
    events = lib.loans()
    first = release(circ_raw(events), FY, [])
    grown = lib.add_patron(events, patron=10_001, month="2024-10", branch="NOR")
    # before: the rerun ignoring the release it replaces
    blind = disclosure.protect(circ_raw(grown), CONFIG, FY, [])
    keys = [*PUBLISHED_TABLES[CIRC].by, *PUBLISHED_TABLES[CIRC].dims]
    diff = published_in_both(first.frames[CIRC], blind.frames[CIRC], keys)
    moved = diff[(diff["diff"] != 0) & ~diff.apply(open_row, axis=1)]
    FIGURES["rerun diff before: non-open cells changed by 1..3"] = len(moved)
    assert len(moved) > 0 and moved["diff"].between(1, 3).all()
    # after: the replaced release is an earlier public release of the period
    with pytest.raises(DisclosureConflict) as err:
        disclosure.protect(circ_raw(grown), CONFIG, FY, [as_earlier("FY2025", FY, first)])
    text = str(err.value)
    assert CIRC in text and "FY2025" in text and "To proceed" in text
    FIGURES["rerun diff after"] = "refused (conflict), nothing published"


def test_a_rerun_with_another_threshold_works_and_stays_safe_with_the_first():
    """Issue 21 item 9: after a release with threshold 11, a rerun with threshold 10 (and
    back) on the same data works; the attacker holding both releases narrows nothing."""
    events = lib.loans()
    strict = SimpleNamespace(threshold=11, protection_interval=11, minors_threshold=16, **MINORS)
    first = disclosure.protect(circ_raw(events), strict, FY, [])
    second = release(circ_raw(events), FY, [as_earlier("FY2025", FY, first)])
    a = attacker(("a", FY, first.frames, False), ("b", FY, second.frames, False))
    narrow = a.narrow(10)
    FIGURES["threshold 11 then 10: narrow cells over both"] = len(narrow)
    assert narrow == []


def test_monthly_cumulative_and_annual_releases_do_not_difference():
    """Issue 21 item 2 and issue 18: monthly releases, a year-to-date release, then the year.
    The attacker holds them all (months are the same figures in each; each release's period
    total is one more figure) and subtracts: no withheld figure of any release narrows below
    the protection interval; in particular a cell withheld in a month cannot be recovered from
    the year's table minus the other months."""
    events = lib.loans()
    months = lib.MONTHS[:2]
    published, earlier = [], []
    for m in months:
        p = period(m, (m,))
        r = release(circ_raw(events, (m,)), p, earlier)
        earlier.append(as_earlier(m, p, r))
        published.append((m, p, r.frames, False))
    ytd = period("FY2025-to-2024-08", months)
    r = release(circ_raw(events, months), ytd, earlier)
    earlier.append(as_earlier(ytd.label, ytd, r))
    published.append((ytd.label, ytd, r.frames, False))
    year = release(circ_raw(events), FY, earlier)
    assert len(year.report["earlier_releases"]) == 3
    a = attacker(*published, ("FY2025", FY, year.frames, False))
    ranges = a.ranges()
    narrow = a.narrow(10, ranges)
    FIGURES["monthly/YTD/year after"] = (len(narrow), len(ranges))
    assert narrow == []
    withheld_in_aug = [v for v, ws in a.where.items()
                       if any(w[0] == "2024-08" for w in ws) and v in ranges]
    assert withheld_in_aug and all(ranges[v][1] - ranges[v][0] >= 10 for v in withheld_in_aug)


def test_the_manifest_lists_relations_earlier_releases_and_utility():
    """Issue 21 items 5 and 10: per table the relations and earlier releases the audit used,
    the information loss, and the MILP lower bound the heuristic is compared with."""
    events = lib.loans()
    p = period("2024-07", ("2024-07",))
    first = release(circ_raw(events, ("2024-07",)), p, [])
    t = first.report["tables"][BORROWERS]
    assert t["relations"]["bound"] > 0 and t["earlier_releases"] == []
    u = first.report["utility"]
    assert u["lower_bound"] is not None and u["lower_bound"] <= u["cells_withheld"]
    loss = first.report["tables"][CIRC]["information_loss"]
    assert loss["milp_lower_bound"] <= loss["cells_withheld"]
    assert 0 <= loss["share_of_inner_counts"] <= 1
    FIGURES["utility factor (month)"] = u.get("factor")


def test_the_utility_bound_prints_nothing_on_the_run_output():
    """HiGHS prints a banner on the C standard output when a process makes its first solver;
    the MILP bound may be that first solver (a release whose cells the audit settles without an
    LP), and a run's output carries libstats' messages only. A fresh process, as a run is."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "from tests.transforms.disclosure.test_attacks import circ_raw, period, CONFIG\n"
        "import pipelines.disclosure as d\n"
        "from tests.oracles import small_library as lib\n"
        "p = period('2024-07', ('2024-07',))\n"
        "out = d.protect(circ_raw(lib.loans(), ('2024-07',)), CONFIG, p, [])\n"
        "assert out.report['utility']['lower_bound'] is not None\n")
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "HiGHS" not in done.stdout and done.stdout == ""


def test_check_finds_the_earlier_releases_and_their_manifests(tmp_path):
    """``libstats check`` re-audits with the earlier releases the manifest names: they must
    be beside the release, with the manifest the audit used."""
    import json

    from libstats.release import sha256_path
    from reports.recheck import _earlier_releases
    root = tmp_path / "published" / "lib"
    (root / "2024-07" / "tables").mkdir(parents=True)
    other = {"period": {"label": "2024-07", "fiscal_year": "FY2025"}, "tables": []}
    (root / "2024-07" / "manifest.json").write_text(json.dumps(other))
    good = sha256_path(root / "2024-07" / "manifest.json")
    this = root / "FY2025"
    this.mkdir()
    manifest = {"period": {"label": "FY2025", "fiscal_year": "FY2025"}, "disclosure": {
        "earlier_releases": [{"label": "2024-07", "manifest_sha256": good, "kept_apart": []}]}}
    found, problems = _earlier_releases(this, manifest)
    assert problems == [] and [e.period for e in found] == ["2024-07"]
    manifest["disclosure"]["earlier_releases"][0]["manifest_sha256"] = "0" * 64
    assert "not the one the disclosure audit used" in _earlier_releases(this, manifest)[1][0]
    manifest["disclosure"]["earlier_releases"][0]["label"] = "2024-08"
    assert "is not in the published folder" in _earlier_releases(this, manifest)[1][0]


def test_zz_figures():
    print("\nattack figures:", FIGURES)
