"""Northgate's Meraki client lists: ``wifi/meraki/clients-YYYY-MM-DD.csv`` / ``.json``.

One row per client and day: the dashboard's CSV export (ISO timestamps) until 2024-12-31, the
API's JSON (epoch seconds) from 2025-01-01. Planted: device names and logins with personal data,
notes with phone numbers, a few rows duplicated within a day's file.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import numpy as np

from libstats.demo.wifi.devices import DEVICE_KINDS, MAC_VENDOR, Device
from libstats.demo.wifi.network import (LIBRARY_DEVICES, MERAKI_CSV_COLUMNS, MERAKI_JSON_KEYS,
                                        NOR_AP_MACS, NOR_AP_NAMES, NOR_AP_SERIALS, PUBLIC_SSID,
                                        STAFF_SSID)
from libstats.demo.wifi.notation import colon_lower, digest, iso_z, norm_mac
from libstats.demo.wifi.visits import Visit, fy_days, is_open_day

MERAKI_JSON_FROM = date(2025, 1, 1)                # Meraki CSV before, JSON from this day

_LIB_NORM = frozenset(norm_mac(m) for m in LIBRARY_DEVICES)


def _manufacturer_os(rng: np.random.Generator, dev: Device) -> tuple[str | None, str | None]:
    """What Meraki tells of a client: randomized MACs hide the vendor, the OS is often known."""
    if dev.library:
        return ("HP" if dev.kind == -2 else "Dell"), (None if dev.kind == -2 else "Windows 10")
    kind = DEVICE_KINDS[dev.kind]
    manuf = None if dev.mac_mode != MAC_VENDOR else kind[3]
    return manuf, (kind[4] if rng.random() < 0.8 else None)


def _client_row(rng: np.random.Generator, r, v: Visit, d: date) -> dict:
    """The day's row of a client (one session: NOR has no same-day returns), JSON's keys."""
    dev = v.dev
    kb = max(1, v.nbytes // 1024)
    sent = int(kb * rng.uniform(0.05, 0.3))
    manuf, os_ = _manufacturer_os(rng, dev)
    has6 = rng.random() < 0.35
    user = dev.user if (not dev.library and rng.random() < 0.4) else None
    note = None
    if not dev.library and rng.random() < 0.004:
        note = r.choice((
            f"Patron called from +1860555{r.randint(100, 199):04d} about printing",
            f"Lost phone reported, call back 860-555-{r.randint(100, 199):04d}",
            f"Asked for guest pass; phone (860) 555-{r.randint(100, 199):04d}"))
    return {
        "id": "k" + digest("meraki-id", v.mac, n=3).hex(),
        "mac": colon_lower(v.mac),
        "description": dev.hostname,
        "ip": f"10.20.{int(rng.integers(16, 32))}.{int(rng.integers(2, 255))}",
        "ip6": f"2001:db8:20::{digest('ip6', v.mac, d, n=2).hex()}" if has6 else None,
        "ip6Local": (f"fe80::{digest('ll', v.mac, n=2).hex()}:"
                     f"{digest('ll2', v.mac, n=2).hex()}") if has6 else None,
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
    }


def _write_day(out: Path, d: date, rows: list[dict]) -> None:
    """One day's client list: the dashboard's CSV before 2025, the API's JSON from then on."""
    if d < MERAKI_JSON_FROM:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(MERAKI_CSV_COLUMNS)
        for x in rows:
            flat = dict(x, firstSeen=iso_z(x["firstSeen"]), lastSeen=iso_z(x["lastSeen"]))
            flat["usage.sent"], flat["usage.recv"] = x["usage"]["sent"], x["usage"]["recv"]
            w.writerow(["" if flat[c] is None else flat[c] for c in MERAKI_CSV_COLUMNS])
        (out / f"clients-{d.isoformat()}.csv").write_text(buf.getvalue(), encoding="utf-8")
    else:
        recs = [{k: x[k] for k in MERAKI_JSON_KEYS} for x in rows]
        (out / f"clients-{d.isoformat()}.json").write_text(
            json.dumps(recs, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_meraki_nor(rng: np.random.Generator, r, visits: list[Visit], out: Path) -> None:
    """Write Northgate's daily client lists into ``out``, biggest users first."""
    out.mkdir(parents=True, exist_ok=True)
    by_day: dict[date, list[Visit]] = {}
    for v in visits:
        by_day.setdefault(v.day, []).append(v)
    days = fy_days()
    csv_days = [d for d in days if d < MERAKI_JSON_FROM and is_open_day(d)]
    json_days = [d for d in days if d >= MERAKI_JSON_FROM and is_open_day(d)]
    csv_dup_days = set(csv_days[int(i)] for i in rng.choice(len(csv_days), size=3, replace=False))
    json_dup_days = set(json_days[int(i)]
                        for i in rng.choice(len(json_days), size=3, replace=False))
    for d in days:
        rows = [_client_row(rng, r, v, d) for v in by_day.get(d, [])]
        rows.sort(key=lambda x: (-(x["usage"]["sent"] + x["usage"]["recv"]), x["id"]))
        if d in csv_dup_days or d in json_dup_days:
            patrons = [i for i, x in enumerate(rows) if x["ssid"] == PUBLIC_SSID
                       and norm_mac(x["mac"]) not in _LIB_NORM]
            i = patrons[int(rng.integers(len(patrons)))]
            rows.insert(i + 1, dict(rows[i]))
        _write_day(out, d, rows)
