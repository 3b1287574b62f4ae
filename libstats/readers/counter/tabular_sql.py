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


def _stage(rep, con, body, first_line, delimiter, headings, months, name_col,
           native_col) -> bool:
    width = len(headings)
    col = {h: i + 1 for i, h in enumerate(headings)}
    temp = f"_counter_body_{rep.source}_{rep.file_no}"
    cell_sql = [f"trim(coalesce(cells[{i + 1}], ''), $ws) AS c{i + 1}" for i in range(width)]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {q(temp)} AS "
        f"WITH l AS (SELECT unnest(s) AS line, generate_subscripts(s, 1) AS i "
        f"FROM (SELECT string_split($body, chr(10)) AS s)), "
        f"r AS (SELECT $first + i - 1 AS line_no, length(line) AS len, "
        f"string_split(line, $delim) AS cells FROM l "
        f"WHERE trim(replace(line, $delim, ''), $ws) <> '') "
        f"SELECT line_no, len, len(list_filter(cells[{width + 1}:], "
        f"lambda x: trim(x, $ws) <> '')) > 0 AS extra, {', '.join(cell_sql)} FROM r",
        {"body": body, "first": first_line, "delim": delimiter, "ws": WHITESPACE})
    c = {h: f"c{col[h]}" for h in headings}
    metrics = ", ".join("'" + m + "'" for m in sorted(METRICS[rep.report_id]))
    counts = [c[headings[i]] for i, _ in months] + [c["Reporting_Period_Total"]]
    bad = [f"len > {FIELD_LIMIT}", "extra", f"{c[name_col]} = ''", f"{c[native_col]} = ''",
           f"{c['Metric_Type']} NOT IN ({metrics})"]
    bad += [f"NOT regexp_full_match({x}, '[0-9]{{0,18}}')" for x in counts]
    n = [f"TRY_CAST(CASE WHEN {x} = '' THEN '0' ELSE {x} END AS HUGEINT)" for x in counts]
    broken = con.execute(
        f"SELECT count(*) FROM {q(temp)} WHERE {' OR '.join(bad)} OR "
        f"{n[-1]} IS DISTINCT FROM {' + '.join(n[:-1])}").fetchone()[0]
    if broken:
        con.execute(f"DROP TABLE {q(temp)}")
        return False
    attrs = [(f"nullif({c[a]}, '')" if a in c else "CAST(NULL AS VARCHAR)") + f" AS {a.lower()}"
             for a in _ATTRS]
    figures = ", ".join(f"{{'k': {k}, 'month': '{month}', 'n': CAST({n[k]} AS BIGINT)}}"
                        for k, (_, month) in enumerate(months))
    staged = f"{temp}_figures"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {q(staged)} AS "
        f"SELECT CAST({rep.file_no} AS INTEGER) AS __file, CAST(line_no AS INTEGER) AS __line, "
        f"$report AS report_id, $family AS report_family, $release AS release, "
        f"{c[native_col]} AS native_name, {', '.join(attrs)}, {c['Metric_Type']} AS "
        f"metric_type, f.month AS month, f.n AS count FROM (SELECT *, unnest([{figures}]) AS f "
        f"FROM {q(temp)}) ORDER BY line_no, f.k",
        {"report": rep.report_id, "family": rep.family, "release": rep.release})
    con.execute(f"DROP TABLE {q(temp)}")
    rep.staged = (staged, con.execute(f"SELECT count(*) FROM {q(staged)}").fetchone()[0])
    return True
