"""COUNTER sources in the e-resource part of a run: overlaps refused, figures mapped to the
configured databases, and the manifest's COUNTER section (reports read, warnings, reports
quarantined)."""

from __future__ import annotations

from libstats.config import Config
from libstats.readers.counter import check_overlaps
from transforms import eresources as e


def stage_counter(con, config: Config, counter: list, progress=None) -> dict:
    """``int_counter_metrics`` and the manifest's ``counter``, ``counter_warnings``,
    ``counter_quarantined`` and ``counter_sources`` entries."""
    check_overlaps(con, counter)
    mapped = {c: d.name for d in config.eresources.databases for c in d.counter_names}
    con.execute("CREATE OR REPLACE TABLE int_counter_metrics AS " + e.int_counter_metrics(
        [(i.name, i.table) for i in counter], mapped))
    warnings = [{"source": i.name, "file": config.display_path(w["file"]), "line": w["line"],
                 "column": w["column"], "what": w["what"], "count": w["count"]}
                for i in counter for w in i.warnings]
    quarantined = [{"source": i.name, "file": config.display_path(q["file"]),
                    "line": q["line"], "column": q["column"], "problem": q["problem"]}
                   for i in counter for q in i.quarantined]
    sources = {i.name: {"reports": len(i.files), "reports_quarantined": len(i.quarantined),
                        "warnings": sum(w["count"] for w in i.warnings)} for i in counter}
    return {"counter": _counter_report(con, config, counter), "counter_warnings": warnings,
            "counter_quarantined": quarantined, "counter_sources": sources}


def _counter_report(con, config: Config, counter: list) -> list[dict]:
    reports = []
    for ing in counter:
        left_out = {q["file"] for q in ing.quarantined}
        for i, f in enumerate(ing.files):
            if f.path in left_out:
                continue
            row = con.execute(
                f"SELECT string_agg(DISTINCT report_id, ', ' ORDER BY report_id), "
                f"string_agg(DISTINCT release, ', ' ORDER BY release), min(month), max(month),"
                f" count(DISTINCT native_name) FROM {ing.table} WHERE __file = ?", [i]
            ).fetchone()
            reports.append({"source": ing.name, "file": config.display_path(f.path),
                            "report": row[0], "release": row[1], "first_month": row[2],
                            "last_month": row[3], "databases": int(row[4] or 0)})
    return reports
