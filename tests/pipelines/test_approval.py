"""Steward approval end to end on the mini library: pending, approve, reject, tampering."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from pipelines.cli import main

PERIOD = "FY2025"


def _require_approval(config: Path) -> Path:
    config.write_text(config.read_text(encoding="utf-8") + "\n[release]\nrequire_approval = true\n",
                      encoding="utf-8")
    return config


def _run(config: Path, capsys) -> tuple[int, str]:
    # not -q: quiet prints nothing but errors (issue 17), and the summary names the pending
    # release
    code = main(["run", str(config), "--period", PERIOD])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def _cli(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def _paths(config: Path) -> tuple[Path, Path, Path]:
    out = config.parent / "out"
    return (out / "pending" / "testville" / PERIOD, out / "published" / "testville" / PERIOD,
            out / "pseudonymized" / "testville" / PERIOD)


def test_a_run_that_needs_approval_publishes_nothing_until_approved(mini_library, capsys):
    config = _require_approval(mini_library)
    code, out = _run(config, capsys)
    assert code == 0, out
    pending, published, pz = _paths(config)
    assert "pending approval" in out and str(pending) in out
    assert not published.exists() and not pz.exists()
    assert not any((config.parent / "out" / "published").rglob("*.csv"))
    report = pending / "published" / "steward_report.html"
    assert "pending approval" in report.read_text(encoding="utf-8")
    reviewed = hashlib.sha256(report.read_bytes()).hexdigest()

    code, out = _cli(capsys, "approve", str(pending), "--by", "Dana Steward")
    assert code == 0, out
    assert published.is_symlink() and pz.is_symlink() and not pending.exists()
    manifest = json.loads((published / "manifest.json").read_text(encoding="utf-8"))
    approval = manifest["approval"]
    assert approval["status"] == "approved" and approval["by"] == "Dana Steward"
    assert approval["steward_report_sha256"] == reviewed and approval["at"].endswith("+00:00")
    assert "approved by Dana Steward" in (published / "steward_report.html").read_text(
        encoding="utf-8")
    code, out = _cli(capsys, "check", str(published))
    assert code == 0, out                                   # hashes rewritten after approval
    assert (pz / "libstats.duckdb").exists()                # analysts' views, as after a run
    # approving again: nothing pending any more
    code, out = _cli(capsys, "approve", str(pending), "--by", "Dana Steward")
    assert code == 2 and "not a pending libstats release" in out


def test_the_previous_release_stays_until_the_new_one_is_approved(mini_library, capsys):
    config = _require_approval(mini_library)
    assert _run(config, capsys)[0] == 0
    pending, published, _ = _paths(config)
    assert _cli(capsys, "approve", str(pending), "--by", "A")[0] == 0
    first = published.resolve()
    stats = config.parent / "raw" / "statistics.csv"
    lines = stats.read_text(encoding="utf-8").splitlines()
    stats.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")   # one row fewer
    assert _run(config, capsys)[0] == 0
    assert published.resolve() == first                      # still the approved one
    code, out = _cli(capsys, "reject", str(pending), "--by", "B")
    assert code == 0 and not pending.exists()
    assert published.resolve() == first
    decisions = json.loads((config.parent / "out" / "review" / "testville" / PERIOD /
                            "decisions.json").read_text(encoding="utf-8"))
    assert [d["status"] for d in decisions] == ["rejected"] and decisions[0]["by"] == "B"


def test_an_edited_pending_release_is_not_published(mini_library, capsys):
    config = _require_approval(mini_library)
    assert _run(config, capsys)[0] == 0
    pending, published, _ = _paths(config)
    table = next((pending / "published" / "tables").glob("*.csv"))
    table.write_text(table.read_text(encoding="utf-8") + "FY2025,x\n", encoding="utf-8")
    code, out = _cli(capsys, "approve", str(pending), "--by", "Dana Steward")
    assert code == 1 and "re-check" in out
    assert not published.exists() and pending.exists()


def test_an_edited_steward_report_is_not_approved(mini_library, capsys):
    config = _require_approval(mini_library)
    assert _run(config, capsys)[0] == 0
    pending, published, _ = _paths(config)
    report = pending / "published" / "steward_report.html"
    report.write_text(report.read_text(encoding="utf-8") + "<!-- edited -->", encoding="utf-8")
    code, out = _cli(capsys, "approve", str(pending), "--by", "Dana Steward")
    assert code == 1 and "changed after the run" in out
    assert not published.exists()


@pytest.mark.parametrize("by", ["", "  ", "two\nlines"])
def test_the_approver_must_be_named(mini_library, capsys, by):
    config = _require_approval(mini_library)
    assert _run(config, capsys)[0] == 0
    pending, published, _ = _paths(config)
    code, out = _cli(capsys, "approve", str(pending), "--by", by)
    assert code == 1 and "--by" in out and not published.exists()


def test_without_approval_nothing_is_pending(mini_library, capsys):
    code, out = _run(mini_library, capsys)
    assert code == 0, out
    pending, published, _ = _paths(mini_library)
    assert published.is_symlink() and not pending.parent.exists()
