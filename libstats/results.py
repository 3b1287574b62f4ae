"""The result of one check, as recorded in the manifest and the steward report.

A CheckResult never carries a data value: only the check's name, where it ran, its threshold and
how many values or rows failed it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CheckResult:
    """One check on one table (and column, where the check is per column).

    Attributes:
        check: check name, e.g. "schema", "small_cells", "pattern:email", "exact_match".
        zone: "published" or "pseudonymized".
        table: table name, e.g. "pub_circulation__branch_month_material".
        column: column name, or None for table-level checks.
        passed: whether the check passed.
        threshold: human-readable threshold or rule, e.g. "no value in 1..10".
        failing_count: how many values or rows failed (0 when passed). Never the values.
        engine: "great_expectations" or "duckdb".
        detail: extra wording written by libstats; must never contain a data value.
    """

    check: str
    zone: str
    table: str
    column: str | None
    passed: bool
    threshold: str | None = None
    failing_count: int = 0
    engine: str = "duckdb"
    detail: str = ""

    def describe(self) -> str:
        col = f", column '{self.column}'" if self.column else ""
        unit = "row(s)" if self.engine == "great_expectations" else "distinct value(s)"
        status = "passed" if self.passed else f"FAILED ({self.failing_count} offending {unit})"
        detail = f"; {self.detail}" if self.detail and not self.passed else ""
        return f"{self.zone} table '{self.table}'{col}: check '{self.check}' {status}{detail}"

    def to_dict(self) -> dict:
        return asdict(self)
