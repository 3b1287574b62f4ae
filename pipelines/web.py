"""The website part of a run: web-analytics exports → visits by month (PLS FY2023 WEBVISIT;
rules in docs/services.md §2).

The exports (Matomo, GA4, generic CSV) hold visits per day: the tool has applied its session
rule and left robots out; no address, URL or query string is read. A day listed twice in a
source (two overlapping exports) stops the run: it would be counted twice.
"""

from __future__ import annotations

from pathlib import Path

from libstats.errors import NoDataError
from libstats.profiles import ResolvedProfile
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
    return load_csv(run, resolved, files)


def stage(run: Run, loaded: list[IngestedSource]) -> Staged:
    run.say("building website visits")
    con, period = run.con, run.period
    views = []
    for ing in loaded:
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
                "FROM (" + " UNION ALL ".join(f"SELECT * FROM {v}" for v in views) + ")")
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
