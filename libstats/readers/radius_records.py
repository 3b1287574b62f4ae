"""The fast path of the RADIUS ``detail`` reader: records without a line-level pivot.

Each file is read once in Python in blocks of whole records (cut at a blank line, hashed as it
is read); each block goes to DuckDB as one value, and one query per block splits it into
records at the blank lines, each record into its lines, and takes the wanted attributes of a
record from its own list of lines (no GROUP BY over lines, no line numbering window: a record's
line is its block's first line plus the lines of the records before it in the block). Blocks
run on as many DuckDB cursors as DuckDB has threads, and are put together in file order.

It only takes files it can read exactly as the line reader would, and says so by returning
None: a file that is gzip-compressed and corrupt, not UTF-8, has carriage returns, blank lines
that are not exactly one empty line between records, a line that is not ``<TAB>Attribute =
value``, an unclosed quoted value, a tagged or repeated attribute, an attribute the profile does
not know, or any record the reader's checks would stop at. The caller then reads the files with
the line reader (``radius.load_lines``), which finds the file, line and attribute of the
problem and stops, or reads the file as it always did. Nothing here names a value.
"""

from __future__ import annotations

import gzip
import hashlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from libstats.errors import InputError
from libstats.readers.files import FileInfo, sha256_file
from libstats.readers.lines import check_text_file
from libstats.sql import lit, q

BLOCK = 16 << 20                 # bytes of a block (whole records; more when a record is longer)
_SEP = b"\n\n"


class Fallback(Exception):
    """The files need the line reader (see the module docstring)."""


def _blocks(path: Path, sha):
    """(first line number - 1, bytes) of each block of whole records of a file, in order;
    hashes a plain file's bytes as they are read (a .gz is hashed by the caller)."""
    gz = path.suffix == ".gz"
    raw = open(path, "rb")
    try:
        fh = gzip.GzipFile(fileobj=raw) if gz else raw
        line0, carry = 0, b""
        while True:
            try:
                chunk = fh.read(BLOCK)
            except (OSError, EOFError) as exc:          # corrupt gzip: the line reader says
                raise Fallback() from exc
            if not gz:
                sha.update(chunk)
            data = carry + chunk
            if chunk:
                cut = data.rfind(_SEP)
                if cut < 0:
                    carry = data
                    continue
                block, carry = data[:cut], data[cut + 2:]
            else:
                block, carry = data.rstrip(b"\n"), b""
            if b"\r" in block:
                raise Fallback()
            if block:
                yield line0, block
            line0 += block.count(b"\n") + 2
            if not chunk:
                return
    finally:
        raw.close()


def _value(name: str) -> str:
    """The value of a stored '<TAB>Name = value<LF>' line as the line reader takes it: after
    ``' = '`` (a fixed offset: the name is the column's), unquoted; the block parser made sure
    the value is not empty, has no trailing spaces and that a quoted one is closed."""
    line, k = q(name), len(name) + 5
    return (f"CASE WHEN substr({line}, {k}, 1) = '\"' "
            f"THEN replace(substr({line}, {k + 1}, length({line}) - {k + 2}), '\\\"', '\"') "
            f"ELSE substr({line}, {k}, length({line}) - {k}) END")


_TAB, _SPACE, _EQ, _QUOTE, _NL = 9, 32, 61, 34, 10
MAX_NAME = 64


def _parse_block(block: bytes, known: dict[bytes, str], wanted: set[str], status: str,
                 file_no: int, line0: int):
    """One block of whole records as an Arrow table (one row per record: ``__file``, ``__ln``,
    ``__head``, ``__status_ln`` and each wanted attribute's whole line) and the attribute names
    present; numpy finds the lines, records and names (vectorized, no per-line Python).
    Raises Fallback for anything the line reader must look at."""
    import numpy as np                      # noqa: PLC0415 (only this reader needs them)
    import pyarrow as pa                    # noqa: PLC0415
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        raise Fallback() from None
    data = block + b"\n" + bytes(MAX_NAME + 16)
    arr = np.frombuffer(data, np.uint8)
    nl = np.flatnonzero(arr[:len(block) + 1] == _NL)
    starts = np.empty(len(nl), np.int64)
    starts[0] = 0
    starts[1:] = nl[:-1] + 1
    ends = nl
    nonblank = ends > starts
    first = arr[starts]
    head = nonblank & (first != _TAB) & (first != _SPACE)
    if not head[0]:
        raise Fallback()
    attr = nonblank & ~head
    a_idx = np.flatnonzero(attr)
    s1, a_end = starts[a_idx] + 1, ends[a_idx]
    if np.any(first[a_idx] != _TAB) or np.any((arr[s1] == _TAB) | (arr[s1] == _SPACE)):
        raise Fallback()
    eqs = np.flatnonzero(arr[:len(block)] == _EQ)
    j = np.searchsorted(eqs, s1)
    if np.any(j >= len(eqs)):
        raise Fallback()
    eq = eqs[j]
    # exactly '<TAB>Name = value': one space each side of the first '='
    if (np.any(eq + 1 >= a_end) or np.any(arr[eq - 1] != _SPACE) or np.any(arr[eq + 1] != _SPACE)
            or np.any((arr[eq - 2] == _SPACE) | (arr[eq - 2] == _TAB))
            or np.any((eq + 2 < a_end) & (arr[eq + 2] == _SPACE))):
        raise Fallback()
    vs = eq + 2                                  # a quoted value must end with its quote
    quoted = arr[vs] == _QUOTE
    if (np.any(vs >= a_end) or np.any(arr[a_end - 1] == _SPACE)
            or np.any(quoted & ((a_end - 1 <= vs) | (arr[a_end - 1] != _QUOTE)))):
        raise Fallback()                         # an empty value, trailing spaces, open quote
    n_len = eq - 1 - s1
    if len(n_len) and int(n_len.max()) > MAX_NAME:
        raise Fallback()
    # Each name as MAX_NAME // 8 little-endian words (bytes past its end zeroed), read with
    # unaligned 8-byte strides; names compared exactly on those words.
    words = np.ndarray(shape=(len(data) - 7,), dtype="<u8", buffer=data, strides=(1,))
    n_words = max(1, (int(n_len.max()) + 7) // 8) if len(n_len) else 1
    grid = np.empty((len(s1), n_words), np.uint64)
    for w in range(n_words):
        keep = np.clip(n_len - 8 * w, 0, 8).astype(np.uint64)
        mask = np.where(keep >= 8, np.uint64(0xFFFFFFFFFFFFFFFF),
                        (np.uint64(1) << (keep * np.uint64(8))) - np.uint64(1))
        grid[:, w] = words[s1 + 8 * w] & mask
    key = n_len.astype(np.uint64)
    for w in range(n_words):
        key = key * np.uint64(0x9E3779B97F4A7C15) + grid[:, w]
    # The distinct names (a few per file): one vector pass per name, each name's lines
    # checked to hold exactly its bytes (two names with one key are never merged).
    groups: list[tuple[str, np.ndarray]] = []
    left = np.ones(len(key), bool)
    while left.any():
        i = int(np.argmax(left))
        m = key == key[i]
        if not (grid[m] == grid[i]).all():
            raise Fallback()
        u = bytes(data[s1[i]:s1[i] + n_len[i]])
        if u not in known:                     # tagged, unknown, or not a name at all
            raise Fallback()
        groups.append((known[u], m))
        left &= ~m
    rec = np.cumsum(head) - 1
    h_idx = np.flatnonzero(head)
    n_rec = len(h_idx)
    offsets = np.empty(len(starts) + 1, np.int32)
    offsets[:-1] = starts
    offsets[-1] = len(block) + 1
    lines = pa.StringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(data))
    out = {"__file": pa.array(np.full(n_rec, file_no, np.int32)),
           "__ln": pa.array(line0 + 1 + h_idx),
           "__head": lines.take(pa.array(h_idx))}
    a_rec = rec[a_idx]
    for name, m in groups:
        if name not in wanted and name != status:
            continue
        r = a_rec[m]
        if np.any(np.diff(r) <= 0):             # twice in a record: the line reader decides
            raise Fallback()
        at = np.full(n_rec, -1, np.int64)
        at[r] = a_idx[m]
        if name == status:
            ln = np.where(at >= 0, line0 + 1 + at, 0)
            out["__status_ln"] = pa.array(ln, mask=at < 0)
        if name in wanted:
            out[name] = lines.take(pa.array(at, mask=at < 0))
    present = [name for name, _ in groups]
    return pa.table(out), set(present)


def read_records(con, resolved, files: list[Path], table: str, ing, check) -> bool:
    """Load the files into ``table`` (one row per record) the fast way and run ``check``
    (the reader's record checks: a list of failing ones, empty when none fail); False when
    the files need the line reader, with nothing left behind."""
    try:
        for path in files:
            check_text_file(path, "a RADIUS detail text file")
    except InputError:
        return False
    import pyarrow as pa                    # noqa: PLC0415 (only this reader needs it)
    threads = max(1, int(con.execute("SELECT current_setting('threads')").fetchone()[0]))
    stage = f"_rad_stage_{resolved.source.name}"
    known = {n.encode("utf-8"): n for n in resolved.roles}
    wanted = {a for a in resolved.roles if a in resolved.fields.values() or resolved.scanned(a)}
    status = resolved.fields["status"]
    present: set[str] = set()
    columns: list[str] = []
    batch: list = []

    def flush():
        """Put the parsed blocks into the stage table, in order (DuckDB copies them)."""
        if not batch:
            return
        tbl = pa.concat_tables(batch, promote_options="default")
        for c in tbl.column_names:
            if c not in columns:
                con.execute(f"ALTER TABLE {stage} ADD COLUMN {q(c)} "
                            f"{'BIGINT' if c == '__status_ln' else 'VARCHAR'}")
                columns.append(c)
        con.register("_rad_arrow", tbl)
        con.execute(f"INSERT INTO {stage} BY NAME SELECT * FROM _rad_arrow")
        con.unregister("_rad_arrow")
        batch.clear()

    infos: list[FileInfo] = []
    con.execute(f"CREATE OR REPLACE TABLE {stage} (__file INTEGER, __ln BIGINT, "
                f"__head VARCHAR)")
    columns += ["__file", "__ln", "__head"]
    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            pending, held = [], 0

            def take():
                nonlocal held
                tbl, names = pending.pop(0).result()
                present.update(names)
                batch.append(tbl)
                held += tbl.num_rows
                if held >= 250_000:
                    flush()
                    held = 0
            for file_no, path in enumerate(files):
                sha = hashlib.sha256()
                for line0, block in _blocks(path, sha):
                    pending.append(pool.submit(_parse_block, block, known, wanted, status,
                                               file_no, line0))
                    if len(pending) > threads:
                        take()
                digest = sha256_file(path) if path.suffix == ".gz" else sha.hexdigest()
                infos.append(FileInfo(path=path, sha256=digest, bytes=path.stat().st_size))
            while pending:
                take()
            flush()
    except (Fallback, duckdb.Error):
        con.execute(f"DROP TABLE IF EXISTS {stage}")
        return False
    if len({i.sha256 for i in infos}) < len(infos):
        con.execute(f"DROP TABLE {stage}")   # twin files: the line reader's hashing says so
        return False

    valid = sorted(present)
    used = [a for a in valid if a in resolved.fields.values()]
    wanted = [a for a in valid if a in used or resolved.scanned(a)]
    status_ln = "__status_ln" if "__status_ln" in columns else "NULL::BIGINT"
    cols = "".join(f", {_value(a)} AS {q(a)}" for a in wanted)
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"""
        CREATE TABLE {table} AS
        SELECT __file, __ln, rtrim(__head, chr(10)) AS __head, NULL::BIGINT AS __bad_ln,
               {status_ln} AS __status_ln, NULL::VARCHAR AS __conflict,
               NULL::BIGINT AS __conflict_ln{cols}
        FROM {stage}""")
    con.execute(f"DROP TABLE {stage}")
    ing.header = valid
    ing.stored = [a for a in wanted if resolved.scanned(a)]
    ing.repeated = []
    ing.values_table = None
    con.execute(f"DROP TABLE IF EXISTS {table}__values")
    ing.files = infos
    for i, n in con.execute(f"SELECT __file, count(*) FROM {table} GROUP BY ALL").fetchall():
        infos[i].rows = int(n)
    if check(con, ing):
        con.execute(f"DROP TABLE {table}")
        return False
    return True
