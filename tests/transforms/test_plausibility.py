"""The mojibake count: per column, the rows holding any of the typical sequences."""

import duckdb

from transforms.plausibility import MOJIBAKE, mojibake_count_sql


def test_mojibake_count_finds_every_sequence_and_nothing_else():
    texts = ["Caf" + m + "!" for m in MOJIBAKE] + [
        "plain", "Ãalone", "â alone", "Âbut no space", "café", "", None, "naïve ’quotes’"]
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a VARCHAR, b INTEGER)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(t, i) for i, t in enumerate(texts)])
    counts = con.execute(mojibake_count_sql("t", ["a", "b"])).fetchone()
    expected = sum(1 for t in texts if t is not None and any(m in t for m in MOJIBAKE))
    assert counts == (expected, 0) and expected == len(MOJIBAKE)
