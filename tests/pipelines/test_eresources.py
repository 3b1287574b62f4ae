"""E-resources end to end on a hand-written mini library: counts, privacy, bad input.

Expected figures are written out by hand in tests/fixtures/eresources_fixtures.py from
docs/eresources.md.
"""

from __future__ import annotations

import csv
import json
import os
import stat
from collections import Counter
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.fixtures import eresources_fixtures as ef
from tests.conftest import is_total, shown_as

SLUG_DIR = Path("out") / "published" / "testville" / "FY2025"


def run(config: Path, capsys, *extra: str) -> tuple[int, str]:
    code = main(["run", str(config), "--period", "FY2025", "-q", *extra])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


@pytest.fixture(scope="module")
def eres_published(tmp_path_factory) -> Path:
    """One published run shared by the read-only tests of this module."""
    from libstats.keys import generate_key
    from tests.conftest import CONFIG, mini_library_files
    base = tmp_path_factory.mktemp("eres")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIBSTATS_TEST_KEY", generate_key())
        config = ef.add_eresources(mini_library_files(base, CONFIG))
        assert main(["run", str(config), "--period", "FY2025", "-q"]) == 0
        yield config


@pytest.fixture
def eres_library(mini_library: Path) -> Path:
    return ef.add_eresources(mini_library)


def _table(config: Path, name: str) -> list[dict]:
    with open(config.parent / SLUG_DIR / "tables" / f"{name}.csv", encoding="utf-8",
              newline="") as fh:
        return list(csv.DictReader(fh))


def _manifest(config: Path) -> dict:
    return json.loads((config.parent / SLUG_DIR / "manifest.json").read_text(encoding="utf-8"))


def _pz_use(config: Path, measure: str, month: str, database: str) -> int:
    import duckdb
    files = config.parent / "out" / "pseudonymized" / "testville" / "FY2025" / \
        "eresource_use" / "*" / "*.parquet"
    con = duckdb.connect()      # not the module's default connection, which other tests use
    try:
        return con.execute(f"SELECT sum({measure}) FROM read_parquet('{files}') WHERE "
                           f"month = ? AND database = ?", [month, database]).fetchone()[0]
    finally:
        con.close()


def _check(config: Path, name: str, rows: list[dict], expected: dict, key) -> None:
    """Every inner cell against the hand count (threshold 1); cells withheld to protect
    others are no more than the manifest counts."""
    how = Counter(shown_as(r, expected.get(key(r), 0), 1) for r in rows if not is_total(r))
    counts = _manifest(config)["disclosure"]["tables"][name]
    assert how["size"] == sum(1 for n in expected.values() if n == 1)
    assert how["protection"] <= counts["withheld_for_protection"]
    assert how["shown"] > how["protection"]


def test_ezproxy_use_matches_the_hand_count(eres_published):
    name = "pub_eres_use__database_month"
    rows = _table(eres_published, name)
    # Full grid with totals: 13 months × (2 databases + other + all) × 3 measures.
    assert len(rows) == 13 * 4 * 3
    _check(eres_published, name, rows, ef.EXPECTED_USE,
           lambda r: (r["month"], r["database"], r["measure"]))


def test_starting_point_hits_match_the_hand_count(eres_published):
    name = "pub_eres_spu__database_month"
    rows = _table(eres_published, name)
    assert len(rows) == 13 * 4
    _check(eres_published, name, rows, ef.EXPECTED_SPU, lambda r: (r["month"], r["database"]))


def test_counter_metrics_follow_the_reports(eres_published):
    name = "pub_eres_counter__database_month"
    rows = _table(eres_published, name)
    got = {(r["month"], r["database"], r["report"], r["measure"]) for r in rows
           if not is_total(r)}
    # Only covered months and the measures each report carries (PR_P1: no investigations).
    assert got == set(ef.EXPECTED_COUNTER)
    _check(eres_published, name, rows, ef.EXPECTED_COUNTER,
           lambda r: (r["month"], r["database"], r["report"], r["measure"]))


def test_ecirc_by_vendor_format_month(eres_published):
    name = "pub_ecirc_checkouts__vendor_format_month"
    rows = _table(eres_published, name)
    assert len(rows) == 13 * 3 * 5          # months × vendors seen × formats, with totals
    _check(eres_published, name, rows, ef.EXPECTED_ECIRC,
           lambda r: (r["month"], r["vendor"], r["format"]))


def test_manifest_reports_exclusions_and_bad_lines(eres_published):
    m = _manifest(eres_published)["eresources"]
    assert m["sources"]["ezproxy"]["excluded"] == ef.EXPECTED_EXCLUDED
    assert m["sources"]["spu"]["excluded"]["double_click"] == 1
    assert m["bad_lines"] == [{"source": "ezproxy", "count": 1, "share": round(1 / 21, 6),
                               "file": "raw/eres/ezproxy-20241010.log", "line": 11,
                               "quarantine": "quarantine/testville/FY2025/"
                                             "ezproxy.bad_lines.tsv"}]
    # The unmapped host had one session: counted under 'other', not listed.
    assert m["other_hosts"] == [] and m["other_hosts_not_listed"] == 1
    assert m["sources"]["ezproxy"]["log_formats_without_user_agent"] == [ef.F1]
    names = {t["name"] for t in _manifest(eres_published)["tables"]}
    assert {"pub_eres_use__database_month", "pub_eres_counter__database_month"} <= names


def test_bad_lines_are_quarantined_in_the_raw_zone_only(eres_published):
    # In the raw area the config names ([quarantine] folder, default "quarantine" beside the
    # config), never under the output folder; by default only what locates the line.
    assert not (eres_published.parent / "out" / "quarantine").exists()
    q = eres_published.parent / "quarantine" / "testville" / "FY2025" / \
        "ezproxy.bad_lines.tsv"
    assert stat.S_IMODE(os.stat(q).st_mode) == 0o600
    rows = list(csv.DictReader(q.open(encoding="utf-8"), delimiter="\t"))
    assert rows == [{"file": "ezproxy-20241010.log", "line": "11",
                     "reason": "matches no LogFormat"}]
    assert "this is not a log line" not in q.read_text(encoding="utf-8")


def test_no_identifier_or_search_term_reaches_any_output(eres_published):
    out = eres_published.parent / "out"
    needles = [ef.CARD, ef.EMAIL, "uid=tester9", ef.SESSION, *ef.IPS, *ef.SEARCH_TERMS,
               "unmapped.example.org", "Mozilla"]
    for zone in ("published", "pseudonymized", "review"):
        for path in (out / zone).rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for needle in needles:
                    assert needle.encode() not in data, (zone, path.name, needle)


def test_pseudonymized_zone_holds_counts_not_tokens(eres_published):
    import duckdb
    pz = eres_published.parent / "out" / "pseudonymized" / "testville" / "FY2025"
    con = duckdb.connect()
    cols = [c for c, *_ in con.execute(
        f"DESCRIBE SELECT * FROM read_parquet('{pz}/eresource_use/*/*.parquet', "
        f"hive_partitioning = false)").fetchall()]
    assert cols == ["day", "month", "hour", "database", "source", "requests_counted",
                    "searches", "requests", "spu_hits", "sessions"]
    analyst = duckdb.connect(str(pz / "libstats.duckdb"), read_only=True)
    views = {r[0] for r in analyst.execute("SELECT view_name FROM duckdb_views() "
                                           "WHERE NOT internal").fetchall()}
    assert {"eresource_use", "counter_metrics", "ecirc_checkouts",
            "pub_eres_use__database_month"} <= views
    tdm = con.execute(f"SELECT sum(count) FROM '{pz}/counter_metrics.parquet' "
                      f"WHERE access_method = 'TDM'").fetchone()[0]
    assert tdm == 100          # kept for later definitions, left out of the published figures


def test_same_input_and_key_give_identical_tables(eres_published, capsys, tmp_path):
    """Re-running into a second folder gives byte-identical e-resource tables."""
    import shutil
    again = tmp_path / "again"
    shutil.copytree(eres_published.parent / "raw", again / "raw")
    shutil.copy(eres_published, again / "library.toml")
    key = os.environ.get("LIBSTATS_TEST_KEY")
    if key is None:
        pytest.skip("the module fixture's key is not in the environment")
    code, _ = run(again / "library.toml", capsys)
    assert code == 0
    for name in ("pub_eres_use__database_month", "pub_eres_counter__database_month"):
        a = (eres_published.parent / SLUG_DIR / "tables" / f"{name}.csv").read_bytes()
        b = (again / SLUG_DIR / "tables" / f"{name}.csv").read_bytes()
        assert a == b


# ------------------------------------------------------------------------------------------
# bad input: each stops the run, names file, line and column, never the value


def _append(path: Path, line: str) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def test_mixed_time_zones_stop_the_run(eres_library, capsys):
    log = eres_library.parent / "raw" / "eres" / "ezproxy-20241010.log"
    _append(log, ef._f1("192.0.2.99", "-", "10/Oct/2024:18:00:00 +0000",
                        "https://news.beta.example/article/7", 200))
    code, out = run(eres_library, capsys)
    assert code != 0
    assert "mixed time zones" in out and "ezproxy-20241010.log" in out
    assert "line 15" in out and "%t" in out and "192.0.2.99" not in out
    assert not (eres_library.parent / SLUG_DIR).exists()


def test_too_many_bad_lines_stop_the_run(eres_library, capsys):
    log = eres_library.parent / "raw" / "eres" / "ezproxy-20250115.log"
    for i in range(5):
        _append(log, f"broken line {i} with card {ef.CARD}")
    code, out = run(eres_library, capsys)
    assert code != 0
    assert "max_bad_line_share" in out and "ezproxy-20241010.log" in out and "line 11" in out
    assert ef.CARD not in out
    assert not (eres_library.parent / SLUG_DIR).exists()


def test_unknown_logformat_directive_is_a_config_error(eres_library, capsys):
    text = eres_library.read_text(encoding="utf-8").replace(
        "log_format = ['", "log_format = ['%q ", 1)
    eres_library.write_text(text, encoding="utf-8")
    code, out = run(eres_library, capsys)
    assert code != 0
    assert "sources[" in out and "log_format" in out and "'%q'" in out


def test_a_patron_column_in_a_vendor_report_stops_the_run(eres_library, capsys):
    path = eres_library.parent / "raw" / "eres" / "ecirc.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += ",patron_barcode"
    lines[1:] = [ln + f",{ef.CARD}" for ln in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = run(eres_library, capsys)
    assert code != 0
    assert "patron_barcode" in out and "ecirc.csv" in out and ef.CARD not in out


@pytest.mark.parametrize("bad,column", [
    ("Libby Example,2024-13,ebook,4,T", "month"),
    ("Libby Example,2024-12,comic,4,T", "format"),
    ("Libby Example,2024-12,ebook,-4,T", "checkouts"),
])
def test_bad_vendor_values_name_file_line_and_column(eres_library, capsys, bad, column):
    _append(eres_library.parent / "raw" / "eres" / "ecirc.csv", bad)
    code, out = run(eres_library, capsys)
    assert code != 0
    assert "ecirc.csv" in out and "line 7" in out and column in out
    assert "Libby" not in out


def _set_exception(eres_library: Path, code: int, severity: str, message: str) -> None:
    path = eres_library.parent / "raw" / "eres" / "counter" / "beta_pr_p1_2025-01.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["Report_Header"]["Exceptions"] = [{"Code": code, "Severity": severity,
                                          "Message": message,
                                          "Data": "Testville Public Library"}]
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def test_counter_report_with_an_error_exception_stops_the_run(eres_library, capsys):
    _set_exception(eres_library, 2010, "Error",
                   "Requestor is Not Authorized to Access Usage for Institution")
    code, out = run(eres_library, capsys)
    assert code != 0
    assert "beta_pr_p1_2025-01.json" in out and "2010" in out and "line" in out
    assert "Testville Public Library" not in out


def test_an_informational_counter_exception_is_a_warning(eres_library, capsys):
    _set_exception(eres_library, 3031, "Warning", "Usage Not Ready for Requested Dates")
    code, out = run(eres_library, capsys)
    assert code == 0, out
    m = _manifest(eres_library)["eresources"]
    [w] = m["counter_warnings"]
    assert w["file"].endswith("beta_pr_p1_2025-01.json") and "3031" in w["what"]
    assert m["counter_sources"]["counter"] == {"reports": 2, "reports_quarantined": 0,
                                               "warnings": 1}
    html = (eres_library.parent / SLUG_DIR / "steward_report.html").read_text(encoding="utf-8")
    assert "E-resource warnings" in html and "3031" in html
    assert "Testville Public Library" not in json.dumps(m)


def test_counter_file_with_a_broken_header_stops_the_run(eres_library, capsys):
    """One of the two reports is broken: half the source, more than max_bad_report_share."""
    path = eres_library.parent / "raw" / "eres" / "counter" / "alpha_dr_2024.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("Report_ID\t", "Report_Kind\t"),
                    encoding="utf-8")
    code, out = run(eres_library, capsys)
    assert code != 0
    assert "alpha_dr_2024.tsv" in out and "line 2" in out and "max_bad_report_share" in out


def test_a_broken_counter_report_is_quarantined_below_the_share(eres_library, capsys):
    text = eres_library.read_text(encoding="utf-8").replace(
        "max_bad_line_share = 0.2", "max_bad_line_share = 0.2\nmax_bad_report_share = 0.5")
    eres_library.write_text(text, encoding="utf-8")
    path = eres_library.parent / "raw" / "eres" / "counter" / "beta_pr_p1_2025-01.json"
    path.write_text(path.read_text(encoding="utf-8")[:200], encoding="utf-8")
    code, out = run(eres_library, capsys)
    assert code == 0, out
    m = _manifest(eres_library)["eresources"]
    [q] = m["counter_quarantined"]
    assert q["file"].endswith("beta_pr_p1_2025-01.json") and "not valid JSON" in q["problem"]
    assert m["counter_sources"]["counter"]["reports_quarantined"] == 1
    assert [r["file"] for r in m["counter"]] == [next(
        r["file"] for r in m["counter"] if r["file"].endswith("alpha_dr_2024.tsv"))]
    html = (eres_library.parent / SLUG_DIR / "steward_report.html").read_text(encoding="utf-8")
    assert "COUNTER reports quarantined" in html and "beta_pr_p1_2025-01.json" in html


def test_a_counter_header_in_another_case_is_read_with_a_warning(eres_library, capsys):
    path = eres_library.parent / "raw" / "eres" / "counter" / "alpha_dr_2024.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("Report_ID\t", "Report_Id\t"),
                    encoding="utf-8")
    code, out = run(eres_library, capsys)
    assert code == 0, out
    [w] = _manifest(eres_library)["eresources"]["counter_warnings"]
    assert (w["line"], w["column"]) == (2, "Report_ID")


def test_overlapping_counter_reports_stop_the_run(eres_library, capsys):
    folder = eres_library.parent / "raw" / "eres" / "counter"
    text = (folder / "alpha_dr_2024.tsv").read_text(encoding="utf-8")
    (folder / "alpha_dr_2024_again.tsv").write_text(text.replace("2024-12-05", "2024-12-06"),
                                                     encoding="utf-8")
    code, out = run(eres_library, capsys)
    assert code != 0
    assert "alpha_dr_2024" in out and "overlap" in out.lower()


def test_steward_report_shows_the_eresource_section(eres_published):
    html = (eres_published.parent / SLUG_DIR / "steward_report.html").read_text(encoding="utf-8")
    assert "<h2>E-resources</h2>" in html
    assert "raw/eres/ezproxy-20241010.log</code>, line 11" in html      # first bad line
    assert "alpha_dr_2024.tsv" in html and "PR_P1" in html               # COUNTER reports read
    assert "1 other host(s) not listed" in html
    # robots cannot be recognised in the lines of the format without a user agent
    assert "Robots cannot be recognised" in html


def test_latin1_escapes_and_bad_statuses_do_not_leak_or_count(eres_library, capsys):
    """A Latin-1 %E9 in a query is kept as written (DuckDB's decode error would quote the
    URL); a status that is not three digits is a bad line, not a success."""
    log = eres_library.parent / "raw" / "eres" / "ezproxy-20241010.log"
    _append(log, ef._f1("192.0.2.77", "-", "10/Oct/2024:13:00:00 -0400",
                        "https://news.beta.example/results?q=caf%E9+secretterm", 200))
    _append(log, ef._f1("192.0.2.78", "-", "10/Oct/2024:13:05:00 -0400",
                        "https://news.beta.example/article/9", "OK"))
    code, out = run(eres_library, capsys)
    assert code == 0, out
    m = _manifest(eres_library)["eresources"]
    assert m["sources"]["ezproxy"]["bad_lines"] == 2
    q = eres_library.parent / "quarantine" / "testville" / "FY2025" / \
        "ezproxy.bad_lines.tsv"
    # Located (file, line, reason); the raw text, with its client IP, is not kept by default.
    text = q.read_text(encoding="utf-8")
    assert "192.0.2.78" not in text and "status is not a 3-digit code" in text
    # The exact count is in the pseudonymized zone (the published cell may be withheld to
    # protect a neighbour).
    assert _pz_use(eres_library, "searches", "2024-10", "Beta News") == 3


def test_a_stray_carriage_return_stops_the_run_at_its_line(eres_library, capsys):
    log = eres_library.parent / "raw" / "eres" / "ezproxy-20241010.log"
    data = log.read_bytes().split(b"\n")
    data[3] = data[3].replace(b" 200 ", b" 200\r ", 1)
    log.write_bytes(b"\n".join(data))
    code, out = run(eres_library, capsys)
    assert code != 0
    assert "ezproxy-20241010.log, line 4" in out and "line endings" in out


def test_an_empty_gzip_log_stops_the_run(eres_library, capsys):
    import gzip
    text = eres_library.read_text(encoding="utf-8").replace(
        'path = "raw/eres/ezproxy-*.log"', 'path = "raw/eres/ezproxy-*.log*"')
    eres_library.write_text(text, encoding="utf-8")
    with gzip.open(eres_library.parent / "raw" / "eres" / "ezproxy-20241011.log.gz", "wb"):
        pass
    code, out = run(eres_library, capsys)
    assert code != 0 and "ezproxy-20241011.log.gz" in out and "no log line" in out


def test_a_robots_pattern_re2_cannot_run_is_a_config_error(eres_library, capsys):
    text = eres_library.read_text(encoding="utf-8").replace(
        "[eresources]\n", "[eresources]\nextra_robots = ['(?!mozilla)']\n", 1)
    eres_library.write_text(text, encoding="utf-8")
    code, out = run(eres_library, capsys)
    assert code != 0 and "extra_robots" in out and "RE2" in out


def test_the_first_url_parameter_of_a_starting_point_decides(eres_library, capsys):
    spu = eres_library.parent / "raw" / "eres" / "spu-20241010.log"
    # the target itself carries a url= parameter pointing elsewhere: Beta News, not other
    _append(spu, ef._f1("192.0.2.14", "-", "10/Oct/2024:15:00:00 -0400",
                        f"{ef.P}/login?url={ef.B}/results?q=x&url=https://elsewhere.example/",
                        302, 0))
    code, out = run(eres_library, capsys)
    assert code == 0, out
    assert _pz_use(eres_library, "spu_hits", "2024-10", "Beta News") == 2   # 1 + this one
    assert _pz_use(eres_library, "spu_hits", "2024-10", "other") == 1       # still 1
    rows = {(r["month"], r["database"]): r
            for r in _table(eres_library, "pub_eres_spu__database_month")}
    assert rows[("2024-10", "other")]["suppressed"] == "true"


def test_a_line_with_bytes_that_are_not_utf8_is_read_and_the_run_goes_on(eres_library, capsys):
    """Latin-1 bytes in a query string and a user agent: the file is read (those bytes as
    Latin-1), the lines count, the steward sees how many there were and where the first is."""
    log = eres_library.parent / "raw" / "eres" / "ezproxy-20241010.log"
    with open(log, "ab") as fh:
        fh.write(ef._f1("192.0.2.77", "-", "10/Oct/2024:13:00:00 -0400",
                        "https://news.beta.example/results?q=caf", 200).encode()
                 .replace(b"q=caf", b"q=caf\xe9") + b"\n")
    code, out = run(eres_library, capsys)
    assert code == 0, out
    m = _manifest(eres_library)["eresources"]
    [w] = m["ezproxy_warnings"]
    assert w["file"].endswith("ezproxy-20241010.log") and w["line"] == 15 and w["count"] == 1
    assert "Latin-1" in w["what"]
    assert _pz_use(eres_library, "searches", "2024-10", "Beta News") == 3
    html = (eres_library.parent / SLUG_DIR / "steward_report.html").read_text(encoding="utf-8")
    assert "not UTF-8" in html


def test_a_summer_line_with_the_standard_offset_uses_its_own_offset(eres_library, capsys):
    """A server clock that ignores daylight saving time writes -0500 in October: the line's
    offset is the truth (10:30 -0500 is 11:30 in New York), with a warning."""
    log = eres_library.parent / "raw" / "eres" / "ezproxy-20241010.log"
    _append(log, ef._f1("192.0.2.99", "-", "10/Oct/2024:10:30:00 -0500",
                        "https://news.beta.example/article/7", 200))
    code, out = run(eres_library, capsys)
    assert code == 0, out
    [w] = _manifest(eres_library)["eresources"]["ezproxy_warnings"]
    assert w["line"] == 15 and w["column"] == "%t" and "offset" in w["what"]
    assert _pz_use(eres_library, "requests", "2024-10", "Beta News") == 2


def test_an_ezproxy_line_dated_in_the_future_is_a_warning(eres_library, capsys):
    """One line of 2031 in the year's log (a broken clock): outside the period, so not
    counted, and under the outside-the-period share, yet named as a future date."""
    log = eres_library.parent / "raw" / "eres" / "ezproxy-20241010.log"
    _append(log, ef._f1("192.0.2.98", "-", "10/Oct/2031:10:00:00 -0400",
                        "https://news.beta.example/article/8", 200))
    code = main(["run", str(eres_library), "--period", "FY2025"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "rows dated in the future" in out.err and "'ezproxy'" in out.err
    assert "192.0.2.98" not in out.out + out.err
    warnings = [w for w in _manifest(eres_library)["warnings"] if w["source"] == "ezproxy"]
    assert any("future" in w["what"] and w["count"] == 1 for w in warnings), warnings
