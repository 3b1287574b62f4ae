"""``[eresources]``: the licensed databases, the proxy's own host names, the robot patterns and
the limits EZproxy and COUNTER sources are counted with (docs/eresources.md).

Robot patterns are matched by DuckDB, whose RE2 engine refuses some of what Python's re accepts,
so each pattern is compiled by DuckDB here rather than failing in the middle of a run.
"""

from __future__ import annotations

import functools

from libstats.config.model import DEFAULT_ROBOTS, HOST_RE, EresourceDatabase, EresourceSettings
from libstats.config.reader import TableReader


def read_eresources(root: TableReader) -> EresourceSettings:
    """``[eresources]`` and its ``[[eresources.databases]]``: database names unique, each host
    and each COUNTER name belonging to one database only."""
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
    reports = e.get("max_bad_report_share", (int, float), 0.2, what="a number")
    if isinstance(reports, bool) or not 0 <= reports <= 1:
        raise e.fail("max_bad_report_share", "must be between 0 and 1")
    items = e.get("databases", list, [], what="an array of tables ([[eresources.databases]])")
    databases, owner, names, counter_owner = [], {}, set(), {}
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise e.fail("databases", "must be an array of tables ([[eresources.databases]])")
        r = TableReader(root.path, item, f"eresources.databases[{i}]")
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
                             double_click_seconds=seconds, max_bad_line_share=float(share),
                             max_bad_report_share=float(reports))


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
