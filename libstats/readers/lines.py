"""Reading text files as lines in DuckDB (plain or gzip), shared by the line-oriented readers
(RADIUS ``detail``, EZproxy logs). Failures name the file, never a line's content."""

from __future__ import annotations

import gzip
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
