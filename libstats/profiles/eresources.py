"""Profiles of e-resource exports (docs/eresources.md).

EZproxy logs have no header: their columns are the directives of the library's ``LogFormat``,
so their profile is built from the source's ``log_format`` (every directive has a role, an
unknown directive stops the run). Everything that names or locates a person (client IPs, user
names, session ids, the request line and URL with their paths and query strings, referers) is
dropped after the run has used it; only the database, day, hour and counts go further.

COUNTER reports are institution-level aggregates read by ``libstats/readers/counter/`` (no
per-person column exists in them). A vendor e-circulation CSV has four known columns; a patron
column in it is unknown and stops the run.
"""

from __future__ import annotations

from libstats.profiles.base import Column, Profile, drop_non_personal, log_format_columns
from libstats.readers.logformat import (
    DEFAULT_LOG_FORMAT,
    LogFormat,
    LogFormatError,
    parse_log_format,
)

EZPROXY_FORMATS = ("ezproxy_log", "ezproxy_spu")

COUNTER_R5 = Profile(
    name="counter_r5", kind="eresources", columns={},
    description="COUNTER R5.0 / R5.1 report (DR, PR, TR and their standard views): TSV, CSV "
                "or COUNTER_SUSHI JSON",
)

VENDOR_ECIRC = Profile(
    name="vendor_ecirc", kind="eresources",
    description="a vendor's e-circulation report: checkouts by month and format",
    columns={
        "vendor": Column("keep", "vendor", required=True),
        "month": Column("keep", "month", required=True),
        "format": Column("keep", "format", required=True),
        "checkouts": Column("keep", "checkouts", required=True),
        **drop_non_personal("title", "creator", "isbn"),
    },
)

ERESOURCE_PROFILES = {p.name: p for p in (COUNTER_R5, VENDOR_ECIRC)}


def ezproxy_profile(name: str, log_formats: tuple[str, ...]) -> tuple[Profile, list[LogFormat]]:
    """The profile of an EZproxy source: one column per directive of its formats.
    Raises LogFormatError (the caller names the config key)."""
    parsed = [parse_log_format(t) for t in (log_formats or (DEFAULT_LOG_FORMAT,))]
    columns = log_format_columns(parsed)
    fields = {c.field for c in columns.values()}
    if name == "ezproxy_spu" and not fields & {"request", "url"}:
        raise LogFormatError("a starting-point log needs \"%r\" or %U")
    return Profile(name=name, kind="eresources", columns=columns,
                   description="EZproxy log" if name == "ezproxy_log"
                   else "EZproxy LogSPU starting-point log"), parsed
