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
- ``csv`` (generic): fields ``day`` and ``visits``.
"""

from __future__ import annotations

from libstats.profiles.base import Column, Profile, drop_non_personal

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
