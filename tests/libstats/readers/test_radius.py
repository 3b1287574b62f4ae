"""The RADIUS detail reader: vendor and tagged attributes, Acct-Unique-Session-Id only records,
repeated attributes (every value scanned, conflicting counters refused). Values are fake."""

from __future__ import annotations

import duckdb
import pytest

from libstats.config import Source
from libstats.errors import InputError
from libstats.profiles import resolve
from libstats.readers.radius import base_name, load_radius


def _load(tmp_path, text: str):
    path = tmp_path / "detail-20241105"
    path.write_text(text, encoding="utf-8")
    source = Source(name="radius", kind="wifi", format="radius_detail", path=str(path))
    con = duckdb.connect()
    return con, load_radius(con, resolve(source, tmp_path / "library.toml"), [path])


HEAD = ("Tue Nov  5 09:00:00 2024\n\tNAS-Identifier = \"cen-nas-01\"\n"
        "\tCalling-Station-Id = \"02-00-00-00-00-01\"\n\tAcct-Status-Type = Start\n")


def test_tagged_names_are_their_attribute():
    assert base_name("Tunnel-Type:0") == "Tunnel-Type"
    assert base_name("Tunnel-Private-Group-Id:31") == "Tunnel-Private-Group-Id"
    assert base_name("Cisco-AVPair") == "Cisco-AVPair"


def test_vendor_tagged_and_unique_id_records_read(tmp_path):
    con, ing = _load(tmp_path, HEAD + "\tAcct-Unique-Session-Id = \"0a00000000000001\"\n"
                     "\tTunnel-Type:0 = VLAN\n\tAirespace-Wlan-Id = 2\n"
                     "\tVendor-Specific.Cisco.AVPair = \"method=dot1x\"\n\n")
    assert ing.rows == 1
    assert "Tunnel-Type" in ing.header and "Tunnel-Type:0" not in ing.header
    assert "Vendor-Specific.Cisco.AVPair" in ing.stored          # personal: scanned
    assert "Airespace-Wlan-Id" not in ing.stored                  # configuration


def test_every_value_of_a_repeated_attribute_is_kept_for_the_scan(tmp_path):
    con, ing = _load(tmp_path, HEAD + "\tAcct-Session-Id = \"s1\"\n\tClass = \"test-a\"\n"
                     "\tClass = \"test-b\"\n\n")
    assert ing.repeated == ["Class"]
    assert con.execute(f"SELECT value FROM {ing.values_table} ORDER BY 1").fetchall() == [
        ("test-a",), ("test-b",)]


def test_identical_repeats_are_one_value(tmp_path):
    con, ing = _load(tmp_path, HEAD + "\tAcct-Session-Id = \"s1\"\n\tClass = \"test-a\"\n"
                     "\tClass = \"test-a\"\n\tAcct-Input-Octets = 5\n\tAcct-Input-Octets = 5\n\n")
    assert ing.repeated == [] and ing.values_table is None


def test_a_counter_with_two_values_stops(tmp_path):
    with pytest.raises(InputError) as err:
        _load(tmp_path, HEAD + "\tAcct-Session-Id = \"s1\"\n\tAcct-Input-Octets = 5\n"
                        "\tAcct-Input-Octets = 6\n\n")
    e = err.value
    assert (e.line, e.column) == (7, "Acct-Input-Octets")
    assert "different values" in e.problem and "6" not in e.problem.replace("2866", "")


def test_unknown_vendor_attribute_still_stops(tmp_path):
    with pytest.raises(InputError) as err:
        _load(tmp_path, HEAD + "\tAcct-Session-Id = \"s1\"\n\tAttr-26.99999.1 = 0x01\n\n")
    assert (err.value.line, err.value.column) == (6, "Attr-26.99999.1")
    assert "unclassified attribute" in err.value.problem


def test_a_session_record_needs_one_session_id(tmp_path):
    with pytest.raises(InputError) as err:
        _load(tmp_path, HEAD + "\n")
    assert "neither Acct-Session-Id nor Acct-Unique-Session-Id" in err.value.problem
