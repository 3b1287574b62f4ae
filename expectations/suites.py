"""Great Expectations (GX Core 1.x) suites for the published tables, validated as pandas batches.

One suite per published table (named after it), derived from its :class:`~libstats.schema.TableSpec`:

==================  =========================================================================
check               expectation(s)
==================  =========================================================================
schema              ``expect_table_columns_to_match_ordered_list``
type                ``expect_column_values_to_be_in_type_list`` per column
non_negative        ``expect_column_values_to_be_between(min_value=0)`` per count column
small_cells         ``expect_column_values_to_not_be_in_set(1..threshold)`` per count column
suppression_flag    count null where ``suppressed`` is true, not null where it is false, and
                    ``suppressed`` itself never null (row conditions)
unique_key          ``expect_compound_columns_to_be_unique`` over the key columns
pattern:<name>      ``expect_column_values_to_not_match_regex_list`` per string column over every
                    pattern, reported as one result per pattern; a column that fails it is
                    validated again with ``expect_column_values_to_not_match_regex`` per pattern
                    (suite ``<table>__patterns``), whose results name the pattern
==================  =========================================================================

Result format (:data:`RESULT_FORMAT`): ``BASIC`` with ``partial_unexpected_count: 0``,
``exclude_unexpected_values: True``, no unexpected rows and no unexpected-index query. BASIC is the
smallest format that still carries ``unexpected_count`` (BOOLEAN_ONLY drops it, and we need the
count for ``failing_count``); the other settings stop GX from copying failing values into the
result (GX's default SUMMARY copies up to 20 of them into ``partial_unexpected_list`` /
``partial_unexpected_counts``, and from there into the stored JSON and Data Docs).
``unexpected_metrics_with_values`` is *not read anywhere in GX 1.24* (it is a 0.18 option), so it
is set only for older/newer versions; ``exclude_unexpected_values`` is the 1.24 switch.
The tests plant marker values in failing cells and grep every CheckResult and every file GX writes.

Defence in depth: GX records an expectation that raised with the exception message and
traceback, and pandas / GX messages can quote a cell value. Every validation result is therefore
scrubbed (:func:`expectations.gx_results.scrub_result`) before it is turned into CheckResults and, with ``docs_dir``,
rewritten in GX's validation-results store before Data Docs are built (no Checkpoint with
UpdateDataDocsAction: that would render the unscrubbed results). GX loggers are silenced and its
progress bars disabled for the duration of a call.

failing_count: GX's ``unexpected_count`` for row-level expectations; for the schema check the
number of mismatched column positions; ``1`` for a failed dtype-level check (GX gives no count:
one column has the wrong dtype); ``-1`` when GX raised instead of evaluating (count unknown).

String columns are handed to GX as ``object`` dtype: GX 1.24's type-list check cannot name pandas
3's default ``str`` dtype (``StringDtype(na_value=nan)``: no type-list entry matches it), while for
an object column GX checks that every non-null value is a Python ``str``.

Great Expectations is imported lazily (``import great_expectations`` costs ~3 s).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from expectations.gx_results import scrub_suite_result, to_check_results
from expectations.patterns import PATTERNS, ci_pattern
from libstats.errors import LibstatsError
from libstats.results import CheckResult
from libstats.schema import PUBLISHED_TABLES, TOTAL, TableSpec

if TYPE_CHECKING:  # pragma: no cover
    import great_expectations as gx
    import pandas as pd

DATASOURCE_NAME = "libstats_published"

RESULT_FORMAT: dict[str, Any] = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "exclude_unexpected_values": True,
    "include_unexpected_rows": False,
    "return_unexpected_index_query": False,
    "unexpected_metrics_with_values": False,  # ignored by GX 1.24; kept for other versions
}

# pandas dtypes accepted per logical type, as GX type-list names. "str" covers an object column
# whose non-null values are all Python str; "StringDtype" a pandas string column with NA.
TYPE_LISTS: dict[str, list[str]] = {
    "string": ["str", "StringDtype"],
    "int": ["Int64Dtype", "Int32Dtype", "int64", "int32"],
    "bool": ["bool", "BooleanDtype"],
}

_WHY = {
    "schema": "The release must hold exactly the registered columns, in order: an extra column "
              "could carry record-level or identifying data (privacy rule: publish only the "
              "registered aggregate schema).",
    "type": "Each column must have the pandas dtype of its logical type, so that the numeric "
            "suppression checks and the string pattern checks see what is really published.",
    "non_negative": "Counts are never negative; a negative count means a broken aggregation or a "
                    "perturbation that could reveal a small cell.",
    "small_cells": "Small-cell rule: a visible count in 1..{threshold} could single out a patron, "
                   "so it must have been suppressed (published as null).",
    "suppression_flag": "A suppressed cell is published as null with suppressed = true, and only "
                        "then: a count behind a true flag, or a null without it, breaks the "
                        "suppression audit.",
    "unique_key": "One row per key: duplicate keys would let two counts for the same cell be "
                  "differenced.",
    "pattern": "No published string may look like a personal identifier ({name}); such a value "
               "would be record-level data leaking into the aggregate release.",
    "patterns": "No published string may look like a personal identifier (" + ", ".join(PATTERNS)
                + "); such a value would be record-level data leaking into the aggregate release.",
}

# The check name of the all-patterns expectation; its results are reported per pattern.
PATTERNS_CHECK = "patterns"


class SuiteError(LibstatsError):
    """GX could not validate a table. The GX / pandas message is withheld: it may quote data."""

    def __init__(self, table: str, step: str, exc: BaseException):
        super().__init__(
            f"great_expectations validation of published table '{table}' failed while {step} "
            f"({type(exc).__name__}); the message is withheld because it may quote data values")


# --------------------------------------------------------------------------------------------
# suite construction


def _meta(check: str, why: str, **extra: Any) -> dict[str, Any]:
    return {"libstats_check": check, "privacy_rule": why, **extra}


def build_suite(spec: TableSpec, threshold: int,
                open_totals: bool = True) -> "gx.ExpectationSuite":
    """The expectation suite for one published table (named after the table).

    ``threshold`` is the small-cell threshold: visible counts in 1..threshold fail ``small_cells``
    (with threshold < 1 there is no small-cell expectation). Every expectation carries
    ``meta = {"libstats_check": <check name>, "privacy_rule": <why>}`` and the same reason as
    ``notes`` (shown in Data Docs).
    """
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column, OrCondition

    expectations: list = []

    def add(expectation_cls, check: str, why: str, **kwargs: Any) -> None:
        expectations.append(expectation_cls(meta=_meta(check, why), notes=why, **kwargs))

    add(gxe.ExpectTableColumnsToMatchOrderedList, "schema", _WHY["schema"],
        column_list=spec.column_names)
    for column, logical in spec.columns:
        if logical not in TYPE_LISTS:
            raise ValueError(f"table '{spec.name}': column '{column}' has unknown logical type "
                             f"'{logical}'")
        add(gxe.ExpectColumnValuesToBeInTypeList, "type", _WHY["type"], column=column,
            type_list=TYPE_LISTS[logical])

    has_flag = "suppressed" in spec.column_names
    for column in spec.count_columns:
        add(gxe.ExpectColumnValuesToBeBetween, "non_negative", _WHY["non_negative"],
            column=column, min_value=0)
        if threshold >= 1:
            # whole-library, whole-period figures of transactions are published whatever
            # their size (TableSpec.open_totals): the rule holds on every other row
            conds = [Column(d) != TOTAL for d in (spec.open_totals if open_totals else ())]
            # one flat OR (GX refuses an OR nested in an OR)
            inner = (None if not conds else conds[0] if len(conds) == 1
                     else OrCondition(conditions=conds))
            add(gxe.ExpectColumnValuesToNotBeInSet, "small_cells",
                _WHY["small_cells"].format(threshold=threshold), column=column,
                value_set=list(range(1, threshold + 1)),
                **({"row_condition": inner} if inner is not None else {}))
        if has_flag:
            why = _WHY["suppression_flag"]
            add(gxe.ExpectColumnValuesToBeNull, "suppression_flag", why, column=column,
                row_condition=Column("suppressed") == True)  # noqa: E712 - builds a GX condition
            add(gxe.ExpectColumnValuesToNotBeNull, "suppression_flag", why, column=column,
                row_condition=Column("suppressed") == False)  # noqa: E712
    if has_flag:
        add(gxe.ExpectColumnValuesToNotBeNull, "suppression_flag", _WHY["suppression_flag"],
            column="suppressed")

    if len(spec.key) == 1:
        add(gxe.ExpectColumnValuesToBeUnique, "unique_key", _WHY["unique_key"], column=spec.key[0])
    elif spec.key:
        add(gxe.ExpectCompoundColumnsToBeUnique, "unique_key", _WHY["unique_key"],
            column_list=list(spec.key))

    for column in spec.string_columns:
        # one expectation per column over every pattern: GX's cost is per expectation (~20 ms
        # of metric-graph building each), and nine per string column were two thirds of all.
        # A failing column is validated again pattern by pattern (pattern_suite) to name them.
        expectations.append(gxe.ExpectColumnValuesToNotMatchRegexList(
            column=column, regex_list=[ci_pattern(name) for name in PATTERNS],
            meta=_meta(PATTERNS_CHECK, _WHY["patterns"], patterns=list(PATTERNS)),
            notes=_WHY["patterns"]))
    # Passing the list to the constructor, not suite.add_expectation() one by one: add_expectation
    # compares each new expectation with every earlier one through pydantic .dict() (quadratic,
    # ~1 s for a 60-expectation suite). Every expectation here differs in type or kwargs.
    return gx.ExpectationSuite(
        name=spec.name, expectations=expectations,
        meta={"grain": spec.grain, "legal_basis": list(spec.legal_basis),
              "small_cell_threshold": threshold, "generated_by": "libstats expectations.suites"})


def pattern_suite(spec: TableSpec, columns: list[str]) -> "gx.ExpectationSuite":
    """One expectation per pattern on ``columns``: run only for columns whose all-patterns
    expectation failed, so that the results name the pattern (``pattern:<name>``)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    expectations = []
    for column in columns:
        for name in PATTERNS:
            why = _WHY["pattern"].format(name=name)
            expectations.append(gxe.ExpectColumnValuesToNotMatchRegex(
                column=column, regex=ci_pattern(name), meta=_meta(f"pattern:{name}", why),
                notes=why))
    return gx.ExpectationSuite(name=f"{spec.name}__patterns", expectations=expectations,
                               meta={"generated_by": "libstats expectations.suites"})


def _per_pattern(results: list[CheckResult]) -> tuple[list[CheckResult], list[str]]:
    """A passed all-patterns result stands for one passed result per pattern (no value matched
    any of them); the columns whose all-patterns result failed are returned to be re-run."""
    out, failed = [], []
    for r in results:
        if r.check != PATTERNS_CHECK:
            out.append(r)
        elif r.passed:
            out += [replace(r, check=f"pattern:{name}",
                            threshold=f"no value matching the {name} pattern")
                    for name in PATTERNS]
        else:
            failed.append(r.column)
    return out, failed


# --------------------------------------------------------------------------------------------
# running


@contextlib.contextmanager
def _quiet_gx():
    """Silence GX loggers (their messages may quote data) and warnings for one call."""
    logger = logging.getLogger("great_expectations")
    old_level, old_propagate = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(old_level)
        logger.propagate = old_propagate


def _prepare_frame(df: "pd.DataFrame", spec: TableSpec) -> "pd.DataFrame":
    """Shallow copy with pandas string columns as object dtype (see module docstring)."""
    import pandas as pd

    out = df.copy(deep=False)
    for column in spec.string_columns:
        if column in out.columns and isinstance(out[column].dtype, pd.StringDtype):
            out[column] = out[column].astype(object)
    return out


def _make_context(docs_dir: Path | None):
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    if docs_dir is None:
        context = gx.get_context(mode="ephemeral")
    else:
        Path(docs_dir).mkdir(parents=True, exist_ok=True)
        context = gx.get_context(mode="file", project_root_dir=str(docs_dir))
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.enable_analytics(False)  # also saves the variables (file context)
    return context


def _add_fresh(factory, obj):
    """factory.add(obj), replacing an object of the same name left by an earlier run (file context).

    add_or_update() would do the same but costs ~0.5 s per suite (it diffs the stored suite
    expectation by expectation); a fresh ephemeral context never has a previous object.
    """
    names = {existing.name for existing in factory.all()}
    if obj.name in names:
        factory.delete(obj.name)
    return factory.add(obj)


def validate_published(frames: dict[str, "pd.DataFrame"], threshold: int, *,
                       specs: dict[str, TableSpec] = PUBLISHED_TABLES,
                       docs_dir: Path | None = None,
                       noisy: set[str] = frozenset(),
                       open_totals: bool = True) -> list[CheckResult]:
    """Validate published tables with Great Expectations; one GX context for the whole call.

    Args:
        frames: published table name -> DataFrame with the spec's columns.
        threshold: small-cell threshold (visible counts in 1..threshold fail ``small_cells``).
        specs: table specs by name (default: the registered published tables).
        open_totals: whether whole-library rows are exempt from the small-cell rule (a
            fiscal year's release; not a month's).
        noisy: tables published with differential privacy: their figures are noisy, so a
            small one is not a count of people and has no small-cell expectation.
        docs_dir: if given, a GX file context is rooted there and Data Docs are built
            (``docs_dir/gx/uncommitted/data_docs/local_site/index.html``); otherwise an
            ephemeral context is used and nothing is written.

    Returns one CheckResult per expectation, tables in ``frames`` order, expectations in GX's
    result order (table-level first, then per column).

    Raises:
        ValueError: a frame name is not in ``specs``.
        SuiteError: GX failed outside an expectation (message withheld).
    """
    unknown = sorted(name for name in frames if name not in specs)
    if unknown:
        raise ValueError("no published table spec for frame(s): " + ", ".join(unknown))
    if not frames:
        return []

    results: list[CheckResult] = []
    with _quiet_gx():
        import great_expectations as gx

        context = _make_context(docs_dir)
        datasource = context.data_sources.add_or_update_pandas(name=DATASOURCE_NAME)
        try:
            for name, df in frames.items():
                spec = specs[name]
                try:
                    asset = datasource.add_dataframe_asset(name=name)
                    batch_definition = asset.add_batch_definition_whole_dataframe(name=name)
                    suite = _add_fresh(context.suites, build_suite(
                        spec, 0 if name in noisy else threshold, open_totals))
                    definition = _add_fresh(context.validation_definitions, gx.ValidationDefinition(
                        name=name, data=batch_definition, suite=suite))
                except Exception as exc:
                    raise SuiteError(name, "setting up its suite", exc) from None
                frame = _prepare_frame(df, spec)
                table_results, failed = _per_pattern(_validate(
                    definition, frame, name, threshold))
                if failed:
                    try:
                        again = _add_fresh(context.validation_definitions, gx.ValidationDefinition(
                            name=f"{name}__patterns", data=batch_definition,
                            suite=_add_fresh(context.suites, pattern_suite(spec, failed))))
                    except Exception as exc:
                        raise SuiteError(name, "setting up its pattern suite", exc) from None
                    table_results += _validate(again, frame, name, threshold)
                results.extend(table_results)
        finally:
            # ValidationDefinition.run() stores each result before we see it: rewrite every stored
            # result scrubbed, even when a later table failed.
            if docs_dir is not None:
                _rescrub_store(context)
        if docs_dir is not None:
            try:
                context.build_data_docs()
            except Exception as exc:
                raise SuiteError(", ".join(frames), "building Data Docs", exc) from None
    return results


def _validate(definition, frame, name: str, threshold: int) -> list[CheckResult]:
    try:
        suite_result = definition.run(batch_parameters={"dataframe": frame},
                                      result_format=RESULT_FORMAT)
    except Exception as exc:
        raise SuiteError(name, "running its suite", exc) from None
    scrub_suite_result(suite_result)
    return to_check_results(name, suite_result, threshold)


def _rescrub_store(context) -> None:
    try:
        store = context.validation_results_store
        for key in store.list_keys():
            stored = store.get(key)
            scrub_suite_result(stored)
            store.set(key, stored)
    except Exception as exc:
        raise SuiteError("(all)", "scrubbing stored validation results", exc) from None


def data_docs_index(docs_dir: Path) -> Path:
    """Where :func:`validate_published` writes the Data Docs index for ``docs_dir``."""
    return Path(docs_dir) / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
