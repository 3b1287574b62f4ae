"""What is kept of a Great Expectations validation result: counts and column names, never a
value (docs in ``expectations/suites.py``: result format and defence in depth).

GX records an expectation that raised with the exception message and traceback, and pandas / GX
messages can quote a cell value, so every result is scrubbed before it becomes CheckResults and
before Data Docs are built from the store.
"""

from __future__ import annotations

import re
from typing import Any

from libstats.results import CheckResult

ENGINE = "great_expectations"
ZONE = "published"

# Result keys that carry counts or schema facts only; everything else is dropped by the scrubber.
_SAFE_RESULT_KEYS = {
    "element_count", "unexpected_count", "unexpected_percent", "unexpected_percent_total",
    "unexpected_percent_nonmissing", "missing_count", "missing_percent",
}
# Expectations whose observed_value / details are column names or a dtype name, never cell values.
_SCHEMA_EXPECTATIONS = {
    "expect_table_columns_to_match_ordered_list", "expect_column_values_to_be_in_type_list",
}



def _threshold_text(check: str, kwargs: dict, threshold: int) -> str:
    if check == "schema":
        return "columns exactly " + ", ".join(kwargs.get("column_list") or []) + ", in order"
    if check == "type":
        return "dtype in " + ", ".join(kwargs.get("type_list") or [])
    if check == "non_negative":
        return "no value below 0"
    if check == "small_cells":
        return f"no value in 1..{threshold}"
    if check == "suppression_flag":
        return "value null exactly where suppressed is true; suppressed never null"
    if check == "unique_key":
        cols = kwargs.get("column_list") or [kwargs.get("column")]
        return "key (" + ", ".join(str(c) for c in cols) + ") unique"
    if check.startswith("pattern:"):
        return f"no value matching the {check.split(':', 1)[1]} pattern"
    return check


def _exception_info_items(info: Any) -> list[dict]:
    """GX stores exception_info either flat or keyed by metric id: return the inner dicts."""
    if not isinstance(info, dict):
        return []
    if "raised_exception" in info:
        return [info]
    return [v for v in info.values() if isinstance(v, dict)]


_EXC_NAME = re.compile(r"^([A-Za-z_][\w.]*)(?::|$)")


def _exception_class(item: dict) -> str:
    tb = item.get("exception_traceback") or ""
    for line in reversed([ln.strip() for ln in str(tb).splitlines() if ln.strip()]):
        m = _EXC_NAME.match(line)
        if m and not line.startswith(("File ", "Traceback", "The above", "During handling")):
            return m.group(1).rsplit(".", 1)[-1]
    return "Exception"


def scrub_result(evr: Any) -> bool:
    """Remove anything that could hold a data value from one ExpectationValidationResult.

    Returns whether GX raised an exception for it.
    """
    raised = False
    for item in _exception_info_items(getattr(evr, "exception_info", None)):
        if item.get("raised_exception"):
            raised = True
            # A string, not None: the Data Docs renderer crashes on a None traceback.
            item["exception_message"] = (f"{_exception_class(item)} (message withheld by libstats: "
                                         "it may quote data values)")
            item["exception_traceback"] = "traceback withheld by libstats"
        else:
            item["exception_message"] = None
            item["exception_traceback"] = None
    result = evr.result if isinstance(getattr(evr, "result", None), dict) else {}
    etype = evr.expectation_config.type if evr.expectation_config is not None else ""
    keep = set(_SAFE_RESULT_KEYS)
    if etype in _SCHEMA_EXPECTATIONS:
        keep |= {"observed_value", "details"}
    for key in list(result):
        if key not in keep:
            del result[key]
    return raised


def scrub_suite_result(suite_result: Any) -> None:
    """Scrub every expectation result, and the batch fingerprint (an MD5 of every cell)."""
    for evr in suite_result.results:
        scrub_result(evr)
    markers = (suite_result.meta or {}).get("batch_markers")
    if isinstance(markers, dict) and "pandas_data_fingerprint" in markers:
        markers["pandas_data_fingerprint"] = "withheld by libstats"


def _failing_count(evr: Any, check: str, raised: bool) -> int:
    if evr.success:
        return 0
    if raised:
        return -1
    result = evr.result or {}
    if result.get("unexpected_count") is not None:
        return int(result["unexpected_count"])
    if check == "schema":
        mismatched = (result.get("details") or {}).get("mismatched")
        if isinstance(mismatched, list) and mismatched:
            return len(mismatched)
    return 1


def to_check_results(table: str, suite_result: Any, threshold: int) -> list[CheckResult]:
    out: list[CheckResult] = []
    for evr in suite_result.results:
        raised = scrub_result(evr)
        config = evr.expectation_config
        kwargs = dict(config.kwargs)
        check = (config.meta or {}).get("libstats_check") or config.type
        column = kwargs.get("column")
        detail_parts = [config.type]
        if kwargs.get("column_list") and check == "unique_key":
            detail_parts.append("key columns " + ", ".join(kwargs["column_list"]))
        condition = kwargs.get("row_condition")
        if condition is not None:
            cond = condition if isinstance(condition, dict) else getattr(condition, "dict", dict)()
            col = ((cond.get("column") or {}).get("name")) if isinstance(cond, dict) else None
            if col and cond.get("operator") == "==":
                detail_parts.append(f"rows where {col} is {str(cond.get('parameter')).lower()}")
        if raised:
            detail_parts.append("GX raised an exception (message withheld); count unknown")
        out.append(CheckResult(
            check=check, zone=ZONE, table=table, column=column, passed=bool(evr.success),
            threshold=_threshold_text(check, kwargs, threshold),
            failing_count=_failing_count(evr, check, raised), engine=ENGINE,
            detail="; ".join(detail_parts)))
    return out
