"""The work floor: the cheapest way found to make what the issue asks of a Koha
``statistics`` export in DuckDB, with no check of any kind.

    .venv/bin/python benchmarks/work_floor.py <stats.csv> <out folder>

``bench_run.py --work-floor`` runs it in a fresh process beside the plain floor (read the CSV,
write it as Parquet) and libstats. It makes only the outputs, each step in the cheapest form
measured, in the same engine with default settings. It is not a proven minimum, only the
least any version measured so far has spent:

1. stage the export once, in file order (every later step reads it): the day parsed with one
   format, branch and event codes as ENUMs, the rest as they come;
2. counts by month, branch, event and every code column;
3. distinct borrowers by month and branch;
4. twelve monthly Parquet files (DuckDB's default codec, as the floor's), code columns as
   ENUMs, each sorted by record (deterministic bytes), two written at a time.

No keyed token is made or written: the benchmark's config has no patrons export, so no patron
has opted in to reading history, and libstats writes no token to the events either (it still
makes them, about 0.4 s at 10M rows).

Left out, and all part of a libstats run: validating every value (dates, branches, encodings,
rejected rows) with file and line, trimming, material and audience classification, items and
patrons exports, the identifier list and the pattern and exact-match scans, Great Expectations
suites and Data Docs, suppression, the manifest, the steward report and the atomic switch.
What it prints is each step's seconds; the wall time is measured by the caller.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

COLUMNS = ("datetime,branch,value,type,other,itemnumber,itemtype,location,borrowernumber,"
           "ccode,categorycode,interface").split(",")
MONTHS = [f"2024-{m:02d}" for m in range(7, 13)] + [f"2025-{m:02d}" for m in range(1, 7)]


def main(csv: str, out: str) -> None:
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    cols = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS) + "}"
    con.execute("CREATE TYPE ev AS ENUM ('checkout', 'renewal', 'checkin', 'in_library_use')")
    con.execute("CREATE TYPE br AS ENUM ('CEN', 'EAS', 'NOR')")
    t0 = time.perf_counter()

    def step(name: str, sql: str, params=None) -> None:
        t = time.perf_counter()
        con.execute(sql, params or [])
        print(f"{time.perf_counter() - t:6.2f} s  {name}", flush=True)

    step("stage", f"""
        CREATE TABLE stg AS SELECT
            CAST(try_strptime(datetime, '%Y-%m-%d %H:%M:%S') AS DATE) AS d,
            CAST(CASE type WHEN 'issue' THEN 'checkout' WHEN 'renew' THEN 'renewal'
                 WHEN 'return' THEN 'checkin' WHEN 'localuse' THEN 'in_library_use' END AS ev)
                AS ev,
            CAST(branch AS br) AS br, nullif(borrowernumber, '') AS pid,
            itemtype, ccode, location, categorycode
        FROM read_csv(?, header = true, auto_detect = false, delim = ',', quote = '"',
                      escape = '"', columns = {cols}, strict_mode = true)""", [csv])
    step("counts", "CREATE TABLE cnt AS SELECT date_trunc('month', d) AS m, br, ev, itemtype, "
                   "ccode, location, categorycode, count(*) AS n FROM stg "
                   "WHERE ev IS NOT NULL GROUP BY ALL")
    step("borrowers", "CREATE TABLE bor AS SELECT m, br, count(*) AS n FROM (SELECT DISTINCT "
                      "date_trunc('month', d) AS m, br, pid FROM stg WHERE ev IN "
                      "('checkout', 'renewal') AND pid IS NOT NULL) GROUP BY ALL")

    # the code columns written as ENUMs of the values the counts found (the Parquet writer
    # encodes them faster than strings)
    for c in ("itemtype", "ccode", "location", "categorycode"):
        vals = [v for (v,) in con.execute(f"SELECT DISTINCT {c} FROM cnt WHERE {c} IS NOT NULL "
                                          f"ORDER BY 1").fetchall()] or [""]
        con.execute(f"CREATE TYPE e_{c} AS ENUM ({', '.join(repr(v) for v in vals)})")
    con.execute(f"CREATE TYPE e_month AS ENUM ({', '.join(repr(m) for m in MONTHS)})")

    def month_file(month: str) -> None:
        cur = con.cursor()
        first = f"DATE '{month}-01'"
        cur.execute(f"""
            COPY (SELECT s.d, CAST('{month}' AS e_month) AS month, s.br, s.ev,
                         CAST(s.itemtype AS e_itemtype) AS itemtype,
                         CAST(s.ccode AS e_ccode) AS ccode,
                         CAST(s.location AS e_location) AS location,
                         CAST(s.categorycode AS e_categorycode) AS categorycode
                  FROM stg AS s
                  WHERE s.ev IS NOT NULL AND s.d >= {first}
                    AND s.d < {first} + INTERVAL 1 MONTH
                  ORDER BY s.rowid)
            TO '{out_dir / f"{month}.parquet"}' (FORMAT parquet)""")
        cur.close()

    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(month_file, MONTHS))
    print(f"{time.perf_counter() - t:6.2f} s  twelve monthly files", flush=True)
    print(f"{time.perf_counter() - t0:6.2f} s  total after imports", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    main(sys.argv[1], sys.argv[2])
