"""Legal preservation holds: a source and a date range of events, or named files, kept from
purge until the hold expires or is released.

A hold lasts ``[holds] days`` (90) from the day it is placed and can be extended
``max_extensions`` times (1) by ``extension_days`` (90): 004_333ecc5162134f92.txt, 90 days
pending a court order, up to 180 in all. A held file is still read, anonymized and counted
like any other; only purge looks at holds. The reason and the reference (a case or request
number) must carry no personal data: text shaped like an e-mail, a phone or card number, an
IP or MAC address is refused.

Stored in ``<output>/lifecycle/<library>/holds.json`` (rewritten atomically); each change is
also appended to the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from libstats.errors import EXIT_BAD_INPUT, LibstatsError
from libstats.lifecycle import state_dir

FILE = "holds.json"

_PERSONAL = [
    ("an e-mail address", re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")),
    ("an IP address", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")),
    ("a MAC address", re.compile(r"\b[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}\b")),
    ("a card, phone or account number (7 or more digits)",
     re.compile(r"(?:\d[\s().-]?){7,}")),
]


class HoldError(LibstatsError):
    exit_code = EXIT_BAD_INPUT


@dataclass
class Hold:
    id: str
    reason: str
    reference: str
    placed: str                      # ISO date
    expires: str                     # ISO date (last day held)
    source: str | None = None
    start: str | None = None         # event dates covered (ISO), with source
    end: str | None = None
    files: list = field(default_factory=list)     # [{"file": relative path, "sha256": ...}]
    extensions: int = 0
    released: str | None = None      # ISO date

    def active(self, today: dt.date) -> bool:
        return self.released is None and dt.date.fromisoformat(self.expires) >= today

    def status(self, today: dt.date) -> str:
        if self.released:
            return f"released {self.released}"
        return "active" if self.active(today) else f"expired {self.expires}"

    def covers_period(self, source: str | None, start: dt.date, end: dt.date) -> bool:
        """Whether this hold's source and date range overlap a period (``source`` None: any
        source of the library)."""
        if self.source is None or (source is not None and source != self.source):
            return False
        return (dt.date.fromisoformat(self.start) <= end
                and dt.date.fromisoformat(self.end) >= start)

    def covers_file(self, rel: str, sha256: str | None) -> bool:
        return any(f["file"] == rel or (sha256 and f.get("sha256") == sha256)
                   for f in self.files)


def path_of(output_dir: Path, slug: str) -> Path:
    return state_dir(output_dir, slug) / FILE


def load(path: Path) -> list[Hold]:
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [Hold(**h) for h in data["holds"]]
    except (ValueError, KeyError, TypeError):
        raise HoldError(f"{path}: not a libstats holds file; restore it from backup (the "
                        "audit log lists every hold placed)") from None


def save(path: Path, holds: list[Hold]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"holds": [asdict(h) for h in holds]}, fh, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def check_text(what: str, text: str) -> str:
    """A reason or reference: 1..200 characters, nothing shaped like personal data (the
    message names the kind, never the text)."""
    text = text.strip()
    if not text:
        raise HoldError(f"the hold's {what} is empty; give one (e.g. a case number)")
    if len(text) > 200:
        raise HoldError(f"the hold's {what} is longer than 200 characters")
    for kind, pattern in _PERSONAL:
        if pattern.search(text):
            raise HoldError(f"the hold's {what} contains what looks like {kind}; a hold "
                            "records no personal data: name the request by its case or "
                            "reference number and keep the details in the case file")
    return text


def new_id(holds: list[Hold]) -> str:
    return f"H{max((int(h.id[1:]) for h in holds if h.id[1:].isdigit()), default=0) + 1}"


def find(holds: list[Hold], hold_id: str) -> Hold:
    for h in holds:
        if h.id == hold_id:
            return h
    raise HoldError(f"no hold with id {hold_id} ('libstats hold list' shows them)")
