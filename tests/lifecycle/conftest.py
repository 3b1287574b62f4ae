"""One small library published once, shared by the lifecycle tests (each test gets its own
copy of the folder, symlinks kept).

It is the mini library (circulation and patrons) with the Wi-Fi sources, where the RADIUS
source keeps no records (``keep_records = false``) and a folder publish target. It is built
by the cron example of docs/scheduling.md: its ``libstats run`` command, run as written (the
default period, the fiscal year that ended last calendar year, is FY2025 here). An earlier
run's pseudonymized version is then left beside the current one, as a rerun after a changed
export leaves it: staged and switched in by libstats.release, then the link pointed back.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import time
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.conftest import CONFIG, mini_library_files
from tests.fixtures.wifi_fixtures import add_wifi

KEY = "ab" * 32
DOCS = Path(__file__).resolve().parents[2] / "docs" / "scheduling.md"
DOC_CONFIG = "/srv/libstats/library.toml"
DOC_LIBSTATS = "/srv/libstats/.venv/bin/libstats"

EXTRA = """
[retention.sources.radius]
keep_records = false

[[publish.targets]]
url = "../pushed"
"""


def blocks(lang: str) -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def cron_lines() -> list[tuple[list[str], str]]:
    """(the five time fields, the command) of each line of the cron example."""
    out = []
    for line in blocks("cron")[0].splitlines():
        if line.strip() and not line.startswith("#"):
            parts = line.split(None, 5)
            out.append((parts[:5], parts[5]))
    return out


def libstats_commands(command: str) -> list[list[str]]:
    """The argv (after ``libstats``) of each libstats command of a shell command line joined
    by ``&&``; output redirections dropped."""
    argvs = []
    for part in command.split("&&"):
        words = shlex.split(part.split(">")[0])
        assert words[0] == DOC_LIBSTATS, words
        argvs.append(words[1:])
    return argvs


def localize(argv: list[str], config: Path) -> list[str]:
    return [str(config) if a == DOC_CONFIG else a for a in argv]


def age(path: Path, days: int) -> None:
    """Make a file or folder look ``days`` days old."""
    t = time.time() - days * 86400
    os.utime(path, (t, t))


@pytest.fixture(scope="session")
def _published(tmp_path_factory) -> Path:
    from libstats import period, release
    base = tmp_path_factory.mktemp("lifecycle")
    (base / "lib").mkdir()
    config = add_wifi(mini_library_files(base / "lib", CONFIG))
    config.write_text(config.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
    run_argv = localize(libstats_commands(cron_lines()[0][1])[0], config)
    assert run_argv[0] == "run"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("LIBSTATS_TEST_KEY", KEY)
        mp.setenv("LIBSTATS_ACTOR", "test-steward")
        mp.setattr(period, "default_fiscal_year", lambda config, today=None: 2025)
        assert main(run_argv) == 0
    pz_root = base / "lib" / "out" / "pseudonymized" / "testville"
    current = (pz_root / "FY2025").resolve()
    stage = release.staging_dir(pz_root, "FY2025")
    shutil.copytree(current, stage, dirs_exist_ok=True)
    (stage / "libstats.duckdb").unlink(missing_ok=True)
    shutil.rmtree(next((stage / "events").iterdir()))       # an earlier run had fewer months
    # named as a run names it: its content hash bound to the published version it reads
    published = (base / "lib" / "out" / "published" / "testville" / "FY2025").resolve().name
    earlier = pz_root / release.settle(stage, pz_root, "FY2025", ("libstats.duckdb",),
                                       bound_to=published)
    age(earlier, 30)
    assert (pz_root / "FY2025").resolve() == current != earlier.resolve()
    return base / "lib"


@pytest.fixture
def library(_published, tmp_path, monkeypatch) -> Path:
    """A private copy of the published library; returns its config path."""
    monkeypatch.setenv("LIBSTATS_TEST_KEY", KEY)
    monkeypatch.setenv("LIBSTATS_ACTOR", "test-steward")
    shutil.copytree(_published, tmp_path / "lib", symlinks=True)
    return tmp_path / "lib" / "library.toml"
