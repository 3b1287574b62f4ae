"""When the demo library's devices are on its Wi-Fi: a year of sessions per branch.

Patron sessions follow the branch's traffic (month, weekday, hour; fewer on closed days, a few
outside opening hours, some patrons back the same day); library devices are on all day every
open day, staff devices most days on the staff SSID. A :class:`Visit` is one session, in UTC
epoch seconds, before any system has written it down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from libstats.demo.common import FY_END, FY_START, HOLIDAYS
from libstats.demo.wifi.devices import Device
from libstats.demo.wifi.network import PUBLIC_SSID, STAFF_SSID
from libstats.demo.wifi.notation import local_day_base

N_DAYS = (FY_END - FY_START).days + 1
OPEN_S, CLOSE_S = 9 * 3600, 21 * 3600

BASE_SESSIONS = {"CEN": 82.0, "NOR": 61.0, "EAS": 41.0}     # patron sessions per open day
P_RETURN = {"CEN": 0.08, "NOR": 0.0, "EAS": 0.07}            # second session the same day
P_OUTSIDE = 0.015                                            # starts outside opening hours
CLOSED_DAY_SESSIONS = 1.5

# Wi-Fi's own seasonality (December is busier than at the circulation desk)
SESSION_MONTH_WEIGHT = np.array([0, 1.0, 0.95, 1.0, 0.95, 0.95, 1.1, 1.25, 1.1, 0.95, 1.0, 0.95,
                                 0.85])
SESSION_WEEKDAY_WEIGHT = np.array([1.0, 1.05, 1.0, 1.0, 0.95, 1.1, 0.6])   # Monday .. Sunday
HOUR_W = np.array([0.5, 0.8, 1.0, 1.0, 0.9, 1.0, 1.2, 1.3, 1.25, 1.0, 0.7, 0.35])  # 09 .. 20
HOUR_P = HOUR_W / HOUR_W.sum()
HOURS_OPEN = np.arange(9, 21)


@dataclass
class Visit:
    """One session of a device on a branch's Wi-Fi, before any system has logged it."""

    day: date                 # local day of the start
    start: int                # UTC epoch
    dur: int                  # seconds (>= 1)
    nbytes: int
    dev: Device
    mac: str                  # 12 lower hex, as seen that day
    ap: int                   # index of the access point
    ssid: str


def is_open_day(d: date) -> bool:
    """Whether the branches open on ``d`` (every day but the holidays)."""
    return d not in HOLIDAYS


def _day_weights() -> np.ndarray:
    """Each day's traffic relative to an average open day."""
    w = np.array([SESSION_MONTH_WEIGHT[d.month] * SESSION_WEEKDAY_WEIGHT[d.weekday()]
                  for d in fy_days()])
    opened = np.array([is_open_day(d) for d in fy_days()])
    return w / w[opened].mean()


def fy_days() -> list[date]:
    """Every local day of FY2025."""
    return [FY_START + timedelta(days=i) for i in range(N_DAYS)]


def _durations(rng: np.random.Generator, n: int) -> np.ndarray:
    short = rng.random(n) < 0.17
    d = np.where(short, rng.integers(20, 300, size=n),
                 np.clip(rng.lognormal(np.log(45 * 60), 0.85, size=n), 300, 7 * 3600))
    return d.astype(np.int64)


def _volumes(rng: np.random.Generator, dur: np.ndarray) -> np.ndarray:
    rate = rng.lognormal(np.log(12_000), 1.3, size=dur.size)          # bytes per second
    b = np.maximum(dur * rate, 3_000 + rng.integers(0, 50_000, size=dur.size))
    huge = rng.random(dur.size) < 0.005
    b = np.where(huge, rng.integers(4_400_000_000, 9_500_000_000, size=dur.size), b)
    return b.astype(np.int64)


def _starts(rng: np.random.Generator, n: int, opened: bool) -> tuple[np.ndarray, np.ndarray]:
    """Local seconds after midnight of n session starts, and whether each is in opening hours."""
    if not opened:
        return rng.integers(8 * 3600, 22 * 3600, size=n), np.zeros(n, bool)
    hour = rng.choice(HOURS_OPEN, size=n, p=HOUR_P)
    s = hour * 3600 + rng.integers(0, 3600, size=n)
    outside = rng.random(n) < P_OUTSIDE
    early = rng.random(n) < 0.5
    alt = np.where(early, rng.integers(6 * 3600 + 1800, OPEN_S, size=n),
                   rng.integers(CLOSE_S, 23 * 3600 + 1800, size=n))
    return np.where(outside, alt, s), ~outside


def patron_visits(rng: np.random.Generator, seed: int, branch: str, devices: list[Device],
                  p: np.ndarray, n_aps: int) -> list[Visit]:
    """Patron sessions of every day of the year at ``branch`` (devices drawn by ``p``)."""
    weights = _day_weights()
    visits: list[Visit] = []
    for i, d in enumerate(fy_days()):
        opened = is_open_day(d)
        lam = BASE_SESSIONS[branch] * weights[i] if opened else CLOSED_DAY_SESSIONS
        n = int(rng.poisson(lam))
        n_ret = int(rng.binomial(n, P_RETURN[branch])) if opened else 0
        k = n - n_ret
        idx = rng.choice(len(devices), size=k, replace=False, p=p)
        secs, inside = _starts(rng, k, opened)
        dur = _durations(rng, k)
        close = CLOSE_S + rng.integers(-600, 900, size=k)
        dur = np.where(inside, np.minimum(dur, np.maximum(close - secs, 20)),
                       np.minimum(dur, 24 * 3600 - 60 - secs))
        nbytes = _volumes(rng, dur)
        aps = rng.integers(0, n_aps, size=k)
        base = local_day_base(d)
        day_visits = [Visit(d, base + int(secs[j]), int(dur[j]), int(nbytes[j]),
                            devices[idx[j]], devices[idx[j]].day_mac(seed, i), int(aps[j]),
                            PUBLIC_SSID) for j in range(k)]
        # same-day returns: a second session after the first one ended
        if n_ret and k:
            again = rng.choice(k, size=min(n_ret, k), replace=False)
            gaps = rng.integers(600, 3 * 3600, size=again.size)
            dur2 = _durations(rng, again.size)
            vol2 = _volumes(rng, dur2)
            for j, g, d2, v2 in zip(again, gaps, dur2, vol2):
                first = day_visits[j]
                start = first.start + first.dur + int(g)
                if start - base >= CLOSE_S - 900:
                    continue
                d2 = int(min(d2, base + CLOSE_S + 300 - start))
                day_visits.append(Visit(d, start, d2, int(v2), first.dev, first.mac,
                                        int(rng.integers(0, n_aps)), PUBLIC_SSID))
        visits.extend(day_visits)
    return visits


def fixed_visits(rng: np.random.Generator, library: list[Device], staff: list[Device],
                 n_aps: int) -> list[Visit]:
    """Library devices every open day (all day, public SSID); staff devices most open days."""
    visits: list[Visit] = []
    for i, d in enumerate(fy_days()):
        if not is_open_day(d):
            continue
        base = local_day_base(d)
        for dev in library:
            s = OPEN_S - int(rng.integers(300, 1500))
            e = CLOSE_S + int(rng.integers(-600, 600))
            vol = (int(rng.integers(4_000_000, 40_000_000)) if dev.kind == -2
                   else int(rng.integers(250_000_000, 2_600_000_000)))
            visits.append(Visit(d, base + s, e - s, vol, dev, dev.mac, int(rng.integers(n_aps)),
                                PUBLIC_SSID))
        for dev in staff:
            if rng.random() < 0.75:
                s = int(rng.integers(8 * 3600, 11 * 3600 + 1800))
                dur = int(rng.integers(3 * 3600, 8 * 3600 + 1800))
                visits.append(Visit(d, base + s, dur, int(rng.integers(20_000_000, 900_000_000)),
                                    dev, dev.mac, int(rng.integers(n_aps)), STAFF_SSID))
    return visits


