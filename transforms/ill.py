"""Interlibrary loan (PLS LOANTO 575, LOANFM 576): requests → published requests and filled
requests by month and direction (docs/services.md §4).

``provided``: our material lent to other libraries (LOANTO counts the filled ones);
``received``: material other libraries lent to us for our users (LOANFM). A request is
counted in the month it was placed. The patron never leaves the raw zone.
"""

from __future__ import annotations

from libstats.readers.staged import StagedSource, field_sql, parse_date_sql
from libstats.sql import lit, months_table, values_table

DIRECTIONS = ("provided", "received")
DIRECTION_WORDS = {"to": "provided", "lent": "provided", "lending": "provided",
                   "provided": "provided", "out": "provided", "from": "received",
                   "borrowed": "received", "borrowing": "received", "received": "received",
                   "in": "received"}
MEASURES = ("requests", "filled")
_YES = ("yes", "y", "true", "t", "1", "filled", "x")
_NO = ("no", "n", "false", "f", "0", "unfilled", "not filled")


def _case(expr: str, words: dict[str, str]) -> str:
    return (f"CASE {expr} " + " ".join(f"WHEN {lit(k)} THEN {lit(v)}"
                                       for k, v in sorted(words.items())) + " END")


def stg_ill_requests(src: StagedSource, fmt: str, filled_statuses: tuple[str, ...]) -> str:
    """One row per request: day, branch (``map_branch``), direction, filled; the raw values'
    presence for the checks."""
    day = parse_date_sql(src, "day")
    fill = field_sql(src, "filled")
    if fmt == "koha_illrequests":
        direction = "'received'"
        status = field_sql(src, "status")
        statuses = ", ".join(lit(s) for s in filled_statuses)
        filled = (f"({fill} IS NOT NULL AND NOT starts_with({fill}, '0000-00-00')) OR "
                  f"upper(coalesce({status}, '')) IN ({statuses})")
        filled_ok = "true"
    else:
        direction = _case(f"lower({field_sql(src, 'direction')})", DIRECTION_WORDS)
        yes = ", ".join(lit(w) for w in _YES)
        no = ", ".join(lit(w) for w in _NO)
        as_date = f"try_strptime(left({fill}, 10), '%Y-%m-%d')"
        filled = (f"lower(coalesce({fill}, '')) IN ({yes}) OR "
                  f"({fill} IS NOT NULL AND {as_date} IS NOT NULL)")
        filled_ok = (f"({fill} IS NULL OR lower({fill}) IN ({yes}) OR lower({fill}) IN ({no}) "
                     f"OR {as_date} IS NOT NULL)")
    branch = field_sql(src, "branch")
    return f"""
        SELECT {lit(src.name)} AS source, r.rowid AS _rec, {day} AS day,
               b.branch_code, {direction} AS direction, coalesce({filled}, false) AS filled,
               {field_sql(src, 'day')} IS NOT NULL AS _day_given,
               {branch} IS NOT NULL AS _branch_given, {filled_ok} AS _filled_ok
        FROM {src.table} AS r LEFT JOIN map_service_branch AS b ON b.alias = {branch}
    """


def pub_ill__month(staged: str, *, fiscal_year: str, start: str, end: str) -> str:
    """ILL requests and filled requests by month and direction."""
    dirs = values_table([(i, d) for i, d in enumerate(DIRECTIONS)], ["pos", "direction"])
    meas = values_table([(i, m) for i, m in enumerate(MEASURES)], ["mpos", "measure"])
    return f"""
        WITH c AS (SELECT strftime(day, '%Y-%m') AS month, direction,
                          count(*) AS requests, count(*) FILTER (WHERE filled) AS filled
                   FROM {staged}
                   WHERE day BETWEEN DATE {lit(start)} AND DATE {lit(end)} GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month, d.direction, x.measure,
               coalesce(CASE x.measure WHEN 'requests' THEN c.requests ELSE c.filled END, 0)
                   ::BIGINT AS value
        FROM {months_table(start, end)} AS m CROSS JOIN {dirs} AS d CROSS JOIN {meas} AS x
        LEFT JOIN c ON c.month = m.month AND c.direction = d.direction
        ORDER BY m.month, d.pos::INTEGER, x.mpos::INTEGER
    """
