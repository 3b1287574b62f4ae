"""Publishing a checked release: both staged zones become versions (with their zones' modes),
the analysts' DuckDB file is made part of the pseudonymized version, then one recorded switch
moves both links (``release.switch_together``); a run killed in between is completed by the
next run of the period (``release.complete_switch``)."""

from __future__ import annotations

import glob
import os
import re
import shutil
import tempfile
from pathlib import Path

import duckdb

from libstats import access, release
from libstats.lifecycle import audit
from libstats.sql import lit

ANALYST_DB = "libstats.duckdb"
PZ_EXCLUDE = (ANALYST_DB,)     # its header holds a random id: not part of the version hash


def _log_switch(record: dict) -> None:
    """Every completed switch of both zones (by this run, or finished forward by the next
    one) goes into the lifecycle audit log; a rolled-back one moved nothing in."""
    zones = record.get("zones", {})
    if record.get("completed") == "rolled back" or not {"published", "pseudonymized"} <= set(zones):
        return
    pub_link = Path(zones["published"]["link"])
    audit.record_switch(pub_link.parent, record["period"], pub_link,
                        Path(zones["pseudonymized"]["link"]))


release.SWITCH_LISTENERS.append(_log_switch)


def publish(pub_stage: Path, pz_stage: Path, pub_root: Path, pz_root: Path, label: str,
            tables, progress=None, group: str | None = None) -> tuple[Path, Path]:
    """Switch a checked release in: both staged folders become versions (modes set:
    pseudonymized 0750/0640 with ``group``, else 0700/0600; published 0755/0644; the
    pseudonymized version's name covers the published one its views read), the analysts'
    DuckDB file is written into the pseudonymized version (before any link moves), then both
    links move as one recorded switch. Returns the published and pseudonymized links."""
    modes = zone_folders(pub_root, pz_root, group)
    pub_target = release.settle(pub_stage, pub_root, label, modes=access.PUBLISHED)
    release.crash_point("settled-published")
    pz_target = release.settle(pz_stage, pz_root, label, PZ_EXCLUDE, modes,
                               bound_to=Path(pub_target).name)
    release.crash_point("settled-pseudonymized")
    ensure_analyst_db(pz_root.resolve() / pz_target, pub_root.resolve() / pub_target, tables,
                      modes)
    release.crash_point("analyst-db-written")
    pz_link, pub_link = pz_root / label, pub_root / label
    release.switch_together(release.journal_path(pz_root, label), label,
                            {"pseudonymized": (pz_link, pz_target),
                             "published": (pub_link, pub_target)})
    return pub_link, pz_link


def zone_folders(pub_root: Path, pz_root: Path, group: str | None) -> access.Modes:
    """Make both zones' folders (``<zone>/``, ``<zone>/<library>/``, its ``.versions/``) with
    their modes; returns the pseudonymized zone's modes."""
    modes = access.pseudonymized(group)
    for root, m in ((pz_root, modes), (pub_root, access.PUBLISHED)):
        (root / ".versions").mkdir(parents=True, exist_ok=True)
        for folder in (root.parent, root, root / ".versions"):
            m.one(folder)
    return modes


def recover(output_dir: Path, slug: str, label: str) -> list[Path]:
    """First thing under the run lock (a run, an approval): complete the two-phase switch a
    killed process of the period left (both zones then show one run), and sweep what killed
    runs of the period left behind (staging folders, temporary links and files, the private
    work folders). Returns the swept paths."""
    pub_root, pz_root = output_dir / "published" / slug, output_dir / "pseudonymized" / slug
    release.complete_switch(release.journal_path(pz_root, label))
    gone = release.sweep_period(
        label, versions=[pub_root / ".versions", pz_root / ".versions"],
        zone_roots=[pub_root, pz_root],
        others=[output_dir / "review" / slug, output_dir / "pending" / slug])
    quarantine = output_dir / "quarantine" / slug / label
    tmp = Path(tempfile.gettempdir())
    for path in [*(quarantine.glob("*.part*") if quarantine.is_dir() else ()),
                 *tmp.glob(f"libstats-{glob.escape(slug)}-{glob.escape(label)}-*")]:
        if re.fullmatch(r".*(\.part(-\d+)?|-\d+)", path.name):
            # A work folder of a live process is another run's: the same library and period
            # written to another output folder (under another lock), e.g. a test or a
            # benchmark beside the scheduled run. Only a dead process's folder is left over.
            pid = re.fullmatch(r".*-(\d+)", path.name)
            if path.parent == tmp and pid and release.pid_alive(int(pid.group(1))):
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            gone.append(path)
    return gone


def analyst_views(pz_version: Path, pub_version: Path, frames) -> dict[str, str]:
    """The analysts' views (name -> SELECT) over one pseudonymized version and the published
    version of the same run: a consistent snapshot, whatever the links show later."""
    views = {}
    for name in ("events", "wifi_sessions", "eresource_use"):
        if (pz_version / name).is_dir():
            views[name] = (f"SELECT * FROM read_parquet("
                           f"{lit((pz_version / name / '*' / '*.parquet').as_posix())}, "
                           f"hive_partitioning = false)")
    for name in ("patrons", "counter_metrics", "ecirc_checkouts"):
        if (pz_version / f"{name}.parquet").exists():
            views[name] = (f"SELECT * FROM read_parquet("
                           f"{lit((pz_version / f'{name}.parquet').as_posix())})")
    for name in sorted(frames):
        path = pub_version / "tables" / f"{name}.parquet"
        views[name] = f"SELECT * FROM read_parquet({lit(path.as_posix())})"
    return views


def ensure_analyst_db(pz_version: Path, pub_version: Path, frames,
                      modes: access.Modes) -> None:
    """Make ``libstats.duckdb`` in the (not yet linked, or unchanged) pseudonymized version
    hold exactly the views of this run; an existing file with those views is kept (its bytes
    stay). Written beside and renamed in; a failure (a full disk...) stops the publication
    before any link moves."""
    final = pz_version / ANALYST_DB
    views = analyst_views(pz_version, pub_version, frames)
    tmp = pz_version / f".{ANALYST_DB}.{os.getpid()}"
    if final.exists() and _catalogue(final) == _catalogue(None, views):
        return
    try:
        tmp.unlink(missing_ok=True)
        con = duckdb.connect(str(tmp))
        try:
            for name, sql in views.items():
                con.execute(f"CREATE VIEW {name} AS {sql}")
        finally:
            con.close()
        modes.one(tmp)
        release.crash_point("analyst-db-tmp")
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        raise


def _catalogue(path: Path | None, views: dict[str, str] | None = None) -> list:
    """The views of a DuckDB file (or of ``views`` created in memory), as DuckDB states them."""
    con = duckdb.connect(str(path) if path else ":memory:", read_only=path is not None)
    try:
        for name, sql in (views or {}).items():
            con.execute(f"CREATE VIEW {name} AS {sql}")
        return con.execute("SELECT view_name, sql FROM duckdb_views() WHERE NOT internal "
                           "ORDER BY view_name").fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()
