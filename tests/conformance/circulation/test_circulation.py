"""Circulation conformance: real export headers are fully profiled; timestamps as exporting
tools write them parse to the expected local day (expected values worked out by hand)."""

from __future__ import annotations

import duckdb
import pytest

from libstats.profiles import DEFAULT_DATE_FORMATS, DEFAULT_TIMESTAMP_FORMATS
from libstats.profiles.circulation import KOHA_BORROWERS, KOHA_ITEMS, SIERRA_CIRC_TRANS
from libstats.readers.staged import StagedSource, parse_timestamp_sql

# Sierra DNA data dictionary, sierra_view.circ_trans, in documented order.
SIERRA_CIRC_TRANS_COLUMNS = (
    "id transaction_gmt application_name source_code op_code patron_record_id item_record_id "
    "volume_record_id bib_record_id stat_group_code_num due_date_gmt count_type_code_num "
    "itype_code_num icode1 icode2 item_location_code item_agency_code_num ptype_code pcode1 "
    "pcode2 pcode3 pcode4 patron_home_library_code patron_agency_code_num loanrule_code_num"
).split()
NEW_KOHA = {"items": ("localuse", "sub_location"),
            "borrowers": ("preferred_name", "protected")}


def test_sierra_circ_trans_every_column_known():
    assert set(SIERRA_CIRC_TRANS_COLUMNS) <= set(SIERRA_CIRC_TRANS.columns)


@pytest.mark.parametrize("profile,table", [(KOHA_ITEMS, "items"), (KOHA_BORROWERS, "borrowers")])
def test_koha_new_columns_known(profile, table):
    for col in NEW_KOHA[table]:
        assert col in profile.columns
    assert profile.columns["preferred_name" if table == "borrowers" else "localuse"].role == "drop"


# (raw value, source time zone, expected wall-clock in that zone) — by hand.
CASES = [
    ("2024-07-02 11:43:49-04", "America/New_York", "2024-07-02 11:43:49"),
    ("2024-07-02 23:30:00-04", "UTC", "2024-07-03 03:30:00"),          # psql, near midnight
    ("2024-07-02 23:30:00-04", "America/New_York", "2024-07-02 23:30:00"),
    ("2024-07-02T22:15:00Z", "Europe/Berlin", "2024-07-03 00:15:00"),    # crosses midnight
    ("2024-07-02T11:43:49+02:00", "Europe/Berlin", "2024-07-02 11:43:49"),
    ("2024-07-02T11:43:49+0200", "UTC", "2024-07-02 09:43:49"),
    ("2024-07-02 11:43:49.123456", "UTC", "2024-07-02 11:43:49.123456"),
    ("2024-07-02T11:43:49.5+02:00", "UTC", "2024-07-02 09:43:49.5"),
    ("2024-07-02 23:59:59", "Europe/Berlin", "2024-07-02 23:59:59"),     # no offset: as written
    ("2024-07-02", "UTC", "2024-07-02 00:00:00"),
]


@pytest.mark.parametrize("raw,tz,expected", CASES)
def test_timestamp_variants(raw, tz, expected):
    src = StagedSource(name="s", table="t", fields={"event_ts": "ts"}, timezone=tz, domains={},
                       timestamp_formats=DEFAULT_TIMESTAMP_FORMATS,
                       date_formats=DEFAULT_DATE_FORMATS)
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT ?::VARCHAR AS ts", [raw])
    got = con.execute(f"SELECT CAST(({parse_timestamp_sql(src, 'event_ts')}) AS VARCHAR) FROM t"
                      ).fetchone()[0]
    assert got == expected


PERSONAL = ("cardnumber", "surname", "firstname", "middle_name", "preferred_name", "othernames",
            "address", "city", "zipcode", "email", "phone", "mobile", "borrowernotes",
            "password", "userid", "opacnote", "altcontactsurname", "smsalertnumber")


def test_koha_borrowers_schema_header():
    from pathlib import Path
    header = (Path(__file__).parent / "koha_borrowers_23x" / "header.txt").read_text().strip()
    cols = header.split(",")
    assert [c for c in cols if c not in KOHA_BORROWERS.columns] == []
    for c in PERSONAL:
        role = KOHA_BORROWERS.columns[c].role
        assert role == "drop" or (c == "zipcode" and role.startswith("generalize")), c


def test_koha_items_schema_header():
    from pathlib import Path
    header = (Path(__file__).parent / "koha_items_schema" / "header.txt").read_text().strip()
    assert [c for c in header.split(",") if c not in KOHA_ITEMS.columns] == []
    for c in ("barcode", "itemnotes", "itemnotes_nonpublic", "uri", "more_subfields_xml"):
        assert KOHA_ITEMS.columns[c].role == "drop" and KOHA_ITEMS.columns[c].identifier
