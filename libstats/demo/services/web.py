"""Website visits: Matomo's VisitsSummary.get CSV (``services/web/matomo-*.csv``) and, from
January 2025 (the switch to GA4), a GA4 date × sessions export (``services/web/ga4-*.csv``).

Hazards planted: GA4 writes its dates as YYYYMMDD; the two tools' files meet at the switch
without overlap; Matomo's CSV carries a dozen metrics the run leaves out."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np

from libstats.demo.common import MONTH_WEIGHT
from libstats.demo.services.common import write_csv
from libstats.profiles.web import MATOMO_VISITS

GA4_FROM = date(2025, 1, 1)


def write_web(root: Path, rng: np.random.Generator, start: date, end: date, label: str) -> int:
    matomo_cols = list(MATOMO_VISITS.columns)
    matomo_cols.remove("date")
    matomo_cols.remove("nb_visits")
    header = ["date", "nb_uniq_visitors", "nb_visits", *[c for c in matomo_cols
                                                        if c != "nb_uniq_visitors"]]
    matomo, ga4 = [], []
    d, total = start, 0
    while d <= end:
        visits = int(rng.poisson(180 * MONTH_WEIGHT[d.month] * (0.6 if d.weekday() >= 5 else 1)))
        total += visits
        if d < GA4_FROM:
            uniq = int(visits * 0.8)
            rest = {c: 0 for c in matomo_cols}
            rest.update(nb_actions=visits * 3, max_actions=25, bounce_count=visits // 3,
                        sum_visit_length=visits * 95, bounce_rate=f"{33}%",
                        nb_actions_per_visit=3, avg_time_on_site=95)
            matomo.append([d.isoformat(), uniq, visits,
                           *[rest[c] for c in matomo_cols if c != "nb_uniq_visitors"]])
        else:
            ga4.append([d.strftime("%Y%m%d"), visits, int(visits * 0.75)])
        d += timedelta(days=1)
    if matomo:
        write_csv(root / "web" / f"matomo-{label}.csv", header, matomo)
    if ga4:
        write_csv(root / "web" / f"ga4-{label}.csv", ["Date", "Sessions", "Total users"], ga4)
    return total
