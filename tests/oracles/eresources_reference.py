# Spec questions
# (docs/eresources.md leaves these open; the reading chosen here is given after the arrow)
# 1. `%t` is written `[dd/Mon/yyyy:HH:MM:SS ±hhmm]`, with a space inside, but "other directives
#    match a run of non-space characters" -> `%t` matches `[` .. the next `]`; what is inside
#    is then parsed strictly (two-digit day, English month abbreviation, four-digit year, a real
#    calendar date and time, hour 00-23); anything else is a bad line ("not a valid time").
#    The offset check ("mixed time zones") only applies to valid times.
# 2. Double-clicks (§4 rule 5) are looked for among the requests that survived rules 1-4: "the
#    next request of the same session for the same URL" is the next *such* request. Time is the
#    instant (UTC), so seconds across a DST change are real seconds.
# 3. A blank line is one that is empty or only white space once a trailing `\r` is removed.
#    The bad-line share is bad lines / non-blank lines of the source, over all its files.
# 4. `%r` with other than three space-separated parts: the URL is the second part when there
#    are at least two, else there is no URL (hence no host: EZproxy's own page, rule 4).
# 5. SPU target: the query string (after the first `?`) is read parameter by parameter (split
#    points: its start and each `&`); the first parameter that is `qurl=` or `url=` decides:
#    `qurl=` -> its value up to the next `&`, URL-decoded; `url=` -> everything after `url=`
#    (not decoded). No such parameter -> no target (database `other`). Double-clicks of targetless
#    hits compare the empty string.
# 6. Sessions: "hour" is the library-local clock hour (0-23); in the night a DST change repeats
#    01:00-01:59, both passes are hour 1 of the same date (one session for rule 2 and 3).
# 7. COUNTER measures: a (month, database, family, measure) figure exists for every month a file
#    covers (its Reporting_Period / Begin_Date..End_Date) when that file has a non-TDM row of the
#    database carrying the measure's metric; its value is the sum (months a JSON report omits,
#    as SUSHI omits zeros, are 0). A report that does not carry a metric at all (TR_B1 has no
#    Total_Item_Investigations) gives no figure for that measure. A 3030 report with an empty
#    body gives no figure. DR_D1 is family DR (Searches_Regular -> searches), PR_P1 family PR,
#    TR_B1 / TR_J1 family TR. Months outside the run's period are left out.
# 8. COUNTER overlap: two different files with a row (any access method) of the same family and
#    mapped database name whose periods share a month. TDM rows and Regular rows in the same file
#    are not an overlap.
# 9. E-circulation months outside the run's period are left out; figures are the sums of the rows
#    (title-level rows add up); only combinations present in the files are returned (the
#    published grid's zeros are not).
# 10. The steward list of unmapped hosts (`reference_other_hosts`): counted requests of the
#    period to hosts of database `other`; a host is listed when strictly more than the
#    suppression threshold distinct sessions used it and it does not look like an identifier:
#    an IPv4 literal, an IPv6 literal (`[`), an `@`, or a run of 6 or more digits.
# 11. Source paths in the config are relative to the config's folder; the exports are under its
#    `raw/` folder. The reference resolves a path whose first component is `raw` against the
#    `raw_dir` it is given (so a test can generate the exports anywhere); any other path against
#    the config's folder. Files are read in name order ("file order").

"""Independent recomputation of the e-resource figures, written from docs/eresources.md only.

Pure Python (stdlib and tomllib); it shares no code with ``pipelines/``, ``transforms/`` or
``libstats/`` so that the tests compare two readings of the same contract. LogFormat strings are
turned into regular expressions here; user names, session ids and IP addresses are used as they
are instead of keyed HMAC tokens (the distinct counts are the same).

Every public function takes ``raw_dir`` (the folder holding ``eresources/``), ``config_path``
(the library's TOML) and the period ``start`` .. ``end`` (library-local dates, inclusive). Parsed
files are cached per path (and size and modification time), so calling several functions on the
same demo reads the logs once.
"""

from __future__ import annotations

import csv
import fnmatch
import functools
import gzip
import io
import json
import re
import tomllib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_LOG_FORMAT", "DEFAULT_ROBOTS", "REASONS_MAIN", "REASONS_SPU", "EresReferenceError",
    "compile_log_format", "reference_bad_lines", "reference_counter", "reference_ecirc",
    "reference_excluded", "reference_first_bad_lines", "reference_hourly",
    "reference_other_hosts", "reference_spu", "reference_use",
]

DEFAULT_LOG_FORMAT = '%h %l %u %t "%r" %s %b'
DEFAULT_ROBOTS = (
    "bot", "crawl", "spider", "slurp", "curl/", "wget", "python-requests", "python-urllib",
    "libwww-perl", "java/", "httpclient", "headlesschrome", "phantomjs", "scrapy",
    "go-http-client", "okhttp", "facebookexternalhit", "ia_archiver", "archive.org",
    "feedfetcher", "mediapartners", "nutch", "zgrab", "pingdom", "uptimerobot", "monitor")
REASONS_MAIN = ("outside_period", "robot", "not_successful", "proxy_page", "double_click")
REASONS_SPU = ("outside_period", "robot", "not_successful", "double_click")
MEASURES = ("sessions", "searches", "requests")
MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)}


class EresReferenceError(ValueError):
    """A condition docs/eresources.md says stops the run."""


# ------------------------------------------------------------------------------------ config
class _Db(NamedTuple):
    name: str
    hosts: tuple[str, ...]
    counter_names: tuple[str, ...]
    searches: tuple[str, ...]
    requests: tuple[str, ...]


class _Source(NamedTuple):
    name: str
    format: str
    path: str
    log_formats: tuple[str, ...]
    timezone: str


@dataclass(frozen=True)
class _Config:
    folder: Path
    library_tz: str
    threshold: int
    proxy_hosts: frozenset[str]
    robots: tuple[str, ...]
    double_click: float
    max_bad_share: float
    databases: tuple[_Db, ...]
    sources: tuple[_Source, ...]

    def source(self, fmt: str) -> list[_Source]:
        return [s for s in self.sources if s.format == fmt]


def _strs(value, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise EresReferenceError(f"{where}: expected a list of strings")
    return tuple(value)


@functools.lru_cache(maxsize=16)
def _config_cached(path: str, stamp: tuple) -> _Config:
    doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    lib_tz = doc.get("library", {}).get("timezone", "UTC")
    er = doc.get("eresources", {})
    robots = er.get("robots")
    robots = DEFAULT_ROBOTS if robots is None else _strs(robots, "eresources.robots")
    robots = tuple(robots) + _strs(er.get("extra_robots"), "eresources.extra_robots")
    dbs = []
    for i, d in enumerate(er.get("databases", [])):
        where = f"eresources.databases[{i}]"
        if not isinstance(d.get("name"), str) or not d["name"]:
            raise EresReferenceError(f"{where}: name missing")
        dbs.append(_Db(d["name"], tuple(h.lower() for h in _strs(d.get("hosts"), where)),
                       _strs(d.get("counter_names"), where), _strs(d.get("searches"), where),
                       _strs(d.get("requests"), where)))
    seen: dict[str, str] = {}
    for db in dbs:
        for h in db.hosts:
            if h in seen and seen[h] != db.name:
                raise EresReferenceError(f"host {h!r} claimed by {seen[h]!r} and {db.name!r}")
            seen[h] = db.name
    sources = []
    for s in doc.get("sources", []):
        if s.get("kind") != "eresources":
            continue
        lf = s.get("log_format", DEFAULT_LOG_FORMAT)
        sources.append(_Source(s["name"], s["format"], s["path"],
                               _strs(lf, f"sources.{s['name']}.log_format"),
                               s.get("timezone", lib_tz)))
    return _Config(Path(path).parent, lib_tz, int(doc.get("suppression", {}).get("threshold", 10)),
                   frozenset(h.lower() for h in _strs(er.get("proxy_hosts"), "proxy_hosts")),
                   robots, float(er.get("double_click_seconds", 30)),
                   float(er.get("max_bad_line_share", 0.01)), tuple(dbs), tuple(sources))


def _stamp(p: Path) -> tuple:
    st = p.stat()
    return (st.st_size, st.st_mtime_ns)


def _config(config_path: Path) -> _Config:
    p = Path(config_path).resolve()
    return _config_cached(str(p), _stamp(p))


def _files(raw_dir: Path, cfg: _Config, src: _Source) -> tuple[Path, ...]:
    parts = Path(src.path).parts
    if parts and parts[0] == "raw":
        base, pattern = Path(raw_dir), str(Path(*parts[1:]))
    else:
        base, pattern = cfg.folder, src.path
    return tuple(sorted((p for p in base.glob(pattern) if p.is_file()), key=lambda p: str(p)))


class _Hosts:
    """§6: exact host first, else the longest matching `*.` suffix, else `other`."""

    def __init__(self, dbs: tuple[_Db, ...]):
        self.exact: dict[str, str] = {}
        self.suffix: list[tuple[str, str]] = []
        for db in dbs:
            for h in db.hosts:
                if h.startswith("*."):
                    self.suffix.append((h[1:], db.name))          # ".x"
                else:
                    self.exact[h] = db.name
        self.suffix.sort(key=lambda x: -len(x[0]))
        self.memo: dict[str | None, str] = {}

    def db(self, host: str | None) -> str:
        if host not in self.memo:
            self.memo[host] = self._db(host)
        return self.memo[host]

    def _db(self, host: str | None) -> str:
        if host is None:
            return "other"
        if host in self.exact:
            return self.exact[host]
        for suf, name in self.suffix:
            if host.endswith(suf) and len(host) > len(suf):
                return name
        return "other"


# ------------------------------------------------------------------------------------ LogFormat
_DIRECTIVE = re.compile(r"%(?:\{([^}]*)\}([A-Za-z])|([A-Za-z%]))")
_SIMPLE = {"h", "a", "l", "u", "t", "r", "U", "s", "b", "m", "v", "T"}
_LIST_FIELDS = {"h", "a", "i:x-forwarded-for"}


def compile_log_format(fmt: str, source: str = "?") -> tuple[re.Pattern, list[str]]:
    """LogFormat -> (anchored pattern, field name of each group). Field names: the letter of a
    simple directive, ``i:<header lower-case>`` or ``e:<expression>``."""
    pat, names, pos = [], [], 0
    for m in _DIRECTIVE.finditer(fmt):
        pat.append(re.escape(fmt[pos:m.start()]))
        pos = m.end()
        if m.group(3) == "%":
            pat.append("%")
            continue
        if m.group(3):
            name = m.group(3)
            if name not in _SIMPLE:
                raise EresReferenceError(f"source {source}: LogFormat directive %{name} "
                                         "is not supported")
        else:
            kind = m.group(2)
            if kind not in ("i", "e"):
                raise EresReferenceError(f"source {source}: LogFormat directive "
                                         f"%{{{m.group(1)}}}{kind} is not supported")
            name = f"{kind}:{m.group(1).lower() if kind == 'i' else m.group(1)}"
        quoted = m.start() > 0 and fmt[m.start() - 1] == '"' and fmt[m.end():m.end() + 1] == '"'
        if quoted:
            rx = r'[^"]*'
        elif name == "t":
            rx = r"\[[^\]]*\]"
        elif name in _LIST_FIELDS:
            rx = r"\S+(?:, \S+)*"
        else:
            rx = r"\S+"
        pat.append(f"({rx})")
        names.append(name)
    pat.append(re.escape(fmt[pos:]))
    if "t" not in names:
        raise EresReferenceError(f"source {source}: LogFormat without %t")
    if "r" not in names and "U" not in names:
        raise EresReferenceError(f"source {source}: LogFormat without %r or %U")
    return re.compile("".join(pat), re.DOTALL), names


_TIME = re.compile(r"\[(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]")


def _parse_time(value: str) -> tuple[float, int] | None:
    """'[dd/Mon/yyyy:HH:MM:SS +hhmm]' -> (UTC epoch, offset minutes) or None if not valid."""
    m = _TIME.fullmatch(value)
    if not m or m.group(2) not in MONTHS:
        return None
    d, mon, y, hh, mm, ss, sign, oh, om = m.groups()
    try:
        naive = datetime(int(y), MONTHS[mon], int(d), int(hh), int(mm), int(ss))
    except ValueError:
        return None
    if int(om) >= 60:
        return None
    off = (int(oh) * 60 + int(om)) * (-1 if sign == "-" else 1)
    epoch = (naive - timedelta(minutes=off)).replace(tzinfo=UTC).timestamp()
    return epoch, off


def _absent(v: str | None) -> str | None:
    return None if v is None or v == "" or v == "-" else v


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_AFTER_SCHEME = re.compile(r"([^/:?#]*)(?::[^/?#]*)?([^?#]*)", re.DOTALL)


def _host_path(url: str | None) -> tuple[str | None, str]:
    """§2: host = between '://' and the next / : ? # (lower-cased); path = after host and port
    up to ? or # (empty -> /). A URL that does not start with 'scheme://' has no host."""
    if url is None:
        return None, "/"
    m = _SCHEME.match(url)
    if m is None:                      # '/login?url=https://...': no scheme://host of its own
        return None, "/"
    m = _AFTER_SCHEME.match(url, m.end())
    return (m.group(1).lower() or None), (m.group(2) or "/")


class _Line(NamedTuple):
    file: int                  # index of the file in name order
    line: int                  # 1-based
    epoch: float
    day: date                  # library-local
    hour: int
    status: str | None
    url: str | None
    ua: str | None
    has_ua_field: bool
    sess: str | None
    user: str | None
    ip: str


class _Parsed(NamedTuple):
    lines: tuple[_Line, ...]
    n_lines: int                               # non-blank
    bad: tuple[tuple[str, int], ...]           # (file name, line number)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise EresReferenceError(f"{path.name}: gzip file truncated or corrupt") from exc
    return data.decode("utf-8", errors="surrogateescape")


def _first(v: str | None) -> str | None:
    v = _absent(v)
    return None if v is None else v.split(",")[0].strip()


@functools.lru_cache(maxsize=16)
def _parse_cached(paths: tuple[str, ...], stamps: tuple, formats: tuple[str, ...], source: str,
                  server_tz: str, library_tz: str) -> _Parsed:
    compiled = [compile_log_format(f, source) for f in formats]
    stz, ltz = ZoneInfo(server_tz), ZoneInfo(library_tz)
    out, bad, n = [], [], 0
    offsets: dict[tuple[int, int], bool] = {}
    for fi, p in enumerate(paths):
        path = Path(p)
        for ln, raw in enumerate(_read_text(path).split("\n"), 1):
            raw = raw.removesuffix("\r")
            if not raw.strip():
                continue
            n += 1
            f = None
            for rx, names in compiled:
                m = rx.fullmatch(raw)
                if m:
                    f = {}
                    for name, v in zip(names, m.groups()):
                        f.setdefault(name, v)
                    break
            t = _parse_time(f["t"]) if f is not None else None
            if t is None:
                bad.append((path.name, ln))
                continue
            epoch, off = t
            key = (int(epoch) // 900, off)
            ok = offsets.get(key)
            if ok is None:
                # the zone's offset then, or its offset of the other half of the year (a
                # clock that ignores daylight saving time): the line's own offset is used
                moment = datetime.fromtimestamp(epoch, stz)
                year_offsets = {moment.utcoffset()} | {
                    datetime(moment.year, m, 15, 12, tzinfo=stz).utcoffset() for m in (1, 7)}
                ok = offsets[key] = timedelta(minutes=off) in year_offsets
            if not ok:
                raise EresReferenceError(f"{path.name}:{ln}: mixed time zones (offset does not "
                                         f"match {server_tz})")
            local = datetime.fromtimestamp(epoch, ltz)
            if "r" in f:
                parts = f["r"].split(" ")
                url = parts[1] if len(parts) >= 2 else None
            else:
                url = _absent(f.get("U"))
            ip = _first(f.get("i:x-forwarded-for")) or _first(f.get("h")) or _first(f.get("a"))
            out.append(_Line(fi, ln, epoch, local.date(), local.hour, _absent(f.get("s")), url,
                             _absent(f.get("i:user-agent")), "i:user-agent" in f,
                             _absent(f.get("i:ezproxy-session")), _absent(f.get("u")), ip or ""))
    return _Parsed(tuple(out), n, tuple(bad))


def _parsed(raw_dir: Path, cfg: _Config, src: _Source) -> _Parsed:
    paths = _files(raw_dir, cfg, src)
    parsed = _parse_cached(tuple(str(p) for p in paths), tuple(_stamp(p) for p in paths),
                           src.log_formats, src.name, src.timezone, cfg.library_tz)
    if parsed.n_lines and len(parsed.bad) / parsed.n_lines > cfg.max_bad_share:
        f, ln = parsed.bad[0]
        raise EresReferenceError(f"source {src.name}: {len(parsed.bad)} bad lines of "
                                 f"{parsed.n_lines}, more than the allowed share; first {f}:{ln}")
    return parsed


def _session(x: _Line) -> tuple:
    """§5: session id + date; else user + date + hour; else client IP + user agent + date +
    hour."""
    if x.sess is not None:
        return ("s", x.sess, x.day)
    if x.user is not None:
        return ("u", x.user, x.day, x.hour)
    return ("ip", x.ip, x.ua or "", x.day, x.hour)


def _spu_target(url: str | None) -> str | None:
    if url is None or "?" not in url:
        return None
    query = url.split("?", 1)[1]
    pos = 0
    while True:
        if query.startswith("qurl=", pos):
            end = query.find("&", pos)
            return unquote(query[pos + 5:] if end < 0 else query[pos + 5:end])
        if query.startswith("url=", pos):
            return query[pos + 4:]
        nxt = query.find("&", pos)
        if nxt < 0:
            return None
        pos = nxt + 1


# ------------------------------------------------------------------------------------ rules
class _Counted(NamedTuple):
    day: date
    hour: int
    db: str
    kind: str                  # search / request / other
    session: tuple
    host: str | None


class _Result(NamedTuple):
    counted: tuple[_Counted, ...]
    excluded: dict[str, int]


@functools.lru_cache(maxsize=16)
def _robot_patterns(robots: tuple[str, ...]) -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.IGNORECASE) for p in robots)


@functools.lru_cache(maxsize=65536)
def _robot_ua(robots: tuple[str, ...], ua: str) -> bool:
    return any(p.search(ua) for p in _robot_patterns(robots))


def _robot(cfg: _Config, x: _Line) -> bool:
    if not x.has_ua_field or x.ua is None:
        return False
    return _robot_ua(cfg.robots, x.ua)


def _drop_double_clicks(items: list[tuple], seconds: float) -> list[int]:
    """Indices (into items: session, URL, line, ...) of the requests kept by §4 rule 5."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, (sess, url, *_) in enumerate(items):
        groups[(sess, url)].append(i)
    keep = []
    for idx in groups.values():
        idx.sort(key=lambda i: (items[i][2].epoch, items[i][2].file, items[i][2].line))
        for a, b in zip(idx, idx[1:] + [None]):
            if b is None or items[b][2].epoch - items[a][2].epoch > seconds:
                keep.append(a)
    return sorted(keep)


@functools.lru_cache(maxsize=32)
def _evaluate(raw_dir: str, config_path: str, cstamp: tuple, fmt: str, start: date, end: date,
              fstamp: tuple) -> dict[str, _Result]:
    cfg = _config(Path(config_path))
    hosts = _Hosts(cfg.databases)
    by_name = {db.name: db for db in cfg.databases}
    out = {}
    for src in cfg.source(fmt):
        parsed = _parsed(Path(raw_dir), cfg, src)
        reasons = REASONS_MAIN if fmt == "ezproxy_log" else REASONS_SPU
        excluded = {r: 0 for r in reasons}
        survivors: list[tuple] = []
        for x in parsed.lines:
            if not (start <= x.day <= end):
                excluded["outside_period"] += 1
                continue
            if _robot(cfg, x):
                excluded["robot"] += 1
                continue
            st = x.status
            if fmt == "ezproxy_log":
                ok = st is None or (st.isdigit() and (200 <= int(st) <= 299 or int(st) == 304))
            else:
                ok = st is None or (st.isdigit() and int(st) < 400)
            if not ok:
                excluded["not_successful"] += 1
                continue
            if fmt == "ezproxy_log":
                hp = _host_path(x.url)
                if hp[0] is None or hp[0] in cfg.proxy_hosts:
                    excluded["proxy_page"] += 1
                    continue
                survivors.append((_session(x), x.url, x, hp))
            else:
                target = _spu_target(x.url)
                survivors.append((_session(x), target or "", x, _host_path(target)))
        keep = _drop_double_clicks(survivors, cfg.double_click)
        excluded["double_click"] += len(survivors) - len(keep)
        counted = []
        for i in keep:
            sess, _, x, (host, path) = survivors[i]
            db = hosts.db(host)
            kind = "other"
            if fmt == "ezproxy_log" and db in by_name:
                d = by_name[db]
                if any(fnmatch.fnmatchcase(path, p) for p in d.searches):
                    kind = "search"
                elif any(fnmatch.fnmatchcase(path, p) for p in d.requests):
                    kind = "request"
            counted.append(_Counted(x.day, x.hour, db, kind, sess, host))
        out[src.name] = _Result(tuple(counted), excluded)
    return out


def _run(raw_dir: Path, config_path: Path, fmt: str, start: date, end: date
         ) -> dict[str, _Result]:
    cfg = _config(config_path)
    fstamp = tuple((str(p), _stamp(p)) for s in cfg.source(fmt)
                   for p in _files(Path(raw_dir), cfg, s))
    cp = Path(config_path).resolve()
    return _evaluate(str(Path(raw_dir).resolve()), str(cp), _stamp(cp), fmt, start, end, fstamp)


# ------------------------------------------------------------------------------------ EZproxy API
def reference_use(raw_dir: Path, config_path: Path, start: date, end: date
                  ) -> dict[tuple[str, str, str], int]:
    """(month 'YYYY-MM', database, measure) -> count for sessions / searches / requests over
    every ``ezproxy_log`` source; only nonzero figures."""
    out: Counter = Counter()
    sessions: dict[tuple[str, str], set] = defaultdict(set)
    for res in _run(raw_dir, config_path, "ezproxy_log", start, end).values():
        for c in res.counted:
            month = f"{c.day:%Y-%m}"
            sessions[(month, c.db)].add(c.session)
            if c.kind == "search":
                out[(month, c.db, "searches")] += 1
            elif c.kind == "request":
                out[(month, c.db, "requests")] += 1
    for (month, db), s in sessions.items():
        out[(month, db, "sessions")] = len(s)
    return {k: v for k, v in sorted(out.items()) if v}


def reference_spu(raw_dir: Path, config_path: Path, start: date, end: date
                  ) -> dict[tuple[str, str], int]:
    """(month, database) -> counted starting-point hits over every ``ezproxy_spu`` source."""
    out: Counter = Counter()
    for res in _run(raw_dir, config_path, "ezproxy_spu", start, end).values():
        for c in res.counted:
            out[(f"{c.day:%Y-%m}", c.db)] += 1
    return dict(sorted(out.items()))


def reference_hourly(raw_dir: Path, config_path: Path, start: date, end: date
                     ) -> dict[tuple[str, int, str], dict[str, int]]:
    """(day 'YYYY-MM-DD', hour, database) -> requests_counted, searches, requests, sessions
    (distinct sessions with a counted request that hour) and spu_hits: the pseudonymized zone's
    ``eresource_use`` summed over sources."""
    out: dict[tuple[str, int, str], Counter] = defaultdict(Counter)
    sessions: dict[tuple[str, int, str], set] = defaultdict(set)
    for res in _run(raw_dir, config_path, "ezproxy_log", start, end).values():
        for c in res.counted:
            k = (c.day.isoformat(), c.hour, c.db)
            out[k]["requests_counted"] += 1
            if c.kind == "search":
                out[k]["searches"] += 1
            elif c.kind == "request":
                out[k]["requests"] += 1
            sessions[k].add(c.session)
    for res in _run(raw_dir, config_path, "ezproxy_spu", start, end).values():
        for c in res.counted:
            out[(c.day.isoformat(), c.hour, c.db)]["spu_hits"] += 1
    result = {}
    for k in sorted(out):
        row = {m: out[k][m] for m in ("requests_counted", "searches", "requests", "spu_hits")}
        row["sessions"] = len(sessions.get(k, ()))
        result[k] = row
    return result


def reference_bad_lines(raw_dir: Path, config_path: Path, start: date | None = None,
                        end: date | None = None) -> dict[str, int]:
    """Source name -> quarantined lines, for every EZproxy source (0 included)."""
    cfg = _config(config_path)
    return {s.name: len(_parsed(Path(raw_dir), cfg, s).bad)
            for s in cfg.sources if s.format in ("ezproxy_log", "ezproxy_spu")}


def reference_first_bad_lines(raw_dir: Path, config_path: Path, start: date | None = None,
                              end: date | None = None) -> dict[str, tuple[str, int] | None]:
    """Source name -> (file name, line number) of its first bad line, or None."""
    cfg = _config(config_path)
    out = {}
    for s in cfg.sources:
        if s.format in ("ezproxy_log", "ezproxy_spu"):
            bad = _parsed(Path(raw_dir), cfg, s).bad
            out[s.name] = bad[0] if bad else None
    return out


def reference_excluded(raw_dir: Path, config_path: Path, start: date, end: date
                       ) -> dict[tuple[str, str], int]:
    """(source name, reason) -> excluded requests; every reason of the source's rules (0
    included): main logs outside_period, robot, not_successful, proxy_page, double_click; SPU
    logs the same without proxy_page."""
    out = {}
    for fmt in ("ezproxy_log", "ezproxy_spu"):
        for name, res in _run(raw_dir, config_path, fmt, start, end).items():
            for reason, n in res.excluded.items():
                out[(name, reason)] = n
    return out


_IDENTIFIER_HOST = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$|[@\[]|\d{6,}")


def reference_other_hosts(raw_dir: Path, config_path: Path, start: date, end: date
                          ) -> tuple[dict[str, int], dict[str, int]]:
    """Unmapped hosts the steward report lists ({host: counted requests}), and the "hosts not
    listed" as {"hosts": how many, "requests": their counted requests} (Spec question 10)."""
    cfg = _config(config_path)
    reqs: Counter = Counter()
    sess: dict[str, set] = defaultdict(set)
    for res in _run(raw_dir, config_path, "ezproxy_log", start, end).values():
        for c in res.counted:
            if c.db == "other":
                reqs[c.host] += 1
                # people, not sessions: the session key without its day and hour
                sess[c.host].add(c.session[:3] if c.session[0] == "ip" else c.session[:2])
    listed = {h: n for h, n in sorted(reqs.items(), key=lambda x: str(x[0]))
              if h is not None and len(sess[h]) > cfg.threshold
              and not _IDENTIFIER_HOST.search(h)}
    rest = [n for h, n in reqs.items() if h not in listed]
    return listed, {"hosts": len(rest), "requests": sum(rest)}


# ------------------------------------------------------------------------------------ COUNTER
REPORT_FAMILY = {"DR": "DR", "DR_D1": "DR", "PR": "PR", "PR_P1": "PR", "TR": "TR",
                 "TR_B1": "TR", "TR_J1": "TR"}
NAME_COLUMN = {"DR": "Database", "PR": "Platform", "TR": "Title"}
HEADER_NAMES = ("Report_Name", "Report_ID", "Release", "Institution_Name", "Institution_ID",
                "Metric_Types", "Report_Filters", "Report_Attributes", "Exceptions",
                "Reporting_Period", "Created", "Created_By", "Registry_Record")
KNOWN_COLUMNS = {
    "Database", "Title", "Item", "Platform", "Publisher", "Publisher_ID", "Proprietary_ID",
    "DOI", "ISBN", "Print_ISSN", "Online_ISSN", "Linking_ISSN", "URI", "Data_Type",
    "Section_Type", "YOP", "Access_Type", "Access_Method", "Authors", "Publication_Date",
    "Article_Version", "Metric_Type", "Reporting_Period_Total"}
_DR_METRICS = {"Searches_Automated", "Searches_Federated", "Searches_Regular",
               "Total_Item_Investigations", "Total_Item_Requests", "Unique_Item_Investigations",
               "Unique_Item_Requests"}
_ITEM = {"Total_Item_Investigations", "Total_Item_Requests", "Unique_Item_Investigations",
         "Unique_Item_Requests", "Unique_Title_Investigations", "Unique_Title_Requests"}
REPORT_METRICS = {
    "DR": _DR_METRICS | {"Limit_Exceeded", "No_License"},
    "DR_D1": _DR_METRICS,
    "PR": _ITEM | {"Searches_Platform"},
    "PR_P1": {"Searches_Platform", "Total_Item_Requests", "Unique_Item_Requests",
              "Unique_Title_Requests"},
    "TR": _ITEM | {"Limit_Exceeded", "No_License"},
    "TR_B1": {"Total_Item_Requests", "Unique_Title_Requests"},
    "TR_J1": {"Total_Item_Requests", "Unique_Item_Requests"},
}
PUBLISHED = {"DR": {"Searches_Regular": "searches", "Total_Item_Investigations": "investigations",
                    "Total_Item_Requests": "requests"},
             "PR": {"Searches_Platform": "searches", "Total_Item_Investigations": "investigations",
                    "Total_Item_Requests": "requests"},
             "TR": {"Total_Item_Investigations": "investigations",
                    "Total_Item_Requests": "requests"}}
_MONTH_COL = re.compile(r"^([A-Z][a-z]{2})-(\d{4})$")
_PERIOD = re.compile(r"^\s*Begin_Date=(\d{4}-\d{2}-\d{2});\s*End_Date=(\d{4}-\d{2}-\d{2})\s*$")


class _Figure(NamedTuple):
    file: str
    report_id: str
    native: str
    access_method: str | None
    metric: str
    month: str
    count: int


class _Report(NamedTuple):
    file: str
    report_id: str
    months: tuple[str, ...]
    figures: tuple[_Figure, ...]


def _months_between(b: date, e: date) -> tuple[str, ...]:
    out, m = [], date(b.year, b.month, 1)
    while m <= e:
        out.append(f"{m:%Y-%m}")
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return tuple(out)


def _iso_date(v, where: str, end: bool = False) -> date:
    if not isinstance(v, str):
        raise EresReferenceError(f"{where}: date missing")
    try:
        if re.fullmatch(r"\d{4}-\d{2}", v):
            d = date.fromisoformat(v + "-01")
            if end:
                d = date(d.year + (d.month == 12), d.month % 12 + 1, 1) - timedelta(days=1)
            return d
        return date.fromisoformat(v)
    except ValueError:
        raise EresReferenceError(f"{where}: not a date: {v!r}") from None


# COUNTER exceptions a report may carry and still be read (CoP R5.1 Appendix D, HTTP 200;
# 0 and 1-999 are the vendor's own informational codes); 3030 is an empty report.
_READ_ANYWAY = {"3030", "3031", "3032", "3040", "3050", "3060", "3061", "3062", "3063", "3070"}


def _check_exceptions(codes: list[str], where: str) -> None:
    for c in codes:
        if c and c not in _READ_ANYWAY and not (c.isdigit() and int(c) < 1000):
            raise EresReferenceError(f"{where}: COUNTER exception {c}")


def _count(v, where: str) -> int:
    if isinstance(v, bool):
        raise EresReferenceError(f"{where}: count is not a whole number")
    if isinstance(v, int):
        n = v
    elif isinstance(v, str) and v.strip().isdigit():
        n = int(v.strip())
    elif isinstance(v, str) and v.strip() == "":
        n = 0
    else:
        raise EresReferenceError(f"{where}: count is not a whole number: {v!r}")
    if n < 0:
        raise EresReferenceError(f"{where}: negative count")
    return n


def _read_tabular(path: Path) -> _Report:
    text = path.read_bytes().decode("utf-8-sig")
    if path.suffix.lower() == ".tsv":
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        rows = [ln.rstrip("\r").split("\t") for ln in lines]
    else:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    name = path.name

    def cell(r: int, c: int) -> str:
        return rows[r][c] if r < len(rows) and c < len(rows[r]) else ""

    release = cell(2, 1).strip()
    if release in ("5", "5.0"):
        n_head = 12
    elif release == "5.1":
        n_head = 13
    else:
        raise EresReferenceError(f"{name}:3: Release {release!r} not 5 / 5.0 / 5.1")
    for i in range(n_head):
        if cell(i, 0).strip() != HEADER_NAMES[i]:
            raise EresReferenceError(f"{name}:{i + 1}: expected header {HEADER_NAMES[i]}")
    head = {HEADER_NAMES[i]: cell(i, 1).strip() for i in range(n_head)}
    report_id = head["Report_ID"]
    if report_id not in REPORT_FAMILY:
        raise EresReferenceError(f"{name}:2: Report_ID {report_id!r} not supported")
    if n_head < len(rows) and any(x.strip() for x in rows[n_head]):
        raise EresReferenceError(f"{name}:{n_head + 1}: expected a blank row after the header")
    _check_exceptions([c.strip().split(":")[0].strip() for c in head["Exceptions"].split(";")
                       if c.strip()], f"{name}:9")
    m = _PERIOD.match(head["Reporting_Period"])
    if not m:
        raise EresReferenceError(f"{name}:10: Reporting_Period not valid")
    begin = _iso_date(m.group(1), f"{name}:10")
    end = _iso_date(m.group(2), f"{name}:10")
    months = _months_between(begin, end)
    family = REPORT_FAMILY[report_id]
    cols = [c.strip() for c in rows[n_head + 1]] if n_head + 1 < len(rows) else []
    where_cols = f"{name}:{n_head + 2}"
    if not cols or cols[0] != NAME_COLUMN[family]:
        raise EresReferenceError(f"{where_cols}: first column must be {NAME_COLUMN[family]}")
    month_cols: dict[int, str] = {}
    for i, c in enumerate(cols):
        mm = _MONTH_COL.match(c)
        if mm and mm.group(1) in MONTHS:
            month = f"{mm.group(2)}-{MONTHS[mm.group(1)]:02d}"
            if month not in months:
                raise EresReferenceError(f"{where_cols}: month {c} outside Reporting_Period")
            month_cols[i] = month
        elif c not in KNOWN_COLUMNS:
            raise EresReferenceError(f"{where_cols}: unknown column {c!r}")
    for needed in ("Metric_Type", "Reporting_Period_Total"):
        if needed not in cols:
            raise EresReferenceError(f"{where_cols}: column {needed} missing")
    name_col = cols.index("Database" if family == "DR" else "Platform") if (
        ("Database" if family == "DR" else "Platform") in cols) else None
    if name_col is None:
        raise EresReferenceError(f"{where_cols}: column "
                                 f"{'Database' if family == 'DR' else 'Platform'} missing")
    i_metric, i_total = cols.index("Metric_Type"), cols.index("Reporting_Period_Total")
    i_access = cols.index("Access_Method") if "Access_Method" in cols else None
    figures = []
    for r in range(n_head + 2, len(rows)):
        row = rows[r]
        if not any(x.strip() for x in row):
            continue
        where = f"{name}:{r + 1}"
        row = row + [""] * (len(cols) - len(row))
        metric = row[i_metric].strip()
        if metric not in REPORT_METRICS[report_id]:
            raise EresReferenceError(f"{where}: Metric_Type {metric!r} not in {report_id}")
        vals = {month: _count(row[i] or "0", where) for i, month in month_cols.items()}
        if _count(row[i_total] or "0", where) != sum(vals.values()):
            raise EresReferenceError(f"{where}: Reporting_Period_Total is not the sum of months")
        access = row[i_access].strip() if i_access is not None else None
        for month, v in vals.items():
            figures.append(_Figure(name, report_id, row[name_col].strip(), access or None,
                                   metric, month, v))
    return _Report(name, report_id, months, tuple(figures))


def _read_json(path: Path) -> _Report:
    name = path.name
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except ValueError:
        raise EresReferenceError(f"{name}: not valid JSON") from None
    head = doc.get("Report_Header") if isinstance(doc, dict) else None
    items = doc.get("Report_Items") if isinstance(doc, dict) else None
    if not isinstance(head, dict) or not isinstance(items, list):
        raise EresReferenceError(f"{name}: Report_Header / Report_Items missing")
    report_id = head.get("Report_ID")
    if report_id not in REPORT_FAMILY:
        raise EresReferenceError(f"{name}: Report_ID {report_id!r} not supported")
    release = str(head.get("Release", ""))
    filters = head.get("Report_Filters")
    if release in ("5", "5.0"):
        if not isinstance(filters, list):
            raise EresReferenceError(f"{name}: R5.0 Report_Filters must be a list")
        fl = {f.get("Name"): f.get("Value") for f in filters if isinstance(f, dict)}
    elif release == "5.1":
        if not isinstance(filters, dict):
            raise EresReferenceError(f"{name}: R5.1 Report_Filters must be an object")
        fl = filters
    else:
        raise EresReferenceError(f"{name}: Release {release!r} not 5 / 5.1")
    begin = _iso_date(fl.get("Begin_Date"), f"{name}: Begin_Date")
    end = _iso_date(fl.get("End_Date"), f"{name}: End_Date", end=True)
    months = _months_between(begin, end)
    exc = head.get("Exceptions") or []
    _check_exceptions([str(e.get("Code", "")) for e in exc if isinstance(e, dict)], name)
    family = REPORT_FAMILY[report_id]
    key = "Database" if family == "DR" else "Platform"
    figures = []

    def add(native, access, metric, month, count, where):
        if metric not in REPORT_METRICS[report_id]:
            raise EresReferenceError(f"{where}: Metric_Type {metric!r} not in {report_id}")
        if month not in months:
            raise EresReferenceError(f"{where}: month {month} outside the report's period")
        figures.append(_Figure(name, report_id, native, access, metric, month,
                               _count(count, where)))

    for k, item in enumerate(items):
        where = f"{name}: Report_Items[{k}]"
        native = item.get(key)
        if not isinstance(native, str):
            raise EresReferenceError(f"{where}: {key} missing")
        if release == "5.1":
            for ap in item.get("Attribute_Performance", []):
                for metric, by_month in (ap.get("Performance") or {}).items():
                    for month, count in by_month.items():
                        add(native, ap.get("Access_Method"), metric, month, count, where)
        else:
            for perf in item.get("Performance", []):
                month = _iso_date((perf.get("Period") or {}).get("Begin_Date"), where)
                for inst in perf.get("Instance", []):
                    add(native, item.get("Access_Method"), inst.get("Metric_Type"),
                        f"{month:%Y-%m}", inst.get("Count"), where)
    return _Report(name, report_id, months, tuple(figures))


@functools.lru_cache(maxsize=16)
def _counter_reports(paths: tuple[str, ...], stamps: tuple) -> tuple[_Report, ...]:
    out = []
    for p in paths:
        path = Path(p)
        if path.suffix.lower() == ".json":
            out.append(_read_json(path))
        elif path.suffix.lower() in (".tsv", ".csv"):
            out.append(_read_tabular(path))
        else:
            raise EresReferenceError(f"{path.name}: not a .tsv, .csv or .json COUNTER report")
    return tuple(out)


def reference_counter(raw_dir: Path, config_path: Path, start: date, end: date
                      ) -> dict[tuple[str, str, str, str], int]:
    """(month, database, report family DR/PR/TR, measure) -> COUNTER figure (Spec question 7)."""
    cfg = _config(config_path)
    mapped = {n: db.name for db in cfg.databases for n in db.counter_names}
    period = set(_months_between(start, end))
    out: dict[tuple[str, str, str, str], int] = {}
    covered: dict[tuple[str, str, str], str] = {}
    for src in cfg.source("counter_r5"):
        paths = _files(Path(raw_dir), cfg, src)
        reports = _counter_reports(tuple(str(p) for p in paths), tuple(_stamp(p) for p in paths))
        for rep in reports:
            family = REPORT_FAMILY[rep.report_id]
            dbs = {mapped.get(f.native, f.native) for f in rep.figures}
            for db in dbs:
                for month in rep.months:
                    k = (family, db, month)
                    if k in covered and covered[k] != rep.file:
                        raise EresReferenceError(f"{rep.file}: overlaps {covered[k]} "
                                                 f"({family}, {db}, {month})")
                    covered[k] = rep.file
            present: dict[tuple[str, str], None] = {}
            sums: Counter = Counter()
            for f in rep.figures:
                if f.access_method == "TDM":
                    continue
                measure = PUBLISHED[family].get(f.metric)
                if measure is None:
                    continue
                db = mapped.get(f.native, f.native)
                present[(db, measure)] = None
                sums[(f.month, db, measure)] += f.count
            for db, measure in present:
                for month in rep.months:
                    if month in period:
                        out[(month, db, family, measure)] = sums[(month, db, measure)]
    return dict(sorted(out.items()))


# ------------------------------------------------------------------------------------ e-circulation
ECIRC_FORMATS = {"ebook": "ebook", "e-book": "ebook", "eaudio": "eaudio", "e-audio": "eaudio",
                 "audiobook": "eaudio", "evideo": "evideo", "e-video": "evideo",
                 "video": "evideo", "eserial": "eserial", "e-serial": "eserial",
                 "magazine": "eserial", "periodical": "eserial"}
ECIRC_REQUIRED = ("vendor", "month", "format", "checkouts")
ECIRC_OPTIONAL = ("title", "creator", "isbn")


def reference_ecirc(raw_dir: Path, config_path: Path, start: date, end: date
                    ) -> dict[tuple[str, str, str], int]:
    """(month, vendor, format) -> checkouts, summed over every ``vendor_ecirc`` file."""
    cfg = _config(config_path)
    period = set(_months_between(start, end))
    out: Counter = Counter()
    for src in cfg.source("vendor_ecirc"):
        for path in _files(Path(raw_dir), cfg, src):
            text = path.read_bytes().decode("utf-8-sig")
            reader = csv.DictReader(io.StringIO(text, newline=""))
            cols = reader.fieldnames or []
            for c in cols:
                if c not in ECIRC_REQUIRED + ECIRC_OPTIONAL:
                    raise EresReferenceError(f"{path.name}:1: unknown column {c!r}")
            for c in ECIRC_REQUIRED:
                if c not in cols:
                    raise EresReferenceError(f"{path.name}:1: column {c!r} missing")
            line = 2
            for row in reader:
                where = f"{path.name}:{line}"
                line = reader.line_num + 1
                month = (row["month"] or "").strip()
                if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
                    raise EresReferenceError(f"{where}: month {month!r} is not YYYY-MM")
                fmt = ECIRC_FORMATS.get((row["format"] or "").strip().lower())
                if fmt is None:
                    raise EresReferenceError(f"{where}: format {row['format']!r} unknown")
                n = (row["checkouts"] or "").strip()
                if not n.isdigit():
                    raise EresReferenceError(f"{where}: checkouts {n!r} is not a count")
                if month in period:
                    out[(month, row["vendor"].strip(), fmt)] += int(n)
    return dict(sorted(out.items()))
