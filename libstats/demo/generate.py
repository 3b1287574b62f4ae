"""Generate the raw ILS exports of a fictional library, deterministically.

The story
=========
The "Riverbend County Library System" (fictional) has three branches, with Koha branchcodes
``CEN`` (Central), ``NOR`` (Northgate) and ``EAS`` (East Hollow). Its fiscal year FY2025 runs from
2024-07-01 to 2025-06-30, local time America/New_York.

The system ran Innovative Sierra until it migrated to Koha on 2024-10-01, so one fiscal year of use
is split over two systems with different shapes:

* ``sierra/circ_trans.csv``: Sierra's ``circ_trans`` view for 2024-07-01 .. 2024-09-30 local time.
  Timestamps are **GMT/UTC** (``transaction_gmt``), codes are numeric (itype, ptype, stat group),
  patrons and items are Sierra record ids (``481037...``, ``450971...``), which no column links to
  the Koha borrowernumber / itemnumber of the same patron or item.
* ``koha/statistics.csv``: Koha's ``statistics`` table for 2024-10-01 .. 2025-06-30, **local** time.
* ``koha/borrowers.csv``: every patron (all migrated into Koha), exported in **Windows-1252**.
* ``koha/items.csv``: every item, including interlibrary-loan (ILL) items.

Everything is fictional and generated: names, addresses and notes come from a seeded Faker, emails
use the ``example.com`` / ``example.org`` / ``example.net`` domains and phone numbers are in the 555
exchange (``555-0100`` .. ``555-0199``). The same seed gives byte-identical files.

Hazards planted on purpose (the pipeline must cope with each of them)
=====================================================================
* Two systems, two clocks: Sierra rows are UTC (a local evening is the next day in UTC), Koha rows
  are local time. Month and fiscal-year boundaries must be computed in America/New_York.
* Two sets of codes: Sierra ``itype_code_num`` / ``ptype_code`` / ``stat_group_code_num`` /
  ``item_location_code`` versus Koha ``itemtype`` / ``categorycode`` / ``branch`` / ``ccode``.
  Koha-era returns and renewals include loans that were issued in Sierra.
* Encoding: ``borrowers.csv`` is cp1252 (not UTF-8) and contains characters whose cp1252 bytes
  fall in 0x80-0x9F (``Š``, ``Ž``, ``œ``, ``’``), which latin-1 would decode to control
  characters.
* Free text holding personal data: ``borrowernotes`` / ``opacnote`` / ``debarredcomment`` hold
  emails, phone numbers, names of relatives and old card numbers, some spanning several lines
  (newlines inside quoted CSV fields); ``statistics.other`` holds SIP text, some of it with the
  patron's phone number or email; ``items.itemnotes`` names donors and
  ``items.itemnotes_nonpublic`` holds staff emails.
* A rare combination: exactly one patron is aged 97 (on 2025-06-30) and the only patron living in
  zipcode 06420; Sierra rows repeat that zipcode in ``postal_code``.
* Small cells: ``KIT`` and ``HOTSPOT`` items circulate rarely (branch x month counts of 0 .. 10);
  hotspot lending only starts on 2024-08-12, so July 2024 has none anywhere.
* Inactive patrons: about 8 % of patrons were last seen more than three years before 2025-06-30
  and must not count as registered users; some ``lastseen`` values are empty.
* ILL in both directions: items borrowed from other libraries (itype ``ILL``) and our items lent to
  other libraries (patrons with categorycode ``ILLLIB``). Both exist only in the Koha era.
* Patrons use several branches (about 30 % of active patrons), so distinct-patron counts do not
  add up over branches.
* Legacy 8-digit card numbers for about 1 % of patrons next to 14-digit Codabar barcodes.
* Reading-history privacy: Koha ``privacy`` 0 (keep forever), 1 (default), 2 (never keep).

Shapes worth knowing
====================
* Koha ``statistics.type``: ``issue``, ``renew``, ``return``, ``localuse``, ``payment``,
  ``writeoff``. In-library use (``localuse``) rows have an item but empty ``borrowernumber`` and
  ``categorycode``; money rows have ``value`` like ``2.5000`` and empty item columns; every other
  row has ``value`` ``0.0000``. ``interface`` ``cron`` marks automatic renewals.
* Sierra ``op_code``: ``o`` checkout, ``r`` renewal, ``i`` checkin, ``u`` in-house use (empty
  patron columns), ``n`` / ``f`` hold placed / filled (not circulation). ``stat_group_code_num``
  101 and 102 are Central, 201 Northgate, 301 East Hollow. ``due_date_gmt`` is set on ``o`` / ``r``.
* Material: Koha itype ``BK`` ``JBK`` ``AB`` ``DVD`` ``JDVD`` ``MAG`` ``KIT`` ``HOTSPOT`` ``ILL``;
  Sierra ``itype_code_num`` 0 1 20 10 11 30 40 41 (no ILL in Sierra). Juvenile: itype ``JBK`` /
  ``JDVD`` or ccode ``JFIC`` / ``JNF`` / ``EASY`` (Sierra: itype 1 / 11, ``j`` as the 4th letter
  of ``item_location_code``); young adult: ccode ``YAFIC`` / ``YANF`` (Sierra location ``..ya``).
* ILL borrowed for our patrons: Koha ``itemtype`` ``ILL`` (items at ``CEN``, one item record per
  request). ILL lent to other libraries: Koha ``categorycode`` ``ILLLIB`` (issued at ``CEN``).
* Not every checkout has a check-in in the exports (about 45 % do); July Sierra check-ins and
  renewals include loans issued in June 2024, before the fiscal year.
* Patron categories: ``PT`` adult, ``J`` under 12, ``YA`` 12-17, ``SR`` 65+, ``ST`` staff,
  ``ILLLIB``; Sierra ``ptype_code`` 0 adult, 1 juvenile, 2 young adult, 3 senior, 10 staff.
  ``dateofbirth`` is empty for about 3 % of patrons (categorised ``PT``) and for ILL libraries.

Run as ``python -m libstats.demo.generate RAW_DIR [--seed SEED]``.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import sys
import time
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from faker import Faker

from libstats.demo.common import (
    BRANCHES, DEFAULT_SEED, EPOCH, EXAMPLE_DOMAINS, FY_END, FY_START, HOLIDAYS, LOCAL_TZ,
    MONTH_WEIGHT, SIERRA_CIRC_TRANS_COLUMNS, make_barcode)
from libstats.demo.eresources import generate_eresources
from libstats.demo.wifi import generate_wifi

__all__ = [
    "DEFAULT_SEED", "FILES", "KOHA_STATISTICS_COLUMNS", "KOHA_BORROWERS_COLUMNS",
    "KOHA_ITEMS_COLUMNS", "generate_demo", "main",
]

# ----------------------------------------------------------------------------------- output files
FILES = {
    "koha_statistics": "koha/statistics.csv",
    "koha_borrowers": "koha/borrowers.csv",
    "koha_items": "koha/items.csv",
    "sierra_circ_trans": "sierra/circ_trans.csv",
}
ENCODINGS = {
    "koha_statistics": "utf-8",
    "koha_borrowers": "cp1252",
    "koha_items": "utf-8",
    "sierra_circ_trans": "utf-8",
}

KOHA_STATISTICS_COLUMNS = (
    "datetime", "branch", "value", "type", "other", "itemnumber", "itemtype", "location",
    "borrowernumber", "ccode", "categorycode", "interface")
KOHA_BORROWERS_COLUMNS = (
    "borrowernumber", "cardnumber", "surname", "firstname", "title", "othernames", "initials",
    "streetnumber", "address", "address2", "city", "state", "zipcode", "country", "email", "phone",
    "mobile", "dateofbirth", "branchcode", "categorycode", "dateenrolled", "dateexpiry",
    "date_renewed", "gonenoaddress", "lost", "debarred", "debarredcomment", "borrowernotes", "sex",
    "userid", "opacnote", "sort1", "sort2", "privacy", "lastseen", "anonymized", "smsalertnumber",
    "lang", "primary_contact_method")
KOHA_ITEMS_COLUMNS = (
    "itemnumber", "biblionumber", "barcode", "dateaccessioned", "homebranch", "holdingbranch",
    "location", "permanent_location", "itype", "ccode", "itemcallnumber", "itemnotes",
    "itemnotes_nonpublic", "notforloan", "itemlost", "withdrawn", "issues", "renewals",
    "datelastborrowed", "datelastseen", "price", "replacementprice", "timestamp")

# ------------------------------------------------------------------------------------- calendar
MIGRATION = date(2024, 10, 1)           # first day in Koha
AS_OF = FY_END                          # ages and the 3-year rule are taken on this day
PRE_START = date(2024, 5, 20)           # loans issued before FY2025 that come back during it
HOTSPOT_LAUNCH = date(2024, 8, 12)
NONE = -(10 ** 7)                       # sentinel day number / second for "empty"

WEEKDAY_WEIGHT = np.array([1.0, 1.05, 1.0, 1.0, 0.9, 1.1, 0.55])       # Monday .. Sunday
HOURS = np.arange(9, 21)                                                # open 09:00 - 20:59
HOUR_P = np.array([0.5, 0.8, 1.0, 1.0, 0.9, 1.0, 1.2, 1.3, 1.2, 1.0, 0.7, 0.4])
HOUR_P = HOUR_P / HOUR_P.sum()
REGISTRATION_MONTH_WEIGHT = np.array(
    [0, 1.0, 0.8, 0.9, 0.9, 0.9, 1.2, 1.3, 1.2, 1.6, 1.0, 0.8, 0.6])

# ------------------------------------------------------------------------------------ the library
BRANCH_SHARE = (0.5, 0.3, 0.2)
SIERRA_BRANCH = ("cen", "nor", "eas")

N_PATRONS = 5000
N_STAFF = 20
N_ILLLIB = 5
N_ISSUES = 108_000        # checkouts inside FY2025 (both systems)
N_LOCALUSE = 8_000
N_MONEY = 1_800           # Koha payment / writeoff rows
N_HOLDS = 450             # Sierra hold rows (n / f)
P_RETURN = 0.46           # share of loans whose check-in shows up in the exports
P_ILL_BORROW = 0.0135     # share of Koha-era issues that are ILL items
P_ILL_LEND = 0.005        # share of all FY issues that go to ILLLIB patrons

COUNTY_ZIPS = {  # zip: town (fictional towns)
    "06410": "Riverbend", "06411": "Riverbend", "06412": "Northgate", "06413": "Northgate",
    "06414": "East Hollow", "06415": "Millbrook Falls", "06416": "Cedar Ridge",
    "06417": "Ashford Landing", "06418": "Pine Hollow", "06419": "Stillwater",
}
ZIPS_BY_BRANCH = (
    (("06410", "06411", "06415", "06416"), (0.35, 0.30, 0.20, 0.15)),
    (("06412", "06413", "06416"), (0.45, 0.35, 0.20)),
    (("06414", "06417", "06418", "06419"), (0.40, 0.25, 0.20, 0.15)),
)
OUT_ZIPS = {  # out-of-county zip: (town, state)
    "06103": ("Hartwell", "CT"), "06511": ("New Alder", "CT"), "06902": ("Stonemoor", "CT"),
    "01103": ("Springvale", "MA"), "10598": ("Yorkton Heights", "NY"), "02903": ("Provost", "RI"),
}
ELDER_ZIP, ELDER_TOWN = "06420", "Cedar Notch"      # only the 97-year-old lives here
ZIP_REGION = {"06410": 1, "06411": 1, "06412": 2, "06413": 2, "06414": 3, "06415": 4,
              "06416": 5, "06417": 6, "06418": 7, "06419": 8, ELDER_ZIP: 8}  # others: 9

ILL_LIBRARIES = ("Harrow Valley Public Library", "Saint Aldric College Library",
                 "Quarry Point Free Library", "Wexcombe Memorial Library",
                 "Lantern Hill Regional Library")
AREA_CODES = ("860", "860", "860", "203", "959")

# Names that only cp1252 (not latin-1) can hold are the ones with Š Ž œ ’; the others are common.
SPECIAL_FIRST = ("José", "Zoë", "François", "Žofia", "Šárka", "Renée", "Björn", "Inés", "Noël",
                 "Anaïs", "Søren", "Jürgen", "Maëlle", "Štefan", "Chloé")
SPECIAL_LAST = ("O’Brien", "D’Angelo", "O’Neil", "Müller", "Núñez", "Peña", "Šimek", "Žagar",
                "Cœurdevey", "Gonçalves", "Ibáñez", "Lefèvre", "Öztürk", "Hrušovský", "N’Diaye")

AGE_WEIGHT = np.array(
    [0.6] * 5 + [1.5] * 8 + [1.0] * 5 + [0.8] * 7 + [1.1] * 20 + [1.0] * 20 + [0.9] * 15
    + [0.45] * 10 + [0.12] * 7)                                 # ages 0 .. 96
AGE_P = AGE_WEIGHT / AGE_WEIGHT.sum()

# patron status (how recently the patron was seen)
ACTIVE, IDLE, LAPSED, INACTIVE, NEVER = range(5)
# event types
ISSUE, RENEW, RETURN, LOCALUSE, PAYMENT, WRITEOFF, HOLD_PLACED, HOLD_FILLED = range(8)
KOHA_TYPE = ("issue", "renew", "return", "localuse", "payment", "writeoff", "", "")
SIERRA_OP = ("o", "r", "i", "u", "", "", "n", "f")
# interfaces
INTRANET, OPAC, SIP, CRON = range(4)
INTERFACES = ("intranet", "opac", "sip", "cron")


@dataclass(frozen=True)
class Kind:
    """A circulation class of items: Koha itype plus the collections it holds."""

    name: str
    itype: str
    ccodes: tuple[str, ...]
    ccode_p: tuple[float, ...]
    sierra_itype: str
    loan_days: int
    renewal_p: tuple[float, float, float]      # P(0, 1, 2 renewals)
    counts: tuple[int, int, int]                # items at CEN, NOR, EAS
    copies: float                               # items per bib
    loanrule: str
    price: tuple[float, float]


KINDS = (
    Kind("BK_A", "BK", ("AFIC", "ANF"), (0.58, 0.42), "0", 21, (0.78, 0.17, 0.05),
         (1300, 750, 500), 1.4, "1", (14.0, 32.0)),
    Kind("BK_YA", "BK", ("YAFIC", "YANF"), (0.75, 0.25), "0", 21, (0.78, 0.17, 0.05),
         (300, 180, 120), 1.5, "1", (11.0, 22.0)),
    Kind("JBK", "JBK", ("JFIC", "JNF", "EASY"), (0.45, 0.25, 0.30), "1", 21, (0.80, 0.15, 0.05),
         (850, 600, 400), 1.4, "2", (7.0, 20.0)),
    Kind("AB", "AB", ("MEDIA",), (1.0,), "20", 21, (0.74, 0.20, 0.06),
         (180, 110, 70), 1.3, "3", (25.0, 60.0)),
    Kind("DVD", "DVD", ("MEDIA",), (1.0,), "10", 7, (0.72, 0.22, 0.06),
         (320, 190, 130), 1.6, "4", (15.0, 30.0)),
    Kind("JDVD", "JDVD", ("MEDIA",), (1.0,), "11", 7, (0.72, 0.22, 0.06),
         (120, 80, 50), 1.6, "4", (12.0, 25.0)),
    Kind("MAG", "MAG", ("PER",), (1.0,), "30", 7, (0.90, 0.10, 0.0),
         (170, 110, 70), 8.0, "5", (4.0, 9.0)),
    Kind("KIT", "KIT", ("LOT",), (1.0,), "40", 14, (0.80, 0.20, 0.0),
         (22, 14, 9), 1.0, "6", (40.0, 120.0)),
    Kind("HOTSPOT", "HOTSPOT", ("LOT",), (1.0,), "41", 14, (1.0, 0.0, 0.0),
         (10, 6, 4), 20.0, "7", (90.0, 90.0)),
    Kind("ILL", "ILL", ("AFIC", "ANF"), (0.6, 0.4), "", 28, (0.75, 0.25, 0.0),
         (1100, 0, 0), 1.0, "", (0.0, 0.0)),
)
K = {k.name: i for i, k in enumerate(KINDS)}
N_KINDS = len(KINDS)

# what each patron category borrows (ILL is added separately, Koha era only)
_MIX = {
    #        BK_A  BK_YA JBK   AB    DVD   JDVD  MAG   KIT    HOTSPOT ILL
    "J":    (0.01, 0.03, 0.72, 0.02, 0.03, 0.13, 0.01, 0.002, 0.001, 0),
    "YA":   (0.15, 0.45, 0.08, 0.06, 0.12, 0.02, 0.04, 0.0015, 0.0015, 0),
    "PT":   (0.50, 0.03, 0.14, 0.09, 0.14, 0.04, 0.05, 0.0015, 0.0012, 0),
    "SR":   (0.60, 0.01, 0.04, 0.14, 0.13, 0.01, 0.08, 0.001, 0.0005, 0),
    "ST":   (0.50, 0.05, 0.12, 0.09, 0.14, 0.04, 0.05, 0.002, 0.001, 0),
    "ILLLIB": (0.90, 0.0, 0.0, 0.10, 0.0, 0.0, 0.0, 0.0, 0.0, 0),
}
KIND_MIX = {c: np.array(p) / np.sum(p) for c, p in _MIX.items()}

LOCATION_BY_CCODE = {"AFIC": "GEN", "ANF": "GEN", "YAFIC": "TEEN", "YANF": "TEEN",
                     "JFIC": "CHILD", "JNF": "CHILD", "EASY": "CHILD", "MEDIA": "AV",
                     "PER": "GEN", "LOT": "GEN"}
SIERRA_LOC_SUFFIX = {"AFIC": "af", "ANF": "an", "YAFIC": "ya", "YANF": "ya", "JFIC": "jf",
                     "JNF": "jn", "EASY": "je", "PER": "pe", "LOT": "lt"}
SIERRA_PTYPE = {"PT": "0", "J": "1", "YA": "2", "SR": "3", "ST": "10"}


# ------------------------------------------------------------------------------------- helpers
def _day(d: date) -> int:
    return (d - EPOCH).days


def _date(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


def _fmt_days(days: np.ndarray) -> np.ndarray:
    """Day numbers -> 'YYYY-MM-DD' (object array); NONE -> ''."""
    days = np.asarray(days, dtype=np.int64)
    out = np.datetime_as_string(np.where(days == NONE, 0, days).astype("datetime64[D]"), unit="D")
    return np.where(days == NONE, "", out).astype(object)


def _fmt_secs(secs: np.ndarray) -> np.ndarray:
    """Seconds since the epoch (wall clock) -> 'YYYY-MM-DD HH:MM:SS' (object array); NONE -> ''."""
    secs = np.asarray(secs, dtype=np.int64)
    out = np.datetime_as_string(np.where(secs == NONE, 0, secs).astype("datetime64[s]"), unit="s")
    out = np.char.replace(out, "T", " ")
    return np.where(secs == NONE, "", out).astype(object)


def _utc_offsets(days: np.ndarray) -> np.ndarray:
    """UTC offset in seconds of America/New_York at noon on each day (DST switches at 02:00)."""
    uniq, inv = np.unique(days, return_inverse=True)
    offs = np.array([int(datetime.combine(_date(d), datetime.min.time()).replace(
        hour=12, tzinfo=LOCAL_TZ).utcoffset().total_seconds()) for d in uniq], dtype=np.int64)
    return offs[inv]


def _add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:                  # 29 February
        return d.replace(year=d.year + years, day=28)


@functools.lru_cache(maxsize=None)
def _ascii(s: str) -> str:
    s = unicodedata.normalize("NFKD", s.replace("œ", "oe").replace("Œ", "Oe").replace("ø", "o"))
    return "".join(ch for ch in s if ch.isascii() and ch.isalnum()).lower()


def _phone(r) -> str:
    """A fictional number in the 555-0100..0199 range, in one of three formats."""
    area, line, fmt = r.choice(AREA_CODES), r.randint(100, 199), r.randrange(3)
    return (f"({area}) 555-0{line}", f"{area}-555-0{line}", f"+1 {area} 555 0{line}")[fmt]


def _sms(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "+1" + digits[-10:]


def _email(r, first: str, last: str) -> str:
    f, la = _ascii(first) or "reader", _ascii(last) or "patron"
    form = r.randrange(3)
    local = (f"{f}.{la}", f"{f[0]}{la}{r.randint(1, 99)}", f"{la}.{f[0]}{r.randint(1, 9)}")[form]
    return f"{local}@{r.choice(EXAMPLE_DOMAINS)}"


class _Calendar:
    """Traffic-weighted day sampling and times of day."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.holidays = np.array([_day(h) for h in HOLIDAYS])

    def days(self, start: date, end: date) -> tuple[np.ndarray, np.ndarray]:
        days = np.arange(_day(start), _day(end) + 1)
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


# --------------------------------------------------------------------------------------- patrons
@dataclass
class _Patrons:
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


def _patron_core(rng: np.random.Generator, cal: _Calendar) -> _Patrons:
    n = N_PATRONS
    kind = np.zeros(n, dtype=np.int64)
    perm = rng.permutation(n)
    kind[perm[:N_ILLLIB]] = 2
    kind[perm[N_ILLLIB:N_ILLLIB + N_STAFF]] = 1
    kind[perm[N_ILLLIB + N_STAFF]] = 3

    age = rng.choice(97, size=n, p=AGE_P)
    age[kind == 1] = rng.integers(22, 65, size=N_STAFF)
    age[kind == 3] = 97
    age[((rng.random(n) < 0.03) & (kind == 0)) | (kind == 2)] = -1
    dob = np.full(n, NONE, dtype=np.int64)
    has = age >= 0
    anchors = np.array([_day(date(AS_OF.year - a, 6, 30)) for a in age[has]], dtype=np.int64)
    dob[has] = anchors - rng.integers(0, 365, size=has.sum())

    category = np.where(age < 0, "PT", np.where(age < 12, "J", np.where(
        age < 18, "YA", np.where(age >= 65, "SR", "PT")))).astype(object)
    category[kind == 1] = "ST"
    category[kind == 2] = "ILLLIB"

    home = rng.choice(3, size=n, p=BRANCH_SHARE)
    home[kind == 2] = 0
    home[kind == 3] = 2
    zipcode = np.empty(n, dtype=object)
    for b, (zips, p) in enumerate(ZIPS_BY_BRANCH):
        m = home == b
        zipcode[m] = rng.choice(zips, size=m.sum(), p=p)
    out = (rng.random(n) < 0.04) | (kind == 2)
    zipcode[out] = rng.choice(list(OUT_ZIPS), size=out.sum())
    zipcode[kind == 3] = ELDER_ZIP

    # how recently seen
    u = rng.random(n)
    old_enough = (dob == NONE) | (dob < _day(date(2021, 1, 1)))
    status = np.full(n, ACTIVE)
    status[(u < 0.085) & old_enough] = INACTIVE
    status[(u >= 0.085) & (u < 0.145)] = LAPSED
    status[(u >= 0.145) & (u < 0.175)] = NEVER
    status[(u >= 0.175) & (u < 0.28)] = IDLE
    status[kind != 0] = ACTIVE

    lower = np.maximum(_day(date(2005, 1, 1)), np.where(dob == NONE, 0, dob + 30))
    lower = np.minimum(lower, _day(AS_OF))            # babies born in June 2025
    lastseen_day = np.full(n, NONE, dtype=np.int64)
    m = status == INACTIVE
    lastseen_day[m] = rng.integers(np.maximum(_day(date(2012, 1, 1)), lower[m] + 60),
                                   _day(date(2022, 6, 29)))
    m = status == LAPSED
    lastseen_day[m] = rng.integers(_day(date(2022, 7, 1)), _day(date(2024, 6, 30)) + 1,
                                   size=m.sum())
    m = status == IDLE
    lastseen_day[m] = rng.integers(_day(date(2023, 7, 1)), _day(date(2024, 6, 30)) + 1,
                                   size=m.sum())

    upper = np.full(n, _day(FY_START) - 1, dtype=np.int64)
    m = status == INACTIVE
    upper[m] = lastseen_day[m] - 30
    span = np.maximum(upper - lower + 1, 1)
    enrolled = lower + np.floor(span * rng.random(n) ** 0.75).astype(np.int64)
    enrolled = np.where(upper < lower, lower, enrolled)
    enrolled[kind == 2] = _day(date(2024, 9, 30))          # ILL library accounts: migration eve

    # about 10 % register during FY2025, more in September (library card month) and summer
    cand = np.flatnonzero(((status == ACTIVE) | (status == NEVER)) & (kind == 0)
                          & ((dob == NONE) | (dob < _day(date(2024, 6, 1)))))
    n_new = int(round(0.095 * n))
    new = rng.choice(cand, size=n_new, replace=False)
    fy_days = np.arange(_day(FY_START), _day(FY_END) + 1)
    months = fy_days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    p = REGISTRATION_MONTH_WEIGHT[months]
    enrolled[new] = np.maximum(rng.choice(fy_days, size=n_new, p=p / p.sum()), lower[new])

    lastseen_day = np.where((lastseen_day != NONE) & (lastseen_day < enrolled),
                            enrolled + rng.integers(0, 30, size=n), lastseen_day)
    lastseen = np.where(lastseen_day == NONE, NONE, lastseen_day * 86400 + cal.tod(n))

    weight = rng.lognormal(0.0, 1.1, size=n)
    weight[kind == 1] *= 1.5
    weight[kind == 3] = 1.0
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
    pat = _Patrons(n=n, kind=kind, category=category, home=home, zipcode=zipcode, dob=dob,
                   enrolled=enrolled, status=status, lastseen=lastseen, weight=weight,
                   roamer=roamer, secondary=secondary, p_secondary=p_secondary,
                   sierra_id=sierra_id, pcode1=pcode1, pcode2=pcode2, pcode4=pcode4)
    for field in ("kind", "category", "home", "zipcode", "dob", "enrolled", "status", "lastseen",
                  "weight", "roamer", "secondary", "p_secondary", "sierra_id", "pcode1",
                  "pcode2", "pcode4"):
        setattr(pat, field, getattr(pat, field)[order])
    return pat


_NOTE_BENIGN = (
    "Prefers large print", "Address verified {date}", "Card replaced {date}",
    "Summer reading volunteer 2024", "Requested no phone calls",
    "Patron notified about fines.\nAgreed to pay on next visit",
    "Old card {oldcard} replaced (lost)", "Homebound delivery, first Tuesday of the month",
)
_NOTE_PII = (
    "Call mother at {phone} re: overdue", "Emailed {email} about lost item",
    "Father {name} picks up holds for this patron, tel {phone}",
    "Prefers contact via {email}", "Old card {oldcard} reported stolen; new card issued {date}",
    "Called {date} - no answer.\nLeft message with {name} at {phone}",
    "Homebound delivery; caregiver {name} {phone}", "Contact: {name} <{email}>",
)
_OPAC_BENIGN = ("Please update your email address", "Your card expires soon - renew at any branch",
                "Please return the museum pass to Central")
_OPAC_PII = ("We could not reach you at {phone}. Please call the library.",
             "Hold notices to {email} bounced - please update your email")
_DEBAR = ("Unpaid lost items", "OVERDUES restriction", "Behaviour incident {date}, see report",
          "Incident {date}; witness {name} {phone}")
_SORT1 = ("HS2026", "HS2027", "BOOKMOBILE", "SCH-RHS", "SCH-NGE", "VOL", "HOMEBOUND", "2019DRIVE")
_SORT2 = ("A", "B", "NEWSLTR", "FRIENDS", "ESL")


def _patron_columns(rng: np.random.Generator, fake: Faker, pat: _Patrons) -> None:
    """Names, addresses, contacts and notes (Faker, one pass per patron); fills ``pat.cols``."""
    n = pat.n
    r = fake.random
    as_of = _day(AS_OF)
    sex = rng.choice(["F", "M", ""], size=n, p=[0.52, 0.44, 0.04])
    sp_first = np.full(n, -1)
    sp_last = np.full(n, -1)
    pick = rng.choice(n, size=int(0.05 * n), replace=False)
    sp_first[pick] = np.arange(pick.size) % len(SPECIAL_FIRST)
    pick = rng.choice(n, size=int(0.07 * n), replace=False)
    sp_last[pick] = np.arange(pick.size) % len(SPECIAL_LAST)
    legacy = (rng.random(n) < 0.01) & (pat.kind == 0)
    legacy_nums = rng.choice(90_000_000, size=n, replace=False) + 10_000_000
    seq = 10_000 + np.cumsum(rng.integers(1, 4, size=n))
    has_email = rng.random(n) < 0.85
    has_phone = rng.random(n) < 0.85
    has_mobile = rng.random(n) < 0.50
    has_sms = rng.random(n) < 0.25
    has_addr2 = rng.random(n) < 0.15
    has_initials = rng.random(n) < 0.30
    has_other = rng.random(n) < 0.03
    usa = rng.random(n) < 0.70
    privacy = rng.choice(["0", "1", "2"], size=n, p=[0.20, 0.65, 0.15])
    lang = rng.choice(["en", "es", "default"], size=n, p=[0.80, 0.10, 0.10])
    contact = rng.choice(["email", "phone", ""], size=n, p=[0.5, 0.25, 0.25])
    title_u = rng.random(n)
    note_u = rng.random(n)           # < 0.04 PII note, < 0.12 benign note
    opac_u = rng.random(n)           # < 0.01 PII, < 0.03 benign
    debarred = rng.random(n) < 0.02
    debar_u = rng.random(n)
    gone = np.where(rng.random(n) < 0.01, "1", "0")
    lost = np.where(rng.random(n) < 0.01, "1", "0")
    sort1_u = rng.random(n)
    sort2_u = rng.random(n)
    exp_years = rng.choice([1, 2, 3, 5], size=n, p=[0.15, 0.25, 0.45, 0.15])
    renewed_u = rng.random(n)
    renewed_v = rng.random(n)

    # each town has a limited set of streets: Faker names them once per zipcode
    all_zips = sorted(set(COUNTY_ZIPS) | set(OUT_ZIPS) | {ELDER_ZIP})
    streets = {z: [fake.street_name() for _ in range(3 if z == ELDER_ZIP else 40)]
               for z in all_zips}

    cols: dict[str, list[str]] = {c: [] for c in KOHA_BORROWERS_COLUMNS}
    used_userids: set[str] = set()
    ill_j = 0
    for i in range(n):
        cat = pat.category[i]
        zipc = pat.zipcode[i]
        if zipc in COUNTY_ZIPS:
            city, state = COUNTY_ZIPS[zipc], "CT"
        elif zipc == ELDER_ZIP:
            city, state = ELDER_TOWN, "CT"
        else:
            city, state = OUT_ZIPS[zipc]
        if pat.kind[i] == 2:
            library = ILL_LIBRARIES[ill_j]
            ill_j += 1
            first, last, sx, title = "", f"Interlibrary Loan - {library}", "", ""
            email = f"ill.{_ascii(library.split()[0])}@{EXAMPLE_DOMAINS[1]}"
        else:
            sx = sex[i]
            first = (fake.first_name_female() if sx == "F" else
                     fake.first_name_male() if sx == "M" else fake.first_name())
            last = fake.last_name()
            if sp_first[i] >= 0:
                first = SPECIAL_FIRST[sp_first[i]]
            if sp_last[i] >= 0:
                last = SPECIAL_LAST[sp_last[i]]
            adult = cat in ("PT", "SR", "ST")
            title = ("Dr" if title_u[i] < 0.03 else
                     ("Ms" if sx == "F" else "Mr" if sx == "M" else "") if title_u[i] < 0.45
                     else "") if adult else ""
            email = _email(r, first, last) if has_email[i] else ""
        phone = _phone(r) if has_phone[i] or pat.kind[i] == 2 else ""
        mobile = _phone(r) if has_mobile[i] and pat.kind[i] != 2 else ""
        sms = _sms(mobile or phone) if has_sms[i] and (mobile or phone) else ""
        cardnumber = (str(legacy_nums[i]) if legacy[i] else make_barcode("2", int(seq[i])))
        base = (_ascii(first)[:1] + _ascii(last))[:12] or "patron"
        userid = f"{base}{r.randint(1, 99)}"
        while userid in used_userids:
            userid = f"{base}{r.randint(100, 9999)}"
        used_userids.add(userid)

        # card expiry: patrons seen in the last two years hold a card valid when last seen
        enrolled = _date(pat.enrolled[i])
        recent = pat.status[i] in (ACTIVE, IDLE)
        seen_day = (as_of if pat.status[i] == ACTIVE or pat.lastseen[i] == NONE
                    else int(pat.lastseen[i] // 86400))
        years = int(exp_years[i])
        expiry = _add_years(enrolled, years)
        renewed = ""
        if recent and _day(expiry) < seen_day:
            lo, hi = max(pat.enrolled[i] + 30, seen_day - 2 * 365), seen_day
            rd = _date(lo + int(renewed_v[i] * max(0, hi - lo)))
            renewed, expiry = rd.isoformat(), _add_years(rd, max(years, 3))
        elif renewed_u[i] < 0.4 and pat.enrolled[i] + 365 < min(seen_day, _day(expiry)):
            lo, hi = pat.enrolled[i] + 365, min(seen_day, _day(expiry))
            rd = _date(lo + int(renewed_v[i] * (hi - lo)))
            renewed, expiry = rd.isoformat(), _add_years(rd, years)

        def fill(template: str) -> str:
            values = {}
            if "{phone}" in template:
                values["phone"] = _phone(r)
            if "{email}" in template:
                values["email"] = _email(r, fake.first_name(), fake.last_name())
            if "{name}" in template:
                values["name"] = fake.name()
            if "{oldcard}" in template:
                values["oldcard"] = make_barcode("2", r.randint(90_000_000, 99_999_999))
            if "{date}" in template:
                values["date"] = _date(pat.enrolled[i] + r.randint(
                    0, max(1, as_of - pat.enrolled[i]))).isoformat()
            return template.format(**values)

        note = ""
        if note_u[i] < 0.04:
            note = fill(r.choice(_NOTE_PII))
        elif note_u[i] < 0.12:
            note = fill(r.choice(_NOTE_BENIGN))
        opac = ""
        if opac_u[i] < 0.01:
            opac = fill(r.choice(_OPAC_PII))
        elif opac_u[i] < 0.03:
            opac = r.choice(_OPAC_BENIGN)
        debar_date, debar_comment = "", ""
        if debarred[i] and pat.kind[i] == 0:
            debar_date = ("9999-12-31" if debar_u[i] < 0.3 else
                          _date(as_of + 1 + int(debar_u[i] * 400)).isoformat())
            debar_comment = fill(_DEBAR[int(debar_u[i] * len(_DEBAR))])

        row = {
            "borrowernumber": str(i + 1), "cardnumber": cardnumber, "surname": last,
            "firstname": first, "title": title,
            "othernames": fake.first_name() if has_other[i] and pat.kind[i] != 2 else "",
            "initials": (_ascii(first)[:1] + _ascii(last)[:1]).upper()
            if has_initials[i] and first else "",
            "streetnumber": str(r.randint(1, 399) if r.random() < 0.7 else r.randint(400, 2999)),
            "address": r.choice(streets[zipc]),
            "address2": fake.secondary_address() if has_addr2[i] else "",
            "city": city, "state": state, "zipcode": zipc, "country": "USA" if usa[i] else "",
            "email": email, "phone": phone, "mobile": mobile,
            "dateofbirth": _date(pat.dob[i]).isoformat() if pat.dob[i] != NONE else "",
            "branchcode": BRANCHES[pat.home[i]], "categorycode": cat,
            "dateenrolled": enrolled.isoformat(), "dateexpiry": expiry.isoformat(),
            "date_renewed": renewed, "gonenoaddress": gone[i], "lost": lost[i],
            "debarred": debar_date, "debarredcomment": debar_comment, "borrowernotes": note,
            "sex": sx, "userid": userid, "opacnote": opac,
            "sort1": _SORT1[int(sort1_u[i] * 80) % len(_SORT1)] if sort1_u[i] < 0.10 else "",
            "sort2": _SORT2[int(sort2_u[i] * 100) % len(_SORT2)] if sort2_u[i] < 0.05 else "",
            "privacy": privacy[i], "lastseen": "", "anonymized": "0", "smsalertnumber": sms,
            "lang": lang[i],
            "primary_contact_method": (contact[i] if (contact[i] != "email" or email) else
                                       ("phone" if phone else "")),
        }
        for c in KOHA_BORROWERS_COLUMNS:
            cols[c].append(row[c])
    pat.cols = cols


# ----------------------------------------------------------------------------------------- items
@dataclass
class _Items:
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


def _build_items(rng: np.random.Generator, fake: Faker, staff_emails: list[str]) -> _Items:
    r = fake.random
    authors = [_ascii(fake.last_name()).upper() for _ in range(600)]
    kind = np.concatenate([np.full(c, k) for k, spec in enumerate(KINDS) for c in spec.counts])
    home = np.concatenate([np.full(c, b) for spec in KINDS for b, c in enumerate(spec.counts)])
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
        calls = []
        for j in range(nb):             # one Faker call per bib (title / author)
            cc = bib_cc[j]
            if spec.name in ("DVD", "JDVD", "MAG"):
                word = fake.word().upper()
                calls.append({"DVD": "DVD ", "JDVD": "J DVD ", "MAG": "PER "}[spec.name] + word)
                continue
            if spec.name == "KIT":
                calls.append(f"KIT {j + 1:03d}")
                continue
            if spec.name in ("HOTSPOT", "ILL"):
                calls.append(spec.name)
                continue
            author = r.choice(authors)
            dewey = f"{r.randint(0, 999):03d}.{r.randint(0, 99):02d}"
            calls.append({
                "AFIC": f"FIC {author}", "ANF": f"{dewey} {author[:3]}",
                "YAFIC": f"YA FIC {author}", "YANF": f"YA {dewey} {author[:3]}",
                "JFIC": f"J FIC {author}", "JNF": f"J {dewey} {author[:3]}",
                "EASY": f"E {author}", "MEDIA": f"CD BOOK {author}"}[cc])
        callnumber[idx] = np.array(calls, dtype=object)[local]

    location = np.array([LOCATION_BY_CCODE[c] for c in ccode], dtype=object)
    notforloan = np.full(m, "0", dtype=object)
    ref = (ccode == "ANF") & (kind == K["BK_A"]) & (rng.random(m) < 0.05)
    location[ref] = "REF"
    notforloan[ref] = "1"
    permanent_location = location.copy()
    display = (np.isin(kind, [K["BK_A"], K["JBK"], K["AB"], K["DVD"]]) & ~ref
               & (rng.random(m) < 0.02))
    location[display] = "DISPLAY"

    lo, hi = _day(date(2000, 1, 1)), _day(PRE_START) - 5
    accessioned = lo + np.floor((hi - lo) * rng.random(m) ** 0.5).astype(np.int64)
    mag = kind == K["MAG"]
    accessioned[mag] = rng.integers(_day(date(2022, 7, 1)), hi, size=mag.sum())
    hs = kind == K["HOTSPOT"]
    accessioned[hs] = _day(date(2024, 8, 5)) + rng.integers(0, 4, size=hs.sum())
    accessioned[kind == K["ILL"]] = NONE            # set from the first ILL checkout later

    popularity = rng.lognormal(0.0, 0.9, size=m) * np.where(display, 2.0, 1.0)

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
        nonpublic[i] = (f"Lender contact ill.{_ascii(lib.split()[0])}@{EXAMPLE_DOMAINS[2]}; "
                        f"requested by {r.choice(staff_emails)}")

    return _Items(m=m, kind=kind, home=home, ccode=ccode, location=location,
                  permanent_location=permanent_location, notforloan=notforloan,
                  accessioned=accessioned, bib=bib, callnumber=callnumber, popularity=popularity,
                  itemnotes=notes, itemnotes_nonpublic=nonpublic, price=price,
                  replacementprice=replacement)


# ---------------------------------------------------------------------------------- transactions
@dataclass
class _Events:
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
    def concat(parts: list[_Events]) -> _Events:
        return _Events(*(np.concatenate([getattr(p, f) for p in parts])
                         for f in ("day", "tod", "etype", "patron", "item", "branch", "iface",
                                   "value", "due")))

    def take(self, idx: np.ndarray) -> _Events:
        return _Events(*(getattr(self, f)[idx]
                         for f in ("day", "tod", "etype", "patron", "item", "branch", "iface",
                                   "value", "due")))


def _ev(day, tod, etype, patron, item, branch, iface, value=None, due=None) -> _Events:
    n = len(day)
    full = (lambda v: np.full(n, v, dtype=np.int64) if np.isscalar(v) else
            np.asarray(v, dtype=np.int64))
    return _Events(day=full(day), tod=full(tod), etype=full(etype), patron=full(patron),
                   item=full(item), branch=full(branch), iface=full(iface),
                   value=np.zeros(n) if value is None else np.asarray(value, dtype=float),
                   due=full(NONE if due is None else due))


def _pick_items(rng: np.random.Generator, items: _Items, kind: np.ndarray, branch: np.ndarray,
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


def _transactions(rng: np.random.Generator, cal: _Calendar, pat: _Patrons,
                  items: _Items) -> _Events:
    mig = _day(MIGRATION)
    fy0, fy1 = _day(FY_START), _day(FY_END)

    # ---- loans: issued from PRE_START on; only FY2025 events are exported
    n_pre = int(round(N_ISSUES * (fy0 - _day(PRE_START)) / 365 * 1.1))
    day = np.concatenate([cal.sample(n_pre, PRE_START, FY_START - timedelta(days=1)),
                          cal.sample(N_ISSUES, FY_START, FY_END)])
    n = day.size
    tod = cal.tod(n)
    tp = np.flatnonzero(pat.transacting & (pat.category != "ILLLIB"))
    w = pat.weight[tp] / pat.weight[tp].sum()
    patron = rng.choice(tp, size=n, p=w)
    old = tp[pat.enrolled[tp] < _day(PRE_START)]
    w_old = pat.weight[old] / pat.weight[old].sum()
    bad = day < pat.enrolled[patron]
    patron[bad] = rng.choice(old, size=bad.sum(), p=w_old)
    illlib = np.flatnonzero(pat.category == "ILLLIB")
    koha_issue = np.flatnonzero(day >= mig)
    lend = rng.choice(koha_issue, size=int(round(P_ILL_LEND * N_ISSUES)), replace=False)
    patron[lend] = rng.choice(illlib, size=lend.size, p=[0.35, 0.25, 0.2, 0.12, 0.08])
    is_lend = np.zeros(n, dtype=bool)
    is_lend[lend] = True

    roam = pat.roamer[patron] & (rng.random(n) < pat.p_secondary[patron])
    branch = np.where(roam, pat.secondary[patron], pat.home[patron])
    branch[is_lend] = 0

    kind = np.empty(n, dtype=np.int64)
    cats = pat.category[patron]
    for cat, p in KIND_MIX.items():
        sel = np.flatnonzero(cats == cat)
        kind[sel] = rng.choice(N_KINDS, size=sel.size, p=p)
    kind[(day >= mig) & ~is_lend & (rng.random(n) < P_ILL_BORROW)] = K["ILL"]
    kind[(kind == K["HOTSPOT"]) & (day < _day(HOTSPOT_LAUNCH))] = K["BK_A"]

    floating = (rng.random(n) < 0.10) & (kind != K["ILL"])
    circulating = items.notforloan == "0"
    item = _pick_items(rng, items, kind, np.where(floating, 3, branch), circulating)
    # each ILL request brings its own item record: ILL items go out once, in arrival order
    ill_sel = np.flatnonzero(kind == K["ILL"])
    ill_sel = ill_sel[np.lexsort((ill_sel, tod[ill_sel], day[ill_sel]))]
    ill_pool = np.flatnonzero(items.kind == K["ILL"])
    item[ill_sel] = ill_pool[np.arange(ill_sel.size) % ill_pool.size]
    loan = np.array([k.loan_days for k in KINDS])[kind]
    iface = np.where(is_lend, INTRANET, _choice(rng, n, (0.55, 0.07, 0.38, 0.0)))
    issues = _ev(day, tod, ISSUE, patron, item, branch, iface, due=day + loan)

    # ---- renewals
    renew_p = np.array([k.renewal_p for k in KINDS])[kind]
    u = rng.random(n)
    n_ren = (u > renew_p[:, 0]).astype(np.int64) + (u > renew_p[:, 0] + renew_p[:, 1])
    renewals = []
    last_day = day.copy()
    for j in (1, 2):
        sel = np.flatnonzero(n_ren >= j)
        rday = cal.open_shift(day[sel] + j * loan[sel] - rng.integers(0, 3, size=sel.size))
        last_day[sel] = rday
        r_iface = _choice(rng, sel.size, (0.20, 0.30, 0.05, 0.45))
        renewals.append(_ev(rday, cal.tod(sel.size), RENEW, patron[sel], item[sel], branch[sel],
                            r_iface, due=rday + loan[sel]))

    # ---- returns
    sel = np.flatnonzero(rng.random(n) < P_RETURN)
    rday = cal.open_shift(last_day[sel] + rng.integers(1, loan[sel] + 8))
    moved = rng.random(sel.size) < 0.08
    rbranch = np.where(moved, (branch[sel] + rng.integers(1, 3, size=sel.size)) % 3, branch[sel])
    returns = _ev(rday, cal.tod(sel.size), RETURN, patron[sel], item[sel], rbranch,
                  _choice(rng, sel.size, (0.6, 0.0, 0.4, 0.0)))

    # ---- in-library use (no patron)
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
    localuse = _ev(lday, cal.tod(N_LOCALUSE), LOCALUSE, -1, litem, lbranch,
                   np.where(rng.random(N_LOCALUSE) < 0.9, INTRANET, SIP))

    # ---- payments and write-offs (Koha only)
    mday = cal.sample(N_MONEY, MIGRATION, FY_END)
    old_m = tp[pat.enrolled[tp] < mig]
    mpat = rng.choice(old_m, size=N_MONEY, p=pat.weight[old_m] / pat.weight[old_m].sum())
    mtype = np.where(rng.random(N_MONEY) < 0.8, PAYMENT, WRITEOFF)
    miface = np.where(mtype == WRITEOFF, INTRANET, _choice(rng, N_MONEY, (0.7, 0.2, 0.1, 0.0)))
    value = rng.integers(1, 61, size=N_MONEY) * 0.25
    money = _ev(mday, cal.tod(N_MONEY), mtype, mpat, -1, pat.home[mpat], miface, value=value)

    # ---- holds (Sierra only)
    hday = cal.sample(N_HOLDS, FY_START, MIGRATION - timedelta(days=1))
    hpat = rng.choice(old, size=N_HOLDS, p=w_old)
    hpool = np.flatnonzero(circulating & ~np.isin(items.kind, [K["HOTSPOT"], K["ILL"]]))
    hitem = rng.choice(hpool, size=N_HOLDS)
    htype = np.where(rng.random(N_HOLDS) < 0.6, HOLD_PLACED, HOLD_FILLED)
    holds = _ev(hday, cal.tod(N_HOLDS), htype, hpat, hitem, pat.home[hpat], -1)

    ev = _Events.concat([issues, *renewals, returns, localuse, money, holds])
    keep = (ev.day >= fy0) & (ev.day <= fy1)
    return ev.take(np.flatnonzero(keep))


# --------------------------------------------------------------------------------------- writing
def _write_csv(path: Path, header: tuple[str, ...], columns: list, encoding: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = [c.tolist() if isinstance(c, np.ndarray) else list(c) for c in columns]
    n = len(cols[0])
    assert all(len(c) == n for c in cols), "ragged columns"
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*cols))
    return n


def _lookup(values, idx: np.ndarray) -> np.ndarray:
    """values[idx] with idx == -1 -> ''."""
    arr = np.append(np.asarray(values, dtype=object), "")
    return arr[np.where(idx < 0, arr.size - 1, idx)]


def _koha_other(rng: np.random.Generator, ev: _Events, pat: _Patrons, r) -> np.ndarray:
    """SIP free text on about 2 % of rows; some of it quotes the patron's phone or email."""
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
            phone = pat.cols["phone"][p] or _phone(r)
            email = pat.cols["email"][p]
            other[i] = (f"SIP screen msg: email {email} bounced" if email and r.random() < 0.5
                        else f"SIP msg: patron asked staff to call {phone}")
        elif ev.etype[i] == RETURN and r.random() < 0.3:
            other[i] = f"SIP AMH sorter {BRANCHES[b]}"
        else:
            other[i] = f"SIP selfcheck {r.choice(terminals[b]):02d}"
    return other


def generate_demo(raw_dir: Path, seed: int = DEFAULT_SEED) -> dict:
    """Write the fictional Riverbend County Library System raw exports under ``raw_dir``.

    Returns a JSON-serialisable summary: ``{"seed", "files": {name: path relative to raw_dir},
    "rows": {name: data rows (physical lines minus header may be more: some notes span lines)},
    "total_transactions": statistics rows + circ_trans rows}``. The same seed gives
    byte-identical files (and the same summary).
    """
    raw_dir = Path(raw_dir)
    rng = np.random.default_rng(seed)
    Faker.seed(seed)
    fake = Faker("en_US")
    fake.seed_instance(seed)
    r = fake.random
    cal = _Calendar(rng)

    pat = _patron_core(rng, cal)
    _patron_columns(rng, fake, pat)
    staff_emails = [e for e, c in zip(pat.cols["email"], pat.category) if c == "ST" and e]
    staff_emails = staff_emails or [f"circ.desk@{EXAMPLE_DOMAINS[0]}"]
    items = _build_items(rng, fake, staff_emails)
    ev = _transactions(rng, cal, pat, items)
    secs = ev.day * 86400 + ev.tod

    # ---- ILL items are accessioned a few days before their first checkout
    ill = np.flatnonzero(items.kind == K["ILL"])
    first = np.full(items.m, np.iinfo(np.int64).max)
    is_issue = ev.etype == ISSUE
    np.minimum.at(first, ev.item[is_issue], ev.day[is_issue])
    unused = first[ill] == np.iinfo(np.int64).max
    arrival = np.where(unused, _day(FY_END), first[ill]) - rng.integers(2, 11, size=ill.size)
    acc = np.maximum(arrival, _day(MIGRATION))
    items.accessioned[ill] = acc

    # ---- itemnumbers follow accession order; biblionumbers follow first item
    iorder = np.lexsort((np.arange(items.m), items.accessioned))
    inv = np.empty_like(iorder)
    inv[iorder] = np.arange(items.m)
    ev.item = np.where(ev.item >= 0, inv[np.maximum(ev.item, 0)], -1)
    for f in ("kind", "home", "ccode", "location", "permanent_location", "notforloan",
              "accessioned", "bib", "callnumber", "popularity", "itemnotes",
              "itemnotes_nonpublic", "price", "replacementprice"):
        setattr(items, f, getattr(items, f)[iorder])
    _, first_pos, bib_inv = np.unique(items.bib, return_index=True, return_inverse=True)
    bib_rank = np.empty(first_pos.size, dtype=np.int64)
    bib_rank[np.argsort(first_pos, kind="stable")] = np.arange(first_pos.size)
    biblionumber = bib_rank[bib_inv] + 1
    item_sierra = np.array([f"450971{x:06d}" for x in rng.choice(
        900_000, size=items.m, replace=False) + 100_000], dtype=object)
    bib_sierra = np.array([f"420907{x:06d}" for x in rng.choice(
        900_000, size=first_pos.size, replace=False) + 100_000], dtype=object)[biblionumber - 1]

    # ---- patrons' lastseen: ACTIVE patrons were seen at their last transaction or later
    act = np.flatnonzero(pat.transacting)
    last = np.full(pat.n, NONE, dtype=np.int64)
    has_p = ev.patron >= 0
    np.maximum.at(last, ev.patron[has_p], secs[has_p])
    base = cal.sample(act.size, FY_START, FY_END) * 86400 + cal.tod(act.size)
    base = np.maximum(base, pat.enrolled[act] * 86400 + 10 * 3600)
    pat.lastseen[act] = np.maximum(base, last[act])
    pat.cols["lastseen"] = _fmt_secs(pat.lastseen).tolist()

    kind_itype = np.array([k.itype for k in KINDS], dtype=object)
    item_itype = kind_itype[items.kind]
    out: dict[str, int] = {}

    # ---- koha/statistics.csv
    kmask = (ev.day >= _day(MIGRATION)) & (ev.etype <= WRITEOFF)
    kidx = np.flatnonzero(kmask)
    kidx = kidx[np.lexsort((kidx, secs[kidx]))]
    kev = ev.take(kidx)
    other = _koha_other(rng, kev, pat, r)
    money = np.isin(kev.etype, [PAYMENT, WRITEOFF])
    value = np.full(kidx.size, "0.0000", dtype=object)
    value[money] = [f"{v:.4f}" for v in kev.value[money]]
    item_numbers = np.array([str(i + 1) for i in range(items.m)], dtype=object)
    borrower_numbers = np.array([str(i + 1) for i in range(pat.n)], dtype=object)
    out["koha_statistics"] = _write_csv(
        raw_dir / FILES["koha_statistics"], KOHA_STATISTICS_COLUMNS,
        [_fmt_secs(secs[kidx]), np.array(BRANCHES, dtype=object)[kev.branch], value,
         np.array(KOHA_TYPE, dtype=object)[kev.etype], other,
         _lookup(item_numbers, kev.item), _lookup(item_itype, kev.item),
         _lookup(items.location, kev.item), _lookup(borrower_numbers, kev.patron),
         _lookup(items.ccode, kev.item), _lookup(pat.category, kev.patron),
         np.array(INTERFACES, dtype=object)[kev.iface]],
        ENCODINGS["koha_statistics"])

    # ---- sierra/circ_trans.csv
    sidx = np.flatnonzero((ev.day < _day(MIGRATION)) & (ev.etype != PAYMENT)
                          & (ev.etype != WRITEOFF))
    sidx = sidx[np.lexsort((sidx, secs[sidx]))]
    sev = ev.take(sidx)
    ns = sidx.size
    utc = secs[sidx] - _utc_offsets(sev.day)
    has_due = sev.due != NONE
    due_local = np.where(has_due, sev.due * 86400 + 86399, 0)
    due_utc = np.where(has_due, due_local - _utc_offsets(np.where(has_due, sev.due, sev.day)),
                       NONE)
    op = sev.etype
    app = np.where(sev.iface == SIP, "selfcheck", np.where(
        sev.iface == OPAC, "circa", rng.choice(["circ", "circ", "circ", "circ", "circa",
                                                 "milcirc"], size=ns))).astype(object)
    stat_group = np.array(["101", "201", "301"], dtype=object)[sev.branch]
    stat_group[(sev.branch == 0) & (rng.random(ns) < 0.35)] = "102"
    count_type = np.select(
        [(op == ISSUE) & (sev.iface == SIP), op == ISSUE, op == RENEW,
         (op == RETURN) & (sev.iface == SIP), op == RETURN, op == LOCALUSE, op == HOLD_PLACED],
        ["2", "1", "3", "5", "4", "6", "7"], "8").astype(object)
    item_kind = items.kind
    loc_suffix = np.array([SIERRA_LOC_SUFFIX.get(c, "") for c in items.ccode], dtype=object)
    media = items.ccode == "MEDIA"
    loc_suffix[media] = np.where(items.kind[media] == K["JDVD"], "jv", "av")
    item_loc = np.array(SIERRA_BRANCH, dtype=object)[items.home] + loc_suffix
    sierra_itype = np.array([k.sierra_itype for k in KINDS], dtype=object)[item_kind]
    loanrule = np.array([k.loanrule for k in KINDS], dtype=object)[item_kind]
    with_patron = sev.patron >= 0
    pidx = np.where(with_patron, sev.patron, -1)
    ptype = np.array([SIERRA_PTYPE.get(c, "") for c in pat.category], dtype=object)
    region = np.array([str(ZIP_REGION.get(z, 9)) for z in pat.zipcode], dtype=object)
    agency = np.where(np.isin(pat.zipcode, list(COUNTY_ZIPS) + [ELDER_ZIP]), "1", "2")
    ids = 8_100_000 + np.cumsum(rng.integers(1, 4, size=ns))
    out["sierra_circ_trans"] = _write_csv(
        raw_dir / FILES["sierra_circ_trans"], SIERRA_CIRC_TRANS_COLUMNS,
        [ids.astype(str).astype(object), _fmt_secs(utc), app, np.full(ns, "local", dtype=object),
         np.array(SIERRA_OP, dtype=object)[op], _lookup(pat.sierra_id, pidx),
         _lookup(item_sierra, sev.item), np.full(ns, "", dtype=object),
         _lookup(bib_sierra, sev.item), stat_group, _fmt_secs(due_utc), count_type,
         _lookup(sierra_itype, sev.item), _lookup(item_loc, sev.item), _lookup(ptype, pidx),
         _lookup(np.array(SIERRA_BRANCH, dtype=object)[pat.home], pidx),
         _lookup(agency, pidx), _lookup(pat.pcode1, pidx), _lookup(pat.pcode2, pidx),
         _lookup(region, pidx), _lookup(pat.pcode4, pidx), _lookup(pat.zipcode, pidx),
         np.where(np.isin(op, [ISSUE, RENEW, RETURN]), _lookup(loanrule, sev.item), "")],
        ENCODINGS["sierra_circ_trans"])

    # ---- koha/borrowers.csv (cp1252: every value must be encodable)
    for c in KOHA_BORROWERS_COLUMNS:
        try:
            "".join(pat.cols[c]).encode("cp1252")
        except UnicodeEncodeError as exc:      # a generator bug, never expected at run time
            raise AssertionError(f"borrowers column {c!r} is not encodable in cp1252") from exc
    out["koha_borrowers"] = _write_csv(
        raw_dir / FILES["koha_borrowers"], KOHA_BORROWERS_COLUMNS,
        [pat.cols[c] for c in KOHA_BORROWERS_COLUMNS], ENCODINGS["koha_borrowers"])

    # ---- koha/items.csv
    m = items.m
    iss = ev.item[(ev.etype == ISSUE) & (ev.item >= 0)]
    ren = ev.item[(ev.etype == RENEW) & (ev.item >= 0)]
    fy_issues = np.bincount(iss, minlength=m)
    fy_renewals = np.bincount(ren, minlength=m)
    age_years = np.maximum(0, _day(FY_START) - items.accessioned) / 365.0
    legacy_issues = np.where(items.kind == K["ILL"], 0,
                             rng.poisson(np.minimum(age_years, 12) * 2.5 * items.popularity))
    legacy_renewals = rng.binomial(legacy_issues, 0.25)
    last_borrowed = np.full(m, NONE, dtype=np.int64)
    np.maximum.at(last_borrowed, iss, ev.day[(ev.etype == ISSUE) & (ev.item >= 0)])
    legacy_last = np.maximum(items.accessioned,
                             _day(FY_START) - 1 - rng.integers(0, 900, size=m))
    last_borrowed = np.where((last_borrowed == NONE) & (legacy_issues > 0), legacy_last,
                             last_borrowed)
    last_seen = np.full(m, NONE, dtype=np.int64)
    has_i = ev.item >= 0
    np.maximum.at(last_seen, ev.item[has_i], ev.day[has_i])
    last_seen = np.maximum(last_seen, np.maximum(last_borrowed, items.accessioned))
    stamp = last_seen * 86400 + cal.tod(m)
    holding = items.home.copy()
    moved = (rng.random(m) < 0.05) & (items.kind != K["ILL"])
    holding[moved] = (holding[moved] + rng.integers(1, 3, size=moved.sum())) % 3
    lu = rng.random(m)
    itemlost = np.where(lu < 0.008, "1", np.where(lu < 0.011, "2", "0"))
    withdrawn = np.where(rng.random(m) < 0.007, "1", "0")
    bcode_seq = 20_000 + np.cumsum(rng.integers(1, 3, size=m))
    branches = np.array(BRANCHES, dtype=object)
    out["koha_items"] = _write_csv(
        raw_dir / FILES["koha_items"], KOHA_ITEMS_COLUMNS,
        [item_numbers, biblionumber.astype(str).astype(object),
         [make_barcode("3", int(s)) for s in bcode_seq], _fmt_days(items.accessioned),
         branches[items.home], branches[holding], items.location, items.permanent_location,
         item_itype, items.ccode, items.callnumber, items.itemnotes, items.itemnotes_nonpublic,
         items.notforloan, itemlost, withdrawn,
         (fy_issues + legacy_issues).astype(str).astype(object),
         (fy_renewals + legacy_renewals).astype(str).astype(object), _fmt_days(last_borrowed),
         _fmt_days(last_seen), items.price, items.replacementprice, _fmt_secs(stamp)],
        ENCODINGS["koha_items"])

    generate_wifi(raw_dir, seed)
    generate_eresources(raw_dir, seed)

    return {
        "seed": seed,
        "files": dict(FILES),
        "rows": {name: out[name] for name in FILES},
        "total_transactions": out["koha_statistics"] + out["sierra_circ_trans"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m libstats.demo.generate",
        description="Write the fictional Riverbend County Library System raw ILS exports.")
    parser.add_argument("raw_dir", type=Path, help="directory to write koha/ and sierra/ into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    summary = generate_demo(args.raw_dir, seed=args.seed)
    print(f"generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
