"""Differential privacy for a published table: contribution bounding, OpenDP noise on a fixed
key space, the fiscal year's ε ledger, replay of an unchanged draw, and a run that would
overspend stopping with nothing published."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from libstats.config import load_config
from libstats.errors import ConfigError
from libstats.release import tree_hash
from pipelines.cli import main
from tests.conftest import CONFIG, STAT_HEADER, csv_text, mini_library_files, stat_rows
from transforms.disclosure import noise as dp

PUB = "out/published/testville/FY2025"
CIRC = "pub_circulation__branch_month_material"
REG = "pub_new_registrations__month"
DP_CONFIG = CONFIG + f"""
[privacy]
epsilon_per_fiscal_year = 2.0

[tables.{CIRC}]
privacy = "dp"
epsilon = 1.0
max_contributions = 3

[tables.{REG}]
privacy = "dp"
epsilon = 0.5
"""


def _run(config: Path, capsys) -> tuple[int, str]:
    code = main(["run", str(config), "--period", "FY2025", "-q"])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def _manifest(folder: Path) -> dict:
    return json.loads((folder / PUB / "manifest.json").read_text())


def _table(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / PUB / "tables" / f"{name}.csv", dtype={"value": "Int64"},
                       keep_default_na=False)


@pytest.fixture
def dp_release(tmp_path, test_key, capsys) -> Path:
    config = mini_library_files(tmp_path, DP_CONFIG)
    code, out = _run(config, capsys)
    assert code == 0, out
    return tmp_path


# --- the pieces --------------------------------------------------------------------------

def test_each_contributor_adds_at_most_the_bound():
    rows = ("SELECT * FROM (VALUES ('p1', 'a', 'x'), ('p1', 'b', 'x'), ('p1', 'c', 'y'), "
            "('p1', 'd', 'y'), ('p2', 'e', 'x'), ('r1', 'f', 'y'), ('r2', 'g', 'y')) "
            "AS t(contributor, row_id, cell)")
    with duckdb.connect() as con:
        got = dict(con.execute(dp.bounded_counts_sql(rows, ["cell"], 2)).fetchall())
        again = dict(con.execute(dp.bounded_counts_sql(rows, ["cell"], 2)).fetchall())
    assert sum(got.values()) == 2 + 1 + 1 + 1 and got == again


def test_opendp_accounts_the_epsilon_and_the_scale_follows_the_bound():
    _, scale, eps = dp.measurement(sensitivity=3, epsilon=0.5)
    assert scale == 6.0 and math.isclose(eps, 0.5)
    acc = dp.accuracy(scale, cells=100)
    assert 10 < acc["cell_accuracy_95"] < 25 < acc["total_accuracy_95"]


def test_the_noise_has_the_spread_the_steward_report_states():
    noisy, info = dp.add_noise(np.zeros(20_000, dtype=np.int64), sensitivity=2, epsilon=1.0)
    p = math.exp(-1 / info["scale"])
    assert abs(noisy.mean()) < 0.2
    assert abs(noisy.var() / (2 * p / (1 - p) ** 2) - 1) < 0.15
    assert np.mean(np.abs(noisy) <= info["cell_accuracy_95"]) >= 0.94


# --- the pipeline -------------------------------------------------------------------------

def test_dp_tables_are_noisy_complete_and_carry_their_ledger(dp_release):
    m = _manifest(dp_release)
    d = m["differential_privacy"]
    assert set(d["tables"]) == {CIRC, REG}
    circ = d["tables"][CIRC]
    assert (circ["epsilon"], circ["max_contributions"], circ["scale"]) == (1.0, 3, 3.0)
    assert circ["cell_accuracy_95"] > 0 and circ["total_accuracy_95"] > circ["cell_accuracy_95"]
    assert "never from the data" in circ["key_space"]
    assert [(e["table"], e["epsilon"], e["drawn_in"]) for e in d["ledger"]] == [
        (CIRC, 1.0, "FY2025"), (REG, 0.5, "FY2025")]
    assert (d["budget"], d["spent"], d["remaining"]) == (2.0, 1.5, 0.5)
    table = _table(dp_release, CIRC)
    # the whole key space: 12 months x 2 branches x 3 material types x 3 audiences x 3
    # measures, with every total; nothing withheld, nothing negative
    base = table[(table[["month", "branch_code", "material_type", "audience"]] != "all")
                 .all(axis=1)]
    assert len(base) == 12 * 2 * 3 * 3 * 3
    assert not table["suppressed"].any() and (table["value"] >= 0).all()
    assert d["tables"][CIRC]["cells"] == len(base)
    small = [c for c in m["checks"] if c["table"] == CIRC and c["check"] == "small_cells"]
    assert small == [] and all(c["passed"] for c in m["checks"])
    assert CIRC not in m["disclosure"]["tables"]
    report = (dp_release / PUB / "steward_report.html").read_text()
    assert "Differential privacy" in report and "ε" in report


def test_a_rerun_shows_the_same_draw_again_at_no_cost(dp_release, capsys):
    release = dp_release / PUB
    before = (release.resolve(), tree_hash(release))
    code, out = _run(dp_release / "library.toml", capsys)
    assert code == 0, out
    assert (release.resolve(), tree_hash(release)) == before
    assert main(["check", str(release)]) == 0


def test_new_counts_spend_again_and_an_overspend_publishes_nothing(dp_release, capsys):
    release = dp_release / PUB
    before = (release.resolve(), tree_hash(release))
    rows = stat_rows() + [["2025-01-15 10:00:00", "WEST", "0.0000", "issue", "", "999", "BK",
                           "GEN", "4", "AFIC", "PT", "intranet"]]
    (dp_release / "raw" / "statistics.csv").write_text(csv_text(STAT_HEADER, rows))
    code, out = _run(dp_release / "library.toml", capsys)
    assert code == 1, out
    assert "budget of FY2025 is ε = 2" in out and "spent 1.5" in out and CIRC in out
    assert "nothing was published" in out
    assert (release.resolve(), tree_hash(release)) == before

    config = dp_release / "library.toml"
    config.write_text(config.read_text().replace("epsilon_per_fiscal_year = 2.0",
                                                 "epsilon_per_fiscal_year = 3.0"))
    code, out = _run(config, capsys)
    assert code == 0, out
    d = _manifest(dp_release)["differential_privacy"]
    # the registrations did not change: replayed; the circulation is a new draw
    assert [(e["table"], e["epsilon"]) for e in d["ledger"]] == [
        (CIRC, 1.0), (CIRC, 1.0), (REG, 0.5)]
    assert (d["spent"], d["remaining"]) == (2.5, 0.5)


def test_only_countable_tables_can_be_dp_and_the_budget_is_required(tmp_path):
    cases = [
        ('[tables.pub_active_borrowers__branch_month]\nprivacy = "dp"\nepsilon = 1\n'
         '[privacy]\nepsilon_per_fiscal_year = 1', "tables.pub_active_borrowers__branch_month"
                                                   ".privacy"),
        (f'[tables.{CIRC}]\nprivacy = "dp"\nmax_contributions = 3\n'
         f'[privacy]\nepsilon_per_fiscal_year = 1', f"tables.{CIRC}.epsilon"),
        (f'[tables.{CIRC}]\nprivacy = "dp"\nepsilon = 1\n', f"tables.{CIRC}.max_contributions"),
        (f'[tables.{REG}]\nprivacy = "dp"\nepsilon = 1\n', "privacy.epsilon_per_fiscal_year"),
        ('[tables.pub_nothing]\nprivacy = "dp"\n', "tables.pub_nothing"),
        (f'[tables.{REG}]\nprivacy = "noise"\n', f"tables.{REG}.privacy"),
    ]
    for i, (text, key) in enumerate(cases):
        path = tmp_path / f"c{i}.toml"
        path.write_text(CONFIG + "\n" + text + "\n")
        with pytest.raises(ConfigError) as err:
            load_config(path)
        assert key in str(err.value), (key, str(err.value))
    path = tmp_path / "ok.toml"
    path.write_text(DP_CONFIG)
    cfg = load_config(path)
    assert cfg.dp_budget == 2.0 and cfg.dp_tables[REG].max_contributions == 1


def test_exact_event_counts_leave_the_published_manifest_of_a_dp_circulation_table(
        dp_release):
    """The manifest's row counts and coverage count the same events exactly: published next
    to the noisy table they would undo its noise, so only the review copy keeps them."""
    m = _manifest(dp_release)
    assert set(m["rows"]["stats"]) == {"read"}
    assert "differential privacy" in m["rows"]["stats"]["read"]
    assert isinstance(m["coverage"], str)
    assert next(t for t in m["pseudonymized"] if t["table"] == "events")["rows"] == \
        m["rows"]["stats"]["read"]
    review = json.loads((dp_release / "out" / "review" / "testville" / "FY2025" /
                         "manifest.json").read_text())
    assert review["rows"]["stats"]["in_period"] == 41


def test_the_ledger_survives_a_release_without_dp_and_a_redraw_counts_again(
        dp_release, capsys):
    config = dp_release / "library.toml"
    plain = config.read_text().replace('privacy = "dp"', 'privacy = "suppression"')
    plain = plain.replace("epsilon = 1.0\nmax_contributions = 3\n", "").replace(
        "epsilon = 0.5\n", "")
    config.write_text(plain)
    code, out = _run(config, capsys)
    assert code == 0, out
    d = _manifest(dp_release)["differential_privacy"]
    assert d["tables"] == {} and d["spent"] == 1.5 and len(d["ledger"]) == 2
    # DP again: the replaced DP release is still public under .versions/, so its draw is
    # shown again at no cost
    config.write_text(DP_CONFIG)
    code, out = _run(config, capsys)
    assert code == 0, out
    d = _manifest(dp_release)["differential_privacy"]
    assert d["spent"] == 1.5 and len(d["ledger"]) == 2
    # once the noisy figures are gone from the folder (every version but the current plain
    # one deleted, and the plain release current again), the same counts are drawn anew,
    # and that costs again: 1.5 + 1.5 > 2.0
    config.write_text(plain)
    assert _run(config, capsys)[0] == 0
    release = (dp_release / PUB).resolve()
    for version in release.parent.iterdir():
        if version != release and not version.name.startswith(".staging"):
            shutil.rmtree(version)
    config.write_text(DP_CONFIG)
    code, out = _run(config, capsys)
    assert code == 1 and "spent 1.5" in out
    config.write_text(DP_CONFIG.replace("epsilon_per_fiscal_year = 2.0",
                                        "epsilon_per_fiscal_year = 5.0"))
    code, out = _run(config, capsys)
    assert code == 0, out
    d = _manifest(dp_release)["differential_privacy"]
    assert [(e["table"], e["draw"]) for e in d["ledger"]] == [
        (CIRC, 1), (CIRC, 2), (REG, 1), (REG, 2)]
    assert d["spent"] == 3.0


def test_the_budget_and_epsilon_must_be_finite_numbers(tmp_path):
    for bad, key in (("epsilon_per_fiscal_year = nan", "privacy.epsilon_per_fiscal_year"),
                     ("epsilon_per_fiscal_year = inf", "privacy.epsilon_per_fiscal_year"),
                     ("epsilon_per_fiscal_year = true", "privacy.epsilon_per_fiscal_year")):
        path = tmp_path / "c.toml"
        path.write_text(DP_CONFIG.replace("epsilon_per_fiscal_year = 2.0", bad))
        with pytest.raises(ConfigError) as err:
            load_config(path)
        assert key in str(err.value)
    path.write_text(DP_CONFIG.replace("epsilon = 0.5", "epsilon = nan"))
    with pytest.raises(ConfigError, match=f"tables.{REG}.epsilon"):
        load_config(path)


def test_check_does_not_take_a_dp_digest_for_a_phone_number(dp_release):
    """A digest is hex; ten digits in a row occur in one of a few dozen. libstats check
    blanks digests like key ids (labelled 'dpin-')."""
    from reports.recheck import _HASHES
    digest = _manifest(dp_release)["differential_privacy"]["ledger"][0]["input_digest"]
    assert digest.startswith("dpin-") and _HASHES.fullmatch(digest)
    assert _HASHES.sub(" ", '"dpin-0123456789abcdef0123456789abcdef"').strip('" ') == ""
