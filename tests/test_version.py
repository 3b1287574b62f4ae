"""`libstats --version` prints the version the installed package declares (pyproject.toml), the
same one every manifest records."""

from __future__ import annotations

import importlib.metadata

import pytest

import libstats
from pipelines.cli import main


def test_version_matches_the_package_and_the_manifest_field(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"libstats {libstats.__version__}"
    assert importlib.metadata.version("libstats") == libstats.__version__
