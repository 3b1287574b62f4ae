"""The whole pipeline on the hand-written mini library: figures, consent, determinism,
fail-closed leak checks, and the no-identifier-in-any-output property."""

from __future__ import annotations

import html
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libstats.release import sha256_path, tree_hash
from pipelines.cli import main
from tests.conftest import (
    BORROWER_HEADER,
    CONFIG,
    STAT_HEADER,
    borrower_rows,
    csv_text,
    shown_as,
    stat_rows,
)

PUB = "out/published/testville/FY2025"
PZ = "out/pseudonymized/testville/FY2025"


def run(config: Path, capsys) -> tuple[int, str]:
    code = main(["run", str(config), "--period", "FY2025", "-q"])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def table(config: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(config.parent / PUB / "tables" / f"{name}.csv", dtype=str,
                       keep_default_na=False)


def row(df: pd.DataFrame, **where) -> dict:
    sel = df
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1, where
    return sel.iloc[0].to_dict()


def cell(df: pd.DataFrame, **where) -> tuple[str, str]:
    r = row(df, **where)
    return r["value"], r["suppressed"]


@pytest.fixture
def published(mini_library, capsys):
    code, out = run(mini_library, capsys)
    assert code == 0, out
    return mini_library


def test_published_figures(published):
    circ = table(published, "pub_circulation__branch_month_material")
    where = dict(month="2024-10", branch_code="MAIN", material_type="book", audience="adult",
                 measure="checkouts")
    assert shown_as(row(circ, **where), 25, 10) in ("shown", "protection")
    assert shown_as(row(circ, **{**where, "month": "2024-12", "audience": "children"}), 12,
                    10) in ("shown", "protection")
    # 3 DVD checkouts at WEST: withheld, flagged.
    assert cell(circ, month="2024-11", branch_code="WEST", material_type="video",
                audience="adult", measure="checkouts") == ("", "true")
    # zeros are published
    assert cell(circ, month="2025-06", branch_code="WEST", material_type="book",
                audience="adult", measure="renewals") == ("0", "false")
    # the grid is complete, with totals: 13 months x 3 branches x 4 material types
    # x 4 audiences x 3 measures
    assert len(circ) == 13 * 3 * 4 * 4 * 3
    active = table(published, "pub_active_borrowers__branch_month")
    assert cell(active, month="2024-10", branch_code="MAIN") == ("", "true")  # 5 patrons
    reg = table(published, "pub_registered_users__branch_age_category")
    assert set(reg["suppressed"]) <= {"true", "false"}
    # The whole library's checkouts of the year are a total row (so few here that it is
    # withheld to protect the small months; the demo tests check published totals).
    total = {k: "all" for k in ("month", "branch_code", "material_type", "audience")}
    assert row(circ, **total, measure="checkouts")["suppressed"] in ("true", "false")


def test_only_opted_in_patrons_keep_event_history(published):
    con = duckdb.connect()
    events = con.execute(f"SELECT count(*), count(patron_token), count(DISTINCT patron_token) "
                         f"FROM read_parquet('{published.parent / PZ}/events/*/*.parquet')"
                         ).fetchone()
    # Patron 1 (privacy 0) made 5 checkouts + 1 return; nobody else keeps a token.
    assert events == (41, 6, 1)
    patrons = con.execute(f"SELECT count(*), count(*) FILTER (WHERE reading_history_opt_in) "
                          f"FROM read_parquet('{published.parent / PZ}/patrons.parquet')"
                          ).fetchone()
    # Five records, one opted in: the opt-in flag is a quasi-identifier the events give away,
    # so it is never withheld, and neither group (1 and 4) reaches k = 5: none is written.
    assert patrons == (0, 0)


def test_dropped_codes_and_item_tokens_follow_the_config(mini_library, capsys):
    zone = mini_library.parent / PZ
    text = mini_library.read_text().replace(
        'format = "koha_statistics"',
        'format = "koha_statistics"\ncolumns = { location = "drop", '
        'itemnumber = "token:koha_item" }')
    mini_library.write_text(text)
    code, out = run(mini_library, capsys)
    assert code == 0, out
    row = duckdb.connect().execute(
        f"SELECT count(location_code), count(item_token), count(DISTINCT item_token), "
        f"count(item_type_code) FROM read_parquet('{zone}/events/*/*.parquet')").fetchone()
    # location dropped; every event has an item token (40 distinct items); item type kept
    assert row == (0, 41, 40, 41)


def test_manifest_records_inputs_checks_keys_and_legal_basis(published):
    m = json.loads((published.parent / PUB / "manifest.json").read_text())
    assert {i["source"] for i in m["inputs"]} == {"stats", "patrons"}
    assert all(len(i["sha256"]) == 64 for i in m["inputs"])
    assert list(m["key_ids"]) == ["FY2025"] and m["key_ids"]["FY2025"].startswith("kid-")
    assert m["rows"]["stats"] == {"read": 42, "in_period": 41, "out_of_scope": 1,
                                  "outside_period": 0}
    assert all(c["passed"] for c in m["checks"])
    checks = {c["check"] for c in m["checks"]}
    assert {"exact_match", "small_cells", "schema", "pattern:email",
            "pattern:library_barcode"} <= checks
    assert all(any("11-25(b)(4)" in b for b in t["legal_basis"]) for t in m["tables"])
    # Each table names its clauses by short reference; the full texts are recorded once.
    assert {b for t in m["tables"] for b in t["legal_basis"]} == set(m["legal_clauses"])
    assert all(len(b) < 40 for t in m["tables"] for b in t["legal_basis"])
    assert "statistical reports regarding library registration" in \
        m["legal_clauses"]["CT CGS 11-25(b)(4)"]
    report = (published.parent / PUB / "steward_report.html").read_text()
    for text in m["legal_clauses"].values():
        assert report.count(html.escape(text)) == 1
    assert os_environ_key() not in json.dumps(m)


def os_environ_key() -> str:
    import os
    return os.environ["LIBSTATS_TEST_KEY"]


def _zone_files(folder: Path) -> dict:
    """Every file of a zone with its bytes' hash and its mode."""
    return {p.relative_to(folder).as_posix(): (sha256_path(p), oct(p.stat().st_mode & 0o777))
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_rerun_is_byte_identical(published, capsys):
    release = published.parent / PUB
    first = (release.resolve(), tree_hash(release))
    pz_first = tree_hash(published.parent / PZ, ("libstats.duckdb",))
    zones = {z: _zone_files(published.parent / z) for z in (PUB, PZ)}
    code, out = run(published, capsys)
    assert code == 0, out
    assert (release.resolve(), tree_hash(release)) == first
    assert tree_hash(published.parent / PZ, ("libstats.duckdb",)) == pz_first
    # both zones byte for byte (libstats.duckdb included: an unchanged version keeps it)
    assert {z: _zone_files(published.parent / z) for z in (PUB, PZ)} == zones
    assert {m for _, m in zones[PZ].values()} == {"0o600"}      # no [output] group
    assert {m for _, m in zones[PUB].values()} == {"0o644"}
    assert "libstats.duckdb" in zones[PZ]


def test_failed_leak_check_publishes_nothing_and_keeps_previous_release(published, capsys):
    release = published.parent / PUB
    before = (release.resolve(), tree_hash(release))
    rows = stat_rows()
    rows[0][STAT_HEADER.index("location")] = "leaky.person@example.com"  # a 'keep' column
    (published.parent / "raw" / "statistics.csv").write_text(csv_text(STAT_HEADER, rows))
    code, out = run(published, capsys)
    assert code == 1, out
    assert "events" in out and "location_code" in out and "pattern:email" in out
    assert "leaky.person" not in out
    assert (release.resolve(), tree_hash(release)) == before
    review = published.parent / "out/review/testville/FY2025"
    report = (review / "steward_report.html").read_text()
    assert "not published" in report and "leaky.person" not in report
    for f in review.rglob("*"):
        if f.is_file():
            assert b"leaky.person" not in f.read_bytes(), f


def test_exact_match_scan_catches_an_identifier_in_a_kept_column(published, capsys):
    rows = stat_rows()
    # A borrower's surname ends up in the shelving location: not a pattern, but a raw value.
    rows[0][STAT_HEADER.index("location")] = "Testperson3"
    (published.parent / "raw" / "statistics.csv").write_text(csv_text(STAT_HEADER, rows))
    code, out = run(published, capsys)
    assert code == 1 and "exact_match" in out and "Testperson3" not in out


def test_exact_match_scan_reads_identifiers_kept_only_in_their_staged_form(published, capsys):
    # Item and patron ids are stored once, trimmed, as the staged columns the events use; the
    # scan must still know them: a padded item number copied into the shelving location.
    rows = stat_rows()
    rows[0][STAT_HEADER.index("itemnumber")] = "  7654321 "
    rows[1][STAT_HEADER.index("location")] = "shelf 7654321"
    (published.parent / "raw" / "statistics.csv").write_text(csv_text(STAT_HEADER, rows))
    code, out = run(published, capsys)
    assert code == 1 and "exact_match" in out and "location_code" in out
    assert "stats.itemnumber" in out and "7654321" not in out


def _all_output_bytes(root: Path) -> bytes:
    out = b""
    for f in sorted(root.rglob("*")):
        if f.is_file() and f.suffix != ".duckdb":
            out += f.read_bytes()
    return out


# Identifiers get a marker prefix so that Hypothesis cannot pick an ordinary word that the
# outputs legitimately contain as a column name ("suppressed", "fiscal"...): that would be a
# false alarm of this test, not a leak.
names = st.from_regex(r"Qx[A-Za-z]{5,10}", fullmatch=True)


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(surname=names, card=st.from_regex(r"2[0-9]{13}", fullmatch=True),
       local=st.from_regex(r"qx[a-z0-9]{5,10}", fullmatch=True))
def test_property_no_raw_identifier_appears_in_any_output(tmp_path_factory, test_key, surname,
                                                          card, local):
    base = tmp_path_factory.mktemp("prop")
    (base / "raw").mkdir()
    rows = borrower_rows()
    rows[0][1], rows[0][2], rows[0][4] = card, surname, f"{local}@example.org"
    rows[1][-1] = f"Ask {surname} about card {card}"
    (base / "raw" / "borrowers.csv").write_text(csv_text(BORROWER_HEADER, rows))
    (base / "raw" / "statistics.csv").write_text(csv_text(STAT_HEADER, stat_rows()))
    (base / "library.toml").write_text(CONFIG)
    assert main(["run", str(base / "library.toml"), "--period", "FY2025", "-q"]) == 0
    blob = _all_output_bytes(base / "out")
    for value in (surname, card, local):
        assert value.encode() not in blob


GENERIC = '''
[library]
name = "Follett Test School-Public Library"
slug = "destinytest"
fiscal_year_start = "01-01"

[key]
env = "LIBSTATS_TEST_KEY"

[[branches]]
code = "HS"
name = "High Street"
aliases = ["High Street Library"]

[material_types]
book = ["Book"]

[[sources]]
name = "destiny"
kind = "circulation"
format = "csv"
path = "destiny.csv"
timestamp_format = "%m/%d/%Y"
columns = { "Checkout Date" = "generalize:day", "Site" = "keep", "Patron Barcode" = "token:destiny_patron", "Patron Name" = "drop", "Material Type" = "keep", "Transaction" = "keep" }

[sources.mapping]
event_ts = "Checkout Date"
branch = "Site"
patron_id = "Patron Barcode"
item_type = "Material Type"
event_code = "Transaction"
event_codes = { "Checkout" = "checkout", "Renewal" = "renewal" }
'''


def test_generic_csv_source_with_roles_from_the_config(tmp_path, test_key, capsys):
    rows = [[f"03/{1 + i % 28:02d}/2025", "High Street Library", f"2999900000{i % 3:04d}",
             f"Pupil Number{i % 3}", "Book", "Checkout" if i < 14 else "Renewal"]
            for i in range(20)]
    (tmp_path / "destiny.csv").write_text(csv_text(
        ["Checkout Date", "Site", "Patron Barcode", "Patron Name", "Material Type",
         "Transaction"], rows))
    (tmp_path / "library.toml").write_text(GENERIC)
    code = main(["run", str(tmp_path / "library.toml"), "--period", "FY2025", "-q"])
    out = capsys.readouterr()
    assert code == 0, out.err
    circ = pd.read_csv(tmp_path / "out/published/destinytest/FY2025/tables/"
                       "pub_circulation__branch_month_material.csv", dtype=str,
                       keep_default_na=False)
    assert cell(circ, month="2025-03", branch_code="HS", material_type="book",
                audience="adult", measure="checkouts") == ("14", "false")
    assert cell(circ, month="2025-03", branch_code="HS", material_type="book",
                audience="adult", measure="renewals") == ("", "true")
    blob = _all_output_bytes(tmp_path / "out")
    assert b"Pupil Number" not in blob and b"29999000000001" not in blob
