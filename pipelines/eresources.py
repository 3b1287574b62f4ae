"""The e-resource part of a run: EZproxy logs, COUNTER reports and vendor e-circulation →
database-use tables (rules in docs/eresources.md).

Steps:

1. ``raw_*``                    read each source (EZproxy lines parsed by LogFormat, bad lines
                                quarantined; COUNTER reports validated; vendor CSVs).
2. ``stg_ezproxy_requests``     URL parts, library-local day and hour, session identity; a time
                                offset that disagrees with the source's zone stops the run.
3. ``int_eres_identity_tokens`` keyed token of each session identity (the fiscal year's key).
4. ``int_eres_requests``        exclusion reasons (period, robots, status, proxy pages,
                                double-clicks) and session keys.
5. ``int_eres_counted``         database and class (search / request) of each counted request.
6. ``int_counter_metrics``, ``int_ecirc``  COUNTER figures and e-circulation, names mapped.
7. ``pub_eres_*``, ``pub_ecirc_*``  the published tables' SQL (run by the caller).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from libstats.config import HOST_RE, Config
from libstats.errors import NoDataError
from libstats.keys import PeriodKey
from libstats.period import Period
from libstats.profiles import ResolvedProfile
from libstats.profiles.eresources import EZPROXY_FORMATS
from libstats.readers import csv as csv_reader
from libstats.readers.counter import check_overlaps, load_counter
from libstats.readers.ezproxy import load_ezproxy
from libstats.readers.files import IngestedSource
from libstats.readers.values import first_bad, raise_at
from libstats.results import CheckResult
from libstats.sql import lit, months_table, q
from pipelines.context import Run, Staged
from transforms import eresources as e
from transforms.pseudonymize import key_params

REASONS = e.EXCLUSION_REASONS
# An unmapped host is listed for the steward only if it looks like no identifier.
_HOST_IDENTIFIER = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$|:|@|\d{6,}|^\[")


@dataclass
class EresourceStage:
    rows: dict = field(default_factory=dict)
    pub_sql: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)


def quarantine_dir(config: Config, period: Period) -> Path:
    return config.output_dir / "quarantine" / config.library_slug / period.label


KINDS = ("eresources",)


def prepare(run: Run, resolved: list[ResolvedProfile]) -> None:
    """Nothing: the databases' host maps are made when the requests are staged."""


def load(run: Run, resolved: ResolvedProfile, files: list[Path]) -> IngestedSource:
    """Read one e-resource source into ``raw_<name>``."""
    con, config, period, progress = run.con, run.config, run.period, run.progress
    fmt = resolved.profile.name
    if fmt in EZPROXY_FORMATS:
        path = quarantine_dir(config, period) / f"{resolved.source.name}.bad_lines.tsv"
        return load_ezproxy(con, resolved, files, path, config.eresources.max_bad_line_share,
                            progress)
    if fmt == "counter_r5":
        return load_counter(con, resolved, files, progress)
    return csv_reader.load_source(con, resolved, files, run.work_dir, progress)


def stage(run: Run, loaded: list[IngestedSource]) -> Staged:
    """EZproxy use, COUNTER figures and e-circulation: the published tables' SQL and the
    manifest's ``eresources`` section."""
    run.say("building e-resource use")
    out = _stage(run.con, run.config, run.period, run.pkey, loaded, run.progress)
    return Staged(rows=out.rows, pub_sql=out.pub_sql, manifest={"eresources": out.report})


def _stage(con, config: Config, period: Period, pkey: PeriodKey, loaded: list,
           progress=None) -> EresourceStage:
    out = EresourceStage()
    s, end = period.start.isoformat(), period.end.isoformat()
    fy = period.fiscal_year_label
    es = config.eresources
    names = [d.name for d in es.databases]
    ez = [i for i in loaded if i.resolved.profile.name in EZPROXY_FORMATS]
    counter = [i for i in loaded if i.resolved.profile.name == "counter_r5"]
    ecirc = [i for i in loaded if i.resolved.profile.name == "vendor_ecirc"]
    report: dict = {"rules": "docs/eresources.md"}
    if ez:
        report.update(_ezproxy(con, config, period, pkey, ez, progress))
        if any(i.resolved.profile.name == "ezproxy_log" for i in ez):
            out.pub_sql["pub_eres_use__database_month"] = e.pub_eres_use__database_month(
                "int_eres_counted", fiscal_year=fy, start=s, end=end, databases=names)
        if any(i.resolved.profile.name == "ezproxy_spu" for i in ez):
            out.pub_sql["pub_eres_spu__database_month"] = e.pub_eres_spu__database_month(
                "int_eres_counted", fiscal_year=fy, start=s, end=end, databases=names)
    if counter:
        check_overlaps(con, counter)
        mapped = {c: d.name for d in es.databases for c in d.counter_names}
        con.execute("CREATE OR REPLACE TABLE int_counter_metrics AS " + e.int_counter_metrics(
            [(i.name, i.table) for i in counter], mapped))
        out.pub_sql["pub_eres_counter__database_month"] = e.pub_eres_counter__database_month(
            "int_counter_metrics", fiscal_year=fy, start=s, end=end)
        report["counter"] = _counter_report(con, config, counter)
    if ecirc:
        report["ecirc"] = _ecirc(con, ecirc, s, end)
        out.pub_sql["pub_ecirc_checkouts__vendor_format_month"] = \
            e.pub_ecirc_checkouts__vendor_format_month("int_ecirc", fiscal_year=fy, start=s,
                                                       end=end)
    out.report = report
    for i in loaded:
        out.rows[i.name] = {"read": i.rows, **report.get("sources", {}).get(i.name, {})}
    return out


def _ezproxy(con, config: Config, period: Period, pkey: PeriodKey, ez: list,
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
    for ing, src in staged:
        rowid, n = first_bad(con, "stg_ezproxy_requests",
                             f"source = {lit(ing.name)} AND "
                             f"logged_offset IS DISTINCT FROM zone_offset", rowid="_rec")
        if rowid is not None:
            raise_at(con, ing, rowid, n, src.fields["time"],
                     f"mixed time zones: the time's UTC offset is not that of the source's "
                     f"time zone '{src.timezone}' at that moment (set 'timezone' on this "
                     f"source to the EZproxy server's zone)")
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


def _counter_report(con, config: Config, counter: list) -> list[dict]:
    reports = []
    for ing in counter:
        for i, f in enumerate(ing.files):
            row = con.execute(
                f"SELECT string_agg(DISTINCT report_id, ', ' ORDER BY report_id), "
                f"string_agg(DISTINCT release, ', ' ORDER BY release), min(month), max(month),"
                f" count(DISTINCT native_name) FROM {ing.table} WHERE __file = ?", [i]
            ).fetchone()
            reports.append({"source": ing.name, "file": config.display_path(f.path),
                            "report": row[0], "release": row[1], "first_month": row[2],
                            "last_month": row[3], "databases": int(row[4] or 0)})
    return reports


def _ecirc(con, loaded: list, start: str, end: str) -> dict:
    views = []
    for ing in loaded:
        fields = ing.resolved.fields
        view = f"stg_ecirc_{ing.name}"
        con.execute(f"CREATE OR REPLACE VIEW {view} AS " + e.stg_ecirc(ing.table, fields))
        for cond, fld, problem in [
            ("vendor IS NULL OR vendor = ''", "vendor", "the vendor is empty"),
            ("NOT coalesce(month_ok, false)", "month", "the month is not YYYY-MM"),
            ("format IS NULL", "format",
             "the format is not one of ebook, eaudio, evideo, eserial (or a known synonym)"),
            ("checkouts IS NULL OR checkouts < 0", "checkouts",
             "the checkouts count is not a whole number ≥ 0"),
        ]:
            rowid, n = first_bad(con, view, cond, rowid="_rec")
            if rowid is not None:
                raise_at(con, ing, rowid, n, fields[fld], problem)
        views.append(f"SELECT {lit(ing.name)} AS source, * FROM {view}")
    con.execute("CREATE OR REPLACE TABLE int_ecirc AS SELECT * FROM ("
                + " UNION ALL ".join(views) + f") WHERE month BETWEEN {lit(start[:7])} "
                f"AND {lit(end[:7])}")
    inside = con.execute("SELECT count(*) FROM int_ecirc").fetchone()[0]
    return {"rows": sum(i.rows for i in loaded), "rows_in_period": int(inside)}


def write_pseudonymized(run: Run, staged: Staged, stage_dir: Path) -> list[dict]:
    """eresource_use/month=*/data_0.parquet (counts by day, hour, database; no token),
    counter_metrics.parquet, ecirc_checkouts.parquet."""
    con = run.con
    out = []
    if _has_table(con, "int_eres_counted"):
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _eresource_use AS
            SELECT day, month, hour, database, source,
                   count(*) FILTER (WHERE kind = 'log') AS requests_counted,
                   count(*) FILTER (WHERE class = 'search') AS searches,
                   count(*) FILTER (WHERE class = 'request') AS requests,
                   count(*) FILTER (WHERE kind = 'spu') AS spu_hits,
                   count(DISTINCT session_key) FILTER (WHERE kind = 'log') AS sessions
            FROM int_eres_counted GROUP BY ALL""")
        months = [m for (m,) in con.execute(
            "SELECT DISTINCT month FROM _eresource_use ORDER BY 1").fetchall()]
        for month in months:
            folder = stage_dir / "eresource_use" / f"month={month}"
            folder.mkdir(parents=True)
            con.execute(f"""
                COPY (SELECT * FROM _eresource_use WHERE month = ?
                      ORDER BY day, hour, database, source)
                TO {lit(str(folder / 'data_0.parquet'))} (FORMAT parquet, COMPRESSION zstd)""",
                [month])
        n = con.execute("SELECT count(*) FROM _eresource_use").fetchone()[0]
        con.execute("DROP TABLE _eresource_use")
        out.append({"table": "eresource_use", "rows": int(n),
                    "note": "EZproxy requests, searches, full-content requests, starting-point "
                            "hits and sessions by day, hour and database; no token, URL or user"})
    if _has_table(con, "int_counter_metrics"):
        con.execute(f"""
            COPY (SELECT report_id, release, database, native_name, platform, publisher,
                         data_type, access_method, metric_type, month, count, source
                  FROM int_counter_metrics
                  ORDER BY database, report_id, month, metric_type, native_name, platform,
                           data_type, access_method, source, __file, __line)
            TO {lit(str(stage_dir / 'counter_metrics.parquet'))} (FORMAT parquet)""")
        n = con.execute("SELECT count(*) FROM int_counter_metrics").fetchone()[0]
        out.append({"table": "counter_metrics", "rows": int(n),
                    "note": "every COUNTER figure as read, so a later survey definition can "
                            "be recomputed"})
    if _has_table(con, "int_ecirc"):
        con.execute(f"""
            COPY (SELECT vendor, month, format, sum(checkouts) AS checkouts FROM int_ecirc
                  GROUP BY ALL ORDER BY month, vendor, format)
            TO {lit(str(stage_dir / 'ecirc_checkouts.parquet'))} (FORMAT parquet)""")
        n = con.execute("SELECT count(*) FROM (SELECT DISTINCT vendor, month, format "
                        "FROM int_ecirc)").fetchone()[0]
        out.append({"table": "ecirc_checkouts", "rows": int(n),
                    "note": "vendor e-circulation by month and format"})
    return out


def _has_table(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = ?", [name]).fetchone()[0])


_DATE_LIKE = r"^\d{4}-\d{2}(-\d{2})?$"


def public_labels(con, config: Config, loaded: list) -> list[str]:
    """Names the release publishes by design (library, branches, sources, databases, COUNTER
    and vendor names, measures): a query-string value that is part of one of them (a patron
    searched for "NewsVault") is not looked for, or every such search would stop the run."""
    labels = {config.library_name, *(config.material_types), *config.area_map.values(),
              config.area_default, e.OTHER, *e.MEASURES_EZPROXY, *e.ECIRC_FORMATS,
              "investigations", "sessions"}
    for b in config.branches:
        labels.update((b.code, b.name, *b.aliases))
    for d in config.eresources.databases:
        labels.update((d.name, *d.counter_names))
    for ing in loaded:
        labels.add(ing.name)
        fmt = ing.resolved.profile.name
        cols = {"counter_r5": ("native_name", "platform", "publisher"),
                "vendor_ecirc": (ing.resolved.fields.get("vendor"),)}.get(fmt, ())
        for col in cols:
            if col:
                labels.update(v for (v,) in con.execute(
                    f"SELECT DISTINCT {q(col)} FROM {ing.table} WHERE {q(col)} IS NOT NULL"
                ).fetchall())
    return sorted(label for label in labels if label)


def checks(run: Run, staged: Staged, folder: Path) -> list[CheckResult]:
    """None of its own: the scans cover the zone's files."""
    return []


def identifiers_sql(run: Run, loaded: list[IngestedSource]) -> str | None:
    """See ``_identifiers_sql``; names the release publishes by design are not looked for."""
    return _identifiers_sql(loaded, public_labels(run.con, run.config, loaded))


def _identifiers_sql(loaded: list, labels: list[str] = ()) -> str | None:
    """Identifiers hidden inside EZproxy fields: each address of an address list, every
    query-string value of every URL (decoded; dates and parts of ``labels`` excepted), and
    any barcode, e-mail or LDAP DN found anywhere in a URL."""
    from libstats.sql import values_table
    known = values_table([(lab.lower(),) for lab in labels], ["label"])
    parts = []
    for ing in loaded:
        if ing.resolved.profile.name not in EZPROXY_FORMATS:
            continue
        fields = ing.resolved.fields
        for fld in ("client_ip", "client_ip_a", "forwarded_for"):
            col = fields.get(fld)
            if col in ing.stored:
                parts.append(f"""
                    SELECT {lit(ing.name)} AS source, {lit(col)} AS column_name,
                           trim(unnest(string_split(v, ','))) AS value
                    FROM (SELECT DISTINCT {q(col)} AS v FROM {ing.table}
                          WHERE contains({q(col)}, ','))""")
        url_cols = [fields.get("request"), fields.get("url"),
                    "%{referer}i" if "%{referer}i" in ing.header else None]
        for col in url_cols:
            if col is None:
                continue
            # Every line, not distinct URLs: 10M mostly unique URLs are costlier to make
            # distinct than their (far fewer) query values.
            urls = f"(SELECT {q(col)} AS u FROM {ing.table} WHERE {q(col)} IS NOT NULL)"
            pairs = r"[?&][^=&?# ]*=([^&?# ]*)"
            parts.append(f"""
                SELECT {lit(ing.name)} AS source, {lit(col + ' (query value)')} AS column_name,
                       value FROM (
                    SELECT {e.safe_decode('v')} AS value FROM (
                        SELECT unnest(regexp_extract_all(u, {lit(pairs)}, 1)) AS v FROM {urls}
                        WHERE contains(u, '=')
                        UNION ALL
                        SELECT unnest(regexp_extract_all({e.safe_decode('u')}, {lit(pairs)}, 1))
                        FROM {urls} WHERE contains(u, '%')))
                WHERE value <> '' AND NOT regexp_matches(value, {lit(_DATE_LIKE)})
                  AND NOT EXISTS (SELECT 1 FROM {known} AS k
                                  WHERE contains(k.label, lower(value)))""")
            found = (r"[23][0-9]{13}|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
                     r"|uid=[^,&\s]+(?:,(?:ou|dc|o|cn)=[^,&\s]+)+")
            parts.append(f"""
                SELECT {lit(ing.name)} AS source, {lit(col + ' (found in URL)')} AS column_name,
                       unnest(regexp_extract_all({e.safe_decode('u')}, {lit(found)})) AS value
                FROM {urls}""")
    return " UNION ALL ".join(parts) if parts else None
