"""Re-validate a published release folder (``libstats check RELEASE``).

What can be checked without the raw exports: every file's hash against the manifest, CSV and
Parquet holding the same table, the GX suite of each table (schema, types, small cells,
suppression flags, identifier patterns) and the DuckDB pattern scan. The exact-match scan needs
the raw identifiers, so it only runs inside ``libstats run``; its recorded result is in the
manifest.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from libstats.errors import InputError
from libstats.schema import PUBLISHED_TABLES
from reports.release import sha256_path
from transforms.sqlutil import lit


def _load(path: Path, spec) -> pd.DataFrame:
    df = pd.read_parquet(path)
    df["value"] = df["value"].astype("Int64")
    for col in df.columns:
        if col not in ("value", "suppressed"):
            df[col] = df[col].astype(object)
    return df


def check_release(folder: Path) -> tuple[list[str], int]:
    """Return (failure descriptions, number of checks run)."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise InputError(folder, "not a libstats release folder (no manifest.json)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError(manifest_path, "manifest.json is not valid JSON") from None
    failures: list[str] = []
    total = 0
    frames = {}
    threshold = int(manifest["suppression"]["threshold"])
    for table in manifest["tables"]:
        name = table["name"]
        spec = PUBLISHED_TABLES.get(name)
        total += 1
        if spec is None:
            failures.append(f"table '{name}': not a known published table")
            continue
        for kind in ("csv", "parquet"):
            total += 1
            entry = table.get("files", {}).get(kind)
            path = folder / entry["file"] if entry else None
            if path is None or not path.is_file():
                failures.append(f"table '{name}': {kind} file missing")
            elif sha256_path(path) != entry["sha256"]:
                failures.append(f"table '{name}': {kind} file does not match the manifest hash")
        pq_path = folder / "tables" / f"{name}.parquet"
        csv_path = folder / "tables" / f"{name}.csv"
        if not pq_path.is_file() or not csv_path.is_file():
            continue
        frame = _load(pq_path, spec)
        frames[name] = frame
        total += 1
        csv = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
        as_text = frame.astype(object).where(frame.notna(), "").astype(str)
        as_text["suppressed"] = frame["suppressed"].map({True: "true", False: "false"})
        if list(csv.columns) != list(frame.columns) or not csv.equals(as_text):
            failures.append(f"table '{name}': CSV and Parquet files differ")
    if frames:
        from expectations.leakscan import ScanTarget, scan_patterns
        from expectations.suites import validate_published
        results = validate_published(frames, threshold)
        con = duckdb.connect()
        targets = []
        for name in frames:
            path = folder / "tables" / f"{name}.parquet"
            targets.append(ScanTarget("published", name,
                                      f"SELECT * FROM read_parquet({lit(str(path))})"))
        results += scan_patterns(con, targets)
        con.close()
        total += len(results)
        failures += [r.describe() for r in results if not r.passed]
    return failures, total
