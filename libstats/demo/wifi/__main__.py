"""``python -m libstats.demo.wifi RAW_DIR [--seed SEED]``: write only the demo's Wi-Fi logs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from libstats.demo.common import DEFAULT_SEED
from libstats.demo.wifi.generate import generate_wifi


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m libstats.demo.wifi",
                                     description="Write the demo library's Wi-Fi session logs.")
    parser.add_argument("raw_dir", type=Path, help="directory to write wifi/ into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    generate_wifi(args.raw_dir, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
