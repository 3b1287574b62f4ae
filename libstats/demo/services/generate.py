"""Write one fiscal year of the service exports (see the package docstring)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
from faker import Faker

from libstats.demo.services.computers import write_libki
from libstats.demo.services.ill import write_ill
from libstats.demo.services.programs import write_programs
from libstats.demo.services.web import write_web

SERVICES_DIR = "services"


def generate_services(raw_dir: Path, seed: int, start: date, end: date) -> dict:
    """Write ``raw_dir/services/`` for the fiscal year from ``start`` to ``end``
    (byte-identical for a seed and year); returns row counts."""
    root = Path(raw_dir) / SERVICES_DIR
    label = f"FY{end.year}"
    fake = Faker("en_US")
    fake.seed_instance(seed + end.year)
    rng = [np.random.default_rng([seed, 0x5E7, end.year, i]) for i in range(5)]
    reg_fake = Faker("en_US")           # the registrants: their own stream, so the other
    reg_fake.seed_instance(seed + end.year + 1)     # exports' draws stay as they were
    return {"pc_logins": write_libki(root, rng[0], start, end, label),
            "web_visits": write_web(root, rng[1], start, end, label),
            **write_programs(root, rng[2], fake, start, end, label, rng[4], reg_fake),
            **write_ill(root, rng[3], fake, start, end, label)}
