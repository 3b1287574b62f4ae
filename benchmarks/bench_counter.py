"""Benchmark the COUNTER reader on a generated Title Master Report against a DuckDB floor.

For each ``--figures N`` (default 6M, about 79 MB):

1. generate ``benchmarks/data/counter_N/TR-bench.tsv`` unless it is already there
   (``gen_counter_tr.py``; not timed);
2. timed, each in its own fresh process, after reading the file once into the page cache:
   (a) the floor: DuckDB ``read_csv`` of the tabular body after the header block (column
       types detected), unpivoting the twelve month columns and summing them (the least any
       reader that turns every month cell into a figure must spend);
   (b) libstats: ``load_counter`` of the file into ``raw_counter`` of an in-memory DuckDB
       database (every header and body check, the figures in the table; the step of a
       ``libstats run`` that reads a ``counter_r5`` source);
3. print figures/s, wall time, peak RSS (``os.wait4`` of that child) and the ratio to the
   floor, and write ``benchmarks/out/counter_results_N.json``.

``--pythonpath DIR`` runs (b) against another checkout (e.g. main, for a before/after).
Exit status: 0 when every command ran (a report, not a pass/fail gate), 1 when one failed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_counter_tr as gen  # noqa: E402
from bench_run import OUT, REPO, machine_info, run_measured, warm_cache  # noqa: E402

DATA = HERE / "data"
FLOOR_CODE = r"""
import sys, duckdb
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
print(con.execute(
    "SELECT count(*), sum(n) FROM (SELECT * EXCLUDE (Reporting_Period_Total) "
    "FROM read_csv(?, skip = 13, header = true, delim = '\t', quote = '')) "
    "UNPIVOT INCLUDE NULLS (n FOR month IN (COLUMNS('^[A-Z][a-z]{2}-[0-9]{4}$')))",
    [sys.argv[1]]).fetchall())
"""
READER_CODE = r"""
import sys, duckdb
from pathlib import Path
from libstats.config import Source
from libstats.profiles import Profile, ResolvedProfile
from libstats.readers.counter import load_counter
source = Source(name="counter", kind="eresources", format="counter_r5", path="x")
resolved = ResolvedProfile(source, Profile(name="counter_r5", kind="eresources", columns={}),
                           {}, {}, {})
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
load_counter(con, resolved, [Path(sys.argv[1])])
print(con.execute("SELECT count(*), sum(count) FROM raw_counter").fetchall())
"""


def ensure_data(figures: int, seed: int) -> tuple[Path, dict]:
    path = DATA / f"counter_{figures}" / "TR-bench.tsv"
    if gen.is_current(path, figures, seed):
        print(f"  data: {path.relative_to(REPO)} (already generated)", flush=True)
    else:
        print(f"  data: generating {path.relative_to(REPO)} ({figures:,} figures) ...",
              flush=True)
        gen.generate(figures, path, seed)
    return path, json.loads(gen.meta_path_for(path).read_text(encoding="utf-8"))


def bench(figures: int, args) -> dict:
    print(f"\n== COUNTER TR, {figures:,} figures", flush=True)
    path, meta = ensure_data(figures, args.seed)
    env = dict(os.environ, PYTHONPATH=str(args.pythonpath or REPO))
    logs = OUT / "logs"
    floors, libs = [], []
    for rep in range(args.repeat):
        for what, code, runs in (("floor", FLOOR_CODE, floors), ("libstats", READER_CODE, libs)):
            warm_cache(path)
            r = run_measured([sys.executable, "-P", "-c", code, str(path)], env=env,
                             log_prefix=logs / f"counter_{what}_{figures}_{rep}")
            if r["ok"]:
                r["stdout"] = (REPO / r["stdout_log"]).read_text().strip() \
                    if "stdout_log" in r else None
            runs.append(r)
            print(f"  {what:8s} #{rep + 1}: {r['wall_s']:.2f} s, "
                  f"{r['peak_rss_bytes'] / 1e6:,.0f} MB"
                  + ("" if r["ok"] else f"  FAILED exit {r['exit_code']}: "
                     + " | ".join(r.get("stderr_tail", [])[-3:])), flush=True)
    fw = statistics.median(x["wall_s"] for x in floors)
    lw = statistics.median(x["wall_s"] for x in libs)
    result = {
        "kind": "counter_tr", "figures": figures, "bytes": meta.get("bytes"),
        "machine": machine_info(), "pythonpath": str(args.pythonpath or REPO),
        "floor": {"what": "DuckDB read_csv of the body, months unpivoted and summed",
                  "wall_s": fw, "peak_rss_bytes": max(x["peak_rss_bytes"] for x in floors),
                  "runs": floors},
        "libstats": {"what": "load_counter into raw_counter (in-memory DuckDB)", "wall_s": lw,
                     "peak_rss_bytes": max(x["peak_rss_bytes"] for x in libs), "runs": libs},
        "ratio": round(lw / fw, 2),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"counter_results_{figures}.json").write_text(json.dumps(result, indent=2) + "\n",
                                                         encoding="utf-8")
    print(f"  floor    {fw:8.2f} s  {figures / fw:12,.0f} figures/s  "
          f"{result['floor']['peak_rss_bytes'] / 1e6:8,.0f} MB")
    print(f"  libstats {lw:8.2f} s  {figures / lw:12,.0f} figures/s  "
          f"{result['libstats']['peak_rss_bytes'] / 1e6:8,.0f} MB   ratio {lw / fw:.2f}")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--figures", type=int, nargs="+", default=[6_000_000])
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--pythonpath", type=Path, default=None)
    args = p.parse_args(argv)
    results = [bench(n, args) for n in args.figures]
    return 0 if all(x["ok"] for r in results for s in ("floor", "libstats")
                    for x in r[s]["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
