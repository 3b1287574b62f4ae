"""The manifest of a run: inputs by hash, row counts, versions, key ids (never keys), every
check with its threshold and result, and the legal basis of each table."""

from __future__ import annotations

import sys

import duckdb

import libstats
from libstats import release
from libstats.legal import LEGAL_CLAUSES
from libstats.schema import PUBLISHED_TABLES


def package_versions() -> dict:
    import great_expectations
    import pandas
    import pyarrow
    return {"python": ".".join(map(str, sys.version_info[:3])), "duckdb": duckdb.__version__,
            "pandas": pandas.__version__, "pyarrow": pyarrow.__version__,
            "great_expectations": great_expectations.__version__,
            "libstats": libstats.__version__}


def build_manifest(config, period, pkey, loaded, rows, frames, pz_tables, checks) -> dict:
    inputs = []
    for ing in loaded:
        for f in ing.files:
            inputs.append({"source": ing.name, "format": ing.resolved.profile.name,
                           "file": config.display_path(f.path), "sha256": f.sha256,
                           "bytes": f.bytes, "rows_in": f.rows, "rows_rejected": 0})
    tables = []
    for name, frame in frames.items():
        spec = PUBLISHED_TABLES[name]
        tables.append({"name": name, "grain": spec.grain, "rows": int(len(frame)),
                       "columns": [{"name": c, "type": t} for c, t in spec.columns],
                       "suppressed_cells": int(frame["suppressed"].sum()),
                       "legal_basis": list(spec.legal_basis)})
    return {
        "manifest_version": 1,
        "libstats_version": libstats.__version__,
        "library": {"name": config.library_name, "slug": config.library_slug},
        "period": {"label": period.label, "fiscal_year": period.fiscal_year_label,
                   "start": period.start.isoformat(), "end": period.end.isoformat()},
        "config_sha256": release.sha256_path(config.path),
        "packages": package_versions(),
        "key_ids": {period.key_period: pkey.key_id},
        "inputs": inputs,
        "rows": rows,
        "suppression": {"threshold": config.threshold,
                        "rule": f"counts from 1 to {config.threshold} are withheld (value "
                                f"empty, suppressed = true); zeros are published"},
        "leak_scan": {"not_identifiers": sorted(
                          f"{i.name}.{c}" for i in loaded for c in i.header
                          if i.resolved.roles.get(c) == "drop" and not i.resolved.scanned(c)),
                      "min_whole_length": config.min_whole_length,
                      "min_substring_length": config.min_substring_length,
                      "exempt_columns": list(config.leak_scan_exempt)},
        "tables": tables,
        # The full text of each clause the tables name (by short reference), once.
        "legal_clauses": {ref: LEGAL_CLAUSES[ref] for ref in
                          sorted({b for t in tables for b in t["legal_basis"]})},
        "pseudonymized": pz_tables,
        "checks": sorted((c.to_dict() for c in checks),
                         key=lambda c: (c["zone"], c["table"], c["column"] or "", c["check"])),
    }
