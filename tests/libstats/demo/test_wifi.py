"""Tests for the demo Wi-Fi logs (libstats/demo/wifi/) and the reference recomputation.

The demo is generated once per module; the reference (tests/oracles/wifi_reference.py) is run on it
once. A few hand-written inputs check the reference itself against docs/wifi.md.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from libstats.demo.wifi import network as W
from libstats.demo.common import HOLIDAYS, barcode_check_digit
from libstats.demo.wifi.generate import generate_wifi
from tests.oracles import wifi_reference as ref

SEED = 20250701
LOCAL = ZoneInfo("America/New_York")
FY_DAYS = [date(2024, 7, 1) + timedelta(days=i) for i in range(365)]
OPEN_DAYS = [d for d in FY_DAYS if d not in HOLIDAYS]
REF_KW = dict(library_tz="America/New_York", radius_tz="UTC", access_points=W.ACCESS_POINTS)

CTIME_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|"
                      r"Nov|Dec) [ 123]\d \d\d:\d\d:\d\d \d{4}$")
ATTR_RE = re.compile(r'^\t([A-Za-z][A-Za-z0-9-]*) = ("[^"]*"|[^\s"]+)$')
DASH_MAC_RE = re.compile(r"^([0-9A-F]{2}-){5}[0-9A-F]{2}$")
COLON_MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
EMAIL_RE = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
MERAKI_CSV_HEADER = ("id,mac,description,ip,ip6,user,firstSeen,lastSeen,manufacturer,os,"
                     "recentDeviceName,recentDeviceMac,recentDeviceSerial,ssid,vlan,usage.sent,"
                     "usage.recv,status,notes")
NAME_HOST_RE = re.compile(r"^([A-Z][a-z]+)(s-|'s |-)(iPhone|iPad|Galaxy|Pixel|MacBook|MBP|"
                          r"A15|phone|Laptop|Chromebook)|^DESKTOP-[A-Z]+$")


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _norm(mac: str) -> str:
    return re.sub(r"[^0-9a-f]", "", mac.lower())


def _randomized(mac12: str) -> bool:
    return mac12[1] in "26ae"


def _epoch(header: str) -> int:
    return int(datetime.strptime(" ".join(header.split()), "%a %b %d %H:%M:%S %Y")
               .replace(tzinfo=timezone.utc).timestamp())


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("wifi_raw")
    generate_wifi(root, SEED)
    return root


@pytest.fixture(scope="module")
def radius(raw) -> list[dict]:
    """Every detail record: file, line, header, raw text, attributes (values unquoted)."""
    out = []
    for path in sorted((raw / "wifi" / "radius").iterdir()):
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        text = data.decode("ascii")
        assert text.endswith("\n\n") or text == "", path.name
        line = 1
        for block in text.split("\n\n")[:-1]:
            lines = block.split("\n")
            attrs = {}
            for ln in lines[1:]:
                m = ATTR_RE.match(ln)
                assert m, (path.name, ln)
                attrs[m.group(1)] = m.group(2).strip('"')
            out.append({"file": path.name, "line": line, "header": lines[0], "text": block,
                        "attrs": attrs, "t": _epoch(lines[0])})
            assert CTIME_RE.match(lines[0]), (path.name, lines[0])
            line += len(lines) + 1
    return out


@pytest.fixture(scope="module")
def meraki(raw) -> dict[str, list[dict]]:
    import csv
    out = {}
    for path in sorted((raw / "wifi" / "meraki").iterdir()):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".csv":
            assert text.split("\n", 1)[0] == MERAKI_CSV_HEADER
            out[path.name] = list(csv.DictReader(text.splitlines()))
        else:
            out[path.name] = json.loads(text)
    return out


@pytest.fixture(scope="module")
def unifi(raw) -> dict[str, object]:
    return {p.name: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted((raw / "wifi" / "unifi").iterdir())}


def _unifi_records(unifi) -> list[dict]:
    return [r for doc in unifi.values() for r in (doc["data"] if isinstance(doc, dict) else doc)]


@pytest.fixture(scope="module")
def sessions(raw) -> list[ref.Session]:
    return ref.reference_sessions(raw, **REF_KW, library_devices=W.LIBRARY_DEVICES,
                                  exclude_ssids=W.EXCLUDE_SSIDS, start=date(2024, 7, 1),
                                  end=date(2025, 6, 30))


@pytest.fixture(scope="module")
def anomalies(raw) -> dict[str, int]:
    return ref.reference_anomalies(raw, **REF_KW)


# ------------------------------------------------------------------------------------ files
def test_same_seed_is_byte_identical(raw, tmp_path):
    generate_wifi(tmp_path, SEED)
    a, b = _hashes(raw), _hashes(tmp_path)
    assert len(a) == 365 + 365 + 12
    assert a == b


def test_file_inventory(raw):
    wifi = raw / "wifi"
    assert sorted(p.name for p in wifi.iterdir()) == ["meraki", "radius", "unifi"]
    expect_radius = {f"detail-{d:%Y%m%d}" + (".gz" if d < date(2025, 6, 1) else "")
                     for d in FY_DAYS}
    assert {p.name for p in (wifi / "radius").iterdir()} == expect_radius
    assert sum(n.endswith(".gz") for n in expect_radius) == 335
    expect_meraki = {f"clients-{d.isoformat()}." + ("csv" if d.year == 2024 else "json")
                     for d in FY_DAYS}
    assert {p.name for p in (wifi / "meraki").iterdir()} == expect_meraki
    months = sorted({d.strftime("%Y-%m") for d in FY_DAYS})
    assert {p.name for p in (wifi / "unifi").iterdir()} == {f"sessions-{m}.json" for m in months}


def test_gzip_files_are_valid_and_reproducible(raw):
    for path in sorted((raw / "wifi" / "radius").glob("*.gz")):
        data = path.read_bytes()
        assert data[:3] == b"\x1f\x8b\x08"
        assert data[3] & 0x08 == 0, "no file name in the gzip header"
        assert data[4:8] == b"\0\0\0\0", "gzip mtime must be 0"
        assert gzip.decompress(data)


def test_json_files_parse_and_have_their_shapes(raw, meraki, unifi):
    for name, doc in unifi.items():
        if name in ("sessions-2024-11.json", "sessions-2025-03.json"):
            assert isinstance(doc, list)
        else:
            assert isinstance(doc, dict) and doc["meta"] == {"rc": "ok"}
            assert isinstance(doc["data"], list)
    for name, rows in meraki.items():
        if name.endswith(".json"):
            assert isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
            text = (raw / "wifi" / "meraki" / name).read_text(encoding="utf-8")
            assert text.count("\n  {\n") == len(rows)        # indent=2: one record per block


# ------------------------------------------------------------------------------------ RADIUS
def test_radius_records_are_well_formed(radius):
    known = set(W.RADIUS_ATTRIBUTES)
    required = {"Acct-Status-Type", "Acct-Session-Id", "User-Name", "NAS-Identifier",
                "NAS-IP-Address", "NAS-Port", "NAS-Port-Type", "Called-Station-Id",
                "Calling-Station-Id", "Framed-IP-Address", "Acct-Authentic", "Service-Type",
                "Event-Timestamp", "Acct-Delay-Time", "Acct-Unique-Session-Id", "Timestamp"}
    counters = {"Acct-Session-Time", "Acct-Input-Octets", "Acct-Output-Octets",
                "Acct-Input-Gigawords", "Acct-Output-Gigawords", "Acct-Input-Packets",
                "Acct-Output-Packets"}
    statuses = Counter()
    for r in radius:
        a = r["attrs"]
        assert set(a) <= known, set(a) - known
        status = a["Acct-Status-Type"]
        statuses[status] += 1
        day = datetime.strptime(r["file"][7:15], "%Y%m%d").date()
        assert datetime.fromtimestamp(r["t"], timezone.utc).date() == day, r["file"]
        assert int(a["Timestamp"]) == r["t"]
        ev = datetime.strptime(" ".join(a["Event-Timestamp"].split()), "%b %d %Y %H:%M:%S UTC")
        assert int(ev.replace(tzinfo=timezone.utc).timestamp()) == r["t"]
        assert a["NAS-Identifier"] == "cen-wlc-01" and a["NAS-IP-Address"] == "10.10.0.2"
        if status in ("Accounting-On", "Accounting-Off"):
            assert "Acct-Session-Id" not in a and "Calling-Station-Id" not in a
            continue
        assert required <= set(a), required - set(a)
        assert re.fullmatch(r"[0-9A-F]{16}", a["Acct-Session-Id"])
        assert DASH_MAC_RE.match(a["Calling-Station-Id"])
        ap, _, ssid = a["Called-Station-Id"].partition(":")
        assert ap in W.CEN_AP_MACS and ssid in ("RCLS-Public", "RCLS-Staff")
        assert re.fullmatch(r"10\.10\.\d+\.\d+", a["Framed-IP-Address"])
        assert a["NAS-Port-Type"] == "Wireless-802.11" and a["Acct-Delay-Time"] == "0"
        if status == "Start":
            assert not counters & set(a)
        else:
            assert counters <= set(a)
        assert ("Acct-Terminate-Cause" in a) == (status == "Stop")
        if status == "Stop":
            assert a["Acct-Terminate-Cause"] in ("User-Request", "Lost-Carrier", "Idle-Timeout",
                                                 "Session-Timeout")
    assert set(statuses) == {"Start", "Interim-Update", "Stop", "Accounting-On",
                             "Accounting-Off"}
    assert 2 <= statuses["Accounting-On"] <= 10
    assert 0.8 < statuses["Stop"] / statuses["Start"] <= 1.01
    # 0-3 interims a session
    per = Counter(r["attrs"]["Acct-Session-Id"] for r in radius
                  if r["attrs"]["Acct-Status-Type"] == "Interim-Update")
    assert max(per.values()) <= 3 + 1           # + a retransmitted copy


def test_radius_volume_and_shape(radius):
    sessions = defaultdict(list)
    for r in radius:
        sid = r["attrs"].get("Acct-Session-Id")
        if sid:
            sessions[sid].append(r)
    per_day = len(sessions) / 365
    assert 75 <= per_day <= 105          # ~80 patron sessions + library devices and staff
    # sessions crossing UTC midnight: Start in one file, Stop in the next
    crossing = sum(1 for recs in sessions.values()
                   if len({r["file"] for r in recs}) > 1
                   and recs[0]["attrs"]["Acct-Status-Type"] == "Start")
    assert crossing > 3000
    giga = [r for r in radius if int(r["attrs"].get("Acct-Input-Gigawords", 0))
            + int(r["attrs"].get("Acct-Output-Gigawords", 0)) > 0]
    assert 20 <= len({r["attrs"]["Acct-Session-Id"] for r in giga}) <= 400
    assert any("Acct-Multi-Session-Id" in r["attrs"] for r in radius)
    assert any("Acct-Multi-Session-Id" not in r["attrs"] for r in radius)
    # June 2025 plain, before gzip: all files have records
    assert len({r["file"] for r in radius}) == 365


def test_radius_user_names_hold_personal_data(radius):
    users = Counter(r["attrs"]["User-Name"] for r in radius if "User-Name" in r["attrs"])
    cards = [u for u in users if re.fullmatch(r"2\d{13}", u)]
    emails = [u for u in users if "@" in u]
    phones = [u for u in users if re.fullmatch(r"\+1860555\d{4}", u)]
    macs = [u for u in users if re.fullmatch(r"[0-9a-f]{12}", u)]
    assert len(cards) > 300 and len(emails) > 200 and len(phones) > 50 and len(macs) > 100
    assert all(barcode_check_digit(c[:13]) == int(c[13]) for c in cards)
    for e in emails:
        assert EMAIL_RE.fullmatch(e).group(1) in ("example.com", "example.org", "example.net")


def test_radius_planted_anomalies(radius):
    session_recs = [r for r in radius if "Acct-Session-Id" in r["attrs"]]
    texts = Counter(r["text"] for r in session_recs)
    dups = sum(n - 1 for n in texts.values())
    assert 0.002 * len(session_recs) <= dups <= 0.01 * len(session_recs)
    by_sid = defaultdict(list)
    for r in session_recs:
        by_sid[r["attrs"]["Acct-Session-Id"]].append(r)
    # stops without start: only in the first file, and their session began on 2024-06-30 (local)
    no_start = {sid: recs for sid, recs in by_sid.items()
                if not any(r["attrs"]["Acct-Status-Type"] == "Start" for r in recs)}
    assert 3 <= len(no_start) <= 10
    for recs in no_start.values():
        stop = [r for r in recs if r["attrs"]["Acct-Status-Type"] == "Stop"]
        assert stop and all(r["file"] == "detail-20240701.gz" for r in recs)
        begun = stop[0]["t"] - int(stop[0]["attrs"]["Acct-Session-Time"])
        assert datetime.fromtimestamp(begun, LOCAL).date() == date(2024, 6, 30)
    # clock skew: an Interim-Update stamped before its session's Start
    skewed = 0
    for recs in by_sid.values():
        starts = [r["t"] for r in recs if r["attrs"]["Acct-Status-Type"] == "Start"]
        if starts and any(r["t"] < min(starts) for r in recs
                          if r["attrs"]["Acct-Status-Type"] == "Interim-Update"):
            skewed += 1
    assert 2 <= skewed <= 3


def test_radius_staff_and_library_devices(radius):
    starts = [r for r in radius if r["attrs"]["Acct-Status-Type"] == "Start"]
    staff = [r for r in starts if r["attrs"]["Called-Station-Id"].endswith(":RCLS-Staff")]
    assert len(staff) > 500
    lib = {_norm(m) for m in W.LIBRARY_DEVICE_MACS["CEN"]}
    days = defaultdict(set)
    for r in starts:
        mac = _norm(r["attrs"]["Calling-Station-Id"])
        if mac in lib:
            assert r["attrs"]["Called-Station-Id"].endswith(":RCLS-Public")
            days[mac].add(datetime.fromtimestamp(r["t"], LOCAL).date())
    assert set(days) == lib
    for mac, seen in days.items():
        assert seen == set(OPEN_DAYS), mac


# ------------------------------------------------------------------------------------ Meraki
def test_meraki_rows(meraki):
    ap_macs, ap_names, serials = set(W.NOR_AP_MACS), set(W.NOR_AP_NAMES), set(W.NOR_AP_SERIALS)
    per_open_day, notes, users, names = [], [], Counter(), 0
    for name, rows in meraki.items():
        day = date.fromisoformat(name[8:18])
        for r in rows:
            assert COLON_MAC_RE.match(r["mac"])
            assert r["recentDeviceMac"] in ap_macs and r["recentDeviceName"] in ap_names
            assert r["recentDeviceSerial"] in serials
            assert r["ssid"] in ("RCLS-Public", "RCLS-Staff")
            if name.endswith(".csv"):
                assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["firstSeen"])
                first = datetime.fromisoformat(r["firstSeen"])
                assert r["usage.sent"].isdigit() and r["usage.recv"].isdigit()
            else:
                assert tuple(r) == W.MERAKI_JSON_KEYS
                assert isinstance(r["firstSeen"], int) and isinstance(r["lastSeen"], int)
                assert set(r["usage"]) == {"sent", "recv"}
                assert r["recentDeviceConnection"] == "Wireless"
                first = datetime.fromtimestamp(r["firstSeen"], timezone.utc)
            assert first.astimezone(LOCAL).date() == day
            if r["notes"]:
                notes.append(r["notes"])
            if r["user"]:
                users["card" if r["user"].isdigit() else "email" if "@" in r["user"]
                      else "phone"] += 1
            names += bool(r["description"] and NAME_HOST_RE.match(r["description"]))
        if day not in HOLIDAYS:
            per_open_day.append(len(rows))
    assert 60 <= sum(per_open_day) / len(per_open_day) <= 80     # ~60 patrons + library, staff
    assert notes and all(re.search(r"555-?01\d\d", n) for n in notes)
    assert min(users.values()) > 50 and names > 3000


def test_meraki_duplicate_rows(meraki):
    dup_files = 0
    for name, rows in meraki.items():
        keys = Counter(json.dumps(r, sort_keys=True) for r in rows)
        n = sum(c - 1 for c in keys.values())
        dup_files += n > 0
        assert n <= 1
        macs = Counter(r["mac"] for r in rows)           # one row a client, except the copies
        assert sum(c - 1 for c in macs.values()) == n
    assert 4 <= dup_files <= 10


# ------------------------------------------------------------------------------------ UniFi
def test_unifi_records(unifi):
    recs = _unifi_records(unifi)
    assert 35 <= len(recs) / 365 <= 60
    required = set(W.UNIFI_KEYS) - {"name", "hostname"}
    backwards = 0
    for r in recs:
        assert required <= set(r) <= set(W.UNIFI_KEYS)
        assert r["ap_mac"] in W.EAS_AP_MACS and COLON_MAC_RE.match(r["mac"])
        assert r["is_wired"] is False and re.fullmatch(r"[0-9a-f]{24}", r["_id"])
        if r["disassoc_time"] < r["assoc_time"]:
            backwards += 1
            assert r["duration"] < 0
        else:
            assert r["duration"] == r["disassoc_time"] - r["assoc_time"]
    assert backwards == 2
    assert 0 < sum("name" in r for r in recs) < len(recs) / 5
    hosts = [r["hostname"] for r in recs if "hostname" in r]
    assert sum(bool(NAME_HOST_RE.match(h)) for h in hosts) > 2000
    assert any(r["essid"] == "RCLS-Staff" for r in recs)
    ids = Counter(r["_id"] for r in recs)
    assert 1 <= sum(c - 1 for c in ids.values()) <= 5


# ------------------------------------------------------------------------------------ devices
def test_mac_hazards_across_sources(radius, meraki, unifi):
    days_by_mac: dict[str, set] = defaultdict(set)
    for r in radius:
        if r["attrs"].get("Acct-Status-Type") == "Start":
            days_by_mac[_norm(r["attrs"]["Calling-Station-Id"])].add(r["file"])
    for name, rows in meraki.items():
        for r in rows:
            days_by_mac[_norm(r["mac"])].add(name)
    for r in _unifi_records(unifi):
        days_by_mac[_norm(r["mac"])].add(datetime.fromtimestamp(r["assoc_time"], LOCAL).date())
    lib = {_norm(m) for m in W.LIBRARY_DEVICES}
    patrons = [m for m in days_by_mac if m not in lib]
    share_random = sum(_randomized(m) for m in patrons) / len(patrons)
    assert 0.3 <= share_random <= 0.9
    regulars = [m for m in patrons if len(days_by_mac[m]) >= 20]
    assert len(regulars) > 50
    assert any(_randomized(m) for m in regulars)           # fixed per-network private MACs
    assert lib <= set(days_by_mac)


def test_library_devices_every_open_day_in_meraki_and_unifi(meraki, unifi):
    nor = {_norm(m) for m in W.LIBRARY_DEVICE_MACS["NOR"]}
    for name, rows in meraki.items():
        seen = {_norm(r["mac"]) for r in rows if r["ssid"] == "RCLS-Public"}
        if date.fromisoformat(name[8:18]) in HOLIDAYS:
            assert not seen & nor
        else:
            assert nor <= seen, name
    eas = {_norm(m) for m in W.LIBRARY_DEVICE_MACS["EAS"]}
    days = defaultdict(set)
    for r in _unifi_records(unifi):
        if _norm(r["mac"]) in eas:
            days[_norm(r["mac"])].add(datetime.fromtimestamp(r["assoc_time"], LOCAL).date())
    assert set(days) == eas and all(d == set(OPEN_DAYS) for d in days.values())


def test_exported_constants():
    assert W.ACCESS_POINTS == {"CEN": ["cen-wlc-01"], "NOR": list(W.NOR_AP_MACS),
                               "EAS": list(W.EAS_AP_MACS)}
    assert W.EXCLUDE_SSIDS == ["RCLS-Staff"]
    assert set(W.LIBRARY_DEVICE_MACS) == {"CEN", "NOR", "EAS"}
    flat = [m for ms in W.LIBRARY_DEVICE_MACS.values() for m in ms]
    assert flat == W.LIBRARY_DEVICES and len({_norm(m) for m in flat}) == 15
    assert all(ref.normalize_mac(m) == _norm(m) for m in flat)
    notations = {"-" if "-" in m else "." if "." in m else ":" if ":" in m else "" for m in flat}
    assert {"-", ".", ":"} <= notations
    assert not any(_randomized(_norm(m)) for m in flat)


# ------------------------------------------------------------------------------------ reference
def test_reference_totals_on_the_demo(sessions):
    assert 60_000 <= len(sessions) <= 80_000
    by_branch = Counter(s.branch for s in sessions)
    assert 26_000 <= by_branch["CEN"] <= 33_000
    assert 19_000 <= by_branch["NOR"] <= 25_000
    assert 12_500 <= by_branch["EAS"] <= 17_000
    assert Counter(s.source_format for s in sessions).keys() == {
        "radius_detail", "meraki_clients", "meraki_clients_json", "unifi_sessions"}
    lib = {_norm(m) for m in W.LIBRARY_DEVICES}
    assert not any(s.device in lib for s in sessions)
    assert all(date(2024, 7, 1) <= s.local_start.date() <= date(2025, 6, 30) for s in sessions)
    assert all(s.local_start.utcoffset() is not None for s in sessions)
    assert all(re.fullmatch(r"[0-9a-f]{12}", s.device) for s in sessions)
    assert sum(s.duration_s is None for s in sessions) < 20
    assert sum(s.bytes is not None and s.bytes >= 2 ** 32 for s in sessions) > 100


def test_reference_filters(raw, sessions):
    wide = ref.reference_sessions(raw, **REF_KW, library_devices=[], exclude_ssids=[],
                                  start=date(2024, 6, 30), end=date(2025, 6, 30))
    lib = {_norm(m) for m in W.LIBRARY_DEVICES}
    extra = len(wide) - len(sessions)
    n_lib = sum(s.device in lib for s in wide)
    assert n_lib == 15 * len(OPEN_DAYS)                 # every library device, every open day
    before = sum(s.local_start.date() == date(2024, 6, 30) for s in wide)
    assert 5 <= before <= 15                             # sessions of the day before the period
    staff = extra - n_lib - before
    assert 3_000 <= staff <= 8_000


def test_reference_anomalies_on_the_demo(anomalies, sessions):
    assert set(anomalies) == set(ref.ANOMALY_KEYS)
    assert 150 <= anomalies["radius_duplicate_records"] <= 1_000
    assert 3 <= anomalies["radius_stop_without_start"] <= 10
    assert anomalies["radius_interim_before_start"] == 3
    assert anomalies["radius_stop_before_start"] == 0
    assert 4 <= anomalies["meraki_duplicate_records"] <= 10
    assert anomalies["meraki_end_before_start"] == 0
    assert 1 <= anomalies["unifi_duplicate_records"] <= 5
    assert anomalies["unifi_end_before_start"] == 2
    by_branch = Counter(s.branch for s in sessions)
    radius = sum(v for k, v in anomalies.items() if k.startswith("radius"))
    assert radius / by_branch["CEN"] < 0.05
    assert sum(anomalies.values()) / len(sessions) < 0.05


def test_reference_tables_are_consistent(sessions):
    t = ref.reference_tables(sessions)
    assert set(t) == {"sessions_by_branch_month", "sessions_by_branch_weekday_hour",
                      "duration_bands", "volume_bands", "devices_by_branch_day", "devices_with_totals"}
    assert sum(t["sessions_by_branch_month"].values()) == len(sessions)
    assert sum(t["sessions_by_branch_weekday_hour"].values()) == len(sessions)
    assert sum(t["duration_bands"].values()) == len(sessions)
    assert sum(t["volume_bands"].values()) == len(sessions)
    assert len(t["sessions_by_branch_month"]) == 36
    labels = {k[2] for k in t["duration_bands"]}
    assert {"under 5 min", "5-30 min", "30-60 min", "60-120 min", "120 min or more"} <= labels
    assert {k[2] for k in t["volume_bands"]} >= {"under 10 MB", "10-100 MB", "100-1000 MB",
                                                 "1000 MB or more"}
    hours = Counter()
    for (_, wd, h), n in t["sessions_by_branch_weekday_hour"].items():
        assert 1 <= wd <= 7
        hours[h] += n
    outside = sum(n for h, n in hours.items() if h < 9 or h >= 21)
    assert 0.003 * len(sessions) < outside < 0.05 * len(sessions)
    per_day = Counter()
    for s in sessions:
        per_day[(s.branch, s.local_start.date().isoformat())] += 1
    for key, n in t["devices_by_branch_day"].items():
        assert 1 <= n <= per_day[key]
    assert sum(t["devices_by_branch_day"].values()) < len(sessions)     # same-day returns


# ------------------------------------------------------------------------------------ reference
# The reference checked on hand-written input, rule by rule (docs/wifi.md).
def _detail(t: str, status: str, sid: str | None, mac: str = "01", **extra) -> str:
    lines = [t, f"\tAcct-Status-Type = {status}", '\tNAS-Identifier = "wlc-x"']
    if sid:
        lines += [f'\tAcct-Session-Id = "{sid}"', f'\tCalling-Station-Id = "AA-BB-CC-00-00-{mac}"',
                  '\tCalled-Station-Id = "00-11-22-33-44-55:Public"']
    lines += [f"\t{k.replace('_', '-')} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n\n"


def _mini(tmp_path: Path) -> Path:
    rad = tmp_path / "wifi" / "radius"
    rad.mkdir(parents=True)
    day1 = (
        # a whole session (gigawords count 2^32 each)
        _detail("Mon Jan  6 15:00:00 2025", "Start", "S1")
        + _detail("Mon Jan  6 15:10:00 2025", "Interim-Update", "S1", Acct_Session_Time=600,
                  Acct_Input_Octets=10, Acct_Output_Octets=20)
        + _detail("Mon Jan  6 15:10:00 2025", "Interim-Update", "S1", Acct_Session_Time=600,
                  Acct_Input_Octets=10, Acct_Output_Octets=20)      # retransmit: duplicate
        + _detail("Mon Jan  6 16:00:00 2025", "Stop", "S1", Acct_Session_Time=3600,
                  Acct_Input_Octets=5, Acct_Output_Octets=7, Acct_Output_Gigawords=1)
        # stop without start: start = 14:00 - 400 s
        + _detail("Mon Jan  6 14:00:00 2025", "2", "S2", "0A", Acct_Session_Time=400)
        # interim before start
        + _detail("Mon Jan  6 17:00:00 2025", "Start", "S3", "0B")
        + _detail("Mon Jan  6 16:59:00 2025", "Alive", "S3", "0B", Acct_Session_Time=600)
        + _detail("Mon Jan  6 17:30:00 2025", "Accounting-On", None)
    )
    with gzip.GzipFile(rad / "detail-20250106.gz", "wb", mtime=0) as fh:
        fh.write(day1.encode())
    # Start at 04:30 UTC = 23:30 local on Jan 6: counted on Jan 6 local; Stop in the next file
    (rad / "detail-20250107").write_text(
        _detail("Tue Jan  7 04:30:00 2025", "Start", "S4", "0C")
        + _detail("Tue Jan  7 04:20:00 2025", "Stop", "S4", "0C", Acct_Session_Time=1),  # < start
        encoding="utf-8")
    mer = tmp_path / "wifi" / "meraki"
    mer.mkdir()
    (mer / "clients-2025-01-06.csv").write_text(
        "mac,firstSeen,lastSeen,recentDeviceMac,recentDeviceSerial,recentDeviceName,ssid,"
        "usage.sent,usage.recv\n"
        "aa:bb:cc:00:00:02,2025-01-06T10:00:00,2025-01-06T11:00:00,,Q2-1,,Public,1,2\n"
        "aa:bb:cc:00:00:02,2025-01-06T10:00:00,2025-01-06T11:00:00,,Q2-1,,Public,1,2\n"
        "aa:bb:cc:00:00:03,2025-01-06T12:00:00Z,2025-01-06T11:00:00Z,,,AP-N,Staff,,\n",
        encoding="utf-8")
    (mer / "clients-2025-01-07.json").write_text(json.dumps([
        {"mac": "AABB.CC00.0004", "firstSeen": 1736258400, "lastSeen": 1736258460,
         "recentDeviceMac": "00:11:22:33:44:66", "ssid": "Public",
         "usage": {"sent": 0.5, "recv": 1}}]), encoding="utf-8")
    uni = tmp_path / "wifi" / "unifi"
    uni.mkdir()
    (uni / "sessions-2025-01.json").write_text(json.dumps({"meta": {"rc": "ok"}, "data": [
        {"mac": "aa:bb:cc:00:00:05", "ap_mac": "00-11-22-33-44-77", "essid": "Public",
         "assoc_time": 1736175600, "disassoc_time": 1736175000, "tx_bytes": 1, "rx_bytes": 2},
        {"mac": "aa:bb:cc:00:00:05", "ap_mac": "00-11-22-33-44-77", "essid": "Public",
         "assoc_time": 1736175600, "disassoc_time": 1736179200},
        {"mac": "aa:bb:cc:00:00:01", "ap_mac": "00-11-22-33-44-77", "essid": "Public",
         "assoc_time": 1736179200, "disassoc_time": 1736179300, "duration": 50},
    ]}), encoding="utf-8")
    return tmp_path


MINI_KW = dict(library_tz="America/New_York", radius_tz="UTC",
               access_points={"A": ["wlc-x"], "B": ["Q2-1", "AP-N", "001122334466"],
                              "C": ["00:11:22:33:44:77"]})


def test_reference_rules_on_hand_written_input(tmp_path):
    root = _mini(tmp_path)
    got = ref.reference_sessions(root, **MINI_KW, library_devices=["aabb.cc00.0001"],
                                 exclude_ssids=["Staff"], start=date(2025, 1, 1),
                                 end=date(2025, 1, 31))
    rows = sorted((s.source_format, s.local_start.isoformat(), s.duration_s, s.bytes, s.device,
                   s.branch) for s in got)
    assert rows == [
        ("meraki_clients", "2025-01-06T10:00:00-05:00", 3600, 3072, "aabbcc000002", "B"),
        ("meraki_clients_json", "2025-01-07T09:00:00-05:00", 60, 1536, "aabbcc000004", "B"),
        # S2: Stop time - session time; S3: from its Start; S4: Jan 6 local (23:30 EST);
        # S1 is the library device's
        ("radius_detail", "2025-01-06T08:53:20-05:00", 400, None, "aabbcc00000a", "A"),
        ("radius_detail", "2025-01-06T12:00:00-05:00", 600, None, "aabbcc00000b", "A"),
        ("radius_detail", "2025-01-06T23:30:00-05:00", 1, None, "aabbcc00000c", "A"),
        ("unifi_sessions", "2025-01-06T10:00:00-05:00", None, 3, "aabbcc000005", "C"),
    ]
    an = ref.reference_anomalies(root, **MINI_KW)
    assert an == {"radius_duplicate_records": 1, "radius_stop_without_start": 1,
                  "radius_interim_before_start": 1, "radius_stop_before_start": 1,
                  "meraki_duplicate_records": 1, "meraki_end_before_start": 1,
                  "unifi_duplicate_records": 1, "unifi_end_before_start": 1}
    assert ref.reference_nas_events(root, **MINI_KW) == {"Accounting-On": 1}
    # every session of the library device goes when it is not excluded: S1 has 2^32 + 12 bytes
    wide = ref.reference_sessions(root, **MINI_KW, library_devices=[], exclude_ssids=[],
                                  start=date(2025, 1, 1), end=date(2025, 1, 31))
    s1 = [s for s in wide if s.source_format == "radius_detail" and s.duration_s == 3600]
    assert [s.bytes for s in s1] == [2 ** 32 + 12]
    assert len(wide) == len(got) + 3          # S1, the UniFi device 01 and the staff row


def test_reference_errors(tmp_path):
    root = _mini(tmp_path)
    with pytest.raises(ref.WifiReferenceError, match="not mapped"):
        ref.reference_sessions(root, **dict(MINI_KW, access_points={"A": ["wlc-x"]}),
                               library_devices=[], exclude_ssids=[], start=date(2025, 1, 1),
                               end=date(2025, 1, 31))
    (root / "wifi" / "radius" / "detail-20250107").write_text(
        _detail("Tue Jan  7 04:30:00 2025", "Bogus", "S9"), encoding="utf-8")
    with pytest.raises(ref.WifiReferenceError, match="unknown Acct-Status-Type"):
        ref.reference_anomalies(root, **MINI_KW)
    data = (root / "wifi" / "radius" / "detail-20250106.gz").read_bytes()
    (root / "wifi" / "radius" / "detail-20250106.gz").write_bytes(data[:-12])
    with pytest.raises(ref.WifiReferenceError, match="gzip"):
        ref.reference_anomalies(root, **MINI_KW)


@pytest.mark.parametrize("seconds,label", [
    (None, "unknown"), (0, "under 5 min"), (299, "under 5 min"), (300, "5-30 min"),
    (1799, "5-30 min"), (1800, "30-60 min"), (3600, "60-120 min"), (7199, "60-120 min"),
    (7200, "120 min or more")])
def test_duration_bands(seconds, label):
    assert ref.duration_band(seconds) == label


@pytest.mark.parametrize("nbytes,label", [
    (None, "unknown"), (9_999_999, "under 10 MB"), (10_000_000, "10-100 MB"),
    (999_999_999, "100-1000 MB"), (1_000_000_000, "1000 MB or more")])
def test_volume_bands(nbytes, label):
    assert ref.volume_band(nbytes) == label
