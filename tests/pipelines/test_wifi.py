"""Wi-Fi end to end on a hand-written mini library: counts, privacy, anomalies, bad input.

Expected figures are written out by hand in tests/fixtures/wifi_fixtures.py from docs/wifi.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from pipelines.cli import main
from tests.fixtures import wifi_fixtures as wf
from tests.conftest import shown_as


def run(config: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["run", str(config), "--period", "FY2025", "-q", *extra])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


@pytest.fixture
def wifi_library(mini_library: Path) -> Path:
    return wf.add_wifi(mini_library)


_KEYS: dict[Path, str] = {}


def _key_of(config: Path) -> str:
    return _KEYS[config]


@pytest.fixture(scope="module")
def wifi_published(tmp_path_factory) -> Path:
    """One published run shared by the read-only tests of this module."""
    from libstats.keys import generate_key
    from tests.conftest import CONFIG, mini_library_files
    base = tmp_path_factory.mktemp("wifi")
    with pytest.MonkeyPatch.context() as mp:
        key = generate_key()
        mp.setenv("LIBSTATS_TEST_KEY", key)
        config = wf.add_wifi(mini_library_files(base, CONFIG))
        _KEYS[config] = key
        assert main(["run", str(config), "--period", "FY2025", "-q"]) == 0
        yield config


def _zone_devices(config: Path, day: str, branch: str) -> int:
    import duckdb
    zone = config.parent / "out" / "pseudonymized" / "testville" / "FY2025" / "wifi_sessions"
    return duckdb.sql(
        f"SELECT count(DISTINCT device_token) FROM read_parquet('{zone}/**/*.parquet') "
        f"WHERE session_date::VARCHAR = '{day}' AND branch_code = '{branch}'").fetchall()[0][0]


def _table(config: Path, name: str) -> list[dict]:
    path = config.parent / "out" / "published" / "testville" / "FY2025" / "tables" / f"{name}.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _manifest(config: Path) -> dict:
    return json.loads((config.parent / "out" / "published" / "testville" / "FY2025" /
                       "manifest.json").read_text(encoding="utf-8"))


def test_wifi_sessions_match_the_hand_count(wifi_published):
    rows = _table(wifi_published, "pub_wifi_sessions__branch_month")
    got = {(r["month"], r["branch_code"]): r for r in rows}
    how = Counter(shown_as(got[key], n, 10) for key, n in wf.EXPECTED.items())
    assert how["size"] == sum(1 for n in wf.EXPECTED.values() if 1 <= n <= 10)
    counts = _manifest(wifi_published)["disclosure"]["tables"]["pub_wifi_sessions__branch_month"]
    assert how["protection"] <= counts["withheld_for_protection"]
    # One row per month and Wi-Fi branch, with totals: 13 × 3.
    assert len(rows) == 39
    # WIFISESS of the year (30 sessions: withheld itself to protect the small months here)
    assert shown_as(got[("all", "all")], sum(wf.EXPECTED.values()), 10) != "size"


def test_wifi_tables_agree_with_each_other(wifi_published):
    total = {k: int(v) for k, v in wf.EXPECTED.items()}
    for (month, branch), v in list(total.items()):     # and the totals of months, branches
        for key in ((month, "all"), ("all", branch), ("all", "all")):
            total[key] = total.get(key, 0) + v
    for name, band in (("pub_wifi_session_duration__branch_month", "duration_band"),
                       ("pub_wifi_data_volume__branch_month", "volume_band")):
        rows = _table(wifi_published, name)
        bands = {r[band] for r in rows}
        assert "unknown" in bands
        # Unsuppressed cells never exceed the month's total.
        for r in rows:
            if r["value"]:
                assert int(r["value"]) <= total.get((r["month"], r["branch_code"]), 0)
    hours = _table(wifi_published, "pub_wifi_sessions__branch_weekday_hour")
    assert len(hours) == 3 * 8 * 25
    # Linked tables: one figure, shown or withheld alike in each.
    sessions = {(r["month"], r["branch_code"]): (r["value"], r["suppressed"])
                for r in _table(wifi_published, "pub_wifi_sessions__branch_month")}
    for name, band in (("pub_wifi_session_duration__branch_month", "duration_band"),
                       ("pub_wifi_data_volume__branch_month", "volume_band")):
        for r in _table(wifi_published, name):
            if r[band] == "all":
                assert (r["value"], r["suppressed"]) == sessions[(r["month"], r["branch_code"])]
    by_branch = {r["branch_code"]: (r["value"], r["suppressed"]) for r in hours
                 if r["weekday"] == "all" and r["hour"] == "all"}
    assert by_branch == {b: v for (m, b), v in sessions.items() if m == "all"}
    assert {r["weekday"] for r in hours} == {"Monday", "Tuesday", "Wednesday", "Thursday",
                                             "Friday", "Saturday", "Sunday", "all"}
    devices = {(r["day"], r["branch_code"]): r for r in
               _table(wifi_published, "pub_wifi_devices__branch_day")}
    # library PCs excluded: 12 and 11 devices. Since devices <= sessions relates the devices
    # table to the sessions table, the audit may withhold these cells to protect October's
    # and November's sessions; the counts are then checked in the pseudonymized zone, whose
    # sessions are the ones counted (one device token per device and day).
    for (day, branch), n in ((("2024-10-10", "MAIN"), 12), (("2024-11-05", "WEST"), 11)):
        cell = devices[(day, branch)]
        if cell["suppressed"] == "false":
            assert cell["value"] == str(n)
        else:
            assert _zone_devices(wifi_published, day, branch) == n
    # The session begun 02:30 UTC on Nov 1 is on Oct 31 in New York.
    assert devices[("2024-10-31", "MAIN")]["suppressed"] == "true"
    assert devices[("2024-11-01", "MAIN")]["value"] == "0"


def test_manifest_reports_anomalies_exclusions_and_coverage(wifi_published):
    m = _manifest(wifi_published)
    kinds = {a["kind"]: a for a in m["wifi"]["anomalies"]}
    assert kinds["duplicate_record"]["count"] == 1
    assert kinds["duplicate_record"]["file"] == "raw/wifi/detail-20241010.gz"
    assert kinds["stop_without_start"]["line"] == 1
    r = m["rows"]["radius"]
    assert r["excluded_library_devices"] == 2 and r["excluded_library_networks"] == 1
    assert r["nas_events"] == 1 and r["in_period"] == 14
    assert {t["table"] for t in m["pseudonymized"]} >= {"wifi_sessions"}
    report = (wifi_published.parent / "out" / "published" / "testville" / "FY2025" /
              "steward_report.html").read_text(encoding="utf-8")
    assert "Wi-Fi" in report and "duplicate record" in report
    # Wi-Fi tables rest on the clause that covers them, not the circulation carve-out.
    wifi_tables = [t for t in m["tables"] if t["name"].startswith("pub_wifi")]
    assert wifi_tables and all(t["legal_basis"] == ["CT CGS 11-25(b)(1)",
                                                    "MO RSMo 182.815(5) library record"]
                               for t in wifi_tables)
    assert report.count("records that can be used to identify any library user") == 1


def test_device_tokens_change_every_day(wifi_library, capsys):
    """The same MAC on two days gets two unrelated tokens (a key per day)."""
    wifi_published = wifi_library
    raw = wifi_published.parent / "raw" / "wifi"
    t = dt.datetime(2024, 10, 11, 14, 0, tzinfo=wf.UTC)
    (raw / "detail-20241011").write_text(
        wf.radius_record(t, "Start", "NEXTDAY", wf.mac(0)), encoding="utf-8")
    code, out = run(wifi_published, capsys)
    assert code == 0, out
    zone = wifi_published.parent / "out" / "pseudonymized" / "testville" / "FY2025"
    rows = duckdb.sql(
        f"SELECT session_date, device_token FROM read_parquet('{zone}/wifi_sessions/*/*.parquet')"
        f" WHERE session_date IN ('2024-10-10', '2024-10-11') AND source = 'radius'").fetchall()
    day10 = {tok for d, tok in rows if str(d) == "2024-10-10"}
    day11 = {tok for d, tok in rows if str(d) == "2024-10-11"}
    assert len(day10) == 12 and len(day11) == 1
    assert not day10 & day11


def test_no_mac_ip_user_name_or_host_name_reaches_any_output(wifi_published):
    out = wifi_published.parent / "out"
    secrets = ["pat1@example.com", "29999000000003", "+15555550123", "192.0.2.55",
               "Testperson3s-iPhone", "Miles's phone", "DESKTOP-TESTPERSON", "miles@example.net",
               "555-555-0142", "10.0.0.9"]
    mac_forms = []
    for n in (0, 5, 41, 100, 201):
        bare = wf.mac(n).replace("-", "").lower()
        pairs = [bare[i:i + 2] for i in range(0, 12, 2)]
        mac_forms += [":".join(pairs), "-".join(pairs).upper(), bare,
                      ".".join(bare[i:i + 4] for i in range(0, 12, 4))]
    mac_re = re.compile(r"(?i)[0-9a-f]{2}([:-][0-9a-f]{2}){5}|[0-9a-f]{4}\.[0-9a-f]{4}\.")
    for path in out.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".parquet":
            con = duckdb.connect()
            data = "\n".join(str(r) for r in con.execute(
                f"SELECT * FROM read_parquet('{path}')").fetchall()).encode()
        text = data.decode("utf-8", errors="replace").lower()
        for s in secrets + mac_forms:
            assert s.lower() not in text, (path.name, "a raw identifier")
        if path.suffix in (".csv", ".html", ".json"):
            assert not mac_re.search(text), path.name


def test_rerun_is_byte_identical(wifi_published, monkeypatch, capsys):
    root = wifi_published.parent / "out"
    before = {z: (root / z / "testville" / "FY2025").resolve().name
              for z in ("published", "pseudonymized")}
    monkeypatch.setenv("LIBSTATS_TEST_KEY", _key_of(wifi_published))
    code, out = run(wifi_published, capsys)
    assert code == 0, out
    assert {z: (root / z / "testville" / "FY2025").resolve().name
            for z in ("published", "pseudonymized")} == before


def test_wifi_only_library(tmp_path, test_key, capsys):
    """A library may publish Wi-Fi statistics without any circulation source."""
    from tests.conftest import CONFIG
    config = tmp_path / "library.toml"
    config.write_text(CONFIG.split("[[sources]]")[0], encoding="utf-8")
    wf.add_wifi(config)
    code, out = run(config, capsys)
    assert code == 0, out
    names = {p.stem for p in (tmp_path / "out" / "published" / "testville" / "FY2025" /
                              "tables").glob("*.csv")}
    assert names == {"pub_wifi_sessions__branch_month", "pub_wifi_sessions__branch_weekday_hour",
                     "pub_wifi_session_duration__branch_month",
                     "pub_wifi_data_volume__branch_month", "pub_wifi_devices__branch_day"}


# --- bad input: each stops the run naming file and line, never the value -------------------

def _rewrite_radius(config: Path, text: str, name: str = "detail-20241101") -> Path:
    path = config.parent / "raw" / "wifi" / name
    path.write_text(text, encoding="utf-8")
    return path


T0 = dt.datetime(2024, 11, 1, 12, 0, tzinfo=wf.UTC)
START = wf.radius_record(T0, "Start", "X1", wf.mac(7), user="pat9@example.com")


def _stop_mode(config: Path) -> None:
    text = config.read_text(encoding="utf-8").replace("max_anomaly_share = 0.5",
                                                      'max_anomaly_share = 0.5\nanomalies = "stop"')
    config.write_text(text, encoding="utf-8")


def _assert_names(out: str, fname: str, line: int, column: str | None = None) -> None:
    assert f"{fname}, line {line}" in out, out
    if column:
        assert f"column '{column}'" in out, out
    for secret in ("pat9@example.com", "pat1@example.com", "02-00-00-00-00-07", "192.0.2.55"):
        assert secret not in out


@pytest.mark.parametrize("text, line, column, fragment", [
    pytest.param(START + "Fri Nov  1 12:05:00 2024\n\tAcct-Status-Type = Stop\n\tAcct-Sess",
                 13, None, "cut off", id="record-cut-off-mid-line"),
    pytest.param(START + 'Fri Nov  1 12:05:00 2024\n\tAcct-Status-Type = Stop\n\t'
                 'Acct-Session-Id = "X1\n', 13, None, "quoted value", id="unclosed-quote"),
    pytest.param(START + "Fri Nov  1 12:05:00 2024\n\tUser-Name = \"pat9@example.com\"\n",
                 11, "Acct-Status-Type", "no Acct-Status-Type", id="record-without-status"),
    pytest.param(START.replace("= Start", "= Bogus-Type"), 2, "Acct-Status-Type",
                 "unknown Acct-Status-Type", id="unknown-status-type"),
    pytest.param(START.replace("Fri Nov  1", "Fri Nov 41"), 1, None,
                 "timestamp line cannot be parsed", id="bad-timestamp"),
    pytest.param(START + "\tMy-Vendor-Attr = 1\n", 11, "My-Vendor-Attr",
                 "unclassified attribute", id="unknown-attribute"),
    pytest.param(START.replace('"main-wlc"', '"other-wlc"'), 1, None,
                 "not mapped to a branch", id="unmapped-nas"),
    pytest.param(START.replace('Calling-Station-Id = "02-00-00-00-00-07"',
                               'Calling-Station-Id = "pat9@example.com"'), 1,
                 "Calling-Station-Id", "not a MAC address", id="client-id-not-a-mac"),
    pytest.param(START.replace('Calling-Station-Id = "02-00-00-00-00-07"',
                               'Calling-Station-Id = "192.0.2.55"'), 1,
                 "Calling-Station-Id", "Call Station ID Type", id="wlc-sends-client-ip"),
    pytest.param(START + "\tAcct-Session-Time = 5\n\tAcct-Session-Time = 6\n", 12,
                 "Acct-Session-Time", "different values", id="counter-twice"),
])
def test_bad_radius_records(wifi_library, capsys, text, line, column, fragment):
    _rewrite_radius(wifi_library, text)
    code, out = run(wifi_library, capsys)
    assert code == 2, out
    assert fragment in out
    _assert_names(out, "detail-20241101", line, column)
    assert not (wifi_library.parent / "out" / "published").exists()


@pytest.mark.parametrize("text, line, fragment", [
    pytest.param(wf.radius_record(T0, "Stop", "X1", wf.mac(7), session_time=60), 1,
                 "Stop without Start", id="stop-without-start"),
    pytest.param(wf.radius_record(T0 - dt.timedelta(minutes=5), "Interim-Update", "X1",
                                  wf.mac(7), session_time=60) + START, 1,
                 "Interim-Update before its Start", id="interim-before-start"),
    pytest.param(START + START, 11, "duplicate record", id="duplicate-record"),
    pytest.param(START + wf.radius_record(T0 - dt.timedelta(minutes=5), "Stop", "X1",
                                          wf.mac(7), session_time=60), 11,
                 "Stop before its Start", id="clock-skew-stop-before-start"),
])
def test_sequencing_anomalies_stop_the_run_when_asked(wifi_library, capsys, text, line,
                                                       fragment):
    _stop_mode(wifi_library)
    # The fixture's other file holds a duplicate record, which would stop the run first.
    (wifi_library.parent / "raw" / "wifi" / "detail-20241010.gz").unlink()
    _rewrite_radius(wifi_library, text)
    code, out = run(wifi_library, capsys)
    assert code == 2, out
    assert fragment in out and 'anomalies = "stop"' in out
    _assert_names(out, "detail-20241101", line)


def test_sequencing_anomalies_are_counted_by_default(wifi_library, capsys):
    _rewrite_radius(wifi_library, START + wf.radius_record(
        T0 - dt.timedelta(minutes=5), "Stop", "X1", wf.mac(7), session_time=60))
    code, out = run(wifi_library, capsys)
    assert code == 0, out
    kinds = {a["kind"]: a for a in _manifest(wifi_library)["wifi"]["anomalies"]}
    assert kinds["stop_before_start"]["count"] == 1
    assert kinds["stop_before_start"]["line"] == 11


def test_truncated_gzip(wifi_library, capsys):
    path = wifi_library.parent / "raw" / "wifi" / "detail-20241010.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    code, out = run(wifi_library, capsys)
    assert code == 2, out
    assert "detail-20241010.gz" in out and "gzip file is truncated" in out
    assert re.search(r"line \d+", out)


@pytest.mark.parametrize("name, text, line, fragment", [
    pytest.param("meraki-2024-11-06.json", '{"clients": []}', 1, "not a JSON array",
                 id="object-instead-of-array"),
    pytest.param("meraki-2024-11-06.json", '[\n {"mac": "02:00:00:00:00:01",\n', 3,
                 "not valid JSON", id="cut-off-json"),
    pytest.param("meraki-2024-11-06.json", '[\n {"mac": "02:00:00:00:00:01", "firstSeen": 1},'
                 '\n "pat9@example.com"\n]', 3, "not a JSON object", id="record-not-object"),
    pytest.param("unifi-2024-11.json", '{"meta": {"rc": "ok"}, "data": {"mac": 1}}', 1,
                 "array of records", id="envelope-without-array"),
    pytest.param("meraki-2024-11-06.json", '[\n {"mac": "02:00:00:00:00:01", "firstSeen": 1,'
                 ' "recentDeviceName": "WEST-AP-2", "newField": "pat9@example.com"}\n]', 2,
                 "unclassified field", id="unknown-json-field"),
])
def test_bad_json_files(wifi_library, capsys, name, text, line, fragment):
    (wifi_library.parent / "raw" / "wifi" / name).write_text(text, encoding="utf-8")
    code, out = run(wifi_library, capsys)
    assert code == 2, out
    assert fragment in out
    _assert_names(out, name, line)


def test_meraki_row_with_unmapped_access_point(wifi_library, capsys):
    path = wifi_library.parent / "raw" / "wifi" / "meraki-2024-11-05.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].replace("WEST-AP-1,02:00:00:bb:00:01,Q2XX-0000-0001",
                                "OTHER-AP,02:00:00:ee:00:01,Q2XX-9999-9999")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = run(wifi_library, capsys)
    assert code == 2, out
    assert "not mapped to a branch" in out
    _assert_names(out, "meraki-2024-11-05.csv", 5)


def test_config_rejects_bad_wifi_settings(wifi_library, capsys):
    text = wifi_library.read_text(encoding="utf-8")
    wifi_library.write_text(text.replace('MAIN = ["main-wlc"]', 'NOPE = ["main-wlc"]'),
                            encoding="utf-8")
    code, out = run(wifi_library, capsys)
    assert code == 2 and "wifi.access_points.NOPE" in out
    wifi_library.write_text(text.replace('"0200.5e00.0098"', '"not-a-mac"'), encoding="utf-8")
    code, out = run(wifi_library, capsys)
    assert code == 2 and "wifi.library_devices" in out and "not-a-mac" not in out


def test_gzip_detail_files_need_their_extension(wifi_library, capsys):
    raw = wifi_library.parent / "raw" / "wifi"
    (raw / "detail-20241102").write_bytes(gzip.compress(START.encode(), mtime=0))
    code, out = run(wifi_library, capsys)
    assert code == 2 and "does not end in .gz" in out
