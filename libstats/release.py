"""Write zones to disk: aside first, then switched in atomically.

Layout under the config's output folder::

    published/<library>/<period>      -> .versions/<period>.<content hash>/   (symlink)
        tables/<table>.csv, tables/<table>.parquet, manifest.json, steward_report.html
    pseudonymized/<library>/<period>  -> .versions/<period>.<content hash>/   (symlink)
        events/month=YYYY-MM/data_0.parquet, patrons.parquet, libstats.duckdb
    review/<library>/<period>/        steward report and GX Data Docs of the latest run,
                                      written for failed runs too (never sample values)

A version folder is complete (``libstats.duckdb`` included) before any symlink is replaced
with ``os.replace`` (atomic on POSIX), so a reader sees the old release or the new one, never a
mix, and a failed run leaves the previous release untouched. The two zones of one run are
switched as one recorded two-phase switch (``switch_together``): a journal names every link's
old and new target before the first link moves, and a run killed between the links leaves the
journal, which the next run completes (``complete_switch``) before it does anything else; every
completed switch is announced through ``switch_completed``. Leftovers of killed runs (staging
folders, temporary links, journal drafts) are swept by the next run of the period
(``sweep_period``). The same inputs and key give the same bytes, hence the same version folder
name.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from libstats.access import Modes
from libstats.errors import EXIT_BAD_INPUT, LibstatsError
from libstats.schema import TableSpec

if TYPE_CHECKING:
    import pandas as pd


def write_table_files(frame: pd.DataFrame, spec: TableSpec, folder: Path) -> dict:
    """Write one published table as CSV and Parquet; return file hashes for the manifest."""
    import pyarrow as pa          # imported here: the switch alone (and its kill trials)
    import pyarrow.parquet as pq  # needs neither pyarrow nor pandas
    folder.mkdir(parents=True, exist_ok=True)
    frame = frame[spec.column_names]
    csv_path = folder / f"{spec.name}.csv"
    out = frame.copy()
    for col, typ in spec.columns:
        if typ == "bool":
            out[col] = out[col].map({True: "true", False: "false"})
    out.to_csv(csv_path, index=False, lineterminator="\n", na_rep="")
    pq_path = folder / f"{spec.name}.parquet"
    schema = pa.schema([(c, {"string": pa.string(), "int": pa.int64(), "bool": pa.bool_()}[t])
                        for c, t in spec.columns])
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, pq_path, compression="zstd")
    return {"csv": {"file": f"tables/{csv_path.name}", "sha256": sha256_path(csv_path)},
            "parquet": {"file": f"tables/{pq_path.name}", "sha256": sha256_path(pq_path)}}


def sha256_path(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                    encoding="utf-8")


SUMS = "SHA256SUMS"


def write_sums(folder: Path) -> None:
    """``SHA256SUMS`` (sha256sum format) of every other file, so ``libstats check`` and
    ``sha256sum -c`` can tell a file changed, went missing or was added."""
    lines = [f"{sha256_path(p)}  {p.relative_to(folder).as_posix()}\n"
             for p in sorted(folder.rglob("*")) if p.is_file() and p.name != SUMS]
    (folder / SUMS).write_text("".join(lines), encoding="utf-8")


def tree_hash(folder: Path, exclude: tuple[str, ...] = ()) -> str:
    """Hash of every file's relative path and bytes (stable order)."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel in exclude:
            continue
        h.update(rel.encode() + b"\0" + sha256_path(path).encode() + b"\n")
    return h.hexdigest()


def pid_alive(pid: int) -> bool:
    """A process with this id exists (one of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(folder: Path, prefix: str) -> None:
    """Remove ``<prefix>*-<pid>`` folders left by runs that were killed (their pid is gone)."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name.startswith(prefix) and path.name.rsplit("-", 1)[-1].isdigit():
            if not pid_alive(int(path.name.rsplit("-", 1)[-1])):
                shutil.rmtree(path, ignore_errors=True)


def staging_dir(zone_root: Path, period: str) -> Path:
    """A fresh folder beside the versions, for writing a zone before it is switched in."""
    versions = zone_root / ".versions"
    versions.mkdir(parents=True, exist_ok=True)
    sweep_stale(versions, ".staging-")
    path = versions / f".staging-{period}-{os.getpid()}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path


def check_link(zone_root: Path, period: str) -> None:
    """Refuse to start when the release path is not a libstats link (nothing written yet)."""
    link = zone_root / period
    if (link.exists() or link.is_symlink()) and not link.is_symlink():
        raise ReleasePathError(f"{link} exists and is not a libstats release link; move it "
                               "away (libstats never overwrites a folder it did not create)")


class ReleasePathError(LibstatsError):
    exit_code = EXIT_BAD_INPUT


def version_digest(content_hash: str, bound_to: str = "") -> str:
    """A version's name part: its content hash, combined with the published version it is
    bound to (``settle``)."""
    if bound_to:
        content_hash = hashlib.sha256(f"{content_hash}\n{bound_to}".encode()).hexdigest()
    return content_hash[:16]


def settle(staged: Path, zone_root: Path, period: str, exclude_from_hash: tuple[str, ...] = (),
           modes: Modes | None = None, bound_to: str = "") -> str:
    """Move a staged folder to its content-addressed version (``modes`` set first) and return
    the link target (``.versions/<period>.<hash>``). When that version exists already (the
    same content, maybe in use), the staged copy is dropped and the existing one kept.
    ``bound_to`` goes into the hash: the pseudonymized version names the published version
    its analysts' views read, so a version in use is never changed for another release."""
    digest = version_digest(tree_hash(staged, exclude_from_hash), bound_to)
    version = zone_root / ".versions" / f"{period}.{digest}"
    if version.exists():
        shutil.rmtree(staged)
    else:
        if modes is not None:
            modes.apply(staged)
        os.replace(staged, version)
        _fsync_dir(version.parent)
    if modes is not None:
        modes.apply(version)
    return str(Path(".versions") / version.name)


def switch_in(staged: Path, zone_root: Path, period: str,
              exclude_from_hash: tuple[str, ...] = (), modes: Modes | None = None
              ) -> tuple[Path, str | None]:
    """One zone alone (the annual report adds files to a published release): settle the
    staged folder and point ``period`` at it. Returns the link and its target before."""
    check_link(zone_root, period)
    target = settle(staged, zone_root, period, exclude_from_hash, modes)
    link = zone_root / period
    previous = os.readlink(link) if link.is_symlink() else None
    point(link, target)
    switch_completed({"period": period, "completed": "switched",
                      "zones": {zone_root.parent.name: {"link": str(link), "before": previous,
                                                        "after": target}}})
    return link, previous


def journal_path(zone_root: Path, period: str) -> Path:
    """Where a two-phase switch of ``period`` is recorded (in the pseudonymized zone's root)."""
    return zone_root / f".switch-{period}.json"


def switch_together(journal: Path, period: str, links: dict[str, tuple[Path, str]]) -> dict:
    """Point every zone's ``period`` link at its new version as one recorded switch.

    ``links``: zone name -> (link, target). Phase one writes the journal (each link's target
    before and after) atomically; phase two points the links one by one; the journal is removed
    when all point at the new versions. A process killed in between leaves the journal, and
    ``complete_switch`` (run first by the next run or approval, under the run lock) points every
    link at its recorded new version, so the zones are seen on one run: the old one until the
    journal exists, the new one once the switch is completed. Returns the record, as passed to
    ``switch_completed``."""
    record = {"period": period, "zones": {}}
    for name, (link, target) in links.items():
        check_link(link.parent, period)
        before = os.readlink(link) if link.is_symlink() else None
        record["zones"][name] = {"link": str(link), "before": before, "after": target}
    _write_journal(journal, record)
    crash_point("journal-written")
    for name, (link, target) in links.items():
        point(link, target)
        crash_point(f"switched-{name}")
    _remove_journal(journal)
    record["completed"] = "switched"
    switch_completed(record)
    return record


def complete_switch(journal: Path) -> dict | None:
    """Complete a switch that a killed process recorded but did not finish: forward when every
    recorded new version exists (they are complete before the journal is written), else back
    to the versions before. Returns the record (None when there was nothing to complete)."""
    if not journal.exists():
        return None
    try:
        record = json.loads(journal.read_text(encoding="utf-8"))
        zones = record["zones"]
        forward = all((Path(z["link"]).parent / z["after"]).is_dir() for z in zones.values())
    except (ValueError, KeyError, TypeError):
        raise ReleasePathError(f"{journal} is not a libstats switch record; the zones may point "
                               "at different runs: move it away and rerun the period") from None
    for z in zones.values():
        target = z["after"] if forward else z["before"]
        if target is not None and not (Path(z["link"]).parent / target).is_dir():
            target = None
        point(Path(z["link"]), target)
    _remove_journal(journal)
    record["completed"] = "rolled forward" if forward else "rolled back"
    switch_completed(record)
    return record


#: Called with the record of every completed switch (``switch_together`` or
#: ``complete_switch``): ``{"period", "zones": {name: {"link", "before", "after"}},
#: "completed"}``. Upper layers register here (e.g. an audit log); libstats imports none.
SWITCH_LISTENERS: list = []


def switch_completed(record: dict) -> None:
    """The one place where a completed release switch is announced: calls every listener in
    ``SWITCH_LISTENERS`` with the switch record (link targets only; never a data value)."""
    for listener in list(SWITCH_LISTENERS):
        listener(record)


def crash_point(name: str) -> None:
    """Test hook: with LIBSTATS_TEST_KILL_AT=<name> in the environment the process kills itself
    here with SIGKILL (the kill -9 trials of tests/pipelines/test_zones.py)."""
    if os.environ.get("LIBSTATS_TEST_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)


def _write_journal(journal: Path, record: dict) -> None:
    tmp = journal.with_name(f"{journal.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh, indent=2, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, journal)
    _fsync_dir(journal.parent)


def _remove_journal(journal: Path) -> None:
    _fsync_dir(journal.parent)           # the links' renames reach the disk first
    for other in _journal_zone_dirs(journal):
        _fsync_dir(other)
    journal.unlink(missing_ok=True)
    _fsync_dir(journal.parent)


def _journal_zone_dirs(journal: Path) -> list[Path]:
    try:
        zones = json.loads(journal.read_text(encoding="utf-8"))["zones"]
        return sorted({Path(z["link"]).parent for z in zones.values()})
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def point(link: Path, target: str | None) -> None:
    """Atomically make ``link`` point at ``target`` (remove it when target is None)."""
    if target is None:
        if link.is_symlink():
            link.unlink()
        return
    tmp = link.parent / f".{link.name}.link-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(target, tmp)
    crash_point("link-made")
    os.replace(tmp, link)


def sweep_period(period: str, *, versions: list[Path] = (), zone_roots: list[Path] = (),
                 others: list[Path] = ()) -> list[Path]:
    """Remove what killed runs of ``period`` left behind; call only under the run lock (no
    other run of the period is alive, whatever pid a leftover names). Returns what went.

    - ``versions`` (``.versions`` folders): ``.staging-<period>-<pid>`` folders, and
      ``.libstats.duckdb.<pid>`` files inside the period's versions (an older layout);
    - ``zone_roots``: ``.<period>.link-<pid>`` links and ``.switch-<period>.json.tmp-<pid>``;
    - ``others`` (review, pending and quarantine folders' parents):
      ``.staging-<period>-<pid>``, ``.<period>.old-<pid>``, ``.<period>.pending-<pid>``."""
    p = re.escape(period)
    gone = []
    rules = [(versions, rf"\.staging-{p}-\d+"),
             (zone_roots, rf"\.{p}\.link-\d+|\.switch-{p}\.json\.tmp-\d+"),
             (others, rf"\.staging-{p}-\d+|\.{p}\.(old|pending)-\d+")]
    for folders, pattern in rules:
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if re.fullmatch(pattern, path.name):
                    _remove(path)
                    gone.append(path)
    for folder in versions:
        if folder.is_dir():
            for path in folder.glob(f"{glob.escape(period)}.*/.libstats.duckdb.*"):
                if re.fullmatch(r"\.libstats\.duckdb\.\d+(\.wal)?", path.name):
                    _remove(path)
                    gone.append(path)
    return gone


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def replace_dir(staged: Path, final: Path) -> None:
    """Swap a fully written folder in for ``final`` (two renames; used for review output,
    which is informative, not published)."""
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    if final.exists():
        os.replace(final, old)
    os.replace(staged, final)
    shutil.rmtree(old, ignore_errors=True)


def discard(staged: Path | None) -> None:
    if staged is not None and staged.exists():
        shutil.rmtree(staged, ignore_errors=True)
