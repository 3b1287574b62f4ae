"""Onboarding conformance: each case folder replaces the mini library's statistics export and
states the expected outcome in expected.json (written by hand, see each SOURCE.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.conftest import CONFIG, mini_library_files

HERE = Path(__file__).parent
CASES = sorted(p.name for p in HERE.iterdir() if (p / "expected.json").exists())


@pytest.mark.parametrize("name", CASES)
def test_case(name, tmp_path, test_key, capsys):
    case = HERE / name
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    config_text = CONFIG
    if "config_edit" in expected:
        config_text = config_text.replace('path = "raw/statistics.csv"', expected["config_edit"])
    config = mini_library_files(tmp_path, config_text)
    for export in case.glob("*.csv"):
        shutil.copyfile(export, config.parent / "raw" / export.name)
    quiet = ["-q"] if expected.get("quiet", True) else []
    code = main(["run", str(config), "--period", "FY2025", *quiet])
    captured = capsys.readouterr()
    output = captured.out + captured.err
    assert code == expected.get("exit", 0), output
    for fragment in expected.get("present", []):
        assert fragment in output, (fragment, output)
    for fragment in expected.get("absent", []):
        assert fragment not in output, (fragment, output)
