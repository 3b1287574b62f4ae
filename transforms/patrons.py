"""Patron registrations: the borrowers exports to patron records, then the registration tables.

Every function returns the SQL text of the table it is named after (as in
``transforms/circulation.py``, whose events these records are joined to by token).
"""

from __future__ import annotations

from libstats.readers.staged import StagedSource, field_sql, parse_date_sql, parse_timestamp_sql
from libstats.sql import lit, months_table
from transforms.generalize import age_band_sql, area_joins, area_sql


def stg_patrons(src: StagedSource) -> str:
    """One row per patron record with typed dates."""
    return f"""
        SELECT {lit(src.name)} AS source, rowid AS _rec,
               {field_sql(src, 'patron_id')} AS patron_id,
               {lit(src.domains['patron_id'])} AS patron_domain,
               {parse_date_sql(src, 'birth_date')} AS birth_date,
               {field_sql(src, 'postcode')} AS postcode,
               {field_sql(src, 'home_branch')} AS home_branch_raw,
               {field_sql(src, 'patron_category')} AS patron_category,
               {parse_date_sql(src, 'enrolled')} AS enrolled_date,
               {parse_date_sql(src, 'expiry')} AS expiry_date,
               {parse_date_sql(src, 'renewed')} AS renewed_date,
               CAST({parse_timestamp_sql(src, 'last_seen')} AS DATE) AS last_seen_date,
               {field_sql(src, 'privacy')} AS privacy,
               {field_sql(src, 'anonymized')} AS anonymized
        FROM {src.table}
    """


def int_patrons(stg_patrons: str, int_tokens: str, *, reference_date: str,
                age_bands: tuple[int, ...], prefix_length: int | None, area_default: str,
                opt_in_values: tuple[str, ...], window_years: int,
                ill_lending_categories: tuple[str, ...]) -> str:
    """One row per patron record: token, home branch, category, age band, area, months.

    - age band as of the period's last day; postcode to area; dates to months;
    - ``is_registered_user``: enrolled by the period end, not anonymized, not an ILL-lending
      library, and active (enrolled, renewed or seen) within ``window_years`` before the period
      end (PLS REGBOR: "files should have been purged within the past three years");
    - ``reading_history_opt_in`` from Koha's ``privacy`` (values listed in the config).
    """
    opt = ", ".join(lit(v) for v in opt_in_values) or "NULL"
    cats = ", ".join(lit(v) for v in ill_lending_categories) or "NULL"
    ref = f"DATE {lit(reference_date)}"
    last_activity = ("greatest(coalesce(p.enrolled_date, DATE '1900-01-01'), "
                     "coalesce(p.renewed_date, DATE '1900-01-01'), "
                     "coalesce(p.last_seen_date, DATE '1900-01-01'))")
    return f"""
        SELECT p.source, p._rec, p.patron_id, p.patron_domain,
               tok.token AS patron_token,
               b.branch_code AS home_branch_code,
               p.patron_category,
               {age_band_sql('p.birth_date', ref, age_bands)} AS age_band,
               {area_sql('p.postcode', prefix_length, area_default)} AS area,
               strftime(p.enrolled_date, '%Y-%m') AS enrolled_month,
               p.enrolled_date,
               strftime(nullif({last_activity}, DATE '1900-01-01'), '%Y-%m')
                   AS last_activity_month,
               coalesce(p.privacy IN ({opt}), false) AS reading_history_opt_in,
               (p.enrolled_date <= {ref}
                AND coalesce(p.anonymized, '0') NOT IN ('1', 'true', 'TRUE')
                AND coalesce(p.patron_category NOT IN ({cats}), true)
                AND {last_activity} > {ref} - INTERVAL {window_years} YEAR)
                   AS is_registered_user
        FROM {stg_patrons} AS p
        LEFT JOIN map_branch AS b ON b.alias = p.home_branch_raw
        LEFT JOIN {int_tokens} AS tok ON tok.domain = p.patron_domain
                                      AND tok.value = p.patron_id
        {area_joins('p.postcode', 'map_area')}
    """


def pub_registered_users__branch_age_category(int_patrons: str, *, fiscal_year: str,
                                              age_band_labels: list[str]) -> str:
    """Registered users (PLS REGBOR rule) by home branch × age band × patron category."""
    bands = " UNION ALL ".join(f"SELECT {lit(b)} AS age_band" for b in
                               [*age_band_labels, "unknown"])
    return f"""
        WITH grid AS (
            SELECT b.branch_code, ab.age_band, pc.patron_category
            FROM (SELECT DISTINCT branch_code FROM map_branch) AS b
            CROSS JOIN ({bands}) AS ab
            CROSS JOIN (SELECT DISTINCT patron_category FROM {int_patrons}
                        WHERE is_registered_user AND patron_category IS NOT NULL) AS pc
        ),
        counts AS (
            SELECT home_branch_code AS branch_code, age_band, patron_category, count(*) AS n
            FROM {int_patrons}
            WHERE is_registered_user
            GROUP BY ALL
        )
        SELECT {lit(fiscal_year)} AS fiscal_year, g.branch_code, g.age_band,
               g.patron_category, coalesce(c.n, 0)::BIGINT AS value
        FROM grid AS g LEFT JOIN counts AS c USING (branch_code, age_band, patron_category)
        ORDER BY g.branch_code, g.age_band, g.patron_category
    """


def new_registrations_where(start: str, end: str) -> str:
    """The patron records a new registration counts: enrolled in the period, ILL-lending
    libraries excluded (the exact table and its differential-privacy rows share it)."""
    return (f"enrolled_date BETWEEN DATE {lit(start)} AND DATE {lit(end)} "
            f"AND coalesce(patron_category NOT IN (SELECT code FROM map_ill_category), true)")


def pub_new_registrations__month(int_patrons: str, *, fiscal_year: str, start: str, end: str) -> str:
    """Patrons enrolled in each month of the period (ILL-lending libraries excluded)."""
    return f"""
        WITH counts AS (
            SELECT enrolled_month AS month, count(*) AS n
            FROM {int_patrons}
            WHERE {new_registrations_where(start, end)}
            GROUP BY ALL
        )
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month,
               coalesce(c.n, 0)::BIGINT AS value
        FROM {months_table(start, end)} AS m LEFT JOIN counts AS c USING (month)
        ORDER BY m.month
    """
