"""COUNTER reports as TSV or CSV: the header rows, then one row per item, attribute set and
metric."""

from __future__ import annotations

import csv
import io

from libstats.readers.counter.report import (
    BODY_COLUMNS,
    EXCEPTION_CODE,
    HEADER,
    MONTH_HEADING,
    MONTHS,
    NAME_COLUMN,
    Report,
    header_key,
    parse_period,
)

_RESPELLED = "a name written in another case or spacing than COUNTER's: matched (write it as " \
             "the Code of Practice does)"


def _canonical(rep: Report, name: str, known, line: int) -> str:
    """``name`` as COUNTER spells it when it is one of ``known`` in another case or spacing
    (a warning), else unchanged."""
    if name in known:
        return name
    key = header_key(name)
    for k in known:
        if header_key(k) == key:
            rep.warn(line, k, _RESPELLED)
            return k
    return name


def _rows(rep: Report, text: str, delimiter: str) -> list[tuple[int, list[str]]]:
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


def read_tabular(rep: Report, text: str, delimiter: str, con=None) -> None:
    """Read a tabular report into ``rep``: in DuckDB (``rep.staged``) when ``con`` is given and
    the body is plain (see ``tabular_sql``), else row by row in Python (``rep.rows``); both
    give the same figures, warnings and errors."""
    if con is not None:
        from libstats.readers.counter.tabular_sql import read_fast
        if read_fast(rep, text, delimiter, con):
            return
        rep.reset()
    rows = _rows(rep, text, delimiter)
    size = read_head(rep, rows)
    _read_body(rep, rows[size + 1], rows[size + 2:])


def read_head(rep: Report, rows) -> int:
    """Check the header block of ``rows`` (at least its first 15 records) into ``rep``; the
    number of header rows (12 or 13)."""
    header: dict[str, tuple[str, int]] = {}
    size = 12
    for i, name in enumerate(HEADER):
        if i == size:
            break
        if i >= len(rows):
            rep.fail(f"the file ends inside the report header (at row {i + 1})", len(rows))
        line, row = rows[i][0], rows[i][1] + ["", ""]
        row[0] = _canonical(rep, row[0], (name,), line)
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
    codes = EXCEPTION_CODE.findall(value)
    if value and not codes:
        rep.fail("Exceptions is not in the form 'code: description'", line, "Exceptions")
    for code in codes:
        rep.exception(int(code), line, "Exceptions")
    value, line = header["Reporting_Period"]
    rep.set_period(*(parse_period(value) or "--"), line, "Reporting_Period")
    if len(rows) > size and any(rows[size][1]):
        rep.fail(f"row {size + 1} must be blank: Release {rep.release} reports have {size} "
                 f"header rows", rows[size][0])
    if len(rows) <= size + 1:
        rep.fail("the file ends before the body's column headings", rows[-1][0])
    return size


def read_headings(rep: Report, headings_row):
    """The checked column headings (as COUNTER spells them), the month columns ``[(index,
    'yyyy-mm')]``, the name column and the native (database) name column."""
    line, headings = headings_row
    headings = list(headings)
    while headings and not headings[-1]:
        headings.pop()
    name_col, family = NAME_COLUMN[rep.family], rep.family
    if headings:
        headings[0] = _canonical(rep, headings[0], (name_col,), line)
    if not headings or headings[0] != name_col:
        rep.fail(f"the first column heading of a {family} report must be '{name_col}'", line,
                 name_col)
    months = []
    known = BODY_COLUMNS[family] | {"Metric_Type", "Reporting_Period_Total"}
    for i, heading in enumerate(headings):
        month = MONTH_HEADING.fullmatch(heading.capitalize()) if heading else None
        if month and month[1] in MONTHS and heading != month[0]:
            rep.warn(line, month[0], _RESPELLED)
            headings[i] = heading = month[0]
        elif not month:
            headings[i] = heading = _canonical(rep, heading, known, line)
    for i, heading in enumerate(headings):
        if headings.index(heading) != i:
            rep.fail("duplicate column heading", line, heading or f"#{i + 1}")
        month = MONTH_HEADING.fullmatch(heading)
        if month and month[1] in MONTHS:
            months.append((i, f"{month[2]}-{MONTHS[month[1]]:02d}"))
            rep.check_month(months[-1][1], line, heading)
        elif heading not in known:
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
    return headings, months, name_col, native_col


def _read_body(rep: Report, headings_row, body) -> None:
    headings, months, name_col, native_col = read_headings(rep, headings_row)
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
        # A blank month cell is no usage (vendors leave zero months empty): 0.
        counts = [(month, rep.count(cell[headings[i]] or "0", line, headings[i]))
                  for i, month in months]
        total = rep.count(cell["Reporting_Period_Total"] or "0", line,
                          "Reporting_Period_Total")
        if total != sum(n for _, n in counts):
            rep.fail("Reporting_Period_Total is not the sum of the month columns", line,
                     "Reporting_Period_Total")
        for month, n in counts:
            rep.add(line, cell[native_col], cell, metric, month, n)

