"""The JSON reader numbers every record by its place in its file, whatever the threads do: the
records' rowids, and so the order of every file written from them, must not change between two
runs on the same input (byte-identical releases). A window over the reader numbered them in the
order its threads delivered them, which differed from run to run on the demo's Meraki pulls."""

from __future__ import annotations

import json

import duckdb

from libstats.config import Source
from libstats.profiles import resolve
from libstats.readers.json import load_json


def _pull(path, day: int, n: int) -> None:
    """A Meraki client pull of ``n`` obviously fake clients (documentation MAC range)."""
    records = [{"id": f"k{day}-{i}", "mac": f"02:00:5e:{day:02x}:{i // 256:02x}:{i % 256:02x}",
                "firstSeen": 1719800000 + i, "lastSeen": 1719800600 + i, "ssid": "Library-Guest",
                "recentDeviceName": "test-ap", "usage": {"sent": i, "recv": 2 * i}}
               for i in range(n)]
    path.write_text(json.dumps(records), encoding="utf-8")


def test_records_keep_their_file_order_under_threads(tmp_path):
    files = []
    for day in range(1, 4):
        path = tmp_path / f"clients_{day}.json"
        _pull(path, day, 40_000)
        files.append(path)
    source = Source(name="meraki", kind="wifi", format="meraki_clients_json",
                    path="clients_*.json")
    resolved = resolve(source, tmp_path / "library.toml")
    for _ in range(3):
        con = duckdb.connect()
        con.execute("SET threads = 4")
        load_json(con, resolved, files)
        wrong = con.execute(
            "SELECT count(*) FROM raw_meraki WHERE id <> 'k' || (__file + 1) || '-' || __idx "
            "OR rowid <> __file * 40000 + __idx").fetchone()[0]
        assert wrong == 0
        con.close()


def test_a_controller_envelope_over_16_mib_reads(tmp_path):
    """A UniFi {"meta", "data"} file is one JSON document; past DuckDB's default
    maximum_object_size (16 MiB) it was refused as not JSON."""
    recs = [{"_id": f"65{i:022x}", "mac": f"02:00:00:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:"
             f"{i & 255:02x}", "ap_mac": "02:00:00:cc:00:01", "hostname": "Test-Patron-Laptop",
             "essid": "Library-Guest", "assoc_time": 1730419200 + i, "duration": 600,
             "tx_bytes": 1000, "rx_bytes": 2000, "ip": "192.0.2.10", "is_wired": False,
             "site_id": "5f00000000000000000000aa", "oui": "Test", "channel": 36,
             "user_id": f"66{i:022x}"} for i in range(45_000)]
    path = tmp_path / "unifi.json"
    path.write_text(json.dumps({"meta": {"rc": "ok"}, "data": recs}, indent=2), encoding="utf-8")
    assert path.stat().st_size > 16 * 1024 * 1024
    source = Source(name="unifi", kind="wifi", format="unifi_sessions", path="unifi.json")
    con = duckdb.connect()
    ing = load_json(con, resolve(source, tmp_path / "library.toml"), [path],
                    allow_envelope=True)
    assert ing.rows == 45_000
