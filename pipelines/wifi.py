"""The Wi-Fi part of a run: session logs → sessions → day tokens → published tables.

Steps (rules in docs/wifi.md):

1. ``raw_*``              read each source (RADIUS detail, Meraki CSV/JSON, UniFi JSON).
2. ``stg_wifi_records``   common columns; unmapped access points and bad times stop the run.
3. ``int_wifi_sessions``  records grouped into sessions, repeats dropped, anomalies flagged.
4. ``int_wifi_counted``   placed in branch-local time; library devices and networks excluded.
5. ``int_wifi_device_tokens``  the day's keyed token of each device (a key per day).
6. ``pub_wifi_*``         the published tables' SQL (run by the caller with the others).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from libstats.config import Config
from libstats.errors import InputError, NoDataError
from libstats.keys import PeriodKey, derive_subkey
from libstats.period import Period
from libstats.profiles import ResolvedProfile
from libstats.readers import csv as csv_reader
from libstats.readers.files import IngestedSource
from libstats.readers.json import load_json
from libstats.readers.radius import load_radius
from libstats.readers.values import raise_at
from libstats.results import CheckResult
from libstats.sql import lit, months_table, q, values_table
from pipelines.context import Run, Staged
from transforms import wifi as w


@dataclass
class WifiStage:
    loaded: list = field(default_factory=list)
    rows: dict = field(default_factory=dict)
    pub_sql: dict = field(default_factory=dict)
    anomalies: list = field(default_factory=list)
    coverage: dict = field(default_factory=dict)


KINDS = ("wifi",)


def prepare(run: Run, resolved: list[ResolvedProfile]) -> None:
    """Nothing: the access-point maps are made when the sessions are staged."""


def load(run: Run, resolved: ResolvedProfile, files: list[Path]) -> IngestedSource:
    """Read one Wi-Fi source into ``raw_<name>``."""
    fmt, con, progress = resolved.profile.name, run.con, run.progress
    if fmt == "radius_detail":
        return load_radius(con, resolved, files, progress)
    if fmt in ("meraki_clients", "meraki_dashboard_csv"):
        return csv_reader.load_source(con, resolved, files, run.work_dir, progress)
    return load_json(con, resolved, files, progress, allow_envelope=fmt == "unifi_sessions")


def _source(ing, config: Config) -> w.WifiSource:
    r = ing.resolved
    present = set(ing.header)
    fields = {f: c for f, c in r.fields.items() if c in present}
    tz = r.source.timezone or r.profile.timezone or config.timezone
    return w.WifiSource(name=ing.name, format=r.profile.name, table=ing.table, fields=fields,
                        timezone=tz)


def create_maps(con, config: Config) -> None:
    con.execute("CREATE OR REPLACE TABLE map_wifi_ap AS " + values_table(
        sorted(config.wifi.access_points.items()), ["ident", "branch_code"]))
    con.execute("CREATE OR REPLACE TABLE map_wifi_library_device AS " + values_table(
        [(m,) for m in config.wifi.library_devices], ["mac"]))


def _check_staged(con, ing, src: w.WifiSource, view: str) -> None:
    f = src.fields
    branch_cols = [f[k] for k in ("nas_id", "nas_ip", "ap", "ap_mac", "ap_serial", "ap_name")
                   if k in f]
    checks = [
        ("status <> 'nas' AND device_is_ip", f.get("device_mac"),
         "the client field holds IP addresses, not MAC addresses (value not shown): libstats "
         "counts devices by MAC and never counts an IP as a device. The controller is set to "
         "send the client's IP as Calling-Station-Id; on a Cisco WLC (AireOS) set Security > "
         "AAA > RADIUS > Authentication 'Call Station ID Type' to 'System MAC Address' "
         "(config radius callStationIdType macaddr), on other controllers send the client MAC; "
         "files written before the change cannot be counted: leave them out of the source's "
         "path (docs/wifi.md)"),
        ("status <> 'nas' AND event_at IS NULL", f.get("start_ts"),
         "the start time cannot be parsed (epoch seconds or ISO 8601 expected)"),
        ("status <> 'nas' AND device IS NULL", f.get("device_mac"),
         "the client MAC address is missing or not a MAC address (value not shown)"),
        ("status <> 'nas' AND branch_code IS NULL", ", ".join(branch_cols) or None,
         "the access point or NAS is not mapped to a branch: list it under "
         "[wifi.access_points] (value not shown)"),
    ]
    # One aggregate pass over the staged rows finds every failing check; the first, in the
    # order above, is reported.
    found = con.execute("SELECT " + ", ".join(
        f"min(_rec) FILTER (WHERE {cond}), count(*) FILTER (WHERE {cond})"
        for cond, _, _ in checks) + f" FROM {view} WHERE source = ?", [ing.name]).fetchone()
    for i, (cond, column, problem) in enumerate(checks):
        rowid, n = found[2 * i], int(found[2 * i + 1])
        if rowid is not None:
            raise_at(con, ing, rowid, n, column, problem)


def stage(run: Run, loaded: list[IngestedSource]) -> Staged:
    """Build the Wi-Fi tables of the run; returns the published tables' SQL and the report.
    No session in the period stops the run."""
    run.say("building Wi-Fi sessions")
    out = _stage(run.con, run.config, run.period, run.pkey, loaded, run.progress)
    if not any(r["in_period"] for r in out.rows.values()):
        read = sum(r["sessions"] for r in out.rows.values())
        p = run.period
        raise NoDataError(
            f"no Wi-Fi sessions in {p.label} ({p.start} to {p.end}): "
            f"{read:,} sessions read, none in the period; check --period and the "
            f"logs' date range")
    return Staged(rows=out.rows, pub_sql=out.pub_sql, manifest={"wifi": {
        "coverage": out.coverage, "anomalies": out.anomalies, "rules": "docs/wifi.md"}})


def _stage(con, config: Config, period: Period, pkey: PeriodKey, loaded: list,
           progress=None) -> WifiStage:
    out = WifiStage(loaded=loaded)
    create_maps(con, config)
    # The staged rows are made once (the views are not evaluated again by the checks).
    sources = [(ing, _source(ing, config)) for ing in loaded]
    views = []
    for ing, src in sources:
        view = f"stg_wifi_{ing.name}"
        con.execute(f"CREATE OR REPLACE VIEW {view} AS {w.stg_wifi_records(src)}")
        views.append(view)
    con.execute("CREATE OR REPLACE TABLE stg_wifi_records AS "
                + " UNION ALL ".join(f"SELECT * FROM {v}" for v in views))
    for ing, src in sources:
        _check_staged(con, ing, src, "stg_wifi_records")
    # Records numbered within their repeats once, for both the sessions and the duplicates.
    con.execute("CREATE OR REPLACE TEMP TABLE _wifi_numbered AS "
                + w.numbered_copies("stg_wifi_records"))
    con.execute("CREATE OR REPLACE TABLE int_wifi_sessions AS "
                + w.int_wifi_sessions("stg_wifi_records", numbered="_wifi_numbered"))
    con.execute("CREATE OR REPLACE TABLE int_wifi_duplicates AS "
                + w.stg_wifi_duplicates("stg_wifi_records", numbered="_wifi_numbered"))
    con.execute("DROP TABLE _wifi_numbered")
    s, e = period.start.isoformat(), period.end.isoformat()
    branch_tz = {b.code: config.branch_timezone(b.code) for b in config.branches}
    con.execute("CREATE OR REPLACE TABLE int_wifi_counted AS " + w.int_wifi_counted(
        "int_wifi_sessions", start=s, end=e, branch_tz=branch_tz, library_tz=config.timezone,
        exclude_ssids=config.wifi.exclude_ssids))
    out.anomalies = _anomalies(con, config, loaded)

    # Day keys: derived from the fiscal year's key, one per day of the period, held in a
    # temporary table for the join (never written to a file of the release).
    days = [period.start + dt.timedelta(days=i)
            for i in range((period.end - period.start).days + 1)]
    con.execute("CREATE OR REPLACE TEMP TABLE _wifi_day_keys (day DATE, ipad BLOB, opad BLOB)")
    con.executemany("INSERT INTO _wifi_day_keys VALUES (?, ?, ?)",
                    [(d, k.ipad, k.opad) for d in days
                     for k in [derive_subkey(pkey, f"wifi-day/{d.isoformat()}")]])
    con.execute("CREATE OR REPLACE TABLE int_wifi_device_tokens AS "
                + w.int_wifi_device_tokens("int_wifi_counted", "_wifi_day_keys"))
    con.execute("DROP TABLE _wifi_day_keys")

    out.rows = _rows(con, loaded)
    out.coverage = _coverage(con, period)
    fy = period.fiscal_year_label
    ws = config.wifi
    out.pub_sql = {
        "pub_wifi_sessions__branch_month": w.pub_wifi_sessions__branch_month(
            "int_wifi_counted", fiscal_year=fy, start=s, end=e),
        "pub_wifi_sessions__branch_weekday_hour": w.pub_wifi_sessions__branch_weekday_hour(
            "int_wifi_counted", fiscal_year=fy),
        "pub_wifi_session_duration__branch_month": w.pub_wifi_session_duration__branch_month(
            "int_wifi_counted", fiscal_year=fy, start=s, end=e,
            bands_minutes=ws.duration_bands_minutes),
        "pub_wifi_data_volume__branch_month": w.pub_wifi_data_volume__branch_month(
            "int_wifi_counted", fiscal_year=fy, start=s, end=e,
            bands_mb=ws.volume_bands_mb),
        "pub_wifi_devices__branch_day": w.pub_wifi_devices__branch_day(
            "int_wifi_counted", fiscal_year=fy, start=s, end=e),
    }
    for a in out.anomalies:
        if progress:
            progress(f"warning: {a['count']:,} × {a['what']} in source '{a['source']}' "
                     f"(first: {a['file']}, line {a['line']})")
    return out


def _anomalies(con, config: Config, loaded: list) -> list[dict]:
    """Counted anomalies per source and kind, each with its first record's file and line.
    Stops the run when the config asks for it, or when there are too many."""
    by_name = {i.name: i for i in loaded}
    flags = " UNION ALL ".join(
        f"SELECT source, {lit(k)} AS kind, _flag_rec AS _rec FROM int_wifi_sessions "
        f"WHERE {k}" for k in w.ANOMALIES if k != "duplicate_record")
    rows = con.execute(f"""
        SELECT source, kind, count(*), min(_rec) FROM (
            {flags}
            UNION ALL SELECT source, 'duplicate_record', _rec FROM int_wifi_duplicates)
        GROUP BY ALL ORDER BY source, kind""").fetchall()
    sessions = dict(con.execute(
        "SELECT source, count(*) FROM int_wifi_sessions GROUP BY ALL").fetchall())
    found = []
    for source, kind, n, rowid in rows:
        ing = by_name[source]
        path, line = ing.locate(con, int(rowid))
        found.append({"source": source, "kind": kind, "what": w.ANOMALIES[kind],
                      "count": int(n), "file": config.display_path(path), "line": line,
                      "_path": path})
    for a in found:
        share = a["count"] / max(1, sessions.get(a["source"], 0))
        too_many = share > config.wifi.max_anomaly_share
        if config.wifi.anomalies == "stop" or too_many:
            why = ("[wifi] anomalies = \"stop\"" if config.wifi.anomalies == "stop" else
                   f"{a['count']:,} of {sessions.get(a['source'], 0):,} sessions, more than "
                   f"[wifi] max_anomaly_share = {config.wifi.max_anomaly_share:g}")
            raise InputError(a["_path"], f"{a['what']}: the first of {a['count']:,} ({why})",
                             line=a["line"], source=a["source"])
    for a in found:
        del a["_path"]
    return found


def _rows(con, loaded: list) -> dict:
    counts = {}
    per = {src: rest for src, *rest in con.execute("""
        SELECT source, count(*),
               count(*) FILTER (WHERE in_period AND excluded IS NULL),
               count(*) FILTER (WHERE in_period AND excluded = 'library device'),
               count(*) FILTER (WHERE in_period AND excluded = 'library-only network'),
               count(*) FILTER (WHERE in_period AND excluded = 'wired, not Wi-Fi'),
               count(*) FILTER (WHERE NOT in_period)
        FROM int_wifi_counted GROUP BY ALL""").fetchall()}
    nas = dict(con.execute("SELECT source, count(*) FROM stg_wifi_records WHERE status = 'nas' "
                           "GROUP BY ALL").fetchall())
    for ing in loaded:
        n, counted, dev, net, wired, outside = per.get(ing.name, [0] * 6)
        counts[ing.name] = {"read": ing.rows, "sessions": int(n), "in_period": int(counted),
                            "excluded_library_devices": int(dev),
                            "excluded_library_networks": int(net),
                            "excluded_wired": int(wired), "outside_period": int(outside),
                            "nas_events": int(nas.get(ing.name, 0))}
    return counts


def _coverage(con, period: Period) -> dict:
    by_source = {src: {"first_day": str(a), "last_day": str(b), "sessions": int(n)}
                 for src, a, b, n in con.execute(
                     "SELECT source, min(session_date), max(session_date), count(*) "
                     "FROM int_wifi_counted WHERE in_period GROUP BY ALL ORDER BY source"
                 ).fetchall()}
    months = months_table(period.start.isoformat(), period.end.isoformat())
    empty = [f"{b} {m}" for b, m in con.execute(
        f"SELECT b.branch_code, m.month FROM {months} AS m "
        f"CROSS JOIN (SELECT DISTINCT branch_code FROM map_wifi_ap) AS b "
        f"WHERE (b.branch_code, m.month) NOT IN (SELECT branch_code, month "
        f"FROM int_wifi_counted WHERE in_period) ORDER BY 1, 2").fetchall()]
    return {"sources": by_source, "branch_months_without_sessions": empty}


def write_pseudonymized(run: Run, staged: Staged, stage_dir: Path) -> list[dict]:
    """wifi_sessions/month=YYYY-MM/data_0.parquet: one row per counted session, with the
    device's token of that day (a key per day: devices cannot be followed across days)."""
    con, key_id = run.con, run.pkey.key_id
    months = [m for (m,) in con.execute(
        "SELECT DISTINCT month FROM int_wifi_counted WHERE in_period AND excluded IS NULL "
        "ORDER BY 1").fetchall()]
    for month in months:
        folder = stage_dir / "wifi_sessions" / f"month={month}"
        folder.mkdir(parents=True)
        con.execute(
            f"COPY (SELECT c.session_date, c.month, c.branch_code, c.weekday, c.hour, "
            f"c.duration_s, c.bytes::BIGINT AS bytes, t.device_token, "
            f"{lit(key_id)} AS key_id, c.source "
            f"FROM int_wifi_counted AS c JOIN int_wifi_device_tokens AS t "
            f"ON t.session_date = c.session_date AND t.device = c.device "
            f"WHERE c.in_period AND c.excluded IS NULL AND c.month = ? "
            # _rec is a row of one raw table and several sessions can share it: every column
            # written breaks the ties, so equal inputs give equal bytes
            f"ORDER BY c.source, c._rec, c.session_date, c.branch_code, c.hour, "
            f"c.duration_s, c.bytes, t.device_token) "
            f"TO {lit(str(folder / 'data_0.parquet'))} "
            f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)", [month])
    n = con.execute("SELECT count(*) FROM int_wifi_counted WHERE in_period AND excluded IS NULL"
                    ).fetchone()[0]
    return [{"table": "wifi_sessions", "rows": int(n),
             "note": "one row per counted Wi-Fi session; device tokens use a key derived per "
                     "day, so a device cannot be followed from one day to the next"}]


def checks(run: Run, staged: Staged, folder: Path) -> list[CheckResult]:
    """None of its own: the scans cover the sessions file."""
    return []


def identifiers_sql(run: Run, loaded: list[IngestedSource]) -> str | None:
    """Client MACs in the other notations (bare hex, colon, hyphen, dotted), so that the
    exact-match scan finds a MAC whatever form an output would show it in."""
    parts = []
    for ing in loaded:
        col = ing.resolved.fields.get("device_mac")
        values = getattr(ing, "values_table", None)
        if values:
            # Scanned attributes repeated in a record: every value, not one per record.
            parts.append(f"""
            SELECT {lit(ing.name)} AS source, attribute AS column_name, value FROM {values}
            WHERE {lit(ing.name)} || '.' || attribute NOT IN
                  ({', '.join(lit(e) for e in run.config.leak_scan_exempt) or "''"})""")
        if col is None or col not in ing.stored:
            continue
        norm = w.mac_sql(q(col))
        pairs = ", ".join(f"substr(n, {i}, 2)" for i in range(1, 13, 2))
        parts.append(f"""
            SELECT {lit(ing.name)} AS source, {lit(col)} AS column_name, unnest([n,
                   concat_ws(':', {pairs}), concat_ws('-', {pairs}),
                   concat_ws('.', substr(n, 1, 4), substr(n, 5, 4), substr(n, 9, 4))]) AS value
            FROM (SELECT DISTINCT {norm} AS n FROM {ing.table}) WHERE n IS NOT NULL""")
    return " UNION ALL ".join(parts) if parts else None
