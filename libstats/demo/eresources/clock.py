"""The EZproxy server's days and clock: America/New_York, one log file per local day.

The logs run from the day before FY2025 to the day after it; LogFormat B starts on 2025-01-01.
Times are UTC epoch seconds in the model and ``[dd/Mon/yyyy:HH:MM:SS -0400]`` in the logs.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from libstats.demo.common import LOCAL_TZ, MONTH_ABBR

FIRST_FILE = date(2024, 6, 30)          # one file before the period ...
LAST_FILE = date(2025, 7, 1)            # ... and one after
FORMAT_B_FROM = date(2025, 1, 1)


def local_epoch(d: date, h: int, m: int, s: int, fold: int = 0) -> int:
    """UTC epoch of a local wall-clock time (``fold`` picks the repeated hour in November)."""
    return int(datetime.combine(d, time(h, m, s, fold=fold), LOCAL_TZ).timestamp())


def log_stamp(t: int) -> tuple[date, int, str]:
    """UTC epoch -> (file day, seconds of day, '[dd/Mon/yyyy:HH:MM:SS -0400]')."""
    dt = datetime.fromtimestamp(t, LOCAL_TZ)
    off = int(dt.utcoffset().total_seconds()) // 60
    sign = "-" if off < 0 else "+"
    off = abs(off)
    stamp = (f"[{dt.day:02d}/{MONTH_ABBR[dt.month]}/{dt.year}:{dt.hour:02d}:{dt.minute:02d}:"
             f"{dt.second:02d} {sign}{off // 60:02d}{off % 60:02d}]")
    return dt.date(), dt.hour * 3600 + dt.minute * 60 + dt.second, stamp


def log_days() -> list[date]:
    """The server days that have a log file: the day before FY2025 to the day after it."""
    return [FIRST_FILE + timedelta(days=i) for i in range((LAST_FILE - FIRST_FILE).days + 1)]
