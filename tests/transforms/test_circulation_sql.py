"""Circulation SQL on hand-made events: the distinct-borrower key, the shared counts table and
the pseudonymized month's rows (order, tokens, ENUM codes)."""

from __future__ import annotations

import hashlib

import duckdb
import pytest

from transforms import circulation as circ

EVENTS = [
    # source, _rec, event_date, branch, type, patron domain, patron id
    ("a", 0, "2024-07-03", "CEN", "checkout", "koha_patron", "P1"),
    ("a", 1, "2024-07-04", "NOR", "renewal", "koha_patron", "P1"),
    ("a", 2, "2024-07-05", "CEN", "checkout", "koha_patron", "P2"),
    ("a", 3, "2024-08-01", "CEN", "checkout", "koha_patron", "P2"),
    ("a", 4, "2024-08-02", "CEN", "checkin", "koha_patron", "P3"),
    ("b", 0, "2024-08-02", "NOR", "checkout", "sierra_patron", "P1"),   # another domain
    ("a", 5, "2024-07-06", "CEN", "in_library_use", None, None),
]


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE TABLE map_branch AS SELECT * FROM (VALUES ('CEN', 'CEN'), "
                "('NOR', 'NOR')) AS t(alias, branch_code)")
    con.execute("CREATE TABLE ev (source VARCHAR, _rec BIGINT, event_date DATE, "
                "branch_code VARCHAR, event_type VARCHAR, patron_domain VARCHAR, "
                "patron_id VARCHAR)")
    con.executemany("INSERT INTO ev VALUES (?, ?, ?, ?, ?, ?, ?)", EVENTS)
    con.execute("CREATE VIEW events AS SELECT *, strftime(event_date, '%Y-%m') AS month, "
                "'book' AS material_type, 'adult' AS audience, false AS is_ill_borrowed, "
                "'BK' AS item_type_code, NULL::VARCHAR AS collection_code, "
                "NULL::VARCHAR AS location_code, 'PT' AS patron_category, "
                "NULL::VARCHAR AS item_domain, NULL::VARCHAR AS item_id FROM ev")
    con.execute("CREATE TABLE tokens AS SELECT DISTINCT patron_domain AS domain, "
                "patron_id AS value, sha256(patron_id)::BLOB AS token FROM ev "
                "WHERE patron_id IS NOT NULL")
    yield con
    con.close()


def _borrowers(con, key: str) -> dict:
    sql = circ.pub_active_borrowers__branch_month(
        "events", fiscal_year="FY2025", start="2024-07-01", end="2024-08-31", patron_key=key)
    return {(m, b): v for _, m, b, v in con.execute(sql).fetchall()}


def test_hashed_patron_key_used_when_one_to_one_and_counts_the_same(con):
    key = circ.patron_key_sql(con, "tokens", ["koha_patron", "sierra_patron"])
    assert key != circ.PATRON_PAIR
    hashed, pair = _borrowers(con, key), _borrowers(con, circ.PATRON_PAIR)
    assert hashed == pair
    # P1 at two branches in July counts once library-wide; the Sierra P1 is someone else
    assert pair[("2024-07", "CEN")] == 2 and pair[("2024-07", "NOR")] == 1
    assert pair[("2024-07", "all")] == 2
    assert pair[("all", "all")] == 3
    assert pair[("2024-08", "all")] == 2          # P2 (checkout) and Sierra P1; P3 only returned


def test_patron_pair_when_the_hash_check_fails_or_ids_are_not_all_tokenized(con):
    # Two rows with one hash (here: the same id twice) make the check fail: the pair is used.
    con.execute("INSERT INTO tokens SELECT * FROM tokens LIMIT 1")
    assert circ.patron_key_sql(con, "tokens", ["koha_patron", "sierra_patron"]) \
        == circ.PATRON_PAIR
    assert circ.patron_key_sql(con, "tokens", []) == circ.PATRON_PAIR


def test_counts_table_feeds_the_circulation_grid(con):
    con.execute("CREATE TABLE counts AS " + circ.int_circ_counts("events"))
    assert con.execute("SELECT sum(n) FROM counts").fetchone()[0] == len(EVENTS)
    first, last = con.execute("SELECT min(first_day), max(last_day) FROM counts").fetchone()
    assert (str(first), str(last)) == ("2024-07-03", "2024-08-02")
    sql = circ.pub_circulation__branch_month_material(
        "counts", fiscal_year="FY2025", start="2024-07-01", end="2024-08-31",
        material_types=["book"])
    rows = {(m, b, meas): v for _, m, b, _, aud, meas, v in con.execute(sql).fetchall()
            if aud == "adult"}
    assert rows[("2024-07", "CEN", "checkouts")] == 2
    assert rows[("2024-07", "CEN", "in_library_uses")] == 1
    assert rows[("2024-08", "NOR", "checkouts")] == 1


def test_a_months_file_rows_in_record_order_with_opted_in_tokens_and_enum_codes(con):
    con.execute("CREATE TABLE written AS SELECT * FROM tokens WHERE value = 'P2'")
    con.execute("CREATE TYPE e_branch AS ENUM ('CEN', 'NOR')")
    sql = circ.pz_events("events", first_day="2024-07-01", last_day="2024-07-31",
                         patron_tokens="written", item_tokens="written", key_id="kid-x",
                         int_patron_category_k=None, enums={"branch_code": "e_branch"})
    rows = con.execute(sql).fetchall()
    cols = [d[0] for d in con.execute(sql).description]
    got = [dict(zip(cols, r)) for r in rows]
    assert [str(r["event_date"]) for r in got] == ["2024-07-03", "2024-07-04", "2024-07-05",
                                                   "2024-07-06"]
    assert [r["patron_token"] is not None for r in got] == [False, False, True, False]
    assert {r["branch_code"] for r in got} == {"CEN", "NOR"}
    assert con.execute(f"SELECT typeof(branch_code) FROM ({sql}) LIMIT 1").fetchone()[0] \
        == "ENUM('CEN', 'NOR')"


def test_a_months_file_joins_no_empty_token_table_and_is_always_sorted(con):
    sql = circ.pz_events("events", first_day="2024-07-01", last_day="2024-07-31",
                         key_id="kid-x", int_patron_category_k="k", patron_tokens=None,
                         item_tokens=None)
    assert "JOIN" not in sql and "ORDER BY e.source, e._rec" in sql
    assert [r[-1] for r in con.execute(sql).fetchall()] == ["a"] * 4   # tokens NULL


def test_a_months_file_writes_its_month_as_a_constant_and_refuses_two_months(con):
    sql = circ.pz_events("events", first_day="2024-07-01", last_day="2024-07-31",
                         key_id="kid-x", int_patron_category_k=None, patron_tokens=None,
                         item_tokens=None)
    assert {r[0] for r in con.execute(f"SELECT DISTINCT month FROM ({sql})").fetchall()} \
        == {"2024-07"}
    # August has two sources: sorted on the source's ENUM, in source then record order
    # (record order alone would put b's record 0 first)
    con.execute("CREATE TYPE e_src AS ENUM ('a', 'b')")
    aug = circ.pz_events("events", first_day="2024-08-01", last_day="2024-08-31",
                         key_id="kid-x", int_patron_category_k=None, patron_tokens=None,
                         item_tokens=None, enums={"source": "e_src"})
    assert [(str(r[0]), r[-1]) for r in con.execute(aug).fetchall()] == [
        ("2024-08-01", "a"), ("2024-08-02", "a"), ("2024-08-02", "b")]
    assert [r[1] for r in con.execute(aug).fetchall()] == ["2024-08"] * 3
    with pytest.raises(ValueError, match="two months"):
        circ.pz_events("events", first_day="2024-07-01", last_day="2024-08-31",
                       key_id="kid-x", int_patron_category_k=None, patron_tokens=None,
                       item_tokens=None)


def test_a_months_file_has_the_same_bytes_with_one_thread_or_two(tmp_path):
    """Unsorted order-keeping writes cut row groups where the table's batches end, which
    depends on the thread count; the sorted file must not."""
    export = tmp_path / "export.csv"
    duckdb.execute(f"COPY (SELECT DATE '2024-07-01' + CAST(range // 20000 AS INTEGER) AS d, "
                   f"['CEN', 'NOR'][range % 2 + 1] AS b, CAST(range % 997 AS VARCHAR) AS p "
                   f"FROM range(600000)) TO '{export}' (HEADER)")
    digests = set()
    for threads in (1, 2):
        db = duckdb.connect()
        db.execute(f"SET threads = {threads}")     # loading and writing
        db.execute("CREATE TYPE e_branch AS ENUM ('CEN', 'NOR')")
        db.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv('{export}', all_varchar = true)")
        db.execute("CREATE TABLE ev AS SELECT 'a' AS source, rowid AS _rec, "
                   "CAST(d AS DATE) AS event_date, b AS branch_code, 'checkout' AS event_type, "
                   "'koha_patron' AS patron_domain, p AS patron_id FROM raw")
        db.execute("CREATE VIEW events AS SELECT *, strftime(event_date, '%Y-%m') AS month, "
                   "'book' AS material_type, 'adult' AS audience, false AS is_ill_borrowed, "
                   "'BK' AS item_type_code, NULL::VARCHAR AS collection_code, "
                   "NULL::VARCHAR AS location_code, 'PT' AS patron_category, "
                   "NULL::VARCHAR AS item_domain, NULL::VARCHAR AS item_id FROM ev")
        sql = circ.pz_events("events", first_day="2024-07-01", last_day="2024-07-31",
                             patron_tokens=None, item_tokens=None, key_id="kid-x",
                             int_patron_category_k=None, enums={"branch_code": "e_branch"})
        out = tmp_path / f"t{threads}.parquet"
        db.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet, COMPRESSION zstd, "
                   f"ROW_GROUP_SIZE 100000)")
        db.close()
        digests.add(hashlib.sha256(out.read_bytes()).hexdigest())
    assert len(digests) == 1
