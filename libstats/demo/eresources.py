"""Generate a year of e-resource exports for the demo library, deterministically.

The Riverbend County Library System (fictional, see :mod:`libstats.demo.generate`) offers five
licensed databases to its card holders through an EZproxy server, ``ezproxy.riverbend.example``,
and lends e-books, e-audio, videos and magazines through three e-lending vendors. FY2025
(2024-07-01 .. 2025-06-30, America/New_York) arrives under ``<raw_dir>/eresources/`` as:

* ``ezproxy/ezproxy-YYYYMMDD.log``: EZproxy's main log, one file per server day (the server's
  clock is America/New_York), 2024-06-30 .. 2025-07-01 (the first and the last file are outside
  the period). Files up to 2024-09-30 were gzip-compressed by logrotate (``.log.gz``); later ones
  are plain. The **LogFormat changed on 2025-01-01**:

  - until 2024-12-31: ``%h %l %u %t "%r" %s %b`` with ``Option LogUser`` (``%u`` is the login);
  - from 2025-01-01: ``%h %{ezproxy-session}i %u %t "%r" %s %b "%{User-Agent}i"
    "%{X-Forwarded-For}i"``.

  A few lines written in the last seconds of a day (23:59:57 or later) land in the next day's
  file (rotation lag), so the 2025-01-01 file starts with a line in the old format.
* ``ezproxy/spu-YYYYMMDD.log``: EZproxy's ``LogSPU`` file (``%h %l %u %t "%r" %s %b``), one line
  per starting-point URL followed (``/login?url=...`` or ``/login?qurl=<URL-encoded>``), mostly
  302 redirects, same days as the main log, plain text.
* ``counter/*``: COUNTER Release 5 reports from the vendors, R5.0 for July-December 2024 and
  R5.1 for January-June 2025, tabular (TSV, CSV) and COUNTER_SUSHI JSON (see
  :data:`COUNTER_FILES`): DR from EBSCOhost (TSV R5.0, JSON R5.1), PR from NewsVault (JSON
  R5.0, CSV R5.1 with a byte-order mark), TR_B1 from Heritage Roots (TSV both releases), TR_J1
  from MedRef (CSV R5.0, TSV R5.1), DR_D1 from LinguaLab (TSV R5.0, CSV R5.1) and one LinguaLab
  Kids DR_D1 R5.1 that reports exception 3030 (no usage) with an empty body.
* ``ecirc/*.csv``: monthly checkouts from ReadWave (OverDrive-like), StreamShelf (hoopla-like,
  one row per title with ``title``, ``creator`` and ``isbn``) and Newsstand Plus (magazines).

Databases (:data:`DATABASES` is the ``[[eresources.databases]]`` list): Academic Search Premier
(``search.ebscohost.com``, ``*.ebscohost.com``), NewsVault Newspapers
(``infoweb.newsvault.example``, ``*.archivalpress.example``), Heritage Roots Genealogy
(``genealogy.archivalpress.example`` exact and ``*.img.archivalpress.example``: an exact host and
a longer suffix both beat NewsVault's ``*.archivalpress.example``), MedRef Consumer Health
(``consumer.medref.example``) and LinguaLab Languages (``app.lingualab.example``,
``*.lingualab.example``). Unmapped hosts (database ``other``): ``www.autorepairsource.example``
(popular: hundreds of sessions), ``archive.millbrookfalls-history.example`` (four sessions in the
year) and the IP-literal ``198.51.100.23:8080`` (a local-history index, dozens of sessions).

Volumes: about 40 proxied visits a day (more in busy months, fewer at weekends), each a login
through the proxy and a few searches, record views and full-text requests: about 350 main-log
lines and 40 SPU lines a day, about 130,000 main-log lines in the year. Patrons use the
databases around the clock (peaks in the afternoon and evening); visits from the branches' public
computers (about 12 %, open hours only) come through the branch's address without a login.

Hazards planted on purpose (all values fake, made by a seeded Faker)
====================================================================
* Personal data in ``%u``: 14-digit patron barcodes starting with 2, e-mail addresses at
  example.com/org/net, LDAP DNs ``uid=...,ou=patrons,dc=riverbend,dc=example``; ``-`` for the
  branch computers (automatic login by IP address).
* Personal data inside URLs: LinguaLab's launch URL carries the card number
  (``/launch?patron=2...&lang=es``) or the e-mail (``?email=...``, sometimes ``%40``-encoded);
  NewsVault searches sometimes carry ``&patron=2...`` next to ``q=``; NewsVault alert sign-ups
  carry ``?email=``; every database's search URL carries the search terms (health conditions,
  surnames for genealogy); EZproxy session ids (15 letters and digits) in format B.
* Client IPs (documentation ranges 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) and, in
  format B, ``X-Forwarded-For`` lists: the branches' web filter adds ``10.40.x.y, 10.0.0.99``
  (the public computer first), some mobile carriers a single address. About 10 % of the
  format-B visits from the branches have no session id and no user, so their session is the
  first ``X-Forwarded-For`` address (the public computer) + user agent + date + hour.
* Robots, recognisable only in format B (user agent): Googlebot, bingbot, ``curl/`` probes of the
  login page, a ``python-requests`` scraper that runs with a patron's session (so it has a
  session id and a user), and the library's own nightly link checker ``RCLS-LinkCheck``, which
  only ``extra_robots = ["rcls-linkcheck"]`` catches.
* Double-clicks: about 3 % of clicks are repeated (same session, same URL) 1-30 s later, some as
  chains of three; about 1 % are repeated 31-40 s later (near misses: both count). About 3 %
  of starting-point links are clicked twice within 25 s (SPU log).
* Failed requests: 404, 403 and 500 (some 500s are retried a few seconds later with a 200);
  ``304 Not Modified`` for cached stylesheets and images (successful).
* EZproxy's own pages: ``/login?url=...`` (302), ``POST /login``, ``/menu`` and ``/logout``, most
  with the proxy host and some as relative URLs without a host.
* Assets (``.css``, ``.png``) under mapped hosts: counted requests that are neither searches
  nor full-content requests.
* Bad lines, about 0.2 % of the main log: lines truncated inside the request, lines of
  garbage (one of NUL bytes), lines with an impossible date (day 32, hour 25, 30 February); a
  two truncated lines in the SPU log. One plain file (2025-03-17) has CRLF line ends, one
  (2024-11-12) has blank lines.
* Clock: ``%t`` offsets are ``-0400`` in summer and ``-0500`` in winter, switching at
  2024-11-03 02:00 EDT and 2025-03-09 02:00 EST; the 2024-11-03 file holds both, and the
  repeated hour 01:00-01:59 of that night appears with both offsets.
* Sessions cross midnight and hours (format A sessions are user + date + hour).
* COUNTER: Access_Method ``TDM`` rows (EBSCOhost, both releases); ``Academic Search Premier``
  and ``Education Research Index`` in the same DR report, the second not configured; names that
  differ from the configured ones (``LinguaLab Language Learning`` -> LinguaLab Languages via
  ``counter_names``); months with no usage omitted from the JSON (SUSHI omits zeros); a CSV
  journal title with a comma inside quotes.
* E-circulation: format synonyms (``eBook``, ``E-Book``, ``Audiobook``, ``e-audio``, ``Video``,
  ``Magazine``, ``Periodical``), title-level rows to be summed, small counts (1..10) that the
  suppression must withhold.

Run as ``python -m libstats.demo.eresources RAW_DIR [--seed SEED]``; ``generate_demo`` calls
:func:`generate_eresources` with its own seed.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import quote, quote_plus
from zoneinfo import ZoneInfo

import numpy as np
from faker import Faker

from libstats.demo.common import (EXAMPLE_DOMAINS, HOLIDAYS, MONTH_WEIGHT, make_barcode,
                                  write_gz)

__all__ = [
    "COUNTER_FILES", "DATABASES", "ECIRC_FILES", "ERES_DIR", "EXTRA_ROBOTS", "FY_END",
    "FY_START", "LOCAL_TZ", "LOG_FORMATS", "LOG_FORMAT_A", "LOG_FORMAT_B", "PROXY_HOST",
    "PROXY_HOSTS", "ROBOT_AGENTS", "SOURCES", "SPU_FORMAT", "UNMAPPED_HOSTS",
    "generate_eresources", "main",
]

# ------------------------------------------------------------------------------------ constants
FY_START = date(2024, 7, 1)
FY_END = date(2025, 6, 30)
FIRST_FILE = date(2024, 6, 30)          # one file before the period ...
LAST_FILE = date(2025, 7, 1)            # ... and one after
LOCAL_TZ = ZoneInfo("America/New_York")
ERES_DIR = "eresources"
PROXY_HOST = "ezproxy.riverbend.example"
PROXY_HOSTS = [PROXY_HOST]
LOG_FORMAT_A = '%h %l %u %t "%r" %s %b'
LOG_FORMAT_B = '%h %{ezproxy-session}i %u %t "%r" %s %b "%{User-Agent}i" "%{X-Forwarded-For}i"'
LOG_FORMATS = [LOG_FORMAT_A, LOG_FORMAT_B]
SPU_FORMAT = LOG_FORMAT_A
FORMAT_B_FROM = date(2025, 1, 1)
GZIP_BEFORE = date(2024, 10, 1)
EXTRA_ROBOTS = ["rcls-linkcheck"]

#: ``[[eresources.databases]]``
DATABASES: list[dict] = [
    {"name": "Academic Search Premier",
     "hosts": ["search.ebscohost.com", "*.ebscohost.com"],
     "counter_names": ["Academic Search Premier"],
     "searches": ["/ehost/results*", "/ehost/resultsadvanced*"],
     "requests": ["/ehost/pdfviewer/*", "/ehost/detail/fulltext*", "*.pdf"]},
    {"name": "NewsVault Newspapers",
     "hosts": ["infoweb.newsvault.example", "*.archivalpress.example"],
     "counter_names": ["NewsVault"],
     "searches": ["/apps/news/results*", "/apps/news/easy-search*"],
     "requests": ["/apps/news/document-view*", "/apps/news/image/*"]},
    {"name": "Heritage Roots Genealogy",
     "hosts": ["genealogy.archivalpress.example", "*.img.archivalpress.example"],
     "counter_names": ["Heritage Roots"],
     "searches": ["/hr/search/*"],
     "requests": ["/hr/view/*", "*.jpg"]},
    {"name": "MedRef Consumer Health",
     "hosts": ["consumer.medref.example"],
     "counter_names": ["MedRef Consumer"],
     "searches": ["/search*"],
     "requests": ["/article/*/fulltext", "/article/*/pdf", "*.pdf"]},
    {"name": "LinguaLab Languages",
     "hosts": ["app.lingualab.example", "*.lingualab.example"],
     "counter_names": ["LinguaLab Language Learning", "LinguaLab"],
     "searches": ["/courses/search*"],
     "requests": ["/lesson/*", "*.mp3"]},
]
ASP, NEWS, HERITAGE, MEDREF, LINGUA, AUTO, IPLIT, RARE = range(8)
UNMAPPED_HOSTS = {"popular": "www.autorepairsource.example",
                  "ip_literal": "198.51.100.23",
                  "rare": "archive.millbrookfalls-history.example"}
N_RARE_VISITS = 4

#: Suggested ``[[sources]]`` (paths relative to the folder that holds ``raw/``).
SOURCES: list[dict] = [
    {"name": "ezproxy", "kind": "eresources", "format": "ezproxy_log",
     "path": "raw/eresources/ezproxy/ezproxy-*.log*", "log_format": LOG_FORMATS,
     "timezone": "America/New_York"},
    {"name": "ezproxy_spu", "kind": "eresources", "format": "ezproxy_spu",
     "path": "raw/eresources/ezproxy/spu-*.log", "log_format": SPU_FORMAT},
    {"name": "counter", "kind": "eresources", "format": "counter_r5",
     "path": "raw/eresources/counter/*"},
    {"name": "ecirc_readwave", "kind": "eresources", "format": "vendor_ecirc",
     "path": "raw/eresources/ecirc/readwave_*.csv"},
    {"name": "ecirc_streamshelf", "kind": "eresources", "format": "vendor_ecirc",
     "path": "raw/eresources/ecirc/streamshelf_*.csv"},
    {"name": "ecirc_newsstand", "kind": "eresources", "format": "vendor_ecirc",
     "path": "raw/eresources/ecirc/newsstand_plus_*.csv"},
]

BROWSERS = (
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36"),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
    ("Mozilla/5.0 (Linux; Android 14; SM-S911U) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Mobile Safari/537.36"),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/125.0.0.0 Safari/537.36"),
    ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1"),
)
BRANCH_PC_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                "Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0")
ROBOT_AGENTS = {
    "googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "python-requests": "python-requests/2.31.0",
    "curl": "curl/8.5.0",
    "linkcheck": "RCLS-LinkCheck/2.1 (+https://www.riverbend.example/it/linkcheck)",
}
BRANCH_NAT = {"CEN": "192.0.2.10", "NOR": "192.0.2.20", "EAS": "192.0.2.30"}
BRANCH_LAN = {"CEN": 1, "NOR": 2, "EAS": 3}
WEB_FILTER = "10.0.0.99"
MON = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

# ------------------------------------------------------------------------------------ the model
VISITS_PER_DAY = 40.0
P_BRANCH_VISIT = 0.12
P_SECOND_DB = 0.12
DB_WEIGHTS = np.array([0.32, 0.22, 0.18, 0.12, 0.10, 0.05, 0.008])     # ASP .. IPLIT
DB_P = DB_WEIGHTS / DB_WEIGHTS.sum()
REMOTE_WEEKDAY = np.array([1.0, 1.05, 1.0, 1.0, 0.9, 0.8, 0.85])         # Monday .. Sunday
REMOTE_HOUR_W = np.array([0.35, 0.2, 0.12, 0.08, 0.08, 0.15, 0.35, 0.7, 1.1, 1.5, 1.7, 1.8,
                          1.7, 1.8, 1.9, 1.9, 1.8, 1.6, 1.7, 2.0, 2.1, 1.9, 1.3, 0.7])
REMOTE_HOUR_P = REMOTE_HOUR_W / REMOTE_HOUR_W.sum()
OPEN_HOUR_W = np.array([0.5, 0.8, 1.0, 1.0, 0.9, 1.0, 1.2, 1.3, 1.2, 1.0, 0.7, 0.4])  # 09 .. 20
OPEN_HOUR_P = OPEN_HOUR_W / OPEN_HOUR_W.sum()
N_PATRONS = 1800
P_DOUBLE = 0.03                 # a click repeated within 30 s
P_CHAIN = 0.15                  # ... and once more
P_NEAR_MISS = 0.012             # a click repeated 31-40 s later
P_FAIL = 0.015
P_BAD_LINE = 0.002
LB_XFF_SHARE = 0.12             # format B, remote patrons whose carrier adds X-Forwarded-For
P_B_NO_SESSION = 0.1            # format B branch visits logged without a session id
STRAGGLE_FROM = 23 * 3600 + 59 * 60 + 57

TOPICS = (
    "climate change", "civil war letters", "diabetes diet", "resume writing",
    "small business grants", "opioid crisis", "renewable energy", "ww2 rationing", "high blood pressure",
    "sleep apnea", "immigration history", "connecticut river", "minimum wage", "school lunch",
    "electric vehicles", "home gardening", "vitamin d", "food allergies", "colonial america",
    "social media teens", "housing prices", "bird migration", "artificial intelligence",
    "alzheimers caregiving", "tax credits", "mill towns", "ged practice", "knee replacement",
    "citizenship test", "anxiety children", "flood insurance", "jazz age", "asthma triggers",
    "retirement savings", "local elections", "covid vaccine", "beekeeping", "chess openings",
)
LANGS = ("es", "fr", "it", "de", "pt", "zh", "ar", "ko", "ja", "asl")
MAKES = ("ford", "chevrolet", "toyota", "honda", "subaru", "nissan", "hyundai", "jeep")
JOBS = ("brake-pads", "serpentine-belt", "oil-change", "alternator", "spark-plugs",
        "wiper-motor", "thermostat", "battery")


def _rq(url: str, method: str = "GET") -> str:
    return f"{method} {url} HTTP/1.1"


# ------------------------------------------------------------------------------------ patrons
@dataclass
class Patron:
    ident: str                # the login as %u shows it
    kind: str                 # barcode / email / ldap
    barcode: str              # every patron has a card (used in URLs)
    email: str
    ip: str
    ua: str
    dbw: np.ndarray           # own database weights


def _patrons(rng: np.random.Generator, fake: Faker, r: random.Random) -> tuple[list[Patron],
                                                                            np.ndarray]:
    out = []
    kinds = rng.choice(3, size=N_PATRONS, p=(0.6, 0.22, 0.18))
    taste = rng.dirichlet(DB_WEIGHTS * 12, size=N_PATRONS)
    for i in range(N_PATRONS):
        first = "".join(c for c in fake.first_name() if c.isalpha()) or "Alex"
        last = "".join(c for c in fake.last_name() if c.isalpha()) or "Reader"
        barcode = make_barcode("2", r.randint(1_000, 99_999_999))
        email = (f"{first.lower()}{r.choice(('.', '_', ''))}{last.lower()}"
                 f"{r.choice(('', '', str(r.randint(1, 99))))}@{r.choice(EXAMPLE_DOMAINS)}")
        k = int(kinds[i])
        if k == 0:
            ident = barcode
        elif k == 1:
            ident = email
        else:
            ident = f"uid={first[0].lower()}{last.lower()}{r.randint(1, 99)},ou=patrons," \
                    "dc=riverbend,dc=example"
        net = r.choice(("203.0.113", "198.51.100"))
        ip = f"{net}.{r.randint(1, 199)}"
        out.append(Patron(ident, ("barcode", "email", "ldap")[k], barcode, email, ip,
                          r.choice(BROWSERS), taste[i]))
    w = (np.arange(N_PATRONS) + 5.0) ** -0.8
    w = w[rng.permutation(N_PATRONS)]
    return out, w / w.sum()


# ------------------------------------------------------------------------------------ visits
@dataclass
class Line:
    t: int                    # UTC epoch
    seq: int
    h: str
    sess: str
    user: str
    req: str
    status: int
    nbytes: int
    ua: str
    xff: str


@dataclass
class Ctx:
    r: random.Random
    fake: Faker
    patron: Patron | None
    lines: list[Line] = field(default_factory=list)
    spu: list[Line] = field(default_factory=list)
    h: str = ""
    sess: str = "-"
    user: str = "-"
    ua: str = ""
    xff: str = "-"
    t: int = 0
    seq: int = 0
    actions: dict = field(default_factory=dict)     # (db, kind) -> count, for COUNTER

    def emit(self, url: str, status: int = 200, nbytes: int | None = None, method="GET",
             dt: int = 0, user: str | None = None, sess: str | None = None) -> Line:
        if nbytes is None:
            nbytes = 0 if status in (302, 304) else self.r.randint(900, 180_000)
        self.seq += 1
        ln = Line(self.t + dt, self.seq, self.h, self.sess if sess is None else sess,
                  self.user if user is None else user, _rq(url, method), status, nbytes,
                  self.ua, self.xff)
        self.lines.append(ln)
        return ln

    def click(self, url: str, status: int = 200) -> None:
        """A patron's click: maybe failed, maybe double-clicked; advances the clock."""
        r = self.r
        if r.random() < P_FAIL:
            st = r.choice((404, 404, 500, 403))
            self.emit(url, st, nbytes=r.randint(200, 2000))
            if st == 500 and r.random() < 0.5:
                self.emit(url, status, dt=r.randint(2, 20))
        else:
            self.emit(url, status)
        if r.random() < P_DOUBLE:
            d1 = r.randint(1, 30)
            self.emit(url, status, dt=d1)
            if r.random() < P_CHAIN:
                self.emit(url, status, dt=d1 + r.randint(1, 30))
        elif r.random() < P_NEAR_MISS:
            self.emit(url, status, dt=r.randint(31, 40))
        self.t += 45 + int(r.expovariate(1 / 40))

    def asset(self, url: str) -> None:
        self.emit(url, 304 if self.r.random() < 0.4 else 200, dt=1)

    def count(self, db: int, kind: str, n: int = 1) -> None:
        self.actions[(db, kind)] = self.actions.get((db, kind), 0) + n


#: Names never put in a URL: the leak scan compares every query-string value with every output
#: value, and these are also values of the pipeline's own columns (the ILS names).
RESERVED_WORDS = frozenset({"sierra", "koha"})


def _name(fn) -> str:
    """A Faker first or last name that is not one of :data:`RESERVED_WORDS`."""
    while True:
        v = fn()
        if v.lower() not in RESERVED_WORDS:
            return v


def _term(ctx: Ctx) -> str:
    return quote_plus(ctx.r.choice(TOPICS))


def _hex(r: random.Random, n: int) -> str:
    return "".join(r.choice("0123456789ABCDEF") for _ in range(n))


def _start_url(db: int, ctx: Ctx) -> str:
    r, p = ctx.r, ctx.patron
    if db == ASP:
        return "https://search.ebscohost.com/login.aspx?authtype=ip,uid&profile=ehost&defaultdb=aph"
    if db == NEWS:
        return "https://infoweb.newsvault.example/apps/news/?p=NVNB"
    if db == HERITAGE:
        return "https://genealogy.archivalpress.example/hr/"
    if db == MEDREF:
        return "https://consumer.medref.example/"
    if db == LINGUA:
        lang = r.choice(LANGS)
        if p is None:
            return f"https://app.lingualab.example/launch?lang={lang}"
        if p.kind == "email":
            mail = p.email if r.random() < 0.5 else quote(p.email, safe="")
            return f"https://app.lingualab.example/launch?email={mail}&lang={lang}"
        return f"https://app.lingualab.example/launch?patron={p.barcode}&lang={lang}"
    if db == AUTO:
        return "http://www.autorepairsource.example/"
    if db == IPLIT:
        return "http://198.51.100.23:8080/catalog/"
    return "http://archive.millbrookfalls-history.example/collections/"


def _db_session(db: int, ctx: Ctx) -> None:
    """The clicks inside one database after the proxy let the patron in."""
    r = ctx.r
    n = 1 + min(int(r.expovariate(1 / 3.6)), 25)
    start = _start_url(db, ctx)
    ctx.click(start)
    sid = f"{_hex(r, 8).lower()}-{_hex(r, 4).lower()}-{_hex(r, 4).lower()}"
    if db == ASP:
        if r.random() < 0.3:
            ctx.asset("https://search.ebscohost.com/ehost/css/ehost.css?v=20240612")
            ctx.asset("https://search.ebscohost.com/ehost/images/ebsco-logo.png")
        ctx.click(f"https://search.ebscohost.com/ehost/search/basic?vid=0&sid={sid}%40redis")
        an = r.randint(100_000_000, 189_999_999)
        for k in range(n):
            u = r.random()
            if k == 0 or u < 0.35:
                page = "results" if r.random() < 0.85 else "resultsadvanced"
                ctx.click(f"https://search.ebscohost.com/ehost/{page}?vid={k + 1}&sid={sid}"
                          f"%40redis&bquery={_term(ctx)}&bdata=JmRiPWFwaCZ0eXBlPTA")
                ctx.count(db, "search")
            elif u < 0.6:
                an = r.randint(100_000_000, 189_999_999)
                ctx.click(f"https://search.ebscohost.com/ehost/detail/detail?vid={k + 1}&sid="
                          f"{sid}%40redis&bdata=JnNpdGU9ZWhvc3QtbGl2ZQ%3d%3d#AN={an}&db=aph")
                ctx.count(db, "view")
            elif u < 0.75:
                ctx.click(f"https://search.ebscohost.com/ehost/detail/fulltext?vid={k + 1}&sid="
                          f"{sid}%40redis&AN={an}&db=aph")
                ctx.count(db, "full")
            elif u < 0.88:
                ctx.click(f"https://search.ebscohost.com/ehost/pdfviewer/pdfviewer?vid={k + 1}"
                          f"&sid={sid}%40redis")
                ctx.count(db, "full")
            else:
                d = datetime(2024, 1, 1) + timedelta(days=r.randint(0, 400))
                ctx.click(f"https://content.ebscohost.com/pdf29_30/pdf/{d.year}/{_hex(r, 3)}/"
                          f"{d.day:02d}{MON[d.month]}{d.year % 100}/{an}.pdf?T=P&P=AN&K={an}"
                          f"&S=R&D=aph&EbscoContent=dGJyMNLe80Sep7Q4v%2BbwOLCmsEmep7JSr6a4TbCW")
                ctx.count(db, "full")
    elif db == NEWS:
        if r.random() < 0.3:
            ctx.asset("https://infoweb.newsvault.example/apps/static/css/main.css")
            ctx.asset("https://infoweb.newsvault.example/apps/static/img/nv-logo.png")
        for k in range(n):
            u = r.random()
            if k == 0 or u < 0.35:
                if r.random() < 0.5:
                    extra = (f"&patron={ctx.patron.barcode}" if ctx.patron is not None
                             and r.random() < 0.1 else "")
                    ctx.click(f"https://infoweb.newsvault.example/apps/news/easy-search?p=NVNB"
                              f"{extra}&q={_term(ctx)}")
                else:
                    ctx.click(f"https://infoweb.newsvault.example/apps/news/results?p=NVNB&t="
                              f"country%3AUSA%21USA&sort=YMD_date%3AD&q={_term(ctx)}")
                ctx.count(db, "search")
            elif u < 0.85:
                ref = _hex(r, 16)
                ctx.click(f"https://infoweb.newsvault.example/apps/news/document-view?p=NVNB"
                          f"&docref=news/{ref}")
                ctx.count(db, "full")
                if r.random() < 0.4:
                    ctx.click(f"https://news.archivalpress.example/apps/news/image/v2/{ref}.jpg")
            elif u < 0.9 and ctx.patron is not None:
                ctx.click(f"https://infoweb.newsvault.example/apps/news/alerts/subscribe?email="
                          f"{quote(ctx.patron.email, safe='@')}&q={_term(ctx)}")
            else:
                ctx.click(f"https://infoweb.newsvault.example/apps/news/browse?p=NVNB&d="
                          f"{r.randint(1950, 2024)}")
                ctx.count(db, "view")
    elif db == HERITAGE:
        if r.random() < 0.3:
            ctx.asset("https://genealogy.archivalpress.example/hr/static/app.css")
            ctx.asset("https://genealogy.archivalpress.example/hr/static/hr-logo.png")
        roll, frame = r.randint(100, 999), r.randint(1, 900)
        for k in range(n):
            u = r.random()
            if k == 0 or u < 0.4:
                if r.random() < 0.75:
                    ctx.click(f"https://genealogy.archivalpress.example/hr/search/census?surname="
                              f"{quote_plus(_name(ctx.fake.last_name))}&given="
                              f"{quote_plus(_name(ctx.fake.first_name))}&state=CT&year="
                              f"{r.choice((1900, 1910, 1920, 1930, 1940, 1950))}")
                else:
                    ctx.click(f"https://genealogy.archivalpress.example/hr/search/books?q="
                              f"{quote_plus(_name(ctx.fake.last_name))}+family")
                ctx.count(db, "search")
            elif u < 0.6:
                ctx.click(f"https://genealogy.archivalpress.example/hr/record/census/"
                          f"{r.randint(10_000_000, 99_999_999)}")
                ctx.count(db, "view")
            elif u < 0.8:
                frame += 1
                ctx.click(f"https://genealogy.archivalpress.example/hr/view/census/1940/{roll}/"
                          f"{frame}")
                ctx.click(f"https://scans.img.archivalpress.example/census/1940/T627_{roll}/"
                          f"{frame:04d}.jpg")
                ctx.count(db, "full")
            else:
                ctx.click(f"https://genealogy.archivalpress.example/hr/view/book/"
                          f"hrb{r.randint(1, 15):03d}/page/{r.randint(1, 400)}")
                ctx.count(db, "full")
    elif db == MEDREF:
        if r.random() < 0.3:
            ctx.asset("https://consumer.medref.example/static/medref.css")
            ctx.asset("https://consumer.medref.example/static/img/logo.png")
        art = r.randint(100_000, 999_999)
        for k in range(n):
            u = r.random()
            if k == 0 or u < 0.35:
                ctx.click(f"https://consumer.medref.example/search?q={_term(ctx)}&type=all")
                ctx.count(db, "search")
            elif u < 0.6:
                art = r.randint(100_000, 999_999)
                ctx.click(f"https://consumer.medref.example/article/{art}")
                ctx.count(db, "view")
            elif u < 0.85:
                ctx.click(f"https://consumer.medref.example/article/{art}/"
                          f"{r.choice(('fulltext', 'pdf'))}")
                ctx.count(db, "full")
            else:
                ctx.click(f"https://consumer.medref.example/leaflet/{r.randint(1000, 9999)}.pdf")
                ctx.count(db, "full")
    elif db == LINGUA:
        lang = r.choice(LANGS)
        ctx.asset("https://app.lingualab.example/assets/app.css")
        ctx.asset(f"https://app.lingualab.example/assets/flags/{lang}.png")
        unit = r.randint(1, 12)
        for k in range(n):
            u = r.random()
            if u < 0.15:
                ctx.click(f"https://app.lingualab.example/courses/search?q={lang}+beginner")
                ctx.count(db, "search")
            elif u < 0.3:
                ctx.click(f"https://app.lingualab.example/courses/{lang}")
                ctx.count(db, "view")
            else:
                les = r.randint(1, 8)
                ctx.click(f"https://app.lingualab.example/lesson/{lang}/unit{unit}/lesson{les}")
                ctx.count(db, "full")
                if r.random() < 0.5:
                    ctx.click(f"https://media.lingualab.example/audio/{lang}/u{unit}l{les}-"
                              f"{r.randint(1, 9)}.mp3")
    elif db == AUTO:
        make = r.choice(MAKES)
        year = r.randint(2005, 2022)
        for k in range(n):
            if k == 0 or r.random() < 0.3:
                ctx.click(f"http://www.autorepairsource.example/vehicles/{make}/{year}")
            else:
                ctx.click(f"http://www.autorepairsource.example/repair/{make}/{year}/"
                          f"{r.choice(JOBS)}")
    elif db == IPLIT:
        for k in range(min(n, 4)):
            ctx.click(f"http://198.51.100.23:8080/catalog/search?q="
                      f"{quote_plus(_name(ctx.fake.last_name))}&type=obituary")
    else:
        for k in range(min(n, 3)):
            ctx.click(f"http://archive.millbrookfalls-history.example/collections/mill/"
                      f"item{r.randint(1, 300)}")


def _proxy_login(db: int, ctx: Ctx, logged_in: bool) -> None:
    """The starting-point URL through the proxy: an SPU line and the main log's login lines."""
    r = ctx.r
    target = _start_url(db, ctx)
    if r.random() < 0.2:
        path = f"/login?qurl={quote(target, safe='')}"
    else:
        path = f"/login?url={target}"
    url = (f"https://{PROXY_HOST}{path}" if r.random() < 0.9 else path)
    status = 302 if logged_in or ctx.patron is None else 200
    user_now = ctx.user if logged_in else "-"
    sess_now = ctx.sess if logged_in else "-"
    ctx.seq += 1
    spu_user = user_now if r.random() < 0.5 else "-"
    spu_st = status if r.random() > 0.004 else 500
    spu = Line(ctx.t, ctx.seq, ctx.h.split(",")[0], "-", spu_user, _rq(url), spu_st, 0,
               "", "-")
    ctx.spu.append(spu)
    if r.random() < 0.03:                               # a second click on the same link
        ctx.spu.append(Line(ctx.t + r.randint(1, 25), ctx.seq, spu.h, "-", spu.user, spu.req,
                            spu.status, 0, "", "-"))
    ctx.emit(url, status, user=user_now, sess=sess_now)
    if status == 200:
        ctx.t += r.randint(8, 40)
        ctx.emit(f"https://{PROXY_HOST}/login", 302, method="POST", user="-", sess="-")
    ctx.t += r.randint(1, 3)


def _session_id(r: random.Random) -> str:
    return "".join(r.choice(ALNUM) for _ in range(15))


def _visit(db: int, ctx: Ctx, d: date, branch: str | None) -> None:
    r = ctx.r
    b_era = d >= FORMAT_B_FROM
    if branch is not None:
        ctx.h = BRANCH_NAT[branch]
        ctx.user = "-"
        ctx.ua = BRANCH_PC_UA
        ctx.xff = (f"10.40.{BRANCH_LAN[branch]}.{r.randint(11, 40)}, {WEB_FILTER}"
                   if b_era else "-")
        ctx.sess = "-" if (not b_era or r.random() < P_B_NO_SESSION) else _session_id(r)
    else:
        p = ctx.patron
        ctx.h = p.ip
        ctx.user = p.ident
        ctx.ua = p.ua if r.random() > 0.01 else "-"
        ctx.xff = (f"203.0.113.{r.randint(200, 254)}" if b_era and r.random() < LB_XFF_SHARE
                   else "-")
        ctx.sess = _session_id(r) if b_era else "-"
    _proxy_login(db, ctx, logged_in=branch is not None or r.random() < 0.4)
    _db_session(db, ctx)
    if r.random() < P_SECOND_DB:
        other = int(r.choice((ASP, NEWS, HERITAGE, MEDREF, LINGUA, AUTO)))
        if other != db:
            if r.random() < 0.3:
                ctx.emit("/menu" if r.random() < 0.5 else f"https://{PROXY_HOST}/menu")
                ctx.t += r.randint(3, 20)
            _proxy_login(other, ctx, logged_in=True)
            _db_session(other, ctx)
    if r.random() < 0.15:
        ctx.emit(f"https://{PROXY_HOST}/logout", 302)


# ------------------------------------------------------------------------------------ robots
def _robots(ctx: Ctx, d: date, rng: np.random.Generator, patrons: list[Patron]) -> None:
    r = ctx.r
    base = _local_epoch(d, 0, 0, 0)
    starts = [_start_url(x, ctx) for x in (ASP, NEWS, HERITAGE, MEDREF)]
    ctx.patron = None
    # Googlebot and bingbot follow public links to the proxy and to databases
    for name, n in (("googlebot", int(rng.poisson(5))), ("bingbot", int(rng.poisson(3)))):
        for _ in range(n):
            ctx.t = base + r.randint(0, 86_399)
            ctx.h, ctx.sess, ctx.user = f"198.51.100.{r.randint(200, 220)}", "-", "-"
            ctx.ua, ctx.xff = ROBOT_AGENTS[name], "-"
            u = r.random()
            if u < 0.5:
                ctx.emit(f"https://{PROXY_HOST}/login?url={r.choice(starts)}", 302)
            elif u < 0.9:
                ctx.emit(r.choice(starts), 200)
            else:
                ctx.emit(f"https://{PROXY_HOST}/robots.txt", 404, nbytes=210)
    # curl probes of the login page (a monitoring script of the IT department)
    for k in range(r.randint(1, 3)):
        ctx.t = base + 6 * 3600 + k * 4 * 3600 + r.randint(0, 60)
        ctx.h, ctx.sess, ctx.user, ctx.ua, ctx.xff = "10.0.0.5", "-", "-", ROBOT_AGENTS["curl"], "-"
        ctx.emit(f"https://{PROXY_HOST}/login", 200)
    # the nightly link checker of the library's web site: every database's starting page
    ctx.t = base + 2 * 3600 + 15 * 60 + r.randint(0, 120)
    ctx.h, ctx.sess, ctx.user = "10.0.0.7", "-", "-"
    ctx.ua, ctx.xff = ROBOT_AGENTS["linkcheck"], "-"
    for x in (ASP, NEWS, HERITAGE, MEDREF, LINGUA):
        ctx.emit(_start_url(x, ctx), 200)
        ctx.t += r.randint(1, 4)
    # a scraper with a patron's session, on a few days
    if d.day in (6, 19) and d.month in (2, 4, 5):
        p = patrons[int(rng.integers(len(patrons)))]
        ctx.t = base + 22 * 3600 + r.randint(0, 1800)
        ctx.h, ctx.sess, ctx.user = p.ip, _session_id(r), p.ident
        ctx.ua, ctx.xff = ROBOT_AGENTS["python-requests"], "-"
        for _ in range(r.randint(25, 45)):
            ctx.emit(f"https://infoweb.newsvault.example/apps/news/document-view?p=NVNB"
                     f"&docref=news/{_hex(r, 16)}", 200)
            ctx.t += r.randint(2, 6)


# ------------------------------------------------------------------------------------ clock
def _local_epoch(d: date, h: int, m: int, s: int, fold: int = 0) -> int:
    return int(datetime.combine(d, time(h, m, s, fold=fold), LOCAL_TZ).timestamp())


def _clock(t: int) -> tuple[date, int, str]:
    """UTC epoch -> (file day, seconds of day, '[dd/Mon/yyyy:HH:MM:SS -0400]')."""
    dt = datetime.fromtimestamp(t, LOCAL_TZ)
    off = int(dt.utcoffset().total_seconds()) // 60
    sign = "-" if off < 0 else "+"
    off = abs(off)
    stamp = (f"[{dt.day:02d}/{MON[dt.month]}/{dt.year}:{dt.hour:02d}:{dt.minute:02d}:"
             f"{dt.second:02d} {sign}{off // 60:02d}{off % 60:02d}]")
    return dt.date(), dt.hour * 3600 + dt.minute * 60 + dt.second, stamp


def _render(ln: Line, stamp: str, fmt_b: bool) -> str:
    size = "-" if ln.nbytes == 0 else str(ln.nbytes)
    if fmt_b:
        return (f'{ln.h} {ln.sess} {ln.user} {stamp} "{ln.req}" {ln.status} {size} '
                f'"{ln.ua or "-"}" "{ln.xff}"')
    return f'{ln.h} - {ln.user} {stamp} "{ln.req}" {ln.status} {size}'


def _days() -> list[date]:
    return [FIRST_FILE + timedelta(days=i) for i in range((LAST_FILE - FIRST_FILE).days + 1)]


# ------------------------------------------------------------------------------------ EZproxy
def _bad_line(r: random.Random, text: str, kind: str) -> str:
    if kind == "truncated":
        q = text.index('"') + 1
        end = text.index('"', q)
        return text[:q + r.randint(0, end - q - 1)]
    if kind == "date":
        i = text.index("[") + 1
        form = r.choice(("day", "hour", "feb"))
        if form == "day":
            return text[:i] + "32" + text[i + 2:]
        if form == "hour":
            j = text.index(":", i) + 1
            return text[:j] + "25" + text[j + 2:]
        j = text.index("/", i) + 1
        return text[:i] + "30/Feb/" + text[text.index("/", j) + 1:]
    return "".join(r.choice("abcdefghijklmnopqrstuvwxyzQWXZ0123456789#$%&*+-./:;<=>?@^_|~ ")
                   for _ in range(r.randint(20, 90)))


def _ezproxy(rng: np.random.Generator, fake: Faker, r: random.Random, out: Path
             ) -> tuple[dict, dict]:
    out.mkdir(parents=True, exist_ok=True)
    patrons, pw = _patrons(rng, fake, r)
    days = _days()
    ctx = Ctx(r, fake, None)
    rare_days = {FY_START + timedelta(days=int(x))
                 for x in rng.choice(365, size=N_RARE_VISITS, replace=False)}
    for d in days:
        wd = d.weekday()
        lam = VISITS_PER_DAY * MONTH_WEIGHT[d.month] * REMOTE_WEEKDAY[wd]
        n = int(rng.poisson(lam))
        opened = d not in HOLIDAYS
        who = rng.choice(N_PATRONS, size=n, p=pw)
        branch_u = rng.random(n)
        hours_remote = rng.choice(24, size=n, p=REMOTE_HOUR_P)
        hours_open = rng.choice(np.arange(9, 21), size=n, p=OPEN_HOUR_P)
        mins, secs = rng.integers(0, 60, size=n), rng.integers(0, 60, size=n)
        folds = rng.integers(0, 2, size=n)
        for i in range(n):
            branch = None
            if opened and branch_u[i] < P_BRANCH_VISIT:
                branch = ("CEN", "CEN", "NOR", "EAS")[int(branch_u[i] * 1000) % 4]
                hour = int(hours_open[i])
                ctx.patron = None
                db = int(rng.choice(5, p=DB_P[:5] / DB_P[:5].sum()))
            else:
                hour = int(hours_remote[i])
                ctx.patron = patrons[int(who[i])]
                w = ctx.patron.dbw
                db = int(rng.choice(len(w), p=w))
            ctx.t = _local_epoch(d, hour, int(mins[i]), int(secs[i]), int(folds[i]))
            _visit(db, ctx, d, branch)
        if d in rare_days:
            ctx.patron = patrons[int(rng.integers(N_PATRONS))]
            ctx.t = _local_epoch(d, 20, r.randint(0, 59), r.randint(0, 59))
            _visit(RARE, ctx, d, None)
        if d >= FORMAT_B_FROM:
            _robots(ctx, d, rng, patrons)
    # visits in the DST nights: one across the repeated hour (01:57 EDT -> 01:0x EST), one in
    # its second pass, one across the spring gap (01:5x EST -> 03:0x EDT)
    for d, hh, mm, fold in ((date(2024, 11, 3), 1, 57, 0), (date(2024, 11, 3), 1, 20, 1),
                            (date(2025, 3, 9), 1, 56, 0)):
        ctx.patron = patrons[int(rng.integers(N_PATRONS))]
        ctx.t = _local_epoch(d, hh, mm, r.randint(0, 59), fold)
        _visit(NEWS, ctx, d, None)
        ctx.emit("https://infoweb.newsvault.example/apps/news/results?p=NVNB&q=daylight+saving",
                 200, dt=200)
    # a visit on each boundary night so that a line straggles into the next day's file
    for d in (FIRST_FILE, date(2024, 12, 31)):
        ctx.patron = patrons[int(rng.integers(N_PATRONS))]
        ctx.t = _local_epoch(d, 23, 59, 20)
        _visit(ASP, ctx, d, None)
        ctx.t = _local_epoch(d, 23, 59, 58)
        ctx.emit("https://search.ebscohost.com/ehost/results?vid=9&sid=0&bquery=midnight", 200)

    files: dict[date, list[tuple[int, int, str]]] = {d: [] for d in days}
    for ln in ctx.lines:
        day, sod, stamp = _clock(ln.t)
        era_b = day >= FORMAT_B_FROM
        if sod >= STRAGGLE_FROM and day + timedelta(days=1) <= LAST_FILE:
            day = day + timedelta(days=1)
        if day in files:
            files[day].append((ln.t, ln.seq, _render(ln, stamp, era_b)))
    spu_files: dict[date, list[tuple[int, int, str]]] = {d: [] for d in days}
    for ln in ctx.spu:
        day, _, stamp = _clock(ln.t)
        if day in spu_files:
            spu_files[day].append((ln.t, ln.seq, _render(ln, stamp, False)))

    crlf_day, blank_day, nul_day = date(2025, 3, 17), date(2024, 11, 12), date(2024, 8, 21)
    counts = {"main_lines": 0, "main_bad": 0, "spu_lines": 0, "spu_bad": 0}
    bad_u = rng.random(sum(len(v) for v in files.values()))
    k = 0
    for d in days:
        rows = sorted(files[d])
        texts = []
        for _, _, text in rows:
            if bad_u[k] < P_BAD_LINE:
                kind = ("truncated", "truncated", "truncated", "truncated", "truncated",
                        "truncated", "date", "date", "garbage", "garbage")[int(bad_u[k] * 5000)]
                text = _bad_line(r, text, kind)
                counts["main_bad"] += 1
            texts.append(text)
            k += 1
        if d == nul_day:
            texts.insert(len(texts) // 2, "\x00" * 64)
            counts["main_bad"] += 1
        if d == blank_day:
            texts.insert(len(texts) // 3, "")
            texts.insert(len(texts) // 3, "")
        counts["main_lines"] += sum(1 for t in texts if t)
        nl = "\r\n" if d == crlf_day else "\n"
        data = (nl.join(texts) + nl).encode("utf-8")
        name = f"ezproxy-{d:%Y%m%d}.log"
        if d < GZIP_BEFORE:
            write_gz(out / f"{name}.gz", data)
        else:
            (out / name).write_bytes(data)
        spu_rows = [text for _, _, text in sorted(spu_files[d])]
        if d in (date(2024, 10, 7), date(2025, 4, 22)):
            i = len(spu_rows) // 2
            spu_rows[i] = _bad_line(r, spu_rows[i], "truncated")
            counts["spu_bad"] += 1
        counts["spu_lines"] += len(spu_rows)
        (out / f"spu-{d:%Y%m%d}.log").write_bytes(("\n".join(spu_rows) + "\n").encode("utf-8"))

    # clicks per database and kind over the year: the COUNTER figures are scaled from them
    return counts, dict(ctx.actions)


# ------------------------------------------------------------------------------------ COUNTER
COUNTER_FILES = {
    "ebscohost_dr_r50": "counter/EBSCOhost_DR_2024-07_2024-12.tsv",
    "ebscohost_dr_r51": "counter/EBSCOhost_DR_2025-01_2025-06.json",
    "newsvault_pr_r50": "counter/NewsVault_PR_2024-07_2024-12.json",
    "newsvault_pr_r51": "counter/NewsVault_PR_2025-01_2025-06.csv",
    "heritage_tr_b1_r50": "counter/HeritageRoots_TR_B1_2024-07_2024-12.tsv",
    "heritage_tr_b1_r51": "counter/HeritageRoots_TR_B1_2025-01_2025-06.tsv",
    "medref_tr_j1_r50": "counter/MedRef_TR_J1_2024-07_2024-12.csv",
    "medref_tr_j1_r51": "counter/MedRef_TR_J1_2025-01_2025-06.tsv",
    "lingualab_dr_d1_r50": "counter/LinguaLab_DR_D1_2024-07_2024-12.tsv",
    "lingualab_dr_d1_r51": "counter/LinguaLab_DR_D1_2025-01_2025-06.csv",
    "lingualab_kids_dr_d1_r51": "counter/LinguaLabKids_DR_D1_2025-01_2025-06.tsv",
}
H1 = [date(2024, m, 1) for m in range(7, 13)]
H2 = [date(2025, m, 1) for m in range(1, 7)]
REPORT_NAMES = {"DR": "Database Master Report", "DR_D1": "Database Search and Item Usage",
                "PR": "Platform Master Report", "TR_B1": "Book Requests (Excluding OA_Gold)",
                "TR_J1": "Journal Requests (Excluding OA_Gold)"}
REPORT_NAMES_51 = dict(REPORT_NAMES, TR_B1="Book Requests (Controlled)",
                       TR_J1="Journal Requests (Controlled)")


def _mcol(m: date) -> str:
    return f"{MON[m.month]}-{m.year}"


def _header_rows(report_id: str, release: str, vendor: str, inst_id: str, metrics: list[str],
                 filters: str, attributes: str, months: list[date], created: str,
                 exceptions: str = "") -> list[list[str]]:
    end = (months[-1].replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    rows = [["Report_Name", (REPORT_NAMES_51 if release == "5.1" else REPORT_NAMES)[report_id]],
            ["Report_ID", report_id], ["Release", release],
            ["Institution_Name", "Riverbend County Library System"],
            ["Institution_ID", inst_id], ["Metric_Types", "; ".join(metrics)],
            ["Report_Filters", filters], ["Report_Attributes", attributes],
            ["Exceptions", exceptions],
            ["Reporting_Period",
             f"Begin_Date={months[0].isoformat()}; End_Date={end.isoformat()}"],
            ["Created", created], ["Created_By", vendor]]
    if release == "5.1":
        rows.append(["Registry_Record", _registry(vendor)])
    return rows


def _registry(vendor: str) -> str:
    n = sum(ord(c) * (i + 1) for i, c in enumerate(vendor)) % 10 ** 8
    return f"https://registry.countermetrics.example/platform/{n:08d}-0000-4000-8000-000000000000"


def _write_tabular(path: Path, header: list[list[str]], columns: list[str],
                   body: list[list[object]], sep: str, bom: bool = False) -> None:
    buf = io.StringIO()
    if sep == "\t":
        for row in header:
            buf.write("\t".join(row) + "\n")
        buf.write("\n")
        buf.write("\t".join(columns) + "\n")
        for row in body:
            buf.write("\t".join(str(x) for x in row) + "\n")
    else:
        w = csv.writer(buf, lineterminator="\r\n")
        for row in header:
            w.writerow(row)
        buf.write("\r\n")
        w.writerow(columns)
        for row in body:
            w.writerow(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((("\ufeff" if bom else "") + buf.getvalue()).encode("utf-8"))


def _series(rng: np.random.Generator, total: float, months: list[date], zero_p: float = 0.0
            ) -> list[int]:
    """Monthly counts around total/12 a month with the demo's seasonality."""
    w = np.array([MONTH_WEIGHT[m.month] for m in months])
    lam = total / 12 * w
    vals = rng.poisson(lam)
    if zero_p:
        vals = np.where(rng.random(len(months)) < zero_p, 0, vals)
    return [int(v) for v in vals]


def _row(lead: list[object], metric: str, vals: list[int]) -> list[object]:
    return [*lead, metric, sum(vals), *vals]


def _counter(rng: np.random.Generator, r: random.Random, fake: Faker, out: Path,
             actions: dict) -> None:
    def a(db: int, kind: str) -> float:
        return float(actions.get((db, kind), 0))

    # --- EBSCOhost DR: Academic Search Premier (configured), Education Research Index (not)
    dr_metrics = ["Searches_Automated", "Searches_Federated", "Searches_Regular",
                  "Total_Item_Investigations", "Total_Item_Requests",
                  "Unique_Item_Investigations", "Unique_Item_Requests"]
    asp_total = {"Searches_Regular": a(ASP, "search") * 2.1,
                 "Searches_Automated": a(ASP, "search") * 0.4,
                 "Searches_Federated": 60.0,
                 "Total_Item_Investigations": (a(ASP, "view") + a(ASP, "full")) * 1.9,
                 "Total_Item_Requests": a(ASP, "full") * 1.7}
    eri_total = {"Searches_Regular": a(ASP, "search") * 0.35,
                 "Searches_Automated": a(ASP, "search") * 0.9,
                 "Total_Item_Investigations": a(ASP, "view") * 0.3,
                 "Total_Item_Requests": a(ASP, "full") * 0.05}

    def dr_figures(totals: dict, months: list[date]) -> dict[str, list[int]]:
        f = {m: _series(rng, t, months) for m, t in totals.items()}
        if "Total_Item_Investigations" in f:
            f["Total_Item_Investigations"] = [max(x, y) for x, y in zip(
                f["Total_Item_Investigations"], f.get("Total_Item_Requests", [0] * 6))]
            f["Unique_Item_Investigations"] = [int(x * 0.82)
                                               for x in f["Total_Item_Investigations"]]
        if "Total_Item_Requests" in f:
            f["Unique_Item_Requests"] = [int(x * 0.88) for x in f["Total_Item_Requests"]]
        return {m: f[m] for m in dr_metrics if m in f}

    cols = ["Database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID", "Data_Type",
            "Access_Method", "Metric_Type", "Reporting_Period_Total"] + [_mcol(m) for m in H1]
    body = []
    for name, pid, totals in (("Academic Search Premier", "EBSCO:aph", asp_total),
                              ("Education Research Index", "EBSCO:eri", eri_total)):
        lead = [name, "EBSCO Information Services", "ISNI:0000000122929813", "EBSCOhost", pid,
                "Database", "Regular"]
        for metric, vals in dr_figures(totals, H1).items():
            body.append(_row(lead, metric, vals))
    tdm = [0, 0, 0, 118, 0, 0]                               # a text-mining project in October
    lead = ["Academic Search Premier", "EBSCO Information Services", "ISNI:0000000122929813",
            "EBSCOhost", "EBSCO:aph", "Database", "TDM"]
    body += [_row(lead, "Total_Item_Investigations", tdm),
             _row(lead, "Total_Item_Requests", tdm),
             _row(lead, "Unique_Item_Investigations", tdm),
             _row(lead, "Unique_Item_Requests", tdm)]
    hdr = _header_rows("DR", "5", "EBSCO Information Services", "Proprietary:EBSCO:s8812345",
                       dr_metrics, "Access_Method=Regular; TDM",
                       "Attributes_To_Show=Data_Type|Access_Method", H1, "2025-01-14T08:12:44Z")
    _write_tabular(out / COUNTER_FILES["ebscohost_dr_r50"], hdr, cols, body, "\t")

    items = []
    for name, pid, totals, dtype in (
            ("Academic Search Premier", "EBSCO:aph", asp_total, "Database_Aggregated"),
            ("Education Research Index", "EBSCO:eri", eri_total, "Database_AI")):
        aps = [{"Data_Type": dtype, "Access_Method": "Regular",
                "Performance": {metric: {f"{m:%Y-%m}": v for m, v in zip(H2, vals) if v}
                                for metric, vals in dr_figures(totals, H2).items()}}]
        if pid == "EBSCO:aph":
            aps.append({"Data_Type": dtype, "Access_Method": "TDM",
                        "Performance": {"Total_Item_Investigations": {"2025-03": 240},
                                        "Total_Item_Requests": {"2025-03": 240}}})
        items.append({"Database": name, "Item_ID": {"Proprietary": pid}, "Platform": "EBSCOhost",
                      "Publisher": "EBSCO Information Services",
                      "Publisher_ID": {"ISNI": ["0000000122929813"]},
                      "Attribute_Performance": aps})
    doc = {"Report_Header": {
        "Report_Name": "Database Master Report", "Report_ID": "DR", "Release": "5.1",
        "Institution_Name": "Riverbend County Library System",
        "Institution_ID": {"Proprietary": ["EBSCO:s8812345"]},
        "Report_Filters": {"Begin_Date": "2025-01-01", "End_Date": "2025-06-30",
                           "Access_Method": ["Regular", "TDM"]},
        "Report_Attributes": {"Attributes_To_Show": ["Data_Type", "Access_Method"]},
        "Created": "2025-07-09T06:30:12Z", "Created_By": "EBSCO Information Services",
        "Registry_Record": _registry("EBSCO Information Services")},
        "Report_Items": items}
    _write_json(out / COUNTER_FILES["ebscohost_dr_r51"], doc)

    # --- NewsVault PR
    pr_metrics = ["Searches_Platform", "Total_Item_Investigations", "Total_Item_Requests",
                  "Unique_Item_Investigations", "Unique_Item_Requests",
                  "Unique_Title_Investigations", "Unique_Title_Requests"]

    def pr_figures(months: list[date]) -> dict[str, list[int]]:
        s = _series(rng, a(NEWS, "search") * 1.6, months)
        req = _series(rng, a(NEWS, "full") * 1.5, months)
        inv = [x + y for x, y in zip(req, _series(rng, a(NEWS, "view") * 2.0, months))]
        return {"Searches_Platform": s, "Total_Item_Investigations": inv,
                "Total_Item_Requests": req,
                "Unique_Item_Investigations": [int(x * 0.85) for x in inv],
                "Unique_Item_Requests": [int(x * 0.9) for x in req],
                "Unique_Title_Investigations": [int(x * 0.6) for x in inv],
                "Unique_Title_Requests": [int(x * 0.6) for x in req]}

    perf = []
    for i, m in enumerate(H1):
        nxt = (m.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        perf.append((m, nxt))
    f1 = pr_figures(H1)
    doc = {"Report_Header": {
        "Created": "2025-01-06T14:03:51Z", "Created_By": "Archival Press",
        "Customer_ID": "rcls-4471", "Report_ID": "PR", "Release": "5",
        "Report_Name": "Platform Master Report",
        "Institution_Name": "Riverbend County Library System",
        "Institution_ID": [{"Type": "Proprietary", "Value": "AP:rcls-4471"}],
        "Report_Filters": [{"Name": "Begin_Date", "Value": "2024-07-01"},
                           {"Name": "End_Date", "Value": "2024-12-31"},
                           {"Name": "Access_Method", "Value": "Regular"}],
        "Report_Attributes": [{"Name": "Attributes_To_Show", "Value": "Data_Type|Access_Method"}],
        "Exceptions": []},
        "Report_Items": [{
            "Platform": "NewsVault", "Data_Type": "Newspaper_or_Newsletter",
            "Access_Method": "Regular",
            "Performance": [
                {"Period": {"Begin_Date": b.isoformat(), "End_Date": e.isoformat()},
                 "Instance": [{"Metric_Type": k, "Count": v[i]} for k, v in f1.items() if v[i]]}
                for i, (b, e) in enumerate(perf)]}]}
    _write_json(out / COUNTER_FILES["newsvault_pr_r50"], doc)
    f2 = pr_figures(H2)
    cols = ["Platform", "Data_Type", "Access_Method", "Metric_Type",
            "Reporting_Period_Total"] + [_mcol(m) for m in H2]
    body = [_row(["NewsVault", "Newspaper_or_Newsletter", "Regular"], k, v) for k, v in f2.items()]
    hdr = _header_rows("PR", "5.1", "Archival Press", "Proprietary:AP:rcls-4471", pr_metrics,
                       "Access_Method=Regular", "Attributes_To_Show=Data_Type|Access_Method",
                       H2, "2025-07-03T09:41:07Z")
    _write_tabular(out / COUNTER_FILES["newsvault_pr_r51"], hdr, cols, body, ",", bom=True)

    # --- Heritage Roots TR_B1: family and town histories
    books = [(f"The {fake.last_name()} Family of {town}, {y}-{y + r.randint(80, 160)}",
              f"978{r.randint(0, 999_999_999):09d}")
             for town, y in zip(("Riverbend", "Millbrook Falls", "Cedar Ridge", "Northgate",
                                 "Ashford Landing", "Pine Hollow", "Stillwater", "East Hollow",
                                 "Hartwell", "Quarry Point", "Lantern Hill", "Wexcombe"),
                                range(1700, 1900, 16))]
    books = [(t, _isbn13(i)) for t, i in books]
    share = rng.dirichlet(np.ones(len(books)) * 0.8)
    for key, months, rel, sep in (("heritage_tr_b1_r50", H1, "5", "\t"),
                                  ("heritage_tr_b1_r51", H2, "5.1", "\t")):
        cols = ["Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID", "ISBN",
                "Print_ISSN", "Online_ISSN", "URI", "Metric_Type",
                "Reporting_Period_Total"] + [_mcol(m) for m in months]
        body = []
        for (title, isbn), s in zip(books, share):
            tir = _series(rng, a(HERITAGE, "full") * 0.5 * s, months)
            if not any(tir):
                continue
            utr = [min(x, int(x * 0.7) + (1 if x else 0)) for x in tir]
            lead = [title, "Archival Press", "", "Heritage Roots", "",
                    f"AP:hrb{isbn[-3:]}", isbn, "", "", ""]
            body += [_row(lead, "Total_Item_Requests", tir),
                     _row(lead, "Unique_Title_Requests", utr)]
        hdr = _header_rows("TR_B1", rel, "Archival Press", "Proprietary:AP:rcls-4471",
                           ["Total_Item_Requests", "Unique_Title_Requests"],
                           "Data_Type=Book; Access_Type=Controlled; Access_Method=Regular", "",
                           months, "2025-01-06T14:05:10Z" if rel == "5"
                           else "2025-07-03T09:44:31Z")
        _write_tabular(out / COUNTER_FILES[key], hdr, cols, body, sep)

    # --- MedRef TR_J1: consumer-health journals
    journals = ["Heart, Lung & Vessels Today", "Family Health Letter", "Diabetes Self-Care",
                "Healthy Aging Review", "Child Health Monthly", "Nutrition Action Digest",
                "Arthritis Answers", "Mind & Mood", "Sleep Matters", "Women's Health Notes",
                "Men's Health Quarterly", "Allergy & Asthma Guide"]
    share = rng.dirichlet(np.ones(len(journals)))
    for key, months, rel, sep in (("medref_tr_j1_r50", H1, "5", ","),
                                  ("medref_tr_j1_r51", H2, "5.1", "\t")):
        cols = ["Title", "Publisher", "Publisher_ID", "Platform", "DOI", "Proprietary_ID",
                "Print_ISSN", "Online_ISSN", "URI", "Metric_Type",
                "Reporting_Period_Total"] + [_mcol(m) for m in months]
        body = []
        for j, (title, s) in enumerate(zip(journals, share)):
            tir = _series(rng, a(MEDREF, "full") * 1.4 * s, months)
            if not any(tir):
                continue
            uir = [int(x * 0.9) for x in tir]
            lead = [title, "MedRef Publishing", "", "MedRef Consumer", "", f"MR:j{j + 1:03d}",
                    f"1555-{1000 + 37 * j:04d}"[:9], f"1940-{2000 + 53 * j:04d}"[:9], ""]
            body += [_row(lead, "Total_Item_Requests", tir),
                     _row(lead, "Unique_Item_Requests", uir)]
        hdr = _header_rows("TR_J1", rel, "MedRef Publishing", "Proprietary:MR:88231",
                           ["Total_Item_Requests", "Unique_Item_Requests"],
                           "Data_Type=Journal; Access_Type=Controlled; Access_Method=Regular", "",
                           months, "2025-01-10T11:00:00Z" if rel == "5"
                           else "2025-07-10T11:00:00Z")
        _write_tabular(out / COUNTER_FILES[key], hdr, cols, body, sep)

    # --- LinguaLab DR_D1 (and the Kids product's empty 3030 report)
    d1_metrics = ["Searches_Automated", "Searches_Federated", "Searches_Regular",
                  "Total_Item_Investigations", "Total_Item_Requests",
                  "Unique_Item_Investigations", "Unique_Item_Requests"]
    for key, months, rel, sep in (("lingualab_dr_d1_r50", H1, "5", "\t"),
                                  ("lingualab_dr_d1_r51", H2, "5.1", ",")):
        s = _series(rng, a(LINGUA, "search") * 1.2, months)
        req = _series(rng, a(LINGUA, "full") * 1.3, months)
        inv = [x + y for x, y in zip(req, _series(rng, a(LINGUA, "view") * 1.5, months))]
        figs = {"Searches_Automated": [0] * 6, "Searches_Federated": [0] * 6,
                "Searches_Regular": s, "Total_Item_Investigations": inv,
                "Total_Item_Requests": req,
                "Unique_Item_Investigations": [int(x * 0.7) for x in inv],
                "Unique_Item_Requests": [int(x * 0.75) for x in req]}
        cols = ["Database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID",
                "Metric_Type", "Reporting_Period_Total"] + [_mcol(m) for m in months]
        lead = ["LinguaLab Language Learning", "LinguaLab Inc.", "", "LinguaLab", "LL:main"]
        body = [_row(lead, k, v) for k, v in figs.items()]
        hdr = _header_rows("DR_D1", rel, "LinguaLab Inc.", "Proprietary:LL:riverbend-ct",
                           d1_metrics, "Access_Method=Regular", "", months,
                           "2025-01-02T00:10:00Z" if rel == "5" else "2025-07-02T00:10:00Z")
        _write_tabular(out / COUNTER_FILES[key], hdr, cols, body, sep)
    cols = ["Database", "Publisher", "Publisher_ID", "Platform", "Proprietary_ID",
            "Metric_Type", "Reporting_Period_Total"] + [_mcol(m) for m in H2]
    hdr = _header_rows("DR_D1", "5.1", "LinguaLab Inc.", "Proprietary:LL:riverbend-ct",
                       d1_metrics, "Access_Method=Regular", "", H2,
                       f"2025-07-02T00:{r.randint(10, 59):02d}:{r.randint(0, 59):02d}Z",
                       exceptions="3030: No Usage Available for Requested Dates")
    _write_tabular(out / COUNTER_FILES["lingualab_kids_dr_d1_r51"], hdr, cols, [], "\t")


def _isbn13(body12: str) -> str:
    body12 = body12[:12]
    s = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(body12))
    return body12 + str((10 - s % 10) % 10)


def _write_json(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------------ e-circulation
ECIRC_FILES = {
    "readwave": "ecirc/readwave_checkouts_fy2025.csv",
    "streamshelf": "ecirc/streamshelf_2024-07_2025-06.csv",
    "newsstand": "ecirc/newsstand_plus_fy2025.csv",
}


def _ecirc(rng: np.random.Generator, r: random.Random, fake: Faker, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    months = H1 + H2
    # ReadWave: one row per month and format
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["vendor", "month", "format", "checkouts"])
    for m in months:
        mw = MONTH_WEIGHT[m.month]
        w.writerow(["ReadWave", f"{m:%Y-%m}", "eBook", int(rng.poisson(820 * mw))])
        w.writerow(["ReadWave", f"{m:%Y-%m}", "Audiobook", int(rng.poisson(610 * mw))])
        if m.month not in (7, 8):                  # magazines added in September
            w.writerow(["ReadWave", f"{m:%Y-%m}", "Magazine", int(rng.integers(2, 10))])
    (out.parent / ECIRC_FILES["readwave"]).write_text(buf.getvalue(), encoding="utf-8")

    # StreamShelf: title level (title, creator, isbn), summed by the pipeline
    titles = []
    for i in range(70):
        fmt = ("E-Book", "e-audio", "Video")[0 if i < 38 else 1 if i < 62 else 2]
        words = fake.words(nb=r.randint(2, 4))
        title = " ".join(x.capitalize() for x in words)
        if fmt == "Video":
            title = f"{title} (Season {r.randint(1, 4)})"
        creator = fake.name()
        isbn = _isbn13(f"979{r.randint(0, 999_999_999):09d}") if fmt != "Video" else ""
        pop = float(rng.lognormal(0, 0.8))
        titles.append((fmt, title, creator, isbn, pop))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["vendor", "month", "format", "title", "creator", "isbn", "checkouts"])
    for m in months:
        mw = MONTH_WEIGHT[m.month]
        for fmt, title, creator, isbn, pop in titles:
            lam = pop * mw * (2.2 if fmt != "Video" else 0.9)
            n = int(rng.poisson(lam))
            if n:
                w.writerow(["StreamShelf", f"{m:%Y-%m}", fmt, title, creator, isbn, n])
    (out.parent / ECIRC_FILES["streamshelf"]).write_text(buf.getvalue(), encoding="utf-8")

    # Newsstand Plus: magazines, columns in another order, two spellings of the format
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["month", "vendor", "format", "checkouts"])
    for m in months:
        spelling = "Magazine" if m < date(2025, 1, 1) else "Periodical"
        n = int(rng.poisson(14 * MONTH_WEIGHT[m.month])) if m.month not in (7, 8) else \
            int(rng.integers(3, 9))
        w.writerow([f"{m:%Y-%m}", "Newsstand Plus", spelling, n])
    (out.parent / ECIRC_FILES["newsstand"]).write_text(buf.getvalue(), encoding="utf-8")


# ------------------------------------------------------------------------------------ entry
def generate_eresources(raw_dir: Path, seed: int = 20250701) -> dict:
    """Write the demo's e-resource exports under ``raw_dir / "eresources"``.

    The same seed gives byte-identical files. Returns a summary (line and file counts).
    """
    root = Path(raw_dir) / ERES_DIR
    fake = Faker("en_US")
    fake.seed_instance(seed + 8)
    r = random.Random(seed * 31 + 8)
    rng = np.random.default_rng([seed, 0xE2E5, 1])
    counts, actions = _ezproxy(rng, fake, r, root / "ezproxy")
    rng = np.random.default_rng([seed, 0xE2E5, 2])
    _counter(rng, r, fake, root, actions)
    rng = np.random.default_rng([seed, 0xE2E5, 3])
    _ecirc(rng, r, fake, root / "ecirc")
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return {"seed": seed, "files": len(files), **counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m libstats.demo.eresources",
                                     description="Write the demo library's e-resource exports.")
    parser.add_argument("raw_dir", type=Path, help="directory to write eresources/ into")
    parser.add_argument("--seed", type=int, default=20250701)
    args = parser.parse_args(argv)
    json.dump(generate_eresources(args.raw_dir, args.seed), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
