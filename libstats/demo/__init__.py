"""Demo data for libstats: a fictional library's raw exports.

``libstats.demo.generate.generate_demo(raw_dir, seed)`` writes the raw exports of the fictional
"Riverbend County Library System": its ILS (Koha and, before the migration, Innovative Sierra;
:mod:`libstats.demo.circulation`), its Wi-Fi logs (:mod:`libstats.demo.wifi`) and its
e-resource exports (:mod:`libstats.demo.eresources`). Run it as
``python -m libstats.demo.generate RAW_DIR``. :mod:`libstats.demo.earlier` adds a smaller FY2023,
:mod:`libstats.demo.prepare` sets up a demo folder; what the generators share is in
:mod:`libstats.demo.common`.

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
