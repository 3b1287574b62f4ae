"""Keys and tokens: HMAC in SQL equals Python's hmac, per-period derivation, safe errors."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from libstats.errors import KeyMaterialError
from libstats.keys import (derive_period_key, generate_key, load_master_key, parse_key,
                           token_python)
from transforms.pseudonymize import int_tokens, key_params

MASTER = bytes(range(32))


def sql_tokens(key, domain: str, values: list[str]) -> dict[str, bytes]:
    con = duckdb.connect()
    con.execute("CREATE TABLE ids (domain VARCHAR, value VARCHAR)")
    con.executemany("INSERT INTO ids VALUES (?, ?)", [(domain, v) for v in values])
    rows = con.execute(int_tokens("SELECT domain, value FROM ids"), key_params(key)).fetchall()
    return {value: bytes(token) for _, value, token, *_ in rows}


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=20, unique=True))
def test_property_sql_token_is_hmac_sha256_of_domain_and_value(values):
    key = derive_period_key(MASTER, "FY2025")
    derived = hmac.new(MASTER, b"libstats/v1/period/FY2025\x01", hashlib.sha256).digest()
    tokens = sql_tokens(key, "koha_patron", values)
    for v in values:
        expected = hmac.new(derived, b"koha_patron\x1f" + v.encode(), hashlib.sha256).digest()
        assert tokens[v] == expected == token_python(key, "koha_patron", v)


@settings(max_examples=30, deadline=None)
@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_property_tokens_stable_within_a_period_and_different_across_periods(barcode):
    a1 = sql_tokens(derive_period_key(MASTER, "FY2025"), "p", [barcode])[barcode]
    a2 = sql_tokens(derive_period_key(MASTER, "FY2025"), "p", [barcode])[barcode]
    b = sql_tokens(derive_period_key(MASTER, "FY2026"), "p", [barcode])[barcode]
    other_key = sql_tokens(derive_period_key(bytes(32), "FY2025"), "p", [barcode])[barcode]
    assert a1 == a2
    assert a1 != b
    assert a1 != other_key


def test_domains_separate_equal_values():
    key = derive_period_key(MASTER, "FY2025")
    assert token_python(key, "koha_patron", "17") != token_python(key, "koha_item", "17")


def test_key_ids_differ_by_period_and_never_show_the_key():
    k1, k2 = derive_period_key(MASTER, "FY2025"), derive_period_key(MASTER, "FY2026")
    assert k1.key_id != k2.key_id
    assert MASTER.hex() not in repr(k1) and k1.ipad.hex() not in repr(k1)


def test_keygen_gives_32_random_bytes_as_hex():
    a, b = generate_key(), generate_key()
    assert len(bytes.fromhex(a)) == 32 and a != b


@pytest.mark.parametrize("text, words", [
    pytest.param("abcd", "bytes", id="too-short-hex"),
    pytest.param("zz" * 32, "not hex", id="not-hex"),
    pytest.param("base64:AAAA", "bytes", id="too-short-base64"),
])
def test_bad_key_text_is_refused_without_echoing_it(text, words):
    with pytest.raises(KeyMaterialError) as exc:
        parse_key(text, "environment variable K")
    assert words in str(exc.value) and text not in str(exc.value)


def test_base64_keys_are_accepted():
    import base64
    assert parse_key("base64:" + base64.urlsafe_b64encode(MASTER).decode(), "x") == MASTER


def test_missing_env_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("LIBSTATS_NOPE", raising=False)
    with pytest.raises(KeyMaterialError, match="LIBSTATS_NOPE"):
        load_master_key("LIBSTATS_NOPE", None)


def test_key_file(tmp_path):
    f = tmp_path / "k.key"
    f.write_text(MASTER.hex() + "\n")
    f.chmod(0o644)
    with pytest.raises(KeyMaterialError, match="chmod 600") as exc:
        load_master_key(None, f)
    assert MASTER.hex() not in str(exc.value)
    f.chmod(0o600)
    assert load_master_key(None, f) == MASTER
    with pytest.raises(KeyMaterialError, match="does not exist"):
        load_master_key(None, tmp_path / "missing.key")
