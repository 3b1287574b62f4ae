"""k-anonymity of the pseudonymized zone's patron records: the plan on class counts, the
pipeline on a hand-written library, pyCANON as an independent oracle, and fail-closed."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycanon import anonymity, metrics

from libstats.config import load_config
from libstats.errors import ConfigError
from pipelines.cli import main
from tests.conftest import BORROWER_HEADER, CONFIG, borrower_rows, csv_text, mini_library_files
from transforms.disclosure import kanonymity as ka

PUB = "out/published/testville/FY2025"
PZ = "out/pseudonymized/testville/FY2025"
QIS = ["home_branch_code", "patron_category", "age_band", "area"]
#: every column the zone's patrons file ships but the token and key id (docs/disclosure.md §6)
ZONE_QIS = [*QIS, "enrolled_month", "last_activity_month", "is_registered_user",
            "reading_history_opt_in"]
#: what the event files add to a record: its token borrowed in the period (an attacker joins
#: the two files on the token), counted by the plan and the check
EVENT_FLAG = "has_zone_events"
PLAN_QIS = [*ZONE_QIS, EVENT_FLAG]
RULES = ka.steps((0, 5, 12, 18, 25, 35, 45, 55, 65, 75), {"Area North", "Area South"})


def _borrower(n: int, branch: str, category: str, born: str) -> list[str]:
    return [str(n), f"2999900000{n:04d}", f"Testperson{n}", "Pat", f"pat{n}@example.com",
            f"(555) 555-01{n % 100:02d}", "06100", born, branch, category, "2015-03-01",
            "2027-03-01", "2025-01-10 10:00:00", "1", ""]


def _library(folder: Path, config_text: str = CONFIG) -> Path:
    """The mini library plus 31 more patrons: 20 alike (a class kept as it is), five who
    are alike once their age bands are widened, one child alone at West, and five adults
    alone (with the child and the four of the mini library's five who did not opt in to
    reading history they make the ten records a class holding a minor needs by default,
    [minors] k). The one who opted in is alone with that flag, which the events give away,
    so the record is left out."""
    config = mini_library_files(folder, config_text)
    rows = borrower_rows()
    rows += [_borrower(n, "MAIN", "PT", "1990-05-01") for n in range(6, 26)]
    rows += [_borrower(n, "WEST", "PT", "1998-01-15") for n in range(26, 29)]
    rows += [_borrower(n, "WEST", "PT", "1988-01-15") for n in range(29, 31)]
    rows += [_borrower(31, "WEST", "J", "2015-01-15")]
    rows += [_borrower(n, "WEST", "ST", born) for n, born in
             ((32, "1950-02-01"), (33, "1944-02-01"), (34, "1932-02-01"), (35, "1979-02-01"),
              (36, "1985-02-01"))]
    (folder / "raw" / "borrowers.csv").write_text(csv_text(BORROWER_HEADER, rows),
                                                  encoding="utf-8")
    return config


def _run(config: Path, capsys) -> tuple[int, str]:
    code = main(["run", str(config), "--period", "FY2025", "-q"])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


@pytest.fixture
def released(tmp_path, test_key, capsys) -> Path:
    config = _library(tmp_path)
    code, out = _run(config, capsys)
    assert code == 0, out
    return tmp_path


def _zone_patrons(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / PZ / "patrons.parquet")


def _with_event_flag(patrons: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """The records' attributes as an attacker holding the event files has them: "*" for a
    withheld value, and whether the token has events."""
    files = sorted((folder / PZ / "events").glob("month=*/*.parquet"))
    tokens = set(pd.concat([pd.read_parquet(f, columns=["patron_token"]) for f in files])
                 ["patron_token"].dropna().map(bytes))
    data = patrons[ZONE_QIS].astype(object).where(patrons[ZONE_QIS].notna(), "*")
    data[EVENT_FLAG] = patrons["patron_token"].map(lambda t: bytes(t) in tokens)  # not isin: numpy drops trailing NUL bytes
    return data


# --- the plan -----------------------------------------------------------------------------

def _classes(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=[*QIS, "n"])


def test_widening_the_age_band_is_tried_before_withholding():
    classes = _classes(("MAIN", "PT", "35-44", "Area North", 20),
                       ("WEST", "PT", "25-34", "Area North", 3),
                       ("WEST", "PT", "35-44", "Area North", 2),
                       ("WEST", "J", "5-11", "Area North", 1),
                       ("MAIN", "J", "55-64", "Area South", 4))
    p = ka.plan(classes, tuple(QIS), 5, RULES)
    got = p.mapping.set_index("n")
    assert got.loc[20, "outcome"] == "kept" and got.loc[20, "final_age_band"] == "35-44"
    assert list(got.loc[[3, 2], "outcome"]) == ["generalized"] * 2
    assert list(got.loc[[3, 2], "final_age_band"]) == ["25-44", "25-44"]
    assert list(got.loc[[3, 2], "final_area"]) == [ka.SERVICE_AREA] * 2
    assert list(got.loc[[3, 2], "final_home_branch_code"]) == ["WEST", "WEST"]
    # alone even at 0-11 and 45-64: every quasi-identifier withheld
    assert list(got.loc[[1, 4], "outcome"]) == ["withheld"] * 2
    assert got.loc[[1, 4], [f"final_{c}" for c in QIS]].isna().all().all()
    assert p.report == {
        "k": 5, "quasi_identifiers": QIS, "records": 30, "classes": 3, "smallest_class": 5,
        "largest_class": 20, "records_kept": 20, "records_generalized": 5,
        "records_withheld": 5, "records_dropped": 0, "classes_below_k_before": 4}


def test_too_few_withheld_records_take_the_smallest_class_with_them():
    # The child alone is withheld; one record with nothing left would still be one person,
    # so the smallest class (the five generalized) is withheld with it.
    classes = _classes(("MAIN", "PT", "35-44", "Area North", 20),
                       ("WEST", "PT", "25-34", "Area North", 3),
                       ("WEST", "PT", "35-44", "Area North", 2),
                       ("WEST", "J", "5-11", "Area North", 1))
    p = ka.plan(classes, tuple(QIS), 5, RULES)
    assert list(p.mapping["outcome"]) == ["kept", "withheld", "withheld", "withheld"]
    assert (p.report["classes"], p.report["smallest_class"], p.report["records_withheld"]) \
        == (2, 6, 6)


def test_named_areas_widen_to_the_service_area_and_prefixes_lose_a_digit():
    step = RULES["area"]
    assert step("Area North") == ka.SERVICE_AREA
    assert step("064xx") == "06xxx" and step("0641x") == "064xx"
    assert step("Outside the county") == "Outside the county"
    # a year is written "2024-xx": a bare "2024" could equal a borrower number (leak scan)
    assert RULES["enrolled_month"]("2024-03") == "2024-xx"
    assert RULES["enrolled_month"]("2024-xx") == "2024-xx"


def test_fewer_records_than_k_are_dropped_from_the_zone():
    classes = pd.DataFrame({"b": ["X", "Y"], "n": [2, 1]})
    p = ka.plan(classes, ("b",), 5, {})
    assert set(p.mapping["outcome"]) == {"dropped"}
    assert p.report["records_dropped"] == 3 and p.report["classes"] == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", None]),
                          st.sampled_from(["0-4", "5-11", "12-17", "75+", "unknown"]),
                          st.integers(1, 12)), min_size=1, max_size=15,
                unique_by=lambda t: (t[0], t[1])),
       st.integers(2, 8))
def test_every_class_reaches_k_and_no_record_is_lost(rows, k):
    classes = pd.DataFrame(rows, columns=["b", "age_band", "n"])
    p = ka.plan(classes, ("b", "age_band"), k, RULES)
    m = p.mapping
    total = int(classes["n"].sum())
    assert int(m["n"].sum()) == total
    assert (m["outcome"] == "dropped").any() == (total < k)
    if total >= k:
        sizes = m.groupby(["final_b", "final_age_band"], dropna=False)["n"].sum()
        assert sizes.min() >= k and p.report["smallest_class"] == sizes.min()
    kept = m[m["outcome"] == "kept"]
    assert (kept["final_b"].fillna("?") == kept["b"].fillna("?")).all()
    assert (kept["final_age_band"] == kept["age_band"]).all()
    assert sum(p.report[f"records_{o}"] for o in
               ("kept", "generalized", "withheld", "dropped")) == total


# --- the pipeline -----------------------------------------------------------------------------

def test_the_zone_is_k_anonymous_as_pycanon_counts_it(released):
    manifest = json.loads((released / PUB / "manifest.json").read_text())
    report = manifest["k_anonymity"]
    cross_year = report.pop("cross_year")
    non_identifying = report.pop("non_identifying")
    assert report == {
        "k": 5, "quasi_identifiers": PLAN_QIS, "records": 36, "classes": 3,
        "smallest_class": 5, "largest_class": 20, "records_kept": 20,
        "records_generalized": 5, "records_withheld": 10, "records_dropped": 1,
        "classes_below_k_before": 9, "classes_with_minors": 1,
        "smallest_class_with_minors": 10, "k_minors": 10, "minors_age": 18,
        "activity_dates": "year"}
    assert sorted(non_identifying) == ["key_id", "patron_token"]
    assert cross_year["compared_with"] == []          # no other fiscal year's zone yet
    patrons = _zone_patrons(released)
    assert len(patrons) == report["records"] - report["records_dropped"]
    # every column but the token and the key id is a quasi-identifier (pyCANON, independent)
    assert [c for c in patrons.columns if c not in ("patron_token", "key_id")] == ZONE_QIS
    assert set(patrons["enrolled_month"].dropna()) == {"2015-xx"}   # shipped as the year
    data = _with_event_flag(patrons, released)
    assert anonymity.k_anonymity(data, PLAN_QIS) == report["smallest_class"] >= report["k"]
    # the class holding the child has the minors' k
    child_class = data[data["home_branch_code"] == "*"]
    assert len(child_class) == report["smallest_class_with_minors"] >= 10
    # the opt-in flag is never withheld (the events carry opted-in patrons' tokens)
    assert patrons["reading_history_opt_in"].notna().all()
    stats = metrics.sizes_ec(data, PLAN_QIS)
    assert (stats["n_ec"], stats["min_ec"], stats["max_ec"]) == (
        report["classes"], report["smallest_class"], report["largest_class"])
    check = next(c for c in manifest["checks"] if c["check"] == "k_anonymity")
    assert check["passed"] and check["zone"] == "pseudonymized"


def test_generalized_records_carry_the_wider_band_and_withheld_ones_nothing(released):
    patrons = _zone_patrons(released)
    west = patrons[patrons["home_branch_code"] == "WEST"]
    assert len(west) == 5 and set(west["age_band"]) == {"25-44"}
    withheld = patrons[patrons["home_branch_code"].isna()]
    hidden = [c for c in ZONE_QIS if c != "reading_history_opt_in"]
    assert len(withheld) == 10 and withheld[hidden].isna().all().all()
    assert not withheld["reading_history_opt_in"].any()


def test_events_do_not_give_back_a_withheld_category(released):
    # Patron 1 kept its reading history; its record's category is withheld, so its events
    # cannot carry it next to the same token.
    with duckdb.connect() as con:
        events = con.execute(f"SELECT * FROM read_parquet('{released / PZ}/events/*/*.parquet')").df()
    mine = events[events["patron_token"].notna()]
    assert len(mine) == 6 and mine["patron_category"].isna().all()
    assert (events.loc[events["patron_token"].isna(), "patron_category"] == "PT").any()


def test_a_zone_that_is_not_k_anonymous_publishes_nothing(tmp_path, test_key, capsys,
                                                          monkeypatch):
    plan = ka.plan
    monkeypatch.setattr(ka, "plan", lambda classes, qis, k, rules, **kw: plan(
        classes.drop(columns="k"), qis, 1, rules))
    config = _library(tmp_path)
    code, out = _run(config, capsys)
    assert code == 1
    assert "'k_anonymity' FAILED (9 offending" in out and "16 record(s)" in out
    assert "Testperson" not in out and "MAIN" not in out
    assert not (tmp_path / PUB).exists() and not (tmp_path / PZ).exists()


def test_a_library_can_add_quasi_identifiers_but_not_unknown_ones(tmp_path):
    base = CONFIG + '\n[k_anonymity]\nk = 3\nextra_quasi_identifiers = ["enrolled_month"]\n'
    (tmp_path / "a.toml").write_text(base)
    cfg = load_config(tmp_path / "a.toml")
    # every shipped column counts anyway; the old setting is accepted
    assert cfg.k_anonymity == 3 and cfg.quasi_identifiers == tuple(ZONE_QIS)
    assert (cfg.activity_dates, cfg.minors_k, cfg.minors_threshold) == ("year", 8, 15)
    for bad, key in (('k = 1', "k_anonymity.k"),
                     ('extra_quasi_identifiers = ["zipcode"]',
                      "k_anonymity.extra_quasi_identifiers"),
                     ('activity_dates = "day"', "k_anonymity.activity_dates")):
        (tmp_path / "b.toml").write_text(CONFIG + f"\n[k_anonymity]\n{bad}\n")
        with pytest.raises(ConfigError) as err:
            load_config(tmp_path / "b.toml")
        assert key in str(err.value) and "b.toml" in str(err.value)


def test_dropped_months_are_not_quasi_identifiers_and_minors_are_never_laxer(tmp_path):
    (tmp_path / "a.toml").write_text(CONFIG + '\n[k_anonymity]\nactivity_dates = "drop"\n'
                                              '\n[minors]\nk = 12\npatron_categories = ["J"]\n')
    cfg = load_config(tmp_path / "a.toml")
    assert cfg.quasi_identifiers == (*QIS, "is_registered_user", "reading_history_opt_in")
    assert (cfg.minors_k, cfg.minors_threshold, cfg.minors_categories) == (12, 15, ("J",))
    for bad, key, why in (("k = 4", "minors.k", "at least the adults' k (5)"),
                          ("threshold = 9", "minors.threshold",
                           "at least the adults' threshold (10)"),
                          ("age = 0", "minors.age", "between 1 and 21")):
        (tmp_path / "b.toml").write_text(CONFIG + f"\n[minors]\n{bad}\n")
        with pytest.raises(ConfigError) as err:
            load_config(tmp_path / "b.toml")
        assert key in str(err.value) and why in str(err.value) and "b.toml" in str(err.value)
    bad = CONFIG.replace('format = "koha_borrowers"', 'format = "koha_borrowers"\n'
                                                      'event_time = "week"')
    (tmp_path / "c.toml").write_text(bad)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "c.toml")
    assert "event_time" in str(err.value) and "circulation sources" in str(err.value)


def test_a_class_holding_a_minor_needs_the_minors_k():
    classes = _classes(("MAIN", "PT", "35-44", "Area North", 7),
                       ("MAIN", "J", "12-17", "Area North", 7),
                       ("WEST", "PT", "18-24", "Area North", 4),
                       ("WEST", "PT", "12-17", "Area North", 4))
    classes["k"] = ka.class_k(classes, 5, 10, age=18)
    assert classes["k"].tolist() == [5, 10, 5, 10]
    p = ka.plan(classes, tuple(QIS), 5, RULES)
    got = p.mapping.set_index(["patron_category", "age_band"])
    assert got.loc[("PT", "35-44"), "outcome"] == "kept"
    # 7 children are fewer than 10; widened to 12-24 the West class holds 8, still a minor's
    assert got.loc[("J", "12-17"), "outcome"] == "withheld"
    assert list(p.mapping["outcome"]) == ["kept", "withheld", "withheld", "withheld"]
    assert p.report["smallest_class_with_minors"] == 15 and p.report["classes_with_minors"] == 1
    assert ka.is_minor("12-24", "PT", age=18) and not ka.is_minor("18-24", "J", age=18)


def test_adults_widened_into_a_band_that_starts_under_18_need_the_minors_k():
    # bands 0, 5, 12, 18, 75: two small classes of adults 18-74 widen to one class of 12-74,
    # which the check of the written file reads as a class that may hold minors
    bands = (0, 5, 12, 18, 75)
    rules = ka.steps(bands, {"Area North", "Area South"})
    classes = _classes(("MAIN", "PT", "18-74", "Area North", 3),
                       ("MAIN", "PT", "18-74", "Area South", 4),
                       ("MAIN", "PT", "75+", "Area North", 40))
    assert ka.coarser_age_bands(bands)["18-74"] == "12-74"

    def k_for(values):
        return ka.class_k(values, 5, 10, age=18)

    p = ka.plan(classes, tuple(QIS), 5, rules, k_for=k_for)
    assert list(p.mapping["outcome"]) == ["withheld", "withheld", "kept"]
    # without the rule on final values the 7 would ship as a class '12-74' below 10
    loose = ka.plan(classes, tuple(QIS), 5, rules)
    assert list(loose.mapping["outcome"]) == ["generalized", "generalized", "kept"]
    assert set(loose.mapping.loc[:1, "final_age_band"]) == {"12-74"}


def test_a_kept_column_is_never_withheld_and_each_of_its_values_reaches_k():
    classes = pd.DataFrame({"b": ["X", "Y", "Z", "W", "V", "U"],
                            "opt": [False, False, True, True, True, None],
                            "n": [6, 3, 2, 1, 7, 2]})
    p = ka.plan(classes, ("b", "opt"), 5, {}, keep=("opt",))
    got = p.mapping.set_index("b")
    # Y (3, not opted in) is too small; withheld, it takes the smallest class of its flag (X)
    assert list(got.loc[["X", "Y"], "outcome"]) == ["withheld"] * 2
    assert got.loc[["X", "Y"], "final_opt"].tolist() == [False] * 2
    # Z and W (opted in, 3) take V's class with them, flag kept: 10 opted-in records
    assert list(got.loc[["Z", "W", "V"], "outcome"]) == ["withheld"] * 3
    assert got.loc[["Z", "W", "V"], "final_opt"].tolist() == [True] * 3
    assert got[["final_b"]].isna().all().all()
    # U has no other class of its (missing) flag: left out
    assert got.loc["U", "outcome"] == "dropped"
    assert (p.report["classes"], p.report["smallest_class"], p.report["records_dropped"]) \
        == (2, 9, 2)


def test_months_can_ship_as_months_and_are_then_checked_as_such(tmp_path, test_key, capsys):
    config = _library(tmp_path, CONFIG + '\n[k_anonymity]\nactivity_dates = "month"\n'
                                         'extra_quasi_identifiers = ["enrolled_month"]\n')
    code, out = _run(config, capsys)
    assert code == 0, out
    report = json.loads((tmp_path / PUB / "manifest.json").read_text())["k_anonymity"]
    assert report["quasi_identifiers"] == PLAN_QIS and report["activity_dates"] == "month"
    patrons = _zone_patrons(tmp_path)
    # months where the class allows it, the year where the record was widened
    assert set(patrons["enrolled_month"].dropna()) == {"2015-03", "2015-xx"}
    data = _with_event_flag(patrons, tmp_path)
    assert anonymity.k_anonymity(data, PLAN_QIS) == report["smallest_class"] >= 5
    with duckdb.connect() as con:
        assert con.execute(f"SELECT count(*) FROM read_parquet('{tmp_path / PZ}/patrons.parquet')"
                           f" WHERE enrolled_month IS NULL").fetchone()[0] == 10


def test_a_class_counts_people_not_duplicate_records():
    """Five records of one patron (a repeated export row) do not make a class of five."""
    rows = ", ".join("('t1', 'MAIN', 'PT', '35-44', 'x')" for _ in range(5))
    rows += ", " + ", ".join(f"('t{i}', 'WEST', 'PT', '35-44', 'x')" for i in range(2, 8))
    with duckdb.connect() as con:
        con.execute(f"CREATE TABLE p AS SELECT * FROM (VALUES {rows}) "
                    f"AS t(patron_token, home_branch_code, patron_category, age_band, area)")
        classes = con.execute(ka.classes_sql("p", tuple(QIS))).df()
    assert sorted(classes["n"]) == [1, 6]
    p = ka.plan(classes, tuple(QIS), 5, RULES)
    assert p.report["records_withheld"] + p.report["records_dropped"] >= 1
    assert "kept" not in set(p.mapping.loc[p.mapping["home_branch_code"] == "MAIN", "outcome"])
