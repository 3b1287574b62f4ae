"""The e-lending vendors' monthly checkouts, under ``eresources/ecirc/``.

ReadWave reports per month and format, StreamShelf per title (title, creator, ISBN: the pipeline
sums them), Newsstand Plus in another column order with two spellings of the format. Small
counts (1 .. 10) are planted for the suppression to withhold.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import date
from pathlib import Path

import numpy as np
from faker import Faker

from libstats.demo.common import MONTH_WEIGHT
from libstats.demo.eresources.settings import ECIRC_FILES
from libstats.demo.eresources.reports import H1, H2, isbn13

def _readwave(rng: np.random.Generator, out: Path, months: list) -> None:
    """ReadWave: one row per month and format (magazines only from September)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["vendor", "month", "format", "checkouts"])
    for m in months:
        mw = MONTH_WEIGHT[m.month]
        w.writerow(["ReadWave", f"{m:%Y-%m}", "eBook", int(rng.poisson(820 * mw))])
        w.writerow(["ReadWave", f"{m:%Y-%m}", "Audiobook", int(rng.poisson(610 * mw))])
        if m.month not in (7, 8):                  # magazines added in September
            w.writerow(["ReadWave", f"{m:%Y-%m}", "Magazine", int(rng.integers(2, 10))])
    (out.parent / ECIRC_FILES["readwave"]).write_text(buf.getvalue(), encoding="utf-8")


def _streamshelf(rng: np.random.Generator, r: random.Random, fake: Faker, out: Path,
                 months: list) -> None:
    """StreamShelf: title level (title, creator, isbn), summed by the pipeline."""
    titles = []
    for i in range(70):
        fmt = ("E-Book", "e-audio", "Video")[0 if i < 38 else 1 if i < 62 else 2]
        words = fake.words(nb=r.randint(2, 4))
        title = " ".join(x.capitalize() for x in words)
        if fmt == "Video":
            title = f"{title} (Season {r.randint(1, 4)})"
        creator = fake.name()
        isbn = isbn13(f"979{r.randint(0, 999_999_999):09d}") if fmt != "Video" else ""
        pop = float(rng.lognormal(0, 0.8))
        titles.append((fmt, title, creator, isbn, pop))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["vendor", "month", "format", "title", "creator", "isbn", "checkouts"])
    for m in months:
        mw = MONTH_WEIGHT[m.month]
        for fmt, title, creator, isbn, pop in titles:
            lam = pop * mw * (2.2 if fmt != "Video" else 0.9)
            n = int(rng.poisson(lam))
            if n:
                w.writerow(["StreamShelf", f"{m:%Y-%m}", fmt, title, creator, isbn, n])
    (out.parent / ECIRC_FILES["streamshelf"]).write_text(buf.getvalue(), encoding="utf-8")


def _newsstand(rng: np.random.Generator, out: Path, months: list) -> None:
    """Newsstand Plus: magazines, columns in another order, two spellings of the format."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["month", "vendor", "format", "checkouts"])
    for m in months:
        spelling = "Magazine" if m < date(2025, 1, 1) else "Periodical"
        n = int(rng.poisson(14 * MONTH_WEIGHT[m.month])) if m.month not in (7, 8) else \
            int(rng.integers(3, 9))
        w.writerow([f"{m:%Y-%m}", "Newsstand Plus", spelling, n])
    (out.parent / ECIRC_FILES["newsstand"]).write_text(buf.getvalue(), encoding="utf-8")


def write_ecirc(rng: np.random.Generator, r: random.Random, fake: Faker, out: Path) -> None:
    """Write the vendors' files of :data:`~libstats.demo.eresources.settings.ECIRC_FILES` (``out``
    is their folder)."""
    out.mkdir(parents=True, exist_ok=True)
    months = H1 + H2
    _readwave(rng, out, months)
    _streamshelf(rng, r, fake, out, months)
    _newsstand(rng, out, months)
