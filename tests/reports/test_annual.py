"""The annual report on hand-made releases: fail closed on a withheld cell, -1 for missing
sources, data-file validation, the survey-year mapping."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from libstats import release
from libstats.config import load_config
from libstats.errors import ConfigError
from libstats.schema import PUBLISHED_TABLES
from pipelines.cli import main
from reports.annual.definitions import all_versions, definitions_for, load_definitions, load_layout
from tests.conftest import CONFIG

CIRC = "pub_circulation__branch_month_material"


def _circulation(value_of) -> pd.DataFrame:
    """A full grid with totals: 1 month, branches MAIN and WEST, book/video, three
    audiences, three measures; leaf values from ``value_of``, totals summed."""
    leaves = [dict(month="2024-10", branch_code=b, material_type=m, audience=a, measure=s,
                   value=value_of(b, m, a, s))
              for b, m, a, s in itertools.product(["MAIN", "WEST"], ["book", "video"],
                                                  ["children", "young_adult", "adult"],
                                                  ["checkouts", "renewals",
                                                   "in_library_uses"])]
    frame = pd.DataFrame(leaves)
    dims = ["month", "branch_code", "material_type", "audience"]
    parts = [frame]
    for k in range(1, len(dims) + 1):
        for totalled in itertools.combinations(dims, k):
            keep = [d for d in dims if d not in totalled] + ["measure"]
            g = frame.groupby(keep)["value"].sum().reset_index()
            for d in totalled:
                g[d] = "all"
            parts.append(g)
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "fiscal_year", "FY2025")
    out["suppressed"] = False
    return out


def make_release(folder: Path, frame: pd.DataFrame, withheld: dict | None = None,
                 extra: dict | None = None) -> Path:
    """A release of one table under ``out/published/testville/FY2025`` (the mini config);
    ``extra``: more manifest sections."""
    config = folder / "library.toml"
    config.write_text(CONFIG, encoding="utf-8")
    if withheld:
        mask = pd.Series(True, index=frame.index)
        for c, v in withheld.items():
            mask &= frame[c] == v
        frame.loc[mask, "suppressed"] = True
        frame["value"] = frame["value"].astype("Int64").mask(frame["suppressed"])
    root = folder / "out" / "published" / "testville"
    stage = release.staging_dir(root, "FY2025")
    files = release.write_table_files(frame, PUBLISHED_TABLES[CIRC], stage / "tables")
    release.write_json(stage / "manifest.json", {
        "library": {"name": "Testville Public Library", "slug": "testville"},
        "period": {"label": "FY2025", "fiscal_year": "FY2025", "start": "2024-07-01",
                   "end": "2025-06-30"},
        "suppression": {"threshold": 10}, "disclosure": {"protection_interval": 10},
        "checks": [], "tables": [{"name": CIRC, "rows": len(frame), "files": files}],
        **(extra or {})})
    release.write_sums(stage)
    release.switch_in(stage, root, "FY2025")
    return config


def test_a_withheld_cell_the_form_needs_stops_the_report_naming_it(tmp_path, test_key,
                                                                    capsys):
    # renewals of children's material, whole library: withheld (an analyst-made release)
    frame = _circulation(lambda b, m, a, s: 40 + len(b + m + a + s))
    config = make_release(tmp_path, frame, withheld={
        "month": "all", "branch_code": "all", "material_type": "all", "audience": "children",
        "measure": "renewals"})
    link = tmp_path / "out" / "published" / "testville" / "FY2025"
    before = link.resolve()
    code = main(["report", "annual", str(config), "--fiscal-year", "2025", "--form", "pls"])
    err = capsys.readouterr().err
    assert code == 1
    assert "element KIDPHYSCIR" in err and CIRC in err
    assert "audience = 'children'" in err and "measure = 'renewals'" in err
    assert "withheld" in err and "nothing was written" in err
    hidden = int(_circulation(lambda b, m, a, s: 40 + len(b + m + a + s)).query(
        "month == 'all' and branch_code == 'all' and material_type == 'all' "
        "and audience == 'children' and measure == 'renewals'")["value"].iloc[0])
    assert str(hidden) not in err                         # never a value
    assert link.resolve() == before and not (link / "annual").exists()
    assert not [p for p in link.parent.joinpath(".versions").iterdir()
                if p.name.startswith(".staging")]


def test_report_on_a_release_without_wifi_or_eresources_reports_minus_one(tmp_path,
                                                                          test_key):
    frame = _circulation(lambda b, m, a, s: 0 if m == "video" else 20 + len(a) * (b == "MAIN"))
    config = make_release(tmp_path, frame)
    assert main(["report", "annual", str(config), "--fiscal-year", "2025", "--form", "mo",
                 "-q"]) == 0
    folder = tmp_path / "out" / "published" / "testville" / "FY2025" / "annual" / "mo"
    ae = pd.read_csv(folder / "ae.csv")
    book = frame[(frame["month"] == "all") & (frame["branch_code"] == "all")
                 & (frame["material_type"] == "all") & (frame["audience"] == "all")]
    phys = int(book[book["measure"].isin(["checkouts", "renewals"])]["value"].sum())
    assert ae["PHYSCIR"].iloc[0] == phys
    for code in ("WIFISESS", "EBOOK_CIR", "ELMATCIR", "TOTCIR", "REGBOR", "PITUSR"):
        assert ae[code].iloc[0] == -1, code            # no source: -1, never 0
    manifest = json.loads((folder.parent.parent / "manifest.json").read_text())
    els = {e["code"]: e for e in manifest["annual_reports"]["mo"]["elements"]}
    assert "no table pub_wifi_sessions__branch_month" in els["WIFISESS"]["ae"]["reason"]
    assert "needs ELMATCIR" in els["TOTCIR"]["ae"]["reason"]
    assert main(["check", str(folder.parent.parent)]) == 0
    # the check catches a figure edited after the fact
    copy = tmp_path / "copy"
    shutil.copytree(folder.parent.parent, copy)
    m = json.loads((copy / "manifest.json").read_text())
    m["annual_reports"]["mo"]["elements"][0]["ae"]["value"] += 1
    release.write_json(copy / "manifest.json", m)
    (copy / "SHA256SUMS").unlink()
    release.write_sums(copy)
    assert main(["check", str(copy)]) == 1


def test_no_release_for_the_year_is_a_clear_input_error(tmp_path, test_key, capsys):
    config = tmp_path / "library.toml"
    config.write_text(CONFIG, encoding="utf-8")
    assert main(["report", "annual", str(config), "--fiscal-year", "2024"]) == 2
    assert "no published release for FY2024" in capsys.readouterr().err


@pytest.mark.parametrize("fy, version", [(2016, "pls_fy2023"), (2023, "pls_fy2023"),
                                         (2024, "pls_fy2024"), (2025, "pls_fy2024"),
                                         (2031, "pls_fy2024")])
def test_survey_year_mapping(fy, version):
    defs, chosen = definitions_for(fy)
    assert defs.version == version and chosen["file"].endswith("survey_years.toml")


def test_a_year_without_definitions_is_a_config_error():
    with pytest.raises(ConfigError, match="no PLS definitions apply to FY2015"):
        definitions_for(2015)


def test_every_layout_item_names_an_element_of_some_definitions():
    known = set().union(*(load_definitions(v).elements for v in all_versions()))
    for form in ("pls", "ct", "mo"):
        layout = load_layout(form)
        assert {i.element for i in layout.items} <= known, form
    fy23, fy24 = load_definitions("pls_fy2023"), load_definitions("pls_fy2024")
    assert fy24.elements["ELMATCIR"].formula == ("EBOOK_CIR", "ESERIAL_CIR", "EAUDIO_CIR",
                                                 "EVIDEO_CIR")
    assert fy24.elements["TOTCIR"].formula == fy23.elements["TOTCIR"].formula == (
        "ELMATCIR", "PHYSCIR")
    # the service domains fill WEBVISIT (FY2023) and PITUSR from their tables
    assert fy23.elements["WEBVISIT"].cells[0].table == "pub_web_visits__month"
    assert fy24.elements["PITUSR"].cells[0].table == "pub_pc_sessions__branch_month"
    # FY2023 names the same synchronous program elements as FY2024 (600-618; no KIDPRO)
    programs = [c for c, el in fy24.elements.items() if 600 <= int(el.number) <= 618]
    assert len(programs) == 18 and "KIDPRO" not in fy23.elements
    for code in programs:
        assert (fy23.elements[code].number, fy23.elements[code].cells) == (
            fy24.elements[code].number, fy24.elements[code].cells), code


@pytest.mark.parametrize("edit, key", [
    (('where = { month = "all", branch_code = "{outlet}" }',
      'where = { month = "all" }'), "elements[11].cells[0].where"),
    (('where = { month = "all", branch_code = "{outlet}" }',
      'where = { month = "all", branch_code = "{outlet}", colour = "red" }'),
     "elements[11].cells[0].where.colour"),
    (('formula = "ELMATCIR + PHYSCIR"', 'formula = "ELMATCIR + NOPE"'),
     "elements[6].formula"),
    (('method = "CT"\ncells = [{ table = "pub_wifi', 'method = "XX"\ncells = [{ table = "pub_wifi'),
     "elements[11].method"),
])
def test_bad_definitions_name_the_file_and_key(tmp_path, edit, key):
    src = Path(load_definitions("pls_fy2024").path)
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "definitions").mkdir()
    text = (root / src).read_text(encoding="utf-8")
    assert edit[0] in text
    (tmp_path / "definitions" / "pls_fy2024.toml").write_text(text.replace(edit[0], edit[1]),
                                                             encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_definitions("pls_fy2024", tmp_path)
    assert f"key '{key}'" in str(exc.value) and "pls_fy2024.toml" in str(exc.value)


def test_unknown_form_is_a_config_error(tmp_path, test_key, capsys):
    config = tmp_path / "library.toml"
    config.write_text(CONFIG, encoding="utf-8")
    load_config(config)
    assert main(["report", "annual", str(config), "--fiscal-year", "2025", "--form",
                 "tx"]) == 2
    assert "no layout file for form 'tx'" in capsys.readouterr().err


def test_figures_from_a_table_published_with_differential_privacy_are_estimates(
        tmp_path, test_key, capsys):
    frame = _circulation(lambda b, m, a, s: 40 + len(b + m + a + s))
    config = make_release(tmp_path, frame, extra={"differential_privacy": {
        "tables": {CIRC: {"epsilon": 1.0}}}})
    assert main(["report", "annual", str(config), "--fiscal-year", "2025", "-q"]) == 0, \
        capsys.readouterr().err
    folder = tmp_path / "out" / "published" / "testville" / "FY2025"
    elements = pd.read_csv(folder / "annual" / "pls" / "elements.csv", dtype=str,
                           keep_default_na=False).set_index("element")
    assert elements.loc["PHYSCIR", "method"] == "ES"
    assert elements.loc["TOTCIR", "method"] in ("ES", "")      # a sum with an estimate
    manifest = json.loads((folder / "manifest.json").read_text())
    phys = next(e for e in manifest["annual_reports"]["pls"]["elements"]
                if e["code"] == "PHYSCIR")
    assert phys["method"] == "ES" and "differential privacy" in phys["ae"]["estimate"]


def test_a_formula_cycle_through_other_elements_is_refused(tmp_path):
    """TOTCIR = ELMATCIR + PHYSCIR; with PHYSCIR = TOTCIR the chain is a cycle of two
    formulas and one more step, which a check of direct self-reference misses."""
    from reports.annual.definitions import _data_dir
    text = (_data_dir() / "definitions" / "pls_fy2024.toml").read_text()
    start = text.index('code = "PHYSCIR"')
    cells = text.index("cells = [", start)
    end = text.index("]\n", cells) + 2
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "pls_fy2024.toml").write_text(
        text[:cells] + 'formula = "TOTCIR"\n' + text[end:])
    with pytest.raises(ConfigError, match="refers to itself"):
        load_definitions("pls_fy2024", tmp_path)


def test_state_layouts_show_no_unverified_item_numbers():
    """CT and MO: no question number was verified in the states' published lists, so no item
    shows one (the PLS element code names the figure); PLS numbers cite their source."""
    for form in ("ct", "mo"):
        layout = load_layout(form)
        assert layout.numbers_source == "" and all(i.item == "" for i in layout.items), form
    pls = load_layout("pls")
    assert "PLS Data Elements" in pls.numbers_source and all(i.item for i in pls.items)


def test_an_item_number_needs_its_published_source(tmp_path):
    (tmp_path / "layouts").mkdir()
    (tmp_path / "layouts" / "xx.toml").write_text(
        'form = "xx"\ntitle = "T"\nauthority = "A"\nsheet = "S"\n'
        '[[items]]\nelement = "REGBOR"\n[[items]]\nitem = "Circulation 553"\n'
        'element = "PHYSCIR"\n')
    with pytest.raises(ConfigError) as exc:
        load_layout("xx", tmp_path)
    assert "items[1].item" in str(exc.value) and "numbers_source" in str(exc.value)


@pytest.mark.parametrize("terminals, expected", [("MAIN = 4\nWEST = 2\n", 6),
                                                 ("MAIN = 4\n", -1)])
def test_gpterms_comes_from_the_config_per_branch(tmp_path, test_key, terminals, expected):
    """PLS GPTERMS is a count of machines the config gives per branch: the administrative
    entity's figure is their sum, -1 while a branch is not listed; libstats check verifies
    the recorded settings."""
    frame = _circulation(lambda b, m, a, s: 30)
    config = make_release(tmp_path, frame)
    config.write_text(CONFIG.replace("[material_types]", "[computers.public_terminals]\n"
                                     + terminals + "\n[material_types]"), encoding="utf-8")
    assert load_config(config).computers.public_terminals["MAIN"] == 4
    assert main(["report", "annual", str(config), "--fiscal-year", "2025", "--form", "pls",
                 "-q"]) == 0                      # CT and MO: the next test
    rel = tmp_path / "out" / "published" / "testville" / "FY2025"
    assert pd.read_csv(rel / "annual" / "pls" / "ae.csv")["GPTERMS"].iloc[0] == expected
    m = json.loads((rel / "manifest.json").read_text())
    el = next(e for e in m["annual_reports"]["pls"]["elements"] if e["code"] == "GPTERMS")
    assert el["number"] == "650" and "outlets" not in el        # the PLS asks the AE only
    if expected == -1:
        assert "does not list WEST" in el["ae"]["reason"]
        return
    assert el["ae"]["settings"] == [
        {"setting": "computers.public_terminals", "branch_code": "MAIN", "value": 4},
        {"setting": "computers.public_terminals", "branch_code": "WEST", "value": 2}]
    assert main(["check", str(rel)]) == 0
    copy = tmp_path / "copy"                     # a figure edited after the fact is caught
    shutil.copytree(rel.resolve(), copy)
    m["annual_reports"]["pls"]["elements"][[e["code"] for e in m["annual_reports"]["pls"][
        "elements"]].index("GPTERMS")]["ae"]["value"] = 7
    release.write_json(copy / "manifest.json", m)
    (copy / "SHA256SUMS").unlink()
    release.write_sums(copy)
    assert main(["check", str(copy)]) == 1


@pytest.mark.parametrize("text, key", [("NOWHERE = 3", "public_terminals.NOWHERE"),
                                       ("MAIN = -1", "public_terminals.MAIN"),
                                       ('MAIN = "six"', "public_terminals.MAIN")])
def test_bad_public_terminals_name_the_key(tmp_path, text, key):
    path = tmp_path / "library.toml"
    path.write_text(CONFIG.replace("[material_types]", "[computers.public_terminals]\n" + text
                                   + "\n\n[material_types]"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert key in str(exc.value)


def test_a_state_item_the_pls_dropped_keeps_its_earlier_definition(tmp_path, test_key):
    """WEBVISIT is not in the FY2024 PLS: the FY2025 PLS report leaves it out, the CT and MO
    forms (which keep the item) report it under the FY2023 definition (-1 here: the release
    has no web table; the demo's value is checked in tests/e2e/test_annual.py). GPTERMS, from
    the config, is on both state forms too."""
    config = make_release(tmp_path, _circulation(lambda b, m, a, s: 30))
    config.write_text(CONFIG.replace("[material_types]", "[computers.public_terminals]\n"
                                     "MAIN = 4\nWEST = 2\n\n[material_types]"), encoding="utf-8")
    rel = tmp_path / "out" / "published" / "testville" / "FY2025"
    for form in ("pls", "ct", "mo"):
        assert main(["report", "annual", str(config), "--fiscal-year", "2025", "--form", form,
                     "-q"]) == 0
    assert "WEBVISIT" not in pd.read_csv(rel / "annual" / "pls" / "ae.csv").columns
    m = json.loads((rel / "manifest.json").read_text())
    for form in ("ct", "mo"):
        got = pd.read_csv(rel / "annual" / form / "ae.csv")
        assert got["WEBVISIT"].iloc[0] == -1 and got["GPTERMS"].iloc[0] == 6
        el = next(e for e in m["annual_reports"][form]["elements"] if e["code"] == "WEBVISIT")
        assert el["definitions"] == "pls_fy2023" and el["number"] == "653"
        assert "no table pub_web_visits__month" in el["ae"]["reason"]
        notes = pd.read_csv(rel / "annual" / form / "elements.csv", dtype=str)
        row = notes[notes["element"] == "WEBVISIT"].iloc[0]
        assert row["definitions"] == "pls_fy2023" and "State item" in row["note"]


def test_definition_from_must_name_definitions_that_define_the_element(tmp_path):
    (tmp_path / "layouts").mkdir()
    (tmp_path / "layouts" / "xx.toml").write_text(
        'form = "xx"\ntitle = "T"\nauthority = "A"\nsheet = "S"\n'
        '[[items]]\nelement = "WEBVISIT"\ndefinition_from = "pls_fy2019"\n')
    with pytest.raises(ConfigError) as exc:
        load_layout("xx", tmp_path)
    assert "items[0].definition_from" in str(exc.value)
