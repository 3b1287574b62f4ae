"""Config validation: every error names the file and the key; unknown keys are errors."""

from __future__ import annotations

import pytest

from libstats.config import load_config
from libstats.errors import ConfigError
from libstats.period import default_fiscal_year, parse_period
from tests.conftest import CONFIG


def write(tmp_path, text):
    p = tmp_path / "library.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_the_mini_config_loads(tmp_path):
    c = load_config(write(tmp_path, CONFIG))
    assert c.library_slug == "testville" and c.threshold == 10
    assert [b.code for b in c.branches] == ["MAIN", "WEST"]
    assert c.fiscal_year_bounds(2025)[0].isoformat() == "2024-07-01"


@pytest.mark.parametrize("old, new, key", [
    pytest.param('name = "Testville Public Library"\n', "", "library.name", id="missing-name"),
    pytest.param('threshold = 10', 'threshold = "ten"', "suppression.threshold", id="wrong-type"),
    pytest.param('threshold = 10', 'threshold = 10\nthreshhold = 5', "suppression.threshhold",
                 id="unknown-key-typo"),
    pytest.param('fiscal_year_start = "07-01"', 'fiscal_year_start = "July"',
                 "library.fiscal_year_start", id="bad-fiscal-year-start"),
    pytest.param('timezone = "America/New_York"', 'timezone = "Mars/Olympus"',
                 "library.timezone", id="unknown-time-zone"),
    pytest.param('env = "LIBSTATS_TEST_KEY"', 'env = "LIBSTATS_TEST_KEY"\nfile = "k.key"',
                 "key", id="key-env-and-file"),
    pytest.param('env = "LIBSTATS_TEST_KEY"', 'env = "0123456789abcdef0123"', "key.env",
                 id="key-pasted-into-env"),
    pytest.param('format = "koha_statistics"', 'format = "koha_statistics"\n'
                 'columns = { other = "maybe" }', "sources[0].columns.other", id="bad-role"),
    pytest.param('code = "WEST"', 'code = "WEST"\naliases = ["MAIN"]', "branches[1].aliases",
                 id="alias-used-twice"),
    pytest.param('book = ["BK", "JBK"]', 'book = ["BK", "JBK"]\nbooks = ["BK"]',
                 "material_types.books", id="item-type-mapped-twice"),
])
def test_errors_name_file_and_key(tmp_path, old, new, key):
    assert old in CONFIG
    path = write(tmp_path, CONFIG.replace(old, new, 1))
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert str(path) in str(exc.value)
    assert f"'{key}'" in str(exc.value) or (key == "key" and "key" in str(exc.value))


@pytest.mark.parametrize("line", [
    pytest.param('env = "fa89ace0123456789abcdef0123456789abcdef0123456789abcdef01234567"',
                 id="hex-key-as-env-name"),
    pytest.param('file = "keys/fa89ace0123456789abcdef0123456789abcdef0123456789abcdef01"',
                 id="hex-key-as-file-name"),
])
def test_a_key_pasted_into_the_config_is_refused_and_not_echoed(tmp_path, line):
    path = write(tmp_path, CONFIG.replace('env = "LIBSTATS_TEST_KEY"', line))
    with pytest.raises(ConfigError, match="looks like key material") as exc:
        load_config(path)
    assert "fa89ace" not in str(exc.value)


def test_typo_in_a_required_key_is_pointed_out(tmp_path):
    path = write(tmp_path, CONFIG.replace("fiscal_year_start", "fiscal_year_strat"))
    with pytest.raises(ConfigError, match="fiscal_year_strat.*typo"):
        load_config(path)


def test_bad_timestamp_format_is_a_config_error(tmp_path):
    path = write(tmp_path, CONFIG.replace('path = "raw/statistics.csv"',
                                          'path = "raw/statistics.csv"\ntimestamp_format = "%Q"'))
    with pytest.raises(ConfigError, match="timestamp_format"):
        load_config(path)


def test_not_toml(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[library\nname="))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_periods(tmp_path):
    import datetime as dt
    c = load_config(write(tmp_path, CONFIG))
    assert parse_period(c, "FY2025").start == dt.date(2024, 7, 1)
    assert parse_period(c, "2025").label == "FY2025"
    m = parse_period(c, "2025-02")
    assert (m.start, m.end, m.fiscal_year) == (dt.date(2025, 2, 1), dt.date(2025, 2, 28), 2025)
    assert parse_period(c, "2024-07").fiscal_year == 2025
    # The PLS reporting period: the fiscal year that ended in the previous calendar year.
    assert default_fiscal_year(c, dt.date(2026, 11, 22)) == 2025
    assert default_fiscal_year(c, dt.date(2026, 1, 5)) == 2025
    with pytest.raises(ConfigError):
        parse_period(c, "last year")
