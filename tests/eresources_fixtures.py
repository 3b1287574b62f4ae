"""A tiny hand-written e-resource setup for the mini library (obviously fake values).

EZproxy logs in two LogFormats (one source), a LogSPU file, a COUNTER DR (R5.1 TSV) and PR_P1
(R5.0 JSON), and a vendor e-circulation CSV. Expected counts are written out by hand in the
``EXPECTED_*`` tables from the rules of docs/eresources.md; the suppression threshold is 1 so
that small hand counts stay visible.
"""

from __future__ import annotations

import json
from pathlib import Path

F1 = '%h %l %u %t "%r" %s %b'
F2 = '%h %{ezproxy-session}i %u %t "%r" %s %b "%{User-Agent}i" "%{X-Forwarded-For}i"'

ERES_CONFIG = f"""
[eresources]
proxy_hosts = ["ezproxy.testville.example"]
max_bad_line_share = 0.2          # a tiny fixture: one bad line is a large share

[[eresources.databases]]
name = "Alpha Search"
hosts = ["search.alpha.example", "*.alpha.example"]
counter_names = ["Alpha Search Complete"]
searches = ["/search*"]
requests = ["/pdf/*", "*.pdf"]

[[eresources.databases]]
name = "Beta News"
hosts = ["news.beta.example"]
searches = ["/results*"]
requests = ["/article/*"]

[[sources]]
name = "ezproxy"
kind = "eresources"
format = "ezproxy_log"
path = "raw/eres/ezproxy-*.log"
log_format = ['{F1}', '{F2}']

[[sources]]
name = "spu"
kind = "eresources"
format = "ezproxy_spu"
path = "raw/eres/spu-*.log"

[[sources]]
name = "counter"
kind = "eresources"
format = "counter_r5"
path = "raw/eres/counter/*"

[[sources]]
name = "ecirc"
kind = "eresources"
format = "vendor_ecirc"
path = "raw/eres/ecirc.csv"
"""

CARD = "21234000000017"
EMAIL = "jane.doe@example.com"
DN = "uid=tester9,ou=patrons,dc=testville,dc=example"
SESSION = "sessAAAAAAAAA01"
IPS = ("192.0.2.10", "192.0.2.20", "192.0.2.30", "198.51.100.5", "203.0.113.7",
       "203.0.113.8")
SEARCH_TERMS = ("cats", "election")
MOZ_WIN = "Mozilla/5.0 (Windows NT 10.0)"
MOZ_MAC = "Mozilla/5.0 (Macintosh)"


def _f1(ip, user, t, url, status, size=100):
    return f'{ip} - {user} [{t}] "GET {url} HTTP/1.1" {status} {size}'


def _f2(ip, session, user, t, url, status, ua, xff):
    return f'{ip} {session} {user} [{t}] "GET {url} HTTP/1.1" {status} 10 "{ua}" "{xff}"'


A = "https://search.alpha.example"
B = "https://news.beta.example"
P = "http://ezproxy.testville.example"

# Oct 10 2024 (EDT, -0400), format 1 (Option LogUser: %u is a card number, e-mail or DN).
OCT = [
    _f1(IPS[0], CARD, "10/Oct/2024:10:00:00 -0400", f"{A}/search?q=cats&patron={CARD}", 200),
    _f1(IPS[0], CARD, "10/Oct/2024:10:00:20 -0400", f"{A}/search?q=cats&patron={CARD}", 200),
    _f1(IPS[0], CARD, "10/Oct/2024:10:01:00 -0400", f"{A}/pdf/123", 200),
    _f1(IPS[0], CARD, "10/Oct/2024:10:01:31 -0400", f"{A}/pdf/123", 200),
    _f1(IPS[0], EMAIL, "10/Oct/2024:10:05:00 -0400",
        f"https://www.alpha.example/search?q=dogs&email={EMAIL}", 200),
    _f1(IPS[0], DN, "10/Oct/2024:11:10:00 -0400", f"{B}/results?q=election", 200),
    _f1(IPS[1], "-", "10/Oct/2024:11:20:00 -0400", f"{B}/article/55", 200),
    _f1(IPS[1], "-", "10/Oct/2024:12:05:00 -0400", f"{B}/article/56", 404),
    _f1(IPS[1], "-", "10/Oct/2024:12:06:00 -0400", f"{P}/menu", 200),
    _f1(IPS[2], "-", "10/Oct/2024:12:10:00 -0400", "https://unmapped.example.org/page", 200),
    "this is not a log line",
    _f1(IPS[0], CARD, "10/Oct/2024:23:30:00 -0400", f"{A}/", 200),
    # a relative URL on EZproxy itself: no host, even with a database URL in its query
    _f1(IPS[2], "-", "10/Oct/2024:12:11:00 -0400", f"/login?url={A}/search?q=x", 200),
    # searching for a published name is not a leak of that name
    _f1(IPS[2], "-", "10/Oct/2024:12:12:00 -0400", f"{B}/results?q=Beta%20News", 200),
]
# Jan 15 2025 (EST, -0500), format 2 (session ids, user agents, X-Forwarded-For).
JAN = [
    _f2(IPS[3], SESSION, "-", "15/Jan/2025:09:00:00 -0500", f"{A}/search?q=x", 200, MOZ_WIN,
        "-"),
    _f2(IPS[3], SESSION, "-", "15/Jan/2025:15:00:00 -0500", f"{A}/pdf/9.pdf", 200, MOZ_WIN,
        "-"),
    _f2("198.51.100.6", "-", "-", "15/Jan/2025:09:30:00 -0500", f"{A}/search?q=y", 200,
        "Googlebot/2.1 (+http://www.google.com/bot.html)", "-"),
    _f2("10.0.0.5", "-", "-", "15/Jan/2025:10:00:00 -0500", f"{B}/article/1", 200, MOZ_MAC,
        f"{IPS[4]}, 10.0.0.5"),
    _f2("10.0.0.5", "-", "-", "15/Jan/2025:10:10:00 -0500", f"{B}/article/2", 200, MOZ_MAC,
        f"{IPS[5]}, 10.0.0.5"),
    _f2(IPS[3], SESSION, "-", "15/Jan/2025:16:00:00 -0500", f"{B}/results?q=z", 304, MOZ_WIN,
        "-"),
]
JUNE = [_f1(IPS[0], CARD, "30/Jun/2024:23:59:00 -0400", f"{A}/search?q=late", 200)]
SPU = [
    _f1("192.0.2.10", "-", "10/Oct/2024:09:59:00 -0400", f"{P}/login?url={A}/", 302, 0),
    _f1("192.0.2.11", "-", "10/Oct/2024:10:30:00 -0400",
        f"{P}/login?qurl=https%3A%2F%2Fnews.beta.example%2Fresults%3Fq%3Dx", 302, 0),
    _f1("192.0.2.11", "-", "10/Oct/2024:10:30:10 -0400",
        f"{P}/login?qurl=https%3A%2F%2Fnews.beta.example%2Fresults%3Fq%3Dx", 302, 0),
    _f1("192.0.2.12", "-", "10/Oct/2024:11:00:00 -0400", f"{P}/login?url={A}/", 302, 0),
    _f1("192.0.2.13", "-", "10/Oct/2024:11:05:00 -0400", f"{P}/login", 200, 0),
]

# (month, database, measure) -> count; every other cell of the grid is 0.
EXPECTED_USE = {
    ("2024-10", "Alpha Search", "sessions"): 3,   # card h10, e-mail h10, card h23
    ("2024-10", "Alpha Search", "searches"): 2,   # first click of the double-click dropped
    ("2024-10", "Alpha Search", "requests"): 2,   # 31 s apart: both count
    ("2024-10", "Beta News", "sessions"): 3,
    ("2024-10", "Beta News", "searches"): 2,
    ("2024-10", "Beta News", "requests"): 1,
    ("2024-10", "other", "sessions"): 1,
    ("2025-01", "Alpha Search", "sessions"): 1,   # one session id for the whole day
    ("2025-01", "Alpha Search", "searches"): 1,   # the robot's search is not counted
    ("2025-01", "Alpha Search", "requests"): 1,
    ("2025-01", "Beta News", "sessions"): 3,      # two X-Forwarded-For clients + the session
    ("2025-01", "Beta News", "searches"): 1,      # 304 counts
    ("2025-01", "Beta News", "requests"): 2,
}
EXPECTED_SPU = {("2024-10", "Alpha Search"): 2, ("2024-10", "Beta News"): 1,
                ("2024-10", "other"): 1}
EXPECTED_EXCLUDED = {"outside_period": 1, "robot": 1, "not_successful": 1, "proxy_page": 2,
                     "double_click": 1}
EXPECTED_COUNTER = {
    ("2024-10", "Alpha Search", "DR", "searches"): 12,
    ("2024-10", "Alpha Search", "DR", "investigations"): 20,
    ("2024-10", "Alpha Search", "DR", "requests"): 8,      # the TDM row is left out
    ("2024-11", "Alpha Search", "DR", "searches"): 15,
    ("2024-11", "Alpha Search", "DR", "investigations"): 22,
    ("2024-11", "Alpha Search", "DR", "requests"): 9,
    ("2025-01", "Beta Platform", "PR", "searches"): 30,
    ("2025-01", "Beta Platform", "PR", "requests"): 5,
}
EXPECTED_ECIRC = {("2024-10", "Libby Example", "ebook"): 25,
                  ("2024-10", "Libby Example", "eaudio"): 12,
                  ("2024-11", "Libby Example", "ebook"): 1,
                  ("2024-10", "Hoopla Example", "evideo"): 3}


def counter_dr_tsv() -> str:
    head = [("Report_Name", "Database Report"), ("Report_ID", "DR"), ("Release", "5.1"),
            ("Institution_Name", "Testville Public Library"),
            ("Institution_ID", "Proprietary:TPL"),
            ("Metric_Types", "Searches_Regular; Total_Item_Investigations; Total_Item_Requests"),
            ("Report_Filters", ""), ("Report_Attributes", ""), ("Exceptions", ""),
            ("Reporting_Period", "Begin_Date=2024-10-01; End_Date=2024-11-30"),
            ("Created", "2024-12-05T10:00:00Z"), ("Created_By", "Alpha Publishing"),
            ("Registry_Record", "https://registry.countermetrics.org/platform/x")]
    cols = ["Database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID", "Data_Type",
            "Access_Method", "Metric_Type", "Reporting_Period_Total", "Oct-2024", "Nov-2024"]
    base = ["Alpha Search Complete", "Alpha Publishing", "", "AlphaHost", "", "Database_Full"]
    body = [base + ["Regular", "Searches_Regular", "27", "12", "15"],
            base + ["Regular", "Total_Item_Investigations", "42", "20", "22"],
            base + ["Regular", "Total_Item_Requests", "17", "8", "9"],
            base + ["TDM", "Total_Item_Requests", "100", "100", "0"]]
    lines = ["\t".join(r) for r in head] + [""] + ["\t".join(cols)] + ["\t".join(r) for r in body]
    return "\n".join(lines) + "\n"


def counter_pr_json() -> str:
    return json.dumps({
        "Report_Header": {
            "Created": "2025-02-03T08:00:00Z", "Created_By": "Beta Media",
            "Customer_ID": "TPL-1", "Report_ID": "PR_P1", "Release": "5",
            "Report_Name": "Platform Usage", "Institution_Name": "Testville Public Library",
            "Institution_ID": [{"Type": "Proprietary", "Value": "TPL"}],
            "Report_Filters": [{"Name": "Begin_Date", "Value": "2025-01-01"},
                               {"Name": "End_Date", "Value": "2025-01-31"}],
            "Report_Attributes": [], "Exceptions": []},
        "Report_Items": [{
            "Platform": "Beta Platform", "Data_Type": "Platform", "Access_Method": "Regular",
            "Performance": [{"Period": {"Begin_Date": "2025-01-01", "End_Date": "2025-01-31"},
                             "Instance": [{"Metric_Type": "Searches_Platform", "Count": 30},
                                          {"Metric_Type": "Total_Item_Requests", "Count": 5}]}],
        }],
    }, indent=2) + "\n"


def ecirc_csv() -> str:
    return ("vendor,month,format,checkouts,title\n"
            "Libby Example,2024-10,eBook,25,Some Title\n"
            "Libby Example,2024-10,Audiobook,12,Other Title\n"
            "Libby Example,2024-11,ebook,1,A Third Title\n"
            "Hoopla Example,2024-10,Video,3,\n"
            "Libby Example,2023-10,ebook,99,Too Old\n")


def add_eresources(config: Path) -> Path:
    """Add the e-resource sources and files to a mini library; returns the config path."""
    raw = config.parent / "raw" / "eres"
    (raw / "counter").mkdir(parents=True)
    (raw / "ezproxy-20240630.log").write_text("\n".join(JUNE) + "\n", encoding="utf-8")
    (raw / "ezproxy-20241010.log").write_text("\n".join(OCT) + "\n", encoding="utf-8")
    (raw / "ezproxy-20250115.log").write_text("\n".join(JAN) + "\n", encoding="utf-8")
    (raw / "spu-20241010.log").write_text("\n".join(SPU) + "\n", encoding="utf-8")
    (raw / "counter" / "alpha_dr_2024.tsv").write_text(counter_dr_tsv(), encoding="utf-8")
    (raw / "counter" / "beta_pr_p1_2025-01.json").write_text(counter_pr_json(),
                                                              encoding="utf-8")
    (raw / "ecirc.csv").write_text(ecirc_csv(), encoding="utf-8")
    text = config.read_text(encoding="utf-8").replace("threshold = 10", "threshold = 1")
    config.write_text(text + ERES_CONFIG, encoding="utf-8")
    return config
