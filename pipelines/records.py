"""What the service domains (computers, web, programs, ILL) share: reading a CSV source,
what the SQL needs to know about it, and the value checks on its staged rows (the first bad
record named by file, line and column, never its value)."""

from __future__ import annotations

from pathlib import Path

from libstats.config import Config
from libstats.errors import InputError
from libstats.profiles import DEFAULT_DATE_FORMATS, DEFAULT_TIMESTAMP_FORMATS, ResolvedProfile
from libstats.readers import csv as csv_reader
from libstats.readers.files import IngestedSource
from libstats.readers.staged import StagedSource
from libstats.readers.values import EMPTY, raise_at
from pipelines.context import Run

__all__ = ["EMPTY", "check_rows", "load_csv", "staged_source", "table_exists"]


def load_csv(run: Run, resolved: ResolvedProfile, files: list[Path]) -> IngestedSource:
    """Read one CSV source into ``raw_<name>``. A file that starts with a ``#`` comment block
    (a Google Analytics "Download file" CSV) stops the run before it is parsed."""
    for path in files:
        with open(path, "rb") as fh:
            head = fh.read(4).removeprefix(b"\xef\xbb\xbf")
        if head.startswith(b"#"):
            raise InputError(path, "the file starts with '#' comment lines (a Google "
                                   "Analytics download): delete the comment block so that the "
                                   "header row comes first", line=1,
                             source=resolved.source.name)
    return csv_reader.load_source(run.con, resolved, files, run.work_dir, run.progress)


def staged_source(ing: IngestedSource, config: Config) -> StagedSource:
    r = ing.resolved
    src = r.source
    present = set(ing.header)
    return StagedSource(
        name=src.name, table=ing.table,
        fields={f: c for f, c in r.fields.items() if c in present},
        timezone=src.timezone or r.profile.timezone or config.timezone, domains={},
        timestamp_formats=(src.timestamp_format,) if src.timestamp_format
        else DEFAULT_TIMESTAMP_FORMATS,
        date_formats=(src.date_format,) if src.date_format else DEFAULT_DATE_FORMATS)


def check_rows(con, ing: IngestedSource, view: str,
               checks: list[tuple[str, str | None, str]]) -> None:
    """Stop at the first record (lowest rowid) of ``view`` meeting any check's condition:
    (condition, raw column, problem)."""
    checks = [c for c in checks if c[1] is not None]
    if not checks:
        return
    flags = ", ".join(f"min(_rec) FILTER (WHERE {c}), count(*) FILTER (WHERE {c})"
                      for c, _, _ in checks)
    row = con.execute(f"SELECT {flags} FROM {view}").fetchone()
    found = [(row[2 * i], row[2 * i + 1], col, problem)
             for i, (_, col, problem) in enumerate(checks) if row[2 * i] is not None]
    if found:
        rowid, n, col, problem = min(found, key=lambda f: f[0])
        raise_at(con, ing, int(rowid), int(n), col, problem)


def table_exists(con, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables "
                            "WHERE table_name = ?", [name]).fetchone()[0])
