"""EZproxy's logs of the demo year: ``ezproxy/ezproxy-YYYYMMDD.log[.gz]`` and ``spu-*.log``.

:func:`write_ezproxy` simulates every day's visits (and the robots, the DST nights and the
boundary nights), sorts the lines into the server day's files, renders them in the day's
LogFormat and plants bad lines, CRLF line ends and blank lines.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from faker import Faker

from libstats.demo.common import FY_START, HOLIDAYS, MONTH_WEIGHT, write_gz
from libstats.demo.eresources.clicks import Ctx, Line
from libstats.demo.eresources.clock import (FIRST_FILE, FORMAT_B_FROM, LAST_FILE, local_epoch,
                                            log_days, log_stamp)
from libstats.demo.eresources.settings import ASP, NEWS, RARE
from libstats.demo.eresources.patrons import DB_WEIGHTS, N_PATRONS, Patron, make_patrons
from libstats.demo.eresources.robots import robots
from libstats.demo.eresources.visits import visit

GZIP_BEFORE = date(2024, 10, 1)
N_RARE_VISITS = 4
VISITS_PER_DAY = 40.0
P_BRANCH_VISIT = 0.12
DB_P = DB_WEIGHTS / DB_WEIGHTS.sum()
REMOTE_WEEKDAY = np.array([1.0, 1.05, 1.0, 1.0, 0.9, 0.8, 0.85])         # Monday .. Sunday
REMOTE_HOUR_W = np.array([0.35, 0.2, 0.12, 0.08, 0.08, 0.15, 0.35, 0.7, 1.1, 1.5, 1.7, 1.8,
                          1.7, 1.8, 1.9, 1.9, 1.8, 1.6, 1.7, 2.0, 2.1, 1.9, 1.3, 0.7])
REMOTE_HOUR_P = REMOTE_HOUR_W / REMOTE_HOUR_W.sum()
OPEN_HOUR_W = np.array([0.5, 0.8, 1.0, 1.0, 0.9, 1.0, 1.2, 1.3, 1.2, 1.0, 0.7, 0.4])  # 09 .. 20
OPEN_HOUR_P = OPEN_HOUR_W / OPEN_HOUR_W.sum()
P_BAD_LINE = 0.002
STRAGGLE_FROM = 23 * 3600 + 59 * 60 + 57         # later lines land in the next day's file
CRLF_DAY, BLANK_DAY, NUL_DAY = date(2025, 3, 17), date(2024, 11, 12), date(2024, 8, 21)
SPU_TRUNCATED_DAYS = (date(2024, 10, 7), date(2025, 4, 22))


def _render(ln: Line, stamp: str, fmt_b: bool) -> str:
    """A line in LogFormat B (from 2025) or A."""
    size = "-" if ln.nbytes == 0 else str(ln.nbytes)
    if fmt_b:
        return (f'{ln.h} {ln.sess} {ln.user} {stamp} "{ln.req}" {ln.status} {size} '
                f'"{ln.ua or "-"}" "{ln.xff}"')
    return f'{ln.h} - {ln.user} {stamp} "{ln.req}" {ln.status} {size}'


def _bad_line(r: random.Random, text: str, kind: str) -> str:
    """``text`` spoiled: truncated inside the request, an impossible date, or garbage."""
    if kind == "truncated":
        q = text.index('"') + 1
        end = text.index('"', q)
        return text[:q + r.randint(0, end - q - 1)]
    if kind == "date":
        i = text.index("[") + 1
        form = r.choice(("day", "hour", "feb"))
        if form == "day":
            return text[:i] + "32" + text[i + 2:]
        if form == "hour":
            j = text.index(":", i) + 1
            return text[:j] + "25" + text[j + 2:]
        j = text.index("/", i) + 1
        return text[:i] + "30/Feb/" + text[text.index("/", j) + 1:]
    return "".join(r.choice("abcdefghijklmnopqrstuvwxyzQWXZ0123456789#$%&*+-./:;<=>?@^_|~ ")
                   for _ in range(r.randint(20, 90)))


def _day_visits(rng: np.random.Generator, ctx: Ctx, d: date, patrons: list[Patron],
                pw: np.ndarray) -> None:
    """The day's visits: remote patrons around the clock, branch computers in opening hours."""
    lam = VISITS_PER_DAY * MONTH_WEIGHT[d.month] * REMOTE_WEEKDAY[d.weekday()]
    n = int(rng.poisson(lam))
    opened = d not in HOLIDAYS
    who = rng.choice(N_PATRONS, size=n, p=pw)
    branch_u = rng.random(n)
    hours_remote = rng.choice(24, size=n, p=REMOTE_HOUR_P)
    hours_open = rng.choice(np.arange(9, 21), size=n, p=OPEN_HOUR_P)
    mins, secs = rng.integers(0, 60, size=n), rng.integers(0, 60, size=n)
    folds = rng.integers(0, 2, size=n)
    for i in range(n):
        branch = None
        if opened and branch_u[i] < P_BRANCH_VISIT:
            branch = ("CEN", "CEN", "NOR", "EAS")[int(branch_u[i] * 1000) % 4]
            hour = int(hours_open[i])
            ctx.patron = None
            db = int(rng.choice(5, p=DB_P[:5] / DB_P[:5].sum()))
        else:
            hour = int(hours_remote[i])
            ctx.patron = patrons[int(who[i])]
            w = ctx.patron.dbw
            db = int(rng.choice(len(w), p=w))
        ctx.t = local_epoch(d, hour, int(mins[i]), int(secs[i]), int(folds[i]))
        visit(db, ctx, d, branch)


def _year_of_visits(rng: np.random.Generator, ctx: Ctx, days: list[date],
                    patrons: list[Patron], pw: np.ndarray) -> None:
    """Every day's visits, the rare database's four visits and, in format B, the robots."""
    r = ctx.r
    rare_days = {FY_START + timedelta(days=int(x))
                 for x in rng.choice(365, size=N_RARE_VISITS, replace=False)}
    for d in days:
        _day_visits(rng, ctx, d, patrons, pw)
        if d in rare_days:
            ctx.patron = patrons[int(rng.integers(N_PATRONS))]
            ctx.t = local_epoch(d, 20, r.randint(0, 59), r.randint(0, 59))
            visit(RARE, ctx, d, None)
        if d >= FORMAT_B_FROM:
            robots(ctx, d, rng, patrons)


def _clock_nights(rng: np.random.Generator, ctx: Ctx, patrons: list[Patron]) -> None:
    """Visits in the two DST nights and on the nights whose last lines straggle into the next
    day's file."""
    r = ctx.r
    # one across the repeated hour (01:57 EDT -> 01:0x EST), one in its second pass, one across
    # the spring gap (01:5x EST -> 03:0x EDT)
    for d, hh, mm, fold in ((date(2024, 11, 3), 1, 57, 0), (date(2024, 11, 3), 1, 20, 1),
                            (date(2025, 3, 9), 1, 56, 0)):
        ctx.patron = patrons[int(rng.integers(N_PATRONS))]
        ctx.t = local_epoch(d, hh, mm, r.randint(0, 59), fold)
        visit(NEWS, ctx, d, None)
        ctx.emit("https://infoweb.newsvault.example/apps/news/results?p=NVNB&q=daylight+saving",
                 200, dt=200)
    # a visit on each boundary night so that a line straggles into the next day's file
    for d in (FIRST_FILE, date(2024, 12, 31)):
        ctx.patron = patrons[int(rng.integers(N_PATRONS))]
        ctx.t = local_epoch(d, 23, 59, 20)
        visit(ASP, ctx, d, None)
        ctx.t = local_epoch(d, 23, 59, 58)
        ctx.emit("https://search.ebscohost.com/ehost/results?vid=9&sid=0&bquery=midnight", 200)


_Files = dict[date, list[tuple[int, int, str]]]     # day -> (time, sequence, rendered line)


def _lines_by_file(ctx: Ctx, days: list[date]) -> tuple[_Files, _Files]:
    """The main log's and the SPU log's lines, rendered, in the file of the server day they were
    written (the main log's last seconds of a day in the next day's file)."""
    files: _Files = {d: [] for d in days}
    for ln in ctx.lines:
        day, sod, stamp = log_stamp(ln.t)
        era_b = day >= FORMAT_B_FROM
        if sod >= STRAGGLE_FROM and day + timedelta(days=1) <= LAST_FILE:
            day = day + timedelta(days=1)
        if day in files:
            files[day].append((ln.t, ln.seq, _render(ln, stamp, era_b)))
    spu_files: _Files = {d: [] for d in days}
    for ln in ctx.spu:
        day, _, stamp = log_stamp(ln.t)
        if day in spu_files:
            spu_files[day].append((ln.t, ln.seq, _render(ln, stamp, False)))
    return files, spu_files


def _main_log_texts(r: random.Random, d: date, rows: list, bad_u: np.ndarray, k: int,
                    counts: dict) -> list[str]:
    """The day's main-log lines with bad ones planted (``bad_u[k:]`` are this day's draws)."""
    texts = []
    for _, _, text in rows:
        if bad_u[k] < P_BAD_LINE:
            kind = ("truncated", "truncated", "truncated", "truncated", "truncated",
                    "truncated", "date", "date", "garbage", "garbage")[int(bad_u[k] * 5000)]
            text = _bad_line(r, text, kind)
            counts["main_bad"] += 1
        texts.append(text)
        k += 1
    if d == NUL_DAY:
        texts.insert(len(texts) // 2, "\x00" * 64)
        counts["main_bad"] += 1
    if d == BLANK_DAY:
        texts.insert(len(texts) // 3, "")
        texts.insert(len(texts) // 3, "")
    return texts


def _write_day(out: Path, r: random.Random, d: date, rows: list, spu: list, bad_u: np.ndarray,
               k: int, counts: dict) -> None:
    """Write the day's main log (gzip until September 2024) and its SPU log."""
    texts = _main_log_texts(r, d, rows, bad_u, k, counts)
    counts["main_lines"] += sum(1 for t in texts if t)
    nl = "\r\n" if d == CRLF_DAY else "\n"
    data = (nl.join(texts) + nl).encode("utf-8")
    name = f"ezproxy-{d:%Y%m%d}.log"
    if d < GZIP_BEFORE:
        write_gz(out / f"{name}.gz", data)
    else:
        (out / name).write_bytes(data)
    spu_rows = [text for _, _, text in sorted(spu)]
    if d in SPU_TRUNCATED_DAYS:
        i = len(spu_rows) // 2
        spu_rows[i] = _bad_line(r, spu_rows[i], "truncated")
        counts["spu_bad"] += 1
    counts["spu_lines"] += len(spu_rows)
    (out / f"spu-{d:%Y%m%d}.log").write_bytes(("\n".join(spu_rows) + "\n").encode("utf-8"))


def write_ezproxy(rng: np.random.Generator, fake: Faker, r: random.Random, out: Path
                  ) -> tuple[dict, dict]:
    """Simulate a year of proxied visits and write the main and SPU logs into ``out``.

    Returns the line counts and the clicks per (database, kind) over the year, from which the
    COUNTER figures are scaled.
    """
    out.mkdir(parents=True, exist_ok=True)
    patrons, pw = make_patrons(rng, fake, r)
    days = log_days()
    ctx = Ctx(r, fake, None)
    _year_of_visits(rng, ctx, days, patrons, pw)
    _clock_nights(rng, ctx, patrons)
    files, spu_files = _lines_by_file(ctx, days)
    counts = {"main_lines": 0, "main_bad": 0, "spu_lines": 0, "spu_bad": 0}
    bad_u = rng.random(sum(len(v) for v in files.values()))
    k = 0
    for d in days:
        rows = sorted(files[d])
        _write_day(out, r, d, rows, spu_files[d], bad_u, k, counts)
        k += len(rows)
    return counts, dict(ctx.actions)
