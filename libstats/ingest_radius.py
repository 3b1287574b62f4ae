"""Read FreeRADIUS ``detail`` accounting files (plain or gzip) into DuckDB, one row per record.

A ``detail`` file is a timestamp line (``Mon Jan  6 10:00:00 2025``), then one
``<TAB>Attribute = value`` line per attribute, with a blank line between records. DuckDB reads
the files as lines in order (one pass per step, no per-line Python):

1. **attributes**: every attribute name present, and each file's line count. An attribute the
   ``radius_detail`` profile does not know (and the config does not classify) stops the run.
2. **records**: a streaming window numbers the lines and the records (a record starts at each
   line that does not begin with white space); a GROUP BY gathers each record's attributes into
   columns: the fields the pipeline uses and the dropped attributes the leak scan needs.
3. **checks**: a record cut off mid-way (a line that is not ``Attribute = value``, an unclosed
   quote, a record without ``Acct-Status-Type``), a timestamp that does not parse, an unknown
   ``Acct-Status-Type``, a file that starts inside a record.

Errors name the file, the physical line and the attribute, never a value.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import duckdb

from libstats.errors import InputError
from libstats.ingest import FileInfo, IngestedSource, sha256_file
from transforms.profiles import ResolvedProfile
from transforms.sqlutil import lit, q

# The attribute name and the value of an attribute line.
ATTR_LINE = r"^[ \t]+([A-Za-z0-9][A-Za-z0-9_.:/-]*)[ \t]*=[ \t]?(.*)$"
# Accepted Acct-Status-Type values (names and RFC 2866 numbers) -> what they mean here.
STATUS = {"Start": "start", "1": "start", "Stop": "stop", "2": "stop",
          "Interim-Update": "interim", "Alive": "interim", "3": "interim",
          "Accounting-On": "nas", "7": "nas", "Accounting-Off": "nas", "8": "nas",
          "Failed": "nas", "15": "nas"}
CTIME = "%a %b %d %H:%M:%S %Y"
_SESSION_ATTRS = ("Acct-Session-Id",)


class RadiusSource(IngestedSource):
    """A loaded ``radius_detail`` source: rows are records; ``__file`` is the file's index in
    ``files`` and ``__ln`` the line of the record's timestamp line counted over all files."""

    offsets: list[int]

    def locate(self, con, rowid: int, column: str | None = None) -> tuple[Path, int]:
        file_no, ln = con.execute(f"SELECT __file, __ln FROM {self.table} WHERE rowid = ?",
                                  [rowid]).fetchone()
        return self.line_at(int(ln))

    def line_at(self, ln: int) -> tuple[Path, int]:
        """(file, line in that file) of a line number counted over all files."""
        for info, start in zip(reversed(self.files), reversed(self.offsets)):
            if ln > start:
                return info.path, ln - start
        return self.files[0].path, ln

    def newlines_between(self, con, first: int, stop: int) -> int:  # pragma: no cover
        return 0


def _unquote(v: str) -> str:
    return (f"CASE WHEN length({v}) >= 2 AND starts_with({v}, '\"') AND ends_with({v}, '\"') "
            f"THEN replace(substr({v}, 2, length({v}) - 2), '\\\"', '\"') ELSE {v} END")


def _reader(paths: list[Path]) -> str:
    files = "[" + ", ".join(lit(str(p)) for p in paths) + "]"
    return (f"read_csv({files}, header = false, columns = {{'line': 'VARCHAR'}}, "
            f"delim = '\\x01', quote = '', escape = '', auto_detect = false, "
            f"strict_mode = false, null_padding = true, filename = true, "
            f"compression = 'auto')")


def _check_file(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        raise InputError(path, "the file is empty")
    gz = head.startswith(b"\x1f\x8b")
    if gz and path.suffix != ".gz":
        raise InputError(path, "this is a gzip file but its name does not end in .gz "
                               "(rename it so it is decompressed)")
    if path.suffix == ".gz" and not gz:
        raise InputError(path, "the name ends in .gz but the file is not gzip-compressed")
    if not gz and b"\x00" in head:
        raise InputError(path, "this is not a RADIUS detail text file: it contains NUL bytes")


def _gzip_failure(path: Path, source: str) -> InputError:
    """Locate where a gzip file stops being readable (error path only)."""
    lines = 0
    try:
        with gzip.open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                lines += chunk.count(b"\n")
    except (EOFError, OSError, zlib.error) as exc:
        what = ("is truncated (the compressed stream ends early)" if isinstance(exc, EOFError)
                else "is corrupt (the compressed data cannot be read)")
        return InputError(path, f"the gzip file {what}; the last complete line is "
                                f"line {lines}", line=lines + 1, source=source)
    return InputError(path, "the file cannot be read", source=source)


def _run(con, sql: str, paths: list[Path], source: str):
    try:
        return con.execute(sql)
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:
        text = str(exc)
        for p in paths:
            if str(p) in text or p.name in text:
                raise _gzip_failure(p, source) if p.suffix == ".gz" else InputError(
                    p, "the file cannot be read as text lines", source=source) from None
        for p in paths:                      # the message did not name it: find it
            if p.suffix == ".gz":
                err = _gzip_failure(p, source)
                if err.line is not None:
                    raise err from None
        raise InputError(paths[0], "the files cannot be read as text lines",
                         source=source) from None


def load_radius(con, resolved: ResolvedProfile, files: list[Path], progress=None
                ) -> RadiusSource:
    """Load every ``detail`` file of a source into ``raw_<name>`` (one row per record)."""
    src = resolved.source
    table = f"raw_{src.name}"
    if not files:
        raise InputError(src.path, "no file matches this path pattern", source=src.name)
    infos = []
    for path in files:
        _check_file(path)
        info = FileInfo(path=path, sha256=sha256_file(path), bytes=path.stat().st_size)
        twin = next((f for f in infos if f.sha256 == info.sha256), None)
        if twin is not None:
            raise InputError(path, f"this file has the same content as {twin.path.name}: its "
                                   f"records would be counted twice", source=src.name)
        infos.append(info)
    reader = _reader(files)

    # 1. attributes present, and line counts per file.
    rows = _run(con, f"""
        SELECT filename, count(*) AS lines,
               list(DISTINCT regexp_extract(line, {lit(ATTR_LINE)}, 1))
                 FILTER (WHERE regexp_matches(line, {lit(ATTR_LINE)})) AS attrs
        FROM {reader} GROUP BY filename""", files, src.name).fetchall()
    by_name = {name: (int(n), attrs or []) for name, n, attrs in rows}
    offsets, total = [], 0
    for info in infos:
        offsets.append(total)
        n, _ = by_name.get(str(info.path), (0, []))
        total += n
    present = sorted({a for _, attrs in by_name.values() for a in attrs})
    ing = RadiusSource(resolved, table, present)
    ing.files, ing.offsets = infos, offsets
    unknown = [a for a in present if a not in resolved.roles]
    if unknown:
        ln = con.execute(f"""
            SELECT min(ln) FROM (SELECT row_number() OVER () AS ln, line FROM {reader})
            WHERE regexp_extract(line, {lit(ATTR_LINE)}, 1) = ?""", [unknown[0]]).fetchone()[0]
        path, line = ing.line_at(int(ln))
        raise InputError(path, f"unclassified attribute: the '{resolved.profile.name}' profile "
                               f"does not know it; give it a role under [[sources]] columns "
                               f"(e.g. \"drop\") if it is expected", line=line,
                         column=unknown[0], source=src.name)

    # 2. one row per record: the attributes the run uses and those the leak scan looks for.
    wanted = [a for a in present
              if a in resolved.fields.values() or resolved.scanned(a)]
    ing.stored = [a for a in wanted if resolved.scanned(a)]
    cols = ",\n".join(f"max({_unquote('v')}) FILTER (WHERE a = {lit(a)}) AS {q(a)}"
                      for a in wanted)
    con.execute(f"DROP TABLE IF EXISTS {table}")
    _run(con, f"""
        CREATE TABLE {table} AS
        WITH numbered AS (
            SELECT row_number() OVER () AS ln, filename, line,
                   sum(CASE WHEN line IS NOT NULL AND NOT regexp_matches(line, '^[ \\t]')
                            AND trim(line) <> '' THEN 1 ELSE 0 END)
                       OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS rec
            FROM {reader}
        ), parsed AS (
            SELECT rec, ln, filename, line,
                   NOT regexp_matches(line, '^[ \\t]') AS head,
                   regexp_extract(line, {lit(ATTR_LINE)}, ['a', 'v']) AS kv
            FROM numbered WHERE line IS NOT NULL AND trim(line) <> ''
        ), flat AS (
            SELECT rec, ln, filename, line, head, kv.a AS a, rtrim(kv.v) AS v FROM parsed
        )
        SELECT rec AS __rec,
               arg_min(filename, ln) AS __filename,
               min(ln) AS __ln,
               count(DISTINCT filename) AS __files,
               max(line) FILTER (WHERE head) AS __head,
               min(ln) FILTER (WHERE NOT head AND (a = '' OR (starts_with(v, '"')
                   AND (length(v) < 2 OR NOT ends_with(v, '"'))))) AS __bad_ln,
               min(ln) FILTER (WHERE a = {lit(resolved.fields['status'])}) AS __status_ln,
               {cols or 'NULL AS __none'}
        FROM flat GROUP BY rec ORDER BY rec""", files, src.name)
    file_no = {str(p): i for i, p in enumerate(files)}
    con.execute(f"ALTER TABLE {table} ADD COLUMN __file INTEGER")
    con.execute(f"UPDATE {table} SET __file = CASE __filename "
                + " ".join(f"WHEN {lit(k)} THEN {v}" for k, v in file_no.items()) + " END")
    for i, n in con.execute(f"SELECT __file, count(*) FROM {table} GROUP BY ALL").fetchall():
        infos[i].rows = int(n)
    _check_records(con, ing)
    if progress:
        progress(f"read {len(files)} RADIUS detail file(s): {ing.rows:,} records")
    return ing


def _first_text_line(path: Path) -> int:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        for n, line in enumerate(fh, start=1):
            if line.strip():
                return n
    return 1


def _fail(con, ing: RadiusSource, cond: str, problem: str, column: str | None = None,
          ln_expr: str = "__ln") -> None:
    row = con.execute(f"SELECT min({ln_expr}), count(*) FROM {ing.table} WHERE {cond}"
                      ).fetchone()
    if row[0] is None:
        return
    path, line = ing.line_at(int(row[0]))
    more = f" ({row[1] - 1} more record(s) like it)" if row[1] > 1 else ""
    raise InputError(path, problem + more, line=line, column=column, source=ing.name)


def _check_records(con, ing: RadiusSource) -> None:
    fields = ing.resolved.fields
    status = fields["status"]
    present = set(ing.header)
    _fail(con, ing, "__head IS NULL",
          "attribute lines before the first timestamp line (the file starts inside a record)")
    spans = con.execute(f"SELECT min(__file) FROM {ing.table} WHERE __files > 1").fetchone()[0]
    if spans is not None:
        path = ing.files[int(spans) + 1].path
        raise InputError(path, "the file starts inside a record (attribute lines before its "
                               "first timestamp line)", line=_first_text_line(path),
                         source=ing.name)
    _fail(con, ing, "__bad_ln IS NOT NULL",
          "the line is not 'Attribute = value' or its quoted value is not closed (a record "
          "cut off mid-way?)", ln_expr="__bad_ln")
    _fail(con, ing, f"try_strptime(regexp_replace(trim(__head), '\\s+', ' ', 'g'), "
                    f"{lit(CTIME)}) IS NULL",
          "the record's timestamp line cannot be parsed (expected e.g. "
          "'Mon Jan  6 10:00:00 2025')")
    if status not in present:
        _fail(con, ing, "true", "the record has no Acct-Status-Type (cut off mid-way?)",
              column=status)
    _fail(con, ing, f"{q(status)} IS NULL",
          "the record has no Acct-Status-Type (cut off mid-way?)", column=status)
    known = ", ".join(lit(s) for s in STATUS)
    _fail(con, ing, f"{q(status)} NOT IN ({known})",
          "unknown Acct-Status-Type (expected Start, Stop, Interim-Update, Accounting-On, "
          "Accounting-Off; value not shown)", column=status, ln_expr="__status_ln")
    session = f"{q(status)} IN ({', '.join(lit(k) for k, v in STATUS.items() if v != 'nas')})"
    for fld, problem in (("session_id", "a session record without Acct-Session-Id (cut off "
                                        "mid-way?)"),
                         ("device_mac", "a session record without Calling-Station-Id (the "
                                        "client MAC)")):
        col = fields[fld]
        if col not in present:
            _fail(con, ing, session, problem, column=col)
        else:
            _fail(con, ing, f"{session} AND nullif(trim({q(col)}), '') IS NULL", problem,
                  column=col)
    for fld in ("session_time", "input_octets", "output_octets", "input_gigawords",
                "output_gigawords"):
        col = fields[fld]
        if col in present:
            _fail(con, ing, f"{q(col)} IS NOT NULL AND try_cast({q(col)} AS UBIGINT) IS NULL",
                  "not a whole number", column=col)
