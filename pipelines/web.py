"""The website part of a run: web-analytics exports → visits by month (PLS FY2023 WEBVISIT;
rules in docs/services.md §2).

The analytics exports (Matomo, GA4, generic CSV) hold visits per day: the tool has applied
its session rule and left robots out. Access logs (Apache / nginx, any LogFormat) are read by
the LogFormat reader and made into visits here: a visitor (client address and user agent,
hashed in the run) whose page views have no gap over 30 minutes, robots excluded. IP
addresses, URLs and query strings never leave the raw zone: only visits per day are written.
A day listed twice in an analytics source (two overlapping exports) stops the run.
"""

from __future__ import annotations

from pathlib import Path

from libstats.errors import NoDataError
from libstats.lifecycle.settings import quarantine_dir
from libstats.profiles import ResolvedProfile
from libstats.profiles.web import ACCESS_LOG, access_log_profile
from libstats.readers.ezproxy import load_ezproxy
from libstats.readers.files import IngestedSource
from libstats.results import CheckResult
from libstats.sql import lit
from pipelines.context import Run, Staged
from pipelines.records import EMPTY, check_rows, load_csv, staged_source
from transforms import web as w

KINDS = ("web",)


def prepare(run: Run, resolved: list[ResolvedProfile]) -> None:
    """Nothing."""


def load(run: Run, resolved: ResolvedProfile, files: list[Path]) -> IngestedSource:
    """An analytics CSV, or an access log through the LogFormat reader (bad lines are
    quarantined in the raw zone, as EZproxy's are)."""
    if resolved.profile.name == ACCESS_LOG:
        config, src = run.config, resolved.source
        path = quarantine_dir(config, run.period) / f"{src.name}.bad_lines.tsv"
        _, formats = access_log_profile(src.log_format)
        return load_ezproxy(run.con, resolved, files, path,
                            config.eresources.max_bad_line_share, run.progress,
                            work_dir=run.work_dir, formats=formats,
                            keep_text=config.lifecycle.quarantine_keep_text)
    return load_csv(run, resolved, files)


def stage(run: Run, loaded: list[IngestedSource]) -> Staged:
    run.say("building website visits")
    con, period = run.con, run.period
    views = []
    for ing in loaded:
        if ing.resolved.profile.name == ACCESS_LOG:
            view = f"stg_web_{ing.name}"
            tz = ing.resolved.source.timezone or run.config.timezone
            con.execute(f"CREATE OR REPLACE VIEW {view}_hits AS " + w.stg_web_hits(
                ing.table, ing.resolved.fields, timezone=tz,
                robots=run.config.eresources.robots))
            con.execute(f"CREATE OR REPLACE TABLE {view} AS "
                        + w.int_web_log_visits(f"{view}_hits", ing.name))
            views.append(view)
            continue
        src = staged_source(ing, run.config)
        view = f"stg_web_{ing.name}"
        con.execute(f"CREATE OR REPLACE VIEW {view} AS " + w.stg_web_visits(src))
        day, visits = src.fields.get("day"), src.fields.get("visits")
        check_rows(con, ing, view, [
            ("NOT _day_given", day, EMPTY),
            ("_day_given AND day IS NULL", day,
             "the day cannot be parsed (YYYY-MM-DD or YYYYMMDD expected; a totals row must "
             "be removed)"),
            ("_day_given AND day IS NOT NULL AND visits IS NULL", visits,
             "the visits count is not a whole number ≥ 0"),
            ("_times > 1", day, "this day is listed more than once in the source (two "
                                "overlapping exports?): its visits would be counted twice"),
        ])
        views.append(view)
    con.execute("CREATE OR REPLACE TABLE int_web_visits AS SELECT source, _rec, day, visits "
                "FROM (" + " UNION ALL ".join(f"SELECT source, _rec, day, visits FROM {v}"
                                             for v in views) + ")")
    s, e = period.start.isoformat(), period.end.isoformat()
    per = {src: (int(n), int(k or 0)) for src, n, k in con.execute(
        f"SELECT source, count(*), sum(visits) FILTER (WHERE day BETWEEN DATE {lit(s)} "
        f"AND DATE {lit(e)}) FROM int_web_visits GROUP BY ALL").fetchall()}
    rows = {i.name: {"read": i.rows, "days": per.get(i.name, (0, 0))[0],
                     "visits_in_period": per.get(i.name, (0, 0))[1]} for i in loaded}
    inside = con.execute(f"SELECT count(*) FROM int_web_visits WHERE day BETWEEN DATE {lit(s)} "
                         f"AND DATE {lit(e)}").fetchone()[0]
    if not inside:
        raise NoDataError(f"no website visits in {period.label} ({period.start} to "
                          f"{period.end}): no day of the exports is in the period; check "
                          f"--period and the exports' date range")
    return Staged(rows=rows, pub_sql={"pub_web_visits__month": w.pub_web_visits__month(
        "int_web_visits", fiscal_year=period.fiscal_year_label, start=s, end=e)},
        manifest={"web": {"rules": "docs/services.md", "sources": rows}})


def write_pseudonymized(run: Run, staged: Staged, folder: Path) -> list[dict]:
    """web_visits.parquet: visits per day and source."""
    s, e = run.period.start.isoformat(), run.period.end.isoformat()
    run.con.execute(f"""
        COPY (SELECT day, visits, source FROM int_web_visits
              WHERE day BETWEEN DATE {lit(s)} AND DATE {lit(e)} ORDER BY day, source)
        TO {lit(str(folder / 'web_visits.parquet'))} (FORMAT parquet)""")
    n = run.con.execute(f"SELECT count(*) FROM int_web_visits WHERE day BETWEEN DATE {lit(s)} "
                        f"AND DATE {lit(e)}").fetchone()[0]
    return [{"table": "web_visits", "rows": int(n), "note": "website visits per day"}]


def identifiers_sql(run: Run, loaded: list[IngestedSource]) -> str | None:
    return None


def checks(run: Run, staged: Staged, folder: Path) -> list[CheckResult]:
    return []
