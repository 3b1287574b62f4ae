"""keep_records = false (003_dbbd14c0ad649baa.txt): the RADIUS source of the shared library is
counted in the published tables but none of its rows is in the pseudonymized zone."""

from __future__ import annotations

import csv
import json
from types import SimpleNamespace

import duckdb
import pytest

from libstats.errors import ConfigError
from libstats.lifecycle.settings import Lifecycle, SourceRetention
from pipelines import norecords

ZONE = "out/pseudonymized/testville/FY2025"


def test_counted_in_the_release_never_kept_in_the_zone(_published):
    lib = _published
    pz = lib / ZONE
    by_source = dict(duckdb.sql(
        f"SELECT source, count(*) FROM read_parquet('{pz}/wifi_sessions/*/*.parquet') "
        "GROUP BY ALL").fetchall())
    # hand counts (tests/fixtures/wifi_fixtures.py EXPECTED): 14 RADIUS sessions at MAIN in
    # October, 11 + 2 Meraki and 3 UniFi at WEST in November
    assert by_source == {"meraki_csv": 11, "meraki_json": 2, "unifi": 3}
    with open(lib / "out/published/testville/FY2025/tables/pub_wifi_sessions__branch_month.csv",
              encoding="utf-8") as fh:
        total = next(r for r in csv.DictReader(fh)
                     if r["month"] == "all" and r["branch_code"] == "all")
    assert total["value"] == "30"                   # RADIUS counted all the same
    m = json.loads((lib / "out/review/testville/FY2025/manifest.json").read_text())
    assert m["rows"]["radius"]["in_period"] == 14
    [t] = [t for t in m["pseudonymized"] if t["table"] == "wifi_sessions"]
    assert t["rows"] == 16 and "without radius: keep_records = false" in t["note"]
    con = duckdb.connect(str(pz / "libstats.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM wifi_sessions").fetchone()[0] == 16


class _Domain:
    """A domain module's stand-in (hashable, as modules are)."""

    KINDS = ("wifi",)

    def __init__(self, write):
        self.write_pseudonymized = write


def _run(tmp_path, sources, keep_none):
    lifecycle = Lifecycle(sources={n: SourceRetention(keep_records=False) for n in keep_none})
    config = SimpleNamespace(lifecycle=lifecycle, path=tmp_path / "library.toml",
                             sources=[SimpleNamespace(name=n, kind="wifi") for n in sources])
    return SimpleNamespace(config=config, con=duckdb.connect())


def test_a_domain_whose_sources_all_keep_no_records_writes_nothing(tmp_path):
    def must_not_write(*a):
        raise AssertionError("written")
    domain = _Domain(must_not_write)
    tables, skipped = norecords.write_pseudonymized(_run(tmp_path, ["a", "b"], ["a", "b"]),
                                                    {domain: None}, tmp_path)
    assert skipped == {domain} and tables[0]["rows"] == 0 and list(tmp_path.iterdir()) == []


def test_a_file_without_a_source_column_cannot_be_separated(tmp_path):
    r = _run(tmp_path, ["a", "b"], ["a"])

    def write(run, staged, stage):
        r.con.execute(f"COPY (SELECT 1 AS n) TO '{stage / 'mixed.parquet'}' (FORMAT parquet)")
        return [{"table": "mixed", "rows": 1}]
    domain = _Domain(write)
    with pytest.raises(ConfigError) as exc:
        norecords.write_pseudonymized(r, {domain: None}, tmp_path)
    assert "retention.sources.a.keep_records" in str(exc.value)
    assert "mixed.parquet mixes sources and has no 'source' column" in str(exc.value)
