"""Reading a ``counter_r5`` source: every file checked and parsed, its figures loaded into
``raw_<source>``; overlapping files refused."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from libstats.errors import InputError
from libstats.profiles import ResolvedProfile
from libstats.readers.counter.report import COLUMNS, TYPES, CounterStop, Report
from libstats.readers.counter.sushi import read_json
from libstats.readers.counter.tabular import read_tabular
from libstats.readers.counter.tabular_sql import drop
from libstats.readers.files import IngestedSource, hashed_files, sniff_binary
from libstats.sql import q


class CounterSource(IngestedSource):
    """A loaded ``counter_r5`` source: one row per figure; ``__file`` is the file's index in
    ``files`` and ``__line`` the figure's row (tabular) or the line its JSON object starts.

    ``warnings``: per file, what was read but deserves the steward's eye (informational
    COUNTER exceptions, names in another case or spacing) as ``{file, line, column, what,
    count}``; ``quarantined``: the broken reports left out, ``{file, line, column, problem}``
    (the problem is libstats' own text: never a value)."""

    warnings: list[dict]
    quarantined: list[dict]

    def locate(self, con, rowid: int, column: str | None = None) -> tuple[Path, int]:
        file_no, line = con.execute(f"SELECT __file, __line FROM {self.table} WHERE rowid = ?",
                                    [rowid]).fetchone()
        return self.files[int(file_no)].path, int(line)




def _read_file(rep: Report, con=None) -> None:
    data = rep.path.read_bytes()
    sniff_binary(rep.path, data[:4096])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        rep.fail("the file is not UTF-8 text", data.count(b"\n", 0, exc.start) + 1)
    if text.lstrip()[:1] == "{":
        return read_json(rep, text)
    suffix = rep.path.suffix.lower()
    tab = suffix == ".tsv" or (suffix != ".csv" and "\t" in text.split("\n", 1)[0])
    read_tabular(rep, text, "\t" if tab else ",", con)


def load_counter(con, resolved: ResolvedProfile, files: list[Path], progress=None,
                 max_bad_share: float = 0.0) -> CounterSource:
    """Read, check and load every report of a ``counter_r5`` source into ``raw_<name>``.

    A report that cannot be read is quarantined (left out, named in ``quarantined``) and the
    others are read; the source stops, with the first broken report's error, when more than
    ``max_bad_share`` of its reports are broken, or all of them. An error exception in a
    report (``CounterStop``) always stops."""
    src = resolved.source
    table = f"raw_{src.name}"
    infos = hashed_files(files, src)
    ing = CounterSource(resolved, table, list(COLUMNS), stored=[])
    ing.files, ing.warnings, ing.quarantined = infos, [], []
    parts: list = []          # per file read: its staged DuckDB table or its Python rows
    total = 0
    first_error: InputError | None = None
    try:
        for n, (path, info) in enumerate(zip(files, infos)):
            rep = Report(path, n, src.name)
            try:
                _read_file(rep, con)
            except CounterStop:
                raise
            except InputError as exc:
                first_error = first_error or exc
                ing.quarantined.append({"file": path, "line": exc.line, "column": exc.column,
                                        "problem": exc.problem})
                info.first_rowid, info.rows = total, 0
                if progress:
                    progress(f"warning: {path.name} cannot be read as a COUNTER report "
                             f"(line {exc.line}): quarantined")
                continue
            count = rep.staged[2] if rep.staged else len(rep.rows)
            info.first_rowid, info.rows = total, count
            total += count
            parts.append(rep.staged or rep.rows)
            ing.warnings += [{"file": path, **w} for w in rep.warnings]
            if progress:
                progress(f"read {path.name}: {rep.report_id} R{rep.release}, "
                         f"{info.rows:,} figures")
                for w in rep.warnings:
                    progress(f"warning: {path.name}, line {w['line']}, column '{w['column']}': "
                             f"{w['what']}" + (f" ({w['count']} times)" if w["count"] > 1 else ""))
        bad = len(ing.quarantined)
        if bad and (bad > max_bad_share * len(files) or bad == len(files)):
            if len(files) == 1:
                raise first_error
            raise InputError(first_error.path, f"{first_error.problem} ({bad} of {len(files)} "
                             f"report(s) of the source cannot be read, more than [eresources] "
                             f"max_bad_report_share = {max_bad_share:g})", line=first_error.line,
                             column=first_error.column, source=src.name) from None
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"CREATE TABLE {table} ("
                    + ", ".join(f"{q(c)} {TYPES.get(c, 'VARCHAR')}" for c in COLUMNS) + ")")
        for part in parts:
            if isinstance(part, tuple):
                con.execute(f"INSERT INTO {table} {part[1]}")
            elif part:
                frame = pd.DataFrame(part, columns=COLUMNS)
                con.register(f"_{table}_frame", frame)
                try:
                    con.execute(f"INSERT INTO {table} SELECT * FROM _{table}_frame")
                finally:
                    con.unregister(f"_{table}_frame")
    finally:
        for part in parts:
            if isinstance(part, tuple):
                drop(con, part[0])
    return ing


def check_overlaps(con, sources: list[CounterSource]) -> None:
    """Two files covering the same report family, database (native) name and month would
    count that month twice: stop, naming the later file, its first overlapping line and the
    earlier file."""
    files, parts = [], []
    for src in sources:
        # TR_B1 (books) and TR_J1 (journals) of one platform hold different titles; a full
        # TR holds both.
        scope = ("unnest(CASE report_id WHEN 'TR_B1' THEN ['B'] WHEN 'TR_J1' THEN ['J'] "
                 "WHEN 'TR' THEN ['B', 'J'] ELSE [''] END)")
        parts.append(f"SELECT {len(files)} + __file AS ord, __line, report_family, native_name, "
                     f"month, {scope} AS scope FROM {src.table}")
        files += [(src, info) for info in src.files]
    if not parts:
        return
    row = con.execute(
        f"WITH r AS ({' UNION ALL '.join(parts)}), k AS (SELECT *, min(ord) OVER "
        f"(PARTITION BY report_family, native_name, month, scope) AS first_ord FROM r) "
        f"SELECT ord, __line, first_ord, report_family FROM k WHERE ord <> first_ord "
        f"ORDER BY ord, __line LIMIT 1").fetchone()
    if row is None:
        return
    (src, later), (_, earlier) = files[row[0]], files[row[2]]
    name_col = "Platform" if row[3] in ("PR", "TR") else "Database"
    raise InputError(later.path, f"this {row[3]} report covers a {name_col} and month that "
                                 f"{earlier.path.name} also covers: the usage would be counted "
                                 f"twice (remove one file, or narrow 'path')",
                     line=int(row[1]), column=name_col, source=src.name)
