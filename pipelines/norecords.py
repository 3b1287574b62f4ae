"""``[retention.sources.NAME] keep_records = false`` (003_dbbd14c0ad649baa.txt: "No record of a
patron's computer use or search activity is maintained"): the source's rows never reach the
pseudonymized zone. They are read and counted in the run (aggregates only), and its raw files
may be purged as soon as a published release has consumed them (libstats/lifecycle/purge.py).

A domain all of whose sources keep no records writes nothing to the zone. When only some do,
every file the domain wrote must carry a ``source`` column, and their rows are removed from
it; a file without one cannot be separated, and the run stops (fail closed).
"""

from __future__ import annotations

from pathlib import Path

from libstats.errors import ConfigError
from libstats.sql import lit


def write_pseudonymized(r, staged: dict, stage_dir: Path) -> tuple[list[dict], set]:
    """Each domain writes its part of the zone (``Domain.write_pseudonymized``), without the
    rows of sources that keep no records. Returns the zone's tables and the domains that
    wrote nothing (their own zone checks are not run)."""
    no_records = r.config.lifecycle.no_record_sources()
    tables, skipped = [], set()
    for d, s in staged.items():
        mine = {src.name for src in r.config.sources if src.kind in d.KINDS}
        held_out = sorted(mine & no_records)
        if not held_out:
            tables += d.write_pseudonymized(r, s, stage_dir)
            continue
        if set(held_out) == mine:
            skipped.add(d)
            tables.append({"table": f"({', '.join(held_out)})", "rows": 0,
                           "note": "keep_records = false: these sources' rows are counted in "
                                   "the published tables only, never kept here"})
            continue
        before = set(stage_dir.rglob("*.parquet"))
        written = d.write_pseudonymized(r, s, stage_dir)
        for f in sorted(set(stage_dir.rglob("*.parquet")) - before):
            _drop_rows(r.con, f, held_out, stage_dir, r.config.path)
        for t in written:
            t["rows"] = _rows(r.con, stage_dir, t["table"])
            t["note"] = (t.get("note", "") + f" (without {', '.join(held_out)}: "
                         "keep_records = false)").strip()
        tables += written
    return tables, skipped


def _drop_rows(con, path: Path, sources: list[str], stage_dir: Path, config_path) -> None:
    src = f"read_parquet({lit(str(path))})"
    cols = [c for (c, *_) in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
    if "source" not in cols:
        raise ConfigError(config_path, f"retention.sources.{sources[0]}.keep_records",
                          f"the pseudonymized file {path.relative_to(stage_dir).as_posix()} "
                          "mixes sources and has no 'source' column to leave this one out; "
                          "set keep_records = false on every source of its kind, or keep "
                          "records of this one")
    keep = f"source NOT IN ({', '.join(lit(s) for s in sources)})"
    n = con.execute(f"SELECT count(*) FROM {src} WHERE {keep}").fetchone()[0]
    tmp = path.with_name(path.name + ".part")
    if n:
        con.execute(f"COPY (SELECT * FROM {src} WHERE {keep}) TO {lit(str(tmp))} "
                    f"(FORMAT parquet, COMPRESSION zstd)")
        tmp.replace(path)
    else:
        path.unlink()
        folder = path.parent
        while folder != stage_dir and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent


def _rows(con, stage_dir: Path, table: str) -> int:
    if (stage_dir / table).is_dir():
        files = sorted((stage_dir / table).rglob("*.parquet"))
        if not files:
            return 0
        return int(con.execute(f"SELECT count(*) FROM read_parquet("
                               f"[{', '.join(lit(str(f)) for f in files)}])").fetchone()[0])
    if (stage_dir / f"{table}.parquet").exists():
        return int(con.execute(f"SELECT count(*) FROM read_parquet("
                               f"{lit(str(stage_dir / f'{table}.parquet'))})").fetchone()[0])
    return 0
