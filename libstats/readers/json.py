"""Read JSON exports (an array of records, or a controller's ``{"meta": …, "data": […]}``
envelope) into DuckDB, one row per record, with one VARCHAR column per field.

Nested objects are flattened with dots (Meraki's ``usage`` → ``usage.sent``, ``usage.recv``).
Every field must be known to the source's profile, as for CSV headers. Errors name the file and
the line where the offending record starts (located in Python, on the error path only), never a
value.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from libstats.errors import InputError
from libstats.profiles import ResolvedProfile
from libstats.readers.files import IngestedSource, hashed_files
from libstats.sql import lit, q


class JsonSource(IngestedSource):
    """A loaded JSON source: ``__file`` is the file's index in ``files``, ``__idx`` the record's
    position in its file's array (0-based)."""

    envelopes: list[bool]

    def locate(self, con, rowid: int, column: str | None = None) -> tuple[Path, int]:
        file_no, idx = con.execute(f"SELECT __file, __idx FROM {self.table} WHERE rowid = ?",
                                   [rowid]).fetchone()
        return self.record_line(int(file_no), int(idx))

    def record_line(self, file_no: int, idx: int) -> tuple[Path, int]:
        path = self.files[file_no].path
        return path, record_line(path, idx, self.envelopes[file_no])


def record_line(path: Path, idx: int, envelope: bool) -> int:
    """The line where record ``idx`` of the file's array starts (error path only)."""
    text = path.read_text(encoding="utf-8-sig")
    dec = json.JSONDecoder()
    pos = 0
    if envelope:
        obj_start = text.index("{")
        pos = obj_start + 1
        # Walk the top-level members to the "data" array.
        while True:
            pos = _skip(text, pos)
            key, pos = dec.raw_decode(text, pos)
            pos = _skip(text, pos) + 1            # ':'
            pos = _skip(text, pos)
            if key == "data":
                break
            _, pos = dec.raw_decode(text, pos)
            pos = _skip(text, pos) + 1            # ','
    else:
        pos = _skip(text, 0)
    pos += 1                                      # '['
    for _ in range(idx):
        pos = _skip(text, pos)
        _, pos = dec.raw_decode(text, pos)
        pos = _skip(text, pos) + 1                # ','
    pos = _skip(text, pos)
    return text.count("\n", 0, pos) + 1


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _shape(path: Path, allow_envelope: bool, source: str) -> bool:
    """True for an envelope, False for an array; anything else is refused."""
    with open(path, "rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise InputError(path, "the file is empty", source=source)
    if head[:1] == b"[":
        return False
    if head[:1] == b"{" and allow_envelope:
        return True
    what = "a JSON array of records" + (' (or {"data": [...]})' if allow_envelope else "")
    raise InputError(path, f"the file is not {what}", line=1, source=source)


def _invalid(path: Path, source: str) -> InputError:
    try:
        json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        return InputError(path, "the file is not UTF-8 text", source=source)
    except json.JSONDecodeError as exc:        # its message names the syntax, not the data
        return InputError(path, f"the file is not valid JSON ({exc.msg})", line=exc.lineno,
                          source=source)
    return InputError(path, "the file cannot be read as JSON", source=source)


# DuckDB's JSON reader refuses an object larger than ``maximum_object_size`` (16 MiB by
# default): a controller's {"meta": ..., "data": [...]} file is one object as large as the file
# (a busy branch's month of UniFi sessions passes 16 MiB). The limit is set from the files'
# sizes; the parameter is a 32-bit count of bytes, so a larger file is refused as such.
MAX_OBJECT_SIZE = 2 ** 32 - 1
DEFAULT_OBJECT_SIZE = 16 * 1024 * 1024


def object_size_limit(paths: list[Path]) -> int:
    """The ``maximum_object_size`` that lets DuckDB read every file whole."""
    return max([DEFAULT_OBJECT_SIZE, *(p.stat().st_size + 1024 for p in paths)])


def _reader(files: str, fmt: str, limit: int) -> str:
    return (f"read_json_objects({files}, format = {lit(fmt)}, filename = true, "
            f"maximum_object_size = {limit})")


def _objects(paths: list[Path], envelope: bool) -> str:
    files = "[" + ", ".join(lit(str(p)) for p in paths) + "]"
    if envelope:
        return (f"(SELECT filename, generate_subscripts(recs, 1) - 1 AS idx, "
                f"unnest(recs) AS json FROM (SELECT filename, json_extract(json, '$.data[*]') "
                f"AS recs FROM {_reader(files, 'unstructured', object_size_limit(paths))}))")
    # Each record's index in its file, from the order the records were stored in (a table
    # keeps the reader's order); a window over the reader itself numbers them in whatever
    # order its threads deliver, so the records' rowids, and every order built on them,
    # changed from run to run.
    return (f"(SELECT filename, rowid - min(rowid) OVER (PARTITION BY filename) AS idx, json "
            f"FROM {_ARRAY_RECORDS})")


_ARRAY_RECORDS = "_json_array_records"


def _store_array_records(con, paths: list[Path]) -> None:
    """The records of top-level-array files, in file order, as a temporary table."""
    files = "[" + ", ".join(lit(str(p)) for p in paths) + "]"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_ARRAY_RECORDS} AS SELECT filename, json "
                f"FROM {_reader(files, 'array', object_size_limit(paths))}")


def _path(key: str) -> str:
    return "$." + ".".join('"' + k.replace('"', '\\"') + '"' for k in key.split("."))


def load_json(con, resolved: ResolvedProfile, files: list[Path], progress=None, *,
              allow_envelope: bool = False) -> JsonSource:
    src = resolved.source
    table = f"raw_{src.name}"
    infos = hashed_files(files, src)
    envelopes = [_shape(path, allow_envelope, src.name) for path in files]
    for path in files:
        if path.stat().st_size + 1024 > MAX_OBJECT_SIZE:
            raise InputError(path, f"the file is larger than DuckDB's JSON reader can take as "
                                   f"one document ({MAX_OBJECT_SIZE:,} bytes, its "
                                   f"maximum_object_size): split the export (e.g. one file "
                                   f"per day); this is a reader limit, not invalid JSON",
                             source=src.name)
    ing = JsonSource(resolved, table, [])
    ing.files, ing.envelopes = infos, envelopes
    file_no = {str(p): i for i, p in enumerate(files)}
    parts = []
    for env in (False, True):
        group = [p for p, e in zip(files, envelopes) if e == env]
        if group:
            parts.append(_objects(group, env))
    con.execute(f"DROP TABLE IF EXISTS _json_{src.name}")
    try:
        arrays = [p for p, e in zip(files, envelopes) if not e]
        if arrays:
            _store_array_records(con, arrays)
        con.execute(f"CREATE TABLE _json_{src.name} AS SELECT CASE filename "
                    + " ".join(f"WHEN {lit(k)} THEN {v}" for k, v in file_no.items())
                    + " END::INTEGER AS __file, idx::BIGINT AS __idx, json FROM ("
                    + " UNION ALL ".join(parts) + ")")
    except (duckdb.InvalidInputException, duckdb.IOException, duckdb.ConversionException) as exc:
        for path in files:
            try:
                json.loads(path.read_text(encoding="utf-8-sig"))
            except (ValueError, UnicodeDecodeError):
                raise _invalid(path, src.name) from None
        # Valid JSON that DuckDB did not read: a reader limit, never reported as bad JSON.
        # (DuckDB's message is not shown: it may quote the data.)
        limit = "maximum_object_size" in str(exc)
        raise InputError(files[0], "the files are valid JSON but DuckDB's JSON reader could "
                                   "not read them (" + ("a record or document is larger than "
                                   "its maximum_object_size" if limit else
                                   f"{type(exc).__name__}") + "); this is a reader limit, "
                                   "not invalid JSON: split the export and report it",
                         source=src.name) from None
    con.execute(f"DROP TABLE IF EXISTS {_ARRAY_RECORDS}")
    raw = f"_json_{src.name}"
    wrapped = [p for p, e in zip(files, envelopes) if e]
    if wrapped:
        listed = "[" + ", ".join(lit(str(p)) for p in wrapped) + "]"
        bad = con.execute(
            f"SELECT filename FROM {_reader(listed, 'unstructured', object_size_limit(wrapped))} "
            f"WHERE coalesce(json_type(json, '$.data'), '') <> 'ARRAY' LIMIT 1").fetchone()
        if bad is not None:
            raise InputError(bad[0], 'the file is not {"data": [...]} with an array of '
                                     "records", line=1, source=src.name)
    _first(con, ing, raw, "json_type(json) <> 'OBJECT'", "the record is not a JSON object")
    # Fields present, nested objects flattened one level ("usage.sent").
    containers = sorted({c.split(".", 1)[0] for c in resolved.roles if "." in c})
    keys = [k for (k,) in con.execute(
        f"SELECT DISTINCT unnest(json_keys(json)) FROM {raw} ORDER BY 1").fetchall()]
    present = [k for k in keys if k not in containers]
    for c in containers:
        if c in keys:
            present += [f"{c}.{s}" for (s,) in con.execute(
                f"SELECT DISTINCT unnest(json_keys(json -> {lit(c)})) FROM {raw} "
                f"WHERE json_type(json -> {lit(c)}) = 'OBJECT' ORDER BY 1").fetchall()]
    for key in present:
        if key not in resolved.roles:
            parent, _, child = key.partition(".")
            cond = (f"list_contains(json_keys(json -> {lit(parent)}), {lit(child)})" if child
                    else f"list_contains(json_keys(json), {lit(key)})")
            _first(con, ing, raw, cond,
                   f"unclassified field: the '{resolved.profile.name}' profile does not know it; "
                   f"give it a role under [[sources]] columns (e.g. \"drop\") if it is "
                   f"expected", column=key)
    for col, spec in resolved.profile.columns.items():
        if spec.required:
            _first(con, ing, raw, f"json_type(json, {lit(_path(col))}) IS NULL "
                                  f"OR json_type(json, {lit(_path(col))}) = 'NULL'",
                   "a required field is missing or null", column=col)
    ing.header = sorted(present)
    wanted = [k for k in ing.header if k in resolved.fields.values() or resolved.scanned(k)]
    ing.stored = [k for k in wanted if resolved.scanned(k)]
    cols = ", ".join(f"json_extract_string(json, {lit(_path(k))}) AS {q(k)}" for k in wanted)
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"CREATE TABLE {table} AS SELECT __file, __idx{', ' + cols if cols else ''} "
                f"FROM {raw} ORDER BY __file, __idx")
    con.execute(f"DROP TABLE {raw}")
    for i, n in con.execute(f"SELECT __file, count(*) FROM {table} GROUP BY ALL").fetchall():
        infos[i].rows = int(n)
    if progress:
        progress(f"read {len(files)} JSON file(s) of '{src.name}': {ing.rows:,} records")
    return ing


def _first(con, ing: JsonSource, raw: str, cond: str, problem: str,
           column: str | None = None) -> None:
    row = con.execute(f"SELECT __file, __idx, count(*) OVER () FROM {raw} WHERE {cond} "
                      f"ORDER BY __file, __idx LIMIT 1").fetchone()
    if row is None:
        return
    path, line = ing.record_line(int(row[0]), int(row[1]))
    more = f" ({row[2] - 1} more record(s) like it)" if row[2] > 1 else ""
    raise InputError(path, problem + more, line=line, column=column, source=ing.name)
