"""How a run executes and publishes: ``[output]`` (the release folder), ``[release]`` (steward
approval) and ``[engine]`` (DuckDB's memory limit and threads).
"""

from __future__ import annotations

from pathlib import Path

from libstats.config.model import DEFAULT_MEMORY_LIMIT
from libstats.config.reader import TableReader, valid_memory_limit


def read_output(root: TableReader) -> tuple[Path, str | None, float]:
    """``[output]``: the folder releases are written to, absolute (default "out" beside the
    config file); ``group``, the analysts' group that may read the pseudonymized zone (folders
    0750, files 0640; without one 0700/0600, the pipeline's account only); and
    ``lock_wait_seconds``, how long a run waits for another run of the same library and fiscal
    year to end before it gives up (exit 4; default 600)."""
    import grp
    out = root.sub("output", {})
    output_dir = (root.path.parent / out.get("folder", str, "out")).resolve()
    group = out.get("group", str, None)
    if group is not None:
        try:
            grp.getgrnam(group)
        except KeyError:
            raise out.fail("group", "names no group of this system (see `getent group`); "
                                    "leave it out to make the pseudonymized zone readable by "
                                    "the pipeline's account only") from None
    wait = out.get("lock_wait_seconds", (int, float), 600)
    if isinstance(wait, bool) or wait < 0:
        raise out.fail("lock_wait_seconds", "must be a number of seconds, 0 or more")
    out.finish()
    return output_dir, group, float(wait)


def read_release(root: TableReader) -> bool:
    """``[release]``: whether a steward must approve each run's release before it is published."""
    rel = root.sub("release", {})
    require_approval = rel.get("require_approval", bool, False)
    rel.finish()
    return require_approval


def read_engine(root: TableReader) -> tuple[str, int | None]:
    """``[engine]``: DuckDB's memory limit and thread count (None: DuckDB's default)."""
    eng = root.sub("engine", {})
    memory_limit = eng.get("memory_limit", str, DEFAULT_MEMORY_LIMIT)
    if not valid_memory_limit(memory_limit):
        raise eng.fail("memory_limit", "must be a size like \"1200MB\" or \"4GB\"")
    threads = eng.get("threads", int, None)
    if threads is not None and threads < 1:
        raise eng.fail("threads", "must be at least 1")
    eng.finish()
    return memory_limit, threads
