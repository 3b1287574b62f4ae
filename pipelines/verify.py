"""The leak checks of a run: pattern and exact-match scans in DuckDB, GX suites on the
published tables. Results carry names and counts, never values."""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from libstats.readers.files import IngestedSource
from libstats.sql import lit, q


def identifiers_sql(loaded: list[IngestedSource], exempt: tuple[str, ...]) -> str:
    """Every distinct value of every drop/token column actually present in the exports."""
    parts = []
    for ing in loaded:
        for col, held in ing.scan_columns():
            if ing.resolved.scanned(col) and f"{ing.name}.{col}" not in exempt:
                parts.append(f"SELECT DISTINCT {lit(ing.name)} AS source, {lit(col)} AS "
                             f"column_name, {q(held)} AS value FROM {ing.table} "
                             f"WHERE {q(held)} IS NOT NULL")
    if not parts:
        return ("SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS column_name, "
                "NULL::VARCHAR AS value WHERE false")
    return "\nUNION ALL\n".join(parts)


def _distinct_strings(con, name: str, relation: str) -> str:
    """A table of the distinct combinations of a relation's string columns: the scans only
    look at string values, and a 10M-row file has a few thousand such combinations."""
    cols = [c for c, typ, *_ in con.execute(f"DESCRIBE {relation}").fetchall()
            if typ == "VARCHAR" and c != "key_id"]
    table = f"_scan_{name}"
    select = ", ".join(q(c) for c in cols) or "NULL::VARCHAR AS no_string_columns"
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT DISTINCT {select} "
                f"FROM ({relation})")
    return table


_SUITES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gx-suites")


def start_suites(config, frames, review_dir: Path, dp_tables: set[str] = frozenset(),
                 open_totals: bool = True) -> Future:
    """Start the GX suites of the published tables (and Data Docs in ``review_dir``) in a
    thread; ``run_checks`` collects their results. They need nothing from DuckDB."""
    from expectations.suites import validate_published
    review_dir.mkdir(parents=True)
    return _SUITES.submit(validate_published, frames, config.threshold, docs_dir=review_dir,
                          noisy=dp_tables, open_totals=open_totals)


def finish_suites(suites: Future) -> None:
    """Wait for the suites to stop (a run that failed elsewhere discards their folder)."""
    with contextlib.suppress(BaseException):
        suites.result()


def run_checks(con, config, loaded, frames, pz_stage: Path, suites: Future,
               extra_identifiers: list[str] = (), progress=None) -> list:
    """The pattern and exact-match scans in DuckDB, then the results of the GX ``suites``.
    ``extra_identifiers`` are the domains' queries of identifiers beyond the drop/token
    columns' values."""
    from expectations.leakscan import ScanTarget, scan_exact, scan_patterns

    say = progress or (lambda _msg: None)
    # key_id is libstats' own label of the key (an HMAC of it), not data: a random hex id
    # can hold six digits in a row, which equal some item number. It is left out of the scans.
    zone = {name: f"read_parquet({lit(str(pz_stage / name / '*' / '*.parquet'))})"
            for name in ("events", "wifi_sessions", "eresource_use")
            if (pz_stage / name).is_dir()}
    for name in ("patrons", "counter_metrics", "ecirc_checkouts",
                 # the service domains' files (pipelines/computers.py, web, programs, ill)
                 "pc_sessions", "web_visits", "programs", "room_bookings", "ill_requests"):
        if (pz_stage / f"{name}.parquet").exists():
            zone[name] = f"read_parquet({lit(str(pz_stage / f'{name}.parquet'))})"
    targets = [ScanTarget("pseudonymized", name, _distinct_strings(
        con, name, f"SELECT * FROM {source}")) for name, source in zone.items()]
    targets += [ScanTarget("published", name, name) for name in frames]
    con.execute("CREATE TABLE int_identifiers AS " + "\nUNION ALL\n".join(
        [identifiers_sql(loaded, config.leak_scan_exempt), *extra_identifiers]))
    say("  pattern scans (DuckDB)")
    checks = scan_patterns(con, targets)
    say("  exact-match scan of raw identifiers (DuckDB)")
    checks += scan_exact(con, "int_identifiers", targets,
                         min_whole_length=config.min_whole_length,
                         min_substring_length=config.min_substring_length)
    say("  Great Expectations suites (waiting for their results)")
    checks += suites.result()
    return checks
