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


# --- whole-file cases: staged figures (events per branch, day, type) --------------------------

import csv  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from libstats.profiles.circulation import KOHA_STATISTICS  # noqa: E402
from libstats.sql import lit  # noqa: E402
from transforms.circulation import stg_circ_columns  # noqa: E402

HERE = Path(__file__).parent
# case -> (file, profile, timestamp column, branch column, code column, library tz)
FILE_CASES = {
    "sierra_circ_trans_psql": ("circ_trans.csv", SIERRA_CIRC_TRANS, "transaction_gmt",
                               "stat_group_code_num", "op_code", "America/New_York"),
    "sierra_circ_trans_pgadmin": ("circ_trans.csv", SIERRA_CIRC_TRANS, "transaction_gmt",
                                  "stat_group_code_num", "op_code", "America/New_York"),
    "koha_statistics_iso": ("statistics.csv", KOHA_STATISTICS, "datetime", "branch", "type",
                            "Europe/Berlin"),
}
# Worked out by hand (see each SOURCE.md).
HAND = {
    "sierra_circ_trans_psql": {("10", "2024-07-02", "checkout"): 2,
                               ("10", "2024-07-03", "checkin"): 1,
                               ("20", "2024-07-03", "renewal"): 1,
                               ("20", "2024-07-02", "checkout"): 1},
    "koha_statistics_iso": {("CPL", "2024-07-02", "checkout"): 2,
                            ("CPL", "2024-07-03", "renewal"): 1,
                            ("MPL", "2024-07-03", "checkin"): 1,
                            ("MPL", "2024-07-03", "in_library_use"): 1,
                            ("MPL", "2024-07-03", "checkout"): 1},
}
HAND["sierra_circ_trans_pgadmin"] = HAND["sierra_circ_trans_psql"]
_SIERRA = ("circ_trans.csv", SIERRA_CIRC_TRANS, "transaction_gmt", "stat_group_code_num",
           "op_code", "America/New_York")
_KOHA = ("statistics.csv", KOHA_STATISTICS, "datetime", "branch", "type", "Europe/Berlin")
FILE_CASES.update({"sierra_dst_fallback": _SIERRA, "sierra_iso_z": _SIERRA,
                   "koha_statistics_winter_z": _KOHA, "koha_statistics_minutes": _KOHA,
                   "koha_statistics_legacy_columns": _KOHA,
                   "koha_statistics_2205_header": _KOHA})
HAND.update({
    "sierra_dst_fallback": {("10", "2024-11-03", "checkout"): 2,
                            ("10", "2024-11-03", "checkin"): 1,
                            ("10", "2024-11-04", "checkin"): 1},
    "sierra_iso_z": {("10", "2024-07-01", "checkout"): 1, ("10", "2024-07-02", "checkout"): 1,
                     ("30", "2024-07-02", "in_library_use"): 1},
    "koha_statistics_winter_z": {("CPL", "2024-01-15", "checkout"): 1,
                                 ("CPL", "2024-01-16", "checkout"): 1,
                                 ("CPL", "2024-01-16", "checkin"): 1},
    "koha_statistics_minutes": {("CPL", "2024-07-02", "checkout"): 1,
                                ("CPL", "2024-07-02", "renewal"): 1,
                                ("CPL", "2024-07-03", "renewal"): 1},
    "koha_statistics_legacy_columns": {("MPL", "2024-07-02", "checkout"): 2},
    "koha_statistics_2205_header": {("FPL", "2022-06-01", "checkout"): 1,
                                    ("FPL", "2022-06-01", "in_library_use"): 1,
                                    ("FPL", "2022-06-01", "checkin"): 1},
})


def mini_reader(path: Path, profile, ts_col, branch_col, code_col, library_tz) -> Counter:
    """Independent of libstats' readers: csv module + datetime.fromisoformat."""
    out = Counter()
    src_tz = ZoneInfo(profile.timezone or library_tz)
    with path.open(newline="", encoding="utf-8") as f:
        for rec in csv.DictReader(f):
            raw = rec[ts_col].replace("Z", "+00:00")
            if raw[-3] in "+-" and raw[-6] != ":" and raw[-5] not in "+-":
                raw += ":00"                                   # psql '-04'
            elif raw[-5] in "+-":
                raw = raw[:-2] + ":" + raw[-2:]                # '+0200'
            t = datetime.fromisoformat(raw)
            t = t.replace(tzinfo=src_tz) if t.tzinfo is None else t
            day = t.astimezone(ZoneInfo(library_tz)).date().isoformat()
            out[(rec[branch_col], day, profile.event_codes[rec[code_col]])] += 1
    return out


@pytest.mark.parametrize("case", sorted(FILE_CASES))
def test_file_case_figures(case):
    fname, profile, ts_col, branch_col, code_col, library_tz = FILE_CASES[case]
    path = HERE / case / fname
    expected = mini_reader(path, profile, ts_col, branch_col, code_col, library_tz)
    assert dict(expected) == HAND[case]
    with path.open(newline="", encoding="utf-8") as f:
        present = next(csv.reader(f))
    fields = {c.field: name for name, c in profile.columns.items() if c.field and name in present}
    src = StagedSource(name=case, table="raw", fields=fields,
                       timezone=profile.timezone or library_tz, domains={},
                       timestamp_formats=DEFAULT_TIMESTAMP_FORMATS,
                       date_formats=DEFAULT_DATE_FORMATS)
    con = duckdb.connect()
    con.execute(f"CREATE TABLE raw AS SELECT * FROM read_csv({lit(str(path))}, header=true, "
                f"all_varchar=true)")
    header = [r[0] for r in con.execute("DESCRIBE raw").fetchall()]
    assert [c for c in header if c not in profile.columns] == []   # nothing unknown
    cases = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in profile.event_codes.items())
    cols = stg_circ_columns(src, library_tz, event_type=lambda e: f"CASE {e} {cases} END",
                            branch_code=lambda b: b)
    got = con.execute(f"SELECT __branch_code, CAST(__event_date AS VARCHAR), __event_type, "
                      f"count(*) FROM (SELECT {cols} FROM raw) GROUP BY ALL").fetchall()
    assert {(b, d, t): n for b, d, t, n in got} == HAND[case]


# --- headers through libstats' real CSV header reader ----------------------------------------

from libstats.config.model import Source  # noqa: E402
from libstats.errors import InputError  # noqa: E402
from libstats.profiles.resolve import resolve  # noqa: E402
from libstats.readers.csv import _read_header  # noqa: E402


def _header_of(path: Path, fmt: str, kind: str) -> list[str]:
    resolved = resolve(Source(name="s", kind=kind, format=fmt, path=path.name),
                       HERE / "libstats.toml")
    return _read_header(path, resolved, path.read_bytes()[:65536])


@pytest.mark.parametrize("case,fname,fmt,kind", [
    ("koha_borrowers_23x", "header.txt", "koha_borrowers", "patrons"),
    ("koha_items_schema", "header.txt", "koha_items", "items"),
    ("sierra_circ_trans_psql", "circ_trans.csv", "sierra_circ_trans", "circulation"),
    ("sierra_circ_trans_pgadmin", "circ_trans.csv", "sierra_circ_trans", "circulation"),
    ("koha_statistics_legacy_columns", "statistics.csv", "koha_statistics", "circulation"),
    ("koha_statistics_2205_header", "statistics.csv", "koha_statistics", "circulation"),
])
def test_header_accepted_by_reader(case, fname, fmt, kind):
    path = HERE / case / fname
    assert _header_of(path, fmt, kind) == path.read_text().splitlines()[0].replace('"', "").split(",")


def test_unknown_column_stops():
    path = HERE / "koha_items_unknown_column" / "items.csv"
    with pytest.raises(InputError) as exc:
        _header_of(path, "koha_items", "items")
    msg = str(exc.value)
    assert "items.csv" in msg and "line 1" in msg and "'test_unknown_col'" in msg, msg
    # wording since d80174d (one error listing every unknown column, with its position)
    assert ("unclassified column: the 'koha_items' profile does not know 'test_unknown_col' "
            "(field 50)") in msg, msg
    assert "give each a role under [[sources]] columns" in msg, msg
