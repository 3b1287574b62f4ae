"""Conformance corpus for e-resources (tests/conformance/eresources/*/): COUNTER R5.0 / R5.1
reports as vendors and the Code of Practice publish them, and EZproxy logs as ezPAARSE's test
set and real servers write them. Each case folder holds its inputs, ``SOURCE.md`` (origin,
licence, how the figures were computed) and ``expected.json``.

Every case is read through libstats' real reader (``load_counter`` / ``load_ezproxy``) and,
for EZproxy, the real staging SQL (``stg_ezproxy_requests``). The expected figures were
computed without libstats: by hand (SOURCE.md says how), or, for COUNTER reports, by the
minimal readers ``_mini_tsv`` / ``_mini_json`` below, which share no code with libstats and
are re-run here against every report the expectation was computed from.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from libstats.config import Source
from libstats.errors import InputError
from libstats.profiles import Profile, ResolvedProfile
from libstats.profiles.resolve import resolve
from libstats.readers.counter import load_counter
from libstats.readers.ezproxy import load_ezproxy
from transforms import eresources as e

HERE = Path(__file__).parent
CASES = sorted(p.parent.name for p in HERE.glob("*/expected.json"))
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


# ---- the independent mini-readers (no libstats) -------------------------------------------

def _add(totals: dict, metric: str, month: str, n: int) -> None:
    totals.setdefault(metric, {}).setdefault(month, 0)
    totals[metric][month] += n


def _mini_tsv(path: Path) -> dict:
    """Totals per Metric_Type and month of a tabular COUNTER report: the heading row is the
    first after row 10 with a Metric_Type cell; months are the Mmm-yyyy headings; a blank
    cell is 0."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8-sig").splitlines()]
    norm = [[re.sub(r"[\s_]", "", c).lower() for c in r] for r in rows]
    hi = next(i for i in range(10, len(rows)) if "metrictype" in norm[i])
    mi = norm[hi].index("metrictype")
    months = {}
    for j, cell in enumerate(rows[hi]):
        m = re.fullmatch(r"([A-Za-z]{3})-(\d{4})", cell.strip())
        if m:
            months[j] = f"{m[2]}-{_MONTHS.index(m[1].lower()) + 1:02d}"
    totals: dict = {}
    for r in rows[hi + 1:]:
        if not any(c.strip() for c in r):
            continue
        for j, month in months.items():
            _add(totals, r[mi].strip(), month, int(r[j].strip() or 0))
    return totals


def _mini_json(path: Path) -> dict:
    """Totals per Metric_Type and month of a COUNTER_SUSHI report, R5.0 (Performance: a list
    of Period/Instance) or R5.1 (Performance: {metric: {yyyy-mm: n}}), at any depth."""
    totals: dict = {}

    def walk(node):
        if isinstance(node, list):
            for x in node:
                walk(x)
        elif isinstance(node, dict):
            perf = node.get("Performance")
            if isinstance(perf, list):
                for p in perf:
                    for inst in p["Instance"]:
                        _add(totals, inst["Metric_Type"], p["Period"]["Begin_Date"][:7],
                             int(inst["Count"]))
            elif isinstance(perf, dict):
                for metric, months in perf.items():
                    for month, n in months.items():
                        _add(totals, metric, month, int(n))
            for k, v in node.items():
                if k != "Performance":
                    walk(v)

    walk(json.loads(path.read_text(encoding="utf-8-sig")).get("Report_Items") or [])
    return totals


def _mini(path: Path) -> dict:
    return _mini_json(path) if path.suffix == ".json" else _mini_tsv(path)


def _nonzero(totals: dict) -> dict:
    out = {m: {k: v for k, v in sorted(months.items()) if v} for m, months in totals.items()}
    return {m: months for m, months in sorted(out.items()) if months}


def _sum(*totals: dict) -> dict:
    out: dict = {}
    for t in totals:
        for metric, months in t.items():
            for month, n in months.items():
                _add(out, metric, month, n)
    return _nonzero(out)


# ---- libstats' readers --------------------------------------------------------------------

def _counter_source() -> ResolvedProfile:
    source = Source(name="counter", kind="eresources", format="counter_r5", path="x")
    return ResolvedProfile(source, Profile(name="counter_r5", kind="eresources", columns={}),
                           {}, {}, {})


def _load_counter(paths: list[Path], share: float):
    con = duckdb.connect()
    ing = load_counter(con, _counter_source(), paths, max_bad_share=share)
    totals: dict = defaultdict(dict)
    for metric, month, n in con.execute(
            f"SELECT metric_type, month, sum(count) FROM {ing.table} GROUP BY ALL").fetchall():
        totals[metric][month] = int(n)
    return ing, _nonzero(totals)


def _shown(message: str, folder: Path) -> str:
    return message.replace(str(folder) + "/", "{case}/")


def _run_counter(folder: Path, exp: dict) -> None:
    files = [folder / f for f in exp["files"]]
    share = exp.get("max_bad_report_share", 0.0)
    if "error" in exp:
        with pytest.raises(InputError) as info:
            _load_counter(files, share)
        assert _shown(str(info.value), folder) == exp["error"]
        return
    groups = [[f] for f in files] if exp.get("each_file") else [files]
    for group in groups:
        ing, totals = _load_counter(group, share)
        assert totals == exp["totals"], group
        warnings = [[w["file"].name, w["line"], w["column"], w["count"]] for w in ing.warnings]
        expected = [w for w in exp.get("warnings", []) if w[0] in {f.name for f in group}]
        assert warnings == expected
        quarantined = [[q["file"].name, q["line"], q["column"]] for q in ing.quarantined]
        assert quarantined == exp.get("quarantined", [])
    for name in exp.get("mini_reader", []):          # the expectation's own source
        assert _nonzero(_mini(folder / name)) == exp["totals"], name
    if "stops_at_share" in exp:
        with pytest.raises(InputError) as info:
            _load_counter(files, exp["stops_at_share"]["share"])
        assert _shown(str(info.value), folder) == exp["stops_at_share"]["error"]


def _run_ezproxy(folder: Path, exp: dict, tmp_path: Path) -> None:
    source = Source(name="ezproxy", kind="eresources", format="ezproxy_log", path="x",
                    timezone=exp["timezone"], log_format=tuple(exp["log_format"]))
    resolved = resolve(source, "conformance")
    files = [folder / f for f in exp["files"]]
    con = duckdb.connect()
    quarantine = tmp_path / "quarantine" / "ezproxy.bad_lines.tsv"
    ing = load_ezproxy(con, resolved, files, quarantine, exp.get("max_bad_line_share", 0.0),
                       work_dir=tmp_path)
    assert (ing.bad.lines, ing.bad.count) == (exp["lines"], exp["bad_lines"])
    if exp["bad_lines"]:
        assert (Path(ing.bad.first_file).name, ing.bad.first_line) == \
            tuple(exp["first_bad_line"])
        assert quarantine.exists()
    assert [[Path(f["file"]).name, f["lines"], f["first_line"]] for f in ing.non_utf8] == \
        exp.get("non_utf8", [])
    staging = e.EzproxyStaging(name="ezproxy", kind="log", table=ing.table,
                               fields=dict(resolved.fields), timezone=exp["timezone"])
    con.execute("CREATE TABLE stg AS " + e.stg_ezproxy_requests(staging, exp["timezone"]))
    by_hour = {f"{d} {h:02d}": int(n) for d, h, n in con.execute(
        "SELECT day, hour, count(*) FROM stg GROUP BY ALL ORDER BY ALL").fetchall()}
    assert by_hour == exp["requests_by_local_day_hour"]
    own, other = con.execute(
        "SELECT count(*) FILTER (WHERE logged_offset <> zone_offset AND logged_offset = "
        "other_offset), count(*) FILTER (WHERE logged_offset NOT IN (zone_offset, "
        "other_offset)) FROM stg").fetchone()
    assert (own, other) == (exp.get("offset_of_the_other_half_year", 0), 0)
    for column, values in exp.get("raw_values", {}).items():
        got = [v for (v,) in con.execute(
            f'SELECT "{column}" FROM {ing.table} ORDER BY __file, __ln').fetchall()]
        assert got == values, column


@pytest.mark.parametrize("case", CASES)
def test_case(case, tmp_path):
    folder = HERE / case
    exp = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    assert (folder / "SOURCE.md").exists()
    if exp["kind"] == "counter":
        _run_counter(folder, exp)
    else:
        _run_ezproxy(folder, exp, tmp_path)


def test_the_corpus_has_its_cases():
    assert len(CASES) >= 14
