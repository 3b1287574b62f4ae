"""Benchmark ``libstats run`` against a DuckDB floor on a generated Koha statistics export.

For each ``--rows N``:

1. generate ``benchmarks/data/stats_N.csv`` and ``bench_N.toml`` unless they are already there
   (``gen_koha_statistics.py``; not timed);
2. timed, each in its own fresh process:
   (a) the floor: ``COPY (SELECT * FROM read_csv(<csv>)) TO <parquet> (FORMAT parquet)`` with
       DuckDB's defaults, i.e. the least any DuckDB job that reads this CSV and writes Parquet
       must spend;
   (b) ``libstats run bench_N.toml --period FY2025 -q`` with a fresh key in the environment
       variable the config names (``LIBSTATS_BENCH_KEY``);
   (c) with ``--work-floor``: ``work_floor.py``, the outputs made the cheapest way found,
       with no check (stage once, counts, borrowers, twelve sorted monthly files);
3. print rows/s, wall time, peak RSS and the ratio libstats/floor, with PASS/FAIL against the
   targets of the speed issue (see ``targets_for``), and write the figures to
   ``benchmarks/out/results_N.json``.

Wall time is measured by this script around the child (process start to exit, interpreter
start-up and imports included, for both). Peak RSS is the child's ``ru_maxrss`` as returned by
``os.wait4`` for that very child (Linux: the high-water mark of its resident set, descendants
it waited for included), so each figure belongs to exactly one process.

Exit status: 0 when every command ran (whether or not the targets are met: this is a report),
1 when a measured command failed, 2 when generating the data failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = HERE / "data"
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import gen_koha_statistics as gen  # noqa: E402

TARGET_RSS_BYTES = 2_000_000_000          # "2 GB", read strictly (decimal)
TARGET_BASELINE = 5.0                     # >= 5x faster than pandas + Python hmac per row
SMALL_ROWS = 100_000                      # a small library: the whole run <= 2 s wall
SMALL_WALL_S = 2.0
TARGET_RATIO = 1.8                        # 10M rows (and other sizes below 100M, for reference)
LARGE_ROWS = 100_000_000
LARGE_RATIO = 2.0                         # 100M rows


def targets_for(rows: int) -> dict:
    """The speed issue's targets at this size (figures from the issue text)."""
    if rows <= SMALL_ROWS:
        return {"wall_s_max": SMALL_WALL_S, "peak_rss_max_bytes": TARGET_RSS_BYTES}
    ratio = LARGE_RATIO if rows >= LARGE_ROWS else TARGET_RATIO
    return {"ratio_max": ratio, "peak_rss_max_bytes": TARGET_RSS_BYTES,
            "baseline_ratio_min": TARGET_BASELINE}
PERIOD = "FY2025"

# The floor, run as `python -c FLOOR_CODE <csv> <parquet> <variant>`.
FLOOR_CODE = r"""
import sys, duckdb
csv, parquet, variant = sys.argv[1:4]
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
opts = {"default": "", "varchar": ", all_varchar = true"}[variant]
target = "'" + parquet.replace("'", "''") + "'"
con.execute(f"COPY (SELECT * FROM read_csv(?{opts})) TO {target} (FORMAT parquet)", [csv])
"""
FLOOR_VARIANTS = {
    "default": "read_csv with DuckDB's defaults (auto-detected, typed columns); "
               "COPY TO parquet with DuckDB's defaults",
    "varchar": "read_csv(all_varchar = true) (every column VARCHAR, as libstats loads raw "
               "exports); COPY TO parquet with DuckDB's defaults",
}
STEP_RE = re.compile(r"^\[\s*([0-9.]+)s(?: \+[0-9.]+s)?\] (.*)$")


# ---------------------------------------------------------------------------------------------
# measuring one process

def _fmt_cmd(cmd: list[str]) -> str:
    out = []
    for c in cmd:
        if "\n" in c:
            out.append("<FLOOR_CODE>")
        else:
            out.append(c if re.fullmatch(r"[\w./:=,+-]+", c) else repr(c))
    return " ".join(out)


def run_measured(cmd: list[str], *, env: dict | None, log_prefix: Path,
                 timeout: float | None = None) -> dict:
    """Run ``cmd`` to completion; wall time, peak RSS (wait4) and exit code of that process.

    stdout and stderr go to ``<log_prefix>.stdout`` / ``.stderr`` (never held in memory here).
    """
    log_prefix.parent.mkdir(parents=True, exist_ok=True)
    out_path = log_prefix.with_name(log_prefix.name + ".stdout")
    err_path = log_prefix.with_name(log_prefix.name + ".stderr")
    timed_out = threading.Event()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, cwd=str(REPO))
        timer = None
        if timeout:
            def _kill():
                timed_out.set()
                try:
                    proc.kill()
                except ProcessLookupError:
                    pass
            timer = threading.Timer(timeout, _kill)
            timer.start()
        try:
            while True:
                try:
                    _, status, usage = os.wait4(proc.pid, 0)
                    break
                except InterruptedError:  # pragma: no cover - PEP 475 retries anyway
                    continue
        except KeyboardInterrupt:
            proc.send_signal(signal.SIGINT)
            proc.wait()
            raise
        finally:
            if timer:
                timer.cancel()
        wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc          # reaped by wait4: tell Popen so it does not wait again
    result = {
        "command": _fmt_cmd(cmd),
        "exit_code": rc,
        "ok": rc == 0 and not timed_out.is_set(),
        "timed_out": timed_out.is_set(),
        "wall_s": round(wall, 3),
        "user_s": round(usage.ru_utime, 3),
        "sys_s": round(usage.ru_stime, 3),
        "peak_rss_bytes": usage.ru_maxrss * 1024,      # Linux: KiB
        "stdout_log": str(out_path.relative_to(REPO)),
        "stderr_log": str(err_path.relative_to(REPO)),
    }
    if not result["ok"]:
        result["stderr_tail"] = _tail(err_path, 20)
    return result


def _tail(path: Path, lines: int) -> list[str]:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 64 * 1024))
        text = fh.read().decode("utf-8", errors="replace")
    return text.splitlines()[-lines:]


def parse_steps(stderr_path: Path, wall: float) -> list[dict]:
    """libstats progress lines ``[  12.3s] message`` -> steps with their durations.

    A step lasts until the next line; the last one until the process ended (``wall``, which also
    counts interpreter start-up before the first line, reported as ``(start-up and imports)``).
    """
    marks = []
    for line in stderr_path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = STEP_RE.match(line)
        if m:
            marks.append((float(m.group(1)), m.group(2)))
    if not marks:
        return []
    # Progress counts from libstats' own t0, taken after its imports: the wall time not covered
    # by the lines is interpreter start-up and imports plus the last step up to the exit.
    steps = []
    for (t, msg), nxt in zip(marks, marks[1:]):
        steps.append({"at_s": t, "step": msg, "seconds": round(nxt[0] - t, 2)})
    steps.append({"at_s": marks[-1][0], "step": marks[-1][1] + "  (+ start-up and imports: "
                  "the rest of the wall time)", "seconds": round(wall - marks[-1][0], 2)})
    return steps


def warm_cache(path: Path) -> None:
    """Read the file once (16 MB at a time, discarded) so both runs start with it in the page
    cache; without this the first run after generation or a long pause pays the disk."""
    with open(path, "rb", buffering=0) as fh:
        while fh.read(16 * 1024 * 1024):
            pass


# ---------------------------------------------------------------------------------------------
# one size

def parquet_rows(path: Path) -> int | None:
    if not path.exists():
        return None
    import duckdb
    con = duckdb.connect()
    try:
        lit = "'" + str(path).replace("'", "''") + "'"
        return con.execute(f"SELECT count(*) FROM read_parquet({lit})").fetchall()[0][0]
    finally:
        con.close()


def libstats_command() -> list[str]:
    exe = Path(sys.executable).parent / "libstats"
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "pipelines.cli"]


def new_key() -> str:
    r = subprocess.run(libstats_command() + ["keygen"], capture_output=True, text=True,
                       cwd=str(REPO), stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise RuntimeError(f"libstats keygen failed (exit {r.returncode}): "
                           f"{r.stderr.strip()[-500:]}")
    return r.stdout.strip()


def ensure_data(rows: int, seed: int) -> tuple[Path, Path, dict]:
    csv = DATA / f"stats_{rows}.csv"
    if gen.is_current(csv, rows, seed):
        cfg = gen.write_config(csv, rows)      # cheap; keeps the config in step with the script
        print(f"  data: {csv.relative_to(REPO)} (already generated)", flush=True)
    else:
        print(f"  data: generating {csv.relative_to(REPO)} ({rows:,} rows, seed {seed}) ...",
              flush=True)
        gen.generate(rows, csv, seed, quiet=True)
        cfg = gen.config_path_for(csv, rows)
    meta = json.loads(gen.meta_path_for(csv).read_text(encoding="utf-8"))
    print(f"        {meta['bytes'] / 1e6:,.1f} MB, config {cfg.relative_to(REPO)}"
          + (f", generated in {meta['seconds']:.1f}s" if "seconds" in meta else ""), flush=True)
    return csv, cfg, meta


def bench_one(rows: int, args, key: str) -> dict:
    print(f"\n== {rows:,} rows", flush=True)
    csv, cfg, meta = ensure_data(rows, args.seed)
    out_dir = OUT / f"bench_{rows}"
    logs = OUT / "logs"
    floor_parquet = OUT / f"floor_{rows}.parquet"
    floor_cmd = [sys.executable, "-c", FLOOR_CODE, str(csv), str(floor_parquet),
                 args.floor]
    lib_cmd = libstats_command() + ["run", str(cfg), "--period", PERIOD]
    if not args.steps:
        lib_cmd.append("-q")
    lib_cmd += args.libstats_arg
    env = dict(os.environ)
    env[gen.KEY_ENV] = key

    work_dir = OUT / f"work_floor_{rows}"
    work_cmd = [sys.executable, str(HERE / "work_floor.py"), str(csv), str(work_dir)]
    base_dir = OUT / f"baseline_{rows}"
    base_cmd = [sys.executable, str(HERE / "baseline_pandas_hmac.py"), str(csv), str(base_dir)]

    def timed(cmd: list[str], log_name: str) -> dict:
        """One measured run, the CSV warm in the page cache unless --no-warm."""
        if not args.no_warm:
            warm_cache(csv)
        load = os.getloadavg()[0]
        r = run_measured(cmd, env=env, log_prefix=logs / log_name, timeout=args.timeout)
        r["load_avg_1m_before"] = round(load, 2)
        return r

    floors, libs, works, bases = [], [], [], []
    for rep in range(1, args.repeat + 1):
        tag = f"{rows}{'_' + args.tag if args.tag else ''}_r{rep}"
        # (a) floor
        if floor_parquet.exists():
            floor_parquet.unlink()
        f = timed(floor_cmd, f"floor_{tag}")
        if f["ok"]:                    # not timed: the Parquet file has every row
            counted = parquet_rows(floor_parquet)
            if counted != rows:
                f["ok"] = False
                f["stderr_tail"] = [f"the floor wrote {counted} rows, expected {rows}"]
            f["parquet_bytes"] = floor_parquet.stat().st_size
        floors.append(f)
        _say_run("floor", rep, f, rows)
        if not args.keep and floor_parquet.exists():
            floor_parquet.unlink()

        # (c) work floor
        if args.work_floor:
            if work_dir.exists():
                shutil.rmtree(work_dir)
            w = timed(work_cmd, f"work_floor_{tag}")
            works.append(w)
            _say_run("work floor", rep, w, rows)
            shutil.rmtree(work_dir, ignore_errors=True)

        # (d) pandas + Python hmac baseline
        if args.baseline:
            shutil.rmtree(base_dir, ignore_errors=True)
            b = timed(base_cmd, f"baseline_{tag}")
            bases.append(b)
            _say_run("baseline", rep, b, rows)
            shutil.rmtree(base_dir, ignore_errors=True)

        # (b) libstats
        if out_dir.exists():
            shutil.rmtree(out_dir)
        r = timed(lib_cmd, f"libstats_{tag}")
        if args.steps:
            r["steps"] = parse_steps(REPO / r["stderr_log"], r["wall_s"])
        libs.append(r)
        _say_run("libstats", rep, r, rows)
        if args.steps and r["steps"]:
            for s in r["steps"]:
                secs = f"{s['seconds']:8.2f}s" if s["seconds"] is not None else "       …"
                at = f"[{s['at_s']:7.1f}s]" if s["at_s"] is not None else " " * 10
                print(f"      {at} {secs}  {s['step']}", flush=True)
        if not args.keep and out_dir.exists():
            shutil.rmtree(out_dir)

    result = summarize(rows, csv, cfg, meta, floors, libs, args, works)
    if bases:
        base = _side(rows, bases)
        result["baseline_pandas_hmac"] = base
        result["ratio_baseline_to_libstats"] = _ratio(base, result["libstats"])
        want = result["targets"].get("baseline_ratio_min")
        if want is not None:
            got = result["ratio_baseline_to_libstats"]
            result["checks"]["baseline"] = got is not None and got >= want
            result["verdict"] = "PASS" if all(result["checks"].values()) else "FAIL"
        print(f"  baseline (pandas + hmac) / libstats: {result['ratio_baseline_to_libstats']}×, "
              f"baseline peak RSS {_mb(base.get('peak_rss_bytes'))} MB", flush=True)
    return result


def _say_run(what: str, rep: int, r: dict, rows: int) -> None:
    if r["ok"]:
        print(f"  {what:10s} run {rep}: {r['wall_s']:8.2f}s  {rows / r['wall_s']:>12,.0f} rows/s  "
              f"peak RSS {r['peak_rss_bytes'] / 1e6:,.0f} MB", flush=True)
    else:
        why = "timed out" if r["timed_out"] else f"exit code {r['exit_code']}"
        print(f"  {what:10s} run {rep}: FAILED ({why}) after {r['wall_s']:.2f}s; "
              f"last lines of stderr ({r['stderr_log']}):", flush=True)
        for line in r.get("stderr_tail") or ["(empty)"]:
            print(f"      | {line}", flush=True)


def _side(rows: int, runs: list[dict]) -> dict:
    ok = [r for r in runs if r["ok"]]
    if not ok:   # still say how long it ran and how much memory it took before failing
        return {"ok": False, "failed_wall_s": max(r["wall_s"] for r in runs),
                "failed_peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs), "runs": runs}
    wall = statistics.median(r["wall_s"] for r in ok)
    return {"ok": len(ok) == len(runs), "wall_s": round(wall, 3),
            "wall_s_min": min(r["wall_s"] for r in ok),
            "rows_per_s": round(rows / wall),
            "peak_rss_bytes": max(r["peak_rss_bytes"] for r in ok),
            "runs": runs}


def _ratio(a: dict, b: dict) -> float | None:
    if a.get("wall_s") and b.get("wall_s") and a["ok"] and b["ok"]:
        return round(a["wall_s"] / b["wall_s"], 3)
    return None


def summarize(rows, csv, cfg, meta, floors, libs, args, works=()) -> dict:
    floor, lib = _side(rows, floors), _side(rows, libs)
    ratio = _ratio(lib, floor)
    target = targets_for(rows)
    checks = {}
    if "wall_s_max" in target:
        checks["wall"] = bool(lib["ok"]) and lib["wall_s"] <= target["wall_s_max"]
    else:
        checks["ratio"] = ratio is not None and ratio <= target["ratio_max"]
    checks["peak_rss"] = bool(lib["ok"]) and lib["peak_rss_bytes"] <= TARGET_RSS_BYTES
    verdict = "PASS" if all(checks.values()) else "FAIL"
    return {
        "rows": rows,
        "csv": str(csv.relative_to(REPO)),
        "csv_bytes": meta["bytes"],
        "config": str(cfg.relative_to(REPO)),
        "seed": meta["seed"],
        "period": PERIOD,
        "repeat": args.repeat,
        "aggregation": "median wall time over repeats; max peak RSS over repeats",
        "floor_variant": args.floor,
        "libstats_extra_args": list(args.libstats_arg),
        "tag": args.tag,
        "floor_description": FLOOR_VARIANTS[args.floor],
        "floor": floor,
        "libstats": lib,
        "ratio_libstats_to_floor": ratio,
        **({"work_floor": (work := _side(rows, list(works))),
            "ratio_work_floor_to_floor": _ratio(work, floor),
            "ratio_libstats_to_work_floor": _ratio(lib, work)} if works else {}),
        "targets": target,
        "checks": checks,
        "verdict": verdict,
        "machine": machine_info(),
        "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def machine_info() -> dict:
    info = {"cpus": os.cpu_count(), "python": platform.python_version(),
            "platform": platform.platform()}
    try:
        import duckdb
        info["duckdb"] = duckdb.__version__
    except ImportError:  # pragma: no cover
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_total_bytes"] = int(line.split()[1]) * 1024
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:  # pragma: no cover
        pass
    return info


# ---------------------------------------------------------------------------------------------
# report

def _mb(b) -> str:
    return f"{b / 1e6:,.0f}" if b else "-"


def print_table(results: list[dict]) -> None:
    head = ["rows", "floor s", "floor rows/s", "floor RSS MB", "libstats s", "libstats rows/s",
            "libstats RSS MB", "ratio", "verdict"]
    lines = []
    for r in results:
        f, l = r["floor"], r["libstats"]
        lines.append([
            f"{r['rows']:,}",
            f"{f['wall_s']:.2f}" if f.get("wall_s") and f["ok"] else "FAILED",
            f"{f['rows_per_s']:,}" if f.get("rows_per_s") else "-",
            _mb(f.get("peak_rss_bytes")),
            f"{l['wall_s']:.2f}" if l.get("wall_s") and l["ok"]
            else f"FAILED@{l.get('failed_wall_s', l.get('wall_s', 0)):.0f}s",
            f"{l['rows_per_s']:,}" if l.get("rows_per_s") and l["ok"] else "-",
            _mb(l.get("peak_rss_bytes") or l.get("failed_peak_rss_bytes")),
            f"{r['ratio_libstats_to_floor']:.2f}x" if r["ratio_libstats_to_floor"] else "-",
            r["verdict"] + " (" + ", ".join(f"{k} {'ok' if v else 'no'}"
                                           for k, v in r["checks"].items()) + ")",
        ])
    widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(head)]
    print()
    print("  ".join(h.rjust(w) if i < 8 else h for i, (h, w) in enumerate(zip(head, widths))))
    print("  ".join("-" * w for w in widths))
    for x in lines:
        print("  ".join(v.rjust(w) if i < 8 else v for i, (v, w) in enumerate(zip(x, widths))))
    print(f"\ntargets: up to {SMALL_ROWS:,} rows the whole run <= {SMALL_WALL_S} s wall; "
          f"below {LARGE_ROWS:,} rows libstats/floor <= {TARGET_RATIO} (stated for 10M), at "
          f"{LARGE_ROWS:,} <= {LARGE_RATIO}; peak RSS <= {TARGET_RSS_BYTES / 1e6:,.0f} MB; "
          f"with --baseline, pandas + hmac / libstats >= {TARGET_BASELINE} (above "
          f"{SMALL_ROWS:,} rows).")
    if results:
        print(f"floor: {results[0]['floor_description']}")
    for r in results:
        if "work_floor" in r:
            w = r["work_floor"]
            said = (f"{w['wall_s']:.2f} s, {r['ratio_work_floor_to_floor']}x the floor; "
                    f"libstats is {r['ratio_libstats_to_work_floor']}x the work floor"
                    if r["ratio_work_floor_to_floor"] and r["ratio_libstats_to_work_floor"]
                    else "FAILED")
            print(f"work floor ({r['rows']:,} rows; the outputs made the cheapest way found, "
                  f"no check): {said}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, action="append", required=True,
                   help="rows to benchmark; repeat for several sizes (e.g. --rows 1000000 "
                        "--rows 10000000)")
    p.add_argument("--repeat", type=int, default=1,
                   help="timed runs of each command per size; the median wall time is "
                        "reported (default 1)")
    p.add_argument("--keep", action="store_true",
                   help="keep the floor's Parquet file and libstats' output folder "
                        "(benchmarks/out/floor_N.parquet, benchmarks/out/bench_N)")
    p.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    p.add_argument("--floor", choices=sorted(FLOOR_VARIANTS), default="default",
                   help="floor variant: 'default' (DuckDB's read_csv defaults, typed columns; "
                        "the reference) or 'varchar' (all_varchar = true)")
    p.add_argument("--baseline", action="store_true",
                   help="also time baseline_pandas_hmac.py: pandas + Python hmac per row, "
                        "the same pseudonymized output shape")
    p.add_argument("--work-floor", action="store_true",
                   help="also time work_floor.py: the outputs made the cheapest way found, "
                        "with no check (stage once, counts, borrowers, twelve sorted "
                        "monthly files)")
    p.add_argument("--steps", action="store_true",
                   help="run libstats without -q and report the time of each progress step")
    p.add_argument("--libstats-arg", action="append", default=[], metavar="ARG",
                   help="extra argument for `libstats run`, e.g. --libstats-arg=--threads=2 "
                        "(repeatable)")
    p.add_argument("--no-warm", action="store_true",
                   help="do not read the CSV into the page cache before each timed run")
    p.add_argument("--tag", help="write results_N_TAG.json instead of results_N.json (for "
                                 "variants, e.g. --tag memlimit)")
    p.add_argument("--timeout", type=float, help="kill a timed command after this many seconds")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")

    OUT.mkdir(parents=True, exist_ok=True)
    try:
        key = new_key()
    except (OSError, RuntimeError, ImportError) as exc:
        print(f"bench_run: cannot create a key: {exc}", file=sys.stderr)
        return 1

    results, failed = [], False
    for rows in args.rows:
        try:
            res = bench_one(rows, args, key)
        except Exception as exc:  # generation or setup: no figures for this size
            print(f"bench_run: {rows:,} rows: preparing the data failed: "
                  f"{type(exc).__name__}: {exc}", file=sys.stderr)
            return 2
        results.append(res)
        path = OUT / (f"results_{rows}_{args.tag}.json" if args.tag
                      else f"results_{rows}.json")
        path.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
        print(f"  figures: {path.relative_to(REPO)}", flush=True)
        failed |= not (res["floor"]["ok"] and res["libstats"]["ok"]
                       and res.get("work_floor", {"ok": True})["ok"])
    print_table(results)
    if failed:
        print("\nat least one command FAILED; see the stderr lines above and the logs in "
              f"{(OUT / 'logs').relative_to(REPO)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
