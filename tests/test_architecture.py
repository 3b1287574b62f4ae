"""The layer rule (docs/architecture.md), checked with import-linter on the real tree: each
layer imports only the layers below it, domain modules do not import each other, and no module
is a circle's member. A second test plants an upward import in a copy of the tree and expects
the check to fail, so the first cannot pass by checking nothing."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("libstats", "transforms", "expectations", "reports", "pipelines")


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
                               "sys.exit(lint_imports(config_filename='pyproject.toml'))"],
        cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=120)


def test_every_contract_is_kept():
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _copy_tree(dest: Path) -> None:
    shutil.copy(REPO / "pyproject.toml", dest / "pyproject.toml")
    for package in PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            target = dest / path.relative_to(REPO)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)


@pytest.mark.parametrize("module, planted, contract", [
    ("libstats/keys.py", "import pipelines.run", "Layers point down"),
    ("transforms/wifi.py", "from pipelines import verify", "Layers point down"),
    ("reports/steward.py", "import pipelines.publish", "Layers point down"),
    ("pipelines/wifi.py", "from pipelines import circulation", "Run domains are independent"),
])
def test_an_import_pointing_back_up_breaks_a_contract(tmp_path, module, planted, contract):
    _copy_tree(tmp_path)
    path = tmp_path / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{planted}  # planted\n",
                    encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
    kept = [line for line in result.stdout.splitlines() if line.endswith("KEPT")]
    assert not any(line.startswith(contract) for line in kept)
