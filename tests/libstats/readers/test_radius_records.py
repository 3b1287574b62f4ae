"""The fast RADIUS record reader gives the line reader's table exactly, and leaves anything
unusual to the line reader (which names file, line and attribute). Values are fake."""

from __future__ import annotations

import duckdb
import pytest

from libstats.config import Source
from libstats.profiles import resolve
from libstats.readers import radius, radius_records

REC = ("{ts}\n\tAcct-Status-Type = {st}\n\tAcct-Session-Id = \"0000000{n}\"\n"
       "\tUser-Name = \"test-patron-{n}\"\n\tNAS-Identifier = \"test-nas-01\"\n"
       "\tCalled-Station-Id = \"02-00-00-00-10-01:Test-Public\"\n"
       "\tCalling-Station-Id = \"02-00-00-00-00-0{n}\"\n\tFramed-IP-Address = 192.0.2.{n}\n"
       "{extra}\tClass = \"a\\\"b\"\n")
STOP = "\tAcct-Session-Time = 60\n\tAcct-Input-Octets = 1000\n"


def _text(n: int = 6) -> str:
    return "\n".join(REC.format(ts=f"Tue Nov  5 09:0{i}:00 2024", st="Stop" if i % 2 else "Start",
                                n=i, extra=STOP if i % 2 else "") for i in range(n))


def _both(tmp_path, text: str, block: int | None = None):
    path = tmp_path / "detail-20241105"
    path.write_text(text, encoding="utf-8")
    res = resolve(Source(name="radius", kind="wifi", format="radius_detail", path=str(path)),
                  tmp_path / "library.toml")
    con = duckdb.connect()
    ing = radius.RadiusSource(res, "raw_radius", [])
    old = radius_records.BLOCK
    if block:
        radius_records.BLOCK = block
    try:
        fast = radius_records.read_records(con, res, [path], "raw_radius", ing,
                                           radius._failing_checks)
    finally:
        radius_records.BLOCK = old
    if not fast:
        return False, None, None
    con.execute("ALTER TABLE raw_radius RENAME TO fast")
    slow = radius.load_lines(con, res, [path])
    assert (ing.header, ing.stored, ing.rows) == (slow.header, slow.stored, slow.rows)
    assert [f.sha256 for f in ing.files] == [f.sha256 for f in slow.files]
    return True, con.execute("SELECT * FROM fast").fetchall(), con.execute(
        "SELECT * FROM raw_radius").fetchall()


@pytest.mark.parametrize("block", [None, 100, 700])
@pytest.mark.parametrize("text", [_text() + "\n", _text().replace("\n\n", "\n\n\n\n") + "\n\n"])
def test_fast_reader_gives_the_line_readers_table(tmp_path, block, text):
    fast, got, want = _both(tmp_path, text, block)
    assert fast and got == want and len(got) == 6


@pytest.mark.parametrize("change", [
    lambda t: "\t" + t,                                     # starts inside a record
    lambda t: t.replace("Acct-Status-Type = Start", "Acct-Status-Type = Begin", 1),
    lambda t: t.replace("\tFramed", "\tTunnel-Type:0 = VLAN\n\tFramed", 1),      # tagged
    lambda t: t.replace("\tFramed", "\tClass = \"x\"\n\tFramed", 1),             # repeated
    lambda t: t.replace("= \"test-patron-1\"", "= \"test-patron-1", 1),          # open quote
    lambda t: t.replace("\tFramed", "\tNot an attribute line\n\tFramed", 1),
    lambda t: t.replace("\n\n", "\n \n", 1),                 # a line of one space
    lambda t: t.replace("\n", "\r\n"),
    lambda t: t.replace("Tue Nov  5 09:03:00 2024", "Tue Nov 45 09:03:00 2024"),
])
def test_anything_unusual_goes_to_the_line_reader(tmp_path, change):
    fast, _, _ = _both(tmp_path, change(_text()))
    assert not fast
