"""DuckDB leak scans: pattern scan and exact / substring identifier scan (incl. a 2M-identifier run)."""

from __future__ import annotations

import random
import time

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expectations.leakscan import ScanError, ScanTarget, scan_exact, scan_patterns
from expectations.patterns import PATTERNS
from libstats.results import CheckResult

MARKERS = ["leak-marker-7f3a@example.com", "21234000012345", "860-555-0123", "secretvalue"]


@pytest.fixture()
def con():
    c = duckdb.connect()
    yield c
    c.close()


def _by(results: list[CheckResult]) -> dict[tuple, CheckResult]:
    return {(r.table, r.column, r.check): r for r in results}


def _assert_no_values(results: list[CheckResult], values: list[str]) -> None:
    text = repr([r.to_dict() for r in results]) + "".join(r.describe() for r in results)
    for v in values:
        assert v.lower() not in text.lower()


# ------------------------------------------------------------------------------- scan_patterns


def test_scan_patterns_counts_distinct_offending_values(con):
    con.execute("CREATE TABLE pub (branch VARCHAR, note VARCHAR, n INTEGER, tok BLOB, d DATE)")
    con.execute("""INSERT INTO pub VALUES
        ('MAIN', 'Leak-Marker-7f3a@Example.com', 1, '\\x01'::BLOB, DATE '2024-07-01'),
        ('MAIN', 'leak-marker-7f3a@example.com', 2, NULL, NULL),
        ('MAIN', 'leak-marker-7f3a@example.com', 3, NULL, NULL),
        ('EAST', 'call 860-555-0123', 4, NULL, NULL),
        ('EAST', NULL, 5, NULL, NULL),
        ('WEST', 'patron 21234000012345', 6, NULL, NULL)""")
    results = scan_patterns(con, [ScanTarget("published", "pub", "pub")])
    # 2 string columns x every pattern; BLOB, DATE and INTEGER columns are skipped.
    assert len(results) == 2 * len(PATTERNS)
    assert {r.column for r in results} == {"branch", "note"}
    by = _by(results)
    # Two distinct spellings of the email (case differs) -> 2 distinct offending values.
    assert by[("pub", "note", "pattern:email")].failing_count == 2
    assert not by[("pub", "note", "pattern:email")].passed
    assert by[("pub", "note", "pattern:phone")].failing_count == 1
    assert by[("pub", "note", "pattern:library_barcode")].failing_count == 1
    assert by[("pub", "note", "pattern:ipv4")].passed
    assert all(r.passed for r in results if r.column == "branch")
    r = by[("pub", "note", "pattern:email")]
    assert r.engine == "duckdb" and r.zone == "published"
    assert r.threshold == "no value matching the email pattern"
    _assert_no_values(results, MARKERS)


def test_scan_patterns_query_relation_and_no_string_columns(con):
    con.execute("CREATE TABLE t AS SELECT range AS i, 'x' || range AS s FROM range(100)")
    targets = [
        ScanTarget("pseudonymized", "q", "SELECT s, i FROM t WHERE i < 10"),
        ScanTarget("pseudonymized", "ints", "SELECT i FROM t"),
        ScanTarget("published", "fn", "(SELECT 'aa:bb:cc:dd:ee:ff' AS mac_col)"),
    ]
    results = scan_patterns(con, targets)
    ints = [r for r in results if r.table == "ints"]
    assert len(ints) == 1 and ints[0].passed and ints[0].column is None
    assert all(r.passed for r in results if r.table == "q")
    assert len([r for r in results if r.table == "q"]) == len(PATTERNS)
    assert not _by(results)[("fn", "mac_col", "pattern:mac")].passed


def test_scan_patterns_enum_columns_are_scanned(con):
    con.execute("CREATE TYPE e AS ENUM ('ok', '10.0.0.1')")
    con.execute("CREATE TABLE t (c e)")
    con.execute("INSERT INTO t VALUES ('ok'), ('10.0.0.1')")
    by = _by(scan_patterns(con, [ScanTarget("published", "t", "t")]))
    assert by[("t", "c", "pattern:ipv4")].failing_count == 1


def test_scan_error_withholds_duckdb_message(con):
    con.execute("CREATE TABLE t AS SELECT 'secretvalue' AS s")
    with pytest.raises(ScanError) as ei:
        scan_patterns(con, [ScanTarget("published", "bad", "SELECT s FROM t WHERE CAST(s AS INTEGER) > 0")])
    assert "secretvalue" not in str(ei.value)
    assert "'bad'" in str(ei.value)


# --------------------------------------------------------------------------------- scan_exact


def _ids(con, rows: list[tuple[str, str, str | None]]) -> str:
    con.execute("CREATE OR REPLACE TABLE ids (source VARCHAR, column_name VARCHAR, value VARCHAR)")
    if rows:
        con.executemany("INSERT INTO ids VALUES (?, ?, ?)", rows)
    return "ids"


def _target(con, values: list[str | None], name: str = "tgt") -> ScanTarget:
    con.execute(f"CREATE OR REPLACE TABLE {name} (v VARCHAR, n INTEGER)")
    if values:
        con.executemany(f"INSERT INTO {name} VALUES (?, 1)", [(v,) for v in values])
    return ScanTarget("pseudonymized", name, name)


def _exact(con, ids, values, **kw) -> CheckResult:
    results = scan_exact(con, _ids(con, ids), [_target(con, values)], **kw)
    assert len(results) == 1
    return results[0]


def test_exact_whole_match_case_insensitive_and_trimmed(con):
    r = _exact(con, [("koha_borrowers", "surname", "  SmithsonX \t")], ["smithsonx", "other"])
    assert not r.passed and r.failing_count == 1
    assert r.check == "exact_match" and r.column == "v" and r.engine == "duckdb"
    assert r.threshold == "no raw identifier value (whole \u22654 chars, substring \u22656 chars)"
    assert "koha_borrowers.surname" in r.detail
    assert "smithson" not in r.detail.lower()
    r = _exact(con, [("src", "c", "smithsonx")], ["  SMITHSONX\n"])
    assert r.failing_count == 1


def test_exact_min_whole_length(con):
    # 3-char identifier never matches; a 4-char one matches whole values only.
    assert _exact(con, [("s", "c", "abc")], ["abc", "xabcx"]).passed
    r = _exact(con, [("s", "c", "abcd")], ["abcd", "xxabcdxx"])
    assert r.failing_count == 1  # whole hit only: 4 < min_substring_length
    r = _exact(con, [("s", "c", "abcd")], ["abcd", "xxabcdxx"], min_whole_length=5)
    assert r.passed


def test_exact_min_substring_length(con):
    # 5 chars: whole only; 6 chars: whole and substring.
    r = _exact(con, [("s", "c", "abcde")], ["zzabcdezz"])
    assert r.passed
    r = _exact(con, [("s", "c", "abcdef")], ["zzabcdefzz"])
    assert r.failing_count == 1
    r = _exact(con, [("s", "c", "abcdef")], ["zzabcdefzz"], min_substring_length=7)
    assert r.passed
    r = _exact(con, [("s", "c", "abcde")], ["zzabcdezz"], min_substring_length=5)
    assert r.failing_count == 1


def test_exact_substring_at_start_end_and_case(con):
    ident = [("koha_items", "barcode", "31234000012345")]
    values = ["31234000012345 returned", "returned 31234000012345", "X31234000012345Y",
              "3123400001234", "clean value"]
    r = _exact(con, ident, values)
    assert r.failing_count == 3
    r = _exact(con, [("s", "email", "Jane.Doe@Example.COM")], ["mail: JANE.DOE@example.com!"])
    assert r.failing_count == 1


def test_exact_ignores_null_empty_whitespace(con):
    ids = [("s", "c", None), ("s", "c", ""), ("s", "c", "   "), ("s", "c", "\t\n")]
    r = _exact(con, ids, [None, "", "   ", "anything at all"])
    assert r.passed and r.failing_count == 0
    r = _exact(con, [("s", "c", "needle")], [None, "", "  "])
    assert r.passed


def test_exact_duplicates_and_multiple_sources(con):
    ids = [("a", "x", "needle1"), ("a", "x", "needle1"), ("b", "y", "NEEDLE1"), ("c", "z", "other1")]
    r = _exact(con, ids, ["has needle1 inside", "needle1", "NEEDLE1 "])
    # Three distinct target values, all containing / equal to the identifier.
    assert r.failing_count == 3
    assert r.detail.endswith("matching input column(s): a.x, b.y")


def test_exact_multiple_targets_and_no_string_target(con):
    _ids(con, [("koha_borrowers", "email", "someone@example.org")])
    t1 = _target(con, ["someone@example.org", "fine"], "t1")
    t2 = _target(con, ["fine too"], "t2")
    con.execute("CREATE TABLE nums AS SELECT 1 AS a, 2.5 AS b")
    results = scan_exact(con, "ids", [t1, ScanTarget("published", "nums", "nums"), t2])
    assert [(r.table, r.column, r.passed) for r in results] == [
        ("t1", "v", False), ("nums", None, True), ("t2", "v", True)]
    assert results[0].failing_count == 1
    # temp tables are cleaned up
    leftovers = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_libstats_%'").fetchone()[0]
    assert leftovers == 0


def test_exact_view_and_query_relation(con):
    con.execute("CREATE TABLE raw (source VARCHAR, column_name VARCHAR, value VARCHAR)")
    con.execute("INSERT INTO raw VALUES ('koha', 'phone', '8605550123')")
    con.execute("CREATE VIEW idv AS SELECT * FROM raw")
    target = ScanTarget("published", "q", "SELECT 'tel 8605550123' AS note, 3 AS n")
    [r] = scan_exact(con, "idv", [target])
    assert r.failing_count == 1 and r.column == "note"


def test_exact_scales_to_two_million_identifiers(con):
    rng = random.Random(20240701)
    # 2,000,000 random 14-digit identifiers, built inside DuckDB.
    con.execute("""
        CREATE TABLE ids AS
        SELECT 'koha_borrowers' AS source, 'cardnumber' AS column_name,
               CAST(20000000000000 + (hash(i) % 10000000000000) AS VARCHAR) AS value
        FROM range(2000000) t(i)""")
    n_ids = con.execute("SELECT count(DISTINCT value) FROM ids").fetchone()[0]
    assert n_ids > 1_990_000
    barcodes = [r[0] for r in con.execute(
        "SELECT value FROM ids USING SAMPLE 5 ROWS (reservoir, 7)").fetchall()]
    # A few thousand short strings (names, 3..12 chars).
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    shorts = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(3, 12)))
                     for _ in range(3000)})
    short_df = pd.DataFrame({"value": shorts})  # noqa: F841 - read by DuckDB below
    con.execute("INSERT INTO ids SELECT 'koha_borrowers', 'surname', value FROM short_df")
    long_shorts = [s for s in shorts if len(s) >= 8]
    whole_short = [s for s in shorts if 4 <= len(s) <= 5][:2]

    # 20,000 distinct target values that contain none of the identifiers: digits-free words
    # made of a disjoint alphabet (upper-case digits-free strings would be lowered: use symbols).
    values = {f"val-{i:05d}-{'#' * (i % 17)}" for i in range(20000)}
    planted_whole = [barcodes[0], barcodes[1].upper(), whole_short[0], long_shorts[0]]
    planted_sub = [f"patron {barcodes[2]} ok", f"{barcodes[3]}-x", f"zz{long_shorts[1]}",
                   f"{long_shorts[2].upper()}!"]
    values = sorted(values - set(planted_whole) - set(planted_sub))[: 20000 - 8]
    values += planted_whole + planted_sub
    assert len(set(values)) == 20000
    tgt_df = pd.DataFrame({"v": values})  # noqa: F841 - read by DuckDB below
    con.execute("CREATE TABLE tgt AS SELECT CAST(v AS VARCHAR) AS v, 1 AS n FROM tgt_df")

    t0 = time.perf_counter()
    [r] = scan_exact(con, "ids", [ScanTarget("pseudonymized", "tgt", "tgt")])
    elapsed = time.perf_counter() - t0
    print(f"\nscan_exact: {n_ids + len(shorts)} identifiers x 20000 values in {elapsed:.2f} s")
    assert elapsed < 30
    assert r.failing_count == len(planted_whole) + len(planted_sub)
    assert "koha_borrowers.cardnumber" in r.detail and "koha_borrowers.surname" in r.detail
    _assert_no_values([r], barcodes + long_shorts[:3] + whole_short)


# ------------------------------------------------------------------ oracle (brute force) check

_WS = " \t\n\r\x0b\x0c\xa0"


def _oracle(ids, values, min_whole, min_sub):
    """Brute force: distinct target values equal to / containing an identifier, and the sources."""
    norm_ids = [(s, c, v.strip(_WS).lower()) for s, c, v in ids if v is not None]
    norm_ids = [(s, c, v) for s, c, v in norm_ids if v]
    hit_values, sources = set(), set()
    for value in {v for v in values if v is not None}:
        nv = value.strip(_WS).lower()
        if not nv:
            continue
        for s, c, v in norm_ids:
            if (len(v) >= min_whole and v == nv) or (len(v) >= min_sub and len(nv) > len(v)
                                                     and v in nv):
                hit_values.add(value)
                sources.add(f"{s}.{c}")
    return len(hit_values), sorted(sources)


_small_text = st.text(alphabet="abAB12 \t", min_size=0, max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids=st.lists(st.tuples(st.sampled_from(["s1", "s2"]), st.sampled_from(["x", "y"]),
                              st.one_of(st.none(), _small_text)), max_size=25),
       values=st.lists(st.one_of(st.none(), _small_text), max_size=25),
       min_whole=st.integers(1, 5), min_sub=st.integers(1, 7))
def test_exact_matches_brute_force_oracle(ids, values, min_whole, min_sub):
    c = duckdb.connect()
    try:
        [r] = scan_exact(c, _ids(c, ids), [_target(c, values)], min_whole_length=min_whole,
                         min_substring_length=min_sub)
    finally:
        c.close()
    count, sources = _oracle(ids, values, min_whole, min_sub)
    assert r.failing_count == count
    assert r.passed is (count == 0)
    if count:
        assert r.detail.endswith("matching input column(s): " + ", ".join(sources))
