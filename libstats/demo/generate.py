"""Generate the raw exports of a fictional library, deterministically.

The story
=========
The "Riverbend County Library System" (fictional) has three branches, with Koha branchcodes
``CEN`` (Central), ``NOR`` (Northgate) and ``EAS`` (East Hollow). Its fiscal year FY2025 runs from
2024-07-01 to 2025-06-30, local time America/New_York. :func:`generate_demo` writes that year's
raw exports under ``raw_dir``, one domain generator after the other:

* ``koha/`` and ``sierra/``: the ILS exports, Sierra until the migration to Koha on 2024-10-01
  (:mod:`libstats.demo.circulation`, which lists the hazards planted in them);
* ``wifi/``: a year of public Wi-Fi sessions in three systems' logs (:mod:`libstats.demo.wifi`);
* ``eresources/``: EZproxy logs, COUNTER reports and e-lending figures
  (:mod:`libstats.demo.eresources`);
* ``services/``: public-computer sessions (Libki), website visits (Matomo, then GA4), programs
  (LibCal) and room bookings, interlibrary loans (Koha ILL, a lending log)
  (:mod:`libstats.demo.services`).

A smaller FY2023 of the same library is :func:`libstats.demo.earlier.generate_fy2023`;
:func:`libstats.demo.prepare.prepare_demo` writes both years beside the demo config. What the
generators share (holidays, month weights, barcodes) is in :mod:`libstats.demo.common`.

Everything is fictional and generated: names, addresses and notes come from a seeded Faker, emails
use the ``example.com`` / ``example.org`` / ``example.net`` domains and phone numbers are in the 555
exchange (``555-0100`` .. ``555-0199``). The same seed gives byte-identical files.

Run as ``python -m libstats.demo.generate RAW_DIR [--seed SEED]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from libstats.demo.circulation.generate import generate_circulation
from libstats.demo.common import DEFAULT_SEED, FY_END, FY_START
from libstats.demo.eresources.generate import generate_eresources
from libstats.demo.services import generate_services
from libstats.demo.wifi.generate import generate_wifi

__all__ = ["DEFAULT_SEED", "generate_demo", "main"]


def generate_demo(raw_dir: Path, seed: int = DEFAULT_SEED) -> dict:
    """Write the fictional Riverbend County Library System raw exports under ``raw_dir``.

    Returns the summary of the ILS exports, JSON-serialisable: ``{"seed", "files": {name: path
    relative to raw_dir}, "rows": {name: data rows (physical lines minus header may be more: some
    notes span lines)}, "total_transactions": statistics rows + circ_trans rows}``. The same seed
    gives byte-identical files (and the same summary).
    """
    summary = generate_circulation(raw_dir, seed)
    generate_wifi(raw_dir, seed)
    generate_eresources(raw_dir, seed)
    generate_services(raw_dir, seed, FY_START, FY_END)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m libstats.demo.generate",
        description="Write the fictional Riverbend County Library System raw exports.")
    parser.add_argument("raw_dir", type=Path,
                        help="directory to write koha/, sierra/, wifi/ and eresources/ into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    summary = generate_demo(args.raw_dir, seed=args.seed)
    print(f"generated in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
