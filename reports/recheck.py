"""Re-validate a published release folder (``libstats check RELEASE``).

What can be checked without the raw exports: every file against SHA256SUMS (changed, missing
or added files), identifier patterns in the text of every file, every table's hash against
the manifest, CSV and
Parquet holding the same table, the GX suite of each table (schema, types, small cells,
suppression flags, identifier patterns), the DuckDB pattern scan, and the disclosure audit
(no withheld cell can be narrowed below the protection interval from the release's figures;
the run also counts the earlier releases of the fiscal year). The exact-match scan needs
the raw identifiers, so it only runs inside ``libstats run``; its recorded result is in the
manifest.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pandas as pd

from expectations.patterns import PATTERNS, python_matcher
from libstats.errors import InputError
from libstats.release import SUMS, sha256_path
from libstats.schema import PUBLISHED_TABLES, as_published_frame
from libstats.sql import lit

_HASHES = re.compile(r"\b[0-9a-f]{64}\b|\bkid-[0-9a-f]{16}\b|\bdpin-[0-9a-f]{32}\b")


def _check_sums(folder: Path) -> list[str]:
    """Every file is listed in SHA256SUMS with its hash, and nothing else is there."""
    sums = folder / SUMS
    if not sums.is_file():
        return [f"{SUMS} is missing: cannot tell whether files were added or changed"]
    listed = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        listed[name] = digest
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*")
               if p.is_file() and p.name != SUMS}
    problems = [f"file '{n}' is not part of the release (not in {SUMS})"
                for n in sorted(present - set(listed))]
    problems += [f"file '{n}' is missing" for n in sorted(set(listed) - present)]
    problems += [f"file '{n}' was changed (hash differs from {SUMS})"
                 for n in sorted(present & set(listed))
                 if sha256_path(folder / n) != listed[n]]
    return problems


def _scan_text_files(folder: Path) -> list[str]:
    """The identifier patterns over the text of every CSV, JSON and HTML file (hashes and key
    ids, which libstats writes itself, are blanked first). Names files and patterns only."""
    problems = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in (".csv", ".json", ".html", ".txt"):
            continue
        text = _HASHES.sub(" ", path.read_text(encoding="utf-8", errors="replace"))
        for name in PATTERNS:
            n = len(python_matcher(name).findall(text))
            if n:
                problems.append(f"file '{path.relative_to(folder).as_posix()}': {n} value(s) "
                                f"matching the {name} pattern")
    return problems


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
    total += 1
    failures += _check_sums(folder)
    total += 1
    failures += _scan_text_files(folder)
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
        frame = as_published_frame(pd.read_parquet(pq_path), spec)
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
        noisy = set(manifest.get("differential_privacy", {}).get("tables", {}))
        period = manifest.get("period", {})
        open_totals = period.get("label") == period.get("fiscal_year")
        results = validate_published(frames, threshold, noisy=noisy, open_totals=open_totals)
        con = duckdb.connect()
        targets = []
        for name in frames:
            path = folder / "tables" / f"{name}.parquet"
            targets.append(ScanTarget("published", name,
                                      f"SELECT * FROM read_parquet({lit(str(path))})"))
        results += scan_patterns(con, targets)
        con.close()
        # The disclosure audit needs only what is published: can a withheld cell be narrowed?
        from transforms.disclosure.audit import audit_published
        interval = int(manifest.get("disclosure", {}).get("protection_interval", threshold))
        earlier, problems = _earlier_releases(folder, manifest)
        failures += problems
        total += 1
        try:
            audit = audit_published({n: f for n, f in frames.items() if n not in noisy},
                                    interval, open_totals=open_totals, earlier=earlier)
            results += audit.checks()
            listed = manifest.get("disclosure", {}).get("tables", {})
            for name, kinds in audit.relations.items():
                if name in listed and "relations" in listed[name] and \
                        listed[name]["relations"] != kinds:
                    failures.append(f"table '{name}': the relations the audit derives differ "
                                    f"from those the manifest lists")
        except ValueError as exc:
            failures.append(f"disclosure audit: {exc}")
        total += len(results)
        failures += [r.describe() for r in results if not r.passed]
    if manifest.get("annual_reports"):
        total += 1
        failures += _check_annual(folder, manifest, frames)
    return failures, total


def _earlier_releases(folder: Path, manifest: dict) -> tuple[list, list[str]]:
    """The earlier public releases the manifest says the audit used, read from the published
    folder beside this release (their manifests must be the ones recorded)."""
    from libstats.release import sha256_path
    from transforms.disclosure.cells import Earlier
    listed = manifest.get("disclosure", {}).get("earlier_releases") or []
    root = folder.parent.parent if folder.resolve().parent.name == ".versions" and \
        folder.parent.name == ".versions" else folder.parent
    this = manifest.get("period", {}).get("label")
    out, problems = [], []
    for e in listed:
        path = root / e["label"]
        mpath = path / "manifest.json"
        if not mpath.is_file():
            problems.append(f"earlier release '{e['label']}' that the disclosure audit used "
                            f"is not in the published folder beside this release")
            continue
        if sha256_path(mpath) != e["manifest_sha256"]:
            problems.append(f"earlier release '{e['label']}': its manifest is not the one "
                            f"the disclosure audit used")
            continue
        other = json.loads(mpath.read_text(encoding="utf-8"))
        noisy = set(other.get("differential_privacy", {}).get("tables", {}))
        frames = {}
        for t in other.get("tables", []):
            name = t["name"]
            pq = path / "tables" / f"{name}.parquet"
            if name in PUBLISHED_TABLES and name not in noisy and pq.is_file():
                frames[name] = as_published_frame(pd.read_parquet(pq), PUBLISHED_TABLES[name])
        period = other["period"]
        out.append(Earlier(e["label"], period["label"], frames,
                           same_period=period["label"] == this,
                           open_totals=period["label"] == period["fiscal_year"],
                           apart=frozenset(e.get("kept_apart", ()))))
    return out, problems


def _check_annual(folder: Path, manifest: dict, frames: dict) -> list[str]:
    """Every figure of every annual report equals the published cells the manifest says it
    came from (each present once and not withheld) or the sum its formula names, and the
    report's ae.csv holds the same figures. Names elements and cells, never values."""
    problems = []
    for form, rep in sorted(manifest["annual_reports"].items()):
        by_code = {e["code"]: e for e in rep["elements"]}
        for e in rep["elements"]:
            levels = ([("ae", e["ae"])] if "ae" in e else []) + sorted(
                e.get("outlets", {}).items())
            for level, fig in levels:
                where = f"annual report '{form}', element {e['code']} ({level})"
                cells = [c for c in fig.get("sources", []) if c.get("withheld")]
                if fig["status"] == "withheld" or cells:
                    if fig["status"] == "withheld" and (level == "ae"
                                                        or fig["value"] is not None):
                        problems.append(f"{where}: withheld figures are for outlets only "
                                        "and carry no value")
                    for s in cells:
                        frame = frames.get(s["table"])
                        hit = None if frame is None else frame[
                            (frame[list(s["where"])].astype(str)
                             == pd.Series(s["where"])).all(axis=1)]
                        if hit is None or len(hit) != 1 or not bool(hit["suppressed"].iloc[0]):
                            problems.append(f"{where}: reported withheld, but its cell in "
                                            f"{s['table']} is not withheld")
                    if fig["status"] == "missing" and fig["value"] != -1:
                        problems.append(f"{where}: missing but not reported as -1")
                    continue
                if fig["status"] == "missing":
                    if fig["value"] != -1:
                        problems.append(f"{where}: missing but not reported as -1")
                    continue
                if "settings" in fig:
                    vals = [s.get("value") for s in fig["settings"]]
                    if not all(isinstance(v, int) and v >= 0 for v in vals) or \
                            sum(vals) != fig["value"] or fig.get("sources"):
                        problems.append(f"{where}: does not equal the config settings it "
                                        "names")
                    continue
                if "formula" in fig:
                    parts = [by_code.get(t, {}) for t in fig["formula"].split(" + ")]
                    vals = [(p.get("ae") if level == "ae" else p.get("outlets", {}).get(level))
                            for p in parts]
                    if any(v is None for v in vals) or sum(v["value"] for v in vals) != \
                            fig["value"]:
                        problems.append(f"{where}: does not equal its formula")
                    continue
                total = 0
                for s in fig.get("sources", []):
                    frame = frames.get(s["table"])
                    if frame is None:
                        problems.append(f"{where}: table {s['table']} is not in the release")
                        continue
                    mask = pd.Series(True, index=frame.index)
                    for col, v in s["where"].items():
                        mask &= frame[col].astype(str) == v
                    rows = frame[mask]
                    if len(rows) != 1 or bool(rows["suppressed"].iloc[0]) or \
                            int(rows["value"].iloc[0]) != s["value"]:
                        problems.append(f"{where}: its cell in {s['table']} is not a "
                                        "published cell with the recorded figure")
                    total += s["value"]
                if total != fig["value"] or not fig.get("sources"):
                    problems.append(f"{where}: does not equal the sum of its cells")
        ae_csv = folder / "annual" / form / "ae.csv"
        if ae_csv.is_file():
            table = pd.read_csv(ae_csv, dtype=str, keep_default_na=False)
            for e in rep["elements"]:
                if "ae" in e and (e["code"] not in table.columns
                                  or table[e["code"]].tolist() != [str(e["ae"]["value"])]):
                    problems.append(f"annual report '{form}': ae.csv differs from the "
                                    f"manifest for element {e['code']}")
        else:
            problems.append(f"annual report '{form}': ae.csv is missing")
    return problems
