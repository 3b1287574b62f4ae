"""Generate a year of public Wi-Fi session logs for the demo library, deterministically.

The Riverbend County Library System (fictional, see :mod:`libstats.demo.generate`) runs a
different Wi-Fi system at each branch, so FY2025 (2024-07-01 .. 2025-06-30, America/New_York)
arrives in three shapes under ``<raw_dir>/wifi/``:

* **CEN (Central)**: a Cisco-style controller ``cen-wlc-01`` (NAS-IP-Address 10.10.0.2) sends
  RADIUS accounting to FreeRADIUS, which writes ``detail`` files rotated at **UTC** midnight:
  ``radius/detail-YYYYMMDD`` for every UTC day 2024-07-01 .. 2025-06-30, gzip-compressed by
  logrotate (``.gz``) before 2025-06-01 and plain in June 2025. Timestamp lines are ``ctime`` in
  UTC. A session is ``Start``, 0-3 ``Interim-Update`` (every 10 minutes) and ``Stop``; records are
  in the file of the UTC day they were written, so a local evening session (after 20:00 EDT /
  19:00 EST) has its ``Stop`` in the next day's file. The files end at 2025-07-01 00:00 UTC: the
  last evening's sessions have no ``Stop`` (duration and volume unknown or partial), and sessions
  starting after 20:00 EDT on 2025-06-30 are not in any file. The first file starts at
  2024-07-01 00:00 UTC = 2024-06-30 20:00 EDT, so it holds the end of June 30 (local): a few
  ``Stop`` records whose ``Start`` is in the (absent) 2024-06-30 file, and a few whole sessions
  that start on June 30 local time; neither is in the period.
* **NOR (Northgate)**: Meraki. One dashboard client list per day: ``meraki/clients-YYYY-MM-DD.csv``
  for July-December 2024 (timestamps ISO 8601 UTC with ``Z``), then the API's JSON
  ``meraki/clients-YYYY-MM-DD.json`` for January-June 2025 (epoch seconds). One row per client
  and day.
* **EAS (East Hollow)**: UniFi. One ``stat/session`` dump per month: ``unifi/sessions-YYYY-MM.json``,
  the controller's envelope ``{"meta": {"rc": "ok"}, "data": [...]}`` except two months
  (2024-11 and 2025-03) that were saved as a plain array. One record per line.

Volumes: about 80 patron sessions a day at CEN, 60 clients a day at NOR and 40 sessions a day at
EAS (more on busy months and weekdays, fewer on Sundays), the library open 09:00-21:00 every day
except the holidays of :data:`libstats.demo.common.HOLIDAYS`; about 1.5 % of sessions start
outside opening hours (parking lot, staff arriving early) and closed days still see a couple.

Hazards planted on purpose (all values fake, made by a seeded Faker)
====================================================================
* Personal data: RADIUS ``User-Name`` holds library card numbers (14-digit Codabar barcodes
  starting with 2), e-mail addresses at example.com/org/net and phone numbers ``+1860555XXXX``
  (captive portal logins), or the client MAC (MAC authentication); Meraki ``user`` likewise;
  device names with first names (``Sarahs-iPhone``, ``Miles's phone``, ``DESKTOP-JOSE``) in
  Meraki ``description``, UniFi ``hostname`` and ``name``; Meraki ``notes`` with phone numbers;
  IP addresses everywhere; session ids.
* MAC addresses: many clients use randomized MACs (locally administered: second hex digit 2, 6,
  A or E), some fixed per network (the same device comes back on many days with the same MAC),
  some new every day; others keep their vendor MAC. Notations differ per system
  (``AA-BB-CC-DD-EE-FF`` in RADIUS, ``aa:bb:cc:dd:ee:ff`` in Meraki and UniFi).
* Library devices: per branch 4 public computers and 1 printer with fixed MACs
  (:data:`LIBRARY_DEVICE_MACS`) connect every open day on the public SSID; staff devices use the
  SSID ``RCLS-Staff`` (:data:`EXCLUDE_SSIDS`). Neither may be counted.
* Volumes over 4 GiB: some RADIUS sessions carry ``Acct-*-Gigawords`` > 0.
* NAS events: a few ``Accounting-Off`` / ``Accounting-On`` pairs (controller reboots, at night);
  the ``Acct-Session-Id`` prefix changes after each reboot.
* Anomalies (well under 5 % of sessions): RADIUS exact duplicate records (retransmits, about
  0.5 % of session records); 2024-07-01 ``Stop`` records without ``Start`` (the session started on
  2024-06-30, before the period); three sessions whose first ``Interim-Update`` is stamped before
  their ``Start`` (clock skew); a few Meraki rows duplicated within a day's file; a few UniFi
  records duplicated and two with ``disassoc_time`` before ``assoc_time`` (negative duration).

Run as ``python -m libstats.demo.wifi RAW_DIR [--seed SEED]``; ``generate_demo`` calls
:func:`generate_wifi` with its own seed.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import io
import json
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from faker import Faker

from libstats.demo.common import EXAMPLE_DOMAINS, HOLIDAYS, make_barcode, write_gz

__all__ = [
    "ACCESS_POINTS", "BRANCHES", "EXCLUDE_SSIDS", "FY_END", "FY_START", "LIBRARY_DEVICES",
    "LIBRARY_DEVICE_MACS", "LOCAL_TZ", "MERAKI_CSV_COLUMNS", "MERAKI_JSON_KEYS", "PUBLIC_SSID",
    "RADIUS_ATTRIBUTES", "RADIUS_NAS_IDENTIFIER", "RADIUS_NAS_IP", "STAFF_SSID",
    "UNIFI_KEYS", "WIFI_DIR", "generate_wifi", "main",
]

# ------------------------------------------------------------------------------------ constants
FY_START = date(2024, 7, 1)
FY_END = date(2025, 6, 30)
LOCAL_TZ = ZoneInfo("America/New_York")
BRANCHES = ("CEN", "NOR", "EAS")
WIFI_DIR = "wifi"
PUBLIC_SSID = "RCLS-Public"
STAFF_SSID = "RCLS-Staff"
EXCLUDE_SSIDS = [STAFF_SSID]

RADIUS_NAS_IDENTIFIER = "cen-wlc-01"
RADIUS_NAS_IP = "10.10.0.2"
CEN_AP_MACS = ("00-1A-1E-10-00-01", "00-1A-1E-10-00-02", "00-1A-1E-10-00-03", "00-1A-1E-10-00-04")
NOR_AP_MACS = ("e0:55:3d:20:00:01", "e0:55:3d:20:00:02", "e0:55:3d:20:00:03")
NOR_AP_NAMES = ("NOR-AP-1", "NOR-AP-2", "NOR-AP-3")
NOR_AP_SERIALS = ("Q2NN-0000-0001", "Q2NN-0000-0002", "Q2NN-0000-0003")
EAS_AP_MACS = ("f0:9f:c2:30:00:01", "f0:9f:c2:30:00:02")
EAS_SITE_ID = "64b7f0c2e4b0a1d2c3e4f5a6"

#: ``[wifi.access_points]``: branch -> the NAS / AP identifiers its sessions carry.
ACCESS_POINTS: dict[str, list[str]] = {
    "CEN": [RADIUS_NAS_IDENTIFIER],
    "NOR": list(NOR_AP_MACS),
    "EAS": list(EAS_AP_MACS),
}

#: Library-owned devices (4 public computers + 1 printer per branch), in mixed notations on
#: purpose (the config accepts any notation). Each connects on the public SSID every open day.
LIBRARY_DEVICE_MACS: dict[str, list[str]] = {
    "CEN": ["F8-BC-12-CE-00-01", "f8bc.12ce.0002", "f8:bc:12:ce:00:03", "F8BC12CE0004",
            "3C-D9-2B-CE-00-10"],
    "NOR": ["f8:bc:12:4e:00:01", "F8-BC-12-4E-00-02", "f8bc.124e.0003", "F8-BC-12-4E-00-04",
            "3cd9.2b4e.0010"],
    "EAS": ["f8bc.12ea.0001", "f8:bc:12:ea:00:02", "F8-BC-12-EA-00-03", "f8bc.12ea.0004",
            "3C:D9:2B:EA:00:10"],
}
#: All library devices, flat (``[wifi] library_devices``).
LIBRARY_DEVICES: list[str] = [m for b in BRANCHES for m in LIBRARY_DEVICE_MACS[b]]

#: Every attribute the demo's RADIUS detail files carry (the profile must know each one).
RADIUS_ATTRIBUTES = (
    "Acct-Status-Type", "Acct-Session-Id", "Acct-Multi-Session-Id", "User-Name",
    "NAS-Identifier", "NAS-IP-Address", "NAS-Port", "NAS-Port-Type", "Called-Station-Id",
    "Calling-Station-Id", "Framed-IP-Address", "Acct-Authentic", "Service-Type",
    "Acct-Session-Time", "Acct-Input-Octets", "Acct-Output-Octets", "Acct-Input-Gigawords",
    "Acct-Output-Gigawords", "Acct-Input-Packets", "Acct-Output-Packets", "Acct-Terminate-Cause",
    "Event-Timestamp", "Acct-Delay-Time", "Acct-Unique-Session-Id", "Timestamp")
MERAKI_CSV_COLUMNS = (
    "id", "mac", "description", "ip", "ip6", "user", "firstSeen", "lastSeen", "manufacturer",
    "os", "recentDeviceName", "recentDeviceMac", "recentDeviceSerial", "ssid", "vlan",
    "usage.sent", "usage.recv", "status", "notes")
MERAKI_JSON_KEYS = (
    "id", "mac", "description", "ip", "ip6", "ip6Local", "user", "firstSeen", "lastSeen",
    "manufacturer", "os", "recentDeviceName", "recentDeviceMac", "recentDeviceSerial",
    "recentDeviceConnection", "ssid", "vlan", "usage", "status", "notes")
UNIFI_KEYS = (
    "_id", "mac", "hostname", "name", "ap_mac", "essid", "assoc_time", "disassoc_time",
    "duration", "tx_bytes", "rx_bytes", "ip", "user_id", "site_id", "is_guest", "is_wired",
    "oui", "roam_count", "radio", "channel")

# ------------------------------------------------------------------------------------ the model
N_DAYS = (FY_END - FY_START).days + 1
GZIP_BEFORE = date(2025, 6, 1)                     # detail files before this day are .gz
MERAKI_JSON_FROM = date(2025, 1, 1)                # Meraki CSV before, JSON from this day
UNIFI_PLAIN_MONTHS = ("2024-11", "2025-03")        # plain arrays instead of the envelope
OPEN_S, CLOSE_S = 9 * 3600, 21 * 3600

BASE_SESSIONS = {"CEN": 82.0, "NOR": 61.0, "EAS": 41.0}     # patron sessions per open day
POOL_SIZE = {"CEN": 2600, "NOR": 1900, "EAS": 1300}          # patron devices per branch
N_STAFF_DEVICES = {"CEN": 7, "NOR": 5, "EAS": 4}
P_RETURN = {"CEN": 0.08, "NOR": 0.0, "EAS": 0.07}            # second session the same day
P_OUTSIDE = 0.015                                            # starts outside opening hours
CLOSED_DAY_SESSIONS = 1.5

MONTH_WEIGHT = np.array([0, 1.0, 0.95, 1.0, 0.95, 0.95, 1.1, 1.25, 1.1, 0.95, 1.0, 0.95, 0.85])
WEEKDAY_WEIGHT = np.array([1.0, 1.05, 1.0, 1.0, 0.95, 1.1, 0.6])       # Monday .. Sunday
HOUR_W = np.array([0.5, 0.8, 1.0, 1.0, 0.9, 1.0, 1.2, 1.3, 1.25, 1.0, 0.7, 0.35])  # 09 .. 20
HOUR_P = HOUR_W / HOUR_W.sum()
HOURS_OPEN = np.arange(9, 21)

# device kinds: name, share, vendor OUIs (none has the locally administered bit), manufacturer,
# os (Meraki), oui (UniFi), P(randomized MAC), P(randomized MAC new every day | randomized)
KINDS = (
    ("iphone", 0.36, ("a4:83:e7", "f0:18:98", "3c:22:fb"), "Apple", "iOS", "Apple", 0.85, 0.25),
    ("android", 0.30, ("8c:f5:a3", "5c:49:7d", "28:cf:e9"), "Samsung Electronics Co.,Ltd",
     "Android", "SamsungE", 0.7, 0.35),
    ("windows", 0.14, ("3c:a9:f4", "a4:c3:f0", "d8:3b:bf"), "Intel Corporate", "Windows 10",
     "IntelCor", 0.25, 0.1),
    ("mac", 0.08, ("f0:18:98", "a4:83:e7"), "Apple", "Mac OS X", "Apple", 0.5, 0.2),
    ("ipad", 0.07, ("3c:22:fb", "f0:18:98"), "Apple", "iOS", "Apple", 0.8, 0.2),
    ("chromebook", 0.05, ("3c:28:6d", "d8:3a:dd"), "Google", "Chrome OS", "Google", 0.1, 0.0),
)
KIND_P = np.array([k[1] for k in KINDS]) / sum(k[1] for k in KINDS)
MAC_VENDOR, MAC_FIXED_PRIVATE, MAC_DAILY_PRIVATE = range(3)

TERMINATE_CAUSES = ("Idle-Timeout", "User-Request", "Lost-Carrier", "Session-Timeout")
TERMINATE_P = (0.5, 0.25, 0.2, 0.05)
REBOOTS = (date(2024, 8, 14), date(2024, 11, 6), date(2025, 2, 19), date(2025, 5, 7))

WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTH_ABBR = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
              "Dec")
EPOCH = date(1970, 1, 1)


# ------------------------------------------------------------------------------------ helpers
@functools.lru_cache(maxsize=None)
def _utc_day(n: int) -> tuple[date, str, str]:
    """UTC day number -> (date, ctime prefix 'Mon Jan  6', Event-Timestamp prefix 'Jan  6 2025')."""
    d = EPOCH + timedelta(days=n)
    return (d, f"{WEEKDAY_ABBR[d.weekday()]} {MONTH_ABBR[d.month]} {d.day:2d}",
            f"{MONTH_ABBR[d.month]} {d.day:2d} {d.year}")


def _hms(s: int) -> str:
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def _ctime(t: int) -> str:
    """UTC epoch -> 'Mon Jan  6 15:00:00 2025'."""
    n, s = divmod(t, 86400)
    d, ct, _ = _utc_day(n)
    return f"{ct} {_hms(s)} {d.year}"


def _event_ts(t: int) -> str:
    n, s = divmod(t, 86400)
    return f"{_utc_day(n)[2]} {_hms(s)} UTC"


def _iso_z(t: int) -> str:
    n, s = divmod(t, 86400)
    return f"{_utc_day(n)[0].isoformat()}T{_hms(s)}Z"


@functools.lru_cache(maxsize=None)
def _local_day_base(d: date) -> int:
    """Epoch of local midnight *as if* the day had noon's UTC offset (exact for times >= 03:00)."""
    noon = datetime.combine(d, time(12), LOCAL_TZ)
    return int(noon.timestamp()) - 12 * 3600


def _digest(*parts: object, n: int = 16) -> bytes:
    return hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=n).digest()


def _private_mac(*parts: object) -> str:
    """A randomized (locally administered, unicast) MAC: 12 lower-hex, second digit 2/6/a/e."""
    b = bytearray(_digest("mac", *parts, n=6))
    b[0] = (b[0] & 0xF0) | (0x2, 0x6, 0xA, 0xE)[b[0] & 0x3]
    return b.hex()


def _vendor_mac(oui: str, *parts: object) -> str:
    return oui.replace(":", "") + _digest("vmac", *parts, n=3).hex()


def _dash_upper(mac: str) -> str:
    return "-".join(mac[i:i + 2] for i in range(0, 12, 2)).upper()


def _colon_lower(mac: str) -> str:
    return ":".join(mac[i:i + 2] for i in range(0, 12, 2))


def _norm(mac: str) -> str:
    return re.sub(r"[^0-9a-f]", "", mac.lower())


def _ascii(s: str) -> str:
    return re.sub(r"[^A-Za-z]", "", s)


# ------------------------------------------------------------------------------------ devices
@dataclass
class Device:
    idx: int
    branch: str
    kind: int                 # index into KINDS; -1 library computer, -2 printer
    mac_mode: int
    mac: str                  # 12 lower hex (the fixed one; daily MACs come from day_mac)
    hostname: str | None      # device name as the device announces it
    alias: str | None         # UniFi alias / nothing
    user: str | None          # captive-portal / 802.1X login (card, e-mail, phone) or None
    staff: bool = False
    library: bool = False

    def day_mac(self, seed: int, day: int) -> str:
        if self.mac_mode == MAC_DAILY_PRIVATE:
            return _private_mac(seed, self.branch, self.idx, day)
        return self.mac


def _hostname(r, kind: str, first: str) -> str | None:
    """A device name, most of them with the owner's first name."""
    u = r.random()
    if kind == "iphone":
        forms = (f"{first}s-iPhone", f"{first}'s iPhone", f"iPhone-{first}", "iPhone",
                 f"{first}s-iPhone-2")
        return forms[min(int(u * 6), 4)] if u < 0.92 else None
    if kind == "android":
        if u < 0.3:
            return f"android-{r.getrandbits(64):016x}"
        forms = (f"{first}s-Galaxy-S23", f"{first}'s phone", "Galaxy-A54", f"{first}-Pixel-7",
                 f"{first}s-A15")
        return forms[int((u - 0.3) / 0.7 * 5)] if u < 0.95 else None
    if kind == "windows":
        if u < 0.45:
            return f"DESKTOP-{_ascii(first).upper()[:7]}"
        if u < 0.85:
            return "DESKTOP-" + "".join(r.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
                                        for _ in range(7))
        return f"{first}-Laptop"
    if kind == "mac":
        return (f"{first}s-MacBook-Air", f"{first}s-MBP", "MacBook-Pro")[min(int(u * 3), 2)]
    if kind == "ipad":
        return (f"{first}s-iPad", "iPad", f"{first}'s iPad")[min(int(u * 3), 2)]
    return ("Chromebook", f"{first}s-Chromebook")[int(u < 0.3)]


def _login(r, fake: Faker, first: str) -> str | None:
    """Captive-portal login: card number, e-mail, phone number, or None (MAC authentication)."""
    u = r.random()
    if u < 0.45:
        return make_barcode("2", r.randint(1_000, 99_999_999))
    if u < 0.72:
        last = _ascii(fake.last_name()).lower() or "reader"
        sep = r.choice((".", "_", ""))
        num = r.choice(("", "", str(r.randint(1, 99))))
        return f"{_ascii(first).lower()}{sep}{last}{num}@{r.choice(EXAMPLE_DOMAINS)}"
    if u < 0.86:
        return f"+1860555{r.randint(100, 199):04d}"
    return None


def _patron_pool(rng: np.random.Generator, fake: Faker, r, branch: str) -> tuple[list[Device],
                                                                                 np.ndarray]:
    n = POOL_SIZE[branch]
    kinds = rng.choice(len(KINDS), size=n, p=KIND_P)
    u_rand, u_daily = rng.random(n), rng.random(n)
    devices = []
    for i in range(n):
        k = KINDS[kinds[i]]
        first = _ascii(fake.first_name()) or "Alex"
        if u_rand[i] < k[6]:
            mode = MAC_DAILY_PRIVATE if u_daily[i] < k[7] else MAC_FIXED_PRIVATE
            mac = _private_mac(branch, i, "fixed")
        else:
            mode, mac = MAC_VENDOR, _vendor_mac(r.choice(k[2]), branch, i)
        host = _hostname(r, k[0], first)
        alias = None
        if r.random() < 0.06:
            alias = r.choice((f"{first}'s phone", f"{first} laptop", f"{first}s tablet"))
        devices.append(Device(i, branch, int(kinds[i]), mode, mac, host, alias,
                              _login(r, fake, first)))
    # regulars: a few devices come most days, most devices a few times a year
    w = (np.arange(n) + 6.0) ** -0.9
    w = w[rng.permutation(n)]
    return devices, w / w.sum()


def _library_devices(branch: str) -> list[Device]:
    out = []
    for j, m in enumerate(LIBRARY_DEVICE_MACS[branch]):
        printer = j == 4
        host = f"{branch}-PRINT-01" if printer else f"{branch}-PC-{j + 1:02d}"
        login = (f"{branch.lower()}-printer-01" if printer
                 else f"{branch.lower()}-pubpc-{j + 1:02d}")
        out.append(Device(10_000 + j, branch, -2 if printer else -1, MAC_VENDOR, _norm(m), host,
                          ("Public printer" if printer else f"Public PC {j + 1}"), login,
                          library=True))
    return out


def _staff_devices(fake: Faker, r, branch: str) -> list[Device]:
    out = []
    for j in range(N_STAFF_DEVICES[branch]):
        first, last = _ascii(fake.first_name()) or "Sam", _ascii(fake.last_name()) or "Lee"
        laptop = j % 2 == 0
        kind = 2 if laptop else 0
        host = f"{branch}-STAFF-LT{j + 1:02d}" if laptop else f"{first}s-iPhone"
        mac = _vendor_mac(KINDS[kind][2][0], branch, "staff", j)
        out.append(Device(20_000 + j, branch, kind, MAC_VENDOR, mac, host, None,
                          f"{first.lower()}.{last.lower()}@example.org", staff=True))
    return out


# ------------------------------------------------------------------------------------ visits
@dataclass
class Visit:
    day: date                 # local day of the start
    start: int                # UTC epoch
    dur: int                  # seconds (>= 1)
    nbytes: int
    dev: Device
    mac: str                  # 12 lower hex, as seen that day
    ap: int                   # index of the access point
    ssid: str


def _open(d: date) -> bool:
    return d not in HOLIDAYS


def _day_weights() -> np.ndarray:
    w = np.array([MONTH_WEIGHT[d.month] * WEEKDAY_WEIGHT[d.weekday()] for d in _days()])
    opened = np.array([_open(d) for d in _days()])
    return w / w[opened].mean()


def _days() -> list[date]:
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


def _patron_visits(rng: np.random.Generator, seed: int, branch: str, devices: list[Device],
                   p: np.ndarray, n_aps: int) -> list[Visit]:
    weights = _day_weights()
    visits: list[Visit] = []
    for i, d in enumerate(_days()):
        opened = _open(d)
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
        base = _local_day_base(d)
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


def _fixed_visits(rng: np.random.Generator, library: list[Device], staff: list[Device],
                  n_aps: int) -> list[Visit]:
    """Library devices every open day (all day, public SSID); staff devices most open days."""
    visits: list[Visit] = []
    for i, d in enumerate(_days()):
        if not _open(d):
            continue
        base = _local_day_base(d)
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


# ------------------------------------------------------------------------------------ RADIUS
class _Radius:
    """Collects detail records per UTC day file."""

    def __init__(self) -> None:
        self.files: dict[int, list[tuple[float, int, str]]] = {}
        self.seq = 0
        self.first = (date(2024, 7, 1) - EPOCH).days
        self.last = (date(2025, 6, 30) - EPOCH).days

    def add(self, t_written: float, text: str, file_day: int | None = None) -> None:
        day = int(t_written // 86400) if file_day is None else file_day
        if self.first <= day <= self.last:
            self.seq += 1
            self.files.setdefault(day, []).append((t_written, self.seq, text))

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for day in range(self.first, self.last + 1):
            recs = sorted(self.files.get(day, []))
            data = "".join(text for _, _, text in recs).encode("ascii")
            d = EPOCH + timedelta(days=day)
            name = f"detail-{d:%Y%m%d}"
            if d < GZIP_BEFORE:
                write_gz(folder / f"{name}.gz", data)
            else:
                (folder / name).write_bytes(data)


def _record(t: int, lines: list[str]) -> str:
    return _ctime(t) + "\n\t" + "\n\t".join(lines) + "\n\n"


def _radius_cen(rng: np.random.Generator, seed: int, visits: list[Visit],
                pre_period: list[Visit], out: Path) -> None:
    rad = _Radius()
    reboots = [_local_day_base(d) + 5 * 3600 + 1800 for d in REBOOTS]
    boot_ids = [int(_local_day_base(date(2024, 5, 28)) + 4 * 3600 + 17)] + [b + 150 for b in
                                                                         reboots]
    # NAS events: Accounting-Off, then Accounting-On when the controller is back
    for b in reboots:
        for status, t in (("Accounting-Off", b), ("Accounting-On", b + 150)):
            uniq = hashlib.md5(f"{status}{RADIUS_NAS_IP}{t}".encode()).hexdigest()
            rad.add(t, _record(t, [
                f"Acct-Status-Type = {status}", f'NAS-Identifier = "{RADIUS_NAS_IDENTIFIER}"',
                f"NAS-IP-Address = {RADIUS_NAS_IP}", f'Event-Timestamp = "{_event_ts(t)}"',
                "Acct-Delay-Time = 0", f'Acct-Unique-Session-Id = "{uniq}"', f"Timestamp = {t}"]))

    allv = sorted(pre_period + visits, key=lambda v: (v.start, v.dev.branch, v.dev.idx))
    n = len(allv)
    u_multi = rng.random(n)
    port = rng.integers(1, 30, size=n)
    ip3, ip4 = rng.integers(16, 32, size=n), rng.integers(2, 255, size=n)
    in_frac = rng.uniform(0.06, 0.3, size=n)
    in_pkt, out_pkt = rng.integers(350, 900, size=n), rng.integers(900, 1400, size=n)
    cause = rng.choice(len(TERMINATE_CAUSES), size=n, p=TERMINATE_P)
    u_login = rng.random(n)

    # anomalies: retransmitted (duplicate) records and clock-skewed interims
    candidates = [j for j, v in enumerate(allv) if not v.dev.library and not v.dev.staff
                  and v.day >= FY_START and v.dur > 1500
                  and 12 * 3600 <= v.start - _local_day_base(v.day) <= 16 * 3600]
    skewed = set(int(j) for j in rng.choice(candidates, size=3, replace=False))
    dup_u = rng.random(n)
    dup_k = rng.integers(0, 5, size=n)

    counter = 0x12
    boot_i = 0
    for j, v in enumerate(allv):
        while boot_i + 1 < len(boot_ids) and v.start >= boot_ids[boot_i + 1]:
            boot_i += 1
            counter = 0x12
        counter += 1
        sid = f"{boot_ids[boot_i]:08X}{counter:08X}"
        multi = (f'Acct-Multi-Session-Id = "{_digest(seed, "multi", sid, n=8).hex().upper()}"'
                 if u_multi[j] < 0.3 else None)
        user = v.dev.user
        if user is None or (not v.dev.library and not v.dev.staff and u_login[j] < 0.1):
            user = v.mac                                          # MAC authentication
        head = ["Acct-Status-Type = {status}", f'Acct-Session-Id = "{sid}"']
        if multi:
            head.append(multi)
        head += [f'User-Name = "{user}"', f'NAS-Identifier = "{RADIUS_NAS_IDENTIFIER}"',
                 f"NAS-IP-Address = {RADIUS_NAS_IP}", f"NAS-Port = {port[j]}",
                 "NAS-Port-Type = Wireless-802.11",
                 f'Called-Station-Id = "{CEN_AP_MACS[v.ap]}:{v.ssid}"',
                 f'Calling-Station-Id = "{_dash_upper(v.mac)}"',
                 f"Framed-IP-Address = 10.10.{ip3[j]}.{ip4[j]}", "Acct-Authentic = RADIUS",
                 "Service-Type = Framed-User"]
        uniq = hashlib.md5(f"{user}{sid}{RADIUS_NAS_IP}{RADIUS_NAS_IDENTIFIER}".encode()
                           ).hexdigest()
        tail_uniq = f'Acct-Unique-Session-Id = "{uniq}"'

        n_int = min(3, (v.dur - 1) // 600)
        times = [0] + [600 * k for k in range(1, n_int + 1)] + [v.dur]
        statuses = ["Start"] + ["Interim-Update"] * n_int + ["Stop"]
        for k, (dt, status) in enumerate(zip(times, statuses)):
            t = v.start + dt
            shown = t
            if j in skewed and k == 1:
                shown = v.start - 60 - int(dup_k[j]) * 45            # NAS clock jumped back
            lines = [h.format(status=status) if i == 0 else h for i, h in enumerate(head)]
            if status != "Start":
                total = v.nbytes if status == "Stop" else v.nbytes * dt // v.dur
                b_in = int(total * in_frac[j])
                b_out = total - b_in
                lines += [f"Acct-Session-Time = {dt}", f"Acct-Input-Octets = {b_in & 0xFFFFFFFF}",
                          f"Acct-Output-Octets = {b_out & 0xFFFFFFFF}",
                          f"Acct-Input-Gigawords = {b_in >> 32}",
                          f"Acct-Output-Gigawords = {b_out >> 32}",
                          f"Acct-Input-Packets = {b_in // int(in_pkt[j]) + 1}",
                          f"Acct-Output-Packets = {b_out // int(out_pkt[j]) + 1}"]
                if status == "Stop":
                    c = TERMINATE_CAUSES[cause[j]]
                    if v.dev.library or v.dev.staff:
                        c = "User-Request"
                    lines.append(f"Acct-Terminate-Cause = {c}")
            lines += [f'Event-Timestamp = "{_event_ts(shown)}"', "Acct-Delay-Time = 0",
                      tail_uniq, f"Timestamp = {shown}"]
            text = _record(shown, lines)
            rad.add(t, text, int(shown // 86400))
            # ~0.5 % of patron session records are retransmitted: an exact copy a moment later
            if (not v.dev.library and not v.dev.staff and j not in skewed
                    and v.day >= FY_START and dup_u[j] < 0.02 and k == dup_k[j] % len(times)):
                rad.add(t + 0.5, text, int(shown // 86400))
    rad.write(out)


def _pre_period(rng: np.random.Generator, seed: int, devices: list[Device],
                p: np.ndarray) -> list[Visit]:
    """Sessions of the evening of 2024-06-30 (local) whose later records are in the first file.

    Seven start before 20:00 EDT (00:00 UTC) and end after it: their Start is in the absent
    2024-06-30 file, so the 2024-07-01 file holds a Stop (and maybe interims) without Start.
    Four start after 20:00 EDT: whole sessions in the first file, on a day before the period.
    """
    d = FY_START - timedelta(days=1)
    base = _local_day_base(d)
    idx = rng.choice(len(devices), size=11, replace=False, p=p)
    out = []
    for j, i in enumerate(idx):
        dev = devices[i]
        if j < 7:
            s = 19 * 3600 + int(rng.integers(600, 3300))
            e = 20 * 3600 + int(rng.integers(120, 3300))
        else:
            s = 20 * 3600 + int(rng.integers(0, 2700))
            e = s + int(rng.integers(300, 2400))
        out.append(Visit(d, base + s, e - s, int(rng.integers(2_000_000, 300_000_000)), dev,
                         dev.day_mac(seed, -1), int(rng.integers(4)), PUBLIC_SSID))
    return out


# ------------------------------------------------------------------------------------ Meraki
def _meraki_nor(rng: np.random.Generator, r, seed: int, visits: list[Visit], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    by_day: dict[date, list[Visit]] = {}
    for v in visits:
        by_day.setdefault(v.day, []).append(v)
    days = _days()
    csv_days = [d for d in days if d < MERAKI_JSON_FROM and _open(d)]
    json_days = [d for d in days if d >= MERAKI_JSON_FROM and _open(d)]
    csv_dup_days = set(csv_days[int(i)] for i in rng.choice(len(csv_days), size=3, replace=False))
    json_dup_days = set(json_days[int(i)]
                        for i in rng.choice(len(json_days), size=3, replace=False))
    for d in days:
        rows = []
        for v in by_day.get(d, []):
            dev = v.dev
            kb = max(1, v.nbytes // 1024)
            sent = int(kb * rng.uniform(0.05, 0.3))
            private = dev.mac_mode != MAC_VENDOR
            kind = KINDS[dev.kind] if dev.kind >= 0 else None
            if dev.library:
                manuf = "HP" if dev.kind == -2 else "Dell"
                os_ = None if dev.kind == -2 else "Windows 10"
            else:
                manuf = None if private else kind[3]
                os_ = kind[4] if rng.random() < 0.8 else None
            has6 = rng.random() < 0.35
            user = dev.user if (not dev.library and rng.random() < 0.4) else None
            note = None
            if not dev.library and rng.random() < 0.004:
                note = r.choice((
                    f"Patron called from +1860555{r.randint(100, 199):04d} about printing",
                    f"Lost phone reported, call back 860-555-{r.randint(100, 199):04d}",
                    f"Asked for guest pass; phone (860) 555-{r.randint(100, 199):04d}"))
            rows.append({
                "id": "k" + _digest("meraki-id", v.mac, n=3).hex(),
                "mac": _colon_lower(v.mac),
                "description": dev.hostname,
                "ip": f"10.20.{int(rng.integers(16, 32))}.{int(rng.integers(2, 255))}",
                "ip6": f"2001:db8:20::{_digest('ip6', v.mac, d, n=2).hex()}" if has6 else None,
                "ip6Local": (f"fe80::{_digest('ll', v.mac, n=2).hex()}:"
                             f"{_digest('ll2', v.mac, n=2).hex()}") if has6 else None,
                "user": user,
                "firstSeen": v.start,
                "lastSeen": v.start + v.dur,
                "manufacturer": manuf,
                "os": os_,
                "recentDeviceName": NOR_AP_NAMES[v.ap],
                "recentDeviceMac": NOR_AP_MACS[v.ap],
                "recentDeviceSerial": NOR_AP_SERIALS[v.ap],
                "recentDeviceConnection": "Wireless",
                "ssid": v.ssid,
                "vlan": 10 if v.ssid == STAFF_SSID else 20,
                "usage": {"sent": sent, "recv": kb - sent},
                "status": "Offline",
                "notes": note,
            })
        rows.sort(key=lambda x: (-(x["usage"]["sent"] + x["usage"]["recv"]), x["id"]))
        if d in csv_dup_days or d in json_dup_days:
            patrons = [i for i, x in enumerate(rows) if x["ssid"] == PUBLIC_SSID
                       and _norm(x["mac"]) not in _LIB_NORM]
            i = patrons[int(rng.integers(len(patrons)))]
            rows.insert(i + 1, dict(rows[i]))
        if d < MERAKI_JSON_FROM:
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(MERAKI_CSV_COLUMNS)
            for x in rows:
                flat = dict(x, firstSeen=_iso_z(x["firstSeen"]), lastSeen=_iso_z(x["lastSeen"]))
                flat["usage.sent"], flat["usage.recv"] = x["usage"]["sent"], x["usage"]["recv"]
                w.writerow(["" if flat[c] is None else flat[c] for c in MERAKI_CSV_COLUMNS])
            (out / f"clients-{d.isoformat()}.csv").write_text(buf.getvalue(), encoding="utf-8")
        else:
            recs = [{k: x[k] for k in MERAKI_JSON_KEYS} for x in rows]
            (out / f"clients-{d.isoformat()}.json").write_text(
                json.dumps(recs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


_LIB_NORM = frozenset(_norm(m) for m in LIBRARY_DEVICES)


# ------------------------------------------------------------------------------------ UniFi
def _unifi_eas(rng: np.random.Generator, seed: int, visits: list[Visit], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    visits = sorted(visits, key=lambda v: (v.start, v.dev.idx))
    n = len(visits)
    public = [j for j, v in enumerate(visits) if v.ssid == PUBLIC_SSID and not v.dev.library
              and v.day >= FY_START]
    pick = rng.choice(public, size=5, replace=False)
    backwards, dups = set(int(x) for x in pick[:2]), set(int(x) for x in pick[2:])
    ip3, ip4 = rng.integers(16, 32, size=n), rng.integers(2, 255, size=n)
    roam = rng.choice(3, size=n, p=(0.8, 0.15, 0.05))
    radio5 = rng.random(n) < 0.6
    ch5, ch2 = rng.choice((36, 44, 149, 157), size=n), rng.choice((1, 6, 11), size=n)
    no_host = rng.random(n) < 0.08
    rx_frac = rng.uniform(0.05, 0.3, size=n)
    months: dict[str, list[str]] = {}
    for j, v in enumerate(visits):
        dev = v.dev
        assoc, disassoc = v.start, v.start + v.dur
        if j in backwards:
            disassoc = assoc - int(rng.integers(30, 900))
        rx = int(v.nbytes * rx_frac[j])                      # from the client
        private = dev.mac_mode != MAC_VENDOR
        oui = ("HewlettP" if dev.kind == -2 else "Dell") if dev.library else (
            "" if private else KINDS[dev.kind][5])
        rec = {"_id": f"{assoc:08x}{_digest(seed, 'unifi', j, n=8).hex()}",
               "mac": _colon_lower(v.mac)}
        if dev.hostname and not (no_host[j] and not dev.library and not dev.staff):
            rec["hostname"] = dev.hostname
        if dev.alias:
            rec["name"] = dev.alias
        rec.update({
            "ap_mac": EAS_AP_MACS[v.ap], "essid": v.ssid, "assoc_time": assoc,
            "disassoc_time": disassoc, "duration": disassoc - assoc,
            "tx_bytes": v.nbytes - rx, "rx_bytes": rx,
            "ip": f"10.30.{ip3[j]}.{ip4[j]}",
            "user_id": _digest("unifi-user", v.mac, n=12).hex(), "site_id": EAS_SITE_ID,
            "is_guest": v.ssid == PUBLIC_SSID and not dev.library, "is_wired": False,
            "oui": oui, "roam_count": int(roam[j]),
            "radio": "na" if radio5[j] else "ng",
            "channel": int(ch5[j] if radio5[j] else ch2[j]),
        })
        line = json.dumps(rec, ensure_ascii=False)
        month = (datetime.fromtimestamp(assoc, LOCAL_TZ)).strftime("%Y-%m")
        months.setdefault(month, []).append(line)
        if j in dups:
            months[month].append(line)
    for month, lines in months.items():
        if not (FY_START.isoformat()[:7] <= month <= FY_END.isoformat()[:7]):
            continue
        body = ",\n".join(lines)
        if month in UNIFI_PLAIN_MONTHS:
            text = "[\n" + body + "\n]\n"
        else:
            text = '{"meta": {"rc": "ok"}, "data": [\n' + body + "\n]}\n"
        (out / f"sessions-{month}.json").write_text(text, encoding="utf-8")


# ------------------------------------------------------------------------------------ entry
def generate_wifi(raw_dir: Path, seed: int = 20250701) -> None:
    """Write the demo's Wi-Fi logs under ``raw_dir / "wifi"`` (byte-identical for a seed)."""
    root = Path(raw_dir) / WIFI_DIR
    fake = Faker("en_US")
    fake.seed_instance(seed + 6)
    r = fake.random
    visits: dict[str, list[Visit]] = {}
    pools = {}
    n_aps = {"CEN": len(CEN_AP_MACS), "NOR": len(NOR_AP_MACS), "EAS": len(EAS_AP_MACS)}
    for bi, branch in enumerate(BRANCHES):
        rng = np.random.default_rng([seed, 0x3F1, bi])
        devices, p = _patron_pool(rng, fake, r, branch)
        pools[branch] = (devices, p)
        vs = _patron_visits(rng, seed, branch, devices, p, n_aps[branch])
        vs += _fixed_visits(rng, _library_devices(branch), _staff_devices(fake, r, branch),
                            n_aps[branch])
        visits[branch] = vs

    rng = np.random.default_rng([seed, 0x3F1, 10])
    pre = _pre_period(rng, seed, *pools["CEN"])
    _radius_cen(rng, seed, visits["CEN"], pre, root / "radius")
    rng = np.random.default_rng([seed, 0x3F1, 11])
    _meraki_nor(rng, r, seed, visits["NOR"], root / "meraki")
    rng = np.random.default_rng([seed, 0x3F1, 12])
    _unifi_eas(rng, seed, visits["EAS"], root / "unifi")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m libstats.demo.wifi",
                                     description="Write the demo library's Wi-Fi session logs.")
    parser.add_argument("raw_dir", type=Path, help="directory to write wifi/ into")
    parser.add_argument("--seed", type=int, default=20250701)
    args = parser.parse_args(argv)
    generate_wifi(args.raw_dir, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
