"""Great Expectations suites on the published tables, including the no-sample-values proof.

GX costs ~3 s to import and ~1 s per context, so the module runs validate_published twice in all:
once on correct frames for every registered table (ephemeral context) and once on a batch of broken
variants (file context with Data Docs in a temporary directory). Broken variants are registered
as extra specs (copies of a real spec under another name), so one call validates all of them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from expectations.patterns import PATTERNS, ci_pattern
from expectations.suites import (
    RESULT_FORMAT,
    SuiteError,
    _prepare_frame,
    build_suite,
    data_docs_index,
    validate_published,
)
from libstats.results import CheckResult
from libstats.schema import PUBLISHED_TABLES, TableSpec

THRESHOLD = 10
CIRC = PUBLISHED_TABLES["pub_circulation__branch_month_material"]
NEWREG = PUBLISHED_TABLES["pub_new_registrations__month"]

# Marker values planted in failing cells. None may appear in any result, exception or GX file.
EMAIL_MARKER = "leak-marker-7f3a@example.com"
BARCODE_MARKER = "21234000012345"
PHONE_MARKER = "(860) 555-0199"
LDAP_MARKER = "uid=leakmarker3c9d,ou=patrons,dc=example,dc=org"
PIN_MARKER = "^UfLEAKPIN4e1b"
DUP_KEY_MARKER = "leak-marker-dupkey-5c1e"
ORDER_MARKER = "leak-marker-order-b7d2"
EXC_MARKER = "leak-marker-exception-91b2"
NEGATIVE_MARKER = -987654
SMALL_COUNT = 7  # the small visible count; too short to grep, see the structural assertions
STRING_MARKERS = [EMAIL_MARKER, BARCODE_MARKER, PHONE_MARKER, LDAP_MARKER, PIN_MARKER,
                  DUP_KEY_MARKER, ORDER_MARKER, EXC_MARKER, str(NEGATIVE_MARKER), "987654",
                  "leakmarker3c9d", "leakpin4e1b", "555-0199"]

# Result keys through which GX copies data values into results.
VALUE_KEYS = ["partial_unexpected_list", "partial_unexpected_counts", "unexpected_list",
              "partial_unexpected_index_list", "unexpected_index_list", "unexpected_rows",
              "unexpected_index_query"]

_SAMPLE = {
    "fiscal_year": lambda i: "FY2024",
    "month": lambda i: f"2024-{i % 12 + 1:02d}",
    "branch_code": lambda i: ["MAIN", "EAST", "WEST"][i % 3],
    "material_type": lambda i: ["book", "dvd"][i % 2],
    "audience": lambda i: ["adult", "juvenile"][i % 2],
    "measure": lambda i: "checkouts",
    "age_band": lambda i: ["0-17", "18-64", "65-74"][i % 3],
    "patron_category": lambda i: "resident",
    "weekday": lambda i: ["Monday", "Sunday"][i % 2],
    "hour": lambda i: f"{i:02d}",
    "duration_band": lambda i: ["under 5 min", "120 min or more", "unknown"][i % 3],
    "volume_band": lambda i: ["under 10 MB", "10-100 MB", "unknown"][i % 3],
    "day": lambda i: f"2024-10-{i + 1:02d}",
    "database": lambda i: ["Academic Search Premier", "other"][i % 2],
    "report": lambda i: ["DR", "PR", "TR"][i % 3],
    "vendor": lambda i: ["ReadWave", "StreamShelf"][i % 2],
    "format": lambda i: ["ebook", "eaudio", "evideo", "eserial"][i % 4],
    # the service domains' tables (docs/services.md)
    "length_band": lambda i: ["under 15 min", "120 min or more", "unknown"][i % 3],
    "direction": lambda i: ["provided", "received"][i % 2],
}
_VALUES = [0, 15, None, 120, None, 33]


def good_frame(spec: TableSpec, string_dtype: object = object) -> pd.DataFrame:
    """A correct release frame: unique keys, counts 0 or > threshold, null exactly if suppressed."""
    n = len(_VALUES)
    data: dict[str, object] = {}
    for column, logical in spec.columns:
        if logical == "string":
            if column == spec.key[1]:
                values = [f"2024-{i + 1:02d}" if column == "month" else f"BR{i:02d}"
                          for i in range(n)]
            else:
                values = [_SAMPLE[column](i) for i in range(n)]
            data[column] = pd.Series(values, dtype=string_dtype)
        elif logical == "int":
            data[column] = pd.array(_VALUES, dtype="Int64")
        else:
            data[column] = np.array([v is None for v in _VALUES])
    return pd.DataFrame(data)


def variant(name: str, base: TableSpec) -> TableSpec:
    return dataclasses.replace(base, name=f"{base.name.split('__')[0]}__{name}")


def broken_frames() -> tuple[dict[str, pd.DataFrame], dict[str, TableSpec]]:
    """Broken variants: the identifier cases on the widest table (6 string columns), the numeric
    and structural cases on the narrowest (fewer pattern expectations keep GX time down)."""
    frames: dict[str, pd.DataFrame] = {}
    specs: dict[str, TableSpec] = dict(PUBLISHED_TABLES)

    def add(name: str, df: pd.DataFrame, base: TableSpec = NEWREG) -> None:
        spec = variant(name, base)
        specs[spec.name] = spec
        frames[spec.name] = df

    df = good_frame(NEWREG)
    df.loc[1, "value"] = SMALL_COUNT
    add("small_cells", df)

    df = good_frame(NEWREG)
    df.loc[0, "fiscal_year"] = ORDER_MARKER
    add("wrong_order", df[["month", "fiscal_year", "value", "suppressed"]])

    df = good_frame(CIRC)
    df.loc[3, "branch_code"] = EMAIL_MARKER
    df.loc[4, "material_type"] = BARCODE_MARKER
    df.loc[5, "audience"] = PHONE_MARKER
    df.loc[0, "measure"] = LDAP_MARKER
    df.loc[1, "measure"] = PIN_MARKER
    add("identifiers", df, CIRC)

    df = good_frame(CIRC, string_dtype="str")  # pandas 3 default string dtype
    df.loc[3, "branch_code"] = EMAIL_MARKER.upper()
    add("identifiers_str_dtype", df, CIRC)

    df = good_frame(NEWREG)
    df.loc[0, "suppressed"] = True      # visible count behind a true flag (value 0)
    df.loc[1, "value"] = pd.NA         # null without the flag
    add("flag_mismatch", df)

    df = good_frame(NEWREG)
    df.loc[[0, 1], "month"] = "2024-01"
    df.loc[[0, 1], "fiscal_year"] = DUP_KEY_MARKER
    add("duplicate_key", df)

    df = good_frame(NEWREG)
    df.loc[3, "value"] = NEGATIVE_MARKER
    add("negative", df)

    df = good_frame(NEWREG)
    df["value"] = pd.Series([0, 15, np.nan, 120.0, np.nan, 33.5], dtype="float64")
    add("float_counts", df)

    df = good_frame(NEWREG)
    df["value"] = pd.Series([0, EXC_MARKER, None, 120, None, 33], dtype=object)
    add("object_counts", df)

    df = good_frame(CIRC, string_dtype="string")  # pandas string dtype with pd.NA: legitimate
    add("string_dtype_ok", df, CIRC)
    return frames, specs


def _index(results: list[CheckResult]) -> dict[tuple[str, str | None, str], list[CheckResult]]:
    out: dict[tuple[str, str | None, str], list[CheckResult]] = {}
    for r in results:
        out.setdefault((r.table, r.column, r.check), []).append(r)
    return out


def _failed(results: list[CheckResult], table: str) -> set[tuple[str | None, str]]:
    return {(r.column, r.check) for r in results if r.table == table and not r.passed}


@pytest.fixture(scope="module")
def good_results() -> tuple[list[CheckResult], float]:
    frames = {name: good_frame(spec) for name, spec in PUBLISHED_TABLES.items()}
    t0 = time.perf_counter()
    results = validate_published(frames, THRESHOLD)
    return results, time.perf_counter() - t0


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()} {record.exc_text or ''}")


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> tuple[list[CheckResult], Path, str]:
    """Validate every broken variant in one call, with Data Docs, capturing logs and output.

    The third element is everything that could carry text out of the call: the exception text
    (if any), every log record (root logger at DEBUG), stdout and stderr.
    """
    docs_dir = tmp_path_factory.mktemp("gx_docs")
    frames, specs = broken_frames()
    handler, root = _Capture(), logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    out, err = io.StringIO(), io.StringIO()
    error_text = ""
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            results = validate_published(frames, THRESHOLD, specs=specs, docs_dir=docs_dir)
    except Exception as exc:  # surfaced by the tests below, after checking its text
        results, error_text = [], f"{type(exc).__name__}: {exc}"
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    emitted = "\n".join([error_text, *handler.lines, out.getvalue(), err.getvalue()])
    return results, docs_dir, emitted


# ---------------------------------------------------------------------------------- correct


def test_correct_tables_pass_every_check(good_results):
    results, elapsed = good_results
    print(f"\nvalidate_published on 4 correct tables (ephemeral context): {elapsed:.2f} s")
    assert results
    failed = [r.describe() for r in results if not r.passed]
    assert failed == []
    assert {r.table for r in results} == set(PUBLISHED_TABLES)
    assert all(r.engine == "great_expectations" and r.zone == "published" for r in results)
    checks = {r.check for r in results}
    assert {"schema", "type", "non_negative", "small_cells", "suppression_flag",
            "unique_key"} <= checks
    assert {f"pattern:{n}" for n in PATTERNS} <= checks


def test_every_string_column_gets_every_pattern(good_results):
    results, _ = good_results
    by = _index(results)
    for spec in PUBLISHED_TABLES.values():
        for column in spec.string_columns:
            for name in PATTERNS:
                assert (spec.name, column, f"pattern:{name}") in by


def test_suite_contents_and_meta():
    spec = PUBLISHED_TABLES["pub_active_borrowers__branch_month"]
    suite = build_suite(spec, THRESHOLD)
    assert suite.name == spec.name
    types = [e.expectation_type for e in suite.expectations]
    assert "expect_table_columns_to_match_ordered_list" in types
    assert "expect_compound_columns_to_be_unique" in types
    # every pattern on every string column, as one expectation per column (GX's cost is per
    # expectation); a failing column is re-validated per pattern (test below)
    lists = [e for e in suite.expectations
             if e.expectation_type == "expect_column_values_to_not_match_regex_list"]
    assert sorted(e.column for e in lists) == sorted(spec.string_columns)
    assert all(e.regex_list == [ci_pattern(n) for n in PATTERNS] for e in lists)
    assert "expect_column_values_to_not_match_regex" not in types
    small = [e for e in suite.expectations if e.expectation_type ==
             "expect_column_values_to_not_be_in_set"]
    assert [list(e.value_set) for e in small] == [list(range(1, THRESHOLD + 1))]
    for e in suite.expectations:
        assert e.meta["libstats_check"] and e.meta["privacy_rule"] and e.notes


def test_unknown_frame_name_is_rejected():
    with pytest.raises(ValueError, match="pub_no_such_table"):
        validate_published({"pub_no_such_table": pd.DataFrame()}, THRESHOLD)


# ----------------------------------------------------------------------------------- broken


def test_broken_run_did_not_raise_and_was_quiet(broken):
    results, _, emitted = broken
    assert results
    lines = [ln for ln in emitted.splitlines() if ln.strip()]
    # Only unrelated debug records (e.g. tzlocal) may appear: no exception, no GX log record,
    # no progress bar, no print.
    assert not [ln for ln in lines if "great_expectations" in ln or "Calculating Metrics" in ln
                or "Error" in ln or "Traceback" in ln]


def test_small_visible_count_fails_small_cells(broken):
    results, _, _ = broken
    [r] = _index(results)[("pub_new_registrations__small_cells", "value", "small_cells")]
    assert not r.passed and r.failing_count == 1
    assert r.threshold == f"no value in 1..{THRESHOLD}"
    assert "pub_new_registrations__small_cells" in r.describe() and "'value'" in r.describe()
    assert _failed(results, "pub_new_registrations__small_cells") == {("value", "small_cells")}


def test_wrong_column_order_fails_schema(broken):
    results, _, _ = broken
    [r] = _index(results)[("pub_new_registrations__wrong_order", None, "schema")]
    assert not r.passed and r.failing_count == 2  # two positions hold the wrong column


def test_identifier_values_fail_matching_patterns(broken):
    results, _, _ = broken
    failed = _failed(results, "pub_circulation__identifiers")
    assert failed == {("branch_code", "pattern:email"), ("material_type", "pattern:library_barcode"),
                      ("audience", "pattern:phone"), ("measure", "pattern:ldap_dn"),
                      ("measure", "pattern:symphony_pin")}
    by = _index(results)
    assert by[("pub_circulation__identifiers", "branch_code", "pattern:email")][0].failing_count == 1
    # pandas 3 'str' dtype column, upper-case email: still caught (case-insensitive, via object).
    assert _failed(results, "pub_circulation__identifiers_str_dtype") == {("branch_code", "pattern:email")}


def test_suppression_flag_mismatch_fails(broken):
    results, _, _ = broken
    flag = [r for r in results
            if r.table == "pub_new_registrations__flag_mismatch" and r.check == "suppression_flag" and not r.passed]
    assert sorted(r.failing_count for r in flag) == [1, 1]
    assert _failed(results, "pub_new_registrations__flag_mismatch") == {("value", "suppression_flag")}


def test_duplicate_key_fails_unique_key(broken):
    results, _, _ = broken
    [r] = _index(results)[("pub_new_registrations__duplicate_key", None, "unique_key")]
    assert not r.passed and r.failing_count == 2
    assert r.threshold == "key (fiscal_year, month) unique"


def test_negative_count_and_wrong_dtypes(broken):
    results, _, _ = broken
    assert _failed(results, "pub_new_registrations__negative") == {("value", "non_negative")}
    assert ("value", "type") in _failed(results, "pub_new_registrations__float_counts")
    failed = _failed(results, "pub_new_registrations__object_counts")
    assert ("value", "type") in failed
    # GX raises on comparing a str with 0: recorded as failed with an unknown count (-1).
    [nn] = _index(results)[("pub_new_registrations__object_counts", "value", "non_negative")]
    assert not nn.passed and nn.failing_count == -1 and "withheld" in nn.detail


def test_pandas_string_dtype_is_accepted(broken):
    results, _, _ = broken
    assert _failed(results, "pub_circulation__string_dtype_ok") == set()


def test_no_sample_values_anywhere(broken):
    """No planted value in any CheckResult, exception, log line, output or GX file (JSON, HTML)."""
    results, docs_dir, emitted = broken
    text = emitted + json.dumps([r.to_dict() for r in results]) + "".join(
        r.describe() for r in results)
    for marker in STRING_MARKERS:
        assert marker.lower() not in text.lower(), marker

    files = [p for p in docs_dir.rglob("*") if p.is_file()]
    assert data_docs_index(docs_dir).is_file()
    html = [p for p in files if p.suffix == ".html" and "validations" in p.parts]
    stored = [p for p in files if p.suffix == ".json" and "validations" in p.parts]
    # one validation per table, plus the per-pattern re-validation of each table whose
    # all-patterns expectation failed (the two identifier tables)
    again = {p.parts[p.parts.index("validations") + 1] for p in stored} - set(broken_frames()[0])
    assert again == {"pub_circulation__identifiers__patterns",
                     "pub_circulation__identifiers_str_dtype__patterns"}
    assert len(html) == len(stored) == len(broken_frames()[0]) + 2
    # GX's batch marker pandas_data_fingerprint is an MD5 of every cell: withheld too.
    from great_expectations.execution_engine.pandas_execution_engine import hash_pandas_dataframe

    frames, specs = broken_frames()
    fingerprints = [hash_pandas_dataframe(_prepare_frame(df, specs[name]))
                    for name, df in frames.items()]
    for path in files:
        content = path.read_bytes().decode("utf-8", errors="replace").lower()
        for fingerprint in fingerprints:
            assert fingerprint not in content, f"data fingerprint in {path.name}"
        for marker in STRING_MARKERS:
            assert marker.lower() not in content, f"{marker} in {path.relative_to(docs_dir)}"

    # Structural proof for values too short to grep (the small count 7): stored results carry no
    # value-bearing key and no exception text; failing results still carry their counts.
    for path in stored:
        doc = json.loads(path.read_text())
        for evr in doc["results"]:
            for key in VALUE_KEYS:
                assert key not in evr["result"], (path.name, key)
            infos = evr["exception_info"]
            infos = [infos] if "raised_exception" in infos else list(infos.values())
            for info in infos:
                if info["raised_exception"]:
                    assert "withheld" in info["exception_message"]
                    assert "withheld" in info["exception_traceback"]
                else:
                    assert info["exception_message"] is None
                    assert info["exception_traceback"] is None
    small = json.loads(next(p for p in stored if "pub_new_registrations__small_cells" in p.parts).read_text())
    [r] = [e for e in small["results"]
           if e["expectation_config"]["type"] == "expect_column_values_to_not_be_in_set"]
    assert r["success"] is False and r["result"]["unexpected_count"] == 1


def test_default_result_format_would_leak():
    """Positive control: GX's default SUMMARY format does copy the planted values."""
    import great_expectations as gx

    frames, specs = broken_frames()
    name = "pub_circulation__identifiers"
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("control").add_dataframe_asset(name)
    definition = context.validation_definitions.add(gx.ValidationDefinition(
        name=name, data=asset.add_batch_definition_whole_dataframe(name),
        suite=context.suites.add(build_suite(specs[name], THRESHOLD))))
    leaky = definition.run(batch_parameters={"dataframe": frames[name]}, result_format="SUMMARY")
    assert EMAIL_MARKER in json.dumps(leaky.to_json_dict())
    assert RESULT_FORMAT["partial_unexpected_count"] == 0


def test_gx_failure_outside_expectations_is_reported_without_values(monkeypatch):
    import great_expectations as gx

    def boom(self, *a, **k):
        raise RuntimeError(f"could not handle {EMAIL_MARKER}")

    monkeypatch.setattr(gx.ValidationDefinition, "run", boom)
    frames = {CIRC.name: good_frame(CIRC)}
    with pytest.raises(SuiteError) as ei:
        validate_published(frames, THRESHOLD)
    assert EMAIL_MARKER not in str(ei.value) and CIRC.name in str(ei.value)
    assert ei.value.__cause__ is None and ei.value.__suppress_context__
