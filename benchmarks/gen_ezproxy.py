"""Generate a year of EZproxy logs (daily ``ezproxy.log`` files) and a libstats config for
benchmarking the e-resource pipeline.

Usage::

    python benchmarks/gen_ezproxy.py --lines 10000000 \\
        [--out benchmarks/data/ezproxy_10000000] [--seed 42] [--gzip-share 0.0]

Writes into the output folder (default ``benchmarks/data/ezproxy_<N>``):

* ``logs/ezproxy-YYYYMMDD.log`` (or ``.log.gz``): one file per server day, 2024-07-01 ..
  2025-06-30 (FY2025 of a July-start library; 365 files), lines in time order;
* ``library.toml``: an e-resources-only library (20 databases with hosts and ``searches`` /
  ``requests`` GLOB patterns, the proxy host, ``max_bad_line_share`` above the planted share,
  key from the environment variable ``LIBSTATS_BENCH_KEY``, output folder ``out``);
* ``ezproxy.meta.json``: lines, seed, generator version, files, bytes and what was planted
  (``is_current`` compares it, so a benchmark regenerates only when something changed).

Content (fake values only: documentation IP ranges 192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24; host names under example.com/org/net; 14-digit card numbers 21234…):

* **LogFormat**: EZproxy's default ``%h %l %u %t "%r" %s %b`` (``Option LogUser``) until
  2024-09-30, then ``%h %{ezproxy-session}i %u %t "%r" %s %b "%{User-Agent}i"
  "%{X-Forwarded-For}i"`` (about 25 % / 75 % of the lines).
* **Clock**: America/New_York; ``%t`` carries ``-0400`` or ``-0500`` as the zone had at that
  instant (the 2024-11-03 file holds both, with the repeated hour 01:00-01:59 written twice; the
  2025-03-09 file skips 02:00-02:59). Lines per day follow weekday and month factors; within a
  day a diurnal curve (quiet at night, busy afternoons and evenings).
* **Sessions**: about 8 requests each, interleaved in blocks of 64 consecutive lines (so a
  session's requests are minutes apart). Patrons (a skewed pool of ``max(2000, N / 50)``) log
  in with a card number (70 %), an e-mail (20 %) or an LDAP DN (10 %); about 4 % of sessions
  are public computers in a branch (no user; ``X-Forwarded-For`` names the computer) and 3 %
  are robots (Googlebot, bingbot, curl, python-requests, …; no session id, no user). In the new
  format every logged-in session has a 15-character session id and 70 % also log ``%u``.
* **URLs**: 20 databases in six URL styles (EBSCO-, ProQuest-, Gale-, JSTOR- and
  NewsBank-like, and "launch" apps), several hosts each (``*.x`` wildcards in the config),
  ``:443`` on 10 % of URLs; searches (35 %), full-content requests (20 %), other pages and
  assets (45 %). Query strings carry search terms (health, genealogy, …), sometimes the card
  number (``patron=``, ``uid=``) or e-mail. 7 % of lines go to unmapped hosts (database
  ``other``, one of them an IP literal), 3 % to EZproxy's own pages (login 302, menu, logout;
  a few relative ``/menu`` and ``/logout`` URLs without a host).
* **Status**: mostly 200, some 302, 304, 206, 404, 403, 500; 3 % POST.
* **Double-clicks**: 2 % of lines repeat the previous line's session and URL 1-20 s later
  (chains possible; a repeat is never later than its own slot, so files stay in time order).
* **Bad lines**: 0.1 % (truncated inside the request, impossible dates such as day 32, or
  garbage text); ``max_bad_line_share`` in the config is 0.005.

Speed: numpy draws every random value of a day at once; lines are assembled with one f-string
each and written a day at a time, so memory stays small (one day): 10M lines (2.70 GB) take
about 36 s on one core of the 2-core machine, 1M lines about 4 s.

Determinism: each day has its own ``numpy.random.default_rng([seed, version, day])``; the
output depends only on N, the seed, the gzip share, this file and the numpy version (numpy does
not promise identical ``Generator`` streams across releases, so the meta file records it and
``is_current`` compares it). gzip files are written with mtime 0 and no file name.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import shutil
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from benchmeta import recorded

GENERATOR_VERSION = 1
KEY_ENV = "LIBSTATS_BENCH_KEY"
TIMEZONE = "America/New_York"
FY_START = dt.date(2024, 7, 1)
DAYS = 365
SWITCH_DAY = dt.date(2024, 10, 1)          # first day written in the new format
FORMAT_OLD = '%h %l %u %t "%r" %s %b'
FORMAT_NEW = '%h %{ezproxy-session}i %u %t "%r" %s %b "%{User-Agent}i" "%{X-Forwarded-For}i"'
PROXY_HOST = "ezproxy.riverbend.example.org"
MAX_BAD_LINE_SHARE = 0.005

BLOCK = 64                 # consecutive lines shared by ...
SESSIONS_PER_BLOCK = 8     # ... this many interleaved sessions (~8 requests a session)
SHARE_ROBOT = 0.03
SHARE_BRANCH_PC = 0.04
SHARE_PROXY_PAGE = 0.03
SHARE_UNMAPPED = 0.07
SHARE_OWN_DB = 0.85        # a request goes to the session's main database
SHARE_SEARCH, SHARE_REQUEST = 0.35, 0.20
SHARE_PORT = 0.10
SHARE_DOUBLE = 0.02
SHARE_BAD = 0.001
SHARE_POST = 0.03

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
WEEKDAY_FACTOR = (1.15, 1.15, 1.10, 1.05, 0.90, 0.65, 0.75)               # Mon..Sun
MONTH_FACTOR = {7: 0.80, 8: 0.85, 9: 1.10, 10: 1.15, 11: 1.10, 12: 0.85, 1: 1.05, 2: 1.10,
                3: 1.15, 4: 1.10, 5: 1.00, 6: 0.85}
HOUR_WEIGHT = (0.6, 0.4, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2.5, 3.8, 4.6, 5.0, 5.0, 5.2, 5.4, 5.3,
               5.0, 4.8, 4.9, 5.2, 5.0, 4.2, 2.8, 1.5)

# URL styles: config hosts and GLOB patterns, and (host, path) templates of logged URLs.
# Template fields: {s} the database's slug, {t} its TLD, {term} search terms, {n} a number,
# {k} a small number, {sid} a per-session hex id, {card} the session's card, {email} its e-mail.
STYLES = {
    "ebsco": {
        "hosts": ["search.{s}.example.{t}", "*.{s}.example.{t}"],
        "searches": ["/ehost/results*", "/ehost/search/*"],
        "requests": ["/ehost/pdfviewer/*", "*.pdf"],
        "search": [("search.{s}.example.{t}",
                    "/ehost/results?vid=0&sid={sid}&bquery={term}&bdata=JmRiPWE5aA%3d%3d"),
                   ("web.a.{s}.example.{t}", "/ehost/search/advanced?vid={k}&sid={sid}")],
        "request": [("web.a.{s}.example.{t}", "/ehost/pdfviewer/pdfviewer?vid={k}&sid={sid}"),
                    ("content.{s}.example.{t}", "/pdf{k}/{n}.pdf?T=P&P=AN&K={n}&S=R&D=a9h")],
        "other": [("web.a.{s}.example.{t}",
                   "/ehost/detail/detail?vid={k}&sid={sid}&bdata=JnNpdGU9ZWhvc3Q%3d#AN={n}"),
                  ("search.{s}.example.{t}", "/ehost/static/css/ehost.css"),
                  ("search.{s}.example.{t}", "/login.aspx?direct=true&db=a9h&AN={n}"),
                  ("web.a.{s}.example.{t}", "/ehost/images/logo.png")],
    },
    "proquest": {
        "hosts": ["www.{s}.example.{t}"],
        "searches": ["/results/*", "/search*"],
        "requests": ["/docview/*/fulltext*"],
        "search": [("www.{s}.example.{t}", "/results/{sid}/1?accountid=48151&query={term}"),
                   ("www.{s}.example.{t}", "/search?q={term}&patron={card}")],
        "request": [("www.{s}.example.{t}", "/docview/{n}/fulltextPDF/{sid}/{k}?accountid=48151"),
                    ("www.{s}.example.{t}", "/docview/{n}/fulltext/{sid}/{k}")],
        "other": [("www.{s}.example.{t}", "/docview/{n}/abstract?accountid=48151"),
                  ("www.{s}.example.{t}", "/assets/app.{k}.js"),
                  ("www.{s}.example.{t}", "/")],
    },
    "gale": {
        "hosts": ["go.{s}.example.{t}", "link.{s}.example.{t}"],
        "searches": ["/ps/basicSearch.do", "/ps/advancedSearch.do", "/ps/paginate.do"],
        "requests": ["/ps/retrieve.do", "/ps/downloadDocument.do"],
        "search": [("go.{s}.example.{t}",
                     ("/ps/basicSearch.do?inputFieldNames[0]=OQE&inputFieldValues[0]={term}"
                     "&userGroupName=rivb{k}&prodId=AONE")),
                   ("go.{s}.example.{t}", "/ps/paginate.do?tabID=T002&searchId=R{k}&pageNum=2")],
        "request": [("go.{s}.example.{t}", "/ps/retrieve.do?docId=GALE%7CA{n}&userGroupName=rivb"),
                    ("go.{s}.example.{t}", "/ps/downloadDocument.do?docId=GALE%7CA{n}")],
        "other": [("go.{s}.example.{t}", "/ps/start.do?p=AONE&u=rivb&uid={card}"),
                  ("link.{s}.example.{t}", "/apps/doc/A{n}/AONE?sid=bookmark-AONE"),
                  ("go.{s}.example.{t}", "/ps/i.do?id=GALE%7CA{n}&v=2.1&it=r")],
    },
    "jstor": {
        "hosts": ["www.{s}.example.{t}"],
        "searches": ["/action/doBasicSearch*", "/action/doAdvancedSearch*"],
        "requests": ["/stable/pdf/*"],
        "search": [("www.{s}.example.{t}", "/action/doBasicSearch?Query={term}&so=rel"),
                   ("www.{s}.example.{t}", "/action/doAdvancedSearch?q0={term}&f0=all")],
        "request": [("www.{s}.example.{t}", "/stable/pdf/{n}.pdf?refreqid=fastly-default"),
                    ("www.{s}.example.{t}", "/stable/pdf/10.2307/{n}.pdf")],
        "other": [("www.{s}.example.{t}", "/stable/{n}"),
                  ("www.{s}.example.{t}", "/px/xhr/api/v1/collect"),
                  ("www.{s}.example.{t}", "/")],
    },
    "news": {
        "hosts": ["infoweb.{s}.example.{t}", "*.img.{s}.example.{t}"],
        "searches": ["/apps/news/results*"],
        "requests": ["/apps/news/document-view*"],
        "search": [("infoweb.{s}.example.{t}",
                    ("/apps/news/results?p=AWNB&sort=YMD_date%3AD&fld-base-0=alltext"
                     "&val-base-0={term}")),
                   ("infoweb.{s}.example.{t}", "/apps/news/results?p=AWNB&q={term}&user={email}")],
        "request": [("infoweb.{s}.example.{t}",
                     "/apps/news/document-view?p=AWNB&docref=news/{sid}"),
                    ("infoweb.{s}.example.{t}",
                     "/apps/news/document-view?p=AWNB&docref=image/{n}")],
        "other": [("infoweb.{s}.example.{t}", "/apps/news/easy-search?p=AWNB"),
                  ("cdn.img.{s}.example.{t}", "/thumb/{n}.jpg"),
                  ("infoweb.{s}.example.{t}", "/apps/news/alerts/signup?email={email}")],
    },
    "launch": {
        "hosts": ["app.{s}.example.{t}", "*.{s}.example.{t}"],
        "searches": ["/api/search*"],
        "requests": ["/lesson/*", "/article/*"],
        "search": [("app.{s}.example.{t}", "/api/search?q={term}&uid={card}"),
                   ("app.{s}.example.{t}", "/api/search?q={term}")],
        "request": [("app.{s}.example.{t}", "/lesson/{n}?lang=es"),
                    ("media.{s}.example.{t}", "/article/{n}/view")],
        "other": [("app.{s}.example.{t}", "/launch?patron={card}&lang=es"),
                  ("app.{s}.example.{t}", "/launch?email={email}"),
                  ("static.{s}.example.{t}", "/js/bundle.{k}.js")],
    },
}
# (name, slug, style, weight); the TLD rotates over com/org/net.
DATABASES = [
    ("Academic Search Premier", "acsearch", "ebsco", 14),
    ("MasterFILE Complete", "masterfile", "ebsco", 6),
    ("Business Source Complete", "bizsource", "ebsco", 4),
    ("Consumer Health Complete", "healthsource", "ebsco", 4),
    ("ProQuest Central", "pqcentral", "proquest", 8),
    ("Historical Newspapers", "histnews", "proquest", 3),
    ("General OneFile", "onefile", "gale", 7),
    ("Virtual Reference Library", "gvrl", "gale", 3),
    ("Opposing Viewpoints", "opview", "gale", 3),
    ("JSTOR Arts and Sciences", "artsci", "jstor", 5),
    ("Project Muse Premium", "musepremium", "jstor", 2),
    ("Access World News", "awnews", "news", 6),
    ("America's Obituaries", "obits", "news", 3),
    ("Ancestry Library Edition", "ancestrylib", "news", 6),
    ("HeritageQuest Online", "heritageq", "news", 2),
    ("Mango Languages", "mangolang", "launch", 3),
    ("Learning Library", "learnlink", "launch", 4),
    ("Consumer Reports", "consumerrep", "jstor", 3),
    ("Investment Research Center", "mstar", "gale", 2),
    ("Chilton Auto Repair", "chiltonlib", "launch", 2),
]
TLDS = ("com", "org", "net")
UNMAPPED = [  # (host, path template): database "other"
    ("fonts.cdnfonts.example.net", "/css2?family=Roboto:wght@{k}00&display=swap"),
    ("static.sitecdn.example.com", "/js/app.min.js?v={k}"),
    ("www.autorepair.example.com", "/repair/{n}?vehicle={term}"),
    ("archive.millbrook-history.example.org", "/index.php?q={term}"),
    ("198.51.100.23:8080", "/localhistory/search?q={term}"),
    ("api.citations.example.org", "/v1/cite?doi=10.1000/{n}"),
    ("cdn.jsdelivr.example.net", "/npm/jquery@3.{k}/dist/jquery.min.js"),
    ("www.localnews.example.com", "/story/{n}?ref={email}"),
]
PROXY_PAGES = [  # (URL, status)
    (f"https://{PROXY_HOST}/login?url=https://search.acsearch.example.com/ehost/search", 302),
    (f"https://{PROXY_HOST}/login?qurl=https%3A%2F%2Fwww.pqcentral.example.org%2Fsearch", 302),
    (f"https://{PROXY_HOST}:443/menu", 200),
    (f"https://{PROXY_HOST}/logout", 302),
    (f"https://{PROXY_HOST}/login", 200),
    ("/menu", 200),
    ("/logout", 302),
]
BROWSERS = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/{v}.0.0.0 Safari/537.36"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/{v}.0.0.0 Safari/537.36 Edg/{v}.0.0.0"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.{m} Safari/605.1.15"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_{m} like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/17.{m} Mobile/15E148 Safari/604.1"),
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/{v}.0.0.0 Mobile Safari/537.36"),
    ("Mozilla/5.0 (X11; CrOS x86_64 15886.44.0) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/{v}.0.0.0 Safari/537.36"),
]
USER_AGENTS = [b.format(v=v, m=m) for b in BROWSERS for v, m in ((120, 1), (124, 3), (126, 5))]
ROBOT_AGENTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "curl/8.5.0",
    "python-requests/2.31.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Wget/1.21.4",
    ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "HeadlessChrome/124.0.0.0 Safari/537.36"),
    "Site24x7 uptime monitor",
]
WORDS = ("climate+change diabetes depression+treatment civil+war smith+family obituary "
         "immigration ellis+island vaccine+safety anxiety student+loans small+business "
         "resume+writing spanish+verbs toyota+camry+2012+brake+pads dementia+care "
         "world+war+ii+draft+cards o%27brien census+1940 housing+prices opioid+crisis "
         "ukraine election+2024 photosynthesis shakespeare+sonnets cancer+screening "
         "%22heart+disease%22 adhd+adults divorce+records land+deeds lincoln+assassination "
         "retirement+planning index+funds gene+therapy bankruptcy autism fentanyl "
         "%22domestic+violence%22 pregnancy+nutrition hiv+treatment garcia+genealogy "
         "korean+war+veterans stock+market+crash tax+forms lupus job+interview+questions "
         "french+phrases water+quality local+history+riverbend mental+health+teens "
         "mortgage+rates arthritis colonial+america the+great+gatsby").split()
HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
ALNUM = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                      dtype=np.uint8)
# "HH:MM:SS" of every second of a day
HMS = np.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)])


def _lit(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _tlist(values) -> str:
    return "[" + ", ".join(_lit(v) for v in values) + "]"


def database_specs() -> list[dict]:
    """Each database with its config entries and its URL templates (fields filled in)."""
    specs = []
    for i, (name, slug, style, weight) in enumerate(DATABASES):
        st, t = STYLES[style], TLDS[i % len(TLDS)]

        def fill(x: str, slug=slug, t=t) -> str:
            return x.replace("{s}", slug).replace("{t}", t)
        specs.append({
            "name": name, "weight": weight,
            "hosts": [fill(h) for h in st["hosts"]],
            "searches": st["searches"], "requests": st["requests"],
            "templates": {k: [(fill(h), p) for h, p in st[k]]
                          for k in ("search", "request", "other")},
        })
    return specs


def config_text(lines: int) -> str:
    """library.toml for the benchmark (an e-resources-only library)."""
    out = [
        (f"# Generated by benchmarks/gen_ezproxy.py ({lines:,} EZproxy lines): "
         "an e-resources-only library."),
        "[library]", 'name = "EZproxy benchmark"', 'slug = "ezproxy-bench"',
        'fiscal_year_start = "07-01"', f'timezone = "{TIMEZONE}"', "",
        "[key]", f'env = "{KEY_ENV}"', "",
        "[output]", 'folder = "out"', "",
        "[[branches]]", 'code = "BEN"', 'name = "Benchmark branch"', "",
        "[eresources]", f'proxy_hosts = ["{PROXY_HOST}"]',
        f"max_bad_line_share = {MAX_BAD_LINE_SHARE}", "",
    ]
    for d in database_specs():
        out += ["[[eresources.databases]]", f"name = {_lit(d['name'])}",
                f"hosts = {_tlist(d['hosts'])}", f"searches = {_tlist(d['searches'])}",
                f"requests = {_tlist(d['requests'])}", ""]
    out += ["[[sources]]", 'name = "ezproxy"', 'kind = "eresources"', 'format = "ezproxy_log"',
            'path = "logs/ezproxy-*.log*"',
            "# the current format first: most lines match it, the old one is tried on the rest",
            f"log_format = ['{FORMAT_NEW}', '{FORMAT_OLD}']", f'timezone = "{TIMEZONE}"', ""]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# the calendar

def _epoch(d: dt.datetime) -> int:
    return int(d.timestamp())


def calendar() -> list[dict]:
    """Each day: UTC bounds of the local day, offsets (seconds) and DST transitions in it."""
    tz = ZoneInfo(TIMEZONE)
    days = []
    for i in range(DAYS):
        day = FY_START + dt.timedelta(days=i)
        t0 = _epoch(dt.datetime(day.year, day.month, day.day, tzinfo=tz))
        nxt = day + dt.timedelta(days=1)
        t1 = _epoch(dt.datetime(nxt.year, nxt.month, nxt.day, tzinfo=tz))

        def off(epoch: int) -> int:
            return int(dt.datetime.fromtimestamp(epoch, tz).utcoffset().total_seconds())
        transitions = []
        if off(t0) != off(t1 - 1):                 # find the instant the offset changes
            lo, hi = t0, t1 - 1
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if off(mid) == off(t0) else (lo, mid)
            transitions.append((hi, off(hi)))
        days.append({"day": day, "t0": t0, "t1": t1, "off0": off(t0),
                     "transitions": transitions})
    return days


def lines_per_day(lines: int, days: list[dict]) -> np.ndarray:
    w = np.array([WEEKDAY_FACTOR[d["day"].weekday()] * MONTH_FACTOR[d["day"].month]
                  for d in days])
    exact = w / w.sum() * lines
    n = np.floor(exact).astype(np.int64)
    rest = lines - int(n.sum())
    if rest:
        n[np.argsort(-(exact - n), kind="stable")[:rest]] += 1
    return n


# ---------------------------------------------------------------------------------------------
# one day

def _strings(rng, alphabet: np.ndarray, n: int, width: int) -> list[str]:
    codes = alphabet[rng.integers(0, len(alphabet), size=(n, width))]
    return [s.decode() for s in np.ascontiguousarray(codes).view(f"S{width}").ravel()]


def day_lines(d: dict, n: int, seed: int, specs: list[dict], patrons: int
              ) -> tuple[list[str], dict]:
    """The lines of one day (without line ends) and counts of what was planted."""
    rng = np.random.default_rng([seed, GENERATOR_VERSION, d["day"].toordinal()])
    new_format = d["day"] >= SWITCH_DAY
    if n == 0:
        return [], {}

    # times: stratified positions through a diurnal curve, so already in order
    knots = np.concatenate([[0.0], np.cumsum(HOUR_WEIGHT)]) / sum(HOUR_WEIGHT)
    span = d["t1"] - d["t0"]
    u = (np.arange(n) + rng.random(n)) / n
    elapsed = np.minimum(np.interp(u, knots, np.linspace(0, span, 25)).astype(np.int64),
                         span - 1)

    # sessions: BLOCK consecutive lines shared by SESSIONS_PER_BLOCK sessions
    n_sess = ((n - 1) // BLOCK + 1) * SESSIONS_PER_BLOCK
    sess = (np.arange(n) // BLOCK) * SESSIONS_PER_BLOCK + rng.integers(0, SESSIONS_PER_BLOCK, n)
    # double-clicks: the line before again (session, URL), 1-20 s later (never later than the
    # line's own time, so the file stays in time order)
    double = rng.random(n) < SHARE_DOUBLE
    double[0] = False
    gap = rng.integers(1, 21, n)
    for j in np.flatnonzero(double).tolist():
        sess[j] = sess[j - 1]
        elapsed[j] = min(elapsed[j], elapsed[j - 1] + gap[j])

    epoch = d["t0"] + elapsed
    off = np.full(n, d["off0"], dtype=np.int64)
    for at, after in d["transitions"]:
        off[epoch >= at] = after
    wall = elapsed + (off - d["off0"])              # seconds since local midnight, wall clock
    hms = HMS[wall].tolist()
    offs = np.where(off == -14400, "-0400", "-0500")
    offs = [str(x) for x in offs] if len(d["transitions"]) else [str(offs[0])] * n
    date = f"{d['day'].day:02d}/{MONTHS[d['day'].month - 1]}/{d['day'].year}"

    su = rng.random(n_sess)
    robot = su < SHARE_ROBOT
    branch_pc = (su >= SHARE_ROBOT) & (su < SHARE_ROBOT + SHARE_BRANCH_PC)
    patron = (patrons * rng.random(n_sess) ** 2).astype(np.int64)
    card = 21234000000000 + (patron * 7919 + 104729) % 1_000_000_000
    kind_u = patron % 10                           # 0-6 card, 7-8 e-mail, 9 LDAP DN
    cards = [str(c) for c in card.tolist()]
    emails = [f"patron{p}@example.{TLDS[p % 3]}" for p in patron.tolist()]
    users = [c if k < 7 else (e if k < 9 else f"uid=p{p},ou=patrons,dc=riverbend,dc=example")
             for c, e, k, p in zip(cards, emails, kind_u.tolist(), patron.tolist(), strict=True)]
    log_user = rng.random(n_sess) < (0.70 if new_format else 1.0)
    sids = _strings(rng, ALNUM, n_sess, 15)
    hexids = _strings(rng, HEX, n_sess, 16)
    ip_prefix = np.array(["192.0.2.", "198.51.100.", "203.0.113."])
    ips = np.char.add(ip_prefix[rng.integers(0, 3, n_sess)],
                      rng.integers(1, 255, n_sess).astype(str)).tolist()
    mobile = rng.random(n_sess) < 0.10
    ua_idx = (patron * 31 + 7) % len(USER_AGENTS)
    robot_idx = rng.integers(0, len(ROBOT_AGENTS), n_sess)
    main_db = rng.choice(len(specs), size=n_sess, p=_weights(specs))
    pc_no = rng.integers(1, 60, n_sess)

    h_s, sess_s, user_s, ua_s, xff_s = [], [], [], [], []
    for is_robot, is_pc, is_mobile, ip, sid, user, logged, ua, bot, pc in zip(
            robot.tolist(), branch_pc.tolist(), mobile.tolist(), ips, sids, users,
            log_user.tolist(), ua_idx.tolist(), robot_idx.tolist(), pc_no.tolist(), strict=True):
        if is_robot:                # not logged in: no session id, no user
            h_s.append(ip)
            sess_s.append("-")
            user_s.append("-")
            ua_s.append(ROBOT_AGENTS[bot])
            xff_s.append("-")
        elif is_pc:                 # a branch's public computer, authenticated by address
            h_s.append("198.51.100.10")
            sess_s.append(sid)
            user_s.append("-")
            ua_s.append(USER_AGENTS[0])
            xff_s.append(f"192.0.2.{pc}, 198.51.100.10")
        else:
            h_s.append("203.0.113.250" if is_mobile else ip)
            xff_s.append(ip if is_mobile else "-")
            sess_s.append(sid)
            user_s.append(user if logged else "-")
            ua_s.append(USER_AGENTS[ua])

    # URLs
    r = rng.random(n)
    own = rng.random(n) < SHARE_OWN_DB
    db = np.where(own, main_db[sess], rng.choice(len(specs), size=n, p=_weights(specs)))
    kr = rng.random(n)
    pick = rng.integers(0, 1 << 30, n)
    nums = rng.integers(1_000_000, 999_999_999, n)
    small = rng.integers(1, 10, n)
    terms = rng.integers(0, len(WORDS), n)
    term2 = rng.integers(0, len(WORDS), n)
    two_words = rng.random(n) < 0.4
    port = rng.random(n) < SHARE_PORT
    status_u = rng.random(n)
    sizes = rng.integers(180, 250_000, n)
    post = rng.random(n) < SHARE_POST
    # Python lists: indexing them per line is several times faster than numpy scalars
    sess_l, db_l, r, kr, pick = sess.tolist(), db.tolist(), r.tolist(), kr.tolist(), pick.tolist()
    nums, small, terms, term2 = nums.tolist(), small.tolist(), terms.tolist(), term2.tolist()
    two_words, port, status_u = two_words.tolist(), port.tolist(), status_u.tolist()
    double_l = double.tolist()
    urls, statuses = [], []
    for j in range(n):
        s = sess_l[j]
        if double_l[j]:
            urls.append(urls[-1])
            statuses.append("200")
            continue
        term = WORDS[terms[j]] + ("+" + WORDS[term2[j]] if two_words[j] else "")
        rj = r[j]
        if rj < SHARE_PROXY_PAGE:
            url, st = PROXY_PAGES[pick[j] % len(PROXY_PAGES)]
            urls.append(url)
            statuses.append(str(st))
            continue
        if rj < SHARE_PROXY_PAGE + SHARE_UNMAPPED:
            host, path = UNMAPPED[pick[j] % len(UNMAPPED)]
        else:
            spec = specs[db_l[j]]
            k = kr[j]
            group = spec["templates"]["search" if k < SHARE_SEARCH else
                                      "request" if k < SHARE_SEARCH + SHARE_REQUEST else "other"]
            host, path = group[pick[j] % len(group)]
        path = path.format(term=term, n=nums[j], k=small[j], sid=hexids[s], card=cards[s],
                           email=emails[s])
        urls.append(f"https://{host}{':443' if port[j] else ''}{path}")
        su_j = status_u[j]
        statuses.append("200" if su_j < 0.895 else "304" if su_j < 0.935 else
                        "302" if su_j < 0.96 else "206" if su_j < 0.975 else
                        "404" if su_j < 0.99 else "403" if su_j < 0.995 else "500")

    # assemble
    bad_u = rng.random(n)
    bad_kind = rng.integers(0, 3, n)
    cut = rng.integers(5, 40, n)
    sizes_l, post_l = sizes.tolist(), post.tolist()
    bad_l, bad_kind, cut = (bad_u < SHARE_BAD).tolist(), bad_kind.tolist(), cut.tolist()
    out = []
    for j in range(n):
        s = sess_l[j]
        st = statuses[j]
        size = "-" if st in ("304", "302") and sizes_l[j] % 3 else sizes_l[j]
        req = f'{"POST" if post_l[j] else "GET"} {urls[j]} HTTP/1.1'
        if new_format:
            line = (f'{h_s[s]} {sess_s[s]} {user_s[s]} [{date}:{hms[j]} {offs[j]}] "{req}" '
                    f'{st} {size} "{ua_s[s]}" "{xff_s[s]}"')
        else:
            line = f'{h_s[s]} - {user_s[s]} [{date}:{hms[j]} {offs[j]}] "{req}" {st} {size}'
        if bad_l[j]:
            if bad_kind[j] == 0:                       # truncated inside the request
                line = line[:line.index('"') + cut[j]]
            elif bad_kind[j] == 1:                     # impossible date
                line = line.replace(f"[{date}:", f"[32/{date[3:]}:", 1)
            else:
                line = "EZproxy: log file reopened after rotation, pid " + str(nums[j])
        out.append(line)
    planted = {"bad_lines": int((bad_u < SHARE_BAD).sum()),
               "double_clicks": int(double.sum()),
               "robot_lines": int(robot[sess].sum()),
               "new_format_lines": n if new_format else 0}
    return out, planted


def _weights(specs: list[dict]) -> np.ndarray:
    w = np.array([s["weight"] for s in specs], dtype=float)
    return w / w.sum()


# ---------------------------------------------------------------------------------------------
# files

def meta_path_for(folder: Path) -> Path:
    return Path(folder) / "ezproxy.meta.json"


def config_path_for(folder: Path) -> Path:
    return Path(folder) / "library.toml"


def logs_dir_for(folder: Path) -> Path:
    return Path(folder) / "logs"


def _gzip_days(days: int, share: float) -> int:
    return round(days * share)


def generate(lines: int, folder: Path, seed: int = 42, gzip_share: float = 0.0,
             quiet: bool = False) -> dict:
    """Write the daily logs (into ``logs.tmp``, renamed when complete), library.toml and the
    meta file. The first ``gzip_share`` of the days are gzip-compressed (rotated files)."""
    if lines < DAYS:
        raise ValueError(f"--lines must be at least {DAYS} (one per day)")
    if not 0 <= gzip_share <= 1:
        raise ValueError("--gzip-share must be between 0 and 1")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    meta_path = meta_path_for(folder)
    if meta_path.exists():
        meta_path.unlink()
    logs = logs_dir_for(folder)
    tmp = folder / "logs.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    t_start = time.monotonic()
    days = calendar()
    counts = lines_per_day(lines, days)
    specs = database_specs()
    patrons = max(2000, lines // 50)
    n_gz = _gzip_days(DAYS, gzip_share)
    planted = {"bad_lines": 0, "double_clicks": 0, "robot_lines": 0, "new_format_lines": 0}
    total_bytes, names = 0, []
    for i, (d, n) in enumerate(zip(days, counts.tolist(), strict=True)):
        body, p = day_lines(d, n, seed, specs, patrons)
        for k, v in p.items():
            planted[k] += v
        data = ("\n".join(body) + "\n").encode("utf-8")
        name = f"ezproxy-{d['day']:%Y%m%d}.log"
        if i < n_gz:
            name += ".gz"
            with open(tmp / name, "wb") as raw, \
                    gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0,
                                  compresslevel=6) as fh:
                fh.write(data)
        else:
            (tmp / name).write_bytes(data)
        total_bytes += (tmp / name).stat().st_size
        names.append(name)
        if not quiet and (i + 1) % 30 == 0:
            print(f"  {i + 1}/{DAYS} days, {int(counts[:i + 1].sum()):,} lines, "
                  f"{time.monotonic() - t_start:.0f}s", file=sys.stderr, flush=True)
    shutil.rmtree(logs, ignore_errors=True)
    os.replace(tmp, logs)
    config_path_for(folder).write_text(config_text(lines), encoding="utf-8")
    elapsed = time.monotonic() - t_start
    meta = {"lines": lines, "seed": seed, "generator_version": GENERATOR_VERSION,
            "gzip_share": gzip_share, "numpy": np.__version__, "files": len(names),
            "gzip_files": n_gz, "bytes": total_bytes, "first_day": str(days[0]["day"]),
            "last_day": str(days[-1]["day"]), "format_switch_day": str(SWITCH_DAY),
            "log_formats": {"until_switch": FORMAT_OLD, "from_switch": FORMAT_NEW},
            "patrons": patrons, "planted": planted, "seconds": round(elapsed, 1)}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if not quiet:
        print(f"wrote {logs} ({lines:,} lines in {len(names)} files, "
              f"{total_bytes / 1e6:,.1f} MB) in {elapsed:.1f}s", file=sys.stderr)
    return meta


def is_current(folder: Path, lines: int, seed: int, gzip_share: float = 0.0) -> bool:
    """True when ``folder`` holds a complete generation with these parameters by this
    version (files present with the recorded total size, config written)."""
    logs = logs_dir_for(folder)
    if not logs.is_dir() or not config_path_for(folder).exists():
        return False
    files = sorted(logs.glob("ezproxy-*.log*"))
    return recorded(meta_path_for(folder), lines=lines, seed=seed, gzip_share=gzip_share,
                    generator_version=GENERATOR_VERSION, numpy=np.__version__,
                    files=len(files), bytes=sum(f.stat().st_size for f in files))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--lines", type=int, default=10_000_000,
                   help="number of log lines (default 10,000,000)")
    p.add_argument("--out", type=Path,
                   help="folder (default: benchmarks/data/ezproxy_<N>)")
    p.add_argument("--seed", type=int, default=42, help="seed (default 42)")
    p.add_argument("--gzip-share", type=float, default=0.0,
                   help="share of the days (the earliest) written as .log.gz (default 0)")
    p.add_argument("-q", "--quiet", action="store_true")
    args = p.parse_args(argv)
    out = args.out or Path(__file__).resolve().parent / "data" / f"ezproxy_{args.lines}"
    try:
        generate(args.lines, out, args.seed, args.gzip_share, args.quiet)
    except ValueError as exc:
        p.error(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
