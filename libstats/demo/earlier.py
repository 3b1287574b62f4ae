"""A smaller, earlier fiscal year of the demo library: FY2023 (2022-07-01 .. 2023-06-30).

Written beside the FY2025 exports, in new files that the demo config's source globs already
match, so one config serves both years (a run reads every file and keeps the period's events):

* ``sierra/circ_trans_fy2023.csv``: Sierra ``circ_trans`` (the library ran Sierra until
  2024-10-01), GMT timestamps, checkouts, renewals, check-ins and in-house uses.
* ``wifi/radius/detail-fy2023-YYYY-MM``: FreeRADIUS accounting, one Start and one Stop per
  session, plain text. In FY2023 only Central's Wi-Fi was logged (Northgate and East Hollow
  got their own controllers later), so their FY2023 Wi-Fi figures are real zeros of the logs.
* ``eresources/ezproxy/ezproxy-fy2023-YYYY-MM.log`` and ``spu-fy2023-YYYY-MM.log``: EZproxy
  in the first LogFormat, four databases.
* ``eresources/ecirc/readwave_checkouts_fy2023.csv`` and ``newsstand_plus_fy2023.csv``.

* ``eresources/counter/EBSCOhost_DR_2022-07_2023-06.tsv``: one COUNTER R5 DR for the year.
 The year is much smaller than FY2025 (about
30,000 checkouts) so that a demo run of it takes seconds. Its own random streams (seeded from
the demo seed and 2023) leave the FY2025 files byte-identical. Everything is fictional:
patron record ids in a range of their own, documentation IP addresses (198.51.100.0/24),
random locally administered MAC addresses.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from libstats.demo.common import DEFAULT_SEED, SIERRA_CIRC_TRANS_COLUMNS
from libstats.demo.services import generate_services

FY_START = date(2022, 7, 1)
FY_END = date(2023, 6, 30)
LOCAL_TZ = ZoneInfo("America/New_York")
SEED_SALT = 2023

FILES = {
    "sierra_circ_trans": "sierra/circ_trans_fy2023.csv",
    "readwave": "eresources/ecirc/readwave_checkouts_fy2023.csv",
    "newsstand": "eresources/ecirc/newsstand_plus_fy2023.csv",
    "counter": "eresources/counter/EBSCOhost_DR_2022-07_2023-06.tsv",
}
SIERRA_COLUMNS = SIERRA_CIRC_TRANS_COLUMNS       # the same export layout as FY2025's

N_CHECKOUTS = 30_000
P_RENEW = 0.22
N_INHOUSE = 4_000
N_PATRONS = 2_400
N_ITEMS = 6_000
BRANCHES = ("cen", "nor", "eas")
STAT_GROUP = {"cen": "101", "nor": "201", "eas": "301"}
BRANCH_P = (0.5, 0.3, 0.2)
# itype, location suffix, share: books, juvenile books, audio, DVDs, juvenile DVDs, magazines,
# no kits or hotspots yet.
ITEM_KINDS = (("0", "af", 0.36), ("0", "an", 0.12), ("0", "ya", 0.07), ("1", "jf", 0.2),
              ("20", "av", 0.07), ("10", "av", 0.1), ("11", "jf", 0.04), ("30", "pe", 0.04))
ZIPS = ("06410", "06411", "06412", "06413", "06414", "06415", "06416", "06417")

WIFI_SESSIONS_PER_DAY = 22.0
DATABASES = (  # host, start URL path, search path, request path, share
    ("search.ebscohost.com", "/login.aspx?authtype=ip,uid&profile=ehost&defaultdb=aph",
     "/ehost/results?vid=1&bquery=", "/ehost/pdfviewer/pdfviewer?vid=2", 0.45),
    ("infoweb.newsvault.example", "/apps/news/?p=NVNB", "/apps/news/results?p=NVNB&q=",
     "/apps/news/document-view?p=NVNB&doc=", 0.25),
    ("consumer.medref.example", "/", "/search?q=", "/article/{n}/fulltext", 0.18),
    ("app.lingualab.example", "/launch", "/courses/search?q=", "/lesson/{n}", 0.12),
)
WORDS = ("history", "gardening", "tax", "diabetes", "spanish", "weather", "railroad", "jazz",
         "elections", "recipes", "nutrition", "french")
PROXY = "ezproxy.riverbend.example"


def _months() -> list[date]:
    return [date(FY_START.year + (FY_START.month + i - 1) // 12,
                 (FY_START.month + i - 1) % 12 + 1, 1) for i in range(12)]


def _open_days() -> list[date]:
    days, d = [], FY_START
    while d <= FY_END:
        if d not in (date(2022, 7, 4), date(2022, 11, 24), date(2022, 12, 25), date(2023, 1, 1)):
            days.append(d)
        d += timedelta(days=1)
    return days


def _utc(d: date, secs: int) -> datetime:
    local = datetime(d.year, d.month, d.day, tzinfo=LOCAL_TZ) + timedelta(seconds=int(secs))
    return local.astimezone(timezone.utc)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def _sierra(rng: np.random.Generator, days: list[date], out: Path) -> int:
    kinds = np.array([p for *_, p in ITEM_KINDS])
    kinds = kinds / kinds.sum()
    item_kind = rng.choice(len(ITEM_KINDS), size=N_ITEMS, p=kinds)
    item_branch = rng.choice(3, size=N_ITEMS, p=BRANCH_P)
    patron_ptype = rng.choice(["0", "1", "2", "3"], size=N_PATRONS, p=(0.6, 0.2, 0.08, 0.12))
    patron_home = rng.choice(3, size=N_PATRONS, p=BRANCH_P)
    patron_zip = rng.choice(ZIPS, size=N_PATRONS)
    rows = []

    def add(op: str, when: datetime, patron: int | None, item: int, branch: int,
            due: datetime | None) -> None:
        itype, suffix, _ = ITEM_KINDS[item_kind[item]]
        rows.append((when, op, patron, item, branch, due, itype,
                     BRANCHES[item_branch[item]] + suffix))

    n = N_CHECKOUTS
    day_idx = rng.integers(0, len(days), size=n)
    secs = rng.integers(9 * 3600, 21 * 3600, size=n)
    patrons = rng.integers(0, N_PATRONS, size=n)
    items = rng.integers(0, N_ITEMS, size=n)
    branch = patron_home[patrons]
    elsewhere = rng.random(n) < 0.25
    branch[elsewhere] = rng.integers(0, 3, size=elsewhere.sum())
    renew = rng.random(n) < P_RENEW
    back = rng.random(n) < 0.45
    for i in range(n):
        d = days[day_idx[i]]
        when = _utc(d, secs[i])
        due = _utc(d + timedelta(days=21), 86399)
        add("o", when, patrons[i], items[i], branch[i], due)
        later = d + timedelta(days=int(14 + i % 7))
        if renew[i] and later <= FY_END:
            add("r", _utc(later, secs[i]), patrons[i], items[i], branch[i],
                _utc(later + timedelta(days=21), 86399))
        if back[i] and later + timedelta(days=5) <= FY_END:
            add("i", _utc(later + timedelta(days=5), secs[i] // 2 + 9 * 1800), patrons[i],
                items[i], branch[i], None)
    for i in range(N_INHOUSE):
        d = days[int(rng.integers(0, len(days)))]
        item = int(rng.integers(0, N_ITEMS))
        add("u", _utc(d, int(rng.integers(9 * 3600, 21 * 3600))), None, item,
            int(item_branch[item]), None)
    rows.sort(key=lambda r: (r[0], r[3], r[1]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SIERRA_COLUMNS)
    for k, (when, op, patron, item, br, due, itype, loc) in enumerate(rows):
        has_patron = patron is not None
        w.writerow([
            7_200_001 + k, when.strftime("%Y-%m-%d %H:%M:%S"),
            "selfcheck" if k % 3 == 0 else "circ", "local", op,
            f"48103{6_000_000 + int(patron):07d}" if has_patron else "",
            f"45097{2_000_000 + int(item):07d}", "", f"42090{8_000_000 + int(item) // 2:07d}",
            STAT_GROUP[BRANCHES[br]] if not (br == 0 and k % 4 == 0) else "102",
            due.strftime("%Y-%m-%d %H:%M:%S") if due else "", "1" if op in "or" else "5",
            itype, loc,
            patron_ptype[patron] if has_patron else "",
            BRANCHES[patron_home[patron]] if has_patron else "", "1" if has_patron else "",
            "-" if has_patron else "", "-" if has_patron else "",
            str(1 + int(patron_home[patron])) if has_patron else "",
            "0" if has_patron else "", patron_zip[patron] if has_patron else "",
            "3" if op in "or" else ""])
    _write(out / FILES["sierra_circ_trans"], buf.getvalue())
    return len(rows)


def _mac(rng: np.random.Generator) -> str:
    b = rng.integers(0, 256, size=6)
    b[0] = (b[0] & 0xFC) | 0x02            # locally administered, unicast (random MACs)
    return "-".join(f"{int(x):02X}" for x in b)


def _radius_record(when: datetime, attrs: list[tuple[str, str]]) -> str:
    head = when.strftime("%a %b ") + f"{when.day:2d}" + when.strftime(" %H:%M:%S %Y")
    body = "".join(f"\t{k} = {v}\n" for k, v in attrs)
    return f"{head}\n{body}\n"


def _wifi(rng: np.random.Generator, days: list[date], out: Path) -> int:
    pool = [_mac(rng) for _ in range(900)]
    aps = ("00-1A-1E-10-00-01", "00-1A-1E-10-00-02", "00-1A-1E-10-00-03", "00-1A-1E-10-00-04")
    by_month: dict[str, list[tuple[datetime, str]]] = {}
    n_sessions, seq = 0, 0
    for d in days:
        for _ in range(int(rng.poisson(WIFI_SESSIONS_PER_DAY))):
            seq += 1
            start = _utc(d, int(rng.integers(9 * 3600, 20 * 3600)))
            length = int(rng.integers(120, 7200))
            stop = start + timedelta(seconds=length)
            sid = f"5A0C{seq:012X}"
            mac = pool[int(rng.integers(0, len(pool)))]
            common = [
                ("Acct-Session-Id", f'"{sid}"'), ("User-Name", f'"guest{seq % 97:02d}"'),
                ("NAS-Identifier", '"cen-wlc-01"'), ("NAS-IP-Address", "10.10.0.2"),
                ("NAS-Port", str(1 + seq % 30)), ("NAS-Port-Type", "Wireless-802.11"),
                ("Called-Station-Id", f'"{aps[seq % 4]}:RCLS-Public"'),
                ("Calling-Station-Id", f'"{mac}"'),
                ("Framed-IP-Address", f"10.10.{20 + seq % 12}.{2 + seq % 250}"),
                ("Acct-Authentic", "RADIUS"), ("Service-Type", "Framed-User")]
            inp = int(rng.integers(10_000, 50_000_000))
            outp = int(rng.integers(50_000, 400_000_000))

            def tail(t: datetime) -> list[tuple[str, str]]:
                stamp = t.strftime("%b ") + f"{t.day:2d}" + t.strftime(" %Y %H:%M:%S UTC")
                return [("Event-Timestamp", f'"{stamp}"'), ("Acct-Delay-Time", "0"),
                        ("Acct-Unique-Session-Id", f'"{sid.lower()}{seq:020x}"'),
                        ("Timestamp", str(int(t.timestamp())))]
            start_rec = _radius_record(start, [("Acct-Status-Type", "Start"), *common,
                                               *tail(start)])
            stop_rec = _radius_record(stop, [
                ("Acct-Status-Type", "Stop"), *common, ("Acct-Session-Time", str(length)),
                ("Acct-Input-Octets", str(inp)), ("Acct-Output-Octets", str(outp)),
                ("Acct-Input-Gigawords", "0"), ("Acct-Output-Gigawords", "0"),
                ("Acct-Input-Packets", str(inp // 900)), ("Acct-Output-Packets", str(outp // 1200)),
                ("Acct-Terminate-Cause", "Idle-Timeout"), *tail(stop)])
            month = start.strftime("%Y-%m")
            by_month.setdefault(month, []).extend([(start, start_rec), (stop, stop_rec)])
            n_sessions += 1
    for month, recs in sorted(by_month.items()):
        recs.sort(key=lambda r: r[0])
        _write(out / "wifi" / "radius" / f"detail-fy2023-{month}",
               "".join(text for _, text in recs))
    return n_sessions


def _clf(t: datetime) -> str:
    local = t.astimezone(LOCAL_TZ)
    off = local.utcoffset()
    sign = "-" if off < timedelta(0) else "+"
    mins = abs(int(off.total_seconds())) // 60
    return local.strftime("%d/%b/%Y:%H:%M:%S ") + f"{sign}{mins // 60:02d}{mins % 60:02d}"


def _ezproxy(rng: np.random.Generator, out: Path) -> int:
    shares = np.array([db[-1] for db in DATABASES])
    logs: dict[str, list[tuple[datetime, str]]] = {}
    spus: dict[str, list[tuple[datetime, str]]] = {}
    d, n = FY_START, 0
    while d <= FY_END:
        for _ in range(int(rng.poisson(6.0))):
            n += 1
            ip = f"198.51.100.{int(rng.integers(2, 250))}"
            db = DATABASES[int(rng.choice(len(DATABASES), p=shares / shares.sum()))]
            host, start, search, request, _ = db
            t = _utc(d, int(rng.integers(7 * 3600, 22 * 3600)))
            lines = [f"https://{host}{start}"]
            for _ in range(int(rng.integers(1, 4))):
                lines.append(f"https://{host}{search}{WORDS[int(rng.integers(0, len(WORDS)))]}")
                for _ in range(int(rng.integers(0, 3))):
                    lines.append(f"https://{host}" + request.replace(
                        "{n}", str(int(rng.integers(1000, 9999))))
                        + ("" if "{n}" in request else str(int(rng.integers(100, 999)))))
            month = t.astimezone(LOCAL_TZ).strftime("%Y-%m")
            spus.setdefault(month, []).append((t, f'{ip} - - [{_clf(t)}] "GET https://{PROXY}/'
                                                  f'login?url=https://{host}{start} HTTP/1.1" '
                                                  f'302 -'))
            for url in lines:
                t += timedelta(seconds=int(rng.integers(40, 300)))
                size = int(rng.integers(2_000, 400_000))
                logs.setdefault(month, []).append(
                    (t, f'{ip} - - [{_clf(t)}] "GET {url} HTTP/1.1" 200 {size}'))
        d += timedelta(days=1)
    folder = out / "eresources" / "ezproxy"
    for name, data in (("ezproxy", logs), ("spu", spus)):
        for month, lines in sorted(data.items()):
            lines.sort(key=lambda x: x[0])
            _write(folder / f"{name}-fy2023-{month}.log", "".join(f"{s}\n" for _, s in lines))
    return n


def _ecirc(rng: np.random.Generator, out: Path) -> None:
    rows = ["vendor,month,format,checkouts"]
    news = ["month,vendor,format,checkouts"]
    for m in _months():
        ym = m.strftime("%Y-%m")
        rows.append(f"ReadWave,{ym},eBook,{int(rng.integers(650, 820))}")
        rows.append(f"ReadWave,{ym},Audiobook,{int(rng.integers(420, 560))}")
        news.append(f"{ym},Newsstand Plus,Magazine,{int(rng.integers(40, 70))}")
    _write(out / FILES["readwave"], "\n".join(rows) + "\n")
    _write(out / FILES["newsstand"], "\n".join(news) + "\n")


def _counter(rng: np.random.Generator, out: Path) -> None:
    """One COUNTER R5 Database Master Report (TSV) for the year: Academic Search Premier."""
    months = _months()
    head = [
        ("Report_Name", "Database Master Report"), ("Report_ID", "DR"), ("Release", "5"),
        ("Institution_Name", "Riverbend County Library System"),
        ("Institution_ID", "Proprietary:EBSCO:s8812345"),
        ("Metric_Types", "Searches_Regular; Total_Item_Investigations; Total_Item_Requests"),
        ("Report_Filters", "Access_Method=Regular"),
        ("Report_Attributes", "Attributes_To_Show=Data_Type|Access_Method"),
        ("Exceptions", ""), ("Reporting_Period", "Begin_Date=2022-07-01; End_Date=2023-06-30"),
        ("Created", "2023-07-12T09:30:00Z"), ("Created_By", "EBSCO Information Services")]
    lines = [f"{k}\t{v}" for k, v in head] + [""]
    lines.append("\t".join(["Database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID",
                            "Data_Type", "Access_Method", "Metric_Type",
                            "Reporting_Period_Total", *(m.strftime("%b-%Y") for m in months)]))
    for metric, lo, hi in (("Searches_Regular", 1300, 2100),
                           ("Total_Item_Investigations", 1100, 1800),
                           ("Total_Item_Requests", 600, 1000)):
        values = [int(v) for v in rng.integers(lo, hi, size=12)]
        lines.append("\t".join(["Academic Search Premier", "EBSCO Information Services",
                                "ISNI:0000000122929813", "EBSCOhost", "EBSCO:aph", "Database",
                                "Regular", metric, str(sum(values)), *map(str, values)]))
    _write(out / FILES["counter"], "\n".join(lines) + "\n")


def generate_fy2023(raw_dir: Path, seed: int = DEFAULT_SEED) -> dict:
    """Write the FY2023 exports under ``raw_dir`` (byte-identical for a seed); returns counts."""
    raw_dir = Path(raw_dir)
    days = _open_days()
    return {
        "sierra_rows": _sierra(np.random.default_rng([seed, SEED_SALT, 1]), days, raw_dir),
        "wifi_sessions": _wifi(np.random.default_rng([seed, SEED_SALT, 2]), days, raw_dir),
        "ezproxy_visits": _ezproxy(np.random.default_rng([seed, SEED_SALT, 3]), raw_dir),
        "ecirc": _ecirc(np.random.default_rng([seed, SEED_SALT, 4]), raw_dir),
        "counter": _counter(np.random.default_rng([seed, SEED_SALT, 5]), raw_dir),
        "services": generate_services(raw_dir, seed, date(2022, 7, 1), date(2023, 6, 30)),
    }
