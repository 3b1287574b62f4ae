"""What the demo library's generators share: its calendar, its fake identifiers, file helpers.

The fictional Riverbend County Library System (see :mod:`libstats.demo.generate`) has one fiscal
year FY2025 (2024-07-01 .. 2025-06-30, America/New_York), one set of holidays and one style of
barcode, whichever system's export a generator writes. Every demo module imports them from here;
this module imports no other demo module, so the demo's imports point one way.
"""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

__all__ = [
    "BRANCHES", "DEFAULT_SEED", "EPOCH", "EXAMPLE_DOMAINS", "FY_END", "FY_START", "HOLIDAYS",
    "LOCAL_TZ", "MONTH_ABBR", "MONTH_WEIGHT", "SIERRA_CIRC_TRANS_COLUMNS", "barcode_check_digit",
    "make_barcode", "write_gz",
]

#: The seed of the demo's published files (``libstats demo`` and the tests use it).
DEFAULT_SEED = 20250701

# ------------------------------------------------------------------------------------- calendar
EPOCH = date(1970, 1, 1)
FY_START = date(2024, 7, 1)
FY_END = date(2025, 6, 30)
LOCAL_TZ = ZoneInfo("America/New_York")

#: Days every branch is closed (2024-05-27 is before FY2025: loans issued in May come back in it).
HOLIDAYS = (date(2024, 5, 27), date(2024, 7, 4), date(2024, 9, 2), date(2024, 11, 28),
            date(2024, 12, 25), date(2025, 1, 1), date(2025, 5, 26))
#: Traffic of each month (index 1 .. 12) relative to an average month: circulation, EZproxy
#: visits, COUNTER figures and e-circulation follow it (the Wi-Fi model has its own).
MONTH_WEIGHT = np.array([0, 1.0, 0.95, 1.0, 0.95, 0.95, 1.1, 1.25, 1.1, 0.95, 1.0, 0.95, 0.8])
MONTH_ABBR = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec")

# ------------------------------------------------------------------------------------ the library
#: Koha branchcodes: Central, Northgate, East Hollow.
BRANCHES = ("CEN", "NOR", "EAS")
#: Documentation domains (RFC 2606): every demo e-mail address is at one of them.
EXAMPLE_DOMAINS = ("example.com", "example.org", "example.net")

#: Sierra's ``circ_trans`` view as the library exports it (FY2025 and FY2023 alike).
SIERRA_CIRC_TRANS_COLUMNS = (
    "id", "transaction_gmt", "application_name", "source_code", "op_code", "patron_record_id",
    "item_record_id", "volume_record_id", "bib_record_id", "stat_group_code_num", "due_date_gmt",
    "count_type_code_num", "itype_code_num", "item_location_code", "ptype_code",
    "patron_home_library_code", "patron_agency_code_num", "pcode1", "pcode2", "pcode3", "pcode4",
    "postal_code", "loanrule_code_num")


# ------------------------------------------------------------------------------------- barcodes
def barcode_check_digit(digits13: str) -> int:
    """Mod-10 check digit of a 13-digit Codabar body (odd positions doubled, 9 cast out)."""
    total = 0
    for pos, ch in enumerate(digits13, start=1):
        d = int(ch)
        if pos % 2 == 1:
            d *= 2
            if d >= 10:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def make_barcode(kind_digit: str, seq: int, institution: str = "1234") -> str:
    """14-digit Codabar barcode: kind digit (2 patron, 3 item), institution, 8-digit seq, check."""
    body = f"{kind_digit}{institution}{seq:08d}"
    return body + str(barcode_check_digit(body))


# ---------------------------------------------------------------------------------------- files
def write_gz(path: Path, data: bytes) -> None:
    """Write ``data`` gzip-compressed as logrotate would, but reproducibly (no name, mtime 0)."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                                compresslevel=6) as gz:
        gz.write(data)
