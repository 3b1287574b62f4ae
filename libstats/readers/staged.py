"""A loaded source as the SQL sees it: which column feeds which field, and how a field's
timestamps and dates are parsed (used by the value checks and the staging SQL alike)."""

from __future__ import annotations

from dataclasses import dataclass

from libstats.profiles import DEFAULT_DATE_FORMATS
from libstats.profiles.base import OFFSET_SUFFIX_RE, OFFSET_TIMESTAMP_FORMATS
from libstats.sql import lit, q


@dataclass(frozen=True)
class StagedSource:
    """What the SQL needs to know about one loaded source."""

    name: str
    table: str                      # raw_<name>
    fields: dict[str, str]          # field -> column
    timezone: str                   # time zone of its timestamps
    domains: dict[str, str]         # field (patron_id / item_id) -> token domain
    timestamp_formats: tuple[str, ...]
    date_formats: tuple[str, ...]
    written: frozenset[str] = frozenset()   # fields whose role lets them be written out
    # The format's CodeRules (libstats/profiles/base.py) whose columns the files carry.
    code_rules: tuple = ()
    # Cell texts that mean "no value" besides the empty cell (SSMS writes NULL as "NULL").
    null_values: tuple[str, ...] = ()


def cell_sql(src: StagedSource, col: str) -> str:
    """A raw column's value trimmed, with the empty cell (and the format's null texts) NULL."""
    expr = f"nullif(trim({q(col)}), '')"
    for text in src.null_values:
        expr = f"nullif({expr}, {lit(text)})"
    return expr


def field_sql(src: StagedSource, fld: str) -> str:
    """Trimmed, empty-as-NULL column feeding a field, or NULL when nothing feeds it."""
    col = src.fields.get(fld)
    return cell_sql(src, col) if col else "NULL::VARCHAR"


def _fmt_list(formats: tuple[str, ...]) -> str:
    return "[" + ", ".join(lit(f) for f in formats) + "]"


def parse_timestamp_sql(src: StagedSource, fld: str) -> str:
    """The field parsed as a TIMESTAMP (NULL for empty or Koha's '0000-00-00'), as wall-clock
    time in the source's time zone.

    A value written with a UTC offset (``2024-07-02 11:43:49-04`` from psql/pgAdmin,
    ``...T11:43:49+02:00``, ``+0200``, ``Z``) names an instant: it is converted to the source's
    configured time zone (``src.timezone``: the source's, else the library's), so that the
    event's day is the library's local day. A value without offset is wall-clock time as written.
    """
    col = field_sql(src, fld)
    with_offset = f"regexp_matches({col}, {lit(OFFSET_SUFFIX_RE)})"
    instant = (f"try_strptime(regexp_replace({col}, 'Z$', '+00:00'), "
               f"{_fmt_list(OFFSET_TIMESTAMP_FORMATS)})")
    return (f"CASE WHEN {col} IS NULL OR starts_with({col}, '0000-00-00') THEN NULL "
            f"WHEN {with_offset} THEN timezone({lit(src.timezone)}, {instant}) "
            f"ELSE try_strptime({col}, {_fmt_list(src.timestamp_formats)}) END")


def parse_date_sql(src: StagedSource, fld: str) -> str:
    """The field parsed as a DATE. With the default ISO formats only the first ten characters
    are read (Koha writes some dates with a time); a configured ``date_format`` sees the whole
    value."""
    col = field_sql(src, fld)
    value = f"left({col}, 10)" if src.date_formats == DEFAULT_DATE_FORMATS else col
    return (f"CASE WHEN {col} IS NULL OR starts_with({col}, '0000-00-00') THEN NULL "
            f"ELSE CAST(try_strptime({value}, {_fmt_list(src.date_formats)}) AS DATE) END")
