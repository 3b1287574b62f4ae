"""Generalization rules as SQL expressions: birth date → age band, postcode → area,
timestamp → day or month.

Each function returns an SQL expression over column expressions; the rules are data (bands and
areas from the config), the expressions are pure.
"""

from __future__ import annotations

from libstats.sql import lit


def age_band_labels(bands: tuple[int, ...]) -> list[str]:
    """Labels for band lower bounds, top-coded.

    >>> age_band_labels((0, 5, 12, 75))
    ['0-4', '5-11', '12-74', '75+']
    """
    labels = [f"{lo}-{hi - 1}" for lo, hi in zip(bands, bands[1:])]
    return labels + [f"{bands[-1]}+", ]


def age_band_sql(birth_date: str, reference_date: str, bands: tuple[int, ...]) -> str:
    """Age in whole years at the reference date, as a band label; 'unknown' when the birth
    date is missing or implausible (in the future, or 120 years and more)."""
    age = f"date_sub('year', {birth_date}, {reference_date})"
    labels = age_band_labels(bands)
    whens = " ".join(
        f"WHEN {age} < {hi} THEN {lit(label)}" for hi, label in zip(bands[1:], labels))
    return (f"CASE WHEN {birth_date} IS NULL OR {birth_date} > {reference_date} "
            f"OR {age} >= 120 THEN 'unknown' {whens} ELSE {lit(labels[-1])} END")


def postcode_sql(postcode: str) -> str:
    """Normalised postcode: first five characters, spaces removed, upper case."""
    return f"upper(left(replace(trim({postcode}), ' ', ''), 5))"


def area_joins(postcode: str, area_table: str, alias: str = "_area") -> str:
    """LEFT JOINs that look a postcode up by its 5-, 4-, ... 1-character prefix."""
    norm = postcode_sql(postcode)
    return "\n".join(
        f"LEFT JOIN {area_table} AS {alias}{n} ON {alias}{n}.prefix = left({norm}, {n})"
        for n in range(5, 0, -1))


def area_sql(postcode: str, prefix_length: int | None, default: str,
             alias: str = "_area") -> str:
    """Area for a postcode, used with ``area_joins``: the longest configured prefix that
    matches, else the first ``prefix_length`` characters padded with 'x' (e.g. '064xx'), else
    the default area; 'unknown' when the postcode is missing.
    """
    norm = postcode_sql(postcode)
    fallback = (f"left({norm}, {prefix_length}) || repeat('x', 5 - {prefix_length})"
                if prefix_length else lit(default))
    found = ", ".join(f"{alias}{n}.area" for n in range(5, 0, -1))
    return (f"CASE WHEN {postcode} IS NULL OR trim({postcode}) = '' THEN 'unknown' "
            f"ELSE coalesce({found}, {fallback}) END")


def day_sql(ts: str) -> str:
    return f"CAST({ts} AS DATE)"


def month_sql(ts: str) -> str:
    return f"strftime(CAST({ts} AS DATE), '%Y-%m')"
