"""Bad input: each case stops the run with exit code 2 and a message naming file, line and
column, never the value, and nothing is published."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.conftest import BORROWER_HEADER, STAT_HEADER, borrower_rows, csv_text, stat_rows

MARK = "Zyxwv-Secret-7731"   # planted in offending cells; must never be echoed


def run(config: Path, capsys) -> tuple[int, str]:
    code = main(["run", str(config), "--period", "FY2025", "-q"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def stats_path(config: Path) -> Path:
    return config.parent / "raw" / "statistics.csv"


def assert_refused(config, capsys, *, line=None, column=None, words=()):
    code, output = run(config, capsys)
    assert code == 2, output
    assert "statistics.csv" in output or "borrowers.csv" in output, output
    if line is not None:
        assert f"line {line}" in output, output
    if column is not None:
        assert f"column '{column}'" in output, output
    for w in words:
        assert w in output, output
    assert MARK not in output
    assert not (config.parent / "out" / "published").exists()
    return output


def write_stats(config: Path, header, rows, delimiter=","):
    stats_path(config).write_text(csv_text(header, rows, delimiter), encoding="utf-8")


def test_ragged_row(mini_library, capsys):
    rows = stat_rows()
    rows[2] = rows[2][:5] + [MARK]   # line 4 (header is line 1)
    write_stats(mini_library, STAT_HEADER, rows)
    assert_refused(mini_library, capsys, line=4, words=["ragged"])


def test_too_many_fields(mini_library, capsys):
    rows = stat_rows()
    rows[0] = rows[0] + [MARK]
    write_stats(mini_library, STAT_HEADER, rows)
    assert_refused(mini_library, capsys, line=2, words=["more fields"])


def test_wrong_delimiter(mini_library, capsys):
    write_stats(mini_library, STAT_HEADER, stat_rows(), delimiter=";")
    assert_refused(mini_library, capsys, line=1, words=["wrong delimiter", "semicolon"])


def test_missing_required_column(mini_library, capsys):
    i = STAT_HEADER.index("branch")
    header = STAT_HEADER[:i] + STAT_HEADER[i + 1:]
    rows = [r[:i] + r[i + 1:] for r in stat_rows()]
    write_stats(mini_library, header, rows)
    assert_refused(mini_library, capsys, line=1, column="branch", words=["required column"])


def test_unclassified_extra_column(mini_library, capsys):
    rows = [r + [MARK] for r in stat_rows()]
    write_stats(mini_library, STAT_HEADER + ["patron_email"], rows)
    assert_refused(mini_library, capsys, line=1, column="patron_email",
                   words=["unclassified", "koha_statistics"])


def test_extra_column_classified_as_drop_in_config_is_accepted(mini_library, capsys):
    rows = [r + [MARK] for r in stat_rows()]
    write_stats(mini_library, STAT_HEADER + ["patron_email"], rows)
    text = mini_library.read_text().replace('format = "koha_statistics"',
                                            'format = "koha_statistics"\n'
                                            'columns = { patron_email = "drop" }')
    mini_library.write_text(text)
    code, output = run(mini_library, capsys)
    assert code == 0, output


def test_empty_file(mini_library, capsys):
    stats_path(mini_library).write_bytes(b"")
    assert_refused(mini_library, capsys, words=["empty"])


def test_non_utf8_bytes_where_utf8_declared(mini_library, capsys):
    text = csv_text(STAT_HEADER, stat_rows()).encode("utf-8")
    lines = text.split(b"\n")
    fields = lines[3].split(b",")
    fields[4] = b"caf\xe9"          # Latin-1 byte in column 'other', line 4
    lines[3] = b",".join(fields)
    stats_path(mini_library).write_bytes(b"\n".join(lines))
    assert_refused(mini_library, capsys, line=4, column="other", words=["not valid"])


def test_undefined_byte_in_windows_1252(mini_library, capsys):
    text = mini_library.read_text().replace('path = "raw/statistics.csv"',
                                            'path = "raw/statistics.csv"\n'
                                            'encoding = "windows-1252"')
    mini_library.write_text(text)
    data = csv_text(STAT_HEADER, stat_rows()).encode("cp1252")
    lines = data.split(b"\n")
    fields = lines[5].split(b",")
    fields[4] = b"x\x81y"           # 0x81 is undefined in Windows-1252
    lines[5] = b",".join(fields)
    stats_path(mini_library).write_bytes(b"\n".join(lines))
    assert_refused(mini_library, capsys, line=6, column="other", words=["windows-1252"])


@pytest.mark.parametrize("bad", [
    pytest.param("2024-13-45 10:00:00", id="impossible-date"),
    pytest.param("10/05/2024 10:00", id="other-format"),
    pytest.param(MARK, id="not-a-date"),
])
def test_unparseable_dates(mini_library, capsys, bad):
    rows = stat_rows()
    rows[6][0] = bad                # line 8
    write_stats(mini_library, STAT_HEADER, rows)
    out = assert_refused(mini_library, capsys, line=8, column="datetime",
                         words=["cannot be parsed"])
    assert bad not in out


def test_line_numbers_count_newlines_inside_quoted_values(mini_library, capsys):
    rows = stat_rows()
    rows[0][4] = "note with\ntwo\nline breaks"  # record 1 spans lines 2-4
    rows[3][0] = MARK                            # record 4 starts on line 7
    write_stats(mini_library, STAT_HEADER, rows)
    assert_refused(mini_library, capsys, line=7, column="datetime")


def test_duplicate_headers(mini_library, capsys):
    header = STAT_HEADER[:-1] + ["branch"]
    write_stats(mini_library, header, stat_rows())
    assert_refused(mini_library, capsys, line=1, column="branch", words=["duplicate"])


@pytest.mark.parametrize("maker, words", [
    pytest.param(lambda: _xlsx_bytes(), "ZIP", id="xlsx-workbook"),
    pytest.param(lambda: gzip.compress(b"datetime,branch\n"), "gzip", id="gzip"),
    pytest.param(lambda: b"\x00\x01\x02binary\x00" * 50, "NUL", id="binary"),
    pytest.param(lambda: b"%PDF-1.7\n...", "PDF", id="pdf"),
])
def test_not_csv_at_all(mini_library, capsys, maker, words):
    stats_path(mini_library).write_bytes(maker())
    assert_refused(mini_library, capsys, words=["not a CSV text file", words])


def _xlsx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
    return buf.getvalue()


def test_unknown_branch(mini_library, capsys):
    rows = stat_rows()
    rows[4][1] = "ZZTOP"           # line 6
    write_stats(mini_library, STAT_HEADER, rows)
    out = assert_refused(mini_library, capsys, line=6, column="branch", words=["unknown branch"])
    assert "ZZTOP" not in out


def test_empty_required_value(mini_library, capsys):
    rows = stat_rows()
    rows[1][1] = ""                # line 3, branch empty
    write_stats(mini_library, STAT_HEADER, rows)
    assert_refused(mini_library, capsys, line=3, column="branch", words=["empty"])


def test_no_file_matches(mini_library, capsys):
    stats_path(mini_library).unlink()
    code, out = run(mini_library, capsys)
    assert code == 2 and "no file matches" in out


def test_bad_borrowers_date(mini_library, capsys):
    rows = borrower_rows()
    rows[2][BORROWER_HEADER.index("dateofbirth")] = "31/02/1970"   # line 4
    (mini_library.parent / "raw" / "borrowers.csv").write_text(
        csv_text(BORROWER_HEADER, rows), encoding="utf-8")
    assert_refused(mini_library, capsys, line=4, column="dateofbirth")


def test_missing_key_stops_before_reading_data(mini_library, capsys, monkeypatch):
    monkeypatch.delenv("LIBSTATS_TEST_KEY")
    stats_path(mini_library).write_bytes(b"")   # would be an input error if it were read
    code, out = run(mini_library, capsys)
    assert code == 2 and "LIBSTATS_TEST_KEY" in out and "file is empty" not in out


def test_short_key(mini_library, capsys, monkeypatch):
    monkeypatch.setenv("LIBSTATS_TEST_KEY", "ab" * 16)  # 16 bytes
    code, out = run(mini_library, capsys)
    assert code == 2 and "at least 32" in out and "ab" * 16 not in out


def test_bad_config_exit_code(mini_library, capsys):
    mini_library.write_text(mini_library.read_text().replace("threshold = 10",
                                                             "threshold = -1"))
    code, out = run(mini_library, capsys)
    assert code == 2 and "suppression.threshold" in out


def test_ragged_row_after_a_multiline_value_names_the_physical_line(mini_library, capsys):
    rows = stat_rows()
    rows[0][4] = "two\nlines"      # record 1 spans lines 2-3
    rows[2] = rows[2][:5]          # record 3 starts on line 5
    write_stats(mini_library, STAT_HEADER, rows)
    out = assert_refused(mini_library, capsys, line=5, words=["ragged"])
    assert "more problem" not in out   # one bad row, however many fields it lacks


def test_headerless_export_never_echoes_its_first_row(mini_library, capsys):
    rows = stat_rows()
    rows[0][4] = MARK
    text = csv_text(STAT_HEADER, rows).split("\n", 1)[1]    # header removed
    stats_path(mini_library).write_text(text, encoding="utf-8")
    out = assert_refused(mini_library, capsys, line=1, words=["does not look like",
                                                               "without a header row"])
    assert "2024-10" not in out and "MAIN" not in out


def test_two_files_with_the_same_content_would_double_count(mini_library, capsys):
    raw = mini_library.parent / "raw"
    (raw / "statistics_copy.csv").write_bytes(stats_path(mini_library).read_bytes())
    mini_library.write_text(mini_library.read_text().replace('path = "raw/statistics.csv"',
                                                             'path = "raw/statistics*.csv"'))
    assert_refused(mini_library, capsys, words=["same content", "counted twice"])


def test_no_events_in_the_period(mini_library, capsys):
    code = main(["run", str(mini_library), "--period", "FY2023", "-q"])
    out = capsys.readouterr().err
    assert code == 2 and "no circulation events" in out and "FY2023" in out
