"""The vendors' COUNTER Release 5 reports of the demo year, under ``eresources/counter/``.

Figures are scaled from the clicks in the EZproxy log and spread over the months with the demo's
seasonality. Planted: ``TDM`` rows, a second database on the platform that is not configured,
vendor names that differ from the configured ones, zero months omitted from JSON, a CSV title
with a comma, and an empty report with exception 3030.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from faker import Faker

from libstats.demo.eresources.settings import ASP, COUNTER_FILES, HERITAGE, LINGUA, MEDREF, NEWS
from libstats.demo.eresources.reports import (H1, H2, header_rows, isbn13, month_column,
                                              monthly_series, registry_record, report_row,
                                              write_json, write_tabular)

#: The metrics of the database reports (DR and DR_D1), in COUNTER's order.
_DATABASE_METRICS = ["Searches_Automated", "Searches_Federated", "Searches_Regular",
                     "Total_Item_Investigations", "Total_Item_Requests",
                     "Unique_Item_Investigations", "Unique_Item_Requests"]
_PR_METRICS = ["Searches_Platform", "Total_Item_Investigations", "Total_Item_Requests",
               "Unique_Item_Investigations", "Unique_Item_Requests",
               "Unique_Title_Investigations", "Unique_Title_Requests"]


class _Clicks:
    """The EZproxy log's clicks per (database, kind) over the year, as floats."""

    def __init__(self, actions: dict):
        self.actions = actions

    def __call__(self, db: int, kind: str) -> float:
        return float(self.actions.get((db, kind), 0))


def _dr_figures(rng: np.random.Generator, totals: dict, months: list[date]
                ) -> dict[str, list[int]]:
    """Monthly DR figures around the year's ``totals``; the unique metrics follow the totals."""
    f = {m: monthly_series(rng, t, months) for m, t in totals.items()}
    if "Total_Item_Investigations" in f:
        f["Total_Item_Investigations"] = [max(x, y) for x, y in zip(
            f["Total_Item_Investigations"], f.get("Total_Item_Requests", [0] * 6))]
        f["Unique_Item_Investigations"] = [int(x * 0.82)
                                           for x in f["Total_Item_Investigations"]]
    if "Total_Item_Requests" in f:
        f["Unique_Item_Requests"] = [int(x * 0.88) for x in f["Total_Item_Requests"]]
    return {m: f[m] for m in _DATABASE_METRICS if m in f}


def _ebscohost_totals(a: _Clicks) -> tuple[dict, dict]:
    """The year's DR totals of Academic Search Premier (configured) and Education Research
    Index (on the same platform, not configured)."""
    asp_total = {"Searches_Regular": a(ASP, "search") * 2.1,
                 "Searches_Automated": a(ASP, "search") * 0.4,
                 "Searches_Federated": 60.0,
                 "Total_Item_Investigations": (a(ASP, "view") + a(ASP, "full")) * 1.9,
                 "Total_Item_Requests": a(ASP, "full") * 1.7}
    eri_total = {"Searches_Regular": a(ASP, "search") * 0.35,
                 "Searches_Automated": a(ASP, "search") * 0.9,
                 "Total_Item_Investigations": a(ASP, "view") * 0.3,
                 "Total_Item_Requests": a(ASP, "full") * 0.05}
    return asp_total, eri_total


def _ebscohost_dr_r50(rng: np.random.Generator, out: Path, asp_total: dict, eri_total: dict
                      ) -> None:
    """EBSCOhost's DR for July-December 2024: R5.0 TSV, with a text-mining (TDM) project."""
    cols = ["Database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID", "Data_Type",
            "Access_Method", "Metric_Type",
            "Reporting_Period_Total"] + [month_column(m) for m in H1]
    body = []
    for name, pid, totals in (("Academic Search Premier", "EBSCO:aph", asp_total),
                              ("Education Research Index", "EBSCO:eri", eri_total)):
        lead = [name, "EBSCO Information Services", "ISNI:0000000122929813", "EBSCOhost", pid,
                "Database", "Regular"]
        for metric, vals in _dr_figures(rng, totals, H1).items():
            body.append(report_row(lead, metric, vals))
    tdm = [0, 0, 0, 118, 0, 0]                               # a text-mining project in October
    lead = ["Academic Search Premier", "EBSCO Information Services", "ISNI:0000000122929813",
            "EBSCOhost", "EBSCO:aph", "Database", "TDM"]
    body += [report_row(lead, "Total_Item_Investigations", tdm),
             report_row(lead, "Total_Item_Requests", tdm),
             report_row(lead, "Unique_Item_Investigations", tdm),
             report_row(lead, "Unique_Item_Requests", tdm)]
    hdr = header_rows("DR", "5", "EBSCO Information Services", "Proprietary:EBSCO:s8812345",
                      _DATABASE_METRICS, "Access_Method=Regular; TDM",
                      "Attributes_To_Show=Data_Type|Access_Method", H1, "2025-01-14T08:12:44Z")
    write_tabular(out / COUNTER_FILES["ebscohost_dr_r50"], hdr, cols, body, "\t")


def _ebscohost_dr_r51(rng: np.random.Generator, out: Path, asp_total: dict, eri_total: dict
                      ) -> None:
    """EBSCOhost's DR for January-June 2025: R5.1 COUNTER_SUSHI JSON (zero months omitted)."""
    items = []
    for name, pid, totals, dtype in (
            ("Academic Search Premier", "EBSCO:aph", asp_total, "Database_Aggregated"),
            ("Education Research Index", "EBSCO:eri", eri_total, "Database_AI")):
        aps = [{"Data_Type": dtype, "Access_Method": "Regular",
                "Performance": {metric: {f"{m:%Y-%m}": v for m, v in zip(H2, vals) if v}
                                for metric, vals in _dr_figures(rng, totals, H2).items()}}]
        if pid == "EBSCO:aph":
            aps.append({"Data_Type": dtype, "Access_Method": "TDM",
                        "Performance": {"Total_Item_Investigations": {"2025-03": 240},
                                        "Total_Item_Requests": {"2025-03": 240}}})
        items.append({"Database": name, "Item_ID": {"Proprietary": pid}, "Platform": "EBSCOhost",
                      "Publisher": "EBSCO Information Services",
                      "Publisher_ID": {"ISNI": ["0000000122929813"]},
                      "Attribute_Performance": aps})
    doc = {"Report_Header": {
        "Report_Name": "Database Master Report", "Report_ID": "DR", "Release": "5.1",
        "Institution_Name": "Riverbend County Library System",
        "Institution_ID": {"Proprietary": ["EBSCO:s8812345"]},
        "Report_Filters": {"Begin_Date": "2025-01-01", "End_Date": "2025-06-30",
                           "Access_Method": ["Regular", "TDM"]},
        "Report_Attributes": {"Attributes_To_Show": ["Data_Type", "Access_Method"]},
        "Created": "2025-07-09T06:30:12Z", "Created_By": "EBSCO Information Services",
        "Registry_Record": registry_record("EBSCO Information Services")},
        "Report_Items": items}
    write_json(out / COUNTER_FILES["ebscohost_dr_r51"], doc)


def _pr_figures(rng: np.random.Generator, a: _Clicks, months: list[date]
                ) -> dict[str, list[int]]:
    """NewsVault's monthly platform figures."""
    s = monthly_series(rng, a(NEWS, "search") * 1.6, months)
    req = monthly_series(rng, a(NEWS, "full") * 1.5, months)
    inv = [x + y for x, y in zip(req, monthly_series(rng, a(NEWS, "view") * 2.0, months))]
    return {"Searches_Platform": s, "Total_Item_Investigations": inv,
            "Total_Item_Requests": req,
            "Unique_Item_Investigations": [int(x * 0.85) for x in inv],
            "Unique_Item_Requests": [int(x * 0.9) for x in req],
            "Unique_Title_Investigations": [int(x * 0.6) for x in inv],
            "Unique_Title_Requests": [int(x * 0.6) for x in req]}


def _newsvault_pr_r50(rng: np.random.Generator, out: Path, a: _Clicks) -> None:
    """NewsVault's PR for July-December 2024: R5.0 JSON, one Performance entry per month."""
    perf = []
    for m in H1:
        nxt = (m.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        perf.append((m, nxt))
    f1 = _pr_figures(rng, a, H1)
    doc = {"Report_Header": {
        "Created": "2025-01-06T14:03:51Z", "Created_By": "Archival Press",
        "Customer_ID": "rcls-4471", "Report_ID": "PR", "Release": "5",
        "Report_Name": "Platform Master Report",
        "Institution_Name": "Riverbend County Library System",
        "Institution_ID": [{"Type": "Proprietary", "Value": "AP:rcls-4471"}],
        "Report_Filters": [{"Name": "Begin_Date", "Value": "2024-07-01"},
                           {"Name": "End_Date", "Value": "2024-12-31"},
                           {"Name": "Access_Method", "Value": "Regular"}],
        "Report_Attributes": [{"Name": "Attributes_To_Show", "Value": "Data_Type|Access_Method"}],
        "Exceptions": []},
        "Report_Items": [{
            "Platform": "NewsVault", "Data_Type": "Newspaper_or_Newsletter",
            "Access_Method": "Regular",
            "Performance": [
                {"Period": {"Begin_Date": b.isoformat(), "End_Date": e.isoformat()},
                 "Instance": [{"Metric_Type": k, "Count": v[i]} for k, v in f1.items() if v[i]]}
                for i, (b, e) in enumerate(perf)]}]}
    write_json(out / COUNTER_FILES["newsvault_pr_r50"], doc)


def _newsvault_pr_r51(rng: np.random.Generator, out: Path, a: _Clicks) -> None:
    """NewsVault's PR for January-June 2025: R5.1 CSV with a byte-order mark."""
    f2 = _pr_figures(rng, a, H2)
    cols = ["Platform", "Data_Type", "Access_Method", "Metric_Type",
            "Reporting_Period_Total"] + [month_column(m) for m in H2]
    body = [report_row(["NewsVault", "Newspaper_or_Newsletter", "Regular"], k, v)
            for k, v in f2.items()]
    hdr = header_rows("PR", "5.1", "Archival Press", "Proprietary:AP:rcls-4471", _PR_METRICS,
                      "Access_Method=Regular", "Attributes_To_Show=Data_Type|Access_Method",
                      H2, "2025-07-03T09:41:07Z")
    write_tabular(out / COUNTER_FILES["newsvault_pr_r51"], hdr, cols, body, ",", bom=True)


def _heritage_tr_b1(rng: np.random.Generator, r: random.Random, fake: Faker, out: Path,
                    a: _Clicks) -> None:
    """Heritage Roots' TR_B1 (family and town histories), TSV in both releases."""
    books = [(f"The {fake.last_name()} Family of {town}, {y}-{y + r.randint(80, 160)}",
              f"978{r.randint(0, 999_999_999):09d}")
             for town, y in zip(("Riverbend", "Millbrook Falls", "Cedar Ridge", "Northgate",
                                 "Ashford Landing", "Pine Hollow", "Stillwater", "East Hollow",
                                 "Hartwell", "Quarry Point", "Lantern Hill", "Wexcombe"),
                                range(1700, 1900, 16))]
    books = [(t, isbn13(i)) for t, i in books]
    share = rng.dirichlet(np.ones(len(books)) * 0.8)
    for key, months, rel, sep in (("heritage_tr_b1_r50", H1, "5", "\t"),
                                  ("heritage_tr_b1_r51", H2, "5.1", "\t")):
        cols = ["Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID", "ISBN",
                "Print_ISSN", "Online_ISSN", "URI", "Metric_Type",
                "Reporting_Period_Total"] + [month_column(m) for m in months]
        body = []
        for (title, isbn), s in zip(books, share):
            tir = monthly_series(rng, a(HERITAGE, "full") * 0.5 * s, months)
            if not any(tir):
                continue
            utr = [min(x, int(x * 0.7) + (1 if x else 0)) for x in tir]
            lead = [title, "Archival Press", "", "Heritage Roots", "",
                    f"AP:hrb{isbn[-3:]}", isbn, "", "", ""]
            body += [report_row(lead, "Total_Item_Requests", tir),
                     report_row(lead, "Unique_Title_Requests", utr)]
        hdr = header_rows("TR_B1", rel, "Archival Press", "Proprietary:AP:rcls-4471",
                          ["Total_Item_Requests", "Unique_Title_Requests"],
                          "Data_Type=Book; Access_Type=Controlled; Access_Method=Regular", "",
                          months, "2025-01-06T14:05:10Z" if rel == "5"
                          else "2025-07-03T09:44:31Z")
        write_tabular(out / COUNTER_FILES[key], hdr, cols, body, sep)


def _medref_tr_j1(rng: np.random.Generator, out: Path, a: _Clicks) -> None:
    """MedRef's TR_J1 (consumer-health journals): CSV R5.0 (a title with a comma), TSV R5.1."""
    journals = ["Heart, Lung & Vessels Today", "Family Health Letter", "Diabetes Self-Care",
                "Healthy Aging Review", "Child Health Monthly", "Nutrition Action Digest",
                "Arthritis Answers", "Mind & Mood", "Sleep Matters", "Women's Health Notes",
                "Men's Health Quarterly", "Allergy & Asthma Guide"]
    share = rng.dirichlet(np.ones(len(journals)))
    for key, months, rel, sep in (("medref_tr_j1_r50", H1, "5", ","),
                                  ("medref_tr_j1_r51", H2, "5.1", "\t")):
        cols = ["Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID",
                "Print_ISSN", "Online_ISSN", "URI", "Metric_Type",
                "Reporting_Period_Total"] + [month_column(m) for m in months]
        body = []
        for j, (title, s) in enumerate(zip(journals, share)):
            tir = monthly_series(rng, a(MEDREF, "full") * 1.4 * s, months)
            if not any(tir):
                continue
            uir = [int(x * 0.9) for x in tir]
            lead = [title, "MedRef Publishing", "", "MedRef Consumer", "", f"MR:j{j + 1:03d}",
                    f"1555-{1000 + 37 * j:04d}"[:9], f"1940-{2000 + 53 * j:04d}"[:9], ""]
            body += [report_row(lead, "Total_Item_Requests", tir),
                     report_row(lead, "Unique_Item_Requests", uir)]
        hdr = header_rows("TR_J1", rel, "MedRef Publishing", "Proprietary:MR:88231",
                          ["Total_Item_Requests", "Unique_Item_Requests"],
                          "Data_Type=Journal; Access_Type=Controlled; Access_Method=Regular", "",
                          months, "2025-01-10T11:00:00Z" if rel == "5"
                          else "2025-07-10T11:00:00Z")
        write_tabular(out / COUNTER_FILES[key], hdr, cols, body, sep)


def _lingualab_dr_d1(rng: np.random.Generator, r: random.Random, out: Path, a: _Clicks) -> None:
    """LinguaLab's DR_D1 (TSV R5.0, CSV R5.1) and the Kids product's empty 3030 report."""
    for key, months, rel, sep in (("lingualab_dr_d1_r50", H1, "5", "\t"),
                                  ("lingualab_dr_d1_r51", H2, "5.1", ",")):
        s = monthly_series(rng, a(LINGUA, "search") * 1.2, months)
        req = monthly_series(rng, a(LINGUA, "full") * 1.3, months)
        inv = [x + y for x, y in zip(req, monthly_series(rng, a(LINGUA, "view") * 1.5, months))]
        figs = {"Searches_Automated": [0] * 6, "Searches_Federated": [0] * 6,
                "Searches_Regular": s, "Total_Item_Investigations": inv,
                "Total_Item_Requests": req,
                "Unique_Item_Investigations": [int(x * 0.7) for x in inv],
                "Unique_Item_Requests": [int(x * 0.75) for x in req]}
        cols = ["Database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID",
                "Metric_Type", "Reporting_Period_Total"] + [month_column(m) for m in months]
        lead = ["LinguaLab Language Learning", "LinguaLab Inc.", "", "LinguaLab", "LL:main"]
        body = [report_row(lead, k, v) for k, v in figs.items()]
        hdr = header_rows("DR_D1", rel, "LinguaLab Inc.", "Proprietary:LL:riverbend-ct",
                          _DATABASE_METRICS, "Access_Method=Regular", "", months,
                          "2025-01-02T00:10:00Z" if rel == "5" else "2025-07-02T00:10:00Z")
        write_tabular(out / COUNTER_FILES[key], hdr, cols, body, sep)
    cols = ["Database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID",
            "Metric_Type", "Reporting_Period_Total"] + [month_column(m) for m in H2]
    hdr = header_rows("DR_D1", "5.1", "LinguaLab Inc.", "Proprietary:LL:riverbend-ct",
                      _DATABASE_METRICS, "Access_Method=Regular", "", H2,
                      f"2025-07-02T00:{r.randint(10, 59):02d}:{r.randint(0, 59):02d}Z",
                      exceptions="3030: No Usage Available for Requested Dates")
    write_tabular(out / COUNTER_FILES["lingualab_kids_dr_d1_r51"], hdr, cols, [], "\t")


def write_counter(rng: np.random.Generator, r: random.Random, fake: Faker, out: Path,
                  actions: dict) -> None:
    """Write every report of :data:`~libstats.demo.eresources.settings.COUNTER_FILES` under ``out``,
    its figures scaled from the clicks of the EZproxy log (``actions``)."""
    a = _Clicks(actions)
    asp_total, eri_total = _ebscohost_totals(a)
    _ebscohost_dr_r50(rng, out, asp_total, eri_total)
    _ebscohost_dr_r51(rng, out, asp_total, eri_total)
    _newsvault_pr_r50(rng, out, a)
    _newsvault_pr_r51(rng, out, a)
    _heritage_tr_b1(rng, r, fake, out, a)
    _medref_tr_j1(rng, out, a)
    _lingualab_dr_d1(rng, r, out, a)
