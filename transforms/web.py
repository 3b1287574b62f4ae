"""Website visits (PLS FY2023 WEBVISIT 653): daily visits from a web-analytics export →
published visits by month (docs/services.md §2).

The analytics tools apply the session rule (a visit ends after 30 minutes without a page
view) and leave known robots out; the exports hold counts only, no visitor, address or URL.
"""

from __future__ import annotations

from libstats.readers.staged import StagedSource, field_sql
from libstats.sql import lit, months_table


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
