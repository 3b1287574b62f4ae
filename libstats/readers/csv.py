"""Read raw CSV exports into DuckDB tables, refusing anything that is not what was declared.

Each source becomes one table ``raw_<source>`` of VARCHAR columns, parsed once. Files are
checked in this order, each failure raising InputError that names file, line and column but
never a value:

1. the file exists, is not empty, and is text (not a ZIP/XLSX, PDF, gzip or binary file);
2. the header: decodes in the declared encoding, uses the declared delimiter, has no empty or
   duplicate names, has every column the format requires and none the profile does not know;
3. the body, parsed by DuckDB in strict mode with a rejects table: ragged rows, bad quoting and
   bytes that are not valid in the declared encoding are reported by line and column;
4. (later, by ``validate_values``) timestamps and dates that do not parse.

Files in an encoding other than UTF-8 are transcoded to UTF-8 in large chunks first (DuckDB
reads UTF-8 natively; Windows-1252 needs that step).
"""

from __future__ import annotations

import codecs
import csv
import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from libstats.errors import InputError
from libstats.profiles import ResolvedProfile
from libstats.readers.files import FileInfo, IngestedSource, sha256_file, sniff_binary
from libstats.readers.xlsx import xlsx_to_csv
from libstats.sql import q

_OTHER_DELIMITERS = [",", ";", "\t", "|"]
_REJECT_WORDS = {
    "MISSING COLUMNS": "the row has fewer fields than the header (ragged row)",
    "TOO MANY COLUMNS": "the row has more fields than the header (ragged row, or an unquoted "
                        "delimiter inside a value)",
    "UNQUOTED VALUE": "a quote character appears inside an unquoted value",
    "LINE SIZE OVER MAXIMUM": "the line is longer than the maximum line size",
    "INVALID ENCODING": "bytes that are not valid in the declared encoding",
    "INVALID UNICODE": "bytes that are not valid in the declared encoding",
    "CAST": "a value could not be read",
}
_CHUNK = 16 * 1024 * 1024
_HASHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")


def _physical_line(con, ingested: IngestedSource, info: FileInfo, record_line: int) -> int:
    """DuckDB numbers rejected rows by record (header = 1); add the newlines embedded in
    quoted values of the records before it, which the table still holds."""
    if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                   [ingested.table]).fetchone()[0] == 0:
        return record_line
    return record_line + ingested.newlines_between(con, info.first_rowid,
                                                   info.first_rowid + record_line - 2)


def _read_header(path: Path, resolved: ResolvedProfile, head: bytes) -> list[str]:
    src = resolved.source
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    utf8 = src.encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
    enc = "utf-8-sig" if utf8 else src.encoding
    if not utf8 and head.startswith(b"\xef\xbb\xbf"):
        # Decoded as a single-byte encoding the BOM would become part of the first column's
        # name ("\u00ef\u00bb\u00bfborrowernumber"); name the cause instead.
        raise InputError(path, f"the file starts with a UTF-8 byte-order mark but the config "
                               f"declares encoding '{src.encoding}'; set encoding = 'utf-8-sig'",
                         line=1, source=src.name)
    try:
        text = first_line.decode(enc)
    except UnicodeDecodeError:
        raise InputError(path, f"the header is not valid {src.encoding} text", line=1,
                         source=src.name) from None
    try:
        header = next(csv.reader(io.StringIO(text), delimiter=src.delimiter))
    except (csv.Error, StopIteration):
        raise InputError(path, "the header row cannot be parsed", line=1,
                         source=src.name) from None
    header = [h.strip() for h in header]
    if len(header) == 1:
        for other in _OTHER_DELIMITERS:
            if other != src.delimiter and other in text:
                shown = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}
                raise InputError(
                    path, f"wrong delimiter: the config declares {shown[src.delimiter]} but "
                          f"the header looks {shown[other]}-separated (set 'delimiter')",
                    line=1, source=src.name)
    for i, name in enumerate(header, start=1):
        if not name:
            raise InputError(path, f"header field {i} is empty", line=1, source=src.name)
        if name.startswith("__"):
            raise InputError(path, "column names starting with '__' are reserved by libstats",
                             line=1, column=name, source=src.name)
    seen = set()
    for name in header:
        if name in seen:
            raise InputError(path, "duplicate column name in the header", line=1, column=name,
                             source=src.name)
        seen.add(name)
    known = resolved.roles
    unknown = [name for name in header if name not in known]
    if unknown and len(unknown) * 2 > len(header):
        # Most names unknown: probably a file exported without a header row, whose first
        # line is data. Its "names" are values, so none is shown.
        raise InputError(
            path, f"line 1 does not look like a '{resolved.profile.name}' header "
                  f"({len(unknown)} of {len(header)} names unknown; names not shown): was the "
                  f"file exported without a header row, or is 'format' wrong?",
            line=1, source=src.name)
    if unknown:
        # One error listing every unknown column (header position), not one per run.
        listed = ", ".join(f"'{name}' (field {header.index(name) + 1})" for name in unknown)
        noun = "column" if len(unknown) == 1 else f"{len(unknown)} columns"
        raise InputError(
            path, f"unclassified {noun}: the '{resolved.profile.name}' profile does not "
                  f"know {listed}; give each a role under [[sources]] columns (e.g. \"drop\") "
                  f"if it is expected", line=1,
            column=unknown[0] if len(unknown) == 1 else None, source=src.name)
    for col, spec in resolved.profile.columns.items():
        needed = spec.required or col in resolved.fields.values() and \
            resolved.profile.name == "csv"
        if needed and col not in seen:
            raise InputError(path, f"required column is missing (format "
                                   f"'{resolved.profile.name}')", line=1, column=col,
                             source=src.name)
    return header


def _transcode(path: Path, encoding: str, dest: Path, source: str) -> Path:
    """Re-encode a file to UTF-8 in large chunks. Undecodable bytes become U+FFFD and are
    located afterwards (by line and column) from the loaded table."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with open(path, "rb") as src, open(dest, "w", encoding="utf-8", newline="") as out:
        for chunk in iter(lambda: src.read(_CHUNK), b""):
            out.write(decoder.decode(chunk))
        out.write(decoder.decode(b"", final=True))
    return dest


def load_source(con, resolved: ResolvedProfile, files: list[Path], work_dir: Path,
                progress=None, computed=None) -> IngestedSource:
    """Load every file of a source into table ``raw_<name>`` after the checks above.

    ``computed`` is an optional function of the header returning an SQL select list over the
    raw columns (each aliased with a ``__`` name), evaluated in the same pass, so a large
    export is parsed exactly once; the raw columns to store beside it (the others are not
    kept: their staged form is enough); and the raw columns whose values a computed column
    holds space-trimmed (raw name -> computed name: not stored twice). Without it every raw
    column is stored.
    """
    src = resolved.source
    table = f"raw_{src.name}"
    if not files:
        raise InputError(src.path, "no file matches this path pattern", source=src.name)
    utf8 = src.encoding.lower().replace("_", "-") in ("utf-8", "utf8")
    ingested: IngestedSource | None = None
    for n, path in enumerate(files):
        sheet = None
        if path.suffix.lower() == ".xlsx":
            if not resolved.profile.xlsx:
                raise InputError(path, f"this is an .xlsx workbook; the "
                                       f"'{resolved.profile.name}' format is read as CSV text "
                                       f"(save the sheet as CSV)", source=src.name)
            sheet = xlsx_to_csv(path, work_dir / f"{table}_{n}.xlsx.csv", src.name,
                                src.delimiter)
        with open(sheet or path, "rb") as fh:
            head = fh.read(64 * 1024)
        sniff_binary(path, head)
        header = _read_header(path, resolved, head)
        if ingested is None:
            ingested = IngestedSource(resolved, table, header)
            con.execute(f"DROP TABLE IF EXISTS {table}")
        elif header != ingested.header:
            raise InputError(path, "the header differs from the first file of this source "
                                   f"({ingested.files[0].path.name})", line=1, source=src.name)
        # The content hash (for the manifest and the twin check) is computed while DuckDB
        # reads the file: hashlib releases the GIL, so the two overlap.
        hashing = _HASHER.submit(sha256_file, path)
        info = FileInfo(path=path, sha256="", bytes=path.stat().st_size)
        read_path = sheet or path
        if not utf8 and sheet is None:
            info.transcoded = _transcode(path, src.encoding, work_dir / f"{table}_{n}.utf8.csv",
                                         src.name)
            read_path = info.transcoded
        info.first_rowid = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] \
            if ingested.files else 0
        extra, keep, staged_as = computed(header) if computed else (None, header, {})
        if not utf8 and sheet is None:
            keep, staged_as = header, {}  # undecodable bytes are looked for in every column
        if not ingested.files:
            ingested.stored = [c for c in header if c in keep and c not in staged_as]
            ingested.staged_as = {c: a for c, a in staged_as.items() if c in header}
        try:
            _copy_into(con, table, header, ingested.stored, read_path, path, src, extra,
                       create=not ingested.files)
        except _RejectedRow as bad:
            raise InputError(bad.path, bad.problem, column=bad.column, source=bad.source,
                             line=_physical_line(con, ingested, info, bad.record_line)) from None
        info.rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] - info.first_rowid
        info.sha256 = hashing.result()
        twin = next((f for f in ingested.files if f.sha256 == info.sha256), None)
        if twin is not None:
            raise InputError(path, f"this file has the same content as {twin.path.name}: its "
                                   f"rows would be counted twice (remove one, or narrow 'path')",
                             source=src.name)
        ingested.files.append(info)
        if not utf8 and sheet is None:
            _check_replacement_chars(con, ingested, info, src.encoding)
        if progress:
            progress(f"read {path.name}: {info.rows:,} rows")
    assert ingested is not None
    return ingested


def _copy_into(con, table: str, header: list[str], stored: list[str], read_path: Path,
               orig: Path, src, computed: str | None, create: bool) -> None:
    columns = "{" + ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}': 'VARCHAR'"
                              for c in header) + "}"
    rej, scan = f"_rej_{table}", f"_rejscan_{table}"
    con.execute(f"DROP TABLE IF EXISTS {rej}")
    con.execute(f"DROP TABLE IF EXISTS {scan}")
    select = ", ".join([*(q(c) for c in stored), *([computed] if computed else [])]) \
        or "NULL AS __empty"
    into = f"CREATE TABLE {table} AS" if create else f"INSERT INTO {table}"
    con.execute(
        f"{into} SELECT {select} FROM read_csv(?, header = true, auto_detect = false, "
        f"delim = ?, quote = '\"', escape = '\"', columns = {columns}, strict_mode = true, "
        f"null_padding = false, encoding = 'utf-8', store_rejects = true, "
        f"rejects_table = '{rej}', rejects_scan = '{scan}')",
        [str(read_path), src.delimiter])
    rejects = con.execute(
        f"SELECT line, column_name, error_type FROM {rej} ORDER BY line LIMIT 1").fetchall()
    if rejects:
        total = con.execute(f"SELECT count(DISTINCT line) FROM {rej}").fetchone()[0]
        line, column, error_type = rejects[0]
        problem = _REJECT_WORDS.get(str(error_type).upper(), "the row cannot be parsed")
        more = f" ({total - 1} more problem row(s) in this file)" if total > 1 else ""
        raise _RejectedRow(orig, problem + more, int(line), column or None, src.name)


class _RejectedRow(Exception):
    """A row DuckDB refused; its line is corrected for embedded newlines by the caller."""

    def __init__(self, path, problem, record_line, column, source):
        super().__init__(problem)
        self.path, self.problem, self.record_line, self.column, self.source = (
            path, problem, record_line, column, source)


def _check_replacement_chars(con, ingested: IngestedSource, info: FileInfo, encoding: str):
    cols = ingested.stored
    cond = " OR ".join(f"contains({q(c)}, chr(65533))" for c in cols)
    row = con.execute(
        f"SELECT min(rowid) FROM {ingested.table} WHERE rowid >= ? AND ({cond})",
        [info.first_rowid]).fetchone()[0]
    if row is None:
        return
    # Whether the original bytes really were undecodable, or a literal U+FFFD was transcoded.
    raw = info.path.read_bytes()
    try:
        raw.decode(encoding)
        return
    except UnicodeDecodeError:
        pass
    column = con.execute(
        f"SELECT {', '.join(f'contains({q(c)}, chr(65533))' for c in cols)} "
        f"FROM {ingested.table} WHERE rowid = ?", [row]).fetchone()
    name = next((c for c, hit in zip(cols, column) if hit), None)
    path, line = ingested.locate(con, row)
    raise InputError(path, f"bytes that are not valid {encoding} text", line=line, column=name,
                     source=ingested.name)
