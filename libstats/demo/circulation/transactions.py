"""The demo library's circulation events: loans, renewals, returns, in-library use, money, holds.

:func:`transactions` simulates every event of FY2025 in both systems as one table
(:class:`Events`); loans start on 2024-05-20 so that July's renewals and returns include loans
issued before the year. The Koha and Sierra writers later split the table at the migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from libstats.demo.circulation.constants import (BRANCH_SHARE, HOLD_FILLED, HOLD_PLACED,
                                                 HOTSPOT_LAUNCH, INTRANET, ISSUE, KIND_MIX, KINDS,
                                                 LOCALUSE, MIGRATION, N_HOLDS, N_ISSUES, N_KINDS,
                                                 N_LOCALUSE, N_MONEY, NONE, P_ILL_BORROW,
                                                 P_ILL_LEND, P_RETURN, PAYMENT, PRE_START, RENEW,
                                                 RETURN, SIP, WRITEOFF, K)
from libstats.demo.circulation.dates import Calendar, to_day
from libstats.demo.circulation.items import Items
from libstats.demo.circulation.patrons import Patrons
from libstats.demo.common import FY_END, FY_START

_FIELDS = ("day", "tod", "etype", "patron", "item", "branch", "iface", "value", "due")


@dataclass
class Events:
    """Circulation events, one array entry per event (items and patrons are indices)."""

    day: np.ndarray
    tod: np.ndarray
    etype: np.ndarray
    patron: np.ndarray      # -1: none
    item: np.ndarray        # -1: none
    branch: np.ndarray
    iface: np.ndarray       # -1: none
    value: np.ndarray
    due: np.ndarray         # day or NONE

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        return Events(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))

    def take(self, idx: np.ndarray) -> Events:
        return Events(*(getattr(self, f)[idx] for f in _FIELDS))


def _ev(day, tod, etype, patron, item, branch, iface, value=None, due=None) -> Events:
    """Events of one type: scalars are repeated for every event, arrays taken as they are."""
    n = len(day)

    def full(v) -> np.ndarray:
        return np.full(n, v, dtype=np.int64) if np.isscalar(v) else np.asarray(v, dtype=np.int64)

    return Events(day=full(day), tod=full(tod), etype=full(etype), patron=full(patron),
                  item=full(item), branch=full(branch), iface=full(iface),
                  value=np.zeros(n) if value is None else np.asarray(value, dtype=float),
                  due=full(NONE if due is None else due))


def _pick_items(rng: np.random.Generator, items: Items, kind: np.ndarray, branch: np.ndarray,
                eligible: np.ndarray) -> np.ndarray:
    """One item per transaction: same kind, home branch ``branch`` (3 = any), by popularity."""
    out = np.full(kind.size, -1, dtype=np.int64)
    for k in range(N_KINDS):
        if k == K["ILL"]:
            continue                    # assigned one request at a time by the caller
        for b in range(4):
            sel = np.flatnonzero((kind == k) & (branch == b))
            if sel.size == 0:
                continue
            pool = np.flatnonzero(eligible & (items.kind == k) & ((items.home == b) | (b == 3)))
            if pool.size == 0:
                pool = np.flatnonzero(eligible & (items.kind == k))
            w = items.popularity[pool]
            out[sel] = rng.choice(pool, size=sel.size, p=w / w.sum())
    return out


def _choice(rng: np.random.Generator, n: int, p: tuple[float, ...]) -> np.ndarray:
    return rng.choice(len(p), size=n, p=np.asarray(p) / np.sum(p))


@dataclass
class _Borrowers:
    """Who borrows: transacting patrons other than ILL libraries (``tp``), and those of them
    enrolled before the first loan (``old``, with their normalised weights ``w_old``)."""

    tp: np.ndarray
    old: np.ndarray
    w_old: np.ndarray

    @staticmethod
    def of(pat: Patrons) -> _Borrowers:
        tp = np.flatnonzero(pat.transacting & (pat.category != "ILLLIB"))
        old = tp[pat.enrolled[tp] < to_day(PRE_START)]
        return _Borrowers(tp, old, pat.weight[old] / pat.weight[old].sum())


@dataclass
class _Loans:
    """Every checkout from PRE_START on, which the renewals and returns follow."""

    day: np.ndarray
    patron: np.ndarray
    item: np.ndarray
    branch: np.ndarray
    kind: np.ndarray        # index into KINDS
    loan: np.ndarray        # loan period in days
    issues: Events


def _loan_patrons(rng: np.random.Generator, pat: Patrons, bw: _Borrowers, day: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(patron, lent to another library) per loan: none before enrolment, ILL lending in Koha."""
    n = day.size
    w = pat.weight[bw.tp] / pat.weight[bw.tp].sum()
    patron = rng.choice(bw.tp, size=n, p=w)
    bad = day < pat.enrolled[patron]
    patron[bad] = rng.choice(bw.old, size=bad.sum(), p=bw.w_old)
    illlib = np.flatnonzero(pat.category == "ILLLIB")
    koha_issue = np.flatnonzero(day >= to_day(MIGRATION))
    lend = rng.choice(koha_issue, size=int(round(P_ILL_LEND * N_ISSUES)), replace=False)
    patron[lend] = rng.choice(illlib, size=lend.size, p=[0.35, 0.25, 0.2, 0.12, 0.08])
    is_lend = np.zeros(n, dtype=bool)
    is_lend[lend] = True
    return patron, is_lend


def _loan_kinds(rng: np.random.Generator, pat: Patrons, day: np.ndarray, patron: np.ndarray,
                is_lend: np.ndarray) -> np.ndarray:
    """The kind of item of each loan, by the patron's category; ILL and hotspots by date."""
    n = day.size
    kind = np.empty(n, dtype=np.int64)
    cats = pat.category[patron]
    for cat, p in KIND_MIX.items():
        sel = np.flatnonzero(cats == cat)
        kind[sel] = rng.choice(N_KINDS, size=sel.size, p=p)
    kind[(day >= to_day(MIGRATION)) & ~is_lend & (rng.random(n) < P_ILL_BORROW)] = K["ILL"]
    kind[(kind == K["HOTSPOT"]) & (day < to_day(HOTSPOT_LAUNCH))] = K["BK_A"]
    return kind


def _loan_items(rng: np.random.Generator, items: Items, kind: np.ndarray, branch: np.ndarray,
                day: np.ndarray, tod: np.ndarray) -> np.ndarray:
    """The item of each loan: mostly from the loan's branch; each ILL item goes out once."""
    floating = (rng.random(kind.size) < 0.10) & (kind != K["ILL"])
    circulating = items.notforloan == "0"
    item = _pick_items(rng, items, kind, np.where(floating, 3, branch), circulating)
    # each ILL request brings its own item record: ILL items go out once, in arrival order
    ill_sel = np.flatnonzero(kind == K["ILL"])
    ill_sel = ill_sel[np.lexsort((ill_sel, tod[ill_sel], day[ill_sel]))]
    ill_pool = np.flatnonzero(items.kind == K["ILL"])
    item[ill_sel] = ill_pool[np.arange(ill_sel.size) % ill_pool.size]
    return item


def _loans(rng: np.random.Generator, cal: Calendar, pat: Patrons, items: Items,
           bw: _Borrowers) -> _Loans:
    """Loans issued from PRE_START on (only FY2025 events are exported)."""
    n_pre = int(round(N_ISSUES * (to_day(FY_START) - to_day(PRE_START)) / 365 * 1.1))
    day = np.concatenate([cal.sample(n_pre, PRE_START, FY_START - timedelta(days=1)),
                          cal.sample(N_ISSUES, FY_START, FY_END)])
    n = day.size
    tod = cal.tod(n)
    patron, is_lend = _loan_patrons(rng, pat, bw, day)
    roam = pat.roamer[patron] & (rng.random(n) < pat.p_secondary[patron])
    branch = np.where(roam, pat.secondary[patron], pat.home[patron])
    branch[is_lend] = 0
    kind = _loan_kinds(rng, pat, day, patron, is_lend)
    item = _loan_items(rng, items, kind, branch, day, tod)
    loan = np.array([k.loan_days for k in KINDS])[kind]
    iface = np.where(is_lend, INTRANET, _choice(rng, n, (0.55, 0.07, 0.38, 0.0)))
    issues = _ev(day, tod, ISSUE, patron, item, branch, iface, due=day + loan)
    return _Loans(day, patron, item, branch, kind, loan, issues)


def _renewals(rng: np.random.Generator, cal: Calendar, loans: _Loans
              ) -> tuple[list[Events], np.ndarray]:
    """Up to two renewals per loan, by kind; returns them and each loan's last due-from day."""
    renew_p = np.array([k.renewal_p for k in KINDS])[loans.kind]
    u = rng.random(loans.day.size)
    n_ren = (u > renew_p[:, 0]).astype(np.int64) + (u > renew_p[:, 0] + renew_p[:, 1])
    renewals = []
    last_day = loans.day.copy()
    for j in (1, 2):
        sel = np.flatnonzero(n_ren >= j)
        rday = cal.open_shift(loans.day[sel] + j * loans.loan[sel]
                              - rng.integers(0, 3, size=sel.size))
        last_day[sel] = rday
        r_iface = _choice(rng, sel.size, (0.20, 0.30, 0.05, 0.45))
        renewals.append(_ev(rday, cal.tod(sel.size), RENEW, loans.patron[sel], loans.item[sel],
                            loans.branch[sel], r_iface, due=rday + loans.loan[sel]))
    return renewals, last_day


def _returns(rng: np.random.Generator, cal: Calendar, loans: _Loans, last_day: np.ndarray
             ) -> Events:
    """The check-ins that show up in the exports (about 46 %), some at another branch."""
    sel = np.flatnonzero(rng.random(loans.day.size) < P_RETURN)
    rday = cal.open_shift(last_day[sel] + rng.integers(1, loans.loan[sel] + 8))
    moved = rng.random(sel.size) < 0.08
    branch = loans.branch[sel]
    rbranch = np.where(moved, (branch + rng.integers(1, 3, size=sel.size)) % 3, branch)
    return _ev(rday, cal.tod(sel.size), RETURN, loans.patron[sel], loans.item[sel], rbranch,
               _choice(rng, sel.size, (0.6, 0.0, 0.4, 0.0)))


def _local_use(rng: np.random.Generator, cal: Calendar, items: Items) -> Events:
    """In-library use (no patron): magazines and reference books most, never kits or ILL."""
    lday = cal.sample(N_LOCALUSE, FY_START, FY_END)
    lbranch = rng.choice(3, size=N_LOCALUSE, p=BRANCH_SHARE)
    lw = np.select([np.isin(items.kind, [K["KIT"], K["HOTSPOT"], K["ILL"]]),
                    items.kind == K["MAG"], items.location == "REF", items.ccode == "ANF"],
                   [0.0, 6.0, 6.0, 2.0], 1.0)
    litem = np.empty(N_LOCALUSE, dtype=np.int64)
    for b in range(3):
        sel = np.flatnonzero(lbranch == b)
        pool = np.flatnonzero((items.home == b) & (lw > 0))
        litem[sel] = rng.choice(pool, size=sel.size, p=lw[pool] / lw[pool].sum())
    return _ev(lday, cal.tod(N_LOCALUSE), LOCALUSE, -1, litem, lbranch,
               np.where(rng.random(N_LOCALUSE) < 0.9, INTRANET, SIP))


def _money(rng: np.random.Generator, cal: Calendar, pat: Patrons, bw: _Borrowers) -> Events:
    """Payments and write-offs (Koha only) by patrons enrolled before the migration."""
    mday = cal.sample(N_MONEY, MIGRATION, FY_END)
    old_m = bw.tp[pat.enrolled[bw.tp] < to_day(MIGRATION)]
    mpat = rng.choice(old_m, size=N_MONEY, p=pat.weight[old_m] / pat.weight[old_m].sum())
    mtype = np.where(rng.random(N_MONEY) < 0.8, PAYMENT, WRITEOFF)
    miface = np.where(mtype == WRITEOFF, INTRANET, _choice(rng, N_MONEY, (0.7, 0.2, 0.1, 0.0)))
    value = rng.integers(1, 61, size=N_MONEY) * 0.25
    return _ev(mday, cal.tod(N_MONEY), mtype, mpat, -1, pat.home[mpat], miface, value=value)


def _holds(rng: np.random.Generator, cal: Calendar, pat: Patrons, items: Items,
           bw: _Borrowers) -> Events:
    """Holds placed and filled (Sierra only; not circulation)."""
    hday = cal.sample(N_HOLDS, FY_START, MIGRATION - timedelta(days=1))
    hpat = rng.choice(bw.old, size=N_HOLDS, p=bw.w_old)
    circulating = items.notforloan == "0"
    hpool = np.flatnonzero(circulating & ~np.isin(items.kind, [K["HOTSPOT"], K["ILL"]]))
    hitem = rng.choice(hpool, size=N_HOLDS)
    htype = np.where(rng.random(N_HOLDS) < 0.6, HOLD_PLACED, HOLD_FILLED)
    return _ev(hday, cal.tod(N_HOLDS), htype, hpat, hitem, pat.home[hpat], -1)


def transactions(rng: np.random.Generator, cal: Calendar, pat: Patrons, items: Items) -> Events:
    """Every event of FY2025 in both systems, unsorted (loans issued before it only count
    through their renewals and returns in it)."""
    bw = _Borrowers.of(pat)
    loans = _loans(rng, cal, pat, items, bw)
    renewals, last_day = _renewals(rng, cal, loans)
    returns = _returns(rng, cal, loans, last_day)
    localuse = _local_use(rng, cal, items)
    money = _money(rng, cal, pat, bw)
    holds = _holds(rng, cal, pat, items, bw)
    ev = Events.concat([loans.issues, *renewals, returns, localuse, money, holds])
    keep = (ev.day >= to_day(FY_START)) & (ev.day <= to_day(FY_END))
    return ev.take(np.flatnonzero(keep))
