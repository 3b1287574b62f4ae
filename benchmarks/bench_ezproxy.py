"""Benchmark the e-resource pipeline on a year of generated EZproxy logs against DuckDB floors.

For each ``--lines N`` (default 10M):

1. generate ``benchmarks/data/ezproxy_N/`` unless it is already there (``gen_ezproxy.py``: 365
   daily ``logs/ezproxy-YYYYMMDD.log`` files in two LogFormats and ``library.toml``; not timed);
2. timed, each in its own fresh process, after reading the files once into the page cache:
   (a) floor "read": DuckDB reads every file as lines (the same ``read_csv`` settings libstats
       uses) and counts them: the least any job that looks at every line must spend;
   (b) floor "read + parse": the same read, every line matched against the source's LogFormats
       with libstats' own RE2 patterns (``regexp_extract`` into a struct, the second format only
       where the first did not match), stored in a table: the least a job that parses the
       lines must spend;
   (c) ``libstats run library.toml --period FY2025`` (progress lines kept, turned into a
       per-step breakdown): read, parse, quarantine bad lines, sessions on keyed tokens,
       robots, double-clicks, databases, publish, leak checks, release;
3. print lines/s, wall time, peak RSS (``os.wait4`` of that child, as ``bench_run.py``) and the
   ratio of libstats to each floor, and write ``benchmarks/out/ezproxy_results_N.json``.

Exit status: 0 when every command ran (a report, not a pass/fail gate), 1 when one failed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import gen_ezproxy as gen  # noqa: E402
from bench_run import (  # noqa: E402
    OUT,
    REPO,
    libstats_command,
    machine_info,
    new_key,
    parse_steps,
    run_measured,
    warm_cache,
)

from libstats.readers.logformat import parse_log_format  # noqa: E402

DATA = HERE / "data"
PERIOD = "FY2025"
# `python -c FLOOR_CODE <glob> read` or `... <glob> parse <pattern> <groups> <time group>
# [<pattern> <groups> <time group>]...`; prints the counts it found.
FLOOR_CODE = r"""
import sys, duckdb
glob, variant, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
lit = lambda s: "'" + s.replace("'", "''") + "'"
con = duckdb.connect()
con.execute("SET enable_progress_bar = false")
lines = ("read_csv(" + lit(glob) + ", header = false, columns = {'line': 'VARCHAR'}, "
         "delim = '\x01', quote = '', escape = '', auto_detect = false, strict_mode = false, "
         "null_padding = true, compression = 'auto')")
if variant == "read":
    print(con.execute(f"SELECT count(line) FROM {lines}").fetchone()[0])
    sys.exit()
fmts = [(rest[i], int(rest[i + 1]), rest[i + 2]) for i in range(0, len(rest), 3)]
cols, tried = [], []
for k, (pattern, groups, tgroup) in enumerate(fmts):
    names = "[" + ", ".join(lit(f"g{j}") for j in range(groups)) + "]"
    ext = f"regexp_extract(line, {lit(pattern)}, {names})"
    cols.append(f"CASE WHEN {' AND '.join(tried)} THEN {ext} END AS m{k}" if tried
                else f"{ext} AS m{k}")
    tried.append(f"m{k}['{tgroup}'] = ''")
con.execute(f"CREATE TABLE parsed AS SELECT {', '.join(cols)} FROM {lines} "
            f"WHERE line IS NOT NULL AND trim(line) <> ''")
matched = " OR ".join(f"m{k}['{t}'] <> ''" for k, (_, _, t) in enumerate(fmts))
print(*con.execute(f"SELECT count(*), count(*) FILTER (WHERE {matched}) FROM parsed"
                   ).fetchone())
"""
FLOORS = {
    "read": "DuckDB read_csv of every line of every file (libstats' line-reader settings), "
            "counting them",
    "parse": "the same read, each line regexp_extract-ed with libstats' LogFormat patterns "
             "(new format, then the old one where it did not match) into an in-memory table",
}


def floor_args(cfg_formats: list[str]) -> list[str]:
    args = []
    for text in cfg_formats:
        fmt = parse_log_format(text)
        t = next(j for j, d in enumerate(fmt.directives) if d.field == "time")
        args += [fmt.pattern, str(len(fmt.directives)), f"g{t}"]
    return args


def ensure_data(lines: int, seed: int, gzip_share: float) -> tuple[Path, Path, dict]:
    folder = DATA / f"ezproxy_{lines}"
    if gen.is_current(folder, lines, seed, gzip_share):
        print(f"  data: {folder.relative_to(REPO)} (already generated)", flush=True)
    else:
        print(f"  data: generating {folder.relative_to(REPO)} ({lines:,} lines) ...",
              flush=True)
        gen.generate(lines, folder, seed, gzip_share, quiet=True)
    meta = json.loads(gen.meta_path_for(folder).read_text(encoding="utf-8"))
    return folder, gen.config_path_for(folder), meta


def _warm(files: list[Path]) -> None:
    for f in files:
        warm_cache(f)


def _say(what: str, rep: int, r: dict, lines: int) -> None:
    if r["ok"]:
        print(f"  {what:15s} #{rep}: {r['wall_s']:8.1f} s  {lines / r['wall_s']:>11,.0f} lines/s"
              f"  peak RSS {r['peak_rss_bytes'] / 1e6:7,.0f} MB"
              f"  load {r.get('load_avg_1m_before', 0):.1f} before"
              + (f"  ({r['found']})" if r.get("found") else ""), flush=True)
    else:
        why = "timed out" if r["timed_out"] else f"exit code {r['exit_code']}"
        print(f"  {what:15s} #{rep}: FAILED ({why}) after {r['wall_s']:.1f} s; last lines of "
              f"{r['stderr_log']}:", flush=True)
        for line in r.get("stderr_tail") or ["(empty)"]:
            print(f"      | {line}", flush=True)


def _side(lines: int, runs: list[dict], what: str) -> dict:
    ok = [r for r in runs if r["ok"]]
    side = {"what": what, "ok": len(ok) == len(runs), "runs": runs}
    if ok:
        wall = statistics.median(r["wall_s"] for r in ok)
        side.update(wall_s=round(wall, 3), lines_per_s=round(lines / wall),
                    peak_rss_bytes=max(r["peak_rss_bytes"] for r in ok))
    return side


def _manifest_counts(out_dir: Path) -> dict | None:
    path = out_dir / "published" / "ezproxy-bench" / PERIOD / "manifest.json"
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
        return m["eresources"]["sources"]["ezproxy"]
    except (OSError, ValueError, KeyError):
        return None


def bench(lines: int, args, key: str) -> dict:
    print(f"\n== {lines:,} EZproxy lines", flush=True)
    folder, cfg, meta = ensure_data(lines, args.seed, args.gzip_share)
    files = sorted((folder / "logs").glob("ezproxy-*.log*"))
    glob = str(folder / "logs" / "ezproxy-*.log*")
    print(f"  {len(files)} files, {meta['bytes'] / 1e9:.2f} GB; planted: "
          + ", ".join(f"{k} {v:,}" for k, v in meta["planted"].items()), flush=True)
    logs = OUT / "logs"
    out_dir = folder / "out"
    fargs = floor_args([gen.FORMAT_NEW, gen.FORMAT_OLD])
    env = dict(os.environ, **{gen.KEY_ENV: key})
    lib_cmd = [*libstats_command(), "run", str(cfg), "--period", PERIOD, *args.libstats_arg]
    runs: dict[str, list[dict]] = {"read": [], "parse": [], "libstats": []}
    for rep in range(1, args.repeat + 1):
        for variant in ("read", "parse"):
            _warm(files)
            load = os.getloadavg()[0]
            cmd = [sys.executable, "-c", FLOOR_CODE, glob, variant]
            cmd += fargs if variant == "parse" else []
            r = run_measured(cmd, env=None, log_prefix=logs / f"ezproxy_floor_{variant}_"
                             f"{lines}_r{rep}", timeout=args.timeout)
            r["load_avg_1m_before"] = round(load, 2)
            if r["ok"]:
                r["found"] = (REPO / r["stdout_log"]).read_text().strip()
            runs[variant].append(r)
            _say(f"floor {variant}", rep, r, lines)
        shutil.rmtree(out_dir, ignore_errors=True)
        _warm(files)
        load = os.getloadavg()[0]
        r = run_measured(lib_cmd, env=env, log_prefix=logs / f"ezproxy_libstats_{lines}_r{rep}",
                         timeout=args.timeout)
        r["load_avg_1m_before"] = round(load, 2)
        r["steps"] = parse_steps(REPO / r["stderr_log"], r["wall_s"])
        r["manifest"] = _manifest_counts(out_dir)
        runs["libstats"].append(r)
        _say("libstats", rep, r, lines)
        for s in r["steps"]:
            print(f"      [{s['at_s']:7.1f}s] {s['seconds']:8.2f}s  {s['step']}", flush=True)
        if r["manifest"]:
            m = r["manifest"]
            print(f"      lines {m['lines']:,}, bad {m['bad_lines']:,}, counted "
                  f"{m['counted']:,}, excluded " + ", ".join(
                      f"{k} {v:,}" for k, v in m["excluded"].items()), flush=True)
        if not args.keep:
            shutil.rmtree(out_dir, ignore_errors=True)

    result = {
        "lines": lines, "files": len(files), "bytes": meta["bytes"],
        "gzip_share": args.gzip_share, "generator": meta, "machine": machine_info(),
        "floor_read": _side(lines, runs["read"], FLOORS["read"]),
        "floor_parse": _side(lines, runs["parse"], FLOORS["parse"]),
        "libstats": _side(lines, runs["libstats"], "libstats run " + PERIOD),
    }
    lw = result["libstats"].get("wall_s")
    for f in ("floor_read", "floor_parse"):
        fw = result[f].get("wall_s")
        result[f"ratio_to_{f}"] = round(lw / fw, 2) if lw and fw else None
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"ezproxy_results_{lines}.json"
    path.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")

    print(f"\n  {'':12s} {'wall s':>8s} {'lines/s':>11s} {'peak RSS MB':>12s} "
          f"{'libstats / this':>16s}")
    for name, label in (("floor_read", "floor read"), ("floor_parse", "floor parse"),
                        ("libstats", "libstats")):
        s = result[name]
        ratio = result.get(f"ratio_to_{name}")
        if s.get("wall_s"):
            print(f"  {label:12s} {s['wall_s']:8.1f} {s['lines_per_s']:11,} "
                  f"{s['peak_rss_bytes'] / 1e6:12,.0f} "
                  f"{(f'{ratio:.2f}x' if ratio else ''):>16s}")
        else:
            print(f"  {label:12s} FAILED")
    print(f"  figures: {path.relative_to(REPO)}", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", type=int, nargs="+", default=[10_000_000],
                   help="log lines to benchmark (default 10,000,000); several sizes allowed")
    p.add_argument("--repeat", type=int, default=1,
                   help="timed runs of each command; the median wall time is reported")
    p.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    p.add_argument("--gzip-share", type=float, default=0.0,
                   help="share of the daily files written as .log.gz (default 0)")
    p.add_argument("--libstats-arg", action="append", default=[], metavar="ARG",
                   help="extra argument for `libstats run` (repeatable), e.g. "
                        "--libstats-arg=--threads=2")
    p.add_argument("--keep", action="store_true",
                   help="keep libstats' output folder (benchmarks/data/ezproxy_N/out)")
    p.add_argument("--timeout", type=float, help="kill a timed command after this many seconds")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    key = new_key()
    results = [bench(n, args, key) for n in args.lines]
    return 0 if all(r[s]["ok"] for r in results
                    for s in ("floor_read", "floor_parse", "libstats")) else 1


if __name__ == "__main__":
    sys.exit(main())
