"""Shared fixtures: a tiny hand-written library with obviously fake values.

The mini library has one Koha statistics export and one borrowers export, two branches and a
handful of patrons. Every value is fake: example.com emails, 555 phone numbers, barcodes of the
test institution 9999 (no real library uses it... and they are still shaped like barcodes, which
is the point: the leak checks must keep them out).
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import shutil
from pathlib import Path

import pytest

from libstats.keys import generate_key


STAT_HEADER = ["datetime", "branch", "value", "type", "other", "itemnumber", "itemtype",
               "location", "borrowernumber", "ccode", "categorycode", "interface"]
BORROWER_HEADER = ["borrowernumber", "cardnumber", "surname", "firstname", "email", "phone",
                   "zipcode", "dateofbirth", "branchcode", "categorycode", "dateenrolled",
                   "dateexpiry", "lastseen", "privacy", "borrowernotes"]

CONFIG = """
[library]
name = "Testville Public Library"
slug = "testville"
fiscal_year_start = "07-01"
timezone = "America/New_York"

[key]
env = "LIBSTATS_TEST_KEY"

[output]
folder = "out"

[suppression]
threshold = 10

[[branches]]
code = "MAIN"
name = "Main"

[[branches]]
code = "WEST"
name = "West"

[material_types]
book = ["BK", "JBK"]
video = ["DVD"]

[audience.children]
item_types = ["JBK"]

[[sources]]
name = "stats"
kind = "circulation"
format = "koha_statistics"
path = "raw/statistics.csv"

[[sources]]
name = "patrons"
kind = "patrons"
format = "koha_borrowers"
path = "raw/borrowers.csv"
"""


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def stat_rows() -> list[list[str]]:
    """25 checkouts at MAIN in Oct 2024 by patrons 1-5, 3 DVD checkouts at WEST, returns."""
    rows = []
    for i in range(25):
        rows.append([f"2024-10-{1 + i % 28:02d} 10:{i:02d}:00", "MAIN", "0.0000", "issue",
                     "", str(100 + i), "BK", "GEN", str(1 + i % 5), "AFIC", "PT", "intranet"])
    for i in range(3):
        rows.append([f"2024-11-0{1 + i} 15:00:00", "WEST", "0.0000", "issue", "",
                     str(200 + i), "DVD", "AV", "2", "MEDIA", "PT", "sip"])
    for i in range(12):
        rows.append([f"2024-12-{1 + i:02d} 11:00:00", "MAIN", "0.0000", "issue", "",
                     str(300 + i), "JBK", "CHILD", "3", "JFIC", "J", "intranet"])
    rows.append(["2024-10-05 12:00:00", "MAIN", "0.0000", "return", "", "100", "BK", "GEN",
                 "1", "AFIC", "PT", "intranet"])
    rows.append(["2024-10-06 12:00:00", "MAIN", "2.5000", "payment", "Paid by phone 555-0100",
                 "", "", "", "1", "", "PT", "intranet"])
    return rows


def borrower_rows() -> list[list[str]]:
    rows = []
    for n in range(1, 6):
        rows.append([str(n), f"2999900000{n:04d}", f"Testperson{n}", "Pat",
                     f"pat{n}@example.com", f"(555) 555-01{n:02d}", "06100",
                     f"19{60 + n}-01-15", "MAIN", "PT" if n != 3 else "J", "2015-03-01",
                     "2027-03-01", "2025-01-10 10:00:00", "0" if n == 1 else "1",
                     "Note: call 555-555-0199" if n == 2 else ""])
    return rows


@pytest.fixture
def test_key(monkeypatch):
    key = generate_key()
    monkeypatch.setenv("LIBSTATS_TEST_KEY", key)
    return key


def mini_library_files(folder: Path, config_text: str = CONFIG) -> Path:
    """Write library.toml and the raw/ exports into ``folder``; returns the config path."""
    raw = folder / "raw"
    raw.mkdir()
    (raw / "statistics.csv").write_text(csv_text(STAT_HEADER, stat_rows()), encoding="utf-8")
    (raw / "borrowers.csv").write_text(csv_text(BORROWER_HEADER, borrower_rows()),
                                       encoding="utf-8")
    config = folder / "library.toml"
    config.write_text(config_text, encoding="utf-8")
    return config


@pytest.fixture
def mini_library(tmp_path: Path, test_key) -> Path:
    """A folder with library.toml and raw/ exports; returns the config path."""
    return mini_library_files(tmp_path)


def is_total(row: dict) -> bool:
    """A published row at the total level of some dimension (docs/disclosure.md §1)."""
    return "all" in row.values()


def shown_as(row: dict, n: int, threshold: int) -> str:
    """How a published cell with true count ``n`` appears: "shown" (its count), "size"
    (withheld, 1..threshold) or "protection" (withheld to protect another cell). Fails on
    anything else: a zero withheld, a small count shown, a wrong count."""
    cell = (row["value"], row["suppressed"])
    if n == 0:
        assert cell == ("0", "false"), row
        return "shown"
    if n <= threshold:
        assert cell == ("", "true"), row
        return "size"
    assert cell in ((str(n), "false"), ("", "true")), row
    return "shown" if cell[1] == "false" else "protection"


@contextlib.contextmanager
def _once_per_session(tmp_path_factory, worker_id: str, name: str):
    """A folder shared by every xdist worker of this test session, and whether it still has to
    be built: the first worker to get the lock builds it, the others wait and reuse it. (Under
    xdist the workers' temporary folders share a parent that is new for each session.)"""
    if worker_id == "master":          # no xdist: this process is the session
        yield tmp_path_factory.mktemp(name), True
        return
    root = tmp_path_factory.getbasetemp().parent
    folder, done = root / name, root / f"{name}.built"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if done.exists():
                yield folder, False
            else:
                folder.mkdir()
                yield folder, True
                done.write_text("built\n")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def demo_exports(tmp_path_factory, worker_id) -> tuple[Path, dict]:
    """The demo library's raw exports (``generate_demo``, default seed) and their summary,
    generated once per test session for all workers. Read only: copy before changing them."""
    import json

    from libstats.demo.generate import generate_demo
    with _once_per_session(tmp_path_factory, worker_id, "demo_exports") as (root, build):
        if build:
            (root / "summary.json").write_text(json.dumps(generate_demo(root / "raw")))
        return root / "raw", json.loads((root / "summary.json").read_text())


@pytest.fixture(scope="session")
def demo(tmp_path_factory, worker_id, demo_exports) -> Path:
    """``libstats demo`` run once per test session for all workers, on a copy of the session's
    exports plus the FY2023 files (as ``libstats demo`` writes them): the folder with raw/,
    library.toml, demo.key and out/. Read only: a test that changes it works on a copy."""
    from libstats.demo.earlier import generate_fy2023
    from pipelines.cli import main
    with _once_per_session(tmp_path_factory, worker_id, "demo") as (folder, build):
        if build:
            shutil.copytree(demo_exports[0], folder / "raw")
            generate_fy2023(folder / "raw")
            (folder / "raw" / ".complete").write_text("generated by libstats demo\n")
            assert main(["demo", "--out", str(folder), "-q"]) == 0
        return folder


@pytest.fixture(scope="session")
def annual(demo, tmp_path_factory, worker_id):
    """A copy of the demo's releases and pseudonymized zone (the shared demo output stays
    untouched), the FY2023 run, and the reports: PLS for both years, CT for FY2025. Built once
    per test session for all workers (like ``demo``); used by tests/e2e/test_annual.py and,
    for the two years' zones, tests/e2e/test_demo_attacks.py."""
    with _once_per_session(tmp_path_factory, worker_id, "annual-demo") as (folder, build):
        if build:
            _build_annual(demo, folder)
        return folder


def _build_annual(demo: Path, folder: Path) -> None:
    import os

    from pipelines.cli import main
    (folder / "raw").symlink_to(demo / "raw")
    shutil.copy(demo / "library.toml", folder / "library.toml")
    shutil.copy(demo / "demo.key", folder / "demo.key")
    os.chmod(folder / "demo.key", 0o600)
    shutil.copytree(demo / "out" / "published", folder / "out" / "published", symlinks=True)
    # the FY2025 zone is in place, as at a library that runs both years: the FY2023 run
    # measures its cross-year linkage against it (docs/disclosure.md §6)
    shutil.copytree(demo / "out" / "pseudonymized", folder / "out" / "pseudonymized",
                    symlinks=True)
    config = str(folder / "library.toml")
    assert main(["run", config, "--period", "FY2023", "-q"]) == 0
    # Whole-library figures of transactions are published whatever their size, so every
    # figure a form needs is in the release: the default (stop on a withheld cell) succeeds.
    for fy, form in (("2023", "pls"), ("2025", "pls"), ("2025", "ct")):
        assert main(["report", "annual", config, "--fiscal-year", fy, "--form", form,
                     "-q"]) == 0


def pytest_collection_modifyitems(config, items):
    """Under xdist: the first test that needs the shared demo goes first, so one worker builds
    it while the other runs the fast tests; the other demo tests go last, when it is built.
    (Without this the e2e folder sorts early and a worker waits on the build's lock.)"""
    shared = {"demo", "demo_exports", "annual"}
    needs = [item for item in items if shared & set(getattr(item, "fixturenames", ()))]
    if not needs:
        return
    rest = [item for item in items if item not in set(needs)]
    items[:] = [needs[0], *rest, *needs[1:]]
