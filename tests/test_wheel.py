"""The wheel holds everything a run needs, and runs without the source tree: every module of
the five packages, the demo config and the state forms (package data), and the ``libstats``
command pointing at ``pipelines.cli:main``. (``pip install .`` then ``libstats demo`` is the
README's promise; a missing ``__init__.py`` or package-data glob breaks only the wheel.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("libstats", "transforms", "expectations", "reports", "pipelines")


def _tracked(pattern_dirs) -> set[str]:
    out = subprocess.run(["git", "ls-files", *pattern_dirs], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout.split()
    return set(out)


def test_wheel_has_every_module_and_data_file_and_runs_alone(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    for package in PACKAGES:
        shutil.copytree(REPO / package, src / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist"), str(src)], check=True,
                   capture_output=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("libstats-*.whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        entry = next(n for n in names if n.endswith("entry_points.txt"))
        entry_points = zf.read(entry).decode()
        zf.extractall(tmp_path / "site")
    wanted = {p for p in _tracked(PACKAGES)
              if p.endswith((".py", ".toml")) and "/tests/" not in p}
    assert wanted - names == set()
    assert "libstats/demo/library.toml" in names
    assert "reports/forms/survey_years.toml" in names
    assert "libstats = pipelines.cli:main" in entry_points
    run = subprocess.run(
        [sys.executable, "-c", "import sys, pipelines.cli, reports.annual.definitions; "
                               "sys.exit(pipelines.cli.main(['--version']))"],
        cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("libstats ")
    assert str(REPO) not in run.stdout + run.stderr
