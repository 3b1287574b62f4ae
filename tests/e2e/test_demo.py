"""End to end on the built-in demo library.

The published figures are recomputed here independently, with pandas straight from the raw demo
exports and the demo config's mappings (no libstats transform code), and must match: exactly
where a count is published, and within 1..threshold where it is withheld.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tomllib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from libstats.release import tree_hash
from libstats.schema import PUBLISHED_TABLES
from pipelines.cli import main

pytestmark = pytest.mark.slow
PERIOD = "FY2025"
START, END = "2024-07-01", "2025-06-30"


@pytest.fixture(scope="session")
def cfg(demo):
    return tomllib.loads((demo / "library.toml").read_text())


def release(demo) -> Path:
    return demo / "out" / "published" / "riverbend" / PERIOD


def published(demo, name) -> pd.DataFrame:
    frame = pd.read_csv(release(demo) / "tables" / f"{name}.csv", dtype={"value": "Int64"},
                        keep_default_na=True)
    frame.attrs.update(table=name, demo=demo)
    return frame


# --- independent recomputation from the raw exports ------------------------------------------

def raw_events(demo, cfg) -> pd.DataFrame:
    """Circulation events of FY2025 as (month, branch, itype, ccode, location, event, patron)."""
    raw = demo / "raw"
    k = pd.read_csv(raw / "koha" / "statistics.csv", dtype=str, keep_default_na=False)
    k = k.assign(day=k["datetime"].str[:10], patron="koha:" + k["borrowernumber"])
    kev = {"issue": "checkout", "renew": "renewal", "localuse": "in_library_use",
           "return": "checkin"}
    k["event"] = k["type"].map(kev)
    ill = set(cfg["circulation"]["ill_lending_categories"])
    k.loc[k["event"].isin(["checkout", "renewal"]) & k["categorycode"].isin(ill), "event"] = \
        "ill_lent"
    k = k.rename(columns={"itemtype": "itype"})[["day", "branch", "itype", "ccode", "location",
                                                  "event", "patron", "borrowernumber"]]
    s = pd.read_csv(raw / "sierra" / "circ_trans.csv", dtype=str, keep_default_na=False)
    local = (pd.to_datetime(s["transaction_gmt"]).dt.tz_localize("UTC")
             .dt.tz_convert(cfg["library"]["timezone"]))
    alias = {a: b["code"] for b in cfg["branches"] for a in [b["code"], *b.get("aliases", [])]}
    s = pd.DataFrame({
        "day": local.dt.strftime("%Y-%m-%d"), "branch": s["stat_group_code_num"].map(alias),
        "itype": s["itype_code_num"], "ccode": "", "location": s["item_location_code"],
        "event": s["op_code"].map({"o": "checkout", "r": "renewal", "u": "in_library_use",
                                   "i": "checkin"}),
        "patron": "sierra:" + s["patron_record_id"], "borrowernumber": s["patron_record_id"]})
    ev = pd.concat([k, s], ignore_index=True)
    ev = ev[ev["event"].notna() & (ev["day"] >= START) & (ev["day"] <= END)].copy()
    ev["month"] = ev["day"].str[:7]
    material = {code: m for m, codes in cfg["material_types"].items() for code in codes}
    ev["material"] = ev["itype"].map(material).fillna("unclassified")

    def audience_of(rule_name):
        rule = cfg["audience"].get(rule_name, {})
        return (ev["itype"].isin(rule.get("item_types", []))
                | ev["ccode"].isin(rule.get("collection_codes", []))
                | ev["location"].isin(rule.get("locations", [])))
    ev["audience"] = "adult"
    ev.loc[audience_of("young_adult"), "audience"] = "young_adult"
    ev.loc[audience_of("children"), "audience"] = "children"
    return ev


def with_sums(expected: pd.Series, keys: list[str], by: tuple[str, ...]) -> pd.Series:
    """The reference with every total row a sum table publishes (docs/disclosure.md §1)."""
    dims = [k for k in keys if k not in by]
    frame = expected.rename("n").reset_index()
    parts = [frame]
    for k in range(1, len(dims) + 1):
        for totalled in itertools.combinations(dims, k):
            rest = [c for c in keys if c not in totalled]
            g = (frame.groupby(rest)["n"].sum().reset_index() if rest
                 else pd.DataFrame({"n": [frame["n"].sum()]}))
            for d in totalled:
                g[d] = "all"
            parts.append(g[[*keys, "n"]])
    return pd.concat(parts).set_index(keys)["n"]


def assert_matches(pub: pd.DataFrame, expected: pd.Series, keys: list[str], threshold=10):
    """Every published cell equals the reference; every count 1..threshold is withheld; a
    withheld cell is never a zero, and the larger ones withheld (to protect others) are as many
    as the manifest says. Sum tables' totals come from the reference's sums; distinct-count
    tables pass their totals in ``expected``."""
    spec = PUBLISHED_TABLES[pub.attrs["table"]]
    if not spec.distinct:
        expected = with_sums(expected, keys, spec.by)
    merged = pub.merge(expected.rename("expected").reset_index(), on=keys, how="left")
    merged["expected"] = merged["expected"].fillna(0).astype(int)
    shown = merged[~merged["suppressed"]]
    assert (shown["value"].astype(int) == shown["expected"]).all(), \
        shown[shown["value"].astype(int) != shown["expected"]].head()
    hidden = merged[merged["suppressed"]]
    assert hidden["value"].isna().all()
    assert (hidden["expected"] >= 1).all()
    assert not merged[merged["expected"].between(1, threshold)]["suppressed"].eq(False).any()
    manifest = json.loads((release(pub.attrs["demo"]) / "manifest.json").read_text())
    counts = manifest["disclosure"]["tables"][spec.name]
    assert (hidden["expected"] > threshold).sum() == (counts["withheld_for_protection"]
                                                      + counts["withheld_as_before"])
    assert (hidden["expected"] <= threshold).sum() == counts["withheld_for_size"]
    # every expected non-zero cell is in the published grid
    assert expected.sum() == merged["expected"].sum()


def test_circulation_matches_an_independent_count(demo, cfg):
    ev = raw_events(demo, cfg)
    measure = {"checkout": "checkouts", "renewal": "renewals", "in_library_use":
               "in_library_uses"}
    ev = ev[ev["event"].isin(measure)].assign(measure=lambda d: d["event"].map(measure))
    expected = ev.groupby(["month", "branch", "material", "audience", "measure"]).size()
    expected.index.names = ["month", "branch_code", "material_type", "audience", "measure"]
    pub = published(demo, "pub_circulation__branch_month_material")
    assert_matches(pub, expected, list(expected.index.names))
    assert pub["suppressed"].any() and (pub["value"] == 0).any()


def test_active_borrowers_match_an_independent_count(demo, cfg):
    ev = raw_events(demo, cfg)
    ev = ev[ev["event"].isin(["checkout", "renewal"]) & (ev["borrowernumber"] != "")]
    # Distinct totals: a patron active at two branches or in two months counts once.
    parts = [ev.groupby(["month", "branch"])["patron"].nunique(),
             ev.assign(branch="all").groupby(["month", "branch"])["patron"].nunique(),
             ev.assign(month="all").groupby(["month", "branch"])["patron"].nunique(),
             ev.assign(month="all", branch="all").groupby(["month", "branch"])["patron"]
             .nunique()]
    expected = pd.concat(parts)
    expected.index.names = ["month", "branch_code"]
    assert_matches(published(demo, "pub_active_borrowers__branch_month"), expected,
                   ["month", "branch_code"])


def _age_band(dob: str, bands: list[int]) -> str:
    if not dob:
        return "unknown"
    y, m, d = map(int, dob.split("-"))
    age = 2025 - y - ((6, 30) < (m, d))
    if age < 0 or age >= 120:
        return "unknown"
    label = f"{bands[-1]}+"
    for lo, hi in zip(bands, bands[1:]):
        if age < hi:
            return f"{lo}-{hi - 1}"
    return label


def test_registered_users_follow_the_three_year_rule(demo, cfg):
    b = pd.read_csv(demo / "raw" / "koha" / "borrowers.csv", dtype=str, keep_default_na=False,
                    encoding="cp1252")
    last = pd.concat([b["dateenrolled"], b["date_renewed"], b["lastseen"].str[:10]],
                     axis=1).max(axis=1)
    ok = ((b["dateenrolled"] <= END) & (b["anonymized"] != "1")
          & ~b["categorycode"].isin(cfg["circulation"]["ill_lending_categories"])
          & (last > "2022-06-30"))
    reg = b[ok].assign(age_band=lambda d: d["dateofbirth"].map(
        lambda x: _age_band(x, cfg["generalize"]["age_bands"])))
    expected = reg.groupby(["branchcode", "age_band", "categorycode"]).size()
    expected.index.names = ["branch_code", "age_band", "patron_category"]
    assert_matches(published(demo, "pub_registered_users__branch_age_category"), expected,
                   ["branch_code", "age_band", "patron_category"])
    assert len(reg) < len(b)   # inactive patrons are not registered users


def test_new_registrations_match(demo, cfg):
    b = pd.read_csv(demo / "raw" / "koha" / "borrowers.csv", dtype=str, keep_default_na=False,
                    encoding="cp1252")
    b = b[(b["dateenrolled"] >= START) & (b["dateenrolled"] <= END)
          & ~b["categorycode"].isin(cfg["circulation"]["ill_lending_categories"])]
    expected = b.groupby(b["dateenrolled"].str[:7]).size()
    # The demo publishes this table with differential privacy (ε = 1, one row per patron):
    # each month is the count plus discrete Laplace noise of scale 1, clipped at 0. A month
    # off by more than 20 has probability below 1e-8; the total sums twelve noises.
    table = published(demo, "pub_new_registrations__month").set_index("month")
    assert not table["suppressed"].any() and (table["value"] >= 0).all()
    months = table.drop(index="all")["value"]
    assert list(months.index) == [m for m in pd.period_range(START, END, freq="M").astype(str)]
    for month, value in months.items():
        assert abs(int(value) - int(expected.get(month, 0))) <= 20, month
    assert abs(int(table.loc["all", "value"]) - int(expected.sum())) <= 60
    d = json.loads((release(demo) / "manifest.json").read_text())["differential_privacy"]
    entry = d["tables"]["pub_new_registrations__month"]
    assert (entry["epsilon"], entry["scale"], entry["max_contributions"]) == (1.0, 1.0, 1)
    assert [(e["table"], e["drawn_in"]) for e in d["ledger"]] == [
        ("pub_new_registrations__month", PERIOD)]
    assert (d["budget"], d["spent"], d["remaining"]) == (2.0, 1.0, 1.0)


# --- privacy properties of every output ------------------------------------------------------

def identifiers(demo) -> set[str]:
    b = pd.read_csv(demo / "raw" / "koha" / "borrowers.csv", dtype=str, keep_default_na=False,
                    encoding="cp1252")
    values = set()
    for col in ["cardnumber", "surname", "firstname", "email", "phone", "mobile", "userid",
                "address", "smsalertnumber"]:
        values |= {v for v in b[col] if len(v) >= 6}
    return values


def output_strings(demo) -> str:
    """All text of every output file, and every string value of every Parquet file."""
    parts = []
    con = duckdb.connect()
    for f in sorted((demo / "out").rglob("*")):
        if not f.is_file() or ".work" in f.parts:
            continue
        if f.suffix == ".parquet":
            rel = con.execute(f"DESCRIBE SELECT * FROM read_parquet('{f}')").fetchall()
            for name, typ, *_ in rel:
                if typ == "VARCHAR":
                    parts += [v for (v,) in con.execute(
                        f"SELECT DISTINCT \"{name}\" FROM read_parquet('{f}')").fetchall() if v]
        elif f.suffix in (".csv", ".json", ".html", ".txt", ".md"):
            parts.append(f.read_text(encoding="utf-8"))
    return "\x00".join(parts)


def found_in(values, text: str, k: int = 6) -> list[str]:
    """The values that occur in ``text`` as substrings. Exact, but fast for 100k values
    against megabytes of text: a value can only occur if its first and last ``k``
    characters are among the text's k-grams, so only those few are searched for."""
    grams = {text[i:i + k] for i in range(len(text) - k + 1)}
    short = [v for v in values if len(v) < k]
    maybe = [v for v in values if len(v) >= k and v[:k] in grams and v[-k:] in grams]
    return [v for v in short + maybe if v in text]


def test_found_in_finds_exactly_the_substrings():
    text = "fy2025\x00jane.doe@example.com wrote\x0021234000012345x"
    assert sorted(found_in({"jane.doe@example.com", "21234000012345", "jane.doe@example.org",
                            "wrote", "zzz", "2123400001234599"}, text)) == [
        "21234000012345", "jane.doe@example.com", "wrote"]


def test_no_patron_identifier_reaches_any_output(demo):
    text = output_strings(demo)
    leaked = found_in(identifiers(demo), text)
    assert not leaked, f"{len(leaked)} identifier value(s) found in outputs"


def test_tokens_are_not_card_numbers_or_plain_hashes(demo):
    import hashlib
    zone = demo / "out" / "pseudonymized" / "riverbend" / PERIOD
    tokens = {bytes(t) for (t,) in duckdb.connect().execute(
        f"SELECT DISTINCT patron_token FROM read_parquet('{zone}/patrons.parquet')").fetchall()}
    b = pd.read_csv(demo / "raw" / "koha" / "borrowers.csv", dtype=str, keep_default_na=False,
                    encoding="cp1252")
    plain = {hashlib.sha256(v.encode()).digest() for v in b["borrowernumber"]} | \
            {hashlib.sha256(v.encode()).digest() for v in b["cardnumber"]}
    assert tokens and not tokens & plain


def test_rerun_is_byte_identical(demo, tmp_path):
    # on a copy of the demo folder (the shared one is read by tests on the other worker)
    copy = tmp_path / "demo"
    copy.mkdir()
    (copy / "raw").symlink_to(demo / "raw")
    for name in ("library.toml", "demo.key"):
        shutil.copy2(demo / name, copy / name)
    shutil.copytree(demo / "out", copy / "out", symlinks=True)
    before = (release(copy).resolve().name, tree_hash(release(copy)))
    assert tree_hash(release(copy)) == tree_hash(release(demo))
    assert main(["demo", "--out", str(copy), "-q"]) == 0
    assert (release(copy).resolve().name, tree_hash(release(copy))) == before


def test_check_command_revalidates_the_release(demo, tmp_path):
    assert main(["check", str(release(demo))]) == 0
    copy = tmp_path / "release"
    shutil.copytree(release(demo), copy)
    csv = copy / "tables" / "pub_new_registrations__month.csv"
    csv.write_text(csv.read_text().replace(",false\n", ",true\n", 1))
    assert main(["check", str(copy)]) == 1


def test_steward_report_and_data_docs(demo):
    report = (release(demo) / "steward_report.html").read_text()
    assert "Release published" in report and "11-25(b)(4)" in report and "182.815" in report
    review = demo / "out" / "review" / "riverbend" / PERIOD
    docs = list((review / "gx").rglob("index.html"))
    assert docs, "GX Data Docs were not built"
    manifest = json.loads((release(demo) / "manifest.json").read_text())
    assert manifest["rows"]["sierra_circ_trans"]["out_of_scope"] > 0   # holds
    assert manifest["tables"][0]["suppressed_cells"] > 0


def test_notebook_runs_against_the_demo_and_draws_its_chart(demo):
    import nbformat
    from nbclient import NotebookClient
    nb_path = Path(__file__).resolve().parents[2] / "notebooks" / "circulation_by_month.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "the notebook must be committed without outputs"
    os.environ["LIBSTATS_DEMO_OUT"] = str(demo)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(nb_path.parent)}}).execute()
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {})]
    assert len(figures) == 1, "the notebook draws its chart of circulation by month"
    artefacts = Path(__file__).resolve().parents[2] / "test-artifacts"
    artefacts.mkdir(exist_ok=True)
    nbformat.write(nb, artefacts / "circulation_by_month.executed.ipynb")


def test_check_catches_added_files_and_personal_data_in_reports(demo, tmp_path):
    copy = tmp_path / "release2"
    shutil.copytree(release(demo), copy)
    shutil.copy(demo / "raw" / "koha" / "items.csv", copy / "tables" / "items.csv")
    assert main(["check", str(copy)]) == 1
    copy3 = tmp_path / "release3"
    shutil.copytree(release(demo), copy3)
    report = copy3 / "steward_report.html"
    report.write_text(report.read_text().replace("</body>", "jane@example.com</body>"))
    assert main(["check", str(copy3)]) == 1


# --- Wi-Fi: published figures against tests/oracles/wifi_reference.py (written from docs/wifi.md) -----

@pytest.fixture(scope="session")
def wifi_reference(demo, cfg):
    import datetime as dt

    from tests.oracles import wifi_reference as ref
    w = cfg["wifi"]
    radius = next(s for s in cfg["sources"] if s["format"] == "radius_detail")
    kwargs = dict(library_tz=cfg["library"]["timezone"], radius_tz=radius["timezone"],
                  access_points=w["access_points"], library_devices=w["library_devices"],
                  exclude_ssids=w["exclude_ssids"])
    sessions = ref.reference_sessions(demo / "raw", start=dt.date.fromisoformat(START),
                                      end=dt.date.fromisoformat(END), **kwargs)
    return (ref.reference_tables(sessions), ref.reference_anomalies(demo / "raw", **kwargs),
            sessions)


def _wifi_expected(counter: dict, keys: list[str]) -> pd.Series:
    frame = pd.DataFrame([(*k, n) for k, n in counter.items()], columns=[*keys, "n"])
    return frame.set_index(keys)["n"]


def test_wifisess_matches_an_independent_count_from_the_raw_logs(demo, wifi_reference):
    tables, _, sessions = wifi_reference
    pub = published(demo, "pub_wifi_sessions__branch_month")
    expected = _wifi_expected(tables["sessions_by_branch_month"], ["branch_code", "month"])
    assert_matches(pub, expected, ["branch_code", "month"])
    # WIFISESS for the year: the whole-library total row.
    total = pub[(pub["branch_code"] == "all") & (pub["month"] == "all")]["value"]
    assert total.tolist() == [len(sessions)] == [expected.sum()]
    assert 60_000 < len(sessions) < 80_000


def test_wifi_breakdowns_match_the_reference(demo, wifi_reference):
    tables, _, _ = wifi_reference
    names = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    hours = _wifi_expected({(b, names[d - 1], f"{h:02d}"): n for (b, d, h), n in
                            tables["sessions_by_branch_weekday_hour"].items()},
                           ["branch_code", "weekday", "hour"])
    pub = published(demo, "pub_wifi_sessions__branch_weekday_hour")
    pub["hour"] = pub["hour"].map(lambda h: h if h == "all" else f"{int(h):02d}")
    assert_matches(pub, hours, ["branch_code", "weekday", "hour"])
    for name, key, band in (("pub_wifi_session_duration__branch_month", "duration_bands",
                             "duration_band"),
                            ("pub_wifi_data_volume__branch_month", "volume_bands",
                             "volume_band")):
        assert_matches(published(demo, name),
                       _wifi_expected(tables[key], ["branch_code", "month", band]),
                       ["branch_code", "month", band])
    devices = published(demo, "pub_wifi_devices__branch_day")
    assert_matches(devices, _wifi_expected(tables["devices_with_totals"],
                                           ["branch_code", "day"]), ["branch_code", "day"])


def test_wifi_anomalies_match_the_reference(demo, wifi_reference):
    _, anomalies, _ = wifi_reference
    manifest = json.loads((release(demo) / "manifest.json").read_text())
    fmt = {s["name"]: s["format"].split("_")[0] for s in
           tomllib.loads((demo / "library.toml").read_text())["sources"]}
    got: dict[str, int] = {}
    for a in manifest["wifi"]["anomalies"]:
        kind = "duplicate_records" if a["kind"] == "duplicate_record" else a["kind"]
        key = f"{fmt[a['source']]}_{kind}"
        got[key] = got.get(key, 0) + a["count"]
    assert got == {k: v for k, v in anomalies.items() if v}


def test_no_mac_ip_user_name_or_host_name_reaches_any_wifi_output(demo):
    """Every raw Wi-Fi identifier (MACs in four notations, user names, IPs, host names) is
    absent from every output file."""
    values = _raw_wifi_identifiers(demo / "raw" / "wifi")
    assert len(values) > 10_000
    text = output_strings(demo).lower()
    found = found_in({v.lower() for v in values if len(v) >= 6}, text)
    assert not found, f"{len(found)} raw Wi-Fi identifier(s) found in outputs"


def _mac_forms(value: str) -> list[str]:
    bare = "".join(c for c in value.lower() if c in "0123456789abcdef")
    if len(bare) != 12:
        return [value]
    pairs = [bare[i:i + 2] for i in range(0, 12, 2)]
    return [value, bare, ":".join(pairs), "-".join(pairs),
            ".".join(bare[i:i + 4] for i in range(0, 12, 4))]


def _raw_wifi_identifiers(wifi_dir: Path) -> set[str]:
    """Personal values of the raw demo Wi-Fi logs, read with the standard library."""
    import csv
    import gzip
    import re
    out: set[str] = set()
    personal = ("User-Name", "Calling-Station-Id", "Framed-IP-Address", "Acct-Session-Id")
    attr = re.compile(r'^\s+([A-Za-z-]+) = "?(.*?)"?$')
    for f in sorted((wifi_dir / "radius").iterdir()):
        opener = gzip.open if f.suffix == ".gz" else open
        with opener(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                m = attr.match(line)
                if m and m.group(1) in personal:
                    out.update(_mac_forms(m.group(2)) if m.group(1) == "Calling-Station-Id"
                               else [m.group(2)])
    fields = ("mac", "ip", "ip6", "user", "description", "notes", "hostname", "name")
    for f in sorted((wifi_dir / "meraki").glob("*.csv")):
        with open(f, encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                for k in fields:
                    if row.get(k):
                        out.update(_mac_forms(row[k]) if k == "mac" else [row[k]])
    for f in [*sorted((wifi_dir / "meraki").glob("*.json")),
              *sorted((wifi_dir / "unifi").glob("*.json"))]:
        data = json.loads(f.read_text(encoding="utf-8"))
        for rec in data["data"] if isinstance(data, dict) else data:
            for k in fields:
                if isinstance(rec.get(k), str) and rec[k]:
                    out.update(_mac_forms(rec[k]) if k == "mac" else [rec[k]])
    return out


# --- E-resources: published figures against tests/oracles/eresources_reference.py -------------------
# (written from docs/eresources.md alone, in plain Python: its own LogFormat parser, COUNTER
# session rules, robots and double-click filter, COUNTER and vendor readers)

@pytest.fixture(scope="session")
def eres_args(demo):
    import datetime as dt
    return (demo / "raw", demo / "library.toml", dt.date.fromisoformat(START),
            dt.date.fromisoformat(END))


def _expected(counter: dict, keys: list[str]) -> pd.Series:
    frame = pd.DataFrame([(*k, n) for k, n in counter.items()], columns=[*keys, "n"])
    return frame.set_index(keys)["n"]


def test_ezproxy_use_matches_an_independent_count_with_the_counter_rules(demo, eres_args):
    from tests.oracles import eresources_reference as ref
    keys = ["month", "database", "measure"]
    expected = _expected(ref.reference_use(*eres_args), keys)
    pub = published(demo, "pub_eres_use__database_month")
    assert_matches(pub, expected, keys)
    sessions = expected.xs("sessions", level="measure")
    assert sessions.sum() > 10_000 and len(sessions.index.get_level_values("database")
                                           .unique()) == 6      # five databases and 'other'


def test_starting_point_hits_match_the_reference(demo, eres_args):
    from tests.oracles import eresources_reference as ref
    expected = _expected(ref.reference_spu(*eres_args), ["month", "database"])
    assert_matches(published(demo, "pub_eres_spu__database_month"), expected,
                   ["month", "database"])


def test_counter_and_ecirc_tables_match_the_reference(demo, eres_args):
    from tests.oracles import eresources_reference as ref
    keys = ["month", "database", "report", "measure"]
    expected = _expected(ref.reference_counter(*eres_args), keys)
    pub = published(demo, "pub_eres_counter__database_month")
    assert_matches(pub, expected, keys)
    assert set(pub["report"]) == {"DR", "PR", "TR"}
    keys = ["month", "vendor", "format"]
    expected = _expected(ref.reference_ecirc(*eres_args), keys)
    assert_matches(published(demo, "pub_ecirc_checkouts__vendor_format_month"), expected, keys)


def test_ezproxy_exclusions_bad_lines_and_hosts_match_the_reference(demo, eres_args):
    from tests.oracles import eresources_reference as ref
    m = json.loads((release(demo) / "manifest.json").read_text())["eresources"]
    for (source, reason), n in ref.reference_excluded(*eres_args).items():
        assert m["sources"][source]["excluded"][reason] == n, (source, reason)
    bad = ref.reference_bad_lines(*eres_args)
    assert {s: c["bad_lines"] for s, c in m["sources"].items()} == bad
    first = ref.reference_first_bad_lines(*eres_args)
    for b in m["bad_lines"]:
        assert (Path(b["file"]).name, b["line"]) == tuple(first[b["source"]])
    listed, _ = ref.reference_other_hosts(*eres_args)
    assert {h["host"]: h["requests"] for h in m["other_hosts"]} == listed


def test_no_ip_username_session_id_or_query_value_reaches_any_output(demo):
    """Sample raw identifiers straight from the logs and look for them in every output file."""
    import gzip
    import re
    needles = set()
    for path in sorted((demo / "raw" / "eresources" / "ezproxy").glob("ezproxy-2025011*")):
        text = (gzip.open(path, "rt") if path.suffix == ".gz" else open(path)).read()
        for line in text.splitlines()[:400]:
            parts = line.split(" ")
            if len(parts) > 3:
                needles.update(p for p in (parts[0], parts[1], parts[2]) if len(p) > 6)
            for value in re.findall(r"[?&][a-z_]+=([^& \"]{6,})", line):
                # identifiers (digits, e-mails), not dates or words that prose may hold
                if re.search(r"[\d@]", value) and not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", value):
                    needles.add(value)
    assert len(needles) > 100
    out = demo / "out"
    blobs = [p.read_bytes() for zone in ("published", "pseudonymized", "review")
             for p in (out / zone).rglob("*") if p.is_file() and p.suffix != ".duckdb"]
    for needle in sorted(needles):
        assert not any(needle.encode() in b for b in blobs), needle


def test_no_withheld_cell_can_be_narrowed_independent_audit(demo):
    """docs/disclosure.md §4, re-run independently: every withheld cell of every table, as an
    integer program over the published figures (linked Wi-Fi tables together, distinct counts
    with the transactions they are drawn from), keeps a range
    at least the protection interval wide, or, under a small whole-library figure (published
    whatever its size), as wide as any release could give it; and the run's own audit
    reported no narrower."""
    from tests.oracles.disclosure_reference import integer_ranges
    manifest = json.loads((release(demo) / "manifest.json").read_text())
    interval = manifest["disclosure"]["protection_interval"]
    frames = {t["name"]: pd.read_parquet(release(demo) / "tables" / f"{t['name']}.parquet")
              for t in manifest["tables"]}
    # one integer program per family of tables: a universe, with the distinct counts drawn
    # from it (active borrowers from loans, devices from sessions)
    groups: dict[str, dict] = {}
    for name, frame in frames.items():
        spec = PUBLISHED_TABLES[name]
        family = spec.drawn_from[0].universe if spec.drawn_from else spec.universe_name
        groups.setdefault(family, {})[name] = frame.reset_index(drop=True)
    widths: dict[str, list] = {}
    limited = 0
    for group in groups.values():
        specs = {n: PUBLISHED_TABLES[n] for n in group}
        ranges = integer_ranges(group, specs)
        width = {w: (np.inf if hi is None else hi - lo) for w, (lo, hi) in ranges.items()}
        narrow = {w for w, x in width.items() if x < interval}
        if narrow:
            # only under a small whole-library figure, and then as wide as any release
            # publishing those figures and the zeros could make it
            most = integer_ranges(group, specs, most=narrow)
            for w in narrow:
                lo, hi = most[w]
                assert width[w] >= (np.inf if hi is None else hi - lo), w
            limited += len(narrow)
        for (name, _), (lo, hi) in ranges.items():
            widths.setdefault(name, []).append(np.inf if hi is None else hi - lo)
    assert {n: len(w) for n, w in widths.items()} == {
        n: int(f["suppressed"].sum()) for n, f in frames.items() if f["suppressed"].any()}
    # the run's LP ranges are never narrower than these integer ones
    assert limited >= sum(t["limited_by_open_figures"]
                          for t in manifest["disclosure"]["tables"].values())
    for name, w in widths.items():
        reported = manifest["disclosure"]["tables"][name]["narrowest_range"]
        # integer bounds are at least as tight as the run's LP bounds
        assert min(w) <= (np.inf if reported is None else reported)


def test_patron_records_are_k_anonymous_as_pycanon_counts_them(demo):
    """The zone's patron records: k and the equivalence classes as pyCANON (an independent
    checker) counts them equal the run's report (so the demo's 97-year-old, alone in a
    postcode area, shares a class with at least four others)."""
    from pycanon import anonymity, metrics
    report = json.loads((release(demo) / "manifest.json").read_text())["k_anonymity"]
    qis = report["quasi_identifiers"]
    zone = demo / "out" / "pseudonymized" / "riverbend" / PERIOD
    patrons = pd.read_parquet(zone / "patrons.parquet")
    assert len(patrons) == report["records"] - report["records_dropped"] == 5000
    shipped = [q for q in qis if q != "has_zone_events"]
    data = patrons[shipped].astype(object).where(patrons[shipped].notna(), "*")
    # the plan's last attribute is not a column: whether the token has events in the zone
    # (an attacker joins the two files on the token), recomputed from the written event files
    events = sorted((zone / "events").glob("month=*/*.parquet"))
    borrowed = set(pd.concat([pd.read_parquet(f, columns=["patron_token"]) for f in events])
                   ["patron_token"].dropna().map(bytes))
    assert qis[-1] == "has_zone_events" and events
    data["has_zone_events"] = patrons["patron_token"].map(lambda t: bytes(t) in borrowed)  # not isin: numpy drops trailing NUL bytes
    assert anonymity.k_anonymity(data, qis) == report["smallest_class"] >= report["k"] == 5
    stats = metrics.sizes_ec(data, qis)
    assert (stats["n_ec"], stats["min_ec"], stats["max_ec"]) == (
        report["classes"], report["smallest_class"], report["largest_class"])
    assert report["classes_below_k_before"] > 0 and report["records_withheld"] > 0
