"""The leak checks of a run: pattern and exact-match scans in DuckDB, GX suites on the
published tables. Results carry names and counts, never values."""

from __future__ import annotations

from pathlib import Path

from libstats import ingest
from transforms.sqlutil import lit, q


def identifiers_sql(loaded: list[ingest.IngestedSource], exempt: tuple[str, ...]) -> str:
    """Every distinct value of every drop/token column actually present in the exports."""
    parts = []
    for ing in loaded:
        for col in ing.stored:
            if ing.resolved.scanned(col) and f"{ing.name}.{col}" not in exempt:
                parts.append(f"SELECT DISTINCT {lit(ing.name)} AS source, {lit(col)} AS "
                             f"column_name, {q(col)} AS value FROM {ing.table} "
                             f"WHERE {q(col)} IS NOT NULL")
    if not parts:
        return ("SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS column_name, "
                "NULL::VARCHAR AS value WHERE false")
    return "\nUNION ALL\n".join(parts)




def run_checks(con, config, loaded, frames, pz_stage: Path, review_dir: Path) -> list:
    from expectations.leakscan import ScanTarget, scan_exact, scan_patterns
    from expectations.suites import validate_published

    # key_id is libstats' own label of the key (an HMAC of it), not data: a random hex id
    # can hold six digits in a row, which equal some item number. It is left out of the scans.
    events_glob = str(pz_stage / "events" / "*" / "*.parquet")
    targets = [ScanTarget("pseudonymized", "events",
                          f"SELECT * EXCLUDE (key_id) FROM read_parquet({lit(events_glob)})")]
    if (pz_stage / "patrons.parquet").exists():
        targets.append(ScanTarget("pseudonymized", "patrons",
                                  f"SELECT * EXCLUDE (key_id) FROM read_parquet("
                                  f"{lit(str(pz_stage / 'patrons.parquet'))})"))
    targets += [ScanTarget("published", name, name) for name in frames]
    con.execute("CREATE TABLE int_identifiers AS " +
                identifiers_sql(loaded, config.leak_scan_exempt))
    checks = []
    checks += scan_patterns(con, targets)
    checks += scan_exact(con, "int_identifiers", targets,
                         min_whole_length=config.min_whole_length,
                         min_substring_length=config.min_substring_length)
    review_dir.mkdir(parents=True)
    checks += validate_published(frames, config.threshold, docs_dir=review_dir)
    return checks
