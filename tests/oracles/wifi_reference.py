# Spec questions
# (docs/wifi.md leaves these open; the reading chosen here is given after the arrow)
# 1. Anomalies of sessions outside the period (e.g. the 2024-07-01 Stop records whose session
#    started on 2024-06-30), of library devices or of excluded SSIDs: counted or not?
#    -> counted: anomalies are properties of the records read, before any filter.
# 2. "interim before start" / "stop before start": one per session or one per record?
#    -> one per session (the demo has one skewed record per such session, so both agree).
#    "stop without start" is one per session too; a session of Interim-Updates only (no Start,
#    no Stop) is not an anomaly.
# 3. Record time of a RADIUS record: the ctime line or Event-Timestamp? -> the ctime line (the
#    only time the layout section describes); the demo keeps both equal.
# 4. A session with several (non-duplicate) Start records -> the earliest Start counts.
#    An Interim/Stop without Acct-Session-Time, in a session without Start -> its record time.
# 5. UniFi record with both ``duration`` and ``disassoc_time``, disassoc_time < assoc_time but
#    duration >= 0 -> anomaly "end before start" all the same, duration = ``duration``. A negative
#    ``duration`` (with or without disassoc_time) is also "end before start", duration unknown.
# 6. Matching ``[wifi.access_points]``: NAS identifiers, IPs, serials and AP names compare as
#    exact strings; a listed value shaped like a MAC also matches any notation of that MAC.
#    Is the NAS identifier case-sensitive? -> yes (exact).
# 7. SSIDs in ``exclude_ssids`` compare exactly (case-sensitive, as SSIDs are). A RADIUS session
#    whose Called-Station-Id carries no SSID is never excluded by SSID.
# 8. Bytes of a Meraki row: (sent + recv) x 1024 rounded to the nearest integer when the usage
#    is fractional; a row without usage has unknown bytes. Only one of sent/recv -> the other 0.

"""Independent recomputation of the Wi-Fi session statistics, written from docs/wifi.md only.

Pure Python (csv, json, gzip, zoneinfo); it shares no code with ``transforms/wifi.py`` or
``pipelines/`` so that the tests compare two readings of the same contract.

Layout read (the demo's): ``<raw_dir>/wifi/radius/detail-*`` (``radius_detail``, plain or
``.gz``, time zone ``radius_tz``), ``<raw_dir>/wifi/meraki/clients-*.csv`` (``meraki_clients``),
``<raw_dir>/wifi/meraki/clients-*.json`` (``meraki_clients_json``) and
``<raw_dir>/wifi/unifi/sessions-*.json`` (``unifi_sessions``); the Meraki and UniFi sources use
the library's time zone. Each of the four is one source (duplicates are looked for within it).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections import Counter
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterable, NamedTuple
from zoneinfo import ZoneInfo

__all__ = ["Session", "WifiReferenceError", "duration_band", "normalize_mac",
           "reference_anomalies", "reference_nas_events", "reference_sessions",
           "reference_tables", "volume_band"]

RADIUS, MERAKI_CSV, MERAKI_JSON, UNIFI = (
    "radius_detail", "meraki_clients", "meraki_clients_json", "unifi_sessions")
SESSION_STATUSES = {"Start": "Start", "Stop": "Stop", "Interim-Update": "Interim-Update",
                    "Alive": "Interim-Update", "1": "Start", "2": "Stop", "3": "Interim-Update"}
NAS_EVENTS = {"Accounting-On": "Accounting-On", "Accounting-Off": "Accounting-Off",
              "Failed": "Failed", "7": "Accounting-On", "8": "Accounting-Off", "15": "Failed"}
ANOMALY_KEYS = ("radius_duplicate_records", "radius_stop_without_start",
                "radius_interim_before_start", "radius_stop_before_start",
                "meraki_duplicate_records", "meraki_end_before_start",
                "unifi_duplicate_records", "unifi_end_before_start")
MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


class WifiReferenceError(ValueError):
    """A condition docs/wifi.md lists under "Always errors"."""


class Session(NamedTuple):
    branch: str
    local_start: datetime          # aware, in the branch's (= library's) time zone
    duration_s: int | None
    bytes: int | None
    device: str                    # normalized MAC: 12 lower-case hex digits
    source_format: str


class _Raw(NamedTuple):
    branch: str
    start: float                   # epoch seconds
    duration_s: int | None
    bytes: int | None
    device: str
    ssid: str | None
    source_format: str


# ------------------------------------------------------------------------------------ MACs
_HEX = "[0-9a-fA-F]"
_MAC_SHAPES = re.compile(
    rf"^(?:{_HEX}{{2}}([-:]){_HEX}{{2}}(?:\1{_HEX}{{2}}){{4}}"
    rf"|{_HEX}{{4}}\.{_HEX}{{4}}\.{_HEX}{{4}}"
    rf"|{_HEX}{{6}}-{_HEX}{{6}}"
    rf"|{_HEX}{{12}})$")
_CALLED = re.compile(
    rf"^(?P<mac>(?:{_HEX}{{2}}[-:]){{5}}{_HEX}{{2}}|{_HEX}{{4}}\.{_HEX}{{4}}\.{_HEX}{{4}}"
    rf"|{_HEX}{{12}})(?::(?P<ssid>.*))?$")


def normalize_mac(value: object) -> str | None:
    """'AA-BB-CC-DD-EE-FF' / 'aa:bb:..' / 'aabb.ccdd.eeff' / 'aabbccddeeff' -> 'aabbccddeeff'."""
    if not isinstance(value, str):
        return None
    v = value.strip()
    if not _MAC_SHAPES.match(v):
        return None
    return re.sub(r"[-:.]", "", v).lower()


class _Branches:
    def __init__(self, access_points: dict[str, list[str]]):
        self.exact: dict[str, str] = {}
        self.macs: dict[str, str] = {}
        for branch, idents in access_points.items():
            for ident in idents:
                self.exact.setdefault(str(ident), branch)
                m = normalize_mac(str(ident))
                if m:
                    self.macs.setdefault(m, branch)

    def first(self, candidates: Iterable[object]) -> str | None:
        for c in candidates:
            if c is None or c == "":
                continue
            c = str(c)
            if c in self.exact:
                return self.exact[c]
            m = normalize_mac(c)
            if m and m in self.macs:
                return self.macs[m]
        return None


# ------------------------------------------------------------------------------------ RADIUS
def _ctime(line: str, tz: ZoneInfo, where: str) -> float:
    parts = line.split()
    try:
        if len(parts) != 5 or parts[1] not in MONTHS:
            raise ValueError
        h, mi, s = (int(x) for x in parts[3].split(":"))
        dt = datetime(int(parts[4]), MONTHS[parts[1]], int(parts[2]), h, mi, s, tzinfo=tz)
    except ValueError:
        raise WifiReferenceError(f"{where}: timestamp does not parse") from None
    return dt.timestamp()


def _read_text(path: Path) -> str:
    if path.name.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as fh:
                data = fh.read()
        except (OSError, EOFError, zlib.error) as exc:
            raise WifiReferenceError(f"{path.name}: gzip file truncated or corrupt") from exc
    else:
        data = path.read_bytes()
    return data.decode("utf-8")


def _radius_records(path: Path, tz: ZoneInfo):
    """Yield (line number, epoch, {attribute: value}) for each record of one detail file."""
    rec = None
    for n, line in enumerate(_read_text(path).split("\n"), 1):
        if not line or line.isspace():
            if rec is not None:
                yield rec
                rec = None
            continue
        if line[0] == "\t" or line[0] == " ":
            name, sep, value = line.partition("=")
            name, value = name.strip(), value.strip()
            if rec is None or not sep or not name:
                raise WifiReferenceError(f"{path.name}:{n}: line is not 'Attribute = value'")
            if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
                value = value[1:-1]
            attrs = rec[2]
            if name not in attrs:
                attrs[name] = value
        else:
            if rec is not None:
                yield rec
            rec = (n, _ctime(line, tz, f"{path.name}:{n}"), {})
    if rec is not None:
        yield rec


def _int(value: str | None, where: str, field: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise WifiReferenceError(f"{where}: {field} is not an integer") from None


class _RadiusSession:
    __slots__ = ("branch", "device", "ssid", "starts", "others", "duration", "volume")

    def __init__(self, branch: str, device: str, ssid: str | None):
        self.branch, self.device, self.ssid = branch, device, ssid
        self.starts: list[float] = []
        self.others: list[tuple[str, float, int | None]] = []
        self.duration: int | None = None
        self.volume: int | None = None


def _read_radius(paths: list[Path], tz: ZoneInfo, branches: _Branches,
                 anomalies: Counter, nas_events: Counter) -> list[_Raw]:
    sessions: dict[tuple[str, str], _RadiusSession] = {}
    seen: set[tuple] = set()
    for path in paths:
        for n, t, a in _radius_records(path, tz):
            where = f"{path.name}:{n}"
            raw_status = a.get("Acct-Status-Type")
            if raw_status is None:
                raise WifiReferenceError(f"{where}: record without Acct-Status-Type")
            if raw_status in NAS_EVENTS:
                nas_events[NAS_EVENTS[raw_status]] += 1
                continue
            status = SESSION_STATUSES.get(raw_status)
            if status is None:
                raise WifiReferenceError(f"{where}: unknown Acct-Status-Type")
            sid = a.get("Acct-Session-Id")
            if not sid:
                raise WifiReferenceError(f"{where}: session record without Acct-Session-Id")
            nas = a.get("NAS-Identifier") or a.get("NAS-IP-Address") or ""
            key = (nas, sid)
            st = _int(a.get("Acct-Session-Time"), where, "Acct-Session-Time")
            ident = (key, status, t, st)
            if ident in seen:
                anomalies["radius_duplicate_records"] += 1
                continue
            seen.add(ident)
            s = sessions.get(key)
            if s is None:
                device = normalize_mac(a.get("Calling-Station-Id"))
                if device is None:
                    raise WifiReferenceError(f"{where}: Calling-Station-Id is not a MAC address")
                ap_mac = ssid = None
                m = _CALLED.match(a.get("Called-Station-Id", "").strip())
                if m:
                    ap_mac, ssid = m.group("mac"), m.group("ssid")
                branch = branches.first((a.get("NAS-Identifier"), a.get("NAS-IP-Address"),
                                         ap_mac))
                if branch is None:
                    raise WifiReferenceError(f"{where}: NAS / access point not mapped to a branch")
                s = sessions[key] = _RadiusSession(branch, device, ssid)
            if status == "Start":
                s.starts.append(t)
            else:
                s.others.append((status, t, st))
            if st is not None:
                s.duration = st if s.duration is None else max(s.duration, st)
            if "Acct-Input-Octets" in a or "Acct-Output-Octets" in a:
                vol = sum(_int(a.get(f), where, f) or 0 for f in (
                    "Acct-Input-Octets", "Acct-Output-Octets"))
                vol += (1 << 32) * sum(_int(a.get(f), where, f) or 0 for f in (
                    "Acct-Input-Gigawords", "Acct-Output-Gigawords"))
                s.volume = vol if s.volume is None else max(s.volume, vol)
    out = []
    for s in sessions.values():
        if s.starts:
            start = min(s.starts)
            if any(status == "Interim-Update" and t < start for status, t, _ in s.others):
                anomalies["radius_interim_before_start"] += 1
            if any(status == "Stop" and t < start for status, t, _ in s.others):
                anomalies["radius_stop_before_start"] += 1
        else:
            start = min(t - (st or 0) for _, t, st in s.others)
            if any(status == "Stop" for status, _, _ in s.others):
                anomalies["radius_stop_without_start"] += 1
        out.append(_Raw(s.branch, start, s.duration, s.volume, s.device, s.ssid, RADIUS))
    return out


# ------------------------------------------------------------------------------------ Meraki / UniFi
def _epoch(value: object, tz: ZoneInfo, where: str, field: str) -> float | None:
    """Epoch seconds (number or digit string) or ISO 8601 (naive -> tz) -> epoch seconds."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise WifiReferenceError(f"{where}: {field} does not parse")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        v = value.strip()
        if re.fullmatch(r"\d+(\.\d+)?", v):
            return float(v)
        try:
            dt = datetime.fromisoformat(v)
        except ValueError:
            raise WifiReferenceError(f"{where}: {field} does not parse") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=tz)
        return dt.timestamp()
    raise WifiReferenceError(f"{where}: {field} does not parse")


def _num(value: object, where: str, field: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise WifiReferenceError(f"{where}: {field} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise WifiReferenceError(f"{where}: {field} is not a number") from None


def _meraki_rows(path: Path):
    """Yield (line number, record dict) of a Meraki CSV or JSON client list."""
    if path.suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text, newline=""))
        start = 2
        for row in reader:
            yield start, row
            start = reader.line_num + 1
        return
    for n, rec in _json_records(path, envelope=False):
        if isinstance(rec.get("usage"), dict):
            rec = dict(rec, **{"usage.sent": rec["usage"].get("sent"),
                               "usage.recv": rec["usage"].get("recv")})
        yield n, rec


def _json_records(path: Path, envelope: bool):
    text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except ValueError:
        raise WifiReferenceError(f"{path.name}: not valid JSON") from None
    if envelope and isinstance(doc, dict) and isinstance(doc.get("data"), list):
        doc = doc["data"]
    if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
        raise WifiReferenceError(f"{path.name}: not an array of records")
    # line of each record: the n-th line that opens an object at the array's level
    starts = [i for i, ln in enumerate(text.split("\n"), 1) if ln.lstrip().startswith("{")]
    if starts and text.lstrip().startswith("{"):
        starts = starts[1:] if envelope else starts
    for i, rec in enumerate(doc):
        yield (starts[i] if i < len(starts) else 0), rec


def _read_meraki(paths: list[Path], fmt: str, tz: ZoneInfo, branches: _Branches,
                 anomalies: Counter) -> list[_Raw]:
    out, seen = [], set()
    for path in paths:
        for n, rec in _meraki_rows(path):
            where = f"{path.name}:{n}"
            device = normalize_mac(rec.get("mac"))
            if device is None:
                raise WifiReferenceError(f"{where}: mac is not a MAC address")
            first = _epoch(rec.get("firstSeen"), tz, where, "firstSeen")
            if first is None:
                raise WifiReferenceError(f"{where}: firstSeen missing")
            last = _epoch(rec.get("lastSeen"), tz, where, "lastSeen")
            branch = branches.first((rec.get("recentDeviceMac"), rec.get("recentDeviceSerial"),
                                     rec.get("recentDeviceName")))
            if branch is None:
                raise WifiReferenceError(f"{where}: access point not mapped to a branch")
            if (device, first) in seen:
                anomalies["meraki_duplicate_records"] += 1
                continue
            seen.add((device, first))
            duration = None
            if last is not None:
                duration = int(round(last - first))
                if duration < 0:
                    anomalies["meraki_end_before_start"] += 1
                    duration = None
            sent = _num(rec.get("usage.sent"), where, "usage.sent")
            recv = _num(rec.get("usage.recv"), where, "usage.recv")
            nbytes = (None if sent is None and recv is None
                      else int(round(((sent or 0) + (recv or 0)) * 1024)))
            out.append(_Raw(branch, first, duration, nbytes, device, rec.get("ssid") or None,
                            fmt))
    return out


def _read_unifi(paths: list[Path], branches: _Branches, anomalies: Counter) -> list[_Raw]:
    out, seen = [], set()
    utc = ZoneInfo("UTC")
    for path in paths:
        for n, rec in _json_records(path, envelope=True):
            where = f"{path.name}:{n}"
            device = normalize_mac(rec.get("mac"))
            if device is None:
                raise WifiReferenceError(f"{where}: mac is not a MAC address")
            assoc = _epoch(rec.get("assoc_time"), utc, where, "assoc_time")
            if assoc is None:
                raise WifiReferenceError(f"{where}: assoc_time missing")
            disassoc = _epoch(rec.get("disassoc_time"), utc, where, "disassoc_time")
            branch = branches.first((rec.get("ap_mac"),))
            if branch is None:
                raise WifiReferenceError(f"{where}: access point not mapped to a branch")
            if (device, assoc) in seen:
                anomalies["unifi_duplicate_records"] += 1
                continue
            seen.add((device, assoc))
            dur = _num(rec.get("duration"), where, "duration")
            if dur is None and disassoc is not None:
                dur = disassoc - assoc
            backwards = (disassoc is not None and disassoc < assoc) or (dur is not None
                                                                        and dur < 0)
            if backwards:
                anomalies["unifi_end_before_start"] += 1
            duration = None if dur is None or dur < 0 else int(round(dur))
            tx = _num(rec.get("tx_bytes"), where, "tx_bytes")
            rx = _num(rec.get("rx_bytes"), where, "rx_bytes")
            nbytes = None if tx is None and rx is None else int((tx or 0) + (rx or 0))
            out.append(_Raw(branch, assoc, duration, nbytes, device, rec.get("essid") or None,
                            UNIFI))
    return out


# ------------------------------------------------------------------------------------ assembly
_CACHE: dict[tuple, tuple[list[_Raw], Counter, Counter]] = {}


def _read_all(raw_dir: Path, library_tz: str, radius_tz: str,
              access_points: dict[str, list[str]]) -> tuple[list[_Raw], Counter, Counter]:
    """Read every source once; the last result is kept while no file changed (tests call the
    public functions several times on the same demo)."""
    wifi = Path(raw_dir) / "wifi"
    stamp = tuple(sorted((str(p), p.stat().st_size, p.stat().st_mtime_ns)
                         for p in wifi.rglob("*") if p.is_file()))
    key = (str(Path(raw_dir).resolve()), library_tz, radius_tz,
           json.dumps(access_points, sort_keys=True), stamp)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _read_all_uncached(wifi, library_tz, radius_tz, access_points)
    raw, anomalies, events = _CACHE[key]
    return list(raw), Counter(anomalies), Counter(events)


def _read_all_uncached(wifi: Path, library_tz: str, radius_tz: str,
                       access_points: dict[str, list[str]]
                       ) -> tuple[list[_Raw], Counter, Counter]:
    branches = _Branches(access_points)
    anomalies: Counter = Counter({k: 0 for k in ANOMALY_KEYS})
    nas_events: Counter = Counter()
    lib = ZoneInfo(library_tz)

    def files(sub: str, pattern: str) -> list[Path]:
        return sorted((p for p in (wifi / sub).glob(pattern) if p.is_file()),
                      key=lambda p: p.name)

    raw = _read_radius(files("radius", "detail-*"), ZoneInfo(radius_tz), branches, anomalies,
                       nas_events)
    raw += _read_meraki(files("meraki", "clients-*.csv"), MERAKI_CSV, lib, branches, anomalies)
    raw += _read_meraki(files("meraki", "clients-*.json"), MERAKI_JSON, lib, branches,
                        anomalies)
    raw += _read_unifi(files("unifi", "sessions-*.json"), branches, anomalies)
    return raw, anomalies, nas_events


def reference_sessions(raw_dir: Path, *, library_tz: str, radius_tz: str,
                       access_points: dict[str, list[str]], library_devices: list[str],
                       exclude_ssids: list[str], start: date, end: date) -> list[Session]:
    """The sessions docs/wifi.md counts whose start (local day) is in [start, end]."""
    raw, _, _ = _read_all(raw_dir, library_tz, radius_tz, access_points)
    tz = ZoneInfo(library_tz)
    bad = [x for x in library_devices if normalize_mac(x) is None]
    if bad:
        raise WifiReferenceError(f"library_devices: not a MAC address: {bad!r}")
    lib_macs = {normalize_mac(x) for x in library_devices}
    excluded = set(exclude_ssids)
    out = []
    for s in raw:
        if s.device in lib_macs or (s.ssid is not None and s.ssid in excluded):
            continue
        local = datetime.fromtimestamp(s.start, timezone.utc).astimezone(tz)
        if start <= local.date() <= end:
            out.append(Session(s.branch, local, s.duration_s, s.bytes, s.device,
                               s.source_format))
    return out


def reference_anomalies(raw_dir: Path, *, library_tz: str, radius_tz: str,
                        access_points: dict[str, list[str]], **_ignored) -> dict[str, int]:
    """Anomaly counts over every record read (see Spec questions 1 and 2)."""
    _, anomalies, _ = _read_all(raw_dir, library_tz, radius_tz, access_points)
    return {k: anomalies[k] for k in ANOMALY_KEYS}


def reference_nas_events(raw_dir: Path, *, library_tz: str, radius_tz: str,
                         access_points: dict[str, list[str]], **_ignored) -> dict[str, int]:
    """Accounting-On / Accounting-Off / Failed records (NAS events, not sessions)."""
    _, _, events = _read_all(raw_dir, library_tz, radius_tz, access_points)
    return dict(sorted(events.items()))


# ------------------------------------------------------------------------------------ tables
def _band(value: float | None, edges: tuple[float, ...], scale: float, unit: str) -> str:
    if value is None:
        return "unknown"
    if value < edges[0] * scale:
        return f"under {edges[0]:g} {unit}"
    for lo, hi in zip(edges, edges[1:]):
        if lo * scale <= value < hi * scale:
            return f"{lo:g}-{hi:g} {unit}"
    return f"{edges[-1]:g} {unit} or more"


def duration_band(seconds: int | None, minutes: tuple[float, ...] = (5, 30, 60, 120)) -> str:
    return _band(seconds, tuple(minutes), 60, "min")


def volume_band(nbytes: int | None, mb: tuple[float, ...] = (10, 100, 1000)) -> str:
    return _band(nbytes, tuple(mb), 1_000_000, "MB")


def reference_tables(sessions: list[Session], duration_bands_minutes=(5, 30, 60, 120),
                     volume_bands_mb=(10, 100, 1000)) -> dict:
    by_month: Counter = Counter()
    by_wd_hour: Counter = Counter()
    durations: Counter = Counter()
    volumes: Counter = Counter()
    devices: dict[tuple[str, str], set[str]] = {}
    for s in sessions:
        month = s.local_start.strftime("%Y-%m")
        day = s.local_start.date().isoformat()
        by_month[(s.branch, month)] += 1
        by_wd_hour[(s.branch, s.local_start.isoweekday(), s.local_start.hour)] += 1
        durations[(s.branch, month, duration_band(s.duration_s, duration_bands_minutes))] += 1
        volumes[(s.branch, month, volume_band(s.bytes, volume_bands_mb))] += 1
        # Distinct devices per branch and day, with the distinct totals ("all") the
        # published table carries (kept apart: "devices_by_branch_day" is inner cells only).
        for key in ((s.branch, day), ("all", day), (s.branch, "all"), ("all", "all")):
            devices.setdefault(key, set()).add(s.device)
    return {
        "sessions_by_branch_month": dict(by_month),
        "sessions_by_branch_weekday_hour": dict(by_wd_hour),
        "duration_bands": dict(durations),
        "volume_bands": dict(volumes),
        "devices_by_branch_day": {k: len(v) for k, v in devices.items() if "all" not in k},
        "devices_with_totals": {k: len(v) for k, v in devices.items()},
    }
