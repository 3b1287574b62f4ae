"""EZproxy sources in the e-resource part of a run: staged requests (local day and hour, URL
parts, session identity), tokens, exclusions, databases; the manifest's EZproxy figures."""

from __future__ import annotations

import re

from libstats.config import HOST_RE, Config
from libstats.errors import NoDataError
from libstats.keys import PeriodKey
from libstats.period import Period
from libstats.readers.values import first_bad, raise_at
from libstats.sql import lit, months_table
from transforms import eresources as e
from transforms.pseudonymize import key_params

REASONS = e.EXCLUSION_REASONS
# An unmapped host is listed for the steward only if it looks like no identifier.
_HOST_IDENTIFIER = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$|:|@|\d{6,}|^\[")


def stage_ezproxy(con, config: Config, period: Period, pkey: PeriodKey, ez: list,
             progress=None) -> dict:
    es = config.eresources
    staged = [(ing, e.EzproxyStaging(
        name=ing.name, kind="spu" if ing.resolved.profile.name == "ezproxy_spu" else "log",
        table=ing.table, fields=dict(ing.resolved.fields),
        timezone=ing.resolved.source.timezone or config.timezone)) for ing in ez]
    # Staged once (the time conversions are the costly part), then checked per source.
    con.execute("CREATE OR REPLACE TABLE stg_ezproxy_requests AS " + " UNION ALL ".join(
        f"SELECT * FROM ({e.stg_ezproxy_requests(src, config.timezone)})"
        for _, src in staged))
    # The offset a line carries is the truth for that line (its instant); the library's day
    # and hour come from that instant. A line whose offset is the zone's offset half a year
    # away (a server clock that ignores daylight saving time, or one set to summer time all
    # year) is read so, with a warning; any other offset is another zone: stop.
    warnings: list[dict] = []
    for ing, src in staged:
        rowid, n = first_bad(con, "stg_ezproxy_requests",
                             f"source = {lit(ing.name)} AND "
                             f"logged_offset IS DISTINCT FROM zone_offset AND "
                             f"logged_offset IS DISTINCT FROM other_offset", rowid="_rec")
        if rowid is not None:
            raise_at(con, ing, rowid, n, src.fields["time"],
                     f"mixed time zones: the time's UTC offset is neither that of the source's "
                     f"time zone '{src.timezone}' at that moment nor its offset of the other "
                     f"half of the year (set 'timezone' on this source to the EZproxy "
                     f"server's zone)")
        rowid, n = first_bad(con, "stg_ezproxy_requests",
                             f"source = {lit(ing.name)} AND "
                             f"logged_offset IS DISTINCT FROM zone_offset", rowid="_rec")
        if rowid is not None:
            path, line = ing.locate(con, rowid)
            warnings.append({"source": ing.name, "file": config.display_path(path),
                             "line": line, "column": src.fields["time"], "count": n,
                             "what": f"the time's UTC offset is the other half of the year's "
                                     f"offset of '{src.timezone}' (daylight saving time "
                                     f"ignored by the server?): read with the offset the "
                                     f"line carries"})
        for f in ing.non_utf8:
            warnings.append({"source": ing.name, "file": config.display_path(f["file"]),
                             "line": f["first_line"], "column": None, "count": f["lines"],
                             "what": "line(s) holding bytes that are not UTF-8: those bytes "
                                     "were read as Latin-1"})
    for w in warnings:
        if progress:
            progress(f"warning: {w['file']}, line {w['line']}: {w['count']:,} × {w['what']}")
    if progress:
        progress("  e-resources: session tokens, robots, double-clicks")
    con.execute("CREATE OR REPLACE TABLE int_eres_identity_tokens AS "
                + e.int_eres_identity_tokens("stg_ezproxy_requests"), key_params(pkey))
    con.execute("CREATE OR REPLACE TABLE int_eres_robot_agents AS "
                + e.int_eres_robot_agents("stg_ezproxy_requests", es.robots))
    con.execute("CREATE OR REPLACE TABLE int_eres_requests AS " + e.int_eres_requests(
        "stg_ezproxy_requests", "int_eres_identity_tokens", "int_eres_robot_agents",
        start=period.start.isoformat(), end=period.end.isoformat(),
        proxy_hosts=es.proxy_hosts, double_click_seconds=es.double_click_seconds))
    con.execute("DROP TABLE stg_ezproxy_requests")
    con.execute("DROP TABLE int_eres_identity_tokens")
    con.execute("CREATE OR REPLACE TABLE int_eres_hosts AS " + e.int_eres_hosts(
        "int_eres_requests", [(d.name, d.hosts) for d in es.databases]))
    con.execute("CREATE OR REPLACE TABLE int_eres_counted AS " + e.int_eres_counted(
        "int_eres_requests", "int_eres_hosts", es.databases))
    in_period = dict(con.execute(
        "SELECT source, count(*) FROM int_eres_requests WHERE reason IS DISTINCT FROM "
        "'outside_period' GROUP BY ALL").fetchall())
    for ing in ez:
        if not in_period.get(ing.name):
            raise NoDataError(f"no line of EZproxy source '{ing.name}' is in {period.label} "
                              f"({period.start} to {period.end}); check --period and the "
                              f"logs' date range")

    per_source: dict = {}
    excluded = {(src, reason): int(n) for src, reason, n in con.execute(
        "SELECT source, reason, count(*) FROM int_eres_requests WHERE reason IS NOT NULL "
        "GROUP BY ALL").fetchall()}
    kept = dict(con.execute("SELECT source, count(*) FROM int_eres_counted GROUP BY ALL"
                            ).fetchall())
    bad_lines = []
    for ing in ez:
        per_source[ing.name] = {
            "lines": ing.bad.lines, "bad_lines": ing.bad.count,
            "counted": int(kept.get(ing.name, 0)),
            "excluded": {r: excluded.get((ing.name, r), 0) for r in REASONS},
            "robots_detectable": "user_agent" in ing.resolved.fields,
            "log_formats_without_user_agent": [f.text for f in ing.formats
                                               if "user_agent" not in f.fields],
        }
        if ing.bad.count:
            bad_lines.append({"source": ing.name, "count": ing.bad.count,
                              "share": round(ing.bad.count / max(1, ing.bad.lines), 6),
                              "file": config.display_path(ing.bad.first_file),
                              "line": ing.bad.first_line,
                              "quarantine": config.display_path(ing.bad.quarantine)})
            if progress:
                progress(f"warning: {ing.bad.count:,} line(s) of '{ing.name}' match no "
                         f"LogFormat (first: {config.display_path(ing.bad.first_file)}, line "
                         f"{ing.bad.first_line}); quarantined")
    listed, hidden = _other_hosts(con, config.threshold)
    empty = [m for (m,) in con.execute(
        f"SELECT month FROM {months_table(period.start.isoformat(), period.end.isoformat())} "
        f"WHERE month NOT IN (SELECT month FROM int_eres_requests WHERE kind = 'log') "
        f"ORDER BY 1").fetchall()]
    return {"sources": per_source, "bad_lines": bad_lines, "other_hosts": listed,
            "ezproxy_warnings": warnings,
            "months_without_requests": empty,
            "other_hosts_not_listed": hidden,
            "databases": [d.name for d in config.eresources.databases]}


def _other_hosts(con, threshold: int) -> tuple[list[dict], int]:
    """Unmapped hosts used by more than ``threshold`` different people (session identities,
    not sessions: one patron on eleven days is one), unless they look like an identifier;
    the rest are only counted."""
    rows = con.execute("""
        SELECT host, count(*) AS requests,
               count(DISTINCT session_key // 1048576) AS identities
        FROM int_eres_counted WHERE database = 'other' AND kind = 'log' AND host IS NOT NULL
        GROUP BY host ORDER BY requests DESC, host""").fetchall()
    listed = [{"host": h, "requests": int(n)} for h, n, identities in rows
              if identities > threshold and HOST_RE.match(h)
              and not _HOST_IDENTIFIER.search(h)]
    return listed, len(rows) - len(listed)
