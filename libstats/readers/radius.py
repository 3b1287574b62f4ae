"""Read FreeRADIUS ``detail`` accounting files (plain or gzip) into DuckDB, one row per record.

A ``detail`` file is a timestamp line (``Mon Jan  6 10:00:00 2025``), then one
``<TAB>Attribute = value`` line per attribute, with a blank line between records.

Most files are read by the record reader (``radius_records``: blocks of whole records, numpy
finds lines, records and names, no line-level pivot). Anything it does not take exactly as
below, and every file in which a check fails, is read by the line reader, which finds the file,
line and attribute to report. The line reader reads the files as lines in order (one pass per
step, no per-line Python):

1. **lines**: each file is read as lines in order; a streaming window numbers the lines and the
   records (a record starts at each line that does not begin with white space).
2. **attributes**: every attribute name present. A tagged name (RFC 2868,
   ``Tunnel-Type:0``) is its attribute's (``Tunnel-Type``). An attribute the ``radius_detail``
   profile does not know (standard ones, and the vendor-specific ones of
   ``libstats/profiles/radius_vendors.py``) and the config does not classify stops the run.
3. **records**: a parallel GROUP BY gathers each record's attributes into columns: the fields
   the pipeline uses and the dropped attributes the leak scan needs. An attribute may repeat
   in a record (``Class``, ``Cisco-AVPair``, tagged tunnel attributes): every value of a
   scanned attribute is a leak-scan target (the distinct values of the repeated ones are kept
   in ``<table>__values``), and a field the run counts with two different values in one
   record (RFC 2866 allows each at most once) stops the run.
4. **checks**: a record cut off mid-way (a line that is not ``Attribute = value``, an unclosed
   quote, a record without ``Acct-Status-Type``), a timestamp that does not parse, an unknown
   ``Acct-Status-Type``, a file that starts inside a record, a session record with neither
   ``Acct-Session-Id`` nor ``Acct-Unique-Session-Id``.

Errors name the file, the physical line and the attribute, never a value.
"""

from __future__ import annotations

import re
from pathlib import Path

from libstats.errors import InputError
from libstats.profiles import ResolvedProfile
from libstats.readers.files import IngestedSource, hashed_files
from libstats.readers.lines import check_text_file, line_reader, read_lines
from libstats.sql import lit, q

# What an attribute name looks like (FreeRADIUS dictionary names).
ATTR_NAME = r"[A-Za-z0-9][A-Za-z0-9_.:/-]*"
# An RFC 2868 tag after a tagged attribute's name ("Tunnel-Type:1"; FreeRADIUS writes ":0" too).
TAG_RE = r":[0-9]{1,2}$"
# Accepted Acct-Status-Type values (names and RFC 2866 numbers) -> what they mean here.
STATUS = {"Start": "start", "1": "start", "Stop": "stop", "2": "stop",
          "Interim-Update": "interim", "Alive": "interim", "3": "interim",
          "Accounting-On": "nas", "7": "nas", "Accounting-Off": "nas", "8": "nas",
          "Failed": "nas", "15": "nas"}
CTIME = "%a %b %d %H:%M:%S %Y"


def base_name(name: str) -> str:
    """The attribute a (possibly tagged) name is: ``Tunnel-Type:0`` -> ``Tunnel-Type``."""
    return re.sub(TAG_RE, "", name)


class RadiusSource(IngestedSource):
    """A loaded ``radius_detail`` source: rows are records; ``__file`` is the file's index in
    ``files`` and ``__ln`` the line of the record's timestamp line in that file.
    ``repeated``: the scanned attributes holding two different values in some record; their
    distinct values are in ``values_table`` (attribute, value) for the leak scan."""

    repeated: list[str]
    values_table: str | None = None

    def locate(self, con, rowid: int, column: str | None = None) -> tuple[Path, int]:
        file_no, ln = con.execute(f"SELECT __file, __ln FROM {self.table} WHERE rowid = ?",
                                  [rowid]).fetchone()
        return self.files[int(file_no)].path, int(ln)


def _unquote(v: str) -> str:
    return (f"CASE WHEN length({v}) >= 2 AND starts_with({v}, '\"') AND ends_with({v}, '\"') "
            f"THEN replace(substr({v}, 2, length({v}) - 2), '\\\"', '\"') ELSE {v} END")


def load_radius(con, resolved: ResolvedProfile, files: list[Path], progress=None
                ) -> RadiusSource:
    """Load every ``detail`` file of a source into ``raw_<name>`` (one row per record): the
    fast record reader (``radius_records``) when it can read the files exactly, else the line
    reader below, which also finds the file, line and attribute of any problem."""
    from libstats.readers.radius_records import read_records   # noqa: PLC0415 (cycle)
    table = f"raw_{resolved.source.name}"
    ing = RadiusSource(resolved, table, [])
    if read_records(con, resolved, files, table, ing, _failing_checks):
        if progress:
            progress(f"read {len(files)} RADIUS detail file(s): {ing.rows:,} records")
        return ing
    return load_lines(con, resolved, files, progress)


def load_lines(con, resolved: ResolvedProfile, files: list[Path], progress=None
               ) -> RadiusSource:
    """The line reader: every line numbered and pivoted into records (steps 1-4 above)."""
    src = resolved.source
    table = f"raw_{src.name}"
    lines = f"_lines_{src.name}"
    infos = hashed_files(files, src)
    for path in files:
        check_text_file(path, "a RADIUS detail text file")
    ing = RadiusSource(resolved, table, [])
    ing.files = infos

    # 1. Lines in file order, numbered, each with its record number: a streaming window (one
    #    thread, in order); everything after it runs in parallel on the stored table.
    con.execute(f"CREATE OR REPLACE TABLE {lines} (file INTEGER, ln BIGINT, rec BIGINT, "
                f"line VARCHAR)")
    indented = "(starts_with(line, chr(9)) OR starts_with(line, ' '))"
    head = f"(line IS NOT NULL AND trim(line) <> '' AND NOT {indented})"
    for i, path in enumerate(files):
        read_lines(con, f"""
            INSERT INTO {lines}
            SELECT {i}, row_number() OVER (), sum({head}::INTEGER)
                       OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), line
            FROM {line_reader(path)}""", [path], src.name)
    body = f"FROM {lines} WHERE {indented}"
    raw_name = "rtrim(ltrim(left(line, strpos(line, '=') - 1), ' ' || chr(9)))"
    name = f"regexp_replace({raw_name}, {lit(TAG_RE)}, '')"

    # 2. Attribute names present; a name that is not one stops the run (not shown: it is
    #    what a line cut off or written by hand holds), so does one the profile does not know.
    #    A tagged name is its attribute's.
    names = [n for (n,) in con.execute(
        f"SELECT DISTINCT {raw_name} {body} AND strpos(line, '=') > 0 ORDER BY 1").fetchall()]
    valid = [n for n in names if re.fullmatch(ATTR_NAME, n)]
    unknown = [n for n in valid if base_name(n) not in resolved.roles]
    if unknown:
        where = con.execute(f"SELECT file, min(ln) {body} AND {raw_name} = ? GROUP BY file "
                            f"ORDER BY file LIMIT 1", [unknown[0]]).fetchone()
        raise InputError(files[where[0]],
                         f"unclassified attribute: the '{resolved.profile.name}' profile "
                         f"does not know it; give it a role under [[sources]] columns (e.g. "
                         f"\"drop\") if it is expected", line=int(where[1]),
                         column=unknown[0], source=src.name)
    valid = sorted({base_name(n) for n in valid})
    ing.header = valid

    # 3. One row per record: the attributes the run uses and those the leak scan looks for.
    used = [a for a in valid if a in resolved.fields.values()]
    wanted = [a for a in valid if a in used or resolved.scanned(a)]
    ing.stored = [a for a in wanted if resolved.scanned(a)]
    ok_names = ", ".join(lit(n) for n in valid) or "NULL"
    status = resolved.fields["status"]
    cols = "".join(f",\n{_unquote(q(a))} AS {q(a)}" for a in wanted)
    aggs = "".join(f",\nany_value(v) FILTER (WHERE a = {lit(a)}) AS {q(a)}" for a in wanted)

    def differ(a: str) -> str:       # two different values of ``a`` in the record
        return f"min(v) FILTER (WHERE a = {lit(a)}) <> max(v) FILTER (WHERE a = {lit(a)})"
    multi = "".join(f",\n{differ(a)} AS {q('__multi ' + a)}" for a in ing.stored)
    multi_out = "".join(f", {q('__multi ' + a)}" for a in ing.stored)
    if used:
        conflict = ("CASE " + " ".join(f"WHEN {differ(a)} THEN {lit(a)}" for a in used)
                    + " END AS __conflict, CASE " + " ".join(
                        f"WHEN {differ(a)} THEN max(ln) FILTER (WHERE a = {lit(a)})"
                        for a in used) + " END AS __conflict_ln")
    else:
        conflict = "NULL::VARCHAR AS __conflict, NULL::BIGINT AS __conflict_ln"
    parsed = f"""
            SELECT file, rec, ln, line, indented, p,
                   CASE WHEN indented AND p > 0 THEN regexp_replace(
                        rtrim(ltrim(left(line, p - 1), ' ' || chr(9))), {lit(TAG_RE)}, '')
                   END AS a,
                   CASE WHEN indented AND p > 0 THEN
                        rtrim(ltrim(substr(line, p + 1), ' ')) END AS v
            FROM (SELECT *, {indented} AS indented, strpos(line, '=') AS p
                  FROM {lines} WHERE line IS NOT NULL AND trim(line) <> '')"""
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"""
        CREATE TABLE {table} AS
        SELECT __file, __ln, __head, __bad_ln, __status_ln, __conflict, __conflict_ln{cols}
               {multi_out}
        FROM (
            SELECT file AS __file, rec, min(ln) AS __ln,
                   any_value(line) FILTER (WHERE NOT indented) AS __head,
                   min(ln) FILTER (WHERE indented AND (p = 0 OR a NOT IN ({ok_names})
                       OR (starts_with(v, '"') AND (length(v) < 2 OR NOT ends_with(v, '"')))))
                       AS __bad_ln,
                   min(ln) FILTER (WHERE a = {lit(status)}) AS __status_ln,
                   {conflict}{aggs}{multi}
            FROM ({parsed})
            GROUP BY file, rec
        )
        ORDER BY __file, rec""")
    # Scanned attributes with two different values in a record: every value is a target.
    ing.repeated = []
    if ing.stored:
        flags = con.execute("SELECT " + ", ".join(
            f"coalesce(bool_or({q('__multi ' + a)}), false)" for a in ing.stored)
            + f" FROM {table}").fetchone()
        ing.repeated = [a for a, f in zip(ing.stored, flags) if f]
        for a in ing.stored:
            con.execute(f"ALTER TABLE {table} DROP COLUMN {q('__multi ' + a)}")
    con.execute(f"DROP TABLE IF EXISTS {table}__values")
    if ing.repeated:
        ing.values_table = f"{table}__values"
        listed = ", ".join(lit(a) for a in ing.repeated)
        con.execute(f"""
            CREATE TABLE {ing.values_table} AS
            SELECT DISTINCT a AS attribute, {_unquote('v')} AS value
            FROM ({parsed}) WHERE a IN ({listed}) AND v IS NOT NULL AND v <> ''
            ORDER BY 1, 2""")
    con.execute(f"DROP TABLE {lines}")
    for i, n in con.execute(f"SELECT __file, count(*) FROM {table} GROUP BY ALL").fetchall():
        infos[i].rows = int(n)
    _check_records(con, ing)
    if progress:
        progress(f"read {len(files)} RADIUS detail file(s): {ing.rows:,} records")
    return ing


def _fail(con, ing: RadiusSource, cond: str, problem: str, column: str | None = None,
          ln_expr: str = "__ln", column_sql: str = "NULL") -> None:
    """Stop at the first record matching ``cond``; ``column_sql`` names the attribute when it
    differs from record to record (an attribute name, never a value)."""
    row = con.execute(f"SELECT __file, {ln_expr}, count(*) OVER (), {column_sql} "
                      f"FROM {ing.table} WHERE {cond} ORDER BY __file, {ln_expr} LIMIT 1"
                      ).fetchone()
    if row is None:
        return
    more = f" ({row[2] - 1} more record(s) like it)" if row[2] > 1 else ""
    raise InputError(ing.files[int(row[0])].path, problem + more, line=int(row[1]),
                     column=row[3] or column, source=ing.name)


def _checks(ing: RadiusSource) -> list[tuple[str, str, dict]]:
    """The record checks, in the order they are reported: (condition, problem, _fail's
    keyword arguments)."""
    fields = ing.resolved.fields
    status = fields["status"]
    present = set(ing.header)
    out = [
        ("__head IS NULL",
         "attribute lines before the first timestamp line (the file starts inside a record)",
         {}),
        ("__bad_ln IS NOT NULL",
         "the line is not 'Attribute = value' or its quoted value is not closed (a record "
         "cut off mid-way?)", {"ln_expr": "__bad_ln"}),
        (f"try_strptime(regexp_replace(trim(__head), '\\s+', ' ', 'g'), {lit(CTIME)}) IS NULL",
         "the record's timestamp line cannot be parsed (expected e.g. "
         "'Mon Jan  6 10:00:00 2025')", {}),
    ]
    if status not in present:
        out.append(("true", "the record has no Acct-Status-Type (cut off mid-way?)",
                    {"column": status}))
    else:
        known = ", ".join(lit(s) for s in STATUS)
        out += [
            (f"{q(status)} IS NULL", "the record has no Acct-Status-Type (cut off mid-way?)",
             {"column": status}),
            (f"{q(status)} NOT IN ({known})",
             "unknown Acct-Status-Type (expected Start, Stop, Interim-Update, Accounting-On, "
             "Accounting-Off; value not shown)", {"column": status, "ln_expr": "__status_ln"}),
        ]
    out.append(("__conflict IS NOT NULL",
                "the attribute appears twice in the record with different values; RFC 2866 "
                "allows it at most once, so the record cannot be counted (values not shown)",
                {"ln_expr": "__conflict_ln", "column_sql": "__conflict"}))
    if status in present:
        session = (f"{q(status)} IN "
                   f"({', '.join(lit(k) for k, v in STATUS.items() if v != 'nas')})")

        def missing(col: str) -> str:
            return "true" if col not in present else f"nullif(trim({q(col)}), '') IS NULL"
        sid, uniq = fields["session_id"], fields["unique_session_id"]
        mac = fields["device_mac"]
        out += [
            (f"{session} AND {missing(sid)} AND {missing(uniq)}",
             "a session record with neither Acct-Session-Id nor Acct-Unique-Session-Id (cut "
             "off mid-way?)", {"column": sid}),
            (f"{session} AND {missing(mac)}",
             "a session record without Calling-Station-Id (the client MAC)", {"column": mac}),
        ]
    for fld in ("session_time", "input_octets", "output_octets", "input_gigawords",
                "output_gigawords"):
        col = fields[fld]
        if col in present:
            out.append((f"{q(col)} IS NOT NULL AND try_cast({q(col)} AS UBIGINT) IS NULL",
                        "not a whole number", {"column": col}))
    return out


def _failing_checks(con, ing: RadiusSource) -> list[tuple[str, str, dict]]:
    """The checks some record fails, in one aggregate pass over the records."""
    checks = _checks(ing)
    flags = con.execute("SELECT " + ", ".join(
        f"coalesce(bool_or({cond}), false)" for cond, _, _ in checks)
        + f" FROM {ing.table}").fetchone()
    return [c for c, failed in zip(checks, flags) if failed]


def _check_records(con, ing: RadiusSource) -> None:
    """Stop at the first failing check (one pass to find which fail, one to locate it)."""
    for cond, problem, kw in _failing_checks(con, ing):
        _fail(con, ing, cond, problem, **kw)
