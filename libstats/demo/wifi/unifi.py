"""East Hollow's UniFi sessions: ``wifi/unifi/sessions-YYYY-MM.json``, one dump per month.

The controller's ``stat/session`` envelope (two months saved as a plain array), one record per
line. Planted: host names and aliases with first names, a few duplicated records and two whose
``disassoc_time`` is before ``assoc_time``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np

from libstats.demo.common import FY_END, FY_START, LOCAL_TZ
from libstats.demo.wifi.devices import DEVICE_KINDS, MAC_VENDOR
from libstats.demo.wifi.network import EAS_AP_MACS, EAS_SITE_ID, PUBLIC_SSID
from libstats.demo.wifi.notation import colon_lower, digest
from libstats.demo.wifi.visits import Visit

UNIFI_PLAIN_MONTHS = ("2024-11", "2025-03")        # plain arrays instead of the envelope


class _Draws:
    """Per-session numbers of the records, and the sessions picked for anomalies."""

    def __init__(self, rng: np.random.Generator, visits: list[Visit]):
        n = len(visits)
        public = [j for j, v in enumerate(visits) if v.ssid == PUBLIC_SSID and not v.dev.library
                  and v.day >= FY_START]
        pick = rng.choice(public, size=5, replace=False)
        self.backwards, self.dups = set(int(x) for x in pick[:2]), set(int(x) for x in pick[2:])
        self.ip3, self.ip4 = rng.integers(16, 32, size=n), rng.integers(2, 255, size=n)
        self.roam = rng.choice(3, size=n, p=(0.8, 0.15, 0.05))
        self.radio5 = rng.random(n) < 0.6
        self.ch5, self.ch2 = rng.choice((36, 44, 149, 157), size=n), rng.choice((1, 6, 11), size=n)
        self.no_host = rng.random(n) < 0.08
        self.rx_frac = rng.uniform(0.05, 0.3, size=n)


def _session(seed: int, j: int, v: Visit, disassoc: int, d: _Draws) -> dict:
    """Session ``j``'s record as ``stat/session`` returns it."""
    dev = v.dev
    assoc = v.start
    rx = int(v.nbytes * d.rx_frac[j])                      # from the client
    private = dev.mac_mode != MAC_VENDOR
    oui = ("HewlettP" if dev.kind == -2 else "Dell") if dev.library else (
        "" if private else DEVICE_KINDS[dev.kind][5])
    rec = {"_id": f"{assoc:08x}{digest(seed, 'unifi', j, n=8).hex()}",
           "mac": colon_lower(v.mac)}
    if dev.hostname and not (d.no_host[j] and not dev.library and not dev.staff):
        rec["hostname"] = dev.hostname
    if dev.alias:
        rec["name"] = dev.alias
    rec.update({
        "ap_mac": EAS_AP_MACS[v.ap], "essid": v.ssid, "assoc_time": assoc,
        "disassoc_time": disassoc, "duration": disassoc - assoc,
        "tx_bytes": v.nbytes - rx, "rx_bytes": rx,
        "ip": f"10.30.{d.ip3[j]}.{d.ip4[j]}",
        "user_id": digest("unifi-user", v.mac, n=12).hex(), "site_id": EAS_SITE_ID,
        "is_guest": v.ssid == PUBLIC_SSID and not dev.library, "is_wired": False,
        "oui": oui, "roam_count": int(d.roam[j]),
        "radio": "na" if d.radio5[j] else "ng",
        "channel": int(d.ch5[j] if d.radio5[j] else d.ch2[j]),
    })
    return rec


def write_unifi_eas(rng: np.random.Generator, seed: int, visits: list[Visit], out: Path
                    ) -> None:
    """Write East Hollow's monthly session dumps of FY2025 into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    visits = sorted(visits, key=lambda v: (v.start, v.dev.idx))
    d = _Draws(rng, visits)
    months: dict[str, list[str]] = {}
    for j, v in enumerate(visits):
        disassoc = v.start + v.dur
        if j in d.backwards:
            disassoc = v.start - int(rng.integers(30, 900))
        line = json.dumps(_session(seed, j, v, disassoc, d), ensure_ascii=False)
        month = (datetime.fromtimestamp(v.start, LOCAL_TZ)).strftime("%Y-%m")
        months.setdefault(month, []).append(line)
        if j in d.dups:
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
