"""COUNTER_SUSHI JSON reports, R5.0 and R5.1 shapes; line numbers from the offsets of the
objects."""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re

from libstats.readers.counter.report import (
    ATTRIBUTES,
    BODY_COLUMNS,
    DIGITS,
    NAME_COLUMN,
    YEAR_MONTH,
    Report,
    as_date,
    as_text,
)


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


def read_json(rep: Report, text: str) -> None:
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
        if not DIGITS.fullmatch(code):
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
    # An empty report (exception 3030, or nothing used) may leave Report_Items out, or null.
    items = doc.get("Report_Items")
    items = [] if items is None else items
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        rep.fail("Report_Items is not a list of objects", rep.line_of(doc), "Report_Items")
    for item in items:
        (_item_50 if rep.release == "5.0" else _item_51)(rep, item)


def _item_start(rep: Report, item: dict, performance: str) -> tuple[str, list]:
    """Check an item's fields; its native name and performance list."""
    line, family = rep.line_of(item), rep.family
    for key in item:
        if key not in BODY_COLUMNS[family] | {"Item_ID", performance}:
            rep.fail(f"unknown field in a {family} R{rep.release} report item", line, key)
    native_col = "Platform" if family == "TR" else NAME_COLUMN[family]
    for col in dict.fromkeys((NAME_COLUMN[family], native_col)):
        if as_text(item.get(col)) is None:
            rep.fail("missing or empty", line, col)
    entries = item.get(performance)
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        rep.fail("missing or not a list of objects", line, performance)
    return as_text(item[native_col]), entries


def _item_50(rep: Report, item: dict) -> None:
    native, entries = _item_start(rep, item, "Performance")
    for entry in entries:
        period, instances = entry.get("Period"), entry.get("Instance")
        eline = rep.line_of(entry)
        if not isinstance(period, dict):
            rep.fail("a Performance entry without a Period object", eline, "Period")
        first, last = as_date(period.get("Begin_Date")), as_date(period.get("End_Date"))
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


def _item_51(rep: Report, item: dict) -> None:
    native, entries = _item_start(rep, item, "Attribute_Performance")
    for entry in entries:
        eline = rep.line_of(entry)
        for key in entry:
            if key not in (BODY_COLUMNS[rep.family] & ATTRIBUTES) | {"Performance"}:
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
                if not YEAR_MONTH.fullmatch(month):
                    rep.fail("a month key is not yyyy-mm", mline, metric)
                rep.check_month(month, mline, metric)
                rep.add(mline, native, attrs, metric, month, rep.count(n, mline, metric))
