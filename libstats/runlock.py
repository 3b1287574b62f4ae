"""The run lock: one run at a time per library and fiscal year.

Runs of one library whose periods share a fiscal year (the months and the year) read the same
differential-privacy ledger and take each other's releases as known in the disclosure audit, so
they must not overlap: each holds an exclusive ``fcntl.flock`` on
``<output>/.locks/<library>.<fiscal year>.lock`` from before it reads anything until its release
is switched in. The kernel drops the lock when the process ends, however it ends (``kill -9``
included), so a killed run never leaves a stale lock behind; the file itself stays (removing it
would let two runs lock two different files).

A second run waits up to ``[output] lock_wait_seconds`` (default 600), saying so once, then
stops with exit 4 (``RunLocked``) having read and written nothing. ``libstats approve`` takes
the same lock.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time
from pathlib import Path

from libstats.errors import RunLocked

POLL_S = 0.1


def lock_path(output_dir: Path, slug: str, fiscal_year: str) -> Path:
    return Path(output_dir) / ".locks" / f"{slug}.{fiscal_year}.lock"


@contextlib.contextmanager
def hold(output_dir: Path, slug: str, fiscal_year: str, wait_s: float, progress=None):
    """Hold the lock of ``slug`` × ``fiscal_year`` for the ``with`` block (wait up to
    ``wait_s`` seconds for it, else raise ``RunLocked``)."""
    path = lock_path(output_dir, slug, fiscal_year)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        _acquire(fd, path, slug, fiscal_year, wait_s, progress)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(fd)          # closing the only descriptor releases the lock


def _acquire(fd: int, path: Path, slug: str, fiscal_year: str, wait_s: float,
             progress) -> None:
    deadline = time.monotonic() + wait_s
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
        holder = _holder(fd)
        if time.monotonic() >= deadline:
            raise RunLocked(
                f"another libstats run of '{slug}' {fiscal_year}{holder} holds the run lock "
                f"{path} and did not end within [output] lock_wait_seconds = {wait_s:g}; this "
                "run read and wrote nothing. Let the other run finish (or raise "
                "lock_wait_seconds), then run again")
        if not told and progress:
            progress(f"waiting for the run lock: another run of '{slug}' {fiscal_year}"
                     f"{holder} is running (up to {wait_s:g} s)")
            told = True
        time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))


def _holder(fd: int) -> str:
    try:
        pid = os.pread(fd, 32, 0).decode("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
    return f" (pid {pid})" if pid.isdigit() else ""
