"""Generate Meraki (clients CSV, clients JSON) and UniFi (session JSON) exports of N sessions for
the Wi-Fi benchmark, in DuckDB SQL (nothing per record in Python).

Usage::

    python benchmarks/gen_wifi_exports.py --kind meraki_csv --sessions 1000000 \\
        --out benchmarks/data/meraki_csv_1000000/clients.csv [--seed 42]

Kinds: ``meraki_csv`` (the dashboard's client list CSV, the columns of the ``meraki_clients``
profile), ``meraki_json`` (the API's ``GET /networks/{id}/clients`` array), ``unifi`` (the
controller's ``stat/session`` answer: ``{"meta": {"rc": "ok"}, "data": [...]}``). Every value is
fake: MACs ``02:00:00:..`` (locally administered), users at example.org, addresses in
192.0.2.0/24. Sessions are spread evenly over FY2025 (2024-07-01 .. 2025-06-30, UTC), each
10-120 minutes long, on 8 access points of one branch, from a pool of N/4 devices; 5 % on the
``RCLS-Staff`` network. Determinism: every value is ``hash(row, seed, stream)``; same seed, N
and DuckDB version, same bytes. Writes ``<out>.meta.json`` beside the file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import duckdb

GENERATOR_VERSION = 1
KINDS = ("meraki_csv", "meraki_json", "unifi")
START_EPOCH = 1719792000          # 2024-07-01 00:00:00 UTC
YEAR_S = 365 * 86400


def _h(stream: int, seed: int, expr: str = "range") -> str:
    return f"hash({expr}, {seed}, {stream})"


def _select(kind: str, n: int, seed: int) -> str:
    devices = max(n // 4, 100)
    dev = f"({_h(1, seed)} % {devices})"
    mac = (f"printf('02:00:00:%02x:%02x:%02x', ({dev} // 65536) % 256, ({dev} // 256) % 256, "
           f"{dev} % 256)")
    ap = f"({_h(2, seed)} % 8)"
    ap_mac = f"printf('02:00:00:bb:00:%02x', {ap} + 1)"
    start = f"({START_EPOCH} + range * {YEAR_S} // {n})"
    dur = f"(600 + {_h(3, seed)} % 6600)"
    ssid = f"CASE WHEN {_h(4, seed)} % 20 = 0 THEN 'RCLS-Staff' ELSE 'RCLS-Public' END"
    sent, recv = f"({_h(5, seed)} % 500000)", f"({_h(6, seed)} % 2000000)"
    ip = f"printf('192.0.2.%d', 1 + {_h(7, seed)} % 254)"
    user = f"printf('test-patron-%d@example.org', {dev})"
    iso = "strftime(to_timestamp({}), '%Y-%m-%dT%H:%M:%SZ')"
    if kind == "meraki_csv":
        return f"""
            SELECT printf('k%08d', range) AS id, {mac} AS mac, 'Test device' AS description,
                   {ip} AS ip, '' AS ip6, {user} AS "user",
                   {iso.format(start)} AS firstSeen, {iso.format(f'{start} + {dur}')} AS lastSeen,
                   'Test Maker' AS manufacturer, 'Test OS' AS os,
                   printf('BEN-AP-%d', {ap} + 1) AS recentDeviceName, {ap_mac} AS recentDeviceMac,
                   printf('Q2XX-0000-%04d', {ap} + 1) AS recentDeviceSerial, {ssid} AS ssid,
                   1 AS vlan, {sent} AS "usage.sent", {recv} AS "usage.recv",
                   'Offline' AS status, '' AS notes
            FROM range({n})"""
    if kind == "meraki_json":
        return f"""
            SELECT printf('k%08d', range) AS id, {mac} AS mac, 'Test device' AS description,
                   {ip} AS ip, {user} AS "user", {start} AS firstSeen,
                   {start} + {dur} AS lastSeen, printf('BEN-AP-%d', {ap} + 1)
                   AS recentDeviceName, {ap_mac} AS recentDeviceMac, {ssid} AS ssid,
                   {{'sent': {sent}, 'recv': {recv}}} AS usage, NULL::VARCHAR AS notes
            FROM range({n})"""
    return f"""
        SELECT printf('65%022x', range) AS _id, {mac} AS mac, 'TEST-DEVICE' AS hostname,
               {ap_mac} AS ap_mac, {ssid} AS essid, {start} AS assoc_time,
               {start} + {dur} AS disassoc_time, {dur} AS duration, {sent} AS tx_bytes,
               {recv} AS rx_bytes, {ip} AS ip, false AS is_wired
        FROM range({n})"""


def meta_path_for(out: Path) -> Path:
    return out.with_name(out.name + ".meta.json")


def _meta(kind: str, n: int, seed: int) -> dict:
    return {"kind": kind, "sessions": n, "seed": seed, "generator_version": GENERATOR_VERSION,
            "duckdb": duckdb.__version__}


def is_current(out: Path, kind: str, n: int, seed: int) -> bool:
    meta = meta_path_for(out)
    if not (out.exists() and meta.exists()):
        return False
    got = json.loads(meta.read_text(encoding="utf-8"))
    return {k: got.get(k) for k in _meta(kind, n, seed)} == _meta(kind, n, seed)


def generate(kind: str, n: int, out: Path, seed: int = 42) -> dict:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    sql = _select(kind, n, seed)
    if kind == "meraki_csv":
        con.execute(f"COPY ({sql}) TO '{tmp}' (FORMAT csv, HEADER)")
    else:
        body = out.with_name(out.name + ".body")
        con.execute(f"COPY ({sql}) TO '{body}' (FORMAT json, ARRAY true)")
        with open(tmp, "wb") as dst, open(body, "rb") as src:
            if kind == "unifi":
                dst.write(b'{"meta": {"rc": "ok"}, "data": ')
            while chunk := src.read(1 << 24):
                dst.write(chunk)
            if kind == "unifi":
                dst.write(b"}\n")
        body.unlink()
    os.replace(tmp, out)
    meta = dict(_meta(kind, n, seed), bytes=out.stat().st_size)
    meta_path_for(out).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--kind", choices=KINDS, required=True)
    p.add_argument("--sessions", type=int, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    t = time.perf_counter()
    meta = generate(args.kind, args.sessions, args.out, args.seed)
    print(f"wrote {args.out} ({args.sessions:,} sessions, {meta['bytes'] / 1e6:,.1f} MB) in "
          f"{time.perf_counter() - t:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
