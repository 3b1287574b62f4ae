"""Generate a FreeRADIUS ``detail`` accounting file of N records for benchmarking, in DuckDB SQL.

Nothing is generated record by record in Python: one ``COPY (SELECT <record text> FROM range(N))
TO '<file>'`` statement builds every record as one VARCHAR (timestamp line, TAB-indented
``Attribute = value`` lines) and writes it with CSV quoting, escaping and header turned off; the
CSV row terminator makes the blank line between records. 10M records (about 6.5 GB) take a few
minutes on two cores and DuckDB's streaming COPY needs well under 3 GB of memory.

Usage::

    python benchmarks/gen_radius_detail.py --records 10000000 \\
        --out benchmarks/data/radius_10000000/detail-bench [--seed 42]

Writes the file and ``<file>.meta.json`` (records, sessions, seed, generator version, DuckDB
version, bytes). A libstats config reads it with (the NAS is the only access point)::

    [wifi.access_points]
    BEN = ["bench-wlc-01"]

    [[sources]]
    name = "radius"
    kind = "wifi"
    format = "radius_detail"
    path = "detail-bench"
    timezone = "UTC"

Shape: records are in time order over FY2025 (2024-07-01 .. 2025-06-30, UTC), evenly spaced.
Sessions run in parallel "lanes" (about one record every 10 minutes per lane): each session is a
``Start``, 0-3 ``Interim-Update`` and a ``Stop`` record (the cycle of record counts 2, 5, 3, 4, 2,
3, 5, 4: 3.5 records a session), so ``Acct-Session-Time`` is the real distance to the ``Start``
and the octet counters grow. Sessions still open at the end of the file have no ``Stop``.
Attributes: Acct-Status-Type, Acct-Session-Id, User-Name (card numbers, e-mails at example.org,
+1860555 phone numbers, MAC logins), NAS-Identifier ``bench-wlc-01``, NAS-IP-Address,
NAS-Port-Type, Called-Station-Id (4 APs, ``RCLS-Public``, 5 % ``RCLS-Staff``),
Calling-Station-Id (a pool of devices, half of them with randomized MACs), Framed-IP-Address,
and on Interim/Stop Acct-Session-Time, Acct-{Input,Output}-{Octets,Gigawords} (0.5 % of
sessions over 4 GiB), on Stop Acct-Terminate-Cause; then Event-Timestamp,
Acct-Unique-Session-Id and Timestamp. Start records have 12 lines, Interim-Update 17, Stop 18.
No anomalies (no duplicates, no clock skew).

Determinism: every pseudo-random value is ``hash(key, seed, stream)`` (DuckDB's 64-bit hash) of
the record or session number, never ``random()``: the same seed, N and DuckDB version give the
same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import duckdb

from benchmeta import recorded

GENERATOR_VERSION = 1
NAS_IDENTIFIER = "bench-wlc-01"
NAS_IP = "10.99.0.2"
FY_START = "2024-07-01"
SPAN = 365 * 86400                 # seconds in FY2025
RECORD_SPACING = 600               # target seconds between the records of one session
PATTERN = (2, 5, 3, 4, 2, 3, 5, 4)   # records per session, cycled in each lane
BOOT_ID = 0x6655_8F11              # Acct-Session-Id prefix (controller boot time, hex)
AP_MACS = ("00-1A-1E-10-00-01", "00-1A-1E-10-00-02", "00-1A-1E-10-00-03", "00-1A-1E-10-00-04")
VENDOR_OUIS = ("A4-83-E7", "8C-F5-A3", "3C-A9-F4", "F0-18-98", "5C-49-7D", "3C-22-FB")
TERMINATE = (("Idle-Timeout", 50), ("User-Request", 25), ("Lost-Carrier", 20),
             ("Session-Timeout", 5))

STREAMS = 64
SEED_STRIDE = 1 << 40
MAX_SEED = (1 << 22) - 1
MEMORY_LIMIT = "2GB"


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _list(values) -> str:
    return "[" + ", ".join(_lit(v) if isinstance(v, str) else str(v) for v in values) + "]"


def lanes_for(records: int) -> int:
    """Concurrent sessions, so that one session's records are ~RECORD_SPACING apart."""
    return max(1, round(RECORD_SPACING * records / SPAN))


def build_sql(records: int, seed: int) -> str:
    """The SELECT producing one VARCHAR column ``record`` (no trailing blank line)."""
    seed = int(seed)
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"--seed must be between 0 and {MAX_SEED}")
    if records * STREAMS >= SEED_STRIDE:
        raise ValueError("--records is too large for this generator")
    lanes = lanes_for(records)
    cycle = sum(PATTERN)
    j_of, k_of, n_of = [], [], []
    for j, n in enumerate(PATTERN):
        for k in range(n):
            j_of.append(j)
            k_of.append(k)
            n_of.append(n)
    devices = max(2_000, records // 20)

    def h(key: str, stream: int) -> str:          # 64-bit hash as UBIGINT
        return f"hash(CAST({key} AS BIGINT) * {STREAMS} + {stream + seed * SEED_STRIDE})"

    def u(key: str, stream: int) -> str:          # uniform [0, 1)
        return f"({h(key, stream)} / 18446744073709551616.0)"

    term = "CASE " + " ".join(
        f"WHEN u_term < {acc / 100!r} THEN {_lit(name)}"
        for name, acc in zip([t for t, _ in TERMINATE[:-1]],
                             [sum(w for _, w in TERMINATE[:i + 1])
                              for i in range(len(TERMINATE) - 1)])
    ) + f" ELSE {_lit(TERMINATE[-1][0])} END"

    def ctime(ts: str) -> str:
        return (f"strftime({ts}, '%a %b ') || lpad(CAST(day({ts}) AS VARCHAR), 2, ' ') "
                f"|| strftime({ts}, ' %H:%M:%S %Y')")

    def event(ts: str) -> str:
        return (f"strftime({ts}, '%b ') || lpad(CAST(day({ts}) AS VARCHAR), 2, ' ') "
                f"|| strftime({ts}, ' %Y %H:%M:%S') || ' UTC'")

    nl = "chr(10) || chr(9)"
    return f"""
WITH r AS (
    SELECT range AS i,
           range % {lanes} AS lane,
           (range // {lanes}) // {cycle} AS cyc,
           (range // {lanes}) % {cycle} AS o
    FROM range({records})
), p AS (
    SELECT *,
           {_list(j_of)}[o + 1] AS j, {_list(k_of)}[o + 1] AS k, {_list(n_of)}[o + 1] AS n
    FROM r
), s AS (
    SELECT *,
           (cyc * {lanes} + lane) * {len(PATTERN)} + j AS sess,
           i * {SPAN} // {records} AS t_off,
           (i - k * {lanes}) * {SPAN} // {records} AS t0_off
    FROM p
), a AS (
    SELECT *,
           t_off - t0_off AS st,
           epoch(TIMESTAMP '{FY_START} 00:00:00') + t_off AS ts_epoch,
           TIMESTAMP '{FY_START} 00:00:00' + to_seconds(t_off) AS ts,
           CASE WHEN k = 0 THEN 'Start' WHEN k = n - 1 THEN 'Stop' ELSE 'Interim-Update' END
               AS status,
           CAST({h('sess', 1)} % {devices} AS BIGINT) AS dev,
           {u('sess', 2)} AS u_ssid,
           {h('sess', 3)} AS h_ap,
           {u('sess', 4)} AS u_bytes,
           {u('sess', 5)} AS u_huge,
           {h('sess', 6)} AS h_ip,
           {u('sess', 7)} AS u_term,
           {h('sess', 8)} AS h_in
    FROM s
), d AS (
    SELECT *,
           {h('dev', 11)} AS h_mac,
           {u('dev', 12)} AS u_user,
           {h('dev', 13)} AS h_user,
           CAST(CASE WHEN u_huge < 0.005
                     THEN 4500000000 + floor(u_bytes * 4500000000)
                     ELSE floor(exp(ln(20000) + u_bytes * ln(100000))) END AS BIGINT) AS total
    FROM a
), m AS (
    SELECT *,
           CASE WHEN h_mac % 2 = 0
                THEN printf('%02X-%02X-%02X', ((h_mac >> 8) % 64) * 4 + 2, (h_mac >> 16) % 256,
                            (h_mac >> 24) % 256)
                ELSE {_list(VENDOR_OUIS)}[CAST((h_mac >> 8) % {len(VENDOR_OUIS)} AS INTEGER) + 1]
           END || printf('-%02X-%02X-%02X', (h_mac >> 32) % 256, (h_mac >> 40) % 256,
                         (h_mac >> 48) % 256) AS mac,
           CASE WHEN k = 0 THEN 0 ELSE total * k // (n - 1) END AS vol
    FROM d
), v AS (
    SELECT *,
           vol * (5 + CAST(h_in % 25 AS BIGINT)) // 100 AS v_in,
           printf('%08X%08X', {BOOT_ID}, sess) AS sid
    FROM m
)
SELECT
    {ctime('ts')}
    || {nl} || 'Acct-Status-Type = ' || status
    || {nl} || 'Acct-Session-Id = "' || sid || '"'
    || {nl} || 'User-Name = "' || CASE
           WHEN u_user < 0.40 THEN '21234' || lpad(CAST(h_user % 100000000 AS VARCHAR), 8, '0')
                                   || CAST((h_user >> 40) % 10 AS VARCHAR)
           WHEN u_user < 0.65 THEN 'patron' || CAST(dev AS VARCHAR) || '@example.org'
           WHEN u_user < 0.80 THEN '+1860555' || CAST(100 + h_user % 100 AS VARCHAR)
           ELSE lower(replace(mac, '-', '')) END || '"'
    || {nl} || 'NAS-Identifier = "{NAS_IDENTIFIER}"'
    || {nl} || 'NAS-IP-Address = {NAS_IP}'
    || {nl} || 'NAS-Port-Type = Wireless-802.11'
    || {nl} || 'Called-Station-Id = "' || {_list(AP_MACS)}[CAST(h_ap % 4 AS INTEGER) + 1]
           || CASE WHEN u_ssid < 0.05 THEN ':RCLS-Staff"' ELSE ':RCLS-Public"' END
    || {nl} || 'Calling-Station-Id = "' || mac || '"'
    || {nl} || 'Framed-IP-Address = 10.10.' || CAST(16 + h_ip % 16 AS VARCHAR) || '.'
           || CAST(2 + (h_ip >> 8) % 253 AS VARCHAR)
    || CASE WHEN k = 0 THEN '' ELSE
              {nl} || 'Acct-Session-Time = ' || CAST(st AS VARCHAR)
           || {nl} || 'Acct-Input-Octets = ' || CAST(v_in % 4294967296 AS VARCHAR)
           || {nl} || 'Acct-Output-Octets = ' || CAST((vol - v_in) % 4294967296 AS VARCHAR)
           || {nl} || 'Acct-Input-Gigawords = ' || CAST(v_in // 4294967296 AS VARCHAR)
           || {nl} || 'Acct-Output-Gigawords = ' || CAST((vol - v_in) // 4294967296 AS VARCHAR)
       END
    || CASE WHEN status = 'Stop' THEN {nl} || 'Acct-Terminate-Cause = ' || {term} ELSE '' END
    || {nl} || 'Event-Timestamp = "' || {event('ts')} || '"'
    || {nl} || 'Acct-Unique-Session-Id = "' || md5(sid) || '"'
    || {nl} || 'Timestamp = ' || CAST(CAST(ts_epoch AS BIGINT) AS VARCHAR)
    || chr(10) AS record
FROM v
"""


def meta_path_for(out: Path) -> Path:
    return out.with_name(out.name + ".meta.json")


def generate(records: int, out: Path, seed: int = 42, threads: int | None = None,
             quiet: bool = False) -> dict:
    """Write the detail file (atomically: temp file then rename) and its meta file."""
    if records < 1:
        raise ValueError("--records must be at least 1")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    meta_path = meta_path_for(out)
    if meta_path.exists():
        meta_path.unlink()
    t0 = time.monotonic()
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = true")     # records in range() order
        con.execute(f"SET memory_limit = {_lit(MEMORY_LIMIT)}")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
        con.execute(f"COPY ({build_sql(records, seed)}) TO {_lit(str(tmp))} "
                    "(FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x01')")
    finally:
        con.close()
    os.replace(tmp, out)
    elapsed = time.monotonic() - t0
    lanes = lanes_for(records)
    meta = {"records": records, "seed": seed, "generator_version": GENERATOR_VERSION,
            "duckdb": duckdb.__version__, "bytes": out.stat().st_size,
            "nas_identifier": NAS_IDENTIFIER, "lanes": lanes,
            "records_per_session": list(PATTERN), "seconds": round(elapsed, 3)}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        print(f"wrote {out} ({records:,} records, {meta['bytes'] / 1e6:,.1f} MB) "
              f"in {elapsed:.1f}s", file=sys.stderr)
    return meta


def is_current(out: Path, records: int, seed: int) -> bool:
    """True when ``out`` was completely generated with these parameters by this version."""
    return out.exists() and recorded(
        meta_path_for(out), records=records, seed=seed, generator_version=GENERATOR_VERSION,
        duckdb=duckdb.__version__, bytes=out.stat().st_size)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, required=True, help="number of detail records")
    p.add_argument("--out", type=Path,
                   help="file path (default: benchmarks/data/radius_<N>/detail-bench)")
    p.add_argument("--seed", type=int, default=42, help="seed (default 42)")
    p.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    p.add_argument("-q", "--quiet", action="store_true")
    args = p.parse_args(argv)
    out = args.out or (Path(__file__).resolve().parent / "data" / f"radius_{args.records}"
                       / "detail-bench")
    try:
        generate(args.records, out, args.seed, args.threads, args.quiet)
    except ValueError as exc:
        p.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
