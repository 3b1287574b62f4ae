"""The interlibrary-loan part of a run: ILL requests → requests and filled requests by month
and direction (PLS LOANTO / LOANFM; rules in docs/services.md §4). The patron is never read
beyond the raw zone."""

from __future__ import annotations

from pathlib import Path

from libstats.errors import NoDataError
from libstats.profiles import ResolvedProfile
from libstats.profiles.ill import KOHA_FILLED_STATUSES
from libstats.readers.files import IngestedSource
from libstats.results import CheckResult
from libstats.sql import lit
from pipelines.context import Run, Staged
from pipelines.records import EMPTY, check_rows, load_csv, staged_source
from transforms import ill as i
from transforms import mappings

KINDS = ("ill",)


def prepare(run: Run, resolved: list[ResolvedProfile]) -> None:
    run.con.execute("CREATE OR REPLACE TABLE map_service_branch AS "
                    + mappings.map_service_branch(run.config))


def load(run: Run, resolved: ResolvedProfile, files: list[Path]) -> IngestedSource:
    return load_csv(run, resolved, files)


def stage(run: Run, loaded: list[IngestedSource]) -> Staged:
    run.say("building interlibrary loans")
    con, period = run.con, run.period
    views = []
    for ing in loaded:
        src = staged_source(ing, run.config)
        view = f"stg_ill_{ing.name}"
        fmt = ing.resolved.profile.name
        con.execute(f"CREATE OR REPLACE VIEW {view} AS "
                    + i.stg_ill_requests(src, fmt, KOHA_FILLED_STATUSES))
        f = src.fields
        check_rows(con, ing, view, [
            ("NOT _day_given", f.get("day"), EMPTY),
            ("_day_given AND day IS NULL", f.get("day"),
             "the request date cannot be parsed (YYYY-MM-DD expected; set 'date_format' for "
             "this source if the export uses another format)"),
            ("direction IS NULL", f.get("direction") if fmt != "koha_illrequests" else None,
             "the direction is not one of provided/lent/to or received/borrowed/from"),
            ("NOT _filled_ok", f.get("filled"),
             "the filled value is not yes/no, true/false, 1/0 or a date"),
        ])
        views.append(view)
    con.execute("CREATE OR REPLACE TABLE int_ill_requests AS SELECT source, _rec, day, "
                "direction, filled FROM (" + " UNION ALL ".join(
                    f"SELECT * FROM {v}" for v in views) + ")")
    s, e = period.start.isoformat(), period.end.isoformat()
    inside = f"day BETWEEN DATE {lit(s)} AND DATE {lit(e)}"
    per = {src: (int(n), int(k)) for src, n, k in con.execute(
        f"SELECT source, count(*), count(*) FILTER (WHERE {inside}) FROM int_ill_requests "
        f"GROUP BY ALL").fetchall()}
    rows = {x.name: {"read": x.rows, "requests": per.get(x.name, (0, 0))[0],
                     "in_period": per.get(x.name, (0, 0))[1]} for x in loaded}
    if not any(r["in_period"] for r in rows.values()):
        raise NoDataError(f"no interlibrary-loan requests in {period.label} ({period.start} "
                          f"to {period.end}); check --period and the exports' date range")
    return Staged(rows=rows, pub_sql={"pub_ill__month": i.pub_ill__month(
        "int_ill_requests", fiscal_year=period.fiscal_year_label, start=s, end=e)},
        manifest={"ill": {"rules": "docs/services.md", "sources": rows}})


def write_pseudonymized(run: Run, staged: Staged, folder: Path) -> list[dict]:
    """ill_requests.parquet: requests per month, direction and filled (no patron)."""
    s, e = run.period.start.isoformat(), run.period.end.isoformat()
    run.con.execute(f"""
        COPY (SELECT strftime(day, '%Y-%m') AS month, direction, filled, count(*) AS requests
              FROM int_ill_requests WHERE day BETWEEN DATE {lit(s)} AND DATE {lit(e)}
              GROUP BY ALL ORDER BY ALL)
        TO {lit(str(folder / 'ill_requests.parquet'))} (FORMAT parquet)""")
    n = run.con.execute(f"SELECT count(*) FROM (SELECT DISTINCT strftime(day, '%Y-%m'), "
                        f"direction, filled FROM int_ill_requests WHERE day BETWEEN "
                        f"DATE {lit(s)} AND DATE {lit(e)})").fetchone()[0]
    return [{"table": "ill_requests", "rows": int(n),
             "note": "interlibrary-loan requests by month, direction and whether filled"}]


def identifiers_sql(run: Run, loaded: list[IngestedSource]) -> str | None:
    return None


def checks(run: Run, staged: Staged, folder: Path) -> list[CheckResult]:
    return []
