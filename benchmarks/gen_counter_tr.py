"""Generate a COUNTER R5.0 Title Master Report (TR, TSV) with N figures for benchmarking.

The header block is written as COUNTER's Code of Practice lays it out (12 name/value rows, a
blank row, the column headings); the body (one row per title and metric, twelve month
columns Jul-2024 .. Jun-2025) is built and written by one DuckDB ``COPY`` statement, nothing
row by row in Python. Every value is fake: titles ``Bench Title 000001``, publishers ``Bench
Publisher 01``, four platforms ``BenchPlat A`` .. ``D``, DOIs under the 10.5555 test prefix.
A fifth of the month cells are blank (no usage, read as 0); ``Reporting_Period_Total`` is the
sum of the months. 6M figures (500k rows) are about 79 MB.

Usage::

    python benchmarks/gen_counter_tr.py --figures 6000000 \\
        --out benchmarks/data/counter_6000000/TR-bench.tsv [--seed 42]

Writes the file and ``<file>.meta.json`` (figures, rows, seed, generator version, bytes).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb

GENERATOR_VERSION = 1
METRICS = ["Total_Item_Investigations", "Total_Item_Requests", "Unique_Item_Investigations",
           "Unique_Item_Requests"]
MONTHS = ["Jul-2024", "Aug-2024", "Sep-2024", "Oct-2024", "Nov-2024", "Dec-2024", "Jan-2025",
          "Feb-2025", "Mar-2025", "Apr-2025", "May-2025", "Jun-2025"]
PLATFORMS = ["BenchPlat A", "BenchPlat B", "BenchPlat C", "BenchPlat D"]
HEADER = [
    ("Report_Name", "Title Master Report"), ("Report_ID", "TR"), ("Release", "5"),
    ("Institution_Name", "Benchmark Library"), ("Institution_ID", "ISNI:0000000000000000"),
    ("Metric_Types", "; ".join(METRICS)), ("Report_Filters", ""),
    ("Report_Attributes", "Attributes_To_Show=Data_Type|Access_Method"), ("Exceptions", ""),
    ("Reporting_Period", "Begin_Date=2024-07-01; End_Date=2025-06-30"),
    ("Created", "2025-07-05T00:00:00Z"), ("Created_By", "Benchmark Vendor"),
]
HEADINGS = ["Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID", "ISBN",
            "Print_ISSN", "Online_ISSN", "URI", "Data_Type", "Access_Method", "Metric_Type",
            "Reporting_Period_Total", *MONTHS]


def meta_path_for(out: Path) -> Path:
    return out.with_name(out.name + ".meta.json")


def _meta(figures: int, seed: int) -> dict:
    return {"figures": figures, "seed": seed, "generator_version": GENERATOR_VERSION}


def is_current(out: Path, figures: int, seed: int) -> bool:
    meta = meta_path_for(out)
    if not (out.exists() and meta.exists()):
        return False
    got = json.loads(meta.read_text(encoding="utf-8"))
    return {k: got.get(k) for k in _meta(figures, seed)} == _meta(figures, seed)


def _select(rows: int, seed: int) -> str:
    months = [f"CASE WHEN v{k} = 0 THEN '' ELSE CAST(v{k} AS VARCHAR) END"
              for k in range(len(MONTHS))]
    values = ", ".join(f"CAST(hash(i * 16 + {k} + {seed}) % 10 AS INTEGER) - 2 AS r{k}"
                       for k in range(len(MONTHS)))
    clamp = ", ".join(f"greatest(r{k}, 0) AS v{k}" for k in range(len(MONTHS)))
    total = " + ".join(f"v{k}" for k in range(len(MONTHS)))
    metrics = "[" + ", ".join(f"'{m}'" for m in METRICS) + "]"
    platforms = "[" + ", ".join(f"'{p}'" for p in PLATFORMS) + "]"
    return f"""
    WITH a AS (SELECT range AS i, range // 4 AS t, {values} FROM range({rows})),
         b AS (SELECT *, {clamp} FROM a)
    SELECT printf('Bench Title %06d', t + 1) AS Title,
           printf('Bench Publisher %02d', t % 50 + 1) AS Publisher, '' AS Publisher_ID,
           {platforms}[t % 4 + 1] AS Platform, printf('10.5555/bench.%06d', t + 1) AS DOI,
           printf('bench:%06d', t + 1) AS Proprietary_ID,
           CASE WHEN t % 2 = 0 THEN printf('978-0-00-%06d-0', t % 1000000) ELSE '' END AS ISBN,
           '' AS Print_ISSN,
           CASE WHEN t % 2 = 1 THEN printf('0000-%04d', t % 10000) ELSE '' END AS Online_ISSN,
           '' AS URI, CASE WHEN t % 2 = 0 THEN 'Book' ELSE 'Journal' END AS Data_Type,
           'Regular' AS Access_Method, {metrics}[i % 4 + 1] AS Metric_Type,
           CAST({total} AS VARCHAR) AS Reporting_Period_Total, {', '.join(months)}
    FROM b ORDER BY i"""


def generate(figures: int, out: Path, seed: int = 42) -> dict:
    rows = -(-figures // len(MONTHS))
    out.parent.mkdir(parents=True, exist_ok=True)
    body = out.with_name(out.name + ".body")
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    con.execute(f"COPY ({_select(rows, seed)}) TO '{body}' "
                f"(FORMAT csv, DELIMITER '\t', HEADER false, QUOTE '', ESCAPE '')")
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "wb") as dst, open(body, "rb") as src:
        head = "".join(f"{k}\t{v}\n" for k, v in HEADER) + "\n" + "\t".join(HEADINGS) + "\n"
        dst.write(head.encode("utf-8"))
        while chunk := src.read(16 * 1024 * 1024):
            dst.write(chunk)
    body.unlink()
    tmp.replace(out)
    meta = {**_meta(figures, seed), "rows": rows, "figures_written": rows * len(MONTHS),
            "bytes": out.stat().st_size, "duckdb": duckdb.__version__}
    meta_path_for(out).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--figures", type=int, default=6_000_000)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    print(json.dumps(generate(args.figures, args.out, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
