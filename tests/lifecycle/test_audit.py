"""The audit log: append-only JSON lines, chained so an edit is found; release switches are
recorded by publish; the review steward report shows the latest entries."""

from __future__ import annotations

import os

from libstats.lifecycle import audit


def test_the_chain_finds_an_edited_or_removed_line(tmp_path):
    log = tmp_path / "lifecycle" / "lib" / "audit.jsonl"
    for i in range(3):
        audit.append(log, "hold.add", "lib", {"hold": f"H{i + 1}"}, by="steward",
                     at=f"2026-01-0{i + 1}T00:00:00Z")
    assert audit.verify(log) == []
    assert oct(os.stat(log).st_mode & 0o777) == "0o640"
    lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    log.write_text(lines[0].replace("H1", "H9") + "".join(lines[1:]), encoding="utf-8")
    assert audit.verify(log) == ["audit.jsonl, line 2: the line before it was changed or removed"]
    log.write_text(lines[0] + lines[2], encoding="utf-8")
    assert audit.verify(log) == ["audit.jsonl, line 2: the line before it was changed or removed"]


def test_release_switch_is_logged_and_shown_to_the_steward(_published):
    lib = _published
    [entry] = audit.read(audit.log_path(lib / "out", "testville"))
    assert entry["action"] == "release.switch" and entry["by"] == "test-steward"
    assert entry["period"] == "FY2025"
    assert entry["published_version"] == (lib / "out/published/testville/FY2025").resolve().name
    assert entry["pseudonymized_version"] == \
        (lib / "out/pseudonymized/testville/FY2025").resolve().name
    assert len(entry["manifest_sha256"]) == 64
    assert set(entry) == {"at", "by", "action", "library", "period", "published_version",
                          "pseudonymized_version", "manifest_sha256", "prev"}
    review = (lib / "out/review/testville/FY2025/steward_report.html").read_text()
    assert "Audit log (latest entries)" in review and "release.switch" in review
    assert "test-steward" in review
    # the public steward report does not carry who ran what
    public = (lib / "out/published/testville/FY2025/steward_report.html").read_text()
    assert "Audit log" not in public and "test-steward" not in public
