"""What a COUNTER R5 report may hold (report ids, metrics, columns, releases) and the
report being read: its header, its figures, and errors that point at file, line and column."""

from __future__ import annotations

import bisect
import re
from datetime import date
from pathlib import Path

from libstats.errors import InputError

COLUMNS = ["__file", "__line", "report_id", "report_family", "release", "native_name",
           "platform", "publisher", "data_type", "access_method", "metric_type", "month", "count"]
TYPES = {"__file": "INTEGER", "__line": "INTEGER", "count": "BIGINT"}   # others VARCHAR
HEADER = ["Report_Name", "Report_ID", "Release", "Institution_Name", "Institution_ID",
          "Metric_Types", "Report_Filters", "Report_Attributes", "Exceptions",
          "Reporting_Period", "Created", "Created_By", "Registry_Record"]   # last: R5.1 only
RELEASES = {"5": "5.0", "5.0": "5.0", "5.1": "5.1"}

_SEARCHES = {"Searches_Regular", "Searches_Automated", "Searches_Federated"}
_ITEMS = {"Total_Item_Investigations", "Total_Item_Requests", "Unique_Item_Investigations",
          "Unique_Item_Requests", "Unique_Title_Investigations", "Unique_Title_Requests"}
_DENIALS = {"Limit_Exceeded", "No_License"}
METRICS = {      # the Metric_Types each report may carry (the same in R5.0 and R5.1)
    "DR": _SEARCHES | _ITEMS | _DENIALS,
    "DR_D1": _SEARCHES | (_ITEMS - {"Unique_Title_Investigations", "Unique_Title_Requests"}),
    "PR": {"Searches_Platform"} | _ITEMS,
    "PR_P1": {"Searches_Platform", "Total_Item_Requests", "Unique_Item_Requests",
              "Unique_Title_Requests"},
    "TR": _ITEMS | _DENIALS,
    "TR_B1": {"Total_Item_Requests", "Unique_Title_Requests"},
    "TR_J1": {"Total_Item_Requests", "Unique_Item_Requests"},
}
ALL_METRICS = set().union(*METRICS.values())
# COUNTER R5 report ids libstats does not read: named in errors (they are codes, not data).
OTHER_IDS = {"DR_D2", "TR_B2", "TR_B3", "TR_J2", "TR_J3", "TR_J4", "IR", "IR_A1", "IR_M1"}
NAME_COLUMN = {"DR": "Database", "PR": "Platform", "TR": "Title"}
ATTRIBUTES = {"Data_Type", "Section_Type", "YOP", "Access_Type", "Access_Method", "Format",
               "Institution_Name", "Customer_ID", "Country_Name", "Country_Code",
               "Subdivision_Name", "Subdivision_Code", "Attributed"}
BODY_COLUMNS = {  # besides Metric_Type, Reporting_Period_Total and the months
    "DR": {"Database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID"} | ATTRIBUTES,
    "PR": {"Platform"} | ATTRIBUTES,
    "TR": {"Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID", "ISBN",
           "Print_ISSN", "Online_ISSN", "URI"} | ATTRIBUTES,
}
MONTHS = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"], start=1)}
MONTH_HEADING = re.compile(r"([A-Z][a-z]{2})-([0-9]{4})")
YEAR_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")
# Reporting_Period as the Code of Practice writes it and as vendors do: "Begin_Date=2017-01-01;
# End_Date=2017-06-30" (any spacing, any case of the names) or "2017-01-01 to 2017-06-30"
# (also "-" or a dash between the dates); the dates may be yyyy-mm-dd or yyyy-mm.
PERIODS = (
    re.compile(r"begin_?date\s*=\s*(\S+?)\s*[;,]\s*end_?date\s*=\s*(\S+?)\s*;?", re.I),
    re.compile(r"([0-9]{4}-[0-9]{2}(?:-[0-9]{2})?)\s*(?:to|–|—|-|/)\s*"
               r"([0-9]{4}-[0-9]{2}(?:-[0-9]{2})?)", re.I),
)
EXCEPTION_CODE = re.compile(r"(?:^|;)\s*([0-9]+)\s*:")
DIGITS = re.compile(r"[0-9]+")
# The exceptions a report may carry and still be read (HTTP status 200 in COUNTER R5.1 Code of
# Practice Appendix D, Table D.1; severity "Warning" in R5.0 Appendix F, Table F.1). Codes
# 0 (info/debug) and 1-999 (the vendor's own warnings) are warnings too; 3030 (No Usage
# Available for Requested Dates) is an empty report. Every other code stops: 1000-1030
# (service not available or busy, queued, too many requests, insufficient information),
# 2000-2030 (not authorized, API key), 3000-3020 (report not supported, invalid dates).
WARNING_EXCEPTIONS = {
    3031: "Usage Not Ready for Requested Dates",
    3032: "Usage No Longer Available for Requested Dates",
    3040: "Partial Data Returned",
    3050: "Parameter Not Recognized in this Context",
    3060: "Invalid ReportFilter Value",
    3061: "Incongruous ReportFilter Value",
    3062: "Invalid ReportAttribute Value",
    3063: "Components Not Supported",
    3070: "Required ReportFilter Missing",
}



class Report:
    """One file being read: where errors point, what its header said, the figures found."""

    def __init__(self, path: Path, file_no: int, source: str):
        self.path, self.file_no, self.source = path, file_no, source
        self.report_id = self.family = self.release = ""
        self.first = self.last = ""          # the reporting period's first and last month
        self.rows: list[tuple] = []
        self.newlines: list[int] = []        # JSON: offsets of "\n", for line numbers
        self.warnings: list[dict] = []       # {line, column, what, count}
        self.staged: tuple | None = None   # (DuckDB table, SELECT of the figures, figures)

    def reset(self) -> None:
        """Forget what a first reading found (before reading the file again)."""
        self.report_id = self.family = self.release = self.first = self.last = ""
        self.rows, self.warnings, self.staged = [], [], None

    def fail(self, problem: str, line: int | None = None, column: str | None = None):
        raise InputError(self.path, problem, line=line, column=column, source=self.source)

    def line_of(self, obj) -> int:
        return bisect.bisect_left(self.newlines, getattr(obj, "pos", 0)) + 1

    def set_release(self, value, line: int, column: str) -> None:
        self.release = RELEASES.get(str(value).strip() if value is not None else "", "")
        if not self.release:
            self.fail("Release must be 5 (or 5.0) or 5.1", line, column)

    def set_report(self, value, line: int, column: str) -> None:
        value = value.strip() if isinstance(value, str) else ""
        if value in METRICS:
            self.report_id, self.family = value, value[:2]
            return
        known = (f"{value} is a COUNTER report libstats does not read (leave it out of the "
                 f"source's 'path'); ") if value in OTHER_IDS \
            else "unknown Report_ID (value not shown); "
        self.fail(known + "expected one of " + ", ".join(METRICS), line, column)

    def exception(self, code: int, line: int, column: str) -> None:
        """3030 (no usage) is an empty report; the informational exceptions are warnings for
        the steward report; every other code (errors, fatal ones, unknown ones) stops."""
        if code == 3030:
            return
        what = exception_warning(code)
        if what is not None:
            self.warn(line, column, f"COUNTER exception {code} ({what}): the report was read; "
                                    f"check the months it covers")
            return
        shown = code if code < 10000 else "(a code too long to be COUNTER's, not shown)"
        raise CounterStop(self.path, f"the report carries COUNTER exception {shown}, an error "
                          f"(Code of Practice R5.1 Appendix D): the report holds no usage to "
                          f"read; fetch the report again or leave it out", line=line,
                          column=column, source=self.source)

    def warn(self, line: int | None, column: str | None, what: str) -> None:
        """A warning for the run output and the steward report; one entry per file and kind,
        counted, with its first line."""
        for w in self.warnings:
            if w["what"] == what and w["column"] == column:
                w["count"] += 1
                return
        self.warnings.append({"line": line, "column": column, "what": what, "count": 1})

    def set_period(self, begin, end, line: int, column: str) -> None:
        first, last = as_date(begin), as_date(end)
        if first is None or last is None or last < first:
            self.fail("the reporting period needs Begin_Date and End_Date as yyyy-mm-dd dates, "
                      "Begin_Date not after End_Date", line, column)
        self.first, self.last = first.isoformat()[:7], last.isoformat()[:7]

    def check_month(self, month: str, line: int, column: str) -> None:
        if not self.first <= month <= self.last:
            self.fail("a month outside the report's reporting period", line, column)

    def metric(self, value, line: int, column: str) -> str:
        if value in METRICS[self.report_id]:
            return value
        if value in ALL_METRICS:
            self.fail(f"{value} is not a metric of {self.report_id} reports", line, column)
        self.fail("unknown metric: not a COUNTER R5 Metric_Type (value not shown)", line, column)

    def count(self, value, line: int, column: str) -> int:
        if isinstance(value, (str, int)) and not isinstance(value, bool) \
                and DIGITS.fullmatch(str(value)):
            return int(value)
        self.fail("a count must be a whole number ≥ 0", line, column)

    def add(self, line: int, native: str, attrs: dict, metric: str, month: str, n: int):
        self.rows.append((self.file_no, line, self.report_id, self.family, self.release,
                          native, as_text(attrs.get("Platform")), as_text(attrs.get("Publisher")),
                          as_text(attrs.get("Data_Type")), as_text(attrs.get("Access_Method")),
                          metric, month, n))


def as_date(value) -> date | None:
    """A yyyy-mm-dd date, or yyyy-mm (its first day, for a period's months)."""
    value = str(value).strip()
    if _MONTH.fullmatch(value):
        value += "-01"
    try:
        return date.fromisoformat(value) if _DATE.fullmatch(value) else None
    except ValueError:
        return None


def parse_period(value: str) -> tuple[str, str] | None:
    """Begin and end of a tabular Reporting_Period in any of the forms of ``PERIODS``."""
    for form in PERIODS:
        m = form.fullmatch(value.strip())
        if m:
            return m.group(1), m.group(2)
    return None


def exception_warning(code: int) -> str | None:
    """The meaning of an informational COUNTER exception (a warning), None for the others."""
    if code == 0:
        return "an informational message of the vendor"
    if 1 <= code <= 999:
        return "a warning of the vendor"
    return WARNING_EXCEPTIONS.get(code)


def header_key(name: str) -> str:
    """A column or header name with case, spaces and underscores ignored."""
    return re.sub(r"[\s_]+", "", name).lower()


class CounterStop(InputError):
    """A report that must stop the run even when broken reports are only quarantined (an
    error exception: the vendor says the report is not a report of usage)."""


def as_text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
