"""MAC normalization in SQL: every accepted notation, and what is not a MAC."""

import duckdb
import pytest

from libstats.sql import lit
from transforms.wifi import IP_SQL_RE, is_mac_sql, mac_sql


@pytest.mark.parametrize("raw, mac", [
    ("02:00:00:AB:cd:01", "020000abcd01"), ("02-00-00-AB-CD-01", "020000abcd01"),
    (" 0200.00ab.cd01 ", "020000abcd01"), ("020000ABCD01", "020000abcd01"),
    ("02:00:00:ab:cd", None), ("02:00:00:ab:cd:0g", None), ("02:00-00:ab:cd:01x", None),
    ("192.0.2.7", None), ("", None), (None, None)])
def test_mac_sql(raw, mac):
    con = duckdb.connect()
    x = "NULL::VARCHAR" if raw is None else lit(raw)
    assert con.execute(f"SELECT {mac_sql(x)}").fetchone()[0] == mac
    # the "client field holds an IP" test uses the same pattern (five colon groups read as
    # a shortened IPv6 address)
    is_ip = con.execute(f"SELECT coalesce(NOT {is_mac_sql(x)} AND regexp_matches({x}, "
                        f"{lit(IP_SQL_RE)}), false)").fetchone()[0]
    assert is_ip == (raw in ("192.0.2.7", "02:00:00:ab:cd"))
