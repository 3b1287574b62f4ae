"""Central's FreeRADIUS accounting: ``wifi/radius/detail-YYYYMMDD[.gz]``, one file per UTC day.

A session is ``Start``, up to three ``Interim-Update`` records and ``Stop``, each in the file of
the UTC day it was written; controller reboots add ``Accounting-Off`` / ``Accounting-On`` and a
new session-id prefix. Planted: retransmitted duplicates, interims stamped before their start,
``Stop`` records in the first file whose session started the evening before the period.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from libstats.demo.common import EPOCH, FY_START, write_gz
from libstats.demo.wifi.devices import Device
from libstats.demo.wifi.network import (CEN_AP_MACS, PUBLIC_SSID, RADIUS_NAS_IDENTIFIER,
                                        RADIUS_NAS_IP)
from libstats.demo.wifi.notation import ctime, dash_upper, digest, event_ts, local_day_base
from libstats.demo.wifi.visits import Visit

GZIP_BEFORE = date(2025, 6, 1)                     # detail files before this day are .gz
TERMINATE_CAUSES = ("Idle-Timeout", "User-Request", "Lost-Carrier", "Session-Timeout")
TERMINATE_P = (0.5, 0.25, 0.2, 0.05)
REBOOTS = (date(2024, 8, 14), date(2024, 11, 6), date(2025, 2, 19), date(2025, 5, 7))


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
    return ctime(t) + "\n\t" + "\n\t".join(lines) + "\n\n"


def _nas_events(rad: _Radius) -> list[int]:
    """Accounting-Off, then Accounting-On when the controller is back, at each reboot.

    Returns the boot times that prefix the session ids (the boot before the period first).
    """
    reboots = [local_day_base(d) + 5 * 3600 + 1800 for d in REBOOTS]
    for b in reboots:
        for status, t in (("Accounting-Off", b), ("Accounting-On", b + 150)):
            uniq = hashlib.md5(f"{status}{RADIUS_NAS_IP}{t}".encode()).hexdigest()
            rad.add(t, _record(t, [
                f"Acct-Status-Type = {status}", f'NAS-Identifier = "{RADIUS_NAS_IDENTIFIER}"',
                f"NAS-IP-Address = {RADIUS_NAS_IP}", f'Event-Timestamp = "{event_ts(t)}"',
                "Acct-Delay-Time = 0", f'Acct-Unique-Session-Id = "{uniq}"', f"Timestamp = {t}"]))
    return [int(local_day_base(date(2024, 5, 28)) + 4 * 3600 + 17)] + [b + 150 for b in reboots]


class _Draws:
    """Per-session numbers of the detail records, and the sessions picked for anomalies."""

    def __init__(self, rng: np.random.Generator, sessions: list[Visit]):
        n = len(sessions)
        self.u_multi = rng.random(n)
        self.port = rng.integers(1, 30, size=n)
        self.ip3, self.ip4 = rng.integers(16, 32, size=n), rng.integers(2, 255, size=n)
        self.in_frac = rng.uniform(0.06, 0.3, size=n)
        self.in_pkt, self.out_pkt = rng.integers(350, 900, size=n), rng.integers(900, 1400, size=n)
        self.cause = rng.choice(len(TERMINATE_CAUSES), size=n, p=TERMINATE_P)
        self.u_login = rng.random(n)
        # anomalies: retransmitted (duplicate) records and clock-skewed interims
        candidates = [j for j, v in enumerate(sessions) if not v.dev.library and not v.dev.staff
                      and v.day >= FY_START and v.dur > 1500
                      and 12 * 3600 <= v.start - local_day_base(v.day) <= 16 * 3600]
        self.skewed = set(int(j) for j in rng.choice(candidates, size=3, replace=False))
        self.dup_u = rng.random(n)
        self.dup_k = rng.integers(0, 5, size=n)


def _session_ids(sessions: list[Visit], boot_ids: list[int]) -> list[str]:
    """``Acct-Session-Id``: the controller's boot time and a counter restarted at each boot."""
    out = []
    counter = 0x12
    boot_i = 0
    for v in sessions:
        while boot_i + 1 < len(boot_ids) and v.start >= boot_ids[boot_i + 1]:
            boot_i += 1
            counter = 0x12
        counter += 1
        out.append(f"{boot_ids[boot_i]:08X}{counter:08X}")
    return out


def _head(seed: int, v: Visit, j: int, sid: str, d: _Draws) -> tuple[list[str], str]:
    """The attributes every record of session ``j`` opens with (the status still a template),
    and its ``Acct-Unique-Session-Id`` line."""
    multi = (f'Acct-Multi-Session-Id = "{digest(seed, "multi", sid, n=8).hex().upper()}"'
             if d.u_multi[j] < 0.3 else None)
    user = v.dev.user
    if user is None or (not v.dev.library and not v.dev.staff and d.u_login[j] < 0.1):
        user = v.mac                                          # MAC authentication
    head = ["Acct-Status-Type = {status}", f'Acct-Session-Id = "{sid}"']
    if multi:
        head.append(multi)
    head += [f'User-Name = "{user}"', f'NAS-Identifier = "{RADIUS_NAS_IDENTIFIER}"',
             f"NAS-IP-Address = {RADIUS_NAS_IP}", f"NAS-Port = {d.port[j]}",
             "NAS-Port-Type = Wireless-802.11",
             f'Called-Station-Id = "{CEN_AP_MACS[v.ap]}:{v.ssid}"',
             f'Calling-Station-Id = "{dash_upper(v.mac)}"',
             f"Framed-IP-Address = 10.10.{d.ip3[j]}.{d.ip4[j]}", "Acct-Authentic = RADIUS",
             "Service-Type = Framed-User"]
    uniq = hashlib.md5(f"{user}{sid}{RADIUS_NAS_IP}{RADIUS_NAS_IDENTIFIER}".encode()
                       ).hexdigest()
    return head, f'Acct-Unique-Session-Id = "{uniq}"'


def _usage_lines(v: Visit, j: int, dt: int, status: str, d: _Draws) -> list[str]:
    """Session time, octets, gigawords and packets so far (and the cause, on Stop)."""
    total = v.nbytes if status == "Stop" else v.nbytes * dt // v.dur
    b_in = int(total * d.in_frac[j])
    b_out = total - b_in
    lines = [f"Acct-Session-Time = {dt}", f"Acct-Input-Octets = {b_in & 0xFFFFFFFF}",
             f"Acct-Output-Octets = {b_out & 0xFFFFFFFF}",
             f"Acct-Input-Gigawords = {b_in >> 32}",
             f"Acct-Output-Gigawords = {b_out >> 32}",
             f"Acct-Input-Packets = {b_in // int(d.in_pkt[j]) + 1}",
             f"Acct-Output-Packets = {b_out // int(d.out_pkt[j]) + 1}"]
    if status == "Stop":
        c = TERMINATE_CAUSES[d.cause[j]]
        if v.dev.library or v.dev.staff:
            c = "User-Request"
        lines.append(f"Acct-Terminate-Cause = {c}")
    return lines


def _add_session(rad: _Radius, seed: int, v: Visit, j: int, sid: str, d: _Draws) -> None:
    """Start, an Interim-Update every 10 minutes (at most three) and Stop of session ``j``."""
    head, tail_uniq = _head(seed, v, j, sid, d)
    n_int = min(3, (v.dur - 1) // 600)
    times = [0] + [600 * k for k in range(1, n_int + 1)] + [v.dur]
    statuses = ["Start"] + ["Interim-Update"] * n_int + ["Stop"]
    for k, (dt, status) in enumerate(zip(times, statuses)):
        t = v.start + dt
        shown = t
        if j in d.skewed and k == 1:
            shown = v.start - 60 - int(d.dup_k[j]) * 45            # NAS clock jumped back
        lines = [h.format(status=status) if i == 0 else h for i, h in enumerate(head)]
        if status != "Start":
            lines += _usage_lines(v, j, dt, status, d)
        lines += [f'Event-Timestamp = "{event_ts(shown)}"', "Acct-Delay-Time = 0",
                  tail_uniq, f"Timestamp = {shown}"]
        text = _record(shown, lines)
        rad.add(t, text, int(shown // 86400))
        # ~0.5 % of patron session records are retransmitted: an exact copy a moment later
        if (not v.dev.library and not v.dev.staff and j not in d.skewed
                and v.day >= FY_START and d.dup_u[j] < 0.02 and k == d.dup_k[j] % len(times)):
            rad.add(t + 0.5, text, int(shown // 86400))


def write_radius_cen(rng: np.random.Generator, seed: int, visits: list[Visit],
                     pre_period: list[Visit], out: Path) -> None:
    """Write Central's detail files into ``out``: its sessions and those of the evening before."""
    rad = _Radius()
    boot_ids = _nas_events(rad)
    sessions = sorted(pre_period + visits, key=lambda v: (v.start, v.dev.branch, v.dev.idx))
    draws = _Draws(rng, sessions)
    for j, (v, sid) in enumerate(zip(sessions, _session_ids(sessions, boot_ids))):
        _add_session(rad, seed, v, j, sid, draws)
    rad.write(out)


def pre_period_visits(rng: np.random.Generator, seed: int, devices: list[Device],
                      p: np.ndarray) -> list[Visit]:
    """Sessions of the evening of 2024-06-30 (local) whose later records are in the first file.

    Seven start before 20:00 EDT (00:00 UTC) and end after it: their Start is in the absent
    2024-06-30 file, so the 2024-07-01 file holds a Stop (and maybe interims) without Start.
    Four start after 20:00 EDT: whole sessions in the first file, on a day before the period.
    """
    d = FY_START - timedelta(days=1)
    base = local_day_base(d)
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
