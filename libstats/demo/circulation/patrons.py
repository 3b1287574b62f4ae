"""The demo library's patrons: who they are, where they live, when they enrolled and were seen.

:func:`build_patrons` draws the numeric side of every patron (kind, age, category, home branch,
zipcode, enrolment, how recently seen, borrowing habits, Sierra codes) and numbers them in
enrolment order, as after a migration. The text columns of ``borrowers.csv`` come later
(:mod:`libstats.demo.circulation.borrowers`), ``lastseen`` of active patrons only after their
transactions (:func:`set_lastseen`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from libstats.demo.circulation.constants import (ACTIVE, AGE_P, AS_OF, BRANCH_SHARE, ELDER_ZIP,
                                                 IDLE, INACTIVE, LAPSED, N_ILLLIB, N_PATRONS,
                                                 N_STAFF, NEVER, NONE, OUT_ZIPS,
                                                 REGISTRATION_MONTH_WEIGHT, ZIPS_BY_BRANCH)
from libstats.demo.circulation.dates import Calendar, fmt_secs, to_day
from libstats.demo.common import FY_END, FY_START

# patron kinds
GENERAL, STAFF, ILL_LIBRARY, ELDER = range(4)

_FIELDS = ("kind", "category", "home", "zipcode", "dob", "enrolled", "status", "lastseen",
           "weight", "roamer", "secondary", "p_secondary", "sierra_id", "pcode1", "pcode2",
           "pcode4")


@dataclass
class Patrons:
    """Every patron, one array entry per patron (borrowernumber - 1 once built)."""

    n: int
    kind: np.ndarray            # 0 general, 1 staff, 2 ILL library, 3 the 97-year-old
    category: np.ndarray        # object
    home: np.ndarray
    zipcode: np.ndarray         # object
    dob: np.ndarray             # day number or NONE
    enrolled: np.ndarray        # day number
    status: np.ndarray
    lastseen: np.ndarray        # seconds or NONE (ACTIVE patrons get theirs after transactions)
    weight: np.ndarray
    roamer: np.ndarray
    secondary: np.ndarray
    p_secondary: np.ndarray
    sierra_id: np.ndarray       # object: 12-digit Sierra patron record id
    pcode1: np.ndarray
    pcode2: np.ndarray
    pcode4: np.ndarray
    cols: dict[str, list[str]] | None = None

    @property
    def transacting(self) -> np.ndarray:
        return self.status == ACTIVE


def _kinds(rng: np.random.Generator, n: int) -> np.ndarray:
    """A few ILL library accounts, the staff and one 97-year-old among general patrons."""
    kind = np.full(n, GENERAL, dtype=np.int64)
    perm = rng.permutation(n)
    kind[perm[:N_ILLLIB]] = ILL_LIBRARY
    kind[perm[N_ILLLIB:N_ILLLIB + N_STAFF]] = STAFF
    kind[perm[N_ILLLIB + N_STAFF]] = ELDER
    return kind


def _ages(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Age on 2025-06-30 (``AS_OF``); -1 without a date of birth (3 %, ILL libraries)."""
    n = kind.size
    age = rng.choice(97, size=n, p=AGE_P)
    age[kind == STAFF] = rng.integers(22, 65, size=N_STAFF)
    age[kind == ELDER] = 97
    age[((rng.random(n) < 0.03) & (kind == GENERAL)) | (kind == ILL_LIBRARY)] = -1
    return age


def _birth_days(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    dob = np.full(age.size, NONE, dtype=np.int64)
    has = age >= 0
    anchors = np.array([to_day(date(AS_OF.year - a, 6, 30)) for a in age[has]], dtype=np.int64)
    dob[has] = anchors - rng.integers(0, 365, size=has.sum())
    return dob


def _categories(age: np.ndarray, kind: np.ndarray) -> np.ndarray:
    category = np.where(age < 0, "PT", np.where(age < 12, "J", np.where(
        age < 18, "YA", np.where(age >= 65, "SR", "PT")))).astype(object)
    category[kind == STAFF] = "ST"
    category[kind == ILL_LIBRARY] = "ILLLIB"
    return category


def _homes_and_zips(rng: np.random.Generator, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Home branch and zipcode: mostly near the branch, 4 % out of county, one in 06420."""
    n = kind.size
    home = rng.choice(3, size=n, p=BRANCH_SHARE)
    home[kind == ILL_LIBRARY] = 0
    home[kind == ELDER] = 2
    zipcode = np.empty(n, dtype=object)
    for b, (zips, p) in enumerate(ZIPS_BY_BRANCH):
        m = home == b
        zipcode[m] = rng.choice(zips, size=m.sum(), p=p)
    out = (rng.random(n) < 0.04) | (kind == ILL_LIBRARY)
    zipcode[out] = rng.choice(list(OUT_ZIPS), size=out.sum())
    zipcode[kind == ELDER] = ELDER_ZIP
    return home, zipcode


def _statuses(rng: np.random.Generator, kind: np.ndarray, dob: np.ndarray) -> np.ndarray:
    """How recently each patron was seen (about 8 % inactive: older than the 3-year rule)."""
    u = rng.random(kind.size)
    old_enough = (dob == NONE) | (dob < to_day(date(2021, 1, 1)))
    status = np.full(kind.size, ACTIVE)
    status[(u < 0.085) & old_enough] = INACTIVE
    status[(u >= 0.085) & (u < 0.145)] = LAPSED
    status[(u >= 0.145) & (u < 0.175)] = NEVER
    status[(u >= 0.175) & (u < 0.28)] = IDLE
    status[kind != GENERAL] = ACTIVE
    return status


def _lastseen_days(rng: np.random.Generator, status: np.ndarray, lower: np.ndarray
                   ) -> np.ndarray:
    """The day inactive, lapsed and idle patrons were last seen (NONE for the others)."""
    lastseen_day = np.full(status.size, NONE, dtype=np.int64)
    m = status == INACTIVE
    lastseen_day[m] = rng.integers(np.maximum(to_day(date(2012, 1, 1)), lower[m] + 60),
                                   to_day(date(2022, 6, 29)))
    m = status == LAPSED
    lastseen_day[m] = rng.integers(to_day(date(2022, 7, 1)), to_day(date(2024, 6, 30)) + 1,
                                   size=m.sum())
    m = status == IDLE
    lastseen_day[m] = rng.integers(to_day(date(2023, 7, 1)), to_day(date(2024, 6, 30)) + 1,
                                   size=m.sum())
    return lastseen_day


def _enrolment_days(rng: np.random.Generator, kind: np.ndarray, status: np.ndarray,
                    dob: np.ndarray, lower: np.ndarray, lastseen_day: np.ndarray) -> np.ndarray:
    """Enrolment before FY2025 (before last seen); about 10 % register during FY2025."""
    n = kind.size
    upper = np.full(n, to_day(FY_START) - 1, dtype=np.int64)
    m = status == INACTIVE
    upper[m] = lastseen_day[m] - 30
    span = np.maximum(upper - lower + 1, 1)
    enrolled = lower + np.floor(span * rng.random(n) ** 0.75).astype(np.int64)
    enrolled = np.where(upper < lower, lower, enrolled)
    enrolled[kind == ILL_LIBRARY] = to_day(date(2024, 9, 30))   # ILL accounts: migration eve

    # more registrations in September (library card month) and summer
    cand = np.flatnonzero(((status == ACTIVE) | (status == NEVER)) & (kind == GENERAL)
                          & ((dob == NONE) | (dob < to_day(date(2024, 6, 1)))))
    n_new = int(round(0.095 * n))
    new = rng.choice(cand, size=n_new, replace=False)
    fy_days = np.arange(to_day(FY_START), to_day(FY_END) + 1)
    months = fy_days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    p = REGISTRATION_MONTH_WEIGHT[months]
    enrolled[new] = np.maximum(rng.choice(fy_days, size=n_new, p=p / p.sum()), lower[new])
    return enrolled


def build_patrons(rng: np.random.Generator, cal: Calendar) -> Patrons:
    """Every patron's numeric columns, numbered (sorted) in enrolment order."""
    n = N_PATRONS
    kind = _kinds(rng, n)
    age = _ages(rng, kind)
    dob = _birth_days(rng, age)
    category = _categories(age, kind)
    home, zipcode = _homes_and_zips(rng, kind)
    status = _statuses(rng, kind, dob)

    lower = np.maximum(to_day(date(2005, 1, 1)), np.where(dob == NONE, 0, dob + 30))
    lower = np.minimum(lower, to_day(AS_OF))            # babies born in June 2025
    lastseen_day = _lastseen_days(rng, status, lower)
    enrolled = _enrolment_days(rng, kind, status, dob, lower, lastseen_day)
    lastseen_day = np.where((lastseen_day != NONE) & (lastseen_day < enrolled),
                            enrolled + rng.integers(0, 30, size=n), lastseen_day)
    lastseen = np.where(lastseen_day == NONE, NONE, lastseen_day * 86400 + cal.tod(n))

    # borrowing habits: how much, and whether and how often at a second branch
    weight = rng.lognormal(0.0, 1.1, size=n)
    weight[kind == STAFF] *= 1.5
    weight[kind == ELDER] = 1.0
    roamer = rng.random(n) < 0.36
    secondary = (home + rng.integers(1, 3, size=n)) % 3
    p_secondary = rng.uniform(0.15, 0.5, size=n)
    sierra_id = np.array([f"481037{x:06d}" for x in rng.choice(900_000, size=n, replace=False)
                          + 100_000], dtype=object)
    pcode1 = rng.choice(["-", "-", "a", "b", "s"], size=n).astype(object)
    pcode2 = rng.choice(["-", "-", "-", "e", "p"], size=n).astype(object)
    pcode4 = rng.choice(["0", "0", "0", "1", "2"], size=n).astype(object)

    # borrowernumbers follow enrollment order, as after a migration from record order
    order = np.lexsort((np.arange(n), enrolled))
    pat = Patrons(n=n, kind=kind, category=category, home=home, zipcode=zipcode, dob=dob,
                  enrolled=enrolled, status=status, lastseen=lastseen, weight=weight,
                  roamer=roamer, secondary=secondary, p_secondary=p_secondary,
                  sierra_id=sierra_id, pcode1=pcode1, pcode2=pcode2, pcode4=pcode4)
    for name in _FIELDS:
        setattr(pat, name, getattr(pat, name)[order])
    return pat


def set_lastseen(cal: Calendar, pat: Patrons, patron: np.ndarray, secs: np.ndarray) -> None:
    """Active patrons were seen at their last transaction (``patron``, ``secs``) or later.

    Fills ``pat.lastseen`` for them and the ``lastseen`` column of ``pat.cols``.
    """
    act = np.flatnonzero(pat.transacting)
    last = np.full(pat.n, NONE, dtype=np.int64)
    has_p = patron >= 0
    np.maximum.at(last, patron[has_p], secs[has_p])
    base = cal.sample(act.size, FY_START, FY_END) * 86400 + cal.tod(act.size)
    base = np.maximum(base, pat.enrolled[act] * 86400 + 10 * 3600)
    pat.lastseen[act] = np.maximum(base, last[act])
    pat.cols["lastseen"] = fmt_secs(pat.lastseen).tolist()
