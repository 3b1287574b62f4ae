"""SQL for the Wi-Fi pipeline: staged records, sessions, day tokens and published tables.

Rules in docs/wifi.md. Every function returns SQL text over tables the pipeline made:
``raw_<source>`` (one row per record, VARCHAR columns named after the export's fields),
``map_wifi_ap(ident, branch_code)``, ``map_wifi_library_device(mac)``.

Times: record times become instants (TIMESTAMPTZ) from the source's time zone, and sessions are
placed on the calendar in their branch's local time.
"""

from __future__ import annotations

from dataclasses import dataclass

from libstats.readers.radius import CTIME, STATUS
from libstats.sql import lit, months_table, q
from transforms.pseudonymize import hmac_sql

_HEX2 = "[0-9A-Fa-f]{2}"
MAC_SQL_RE = (rf"^(?:{_HEX2}(?:[-:]{_HEX2}){{5}}|[0-9A-Fa-f]{{4}}\.[0-9A-Fa-f]{{4}}\."
              rf"[0-9A-Fa-f]{{4}}|[0-9A-Fa-f]{{12}})$")
# Called-Station-Id: "AP-MAC" or "AP-MAC:SSID" (RFC 3580).
CALLED_RE = (rf"^({_HEX2}(?:[-:]?{_HEX2}){{5}}|[0-9A-Fa-f]{{4}}\.[0-9A-Fa-f]{{4}}\."
             rf"[0-9A-Fa-f]{{4}})(?::(.*))?$")
# An IPv4 or IPv6 address where a MAC was expected (a controller sending the client's IP as
# Calling-Station-Id): never a device.
IP_SQL_RE = (r"^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"
             r"(?:%[0-9A-Za-z]+)?)$")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ANOMALIES = {
    "duplicate_record": "duplicate record (ignored)",
    "stop_without_start": "Stop without Start (start taken as Stop time - Acct-Session-Time)",
    "interim_before_start": "Interim-Update before its Start (counted once, from the Start)",
    "stop_before_start": "Stop before its Start: clock skew (counted once, from the Start)",
    "end_before_start": "session ends before it starts: clock skew (duration unknown)",
}


@dataclass(frozen=True)
class WifiSource:
    """What the SQL needs to know about one loaded Wi-Fi source."""

    name: str
    format: str
    table: str
    fields: dict[str, str]        # field -> column present in the raw table
    timezone: str                 # of naive timestamps in the export


def mac_sql(expr: str) -> str:
    """A MAC in any notation as 12 lower-case hex digits; NULL if it is not a MAC."""
    # Once the pattern matched, the only characters besides hex digits are the separators
    # ':', '-' and '.': three plain replaces cost a third of a global regexp_replace.
    sep = f"replace(replace(replace(trim({expr}), ':', ''), '-', ''), '.', '')"
    return f"CASE WHEN {is_mac_sql(expr)} THEN lower({sep}) END"


def is_mac_sql(expr: str) -> str:
    """``expr`` is a MAC in one of the accepted notations (NULL when ``expr`` is NULL)."""
    return f"regexp_matches(trim({expr}), {lit(MAC_SQL_RE)})"


def _f(src: WifiSource, fld: str, cast: str | None = None) -> str:
    col = src.fields.get(fld)
    if col is None:
        return f"NULL::{cast or 'VARCHAR'}"
    expr = f"nullif(trim(r.{q(col)}), '')"
    return f"try_cast({expr} AS {cast})" if cast else expr


_KB_RE = r"^([0-9]+(?:\.[0-9]+)?) ?([kKMGT]?i?B)?$"
_KB_PER = {"": 1, "B": 1 / 1024, "KB": 1, "KIB": 1, "MB": 1024, "MIB": 1024, "GB": 1024 ** 2,
           "GIB": 1024 ** 2, "TB": 1024 ** 3, "TIB": 1024 ** 3}


def kb_sql(expr: str) -> str:
    """Kilobytes (DOUBLE) from a Meraki usage value: a number of kB (the API, and the CSV's
    usage.sent/usage.recv) or a number with a unit as the dashboard shows it ("1.5 MB",
    "1,024 KB"); NULL if it is neither."""
    clean = f"replace(trim({expr}), ',', '')"
    num = f"try_cast(regexp_extract({clean}, {lit(_KB_RE)}, 1) AS DOUBLE)"
    unit = f"upper(regexp_extract({clean}, {lit(_KB_RE)}, 2))"
    cases = " ".join(f"WHEN {lit(u)} THEN {num} * {f!r}" for u, f in _KB_PER.items())
    return f"CASE WHEN regexp_matches({clean}, {lit(_KB_RE)}) THEN CASE {unit} {cases} END END"


def instant_sql(expr: str, tz: str) -> str:
    """Epoch seconds, or ISO 8601 with an offset, or ISO 8601 local to ``tz``: an instant."""
    return (f"CASE WHEN regexp_matches({expr}, '^[0-9]+(\\.[0-9]+)?$') "
            f"THEN to_timestamp({expr}::DOUBLE) "
            f"WHEN regexp_matches({expr}, '(Z|[+-][0-9]{{2}}:?[0-9]{{2}})$') "
            f"THEN try_cast({expr} AS TIMESTAMPTZ) "
            f"ELSE timezone({lit(tz)}, try_cast({expr} AS TIMESTAMP)) END")


def _branch_join(alias: str, expr: str) -> str:
    return f"LEFT JOIN map_wifi_ap AS {alias} ON {alias}.ident = {expr}"


def stg_wifi_records(src: WifiSource) -> str:
    """One row per record of a source, in common columns:

    source, _rec (raw rowid), status (start/stop/interim/nas, or 'session' for exports whose
    records are sessions), session_key, event_at, end_at (TIMESTAMPTZ), session_time, bytes,
    device (normalized MAC), device_is_ip (the device field holds an IP address, not a MAC),
    ssid, branch_code (NULL when unmapped), is_wired.
    """
    raw_device = _f(src, "device_mac")
    device_is_ip = (f"coalesce(NOT {is_mac_sql(raw_device)} AND regexp_matches("
                    f"{raw_device}, {lit(IP_SQL_RE)}), false)")
    if src.format == "radius_detail":
        status = (f"CASE {_f(src, 'status')} "
                  + " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in STATUS.items())
                  + " END")
        called = _f(src, "ap")
        ap_mac = mac_sql(f"regexp_extract({called}, {lit(CALLED_RE)}, 1)")
        ssid = (f"coalesce({_f(src, 'ssid')}, nullif(regexp_extract({called}, "
                f"{lit(CALLED_RE)}, 2), ''))")
        octets = [_f(src, f, "UBIGINT") for f in ("input_octets", "output_octets")]
        giga = [_f(src, f, "UBIGINT") for f in ("input_gigawords", "output_gigawords")]
        bytes_ = (f"CASE WHEN {octets[0]} IS NULL AND {octets[1]} IS NULL THEN NULL ELSE "
                  f"(coalesce({octets[0]}, 0) + coalesce({octets[1]}, 0) + 4294967296 * "
                  f"(coalesce({giga[0]}, 0) + coalesce({giga[1]}, 0)))::HUGEINT END")
        head = "regexp_replace(trim(r.__head), '\\s+', ' ', 'g')"
        event_at = f"timezone({lit(src.timezone)}, strptime({head}, {lit(CTIME)}))"
        nas = f"coalesce({_f(src, 'nas_id')}, {_f(src, 'nas_ip')}, '')"
        return f"""
            SELECT {lit(src.name)} AS source, r.rowid AS _rec, {status} AS status,
                   {nas} || chr(31) || coalesce({_f(src, 'session_id')},
                       chr(30) || {_f(src, 'unique_session_id')}, '') AS session_key,
                   {event_at} AS event_at, NULL::TIMESTAMPTZ AS end_at,
                   {_f(src, 'session_time', 'BIGINT')} AS session_time,
                   {bytes_} AS bytes,
                   {mac_sql(raw_device)} AS device, {device_is_ip} AS device_is_ip,
                   {ssid} AS ssid,
                   coalesce(b1.branch_code, b2.branch_code, b3.branch_code) AS branch_code,
                   false AS is_wired
            FROM {src.table} AS r
            {_branch_join('b1', _f(src, 'nas_id'))}
            {_branch_join('b2', _f(src, 'nas_ip'))}
            {_branch_join('b3', ap_mac)}
        """
    start = instant_sql(_f(src, "start_ts"), src.timezone)
    end = instant_sql(_f(src, "end_ts"), src.timezone)
    if src.format.startswith("meraki"):
        kb = [kb_sql(_f(src, f)) for f in ("sent_kb", "recv_kb")]
        bytes_ = (f"CASE WHEN {kb[0]} IS NULL AND {kb[1]} IS NULL THEN NULL ELSE "
                  f"round((coalesce({kb[0]}, 0) + coalesce({kb[1]}, 0)) * 1024)::HUGEINT END")
        duration = f"date_diff('second', {start}, {end})"
        joins = (f"{_branch_join('b1', mac_sql(_f(src, 'ap_mac')))}\n"
                 f"{_branch_join('b2', _f(src, 'ap_serial'))}\n"
                 f"{_branch_join('b3', _f(src, 'ap_name'))}")
        branch = "coalesce(b1.branch_code, b2.branch_code, b3.branch_code)"
        # recentDeviceConnection: "Wireless" or "Wired" (a client on a switch port).
        wired = f"coalesce(lower({_f(src, 'connection')}) = 'wired', false)"
    else:                               # unifi_sessions
        tx, rx = _f(src, "tx_bytes", "UBIGINT"), _f(src, "rx_bytes", "UBIGINT")
        bytes_ = (f"CASE WHEN {tx} IS NULL AND {rx} IS NULL THEN NULL ELSE "
                  f"(coalesce({tx}, 0) + coalesce({rx}, 0))::HUGEINT END")
        given = _f(src, "duration", "BIGINT")
        # A negative duration is clock skew: flagged, and the duration is unknown.
        duration = (f"CASE WHEN {given} IS NOT NULL THEN {given} "
                    f"ELSE date_diff('second', {start}, {end}) END")
        joins = _branch_join("b1", mac_sql(_f(src, "ap_mac")))
        branch = "b1.branch_code"
        wired = f"coalesce(lower({_f(src, 'is_wired')}) = 'true', false)"
    return f"""
        SELECT {lit(src.name)} AS source, r.rowid AS _rec, 'session' AS status,
               NULL::VARCHAR AS session_key, {start} AS event_at, {end} AS end_at,
               {duration} AS session_time, {bytes_} AS bytes,
               {mac_sql(raw_device)} AS device, {device_is_ip} AS device_is_ip,
               {_f(src, 'ssid')} AS ssid,
               {branch} AS branch_code, {wired} AS is_wired
        FROM {src.table} AS r
        {joins}
    """


def numbered_copies(stg: str) -> str:
    """The staged session records numbered within their repeats (one window pass; the
    pipeline makes it once for both the sessions and the duplicates)."""
    return _numbered_copies(stg)


def _numbered_copies(stg: str) -> str:
    """Session records numbered within their repeats (``copy`` 1 is the first): the same
    session (RADIUS) or device and branch (exports), status, time and session time."""
    return f"""
        SELECT *, row_number() OVER (
            PARTITION BY source, CASE WHEN status = 'session' THEN device || chr(31) ||
                              coalesce(branch_code, '') ELSE session_key END,
                         status, event_at, session_time ORDER BY _rec) AS copy
        FROM {stg} WHERE status <> 'nas'
    """


def int_wifi_sessions(stg: str, numbered: str | None = None) -> str:
    """One row per session of one source's staged records, with the anomaly flags.

    RADIUS records are grouped by session key after dropping exact repeats; export records
    are sessions already (repeats of the same device and start dropped). ``numbered``: a
    table made with ``numbered_copies(stg)``, used instead of numbering again.
    """
    recs = f"SELECT * FROM {numbered}" if numbered else _numbered_copies(stg)
    return f"""
        WITH recs AS ({recs}),
        radius AS (
            SELECT source, session_key,
                   min(event_at) FILTER (WHERE status = 'start') AS start_rec,
                   min(event_at - to_seconds(coalesce(session_time, 0)))
                       FILTER (WHERE status <> 'start') AS start_est,
                   arg_min(_rec, _rec) FILTER (WHERE status = 'start') AS start_row,
                   min(event_at) FILTER (WHERE status = 'interim') AS first_interim,
                   min(_rec) FILTER (WHERE status = 'interim') AS first_interim_row,
                   min(event_at) FILTER (WHERE status = 'stop') AS first_stop,
                   min(_rec) FILTER (WHERE status = 'stop') AS first_stop_row,
                   max(session_time) AS duration_s, max(bytes) AS bytes,
                   arg_min(device, _rec) AS device, arg_min(ssid, _rec) AS ssid,
                   arg_min(branch_code, _rec) AS branch_code, min(_rec) AS _rec
            FROM recs WHERE copy = 1 AND status <> 'session'
            GROUP BY ALL
        )
        SELECT source, _rec, coalesce(start_rec, start_est) AS start_at, duration_s, bytes,
               device, ssid, branch_code, false AS is_wired,
               CASE WHEN start_rec IS NULL OR first_stop < start_rec THEN first_stop_row
                    ELSE first_interim_row END AS _flag_rec,
               start_rec IS NULL AND first_stop IS NOT NULL AS stop_without_start,
               start_rec IS NOT NULL AND (first_interim < start_rec
                   OR first_interim_row < start_row) AS interim_before_start,
               start_rec IS NOT NULL AND first_stop < start_rec AS stop_before_start,
               false AS end_before_start
        FROM radius
        UNION ALL
        SELECT source, _rec, event_at AS start_at,
               CASE WHEN session_time >= 0 THEN session_time END AS duration_s, bytes,
               device, ssid, branch_code, is_wired, _rec AS _flag_rec, false, false, false,
               coalesce(end_at < event_at, false) OR coalesce(session_time < 0, false)
                   AS end_before_start
        FROM recs WHERE copy = 1 AND status = 'session'
    """


def stg_wifi_duplicates(stg: str, numbered: str | None = None) -> str:
    """Records that repeat an earlier one (same session or device and start, status, time)."""
    return f"""
        SELECT source, _rec FROM {numbered or f"({_numbered_copies(stg)})"} WHERE copy > 1
    """


def local_sql(instant: str, branch_tz: dict[str, str], library_tz: str) -> str:
    """The branch-local wall-clock time (TIMESTAMP) of an instant."""
    cases = " ".join(f"WHEN {lit(b)} THEN timezone({lit(tz)}, {instant})"
                     for b, tz in sorted(branch_tz.items()) if tz != library_tz)
    default = f"timezone({lit(library_tz)}, {instant})"
    return f"CASE branch_code {cases} ELSE {default} END" if cases else default


def int_wifi_counted(sessions: str, *, start: str, end: str, branch_tz: dict[str, str],
                     library_tz: str, exclude_ssids: tuple[str, ...]) -> str:
    """Sessions placed in branch-local time, with why a session is not counted, if it is not."""
    ssids = ", ".join(lit(s) for s in exclude_ssids) or "NULL"
    return f"""
        WITH placed AS (
            SELECT *, {local_sql('start_at', branch_tz, library_tz)} AS local_start
            FROM {sessions}
        )
        SELECT *, local_start::DATE AS session_date,
               strftime(local_start, '%Y-%m') AS month,
               isodow(local_start)::INTEGER AS weekday, hour(local_start)::INTEGER AS hour,
               CASE WHEN device IN (SELECT mac FROM map_wifi_library_device)
                    THEN 'library device'
                    WHEN coalesce(ssid IN ({ssids}), false) THEN 'library-only network'
                    WHEN is_wired THEN 'wired, not Wi-Fi'
               END AS excluded,
               local_start::DATE BETWEEN DATE {lit(start)} AND DATE {lit(end)} AS in_period
        FROM placed
    """


def int_wifi_device_tokens(counted: str, day_keys: str) -> str:
    """The token of each (day, device): HMAC with the key derived for that day."""
    return f"""
        WITH pairs AS (
            SELECT DISTINCT session_date, device FROM {counted}
            WHERE in_period AND excluded IS NULL
        )
        SELECT p.session_date, p.device,
               {hmac_sql("'wifi_device' || chr(31) || p.device", ipad='k.ipad', opad='k.opad')}
                   AS device_token
        FROM pairs AS p JOIN {day_keys} AS k ON k.day = p.session_date
    """


def _band_labels(bounds: tuple[int, ...], unit: str) -> list[tuple[str, int | None,
                                                                   int | None]]:
    """[(label, low, high)]: 'under 5 min', '5-30 min', ..., '120 min or more'."""
    out = [(f"under {bounds[0]} {unit}", None, bounds[0])]
    out += [(f"{a}-{b} {unit}", a, b) for a, b in zip(bounds, bounds[1:])]
    out.append((f"{bounds[-1]} {unit} or more", bounds[-1], None))
    return out


def band_labels(bounds: tuple[int, ...], unit: str) -> list[str]:
    """The band labels of a table, in order, 'unknown' last.

    >>> band_labels((5, 30), "min")
    ['under 5 min', '5-30 min', '30 min or more', 'unknown']
    """
    return [label for label, _, _ in _band_labels(bounds, unit)] + ["unknown"]


def band_sql(expr: str, bounds: tuple[int, ...], unit: str, scale: int) -> str:
    """The band label of ``expr`` (seconds or bytes; ``scale`` per unit)."""
    parts = [f"WHEN {expr} IS NULL THEN 'unknown'"]
    for label, _, high in _band_labels(bounds, unit):
        cond = f"{expr} < {high * scale}" if high is not None else "true"
        parts.append(f"WHEN {cond} THEN {lit(label)}")
    return "CASE " + " ".join(parts) + " END"


def _branches() -> str:
    return "(SELECT DISTINCT branch_code FROM map_wifi_ap)"


def _counted(counted: str) -> str:
    return f"(SELECT * FROM {counted} WHERE in_period AND excluded IS NULL)"


def pub_wifi_sessions__branch_month(counted: str, *, fiscal_year: str, start: str, end: str) -> str:
    """PLS WIFISESS by branch and month: one per connection, library devices excluded."""
    return f"""
        WITH counts AS (SELECT month, branch_code, count(*) AS n FROM {_counted(counted)}
                        GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month, b.branch_code,
               coalesce(c.n, 0)::BIGINT AS value
        FROM {months_table(start, end)} AS m CROSS JOIN {_branches()} AS b
        LEFT JOIN counts AS c USING (month, branch_code)
        ORDER BY m.month, b.branch_code
    """


def pub_wifi_sessions__branch_weekday_hour(counted: str, *, fiscal_year: str) -> str:
    """Sessions by branch, weekday and hour of start over the period: how busy each branch is."""
    days = " UNION ALL ".join(f"SELECT {i} AS weekday, {lit(n)} AS weekday_name"
                              for i, n in enumerate(WEEKDAYS, start=1))
    return f"""
        WITH counts AS (SELECT branch_code, weekday, hour, count(*) AS n
                        FROM {_counted(counted)} GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, b.branch_code, d.weekday_name AS weekday,
               lpad(h.hour::VARCHAR, 2, '0') AS hour,
               coalesce(c.n, 0)::BIGINT AS value
        FROM {_branches()} AS b CROSS JOIN ({days}) AS d
        CROSS JOIN (SELECT range::INTEGER AS hour FROM range(24)) AS h
        LEFT JOIN counts AS c ON c.branch_code = b.branch_code AND c.weekday = d.weekday
                             AND c.hour = h.hour
        ORDER BY b.branch_code, d.weekday, h.hour
    """


def _banded(counted: str, *, fiscal_year: str, start: str, end: str,
            label: str, expr: str, bounds: tuple[int, ...], unit: str, scale: int) -> str:
    labels = " UNION ALL ".join(f"SELECT {i} AS pos, {lit(b)} AS {label}"
                                for i, b in enumerate(band_labels(bounds, unit)))
    return f"""
        WITH counts AS (SELECT month, branch_code, {band_sql(expr, bounds, unit, scale)}
                               AS {label}, count(*) AS n
                        FROM {_counted(counted)} GROUP BY ALL)
        SELECT {lit(fiscal_year)} AS fiscal_year, m.month, b.branch_code, l.{label},
               coalesce(c.n, 0)::BIGINT AS value
        FROM {months_table(start, end)} AS m CROSS JOIN {_branches()} AS b CROSS JOIN ({labels}) AS l
        LEFT JOIN counts AS c USING (month, branch_code, {label})
        ORDER BY m.month, b.branch_code, l.pos
    """


def pub_wifi_session_duration__branch_month(counted: str, *, fiscal_year: str, start: str,
                                            end: str,
                                            bands_minutes: tuple[int, ...]) -> str:
    """Sessions by duration band, branch and month ('unknown': no Stop or end time seen)."""
    return _banded(counted, fiscal_year=fiscal_year, start=start, end=end,
                   label="duration_band", expr="duration_s",
                   bounds=bands_minutes, unit="min", scale=60)


def pub_wifi_data_volume__branch_month(counted: str, *, fiscal_year: str, start: str,
                                       end: str,
                                       bands_mb: tuple[int, ...]) -> str:
    """Sessions by data volume band (bytes up and down), branch and month."""
    return _banded(counted, fiscal_year=fiscal_year, start=start, end=end,
                   label="volume_band", expr="bytes",
                   bounds=bands_mb, unit="MB", scale=1_000_000)


def pub_wifi_devices__branch_day(counted: str, *, fiscal_year: str, start: str,
                                 end: str) -> str:
    """Distinct devices (MAC addresses, not people) per branch and day, with distinct totals
    (a device seen on two days or at two branches counts once in their total)."""
    return f"""
        WITH seen AS (SELECT DISTINCT strftime(session_date, '%Y-%m-%d') AS day, branch_code,
                             device FROM {_counted(counted)}),
             counts AS (
            SELECT day, branch_code, count(*) AS n FROM seen GROUP BY ALL
            UNION ALL
            SELECT day, 'all', count(*) FROM (SELECT DISTINCT day, device FROM seen)
            GROUP BY ALL
            UNION ALL
            SELECT 'all', branch_code, count(*) FROM (SELECT DISTINCT branch_code, device
                                                      FROM seen) GROUP BY ALL
            UNION ALL
            SELECT 'all', 'all', count(*) FROM (SELECT DISTINCT device FROM seen))
        SELECT {lit(fiscal_year)} AS fiscal_year, d.day, b.branch_code,
               coalesce(c.n, 0)::BIGINT AS value
        FROM (SELECT strftime(range::DATE, '%Y-%m-%d') AS day
              FROM range(DATE {lit(start)}, DATE {lit(end)} + INTERVAL 1 DAY, INTERVAL 1 DAY)
              UNION ALL SELECT 'all') AS d
        CROSS JOIN (SELECT branch_code FROM {_branches()} UNION ALL SELECT 'all') AS b
        LEFT JOIN counts AS c ON c.day = d.day AND c.branch_code = b.branch_code
        ORDER BY d.day, b.branch_code
    """
