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


def _commands(parser, prefix=()):
    """(command path, option strings) of every command, nested ones included."""
    import argparse
    found = [(prefix, sorted(s for a in parser._actions for s in a.option_strings
                             if not isinstance(a, argparse._HelpAction)))]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, prefix + (name,))
    return found


def test_every_command_and_option_is_in_the_readme():
    """The README's command-line section names every command and every option of it (the
    way sqlite-utils keeps its docs whole): a new flag without documentation fails here."""
    from pathlib import Path

    from pipelines.cli import build_parser
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("libstats")]
    missing = []
    for path, options in _commands(build_parser()):
        usage = [line for line in lines if line.split("#")[0].split()[1:1 + len(path)]
                 == list(path)] if path else lines
        if not usage:
            missing.append(" ".join(("libstats", *path)))
            continue
        for option in options:
            if not any(option in line.split("#")[0].split() or f"[{option}" in line
                       or f" {option} " in line or option + "]" in line
                       or option + "=" in line for line in usage):
                missing.append(f"{' '.join(('libstats', *path))} {option}")
    assert missing == []
