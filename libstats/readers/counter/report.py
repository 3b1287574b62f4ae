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
PERIOD = re.compile(r"Begin_Date\s*=\s*(\S+)\s*;\s*End_Date\s*=\s*(\S+)")
EXCEPTION_CODE = re.compile(r"(?:^|;)\s*([0-9]+)\s*:")
DIGITS = re.compile(r"[0-9]+")



class Report:
    """One file being read: where errors point, what its header said, the figures found."""

    def __init__(self, path: Path, file_no: int, source: str):
        self.path, self.file_no, self.source = path, file_no, source
        self.report_id = self.family = self.release = ""
        self.first = self.last = ""          # the reporting period's first and last month
        self.rows: list[tuple] = []
        self.newlines: list[int] = []        # JSON: offsets of "\n", for line numbers

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
        known = f"{value} is a COUNTER report libstats does not read; " if value in OTHER_IDS \
            else "unknown Report_ID (value not shown); "
        self.fail(known + "expected one of " + ", ".join(METRICS), line, column)

    def exception(self, code: int, line: int, column: str) -> None:
        if code != 3030:
            shown = code if code < 10000 else "(a code too long to be COUNTER's, not shown)"
            self.fail(f"the report carries COUNTER exception {shown}: only 3030 (No Usage "
                      f"Available for Requested Dates) is accepted; fetch the report again or "
                      f"leave it out", line, column)

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
    try:
        return date.fromisoformat(value) if _DATE.fullmatch(str(value)) else None
    except ValueError:
        return None


def as_text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
