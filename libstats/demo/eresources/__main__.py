"""``python -m libstats.demo.eresources RAW_DIR [--seed SEED]``: only the e-resource exports."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from libstats.demo.common import DEFAULT_SEED
from libstats.demo.eresources.generate import generate_eresources


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m libstats.demo.eresources",
                                     description="Write the demo library's e-resource exports.")
    parser.add_argument("raw_dir", type=Path, help="directory to write eresources/ into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    json.dump(generate_eresources(args.raw_dir, args.seed), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
