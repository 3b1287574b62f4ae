"""The baseline: what a library could write without libstats, in pandas with Python's ``hmac``
per row, making the same pseudonymized output shape as a libstats run of a Koha
``statistics`` export.

    .venv/bin/python benchmarks/baseline_pandas_hmac.py <stats.csv> <out folder>

``bench_run.py --baseline`` runs it in a fresh process beside the floor and libstats (the key
from ``LIBSTATS_BENCH_KEY``, as libstats reads it). Steps:

1. ``pandas.read_csv`` of every column as text;
2. the day parsed, Koha's ``type`` mapped to the event (issue → checkout, renew → renewal,
   return → checkin, localuse → in_library_use; other types dropped), the borrower replaced by
   a keyed token: ``hmac.new(key, borrowernumber, sha256)`` per row in Python (the way such a
   script is usually written), the borrower number and free text (``value``, ``other``) left out;
3. counts by month, branch and event, distinct tokens by month and branch (CSV);
4. twelve monthly Parquet files (pyarrow, pandas' default writer): day, month, branch, event,
   itemtype, ccode, location, categorycode, patron token.

None of libstats' checks (validation with file and line, classification, suppression, leak
scans, GX suites, manifest) is made: the baseline is only the outputs.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sys
import time
from pathlib import Path

import pandas as pd

EVENTS = {"issue": "checkout", "renew": "renewal", "return": "checkin",
          "localuse": "in_library_use"}


def main(csv: str, out: str) -> None:
    key = os.environ.get("LIBSTATS_BENCH_KEY", "baseline-key").encode("utf-8")
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()

    def say(what: str, t: float) -> None:
        print(f"{time.perf_counter() - t:6.2f} s  {what}", flush=True)

    t = time.perf_counter()
    df = pd.read_csv(csv, dtype=str, keep_default_na=False)
    say("read_csv", t)
    t = time.perf_counter()
    df["ev"] = df["type"].map(EVENTS)
    df = df[df["ev"].notna()].copy()
    df["d"] = pd.to_datetime(df["datetime"], format="%Y-%m-%d %H:%M:%S").dt.date
    df["month"] = df["datetime"].str[:7]

    def token(b: str) -> str | None:
        return hmac.new(key, b.encode("utf-8"), hashlib.sha256).hexdigest()[:32] if b else None

    df["patron"] = [token(b) for b in df["borrowernumber"]]
    events = df[["d", "month", "branch", "ev", "itemtype", "ccode", "location", "categorycode",
                 "patron"]]
    say("events and tokens", t)
    t = time.perf_counter()
    events.groupby(["month", "branch", "ev"]).size().rename("n").reset_index() \
        .to_csv(out_dir / "counts.csv", index=False)
    events[events["ev"].isin(["checkout", "renewal"])].groupby(["month", "branch"])["patron"] \
        .nunique().rename("borrowers").reset_index().to_csv(out_dir / "borrowers.csv",
                                                            index=False)
    say("counts", t)
    t = time.perf_counter()
    for month, part in events.groupby("month", sort=True):
        part.to_parquet(out_dir / f"{month}.parquet", index=False)
    say("twelve monthly files", t)
    say("total after imports", t0)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    main(sys.argv[1], sys.argv[2])
