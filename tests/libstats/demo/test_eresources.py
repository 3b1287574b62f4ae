"""Tests for the demo e-resource exports (libstats/demo/eresources/) and the reference.

The demo is generated once per module; the reference (tests/oracles/eresources_reference.py, written from
docs/eresources.md) is run on it. Hand-written inputs check the reference itself, rule by rule.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import tomllib
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from libstats import demo
from libstats.demo.common import barcode_check_digit
from libstats.demo.eresources import settings as E
from libstats.demo.eresources.generate import generate_eresources
from tests.oracles import eresources_reference as ref

SEED = 20250701
LOCAL = ZoneInfo("America/New_York")
CONFIG = Path(demo.__file__).with_name("library.toml")
FY = (date(2024, 7, 1), date(2025, 6, 30))
FY_MONTHS = [f"{y}-{m:02d}" for y, m in [(2024, m) for m in range(7, 13)]
             + [(2025, m) for m in range(1, 7)]]
CONFIGURED = [d["name"] for d in E.DATABASES]

TIME = r"\[(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d) ([-+]\d{4})\]"
LINE_A = re.compile(r'^(\S+) (\S+) (\S+) ' + TIME + r' "([^"]*)" (\d{3}) (\S+)$')
LINE_B = re.compile(r'^(\S+) (\S+) (\S+) ' + TIME + r' "([^"]*)" (\d{3}) (\S+) "([^"]*)" '
                    r'"([^"]*)"$')
MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                      "Sep", "Oct", "Nov", "Dec"), 1)}
BARCODE = re.compile(r"^2\d{13}$")
EMAIL = re.compile(r"^[a-z_.0-9]+@example\.(com|org|net)$")
LDAP = re.compile(r"^uid=[a-z0-9]+,ou=patrons,dc=riverbend,dc=example$")


def _hashes(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _text(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def _parse(line: str) -> dict | None:
    """A demo main-log or SPU line -> fields; None for a bad line (no match / invalid time)."""
    m = LINE_B.match(line)
    fmt = "B"
    if not m:
        m, fmt = LINE_A.match(line), "A"
    if not m:
        return None
    g = m.groups()
    try:
        naive = datetime(int(g[5]), MONTHS[g[4]], int(g[3]), int(g[6]), int(g[7]), int(g[8]))
    except (KeyError, ValueError):
        return None
    off = int(g[9][:3]) * 60 + (1 if g[9][0] == "+" else -1) * int(g[9][3:])
    epoch = (naive - timedelta(minutes=off)).replace(tzinfo=UTC).timestamp()
    url = g[10].split(" ")[1]
    out = {"fmt": fmt, "h": g[0], "sess": g[1], "user": g[2], "epoch": epoch, "off": g[9],
           "url": url, "status": int(g[11]), "naive": naive}
    if fmt == "B":
        out.update(ua=g[13], xff=g[14])
    return out


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("eres") / "raw"
    summary = generate_eresources(root, SEED)
    root.joinpath("summary.json").write_text(json.dumps(summary))
    return root


@pytest.fixture(scope="module")
def summary(raw) -> dict:
    return json.loads(raw.joinpath("summary.json").read_text())


@pytest.fixture(scope="module")
def main_log(raw) -> dict[str, list[str]]:
    """File name -> its lines (a trailing \\r removed, blank lines kept)."""
    out = {}
    for p in sorted((raw / "eresources" / "ezproxy").glob("ezproxy-*")):
        text = _text(p)
        assert text.endswith("\n")
        out[p.name] = [ln.removesuffix("\r") for ln in text[:-1].split("\n")]
    return out


@pytest.fixture(scope="module")
def parsed(main_log) -> dict[str, list[dict | None]]:
    return {name: [_parse(ln) for ln in lines if ln] for name, lines in main_log.items()}


@pytest.fixture(scope="module")
def spu_log(raw) -> dict[str, list[str]]:
    return {p.name: _text(p)[:-1].split("\n")
            for p in sorted((raw / "eresources" / "ezproxy").glob("spu-*"))}


@pytest.fixture(scope="module")
def use(raw):
    return ref.reference_use(raw, CONFIG, *FY)


# ------------------------------------------------------------------------------------ files
def test_deterministic_and_gzip_headers(raw, tmp_path):
    generate_eresources(tmp_path, SEED)
    a = _hashes(raw / "eresources")
    assert a == _hashes(tmp_path / "eresources")
    gz = [p for p in (raw / "eresources" / "ezproxy").iterdir() if p.suffix == ".gz"]
    for p in gz:
        head = p.read_bytes()[:10]
        assert head[:2] == b"\x1f\x8b" and head[3] & 0x08 == 0, p.name     # no file name
        assert head[4:8] == b"\0\0\0\0", p.name                             # mtime 0


def test_file_layout(raw):
    ez = sorted(p.name for p in (raw / "eresources" / "ezproxy").iterdir())
    days = [date(2024, 6, 30) + timedelta(days=i) for i in range(367)]
    main = [f"ezproxy-{d:%Y%m%d}.log" + (".gz" if d < date(2024, 10, 1) else "") for d in days]
    spu = [f"spu-{d:%Y%m%d}.log" for d in days]
    assert ez == sorted(main + spu)
    counter = sorted(p.relative_to(raw / "eresources").as_posix()
                     for p in (raw / "eresources" / "counter").iterdir())
    assert counter == sorted(E.COUNTER_FILES.values())
    ecirc = sorted(p.relative_to(raw / "eresources").as_posix()
                   for p in (raw / "eresources" / "ecirc").iterdir())
    assert ecirc == sorted(E.ECIRC_FILES.values())


def test_volumes(main_log, spu_log, summary):
    per_day = [sum(1 for ln in lines if ln) for lines in main_log.values()]
    assert 100_000 <= sum(per_day) <= 150_000
    assert sum(per_day) == summary["main_lines"]
    assert 300 <= sum(per_day) / len(per_day) <= 500
    assert min(per_day) > 80 and max(per_day) < 1_000
    spu = [len(lines) for lines in spu_log.values()]
    assert 20 <= sum(spu) / len(spu) <= 60


def test_two_log_formats_in_one_source(main_log, parsed):
    for name, rows in parsed.items():
        day = date(int(name[8:12]), int(name[12:14]), int(name[14:16]))
        good = [r for r in rows if r is not None]
        fmts = Counter(r["fmt"] for r in good)
        if day < date(2025, 1, 1):
            assert set(fmts) == {"A"}, name
        elif day == date(2025, 1, 1):
            assert fmts["A"] >= 1 and fmts["B"] > 100          # the old year's last line
            assert good[0]["fmt"] == "A"
        else:
            assert set(fmts) == {"B"}, name
    first = _parse(main_log["ezproxy-20240701.log.gz"][0])
    assert first["naive"].date() == date(2024, 6, 30)          # rotation lag
    last = [r for r in parsed["ezproxy-20240630.log.gz"] if r][-1]
    assert last["naive"].date() == date(2024, 6, 30)


def test_crlf_and_blank_lines(raw, main_log):
    folder = raw / "eresources" / "ezproxy"
    crlf = [p.name for p in folder.glob("ezproxy-*.log") if b"\r\n" in p.read_bytes()]
    assert crlf == ["ezproxy-20250317.log"]
    blanks = [n for n, lines in main_log.items() if "" in lines]
    assert blanks == ["ezproxy-20241112.log"]


def test_server_clock_offsets_follow_new_york(parsed):
    offsets = Counter()
    for name, rows in parsed.items():
        for r in rows:
            if r is None:
                continue
            real = datetime.fromtimestamp(r["epoch"], LOCAL).utcoffset()
            assert real == timedelta(hours=int(r["off"][:3])), (name, r["naive"])
            offsets[r["off"]] += 1
    assert set(offsets) == {"-0400", "-0500"}
    nov3 = Counter(r["off"] for r in parsed["ezproxy-20241103.log"] if r)
    assert nov3["-0400"] > 0 and nov3["-0500"] > 0
    repeated = {r["off"] for r in parsed["ezproxy-20241103.log"] if r and r["naive"].hour == 1}
    assert repeated == {"-0400", "-0500"}                      # 01:xx twice
    mar9 = Counter(r["off"] for r in parsed["ezproxy-20250309.log"] if r)
    assert mar9["-0400"] > 0 and mar9["-0500"] > 0
    assert not any(r and r["naive"].hour == 2 for r in parsed["ezproxy-20250309.log"])


def test_personal_data_hazards(parsed):
    users, query_cards, query_mails, terms, xff_lists, sessions = (
        Counter(), 0, 0, 0, 0, set())
    for rows in parsed.values():
        for r in rows:
            if r is None:
                continue
            u = r["user"]
            if BARCODE.match(u):
                assert int(u[-1]) == barcode_check_digit(u[:13])
                users["barcode"] += 1
            elif EMAIL.match(u):
                users["email"] += 1
            elif LDAP.match(u):
                users["ldap"] += 1
            else:
                assert u == "-", u
                users["-"] += 1
            if re.search(r"[?&]patron=2\d{13}(&|$)", r["url"]):
                query_cards += 1
            if re.search(r"[?&]email=[^&]+(@|%40)example\.(com|org|net)", r["url"]):
                query_mails += 1
            if re.search(r"[?&](bquery|q|surname)=[A-Za-z]", r["url"]):
                terms += 1
            if r["fmt"] == "B":
                if ", " in r["xff"]:
                    xff_lists += 1
                    assert all(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", a)
                               for a in r["xff"].split(", "))
                if r["sess"] != "-":
                    assert re.fullmatch(r"[A-Za-z0-9]{15}", r["sess"])
                    sessions.add(r["sess"])
    assert all(users[k] > 1000 for k in ("barcode", "email", "ldap", "-"))
    assert query_cards > 50 and query_mails > 50 and terms > 10_000
    assert xff_lists > 500 and len(sessions) > 5000


def test_ip_addresses_are_documentation_or_private(parsed):
    ok = re.compile(r"^(192\.0\.2|198\.51\.100|203\.0\.113|10\.\d+\.\d+)\.\d+$")
    for rows in parsed.values():
        for r in rows:
            if r is not None:
                assert ok.match(r["h"]), r["h"]


def test_robots_only_in_format_b(parsed):
    agents = Counter()
    for rows in parsed.values():
        for r in rows:
            if r is None or r["fmt"] != "B":
                continue
            ua = r["ua"].lower()
            for key in ("googlebot", "bingbot", "python-requests", "curl/", "rcls-linkcheck"):
                if key in ua:
                    agents[key] += 1
    assert all(agents[k] > 20 for k in ("googlebot", "bingbot", "python-requests", "curl/",
                                        "rcls-linkcheck"))
    # the scraper runs inside a patron's session
    scraper = [r for rows in parsed.values() for r in rows
               if r and r["fmt"] == "B" and r["ua"].startswith("python-requests")]
    assert all(r["sess"] != "-" and r["user"] != "-" for r in scraper)


def test_double_clicks_and_near_misses(parsed):
    last: dict[tuple, float] = {}
    gaps = Counter()
    for rows in parsed.values():
        for r in rows:
            if r is None or r["fmt"] != "B" or r["sess"] == "-" or r["status"] != 200:
                continue
            key = (r["sess"], r["url"])
            if key in last:
                gap = r["epoch"] - last[key]
                if gap <= 30:
                    gaps["double"] += 1
                elif gap <= 40:
                    gaps["near"] += 1
            last[key] = r["epoch"]
    assert gaps["double"] > 300 and gaps["near"] > 50


def test_statuses_proxy_pages_and_assets(parsed):
    statuses = Counter(r["status"] for rows in parsed.values() for r in rows if r)
    assert {200, 302, 304, 403, 404, 500} <= set(statuses)
    urls = [r["url"] for rows in parsed.values() for r in rows if r]
    assert sum(u.startswith(f"https://{E.PROXY_HOST}/login") for u in urls) > 5000
    assert any(u.startswith("/login?") for u in urls) and any(u == "/menu" for u in urls)
    assets = [u for u in urls if re.search(r"\.(css|png)(\?|$)", u)]
    hosts = {re.match(r"https?://([^/:]+)", u).group(1) for u in assets}
    assert len(assets) > 1000 and {"search.ebscohost.com", "app.lingualab.example"} <= hosts
    for key, host in E.UNMAPPED_HOSTS.items():
        assert any(f"://{host}" in u for u in urls), key


def test_bad_lines(main_log, parsed, spu_log, summary):
    n = sum(len(rows) for rows in parsed.values())
    bad = [(name, i) for name, rows in parsed.items() for i, r in enumerate(rows) if r is None]
    assert len(bad) == summary["main_bad"]
    assert 0.001 < len(bad) / n < 0.005
    lines = [ln for lines in main_log.values() for ln in lines if ln]
    assert "\x00" * 64 in lines
    assert any(re.search(r"\[32/", ln) for ln in lines)
    assert any(re.search(r"\[30/Feb/", ln) for ln in lines)
    assert any(re.search(r":25:\d\d:\d\d [-+]\d{4}\]", ln) for ln in lines)
    assert sum(ln.count('"') == 1 for ln in lines) > 100          # truncated in the request
    spu_bad = [ln for ls in spu_log.values() for ln in ls if _parse(ln) is None]
    assert len(spu_bad) == summary["spu_bad"] == 2


def test_spu_log(spu_log):
    rows = [_parse(ln) for ls in spu_log.values() for ln in ls]
    good = [r for r in rows if r]
    assert all(r["fmt"] == "A" for r in good)
    assert all(r["url"].startswith((f"https://{E.PROXY_HOST}/login?", "/login?")) for r in good)
    assert sum("?qurl=https%3A%2F%2F" in r["url"] for r in good) > 1000
    assert sum("?url=https://" in r["url"] for r in good) > 5000
    statuses = Counter(r["status"] for r in good)
    assert statuses[302] > statuses[200] > statuses[500] > 0


def test_counter_files(raw):
    folder = raw / "eresources"
    seen = set()
    for key, rel in E.COUNTER_FILES.items():
        data = (folder / rel).read_bytes()
        release = "5.1" if key.endswith("r51") else "5"
        if rel.endswith(".json"):
            head = json.loads(data)["Report_Header"]
            assert head["Release"] == release
            seen.add(("json", release))
        else:
            text = data.decode("utf-8-sig")
            sep = "\t" if rel.endswith(".tsv") else ","
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
            n = 13 if release == "5.1" else 12
            assert rows[2] == ["Release", release]
            assert rows[n] == [] and rows[n + 1][0] in ("Database", "Platform", "Title")
            seen.add((rel[-3:], release))
            if key == "newsvault_pr_r51":
                assert data.startswith(b"\xef\xbb\xbf")
    assert seen == {("json", "5"), ("json", "5.1"), ("tsv", "5"), ("tsv", "5.1"),
                    ("csv", "5"), ("csv", "5.1")}
    dr = (folder / E.COUNTER_FILES["ebscohost_dr_r50"]).read_text(encoding="utf-8")
    assert "\tTDM\t" in dr and "Education Research Index" in dr
    kids = (folder / E.COUNTER_FILES["lingualab_kids_dr_d1_r51"]).read_text(encoding="utf-8")
    assert "Exceptions\t3030: No Usage Available for Requested Dates" in kids


def test_ecirc_files(raw):
    folder = raw / "eresources"
    formats = Counter()
    for rel in E.ECIRC_FILES.values():
        rows = list(csv.DictReader(io.StringIO((folder / rel).read_text(encoding="utf-8"))))
        assert {"vendor", "month", "format", "checkouts"} <= set(rows[0])
        for row in rows:
            formats[row["format"]] += 1
    assert {"eBook", "Audiobook", "Magazine", "E-Book", "e-audio", "Video",
            "Periodical"} <= set(formats)
    streamshelf = (folder / E.ECIRC_FILES["streamshelf"]).read_text(encoding="utf-8")
    assert streamshelf.split("\n", 1)[0] == "vendor,month,format,title,creator,isbn,checkouts"


def test_config_matches_the_module():
    doc = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert doc["eresources"]["databases"] == E.DATABASES
    assert doc["eresources"]["proxy_hosts"] == E.PROXY_HOSTS
    assert doc["eresources"]["extra_robots"] == E.EXTRA_ROBOTS
    srcs = {s["name"]: s for s in doc["sources"] if s["kind"] == "eresources"}
    assert srcs["ezproxy"]["log_format"] == E.LOG_FORMATS
    assert srcs["ezproxy_spu"]["log_format"] == [E.SPU_FORMAT]
    assert {s["name"]: s["path"] for s in E.SOURCES} == {n: s["path"] for n, s in srcs.items()}


# ------------------------------------------------------------------------------------ reference
def test_reference_use_on_the_demo(raw, use):
    dbs = {k[1] for k in use}
    assert dbs == set(CONFIGURED) | {"other"}
    for db in CONFIGURED:
        for month in FY_MONTHS:
            for measure in ("sessions", "searches", "requests"):
                assert use.get((month, db, measure), 0) > 0, (db, month, measure)
    for month in FY_MONTHS:
        assert use[(month, "other", "sessions")] > 30
        assert (month, "other", "searches") not in use
    total = Counter()
    for (month, db, measure), n in use.items():
        total[(db, measure)] += n
    assert 12_000 <= sum(total[(db, "sessions")] for db in CONFIGURED) <= 20_000
    assert total[("Academic Search Premier", "sessions")] > total[
        ("LinguaLab Languages", "sessions")]


def test_reference_exclusions_and_bad_lines(raw, summary):
    bad = ref.reference_bad_lines(raw, CONFIG, *FY)
    assert bad == {"ezproxy": summary["main_bad"], "ezproxy_spu": summary["spu_bad"]}
    first = ref.reference_first_bad_lines(raw, CONFIG)
    assert first["ezproxy"][0].startswith("ezproxy-2024") and first["ezproxy_spu"] is not None
    ex = ref.reference_excluded(raw, CONFIG, *FY)
    for reason in ref.REASONS_MAIN:
        assert ex[("ezproxy", reason)] > 100, reason
    assert ex[("ezproxy_spu", "robot")] == 0
    for reason in ("outside_period", "not_successful", "double_click"):
        assert ex[("ezproxy_spu", reason)] > 20, reason
    # robots only in format B; without extra_robots the link checker would be counted
    assert 2_000 < ex[("ezproxy", "robot")] < 6_000


def test_reference_spu_and_other_hosts(raw):
    spu = ref.reference_spu(raw, CONFIG, *FY)
    assert {k[1] for k in spu} == set(CONFIGURED) | {"other"}
    assert all(spu.get((m, db), 0) > 0 for m in FY_MONTHS for db in CONFIGURED)
    listed, not_listed = ref.reference_other_hosts(raw, CONFIG, *FY)
    assert list(listed) == [E.UNMAPPED_HOSTS["popular"]]
    assert not_listed["hosts"] == 2                 # the IP literal and the rare host
    assert not_listed["requests"] > 50


def test_reference_counter_on_the_demo(raw):
    c = ref.reference_counter(raw, CONFIG, *FY)
    by = defaultdict(set)
    for month, db, family, measure in c:
        by[(db, family, measure)].add(month)
    expect = {("Academic Search Premier", "DR"), ("Education Research Index", "DR"),
              ("NewsVault Newspapers", "PR"), ("Heritage Roots Genealogy", "TR"),
              ("MedRef Consumer Health", "TR"), ("LinguaLab Languages", "DR")}
    assert {(db, f) for db, f, _ in by} == expect
    for (db, family, measure), months in by.items():
        assert sorted(months) == FY_MONTHS, (db, family, measure)     # both releases read
    assert {m for db, f, m in by if f == "TR"} == {"requests"}
    assert {m for db, f, m in by if db == "NewsVault Newspapers"} == {
        "searches", "investigations", "requests"}
    # the TDM rows are left out: October 2024 without its 118 text-mining investigations
    tsv = (raw / "eresources" / E.COUNTER_FILES["ebscohost_dr_r50"]).read_text(encoding="utf-8")
    oct_all = sum(int(row.split("\t")[12]) for row in tsv.splitlines()
                  if row.startswith("Academic Search Premier\t")
                  and "\tTotal_Item_Investigations\t" in row)
    assert c[("2024-10", "Academic Search Premier", "DR", "investigations")] == oct_all - 118


def test_reference_ecirc_on_the_demo(raw):
    e = ref.reference_ecirc(raw, CONFIG, *FY)
    assert {k[1] for k in e} == {"ReadWave", "StreamShelf", "Newsstand Plus"}
    assert {k[2] for k in e} == {"ebook", "eaudio", "evideo", "eserial"}
    assert sum(1 for n in e.values() if 1 <= n <= 10) >= 10
    assert all(k[0] in FY_MONTHS for k in e)


# ------------------------------------------------------------------------------------ reference
# The reference checked on hand-written input, rule by rule (docs/eresources.md).
MINI_CONFIG = """
[library]
timezone = "America/New_York"

[suppression]
threshold = 1

[eresources]
proxy_hosts = ["proxy.lib.example"]
extra_robots = ["linkcheck"]
max_bad_line_share = 0.2

[[eresources.databases]]
name = "Alpha"
hosts = ["db.alpha.example", "*.alpha.example"]
counter_names = ["Alpha DB"]
searches = ["/s*"]
requests = ["*.pdf"]

[[eresources.databases]]
name = "Beta"
hosts = ["x.alpha.example", "*.cdn.alpha.example"]
searches = ["/find?"]

[[sources]]
name = "main"
kind = "eresources"
format = "ezproxy_log"
path = "raw/eresources/log-*"
log_format = ['%h %l %u %t "%r" %s %b', '%h %{EZproxy-Session}i %u %t "%r" %s %b "%{user-agent}i" "%{X-Forwarded-For}i"']

[[sources]]
name = "spu"
kind = "eresources"
format = "ezproxy_spu"
path = "raw/eresources/spu-*"

[[sources]]
name = "counter"
kind = "eresources"
format = "counter_r5"
path = "raw/eresources/counter/*"

[[sources]]
name = "ecirc"
kind = "eresources"
format = "vendor_ecirc"
path = "raw/eresources/ecirc/*.csv"
"""


def _a(ip, user, t, url, status=200):
    return f'{ip} - {user} [{t}] "GET {url} HTTP/1.1" {status} 100'


def _b(ip, sess, user, t, url, status=200, ua="Mozilla/5.0", xff="-"):
    return f'{ip} {sess} {user} [{t}] "GET {url} HTTP/1.1" {status} 100 "{ua}" "{xff}"'


def _mini(tmp_path: Path) -> tuple[Path, Path]:
    cfg = tmp_path / "library.toml"
    cfg.write_text(MINI_CONFIG, encoding="utf-8")
    raw = tmp_path / "raw"
    er = raw / "eresources"
    (er / "counter").mkdir(parents=True)
    (er / "ecirc").mkdir()
    d = "03/Nov/2024"
    day1 = [
        # U1 (rule 2: user + date + hour): a chain of three double-clicks -> the last counts
        _a("203.0.113.1", "21234000000001", f"{d}:00:10:00 -0400", "https://db.alpha.example/s?q=a"),
        _a("203.0.113.1", "21234000000001", f"{d}:00:10:20 -0400", "https://db.alpha.example/s?q=a"),
        _a("203.0.113.1", "21234000000001", f"{d}:00:10:50 -0400", "https://db.alpha.example/s?q=a"),
        # a near miss: both count
        _a("203.0.113.1", "21234000000001", f"{d}:00:12:00 -0400", "https://db.alpha.example/a.pdf"),
        _a("203.0.113.1", "21234000000001", f"{d}:00:12:31 -0400", "https://db.alpha.example/a.pdf"),
        # the repeated hour: 01:59:50 EDT and 01:00:05 EST are 15 s apart, same session
        _a("203.0.113.1", "21234000000001", f"{d}:01:59:50 -0400", "https://db.alpha.example/x"),
        _a("203.0.113.1", "21234000000001", f"{d}:01:00:05 -0500", "https://db.alpha.example/x"),
        "",
        # rule 3 (no user): IP + date + hour; a 404, a 304, EZproxy pages, a relative URL
        _a("192.0.2.10", "-", f"{d}:10:00:00 -0500", "https://x.alpha.example/find1"),
        _a("192.0.2.10", "-", f"{d}:10:00:01 -0500", "https://x.alpha.example/find12", 404),
        _a("192.0.2.10", "-", f"{d}:10:00:02 -0500", "https://a.cdn.alpha.example/s.css", 304),
        _a("192.0.2.10", "-", f"{d}:10:00:03 -0500", "https://PROXY.lib.example:443/login?url=x",
           302),
        _a("192.0.2.10", "-", f"{d}:10:00:04 -0500", "https://proxy.lib.example/menu"),
        _a("192.0.2.10", "-", f"{d}:10:00:05 -0500", "/login?url=https://db.alpha.example/"),
        _a("192.0.2.11", "-", f"{d}:10:00:06 -0500", "http://198.51.100.9:8080/cat?q=1"),
        _a("192.0.2.11", "-", f"{d}:10:00:07 -0500", "https://other.example/p"),
        _a("192.0.2.12", "-", f"{d}:10:00:07 -0500", "https://other.example/p"),
        # bad lines: truncated, impossible date
        '192.0.2.10 - - [03/Nov/2024:10:00:09 -0500] "GET https://db.alpha.exa',
        _a("192.0.2.10", "-", "31/Nov/2024:10:00:00 -0500", "https://db.alpha.example/s"),
        # outside the period (October)
        _a("192.0.2.10", "-", "31/Oct/2024:23:59:59 -0400", "https://db.alpha.example/s"),
    ]
    with gzip.GzipFile(er / "log-20241103.log.gz", "wb", mtime=0) as fh:
        fh.write(("\n".join(day1) + "\n").encode())
    day2 = [
        # format B: session id rule; robots; XFF first address for rule 3
        _b("10.0.0.2", "SESSIONAAAAAAA1", "u1", "04/Nov/2024:09:00:00 -0500",
           "https://db.alpha.example/s?1"),
        _b("10.0.0.2", "SESSIONAAAAAAA1", "u1", "04/Nov/2024:22:00:00 -0500",
           "https://db.alpha.example/s?2"),
        _b("10.0.0.2", "-", "-", "04/Nov/2024:09:00:00 -0500", "https://db.alpha.example/s?3",
           ua="-", xff="203.0.113.5, 10.0.0.99"),
        _b("10.0.0.2", "-", "-", "04/Nov/2024:09:00:10 -0500", "https://db.alpha.example/s?3",
           ua="-", xff="203.0.113.6, 10.0.0.99"),
        _b("10.0.0.2", "-", "-", "04/Nov/2024:09:10:00 -0500", "https://db.alpha.example/s?4",
           ua="Mozilla/5.0 (compatible; Googlebot/2.1)"),
        _b("10.0.0.2", "-", "-", "04/Nov/2024:09:10:00 -0500", "https://db.alpha.example/s?4",
           ua="Our-LinkCheck/1"),
        # %h as a list (format A): first address
        ('203.0.113.7, 10.0.0.99 - - [04/Nov/2024:09:30:00 -0500] "GET '
         'https://db.alpha.example/s?5 HTTP/1.1" 200 -'),
    ]
    (er / "log-20241104.log").write_text("\r\n".join(day2) + "\r\n", encoding="utf-8")
    (er / "spu-20241104.log").write_text("\n".join([
        _a("203.0.113.1", "-", "04/Nov/2024:09:00:00 -0500",
           "https://proxy.lib.example/login?url=https://db.alpha.example/s?a=1&b=2"),
        _a("203.0.113.1", "-", "04/Nov/2024:09:00:05 -0500",
           "https://proxy.lib.example/login?url=https://db.alpha.example/s?a=1&b=2", 302),
        _a("203.0.113.2", "-", "04/Nov/2024:09:00:05 -0500",
           "https://proxy.lib.example/login?qurl=https%3A%2F%2Fx.alpha.example%2F&x=1", 302),
        _a("203.0.113.2", "-", "04/Nov/2024:09:01:05 -0500", "/login", 302),
        _a("203.0.113.2", "-", "04/Nov/2024:09:02:05 -0500",
           "/login?url=https://nowhere.example/", 404),
    ]) + "\n", encoding="utf-8")
    head51 = ["Report_Name\tDatabase Search and Item Usage", "Report_ID\tDR_D1", "Release\t5.1",
              "Institution_Name\tX", "Institution_ID\tX", "Metric_Types\tX", "Report_Filters\t",
              "Report_Attributes\t", "Exceptions\t",
              "Reporting_Period\tBegin_Date=2024-11-01; End_Date=2024-12-31",
              "Created\t2025-01-01", "Created_By\tV", "Registry_Record\t"]
    (er / "counter" / "a.tsv").write_text("\n".join(head51 + [
        "", "Database\tPublisher\tMetric_Type\tReporting_Period_Total\tNov-2024\tDec-2024",
        "Alpha DB\tV\tSearches_Regular\t7\t3\t4",
        "Alpha DB\tV\tTotal_Item_Requests\t0\t0\t0",
        "Gamma\tV\tSearches_Automated\t5\t5\t0"]) + "\n", encoding="utf-8")
    (er / "counter" / "b.json").write_text(json.dumps({
        "Report_Header": {"Report_ID": "PR", "Release": "5", "Exceptions": [],
                          "Report_Filters": [{"Name": "Begin_Date", "Value": "2024-11-01"},
                                             {"Name": "End_Date", "Value": "2024-12-31"}]},
        "Report_Items": [{"Platform": "Alpha DB", "Access_Method": "Regular", "Performance": [
            {"Period": {"Begin_Date": "2024-12-01", "End_Date": "2024-12-31"},
             "Instance": [{"Metric_Type": "Searches_Platform", "Count": 9}]}]},
            {"Platform": "Alpha DB", "Access_Method": "TDM", "Performance": [
                {"Period": {"Begin_Date": "2024-12-01", "End_Date": "2024-12-31"},
                 "Instance": [{"Metric_Type": "Total_Item_Requests", "Count": 50}]}]}]}),
        encoding="utf-8")
    (er / "counter" / "c.json").write_text(json.dumps({
        "Report_Header": {"Report_ID": "TR_J1", "Release": "5.1",
                          "Report_Filters": {"Begin_Date": "2024-11", "End_Date": "2024-11"}},
        "Report_Items": [{"Title": "J", "Platform": "Delta", "Attribute_Performance": [
            {"Data_Type": "Journal", "Access_Method": "Regular",
             "Performance": {"Total_Item_Requests": {"2024-11": 2}}}]}]}), encoding="utf-8")
    (er / "ecirc" / "v.csv").write_text(
        "vendor,month,format,title,checkouts\n"
        "V,2024-11,eBook,A,2\nV,2024-11,E-BOOK,B,3\nV,2024-11,Audiobook,C,1\n"
        "V,2024-12,periodical,D,4\nV,2024-10,video,E,9\n", encoding="utf-8")
    return raw, cfg


NOV = (date(2024, 11, 1), date(2024, 11, 30))


def test_reference_rules_on_hand_written_input(tmp_path):
    raw, cfg = _mini(tmp_path)
    use = ref.reference_use(raw, cfg, *NOV)
    # Alpha: U1 00h (s + pdf x2) + U1 01h (x) + 04 Nov sessions: SESSION..1 (once for the
    # date), 203.0.113.5 / .6 (two rule-3 sessions), the %h list 203.0.113.7 -> 6 sessions;
    # searches: 1 (chain) + 2 + 2 + 1 = 6 (robot and link checker out); requests: 2 PDFs
    assert use[("2024-11", "Alpha", "sessions")] == 6
    assert use[("2024-11", "Alpha", "searches")] == 6
    assert use[("2024-11", "Alpha", "requests")] == 2
    # Beta (exact host x.alpha.example, suffix *.cdn.alpha.example): /find1 matches /find?,
    # the 404 is out, the 304 stylesheet counts as a request of neither kind; one session
    assert use[("2024-11", "Beta", "searches")] == 1
    assert ("2024-11", "Beta", "requests") not in use
    assert use[("2024-11", "Beta", "sessions")] == 1
    # other: the IP literal and other.example from 192.0.2.11 (one session), other.example from
    # 192.0.2.12 -> 2
    assert use[("2024-11", "other", "sessions")] == 2
    ex = ref.reference_excluded(raw, cfg, *NOV)
    assert {k[1]: v for k, v in ex.items() if k[0] == "main"} == {
        "outside_period": 1, "robot": 2, "not_successful": 2, "proxy_page": 2,
        "double_click": 3}
    assert ref.reference_bad_lines(raw, cfg) == {"main": 2, "spu": 0}
    assert ref.reference_first_bad_lines(raw, cfg)["main"] == ("log-20241103.log.gz", 18)
    hourly = ref.reference_hourly(raw, cfg, *NOV)
    assert hourly[("2024-11-03", 1, "Alpha")] == {"requests_counted": 1, "searches": 0,
                                                 "requests": 0, "spu_hits": 0, "sessions": 1}
    # SPU: url= keeps everything after it; qurl= is decoded; the 9:00:05 hit is a double-click
    # of the 9:00:00 one (same IP, no user, same hour, same target); '/login' has no target
    assert ref.reference_spu(raw, cfg, *NOV) == {("2024-11", "Alpha"): 1, ("2024-11", "Beta"): 1,
                                                 ("2024-11", "other"): 1}
    assert {k[1]: v for k, v in ex.items() if k[0] == "spu"} == {
        "outside_period": 0, "robot": 0, "not_successful": 1, "double_click": 1}
    assert ref.reference_other_hosts(raw, cfg, *NOV) == ({"other.example": 2},
                                                         {"hosts": 1, "requests": 1})
    c = ref.reference_counter(raw, cfg, *NOV)
    assert c == {("2024-11", "Alpha", "DR", "requests"): 0,
                 ("2024-11", "Alpha", "DR", "searches"): 3,
                 ("2024-11", "Alpha", "PR", "searches"): 0,
                 ("2024-11", "Delta", "TR", "requests"): 2}
    assert ref.reference_ecirc(raw, cfg, *NOV) == {("2024-11", "V", "eaudio"): 1,
                                                   ("2024-11", "V", "ebook"): 5}


def test_reference_errors(tmp_path):
    raw, cfg = _mini(tmp_path)
    er = raw / "eresources"
    p = er / "counter" / "a.tsv"
    good = p.read_text(encoding="utf-8")
    p.write_text(good.replace("Exceptions\t", "Exceptions\t3031: Usage Not Ready"),
                 encoding="utf-8")
    ref.reference_counter(raw, cfg, *NOV)          # informational: read
    p.write_text(good.replace("Exceptions\t", "Exceptions\t3000: Report Not Supported"),
                 encoding="utf-8")
    with pytest.raises(ref.EresReferenceError, match="3000"):
        ref.reference_counter(raw, cfg, *NOV)
    p.write_text(good.replace("\t7\t3\t4", "\t8\t3\t4"), encoding="utf-8")
    with pytest.raises(ref.EresReferenceError, match="Reporting_Period_Total"):
        ref.reference_counter(raw, cfg, *NOV)
    p.write_text(good.replace("Release\t5.1", "Release\t5"), encoding="utf-8")
    with pytest.raises(ref.EresReferenceError, match="header"):
        ref.reference_counter(raw, cfg, *NOV)
    p.write_text(good, encoding="utf-8")
    (er / "counter" / "d.tsv").write_text(good, encoding="utf-8")
    with pytest.raises(ref.EresReferenceError, match="overlaps"):
        ref.reference_counter(raw, cfg, *NOV)
    (er / "counter" / "d.tsv").unlink()
    (er / "ecirc" / "w.csv").write_text("vendor,month,format,checkouts,patron\n",
                                        encoding="utf-8")
    with pytest.raises(ref.EresReferenceError, match="unknown column"):
        ref.reference_ecirc(raw, cfg, *NOV)
    (er / "ecirc" / "w.csv").write_text("vendor,month,format,checkouts\nV,2024-11,comic,1\n",
                                        encoding="utf-8")
    with pytest.raises(ref.EresReferenceError, match="format"):
        ref.reference_ecirc(raw, cfg, *NOV)
    # a log written in UTC while the source says America/New_York
    (er / "log-20241105.log").write_text(
        _a("192.0.2.10", "-", "05/Nov/2024:10:00:00 +0000", "https://db.alpha.example/s") + "\n",
        encoding="utf-8")
    with pytest.raises(ref.EresReferenceError, match="mixed time zones"):
        ref.reference_use(raw, cfg, *NOV)
    # too many bad lines
    (er / "log-20241105.log").write_text("garbage\n" * 10, encoding="utf-8")
    with pytest.raises(ref.EresReferenceError, match="bad lines"):
        ref.reference_bad_lines(raw, cfg)
    with pytest.raises(ref.EresReferenceError, match="%q"):
        ref.compile_log_format("%h %t %r %q")
    with pytest.raises(ref.EresReferenceError, match="without %r"):
        ref.compile_log_format("%h %t")


def test_log_format_patterns():
    rx, names = ref.compile_log_format(E.LOG_FORMAT_B)
    assert names == ["h", "i:ezproxy-session", "u", "t", "r", "s", "b", "i:user-agent",
                     "i:x-forwarded-for"]
    m = rx.fullmatch('10.0.0.2 abcABC123456789 - [04/Nov/2024:09:00:00 -0500] '
                     '"GET https://x/ HTTP/1.1" 200 - "Mozilla/5.0 (X; Y)" "1.2.3.4, 10.0.0.99"')
    assert m and m.group(9) == "1.2.3.4, 10.0.0.99" and m.group(8) == "Mozilla/5.0 (X; Y)"
    rx, names = ref.compile_log_format("%t %h %u %U %b %{ezproxy-session}i")
    assert rx.fullmatch("[18/Nov/2012:00:00:34 +0100] 40.30.25.122 5mpcyan6 "
                        "http://link.example:80/x 116636 liV9RqGobWNKrdD")
    rx, _ = ref.compile_log_format('%h %l %u %t "%r" %s %b')
    assert not rx.fullmatch('1.2.3.4 - - [01/Jul/2024:10:00:00 -0400] "GET /x HTTP/1.1" 200 '
                            '12 "extra"')
