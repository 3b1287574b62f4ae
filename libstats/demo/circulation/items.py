"""The demo library's items: collections, call numbers, shelving, accession dates, prices, notes.

:func:`build_items` makes every item of :data:`~libstats.demo.circulation.constants.KINDS` at
its home branch, grouped into bibliographic records; :func:`accession_ill_items` and
:func:`renumber_items` finish them once the transactions are known (ILL items arrive just before
their checkout; itemnumbers follow accession order, as in the library's catalogue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from faker import Faker

from libstats.demo.circulation.constants import (ILL_LIBRARIES, KINDS, LOCATION_BY_CCODE, MIGRATION,
                                                 NONE, PRE_START, K, Kind)
from libstats.demo.circulation.contacts import ascii_slug
from libstats.demo.circulation.dates import to_day
from libstats.demo.common import EXAMPLE_DOMAINS, FY_END

_FIELDS = ("kind", "home", "ccode", "location", "permanent_location", "notforloan",
           "accessioned", "bib", "callnumber", "popularity", "itemnotes", "itemnotes_nonpublic",
           "price", "replacementprice")


@dataclass
class Items:
    """Every item of the library, one array entry per item (kind and branch order until
    :func:`renumber_items`)."""

    m: int
    kind: np.ndarray
    home: np.ndarray
    ccode: np.ndarray           # object
    location: np.ndarray        # object
    permanent_location: np.ndarray
    notforloan: np.ndarray      # object
    accessioned: np.ndarray     # day
    bib: np.ndarray             # global bib key (renumbered at the end)
    callnumber: np.ndarray      # object
    popularity: np.ndarray
    itemnotes: np.ndarray
    itemnotes_nonpublic: np.ndarray
    price: np.ndarray
    replacementprice: np.ndarray
    # set by renumber_items
    biblionumber: np.ndarray | None = None      # Koha biblionumber, in order of first item
    sierra_id: np.ndarray | None = None         # object: Sierra item record id
    bib_sierra_id: np.ndarray | None = None     # object: Sierra bib record id of the item

    @property
    def itype(self) -> np.ndarray:
        """Koha itype of each item (object array)."""
        return np.array([k.itype for k in KINDS], dtype=object)[self.kind]


def _call_number(fake: Faker, authors: list[str], spec: Kind, cc: str, j: int) -> str:
    """The call number of bib ``j`` of a kind (one Faker call per bib: title word or author)."""
    r = fake.random
    if spec.name in ("DVD", "JDVD", "MAG"):
        word = fake.word().upper()
        return {"DVD": "DVD ", "JDVD": "J DVD ", "MAG": "PER "}[spec.name] + word
    if spec.name == "KIT":
        return f"KIT {j + 1:03d}"
    if spec.name in ("HOTSPOT", "ILL"):
        return spec.name
    author = r.choice(authors)
    dewey = f"{r.randint(0, 999):03d}.{r.randint(0, 99):02d}"
    return {
        "AFIC": f"FIC {author}", "ANF": f"{dewey} {author[:3]}",
        "YAFIC": f"YA FIC {author}", "YANF": f"YA {dewey} {author[:3]}",
        "JFIC": f"J FIC {author}", "JNF": f"J {dewey} {author[:3]}",
        "EASY": f"E {author}", "MEDIA": f"CD BOOK {author}"}[cc]


def _bibs(rng: np.random.Generator, fake: Faker, kind: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bib key, ccode, call number) of each item: copies of a bib share the last two."""
    authors = [ascii_slug(fake.last_name()).upper() for _ in range(600)]
    m = kind.size
    bib = np.empty(m, dtype=np.int64)
    ccode = np.empty(m, dtype=object)
    callnumber = np.empty(m, dtype=object)
    for k, spec in enumerate(KINDS):
        idx = np.flatnonzero(kind == k)
        nb = max(1, int(round(idx.size / spec.copies)))
        local = rng.integers(0, nb, size=idx.size) if spec.copies > 1 else np.arange(idx.size)
        bib[idx] = k * 1_000_000 + local
        bib_cc = rng.choice(spec.ccodes, size=nb, p=spec.ccode_p)
        ccode[idx] = bib_cc[local]
        calls = [_call_number(fake, authors, spec, bib_cc[j], j) for j in range(nb)]
        callnumber[idx] = np.array(calls, dtype=object)[local]
    return bib, ccode, callnumber


def _shelving(rng: np.random.Generator, kind: np.ndarray, ccode: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(location, permanent_location, notforloan, on display): reference books do not circulate."""
    m = kind.size
    location = np.array([LOCATION_BY_CCODE[c] for c in ccode], dtype=object)
    notforloan = np.full(m, "0", dtype=object)
    ref = (ccode == "ANF") & (kind == K["BK_A"]) & (rng.random(m) < 0.05)
    location[ref] = "REF"
    notforloan[ref] = "1"
    permanent_location = location.copy()
    display = (np.isin(kind, [K["BK_A"], K["JBK"], K["AB"], K["DVD"]]) & ~ref
               & (rng.random(m) < 0.02))
    location[display] = "DISPLAY"
    return location, permanent_location, notforloan, display


def _accession_days(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Accession days since 2000 (magazines recent, hotspots just before launch, ILL: later)."""
    m = kind.size
    lo, hi = to_day(date(2000, 1, 1)), to_day(PRE_START) - 5
    accessioned = lo + np.floor((hi - lo) * rng.random(m) ** 0.5).astype(np.int64)
    mag = kind == K["MAG"]
    accessioned[mag] = rng.integers(to_day(date(2022, 7, 1)), hi, size=mag.sum())
    hs = kind == K["HOTSPOT"]
    accessioned[hs] = to_day(date(2024, 8, 5)) + rng.integers(0, 4, size=hs.sum())
    accessioned[kind == K["ILL"]] = NONE            # set from the first ILL checkout later
    return accessioned


def _prices(rng: np.random.Generator, kind: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(price, replacementprice) as Koha prints them; ILL items have only a replacement price."""
    m = kind.size
    price = np.empty(m, dtype=object)
    replacement = np.empty(m, dtype=object)
    for k, spec in enumerate(KINDS):
        idx = np.flatnonzero(kind == k)
        p = np.round(rng.uniform(*spec.price, size=idx.size), 0) - 0.01
        if spec.name == "ILL":
            price[idx] = ""
            replacement[idx] = "35.00"
        else:
            price[idx] = [f"{x:.2f}" for x in p]
            replacement[idx] = [f"{x + 5:.2f}" for x in p]
    return price, replacement


def _notes(rng: np.random.Generator, fake: Faker, kind: np.ndarray, staff_emails: list[str]
           ) -> tuple[np.ndarray, np.ndarray]:
    """(itemnotes, itemnotes_nonpublic): donors' names, staff e-mails, ILL lenders' contacts."""
    r = fake.random
    m = kind.size
    notes = np.full(m, "", dtype=object)
    nonpublic = np.full(m, "", dtype=object)
    nu = rng.random(m)
    npu = rng.random(m)
    for i in np.flatnonzero(nu < 0.03):
        notes[i] = (f"Donated by {fake.name()}" if nu[i] < 0.018 else
                    r.choice(("Includes audio CD", "Signed by the author", "Large print",
                              "Booklet in back pocket")))
    for i in np.flatnonzero(npu < 0.02):
        nonpublic[i] = r.choice((
            "Spine repaired - {e}", "Checked for damage by {e}", "Replace when worn; ask {e}",
            "Missing disc reported, contact {e}")).format(e=r.choice(staff_emails))
    for j, i in enumerate(np.flatnonzero(kind == K["ILL"])):
        lib = ILL_LIBRARIES[j % len(ILL_LIBRARIES)]
        notes[i] = f"ILL from {lib}"
        nonpublic[i] = (f"Lender contact ill.{ascii_slug(lib.split()[0])}@{EXAMPLE_DOMAINS[2]}; "
                        f"requested by {r.choice(staff_emails)}")
    return notes, nonpublic


def build_items(rng: np.random.Generator, fake: Faker, staff_emails: list[str]) -> Items:
    """Every item, in kind and branch order (renumbered by :func:`renumber_items`)."""
    kind = np.concatenate([np.full(c, k) for k, spec in enumerate(KINDS) for c in spec.counts])
    home = np.concatenate([np.full(c, b) for spec in KINDS for b, c in enumerate(spec.counts)])
    bib, ccode, callnumber = _bibs(rng, fake, kind)
    location, permanent_location, notforloan, display = _shelving(rng, kind, ccode)
    accessioned = _accession_days(rng, kind)
    popularity = rng.lognormal(0.0, 0.9, size=kind.size) * np.where(display, 2.0, 1.0)
    price, replacement = _prices(rng, kind)
    notes, nonpublic = _notes(rng, fake, kind, staff_emails)
    return Items(m=kind.size, kind=kind, home=home, ccode=ccode, location=location,
                 permanent_location=permanent_location, notforloan=notforloan,
                 accessioned=accessioned, bib=bib, callnumber=callnumber, popularity=popularity,
                 itemnotes=notes, itemnotes_nonpublic=nonpublic, price=price,
                 replacementprice=replacement)


def accession_ill_items(rng: np.random.Generator, items: Items, issued: np.ndarray,
                        issue_days: np.ndarray) -> None:
    """ILL items are accessioned a few days before their first checkout (``issued`` items on
    ``issue_days``), never before the migration; unused ones a few days before FY2025 ends."""
    ill = np.flatnonzero(items.kind == K["ILL"])
    first = np.full(items.m, np.iinfo(np.int64).max)
    np.minimum.at(first, issued, issue_days)
    unused = first[ill] == np.iinfo(np.int64).max
    arrival = np.where(unused, to_day(FY_END), first[ill]) - rng.integers(2, 11, size=ill.size)
    items.accessioned[ill] = np.maximum(arrival, to_day(MIGRATION))


def renumber_items(rng: np.random.Generator, items: Items, event_item: np.ndarray
                   ) -> np.ndarray:
    """Sort the items in accession order and number their bibs; draw their Sierra record ids.

    Returns ``event_item`` (item index per event, -1: none) in the new numbering.
    """
    iorder = np.lexsort((np.arange(items.m), items.accessioned))
    inv = np.empty_like(iorder)
    inv[iorder] = np.arange(items.m)
    event_item = np.where(event_item >= 0, inv[np.maximum(event_item, 0)], -1)
    for name in _FIELDS:
        setattr(items, name, getattr(items, name)[iorder])
    _, first_pos, bib_inv = np.unique(items.bib, return_index=True, return_inverse=True)
    bib_rank = np.empty(first_pos.size, dtype=np.int64)
    bib_rank[np.argsort(first_pos, kind="stable")] = np.arange(first_pos.size)
    items.biblionumber = bib_rank[bib_inv] + 1
    items.sierra_id = np.array([f"450971{x:06d}" for x in rng.choice(
        900_000, size=items.m, replace=False) + 100_000], dtype=object)
    items.bib_sierra_id = np.array([f"420907{x:06d}" for x in rng.choice(
        900_000, size=first_pos.size, replace=False) + 100_000],
        dtype=object)[items.biblionumber - 1]
    return event_item
