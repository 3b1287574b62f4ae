"""What every step of a run shares (``Run``), what a domain's staging gives back (``Staged``),
and the interface every domain module has (``Domain``).

A domain is one kind of library use (circulation, Wi-Fi, e-resources...) with its own source
kinds, tables and pseudonymized files. Its module in ``pipelines/`` has the functions of
``Domain``; ``pipelines/domains.py`` lists the modules; ``pipelines/run.py`` calls them in
order without knowing what any of them holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

from libstats.config import Config
from libstats.keys import PeriodKey
from libstats.period import Period
from libstats.profiles import ResolvedProfile
from libstats.readers.files import IngestedSource
from libstats.results import CheckResult


@dataclass
class Run:
    """One run's shared state: the DuckDB connection, the config, the period and its key, the
    private work folder, and where progress lines go."""

    con: Any                               # duckdb.DuckDBPyConnection
    config: Config
    period: Period
    pkey: PeriodKey
    work_dir: Path
    on_disk: bool = False                  # the run works in a database file (large exports)
    progress: Callable[[str], None] | None = None
    #: warnings that do not stop the run: {source, file, what, count}; into the manifest's
    #: ``warnings``, the steward report and stderr (never a value)
    warnings: list[dict] = field(default_factory=list)

    def say(self, message: str) -> None:
        if self.progress:
            self.progress(message)

    def warn(self, source: str, file: str | None, what: str, count: int) -> None:
        self.warnings.append({"source": source, "file": file, "what": what, "count": count})


@dataclass
class Staged:
    """A domain's tables, staged: what the rest of the run needs from it."""

    rows: dict = field(default_factory=dict)       # per source: rows read, counted, excluded
    pub_sql: dict = field(default_factory=dict)    # published table -> SQL of its counts
    manifest: dict = field(default_factory=dict)   # the domain's manifest sections
    state: Any = None                              # the domain's own, for its later steps


class Domain(Protocol):
    """The interface of a domain module (``pipelines/circulation.py`` and its siblings)."""

    #: The source kinds (``[[sources]] kind``) this domain reads.
    KINDS: tuple[str, ...]

    def active(self, resolved: list[ResolvedProfile]) -> bool:
        """Whether the run's sources make this domain publish (its own sources given)."""

    def prepare(self, run: Run, resolved: list[ResolvedProfile]) -> None:
        """Mapping tables and types its sources need while they are read."""

    def load(self, run: Run, resolved: ResolvedProfile, files: list[Path]) -> IngestedSource:
        """Read one source into ``raw_<name>`` and check its values (bad input stops here)."""

    def stage(self, run: Run, loaded: list[IngestedSource]) -> Staged:
        """Tokens, ``int_*`` tables and the published tables' SQL. A domain with nothing in
        the period stops the run (NoDataError) naming its sources."""

    def write_pseudonymized(self, run: Run, staged: Staged, folder: Path) -> list[dict]:
        """Write its part of the pseudonymized zone into ``folder``; returns the manifest's
        entries (table, rows, note)."""

    def identifiers_sql(self, run: Run, loaded: list[IngestedSource]) -> str | None:
        """Raw identifiers beyond the drop/token columns' values (other notations of a MAC,
        values hidden in URLs) for the exact-match scan; ``loaded`` is every source."""

    def checks(self, run: Run, staged: Staged, folder: Path) -> list[CheckResult]:
        """Checks of its own on the written pseudonymized zone."""
