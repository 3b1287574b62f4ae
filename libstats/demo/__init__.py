"""Demo data for libstats: a fictional library's raw ILS exports.

``libstats.demo.generate.generate_demo(raw_dir, seed)`` writes the raw exports of the fictional
"Riverbend County Library System" (Koha and, before the migration, Innovative Sierra). Run it as
``python -m libstats.demo.generate RAW_DIR``.

``generate_demo`` is imported lazily so that ``python -m libstats.demo.generate`` does not import
the module twice.
"""

from __future__ import annotations

from typing import Any

__all__ = ["generate_demo"]


def __getattr__(name: str) -> Any:
    if name == "generate_demo":
        from libstats.demo.generate import generate_demo

        return generate_demo
    raise AttributeError(f"module 'libstats.demo' has no attribute {name!r}")
