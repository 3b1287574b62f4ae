"""The files of a source: found by pattern, hashed, refused when not text or duplicated, and
the loaded source they become (``IngestedSource``), which maps a row back to its file and line."""

from __future__ import annotations

import glob
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from libstats.errors import InputError
from libstats.profiles import ResolvedProfile
from libstats.sql import q

_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (an .xlsx workbook?)",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip file",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office file (.xls)",
    b"\x89PNG": "a PNG image",
    b"PAR1": "a Parquet file",
    b"SQLite format 3": "an SQLite database",
}
_CHUNK = 16 * 1024 * 1024


@dataclass
class FileInfo:
    path: Path
    sha256: str
    bytes: int
    rows: int = 0
    first_rowid: int = 0
    transcoded: Path | None = None


@dataclass
class IngestedSource:
    """A source loaded into ``table``; ``files`` in load order with their rowid ranges."""

    resolved: ResolvedProfile
    table: str
    header: list[str]
    files: list[FileInfo] = field(default_factory=list)
    stored: list[str] = field(default_factory=list)   # raw columns kept in the table
    # raw columns not kept because a staged column holds their value, space-trimmed and
    # empty as NULL (raw name -> staged name): the scans read that one instead
    staged_as: dict[str, str] = field(default_factory=dict)

    def scan_columns(self) -> list[tuple[str, str]]:
        """(raw column, column of the table holding its values) for every kept value."""
        return [(c, c) for c in self.stored] + list(self.staged_as.items())

    @property
    def name(self) -> str:
        return self.resolved.source.name

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def locate(self, con, rowid: int, column: str | None = None) -> tuple[Path, int]:
        """Map a table rowid back to (original file, physical line), counting embedded newlines.

        Only called on error paths, so it may scan.
        """
        for f in self.files:
            if f.first_rowid <= rowid < f.first_rowid + f.rows:
                record = rowid - f.first_rowid
                return f.path, record + 2 + self.newlines_between(con, f.first_rowid, rowid)
        raise AssertionError("rowid outside every file")  # pragma: no cover

    def newlines_between(self, con, first: int, stop: int) -> int:
        """Newlines inside the stored values of rows [first, stop): each adds a physical line
        to the file without adding a record."""
        held = [col for _, col in self.scan_columns()]
        if not held or stop <= first:
            return 0
        newline_expr = " + ".join(
            f"coalesce(len({q(c)}) - len(replace({q(c)}, chr(10), '')), 0)"
            for c in held)
        return int(con.execute(
            f"SELECT coalesce(sum({newline_expr}), 0) FROM {self.table} "
            f"WHERE rowid >= ? AND rowid < ?", [first, stop]).fetchone()[0])


def expand_paths(base_dir: Path, pattern: str) -> list[Path]:
    full = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)
    return sorted(Path(p) for p in glob.glob(full, recursive=True) if Path(p).is_file())


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def hashed_files(files: list[Path], source) -> list[FileInfo]:
    """Hash every file of a source; two files with the same content are refused (their
    records would be counted twice). ``source`` is the config's Source."""
    if not files:
        raise InputError(source.path, "no file matches this path pattern", source=source.name)
    infos: list[FileInfo] = []
    for path in files:
        info = FileInfo(path=path, sha256=sha256_file(path), bytes=path.stat().st_size)
        twin = next((f for f in infos if f.sha256 == info.sha256), None)
        if twin is not None:
            raise InputError(path, f"this file has the same content as {twin.path.name}: its "
                                   f"records would be counted twice", source=source.name)
        infos.append(info)
    return infos


def sniff_binary(path: Path, head: bytes) -> None:
    """Refuse an empty file, or one whose first bytes show it is not text."""
    if not head.strip():
        raise InputError(path, "the file is empty (no header row)")
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise InputError(path, f"this is not a CSV text file: it looks like {what}")
    if b"\x00" in head:
        raise InputError(path, "this is not a CSV text file: it contains NUL bytes (binary "
                               "data, or UTF-16 text declared as something else)")
