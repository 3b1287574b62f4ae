"""Publishing a checked release: both staged zones become versions (with their zones' modes),
the analysts' DuckDB file is made part of the pseudonymized version, then one recorded switch
moves both links (``release.switch_together``); a run killed in between is completed by the
next run of the period (``release.complete_switch``)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from libstats import access, release
from libstats.sql import lit

ANALYST_DB = "libstats.duckdb"
PZ_EXCLUDE = (ANALYST_DB,)     # its header holds a random id: not part of the version hash


def publish(pub_stage: Path, pz_stage: Path, pub_root: Path, pz_root: Path, label: str,
            tables, progress=None, group: str | None = None) -> tuple[Path, Path]:
    """Switch a checked release in: both staged folders become versions (modes set:
    pseudonymized 0750/0640 with ``group``, else 0700/0600; published 0755/0644), the
    analysts' DuckDB file is written into the pseudonymized version (before any link moves),
    then both links move as one recorded switch. Returns the published and pseudonymized
    links."""
    modes = access.pseudonymized(group)
    pz_target = release.settle(pz_stage, pz_root, label, PZ_EXCLUDE, modes)
    release.crash_point("settled-pseudonymized")
    pub_target = release.settle(pub_stage, pub_root, label, modes=access.PUBLISHED)
    release.crash_point("settled-published")
    ensure_analyst_db(pz_root.resolve() / pz_target, pub_root.resolve() / pub_target, tables,
                      modes, progress)
    release.crash_point("analyst-db-written")
    pz_link, pub_link = pz_root / label, pub_root / label
    release.switch_together(release.journal_path(pz_root, label), label,
                            {"pseudonymized": (pz_link, pz_target),
                             "published": (pub_link, pub_target)})
    return pub_link, pz_link


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


def ensure_analyst_db(pz_version: Path, pub_version: Path, frames, modes: access.Modes,
                      progress=None) -> None:
    """Make ``libstats.duckdb`` in the (not yet linked, or unchanged) pseudonymized version
    hold exactly the views of this run; an existing file with those views is kept (its bytes
    stay). Written beside and renamed in; a failure leaves the version without it (the
    Parquet files are complete) and is reported."""
    final = pz_version / ANALYST_DB
    views = analyst_views(pz_version, pub_version, frames)
    tmp = pz_version / f".{ANALYST_DB}.{os.getpid()}"
    try:
        if final.exists() and _catalogue(final) == _catalogue(None, views):
            return
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
    except (OSError, duckdb.Error):
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
        if progress:
            progress("warning: the analyst DuckDB file could not be written; the release "
                     "and the Parquet files are complete")


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
