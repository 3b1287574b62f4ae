"""Errors that end a run, each mapped to a CLI exit code.

Every message is written by libstats itself and names files, lines, columns, config keys and
check names, never a data value: exception text may end up in logs, CI output or tickets.
"""

from __future__ import annotations

from pathlib import Path

EXIT_PUBLISHED = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


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


class DisclosureConflict(LibstatsError):
    """Figures an earlier public release of the fiscal year showed leave some cells of this
    run too narrow whatever it withholds (a rerun with a stricter setting); nothing was
    published (exit 1). Names tables and counts, never a value."""

    exit_code = EXIT_CHECK_FAILED

    def __init__(self, period: str, tables: dict[str, int], releases: list[str],
                 threshold: int):
        where = ", ".join(f"{n} in {t}" for t, n in sorted(tables.items()))
        super().__init__(
            f"release {period}: {where} cell(s) that this run withholds (threshold "
            f"{threshold}) can still be worked out from figures the earlier public "
            f"release(s) {', '.join(releases) or '(none)'} already showed; withholding them "
            f"now cannot take those figures back, so nothing was published. To proceed: "
            f"re-run with the settings those releases were made with (the manifest's "
            f"'disclosure' section names them) until the next fiscal year, or withdraw those "
            f"releases from the published folder (they stay in your archive) and re-run, "
            f"so that every public release of the year follows the new setting")
