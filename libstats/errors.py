"""Errors that end a run, each mapped to a CLI exit code.

Every message is written by libstats itself and names files, lines, columns, config keys and
check names, never a data value: exception text may end up in logs, CI output or tickets.
"""

from __future__ import annotations

import os
from pathlib import Path

EXIT_PUBLISHED = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3
EXIT_BUSY = 4          # another run of the library and fiscal year holds the run lock
EXIT_OS_ERROR = 5      # the operating system refused a read or write (disk full, permission...)


class LibstatsError(Exception):
    """Base class: a run-ending condition with a message that is safe to print."""

    exit_code = EXIT_INTERNAL


class ConfigError(LibstatsError):
    """The configuration file is missing, malformed or invalid (exit 2)."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, path: Path | str, key: str | None, problem: str):
        self.path, self.key, self.problem = str(path), key, problem
        where = f"{self.path}: key '{key}'" if key else self.path
        super().__init__(f"config error in {where}: {problem}")


class KeyMaterialError(LibstatsError):
    """The pseudonymization key is missing, unreadable or too short (exit 2)."""

    exit_code = EXIT_BAD_INPUT


class InputError(LibstatsError):
    """An input file cannot be read as declared (exit 2).

    Names the file and, where known, the physical line (1-based, header = line 1) and column.
    """

    exit_code = EXIT_BAD_INPUT

    def __init__(self, path: Path | str, problem: str, *, line: int | None = None,
                 column: str | None = None, source: str | None = None):
        self.path, self.problem, self.line, self.column, self.source = (
            str(path), problem, line, column, source)
        parts = [f"{self.path}"]
        if line is not None:
            parts.append(f"line {line}")
        if column is not None:
            parts.append(f"column '{column}'")
        prefix = ", ".join(parts)
        src = f" (source '{source}')" if source else ""
        super().__init__(f"bad input in {prefix}{src}: {problem}")


class NoDataError(LibstatsError):
    """The exports hold nothing to publish for the period asked for (exit 2)."""

    exit_code = EXIT_BAD_INPUT


class CheckFailed(LibstatsError):
    """One or more leak or quality checks failed; nothing was published (exit 1)."""

    exit_code = EXIT_CHECK_FAILED

    def __init__(self, failures: list):
        self.failures = failures
        lines = [f"  - {f.describe()}" for f in failures]
        super().__init__(
            f"{len(failures)} check(s) failed; nothing was published:\n" + "\n".join(lines))


class BudgetExceeded(LibstatsError):
    """New differential-privacy draws would take the fiscal year past its ε budget; nothing
    was published (exit 1)."""

    exit_code = EXIT_CHECK_FAILED

    def __init__(self, fiscal_year: str, budget: float, spent: float, needed: float,
                 tables: list[str]):
        super().__init__(
            f"the differential-privacy budget of {fiscal_year} is ε = {budget:g}; earlier "
            f"releases of the year spent {spent:g} and this run needs {needed:g} more for "
            f"{', '.join(tables)}; nothing was published. A figure already drawn is shown "
            f"again at no cost when its counts are unchanged; otherwise wait for the next fiscal "
            f"year, lower the tables' epsilon, or publish them with suppression instead")


class RunLocked(LibstatsError):
    """Another run of the same library and fiscal year holds the run lock and did not end
    within the configured wait; this run read and wrote nothing (exit 4)."""

    exit_code = EXIT_BUSY


class ZoneAccessError(LibstatsError):
    """A zone cannot be written with the access it needs (a folder others can write, a group
    that cannot be set); nothing was written (exit 2)."""

    exit_code = EXIT_BAD_INPUT


class OSFailure(LibstatsError):
    """The operating system refused a read or a write: full disk, file-size limit, permission
    denied, a file in use. Names the path and the cause, never a data value (exit 5)."""

    exit_code = EXIT_OS_ERROR

    def __init__(self, path: str | None, cause: str):
        self.path, self.cause = path, cause
        where = f" at {path}" if path else ""
        super().__init__(f"the operating system refused a read or write{where}: {cause}; "
                         f"nothing was published. {_hint(cause)}".rstrip())


_HINTS = {
    "No space left on device": "Free space on that file system (or point TMPDIR or [output] "
                               "folder elsewhere) and run again.",
    "Disk quota exceeded": "Raise the quota or free space, then run again.",
    "File too large": "A file-size limit (ulimit -f) or the file system's own limit stopped "
                      "the write; raise it and run again.",
    "Permission denied": "Give the account that runs libstats read access to the file (and "
                         "write access to the output folders), then run again.",
    "Operation not permitted": "Give the account that runs libstats access to the file, then "
                               "run again.",
    "Read-only file system": "Point [output] folder or TMPDIR at a writable file system.",
    "Too many open files": "Raise the open-file limit (ulimit -n) and run again.",
}

_CAUSES = tuple(_HINTS) + ("No such file or directory", "Is a directory", "Not a directory",
                           "Input/output error", "Resource temporarily unavailable",
                           "Device or resource busy", "Text file busy", "File exists",
                           "Directory not empty", "Out of memory")


def _hint(cause: str) -> str:
    return next((h for c, h in _HINTS.items() if c in cause), "")


def os_failure(exc: BaseException) -> OSFailure | None:
    """An ``OSError`` (or a DuckDB I/O error) as an ``OSFailure`` naming the path and the
    cause; None for any other exception. The message is rebuilt from the error number and the
    file name only, never copied (a DuckDB message may quote more than a path)."""
    import re
    if isinstance(exc, OSError):
        if exc.errno is None:
            return None
        cause = os.strerror(exc.errno)
        paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
        return OSFailure(" -> ".join(paths) or None, cause)
    if type(exc).__name__ == "IOException" and "duckdb" in type(exc).__module__:
        text = str(exc)
        cause = next((c for c in _CAUSES if c.lower() in text.lower()), None)
        if cause is None:
            return None
        quoted = re.findall(r'"(/[^"\n]{1,4096})"', text)
        return OSFailure(quoted[0] if quoted else None, cause)
    return None


class DisclosureConflict(LibstatsError):
    """Figures an earlier public release of the fiscal year showed leave some cells of this
    run too narrow whatever it withholds (a rerun whose counts changed by a few, or with a
    stricter setting); nothing was published (exit 1). Names tables and counts, never a
    value."""

    exit_code = EXIT_CHECK_FAILED

    def __init__(self, period: str, tables: dict[str, int], releases: list[str],
                 threshold: int):
        where = ", ".join(f"{n} in {t}" for t, n in sorted(tables.items()))
        super().__init__(
            f"release {period}: {where} cell(s) that this run withholds (threshold "
            f"{threshold}) can still be worked out from figures the earlier public "
            f"release(s) {', '.join(releases) or '(none)'} already showed: either the counts "
            f"changed by only a few since (a corrected or late export), or a stricter setting "
            f"now withholds cells those releases showed. Withholding more now cannot take "
            f"those figures back, so nothing was published. To proceed: for a small "
            f"correction, keep the earlier release and publish the change with a later "
            f"release of the year that adds more; for a changed setting, re-run with the "
            f"settings those releases were made with (the manifest's 'disclosure' section "
            f"names them) until the next fiscal year; only if those releases never left this "
            f"folder (not pushed, not shared), move them out of the published zone's "
            f".versions folder and re-run")
