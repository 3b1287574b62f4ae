"""Generate an N-row Koha ``statistics`` export for benchmarking, vectorized in DuckDB SQL.

Nothing is generated row by row in Python (no Faker): one ``COPY (SELECT ... FROM range(N)) TO
'<csv>'`` statement builds and writes every row, so 10M rows take seconds and 100M rows need no
more memory than DuckDB's streaming COPY.

Usage::

    python benchmarks/gen_koha_statistics.py --rows 10000000 \\
        --out benchmarks/data/stats_10000000.csv [--seed 42]

Writes the CSV, a libstats config ``bench_<N>.toml`` in the same folder (its only source is the
CSV; output goes to ``benchmarks/out/bench_<N>``) and ``stats_<N>.csv.meta.json`` (rows, seed,
generator version, DuckDB version) which ``bench_run.py`` uses to decide whether the data must be
regenerated.

Columns, in Koha's order: datetime, branch, value, type, other, itemnumber, itemtype, location,
borrowernumber, ccode, categorycode, interface.

Determinism: every pseudo-random value is ``hash(row, seed, stream)`` (DuckDB's 64-bit hash),
never ``random()``, so the file does not depend on thread scheduling: the same seed, N and
DuckDB version give the same bytes. The datetimes are a monotone function of the row number
(sorted, like a real export), spread over library opening hours (09:00-19:59) of every day of
FY2025 (2024-07-01 to 2025-06-30).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import duckdb

from benchmeta import recorded

GENERATOR_VERSION = 1
COLUMNS = ("datetime", "branch", "value", "type", "other", "itemnumber", "itemtype", "location",
           "borrowernumber", "ccode", "categorycode", "interface")
FY_START = "2024-07-01"
DAYS = 365                      # 2024-07-01 .. 2025-06-30
OPEN_SECONDS = 11 * 3600        # 09:00:00 .. 19:59:59
OPEN_AT = 9 * 3600
ITEMS = 2_000_000

BRANCHES = [("CEN", 50), ("NOR", 30), ("EAS", 20)]
TYPES = [("issue", 38), ("return", 36), ("renew", 18), ("localuse", 7), ("payment", 1)]
CCODES = [("AFIC", 22), ("ANF", 18), ("JFIC", 14), ("JNF", 8), ("EASY", 12), ("YAFIC", 6),
          ("MEDIA", 12), ("PER", 5), ("LOT", 3)]
CATEGORIES = [("PT", 60), ("J", 20), ("YA", 10), ("SR", 10)]
INTERFACES = {
    "issue": [("intranet", 70), ("sip", 30)],
    "return": [("intranet", 65), ("sip", 35)],
    "renew": [("opac", 55), ("intranet", 35), ("sip", 10)],
    "localuse": [("intranet", 100)],
    "payment": [("intranet", 60), ("opac", 40)],
}
# Item type by collection code (an item's attributes depend on its itemnumber only).
ITEMTYPES = {
    "AFIC": [("BK", 85), ("AB", 15)], "ANF": [("BK", 90), ("AB", 10)],
    "JFIC": [("JBK", 100)], "JNF": [("JBK", 100)], "EASY": [("JBK", 100)],
    "YAFIC": [("BK", 100)], "MEDIA": [("DVD", 70), ("JDVD", 20), ("AB", 10)],
    "PER": [("MAG", 100)], "LOT": [("KIT", 60), ("HOTSPOT", 40)],
}
LOCATIONS = {"JFIC": "CHILD", "JNF": "CHILD", "EASY": "CHILD", "MEDIA": "AV"}  # else GEN


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _pick(u: str, choices: list[tuple[str, int]]) -> str:
    """SQL CASE choosing a value by weight from a uniform [0,1) expression ``u``."""
    total = sum(w for _, w in choices)
    if len(choices) == 1:
        return _lit(choices[0][0])
    parts, acc = [], 0
    for value, weight in choices[:-1]:
        acc += weight
        parts.append(f"WHEN {u} < {acc / total!r} THEN {_lit(value)}")
    return f"CASE {' '.join(parts)} ELSE {_lit(choices[-1][0])} END"


STREAMS = 64                    # pseudo-random streams per key (1..63 used)
SEED_STRIDE = 1 << 40           # keeps (row, stream) keys of different seeds apart
MAX_SEED = (1 << 22) - 1


def borrower_count(rows: int) -> int:
    return max(rows // 40, 5000)


def build_sql(rows: int, seed: int) -> str:
    """The SELECT that produces the export (columns in Koha's order)."""
    seed = int(seed)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"--seed must be between 0 and {MAX_SEED}")
    if rows * STREAMS >= SEED_STRIDE:
        raise ValueError("--rows is too large for this generator")
    borrowers = borrower_count(rows)

    def u(key: str, stream: int) -> str:  # uniform [0, 1) from (key, seed, stream)
        # One integer per (key, stream, seed), hashed once: hash(a, b, c) combines the three
        # hashes too weakly (streams of the same row come out correlated).
        return (f"(hash(CAST({key} AS BIGINT) * {STREAMS} + {stream + seed * SEED_STRIDE})"
                f" / 18446744073709551616.0)")

    iface = "CASE type " + " ".join(
        f"WHEN {_lit(t)} THEN {_pick('u_iface', c)}" for t, c in INTERFACES.items()) + " END"
    itype = "CASE ccode " + " ".join(
        f"WHEN {_lit(cc)} THEN {_pick('u_itype', c)}" for cc, c in ITEMTYPES.items()) + " END"
    location = "CASE ccode " + " ".join(
        f"WHEN {_lit(cc)} THEN {_lit(loc)}" for cc, loc in LOCATIONS.items()) + " ELSE 'GEN' END"
    return f"""
WITH r AS (
    SELECT range AS i,
           range * {DAYS * OPEN_SECONDS} // {rows} AS pos,
           {u('range', 1)} AS u_type,
           {u('range', 2)} AS u_branch,
           {u('range', 3)} AS u_item,
           {u('range', 4)} AS u_borr,
           {u('range', 5)} AS u_iface,
           {u('range', 6)} AS u_amount
    FROM range({rows})
), t AS (
    SELECT *, {_pick('u_type', TYPES)} AS type FROM r
), e AS (
    SELECT *,
           CASE WHEN type <> 'payment' THEN 1 + CAST(floor({ITEMS} * u_item * u_item) AS BIGINT)
           END AS itemnumber,
           CASE WHEN type <> 'localuse'
                THEN 1 + CAST(floor({borrowers} * pow(u_borr, 1.5)) AS BIGINT) END
               AS borrowernumber
    FROM t
), a AS (
    SELECT *,
           CASE WHEN itemnumber IS NOT NULL THEN {_pick(u('itemnumber', 101), CCODES)} END
               AS ccode,
           {u('itemnumber', 102)} AS u_itype,
           CASE WHEN borrowernumber IS NOT NULL
                THEN {_pick(u('borrowernumber', 201), CATEGORIES)} END AS categorycode
    FROM e
)
SELECT
    strftime(TIMESTAMP '{FY_START} 00:00:00'
             + to_days(CAST(pos // {OPEN_SECONDS} AS INTEGER))
             + to_seconds({OPEN_AT} + pos % {OPEN_SECONDS}), '%Y-%m-%d %H:%M:%S') AS datetime,
    {_pick('u_branch', BRANCHES)} AS branch,
    CASE WHEN type = 'payment' THEN printf('%.4f', (1 + floor(u_amount * 40)) * 0.25)
         ELSE '0.0000' END AS value,
    type,
    CASE WHEN type = 'payment' THEN CAST(100000 + i AS VARCHAR) END AS other,
    itemnumber,
    CASE WHEN ccode IS NOT NULL THEN {itype} END AS itemtype,
    CASE WHEN ccode IS NOT NULL THEN {location} END AS location,
    borrowernumber,
    ccode,
    categorycode,
    {iface} AS interface
FROM a
"""


CONFIG_TEMPLATE = """\
# libstats config for the benchmark data set of {rows:,} rows (generated by
# benchmarks/gen_koha_statistics.py; regenerated with the data). Paths are relative to this file.

[library]
name = "Benchmark Library"
slug = "bench"
fiscal_year_start = "07-01"
timezone = "America/New_York"

[key]
env = "{key_env}"

[output]
folder = "{output}"

[[branches]]
code = "CEN"
name = "Central"

[[branches]]
code = "NOR"
name = "North"

[[branches]]
code = "EAS"
name = "East"

[material_types]
book = ["BK", "JBK"]
audio = ["AB"]
video = ["DVD", "JDVD"]
serial = ["MAG"]
other_physical = ["KIT", "HOTSPOT"]

[audience.children]
item_types = ["JBK", "JDVD"]
collection_codes = ["JFIC", "JNF", "EASY"]

[audience.young_adult]
collection_codes = ["YAFIC"]

[[sources]]
name = "koha_statistics"
kind = "circulation"
format = "koha_statistics"
path = "{csv}"
"""

KEY_ENV = "LIBSTATS_BENCH_KEY"


def config_path_for(csv_path: Path, rows: int) -> Path:
    return csv_path.parent / f"bench_{rows}.toml"


def meta_path_for(csv_path: Path) -> Path:
    return csv_path.with_name(csv_path.name + ".meta.json")


def write_config(csv_path: Path, rows: int, out_dir: Path | None = None) -> Path:
    """Write bench_<rows>.toml next to the CSV; output folder benchmarks/out/bench_<rows>."""
    csv_path = csv_path.resolve()
    cfg = config_path_for(csv_path, rows)
    if out_dir is None:
        out_dir = Path(__file__).resolve().parent / "out" / f"bench_{rows}"
    output = os.path.relpath(out_dir.resolve(), cfg.parent)
    cfg.write_text(CONFIG_TEMPLATE.format(rows=rows, key_env=KEY_ENV,
                                          output=Path(output).as_posix(), csv=csv_path.name),
                   encoding="utf-8")
    return cfg


def generate(rows: int, out: Path, seed: int = 42, threads: int | None = None,
             quiet: bool = False) -> dict:
    """Write the CSV (atomically: temp file then rename), its meta file and the config."""
    if rows < 1:
        raise ValueError("--rows must be at least 1")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    meta_path = meta_path_for(out)
    if meta_path.exists():
        meta_path.unlink()
    t0 = time.monotonic()
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = true")   # rows in range() order
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.execute(f"COPY ({build_sql(rows, seed)}) TO {_lit(str(tmp))} "
                    f"(FORMAT csv, HEADER true, DELIMITER ',')")
    finally:
        con.close()
    os.replace(tmp, out)
    elapsed = time.monotonic() - t0
    meta = {"rows": rows, "seed": seed, "generator_version": GENERATOR_VERSION,
            "duckdb": duckdb.__version__, "bytes": out.stat().st_size,
            "columns": list(COLUMNS), "borrowers": borrower_count(rows), "items": ITEMS,
            "seconds": round(elapsed, 3)}
    cfg = write_config(out, rows)
    meta["config"] = cfg.name
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        print(f"wrote {out} ({rows:,} rows, {meta['bytes'] / 1e6:,.1f} MB) in {elapsed:.1f}s; "
              f"config {cfg}", file=sys.stderr)
    return meta


def is_current(out: Path, rows: int, seed: int) -> bool:
    """True when ``out`` was completely generated with these parameters by this version."""
    return out.exists() and recorded(
        meta_path_for(out), rows=rows, seed=seed, generator_version=GENERATOR_VERSION,
        duckdb=duckdb.__version__, bytes=out.stat().st_size)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, required=True, help="number of data rows")
    p.add_argument("--out", type=Path, help="CSV path (default: benchmarks/data/stats_<N>.csv)")
    p.add_argument("--seed", type=int, default=42, help="seed (default 42)")
    p.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    p.add_argument("-q", "--quiet", action="store_true")
    args = p.parse_args(argv)
    out = args.out or Path(__file__).resolve().parent / "data" / f"stats_{args.rows}.csv"
    try:
        generate(args.rows, out, args.seed, args.threads, args.quiet)
    except ValueError as exc:
        p.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
