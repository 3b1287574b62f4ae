"""How the three Wi-Fi systems write times and MAC addresses, and stable fake identifiers.

RADIUS detail files stamp records in ``ctime`` form and ``Event-Timestamp`` in UTC, Meraki's CSV
in ISO 8601 with ``Z``; MACs appear as ``AA-BB-CC-DD-EE-FF`` or ``aa:bb:cc:dd:ee:ff``. Device
MACs and record ids are hashes (:func:`digest`) of what identifies them (branch, device, day,
seed), so making one consumes no random draw.
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import date, datetime, time, timedelta

from libstats.demo.common import EPOCH, LOCAL_TZ, MONTH_ABBR

WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@functools.lru_cache(maxsize=None)
def utc_day(n: int) -> tuple[date, str, str]:
    """UTC day number -> (date, ctime prefix 'Mon Jan  6', Event-Timestamp prefix 'Jan  6 2025')."""
    d = EPOCH + timedelta(days=n)
    return (d, f"{WEEKDAY_ABBR[d.weekday()]} {MONTH_ABBR[d.month]} {d.day:2d}",
            f"{MONTH_ABBR[d.month]} {d.day:2d} {d.year}")


def hms(s: int) -> str:
    """Seconds of a day -> ``HH:MM:SS``."""
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def ctime(t: int) -> str:
    """UTC epoch -> 'Mon Jan  6 15:00:00 2025'."""
    n, s = divmod(t, 86400)
    d, ct, _ = utc_day(n)
    return f"{ct} {hms(s)} {d.year}"


def event_ts(t: int) -> str:
    """UTC epoch -> RADIUS ``Event-Timestamp`` ``'Jan  6 2025 15:00:00 UTC'``."""
    n, s = divmod(t, 86400)
    return f"{utc_day(n)[2]} {hms(s)} UTC"


def iso_z(t: int) -> str:
    """UTC epoch -> ISO 8601 with ``Z`` (Meraki's CSV)."""
    n, s = divmod(t, 86400)
    return f"{utc_day(n)[0].isoformat()}T{hms(s)}Z"


@functools.lru_cache(maxsize=None)
def local_day_base(d: date) -> int:
    """Epoch of local midnight *as if* the day had noon's UTC offset (exact for times >= 03:00)."""
    noon = datetime.combine(d, time(12), LOCAL_TZ)
    return int(noon.timestamp()) - 12 * 3600


def digest(*parts: object, n: int = 16) -> bytes:
    """A stable hash of ``parts`` (``n`` bytes): ids and MACs without random draws."""
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=n).digest()


def private_mac(*parts: object) -> str:
    """A randomized (locally administered, unicast) MAC: 12 lower-hex, second digit 2/6/a/e."""
    b = bytearray(digest("mac", *parts, n=6))
    b[0] = (b[0] & 0xF0) | (0x2, 0x6, 0xA, 0xE)[b[0] & 0x3]
    return b.hex()


def vendor_mac(oui: str, *parts: object) -> str:
    """A MAC under a vendor's OUI, stable for ``parts``: 12 lower hex."""
    return oui.replace(":", "") + digest("vmac", *parts, n=3).hex()


def dash_upper(mac: str) -> str:
    """12 hex digits -> ``AA-BB-CC-DD-EE-FF`` (RADIUS)."""
    return "-".join(mac[i:i + 2] for i in range(0, 12, 2)).upper()


def colon_lower(mac: str) -> str:
    """12 hex digits -> ``aa:bb:cc:dd:ee:ff`` (Meraki, UniFi)."""
    return ":".join(mac[i:i + 2] for i in range(0, 12, 2))


def norm_mac(mac: str) -> str:
    """Any MAC notation -> 12 lower hex digits."""
    return re.sub(r"[^0-9a-f]", "", mac.lower())


def letters_only(s: str) -> str:
    """``s`` without anything but ASCII letters (for device names)."""
    return re.sub(r"[^A-Za-z]", "", s)


