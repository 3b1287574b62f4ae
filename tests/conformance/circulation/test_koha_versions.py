"""Koha conformance per release: every column of ``statistics``, ``borrowers`` and ``items`` in
each release's kohastructure.sql (koha_versions/<release>/<table>.txt, see SOURCE.md) has a role
in libstats' profile, the personal ones are dropped, and an export with exactly that header reads
through libstats' CSV reader."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from libstats.config.model import Source
from libstats.profiles.base import DATE_FIELDS, TIMESTAMP_FIELDS
from libstats.profiles.circulation import KOHA_BORROWERS, KOHA_ITEMS, KOHA_STATISTICS
from libstats.profiles.resolve import resolve
from libstats.readers.csv import load_source
from libstats.sql import q

HERE = Path(__file__).parent / "koha_versions"
RELEASES = ("kohasuomi-22.x", "kohasuomi-22x", "community-00545f87", "kohasuomi-23x",
            "kohasuomi-24.05", "kohasuomi-25x")
TABLES = {"statistics": (KOHA_STATISTICS, "koha_statistics", "circulation"),
          "borrowers": (KOHA_BORROWERS, "koha_borrowers", "patrons"),
          "items": (KOHA_ITEMS, "koha_items", "items")}

# Written by hand from the schema comments (names, addresses, contacts, card numbers, logins,
# passwords and secrets, notes and other free text): dropped, and looked for by the leak scan.
PERSONAL = {
    "statistics": {"other"},
    "borrowers": {
        "cardnumber", "surname", "firstname", "preferred_name", "middle_name", "title",
        "othernames", "initials", "pronouns", "streetnumber", "streettype", "address",
        "address2", "city", "state", "country", "email", "phone", "mobile", "fax", "emailpro",
        "phonepro", "B_streetnumber", "B_streettype", "B_address", "B_address2", "B_city",
        "B_state", "B_zipcode", "B_country", "B_email", "B_phone", "debarredcomment",
        "contactname", "contactfirstname", "contacttitle", "borrowernotes", "relationship",
        "sex", "password", "secret", "userid", "opacnote", "contactnote", "sort1", "sort2",
        "altcontactfirstname", "altcontactsurname", "altcontactaddress1", "altcontactaddress2",
        "altcontactaddress3", "altcontactstate", "altcontactzipcode", "altcontactcountry",
        "altcontactphone", "smsalertnumber", "overdrive_auth_token"},
    "items": {"barcode", "itemnotes", "itemnotes_nonpublic", "uri", "more_subfields_xml"},
}
# Personal, but generalized as DESIGN.md sets (age band, area): the raw value never leaves.
GENERALIZED = {"borrowers": {"dateofbirth": "generalize:age_band", "zipcode": "generalize:area"}}
# Columns each table must have in every release (by hand from the files).
EVERYWHERE = {"statistics": {"datetime", "branch", "type", "borrowernumber", "itemnumber"},
              "borrowers": {"borrowernumber", "cardnumber", "dateofbirth", "branchcode",
                            "categorycode", "dateenrolled"},
              "items": {"itemnumber", "barcode", "itype", "homebranch", "ccode", "location"}}
CASES = [(r, t) for r in RELEASES for t in TABLES]


def columns_of(release: str, table: str) -> list[str]:
    return (HERE / release / f"{table}.txt").read_text(encoding="utf-8").split()


def test_every_release_folder_is_listed():
    assert sorted(p.name for p in HERE.iterdir() if p.is_dir()) == sorted(RELEASES)
    for release in RELEASES:
        assert sorted(p.name for p in (HERE / release).iterdir()) == \
            sorted(f"{t}.txt" for t in TABLES)


@pytest.mark.parametrize("release,table", CASES)
def test_profile_knows_every_column(release, table):
    cols = columns_of(release, table)
    assert len(cols) == len(set(cols)), "a column listed twice"
    assert EVERYWHERE[table] <= set(cols)
    profile = TABLES[table][0]
    assert [c for c in cols if c not in profile.columns] == []


@pytest.mark.parametrize("release,table", CASES)
def test_personal_columns_are_dropped_and_scanned(release, table):
    profile, fmt, kind = TABLES[table]
    resolved = resolve(Source(name="s", kind=kind, format=fmt, path="x.csv"), "lib.toml")
    cols = set(columns_of(release, table))
    for c in PERSONAL[table] & cols:
        assert profile.columns[c].role == "drop", c
        assert resolved.roles[c] == "drop" and resolved.scanned(c), c
    for c, role in GENERALIZED.get(table, {}).items():
        if c in cols:
            assert profile.columns[c].role == role, c
    # Nothing else is kept as it is unless it is a code feeding a field.
    for c in cols:
        spec = profile.columns[c]
        if spec.role == "keep":
            assert spec.field is not None and c not in PERSONAL[table], c


def _fake_value(profile, column: str, row: int) -> str:
    """Obviously fake values: small ids, fixed dates, 'Test ...' text."""
    spec = profile.columns[column]
    if spec.field in TIMESTAMP_FIELDS:
        return f"2024-07-0{row} 10:1{row}:00"
    if spec.field in DATE_FIELDS:
        return f"1990-01-0{row}"
    if spec.role.startswith("token") or column.endswith("number"):
        return str(9000 + row)
    if spec.role == "keep":
        return {"type": "issue"}.get(column, f"T{row}")
    return f"Test value {row}"


@pytest.mark.parametrize("release,table", CASES)
def test_header_and_two_rows_read_by_the_real_reader(release, table, tmp_path):
    profile, fmt, kind = TABLES[table]
    cols = columns_of(release, table)
    path = tmp_path / f"{table}.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for row in (1, 2):
            w.writerow([_fake_value(profile, c, row) for c in cols])
    resolved = resolve(Source(name="s", kind=kind, format=fmt, path=path.name),
                       tmp_path / "libstats.toml")
    con = duckdb.connect()
    ingested = load_source(con, resolved, [path], tmp_path)
    assert ingested.header == cols
    assert [r[0] for r in con.execute("DESCRIBE raw_s").fetchall()] == cols
    assert con.execute("SELECT count(*) FROM raw_s").fetchone()[0] == 2
    first = [_fake_value(profile, cols[0], row) for row in (1, 2)]
    assert [r[0] for r in con.execute(f"SELECT {q(cols[0])} FROM raw_s ORDER BY 1").fetchall()] \
        == first


# What each release adds to / lacks from the upstream copy (community-00545f87), by hand.
DELTAS = {
    "kohasuomi-22.x": {"statistics": (set(), {"interface"}), "borrowers": (set(), set()),
                       "items": (set(), set())},
    "kohasuomi-22x": {"statistics": (set(), {"interface"}), "borrowers": (set(), set()),
                      "items": ({"sub_location"}, set())},         # KohaSuomi's local column
    "community-00545f87": {t: (set(), set()) for t in TABLES},
    "kohasuomi-23x": {"statistics": (set(), set()), "borrowers": ({"protected"}, set()),
                      "items": ({"bookable", "sub_location"}, set())},
    "kohasuomi-24.05": {"statistics": (set(), set()), "borrowers": ({"protected"}, set()),
                        "items": ({"bookable", "localuse"}, set())},
    "kohasuomi-25x": {"statistics": (set(), set()),
                      "borrowers": ({"protected", "preferred_name"}, set()),
                      "items": ({"bookable", "localuse", "sub_location"}, set())},
}


@pytest.mark.parametrize("release,table", CASES)
def test_release_differences(release, table):
    base, cols = set(columns_of("community-00545f87", table)), set(columns_of(release, table))
    assert (cols - base, base - cols) == DELTAS[release][table]
