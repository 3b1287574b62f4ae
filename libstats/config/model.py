"""Load and validate a library's TOML configuration.

One file per library. Every problem raises ConfigError naming the file and the dotted key, so a
user can fix it without reading code. Unknown keys are errors too (a typo must not silently turn
a rule off). Paths in the file are relative to the file's folder.

See README.md, "Configuration reference", for every key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from libstats.errors import ConfigError

ROLE_RE = re.compile(r"^(drop|keep|token(:[a-z][a-z0-9_]*)?|generalize:[a-z][a-z0-9_]*)$")
AUDIENCES = ("children", "young_adult", "adult")
DEFAULT_AGE_BANDS = (0, 5, 12, 18, 25, 35, 45, 55, 65, 75)
# DuckDB's own default is 80% of RAM; a bounded default keeps a run (DuckDB plus Python, pandas
# and Great Expectations) under about 2 GB, and DuckDB spills to disk beyond it.
DEFAULT_MEMORY_LIMIT = "1200MB"


@dataclass(frozen=True)
class Branch:
    code: str
    name: str
    aliases: tuple[str, ...]
    timezone: str | None = None     # None: the library's


MAC_RE = re.compile(r"^(?:[0-9A-Fa-f]{2}(?:[-:][0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}(?:\.[0-9A-Fa-f]{4}){2}"
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


@dataclass(frozen=True)
class AudienceRule:
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
    require_approval: bool = False     # [release]: a steward publishes each run's release
    # [suppression]: a withheld cell must not be narrowed, from everything published, to a
    # range narrower than this (docs/disclosure.md); defaults to the threshold.
    protection_interval: int = 10
    # [k_anonymity]: every class of the zone's patron records on these columns has >= k.
    k_anonymity: int = 5
    quasi_identifiers: tuple[str, ...] = ("home_branch_code", "patron_category", "age_band",
                                          "area")
    # [tables.NAME] privacy = "dp" and [privacy] epsilon_per_fiscal_year (docs/disclosure.md §7)
    dp_tables: dict[str, DpSettings] = field(default_factory=dict)
    dp_budget: float | None = None

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


class _Reader:
    """Pulls typed values out of a TOML table, tracking the dotted key for error messages."""

    def __init__(self, path: Path, table: dict, prefix: str):
        self.path, self.table, self.prefix = path, table, prefix
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str | None, problem: str) -> ConfigError:
        return ConfigError(self.path, self.key(name) if name else self.prefix or None, problem)

    def get(self, name: str, typ: type | tuple, default: Any = ..., *, what: str = "") -> Any:
        self.used.add(name)
        if name not in self.table:
            if default is ...:
                near = difflib.get_close_matches(name, [str(k) for k in self.table], n=1)
                hint = f" (the file has '{self.key(near[0])}': a typo?)" if near else ""
                raise self.fail(name, "is required but missing" + hint)
            return default
        value = self.table[name]
        if isinstance(value, bool) and typ is int:
            raise self.fail(name, "must be an integer")
        if not isinstance(value, typ):
            expected = what or (typ.__name__ if isinstance(typ, type) else
                                " or ".join(t.__name__ for t in typ))
            raise self.fail(name, f"must be {expected}, got {type(value).__name__}")
        return value

    def str_list(self, name: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(name, list, default, what="a list of strings")
        if value is None:
            return ()
        if not all(isinstance(v, str) for v in value):
            raise self.fail(name, "must be a list of strings")
        return tuple(value)

    def sub(self, name: str, default: Any = ...) -> "_Reader":
        table = self.get(name, dict, {} if default is not ... else ..., what="a table")
        return _Reader(self.path, table, self.key(name))

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            near = difflib.get_close_matches(unknown[0], sorted(self.used), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise self.fail(unknown[0], "is not a known setting" + hint + "; see the README's "
                                        "configuration reference")


def load_config(path: Path | str) -> Config:
    """Read and validate a library configuration file."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(path, None, "file not found")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(path, None, "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message names line and column only, never the offending text.
        raise ConfigError(path, None, f"is not valid TOML ({exc})") from None
    root = _Reader(path, data, "")

    lib = root.sub("library")
    name = lib.get("name", str)
    slug = lib.get("slug", str, re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"))
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        raise lib.fail("slug", "must be lowercase letters, digits and hyphens")
    fys = lib.get("fiscal_year_start", str)
    m = re.fullmatch(r"(\d{2})-(\d{2})", fys)
    if not m:
        raise lib.fail("fiscal_year_start", "must be MM-DD, e.g. \"07-01\"")
    fy_start = (int(m.group(1)), int(m.group(2)))
    try:
        dt.date(2001, *fy_start)
    except ValueError:
        raise lib.fail("fiscal_year_start", "is not a valid month and day") from None
    if fy_start[1] > 28:
        raise lib.fail("fiscal_year_start", "day must be 28 or earlier")
    tz = lib.get("timezone", str, "UTC")
    _check_tz(lib, "timezone", tz)
    lib.finish()

    branches = _branches(root)
    key_env, key_file = _key(root)
    sup = root.sub("suppression", {})
    threshold = sup.get("threshold", int, 10)
    if threshold < 1:
        raise sup.fail("threshold", "must be at least 1")
    interval = sup.get("protection_interval", int, threshold)
    if interval < 1:
        raise sup.fail("protection_interval", "must be at least 1")
    sup.finish()

    k, qis = _k_anonymity(root)
    dp_tables, dp_budget = _privacy(root)

    out = root.sub("output", {})
    output_dir = (path.parent / out.get("folder", str, "out")).resolve()
    out.finish()
    rel = root.sub("release", {})
    require_approval = rel.get("require_approval", bool, False)
    rel.finish()

    audience = _audience(root)
    materials = _materials(root)
    age_bands, area_map, area_default, area_prefix = _generalization(root)

    rh = root.sub("reading_history", {})
    opt_in = rh.str_list("opt_in_values", ("0",))
    rh.finish()

    circ = root.sub("circulation", {})
    ill_types = circ.str_list("ill_item_types", ())
    ill_cats = circ.str_list("ill_lending_categories", ())
    circ.finish()

    reg = root.sub("registered_users", {})
    window = reg.get("active_within_years", int, 3)
    if window < 1:
        raise reg.fail("active_within_years", "must be at least 1")
    reg.finish()

    leak = root.sub("leak_scan", {})
    min_whole = leak.get("min_whole_length", int, 4)
    min_sub = leak.get("min_substring_length", int, 6)
    if min_whole < 1 or min_sub < min_whole:
        raise leak.fail("min_substring_length", "must be ≥ min_whole_length ≥ 1")
    exempt = leak.str_list("exempt_columns", ())
    for item in exempt:
        if item.count(".") != 1:
            raise leak.fail("exempt_columns", "entries must look like \"source.column\"")
    leak.finish()

    eng = root.sub("engine", {})
    memory_limit = eng.get("memory_limit", str, DEFAULT_MEMORY_LIMIT)
    if not valid_memory_limit(memory_limit):
        raise eng.fail("memory_limit", "must be a size like \"1200MB\" or \"4GB\"")
    threads = eng.get("threads", int, None)
    if threads is not None and threads < 1:
        raise eng.fail("threads", "must be at least 1")
    eng.finish()

    wifi = _wifi(root, branches)
    eresources = _eresources(root)
    sources = _sources(root, tz)
    root.finish()
    return Config(
        path=path, library_name=name, library_slug=slug, fiscal_year_start=fy_start,
        timezone=tz, branches=branches, sources=sources, key_env=key_env, key_file=key_file,
        threshold=threshold, protection_interval=interval, output_dir=output_dir, audience=audience, material_types=materials,
        age_bands=age_bands, area_map=area_map, area_default=area_default,
        area_prefix_length=area_prefix, reading_history_opt_in=opt_in, ill_item_types=ill_types,
        ill_lending_categories=ill_cats, registered_window_years=window,
        min_whole_length=min_whole, min_substring_length=min_sub, leak_scan_exempt=exempt,
        memory_limit=memory_limit, threads=threads, wifi=wifi, eresources=eresources,
        require_approval=require_approval, k_anonymity=k, quasi_identifiers=qis,
        dp_tables=dp_tables, dp_budget=dp_budget)


def _k_anonymity(root: _Reader) -> tuple[int, tuple[str, ...]]:
    from libstats.schema import DEFAULT_QUASI_IDENTIFIERS, OPTIONAL_QUASI_IDENTIFIERS
    ka = root.sub("k_anonymity", {})
    k = ka.get("k", int, 5)
    if k < 2:
        raise ka.fail("k", "must be at least 2 (k = 1 protects nobody)")
    extra = ka.str_list("extra_quasi_identifiers", ())
    for name in extra:
        if name not in OPTIONAL_QUASI_IDENTIFIERS:
            raise ka.fail("extra_quasi_identifiers",
                          f"'{name}' is not a column that can be declared; choose from "
                          f"{', '.join(OPTIONAL_QUASI_IDENTIFIERS)} (home branch, patron "
                          f"category, age band and area are always checked)")
    ka.finish()
    return k, DEFAULT_QUASI_IDENTIFIERS + tuple(dict.fromkeys(extra))


def _privacy(root: _Reader) -> tuple[dict[str, DpSettings], float | None]:
    """[tables.NAME] privacy = "suppression" (the default) or "dp", and the fiscal year's ε."""
    from libstats.schema import PUBLISHED_TABLES
    from libstats.schema import DP_TABLES
    tables = root.sub("tables", {})
    dp_tables = {}
    for name in list(tables.table):
        t = tables.sub(name)
        if name not in PUBLISHED_TABLES:
            raise tables.fail(name, "is not a published table (see the README's table list)")
        mode = t.get("privacy", str, "suppression")
        if mode not in ("suppression", "dp"):
            raise t.fail("privacy", 'must be "suppression" or "dp"')
        if mode == "dp":
            if name not in DP_TABLES:
                raise t.fail("privacy", f'"dp" is available for {", ".join(DP_TABLES)}')
            eps = t.get("epsilon", (int, float), what="a number")
            if isinstance(eps, bool) or not math.isfinite(eps) or not 0 < eps <= 10:
                raise t.fail("epsilon", "must be more than 0 and at most 10")
            if DP_TABLES[name].bounded:
                bound = t.get("max_contributions", int, what="an integer")
                if bound < 1:
                    raise t.fail("max_contributions", "must be at least 1")
            else:
                bound = 1
            dp_tables[name] = DpSettings(float(eps), bound)
        t.finish()
    tables.finish()
    priv = root.sub("privacy", {})
    budget = priv.get("epsilon_per_fiscal_year", (int, float), None, what="a number")
    if budget is not None and (isinstance(budget, bool) or not math.isfinite(budget)
                               or budget <= 0):
        raise priv.fail("epsilon_per_fiscal_year", "must be a finite number more than 0")
    if dp_tables and budget is None:
        raise priv.fail("epsilon_per_fiscal_year", 'is required when a table has privacy = '
                                                   '"dp": the fiscal year\'s privacy budget')
    priv.finish()
    return dp_tables, None if budget is None else float(budget)


def valid_memory_limit(text: str) -> bool:
    return bool(re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip()))


def _check_format(reader: _Reader, name: str, fmt: str | None) -> None:
    """A strftime format DuckDB understands (checked with DuckDB itself)."""
    if fmt is None:
        return
    import duckdb
    try:
        duckdb.connect().execute("SELECT try_strptime('2024-01-31', ?)", [fmt]).fetchall()
    except duckdb.Error:
        raise reader.fail(name, "is not a valid strftime format (e.g. \"%d/%m/%Y %H:%M\")") \
            from None


def _check_tz(reader: _Reader, name: str, tz: str) -> None:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail(name, "is not a known IANA time zone (e.g. \"America/New_York\")") \
            from None


def _branches(root: _Reader) -> tuple[Branch, ...]:
    items = root.get("branches", list, what="an array of tables ([[branches]])")
    if not items:
        raise root.fail("branches", "must list at least one branch")
    seen: dict[str, str] = {}
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise root.fail("branches", "must be an array of tables ([[branches]])")
        r = _Reader(root.path, item, f"branches[{i}]")
        code = r.get("code", str)
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", code):
            raise r.fail("code", "must be 1-16 letters, digits, '_' or '-'")
        btz = r.get("timezone", str, None)
        if btz is not None:
            _check_tz(r, "timezone", btz)
        b = Branch(code=code, name=r.get("name", str), aliases=r.str_list("aliases", ()),
                   timezone=btz)
        r.finish()
        for alias in (b.code, *b.aliases):
            if alias in seen and seen[alias] != b.code:
                raise r.fail("aliases", f"alias is already used by branch '{seen[alias]}'")
            seen[alias] = b.code
        out.append(b)
    return tuple(out)


def _increasing_ints(r: _Reader, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    values = r.get(name, list, list(default), what="a list of integers")
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                             for v in values) or list(values) != sorted(set(values)):
        raise r.fail(name, "must be increasing positive integers")
    return tuple(values)


def _wifi(root: _Reader, branches: tuple[Branch, ...]) -> WifiSettings:
    w = root.sub("wifi", {})
    codes = {b.code for b in branches}
    aps = w.sub("access_points", {})
    access_points: dict[str, str] = {}
    for code in aps.table:
        if code not in codes:
            raise aps.fail(code, "is not a branch code listed under [[branches]]")
        for ident in aps.str_list(code):
            key = normalize_mac(ident) or ident.strip()
            if not key:
                raise aps.fail(code, "must not hold empty names")
            if access_points.get(key, code) != code:
                raise aps.fail(code, f"an access point is also listed under "
                                     f"'{access_points[key]}'")
            access_points[key] = code
    aps.finish()
    devices = []
    for i, mac in enumerate(w.str_list("library_devices", ())):
        norm = normalize_mac(mac)
        if norm is None:
            raise w.fail("library_devices", f"entry {i + 1} is not a MAC address "
                                            "(aa:bb:cc:dd:ee:ff, AA-BB-.., aabb.ccdd.eeff)")
        devices.append(norm)
    ssids = w.str_list("exclude_ssids", ())
    durations = _increasing_ints(w, "duration_bands_minutes", (5, 30, 60, 120))
    volumes = _increasing_ints(w, "volume_bands_mb", (10, 100, 1000))
    anomalies = w.get("anomalies", str, "warn")
    if anomalies not in ("warn", "stop"):
        raise w.fail("anomalies", "must be \"warn\" or \"stop\"")
    share = w.get("max_anomaly_share", (int, float), 0.05, what="a number")
    if isinstance(share, bool) or not 0 <= share <= 1:
        raise w.fail("max_anomaly_share", "must be between 0 and 1")
    w.finish()
    return WifiSettings(access_points=access_points, library_devices=tuple(sorted(set(devices))),
                        exclude_ssids=ssids, duration_bands_minutes=durations,
                        volume_bands_mb=volumes, anomalies=anomalies,
                        max_anomaly_share=float(share))


def _eresources(root: _Reader) -> EresourceSettings:
    e = root.sub("eresources", {})
    proxy = tuple(h.strip().lower() for h in e.str_list("proxy_hosts", ()))
    for h in proxy:
        if not HOST_RE.match(h) or h.startswith("*."):
            raise e.fail("proxy_hosts", "entries must be host names (ezproxy.example.org)")
    robots = ()
    for key, default in (("robots", DEFAULT_ROBOTS), ("extra_robots", ())):
        patterns = e.str_list(key, default)
        bad = _re2_rejected(tuple(patterns))
        if bad is not None:
            raise e.fail(key, f"pattern {bad + 1} is not a regular expression DuckDB (RE2) "
                              f"accepts (no look-around or back-references)")
        robots += patterns
    seconds = e.get("double_click_seconds", int, 30)
    if not 0 <= seconds <= 3600:
        raise e.fail("double_click_seconds", "must be between 0 and 3600")
    share = e.get("max_bad_line_share", (int, float), 0.01, what="a number")
    if isinstance(share, bool) or not 0 <= share <= 1:
        raise e.fail("max_bad_line_share", "must be between 0 and 1")
    items = e.get("databases", list, [], what="an array of tables ([[eresources.databases]])")
    databases, owner, names, counter_owner = [], {}, set(), {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise e.fail("databases", "must be an array of tables ([[eresources.databases]])")
        r = _Reader(root.path, item, f"eresources.databases[{i}]")
        name = r.get("name", str).strip()
        if not name or name.lower() == "other" or name in names:
            raise r.fail("name", "must be a unique, non-empty name other than 'other'")
        names.add(name)
        hosts = tuple(h.strip().lower() for h in r.str_list("hosts", ()))
        for h in hosts:
            if not HOST_RE.match(h):
                raise r.fail("hosts", "entries must be host names or \"*.domain\"")
            if owner.get(h, name) != name:
                raise r.fail("hosts", f"an entry is also listed under '{owner[h]}'")
            owner[h] = name
        counter_names = r.str_list("counter_names", (name,))
        for c in counter_names:
            if counter_owner.get(c, name) != name:
                raise r.fail("counter_names", f"a name is also listed under '{counter_owner[c]}'")
            counter_owner[c] = name
        globs = {k: r.str_list(k, ()) for k in ("searches", "requests")}
        for k, pats in globs.items():
            if any(not p.startswith(("/", "*")) for p in pats):
                raise r.fail(k, "patterns match the URL path: start them with / or *")
        r.finish()
        databases.append(EresourceDatabase(name, hosts, counter_names, globs["searches"],
                                           globs["requests"]))
    e.finish()
    return EresourceSettings(databases=tuple(databases), proxy_hosts=proxy, robots=robots,
                             double_click_seconds=seconds, max_bad_line_share=float(share))


@functools.lru_cache(maxsize=64)
def _re2_rejected(patterns: tuple[str, ...]) -> int | None:
    """The index of the first pattern DuckDB's RE2 does not compile (Python's re accepts
    more), or None. One connection for the whole list, cached: every config load checks the
    default robot patterns, and a connection per pattern cost half a second at start-up."""
    import duckdb
    con = duckdb.connect()
    try:
        for i, pattern in enumerate(patterns):
            try:
                con.execute("SELECT regexp_matches('', ?)", [pattern]).fetchone()
            except duckdb.Error:
                return i
    finally:
        con.close()
    return None


def _key(root: _Reader) -> tuple[str | None, Path | None]:
    key = root.sub("key")
    env = key.get("env", str, None)
    file = key.get("file", str, None)
    key.finish()
    if (env is None) == (file is None):
        raise key.fail(None, "set exactly one of 'env' (an environment variable name) or 'file' "
                             "(a key-file path); the key itself never goes in the config")
    for name, value in (("env", env), ("file", file)):
        if value is not None and _looks_like_key(value):
            raise key.fail(name, "looks like key material (value not shown): the key must not "
                                 "be in the config; put it in the environment or a key file "
                                 "and name that here")
    if env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
        raise key.fail("env", "must be an environment variable name, not a key")
    return env, (root.path.parent / file).resolve() if file else None


def _looks_like_key(value: str) -> bool:
    """A long run of hex or base64 text is a key pasted where its name or path belongs."""
    name = value.rsplit("/", 1)[-1]
    return (value.startswith("base64:") or
            bool(re.search(r"[0-9a-fA-F]{32,}", name)) or
            bool(re.fullmatch(r"[A-Za-z0-9+/=_-]{40,}", name)))


def _audience(root: _Reader) -> dict[str, AudienceRule]:
    aud = root.sub("audience", {})
    out = {}
    for name in ("children", "young_adult"):
        r = aud.sub(name, {})
        out[name] = AudienceRule(item_types=r.str_list("item_types", ()),
                                 collection_codes=r.str_list("collection_codes", ()),
                                 locations=r.str_list("locations", ()))
        r.finish()
    aud.finish()
    return out


def _materials(root: _Reader) -> dict[str, tuple[str, ...]]:
    mat = root.get("material_types", dict, {}, what="a table of name = [item types]")
    out: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    r = _Reader(root.path, mat, "material_types")
    for name in mat:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise r.fail(name, "material type names must be lowercase snake_case")
        codes = r.str_list(name)
        for code in codes:
            if code in owner:
                raise r.fail(name, f"item type is already mapped to '{owner[code]}'")
            owner[code] = name
        out[name] = codes
    if "unclassified" in out:
        raise r.fail("unclassified", "is reserved for item types no material type lists")
    return out


def _generalization(root: _Reader):
    gen = root.sub("generalize", {})
    bands = tuple(gen.get("age_bands", list, list(DEFAULT_AGE_BANDS), what="a list of integers"))
    if not bands or not all(isinstance(b, int) and not isinstance(b, bool) for b in bands) \
            or bands[0] != 0 or list(bands) != sorted(set(bands)):
        raise gen.fail("age_bands", "must be increasing integers starting at 0")
    area = gen.sub("area", {})
    prefixes = area.get("postcodes", dict, {}, what="a table of postcode prefix = area name")
    for k, v in prefixes.items():
        if not isinstance(v, str):
            raise area.fail(f"postcodes.{k}", "must be an area name (string)")
    default = area.get("other", str, "other")
    prefix_len = area.get("prefix_length", int, None)
    if prefix_len is not None and not 1 <= prefix_len <= 5:
        raise area.fail("prefix_length", "must be between 1 and 5")
    if not prefixes and prefix_len is None:
        prefix_len = 3
    area.finish()
    gen.finish()
    return bands, dict(prefixes), default, prefix_len


def _sources(root: _Reader, library_tz: str) -> tuple[Source, ...]:
    items = root.get("sources", list, what="an array of tables ([[sources]])")
    if not items:
        raise root.fail("sources", "must list at least one source")
    names = set()
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise root.fail("sources", "must be an array of tables ([[sources]])")
        r = _Reader(root.path, item, f"sources[{i}]")
        name = r.get("name", str)
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise r.fail("name", "must be lowercase snake_case")
        if name in names:
            raise r.fail("name", "is used by another source")
        names.add(name)
        kind = r.get("kind", str)
        fmt = r.get("format", str)
        columns = r.get("columns", dict, {}, what="a table of column = role")
        for col, role in columns.items():
            if not isinstance(role, str) or not ROLE_RE.match(role):
                raise r.fail(f"columns.{col}", "role must be drop, keep, token, token:<domain> "
                                               "or generalize:<rule>")
        mapping = r.get("mapping", dict, {}, what="a table of field = column")
        delimiter = r.get("delimiter", str, ",")
        if len(delimiter) != 1:
            raise r.fail("delimiter", "must be a single character")
        encoding = r.get("encoding", str, "utf-8")
        try:
            "".encode(encoding)
        except LookupError:
            raise r.fail("encoding", "is not a known text encoding") from None
        tz = r.get("timezone", str, None)
        if tz is not None:
            _check_tz(r, "timezone", tz)
        ts_fmt = r.get("timestamp_format", str, None)
        date_fmt = r.get("date_format", str, None)
        _check_format(r, "timestamp_format", ts_fmt)
        _check_format(r, "date_format", date_fmt)
        log_format = r.get("log_format", (str, list), [], what="a LogFormat string or a list")
        log_format = (log_format,) if isinstance(log_format, str) else tuple(log_format)
        if not all(isinstance(f, str) and f.strip() for f in log_format):
            raise r.fail("log_format", "must be a LogFormat string or a list of them")
        src = Source(name=name, kind=kind, format=fmt, path=r.get("path", str),
                     encoding=encoding, delimiter=delimiter, columns=dict(columns),
                     mapping=dict(mapping),
                     timestamp_format=ts_fmt, date_format=date_fmt, timezone=tz,
                     log_format=log_format)
        r.finish()
        out.append(src)
    return tuple(out)
