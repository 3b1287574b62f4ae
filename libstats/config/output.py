"""How a run executes and publishes: ``[output]`` (the release folder), ``[release]`` (steward
approval) and ``[engine]`` (DuckDB's memory limit and threads).
"""

from __future__ import annotations

from pathlib import Path

from libstats.config.model import DEFAULT_MEMORY_LIMIT
from libstats.config.reader import TableReader, valid_memory_limit


def read_output(root: TableReader) -> Path:
    """``[output]``: the folder releases are written to, absolute (default "out" beside the
    config file)."""
    out = root.sub("output", {})
    output_dir = (root.path.parent / out.get("folder", str, "out")).resolve()
    out.finish()
    return output_dir


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
