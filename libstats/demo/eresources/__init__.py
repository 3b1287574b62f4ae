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
  :data:`~libstats.demo.eresources.settings.COUNTER_FILES`): DR from EBSCOhost (TSV R5.0, JSON
  R5.1), PR from NewsVault (JSON R5.0, CSV R5.1 with a byte-order mark), TR_B1 from Heritage
  Roots (TSV both releases), TR_J1 from MedRef (CSV R5.0, TSV R5.1), DR_D1 from LinguaLab (TSV
  R5.0, CSV R5.1) and one LinguaLab Kids DR_D1 R5.1 that reports exception 3030 (no usage) with
  an empty body.
* ``ecirc/*.csv``: monthly checkouts from ReadWave (OverDrive-like), StreamShelf (hoopla-like,
  one row per title with ``title``, ``creator`` and ``isbn``) and Newsstand Plus (magazines).

Databases (:data:`~libstats.demo.eresources.settings.DATABASES` is the
``[[eresources.databases]]`` list): Academic Search Premier
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

Modules (imports point down the list, never up)
===============================================
* :mod:`~libstats.demo.eresources.generate`:
  :func:`~libstats.demo.eresources.generate.generate_eresources`, which ``generate_demo`` calls
  with its own seed; ``python -m libstats.demo.eresources RAW_DIR [--seed SEED]`` runs it alone.
* :mod:`~libstats.demo.eresources.ezproxy` (the logs), :mod:`~libstats.demo.eresources.counter`
  and :mod:`~libstats.demo.eresources.ecirc` (the vendors' reports, on
  :mod:`~libstats.demo.eresources.reports`).
* :mod:`~libstats.demo.eresources.robots`, :mod:`~libstats.demo.eresources.visits` and
  :mod:`~libstats.demo.eresources.databases`: who clicks what.
* :mod:`~libstats.demo.eresources.clicks`, :mod:`~libstats.demo.eresources.patrons`,
  :mod:`~libstats.demo.eresources.clock` and :mod:`~libstats.demo.eresources.settings` (what the
  config must know: proxy host, LogFormats, databases, sources, file names).
"""

