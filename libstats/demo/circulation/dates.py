"""Days and times of the circulation model: day numbers, their export formats, the calendar.

The model counts days as integers since 1970-01-01 and times as seconds of local wall-clock time
since then (:data:`~libstats.demo.circulation.constants.NONE` marks "empty"); the exports print
them as Koha and Sierra do. :class:`Calendar` draws days weighted by the library's traffic.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np

from libstats.demo.circulation.constants import HOUR_P, HOURS, NONE, WEEKDAY_WEIGHT
from libstats.demo.common import EPOCH, HOLIDAYS, LOCAL_TZ, MONTH_WEIGHT


def to_day(d: date) -> int:
    """The day number of ``d`` (days since 1970-01-01)."""
    return (d - EPOCH).days


def from_day(n: int) -> date:
    """The date of day number ``n``."""
    return EPOCH + timedelta(days=int(n))


def fmt_days(days: np.ndarray) -> np.ndarray:
    """Day numbers -> 'YYYY-MM-DD' (object array); NONE -> ''."""
    days = np.asarray(days, dtype=np.int64)
    out = np.datetime_as_string(np.where(days == NONE, 0, days).astype("datetime64[D]"), unit="D")
    return np.where(days == NONE, "", out).astype(object)


def fmt_secs(secs: np.ndarray) -> np.ndarray:
    """Seconds since the epoch (wall clock) -> 'YYYY-MM-DD HH:MM:SS' (object array); NONE -> ''."""
    secs = np.asarray(secs, dtype=np.int64)
    out = np.datetime_as_string(np.where(secs == NONE, 0, secs).astype("datetime64[s]"), unit="s")
    out = np.char.replace(out, "T", " ")
    return np.where(secs == NONE, "", out).astype(object)


def utc_offsets(days: np.ndarray) -> np.ndarray:
    """UTC offset in seconds of America/New_York at noon on each day (DST switches at 02:00)."""
    uniq, inv = np.unique(days, return_inverse=True)
    offs = np.array([int(datetime.combine(from_day(d), datetime.min.time()).replace(
        hour=12, tzinfo=LOCAL_TZ).utcoffset().total_seconds()) for d in uniq], dtype=np.int64)
    return offs[inv]


def add_years(d: date, years: int) -> date:
    """``d`` moved by whole years (29 February becomes the 28th)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:                  # 29 February
        return d.replace(year=d.year + years, day=28)


class Calendar:
    """Traffic-weighted day sampling and times of day."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.holidays = np.array([to_day(h) for h in HOLIDAYS])

    def days(self, start: date, end: date) -> tuple[np.ndarray, np.ndarray]:
        days = np.arange(to_day(start), to_day(end) + 1)
        months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1
        w = MONTH_WEIGHT[months] * WEEKDAY_WEIGHT[(days + 3) % 7]
        w[np.isin(days, self.holidays)] = 0.0
        return days, w / w.sum()

    def sample(self, n: int, start: date, end: date) -> np.ndarray:
        days, p = self.days(start, end)
        return self.rng.choice(days, size=n, p=p)

    def tod(self, n: int) -> np.ndarray:
        return (self.rng.choice(HOURS, size=n, p=HOUR_P) * 3600
                + self.rng.integers(0, 3600, size=n)).astype(np.int64)

    def open_shift(self, days: np.ndarray) -> np.ndarray:
        """Move days that fall on a holiday to the next day."""
        return days + np.isin(days, self.holidays)
