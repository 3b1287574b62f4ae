"""Time every SQL statement of one ``libstats run`` (where does the time go?).

    .venv/bin/python benchmarks/profile_run.py benchmarks/data/bench_10000000.toml \
        [--period FY2025] [--top 25] [--json out.json]

Runs the pipeline in this process with its DuckDB connection wrapped: each ``execute`` (also
on cursors, e.g. the monthly zone files written two at a time) is timed. Prints the progress
lines, then the slowest statements (their SQL shortened to one line) and the total. Statements
that run at once overlap, so the SQL total can exceed the wall time. The key comes from the
environment variable the config names, as for ``libstats run``; SQL text never holds data
values (the key is a bound parameter), so the output holds none either.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

import pipelines.run as run_module  # noqa: E402

TIMES: list[tuple[float, str]] = []
_LOCK = threading.Lock()


class _Timed:
    """A DuckDB connection or cursor whose ``execute`` calls are timed."""

    def __init__(self, con):
        self._con = con

    def execute(self, sql, *args, **kwargs):
        t0 = time.perf_counter()
        result = self._con.execute(sql, *args, **kwargs)
        elapsed = time.perf_counter() - t0
        with _LOCK:
            TIMES.append((elapsed, " ".join(str(sql).split())))
        return _Timed(result) if isinstance(result, duckdb.DuckDBPyConnection) else result

    def cursor(self):
        return _Timed(self._con.cursor())

    def __getattr__(self, name):
        return getattr(self._con, name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("--period", default="FY2025")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--json", help="write every (seconds, SQL) pair here")
    args = ap.parse_args(argv)

    connect = run_module.connect
    run_module.connect = lambda *a, **k: _Timed(connect(*a, **k))
    from pipelines import cli
    t0 = time.perf_counter()
    code = cli.main(["run", args.config, "--period", args.period])
    wall = time.perf_counter() - t0
    ranked = sorted(TIMES, reverse=True)
    print(f"\nexit {code}; wall {wall:.1f} s (after imports); SQL {sum(t for t, _ in TIMES):.1f} s "
          f"in {len(TIMES)} statements; slowest {args.top}:")
    for seconds, sql in ranked[:args.top]:
        print(f"{seconds:7.2f}  {sql[:150]}")
    if args.json:
        Path(args.json).write_text(json.dumps(ranked, indent=1))
    return code


if __name__ == "__main__":
    sys.exit(main())
