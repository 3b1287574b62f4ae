"""Writing the pseudonymized zone: events by month and patrons as Parquet (deterministic
order), and the analysts' DuckDB file of views."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from transforms.sqlutil import lit


def write_pseudonymized(con, stage: Path, key_id: str, has_patrons: bool,
                         patron_domains: list[str], item_domains: list[str]) -> list[dict]:
    """events by month (patron tokens only for patrons who opted in to reading history) and
    patrons, as Parquet, each file in source-record order (deterministic)."""
    tables = []
    patrons = ", ".join(lit(d) for d in patron_domains) or "NULL"
    items = ", ".join(lit(d) for d in item_domains) or "NULL"
    con.execute(f"CREATE OR REPLACE TABLE _pz_patron_tokens AS SELECT domain, value, token "
                f"FROM int_tokens WHERE opt_in AND domain IN ({patrons})")
    con.execute(f"CREATE OR REPLACE TABLE _pz_item_tokens AS SELECT domain, value, token "
                f"FROM int_tokens WHERE domain IN ({items})")
    months = [m for (m,) in con.execute(
        "SELECT DISTINCT month FROM int_circ_events ORDER BY month").fetchall()]

    def write_month(month: str) -> None:
        folder = stage / "events" / f"month={month}"
        folder.mkdir(parents=True)
        cur = con.cursor()
        try:
            cur.execute(
                f"COPY (SELECT e.event_date, e.month, e.branch_code, e.event_type, "
                f"e.material_type, e.audience, e.is_ill_borrowed, e.item_type_code, "
                f"e.collection_code, e.location_code, e.patron_category, "
                f"pt.token AS patron_token, it.token AS item_token, {lit(key_id)} AS key_id, "
                f"e.source FROM int_circ_events AS e "
                f"LEFT JOIN _pz_patron_tokens AS pt "
                f"     ON pt.domain = e.patron_domain AND pt.value = e.patron_id "
                f"LEFT JOIN _pz_item_tokens AS it "
                f"     ON it.domain = e.item_domain AND it.value = e.item_id "
                f"WHERE e.month = ? ORDER BY e.source, e._rec) "
                f"TO {lit(str(folder / 'data_0.parquet'))} "
                f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)", [month])
        finally:
            cur.close()

    # Two months at a time: each file is sorted and written largely on one core.
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(write_month, months))
    total, opted = con.execute(
        "SELECT count(*), count(pt.token) FROM int_circ_events AS e "
        "LEFT JOIN _pz_patron_tokens AS pt "
        "ON pt.domain = e.patron_domain AND pt.value = e.patron_id").fetchone()
    tables.append({"table": "events", "rows": int(total),
                   "note": f"{int(opted)} events carry a patron token (patrons who opted in to "
                           f"reading history); the others count in aggregates only"})
    if has_patrons:
        con.execute(
            f"COPY (SELECT patron_token, {lit(key_id)} AS key_id, home_branch_code, "
            f"patron_category, age_band, area, enrolled_month, last_activity_month, "
            f"is_registered_user, reading_history_opt_in FROM int_patrons "
            f"WHERE patron_token IS NOT NULL ORDER BY patron_token) "
            f"TO {lit(str(stage / 'patrons.parquet'))} (FORMAT parquet, COMPRESSION zstd)")
        n = con.execute("SELECT count(*) FROM int_patrons WHERE patron_token IS NOT NULL"
                        ).fetchone()[0]
        tables.append({"table": "patrons", "rows": int(n),
                       "note": "one row per patron record; quasi-identifiers generalized"})
    return tables




def write_analyst_db(pz_link: Path, pub_link: Path, frames, has_patrons: bool,
                      progress) -> None:
    """A DuckDB file of views for analysts, over the zone and the release links (so they show
    the current version). Written beside and renamed in atomically; a failure here leaves the
    release published and is reported."""
    final = pz_link / "libstats.duckdb"
    tmp = pz_link / f".libstats.duckdb.{os.getpid()}"
    try:
        con = duckdb.connect(str(tmp))
        try:
            base = pz_link.parent.resolve() / pz_link.name
            con.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet("
                        f"{lit((base / 'events' / '*' / '*.parquet').as_posix())}, "
                        f"hive_partitioning = false)")
            if has_patrons:
                con.execute(f"CREATE VIEW patrons AS SELECT * FROM read_parquet("
                            f"{lit((base / 'patrons.parquet').as_posix())})")
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
