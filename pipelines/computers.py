"""The public-computer part of a run: PC reservation exports → sessions → published tables
(PLS PITUSR; rules in docs/services.md §1).

1. ``raw_*``             read each source (Libki ``statistics``, generic CSV).
2. ``stg_pc_<source>``   one row per session (a Libki LOGIN, paired with its LOGOUT); a bad
                         start time or a computer no branch lists stops the run.
3. ``int_pc_counted``    in the period or not; staff computers excluded.
4. ``pub_pc_*``          the published tables' SQL.

User names, card and guest-pass numbers and session ids never leave the raw zone: the
sessions carry no identifier at all (a count per session needs none).
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
from transforms import computers as c

KINDS = ("computers",)


def prepare(run: Run, resolved: list[ResolvedProfile]) -> None:
    """The computer-location → branch map."""
    run.con.execute("CREATE OR REPLACE TABLE map_pc_location AS " + c.map_pc_location(
        run.config.computers.locations, run.config.branch_for_alias()))


def load(run: Run, resolved: ResolvedProfile, files: list[Path]) -> IngestedSource:
    return load_csv(run, resolved, files)


def stage(run: Run, loaded: list[IngestedSource]) -> Staged:
    """Sessions of every source; none in the period stops the run."""
    run.say("building public-computer sessions")
    con, config, period = run.con, run.config, run.period
    views = []
    for ing in loaded:
        src = staged_source(ing, config)
        view = f"stg_pc_{ing.name}"
        fmt = ing.resolved.profile.name
        con.execute(f"CREATE OR REPLACE VIEW {view} AS " + c.stg_pc_sessions(
            src, fmt, staff=config.computers.staff_computers))
        f = src.fields
        place = f.get("location") or f.get("client")     # the column the branch is read from
        check_rows(con, ing, view, [
            ("NOT _start_given", f.get("start_ts"), EMPTY),
            ("_start_given AND start_at IS NULL", f.get("start_ts"),
             "the session start cannot be parsed (an ISO date and time expected; set "
             "'timestamp_format' for this source if the export uses another format)"),
            ("NOT _place_given", place, "the computer's location and name are both empty"),
            ("NOT _minutes_ok", f.get("minutes"),
             "the time used is not a whole number of minutes"),
            ("_place_given AND branch_code IS NULL AND NOT staff", place,
             "the computer is not mapped to a branch: list its location or name under "
             "[computers.locations] (value not shown), or under staff_computers if it is a "
             "staff machine"),
        ])
        views.append(view)
    s, e = period.start.isoformat(), period.end.isoformat()
    con.execute("CREATE OR REPLACE TABLE int_pc_counted AS " + c.int_pc_counted(
        "(" + " UNION ALL ".join(f"SELECT * FROM {v}" for v in views) + ")", start=s, end=e))
    per = {src: rest for src, *rest in con.execute("""
        SELECT source, count(*), count(*) FILTER (WHERE in_period AND excluded IS NULL),
               count(*) FILTER (WHERE in_period AND excluded = 'staff computer'),
               count(*) FILTER (WHERE NOT in_period),
               count(*) FILTER (WHERE in_period AND excluded = 'declined policy')
        FROM int_pc_counted GROUP BY ALL""").fetchall()}
    rows = {}
    for ing in loaded:
        n, counted, staff, outside, declined = per.get(ing.name, [0, 0, 0, 0, 0])
        rows[ing.name] = {"read": ing.rows, "sessions": int(n), "in_period": int(counted),
                          "excluded_staff_computers": int(staff),
                          "excluded_declined_policy": int(declined),
                          "outside_period": int(outside)}
    if not any(r["in_period"] for r in rows.values()):
        raise NoDataError(
            f"no public-computer sessions in {period.label} ({period.start} to {period.end}): "
            f"{sum(r['sessions'] for r in rows.values()):,} sessions read, none in the period; "
            f"check --period and the exports' date range")
    fy = period.fiscal_year_label
    pub = {
        "pub_pc_sessions__branch_month": c.pub_pc_sessions__branch_month(
            "int_pc_counted", fiscal_year=fy, start=s, end=e),
        "pub_pc_sessions__branch_weekday_hour": c.pub_pc_sessions__branch_weekday_hour(
            "int_pc_counted", fiscal_year=fy),
        "pub_pc_session_length__branch_month": c.pub_pc_session_length__branch_month(
            "int_pc_counted", fiscal_year=fy, start=s, end=e,
            bands_minutes=config.computers.length_bands_minutes),
    }
    return Staged(rows=rows, pub_sql=pub, manifest={"computers": {
        "rules": "docs/services.md", "sources": rows}})


def write_pseudonymized(run: Run, staged: Staged, folder: Path) -> list[dict]:
    """pc_sessions.parquet: one row per counted session, without any identifier."""
    run.con.execute(f"""
        COPY (SELECT session_date, month, branch_code, weekday, hour, length_s, source
              FROM int_pc_counted WHERE in_period AND excluded IS NULL
              ORDER BY source, _rec)
        TO {lit(str(folder / 'pc_sessions.parquet'))} (FORMAT parquet)""")
    n = run.con.execute("SELECT count(*) FROM int_pc_counted WHERE in_period "
                        "AND excluded IS NULL").fetchone()[0]
    return [{"table": "pc_sessions", "rows": int(n),
             "note": "one row per counted public-computer session: day, hour, branch, length; "
                     "no user, card, guest pass or session id"}]


def identifiers_sql(run: Run, loaded: list[IngestedSource]) -> str | None:
    """None beyond the dropped columns (user names, session ids), which the scan covers."""
    return None


def checks(run: Run, staged: Staged, folder: Path) -> list[CheckResult]:
    return []
