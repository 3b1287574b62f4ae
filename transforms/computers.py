"""Public-computer sessions (PLS PITUSR 651): staged sessions → counted → published tables.

PLS: each use of a library public computer is one session, whatever its length; library
staff machines are not public use (docs/services.md §1). A Libki ``LOGIN`` row is a session;
its end is the first ``LOGOUT`` or ``FORCE_LOGOUT`` with the same session id at or after it.
A generic export has one row per session; a row whose status says the user declined the
use policy (Envisionware's "Declined Policy") was no use and is not counted. Nothing here keeps the user: the sessions carry no identifier.
"""

from __future__ import annotations

from libstats.readers.staged import StagedSource, field_sql, parse_timestamp_sql
from libstats.sql import lit, months_table, values_table

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _like(patterns: tuple[str, ...], expr: str) -> str:
    """Whether ``expr`` matches any of the ``*`` wildcard patterns (case-insensitive)."""
    if not patterns:
        return "false"

    def like(p: str) -> str:
        return p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_").replace("*", "%")
    return "(" + " OR ".join(f"{expr} ILIKE {lit(like(p))} ESCAPE '\\'" for p in patterns) + ")"


def stg_pc_sessions(src: StagedSource, fmt: str, *, staff: tuple[str, ...]) -> str:
    """One row per session of a source: start and end (wall-clock, source zone), computer,
    branch (``map_pc_location``: location first, else the computer's name), staff flag;
    ``_start_given`` / ``_place_given`` for the value checks."""
    start = parse_timestamp_sql(src, "start_ts")
    client, loc = field_sql(src, "client"), field_sql(src, "location")
    if fmt == "libki_statistics":
        action, sid = field_sql(src, "action"), field_sql(src, "session_id")
        rows = f"""
            WITH r AS (SELECT rowid AS _rec, upper({action}) AS action, {sid} AS sid,
                              {field_sql(src, 'start_ts')} AS _raw_start, {start} AS ts,
                              {client} AS client, {loc} AS location FROM {src.table}),
                 o AS (SELECT sid, ts FROM r
                       WHERE action IN ('LOGOUT', 'FORCE_LOGOUT') AND ts IS NOT NULL),
                 l AS (SELECT * FROM r WHERE action = 'LOGIN')
            SELECT l._rec, l._raw_start, l.ts AS start_at,
                   (SELECT min(o.ts) FROM o WHERE o.sid = l.sid AND o.ts >= l.ts) AS end_at,
                   l.client, l.location, false AS declined, true AS _minutes_ok FROM l"""
    else:
        end = parse_timestamp_sql(src, "end_ts") if "end_ts" in src.fields else "NULL::TIMESTAMP"
        mins = field_sql(src, "minutes")
        # a session length in minutes (Envisionware's "time used") when no end is given
        end = (f"coalesce({end}, {start} + to_minutes(TRY_CAST({mins} AS BIGINT)))"
               if "minutes" in src.fields else end)
        status = field_sql(src, "status")
        rows = f"""
            SELECT rowid AS _rec, {field_sql(src, 'start_ts')} AS _raw_start,
                   {start} AS start_at, {end} AS end_at, {client} AS client,
                   {loc} AS location,
                   coalesce(lower({status}) LIKE 'declined%', false) AS declined,
                   {mins} IS NULL OR regexp_full_match({mins}, '[0-9]+') AS _minutes_ok
            FROM {src.table}"""
    return f"""
        SELECT {lit(src.name)} AS source, s._rec, s.start_at, s.end_at, s.client,
               coalesce(ml.branch_code, mc.branch_code) AS branch_code,
               {_like(staff, 's.client')} AS staff, s.declined,
               s._raw_start IS NOT NULL AS _start_given, s._minutes_ok,
               (s.location IS NOT NULL OR s.client IS NOT NULL) AS _place_given
        FROM ({rows}) AS s
        LEFT JOIN map_pc_location AS ml ON ml.name = s.location
        LEFT JOIN map_pc_location AS mc ON mc.name = s.client AND s.location IS NULL
    """


def int_pc_counted(staged: str, *, start: str, end: str) -> str:
    """Sessions in branch-local wall-clock time, with period, month, weekday, hour, length."""
    return f"""
        SELECT source, _rec, branch_code, start_at,
               CAST(start_at AS DATE) AS session_date,
               strftime(start_at, '%Y-%m') AS month,
               isodow(start_at) AS weekday, hour(start_at) AS hour,
               CASE WHEN end_at >= start_at THEN epoch(end_at - start_at) END AS length_s,
               CAST(start_at AS DATE) BETWEEN DATE {lit(start)} AND DATE {lit(end)} AS in_period,
               CASE WHEN declined THEN 'declined policy'
                    WHEN staff THEN 'staff computer' END AS excluded
        FROM {staged}
    """


def _counted(t: str) -> str:
    return f"(SELECT * FROM {t} WHERE in_period AND excluded IS NULL)"


def _branches() -> str:
    return "(SELECT DISTINCT branch_code FROM map_pc_location)"


def pub_pc_sessions__branch_month(counted: str, *, fiscal_year: str, start: str,
                                  end: str) -> str:
    """Public-computer sessions by branch and month (PLS PITUSR: one use per session)."""
    return f"""
        WITH c AS (SELECT month, branch_code, count(*) AS n FROM {_counted(counted)}
                   GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month, b.branch_code,
               coalesce(c.n, 0)::BIGINT AS value
        FROM {months_table(start, end)} AS m CROSS JOIN {_branches()} AS b
        LEFT JOIN c ON c.month = m.month AND c.branch_code = b.branch_code
        ORDER BY m.month, b.branch_code
    """


def pub_pc_sessions__branch_weekday_hour(counted: str, *, fiscal_year: str) -> str:
    """Sessions by branch, weekday and hour of start over the period."""
    days = " UNION ALL ".join(f"SELECT {i} AS weekday, {lit(n)} AS weekday_name"
                              for i, n in enumerate(WEEKDAYS, start=1))
    return f"""
        WITH c AS (SELECT branch_code, weekday, hour, count(*) AS n FROM {_counted(counted)}
                   GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, b.branch_code, d.weekday_name AS weekday,
               lpad(h.hour::VARCHAR, 2, '0') AS hour, coalesce(c.n, 0)::BIGINT AS value
        FROM {_branches()} AS b CROSS JOIN ({days}) AS d
        CROSS JOIN (SELECT range::INTEGER AS hour FROM range(24)) AS h
        LEFT JOIN c ON c.branch_code = b.branch_code AND c.weekday = d.weekday
                   AND c.hour = h.hour
        ORDER BY b.branch_code, d.weekday, h.hour
    """


def length_bands(bounds: tuple[int, ...]) -> list[tuple[str, int | None, int | None]]:
    """(label, low, high) in minutes, then 'unknown'.

    >>> [b[0] for b in length_bands((15, 60))]
    ['under 15 min', '15-60 min', '60 min or more']
    """
    out = [(f"under {bounds[0]} min", None, bounds[0])]
    out += [(f"{a}-{b} min", a, b) for a, b in zip(bounds, bounds[1:])]
    return out + [(f"{bounds[-1]} min or more", bounds[-1], None)]


def pub_pc_session_length__branch_month(counted: str, *, fiscal_year: str, start: str,
                                        end: str, bands_minutes: tuple[int, ...]) -> str:
    """Sessions by branch, month and length band ('unknown' when no end was logged)."""
    bands = length_bands(bands_minutes)
    case = "CASE WHEN length_s IS NULL THEN 'unknown' " + " ".join(
        f"WHEN {'true' if hi is None else f'length_s < {hi * 60}'} THEN {lit(lab)}"
        for lab, _, hi in bands) + " END"
    labels = " UNION ALL ".join(f"SELECT {i} AS pos, {lit(lab)} AS length_band" for i, lab in
                                enumerate([b[0] for b in bands] + ["unknown"]))
    return f"""
        WITH c AS (SELECT month, branch_code, {case} AS length_band, count(*) AS n
                   FROM {_counted(counted)} GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month, b.branch_code, l.length_band,
               coalesce(c.n, 0)::BIGINT AS value
        FROM {months_table(start, end)} AS m CROSS JOIN {_branches()} AS b
        CROSS JOIN ({labels}) AS l
        LEFT JOIN c ON c.month = m.month AND c.branch_code = b.branch_code
                   AND c.length_band = l.length_band
        ORDER BY m.month, b.branch_code, l.pos
    """




def map_pc_location(locations: dict[str, str], aliases: dict[str, str]) -> str:
    """computer location or name -> branch: ``[computers.locations]``, then every branch code
    and alias."""
    rows = {**aliases, **locations}
    return f"SELECT * FROM {values_table(sorted(rows.items()), ['name', 'branch_code'])}"
