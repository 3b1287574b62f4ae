"""The demo library's e-resources as a config must describe them, and the files' names.

The proxy host and the two LogFormats, the databases with their hosts and URL patterns (the
``[[eresources.databases]]`` list), the unmapped hosts, the robots' user agents, the suggested
``[[sources]]`` and the names of the COUNTER and e-circulation files. The demo config
(``libstats/demo/library.toml``) and the tests compare their values with these.
"""

from __future__ import annotations

__all__ = [
    "ASP", "AUTO", "COUNTER_FILES", "DATABASES", "ECIRC_FILES", "ERES_DIR", "EXTRA_ROBOTS",
    "HERITAGE", "IPLIT", "LINGUA", "LOG_FORMATS", "LOG_FORMAT_A", "LOG_FORMAT_B", "MEDREF",
    "NEWS", "PROXY_HOST", "PROXY_HOSTS", "RARE", "ROBOT_AGENTS", "SOURCES", "SPU_FORMAT",
    "UNMAPPED_HOSTS",
]

ERES_DIR = "eresources"
PROXY_HOST = "ezproxy.riverbend.example"
PROXY_HOSTS = [PROXY_HOST]
LOG_FORMAT_A = '%h %l %u %t "%r" %s %b'
LOG_FORMAT_B = '%h %{ezproxy-session}i %u %t "%r" %s %b "%{User-Agent}i" "%{X-Forwarded-For}i"'
LOG_FORMATS = [LOG_FORMAT_A, LOG_FORMAT_B]
SPU_FORMAT = LOG_FORMAT_A
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

ROBOT_AGENTS = {
    "googlebot": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "bingbot": "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "python-requests": "python-requests/2.31.0",
    "curl": "curl/8.5.0",
    "linkcheck": "RCLS-LinkCheck/2.1 (+https://www.riverbend.example/it/linkcheck)",
}

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
ECIRC_FILES = {
    "readwave": "ecirc/readwave_checkouts_fy2025.csv",
    "streamshelf": "ecirc/streamshelf_2024-07_2025-06.csv",
    "newsstand": "ecirc/newsstand_plus_fy2025.csv",
}
