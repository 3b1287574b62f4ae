"""Read COUNTER R5.0 / R5.1 reports (docs/eresources.md §8) into ``raw_<source>``.

Reports DR, DR_D1, PR, PR_P1, TR, TR_B1, TR_J1 are small aggregates, parsed in Python. A file
whose first non-space character is ``{`` is JSON, anything else tabular.

**Tabular** (``.tsv`` tab-separated, ``.csv`` comma-separated with CSV quoting; other names: a
tab in the first line means TSV): rows 1-12 (R5.0) or 1-13 (R5.1 adds ``Registry_Record``) are
name/value pairs in columns A/B in a fixed order, then a blank row, the column headings (name
column, known COUNTER columns, ``Metric_Type``, ``Reporting_Period_Total``, ``Mmm-yyyy``
months) and one row per item, attribute set and metric.

**JSON** (COUNTER_SUSHI) ``{"Report_Header": {...}, "Report_Items": [...]}`` in two shapes:

* R5.0 (``Release`` "5"): ``Report_Filters`` a list of ``{Name, Value}``; items carry
  ``Data_Type`` / ``Access_Method`` and ``Performance: [{Period: {Begin_Date, End_Date},
  Instance: [{Metric_Type, Count}]}]``.
* R5.1 (``Release`` "5.1"): ``Report_Filters`` an object; items carry ``Attribute_Performance:
  [{Data_Type, Access_Method, ..., Performance: {metric: {"yyyy-mm": n}}}]``.

Every figure becomes one row: file, line, report, native (database) name, platform, publisher,
data type, access method, metric, month, count. Errors name the file, the line (tabular: the
row; JSON: the line where the offending object starts) and the column or field, plus COUNTER
names and exception codes, never a cell value or an exception's Message/Data.
"""

from __future__ import annotations

import bisect
import csv
import io
import json
import json.decoder
import json.scanner
import re
from datetime import date
from pathlib import Path

import pandas as pd

from libstats.errors import InputError
from libstats.profiles import ResolvedProfile
from libstats.readers.files import IngestedSource, hashed_files, sniff_binary
from libstats.sql import q

COLUMNS = ["__file", "__line", "report_id", "report_family", "release", "native_name",
           "platform", "publisher", "data_type", "access_method", "metric_type", "month", "count"]
_TYPES = {"__file": "INTEGER", "__line": "INTEGER", "count": "BIGINT"}   # others VARCHAR
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
_ATTRIBUTES = {"Data_Type", "Section_Type", "YOP", "Access_Type", "Access_Method", "Format",
               "Institution_Name", "Customer_ID", "Country_Name", "Country_Code",
               "Subdivision_Name", "Subdivision_Code", "Attributed"}
BODY_COLUMNS = {  # besides Metric_Type, Reporting_Period_Total and the months
    "DR": {"Database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID"} | _ATTRIBUTES,
    "PR": {"Platform"} | _ATTRIBUTES,
    "TR": {"Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID", "ISBN",
           "Print_ISSN", "Online_ISSN", "URI"} | _ATTRIBUTES,
}
_MONTHS = {m: i for i, m in enumerate(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"], start=1)}
_MONTH_HEADING = re.compile(r"([A-Z][a-z]{2})-([0-9]{4})")
_YEAR_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_PERIOD = re.compile(r"Begin_Date\s*=\s*(\S+)\s*;\s*End_Date\s*=\s*(\S+)")
_EXCEPTION_CODE = re.compile(r"(?:^|;)\s*([0-9]+)\s*:")
_DIGITS = re.compile(r"[0-9]+")


class CounterSource(IngestedSource):
    """A loaded ``counter_r5`` source: one row per figure; ``__file`` is the file's index in
    ``files`` and ``__line`` the figure's row (tabular) or the line its JSON object starts."""

    def locate(self, con, rowid: int, column: str | None = None) -> tuple[Path, int]:
        file_no, line = con.execute(f"SELECT __file, __line FROM {self.table} WHERE rowid = ?",
                                    [rowid]).fetchone()
        return self.files[int(file_no)].path, int(line)


class _Report:
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
        first, last = _date(begin), _date(end)
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
                and _DIGITS.fullmatch(str(value)):
            return int(value)
        self.fail("a count must be a whole number ≥ 0", line, column)

    def add(self, line: int, native: str, attrs: dict, metric: str, month: str, n: int):
        self.rows.append((self.file_no, line, self.report_id, self.family, self.release,
                          native, _text(attrs.get("Platform")), _text(attrs.get("Publisher")),
                          _text(attrs.get("Data_Type")), _text(attrs.get("Access_Method")),
                          metric, month, n))


def _date(value) -> date | None:
    try:
        return date.fromisoformat(value) if _DATE.fullmatch(str(value)) else None
    except ValueError:
        return None


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


# ---- tabular ----------------------------------------------------------------------------

def _rows(rep: _Report, text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """(starting line, stripped cells) of every record, blank ones included."""
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True,
                        quoting=quoting)
    rows, start = [], 1
    try:
        for row in reader:
            rows.append((start, [c.strip() for c in row]))
            start = reader.line_num + 1
    except csv.Error:
        rep.fail("the row cannot be parsed (bad CSV quoting)", start)
    return rows


def _read_tabular(rep: _Report, text: str, delimiter: str) -> None:
    rows = _rows(rep, text, delimiter)
    header: dict[str, tuple[str, int]] = {}
    size = 12
    for i, name in enumerate(HEADER):
        if i == size:
            break
        if i >= len(rows):
            rep.fail(f"the file ends inside the report header (at row {i + 1})", len(rows))
        line, row = rows[i][0], rows[i][1] + ["", ""]
        if row[0] != name:
            why = " (Release 5.1 has 13 header rows)" if i == 12 else ""
            rep.fail(f"header row {i + 1} must be named '{name}' in column A{why}", line, name)
        if any(row[2:]):
            rep.fail("a header row holds a name in column A and its value in column B only",
                     line, name)
        header[name] = (row[1], line)
        if name == "Release":
            rep.set_release(row[1], line, name)
            size = 13 if rep.release == "5.1" else 12
    rep.set_report(*header["Report_ID"], "Report_ID")
    value, line = header["Exceptions"]
    codes = _EXCEPTION_CODE.findall(value)
    if value and not codes:
        rep.fail("Exceptions is not in the form 'code: description'", line, "Exceptions")
    for code in codes:
        rep.exception(int(code), line, "Exceptions")
    value, line = header["Reporting_Period"]
    period = _PERIOD.fullmatch(value)
    rep.set_period(*(period.groups() if period else "--"), line, "Reporting_Period")
    if len(rows) > size and any(rows[size][1]):
        rep.fail(f"row {size + 1} must be blank: Release {rep.release} reports have {size} "
                 f"header rows", rows[size][0])
    if len(rows) <= size + 1:
        rep.fail("the file ends before the body's column headings", rows[-1][0])
    _read_body(rep, rows[size + 1], rows[size + 2:])


def _read_body(rep: _Report, headings_row, body) -> None:
    line, headings = headings_row
    while headings and not headings[-1]:
        headings.pop()
    name_col, family = NAME_COLUMN[rep.family], rep.family
    if not headings or headings[0] != name_col:
        rep.fail(f"the first column heading of a {family} report must be '{name_col}'", line,
                 name_col)
    months = []
    for i, heading in enumerate(headings):
        if headings.index(heading) != i:
            rep.fail("duplicate column heading", line, heading or f"#{i + 1}")
        month = _MONTH_HEADING.fullmatch(heading)
        if month and month[1] in _MONTHS:
            months.append((i, f"{month[2]}-{_MONTHS[month[1]]:02d}"))
            rep.check_month(months[-1][1], line, heading)
        elif heading not in BODY_COLUMNS[family] | {"Metric_Type", "Reporting_Period_Total"}:
            rep.fail(f"unknown column: not a COUNTER column of {family} reports", line,
                     heading or f"#{i + 1}")
    needed = ["Metric_Type", "Reporting_Period_Total"] + (["Platform"] if family == "TR" else [])
    for col in needed:
        if col not in headings:
            rep.fail("required column is missing", line, col)
    if not months:
        rep.fail("no month columns (Mmm-yyyy): was the report run with "
                 "Exclude_Monthly_Details=True?", line)
    native_col = "Platform" if family == "TR" else name_col
    for line, row in body:
        if not any(row):
            continue
        if any(row[len(headings):]):
            rep.fail("the row has more fields than there are column headings", line)
        cell = dict(zip(headings, row + [""] * (len(headings) - len(row))))
        for col in dict.fromkeys((name_col, native_col)):
            if not cell[col]:
                rep.fail("the name column is empty", line, col)
        metric = rep.metric(cell["Metric_Type"], line, "Metric_Type")
        counts = [(month, rep.count(cell[headings[i]], line, headings[i]))
                  for i, month in months]
        total = rep.count(cell["Reporting_Period_Total"], line, "Reporting_Period_Total")
        if total != sum(n for _, n in counts):
            rep.fail("Reporting_Period_Total is not the sum of the month columns", line,
                     "Reporting_Period_Total")
        for month, n in counts:
            rep.add(line, cell[native_col], cell, metric, month, n)


# ---- JSON -------------------------------------------------------------------------------

class _Object(dict):
    """A JSON object that remembers where its ``{`` was."""

    pos = 0


def _parse_object(s_and_end, *args):
    obj, end = json.decoder.JSONObject(s_and_end, *args)
    obj = _Object(obj)
    obj.pos = s_and_end[1] - 1
    return obj, end


class _Decoder(json.JSONDecoder):
    """The pure-Python scanner, with every object tagged with its position."""

    def __init__(self):
        super().__init__()
        self.parse_object = _parse_object
        self.scan_once = json.scanner.py_make_scanner(self)


def _read_json(rep: _Report, text: str) -> None:
    rep.newlines = [m.start() for m in re.finditer("\n", text)]
    try:
        doc = _Decoder().decode(text)
    except json.JSONDecodeError as exc:     # its msg names the syntax, not the data
        rep.fail(f"the file is not valid JSON ({exc.msg})", exc.lineno)
    head = doc.get("Report_Header") if isinstance(doc, dict) else None
    if not isinstance(head, dict):
        rep.fail("no Report_Header object: not a COUNTER_SUSHI report", rep.line_of(doc))
    line = rep.line_of(head)
    rep.set_release(head.get("Release"), line, "Release")
    rep.set_report(head.get("Report_ID"), line, "Report_ID")
    exceptions = head.get("Exceptions") or []
    for exc in exceptions if isinstance(exceptions, list) else [None]:
        code = str(exc.get("Code")) if isinstance(exc, dict) else ""
        if not _DIGITS.fullmatch(code):
            rep.fail("an exception without a numeric Code", line, "Exceptions")
        rep.exception(int(code), rep.line_of(exc), "Code")
    filters, fline = head.get("Report_Filters"), line
    if isinstance(filters, list):                 # R5.0: [{Name, Value}]
        pairs = [f for f in filters if isinstance(f, dict)]
        fline = next((rep.line_of(f) for f in pairs if f.get("Name") == "Begin_Date"), line)
        filters = {f.get("Name"): f.get("Value") for f in pairs}
    elif isinstance(filters, dict):               # R5.1: {Begin_Date, End_Date, ...}
        fline = rep.line_of(filters)
    else:
        filters = {}
    rep.set_period(filters.get("Begin_Date"), filters.get("End_Date"), fline, "Report_Filters")
    items = doc.get("Report_Items", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        rep.fail("Report_Items is not a list of objects", rep.line_of(doc), "Report_Items")
    for item in items:
        (_item_50 if rep.release == "5.0" else _item_51)(rep, item)


def _item_start(rep: _Report, item: dict, performance: str) -> tuple[str, list]:
    """Check an item's fields; its native name and performance list."""
    line, family = rep.line_of(item), rep.family
    for key in item:
        if key not in BODY_COLUMNS[family] | {"Item_ID", performance}:
            rep.fail(f"unknown field in a {family} R{rep.release} report item", line, key)
    native_col = "Platform" if family == "TR" else NAME_COLUMN[family]
    for col in dict.fromkeys((NAME_COLUMN[family], native_col)):
        if _text(item.get(col)) is None:
            rep.fail("missing or empty", line, col)
    entries = item.get(performance)
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        rep.fail("missing or not a list of objects", line, performance)
    return _text(item[native_col]), entries


def _item_50(rep: _Report, item: dict) -> None:
    native, entries = _item_start(rep, item, "Performance")
    for entry in entries:
        period, instances = entry.get("Period"), entry.get("Instance")
        eline = rep.line_of(entry)
        if not isinstance(period, dict):
            rep.fail("a Performance entry without a Period object", eline, "Period")
        first, last = _date(period.get("Begin_Date")), _date(period.get("End_Date"))
        if first is None or last is None or last < first or \
                (first.year, first.month) != (last.year, last.month):
            rep.fail("a Period must be one calendar month with yyyy-mm-dd dates "
                     "(Granularity=Totals is not read)", rep.line_of(period), "Period")
        month = first.isoformat()[:7]
        rep.check_month(month, rep.line_of(period), "Period")
        if not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances):
            rep.fail("missing or not a list of objects", eline, "Instance")
        for inst in instances:
            iline = rep.line_of(inst)
            metric = rep.metric(inst.get("Metric_Type"), iline, "Metric_Type")
            rep.add(iline, native, item, metric, month, rep.count(inst.get("Count"), iline,
                                                                  "Count"))


def _item_51(rep: _Report, item: dict) -> None:
    native, entries = _item_start(rep, item, "Attribute_Performance")
    for entry in entries:
        eline = rep.line_of(entry)
        for key in entry:
            if key not in (BODY_COLUMNS[rep.family] & _ATTRIBUTES) | {"Performance"}:
                rep.fail("unknown field in Attribute_Performance", eline, key)
        performance = entry.get("Performance")
        if not isinstance(performance, dict):
            rep.fail("missing or not an object", eline, "Performance")
        attrs = {**item, **entry}
        for metric, months in performance.items():
            rep.metric(metric, rep.line_of(performance), "Performance")
            if not isinstance(months, dict):
                rep.fail("not an object of month counts", rep.line_of(performance), metric)
            mline = rep.line_of(months)
            for month, n in months.items():
                if not _YEAR_MONTH.fullmatch(month):
                    rep.fail("a month key is not yyyy-mm", mline, metric)
                rep.check_month(month, mline, metric)
                rep.add(mline, native, attrs, metric, month, rep.count(n, mline, metric))


# ---- loading ----------------------------------------------------------------------------

def _read_file(rep: _Report) -> None:
    data = rep.path.read_bytes()
    sniff_binary(rep.path, data[:4096])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        rep.fail("the file is not UTF-8 text", data.count(b"\n", 0, exc.start) + 1)
    if text.lstrip()[:1] == "{":
        return _read_json(rep, text)
    suffix = rep.path.suffix.lower()
    tab = suffix == ".tsv" or (suffix != ".csv" and "\t" in text.split("\n", 1)[0])
    _read_tabular(rep, text, "\t" if tab else ",")


def load_counter(con, resolved: ResolvedProfile, files: list[Path],
                 progress=None) -> CounterSource:
    """Read, check and load every report of a ``counter_r5`` source into ``raw_<name>``."""
    src = resolved.source
    table = f"raw_{src.name}"
    infos = hashed_files(files, src)
    ing = CounterSource(resolved, table, list(COLUMNS), stored=[])
    ing.files = infos
    rows: list[tuple] = []
    for n, (path, info) in enumerate(zip(files, infos)):
        rep = _Report(path, n, src.name)
        _read_file(rep)
        info.first_rowid, info.rows = len(rows), len(rep.rows)
        rows += rep.rows
        if progress:
            progress(f"read {path.name}: {rep.report_id} R{rep.release}, "
                     f"{info.rows:,} figures")
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"CREATE TABLE {table} ("
                + ", ".join(f"{q(c)} {_TYPES.get(c, 'VARCHAR')}" for c in COLUMNS) + ")")
    if rows:
        frame = pd.DataFrame(rows, columns=COLUMNS)
        con.register(f"_{table}_frame", frame)
        try:
            con.execute(f"INSERT INTO {table} SELECT * FROM _{table}_frame")
        finally:
            con.unregister(f"_{table}_frame")
    return ing


def check_overlaps(con, sources: list[CounterSource]) -> None:
    """Two files covering the same report family, database (native) name and month would
    count that month twice: stop, naming the later file, its first overlapping line and the
    earlier file."""
    files, parts = [], []
    for src in sources:
        # TR_B1 (books) and TR_J1 (journals) of one platform hold different titles; a full
        # TR holds both.
        scope = ("unnest(CASE report_id WHEN 'TR_B1' THEN ['B'] WHEN 'TR_J1' THEN ['J'] "
                 "WHEN 'TR' THEN ['B', 'J'] ELSE [''] END)")
        parts.append(f"SELECT {len(files)} + __file AS ord, __line, report_family, native_name, "
                     f"month, {scope} AS scope FROM {src.table}")
        files += [(src, info) for info in src.files]
    if not parts:
        return
    row = con.execute(
        f"WITH r AS ({' UNION ALL '.join(parts)}), k AS (SELECT *, min(ord) OVER "
        f"(PARTITION BY report_family, native_name, month, scope) AS first_ord FROM r) "
        f"SELECT ord, __line, first_ord, report_family FROM k WHERE ord <> first_ord "
        f"ORDER BY ord, __line LIMIT 1").fetchone()
    if row is None:
        return
    (src, later), (_, earlier) = files[row[0]], files[row[2]]
    name_col = "Platform" if row[3] in ("PR", "TR") else "Database"
    raise InputError(later.path, f"this {row[3]} report covers a {name_col} and month that "
                                 f"{earlier.path.name} also covers: the usage would be counted "
                                 f"twice (remove one file, or narrow 'path')",
                     line=int(row[1]), column=name_col, source=src.name)
