"""The body of a tabular COUNTER report parsed in DuckDB: one row per line, cells split and
checked in SQL, the month columns unpivoted into figures; no Python per row.

Only the header block (the first 15 records) is read in Python, with the checks of
``tabular.read_head`` / ``read_headings``. The body is read here when every line is one record:
TSV (no quoting), or CSV without a quote character in the body, and no carriage return
outside a CRLF line end. ``read_fast`` returns False when the file is not such a file or when
any check of the body fails (or a header check does): the caller then reads the whole file
again in Python, which gives the exact error (file, line, column, never the value) in the
order the row-by-row reader finds it. A report that reads cleanly gives the same figures, in
the same order, as the Python reader."""

from __future__ import annotations

import csv
import io
import itertools

from libstats.errors import InputError
from libstats.readers.counter.report import METRICS, Report
from libstats.readers.counter.tabular import read_head, read_headings
from libstats.sql import q

# What Python's str.strip() strips (the cells of the Python reader are stripped).
WHITESPACE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
FIELD_LIMIT = 131072          # csv.field_size_limit(): a longer cell is an error there
_ATTRS = ("Platform", "Publisher", "Data_Type", "Access_Method")


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def drop(con, name: str) -> None:
    """Drop the staged body ``name`` (a view over the file, or a table)."""
    views = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?",
                        [name]).fetchall()[0][0]
    con.execute(f"DROP {'VIEW' if views else 'TABLE'} IF EXISTS {q(name)}")


def _head_records(text: str, delimiter: str, n: int) -> list[tuple[int, list[str]]]:
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True,
                        quoting=quoting)
    rows, start = [], 1
    for row in itertools.islice(reader, n):
        rows.append((start, [c.strip() for c in row]))
        start = reader.line_num + 1
    return rows


def read_fast(rep: Report, text: str, delimiter: str, con) -> bool:
    """Read the report into a DuckDB table (``rep.staged``); False when it must be read in
    Python (see the module)."""
    if text.count("\r") != text.count("\r\n"):
        return False
    try:
        rows = _head_records(text, delimiter, 15)
        size = read_head(rep, rows)
        if len(rows) <= size + 2:
            return False           # no body: nothing to gain
        headings, months, name_col, native_col = read_headings(rep, rows[size + 1])
    except (InputError, csv.Error):
        return False
    first_line = rows[size + 2][0]
    parts = text.split("\n", first_line - 1)
    if len(parts) < first_line:
        return False
    body = parts[-1]
    del parts
    if delimiter != "\t" and '"' in body:
        return False
    return _stage(rep, con, body, first_line, delimiter, headings, months, name_col,
                  native_col)


def _lines(body: str, first_line: int):
    """The body as an Arrow table (line number, text without its line end), built from the
    offsets of its line breaks: no Python object per line."""
    import numpy as np
    import pyarrow as pa
    data = body.encode("utf-8")
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if len(data) and data[-1:] != b"\n":
        ends = np.append(ends, len(data))
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    n = len(ends)
    offsets = np.empty(2 * n, dtype=np.int64)  # each line: its start, then its end
    offsets[0::2], offsets[1::2] = starts, ends
    # A string array over [start, end) pairs: every other entry is the line break between.
    pairs = pa.LargeStringArray.from_buffers(2 * n - 1 if n else 0,
                                             pa.py_buffer(offsets[:2 * n] if n else
                                                          np.zeros(1, np.int64)),
                                             pa.py_buffer(data))
    return pa.table({"line_no": pa.array(np.arange(first_line, first_line + n, dtype=np.int64)),
                     "line": pairs.take(pa.array(np.arange(0, 2 * n, 2, dtype=np.int64)))
                     if n else pa.array([], pa.large_string())})


def _stage(rep, con, body, first_line, delimiter, headings, months, name_col,
           native_col) -> bool:
    width = len(headings)
    if "\r" in body:
        body = body.replace("\r\n", "\n")     # no bare CR (checked): CRLF line ends only
    # trim(x) strips spaces only and is fast; a set of characters is slow: use it only when
    # the body holds a whitespace character other than the space, the delimiter and "\n".
    exotic = any(c in body for c in WHITESPACE if c not in " \n" + delimiter)
    trim = (lambda x: f"trim({x}, $ws)") if exotic else (lambda x: f"trim({x})")
    temp = f"_counter_body_{rep.source}_{rep.file_no}"
    expect = None if exotic else _direct(rep, con, temp, body, first_line, delimiter, width)
    if expect is None:
        _split(con, temp, body, first_line, delimiter, width, trim, exotic)
    del body
    return _check_and_select(rep, con, temp, headings, months, name_col, native_col, expect)


def _direct(rep, con, temp, body, first_line, delimiter, width):
    """DuckDB's ``read_csv`` of the file after the header block, when no cell needs stripping
    and every line of the body is one record of at most ``width`` fields (checked on the
    bytes with NumPy): the fast way, a view; what the check of the body must also find (rows,
    first and last line). None (nothing made) otherwise."""
    import numpy as np
    if "\r" in body:
        return None
    data = body.encode("utf-8")
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == 10)
    if len(data) and data[-1:] != b"\n":
        ends = np.append(ends, len(data))
    starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
    if not len(ends) or (ends - starts).max() > FIELD_LIMIT or (ends == starts).any():
        return None
    # A space next to a delimiter or a line end would be stripped: not this way.
    d = delimiter.encode()
    if data[:1] == b" " or data[-1:] == b" " or any(
            x in data for x in (b" " + d, d + b" ", b" \n", b"\n ")):
        return None
    seps = np.flatnonzero(raw == ord(delimiter))
    fields = np.searchsorted(seps, ends) - np.searchsorted(seps, starts)
    if (fields > width - 1).any() or (fields == ends - starts).any():   # extra fields; blank
        return None
    columns = "{" + ", ".join(f"'c{i + 1}': 'VARCHAR'" for i in range(width)) + "}"
    path = str(rep.path).replace("'", "''")
    cells = ", ".join(f"coalesce(c{i + 1}, '') AS c{i + 1}" for i in range(width))
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {q(temp)} AS SELECT CAST(row_number() OVER () AS "
            f"BIGINT) + {first_line - 1} AS line_no, 0 AS len, false AS extra, {cells} "
            f"FROM read_csv('{path}', skip = {first_line - 1}, header = false, "
            f"quote = '', escape = '', columns = {columns}, "
            f"auto_detect = false, null_padding = true, delim = {_lit(delimiter)})")
    except Exception:            # noqa: BLE001  (DuckDB could not: read it the other way)
        drop(con, temp)
        return None
    # The rows are the lines: as many, and the first and last as Python splits them.
    last = data[starts[-1]:ends[-1]].decode("utf-8").split(delimiter)
    first = data[starts[0]:ends[0]].decode("utf-8").split(delimiter)
    pad = lambda cells: cells + [""] * (width - len(cells))   # noqa: E731
    # Checked with the body (one scan): the rows are the lines, as many, and the first and
    # last as Python splits them.
    return (len(ends), [first_line, pad(first)],
            [first_line + len(ends) - 1, pad(last)])


def _split(con, temp, body, first_line, delimiter, width, trim, exotic) -> None:
    """The body split into lines (Arrow, no Python per line) and the lines into cells in SQL,
    each cell stripped as Python strips it."""
    lines = _lines(body, first_line)
    view = f"{temp}_lines"
    con.register(view, lines)
    cell_sql = [f"{trim(f'coalesce(cells[{i + 1}], {chr(39) * 2})')} AS c{i + 1}"
                for i in range(width)]
    params = {"delim": delimiter, **({"ws": WHITESPACE} if exotic else {})}
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {q(temp)} AS "
            f"WITH r AS (SELECT line_no, length(line) AS len, string_split(line, $delim) AS cells "
            f"FROM {q(view)} WHERE {trim('replace(line, $delim, ' + chr(39) * 2 + ')')} <> '') "
            f"SELECT line_no, len, len(list_filter(cells[{width + 1}:], "
            f"lambda x: {trim('x')} <> '')) > 0 AS extra, {', '.join(cell_sql)} FROM r",
            params)
    finally:
        con.unregister(view)


def _check_and_select(rep, con, temp, headings, months, name_col, native_col,
                      expect=None) -> bool:
    """Every check of the Python reader on the staged body at once; ``rep.staged`` when none
    fails, else False (the table dropped)."""
    col = {h: i + 1 for i, h in enumerate(headings)}
    c = {h: f"c{col[h]}" for h in headings}
    metrics = ", ".join("'" + m + "'" for m in sorted(METRICS[rep.report_id]))
    counts = [c[headings[i]] for i, _ in months] + [c["Reporting_Period_Total"]]
    bad = [f"len > {FIELD_LIMIT}", "extra", f"{c[name_col]} = ''", f"{c[native_col]} = ''",
           f"{c['Metric_Type']} NOT IN ({metrics})"]
    bad += [f"NOT regexp_full_match({x}, '[0-9]{{0,18}}')" for x in counts]
    n = [f"TRY_CAST(CASE WHEN {x} = '' THEN '0' ELSE {x} END AS HUGEINT)" for x in counts]
    cells = "[" + ", ".join(f"c{i + 1}" for i in range(len(headings))) + "]"
    ends = ", ".join(f"any_value({cells}) FILTER (WHERE line_no = {e[0]})"
                     for e in expect[1:]) if expect else "NULL, NULL"
    rows, broken, first, last = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {' OR '.join(bad)} OR "
        f"{n[-1]} IS DISTINCT FROM {' + '.join(n[:-1])}), {ends} FROM {q(temp)}").fetchall()[0]
    if expect and (rows, first, last) != (expect[0], expect[1][1], expect[2][1]):
        broken = True            # the view did not read the lines as expected: the other way
    if broken:
        drop(con, temp)
        return False
    attrs = [(f"nullif({c[a]}, '')" if a in c else "CAST(NULL AS VARCHAR)") + f" AS {a.lower()}"
             for a in _ATTRS]
    month_list = "[" + ", ".join(f"'{month}'" for _, month in months) + "]"
    count_list = "[" + ", ".join(f"coalesce(CAST(nullif({x}, '') AS BIGINT), 0)"
                                 for x in counts[:-1]) + "]"
    lit = lambda v: "'" + v.replace("'", "''") + "'"   # noqa: E731  (COUNTER codes)
    # The figures in the Python reader's order: the body's rows (insertion order is kept)
    # and in each row its months from left to right.
    select = (
        f"SELECT __file, __line, report_id, report_family, release, native_name, platform, "
        f"publisher, data_type, access_method, metric_type, month, count FROM ("
        f"SELECT CAST({rep.file_no} AS INTEGER) AS __file, CAST(line_no AS INTEGER) AS __line, "
        f"{lit(rep.report_id)} AS report_id, {lit(rep.family)} AS report_family, "
        f"{lit(rep.release)} AS release, {c[native_col]} AS native_name, {', '.join(attrs)}, "
        f"{c['Metric_Type']} AS metric_type, unnest({month_list}) AS month, "
        f"unnest({count_list}) AS count FROM {q(temp)})")
    rep.staged = (temp, select, rows * len(months))
    return True
