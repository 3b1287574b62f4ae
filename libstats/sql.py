"""Small helpers for building SQL text safely."""

from __future__ import annotations


def q(name: str) -> str:
    '''Quote an identifier.

    >>> print(q('my "col"'))
    "my ""col"""
    '''
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """Quote a string literal (for trusted, config-provided codes only).

    >>> lit("O'Neil")
    "'O''Neil'"
    """
    return "'" + value.replace("'", "''") + "'"


def months_table(start: str, end: str) -> str:
    """A one-column table ``month`` ('YYYY-MM') of every month from ``start`` to ``end``
    (ISO dates), for full grids and coverage checks.

    >>> print(months_table("2024-07-01", "2024-08-31"))
    (SELECT strftime(m, '%Y-%m') AS month FROM range(DATE '2024-07-01', DATE '2024-08-31' + INTERVAL 1 DAY, INTERVAL 1 MONTH) AS t(m))
    """
    return (f"(SELECT strftime(m, '%Y-%m') AS month FROM range(DATE {lit(start)}, "
            f"DATE {lit(end)} + INTERVAL 1 DAY, INTERVAL 1 MONTH) AS t(m))")


def values_table(rows: list[tuple], names: list[str]) -> str:
    """A VALUES list usable in FROM, with typed VARCHAR columns.

    >>> print(values_table([("a", "b")], ["x", "y"]))
    (SELECT * FROM (VALUES ('a', 'b')) AS t("x", "y"))
    """
    if not rows:
        nulls = ", ".join(f"NULL::VARCHAR AS {q(n)}" for n in names)
        return f"(SELECT {nulls} WHERE false)"
    body = ", ".join("(" + ", ".join(lit(str(v)) for v in r) + ")" for r in rows)
    return f"(SELECT * FROM (VALUES {body}) AS t({', '.join(q(n) for n in names)}))"
