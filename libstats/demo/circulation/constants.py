"""The shape of the demo library's circulation: export layouts, its calendar, patrons and items.

Everything here is a constant of the fictional Riverbend County Library System's ILS exports
(see :mod:`libstats.demo.circulation`): the four files and their columns, the days that matter
(the Sierra-to-Koha migration, the hotspot launch), how many patrons, items and transactions there
are, and the circulation classes of items (:data:`KINDS`). The generators of the other modules
of this package read them; nothing here draws a random number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from libstats.demo.common import FY_END

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
