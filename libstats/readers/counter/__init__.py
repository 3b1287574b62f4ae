"""Read COUNTER R5.0 / R5.1 reports (docs/eresources.md §8) into ``raw_<source>``.

Reports DR, DR_D1, PR, PR_P1, TR, TR_B1, TR_J1. A file whose first non-space character is
``{`` is JSON (parsed in Python), anything else tabular: its header block is checked in Python,
its body parsed, checked and unpivoted in DuckDB (``tabular_sql``) unless it needs the
row-by-row reader (CSV quoting in the body, a bare carriage return, a failed check: that reader
then gives the exact error).

**Tabular** (``.tsv`` tab-separated, ``.csv`` comma-separated with CSV quoting; other names: a
tab in the first line means TSV): rows 1-12 (R5.0) or 1-13 (R5.1 adds ``Registry_Record``) are
name/value pairs in columns A/B in a fixed order, then a blank row, the column headings (name
column, known COUNTER columns, ``Metric_Type``, ``Reporting_Period_Total``, ``Mmm-yyyy``
months) and one row per item, attribute set and metric.

**JSON** (COUNTER_SUSHI) ``{"Report_Header": {...}, "Report_Items": [...]}`` in two shapes:

* R5.0 (``Release`` "5"): ``Report_Filters`` a list of ``{Name, Value}``; items carry
  ``Data_Type`` / ``Access_Method`` and ``Performance: [{Period: {Begin_Date, End_Date},
  Instance: [{Metric_Type, Count}]}]``.
* R5.1 (``Release`` "5.1"): ``Report_Filters`` an object; items carry ``Attribute_Performance:
  [{Data_Type, Access_Method, ..., Performance: {metric: {"yyyy-mm": n}}}]``.

Every figure becomes one row: file, line, report, native (database) name, platform, publisher,
data type, access method, metric, month, count. Errors name the file, the line (tabular: the
row; JSON: the line where the offending object starts) and the column or field, plus COUNTER
names and exception codes, never a cell value or an exception's Message/Data.
"""

from libstats.readers.counter.source import CounterSource, check_overlaps, load_counter

__all__ = ["CounterSource", "check_overlaps", "load_counter"]
