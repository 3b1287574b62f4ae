"""Both zones move together (kill -9 trials at every switch point and at random times), leftovers
of killed runs are swept, the run lock, zone modes, and OS errors named with path and cause.

The kill trials publish two small hand-made releases (A, then B) through the real switch
(``pipelines.publish``) in a child process that is killed; the full pipeline is run once only
(the differential-privacy run of the lock test), to keep the suite's time.
"""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from libstats import access, release, runlock
from libstats.errors import EXIT_BUSY, EXIT_OS_ERROR, ZoneAccessError, os_failure
from pipelines import publish
from pipelines.cli import main
from tests.conftest import mini_library_files
from tests.pipelines.zones_child import FY, LABEL, SLUG, publish_variant

ROOT = Path(__file__).resolve().parents[2]

# The child: take the lock, complete/sweep (what a run does first), stage a variant, publish.
CHILD = """
import sys
from pathlib import Path
from tests.pipelines.zones_child import publish_variant
print("ready", flush=True)
publish_variant(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
"""


def _payload(folder: Path) -> Path:
    """Two releases, A and B, each a published tree and a pseudonymized tree (tiny Parquet
    files with obviously fake values), written once by DuckDB and then copied byte for byte."""
    con = duckdb.connect()
    for v, n in (("A", 20), ("B", 30)):
        pub, pz = folder / v / "pub", folder / v / "pz"
        (pub / "tables").mkdir(parents=True)
        (pz / "events" / "month=2024-10").mkdir(parents=True)
        con.execute(f"COPY (SELECT 'MAIN' AS branch, {n} AS value) TO "
                    f"'{pub / 'tables' / 'pub_t.parquet'}' (FORMAT parquet)")
        (pub / "tables" / "pub_t.csv").write_text(f"branch,value\nMAIN,{n}\n")
        (pub / "manifest.json").write_text(json.dumps({"release": v}) + "\n")
        con.execute(f"COPY (SELECT range AS ev, 'tok{v}' AS patron_token FROM range({n})) TO "
                    f"'{pz / 'events' / 'month=2024-10' / 'data_0.parquet'}' (FORMAT parquet)")
        con.execute(f"COPY (SELECT 'tok{v}' AS patron_token) TO '{pz / 'patrons.parquet'}' "
                    f"(FORMAT parquet)")
    con.close()
    return folder


def _state(out: Path) -> dict:
    """What readers see: each zone's version and content, the analysts' views, and every path
    under the output folder (leftovers would show here)."""
    pub, pz = out / "published" / SLUG / LABEL, out / "pseudonymized" / SLUG / LABEL
    db = pz / "libstats.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    views = con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal "
                        "ORDER BY 1").fetchall()
    figure = con.execute("SELECT value FROM pub_t").fetchone()[0]
    con.close()
    return {"pub": (os.readlink(pub), release.tree_hash(pub)),
            "pz": (os.readlink(pz), release.tree_hash(pz, ("libstats.duckdb",))),
            "views": views, "figure": figure,
            "paths": sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                            if ".locks" not in p.parts)}


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """The clean states: A published, then B published over it (same output path)."""
    base = tmp_path_factory.mktemp("zones")
    payload = _payload(base / "payload")
    out = base / "out"
    publish_variant(out, payload, "A")
    a = _state(out)
    snapshot = base / "after_a"
    shutil.copytree(out, snapshot, symlinks=True)
    publish_variant(out, payload, "B")
    b = _state(out)
    assert a["figure"] == 20 and b["figure"] == 30 and a["pub"] != b["pub"]
    return base, payload, out, snapshot, a, b


POINTS = ["settled-published", "settled-pseudonymized", "analyst-db-tmp", "analyst-db-written",
          "journal-written", "link-made", "switched-pseudonymized", "switched-published"]


def _trial(releases, kill_at: str | None = None, delay: float | None = None) -> int:
    base, payload, out, snapshot, a, b = releases
    shutil.rmtree(out)
    shutil.copytree(snapshot, out, symlinks=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if kill_at:
        env["LIBSTATS_TEST_KILL_AT"] = kill_at
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(out), str(payload), "B"],
                             env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "ready"
    if delay is not None:
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    code = child.wait(timeout=60)
    child.stdout.close()
    return code


def _after_kill(releases) -> str:
    """What the next run sees first (recover under the lock): both zones on A or both on B,
    nothing left over; and its rerun of B equals the clean run of B, both zones."""
    base, payload, out, snapshot, a, b = releases
    with runlock.hold(out, SLUG, FY, 30):
        publish.recover(out, SLUG, LABEL)
    now = _state(out)
    seen = "A" if now == a else "B" if now == b else None
    if seen is None:   # a complete version of B not yet linked may stay (the rerun reuses it)
        assert (now["pub"], now["pz"], now["views"]) == (a["pub"], a["pz"], a["views"]), now
        assert set(now["paths"]) <= set(b["paths"]), set(now["paths"]) - set(b["paths"])
        seen = "A"
    publish_variant(out, payload, "B")
    assert _state(out) == b
    return seen


@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_switch_point_leaves_both_zones_on_one_run(releases, point):
    code = _trial(releases, kill_at=point)
    assert code == -signal.SIGKILL, code
    seen = _after_kill(releases)
    # until the journal exists the old run shows; from then on the switch is completed
    assert seen == ("A" if POINTS.index(point) < POINTS.index("journal-written") else "B")


def test_kill_at_random_times_leaves_both_zones_on_one_run(releases):
    t0 = time.monotonic()
    assert _trial(releases) == 0           # an unkilled child: how long the switch takes
    span = time.monotonic() - t0
    rng = random.Random(18)
    seen = []
    for _ in range(12):
        _trial(releases, delay=rng.uniform(0, span))
        seen.append(_after_kill(releases))
    assert set(seen) <= {"A", "B"}


def test_leftovers_of_killed_runs_are_swept(releases):
    base, payload, out, snapshot, a, b = releases
    pz_root = out / "pseudonymized" / SLUG
    current = pz_root / os.readlink(pz_root / LABEL)
    planted = [pz_root / ".versions" / f".staging-{LABEL}-4194999",
               current / ".libstats.duckdb.4194999",
               out / "published" / SLUG / f".{LABEL}.link-4194999",
               pz_root / f".switch-{LABEL}.json.tmp-4194999",
               out / "review" / SLUG / f".{LABEL}.old-4194999"]
    for p in planted:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.mkdir() if "staging" in p.name or ".old-" in p.name else p.write_text("x")
    other = pz_root / ".versions" / ".staging-2025-03-4194999"   # another period's: kept
    other.mkdir()
    with runlock.hold(out, SLUG, FY, 30):
        gone = publish.recover(out, SLUG, LABEL)
    assert sorted(gone) == sorted(planted)
    assert not any(p.exists() for p in planted) and other.exists()
    other.rmdir()


def test_recover_keeps_the_work_folder_of_a_live_run(tmp_path):
    """The work folder in the system's temporary folder is named by library, period and pid,
    not by output folder: a run of the same library and period into another output folder (a
    benchmark or a test beside the scheduled run) holds its own lock, and its live folder is
    not a leftover (a 100M-row benchmark run lost its spill folder to a 100k run so). A dead
    process's folder is swept."""
    import tempfile
    tmp = Path(tempfile.gettempdir())
    child = subprocess.Popen(["sleep", "30"])
    dead = subprocess.Popen(["true"])
    dead.wait()
    live_dir = tmp / f"libstats-{SLUG}-{LABEL}-{child.pid}"
    dead_dir = tmp / f"libstats-{SLUG}-{LABEL}-{dead.pid}"
    try:
        for d in (live_dir, dead_dir):
            d.mkdir()
        out = tmp_path / "out"
        with runlock.hold(out, SLUG, FY, 30):
            gone = publish.recover(out, SLUG, LABEL)
        assert live_dir.is_dir() and live_dir not in gone
        assert not dead_dir.exists() and dead_dir in gone
    finally:
        child.kill()
        child.wait()
        shutil.rmtree(live_dir, ignore_errors=True)
        shutil.rmtree(dead_dir, ignore_errors=True)


def test_zone_modes(releases, tmp_path):
    base, payload, out, snapshot, a, b = releases
    pz, pub = out / "pseudonymized" / SLUG, out / "published" / SLUG
    for root, dmode, fmode in ((pz, 0o700, 0o600), (pub, 0o755, 0o644)):
        version = root / os.readlink(root / LABEL)
        for p in [root, root / ".versions", *version.rglob("*"), version]:
            mode = stat.S_IMODE(p.stat().st_mode)
            assert mode == (dmode if p.is_dir() else fmode), (p, oct(mode))
    # with a group: 0750 / 0640 and the group set
    gid = os.getgid()
    import grp
    group = grp.getgrgid(gid).gr_name
    out2 = tmp_path / "out"
    publish_variant(out2, payload, "A", group=group)
    version = out2 / "pseudonymized" / SLUG / os.readlink(out2 / "pseudonymized" / SLUG / LABEL)
    for p in [version, *version.rglob("*")]:
        st = p.stat()
        assert stat.S_IMODE(st.st_mode) == (0o750 if p.is_dir() else 0o640), p
        assert st.st_gid == gid


def test_refuses_an_output_folder_others_can_write(tmp_path):
    out = tmp_path / "out"
    (out / "pseudonymized").mkdir(parents=True)
    os.chmod(out, 0o777)
    with pytest.raises(ZoneAccessError) as exc:
        access.refuse_writable_by_others(out, out / "pseudonymized" / SLUG)
    assert f"{out} can be written by others (mode 0777)" in str(exc.value)
    assert "chmod o-w" in str(exc.value)
    os.chmod(out, 0o755)
    os.chmod(out / "pseudonymized", 0o757)
    with pytest.raises(ZoneAccessError, match="pseudonymized can be written by others"):
        access.refuse_writable_by_others(out, out / "pseudonymized" / SLUG)


def test_warns_inside_a_synced_folder(tmp_path):
    assert access.synced_by(tmp_path / "out") is None
    (tmp_path / ".dropbox").write_text("{}")
    assert access.synced_by(tmp_path / "lib" / "out") == "Dropbox"
    assert access.synced_by(Path("/home/u/OneDrive - Testville/stats/out")) == "OneDrive"
    assert access.synced_by(Path("/Users/u/Library/CloudStorage/x/out")) is not None
    assert access.synced_by(Path("/Volumes/GoogleDrive/My Drive/out")) == "Google Drive"


# --- the run lock -------------------------------------------------------------------------

HOLDER = """
import sys, time
from pathlib import Path
from libstats import runlock
with runlock.hold(Path(sys.argv[1]), sys.argv[2], sys.argv[3], 0):
    print("held", flush=True)
    time.sleep(float(sys.argv[4]))
"""


def _hold(out: Path, slug: str, seconds: float) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(out), slug, FY, str(seconds)],
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_second_process_waits_for_the_lock(tmp_path):
    child = _hold(tmp_path, SLUG, 0.5)
    said = []
    t0 = time.monotonic()
    with runlock.hold(tmp_path, SLUG, FY, 20, said.append):
        waited = time.monotonic() - t0
    child.wait(timeout=30)
    child.stdout.close()
    assert waited > 0.2
    assert len(said) == 1 and said[0].startswith(f"waiting for the run lock: another run of "
                                                 f"'{SLUG}' {FY} (pid {child.pid})")


def test_a_second_run_refuses_while_another_holds_the_lock(tmp_path, test_key, capsys):
    config = mini_library_files(tmp_path, _config(tmp_path, "lock_wait_seconds = 0.2"))
    lock = runlock.lock_path(tmp_path / "out", "testville", FY)
    holder = _hold(tmp_path / "out", "testville", 30)
    try:
        code = main(["run", str(config), "--period", "2024-10", "-q"])   # a month of the FY
    finally:
        holder.kill()
        holder.wait(timeout=30)
        holder.stdout.close()
    err = capsys.readouterr().err
    assert code == EXIT_BUSY == 4, err
    assert (f"another libstats run of 'testville' {FY} (pid {holder.pid}) holds the run lock "
            f"{lock} and did not end within [output] lock_wait_seconds = 0.2; this run read "
            "and wrote nothing") in err
    assert not (tmp_path / "out" / "published").exists()


def test_the_dp_ledger_is_read_under_the_lock(tmp_path, test_key, capsys, monkeypatch):
    """The ledger (the fiscal year's earlier releases) is read while this run holds the lock,
    so a second run, which waits or refuses (above), cannot read it before this one has
    published: the budget is spent once."""
    import pipelines.run
    config = mini_library_files(tmp_path)
    lock = runlock.lock_path(tmp_path / "out", "testville", FY)
    held = []

    def earlier(pub_root, period):
        fd = os.open(lock, os.O_RDWR)
        try:
            import fcntl
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            held.append(False)
        except BlockingIOError:
            held.append(True)
        finally:
            os.close(fd)
        raise KeyboardInterrupt           # stop here: the rest of the run is not needed

    monkeypatch.setattr(pipelines.run.disclosure, "earlier_releases", earlier)
    assert main(["run", str(config), "--period", LABEL, "-q"]) == 3
    assert held == [True]
    fd = os.open(lock, os.O_RDWR)         # and released when the run ended
    import fcntl
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.close(fd)


def _config(folder: Path, output_extra: str) -> str:
    from tests.conftest import CONFIG
    return CONFIG.replace('[output]\nfolder = "out"\n', f'[output]\nfolder = "out"\n'
                                                        f'{output_extra}\n')


def test_lock_and_group_settings_are_checked(tmp_path, capsys):
    for extra, fragment in (('group = "no-such-group-18"', "key 'output.group': names no group"),
                            ("lock_wait_seconds = -1", "lock_wait_seconds': must be a number")):
        folder = tmp_path / extra.split()[0]
        folder.mkdir()
        config = mini_library_files(folder, _config(folder, extra))
        assert main(["run", str(config), "--period", LABEL, "-q"]) == 2
        assert fragment in capsys.readouterr().err


# --- OS errors ------------------------------------------------------------------------------

def test_os_errors_name_the_path_and_the_cause(monkeypatch, tmp_path, capsys):
    import pipelines.run
    export = tmp_path / "raw" / "statistics.csv"

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(export))

    monkeypatch.setattr(pipelines.run, "run", refuse)
    config = mini_library_files(tmp_path)
    monkeypatch.setenv("LIBSTATS_TEST_KEY", "0" * 64)
    assert main(["run", str(config), "--period", LABEL]) == EXIT_OS_ERROR == 5
    err = capsys.readouterr().err
    assert f"refused a read or write at {export}: Permission denied" in err
    assert "internal error" not in err and "read access" in err

    full = duckdb.IOException('IO Error: Could not write file "/srv/out/x.parquet": No space '
                              'left on device')
    assert str(os_failure(full)).startswith("the operating system refused a read or write at "
                                            "/srv/out/x.parquet: No space left on device")
    assert os_failure(ValueError("a value")) is None


FSIZE_CHILD = """
import resource, sys
from pathlib import Path
from libstats.errors import os_failure
from tests.pipelines.zones_child import publish_variant
limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    publish_variant(Path(sys.argv[1]), Path(sys.argv[2]), "A", before_publish=limit)
except Exception as exc:
    print(os_failure(exc))
"""


def test_a_file_size_limit_is_reported(releases, tmp_path):
    base, payload, out, snapshot, a, b = releases
    res = subprocess.run([sys.executable, "-c", FSIZE_CHILD, str(tmp_path / "out"),
                          str(payload)], env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert "the operating system refused a read or write at " in res.stdout, res
    assert ": File too large; nothing was published. A file-size limit (ulimit -f)" in res.stdout
    # the analysts' file could not be written: no link moved, nothing left over
    pz = tmp_path / "out" / "pseudonymized" / SLUG
    assert not (pz / LABEL).is_symlink() and not list(pz.glob("**/.libstats.duckdb.*"))


def test_every_completed_switch_is_announced_once(releases, tmp_path, monkeypatch):
    base, payload, out, snapshot, a, b = releases
    seen = []
    monkeypatch.setattr(release, "SWITCH_LISTENERS", [seen.append])
    publish_variant(tmp_path / "out", payload, "A")
    assert [(r["completed"], sorted(r["zones"])) for r in seen] == [
        ("switched", ["pseudonymized", "published"])]
    assert seen[0]["zones"]["published"]["before"] is None
    # a switch a killed run left is announced by the run that completes it
    seen.clear()
    assert _trial(releases, kill_at="switched-pseudonymized") == -signal.SIGKILL
    with runlock.hold(out, SLUG, FY, 30):
        publish.recover(out, SLUG, LABEL)
    assert [r["completed"] for r in seen] == ["rolled forward"]
    assert seen[0]["zones"]["published"]["after"] == b["pub"][0]
