"""The programs part of a run: event-calendar exports → program sessions and attendance by
month, PLS audience group and format, the attendance of sessions without a head count taken
from their registrations; meeting-room bookings by branch and month (PLS TOTPRO, TOTATTEN and
their parts; rules in docs/services.md §3).

Registrants' and bookers' names, emails and phones are never read beyond the raw zone (the
exact-match and pattern scans look for them in every output). An audience label that no PLS
group lists stops the run: a program is never put into a group by guess.
"""

from __future__ import annotations

from pathlib import Path

from libstats.errors import ConfigError, InputError, NoDataError
from libstats.profiles import ResolvedProfile
from libstats.readers.files import IngestedSource
from libstats.readers.values import raise_at
from libstats.results import CheckResult
from libstats.sql import lit
from pipelines.context import Run, Staged
from pipelines.records import EMPTY, check_rows, load_csv, staged_source, table_exists
from transforms import mappings
from transforms import programs as p

KINDS = ("programs", "room_bookings", "program_registrations")

_UNKNOWN_BRANCH = ("the branch is not a branch code, alias or name in [[branches]] "
                   "(value not shown)")
_BAD_DAY = ("the date cannot be parsed (YYYY-MM-DD or MM/DD/YYYY expected)")


def prepare(run: Run, resolved: list[ResolvedProfile]) -> None:
    kinds = {r.profile.kind for r in resolved}
    if "program_registrations" in kinds and "programs" not in kinds:
        regs = next(r for r in resolved if r.profile.kind == "program_registrations")
        raise ConfigError(run.config.path, f"sources[{regs.source.name}]",
                          "registrations feed the attendance of the events export's sessions: "
                          "list the events export too (a source of kind 'programs')")
    run.con.execute("CREATE OR REPLACE TABLE map_service_branch AS "
                    + mappings.map_service_branch(run.config))
    run.con.execute("CREATE OR REPLACE TABLE map_program_audience AS "
                    + p.map_program_audience(run.config.programs.audiences))


def load(run: Run, resolved: ResolvedProfile, files: list[Path]) -> IngestedSource:
    return load_csv(run, resolved, files)


def stage(run: Run, loaded: list[IngestedSource]) -> Staged:
    run.say("building programs and room bookings")
    con, period, config = run.con, run.period, run.config
    events, rooms, regs = [], [], []
    for ing in loaded:
        src = staged_source(ing, config)
        f = src.fields
        if ing.resolved.profile.kind == "program_registrations":
            regs.append(_stage_registrations(con, ing, src))
        elif ing.resolved.profile.kind == "programs":
            view = f"stg_programs_{ing.name}"
            con.execute(f"CREATE OR REPLACE VIEW {view} AS " + p.stg_programs(
                src, ing.resolved.profile.name, config.programs.offsite_locations))
            check_rows(con, ing, view, [
                ("NOT _day_given", f.get("day"), EMPTY),
                ("_day_given AND day IS NULL", f.get("day"), _BAD_DAY),
                ("NOT _branch_given", f.get("branch"), EMPTY),
                ("_branch_given AND branch_code IS NULL", f.get("branch"), _UNKNOWN_BRANCH),
                ("NOT _audience_given", f.get("audience"), EMPTY),
                ("_audience_given AND audience IS NULL", f.get("audience"),
                 "an audience label is not in any PLS group: list it under "
                 "[programs.audiences] (value not shown)"),
                ("format IS NULL", f.get("format"),
                 "the format is not one of onsite, offsite, virtual (or a known synonym)"),
                ("NOT _attendance_ok", f.get("attendance"),
                 "the attendance is not a whole number ≥ 0"),
            ])
            events.append(view)
        else:
            view = f"stg_rooms_{ing.name}"
            con.execute(f"CREATE OR REPLACE VIEW {view} AS " + p.stg_room_bookings(src))
            check_rows(con, ing, view, [
                ("NOT _day_given", f.get("day"), EMPTY),
                ("_day_given AND day IS NULL", f.get("day"), _BAD_DAY),
                ("NOT _branch_given", f.get("branch"), EMPTY),
                ("_branch_given AND branch_code IS NULL", f.get("branch"), _UNKNOWN_BRANCH),
            ])
            rooms.append(view)
    s, e = period.start.isoformat(), period.end.isoformat()
    inside = f"day BETWEEN DATE {lit(s)} AND DATE {lit(e)}"
    fy = period.fiscal_year_label
    pub, rows = {}, {}
    for table, views, cols in (
            ("int_programs", events, "source, _rec, day, branch_code, audience, format, "
                                     "attendance, event_id"),
            ("int_room_bookings", rooms, "source, _rec, day, branch_code")):
        if views:
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {cols} FROM ("
                        + " UNION ALL ".join(f"SELECT * FROM {v}" for v in views) + ")")
            for src, n, k in con.execute(f"SELECT source, count(*), count(*) FILTER "
                                         f"(WHERE {inside}) FROM {table} GROUP BY ALL"
                                         ).fetchall():
                rows[src] = {"rows": int(n), "in_period": int(k)}
    if regs:
        rows.update(_attendance_from_registrations(run, loaded, regs, inside))
    for ing in loaded:
        rows[ing.name] = {"read": ing.rows, **rows.get(ing.name, {"rows": 0, "in_period": 0})}
    if events:
        n = con.execute(f"SELECT count(*) FROM int_programs WHERE {inside}").fetchone()[0]
        if not n:
            raise NoDataError(f"no programs in {period.label} ({period.start} to "
                              f"{period.end}); check --period and the exports' date range")
        pub["pub_programs__month_audience_format"] = p.pub_programs__month_audience_format(
            "int_programs", fiscal_year=fy, start=s, end=e)
        for src, unknown in con.execute(
                f"SELECT source, count(*) FROM int_programs WHERE {inside} "
                f"AND attendance IS NULL GROUP BY ALL ORDER BY 1").fetchall():
            run.warn(src, None, "program sessions without an attendance count (counted as "
                                "sessions, attendance unknown)", int(unknown))
    if rooms:
        pub["pub_room_bookings__branch_month"] = p.pub_room_bookings__branch_month(
            "int_room_bookings", fiscal_year=fy, start=s, end=e)
    return Staged(rows=rows, pub_sql=pub,
                  manifest={"programs": {"rules": "docs/services.md", "sources": rows}})


def _stage_registrations(con, ing: IngestedSource, src) -> str:
    f = src.fields
    view = f"stg_registrations_{ing.name}"
    con.execute(f"CREATE OR REPLACE VIEW {view} AS " + p.stg_registrations(src))
    check_rows(con, ing, view, [
        ("NOT _event_given", f.get("event_id"), EMPTY),
        ("_status_given AND status IS NULL", f.get("status"),
         "the registration status is not Registered, Waitlist or Cancelled (or a known "
         "synonym) (value not shown)"),
        ("_attended_given AND attended IS NULL", f.get("attended"),
         "the attendance mark is not Attended / Not Attended (or yes / no) (value not "
         "shown)"),
    ])
    return view


def _attendance_from_registrations(run: Run, loaded, regs: list[str], inside: str) -> dict:
    """Fill int_programs.attendance where the events export has no head count from the
    registrations of the session's event id (docs/services.md §3); returns the manifest's
    counts per registrations source. An events export without event ids stops the run: the
    registrations' attendance would belong to no session (registrations without an events
    export stop it in ``prepare``)."""
    con = run.con
    ev_src = [i for i in loaded if i.resolved.profile.kind == "programs"]
    if not any("event_id" in staged_source(i, run.config).fields for i in ev_src):
        raise InputError(ev_src[0].files[0].path if ev_src[0].files else ev_src[0].name,
                         "registrations are matched to sessions by event id, and the events "
                         "export has no event id column ('Event ID')", line=1,
                         source=ev_src[0].name)
    con.execute("CREATE OR REPLACE TABLE int_registrations AS SELECT source, _rec, event_id, "
                "status, attended, _person FROM ("
                + " UNION ALL ".join(f"SELECT * FROM {v}" for v in regs) + ")")
    # an event id on two session rows: its registrations would fill both
    dup = con.execute("SELECT source, min(_rec), count(*) FROM (SELECT source, _rec, count(*) "
                      "OVER (PARTITION BY event_id) AS n FROM int_programs WHERE event_id "
                      "IN (SELECT event_id FROM int_registrations)) WHERE n > 1 "
                      "GROUP BY ALL ORDER BY 1 LIMIT 1").fetchone()
    if dup:
        ing = next(i for i in ev_src if i.name == dup[0])
        col = staged_source(ing, run.config).fields["event_id"]
        raise_at(con, ing, dup[1], dup[2], col,
                 "an event id with registrations is on more than one session row: its "
                 "registrations cannot be given to one session (value not shown)")
    con.execute("CREATE OR REPLACE TABLE int_registration_attendance AS "
                + p.registration_attendance("int_registrations"))
    filled = con.execute(
        f"SELECT count(*), coalesce(sum(r.attendance), 0) FROM int_programs AS e "
        f"JOIN int_registration_attendance AS r USING (event_id) WHERE e.attendance IS NULL "
        f"AND r.attendance IS NOT NULL AND {inside}").fetchone()
    con.execute("UPDATE int_programs AS e SET attendance = r.attendance "
                "FROM int_registration_attendance AS r WHERE e.event_id = r.event_id "
                "AND e.attendance IS NULL AND r.attendance IS NOT NULL")
    out = {}
    for src, n, unmatched in con.execute(
            "SELECT source, count(*), count(*) FILTER (WHERE event_id NOT IN "
            "(SELECT event_id FROM int_programs WHERE event_id IS NOT NULL)) "
            "FROM int_registrations GROUP BY ALL ORDER BY 1").fetchall():
        out[src] = {"rows": int(n), "unmatched": int(unmatched)}
        if unmatched:
            run.warn(src, None, "registrations for an event id the events export does not "
                                "list (not counted)", int(unmatched))
    for src in out:
        out[src].update(sessions_filled=int(filled[0]), attendance_filled=int(filled[1]))
    return out


def write_pseudonymized(run: Run, staged: Staged, folder: Path) -> list[dict]:
    """programs.parquet (one row per program session), room_bookings.parquet (bookings per
    day and branch)."""
    con = run.con
    s, e = run.period.start.isoformat(), run.period.end.isoformat()
    inside = f"day BETWEEN DATE {lit(s)} AND DATE {lit(e)}"
    out = []
    if table_exists(con, "int_programs"):
        con.execute(f"COPY (SELECT day, branch_code, audience, format, attendance, source "
                    f"FROM int_programs WHERE {inside} ORDER BY source, _rec) "
                    f"TO {lit(str(folder / 'programs.parquet'))} (FORMAT parquet)")
        n = con.execute(f"SELECT count(*) FROM int_programs WHERE {inside}").fetchone()[0]
        out.append({"table": "programs", "rows": int(n),
                    "note": "one row per program session: day, branch, PLS audience group, "
                            "format, attendance; no presenter, registrant or title"})
    if table_exists(con, "int_room_bookings"):
        con.execute(f"COPY (SELECT day, branch_code, count(*) AS bookings FROM "
                    f"int_room_bookings WHERE {inside} GROUP BY ALL ORDER BY ALL) "
                    f"TO {lit(str(folder / 'room_bookings.parquet'))} (FORMAT parquet)")
        n = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT day, branch_code FROM "
                        f"int_room_bookings WHERE {inside})").fetchone()[0]
        out.append({"table": "room_bookings", "rows": int(n),
                    "note": "meeting-room bookings per day and branch; no booker"})
    return out


def identifiers_sql(run: Run, loaded: list[IngestedSource]) -> str | None:
    return None


def checks(run: Run, staged: Staged, folder: Path) -> list[CheckResult]:
    return []
