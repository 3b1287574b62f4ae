"""Conformance of the service domains (public computers, website visits, programs, ILL):
exports as the vendors' published schemas define them, each read through libstats' real
config reader, profile, CSV reader and the domain's staging SQL and checks.

One folder per case: the input file, ``SOURCE.md`` (the schema or documentation it was rebuilt
from, its licence, how the figures were counted) and ``expected.json``:

- ``source``: the ``[[sources]]`` keys of the case (``path`` is the case's input file);
- ``also``: further sources read in the same run (a registrations export's events export),
  each like ``source``;
- ``config``: further TOML for the case (``[computers]``, ``[programs]``...);
- ``figures``: ``[table, {column: value}, expected]``: the sum of the published table's
  rows (before totals and suppression) matching every given column, counted by hand;
- or ``error``: where the run must stop (``line``, ``column``, ``contains``) and
  ``not_contains``: values of the input that the message must never show.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from libstats.config import load_config
from libstats.errors import InputError
from libstats.period import parse_period
from libstats.profiles import resolve
from pipelines.context import Run
from pipelines.domains import domain_of

HERE = Path(__file__).parent
CASES = sorted(p.name for p in HERE.iterdir() if (p / "expected.json").is_file())

BASE = """
[library]
name = "Conformance Test Library"
slug = "conformance"
fiscal_year_start = "07-01"
timezone = "America/New_York"

[key]
env = "LIBSTATS_TEST_KEY"

[[branches]]
code = "MAIN"
name = "Main Library"

[[branches]]
code = "WEST"
name = "West Branch"
"""


def _toml_value(v) -> str:
    if isinstance(v, dict):
        return "{ " + ", ".join(f'"{k}" = {_toml_value(x)}' for k, x in v.items()) + " }"
    return json.dumps(v)


def _config_text(folder: Path, exp: dict) -> str:
    lines = [BASE, exp.get("config", "")]
    for i, spec in enumerate([exp["source"], *exp.get("also", [])]):
        src = dict(spec)
        src["path"] = str(folder / src.pop("file"))
        mapping = src.pop("mapping", None)
        lines += ["[[sources]]", f'name = "case{i or ""}"']
        lines += [f"{k} = {_toml_value(v)}" for k, v in src.items()]
        if mapping:
            lines += ["[sources.mapping]"] + [f"{k} = {_toml_value(v)}"
                                              for k, v in mapping.items()]
    return "\n".join(lines) + "\n"


def _stage(tmp_path: Path, folder: Path, exp: dict):
    cfg_path = tmp_path / "library.toml"
    cfg_path.write_text(_config_text(folder, exp), encoding="utf-8")
    config = load_config(cfg_path)
    resolved = [resolve(s, config.path) for s in config.sources]
    period = parse_period(config, exp.get("period", "FY2025"))
    con = duckdb.connect()
    run = Run(con=con, config=config, period=period, pkey=None, work_dir=tmp_path)
    domain = domain_of(resolved[0].profile.kind)
    domain.prepare(run, resolved)
    loaded = [domain.load(run, r, [Path(r.source.path)]) for r in resolved]
    return con, domain.stage(run, loaded)


@pytest.mark.parametrize("case", CASES)
def test_case(case, tmp_path):
    folder = HERE / case
    exp = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    assert (folder / "SOURCE.md").is_file()
    if "error" in exp:
        with pytest.raises(InputError) as info:
            _stage(tmp_path, folder, exp)
        err, msg = info.value, str(info.value)
        assert err.line == exp["error"]["line"], msg
        assert err.column == exp["error"].get("column"), msg
        assert exp["source"]["file"] in msg
        for part in exp["error"]["contains"]:
            assert part in msg, msg
        for secret in exp["error"].get("not_contains", []):
            assert secret not in msg, msg
        return
    con, staged = _stage(tmp_path, folder, exp)
    frames = {name: con.execute(sql).df() for name, sql in staged.pub_sql.items()}
    for table, where, value in exp["figures"]:
        f = frames[table]
        for col, v in where.items():
            f = f[f[col].astype(str) == str(v)]
        assert int(f["value"].sum()) == value, (table, where)
