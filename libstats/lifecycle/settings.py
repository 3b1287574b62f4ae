"""What a library keeps and for how long: the ``Lifecycle`` settings and their defaults.

Each default comes from a clause of the library policies the project serves
(``/work/shared/policies/``, cited by file name):

- ``raw_days = 60``: 004_333ecc5162134f92.txt, "Data Retention": "All electronic circulation
  records are purged from the server after 60 days." Applied to every raw export a published
  release has consumed (002 "avoids retaining records not needed for library business
  purposes"; 003 "destroys all records containing personally identifiable information once
  the records are no longer considered necessary").
- ``quarantine_days = 60``: the same clause; quarantined EZproxy lines are raw e-resource use
  records (004 III.1: "records that identify users of electronic resources").
- ``pseudonymized_keep_previous = 0`` and ``pseudonymized_previous_days = 0``: 002 and 003 as
  above (a superseded analyst version is a record no longer needed); the current version of
  each period is never purged.
- ``review_days = 365``: no policy clause (review folders hold counts and names, never a data
  value); a project default so that a steward can see a year of runs.
- ``hold_days = 90``, ``hold_extension_days = 90``, ``hold_max_extensions = 1``:
  004_333ecc5162134f92.txt, "preserve computer terminal logs or records for 90 days pending the
  issuance of a court order ... up to an additional 90 days for a total time period of
  maintenance of the records of 180 days."
- ``keep_records = false`` per source: 003_dbbd14c0ad649baa.txt, "No record of a patron's
  computer use or search activity is maintained by the Library." (off by default: the other
  policies keep the pseudonymized zone).
- quarantine ``keep_text = false``: only what locating a line needs (file, line, reason);
  002/004 "avoid creating unnecessary records".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_RAW_DAYS = 60
DEFAULT_QUARANTINE_DAYS = 60
DEFAULT_REVIEW_DAYS = 365
DEFAULT_HOLD_DAYS = 90
DEFAULT_HOLD_EXTENSION_DAYS = 90
DEFAULT_HOLD_MAX_EXTENSIONS = 1

#: default -> the policy clause it comes from (for the docs, the README and the purge output)
DEFAULT_SOURCES = {
    "raw_days": "004_333ecc5162134f92.txt Data Retention (electronic circulation records "
                "purged after 60 days)",
    "quarantine_days": "004_333ecc5162134f92.txt Data Retention (60 days), III.1 (records of "
                       "electronic resource use are library records)",
    "pseudonymized_keep_previous": "002_59d2c966c82c48e9.txt (no record not needed), "
                                   "003_dbbd14c0ad649baa.txt (destroyed once not necessary)",
    "review_days": "project default (review folders hold no data value)",
    "hold_days": "004_333ecc5162134f92.txt (preserve computer terminal logs 90 days)",
    "hold_extension_days": "004_333ecc5162134f92.txt (an additional 90 days, 180 in total)",
    "keep_records": "003_dbbd14c0ad649baa.txt (no record of a patron's computer use is "
                    "maintained)",
}


@dataclass(frozen=True)
class SourceRetention:
    """``[retention.sources.NAME]``: one source's raw retention, and whether the library keeps
    any record of it beyond the published aggregates."""

    raw_days: int | None = None       # None: [retention] raw_days
    keep_records: bool = True         # False: never in the pseudonymized zone; raw purgeable
                                      # as soon as a published release has consumed it


@dataclass(frozen=True)
class PublishTarget:
    """``[[publish.targets]]``: a folder or an fsspec URL the published zone is copied to."""

    url: str
    options: dict = field(default_factory=dict)    # fsspec storage options (no secrets)


@dataclass(frozen=True)
class Lifecycle:
    raw_days: int = DEFAULT_RAW_DAYS
    quarantine_days: int = DEFAULT_QUARANTINE_DAYS
    pseudonymized_keep_previous: int = 0
    pseudonymized_previous_days: int = 0
    review_days: int = DEFAULT_REVIEW_DAYS
    sources: dict = field(default_factory=dict)        # source name -> SourceRetention
    hold_days: int = DEFAULT_HOLD_DAYS
    hold_extension_days: int = DEFAULT_HOLD_EXTENSION_DAYS
    hold_max_extensions: int = DEFAULT_HOLD_MAX_EXTENSIONS
    quarantine_folder: Path | None = None              # None: <config folder>/quarantine
    quarantine_keep_text: bool = False
    targets: tuple = ()                                # PublishTarget, in config order

    def source(self, name: str) -> SourceRetention:
        return self.sources.get(name, SourceRetention())

    def raw_days_of(self, name: str) -> int:
        s = self.source(name)
        if not s.keep_records:
            return 0
        return self.raw_days if s.raw_days is None else s.raw_days

    def no_record_sources(self) -> frozenset:
        return frozenset(n for n, s in self.sources.items() if not s.keep_records)


def quarantine_dir(config, period) -> Path:
    """``[quarantine] folder`` (the raw area; never under the output folder)/<library>/<period>,
    aged by ``[retention] quarantine_days``. ``config``: a Config; ``period``: a Period."""
    root = config.lifecycle.quarantine_folder or config.base_dir / "quarantine"
    return root / config.library_slug / period.label
