"""A mini library published twice (the statistics export changed in between), shared by the
lifecycle tests: each test gets its own copy of the folder (symlinks kept)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.conftest import CONFIG, mini_library_files

KEY = "ab" * 32


@pytest.fixture(scope="module")
def _two_runs(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("lifecycle")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIBSTATS_TEST_KEY", KEY)
        mp.setenv("LIBSTATS_ACTOR", "test-steward")
        (base / "lib").mkdir()
        config = mini_library_files(base / "lib", CONFIG)
        assert main(["run", str(config), "--period", "FY2025", "-q"]) == 0
        stats = config.parent / "raw" / "statistics.csv"
        with open(stats, "a", encoding="utf-8") as fh:
            fh.write("2024-10-20 10:00:00,MAIN,0.0000,issue,,150,BK,GEN,4,AFIC,PT,intranet\n")
        assert main(["run", str(config), "--period", "FY2025", "-q"]) == 0
    return config.parent


@pytest.fixture
def library(_two_runs, tmp_path, monkeypatch) -> Path:
    """A private copy of the twice-published library; returns its config path."""
    monkeypatch.setenv("LIBSTATS_TEST_KEY", KEY)
    monkeypatch.setenv("LIBSTATS_ACTOR", "test-steward")
    shutil.copytree(_two_runs, tmp_path / "lib", symlinks=True)
    return tmp_path / "lib" / "library.toml"


def age(path: Path, days: int) -> None:
    """Make a file or folder look ``days`` days old."""
    import time
    t = time.time() - days * 86400
    os.utime(path, (t, t))
