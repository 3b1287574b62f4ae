"""Building blocks of the vendors' usage reports: the two half-years, COUNTER R5 layouts.

COUNTER reports come per half-year (R5.0 for July-December 2024, R5.1 for January-June 2025) as
TSV, CSV or COUNTER_SUSHI JSON; these helpers write their headers and tables, and draw monthly
figures with the demo's seasonality.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from libstats.demo.common import MONTH_ABBR, MONTH_WEIGHT

H1 = [date(2024, m, 1) for m in range(7, 13)]
H2 = [date(2025, m, 1) for m in range(1, 7)]
REPORT_NAMES = {"DR": "Database Master Report", "DR_D1": "Database Search and Item Usage",
                "PR": "Platform Master Report", "TR_B1": "Book Requests (Excluding OA_Gold)",
                "TR_J1": "Journal Requests (Excluding OA_Gold)"}
REPORT_NAMES_51 = dict(REPORT_NAMES, TR_B1="Book Requests (Controlled)",
                       TR_J1="Journal Requests (Controlled)")


def month_column(m: date) -> str:
    """A tabular report's month column, ``Jul-2024``."""
    return f"{MONTH_ABBR[m.month]}-{m.year}"


def header_rows(report_id: str, release: str, vendor: str, inst_id: str, metrics: list[str],
                filters: str, attributes: str, months: list[date], created: str,
                exceptions: str = "") -> list[list[str]]:
    """The header block of a tabular COUNTER report (R5.1 adds ``Registry_Record``)."""
    end = (months[-1].replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    rows = [["Report_Name", (REPORT_NAMES_51 if release == "5.1" else REPORT_NAMES)[report_id]],
            ["Report_ID", report_id], ["Release", release],
            ["Institution_Name", "Riverbend County Library System"],
            ["Institution_ID", inst_id], ["Metric_Types", "; ".join(metrics)],
            ["Report_Filters", filters], ["Report_Attributes", attributes],
            ["Exceptions", exceptions],
            ["Reporting_Period",
             f"Begin_Date={months[0].isoformat()}; End_Date={end.isoformat()}"],
            ["Created", created], ["Created_By", vendor]]
    if release == "5.1":
        rows.append(["Registry_Record", registry_record(vendor)])
    return rows


def registry_record(vendor: str) -> str:
    """A fictional COUNTER registry URL, stable for a vendor."""
    n = sum(ord(c) * (i + 1) for i, c in enumerate(vendor)) % 10 ** 8
    return f"https://registry.countermetrics.example/platform/{n:08d}-0000-4000-8000-000000000000"


def write_tabular(path: Path, header: list[list[str]], columns: list[str],
                  body: list[list[object]], sep: str, bom: bool = False) -> None:
    """Write a TSV (LF) or CSV (CRLF) report, maybe with a BOM: header, blank row, table."""
    buf = io.StringIO()
    if sep == "\t":
        for row in header:
            buf.write("\t".join(row) + "\n")
        buf.write("\n")
        buf.write("\t".join(columns) + "\n")
        for row in body:
            buf.write("\t".join(str(x) for x in row) + "\n")
    else:
        w = csv.writer(buf, lineterminator="\r\n")
        for row in header:
            w.writerow(row)
        buf.write("\r\n")
        w.writerow(columns)
        for row in body:
            w.writerow(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8"))


def monthly_series(rng: np.random.Generator, total: float, months: list[date], zero_p: float = 0.0
                   ) -> list[int]:
    """Monthly counts around total/12 a month with the demo's seasonality."""
    w = np.array([MONTH_WEIGHT[m.month] for m in months])
    lam = total / 12 * w
    vals = rng.poisson(lam)
    if zero_p:
        vals = np.where(rng.random(len(months)) < zero_p, 0, vals)
    return [int(v) for v in vals]


def report_row(lead: list[object], metric: str, vals: list[int]) -> list[object]:
    """A table row: the leading columns, the metric, the period total, the months."""
    return [*lead, metric, sum(vals), *vals]


def isbn13(body12: str) -> str:
    """An ISBN-13 from its first twelve digits (check digit computed)."""
    body12 = body12[:12]
    s = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body12))
    return body12 + str((10 - s % 10) % 10)


def write_json(path: Path, doc: dict) -> None:
    """Write a COUNTER_SUSHI JSON document (indented, UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
