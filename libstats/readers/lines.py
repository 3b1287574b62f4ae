"""Reading text files as lines in DuckDB (plain or gzip), shared by the line-oriented readers
(RADIUS ``detail``, EZproxy logs). Failures name the file, never a line's content."""

from __future__ import annotations

import codecs
import gzip
import os
import zlib
from pathlib import Path

import duckdb

from libstats.errors import InputError
from libstats.sql import lit


def line_reader(path: Path) -> str:
    """A read_csv call that yields the file's lines in order, blank lines as NULL."""
    return (f"read_csv({lit(str(path))}, header = false, columns = {{'line': 'VARCHAR'}}, "
            f"delim = '\\x01', quote = '', escape = '', auto_detect = false, "
            f"strict_mode = false, null_padding = true, compression = 'auto')")


def check_text_file(path: Path, what: str) -> None:
    """Refuse empty, binary and mis-named gzip files before DuckDB reads them."""
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
        raise InputError(path, f"this is not {what}: it contains NUL bytes")


def gzip_failure(path: Path, source: str) -> InputError:
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


def read_lines(con, sql: str, paths: list[Path], source: str):
    """Run a query reading ``paths``; a read failure names the file (and, for a truncated
    gzip, the last complete line)."""
    try:
        return con.execute(sql)
    except (duckdb.IOException, duckdb.InvalidInputException) as exc:
        text = str(exc)
        for p in paths:
            if str(p) in text or p.name in text:
                raise gzip_failure(p, source) if p.suffix == ".gz" else InputError(
                    p, "the file cannot be read as text lines", source=source) from None
        for p in paths:                      # the message did not name it: find it
            if p.suffix == ".gz":
                err = gzip_failure(p, source)
                if err.line is not None:
                    raise err from None
        raise InputError(paths[0], "the files cannot be read as text lines",
                         source=source) from None


_CHUNK = 1 << 24
_BAD_AT: list[int] = []       # where the error handler met bytes that are not UTF-8


def _latin1_fallback(exc: UnicodeError):
    """Read a byte that is not part of UTF-8 as Latin-1 (every byte is a Latin-1 character,
    so nothing is lost and the line's other characters stay as written)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _BAD_AT.append(exc.start)
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


codecs.register_error("libstats-latin1", _latin1_fallback)


def utf8_lines(path: Path, dest: Path) -> tuple[Path, int, int | None]:
    """The file to read as text lines: ``path`` itself when it is UTF-8, otherwise a UTF-8
    copy written to ``dest`` (plain, mode 0600) in which each byte that is not part of UTF-8
    (a Latin-1 query string, an odd user agent) is read as Latin-1. Line ends are unchanged,
    so line numbers stay the file's. Returns the path, the number of lines that held such
    bytes and the first of them."""
    opener = gzip.open if path.suffix == ".gz" else open
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with opener(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        return path, 0, None
    except UnicodeDecodeError:
        pass
    bad_lines, first, seen, carry = 0, None, 0, b""
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with opener(path, "rb") as fh, open(fd, "w", encoding="utf-8", newline="") as out:
        while True:
            chunk = fh.read(_CHUNK)
            data = carry + chunk
            cut = data.rfind(b"\n") + 1 if chunk else len(data)
            block, carry = data[:cut], data[cut:]
            _BAD_AT.clear()
            out.write(block.decode("utf-8", errors="libstats-latin1"))
            last_line, pos_line, prev = None, seen, 0
            for pos in _BAD_AT:                       # only where bytes were not UTF-8
                pos_line += block.count(b"\n", prev, pos)
                prev = pos
                if pos_line != last_line:
                    bad_lines += 1
                    last_line = pos_line
                    first = pos_line + 1 if first is None else first
            seen += block.count(b"\n")
            if not chunk:
                break
    return dest, bad_lines, first
