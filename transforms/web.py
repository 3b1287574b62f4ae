"""Website visits (PLS FY2023 WEBVISIT 653): daily visits from a web-analytics export →
published visits by month (docs/services.md §2).

The analytics tools apply the session rule (a visit ends after 30 minutes without a page
view) and leave known robots out; the exports hold counts only, no visitor, address or URL.
"""

from __future__ import annotations

from libstats.readers.staged import StagedSource, field_sql
from libstats.sql import lit, months_table, q


def stg_web_visits(src: StagedSource) -> str:
    """One row per day of a source: the day (ISO or GA4's YYYYMMDD), the visits (a whole
    number ≥ 0), and how often the day occurs in the source (an overlap of two exports)."""
    d, v = field_sql(src, "day"), field_sql(src, "visits")
    return f"""
        SELECT {lit(src.name)} AS source, rowid AS _rec,
               CAST(coalesce(try_strptime({d}, '%Y-%m-%d'), try_strptime({d}, '%Y%m%d'))
                    AS DATE) AS day,
               CASE WHEN regexp_full_match({v}, '[0-9]+') THEN TRY_CAST({v} AS BIGINT) END
                   AS visits,
               {d} IS NOT NULL AS _day_given,
               count(*) OVER (PARTITION BY {d}) AS _times
        FROM {src.table}
    """


def pub_web_visits__month(staged: str, *, fiscal_year: str, start: str, end: str) -> str:
    """Website visits by month."""
    return f"""
        WITH c AS (SELECT strftime(day, '%Y-%m') AS month, sum(visits) AS n FROM {staged}
                   WHERE day BETWEEN DATE {lit(start)} AND DATE {lit(end)} GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month, coalesce(c.n, 0)::BIGINT AS value
        FROM {months_table(start, end)} AS m LEFT JOIN c ON c.month = m.month
        ORDER BY m.month
    """


#: Requests that are not page views: assets a page pulls in.
ASSET_RE = (r"\.(css|js|mjs|map|png|jpe?g|gif|svg|ico|webp|avif|woff2?|ttf|eot|otf|mp4|"
            r"webm|mp3|xml|json|txt)$")
#: A visit ends after this many minutes without a page view (the analytics tools' rule).
VISIT_GAP_MINUTES = 30


def stg_web_hits(table: str, fields: dict[str, str], *, timezone: str,
                 robots: tuple[str, ...]) -> str:
    """Page views of an access log: local wall-clock time, the visitor (client address and
    user agent, hashed inside the run and never written), robot flag. Only successful GET
    page requests (2xx, 304), assets left out; a request for /robots.txt marks a robot."""
    req, url = fields.get("request"), fields.get("url")
    path = (f"split_part(split_part({q(req)}, ' ', 2), '?', 1)" if req else
            f"split_part({q(url)}, '?', 1)")
    method = f"split_part({q(req)}, ' ', 1)" if req else "'GET'"
    ip = fields.get("client_ip") or fields.get("client_ip_a")
    ua = fields.get("user_agent")
    agent = f"coalesce({q(ua)}, '')" if ua else "''"
    status = fields.get("status")
    ok = (f"(regexp_full_match(coalesce({q(status)}, ''), '2[0-9][0-9]') OR {q(status)} = '304')"
          if status else "true")
    bots = "(" + "|".join(f"(?:{r})" for r in robots) + ")" if robots else None
    robot = f"regexp_matches({agent}, {lit('(?i)' + bots)})" if bots else "false"
    return f"""
        SELECT rowid AS _rec, timezone({lit(timezone)}, __ts) AS ts,
               md5(coalesce({q(ip)}, '') || '|' || {agent}) AS visitor,
               {robot} OR lower({path}) = '/robots.txt' AS robot,
               {method} IN ('GET', 'HEAD') AND {ok}
                 AND NOT regexp_matches(lower({path}), {lit(ASSET_RE)}) AS page
        FROM {table}
    """


def int_web_log_visits(hits: str, source: str) -> str:
    """Visits per day of an access log: a visitor's page views with no gap longer than
    ``VISIT_GAP_MINUTES``; robots' visitors left out (a robot hit anywhere marks the
    visitor of that day). The visit's day is its first page view's."""
    return f"""
        WITH h AS (SELECT * FROM {hits}),
             bots AS (SELECT DISTINCT visitor, CAST(ts AS DATE) AS day FROM h WHERE robot),
             p AS (SELECT h._rec, h.visitor, h.ts FROM h
                   WHERE h.page AND NOT EXISTS (SELECT 1 FROM bots AS b WHERE
                         b.visitor = h.visitor AND b.day = CAST(h.ts AS DATE))),
             g AS (SELECT _rec, ts, lag(ts) OVER (PARTITION BY visitor ORDER BY ts, _rec)
                          AS prev FROM p)
        SELECT {lit(source)} AS source, min(_rec) AS _rec, CAST(ts AS DATE) AS day,
               count(*)::BIGINT AS visits
        FROM g WHERE prev IS NULL OR ts - prev > INTERVAL {VISIT_GAP_MINUTES} MINUTE
        GROUP BY ALL
    """
