"""draft-profile round trip: draft → paste into a config → the run reads the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.conftest import CONFIG, mini_library_files

CASE = Path(__file__).parent / "draft-profile-roundtrip"


def test_draft_is_valid_toml_that_the_run_accepts(tmp_path, test_key, capsys):
    config = mini_library_files(tmp_path)
    raw = config.parent / "raw"
    shutil.copyfile(CASE / "destiny.csv", raw / "destiny.csv")
    assert main(["draft-profile", str(raw / "destiny.csv")]) == 0
    draft = capsys.readouterr().out
    for value in ("Test Patron", "example.org", "2100000"):
        assert value not in draft
    assert 'format = "csv"' in draft and '"Patron Name" = "drop"' in draft
    assert 'Email = "drop"' in draft and '"Patron Barcode" = "token"' in draft
    draft = draft.replace('path = "destiny.csv"', 'path = "raw/destiny.csv"')
    config.write_text(CONFIG + "\n" + draft, encoding="utf-8")
    code = main(["run", str(config), "--period", "FY2025", "-q"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert out.out == "" and out.err == ""
    manifest = json.loads(next((tmp_path / "out").rglob("manifest.json")).read_text())
    rows = {i["source"]: i["rows_in"] for i in manifest["inputs"]}
    assert rows["destiny"] == 20


def test_known_profile_is_named(tmp_path, capsys):
    config = mini_library_files(tmp_path)
    assert main(["draft-profile", str(config.parent / "raw" / "statistics.csv")]) == 0
    out = capsys.readouterr().out
    assert 'format = "koha_statistics"' in out and "known" in out


def test_quiet_run_prints_nothing_at_the_file_descriptor_level(tmp_path, test_key, capfd):
    """-q: nothing on stdout or stderr (fd level, so C libraries' output counts too), even
    with warnings to give (a header-only borrowers export)."""
    config = mini_library_files(tmp_path)
    (config.parent / "raw" / "borrowers.csv").write_text(
        (config.parent / "raw" / "borrowers.csv").read_text().splitlines()[0] + "\n")
    code = main(["run", str(config), "--period", "FY2025", "-q"])
    out, err = capfd.readouterr()
    assert code == 0, err
    assert err == ""
    assert out == ""        # the LP solver's banner included (sent to /dev/null)


def test_json_export_with_a_utf8_bom_is_read(mini_library, capsys):
    """A Meraki JSON export saved with a BOM reads like one without (Wi-Fi mini library)."""
    from tests.pipelines.test_wifi import wifi_library as make_wifi
    config = make_wifi.__wrapped__(mini_library)
    folder = config.parent / "raw" / "wifi"
    text = ('[\n {"mac": "02:00:00:00:00:01", "firstSeen": 1730793600,'
            ' "recentDeviceName": "WEST-AP-2"}\n]\n')
    (folder / "meraki-2024-11-06.json").write_bytes(b"\xef\xbb\xbf" + text.encode())
    code = main(["run", str(config), "--period", "FY2025", "-q"])
    err = capsys.readouterr().err
    assert "meraki-2024-11-06.json" not in err and "BOM" not in err, err
    assert "\u00ef\u00bb\u00bf" not in err


def test_a_time_column_is_found_by_its_values_when_its_name_does_not_say(tmp_path, capsys):
    """A column called "When" holding ISO timestamps (with T, Z and offsets) is proposed as
    the event time; no value is printed."""
    export = tmp_path / "loans.csv"
    export.write_text("When,Branch,Card,Email\n"
                      "2024-10-01T10:00:00Z,MAIN,29999000000011,test.patron@example.com\n"
                      "2024-10-02 11:00:00-04,MAIN,29999000000012,other.patron@example.com\n",
                      encoding="utf-8")
    assert main(["draft-profile", str(export), "--kind", "circulation"]) == 0
    draft = capsys.readouterr().out
    assert 'event_ts = "When"' in draft and 'When = "generalize:day"' in draft
    assert "TODO" not in draft
    assert "timestamp" not in draft          # not listed among personal-looking values
    assert "example.com" not in draft and "29999000000011" not in draft
