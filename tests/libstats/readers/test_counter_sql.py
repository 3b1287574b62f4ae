"""The COUNTER tabular body read in DuckDB (tabular_sql) gives what the row-by-row Python
reader gives: the same figures in the same order, warnings and errors, on variants of the
public Sample-TR (tests/conformance/eresources/r50_tr) that take each of its ways."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from libstats.errors import InputError
from libstats.readers.counter.report import Report
from libstats.readers.counter.source import _read_file

SAMPLE = Path(__file__).parents[2] / "conformance" / "eresources" / "r50_tr" / "Sample-TR.tsv"


def _variants() -> dict[str, str]:
    src = SAMPLE.read_text(encoding="utf-8-sig")
    lines = src.split("\n")
    head, body = lines[:15], lines[15:]
    first = body[0].split("\t")
    bad = "\t".join(first[:17] + ["x"] + first[18:])
    return {
        "plain.tsv": src,                                   # read_csv view
        "crlf.tsv": src.replace("\n", "\r\n"),
        "spaces.tsv": "\n".join(head + [x.replace("\t", " \t ", 3) for x in body]),
        "nbsp.tsv": "\n".join(head + [x.replace("\t", "\xa0\t", 2) for x in body]),
        "blank_rows.tsv": "\n".join(head + body[:1] + ["", "\t\t"] + body[1:]),
        "extra_empty.tsv": "\n".join(head + [x + "\t\t" for x in body if x]),
        "extra_value.tsv": "\n".join(head + [x + "\tx" for x in body if x]),
        "comma.csv": src.replace("\t", ","),
        "bad_count.tsv": "\n".join(head + [bad] + body[1:]),
        "no_final_newline.tsv": src.rstrip("\n"),
    }


def _read(path: Path, con):
    rep = Report(path, 0, "counter")
    try:
        _read_file(rep, con)
    except InputError as exc:
        return ("error", str(exc), exc.line, exc.column), None
    rows = con.execute(rep.staged[1]).fetchall() if rep.staged else [tuple(r) for r in rep.rows]
    return (rows, rep.warnings, rep.report_id, rep.release), rep.staged


@pytest.mark.parametrize("name", sorted(_variants()))
def test_duckdb_body_reads_as_python_does(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(_variants()[name].encode("utf-8"))
    con = duckdb.connect()
    fast, staged = _read(path, con)
    slow, _ = _read(path, None)
    assert fast == slow
    if name in ("plain.tsv", "crlf.tsv", "nbsp.tsv", "comma.csv"):
        assert staged is not None and len(fast[0]) > 0       # read in DuckDB, not row by row
    if name == "bad_count.tsv":
        assert fast[0] == "error" and "whole number" in fast[1]
