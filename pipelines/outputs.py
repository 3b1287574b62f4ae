"""Writing the pseudonymized zone: events by month and patrons as Parquet (deterministic
order), and the analysts' DuckDB file of views."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from libstats import release
from libstats.sql import lit
from transforms import circulation as circ


def write_pseudonymized(con, stage: Path, key_id: str, has_patrons: bool,
                        period_months: list[tuple[str, str, str]], workers: int = 1
                        ) -> list[dict]:
    """events by month (``transforms.circulation.pz_events``: tokens joined, each file in
    source and record order) and patrons (``int_patrons_k``: k-anonymous), as Parquet.

    ``period_months`` are (month, first day, last day); a file is written for each month that
    has events. ``workers`` months are written at once (each sort and file write is largely
    serial); keep 1 when memory is tight. Token tables with no row are not joined."""
    tables = []
    patron_tokens, item_tokens = (
        t if con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] else None
        for t in ("int_written_patron_tokens", "int_written_item_tokens"))
    # k-anonymity recodes some events' categories: an ENUM of the categories before recoding
    # would still list (in the files' statistics) one that no written row has
    enums = _code_enums(con, skip=("patron_category",) if has_patrons and patron_tokens
                        else ())
    months = set(enums.pop("__months"))
    con.execute(f"CREATE OR REPLACE TYPE pz_enum_key_id AS ENUM ({lit(key_id)})")
    enums["key_id"] = "pz_enum_key_id"

    def write_month(month: str, first: str, last: str) -> None:
        folder = stage / "events" / f"month={month}"
        folder.mkdir(parents=True)
        sql = circ.pz_events("int_circ_events", first_day=first, last_day=last,
                             patron_tokens=patron_tokens, item_tokens=item_tokens,
                             key_id=key_id, int_patron_category_k="int_patron_category_k"
                             if has_patrons else None, enums=enums)
        cur = con.cursor()
        try:
            cur.execute(f"COPY ({sql}) TO {lit(str(folder / 'data_0.parquet'))} "
                        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)")
        finally:
            cur.close()

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(lambda m: write_month(*m), [m for m in period_months if m[0] in months]))
    # counted from the files just written (two Parquet columns), not by joining the tokens
    # to every event a second time
    written = sorted((stage / "events").glob("month=*/data_0.parquet"))
    total, opted = con.execute(
        f"SELECT count(*), count(patron_token) FROM read_parquet("
        f"[{', '.join(lit(str(f)) for f in written)}])").fetchone() if written else (0, 0)
    tables.append({"table": "events", "rows": int(total),
                   "note": f"{int(opted)} events carry a patron token (patrons who opted in to "
                           f"reading history); the others count in aggregates only"})
    if has_patrons:
        con.execute(
            f"COPY (SELECT patron_token, {lit(key_id)} AS key_id, home_branch_code, "
            f"patron_category, age_band, area, enrolled_month, last_activity_month, "
            f"is_registered_user, reading_history_opt_in FROM int_patrons_k "
            f"ORDER BY patron_token, home_branch_code NULLS FIRST, patron_category NULLS FIRST, "
            f"age_band NULLS FIRST, area NULLS FIRST, enrolled_month NULLS FIRST) "
            f"TO {lit(str(stage / 'patrons.parquet'))} (FORMAT parquet, COMPRESSION zstd)")
        n = con.execute("SELECT count(*) FROM int_patrons_k").fetchone()[0]
        tables.append({"table": "patrons", "rows": int(n),
                       "note": "one row per patron record; quasi-identifiers generalized, "
                               "then recoded to k-anonymity (see k_anonymity)"})
    return tables




def _code_enums(con, skip: tuple[str, ...] = ()) -> dict:
    """An ENUM type for each code column of the events but ``skip``, holding every value it
    takes (one look at the events' counts for all of them); ``__months`` lists the months
    with events."""
    cols = circ.PZ_CODE_COLUMNS
    combos = con.execute(f"SELECT DISTINCT {', '.join(cols)} FROM int_circ_counts").fetchall()
    values = {c: {row[i] for row in combos} for i, c in enumerate(cols)}
    enums = {"__months": sorted(values["month"])}
    for col in (c for c in cols if c not in skip):
        found = sorted(v for v in values[col] if v is not None)
        if found:
            name = f"pz_enum_{col}"
            con.execute(f"CREATE OR REPLACE TYPE {name} AS ENUM "
                        f"({', '.join(lit(v) for v in found)})")
            enums[col] = name
    return enums


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
