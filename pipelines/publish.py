"""Publishing a checked release: both zones switched in atomically, then the analysts' DuckDB
file of views over them."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from libstats import release
from libstats.lifecycle import audit
from libstats.sql import lit


def publish(pub_stage: Path, pz_stage: Path, pub_root: Path, pz_root: Path, label: str,
            tables, progress=None) -> tuple[Path, Path]:
    """Switch a checked release in: the pseudonymized zone first, then the published one
    (the first is pointed back if the second fails), then the analysts' DuckDB file.
    Returns the published and pseudonymized links."""
    pz_link, pz_before = release.switch_in(pz_stage, pz_root, label,
                                           exclude_from_hash=("libstats.duckdb",))
    try:
        pub_link, _ = release.switch_in(pub_stage, pub_root, label)
    except BaseException:
        release.point(pz_link, pz_before)    # roll the pseudonymized zone back
        raise
    audit.record_switch(pub_root, label, pub_link, pz_link)
    write_analyst_db(pz_link, pub_link, tables, progress)
    return pub_link, pz_link


def write_analyst_db(pz_link: Path, pub_link: Path, frames, progress) -> None:
    """A DuckDB file of views for analysts, over the zone and the release links (so they show
    the current version). Written beside and renamed in atomically; a failure here leaves the
    release published and is reported."""
    final = pz_link / "libstats.duckdb"
    tmp = pz_link / f".libstats.duckdb.{os.getpid()}"
    try:
        con = duckdb.connect(str(tmp))
        try:
            base = pz_link.parent.resolve() / pz_link.name
            for name in ("events", "wifi_sessions", "eresource_use"):
                if (base / name).is_dir():
                    con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet("
                                f"{lit((base / name / '*' / '*.parquet').as_posix())}, "
                                f"hive_partitioning = false)")
            for name in ("patrons", "counter_metrics", "ecirc_checkouts"):
                if (base / f"{name}.parquet").exists():
                    con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet("
                                f"{lit((base / f'{name}.parquet').as_posix())})")
            for name in frames:
                path = pub_link.parent.resolve() / pub_link.name / "tables" / f"{name}.parquet"
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet("
                            f"{lit(path.as_posix())})")
        finally:
            con.close()
        os.replace(tmp, final)
    except (OSError, duckdb.Error):
        tmp.unlink(missing_ok=True)
        if progress:
            progress("warning: the analyst DuckDB file could not be written; the release "
                     "and the Parquet files are complete")
