"""Every identifier pattern, on positive and negative examples, in Python re, DuckDB RE2 and pyarrow.

The test file is named test_pii_patterns.py (not test_patterns.py) because tests/ has no
__init__.py: pytest needs test module basenames to be unique across the whole tree.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from expectations.patterns import PATTERNS, ci_pattern, duckdb_predicate, python_matcher, sql_literal

POSITIVE: dict[str, list[str]] = {
    "library_barcode": [
        "21234000012345", "31234000012345", "patron 21234000012345 renewed", "id:31234000012345;",
        "21234000012345x", "x21234000012345",
    ],
    "email": [
        "jane.doe@example.com", "JANE.DOE@EXAMPLE.ORG", "o'brien+lib@mail.example.co.uk",
        "contact: j_d-1@lib.ct.us today",
    ],
    "phone": [
        "(860) 555-0123", "860-555-0123", "860.555.0123", "+1 860 555 0123", "8605550123",
        "1-860-555-0123", "call 860 555 0123 today", "(860)555-0123", "+18605550123",
    ],
    "ipv4": ["192.168.1.10", "10.0.0.1", "host 8.8.8.8 ok", "255.255.255.255", "0.0.0.0"],
    "ipv6": [
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:db8::1", "fe80::1ff:fe23:4567:890a",
        "::1", "::", "::ffff:192.0.2.1", "2001:DB8:0:0:8:800:200C:417A", "1::", "fe80::1%eth0",
        "src=2001:db8:0:1::42 dst",
    ],
    "mac": [
        "aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff", "00:1A:2b:3C:4d:5E",
        "device 00-1a-2b-3c-4d-5e seen", "AABB.CCDD.EEFF",
    ],
    "ldap_dn": [
        "uid=jdoe,ou=people,dc=example,dc=org", "cn=Jane Doe,ou=Patrons,dc=lib,dc=ct,dc=us",
        "UID=jdoe", "ou=people,dc=example,dc=org", "cn = jane", "CN=Jane Doe, OU=Staff",
    ],
    "symphony_pin": ["^Uf1234", "^UOjdoe^Uf4321^", "^uf abcd", "^UF9999"],
    "libki_guest_pass": ["guest1", "GUEST0042", "user guest17 logged in", "guest1234567"],
    "ezproxy_session": ["pvJ0HWGo6eWhhVv", "liV9RqGobWNKrdD", "session 0abcdefghijklmn ok",
                        "x=abcdefghijklm12&y", "12345678901234a"],
}

NEGATIVE: dict[str, list[str]] = {
    "library_barcode": [
        "11234000012345", "212340000123456", "2123400001234", "921234000012345", "2024-07-01",
        "fy2024", "12345", "",
    ],
    "email": [
        "@example.com", "jane@localhost", "jane.doe at example dot com", "2024-07-01", "a@b",
        "adult fiction",
    ],
    "phone": [
        "2024-07-01", "2024-07", "65-74", "7", "42", "2024", "FY2023-24", "21234000012345",
        "123-456-7890", "555-0123", "12:30:00", "10.0.0.1", "2023-2024", "0-17",
    ],
    "ipv4": ["256.1.1.1", "1.2.3", "2024.07.01", "192.168.1", "12:30:00", "v1.2", "300.300.300.300"],
    "ipv6": [
        "12:30:00", "12:30", "aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "2024-07-01",
        "1:2:3:4:5:6:7", "fy2024", "10:15", "23:59:59.999",
    ],
    "mac": [
        "aa:bb:cc:dd:ee", "aa:bb-cc:dd:ee:ff", "12:30:00", "2001:db8::1", "aabb.ccdd",
        "gg:hh:ii:jj:kk:ll", "2024-07-01", "aa:bb:cc:dd:ee:ff0",
    ],
    "ldap_dn": [
        "uid=", "adult", "ratio=3,c=4", "x=1,y=2", "material_type=book", "fiction, adult",
        "e=mc2", "branch=main",
    ],
    "symphony_pin": ["^UF", "^Uf^UO", "uf1234", "^UO21234000012345", "Uf1234", "^U f1234"],
    "libki_guest_pass": ["guests", "guestbook", "guest", "guest12345678", "xguest1",
                         "guest_pass", "ages_0_5"],
    "ezproxy_session": ["pvJ0HWGo6eWhhV", "pvJ0HWGo6eWhhVvX", "abcdefghijklmno",
                        "123456789012345", "Academic Search Premier", "pub_eres_use__database",
                        "fy2025", "2024-07-01", "21234000012345"],
}

CASES = [pytest.param(name, value, True, id=f"{name}+{value!r}")
         for name, values in POSITIVE.items() for value in values]
CASES += [pytest.param(name, value, False, id=f"{name}-{value!r}")
          for name, values in NEGATIVE.items() for value in values]


def test_every_pattern_has_examples():
    assert set(POSITIVE) == set(PATTERNS) == set(NEGATIVE)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


@pytest.mark.parametrize(("name", "value", "expected"), CASES)
def test_python(name, value, expected):
    assert bool(python_matcher(name).search(value)) is expected
    assert bool(re.search(ci_pattern(name), value)) is expected


@pytest.mark.parametrize(("name", "value", "expected"), CASES)
def test_duckdb(con, name, value, expected):
    # Documented DuckDB forms: pattern on lower(value), or (?i) pattern on the raw value.
    lowered = con.execute(f"SELECT {duckdb_predicate(name, '$v')}", {"v": value}).fetchone()[0]
    flagged = con.execute(f"SELECT regexp_matches($v, {sql_literal(ci_pattern(name))})",
                          {"v": value}).fetchone()[0]
    assert lowered is expected
    assert flagged is expected


@pytest.mark.parametrize(("name", "value", "expected"), CASES)
def test_pandas_str_contains(name, value, expected):
    # Great Expectations' pandas regex expectations call Series.str.contains(pattern) with no
    # flags; on pandas 3 string columns that runs in pyarrow's RE2.
    for dtype in ("str", object):
        s = pd.Series([value], dtype=dtype)
        assert bool(s.str.contains(ci_pattern(name), regex=True).iloc[0]) is expected


def test_python_matcher_unknown_name():
    with pytest.raises(KeyError):
        python_matcher("no_such_pattern")


# ------------------------------------------------------------------ engines agree on any string

_ALPHABET = "0123456789abcdefABCDEFxyzUu:.-@()+ ^=,_%'\t/"
_EXAMPLES = [v for values in POSITIVE.values() for v in values]
_texts = st.one_of(
    st.text(alphabet=_ALPHABET, max_size=40),
    st.tuples(st.text(alphabet=_ALPHABET, max_size=4), st.sampled_from(_EXAMPLES),
              st.text(alphabet=_ALPHABET, max_size=4)).map("".join),
)
_AGREE_SQL = "SELECT " + ", ".join(
    f"{duckdb_predicate(name, '$v')}, regexp_matches($v, {sql_literal(ci_pattern(name))})"
    for name in PATTERNS)
_con = duckdb.connect()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_texts)
def test_python_duckdb_and_pyarrow_agree(value):
    row = _con.execute(_AGREE_SQL, {"v": value}).fetchone()
    arrow = pd.Series([value], dtype="str")
    for k, name in enumerate(PATTERNS):
        expected = bool(python_matcher(name).search(value))
        assert row[2 * k] is expected, (name, value)
        assert row[2 * k + 1] is expected, (name, value)
        assert bool(arrow.str.contains(ci_pattern(name), regex=True).iloc[0]) is expected, name
