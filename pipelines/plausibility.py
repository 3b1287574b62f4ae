"""Warnings about rows that are surely wrong but not bad input: a source with no rows (or none
in the period), many rows outside the period, text that looks like mojibake. They do not stop
the run; they go on ``Run.warnings`` (source, file, what, how many), into the manifest's
``warnings`` and the steward report, and on stderr unless ``-q``. No value is ever shown."""

from __future__ import annotations

from transforms.plausibility import OUTSIDE_PERIOD_SHARE, mojibake_count_sql


def check(r, loaded: list, staged: dict) -> None:
    rows = {n: c for s in staged.values() for n, c in s.rows.items()}
    for ing in loaded:
        files = ", ".join(r.config.display_path(f.path) for f in ing.files) or None
        if ing.rows == 0:
            r.warn(ing.name, files, "no rows at all (only a header?): the source adds nothing",
                   0)
            continue
        counts = rows.get(ing.name, {})
        in_period, outside = counts.get("in_period"), counts.get("outside_period")
        if in_period == 0:
            r.warn(ing.name, files, f"no rows in the period {r.period.label} "
                                    f"({ing.rows} rows read)", 0)
        if isinstance(outside, int) and outside > OUTSIDE_PERIOD_SHARE * ing.rows \
                and in_period != 0:
            r.warn(ing.name, files, f"rows outside the period {r.period.label} "
                                    f"({outside / ing.rows:.0%} of the rows read; more than "
                                    f"{OUTSIDE_PERIOD_SHARE:.0%} suggests the export covers "
                                    f"another span)", outside)
        _mojibake(r, ing, files)


def _mojibake(r, ing, files) -> None:
    cols = [(raw, col) for raw, col in ing.scan_columns()
            if _is_text(r.con, ing.table, col)]
    if not cols:
        return
    found = r.con.execute(mojibake_count_sql(ing.table, [c for _, c in cols])).fetchone()
    for (raw, _), n in zip(cols, found):
        if n:
            r.warn(ing.name, files, f"column '{raw}': text that looks like mojibake (UTF-8 "
                                    f"read as a single-byte encoding; is 'encoding' right?)", n)


def _is_text(con, table: str, column: str) -> bool:
    row = con.execute("SELECT data_type FROM information_schema.columns WHERE table_name = ? "
                      "AND column_name = ?", [table, column]).fetchone()
    return row is not None and row[0] == "VARCHAR"
