"""Complementary suppression and its audit (docs/disclosure.md), on hand-made tables with the
failure cases other tools are known for, and on random tables (hypothesis); every result is
re-audited by the independent integer-programming audit of tests/oracles/disclosure_reference.py."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from libstats.schema import PUBLISHED_TABLES, TableSpec, _cols
from tests.conftest import STAT_HEADER, csv_text, stat_rows
from tests.oracles.disclosure_reference import integer_ranges, narrowest
from transforms.disclosure import suppression
from transforms.disclosure.audit import audit_published
from transforms.disclosure.attack import attack
from transforms.disclosure.cells import build_model, check_consistent

GRID = TableSpec(name="t_grid", grain="test", key=("fiscal_year", "row", "col"),
                 columns=_cols("fiscal_year:string", "row:string", "col:string", "value:int",
                               "suppressed:bool"))


def grid(values: dict[tuple[str, str], int], spec: TableSpec = GRID) -> pd.DataFrame:
    df = pd.DataFrame([("FY2025", r, c, v) for (r, c), v in values.items()],
                      columns=["fiscal_year", "row", "col", "value"])
    return suppression.add_totals(df, spec)


def run(frames: dict, specs: dict, threshold=10, interval=10, **kw):
    m = build_model(frames, specs)
    assert check_consistent(m) == []
    p = suppression.protect(m, threshold=threshold, interval=interval, **kw)
    out = suppression.apply(frames, m, p.withheld)
    return m, p, out


def reaudit(out: dict, specs: dict, interval: int) -> dict:
    """The independent integer audit: every withheld cell at least ``interval`` wide."""
    ranges = integer_ranges(out, specs)
    assert narrowest(ranges) >= interval, ranges
    return ranges


def visible(out: pd.DataFrame, **where):
    sel = out
    for k, v in where.items():
        sel = sel[sel[k] == v]
    assert len(sel) == 1
    return None if sel.iloc[0]["suppressed"] else int(sel.iloc[0]["value"])


ROW_OF_SINGLETONS = {("r1", "a"): 1, ("r1", "b"): 1, ("r1", "c"): 1, ("r1", "d"): 50,
                     ("r1", "e"): 60,
                     ("r2", "a"): 20, ("r2", "b"): 30, ("r2", "c"): 25, ("r2", "d"): 40,
                     ("r2", "e"): 33,
                     ("r3", "a"): 22, ("r3", "b"): 31, ("r3", "c"): 27, ("r3", "d"): 0,
                     ("r3", "e"): 35}


def test_totals_are_sums_in_key_order():
    df = grid({("r1", "a"): 1, ("r1", "b"): 2, ("r2", "a"): 3, ("r2", "b"): 4})
    assert df[["row", "col", "value"]].values.tolist() == [
        ["r1", "a", 1], ["r1", "b", 2], ["r1", "all", 3],
        ["r2", "a", 3], ["r2", "b", 4], ["r2", "all", 7],
        ["all", "a", 4], ["all", "b", 6], ["all", "all", 10]]


def test_three_singletons_in_one_row_are_not_protected_by_each_other():
    """sdcTools/UserSupport#135: withheld cells of 1 in one row with the row total published
    pin each other down (each is at least 1 and they sum to 3)."""
    frames = {"t_grid": grid(ROW_OF_SINGLETONS)}
    specs = {"t_grid": GRID}
    m = build_model(frames, specs)
    singles = {m.rows["t_grid"][i] for i in range(3)}
    naive = attack(m, singles)
    assert {(r.low, r.high) for r in naive.values()} == {(1, 1)}
    _, p, out = run(frames, specs)
    assert p.unsafe == {} and len(p.primary) == 3 and p.secondary
    assert all(visible(out["t_grid"], row="r1", col=c) is None for c in "abc")
    ranges = reaudit(out, specs, 10)
    assert len(ranges) == len(p.withheld)


def test_zeros_are_never_complements_and_ones_are_protected():
    """sdcTools/UserSupport#194: a zero withheld beside a one lets the attacker pin both
    (x + 0 = 1). libstats never withholds a zero, so the audit may assume withheld >= 1."""
    values = {("r1", "a"): 1, ("r1", "b"): 0, ("r1", "c"): 0, ("r1", "d"): 30,
              ("r2", "a"): 14, ("r2", "b"): 0, ("r2", "c"): 12, ("r2", "d"): 40,
              ("r3", "a"): 0, ("r3", "b"): 0, ("r3", "c"): 0, ("r3", "d"): 0}
    frames = {"t_grid": grid(values)}
    m, p, out = run(frames, {"t_grid": GRID})
    assert all(m.value[c] > 0 for c in p.withheld)
    assert (out["t_grid"]["value"] == 0).sum() == (frames["t_grid"]["value"] == 0).sum()
    reaudit(out, {"t_grid": GRID}, 10)


def test_a_total_that_is_itself_small_is_withheld_and_protected():
    values = {("r1", "a"): 2, ("r1", "b"): 3, ("r2", "a"): 40, ("r2", "b"): 50,
              ("r3", "a"): 45, ("r3", "b"): 35}
    frames = {"t_grid": grid(values)}
    _, p, out = run(frames, {"t_grid": GRID})
    assert visible(out["t_grid"], row="r1", col="all") is None       # 5
    assert p.unsafe == {}
    reaudit(out, {"t_grid": GRID}, 10)


SESSIONS = PUBLISHED_TABLES["pub_wifi_sessions__branch_month"]
DURATION = PUBLISHED_TABLES["pub_wifi_session_duration__branch_month"]


def _wifi(counts: dict[tuple[str, str, str], int]):
    dur = pd.DataFrame([("FY2025", m, b, band, n) for (m, b, band), n in counts.items()],
                       columns=["fiscal_year", "month", "branch_code", "duration_band", "value"])
    ses = dur.groupby(["fiscal_year", "month", "branch_code"], sort=False)["value"].sum()
    ses = ses.reset_index()
    return ({SESSIONS.name: suppression.add_totals(ses, SESSIONS),
             DURATION.name: suppression.add_totals(dur, DURATION)},
            {SESSIONS.name: SESSIONS, DURATION.name: DURATION})


WIFI = {("2024-07", "MAIN", "short"): 40, ("2024-07", "MAIN", "long"): 3,
        ("2024-07", "WEST", "short"): 25, ("2024-07", "WEST", "long"): 30,
        ("2024-08", "MAIN", "short"): 50, ("2024-08", "MAIN", "long"): 45,
        ("2024-08", "WEST", "short"): 5, ("2024-08", "WEST", "long"): 2}


def test_linked_tables_are_one_system():
    """sdcTools/UserSupport#133, #136: a cell withheld in one table but published in a linked
    one. The sessions table and the duration table's band totals are the same figures."""
    frames, specs = _wifi(WIFI)
    m, p, out = run(frames, specs)
    # The August WEST sessions (7) are withheld in both tables, being one cell.
    assert visible(out[SESSIONS.name], month="2024-08", branch_code="WEST") is None
    assert visible(out[DURATION.name], month="2024-08", branch_code="WEST",
                   duration_band="all") is None
    for name, frame in out.items():
        for i, cid in enumerate(m.rows[name]):
            assert frame["suppressed"].iloc[i] == (int(cid) in p.withheld)
    reaudit(out, specs, 10)
    assert audit_published(out, 10).unsafe == {SESSIONS.name: 0, DURATION.name: 0}


def test_audit_catches_a_cell_published_in_a_linked_table():
    frames, specs = _wifi(WIFI)
    _, _, out = run(frames, specs)
    leaky = {k: v.copy() for k, v in out.items()}
    ses = leaky[SESSIONS.name]
    at = (ses["month"] == "2024-08") & (ses["branch_code"] == "WEST")
    ses.loc[at, "value"], ses.loc[at, "suppressed"] = 7, False
    dur = leaky[DURATION.name]
    at = ((dur["month"] == "2024-08") & (dur["branch_code"] == "WEST")
          & (dur["duration_band"] == "all"))
    dur.loc[at, "value"], dur.loc[at, "suppressed"] = 7, False
    audit = audit_published(leaky, 10)
    assert audit.unsafe[DURATION.name] > 0
    assert all("7" not in c.describe() for c in audit.checks())


DEVICES = PUBLISHED_TABLES["pub_wifi_devices__branch_day"]


def test_distinct_totals_bound_but_do_not_add_up():
    """Distinct counts: the library's devices on a day are at most the branches' sum, so a
    withheld branch is only bounded, and libstats does not over-protect it."""
    rows = [("FY2025", "2024-07-01", "MAIN", 40), ("FY2025", "2024-07-01", "WEST", 4),
            ("FY2025", "2024-07-01", "all", 42),
            ("FY2025", "all", "MAIN", 40), ("FY2025", "all", "WEST", 4),
            ("FY2025", "all", "all", 42)]
    frame = pd.DataFrame(rows, columns=["fiscal_year", "day", "branch_code", "value"])
    frames, specs = {DEVICES.name: frame}, {DEVICES.name: DEVICES}
    m, p, out = run(frames, specs)
    assert p.unsafe == {}
    ranges = reaudit(out, specs, 10)
    # WEST (4) lies between 42 - 40 = 2 and 42: as wide as the data allows.
    assert ranges[(DEVICES.name, 1)] == (2, 42) and not p.secondary


def test_known_figures_of_an_earlier_release_cannot_protect():
    frames = {"t_grid": grid(ROW_OF_SINGLETONS)}
    m = build_model(frames, {"t_grid": GRID})
    first = suppression.protect(m, threshold=10, interval=10)
    # Every complement chosen the first time was published by an earlier release:
    again = suppression.protect(m, threshold=10, interval=10, known=set(first.secondary))
    assert not (again.secondary & first.secondary)
    assert again.unsafe == {}


def test_sticky_cells_stay_withheld_and_the_result_is_a_fixed_point():
    frames = {"t_grid": grid(ROW_OF_SINGLETONS)}
    m = build_model(frames, {"t_grid": GRID})
    first = suppression.protect(m, threshold=10, interval=10)
    again = suppression.protect(m, threshold=10, interval=10, sticky=first.withheld)
    assert again.withheld == first.withheld
    extra = max(set(range(m.size)) - first.withheld, key=lambda c: m.value[c])
    grown = suppression.protect(m, threshold=10, interval=10, sticky=first.withheld | {extra})
    assert first.withheld | {extra} <= grown.withheld and grown.unsafe == {}


@pytest.mark.parametrize("interval", [1, 10, 25])
def test_the_interval_is_what_the_audit_enforces(interval):
    frames = {"t_grid": grid(ROW_OF_SINGLETONS)}
    _, p, out = run(frames, {"t_grid": GRID}, interval=interval)
    assert p.unsafe == {}
    reaudit(out, {"t_grid": GRID}, interval)


counts = st.integers(min_value=0, max_value=60).map(lambda n: n if n % 3 else n // 6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4), st.integers(2, 5), st.data())
def test_property_any_table_is_protected(rows, cols, data):
    """Any two-way table: nothing from 1 to the threshold is visible, zeros are, and the
    independent integer audit finds no withheld cell narrower than the interval."""
    values = {(f"r{i}", f"c{j}"): data.draw(counts) for i in range(rows) for j in range(cols)}
    frames = {"t_grid": grid(values)}
    m, p, out = run(frames, {"t_grid": GRID}, threshold=5, interval=5)
    assert p.unsafe == {}
    shown = out["t_grid"][~out["t_grid"]["suppressed"]]["value"]
    assert not shown.between(1, 5).any()
    assert (shown == 0).sum() == (frames["t_grid"]["value"] == 0).sum()
    reaudit(out, {"t_grid": GRID}, 5)


# --- in the run: earlier releases, fail closed, libstats check ---------------------------------

def _run(config, period, capsys) -> tuple[int, str]:
    from pipelines.cli import main
    code = main(["run", str(config), "--period", period, "-q"])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


def _pub(config, period):
    import json
    folder = config.parent / "out" / "published" / "testville" / period
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    frames = {t["name"]: pd.read_parquet(folder / "tables" / f"{t['name']}.parquet")
              for t in manifest["tables"]}
    return manifest, frames


def test_the_annual_release_keeps_what_a_monthly_release_withheld(mini_library, capsys):
    """A monthly release, then the annual one: every cell of the month the monthly release
    withheld stays withheld, and the annual manifest names the monthly release."""
    assert _run(mini_library, "2024-10", capsys)[0] == 0
    month_manifest, month = _pub(mini_library, "2024-10")
    assert _run(mini_library, "FY2025", capsys)[0] == 0
    year_manifest, year = _pub(mini_library, "FY2025")
    assert [r["label"] for r in year_manifest["disclosure"]["earlier_releases"]] == ["2024-10"]
    for name, frame in month.items():
        spec = PUBLISHED_TABLES[name]
        if "month" not in spec.dims:
            continue
        keys = [*spec.by, *spec.dims]
        was = frame[(frame["month"] == "2024-10") & frame["suppressed"]][keys]
        now = year[name].merge(was, on=keys)
        assert len(now) == len(was) and now["suppressed"].all(), name
        shown = frame[(frame["month"] == "2024-10") & ~frame["suppressed"]][[*keys, "value"]]
        again = year[name].merge(shown, on=keys, suffixes=("", "_month"))
        # a figure both releases show is the same figure
        same = again[~again["suppressed"]]
        assert (same["value"] == same["value_month"]).all(), name


def test_a_failing_audit_publishes_nothing(mini_library, capsys, monkeypatch):
    """If the cells chosen did not protect (here: complementary suppression switched off),
    the audit fails the run, names table and check, and nothing is published."""
    import transforms.disclosure.suppression as sup
    real = sup.protect

    def primary_only(m, **kw):
        p = real(m, **kw)
        p.secondary = set()
        return p
    monkeypatch.setattr(sup, "protect", primary_only)
    # 20 more DVD loans at MAIN in October: the whole library's video checkouts (23, published
    # whatever its size) minus MAIN's October would give WEST's three November ones away
    rows = stat_rows() + [[f"2024-10-{1 + i:02d} 16:00:00", "MAIN", "0.0000", "issue", "",
                           str(400 + i), "DVD", "AV", "4", "MEDIA", "PT", "sip"]
                          for i in range(20)]
    (mini_library.parent / "raw" / "statistics.csv").write_text(csv_text(STAT_HEADER, rows))
    code, out = _run(mini_library, "FY2025", capsys)
    assert code == 1
    assert "complementary_suppression" in out and "pub_circulation__branch_month_material" in out
    assert not (mini_library.parent / "out" / "published" / "testville" / "FY2025").exists()


def test_check_reruns_the_audit_on_a_release_folder(mini_library, capsys):
    from reports.recheck import check_release
    assert _run(mini_library, "FY2025", capsys)[0] == 0
    folder = mini_library.parent / "out" / "published" / "testville" / "FY2025"
    failures, _ = check_release(folder)
    assert failures == []
    manifest, frames = _pub(mini_library, "FY2025")
    checks = [c for c in manifest["checks"] if c["check"] == "complementary_suppression"]
    assert len(checks) == len(frames) and all(c["passed"] for c in checks)
    name = "pub_circulation__branch_month_material"
    assert manifest["disclosure"]["tables"][name]["withheld_for_protection"] > 0
    assert audit_published(frames, manifest["disclosure"]["protection_interval"]).unsafe[name] == 0


def test_whole_library_figures_of_transactions_are_published_whatever_their_size(
        mini_library, capsys):
    """The state and PLS forms ask for whole-library, whole-year transaction counts (three DVD
    loans in the year, say); they count loans, not people, and are published as they are. The
    cells below them stay withheld and are as protected as such a figure allows."""
    from reports.recheck import check_release
    assert _run(mini_library, "FY2025", capsys)[0] == 0
    manifest, frames = _pub(mini_library, "FY2025")
    circ = frames["pub_circulation__branch_month_material"]
    video = circ[(circ["material_type"] == "video") & (circ["audience"] == "adult")
                 & (circ["measure"] == "checkouts")].set_index(["month", "branch_code"])
    assert video.loc[("all", "all"), "value"] == 3 and not video.loc[("all", "all"),
                                                                      "suppressed"]
    # WEST's three November loans are that same figure: withheld, and nothing could widen it
    assert video.loc[("2024-11", "WEST"), "suppressed"]
    table = manifest["disclosure"]["tables"]["pub_circulation__branch_month_material"]
    assert table["limited_by_open_figures"] > 0 and table["unsafe"] == 0
    assert all(c["passed"] for c in manifest["checks"])
    small = [c for c in manifest["checks"] if c["check"] == "small_cells"
             and c["table"] == "pub_circulation__branch_month_material"]
    assert small and small[0]["passed"]
    # by branch or by month, a small count is withheld as before
    inner = circ[(circ["month"] != "all") | (circ["branch_code"] != "all")]
    shown = inner.loc[~inner["suppressed"], "value"]
    assert not shown.between(1, 10).any()
    folder = mini_library.parent / "out" / "published" / "testville" / "FY2025"
    assert check_release(folder)[0] == []


def test_an_empty_table_is_applied_without_error():
    spec = PUBLISHED_TABLES["pub_eres_counter__database_month"]
    empty = pd.DataFrame({c: pd.Series([], dtype=object) for c in spec.column_names})
    m = build_model({spec.name: empty}, {spec.name: spec})
    out = suppression.apply({spec.name: empty}, m, set())[spec.name]
    assert out.empty and list(out.columns) == spec.column_names


def test_a_months_release_has_no_open_figures(mini_library, capsys):
    """A month's whole-library figure is small by nature: in a monthly release it is
    withheld for size like any other cell."""
    assert _run(mini_library, "2024-11", capsys)[0] == 0
    manifest, frames = _pub(mini_library, "2024-11")
    circ = frames["pub_circulation__branch_month_material"]
    video = circ[(circ["material_type"] == "video") & (circ["audience"] == "adult")
                 & (circ["measure"] == "checkouts") & (circ["month"] == "all")
                 & (circ["branch_code"] == "all")]
    assert video["suppressed"].all()
    assert all(c["passed"] for c in manifest["checks"])


CIRCULATION = PUBLISHED_TABLES["pub_circulation__branch_month_material"]
# Two months of the 100,000-row benchmark export (synthetic), audio / book / video only: in
# product order of month, branch, material, audience, measure. Protecting it takes six rounds.
BENCH_COUNTS = [
    76, 21, 55, 0, 0, 0, 0, 0, 0, 562, 109, 270, 540, 104, 244, 89, 27, 40, 133, 27, 64, 33, 6,
    18, 0, 0, 0, 40, 10, 16, 0, 0, 0, 0, 0, 0, 242, 41, 111, 222, 42, 109, 40, 7, 19, 52, 7, 21,
    16, 2, 9, 0, 0, 0, 64, 17, 20, 0, 0, 0, 0, 0, 0, 357, 75, 146, 334, 61, 132, 52, 7, 36, 100,
    8, 34, 42, 4, 8, 0, 0, 0, 97, 23, 50, 0, 0, 0, 0, 0, 0, 552, 108, 231, 566, 106, 256, 93, 13,
    54, 127, 30, 76, 44, 11, 16, 0, 0, 0, 35, 8, 16, 0, 0, 0, 0, 0, 0, 232, 51, 99, 220, 40, 105,
    44, 8, 17, 61, 6, 22, 20, 4, 8, 0, 0, 0, 68, 16, 34, 0, 0, 0, 0, 0, 0, 357, 57, 147, 333, 48,
    148, 58, 9, 35, 71, 15, 41, 23, 3, 10, 0, 0, 0]


def _bench_table():
    keys = itertools.product(["2024-07", "2024-08"], ["CEN", "EAS", "NOR"],
                             ["audio", "book", "video"], ["adult", "children", "young_adult"],
                             ["checkouts", "in_library_uses", "renewals"])
    frame = pd.DataFrame([("FY2025", *k, v) for k, v in zip(keys, BENCH_COUNTS, strict=True)],
                         columns=["fiscal_year", *CIRCULATION.key[1:], "value"])
    frames = {CIRCULATION.name: suppression.add_totals(frame, CIRCULATION)}
    return frames, build_model(frames, {CIRCULATION.name: CIRCULATION})


# an August cell of 11 that, carried from an earlier release, the published figures pin down
PINNED = {"month": "2024-08", "branch_code": "CEN", "material_type": "video",
          "audience": "children", "measure": "in_library_uses"}


def _cell(frames, m, where: dict) -> int:
    frame = frames[CIRCULATION.name]
    row = frame.index[(frame[list(where)] == pd.Series(where)).all(axis=1)]
    assert len(row) == 1 and frame["value"].iloc[row[0]] == 11
    return int(m.rows[CIRCULATION.name][row[0]])


@pytest.mark.parametrize("carried", [False, True], ids=["fresh", "pinned carried cell"])
def test_after_the_first_round_only_unsafe_and_new_cells_are_solved_with_the_same_choice(
        carried):
    """Withholding more never narrows a range, so after the first round only the cells still
    unsafe and the cells just withheld are solved again; the cells chosen are those of
    solving every hidden cell every round. Showing a pinned cell can tighten the LP: the
    round after it solves every cell again."""
    frames, m = _bench_table()
    sticky = {_cell(frames, m, PINNED)} if carried else set()

    def recorded(calls: list, every: bool):
        def call(m_, hidden, *, targets=None, **kw):
            calls.append((len(hidden), None if targets is None else len(targets)))
            return attack(m_, hidden, **kw, **({} if every else {"targets": targets}))
        return call

    slow_calls, fast_calls, rounds = [], [], []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(suppression, "attack", recorded(slow_calls, every=True))
        slow = suppression.protect(m, threshold=10, interval=10, sticky=sticky)
        mp.setattr(suppression, "attack", recorded(fast_calls, every=False))
        fast = suppression.protect(m, threshold=10, interval=10, sticky=sticky,
                                   progress=rounds.append)
    assert len(rounds) >= 2
    assert fast.withheld == slow.withheld and fast.secondary == slow.secondary
    assert fast.unsafe == slow.unsafe == {}
    every = 2 if carried else 1         # the first round, and the one after the pinned cell
    assert all(n is None for _, n in fast_calls[:every])
    assert all(n is not None for _, n in fast_calls[every:])
    assert sum(n for _, n in fast_calls[every:]) < sum(h for h, _ in slow_calls[every:]) // 4
    if carried:
        assert _cell(frames, m, PINNED) not in fast.withheld     # shown: it hid nothing
    reaudit(suppression.apply(frames, m, fast.withheld), {CIRCULATION.name: CIRCULATION}, 10)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4), st.integers(2, 5), st.data())
def test_property_hiding_one_more_cell_never_narrows_a_range(rows, cols, data):
    """The premise of solving only unsafe and new cells again: with one more cell hidden,
    every hidden cell's range contains the one it had."""
    values = {(f"r{i}", f"c{j}"): data.draw(counts) for i in range(rows) for j in range(cols)}
    m = build_model({"t_grid": grid(values)}, {"t_grid": GRID})
    nonzero = [c for c, v in enumerate(m.value) if v]
    if len(nonzero) < 2:
        return
    hidden = set(data.draw(st.lists(st.sampled_from(nonzero), min_size=1,
                                    max_size=len(nonzero) - 1, unique=True)))
    more = data.draw(st.sampled_from(sorted(set(nonzero) - hidden)))
    before, after = attack(m, hidden), attack(m, hidden | {more})
    for c, r in before.items():
        assert after[c].low <= r.low and after[c].high >= r.high


def test_an_audit_split_between_two_solvers_gives_the_ranges_of_one():
    """The audit's LPs of a large group are shared by two HiGHS instances in two threads;
    the ranges are those of one instance solving every cell."""
    import transforms.disclosure.attack as tabular
    _, m = _bench_table()
    hidden = suppression.protect(m, threshold=10, interval=10).withheld
    sizes: dict[str, list[int]] = {"split": [], "whole": []}
    ranges = {}
    solve_cells = tabular._solve_cells
    with pytest.MonkeyPatch.context() as mp:
        for how in ("split", "whole"):
            if how == "whole":
                mp.setattr(tabular, "_LP_SPLIT_AT", 10 ** 9)
            mp.setattr(tabular, "_solve_cells", lambda *a, how=how, **kw: (
                sizes[how].append(len(a[-1])), solve_cells(*a, **kw))[1])
            ranges[how] = attack(m, hidden)
    assert max(sizes["whole"]) >= tabular._LP_SPLIT_AT       # one group large enough
    assert len(sizes["split"]) > len(sizes["whole"])          # ... shared by two solvers
    assert ranges["split"] == ranges["whole"] and len(ranges["whole"]) == len(hidden)


# --- LPs known without solving them (docs/disclosure.md §4) ------------------------------------

def _lp_count(mp) -> list:
    import highspy
    calls: list = []
    run_lp = highspy.Highs.run
    mp.setattr(highspy.Highs, "run", lambda h: (calls.append(1), run_lp(h))[1])
    return calls


def _audit_figures(a) -> tuple:
    return a.withheld, a.unsafe, a.narrowest, a.limited


def test_lps_known_from_feasible_points_change_nothing():
    """An LP whose answer the feasible points seen already give is not solved: a cell they
    spread over the interval is safe; a bound of one row that a seen point meets is the
    optimum; the audit solves exactly only the cells that could be narrow or their table's
    narrowest. On the recorded benchmark table, with a carried cell the published figures pin
    (so a round solves every cell again): the same withheld cells, the same ranges and the
    same audit as solving every LP, with far fewer LPs."""
    import transforms.disclosure.attack as tabular
    frames, m = _bench_table()
    sticky = {_cell(frames, m, PINNED)}
    done = {}
    for how in ("every LP", "shortcuts"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(tabular, "_SHORTCUTS", how == "shortcuts")
            lps = _lp_count(mp)
            p = suppression.protect(m, threshold=10, interval=10, sticky=sticky)
            out = suppression.apply(frames, m, p.withheld)
            audit = audit_published(out, 10)
            ranges = attack(m, (p.withheld - m.open))
            done[how] = (p, _audit_figures(audit), ranges, len(lps))
    (slow, slow_audit, slow_ranges, slow_lps), (fast, fast_audit, fast_ranges, fast_lps) = \
        done["every LP"], done["shortcuts"]
    assert fast.withheld == slow.withheld and fast.secondary == slow.secondary
    assert fast.unsafe == slow.unsafe == {}
    assert fast_audit == slow_audit
    assert fast_ranges == slow_ranges       # exact ranges: every low and high the same
    assert fast_lps < slow_lps / 2
    reaudit(out, {CIRCULATION.name: CIRCULATION}, 10)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4), st.integers(2, 5), st.data())
def test_property_shortcut_ranges_are_the_ranges_of_every_lp(rows, cols, data):
    """On random tables and withheld cells: the exact ranges with shortcuts are those of
    solving every LP; a range reported as only known to be wide (``exact=False``) lies
    inside the exact one and is at least as wide as asked; the audit's figures agree."""
    import transforms.disclosure.attack as tabular
    values = {(f"r{i}", f"c{j}"): data.draw(counts) for i in range(rows) for j in range(cols)}
    frames = {"t_grid": grid(values)}
    m = build_model(frames, {"t_grid": GRID})
    nonzero = [c for c, v in enumerate(m.value) if v]
    if not nonzero:
        return
    hidden = set(data.draw(st.lists(st.sampled_from(nonzero), min_size=1,
                                    max_size=len(nonzero), unique=True)))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tabular, "_SHORTCUTS", False)
        full = attack(m, hidden)
    assert attack(m, hidden) == full
    for c, r in attack(m, hidden, wide=3).items():
        assert full[c].low <= r.low and r.high <= full[c].high
        assert r.exact or r.width >= 3
    out = suppression.apply(frames, m, hidden)
    out["t_grid"]["value"] = out["t_grid"]["value"].astype("Int64")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tabular, "_SHORTCUTS", False)
        slow = _audit_figures(_grid_audit(out, 3))
    assert _audit_figures(_grid_audit(out, 3)) == slow


def _grid_audit(out, interval):
    from libstats import schema
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(schema.PUBLISHED_TABLES, "t_grid", GRID)
        return audit_published(out, interval)


# --- the survey's outlet figures (issue 19, docs/disclosure.md §3) -----------------------------

REGISTERED = PUBLISHED_TABLES["pub_registered_users__branch_age_category"]
# the demo's registered users (Faker-generated, fictional): per branch, the non-zero cells by
# age band; the student category (ST) has 20 people in all, every one of its cells small
_REG = {
    "CEN": {"0-4": {"J": 104}, "5-11": {"J": 250}, "12-17": {"YA": 161},
            "18-24": {"PT": 151, "ST": 2}, "25-34": {"PT": 282, "ST": 4},
            "35-44": {"PT": 274, "ST": 1}, "45-54": {"PT": 253, "ST": 3}, "55-64": {"PT": 238},
            "65-74": {"SR": 210}, "75+": {"SR": 240}, "unknown": {"PT": 73}},
    "EAS": {"0-4": {"J": 29}, "5-11": {"J": 109}, "12-17": {"YA": 66},
            "18-24": {"PT": 58, "ST": 2}, "25-34": {"PT": 119}, "35-44": {"PT": 124, "ST": 2},
            "45-54": {"PT": 119}, "55-64": {"PT": 86, "ST": 1}, "65-74": {"SR": 90},
            "75+": {"SR": 116}, "unknown": {"PT": 23}},
    "NOR": {"0-4": {"J": 40}, "5-11": {"J": 149}, "12-17": {"YA": 83}, "18-24": {"PT": 87},
            "25-34": {"PT": 173, "ST": 1}, "35-44": {"PT": 155}, "45-54": {"PT": 150, "ST": 1},
            "55-64": {"PT": 144, "ST": 3}, "65-74": {"SR": 139}, "75+": {"SR": 142},
            "unknown": {"PT": 43}},
}


def test_complements_spare_the_outlet_figures_the_survey_asks_for():
    """A branch's registered users (PLS REGBOR per outlet) is what a state report's outlet
    column reads. Protecting the small student cells used to withhold every branch's total
    (the cheapest third cell of each branch's row of categories); with the survey's margins
    costing more, interior cells protect instead, every branch total is published, and the
    independent integer audit finds no narrow cell."""
    import pipelines.disclosure as disclosure
    rows = [("FY2025", b, a, cat, _REG[b].get(a, {}).get(cat, 0))
            for b in _REG for a in _REG[b] for cat in ("J", "PT", "SR", "ST", "YA")]
    frame = pd.DataFrame(rows, columns=["fiscal_year", *REGISTERED.key[1:], "value"])
    frames = {REGISTERED.name: suppression.add_totals(frame, REGISTERED)}
    specs = {REGISTERED.name: REGISTERED}
    m = build_model(frames, specs)
    margins = disclosure.survey_margins(m)
    branch_totals = {m.ids[(REGISTERED.name, (), (("branch_code", b),))] for b in _REG}
    assert margins == branch_totals
    before = suppression.protect(m, threshold=10, interval=10)
    after = suppression.protect(m, threshold=10, interval=10, margins=margins)
    assert branch_totals <= before.withheld            # what issue 19 saw in the demo
    assert not branch_totals & after.withheld and after.unsafe == {}
    assert after.primary == before.primary
    reaudit(suppression.apply(frames, m, after.withheld), specs, 10)
