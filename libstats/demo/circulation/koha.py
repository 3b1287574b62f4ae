"""Koha's exports of the demo library: ``statistics.csv``, ``borrowers.csv``, ``items.csv``.

``statistics.csv`` holds the Koha era's events (2024-10-01 on) in local time, some with SIP
free text that quotes a patron's phone number or e-mail; ``borrowers.csv`` is written in
Windows-1252; ``items.csv`` carries lifetime issue and renewal counts (FY2025 plus a legacy
history drawn here).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from libstats.demo.circulation.constants import (ENCODINGS, FILES, INTERFACES, ISSUE, K,
                                                 KOHA_BORROWERS_COLUMNS, KOHA_ITEMS_COLUMNS,
                                                 KOHA_STATISTICS_COLUMNS, KOHA_TYPE, MIGRATION,
                                                 NONE, PAYMENT, RENEW, RETURN, SIP, WRITEOFF)
from libstats.demo.circulation.contacts import fake_phone
from libstats.demo.circulation.dates import Calendar, fmt_days, fmt_secs, to_day
from libstats.demo.circulation.items import Items
from libstats.demo.circulation.patrons import Patrons
from libstats.demo.circulation.tables import lookup, record_numbers, write_csv
from libstats.demo.circulation.transactions import Events
from libstats.demo.common import BRANCHES, FY_START, make_barcode


def _sip_text(rng: np.random.Generator, ev: Events, pat: Patrons, r) -> np.ndarray:
    """SIP free text on about 2 % of rows; some of it quotes the patron's phone or email.

    The rows that get a text become SIP rows (``ev.iface`` is changed in place).
    """
    n = ev.day.size
    other = np.full(n, "", dtype=object)
    cand = np.flatnonzero(np.isin(ev.etype, [ISSUE, RENEW, RETURN]) & (ev.patron >= 0))
    sel = np.sort(rng.choice(cand, size=int(0.02 * n), replace=False))
    ev.iface[sel] = SIP
    pii = rng.random(sel.size) < 0.12
    terminals = ((1, 2, 3, 4), (5, 6), (7,))
    for j, i in enumerate(sel):
        b = ev.branch[i]
        if pii[j]:
            p = ev.patron[i]
            phone = pat.cols["phone"][p] or fake_phone(r)
            email = pat.cols["email"][p]
            other[i] = (f"SIP screen msg: email {email} bounced" if email and r.random() < 0.5
                        else f"SIP msg: patron asked staff to call {phone}")
        elif ev.etype[i] == RETURN and r.random() < 0.3:
            other[i] = f"SIP AMH sorter {BRANCHES[b]}"
        else:
            other[i] = f"SIP selfcheck {r.choice(terminals[b]):02d}"
    return other


def write_statistics(raw_dir: Path, rng: np.random.Generator, r, ev: Events, pat: Patrons,
                     items: Items) -> int:
    """``koha/statistics.csv``: the Koha era's circulation and money rows, in time order."""
    secs = ev.day * 86400 + ev.tod
    kidx = np.flatnonzero((ev.day >= to_day(MIGRATION)) & (ev.etype <= WRITEOFF))
    kidx = kidx[np.lexsort((kidx, secs[kidx]))]
    kev = ev.take(kidx)
    other = _sip_text(rng, kev, pat, r)
    money = np.isin(kev.etype, [PAYMENT, WRITEOFF])
    value = np.full(kidx.size, "0.0000", dtype=object)
    value[money] = [f"{v:.4f}" for v in kev.value[money]]
    return write_csv(
        raw_dir / FILES["koha_statistics"], KOHA_STATISTICS_COLUMNS,
        [fmt_secs(secs[kidx]), np.array(BRANCHES, dtype=object)[kev.branch], value,
         np.array(KOHA_TYPE, dtype=object)[kev.etype], other,
         lookup(record_numbers(items.m), kev.item), lookup(items.itype, kev.item),
         lookup(items.location, kev.item), lookup(record_numbers(pat.n), kev.patron),
         lookup(items.ccode, kev.item), lookup(pat.category, kev.patron),
         np.array(INTERFACES, dtype=object)[kev.iface]],
        ENCODINGS["koha_statistics"])


def write_borrowers(raw_dir: Path, pat: Patrons) -> int:
    """``koha/borrowers.csv`` in cp1252 (every value must be encodable)."""
    for c in KOHA_BORROWERS_COLUMNS:
        try:
            "".join(pat.cols[c]).encode("cp1252")
        except UnicodeEncodeError as exc:      # a generator bug, never expected at run time
            raise AssertionError(f"borrowers column {c!r} is not encodable in cp1252") from exc
    return write_csv(
        raw_dir / FILES["koha_borrowers"], KOHA_BORROWERS_COLUMNS,
        [pat.cols[c] for c in KOHA_BORROWERS_COLUMNS], ENCODINGS["koha_borrowers"])


def _usage(rng: np.random.Generator, ev: Events, items: Items
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(issues, renewals, datelastborrowed, datelastseen) per item: FY2025 plus the years before
    (drawn from the item's age and popularity; ILL items have no history)."""
    m = items.m
    is_iss = (ev.etype == ISSUE) & (ev.item >= 0)
    iss = ev.item[is_iss]
    ren = ev.item[(ev.etype == RENEW) & (ev.item >= 0)]
    age_years = np.maximum(0, to_day(FY_START) - items.accessioned) / 365.0
    legacy_issues = np.where(items.kind == K["ILL"], 0,
                             rng.poisson(np.minimum(age_years, 12) * 2.5 * items.popularity))
    legacy_renewals = rng.binomial(legacy_issues, 0.25)
    last_borrowed = np.full(m, NONE, dtype=np.int64)
    np.maximum.at(last_borrowed, iss, ev.day[is_iss])
    legacy_last = np.maximum(items.accessioned,
                             to_day(FY_START) - 1 - rng.integers(0, 900, size=m))
    last_borrowed = np.where((last_borrowed == NONE) & (legacy_issues > 0), legacy_last,
                             last_borrowed)
    last_seen = np.full(m, NONE, dtype=np.int64)
    has_i = ev.item >= 0
    np.maximum.at(last_seen, ev.item[has_i], ev.day[has_i])
    last_seen = np.maximum(last_seen, np.maximum(last_borrowed, items.accessioned))
    return (np.bincount(iss, minlength=m) + legacy_issues,
            np.bincount(ren, minlength=m) + legacy_renewals, last_borrowed, last_seen)


def write_items(raw_dir: Path, rng: np.random.Generator, cal: Calendar, ev: Events,
                items: Items) -> int:
    """``koha/items.csv``: every item with its counts, holding branch and lost/withdrawn flags."""
    m = items.m
    issues, renewals, last_borrowed, last_seen = _usage(rng, ev, items)
    stamp = last_seen * 86400 + cal.tod(m)
    holding = items.home.copy()
    moved = (rng.random(m) < 0.05) & (items.kind != K["ILL"])
    holding[moved] = (holding[moved] + rng.integers(1, 3, size=moved.sum())) % 3
    lu = rng.random(m)
    itemlost = np.where(lu < 0.008, "1", np.where(lu < 0.011, "2", "0"))
    withdrawn = np.where(rng.random(m) < 0.007, "1", "0")
    bcode_seq = 20_000 + np.cumsum(rng.integers(1, 3, size=m))
    branches = np.array(BRANCHES, dtype=object)
    return write_csv(
        raw_dir / FILES["koha_items"], KOHA_ITEMS_COLUMNS,
        [record_numbers(m), items.biblionumber.astype(str).astype(object),
         [make_barcode("3", int(s)) for s in bcode_seq], fmt_days(items.accessioned),
         branches[items.home], branches[holding], items.location, items.permanent_location,
         items.itype, items.ccode, items.callnumber, items.itemnotes, items.itemnotes_nonpublic,
         items.notforloan, itemlost, withdrawn, issues.astype(str).astype(object),
         renewals.astype(str).astype(object), fmt_days(last_borrowed),
         fmt_days(last_seen), items.price, items.replacementprice, fmt_secs(stamp)],
        ENCODINGS["koha_items"])
