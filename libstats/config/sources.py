"""``[[sources]]``: the raw exports a run reads, each a format (profile) and a file glob.

Checked here: the names, the column-role overrides, the CSV dialect, the text encoding, the time
zone, the DuckDB date and timestamp formats, the EZproxy LogFormat strings and the event time
the pseudonymized zone keeps (``event_time``). Whether the format
and kind exist, and which fields they need, is checked when a source is resolved against its
profile (transforms/profiles.py), not here.
"""

from __future__ import annotations

import re

from libstats.config.model import Source
from libstats.config.reader import TableReader, check_format, check_tz
from libstats.schema import EVENT_TIMES

# A column role in [sources.columns]: what pseudonymization does with that column.
ROLE_RE = re.compile(r"^(drop|keep|token(:[a-z][a-z0-9_]*)?|generalize:[a-z][a-z0-9_]*)$")


def read_sources(root: TableReader, library_tz: str) -> tuple[Source, ...]:
    """``[[sources]]``: at least one, names unique and snake_case. A source without a time zone
    keeps None (the library's zone applies where it is read), so `library_tz` is not used."""
    items = root.get("sources", list, what="an array of tables ([[sources]])")
    if not items:
        raise root.fail("sources", "must list at least one source")
    names = set()
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise root.fail("sources", "must be an array of tables ([[sources]])")
        r = TableReader(root.path, item, f"sources[{i}]")
        name = r.get("name", str)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise r.fail("name", "must be lowercase snake_case")
        if name in names:
            raise r.fail("name", "is used by another source")
        names.add(name)
        kind = r.get("kind", str)
        fmt = r.get("format", str)
        columns = r.get("columns", dict, {}, what="a table of column = role")
        for col, role in columns.items():
            if not isinstance(role, str) or not ROLE_RE.match(role):
                raise r.fail(f"columns.{col}", "role must be drop, keep, token, token:<domain> "
                                               "or generalize:<rule>")
        mapping = r.get("mapping", dict, {}, what="a table of field = column")
        delimiter = r.get("delimiter", str, ",")
        if len(delimiter) != 1:
            raise r.fail("delimiter", "must be a single character")
        encoding = r.get("encoding", str, "utf-8")
        try:
            "".encode(encoding)
        except LookupError:
            raise r.fail("encoding", "is not a known text encoding") from None
        tz = r.get("timezone", str, None)
        if tz is not None:
            check_tz(r, "timezone", tz)
        ts_fmt = r.get("timestamp_format", str, None)
        date_fmt = r.get("date_format", str, None)
        check_format(r, "timestamp_format", ts_fmt)
        check_format(r, "date_format", date_fmt)
        log_format = r.get("log_format", (str, list), [], what="a LogFormat string or a list")
        log_format = (log_format,) if isinstance(log_format, str) else tuple(log_format)
        if not all(isinstance(f, str) and f.strip() for f in log_format):
            raise r.fail("log_format", "must be a LogFormat string or a list of them")
        event_time = r.get("event_time", str, "day")
        if event_time not in EVENT_TIMES:
            raise r.fail("event_time", f"must be one of {', '.join(map(repr, EVENT_TIMES))} "
                                       f"(the event time the pseudonymized zone keeps)")
        if event_time != "day" and kind != "circulation":
            raise r.fail("event_time", "is a setting of circulation sources (the events of "
                                       "the pseudonymized zone)")
        src = Source(name=name, kind=kind, format=fmt, path=r.get("path", str),
                     encoding=encoding, delimiter=delimiter, columns=dict(columns),
                     mapping=dict(mapping),
                     timestamp_format=ts_fmt, date_format=date_fmt, timezone=tz,
                     log_format=log_format, event_time=event_time)
        r.finish()
        out.append(src)
    return tuple(out)
