"""A tiny hand-written Wi-Fi setup for the mini library (obviously fake values).

MAIN logs through a RADIUS server (detail files in UTC); WEST has a Meraki network (one CSV and
one JSON client list) and a UniFi access point. Expected counts are written out by hand in
``EXPECTED`` from the rules of docs/wifi.md.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path

UTC = dt.timezone.utc

WIFI_CONFIG = """
[wifi]
library_devices = ["02-00-5E-00-00-99", "0200.5e00.0098"]
exclude_ssids = ["Staff"]
max_anomaly_share = 0.5           # a tiny fixture: a few anomalies are a large share

[wifi.access_points]
MAIN = ["main-wlc"]
WEST = ["02:00:00:bb:00:01", "WEST-AP-2", "02:00:00:cc:00:01"]

[[sources]]
name = "radius"
kind = "wifi"
format = "radius_detail"
path = "raw/wifi/detail-*"
timezone = "UTC"

[[sources]]
name = "meraki_csv"
kind = "wifi"
format = "meraki_clients"
path = "raw/wifi/meraki-*.csv"

[[sources]]
name = "meraki_json"
kind = "wifi"
format = "meraki_clients_json"
path = "raw/wifi/meraki-*.json"

[[sources]]
name = "unifi"
kind = "wifi"
format = "unifi_sessions"
path = "raw/wifi/unifi-*.json"
"""

MERAKI_HEADER = ("id,mac,description,ip,ip6,user,firstSeen,lastSeen,manufacturer,os,"
                 "recentDeviceName,recentDeviceMac,recentDeviceSerial,ssid,vlan,usage.sent,"
                 "usage.recv,status,notes")

# Hand-computed from docs/wifi.md (library time zone America/New_York).
EXPECTED = {
    ("2024-10", "MAIN"): 14,   # 12 Start/Stop + 1 Stop without Start + 1 started 22:30 Oct 31
    ("2024-11", "MAIN"): 0,
    ("2024-10", "WEST"): 0,
    ("2024-11", "WEST"): 16,   # 11 Meraki CSV + 2 Meraki JSON + 3 UniFi
}


def ctime(t: dt.datetime) -> str:
    return t.strftime("%a %b ") + f"{t.day:2d}" + t.strftime(" %H:%M:%S %Y")


def mac(n: int, prefix: str = "02-00-00-00") -> str:
    return f"{prefix}-{n // 256:02X}-{n % 256:02X}"


def radius_record(t: dt.datetime, status: str, sid: str, client: str | None, *,
                  user: str = "pat1@example.com", session_time: int | None = None,
                  octets: int | None = None, ssid: str = "Public", nas: str = "main-wlc",
                  extra: tuple[str, ...] = ()) -> str:
    lines = [ctime(t), f"\tAcct-Status-Type = {status}"]
    if sid:
        lines.append(f'\tAcct-Session-Id = "{sid}"')
    lines += [f'\tUser-Name = "{user}"', f'\tNAS-Identifier = "{nas}"',
              f'\tCalled-Station-Id = "02-00-00-AA-00-01:{ssid}"',
              "\tFramed-IP-Address = 192.0.2.55"]
    if client:
        lines.append(f'\tCalling-Station-Id = "{client}"')
    if session_time is not None:
        lines.append(f"\tAcct-Session-Time = {session_time}")
    if octets is not None:
        lines += [f"\tAcct-Input-Octets = {octets}", "\tAcct-Output-Octets = 1000",
                  "\tAcct-Input-Gigawords = 0", "\tAcct-Output-Gigawords = 0"]
    lines += [f"\t{x}" for x in extra]
    lines.append(f"\tTimestamp = {int(t.timestamp())}")
    return "\n".join(lines) + "\n\n"


def radius_day1() -> str:
    """2024-10-10 (UTC): 12 sessions, a library device, a staff session, a duplicate."""
    out = []
    base = dt.datetime(2024, 10, 10, 14, 0, tzinfo=UTC)
    for i in range(12):
        start = base + dt.timedelta(minutes=10 * i)
        card = f"2999900000{i:04d}"
        out.append(radius_record(start, "Start", f"S{i:04d}", mac(i), user=card))
        stop = radius_record(start + dt.timedelta(minutes=45), "Stop", f"S{i:04d}", mac(i),
                             user=card, session_time=2700, octets=5_000_000 * (i + 1))
        out.append(stop)
        if i == 3:
            out.append(stop)                        # a retransmitted record: a duplicate
    out.append(radius_record(base, "Start", "LIB1", "02-00-5E-00-00-99"))       # library PC
    out.append(radius_record(base, "Start", "LIB2", "02:00:5e:00:00:98"))       # library PC
    out.append(radius_record(base, "Start", "STAFF1", mac(500), ssid="Staff"))  # staff net
    out.append(radius_record(base, "Accounting-On", "", None))
    return "".join(out)


def radius_day2() -> str:
    """2024-10-20 and 2024-11-01 (UTC): a Stop without Start; a session begun 22:30 Oct 31
    local time (02:30 UTC Nov 1)."""
    t = dt.datetime(2024, 10, 20, 16, 0, tzinfo=UTC)
    late = dt.datetime(2024, 11, 1, 2, 30, tzinfo=UTC)
    return (radius_record(t, "Stop", "ORPHAN", mac(40), session_time=600, octets=10)
            + radius_record(late, "Start", "LATE", mac(41), user="+15555550123")
            + radius_record(late + dt.timedelta(minutes=20), "Interim-Update", "LATE",
                            mac(41), user="+15555550123", session_time=1200))


def meraki_csv() -> str:
    rows = [MERAKI_HEADER]
    for i in range(11):
        rows.append(f"k{i:03d},{mac(100 + i, '02:00:00:00').lower().replace('-', ':')},"
                    f"Testperson{i}s-iPhone,10.0.0.{i},,pat{i}@example.org,"
                    f"2024-11-05T15:{i:02d}:00Z,2024-11-05T16:{i:02d}:00Z,Apple,iOS,"
                    f"WEST-AP-1,02:00:00:bb:00:01,Q2XX-0000-0001,Public,1,{1000 * i},"
                    f"{20000 * i},Offline,called 555-555-0142")
    return "\n".join(rows) + "\n"


def meraki_json() -> str:
    recs = [{"id": f"j{i}", "mac": mac(200 + i, "02:00:00:00").lower().replace("-", ":"),
             "description": "Miles's phone", "ip": "10.0.0.9", "user": "miles@example.net",
             "firstSeen": int(dt.datetime(2024, 11, 6, 18, i, tzinfo=UTC).timestamp()),
             "lastSeen": int(dt.datetime(2024, 11, 6, 19, i, tzinfo=UTC).timestamp()),
             "recentDeviceName": "WEST-AP-2", "recentDeviceMac": "02:00:00:bb:00:02",
             "ssid": "Public", "usage": {"sent": 10, "recv": 20}, "notes": None}
            for i in range(2)]
    return json.dumps(recs, indent=2) + "\n"


def unifi_json() -> str:
    recs = [{"_id": f"6500000000000000000000{i:02d}", "mac": f"02:00:00:00:03:{i:02x}",
             "hostname": "DESKTOP-TESTPERSON", "ap_mac": "02:00:00:cc:00:01",
             "essid": "Public", "assoc_time": int(dt.datetime(2024, 11, 7, 17, i,
                                                               tzinfo=UTC).timestamp()),
             "disassoc_time": int(dt.datetime(2024, 11, 7, 18, i, tzinfo=UTC).timestamp()),
             "duration": 3600, "tx_bytes": 1000, "rx_bytes": 2000, "ip": "10.0.1.2",
             "is_wired": False} for i in range(3)]
    return json.dumps({"meta": {"rc": "ok"}, "data": recs}, indent=1) + "\n"


def add_wifi(config: Path) -> Path:
    """Add the Wi-Fi sources and files to a mini library; returns the config path."""
    raw = config.parent / "raw" / "wifi"
    raw.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(raw / "detail-20241010.gz", "wb", mtime=0) as fh:
        fh.write(radius_day1().encode())
    (raw / "detail-20241101").write_text(radius_day2(), encoding="utf-8")
    (raw / "meraki-2024-11-05.csv").write_text(meraki_csv(), encoding="utf-8")
    (raw / "meraki-2024-11-06.json").write_text(meraki_json(), encoding="utf-8")
    (raw / "unifi-2024-11.json").write_text(unifi_json(), encoding="utf-8")
    config.write_text(config.read_text(encoding="utf-8") + WIFI_CONFIG, encoding="utf-8")
    return config
