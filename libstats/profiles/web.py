"""Profiles of website-visit exports (PLS FY2023 WEBVISIT; docs/services.md).

Web analytics tools export aggregates: visits per day, no visitor. Their other metrics are
kept out (``drop``: not needed, not personal).

- ``matomo_visits``: Matomo Reporting API ``VisitsSummary.get`` with ``period=day`` over a
  date range and ``format=CSV`` (developer.matomo.org/api-reference/reporting-api): a ``date``
  column and the metrics nb_uniq_visitors, nb_visits, nb_users, nb_actions, max_actions,
  bounce_count, sum_visit_length, nb_visits_converted, bounce_rate, nb_actions_per_visit,
  avg_time_on_site. Matomo excludes known robots when it records visits.
- ``ga4_sessions``: a Google Analytics 4 report with the ``date`` dimension (YYYYMMDD) and the
  ``sessions`` metric (Analytics Data API v1 dimension and metric names,
  developers.google.com/analytics/devguides/reporting/data/v1), as written by the Data API or
  by a GA4 "Download file → CSV" with its ``#`` comment block removed. GA4 filters known bots.
- ``access_log``: Apache / nginx access logs in any ``LogFormat`` (default: the combined
  format, ``%h %l %u %t "%r" %s %b "%{Referer}i" "%{User-agent}i"``), read by the LogFormat
  reader (libstats/readers/logformat.py, ezproxy.py). The client address, user, request line
  (path and query string), referer and user agent are dropped: used inside the run to form
  visits (address + agent, 30 minutes of inactivity end a visit), never written.
- ``csv`` (generic): fields ``day`` and ``visits``.
"""

from __future__ import annotations

from libstats.profiles.base import Column, Profile, drop_non_personal, log_format_columns
from libstats.readers.logformat import LogFormat, LogFormatError, parse_log_format

ACCESS_LOG = "access_log"
COMBINED_LOG_FORMAT = '%h %l %u %t "%r" %s %b "%{Referer}i" "%{User-agent}i"'

_MATOMO_METRICS = ("nb_uniq_visitors", "nb_users", "nb_actions", "max_actions", "bounce_count",
                   "sum_visit_length", "nb_visits_converted", "bounce_rate",
                   "nb_actions_per_visit", "avg_time_on_site", "nb_visits_new",
                   "nb_visits_returning")

MATOMO_VISITS = Profile(
    name="matomo_visits", kind="web",
    description="Matomo VisitsSummary.get, period=day, CSV",
    columns={
        "date": Column("keep", "day", required=True),
        "nb_visits": Column("keep", "visits", required=True),
        **drop_non_personal(*_MATOMO_METRICS),
    },
)

GA4_SESSIONS = Profile(
    name="ga4_sessions", kind="web",
    description="Google Analytics 4 report: date × sessions, CSV",
    columns={
        "Date": Column("keep", "day", required=True),
        "Sessions": Column("keep", "visits", required=True),
        **drop_non_personal("Total users", "Active users", "New users", "Views",
                            "Engaged sessions", "Event count"),
    },
)

WEB_PROFILES = {p.name: p for p in (MATOMO_VISITS, GA4_SESSIONS)}


def access_log_profile(log_formats: tuple[str, ...]) -> tuple[Profile, list[LogFormat]]:
    """The profile of a web-server access log: one column per directive of its formats.
    Raises LogFormatError (the caller names the config key)."""
    parsed = [parse_log_format(t) for t in (log_formats or (COMBINED_LOG_FORMAT,))]
    columns = log_format_columns(parsed)
    fields = {c.field for c in columns.values()}
    if not fields & {"request", "url"}:
        raise LogFormatError('an access log needs "%r" or %U (the requested page)')
    if not fields & {"client_ip", "client_ip_a"}:
        raise LogFormatError("an access log needs %h or %a (visits are told apart by client)")
    return Profile(name=ACCESS_LOG, kind="web", columns=columns,
                   description="web server access log (Apache / nginx)"), parsed
