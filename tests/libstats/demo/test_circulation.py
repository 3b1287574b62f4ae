"""Tests for the demo generator: determinism, shapes and the hazards the pipeline must handle."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from libstats.demo.common import barcode_check_digit, make_barcode
from libstats.demo.generate import DEFAULT_SEED, generate_demo

SEED = 20250701
OTHER_SEED = 7
REPO = Path(__file__).resolve().parents[3]
LOCAL = ZoneInfo("America/New_York")
AS_OF = date(2025, 6, 30)

EXPECTED_FILES = {
    "koha_statistics": "koha/statistics.csv",
    "koha_borrowers": "koha/borrowers.csv",
    "koha_items": "koha/items.csv",
    "sierra_circ_trans": "sierra/circ_trans.csv",
}
HEADERS = {
    "koha/statistics.csv": (
        "datetime,branch,value,type,other,itemnumber,itemtype,location,borrowernumber,ccode,"
        "categorycode,interface"),
    "koha/borrowers.csv": (
        "borrowernumber,cardnumber,surname,firstname,title,othernames,initials,streetnumber,"
        "address,address2,city,state,zipcode,country,email,phone,mobile,dateofbirth,branchcode,"
        "categorycode,dateenrolled,dateexpiry,date_renewed,gonenoaddress,lost,debarred,"
        "debarredcomment,borrowernotes,sex,userid,opacnote,sort1,sort2,privacy,lastseen,"
        "anonymized,smsalertnumber,lang,primary_contact_method"),
    "koha/items.csv": (
        "itemnumber,biblionumber,barcode,dateaccessioned,homebranch,holdingbranch,location,"
        "permanent_location,itype,ccode,itemcallnumber,itemnotes,itemnotes_nonpublic,notforloan,"
        "itemlost,withdrawn,issues,renewals,datelastborrowed,datelastseen,price,"
        "replacementprice,timestamp"),
    "sierra/circ_trans.csv": (
        "id,transaction_gmt,application_name,source_code,op_code,patron_record_id,"
        "item_record_id,volume_record_id,bib_record_id,stat_group_code_num,due_date_gmt,"
        "count_type_code_num,itype_code_num,item_location_code,ptype_code,"
        "patron_home_library_code,patron_agency_code_num,pcode1,pcode2,pcode3,pcode4,"
        "postal_code,loanrule_code_num"),
}
ENCODING = {"koha/borrowers.csv": "cp1252"}

EMAIL_RE = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
PHONE_RE = re.compile(r"(?:\(\d{3}\) |\d{3}-|\+1 \d{3} )(\d{3})[- ](\d{4})")


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _read(root: Path, rel: str) -> list[dict[str, str]]:
    text = (root / rel).read_bytes().decode(ENCODING.get(rel, "utf-8"))
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture(scope="module")
def demo(demo_exports) -> tuple[Path, dict]:
    """The session's exports (tests/conftest.py), made with the default seed, which is SEED."""
    assert DEFAULT_SEED == SEED
    return demo_exports


@pytest.fixture(scope="module")
def data(demo) -> dict[str, list[dict[str, str]]]:
    root, _ = demo
    return {rel: _read(root, rel) for rel in HEADERS}


# ------------------------------------------------------------------------------ determinism
def test_same_seed_is_byte_identical_and_cli_works(demo, tmp_path):
    root, summary = demo
    other = tmp_path / "raw_b"
    proc = subprocess.run([sys.executable, "-m", "libstats.demo.generate", str(other),
                           "--seed", str(SEED)], cwd=REPO, capture_output=True, text=True,
                          check=True)
    assert '"koha_statistics"' in proc.stdout
    a, b = _hashes(root), _hashes(other)
    # The ILS exports; the Wi-Fi logs, e-resource logs and the services' exports have their
    # own tests (test_wifi_generate.py, test_eresources*.py, test_services.py).
    assert {k for k in a if not k.startswith(("wifi/", "eresources/", "services/"))} == \
        set(HEADERS)
    assert a == b


def test_different_seed_differs(demo, tmp_path):
    root, summary = demo
    other_summary = generate_demo(tmp_path, seed=OTHER_SEED)
    a, b = _hashes(root), _hashes(tmp_path)
    assert set(a) == set(b)
    assert all(a[f] != b[f] for f in a)
    assert other_summary["rows"] != summary["rows"] or a != b


# ------------------------------------------------------------------------------ shapes
def test_summary_and_row_counts(demo, data):
    root, summary = demo
    assert summary["seed"] == SEED
    assert summary["files"] == EXPECTED_FILES
    for name, rel in summary["files"].items():
        assert (root / rel).is_file()
        assert summary["rows"][name] == len(data[rel])
    assert 4_500 <= len(data["koha/borrowers.csv"]) <= 5_500
    assert 6_000 <= len(data["koha/items.csv"]) <= 10_000
    n_stat, n_sierra = len(data["koha/statistics.csv"]), len(data["sierra/circ_trans.csv"])
    assert 180_000 <= n_stat + n_sierra <= 220_000
    assert summary["total_transactions"] == n_stat + n_sierra
    assert 40_000 <= n_sierra <= 70_000


@pytest.mark.parametrize("rel", sorted(HEADERS))
def test_headers_and_line_endings(demo, rel):
    root, _ = demo
    raw = (root / rel).read_bytes()
    assert b"\r" not in raw
    assert raw.endswith(b"\n")
    assert raw.split(b"\n", 1)[0].decode("ascii") == HEADERS[rel]


def test_check_digit():
    assert barcode_check_digit("2123400010002") == 4          # worked by hand
    assert make_barcode("2", 10002) == "21234000100024"
    assert make_barcode("3", 1).startswith("31234") and len(make_barcode("3", 1)) == 14


# ------------------------------------------------------------------------------ borrowers
def test_borrowers_are_cp1252(demo, data):
    root, _ = demo
    raw = (root / "koha/borrowers.csv").read_bytes()
    text = raw.decode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert any(0x80 <= b <= 0x9F for b in raw)
    assert any(ch in text for ch in "ŠŽœ’")
    for name in ("José", "Zoë", "François", "Müller", "O’Brien"):
        assert name in text


def test_contacts_are_fictional(data):
    rows = data["koha/borrowers.csv"]
    emails = [r["email"] for r in rows if r["email"]]
    assert len(emails) > 0.7 * len(rows)
    for r in rows:
        for col in ("email", "borrowernotes", "opacnote", "debarredcomment"):
            for m in EMAIL_RE.finditer(r[col]):
                assert m.group(1) in {"example.com", "example.org", "example.net"}
        for col in ("phone", "mobile", "borrowernotes", "opacnote", "debarredcomment"):
            for m in PHONE_RE.finditer(r[col]):
                assert m.group(1) == "555" and m.group(2).startswith("01")
    for r in data["koha/statistics.csv"]:
        for m in EMAIL_RE.finditer(r["other"]):
            assert m.group(1) in {"example.com", "example.org", "example.net"}


def test_free_text_hazards(data):
    rows = data["koha/borrowers.csv"]
    notes = [r[c] for r in rows for c in ("borrowernotes", "opacnote", "debarredcomment")]
    assert sum(bool(EMAIL_RE.search(n)) for n in notes) >= 20
    assert sum(bool(PHONE_RE.search(n)) for n in notes) >= 20
    assert any("\n" in n for n in notes)
    assert any(re.search(r"\b2\d{13}\b", n) for n in notes)         # old card numbers
    other = [r["other"] for r in data["koha/statistics.csv"] if r["other"]]
    assert 0.01 <= len(other) / len(data["koha/statistics.csv"]) <= 0.03
    assert any(PHONE_RE.search(o) or EMAIL_RE.search(o) for o in other)
    items = data["koha/items.csv"]
    assert any(r["itemnotes"].startswith("Donated by ") for r in items)
    assert any(EMAIL_RE.search(r["itemnotes_nonpublic"]) for r in items)


def _age(dob: str) -> int:
    d = date.fromisoformat(dob)
    return AS_OF.year - d.year - ((AS_OF.month, AS_OF.day) < (d.month, d.day))


def test_one_patron_aged_97_alone_in_zip(data):
    rows = data["koha/borrowers.csv"]
    ages = [(_age(r["dateofbirth"]), r) for r in rows if r["dateofbirth"]]
    assert max(a for a, _ in ages) == 97
    elders = [r for a, r in ages if a == 97]
    assert len(elders) == 1
    zips = Counter(r["zipcode"] for r in rows)
    assert zips[elders[0]["zipcode"]] == 1
    assert min(a for a, _ in ages) >= 0
    assert 0.02 <= sum(not r["dateofbirth"] for r in rows) / len(rows) <= 0.05


def test_categories_privacy_and_activity(data):
    rows = data["koha/borrowers.csv"]
    cats = Counter(r["categorycode"] for r in rows)
    assert set(cats) == {"PT", "J", "YA", "SR", "ST", "ILLLIB"}
    assert 15 <= cats["ST"] <= 25 and 3 <= cats["ILLLIB"] <= 10
    for r in rows:
        if r["dateofbirth"] and r["categorycode"] in ("J", "YA", "SR"):
            a = _age(r["dateofbirth"])
            assert {"J": a < 12, "YA": 12 <= a < 18, "SR": a >= 65}[r["categorycode"]]
    privacy = Counter(r["privacy"] for r in rows)
    assert set(privacy) == {"0", "1", "2"}
    assert 0.15 <= privacy["0"] / len(rows) <= 0.25
    home = Counter(r["branchcode"] for r in rows)
    assert home["CEN"] > home["NOR"] > home["EAS"] > 0
    seen = [r["lastseen"] for r in rows]
    old = sum(bool(s) and s < "2022-06-30" for s in seen)
    assert 0.05 <= old / len(rows) <= 0.12
    assert any(not s for s in seen)
    new = [r["dateenrolled"] for r in rows if "2024-07-01" <= r["dateenrolled"] <= "2025-06-30"]
    assert 0.07 <= len(new) / len(rows) <= 0.13
    assert len({d[:7] for d in new}) == 12
    assert all(r["dateenrolled"] <= "2025-06-30" for r in rows)
    for r in rows:
        if r["dateofbirth"]:
            assert r["dateofbirth"] <= r["dateenrolled"]
        if r["lastseen"]:
            assert r["lastseen"][:10] >= r["dateenrolled"]


def test_patron_barcodes(data):
    cards = [r["cardnumber"] for r in data["koha/borrowers.csv"]]
    assert len(set(cards)) == len(cards)
    legacy = [c for c in cards if len(c) == 8]
    assert 1 <= len(legacy) <= 0.03 * len(cards)
    for c in cards:
        assert c.isdigit()
        if len(c) != 8:
            assert len(c) == 14 and c.startswith("21234")
            assert int(c[-1]) == barcode_check_digit(c[:13])
    userids = [r["userid"] for r in data["koha/borrowers.csv"]]
    assert len(set(userids)) == len(userids)


# ------------------------------------------------------------------------------ items
def test_items(data):
    items = data["koha/items.csv"]
    for r in items:
        b = r["barcode"]
        assert len(b) == 14 and b.startswith("31234") and int(b[-1]) == barcode_check_digit(b[:13])
    allowed = {"BK": {"AFIC", "ANF", "YAFIC", "YANF"}, "JBK": {"JFIC", "JNF", "EASY"},
               "AB": {"MEDIA"}, "DVD": {"MEDIA"}, "JDVD": {"MEDIA"}, "MAG": {"PER"},
               "KIT": {"LOT"}, "HOTSPOT": {"LOT"}, "ILL": {"AFIC", "ANF"}}
    for r in items:
        assert r["ccode"] in allowed[r["itype"]]
        assert r["location"] in {"GEN", "CHILD", "TEEN", "AV", "REF", "DISPLAY"}
    itypes = Counter(r["itype"] for r in items)
    assert set(itypes) == set(allowed)
    assert itypes["JBK"] > 0 and itypes["JDVD"] > 0
    assert any(r["ccode"] in ("YAFIC", "YANF") for r in items)
    assert itypes["KIT"] < 100 and itypes["HOTSPOT"] < 50
    ill = [r for r in items if r["itype"] == "ILL"]
    assert all(r["homebranch"] == "CEN" for r in ill)
    assert all(r["dateaccessioned"] >= "2024-10-01" for r in ill)
    assert [int(r["itemnumber"]) for r in items] == list(range(1, len(items) + 1))


# ------------------------------------------------------------------------------ koha statistics
def test_statistics(data):
    rows = data["koha/statistics.csv"]
    stamps = [r["datetime"] for r in rows]
    assert stamps == sorted(stamps)
    assert stamps[0] >= "2024-10-01 00:00:00" and stamps[-1] <= "2025-06-30 23:59:59"
    for s in stamps[:: 50]:
        assert 9 <= datetime.strptime(s, "%Y-%m-%d %H:%M:%S").hour <= 20
    types = Counter(r["type"] for r in rows)
    assert set(types) == {"issue", "renew", "return", "localuse", "payment", "writeoff"}
    n = len(rows)
    assert 0.50 <= types["issue"] / n <= 0.60
    assert 0.10 <= types["renew"] / n <= 0.20
    assert 0.20 <= types["return"] / n <= 0.30
    assert 0.02 <= types["localuse"] / n <= 0.06
    assert 0.005 <= (types["payment"] + types["writeoff"]) / n <= 0.02
    assert {r["interface"] for r in rows} == {"intranet", "opac", "sip", "cron"}
    assert {r["branch"] for r in rows} == {"CEN", "NOR", "EAS"}
    for r in rows:
        assert re.fullmatch(r"\d+\.\d{4}", r["value"])
        if r["type"] == "localuse":
            assert r["borrowernumber"] == "" and r["categorycode"] == "" and r["itemnumber"]
        elif r["type"] in ("payment", "writeoff"):
            assert r["itemnumber"] == "" and r["borrowernumber"] and r["value"] != "0.0000"
        else:
            assert r["itemnumber"] and r["borrowernumber"] and r["value"] == "0.0000"


def test_statistics_copy_item_and_patron_attributes(data):
    items = {r["itemnumber"]: r for r in data["koha/items.csv"]}
    cats = {r["borrowernumber"]: r["categorycode"] for r in data["koha/borrowers.csv"]}
    for r in data["koha/statistics.csv"][:: 20]:
        if r["itemnumber"]:
            it = items[r["itemnumber"]]
            assert (r["itemtype"], r["location"], r["ccode"]) == (
                it["itype"], it["location"], it["ccode"])
        if r["borrowernumber"]:
            assert r["categorycode"] == cats[r["borrowernumber"]]


def test_patrons_use_several_branches(data):
    branches = defaultdict(set)
    for r in data["koha/statistics.csv"]:
        if r["type"] == "issue":
            branches[r["borrowernumber"]].add(r["branch"])
    multi = sum(len(b) >= 2 for b in branches.values())
    assert 0.2 <= multi / len(branches) <= 0.45


def test_interlibrary_loan(data):
    rows = data["koha/statistics.csv"]
    issues = [r for r in rows if r["type"] == "issue"]
    ill_share = sum(r["itemtype"] == "ILL" for r in issues) / len(issues)
    assert 0.007 <= ill_share <= 0.02
    lend = [r for r in issues if r["categorycode"] == "ILLLIB"]
    assert 0.003 <= len(lend) / len(issues) <= 0.012
    assert all(r["itemtype"] != "ILL" for r in lend)
    libs = [r for r in data["koha/borrowers.csv"] if r["categorycode"] == "ILLLIB"]
    assert all(r["surname"].startswith("Interlibrary Loan - ") and not r["dateofbirth"]
               for r in libs)
    assert {r["borrowernumber"] for r in lend} <= {r["borrowernumber"] for r in libs}


# ------------------------------------------------------------------------------ sierra
def test_sierra(data):
    rows = data["sierra/circ_trans.csv"]
    stamps = [r["transaction_gmt"] for r in rows]
    assert stamps == sorted(stamps)
    assert stamps[0] >= "2024-07-01 04:00:00" and stamps[-1] <= "2024-10-01 03:59:59"
    months = Counter()
    for s in stamps:
        local = datetime.fromisoformat(s).replace(tzinfo=timezone.utc).astimezone(LOCAL)
        assert 9 <= local.hour <= 20
        months[(local.year, local.month)] += 1
    assert set(months) == {(2024, 7), (2024, 8), (2024, 9)}
    # some local evenings are already the next day in UTC
    assert any(s[11:13] < "04" for s in stamps)
    ops = Counter(r["op_code"] for r in rows)
    assert set(ops) == {"o", "r", "i", "u", "n", "f"}
    for r in rows:
        assert re.fullmatch(r"450971\d{6}", r["item_record_id"])
        assert re.fullmatch(r"420907\d{6}", r["bib_record_id"])
        assert r["volume_record_id"] == "" and r["source_code"] == "local"
        assert r["stat_group_code_num"] in {"101", "102", "201", "301"}
        assert r["itype_code_num"] in {"0", "1", "10", "11", "20", "30", "40", "41"}
        assert re.fullmatch(r"(cen|nor|eas)[a-z]{2}", r["item_location_code"])
        if r["op_code"] == "u":
            assert r["patron_record_id"] == "" and r["postal_code"] == ""
        else:
            assert re.fullmatch(r"481037\d{6}", r["patron_record_id"])
            assert r["ptype_code"] in {"0", "1", "2", "3", "10"}
            assert re.fullmatch(r"\d{5}", r["postal_code"])
            assert r["pcode3"] in set("123456789")
        assert bool(r["due_date_gmt"]) == (r["op_code"] in ("o", "r"))
    zips = {r["zipcode"] for r in data["koha/borrowers.csv"]}
    assert {r["postal_code"] for r in rows if r["postal_code"]} <= zips


def test_rare_material_gives_small_cells(data):
    """KIT / HOTSPOT checkouts per branch and local month: some cells 1..10, some empty."""
    cells = Counter()
    for r in data["koha/statistics.csv"]:
        if r["type"] == "issue" and r["itemtype"] in ("KIT", "HOTSPOT"):
            cells[(r["itemtype"], r["branch"], r["datetime"][:7])] += 1
    branch_of = {"101": "CEN", "102": "CEN", "201": "NOR", "301": "EAS"}
    itype_of = {"40": "KIT", "41": "HOTSPOT"}
    for r in data["sierra/circ_trans.csv"]:
        if r["op_code"] == "o" and r["itype_code_num"] in itype_of:
            utc = datetime.fromisoformat(r["transaction_gmt"]).replace(tzinfo=timezone.utc)
            local = utc.astimezone(LOCAL)
            cells[(itype_of[r["itype_code_num"]], branch_of[r["stat_group_code_num"]],
                   local.strftime("%Y-%m"))] += 1
    months = [f"2024-{m:02d}" for m in range(7, 13)] + [f"2025-{m:02d}" for m in range(1, 7)]
    grid = [cells[(t, b, m)] for t in ("KIT", "HOTSPOT") for b in ("CEN", "NOR", "EAS")
            for m in months]
    assert sum(1 <= v <= 10 for v in grid) >= 10
    assert sum(v == 0 for v in grid) >= 3
