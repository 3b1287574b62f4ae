"""Programs, attendance and meeting rooms (PLS TOTPRO 600, K0_5PRO … GENPRO 601-605,
ONPRO/OFFPRO/VIRPRO 606-608, TOTATTEN 610 and its parts 611-618; docs/services.md §3).

Each row of an events export is one program session (PLS: each session of a series counts;
a hybrid session counts once, as onsite). Its audience labels map to the PLS groups through
``map_program_audience``; labels of several groups make a general-interest program. Its
format: virtual when it has an online location and no physical one, offsite when its
location is one of ``[programs] offsite_locations``, onsite otherwise (a generic export
names it). Attendance is the export's confirmed count (empty: unknown, not zero); where it is
empty, a registrations export gives it: the distinct registrants of the session's event id
with a Registered (not waitlisted, not cancelled) registration marked attended, when
attendance was taken for the event (some registration marked attended or not attended).
Registrants and bookers never leave the raw zone.
"""

from __future__ import annotations

from libstats.readers.staged import StagedSource, field_sql
from libstats.sql import lit, months_table, values_table

AUDIENCES = ("ages_0_5", "ages_6_11", "ages_12_18", "ages_19_plus", "general")
FORMATS = ("onsite", "offsite", "virtual")
FORMAT_WORDS = {"onsite": "onsite", "on-site": "onsite", "in-person": "onsite",
                "in person": "onsite", "hybrid": "onsite", "offsite": "offsite",
                "off-site": "offsite", "outreach": "offsite", "virtual": "virtual",
                "online": "virtual"}
MEASURES = ("sessions", "attendance")
STATUS_WORDS = {"registered": "registered", "confirmed": "registered", "booked": "registered",
                "waitlist": "waitlist", "waitlisted": "waitlist", "wait list": "waitlist",
                "waiting list": "waitlist", "cancelled": "cancelled", "canceled": "cancelled"}
ATTENDED_WORDS = {"attended": True, "yes": True, "y": True, "true": True, "1": True,
                  "checked in": True, "present": True, "not attended": False,
                  "did not attend": False, "no show": False, "no-show": False, "absent": False,
                  "no": False, "n": False, "false": False, "0": False}
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")


def _day(expr: str) -> str:
    fmts = ", ".join(lit(f) for f in DATE_FORMATS)
    return f"CAST(try_strptime(left({expr}, 10), [{fmts}]) AS DATE)"


def stg_programs(src: StagedSource, fmt: str, offsite: tuple[str, ...]) -> str:
    """One row per program session: day, branch, audience group (NULL: a label no group
    lists), format, attendance; the raw values' presence for the checks."""
    d, b, a = field_sql(src, "day"), field_sql(src, "branch"), field_sql(src, "audience")
    loc, online = field_sql(src, "location"), field_sql(src, "online")
    att, eid = field_sql(src, "attendance"), field_sql(src, "event_id")
    off = ", ".join(lit(o.lower()) for o in offsite) or "NULL"
    if fmt == "libcal_events":
        form = (f"CASE WHEN lower(coalesce({loc}, '')) IN ({off}) THEN 'offsite' "
                f"WHEN {loc} IS NULL AND {online} IS NOT NULL THEN 'virtual' "
                f"ELSE 'onsite' END")
    else:
        f = field_sql(src, "format")
        form = (f"CASE WHEN {f} IS NULL THEN 'onsite' ELSE CASE lower({f}) " + " ".join(
            f"WHEN {lit(k)} THEN {lit(v)}" for k, v in sorted(FORMAT_WORDS.items()))
            + " END END")
    return f"""
        WITH r AS (SELECT rowid AS _rec, {d} AS _d, {b} AS _b, {a} AS _a, {att} AS _att,
                          {eid} AS event_id, {form} AS format FROM {src.table}),
             labels AS (SELECT _rec, lower(trim(unnest(string_split(_a, ',')))) AS label
                        FROM r WHERE _a IS NOT NULL),
             groups AS (SELECT l._rec, count(*) FILTER (WHERE m.grp IS NULL) AS unknown,
                               count(DISTINCT m.grp) AS n, min(m.grp) AS grp
                        FROM labels AS l LEFT JOIN map_program_audience AS m
                          ON m.label = l.label WHERE l.label <> '' GROUP BY ALL)
        SELECT {lit(src.name)} AS source, r._rec, {_day('r._d')} AS day, mb.branch_code,
               CASE WHEN g.unknown > 0 THEN NULL WHEN g.n = 1 THEN g.grp
                    WHEN g.n > 1 THEN 'general' END AS audience,
               r.format,
               CASE WHEN regexp_full_match(r._att, '[0-9]+') THEN TRY_CAST(r._att AS BIGINT)
                    END AS attendance, r.event_id,
               r._d IS NOT NULL AS _day_given, r._b IS NOT NULL AS _branch_given,
               r._a IS NOT NULL AS _audience_given,
               r._att IS NULL OR regexp_full_match(r._att, '[0-9]+') AS _attendance_ok
        FROM r LEFT JOIN groups AS g ON g._rec = r._rec
        LEFT JOIN map_service_branch AS mb ON mb.alias = r._b
    """


def _words(expr: str, words: dict) -> str:
    return (f"CASE lower({expr}) " + " ".join(
        f"WHEN {lit(k)} THEN {lit(v)}" for k, v in sorted(words.items())) + " END")


def stg_registrations(src: StagedSource) -> str:
    """One row per registration: event id, status (registered / waitlist / cancelled; NULL
    for a word no rule knows), attended (true / false; NULL when blank), and the registrant
    as an in-run hash of the email (else the name) that tells duplicate registrations apart
    (never written). A missing status means registered."""
    eid, st, at = (field_sql(src, f) for f in ("event_id", "status", "attended"))
    em, fn, ln = (field_sql(src, f) for f in ("email", "first_name", "last_name"))
    person = (f"coalesce(lower({em}), nullif(lower(concat_ws(' ', {fn}, {ln})), ''))")
    return f"""
        SELECT {lit(src.name)} AS source, rowid AS _rec, {eid} AS event_id,
               CASE WHEN {st} IS NULL THEN 'registered' ELSE {_words(st, STATUS_WORDS)}
               END AS status,
               CAST({_words(at, {k: str(v).lower() for k, v in ATTENDED_WORDS.items()})}
                    AS BOOLEAN) AS attended,
               CASE WHEN {person} IS NOT NULL THEN md5({person}) END AS _person,
               {eid} IS NOT NULL AS _event_given, {st} IS NOT NULL AS _status_given,
               {at} IS NOT NULL AS _attended_given
        FROM {src.table}
    """


def registration_attendance(registrations: str) -> str:
    """Attendance per event id from its registrations: NULL when attendance was not taken
    (no registration of the event marked either way); else the distinct registrants with a
    registered (not waitlisted, not cancelled) registration marked attended. A registrant
    without email or name counts once per registration."""
    return f"""
        SELECT event_id,
               CASE WHEN count(attended) FILTER (WHERE status <> 'cancelled') = 0 THEN NULL
                    ELSE count(DISTINCT coalesce(_person, source || ':' || _rec))
                         FILTER (WHERE status = 'registered' AND attended) END AS attendance,
               count(*) AS registrations
        FROM {registrations} GROUP BY event_id
    """


def stg_room_bookings(src: StagedSource) -> str:
    """One row per meeting-room booking: day and branch (the booker is not read)."""
    d, b = field_sql(src, "day"), field_sql(src, "branch")
    return f"""
        SELECT {lit(src.name)} AS source, r.rowid AS _rec, {_day(d)} AS day, mb.branch_code,
               {d} IS NOT NULL AS _day_given, {b} IS NOT NULL AS _branch_given
        FROM {src.table} AS r LEFT JOIN map_service_branch AS mb ON mb.alias = {b}
    """


def pub_programs__month_audience_format(staged: str, *, fiscal_year: str, start: str,
                                        end: str) -> str:
    """Program sessions and attendance by month, PLS audience group and format."""
    auds = values_table([(i, x) for i, x in enumerate(AUDIENCES)], ["apos", "audience"])
    forms = values_table([(i, x) for i, x in enumerate(FORMATS)], ["fpos", "format"])
    meas = values_table([(i, x) for i, x in enumerate(MEASURES)], ["mpos", "measure"])
    return f"""
        WITH c AS (SELECT strftime(day, '%Y-%m') AS month, audience, format,
                          count(*) AS sessions, coalesce(sum(attendance), 0) AS attendance
                   FROM {staged}
                   WHERE day BETWEEN DATE {lit(start)} AND DATE {lit(end)} GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month, a.audience, f.format, x.measure,
               coalesce(CASE x.measure WHEN 'sessions' THEN c.sessions ELSE c.attendance END,
                        0)::BIGINT AS value
        FROM {months_table(start, end)} AS m CROSS JOIN {auds} AS a CROSS JOIN {forms} AS f
        CROSS JOIN {meas} AS x
        LEFT JOIN c ON c.month = m.month AND c.audience = a.audience AND c.format = f.format
        ORDER BY m.month, a.apos::INTEGER, f.fpos::INTEGER, x.mpos::INTEGER
    """


def pub_room_bookings__branch_month(staged: str, *, fiscal_year: str, start: str,
                                    end: str) -> str:
    """Meeting-room bookings by branch and month."""
    return f"""
        WITH c AS (SELECT strftime(day, '%Y-%m') AS month, branch_code, count(*) AS n
                   FROM {staged}
                   WHERE day BETWEEN DATE {lit(start)} AND DATE {lit(end)} GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month, b.branch_code,
               coalesce(c.n, 0)::BIGINT AS value
        FROM {months_table(start, end)} AS m
        CROSS JOIN (SELECT DISTINCT branch_code FROM map_service_branch) AS b
        LEFT JOIN c ON c.month = m.month AND c.branch_code = b.branch_code
        ORDER BY m.month, b.branch_code
    """


def map_program_audience(audiences: dict[str, str]) -> str:
    """audience label (lower case) -> PLS audience group."""
    return f"SELECT * FROM {values_table(sorted(audiences.items()), ['label', 'grp'])}"
