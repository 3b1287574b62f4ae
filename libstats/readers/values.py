"""Value checks on loaded sources: required values present, dates parse, branches known.

Each check is one SQL pass over the column; only the first offending record is located (file and
physical line) and reported, with the count of the others, never the value.
"""

from __future__ import annotations

from libstats.errors import InputError
from libstats.profiles import DATE_FIELDS, REQUIRED_FIELDS, TIMESTAMP_FIELDS
from libstats.readers.files import IngestedSource
from libstats.readers.staged import StagedSource, parse_date_sql, parse_timestamp_sql
from libstats.sql import q

EMPTY = "a required value is empty"
UNKNOWN_BRANCH = ("unknown branch: the value is not a branch code or alias in [[branches]] "
                  "(value not shown)")


def first_bad(con, table: str, condition: str, rowid: str = "rowid"
              ) -> tuple[int | None, int]:
    """The raw rowid of the first record meeting ``condition``, and how many do; ``rowid``
    names the column holding raw rowids when ``table`` is a staged view."""
    row = con.execute(f"SELECT min({rowid}), count(*) FROM {table} WHERE {condition}"
                      ).fetchone()
    return row[0], int(row[1])


def raise_at(con, ing: IngestedSource, rowid: int, count: int, column: str, problem: str):
    path, line = ing.locate(con, rowid)
    more = f" ({count - 1} more row(s) like it)" if count > 1 else ""
    raise InputError(path, problem + more, line=line, column=column, source=ing.name)


def check_values(con, ing: IngestedSource, staged: StagedSource) -> None:
    """Raise InputError at the first record with a missing required value or a bad date."""
    kind = ing.resolved.profile.kind
    fields = staged.fields
    for fld in REQUIRED_FIELDS[kind]:
        col = fields.get(fld)
        if col is None:
            continue
        rowid, n = first_bad(con, ing.table, f"nullif(trim({q(col)}), '') IS NULL")
        if rowid is not None:
            raise_at(con, ing, rowid, n, col, EMPTY)
    for fld, col in sorted(fields.items()):
        if fld in TIMESTAMP_FIELDS:
            parsed = parse_timestamp_sql(staged, fld)
            what = "timestamp"
        elif fld in DATE_FIELDS:
            parsed = parse_date_sql(staged, fld)
            what = "date"
        else:
            continue
        raw = f"nullif(trim({q(col)}), '')"
        cond = f"{raw} IS NOT NULL AND NOT starts_with({raw}, '0000-00-00') AND ({parsed}) IS NULL"
        rowid, n = first_bad(con, ing.table, cond)
        if rowid is not None:
            formats = staged.timestamp_formats if what == "timestamp" else staged.date_formats
            raise_at(con, ing, rowid, n, col,
                      f"the {what} cannot be parsed (expected {' or '.join(formats)}"
                      f"{', or with a UTC offset' if what == 'timestamp' else ''}; set "
                      f"'{what}_format' for this source if the export uses another format)")


def check_branches(con, ing: IngestedSource, column: str | None) -> None:
    """Every branch value must be a configured branch code or alias."""
    if column is None:
        return
    cond = (f"nullif(trim({q(column)}), '') IS NOT NULL AND trim({q(column)}) NOT IN "
            f"(SELECT alias FROM map_branch)")
    rowid, n = first_bad(con, ing.table, cond)
    if rowid is not None:
        raise_at(con, ing, rowid, n, column, UNKNOWN_BRANCH)


def check_staged_events(con, ing: IngestedSource, stg_table: str, ts_column: str,
                        branch_column: str) -> None:
    """The same checks for a circulation source, read off its staged table's flags (the
    timestamps were parsed once, while staging)."""
    checks = [
        ("NOT _ts_given", ts_column, EMPTY),
        ("_ts_given AND event_date IS NULL", ts_column,
         "the timestamp cannot be parsed (expected an ISO date and time; set "
         "'timestamp_format' for this source if the export uses another format)"),
        ("NOT _branch_given", branch_column, EMPTY),
        ("_branch_given AND branch_code IS NULL", branch_column, UNKNOWN_BRANCH),
    ]
    flags = ", ".join(f"min(_rec) FILTER (WHERE {cond}), count(*) FILTER (WHERE {cond})"
                      for cond, _, _ in checks)
    row = con.execute(f"SELECT {flags} FROM {stg_table}").fetchone()
    found = [(row[2 * i], row[2 * i + 1], col, problem)
             for i, (_, col, problem) in enumerate(checks) if row[2 * i] is not None]
    if found:
        rowid, n, col, problem = min(found, key=lambda f: f[0])
        raise_at(con, ing, rowid, n, col, problem)
