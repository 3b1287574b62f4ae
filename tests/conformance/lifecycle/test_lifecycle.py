"""Lifecycle conformance cases: each folder holds its inputs, SOURCE.md and expected.json
(figures by hand, see each SOURCE.md). Quarantine cases go through libstats' EZproxy reader;
config cases through load_config; the hold case through the hold commands' functions."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from libstats.config import Source, load_config
from libstats.errors import ConfigError, LibstatsError
from libstats.profiles import resolve
from libstats.readers.ezproxy import load_ezproxy

HERE = Path(__file__).parent
CASES = sorted(p.name for p in HERE.iterdir() if (p / "expected.json").is_file())


def test_every_case_has_its_source_notes():
    assert len(CASES) >= 4
    for name in CASES:
        assert (HERE / name / "SOURCE.md").is_file(), name


@pytest.mark.parametrize("name", CASES)
def test_case(name, tmp_path, monkeypatch):
    folder = HERE / name
    exp = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    {"quarantine": _quarantine, "config_error": _config_error,
     "policy_defaults": _policy_defaults}[exp["kind"]](folder, exp, tmp_path, monkeypatch)


def _quarantine(folder: Path, exp: dict, tmp_path: Path, monkeypatch) -> None:
    source = Source(name="ezproxy", kind="eresources", format="ezproxy_log", path="x",
                    timezone=exp["timezone"], log_format=tuple(exp["log_format"]))
    resolved = resolve(source, "conformance")
    files = [folder / f for f in exp["files"]]
    raw_lines = {f.name: f.read_text(encoding="utf-8").splitlines() for f in files}
    for keep_text in (False, True):
        q = tmp_path / f"q{int(keep_text)}" / "ezproxy.bad_lines.tsv"
        load_ezproxy(duckdb.connect(), resolved, files, q, exp["max_bad_line_share"],
                     work_dir=tmp_path, keep_text=keep_text)
        with open(q, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter="\t"))
        assert rows[0] == ["file", "line", "reason"] + (["text"] if keep_text else [])
        assert [[r[0], int(r[1]), r[2]] for r in rows[1:]] == exp["quarantined"]
        if keep_text:      # the text is the file's line as written
            assert [r[3] for r in rows[1:]] == [raw_lines[f][n - 1]
                                                for f, n, _ in exp["quarantined"]]
        else:              # nothing of the line itself
            text = q.read_text(encoding="utf-8")
            assert all(raw_lines[f][n - 1] not in text for f, n, _ in exp["quarantined"])


def _config_error(folder: Path, exp: dict, tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(folder / "library.toml")
    assert str(info.value).replace(str(folder.resolve()), "<case>") == exp["error"]


def _policy_defaults(folder: Path, exp: dict, tmp_path: Path, monkeypatch) -> None:
    from pipelines import holds
    shutil.copy(folder / "library.toml", tmp_path / "library.toml")
    monkeypatch.setenv("LIBSTATS_ACTOR", "conformance")
    config = load_config(tmp_path / "library.toml")
    life = config.lifecycle
    assert (life.raw_days, life.quarantine_days, life.hold_days, life.hold_extension_days,
            life.hold_max_extensions) == (exp["raw_days"], exp["quarantine_days"],
                                          exp["hold_days"], exp["extension_days"],
                                          exp["max_extensions"])
    placed = dt.date.fromisoformat(exp["placed"])
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "statistics.csv").write_text("datetime\n", encoding="utf-8")
    h = holds.add(config, reason="Preservation request", reference="Req 1",
                  files=["raw/statistics.csv"], today=placed)
    assert h.expires == exp["expires"]
    assert holds.extend(config, h.id, today=placed).expires == exp["extended_expires"]
    with pytest.raises(LibstatsError) as info:
        holds.extend(config, h.id, today=placed)
    assert str(info.value) == exp["second_extension_error"]
