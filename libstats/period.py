"""Reporting periods: a fiscal year (``FY2025``) or one month of it (``2025-03``).

A fiscal year is named by the calendar year it ends in. Keys are derived per fiscal year, so a
monthly release and the annual release of the same fiscal year share tokens, and two fiscal
years never do.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from libstats.config import Config
from libstats.errors import ConfigError


@dataclass(frozen=True)
class Period:
    label: str          # "FY2025" or "2025-03"
    fiscal_year: int
    start: dt.date
    end: dt.date

    @property
    def fiscal_year_label(self) -> str:
        return f"FY{self.fiscal_year}"

    @property
    def is_fiscal_year(self) -> bool:
        """A release of the whole fiscal year (not one month of it)."""
        return self.label == self.fiscal_year_label

    def months(self) -> list[tuple[str, str, str]]:
        """Each calendar month the period touches: ('YYYY-MM', first day, last day), the days
        clipped to the period (ISO dates)."""
        out, first = [], self.start
        while first <= self.end:
            nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
            last = min(nxt - dt.timedelta(days=1), self.end)
            out.append((first.strftime("%Y-%m"), first.isoformat(), last.isoformat()))
            first = nxt
        return out

    @property
    def key_period(self) -> str:
        """The period keys are derived for: always the fiscal year."""
        return self.fiscal_year_label


def default_fiscal_year(config: Config, today: dt.date | None = None) -> int:
    """The fiscal year that ended in the previous calendar year (the PLS reporting period)."""
    today = today or dt.date.today()
    last_day_prev_year = dt.date(today.year - 1, 12, 31)
    fy = config.fiscal_year_of(last_day_prev_year)
    _, end = config.fiscal_year_bounds(fy)
    return fy if end <= last_day_prev_year else fy - 1


def parse_period(config: Config, text: str | None, today: dt.date | None = None) -> Period:
    """Parse ``FY2025``, ``2025`` (same) or ``2025-03``; None means the default fiscal year."""
    if text is None:
        fy = default_fiscal_year(config, today)
        start, end = config.fiscal_year_bounds(fy)
        return Period(f"FY{fy}", fy, start, end)
    m = re.fullmatch(r"(?:FY)?(\d{4})", text.strip(), flags=re.IGNORECASE)
    if m:
        fy = int(m.group(1))
        start, end = config.fiscal_year_bounds(fy)
        return Period(f"FY{fy}", fy, start, end)
    m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if m and 1 <= int(m.group(2)) <= 12:
        start = dt.date(int(m.group(1)), int(m.group(2)), 1)
        nxt = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return Period(text.strip(), config.fiscal_year_of(start), start,
                      nxt - dt.timedelta(days=1))
    raise ConfigError("--period", None, "must be a fiscal year like FY2025 or a month like "
                                        "2025-03")
