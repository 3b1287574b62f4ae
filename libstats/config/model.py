"""What a loaded configuration is: the frozen dataclasses every pipeline reads, their defaults,
and the identifier formats (MAC addresses, host names) stored in them.

Nothing here reads TOML or raises ConfigError: the loader (libstats.config.load) builds these
objects only after every value has been checked, so code holding a Config can trust it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from libstats.lifecycle.settings import Lifecycle

AUDIENCES = ("children", "young_adult", "adult")
DEFAULT_AGE_BANDS = (0, 5, 12, 18, 25, 35, 45, 55, 65, 75)
# DuckDB's own default is 80% of RAM; a bounded default keeps a run (DuckDB plus Python, pandas
# and Great Expectations) under about 2 GB, and DuckDB spills to disk beyond it.
DEFAULT_MEMORY_LIMIT = "1200MB"


@dataclass(frozen=True)
class Branch:
    """One ``[[branches]]`` entry: a service point and the codes the exports use for it."""

    code: str
    name: str
    aliases: tuple[str, ...]
    timezone: str | None = None     # None: the library's


MAC_RE = re.compile(r"^(?:[0-9A-Fa-f]{2}(?:[-:][0-9A-Fa-f]{2}){5}"
                    r"|[0-9A-Fa-f]{4}(?:\.[0-9A-Fa-f]{4}){2}"
                    r"|[0-9A-Fa-f]{12})$")


def normalize_mac(text: str) -> str | None:
    """A MAC address in any common notation as 12 lower-case hex digits, else None.

    >>> normalize_mac("AA-BB-CC-0D-0E-0F"), normalize_mac("aabb.cc0d.0e0f"), normalize_mac("x")
    ('aabbcc0d0e0f', 'aabbcc0d0e0f', None)
    """
    text = text.strip()
    if not MAC_RE.match(text):
        return None
    return re.sub(r"[^0-9a-f]", "", text.lower())


@dataclass(frozen=True)
class WifiSettings:
    """``[wifi]``: how Wi-Fi sessions are attributed and filtered (docs/wifi.md)."""

    access_points: dict[str, str] = field(default_factory=dict)  # identifier -> branch code
    library_devices: tuple[str, ...] = ()          # normalized MACs
    exclude_ssids: tuple[str, ...] = ()
    duration_bands_minutes: tuple[int, ...] = (5, 30, 60, 120)
    volume_bands_mb: tuple[int, ...] = (10, 100, 1000)
    anomalies: str = "warn"                        # or "stop"
    max_anomaly_share: float = 0.05


AUDIENCE_GROUPS = ("ages_0_5", "ages_6_11", "ages_12_18", "ages_19_plus", "general")
DEFAULT_AUDIENCES = {
    "ages_0_5": ("babies", "baby", "toddlers", "preschool", "early literacy", "birth to 5"),
    "ages_6_11": ("school age", "elementary", "grades k-5"),
    "ages_12_18": ("teens", "teen", "young adults", "young adult", "tweens & teens"),
    "ages_19_plus": ("adults", "adult", "seniors", "older adults"),
    "general": ("all ages", "families", "family", "everyone"),
}


@dataclass(frozen=True)
class ComputerSettings:
    """``[computers]`` (libstats/config/services.py)."""

    locations: dict[str, str] = field(default_factory=dict)   # location or name -> branch
    staff_computers: tuple[str, ...] = ()
    length_bands_minutes: tuple[int, ...] = (15, 30, 60, 120)
    # branch code -> public-use internet computers (PLS GPTERMS), as the library counts them
    public_terminals: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ProgramSettings:
    """``[programs]`` (libstats/config/services.py)."""

    audiences: dict[str, str] = field(default_factory=lambda: {
        label: g for g, labels in DEFAULT_AUDIENCES.items() for label in labels})
    offsite_locations: tuple[str, ...] = ()


# COUNTER's robots list, shortened to its commonest patterns (docs/eresources.md §4).
DEFAULT_ROBOTS = (
    "bot", "crawl", "spider", "slurp", "curl/", "wget", "python-requests", "python-urllib",
    "libwww-perl", "java/", "httpclient", "headlesschrome", "phantomjs", "scrapy",
    "go-http-client", "okhttp", "facebookexternalhit", "ia_archiver", "archive.org",
    "feedfetcher", "mediapartners", "nutch", "zgrab", "pingdom", "uptimerobot", "monitor")
HOST_RE = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$")


@dataclass(frozen=True)
class EresourceDatabase:
    """One ``[[eresources.databases]]`` entry: the hosts that serve it and how to count."""

    name: str
    hosts: tuple[str, ...] = ()          # exact host names, or "*.suffix"
    counter_names: tuple[str, ...] = ()  # its name(s) in COUNTER reports
    searches: tuple[str, ...] = ()       # GLOB patterns on the URL path
    requests: tuple[str, ...] = ()


@dataclass(frozen=True)
class EresourceSettings:
    """``[eresources]``: databases, robots and limits for EZproxy and COUNTER sources."""

    databases: tuple[EresourceDatabase, ...] = ()
    proxy_hosts: tuple[str, ...] = ()
    robots: tuple[str, ...] = DEFAULT_ROBOTS
    double_click_seconds: int = 30
    max_bad_line_share: float = 0.01
    max_bad_report_share: float = 0.2    # COUNTER reports of a source that may be quarantined


@dataclass(frozen=True)
class Source:
    """One raw export: a format (profile) and the files that hold it."""

    name: str
    kind: str
    format: str
    path: str                      # glob, relative to the config folder
    encoding: str = "utf-8"
    delimiter: str = ","
    columns: dict[str, str] = field(default_factory=dict)   # column-role overrides
    mapping: dict[str, str] = field(default_factory=dict)   # csv format: logical field -> column
    timestamp_format: str | None = None
    date_format: str | None = None
    timezone: str | None = None    # None: the library's; "UTC" for GMT exports
    log_format: tuple[str, ...] = ()   # EZproxy sources: LogFormat strings, tried in order
    event_time: str = "day"        # circulation: the zone's event time, "day", "week", "month"


@dataclass(frozen=True)
class AudienceRule:
    """``[audience.children]`` or ``[audience.young_adult]``: an item matching any listed item
    type, collection code or location is in that audience; an item matching neither is adult."""

    item_types: tuple[str, ...] = ()
    collection_codes: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()


@dataclass(frozen=True)
class DpSettings:
    """[tables.NAME] privacy = "dp": the table's ε and contribution bound."""

    epsilon: float
    max_contributions: int = 1


@dataclass(frozen=True)
class Config:
    """A library's validated configuration: everything a run reads from its TOML file, with
    paths made absolute. Built only by load_config (or a test), never edited afterwards."""

    path: Path
    library_name: str
    library_slug: str
    fiscal_year_start: tuple[int, int]  # (month, day)
    timezone: str
    branches: tuple[Branch, ...]
    sources: tuple[Source, ...]
    key_env: str | None
    key_file: Path | None
    threshold: int
    output_dir: Path
    audience: dict[str, AudienceRule]
    material_types: dict[str, tuple[str, ...]]
    age_bands: tuple[int, ...]
    area_map: dict[str, str]          # postcode prefix -> area name
    area_default: str
    area_prefix_length: int | None    # fallback rule: first N characters of the postcode
    reading_history_opt_in: tuple[str, ...]
    ill_item_types: tuple[str, ...]
    ill_lending_categories: tuple[str, ...]
    registered_window_years: int
    min_whole_length: int
    min_substring_length: int
    leak_scan_exempt: tuple[str, ...]
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    threads: int | None = None
    wifi: WifiSettings = field(default_factory=WifiSettings)
    eresources: EresourceSettings = field(default_factory=EresourceSettings)
    # [computers], [programs] (libstats/config/services.py; docs/services.md)
    computers: ComputerSettings = field(default_factory=ComputerSettings)
    programs: ProgramSettings = field(default_factory=ProgramSettings)
    require_approval: bool = False     # [release]: a steward publishes each run's release
    # [suppression]: a withheld cell must not be narrowed, from everything published, to a
    # range narrower than this (docs/disclosure.md); defaults to the threshold.
    protection_interval: int = 10
    # [k_anonymity]: every class of the zone's patron records on these columns has >= k.
    k_anonymity: int = 5
    quasi_identifiers: tuple[str, ...] = ("home_branch_code", "patron_category", "age_band",
                                          "area", "enrolled_month", "last_activity_month",
                                          "is_registered_user", "reading_history_opt_in")
    # how the enrolment and last-activity months ship: "year", "month" or "drop"
    activity_dates: str = "year"
    # [minors] (docs/disclosure.md §6): under minors_age, stricter k and threshold
    minors_age: int = 18
    minors_k: int = 10
    minors_threshold: int = 15
    minors_categories: tuple[str, ...] = ()
    # [tables.NAME] privacy = "dp" and [privacy] epsilon_per_fiscal_year (docs/disclosure.md §7)
    dp_tables: dict[str, DpSettings] = field(default_factory=dict)
    dp_budget: float | None = None
    # [retention], [holds], [quarantine], [publish]: libstats.lifecycle.settings
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    # [output] group / lock_wait_seconds: who may read the pseudonymized zone, and how long a
    # run waits for the run lock (libstats/runlock.py)
    zone_group: str | None = None
    lock_wait_s: float = 600.0

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def display_path(self, path: str | Path) -> str:
        """A path as reports show it: relative to the config's folder, else its name only
        (no absolute path of the machine in a published manifest)."""
        path = Path(path)
        try:
            return path.relative_to(self.base_dir).as_posix()
        except ValueError:
            return path.name

    def branch_timezone(self, code: str) -> str:
        return next((b.timezone for b in self.branches if b.code == code and b.timezone),
                    self.timezone)

    def branch_for_alias(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for b in self.branches:
            for a in (b.code, *b.aliases):
                out[a] = b.code
        return out

    def fiscal_year_bounds(self, fiscal_year: int) -> tuple[dt.date, dt.date]:
        """First and last day of fiscal year `fiscal_year` (named by the year it ends in).

        >>> c = _doc_config((7, 1)); c.fiscal_year_bounds(2025)
        (datetime.date(2024, 7, 1), datetime.date(2025, 6, 30))
        >>> c = _doc_config((1, 1)); c.fiscal_year_bounds(2025)
        (datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))
        """
        month, day = self.fiscal_year_start
        if (month, day) == (1, 1):
            start = dt.date(fiscal_year, 1, 1)
        else:
            start = dt.date(fiscal_year - 1, month, day)
        end = dt.date(start.year + 1, month, day) - dt.timedelta(days=1)
        return start, end

    def fiscal_year_of(self, day: dt.date) -> int:
        month, d = self.fiscal_year_start
        if (month, d) == (1, 1):
            return day.year
        return day.year + 1 if (day.month, day.day) >= (month, d) else day.year


def _doc_config(start: tuple[int, int]) -> Config:
    """A minimal Config for doctests."""
    return Config(Path("x.toml"), "x", "x", start, "UTC", (), (), "K", None, 10, Path("."),
                  {}, {}, DEFAULT_AGE_BANDS, {}, "other", None, (), (), (), 3, 4, 6, ())
