"""Warnings about rows that are surely wrong but not bad input: a source with no rows (or none
in the period), many rows outside the period, text that looks like mojibake. They do not stop
the run; they go on ``Run.warnings`` (source, file, what, how many), into the manifest's
``warnings`` and the steward report, and on stderr unless ``-q``. No value is ever shown."""

from __future__ import annotations

import datetime as dt

from transforms.plausibility import OUTSIDE_PERIOD_SHARE, future_count_sql, mojibake_count_sql

#: The staged time columns of the sources that have one in their raw table: circulation
#: events' day, EZproxy lines' instant. (Wi-Fi times are parsed while sessions are built;
#: they have the outside-the-period share only.)
_EVENT_TIME = ("__event_date", "__ts")


def check(r, loaded: list, staged: dict) -> None:
    rows = {n: c for s in staged.values() for n, c in s.rows.items()}
    for ing in loaded:
        files = ", ".join(r.config.display_path(f.path) for f in ing.files) or None
        if ing.rows == 0:
            r.warn(ing.name, files, "no rows at all (only a header?): the source adds nothing",
                   0)
            continue
        counts = rows.get(ing.name, {})
        in_period, outside = counts.get("in_period"), counts.get("outside_period")
        if in_period == 0:
            r.warn(ing.name, files, f"no rows in the period {r.period.label} "
                                    f"({ing.rows} rows read)", 0)
        if isinstance(outside, int) and outside > OUTSIDE_PERIOD_SHARE * ing.rows \
                and in_period != 0:
            r.warn(ing.name, files, f"rows outside the period {r.period.label} "
                                    f"({outside / ing.rows:.0%} of the rows read; more than "
                                    f"{OUTSIDE_PERIOD_SHARE:.0%} suggests the export covers "
                                    f"another span)", outside)
        types = _column_types(r.con, ing.table)
        _future(r, ing, files, types)
        _mojibake(r, ing, files, types)


def _future(r, ing, files, types: dict) -> None:
    """Rows dated after today: whatever their share (200 rows dated 2031 in a year's export
    are a broken clock or date column, not the export's span). Only the count is kept; once
    such a date has passed, a rerun no longer warns about it."""
    column = next((c for c in _EVENT_TIME if c in types), None)
    if column is None:
        return
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    n = r.con.execute(future_count_sql(ing.table, column, today)).fetchone()[0]
    if n:
        r.warn(ing.name, files, "rows dated in the future (after the day of the run): a "
                                "wrong clock or date column in the export?", int(n))


def _mojibake(r, ing, files, types: dict) -> None:
    cols = [(raw, col) for raw, col in ing.scan_columns() if types.get(col) == "VARCHAR"]
    if not cols:
        return
    found = r.con.execute(mojibake_count_sql(ing.table, [c for _, c in cols])).fetchone()
    for (raw, _), n in zip(cols, found):
        if n:
            r.warn(ing.name, files, f"column '{raw}': text that looks like mojibake (UTF-8 "
                                    f"read as a single-byte encoding; is 'encoding' right?)", n)


def _column_types(con, table: str) -> dict[str, str]:
    """Each column's DuckDB type, in one catalogue query per table."""
    return dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_name = ?", [table]).fetchall())
