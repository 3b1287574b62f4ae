"""The e-resource part of a run: EZproxy logs, COUNTER reports and vendor e-circulation →
database-use tables (rules in docs/eresources.md).

Steps:

1. ``raw_*``                    read each source (EZproxy lines parsed by LogFormat, bad lines
                                quarantined; COUNTER reports validated, broken ones quarantined
                                up to max_bad_report_share; vendor CSVs).
2. ``stg_ezproxy_requests``     URL parts, library-local day and hour (from the offset each line
                                carries), session identity; an offset that is neither the
                                source zone's nor its other-half-year one stops the run
                                (``ezproxy.py``).
3. ``int_eres_identity_tokens`` keyed token of each session identity (the fiscal year's key).
4. ``int_eres_requests``        exclusion reasons (period, robots, status, proxy pages,
                                double-clicks) and session keys.
5. ``int_eres_counted``         database and class (search / request) of each counted request.
6. ``int_counter_metrics``, ``int_ecirc``  COUNTER figures (``counter.py``: overlaps, warnings,
                                quarantined reports) and e-circulation, names mapped.
7. ``pub_eres_*``, ``pub_ecirc_*``  the published tables' SQL (run by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from libstats.config import Config
from libstats.keys import PeriodKey
from libstats.lifecycle.settings import quarantine_dir
from libstats.period import Period
from libstats.profiles import ResolvedProfile
from libstats.profiles.eresources import EZPROXY_FORMATS
from libstats.readers import csv as csv_reader
from libstats.readers.counter import load_counter
from libstats.readers.ezproxy import load_ezproxy
from libstats.readers.files import IngestedSource
from libstats.readers.values import first_bad, raise_at
from libstats.results import CheckResult
from libstats.sql import lit, q
from pipelines.context import Run, Staged
from pipelines.eresources.counter import stage_counter
from pipelines.eresources.ezproxy import stage_ezproxy
from transforms import eresources as e


@dataclass
class EresourceStage:
    rows: dict = field(default_factory=dict)
    pub_sql: dict = field(default_factory=dict)
    report: dict = field(default_factory=dict)


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
                            progress, work_dir=run.work_dir,
                            keep_text=config.lifecycle.quarantine_keep_text)
    if fmt == "counter_r5":
        return load_counter(con, resolved, files, progress,
                            max_bad_share=config.eresources.max_bad_report_share)
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
        report.update(stage_ezproxy(con, config, period, pkey, ez, progress))
        if any(i.resolved.profile.name == "ezproxy_log" for i in ez):
            out.pub_sql["pub_eres_use__database_month"] = e.pub_eres_use__database_month(
                "int_eres_counted", fiscal_year=fy, start=s, end=end, databases=names)
        if any(i.resolved.profile.name == "ezproxy_spu" for i in ez):
            out.pub_sql["pub_eres_spu__database_month"] = e.pub_eres_spu__database_month(
                "int_eres_counted", fiscal_year=fy, start=s, end=end, databases=names)
    if counter:
        report.update(stage_counter(con, config, counter, progress))
        out.pub_sql["pub_eres_counter__database_month"] = e.pub_eres_counter__database_month(
            "int_counter_metrics", fiscal_year=fy, start=s, end=end)
    if ecirc:
        report["ecirc"] = _ecirc(con, ecirc, s, end)
        out.pub_sql["pub_ecirc_checkouts__vendor_format_month"] = \
            e.pub_ecirc_checkouts__vendor_format_month("int_ecirc", fiscal_year=fy, start=s,
                                                       end=end)
    out.report = report
    for i in loaded:
        out.rows[i.name] = {"read": i.rows, **report.get("sources", {}).get(i.name, {}),
                            **report.get("counter_sources", {}).get(i.name, {})}
    return out


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
