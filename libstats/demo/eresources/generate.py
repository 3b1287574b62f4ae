"""Write the demo library's e-resource exports (EZproxy, COUNTER, e-circulation).

:func:`generate_eresources` writes the EZproxy logs first (their clicks scale the COUNTER
figures), then the COUNTER reports, then the e-circulation files, each from a numpy generator
of its own; the generators, the ``random.Random`` and the Faker are seeded from the demo seed,
so the same seed gives byte-identical files.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
from faker import Faker

from libstats.demo.common import DEFAULT_SEED
from libstats.demo.eresources.settings import ERES_DIR
from libstats.demo.eresources.counter import write_counter
from libstats.demo.eresources.ecirc import write_ecirc
from libstats.demo.eresources.ezproxy import write_ezproxy

__all__ = ["generate_eresources"]


def generate_eresources(raw_dir: Path, seed: int = DEFAULT_SEED) -> dict:
    """Write the demo's e-resource exports under ``raw_dir / "eresources"``.

    The same seed gives byte-identical files. Returns a summary (line and file counts).
    """
    root = Path(raw_dir) / ERES_DIR
    fake = Faker("en_US")
    fake.seed_instance(seed + 8)
    r = random.Random(seed * 31 + 8)
    rng = np.random.default_rng([seed, 0xE2E5, 1])
    counts, actions = write_ezproxy(rng, fake, r, root / "ezproxy")
    rng = np.random.default_rng([seed, 0xE2E5, 2])
    write_counter(rng, r, fake, root, actions)
    rng = np.random.default_rng([seed, 0xE2E5, 3])
    write_ecirc(rng, r, fake, root / "ecirc")
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return {"seed": seed, "files": len(files), **counts}
