"""``libstats push``: copy the published zone, and only it, to the ``[[publish.targets]]``
(a folder, or an fsspec URL: ``s3://``, ``gcs://``, ``sftp://``...), verifying every file's
SHA-256 after the copy.

What goes: each period's current release, exactly the files its ``SHA256SUMS`` lists (tables,
``manifest.json``, ``steward_report.html``) and ``SHA256SUMS`` itself, to
``<target>/<library>/<period>/``. The release is verified against its ``SHA256SUMS`` before
anything is sent (a changed or extra file stops the push); ``SHA256SUMS`` is written last, so
a reader who finds it finds a complete release. Files of the previous copy that the new
release no longer has are removed, and only those (they are listed in the previous copy's
``SHA256SUMS``). Nothing of the pseudonymized, review, quarantine or raw zones is ever read.
Credentials come from the environment or the provider's files, never from the config.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from libstats.errors import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, LibstatsError
from libstats.lifecycle import audit
from libstats.release import SUMS, sha256_path


class PushError(LibstatsError):
    exit_code = EXIT_BAD_INPUT


class PushVerifyError(LibstatsError):
    """A file at the target does not have the hash of the release's file."""
    exit_code = EXIT_CHECK_FAILED


def release_files(release: Path) -> list[tuple[str, str]]:
    """(relative path, sha256) of every file of a release, ``SHA256SUMS`` last; the release
    must match its sums exactly (no file changed, missing or added)."""
    sums = release / SUMS
    if not sums.is_file():
        raise PushError(f"{release}: no {SUMS}; not a finished release")
    listed = []
    for n, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
        digest, _, rel = line.partition("  ")
        if len(digest) != 64 or not rel or rel.startswith("/") or ".." in Path(rel).parts:
            raise PushError(f"{sums}, line {n}: not a sha256sum line")
        listed.append((rel, digest))
    present = sorted(p.relative_to(release).as_posix() for p in release.rglob("*")
                     if p.is_file() and p.name != SUMS)
    if present != sorted(r for r, _ in listed):
        extra = sorted(set(present) - {r for r, _ in listed})
        missing = sorted({r for r, _ in listed} - set(present))
        raise PushError(f"{release}: files differ from {SUMS} (extra: {extra[:3]}, missing: "
                        f"{missing[:3]}); run 'libstats check' on it")
    for rel, digest in listed:
        if sha256_path(release / rel) != digest:
            raise PushError(f"{release / rel}: its SHA-256 is not the one in {SUMS}; run "
                            "'libstats check' on the release")
    return listed + [(SUMS, sha256_path(sums))]


def _remote_sums(fs, dest: str) -> list[str]:
    path = f"{dest}/{SUMS}"
    if not fs.exists(path):
        return []
    return [line.partition("  ")[2] for line in fs.cat_file(path).decode("utf-8").splitlines()
            if line.partition("  ")[2]]


def push_release(target, release: Path, slug: str, label: str) -> dict:
    """Copy one release to one target and verify it; returns the audit entry's details."""
    try:
        import fsspec
    except ImportError:
        raise PushError("libstats push needs fsspec: pip install 'libstats[publish]'") from None
    files = release_files(release)
    try:
        fs, root = fsspec.core.url_to_fs(target.url, **target.options)
    except (ImportError, ValueError) as exc:
        raise PushError(f"publish target {_safe(target.url)}: {type(exc).__name__}: "
                        f"{exc}") from None
    dest = f"{root.rstrip('/')}/{slug}/{label}"
    try:
        before = _remote_sums(fs, dest)
        for rel, _ in files:
            remote = f"{dest}/{rel}"
            parent = remote.rsplit("/", 1)[0]
            fs.makedirs(parent, exist_ok=True)
            fs.put_file(str(release / rel), remote)
        bad = [rel for rel, digest in files
               if hashlib.sha256(fs.cat_file(f"{dest}/{rel}")).hexdigest() != digest]
        if bad:
            raise PushVerifyError(f"publish target {_safe(target.url)}: {len(bad)} file(s) "
                                  f"differ after the copy (first: {bad[0]}); the copy is not "
                                  "complete, push again")
        stale = sorted(set(before) - {rel for rel, _ in files})
        for rel in stale:
            if fs.exists(f"{dest}/{rel}"):
                fs.rm_file(f"{dest}/{rel}")
    except OSError as exc:
        raise PushError(f"publish target {_safe(target.url)}: {type(exc).__name__}: "
                        f"{exc.strerror or exc}") from None
    return {"target": _safe(target.url), "period": label, "version": release.name,
            "files": [{"file": r, "sha256": d} for r, d in files], "removed": stale}


def _safe(url: str) -> str:
    """A URL as logs show it: a local folder by name only."""
    return url if "://" in url else Path(url).name + "/"


def push(config, periods: list[str] | None = None, say=print) -> list[dict]:
    """Every target × every period's current release (or the given periods)."""
    life, slug = config.lifecycle, config.library_slug
    if not life.targets:
        raise PushError(f"{config.path}: no [[publish.targets]]; add one (a folder or a URL) "
                        "to copy the published zone to")
    pub_root = config.output_dir / "published" / slug
    labels = periods or sorted(p.name for p in pub_root.iterdir()
                               if p.is_symlink()) if pub_root.is_dir() else periods or []
    if not labels:
        raise PushError(f"{pub_root}: nothing published yet")
    done = []
    for label in labels:
        link = pub_root / label
        if not link.is_symlink():
            raise PushError(f"{link}: no published release of {label}")
        release = link.parent / os.readlink(link)
        for target in life.targets:
            entry = push_release(target, release.resolve(), slug, label)
            audit.append(audit.log_path(config.output_dir, slug), "publish.push", slug, entry)
            say(f"pushed {label} ({len(entry['files'])} files, verified) to "
                f"{entry['target']}")
            done.append(entry)
    return done
