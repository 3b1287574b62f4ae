"""Wi-Fi conformance: public samples and exports rebuilt from published schemas, each read through
libstats' real reader, profile and staging SQL, with figures computed without libstats.

One folder per case (``SOURCE.md`` says where it comes from and how its figures were computed),
holding the input files and ``expected.json``:

- ``format``, ``files`` (inputs, in read order), ``timezone``, ``access_points`` (branch ->
  NAS ids/IPs, AP MACs, serials, names), ``library_devices``;
- ``figures``: ``records`` read, ``sessions`` (sessions staged), ``counted`` (sessions counted as
  Wi-Fi, i.e. not wired and not a library device), ``wired`` (wired clients left out),
  ``devices_per_day`` (distinct client MACs per UTC day, over counted sessions) and ``bytes``
  (their total; null when no record carries a volume);
- ``scanned``: values the leak scan must hold per attribute (every value of a repeated one);
- or ``error``: where the run must stop (``at`` read or stage, ``line``, ``column``, fragments
  the message must contain).

The figures are compared at the staging level: tiny cases do not publish (small cells), which
is the publish step's business, not the reader's. The big UniFi case is generated in tmp_path
(its expected figures follow from the generator's parameters, not from libstats).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest

from libstats.config import Source
from libstats.config.model import normalize_mac
from libstats.errors import InputError
from libstats.profiles import resolve
from pipelines import verify
from pipelines import wifi as pw
from transforms import wifi as w

HERE = Path(__file__).parent
CASES = sorted(p.name for p in HERE.iterdir() if (p / "expected.json").is_file())


def _config(exp: dict, tz: str) -> SimpleNamespace:
    aps = {}
    for branch, idents in exp.get("access_points", {}).items():
        for ident in idents:
            aps[normalize_mac(ident) or ident] = branch      # as [wifi.access_points] does
    devices = [normalize_mac(m) for m in exp.get("library_devices", [])]
    return SimpleNamespace(
        timezone=tz, leak_scan_exempt=(),
        wifi=SimpleNamespace(access_points=aps, library_devices=devices))


def _read_and_stage(folder: Path, exp: dict, files: list[Path]) -> dict:
    """Load through pipelines.wifi.load (the real readers), stage with the pipeline's SQL and
    checks; returns the figures."""
    tz = exp.get("timezone", "UTC")
    source = Source(name="wifi_case", kind="wifi", format=exp["format"], path=str(files[0]),
                    timezone=tz)
    resolved = resolve(source, folder / "library.toml")
    con = duckdb.connect()
    config = _config(exp, tz)
    run = SimpleNamespace(con=con, progress=None, work_dir=folder, config=config)
    stage_at = "read"
    try:
        ing = pw.load(run, resolved, files)
        stage_at = "stage"
        pw.create_maps(con, config)
        src = pw._source(ing, config)
        view = f"stg_wifi_{ing.name}"
        con.execute(f"CREATE OR REPLACE VIEW {view} AS {w.stg_wifi_records(src)}")
        pw._check_staged(con, ing, src, view)
    except InputError as exc:
        return {"error": exc, "at": stage_at}
    con.execute(f"CREATE TABLE stg_wifi_records AS SELECT * FROM {view}")
    con.execute("CREATE TABLE int_wifi_sessions AS " + w.int_wifi_sessions("stg_wifi_records"))
    con.execute("CREATE TABLE int_wifi_counted AS " + w.int_wifi_counted(
        "int_wifi_sessions", start="1970-01-01", end="2100-12-31", branch_tz={},
        library_tz="UTC", exclude_ssids=()))
    n_sessions, counted, wired, total = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE excluded IS NULL), "
        "count(*) FILTER (WHERE excluded = 'wired, not Wi-Fi'), "
        "sum(bytes) FILTER (WHERE excluded IS NULL) FROM int_wifi_counted").fetchone()
    per_day = dict(con.execute(
        "SELECT strftime(timezone('UTC', start_at)::DATE, '%Y-%m-%d'), count(DISTINCT device) "
        "FROM int_wifi_counted WHERE excluded IS NULL GROUP BY 1 ORDER BY 1").fetchall())
    idents = [verify.identifiers_sql([ing], ())]
    extra = pw.identifiers_sql(SimpleNamespace(config=config), [ing])
    if extra:
        idents.append(extra)
    scanned: dict[str, set] = {}
    for col, value in con.execute("SELECT column_name, value FROM (" + " UNION ALL ".join(
            idents) + ")").fetchall():
        scanned.setdefault(col, set()).add(value)
    return {"records": ing.rows, "sessions": n_sessions, "counted": counted, "wired": wired,
            "devices_per_day": {d: int(n) for d, n in per_day.items()},
            "bytes": None if total is None else int(total), "scanned": scanned}


def _check(folder: Path, exp: dict, files: list[Path]) -> None:
    got = _read_and_stage(folder, exp, files)
    if "error" in exp:
        want = exp["error"]
        assert "error" in got, f"{folder.name}: the case must stop, but it read"
        exc = got["error"]
        assert got["at"] == want["at"], str(exc)
        assert Path(exc.path).name == want["file"], str(exc)
        assert exc.line == want["line"], str(exc)
        assert exc.column == want.get("column"), str(exc)
        for fragment in want["contains"]:
            assert fragment in exc.problem, str(exc)
        return
    assert "error" not in got, str(got.get("error"))
    for key, value in exp["figures"].items():
        assert got[key] == value, f"{folder.name}: {key} is {got[key]!r}, expected {value!r}"
    for col, values in exp.get("scanned", {}).items():
        missing = set(values) - got["scanned"].get(col, set())
        assert not missing, f"{folder.name}: the leak scan misses {len(missing)} value(s) of {col}"


@pytest.mark.parametrize("case", CASES)
def test_case(case, tmp_path):
    folder = HERE / case
    exp = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    if "generate" in exp:
        files = GENERATORS[exp["generate"]](tmp_path, exp)
    else:
        # Read from a copy: the readers may write beside their inputs (transcoded CSV).
        files = []
        for name in exp["files"]:
            shutil.copy(folder / name, tmp_path / name)
            files.append(tmp_path / name)
    _check(tmp_path, exp, files)


def _unifi_big(tmp_path: Path, exp: dict) -> list[Path]:
    """A busy branch's month of UniFi sessions in one {"meta", "data"} file over 16 MiB.

    Session i: device 02:00:00:xx:yy:zz with i // per_day_repeat as its number, so each
    device has ``repeat`` sessions on one day; ``days`` days; tx_bytes = 1000, rx_bytes = 2000.
    """
    g = exp["generator"]
    n, devices_per_day, days = g["sessions"], g["devices_per_day"], g["days"]
    day0 = 1730419200                          # 2024-11-01T00:00:00Z
    per_day = n // days
    recs = []
    for i in range(n):
        day, k = divmod(i, per_day)
        dev = day * devices_per_day + k % devices_per_day
        recs.append({
            "_id": f"65{i:022x}", "mac": f"02:00:00:{dev >> 16 & 255:02x}:{dev >> 8 & 255:02x}:"
                                         f"{dev & 255:02x}",
            "ap_mac": "02:00:00:cc:00:01", "hostname": "Test-Patron-Laptop",
            "essid": "Library-Guest", "assoc_time": day0 + day * 86400 + 36000 + k,
            "disassoc_time": day0 + day * 86400 + 36600 + k, "duration": 600,
            "tx_bytes": 1000, "rx_bytes": 2000, "ip": "192.0.2.10",
            "site_id": "5f00000000000000000000aa", "is_guest": True, "is_wired": False,
            "oui": "Test", "roam_count": 0, "radio": "na", "channel": 36,
            "user_id": f"66{dev:022x}"})
    path = tmp_path / "unifi-sessions-2024-11.json"
    path.write_text(json.dumps({"meta": {"rc": "ok"}, "data": recs}, indent=2),
                    encoding="utf-8")
    assert path.stat().st_size > 16 * 1024 * 1024       # past DuckDB's default object size
    return [path]


GENERATORS = {"unifi_big": _unifi_big}
