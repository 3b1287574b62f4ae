"""Conformance of the other ILSs (Evergreen, Polaris, Symphony, Destiny): every case is read
through libstats' real CSV/XLSX reader and the circulation staging SQL (the same select list
the pipeline evaluates while reading), and its events per (branch, local day, type) compared
with expected.json, which was worked out by hand and is re-derived here by a minimal reader
written without libstats (csv module, datetime, openpyxl).
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import duckdb
import pytest

from libstats.config.model import Source
from libstats.errors import ConfigError, InputError
from libstats.profiles.ils_vendors import ILS_VENDOR_PROFILES
from libstats.profiles.resolve import resolve
from libstats.readers import csv as csv_reader
from pipelines.circulation import _staged_source
from transforms import mappings
from transforms.circulation import stg_circ_columns

HERE = Path(__file__).parent
# case -> (file, format, delimiter, library time zone)
CASES = {
    "evergreen_circulation_psql": ("action_circulation.csv", "evergreen_circulation", ",",
                                   "America/New_York"),
    "evergreen_circulation_pgadmin": ("action_circulation.csv", "evergreen_circulation", ",",
                                      "America/New_York"),
    "evergreen_aged_circulation": ("aged_circulation.csv", "evergreen_aged_circulation", ",",
                                   "America/New_York"),
    "polaris_transactions_pivot": ("transactions.csv", "polaris_transactions", ",",
                                   "America/Chicago"),
    "polaris_transactions_ssms_null": ("transactions.csv", "polaris_transactions", ",",
                                       "America/Chicago"),
    "symphony_circ_history_pipe": ("circ_history.txt", "symphony_circ_history", "|",
                                   "America/Denver"),
    "destiny_circulation_csv": ("circulation.csv", "destiny_circulation", ",",
                                "America/New_York"),
    "destiny_circulation_xlsx": ("circulation.xlsx", "destiny_circulation", ",",
                                 "America/New_York"),
}


# --- the independent mini-reader -------------------------------------------------------------

def _records(path: Path, delimiter: str):
    if path.suffix == ".xlsx":
        import openpyxl
        ws = openpyxl.load_workbook(path, read_only=True, data_only=True).worksheets[0]
        rows = list(ws.iter_rows(values_only=True))
        return [dict(zip(rows[0], r)) for r in rows[1:]]
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def _pg_time(raw: str) -> datetime:
    """psql timestamptz: '2024-07-02 10:15:00.123456-04' / '+00'."""
    return datetime.fromisoformat(raw + ":00" if raw[-3] in "+-" else raw)


def _event(fmt: str, rec: dict, tz: ZoneInfo) -> tuple[str, datetime, str | None]:
    """(branch, local time, event type) of one record, per the vendor's documentation."""
    if fmt.startswith("evergreen"):
        renewed = any(rec[f] in ("t", "true") for f in ("phone_renewal", "desk_renewal", "opac_renewal",
                                              "auto_renewal"))
        return (rec["circ_lib"], _pg_time(rec["xact_start"]).astimezone(tz),
                "renewal" if renewed else "checkout")
    if fmt == "polaris_transactions":
        t = datetime.strptime(rec["TranClientDate"], "%Y-%m-%d %H:%M:%S.%f")
        rec = {k: "" if v == "NULL" else v for k, v in rec.items()}     # SSMS's NULL text
        typ = {"6001": "renewal" if rec["Renewal"] else "checkout",
               "6002": "in_library_use" if rec["CheckInTypeID"] in ("6", "56") else "checkin"}
        return rec["OrganizationID"], t, typ.get(rec["TransactionTypeID"])
    if fmt == "symphony_circ_history":
        t = datetime.strptime(rec["Transaction Date"], "%Y%m%d%H%M%S")
        typ = {"CV": "checkout", "Charge Item": "checkout", "RV": "renewal",
               "Renew Item": "renewal", "EV": "checkin", "Discharge Item": "checkin"}
        return rec["Station Library"], t, typ.get(rec["Transaction"])
    t = rec["Transaction Date"]
    if isinstance(t, str):
        t = datetime.strptime(t, "%m/%d/%Y %I:%M %p")
    typ = {"Checkout": "checkout", "Renewal": "renewal", "Checkin": "checkin",
           "In-Library Use": "in_library_use"}
    return rec["Site"], t, typ.get(rec["Transaction Type"])


def mini_reader(case: str) -> dict[str, int]:
    fname, fmt, delim, tz = CASES[case]
    out = Counter()
    for rec in _records(HERE / case / fname, delim):
        branch, t, typ = _event(fmt, rec, ZoneInfo(tz))
        if typ:
            out[f"{branch}|{t.date().isoformat()}|{typ}"] += 1
    return dict(out)


# --- through libstats ------------------------------------------------------------------------

def _resolved(case: str, fmt: str | None = None, delimiter: str | None = None, **extra):
    fname, f, delim, _ = CASES.get(case, (None, fmt, delimiter or ",", None))
    return resolve(Source(name="s", kind="circulation", format=fmt or f, path="x",
                          delimiter=delimiter or delim, **extra), HERE / "libstats.toml")


def staged_figures(case: str, tmp_path: Path, path: Path | None = None) -> dict[str, int]:
    fname, fmt, delim, tz = CASES[case]
    r = _resolved(case)
    config = SimpleNamespace(timezone=tz)

    def computed(header):
        s = _staged_source(r, header, config)
        sql = stg_circ_columns(s, tz, event_type=lambda c: mappings.event_type_sql(r, c),
                               branch_code=lambda b: b)
        return sql, [c for c in header if r.scanned(c)], {}

    con = duckdb.connect()
    ing = csv_reader.load_source(con, r, [path or HERE / case / fname], tmp_path,
                                 computed=computed)
    rows = con.execute(f"SELECT __branch_code, CAST(__event_date AS VARCHAR), __event_type, "
                       f"count(*) FROM {ing.table} WHERE __event_type IS NOT NULL "
                       f"GROUP BY ALL").fetchall()
    nulls = con.execute(f"SELECT count(*) FROM {ing.table} WHERE __event_date IS NULL"
                        ).fetchone()[0]
    assert nulls == 0, "a timestamp did not parse"
    return {f"{b}|{d}|{t}": n for b, d, t, n in rows}


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_figures(case, tmp_path):
    expected = json.loads((HERE / case / "expected.json").read_text())["events"]
    assert mini_reader(case) == expected
    assert staged_figures(case, tmp_path) == expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_column_classified(case):
    fname, fmt, delim, _ = CASES[case]
    header = list(_records(HERE / case / fname, delim)[0])
    profile = ILS_VENDOR_PROFILES[fmt]
    assert [c for c in header if c not in profile.columns] == []


def test_evergreen_schema_columns():
    """Every column of both tables as 090.schema.action.sql declares them (SOURCE.md)."""
    listed = (HERE / "evergreen_circulation_psql" / "schema_columns.txt").read_text().split()
    circ = ILS_VENDOR_PROFILES["evergreen_circulation"].columns
    aged = ILS_VENDOR_PROFILES["evergreen_aged_circulation"].columns
    legacy = {"recuring_fine", "recuring_fine_rule"}        # before upgrade 0085
    assert set(listed) == set(circ) - legacy
    aged_listed = ["usr_post_code", "usr_home_ou", "usr_profile", "usr_birth_year",
                   "copy_call_number", "copy_owning_lib", "copy_circ_lib", "copy_bib_record",
                   *(c for c in listed if c != "usr")]
    assert set(aged_listed) == set(aged) - legacy
    for col in ("usr_post_code", "usr_birth_year", "usr_home_ou"):
        assert aged[col].role == "drop" and aged[col].identifier


def test_symphony_pin_never_passes():
    r = _resolved("symphony_circ_history_pipe")
    assert r.roles["User PIN"] == "drop" and r.scanned("User PIN")
    assert "User PIN" not in r.fields.values()
    for role in ("keep", "token", "token:symphony_patron", "generalize:day"):
        with pytest.raises(ConfigError) as exc:
            _resolved("symphony_circ_history_pipe", columns={"User PIN": role})
        assert "cannot honour role" in str(exc.value)


def test_symphony_unknown_column_stops(tmp_path):
    path = HERE / "symphony_unknown_column" / "circ_history.txt"
    r = _resolved(None, "symphony_circ_history", "|")
    with pytest.raises(InputError) as exc:
        csv_reader.load_source(duckdb.connect(), r, [path], tmp_path)
    msg = str(exc.value)
    assert "circ_history.txt" in msg and "line 1" in msg, msg
    assert ("unclassified column: the 'symphony_circ_history' profile does not know "
            "'User Email' (field 15)") in msg, msg
    assert "example.org" not in msg


def test_xlsx_refused_by_a_csv_only_format(tmp_path):
    path = HERE / "destiny_circulation_xlsx" / "circulation.xlsx"
    r = _resolved(None, "symphony_circ_history", "|")
    with pytest.raises(InputError) as exc:
        csv_reader.load_source(duckdb.connect(), r, [path], tmp_path)
    assert "circulation.xlsx" in str(exc.value)
    assert "is an .xlsx workbook; the 'symphony_circ_history' format is read as CSV" in \
        str(exc.value)


def test_damaged_xlsx_stops(tmp_path):
    bad = tmp_path / "circulation.xlsx"
    bad.write_bytes(b"PK\x03\x04 not a workbook")
    r = _resolved("destiny_circulation_xlsx")
    with pytest.raises(InputError) as exc:
        csv_reader.load_source(duckdb.connect(), r, [bad], tmp_path)
    assert "cannot be read as an Excel workbook" in str(exc.value)


def test_xlsx_bad_row_named_by_sheet_row(tmp_path):
    """A value the timestamp parser cannot read is reported at its sheet row and column."""
    import openpyxl
    wb = openpyxl.load_workbook(HERE / "destiny_circulation_xlsx" / "circulation.xlsx")
    wb.worksheets[0]["B4"] = "not a date"
    path = tmp_path / "circulation.xlsx"
    wb.save(path)
    from libstats.readers.values import check_staged_events
    from transforms.circulation import stg_circ_events
    case = "destiny_circulation_xlsx"
    r = _resolved(case)
    config = SimpleNamespace(timezone="America/New_York")

    def computed(header):
        s = _staged_source(r, header, config)
        return (stg_circ_columns(s, "America/New_York",
                                 event_type=lambda c: mappings.event_type_sql(r, c),
                                 branch_code=lambda b: b),
                [c for c in header if r.scanned(c)], {})

    con = duckdb.connect()
    ing = csv_reader.load_source(con, r, [path], tmp_path, computed=computed)
    s = _staged_source(r, ing.header, config)
    con.execute(f"CREATE VIEW stg AS {stg_circ_events(s)}")
    with pytest.raises(InputError) as exc:
        check_staged_events(con, ing, "stg", s.fields["event_ts"], s.fields["branch"])
    msg = str(exc.value)
    assert "circulation.xlsx" in msg and "line 4" in msg and "Transaction Date" in msg, msg
    assert "not a date" not in msg


def test_symphony_pin_values_feed_the_exact_match_scan(tmp_path):
    """The PIN column is kept in the raw zone only so that the exact-match scan looks for its
    values: a PIN that reached a published string column fails the run's check."""
    from expectations.leakscan import ScanTarget, scan_exact
    from pipelines.verify import identifiers_sql
    case = "symphony_circ_history_pipe"
    fname, _, _, tz = CASES[case]
    r = _resolved(case)
    config = SimpleNamespace(timezone=tz)

    def computed(header):
        s = _staged_source(r, header, config)
        return (stg_circ_columns(s, tz, event_type=lambda c: mappings.event_type_sql(r, c),
                                 branch_code=lambda b: b),
                [c for c in header if r.scanned(c)], {})

    con = duckdb.connect()
    ing = csv_reader.load_source(con, r, [HERE / case / fname], tmp_path, computed=computed)
    ids = con.execute(f"SELECT value FROM ({identifiers_sql([ing], ())}) "
                      f"WHERE column_name = 'User PIN'").fetchall()
    assert sorted(v for (v,) in ids) == ["0000", "1111", "2222"]
    con.execute(f"CREATE VIEW ids AS {identifiers_sql([ing], ())}")
    con.execute("CREATE TABLE leaky AS SELECT * FROM (VALUES ('MAIN'), ('1111')) t(location)")
    con.execute("CREATE TABLE clean AS SELECT * FROM (VALUES ('MAIN'), ('EAST')) t(location)")
    got = {c.table: c.passed for c in scan_exact(
        con, "ids", [ScanTarget("published", "leaky", "leaky"),
                     ScanTarget("published", "clean", "clean")])}
    assert got == {"leaky": False, "clean": True}


def test_polaris_null_text_is_no_patron(tmp_path):
    """SSMS's NULL text is no value: the in-house use without a patron has no patron id."""
    case = "polaris_transactions_ssms_null"
    fname, _, _, tz = CASES[case]
    r = _resolved(case)
    config = SimpleNamespace(timezone=tz)

    def computed(header):
        s = _staged_source(r, header, config)
        return (stg_circ_columns(s, tz, event_type=lambda c: mappings.event_type_sql(r, c),
                                 branch_code=lambda b: b),
                [c for c in header if r.scanned(c)], {})

    con = duckdb.connect()
    ing = csv_reader.load_source(con, r, [HERE / case / fname], tmp_path, computed=computed)
    got = con.execute(f"SELECT count(*) FILTER (WHERE __patron_id IS NULL), "
                      f"count(*) FILTER (WHERE upper(__patron_id) = 'NULL') FROM {ing.table}"
                      ).fetchone()
    assert got == (1, 0)
