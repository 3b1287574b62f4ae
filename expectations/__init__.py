"""Leak checks for libstats outputs.

* :mod:`expectations.patterns` -- identifier regexes valid in Python ``re`` and RE2 (DuckDB, pyarrow).
* :mod:`expectations.leakscan` -- DuckDB scans of published / pseudonymized tables for pattern
  matches and for raw identifier values (scales to 100M-row tables and millions of identifiers).
* :mod:`expectations.suites` -- Great Expectations suites for the small published tables, run on
  pandas batches with a result format that carries counts only, never values;
  :mod:`expectations.gx_results` scrubs their results down to counts and column names.

Importing this package is cheap: Great Expectations is imported lazily inside
:mod:`expectations.suites` functions, and DuckDB only by :mod:`expectations.leakscan`.
Nothing here ever puts a data value into a CheckResult, an exception, a log line or a GX artefact.
"""

from expectations.patterns import PATTERNS, ci_pattern, python_matcher

__all__ = ["PATTERNS", "ci_pattern", "python_matcher"]
