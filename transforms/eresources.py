"""E-resource transforms as SQL, each named after the table it produces (docs/eresources.md).

EZproxy: ``stg_ezproxy_requests`` (one row per parsed line, with URL host and path, local day
and hour, and the session identity) → ``int_eres_requests`` (exclusion reason, session key,
double-clicks) → ``int_eres_counted`` (database, search/request class) → ``pub_eres_*``.
COUNTER: ``int_counter_metrics`` (database names mapped) → ``pub_eres_counter__database_month``.
Vendor e-circulation: ``int_ecirc`` → ``pub_ecirc_checkouts__vendor_format_month``.
"""

from __future__ import annotations

from dataclasses import dataclass

from libstats.sql import lit, months_table, q, values_table
from transforms.pseudonymize import hmac_sql

OTHER = "other"
#: Why an EZproxy line is not counted, in the order the manifest and steward report list them.
EXCLUSION_REASONS = ("outside_period", "robot", "not_successful", "proxy_page", "double_click")
MEASURES_EZPROXY = ("sessions", "searches", "requests")
ECIRC_FORMATS = ("ebook", "eaudio", "evideo", "eserial")
ECIRC_SYNONYMS = {
    "ebook": "ebook", "e-book": "ebook", "eaudio": "eaudio", "e-audio": "eaudio",
    "audiobook": "eaudio", "evideo": "evideo", "e-video": "evideo", "video": "evideo",
    "eserial": "eserial", "e-serial": "eserial", "magazine": "eserial", "periodical": "eserial",
}
# COUNTER: published measure -> metric, per report family; measures each report id carries.
COUNTER_METRICS = {
    "DR": {"searches": "Searches_Regular", "investigations": "Total_Item_Investigations",
           "requests": "Total_Item_Requests"},
    "PR": {"searches": "Searches_Platform", "investigations": "Total_Item_Investigations",
           "requests": "Total_Item_Requests"},
    "TR": {"investigations": "Total_Item_Investigations", "requests": "Total_Item_Requests"},
}
COUNTER_MEASURES = {
    "DR": ("searches", "investigations", "requests"),
    "DR_D1": ("searches", "investigations", "requests"),
    "PR": ("searches", "investigations", "requests"),
    "PR_P1": ("searches", "requests"),
    "TR": ("investigations", "requests"),
    "TR_B1": ("requests",), "TR_J1": ("requests",),
}


@dataclass(frozen=True)
class EzproxyStaging:
    name: str
    kind: str                   # "log" (ezproxy.log) or "spu" (LogSPU)
    table: str
    fields: dict[str, str]      # field -> raw column
    timezone: str               # the server's clock


def _col(src: EzproxyStaging, fld: str) -> str:
    c = src.fields.get(fld)
    return q(c) if c else "NULL::VARCHAR"


def _url_parts(url: str) -> tuple[str, str]:
    """SQL for (host, path) of a URL expression: string functions, no regexp."""
    # Only an absolute URL has a host: "scheme://" at the very start (a relative
    # "/login?url=https://..." on EZproxy itself has none).
    absolute = (f"strpos({url}, '://') > 1 AND regexp_full_match(left({url}, "
                f"strpos({url}, '://') - 1), '[A-Za-z][A-Za-z0-9+.-]*')")
    rest = f"CASE WHEN {absolute} THEN substr({url}, strpos({url}, '://') + 3) END"
    hostport = f"split_part(split_part(split_part({rest}, '/', 1), '?', 1), '#', 1)"
    userless = f"reverse(split_part(reverse({hostport}), '@', 1))"
    host = f"nullif(lower(split_part({userless}, ':', 1)), '')"
    after = f"substr({rest}, length({hostport}) + 1)"
    path = f"CASE WHEN {rest} IS NOT NULL THEN coalesce(nullif(split_part(split_part(" \
           f"{after}, '?', 1), '#', 1), ''), '/') END"
    return host, path


def safe_decode(expr: str) -> str:
    """URL-decoded, or as it is when the escapes do not decode to UTF-8 (a Latin-1 ``%E9``):
    DuckDB's url_decode error would quote the data."""
    return f"coalesce(try(url_decode({expr})), {expr})"


def _spu_target(url: str) -> str:
    """The starting-point URL's target: the first ``qurl=`` or ``url=`` parameter decides;
    ``qurl=`` is decoded up to the next ``&``, ``url=`` is everything after it."""
    def first(name: str) -> str:
        return (f"least(nullif(strpos({url}, '?{name}='), 0), "
                f"nullif(strpos({url}, '&{name}='), 0))")
    qp, up = first("qurl"), first("url")
    return (f"CASE WHEN {qp} IS NOT NULL AND ({up} IS NULL OR {qp} < {up}) "
            f"THEN {safe_decode(f'split_part(substr({url}, {qp} + 6), {lit(chr(38))}, 1)')} "
            f"WHEN {up} IS NOT NULL THEN substr({url}, {up} + 5) END")


def _year_offset(month: int, tz: str) -> str:
    """The UTC offset (minutes) of zone ``tz`` on the 15th of ``month`` of the line's year."""
    at = (f"make_timestamptz(year(__ts AT TIME ZONE 'UTC'), {month}, 15, 12, 0, 0.0, "
          f"'UTC')")
    return f"datediff('minute', {at} AT TIME ZONE 'UTC', {at} AT TIME ZONE {tz})"


def stg_ezproxy_requests(src: EzproxyStaging, library_tz: str) -> str:
    """One row per parsed line: times in the library's zone, URL parts, session identity."""
    request, url_col = _col(src, "request"), _col(src, "url")
    url = (f"coalesce(nullif(split_part({request}, ' ', 2), ''), {url_col})"
           if "request" in src.fields else url_col)
    ip_list = (f"coalesce({_col(src, 'forwarded_for')}, {_col(src, 'client_ip')}, "
               f"{_col(src, 'client_ip_a')})")
    ua = _col(src, "user_agent")
    tz = lit(src.timezone)
    time = _col(src, "time")
    offset = (f"(CASE WHEN substr(right({time}, 5), 1, 1) = '-' THEN -1 ELSE 1 END) * "
              f"(TRY_CAST(substr(right({time}, 5), 2, 2) AS INTEGER) * 60 + "
              f"TRY_CAST(right({time}, 2) AS INTEGER))")
    session, user = _col(src, "session"), _col(src, "user")
    return f"""
        WITH p AS (
            SELECT rowid AS _rec, __file, __ln, __ts,
                   {offset} AS logged_offset,
                   datediff('minute', __ts AT TIME ZONE 'UTC', __ts AT TIME ZONE {tz})
                       AS zone_offset,
                   {_year_offset(1, tz)} AS jan_offset, {_year_offset(7, tz)} AS jul_offset,
                   __ts AT TIME ZONE {lit(library_tz)} AS local_ts,
                   TRY_CAST({_col(src, 'status')} AS INTEGER) AS status,
                   {url} AS request_url,
                   trim(split_part({ip_list}, ',', 1)) AS client_ip,
                   {ua} AS user_agent, {session} AS session_id, {user} AS user_name
            FROM {src.table})
        SELECT {lit(src.name)} AS source, {lit(src.kind)} AS kind, _rec, __file, __ln,
               epoch(__ts)::BIGINT AS epoch_s, logged_offset, zone_offset,
               -- the zone's offset of the other half of the year: its standard offset in
               -- summer (a server clock that ignores daylight saving time) and the reverse
               CASE WHEN jan_offset = zone_offset THEN jul_offset ELSE jan_offset END
                   AS other_offset,
               local_ts::DATE AS day, hour(local_ts) AS hour,
               strftime(local_ts, '%Y-%m') AS month, status,
               {'_spu_url' if src.kind == 'spu' else 'request_url'} AS url,
               user_agent,
               CASE WHEN session_id IS NOT NULL THEN 's'
                    WHEN user_name IS NOT NULL THEN 'u' ELSE 'i' END AS session_rule,
               CASE WHEN session_id IS NOT NULL THEN 's' || chr(31) || session_id
                    WHEN user_name IS NOT NULL THEN 'u' || chr(31) || user_name
                    ELSE 'i' || chr(31) || coalesce(client_ip, '') || chr(31)
                         || coalesce(user_agent, '') END AS identity
        FROM (SELECT *, {_spu_target('request_url')} AS _spu_url FROM p)
    """


def int_eres_identity_tokens(requests: str) -> str:
    """The keyed token of each distinct session identity (session id, user, or IP + agent),
    hashed once per identity and joined back; sessions are formed on tokens only. ``ident``
    numbers the tokens in token order, so that a session key is a compact integer."""
    return f"""
        SELECT identity, token, row_number() OVER (ORDER BY token) AS ident
        FROM (SELECT identity, {hmac_sql("'ezproxy-session' || chr(31) || identity")} AS token
              FROM (SELECT DISTINCT identity FROM {requests}))
    """


def session_key_sql(ident: str, day: str, hour: str, rule: str) -> str:
    """A session as one BIGINT: identity number, day and (unless the session id rule applies,
    which spans the day) hour; exact, no hashing (days since 2000 < 2^15, hours < 31).

    >>> print(session_key_sql("t.ident", "r.day", "r.hour", "r.session_rule")[:47])
    t.ident * 1048576 + (r.day - DATE '2000-01-01')
    """
    return (f"{ident} * 1048576 + ({day} - DATE '2000-01-01') * 32 + "
            f"CASE WHEN {rule} = 's' THEN 31 ELSE {hour} END")


def int_eres_robot_agents(requests: str, patterns: tuple[str, ...]) -> str:
    """Each distinct user agent, and whether it matches a robots pattern (case-insensitive)."""
    combined = "|".join(f"(?:{p})" for p in patterns)
    test = f"regexp_matches(user_agent, {lit(combined)}, 'i')" if patterns else "false"
    return f"""
        SELECT user_agent, {test} AS robot
        FROM (SELECT DISTINCT user_agent FROM {requests} WHERE user_agent IS NOT NULL)
    """


def int_eres_hosts(requests: str, databases: list[tuple[str, tuple[str, ...]]]) -> str:
    """Each distinct host (main-log URLs and starting-point targets) with its database: an
    exact entry first, else the longest ``*.suffix``; unmapped hosts are ``other``."""
    rows = [(name, h) for name, hosts in databases for h in hosts]
    entries = values_table(rows, ["database", "entry"])
    return f"""
        WITH hosts AS (SELECT DISTINCT host FROM {requests} WHERE host IS NOT NULL),
             e AS (SELECT database, entry, starts_with(entry, '*.') AS wild,
                          CASE WHEN starts_with(entry, '*.') THEN substr(entry, 2) END
                              AS suffix FROM {entries})
        SELECT h.host, coalesce(arg_max(e.database,
                   CASE WHEN NOT e.wild THEN 100000 ELSE length(e.suffix) END),
                   {lit(OTHER)}) AS database
        FROM hosts AS h LEFT JOIN e
          ON (NOT e.wild AND h.host = e.entry) OR (e.wild AND ends_with(h.host, e.suffix))
        GROUP BY h.host
    """


def int_eres_requests(stg: str, tokens: str, robots: str, *, start: str, end: str,
                      proxy_hosts: tuple[str, ...], double_click_seconds: int) -> str:
    """Every parsed request with the reason it is not counted (NULL: counted) and its session
    key. Reasons in order: outside_period, robot, not_successful, proxy_page, double_click."""
    host, path = _url_parts("r.url")
    proxies = ", ".join(lit(h) for h in proxy_hosts) or "NULL"
    return f"""
        WITH u AS (
            SELECT r.*, {host} AS host, {path} AS path,
                   {session_key_sql("t.ident", "r.day", "r.hour", "r.session_rule")}
                       AS session_key, coalesce(b.robot, false) AS robot
            FROM {stg} AS r JOIN {tokens} AS t USING (identity)
            LEFT JOIN {robots} AS b USING (user_agent)),
        r AS (
            SELECT *,
                   CASE WHEN day NOT BETWEEN DATE {lit(start)} AND DATE {lit(end)}
                            THEN 'outside_period'
                        WHEN robot THEN 'robot'
                        WHEN kind = 'log' AND status IS NOT NULL
                             AND NOT (status BETWEEN 200 AND 299 OR status = 304)
                            THEN 'not_successful'
                        WHEN kind = 'spu' AND status >= 400 THEN 'not_successful'
                        WHEN kind = 'log' AND (host IS NULL OR host IN ({proxies}))
                            THEN 'proxy_page'
                   END AS pre_reason
            FROM u)
        SELECT source, kind, _rec, __file, __ln, day, hour, month, host, path, session_key,
               coalesce(pre_reason, CASE WHEN lead(epoch_s) OVER w - epoch_s
                                              <= {int(double_click_seconds)}
                                         THEN 'double_click' END) AS reason
        FROM r
        WINDOW w AS (PARTITION BY kind, session_key, hash(url), pre_reason IS NULL
                     ORDER BY epoch_s, source, __file, __ln)
    """


def int_eres_counted(requests: str, hosts: str, databases) -> str:
    """Counted requests with their database and class (search, request or neither)."""
    def any_glob(patterns) -> str:
        return " OR ".join(f"r.path GLOB {lit(p)}" for p in patterns) or "false"
    searches = " ".join(f"WHEN h.database = {lit(d.name)} AND ({any_glob(d.searches)}) "
                        f"THEN 'search'" for d in databases if d.searches)
    requests_ = " ".join(f"WHEN h.database = {lit(d.name)} AND ({any_glob(d.requests)}) "
                         f"THEN 'request'" for d in databases if d.requests)
    cls = (f"CASE WHEN r.kind = 'log' THEN CASE {searches} {requests_} END END"
           if searches or requests_ else "NULL::VARCHAR")
    return f"""
        SELECT r.source, r.kind, r.day, r.hour, r.month,
               coalesce(h.database, {lit(OTHER)}) AS database, r.session_key,
               {cls} AS class, r.host
        FROM {requests} AS r LEFT JOIN {hosts} AS h USING (host)
        WHERE r.reason IS NULL
    """


def _databases(names: list[str]) -> str:
    return values_table([(n,) for n in [*names, OTHER]], ["database"])


def pub_eres_use__database_month(counted: str, *, fiscal_year: str, start: str, end: str,
                                 databases: list[str]) -> str:
    """Sessions, searches and full-content requests by database and month (EZproxy)."""
    measures = values_table([(i, m) for i, m in enumerate(MEASURES_EZPROXY)], ["pos", "measure"])
    return f"""
        WITH c AS (SELECT month, database, count(DISTINCT session_key) AS sessions,
                          count(*) FILTER (WHERE class = 'search') AS searches,
                          count(*) FILTER (WHERE class = 'request') AS requests
                   FROM {counted} WHERE kind = 'log' GROUP BY ALL),
             long AS (UNPIVOT c ON sessions, searches, requests INTO NAME measure VALUE n)
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month, d.database, ms.measure,
               coalesce(l.n, 0)::BIGINT AS value
        FROM {months_table(start, end)} AS m CROSS JOIN {_databases(databases)} AS d
        CROSS JOIN {measures} AS ms
        LEFT JOIN long AS l ON l.month = m.month AND l.database = d.database
                           AND l.measure = ms.measure
        ORDER BY m.month, d.database, ms.pos::INTEGER
    """


def pub_eres_spu__database_month(counted: str, *, fiscal_year: str, start: str, end: str,
                                 databases: list[str]) -> str:
    """Starting-point URL hits by database and month (LogSPU)."""
    return f"""
        WITH c AS (SELECT month, database, count(*) AS n FROM {counted}
                   WHERE kind = 'spu' GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month, d.database,
               coalesce(c.n, 0)::BIGINT AS value
        FROM {months_table(start, end)} AS m CROSS JOIN {_databases(databases)} AS d
        LEFT JOIN c ON c.month = m.month AND c.database = d.database
        ORDER BY m.month, d.database
    """


def int_counter_metrics(raw_tables: list[tuple[str, str]],
                        names: dict[str, str]) -> str:
    """Every COUNTER figure as read, with the configured database name (else the vendor's)."""
    mapping = values_table(sorted(names.items()), ["native_name", "mapped"])
    union = " UNION ALL ".join(
        f"SELECT {lit(src)} AS source, __file, __line, report_id, report_family, release, "
        f"native_name, platform, publisher, data_type, access_method, metric_type, month, "
        f"count FROM {t}" for src, t in raw_tables)
    return f"""
        SELECT u.*, coalesce(m.mapped, u.native_name) AS database
        FROM ({union}) AS u LEFT JOIN {mapping} AS m USING (native_name)
    """


def pub_eres_counter__database_month(metrics: str, *, fiscal_year: str, start: str, end: str) -> str:
    """COUNTER searches, investigations and requests by database, report family and month:
    only the months and measures the reports cover (docs/eresources.md §8)."""
    measure_rows = [(rid, m, COUNTER_METRICS[rid[:2]][m], i)
                    for rid, ms in COUNTER_MEASURES.items()
                    for i, m in enumerate(("searches", "investigations", "requests")) if m in ms]
    measures = values_table(measure_rows, ["report_id", "measure", "metric_type", "pos"])
    return f"""
        WITH covered AS (SELECT DISTINCT database, report_family, report_id, month
                         FROM {metrics}
                         WHERE month BETWEEN {lit(start[:7])} AND {lit(end[:7])}),
             grid AS (SELECT DISTINCT c.database, c.report_family, c.month, ms.measure,
                             ms.pos::INTEGER AS pos
                      FROM covered AS c JOIN {measures} AS ms USING (report_id)),
             sums AS (SELECT m.database, m.report_family, m.month, ms.measure,
                             sum(m.count) AS n
                      FROM {metrics} AS m JOIN {measures} AS ms
                        ON ms.report_id = m.report_id AND ms.metric_type = m.metric_type
                      WHERE coalesce(m.access_method, '') <> 'TDM'
                      GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, g.month, g.database,
               g.report_family AS report, g.measure,
               coalesce(s.n, 0)::BIGINT AS value
        FROM grid AS g LEFT JOIN sums AS s USING (database, report_family, month, measure)
        ORDER BY g.month, g.database, g.report_family, g.pos
    """


def stg_ecirc(table: str, fields: dict[str, str]) -> str:
    """A vendor e-circulation row, checked: month, format (synonyms mapped) and count."""
    syn = values_table(sorted(ECIRC_SYNONYMS.items()), ["word", "format"])
    return f"""
        SELECT e.rowid AS _rec, trim(e.{q(fields['vendor'])}) AS vendor,
               trim(e.{q(fields['month'])}) AS month,
               s.format, CASE WHEN regexp_full_match(trim(e.{q(fields['checkouts'])}), '[0-9]+')
                         THEN TRY_CAST(trim(e.{q(fields['checkouts'])}) AS BIGINT) END
                   AS checkouts,
               regexp_full_match(trim(e.{q(fields['month'])}), '[0-9]{{4}}-(0[1-9]|1[0-2])')
                   AS month_ok
        FROM {table} AS e LEFT JOIN {syn} AS s
          ON s.word = lower(trim(e.{q(fields['format'])}))
    """


def pub_ecirc_checkouts__vendor_format_month(ecirc: str, *, fiscal_year: str, start: str,
                                             end: str) -> str:
    """E-circulation by vendor, format and month (PLS FY2024 EBOOK_CIR, EAUDIO_CIR, ...)."""
    formats = values_table([(i, f) for i, f in enumerate(ECIRC_FORMATS)], ["pos", "format"])
    return f"""
        WITH c AS (SELECT month, vendor, format, sum(checkouts) AS n FROM {ecirc}
                   GROUP BY ALL),
             v AS (SELECT DISTINCT vendor FROM {ecirc})
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month, v.vendor, f.format,
               coalesce(c.n, 0)::BIGINT AS value
        FROM {months_table(start, end)} AS m CROSS JOIN v CROSS JOIN {formats} AS f
        LEFT JOIN c ON c.month = m.month AND c.vendor = v.vendor AND c.format = f.format
        ORDER BY m.month, v.vendor, f.pos::INTEGER
    """
