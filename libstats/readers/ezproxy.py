"""Read EZproxy logs (``ezproxy.log`` and LogSPU files; plain or gzip) into DuckDB, one row per
line, with one VARCHAR column per LogFormat directive (docs/eresources.md §2-3).

1. **lines**: each file is read as lines in order and numbered (a streaming window, one thread);
   everything after runs in parallel on the stored table. Real logs carry bytes that are not
   UTF-8 (Latin-1 query strings, odd user agents): such a file is read through a UTF-8 copy
   in the run's private work folder in which those bytes are read as Latin-1; the lines
   holding them are counted (with the first one's number) for the steward report.
2. **parse**: each line is matched against the source's formats in order (one anchored RE2
   pattern each; a later pattern is tried only where the earlier ones failed). ``-`` and empty
   fields become NULL. The time is parsed with its UTC offset.
3. **bad lines**: a line no format matches, or whose time is not a time, is written with its file
   and line number to the quarantine file (raw zone, mode 0600) and counted; the run goes on
   unless more than ``max_bad_line_share`` of the source's lines are bad.

Errors name the file, the line and the directive, never a value.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

from libstats.errors import InputError
from libstats.profiles import ResolvedProfile
from libstats.profiles.eresources import ezproxy_profile
from libstats.readers.files import IngestedSource, hashed_files
from libstats.readers.lines import check_text_file, line_reader, read_lines, utf8_lines
from libstats.readers.logformat import LogFormat
from libstats.sql import lit, q

EZPROXY_TIME = "%d/%b/%Y:%H:%M:%S %z"


@dataclass
class BadLines:
    count: int = 0
    lines: int = 0                  # non-blank lines read
    first_file: str | None = None
    first_line: int | None = None
    quarantine: Path | None = None


class EzproxySource(IngestedSource):
    """A loaded EZproxy source: rows are non-blank lines; ``__file`` is the file's index in
    ``files`` and ``__ln`` the line number in that file."""

    formats: list[LogFormat]
    bad: BadLines
    non_utf8: list[dict]            # {file, lines, first_line}: lines read with Latin-1 bytes

    def locate(self, con, rowid: int, column: str | None = None) -> tuple[Path, int]:
        file_no, ln = con.execute(f"SELECT __file, __ln FROM {self.table} WHERE rowid = ?",
                                  [rowid]).fetchone()
        return self.files[int(file_no)].path, int(ln)


def _absent(expr: str) -> str:
    return f"nullif(nullif({expr}, '-'), '')"


def load_ezproxy(con, resolved: ResolvedProfile, files: list[Path], quarantine: Path,
                 max_bad_share: float, progress=None,
                 work_dir: Path | None = None, keep_text: bool = False,
                 formats: list[LogFormat] | None = None) -> EzproxySource:
    """Load every file of an EZproxy source into ``raw_<name>``; bad lines go to
    ``quarantine`` (a file path; written only when there are bad lines: file, line and
    reason, and the line's text only with ``keep_text``). UTF-8 copies of
    files that are not UTF-8 are made in ``work_dir`` (default: the quarantine's folder) and
    removed once read. ``formats``: the parsed LogFormats when the source is not EZproxy's
    (a web server's access log); by default the source's EZproxy formats."""
    src = resolved.source
    table = f"raw_{src.name}"
    lines = f"_lines_{src.name}"
    infos = hashed_files(files, src)
    for path in files:
        check_text_file(path, "an EZproxy log text file")
    if formats is None:
        _, formats = ezproxy_profile(src.format, src.log_format)
    ing = EzproxySource(resolved, table, [])
    ing.files, ing.formats, ing.bad, ing.non_utf8 = infos, formats, BadLines(), []

    con.execute(f"CREATE OR REPLACE TABLE {lines} (file INTEGER, ln BIGINT, line VARCHAR)")
    folder = work_dir or quarantine.parent
    for i, path in enumerate(files):
        insert = f"INSERT INTO {lines} SELECT {i}, row_number() OVER (), line FROM "
        try:
            read_lines(con, insert + line_reader(path), [path], src.name)
            continue
        except InputError as failed:
            # DuckDB reads UTF-8 only. A log with bytes that are not (Latin-1 query strings,
            # odd user agents) is copied to UTF-8 and read again; the copy is made only then,
            # so a UTF-8 log is read once. (A failed INSERT adds no row.)
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            read, n_latin1, first = utf8_lines(path, folder / f"_{src.name}_{i}.utf8.log")
            if read == path:
                raise failed from None      # valid UTF-8: not an encoding problem
        try:
            read_lines(con, insert + line_reader(read), [read], src.name)
        except InputError as exc:
            raise InputError(path, exc.problem, line=exc.line, source=src.name) from None
        finally:
            read.unlink(missing_ok=True)
        ing.non_utf8.append({"file": path, "lines": n_latin1, "first_line": first})
    _check_line_numbers(con, lines, files, src.name)

    # One struct per format, g0..gn in directive order; a format is tried only where the
    # formats before it did not match (its time group is never empty on a match). Lateral
    # references let each format's struct see the earlier ones.
    columns = sorted({d.column for f in formats for d in f.directives})
    matches, which = [], []
    for k, fmt in enumerate(formats):
        names = "[" + ", ".join(lit(f"g{j}") for j in range(len(fmt.directives))) + "]"
        earlier = " AND ".join(f"m{i}['{_time_group(formats[i])}'] = ''" for i in range(k))
        extract = f"regexp_extract(line, {lit(fmt.pattern)}, {names})"
        matches.append(f"CASE WHEN {earlier} THEN {extract} END AS m{k}" if k else
                       f"{extract} AS m{k}")
        which.append(f"WHEN m{k}['{_time_group(fmt)}'] <> '' THEN {k}")
    picks = []
    for col in columns:
        alts = [f"WHEN {k} THEN m{k}['g{j}']" for k, f in enumerate(formats)
                for j, d in enumerate(f.directives) if d.column == col]
        picks.append(f"{_absent(f'CASE __fmt {chr(32).join(alts)} END')} AS {q(col)}")
    time_col = q(next(d.column for d in formats[0].directives if d.field == "time"))
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"""
        CREATE TABLE {table} AS
        WITH m AS (SELECT file, ln, {', '.join(matches)} FROM {lines}
                   WHERE line IS NOT NULL AND trim(line) <> ''),
             f AS (SELECT *, CASE {' '.join(which)} END AS __fmt FROM m),
             p AS (SELECT file AS __file, ln AS __ln, __fmt, {', '.join(picks)} FROM f)
        SELECT *, try_strptime({time_col}, {lit(EZPROXY_TIME)}) AS __ts
        FROM p""")
    ing.header = columns
    ing.stored = [c for c in columns if resolved.scanned(c)]
    for i, n in con.execute(f"SELECT __file, count(*) FROM {table} GROUP BY ALL").fetchall():
        infos[i].rows = int(n)

    status = next((d.column for f in formats for d in f.directives if d.field == "status"),
                  None)
    bad_status = (f"({q(status)} IS NOT NULL AND NOT regexp_full_match({q(status)}, "
                  f"'[0-9]{{3}}'))" if status else "false")
    bad = f"__fmt IS NULL OR __ts IS NULL OR {bad_status}"
    reason = (f"CASE WHEN __fmt IS NULL THEN 'matches no LogFormat' WHEN __ts IS NULL THEN "
              f"'time is not a timestamp' ELSE 'status is not a 3-digit code' END")
    n_bad, total = con.execute(f"SELECT count(*) FILTER (WHERE {bad}), count(*) FROM {table}"
                               ).fetchone()
    ing.bad.count, ing.bad.lines = int(n_bad), int(total)
    if quarantine.exists():
        quarantine.unlink()          # an earlier run's bad lines, fixed since
    for i, info in enumerate(infos):
        if info.rows == 0:
            raise InputError(files[i], "the file holds no log line", source=src.name)
    if n_bad:
        f_no, ln = con.execute(f"SELECT __file, __ln FROM {table} WHERE {bad} "
                               f"ORDER BY __file, __ln LIMIT 1").fetchone()
        ing.bad.first_file, ing.bad.first_line = str(files[f_no]), int(ln)
        _quarantine(con, table, lines, bad, files, quarantine, reason, keep_text)
        ing.bad.quarantine = quarantine
        if n_bad > max_bad_share * total or n_bad == total:
            raise InputError(files[f_no], f"the line does not match the source's LogFormat "
                             f"(or its time or status is not one): {n_bad:,} of {total:,} lines are "
                             f"bad, more than [eresources] max_bad_line_share = "
                             f"{max_bad_share:g}; they are listed in {quarantine}",
                             line=int(ln), source=src.name)
        con.execute(f"DELETE FROM {table} WHERE {bad}")
    con.execute(f"DROP TABLE {lines}")
    if progress:
        progress(f"read {len(files)} EZproxy file(s) of '{src.name}': {total:,} lines"
                 + (f", {n_bad:,} bad (quarantined)" if n_bad else ""))
    return ing


def _check_line_numbers(con, lines: str, files: list[Path], source: str) -> None:
    """DuckDB also ends a line at a lone carriage return, and at a CRLF among LF lines it
    counts one line too many; then its line numbers would not be the file's. Compare with the
    newlines counted here; on a mismatch, name the line of the first ``\\r``."""
    got = dict(con.execute(f"SELECT file, max(ln) FROM {lines} GROUP BY ALL").fetchall())
    for i, path in enumerate(files):
        opener = gzip.open if path.suffix == ".gz" else open
        newlines, last = 0, b"\n"
        with opener(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 24), b""):
                newlines += chunk.count(b"\n")
                last = chunk[-1:]
        if got.get(i, 0) == newlines + (last != b"\n"):
            continue
        first_cr, seen = None, 0
        with opener(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 24), b""):
                pos = chunk.find(b"\r")
                if pos >= 0:
                    first_cr = seen + chunk.count(b"\n", 0, pos) + 1
                    break
                seen += chunk.count(b"\n")
        raise InputError(path, "the file mixes line endings (a carriage return \\r among "
                               "\\n line ends), so line numbers cannot be trusted: convert it "
                               "to Unix (\\n) or Windows (\\r\\n) line endings",
                         line=first_cr, source=source)


def _time_group(fmt: LogFormat) -> str:
    return f"g{next(j for j, d in enumerate(fmt.directives) if d.field == 'time')}"


def _quarantine(con, table: str, lines: str, bad: str, files: list[Path], path: Path,
                reason: str, keep_text: bool = False) -> None:
    """The bad lines' file, line number and reason (and, with ``keep_text``, the line as
    received): raw zone only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    names = " ".join(f"WHEN {i} THEN {lit(p.name)}" for i, p in enumerate(files))
    tmp = path.with_name(f"{path.name}.part-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    con.execute(f"""
        COPY (SELECT CASE l.file {names} END AS file, l.ln AS line, b.reason
                     {', l.line AS text' if keep_text else ''}
              FROM {lines} AS l JOIN (SELECT __file, __ln, {reason} AS reason FROM {table}
                                      WHERE {bad}) AS b
              ON b.__file = l.file AND b.__ln = l.ln ORDER BY l.file, l.ln)
        TO {lit(str(tmp))} (FORMAT csv, DELIMITER '\t', HEADER true)""")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
