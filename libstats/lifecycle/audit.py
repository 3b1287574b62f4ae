"""The append-only audit log: one JSON object per line for every purge, hold and release
switch (and publish-target copy): what, when, who ran it, file hashes; never a data value.

``<output>/lifecycle/<library>/audit.jsonl``. Lines are only ever appended (``O_APPEND``, one
``write`` per line, flushed to disk); each carries the SHA-256 of the line before it
(``prev``), so a line edited or removed afterwards is found by ``verify``. Paths are written
relative to the config's folder (or the output folder), never as absolute machine paths.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
from pathlib import Path

from libstats.errors import EXIT_BAD_INPUT, LibstatsError
from libstats.lifecycle import state_dir

LOG = "audit.jsonl"
GENESIS = "0" * 64


class AuditLogError(LibstatsError):
    exit_code = EXIT_BAD_INPUT


def log_path(output_dir: Path, slug: str) -> Path:
    return state_dir(output_dir, slug) / LOG


def who() -> str:
    """The account that ran the command (the OS login, or LIBSTATS_ACTOR for a scheduler
    that runs as a service account on someone's behalf)."""
    actor = os.environ.get("LIBSTATS_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z")


def _last_hash(path: Path) -> str:
    if not path.exists() or path.stat().st_size == 0:
        return GENESIS
    with open(path, "rb") as fh:
        fh.seek(max(0, path.stat().st_size - (1 << 16)))
        last = fh.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
    return hashlib.sha256(last).hexdigest()


def append(path: Path, action: str, library: str, details: dict, *, by: str | None = None,
           at: str | None = None) -> dict:
    """Append one entry; returns it. ``details`` holds paths, hashes, counts and names only."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        import fcntl
        fcntl.flock(fd, fcntl.LOCK_EX)     # one writer at a time: the chain stays a chain
        entry = {"at": at or now(), "by": by or who(), "action": action, "library": library,
                 **details, "prev": _last_hash(path)}
        line = json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n"
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return entry


def read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def verify(path: Path) -> list[str]:
    """Problems with the chain (empty: every line is as appended): line numbers only."""
    problems, prev = [], GENESIS
    if not path.exists():
        return problems
    for n, raw in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            entry = json.loads(raw)
        except ValueError:
            problems.append(f"{path.name}, line {n}: not a JSON object")
            prev = hashlib.sha256(raw).hexdigest()
            continue
        if entry.get("prev") != prev:
            problems.append(f"{path.name}, line {n}: the line before it was changed or removed")
        prev = hashlib.sha256(raw).hexdigest()
    return problems


def recent(path: Path, limit: int = 50) -> list[dict]:
    """The last ``limit`` entries, newest last (for the steward report)."""
    return read(path)[-limit:]


def record_switch(pub_root: Path, label: str, pub_link: Path, pz_link: Path) -> None:
    """A release switch: both zones' new versions (their names are content hashes) and the
    published manifest's SHA-256. Called once, where publish switches the zones in.
    ``pub_root`` is ``<output>/published/<library>``."""
    output_dir, slug = pub_root.parent.parent, pub_root.name
    manifest = pub_link / "manifest.json"
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest.exists() else None
    append(log_path(output_dir, slug), "release.switch", slug, {
        "period": label,
        "published_version": Path(os.readlink(pub_link)).name if pub_link.is_symlink() else None,
        "pseudonymized_version": (Path(os.readlink(pz_link)).name
                                  if pz_link.is_symlink() else None),
        "manifest_sha256": digest})
