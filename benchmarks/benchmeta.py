"""The ``*.meta.json`` files the benchmark generators write beside their data, so that a
benchmark regenerates only when the size, seed, generator or engine changed."""

from __future__ import annotations

import json
from pathlib import Path


def recorded(meta_path: Path, **expected) -> bool:
    """True when ``meta_path`` exists, reads as JSON and records every ``expected`` value."""
    try:
        meta = json.loads(Path(meta_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return all(meta.get(k) == v for k, v in expected.items())
