"""What ``libstats purge`` may delete, and why; what it must keep, and why.

A file or folder is listed for deletion only when libstats can prove it made or consumed it
and its retention is over:

- raw exports (each configured source's files): consumed when their SHA-256 is among the
  inputs of a published release's manifest (any version in ``published/<library>/.versions``);
  older than ``raw_days`` (by the file's modification time), or at once for a source with
  ``keep_records = false``. A file no published release consumed is never deleted;
- quarantine files: ``<quarantine>/<library>/<period>/<source>.bad_lines.tsv`` of a configured
  source whose header is one libstats writes, older than ``quarantine_days``;
- pseudonymized versions: ``.versions/<period>.<hash>`` whose content hash is its name and
  which the period's link does not point to, beyond the ``pseudonymized_keep_previous``
  newest and older than ``pseudonymized_previous_days``. The current version never goes;
- review folders: ``review/<library>/<period>`` holding a manifest of this library, older
  than ``review_days``.

Nothing under an active hold goes (a named file, or a source and date range overlapping the
file's period; a range hold keeps every pseudonymized version of the periods it overlaps).
The published zone is kept permanently and never listed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from libstats.lifecycle.holds import Hold
from libstats.readers.files import expand_paths, sha256_file
from libstats.release import tree_hash, version_digest

QUARANTINE_HEADERS = ("file\tline\treason", "file\tline\treason\ttext", "file\tline\ttext")
_VERSION = re.compile(r"(?P<label>.+)\.(?P<digest>[0-9a-f]{16})")


@dataclass
class Item:
    zone: str             # raw, quarantine, pseudonymized, review
    path: Path
    delete: bool
    why: str
    sha256: str | None = None      # raw and quarantine files; a version's content hash
    source: str | None = None
    period: str | None = None

    def to_dict(self, shown: str) -> dict:
        d = {"zone": self.zone, "path": shown, "why": self.why}
        for k in ("sha256", "source", "period"):
            if getattr(self, k) is not None:
                d[k] = getattr(self, k)
        return d


def _age_days(path: Path, today: dt.date) -> int:
    return (today - dt.date.fromtimestamp(path.stat().st_mtime)).days


def published_inputs(pub_root: Path) -> dict[str, list[dict]]:
    """SHA-256 -> the published releases that consumed it ({label, start, end, version})."""
    consumed: dict[str, list[dict]] = {}
    versions = pub_root / ".versions"
    if not versions.is_dir():
        return consumed
    for folder in sorted(versions.iterdir()):
        manifest = folder / "manifest.json"
        if folder.name.startswith(".") or not manifest.is_file():
            continue
        try:
            m = json.loads(manifest.read_text(encoding="utf-8"))
            period = m["period"]
            for inp in m.get("inputs", []):
                consumed.setdefault(inp["sha256"], []).append(
                    {"label": period["label"], "start": period["start"],
                     "end": period["end"], "version": folder.name, "source": inp["source"]})
        except (ValueError, KeyError, TypeError):
            continue          # not a manifest libstats wrote: proves nothing
    return consumed


def _held(holds: list[Hold], today: dt.date, *, rel: str | None = None,
          sha: str | None = None, source: str | None = None,
          periods: list[tuple[dt.date, dt.date]] = ()) -> str | None:
    for h in holds:
        if not h.active(today):
            continue
        if rel is not None and h.covers_file(rel, sha):
            return h.id
        if any(h.covers_period(source, s, e) for s, e in periods):
            return h.id
    return None


def plan(config, holds: list[Hold], today: dt.date, period_of) -> list[Item]:
    """Every candidate with its decision. ``period_of(label)`` gives a period's (start, end)
    dates, or None for a label that is not one of this library's periods."""
    out, slug, life = config.output_dir, config.library_slug, config.lifecycle
    items: list[Item] = []
    consumed = published_inputs(out / "published" / slug)
    rel = config.display_path

    # Raw exports
    for src in config.sources:
        days = life.raw_days_of(src.name)
        for f in expand_paths(config.base_dir, src.path):
            sha = sha256_file(f)
            uses = consumed.get(sha, [])
            periods = [(dt.date.fromisoformat(u["start"]), dt.date.fromisoformat(u["end"]))
                       for u in uses]
            item = Item("raw", f, False, "", sha, src.name)
            age = _age_days(f, today)
            hold = _held(holds, today, rel=rel(f), sha=sha, source=src.name, periods=periods)
            if not uses:
                item.why = "no published release consumed it (its hash is in no manifest)"
            elif hold:
                item.why = f"under hold {hold}"
            elif age < days:
                item.why = f"{age} days old; kept {days} days ([retention] raw_days)"
            else:
                labels = ", ".join(sorted({u["label"] for u in uses}))
                rule = ("keep_records = false: purged once published"
                        if not life.source(src.name).keep_records
                        else f"{age} days old, retention {days} days")
                item.delete, item.why = True, f"consumed by published {labels}; {rule}"
            items.append(item)

    # Quarantine
    qroot = (life.quarantine_folder or config.base_dir / "quarantine") / slug
    names = {s.name for s in config.sources}
    if qroot.is_dir():
        for folder in sorted(p for p in qroot.iterdir() if p.is_dir()):
            dates = period_of(folder.name)
            for f in sorted(folder.iterdir()):
                source = f.name[:-len(".bad_lines.tsv")] if f.name.endswith(
                    ".bad_lines.tsv") else None
                item = Item("quarantine", f, False, "", None, source, folder.name)
                if (not f.is_file() or source not in names or dates is None
                        or _header(f) not in QUARANTINE_HEADERS):
                    item.why = "not a quarantine file libstats wrote for this library"
                    items.append(item)
                    continue
                item.sha256 = sha256_file(f)
                age = _age_days(f, today)
                hold = _held(holds, today, rel=rel(f), sha=item.sha256, source=source,
                             periods=[dates])
                if hold:
                    item.why = f"under hold {hold}"
                elif age < life.quarantine_days:
                    item.why = (f"{age} days old; kept {life.quarantine_days} days "
                                "([retention] quarantine_days)")
                else:
                    item.delete = True
                    item.why = f"{age} days old, retention {life.quarantine_days} days"
                items.append(item)

    # Pseudonymized versions
    pz_root = out / "pseudonymized" / slug
    versions = pz_root / ".versions"
    by_label: dict[str, list[Path]] = {}
    if versions.is_dir():
        for v in sorted(versions.iterdir()):
            m = _VERSION.fullmatch(v.name)
            if v.name.startswith(".") or not v.is_dir() or not m:
                continue
            by_label.setdefault(m["label"], []).append(v)
    pub_dir = out / "published" / slug / ".versions"
    pub_versions = sorted(p.name for p in pub_dir.iterdir()) if pub_dir.is_dir() else []
    for label, found in sorted(by_label.items()):
        link = pz_root / label
        current = Path(os.readlink(link)).name if link.is_symlink() else None
        dates = period_of(label)
        older = sorted((v for v in found if v.name != current),
                       key=lambda v: v.stat().st_mtime, reverse=True)
        for v in found:
            item = Item("pseudonymized", v, False, "", v.name.rsplit(".", 1)[1], None, label)
            if v.name == current:
                item.why = "the current version"
            elif current is None or dates is None:
                item.why = "no current version of this period to prove it superseded"
            elif not _made_by_libstats(v, item.sha256, pub_versions):
                item.why = "its content is not its name's hash: not a version libstats made"
            elif hold := _any_hold(holds, today, dates):
                item.why = f"under hold {hold}"
            elif older.index(v) < life.pseudonymized_keep_previous:
                item.why = ("one of the newest superseded versions kept "
                            "([retention] pseudonymized_keep_previous)")
            elif (age := _age_days(v, today)) < life.pseudonymized_previous_days:
                item.why = (f"superseded, {age} days old; kept "
                            f"{life.pseudonymized_previous_days} days")
            else:
                item.delete, item.why = True, "superseded by the current version"
            items.append(item)

    # Review folders
    review = out / "review" / slug
    if review.is_dir():
        for folder in sorted(p for p in review.iterdir() if p.is_dir()
                             and not p.name.startswith(".")):
            item = Item("review", folder, False, "", None, None, folder.name)
            dates = period_of(folder.name)
            if not _our_review(folder, slug) or dates is None:
                item.why = "not a review folder libstats wrote for this library"
            elif hold := _any_hold(holds, today, dates):
                item.why = f"under hold {hold}"
            elif (age := _age_days(folder / "manifest.json", today)) < life.review_days:
                item.why = f"{age} days old; kept {life.review_days} days ([retention] review_days)"
            else:
                item.delete, item.why = True, f"{age} days old, retention {life.review_days} days"
            items.append(item)
    return items


def _any_hold(holds: list[Hold], today: dt.date, dates) -> str | None:
    """A range hold of any source overlapping the period (a version or review folder mixes
    every source's records)."""
    return _held(holds, today, source=None, periods=[dates])


def _header(path: Path) -> str:
    with open(path, "rb") as fh:
        return fh.readline(4096).decode("utf-8", "replace").rstrip("\r\n")


def _our_review(folder: Path, slug: str) -> bool:
    try:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        return m["library"]["slug"] == slug
    except (OSError, ValueError, KeyError, TypeError):
        return False


def delete(item: Item) -> None:
    """Remove one planned item (a raw file is re-hashed first: a changed file is kept)."""
    if item.path.is_dir() and not item.path.is_symlink():
        shutil.rmtree(item.path)
    else:
        item.path.unlink()


def _made_by_libstats(version: Path, name_hash: str, pub_versions: list[str]) -> bool:
    """The version's name is its content hash, alone or bound to one of the published
    versions (``libstats.release.settle``): a folder whose content is not its name was not
    made by libstats, or was changed since."""
    content = tree_hash(version, ("libstats.duckdb",))
    return any(version_digest(content, bound) == name_hash for bound in ["", *pub_versions])
