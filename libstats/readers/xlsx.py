"""Excel workbooks (.xlsx) some vendors' report writers produce (Follett Destiny): the first
sheet is written to a UTF-8 CSV in the run's work directory and read like any CSV, so every
check of libstats/readers/csv.py applies (header, unknown columns, ragged rows) and a row's
line number is its sheet row.

Cell values: dates and times in ISO form (``2024-07-02 11:43:00``), whole numbers without a
decimal point, empty cells empty. Formulas are read as their cached values. Only profiles
that declare ``xlsx`` accept a workbook; school-sized exports, so openpyxl's row loop is not
a hot path.
"""

from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime, time
from pathlib import Path

from libstats.errors import InputError


def _cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def xlsx_to_csv(path: Path, dest: Path, source: str, delimiter: str = ",") -> Path:
    """Write the first sheet of ``path`` to ``dest`` as CSV; errors name the file, never a
    value."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise InputError(path, "this .xlsx file cannot be read as an Excel workbook (damaged, "
                               "or another format renamed)", source=source) from None
    try:
        ws = wb.worksheets[0] if wb.worksheets else None
        if ws is None:
            raise InputError(path, "the workbook has no sheet", source=source)
        rows = 0
        with open(dest, "w", encoding="utf-8", newline="") as out:
            w = csv.writer(out, delimiter=delimiter, lineterminator="\n")
            width = None
            for row in ws.iter_rows(values_only=True):
                values = [_cell(v) for v in row]
                if width is None:
                    while values and values[-1] == "":
                        values.pop()        # trailing empty header cells
                    width = len(values)
                # A sheet's used range may be wider than the header; cells beyond it must be
                # empty (a value there has no column: stop, like a ragged CSV row).
                extra = values[width:]
                if any(extra):
                    raise InputError(path, "a cell to the right of the last header column "
                                           "holds a value (the row has more fields than the "
                                           "header)", line=rows + 1, source=source)
                w.writerow(values[:width] + [""] * (width - len(values[:width])))
                rows += 1
        if rows == 0:
            raise InputError(path, "the first sheet of the workbook is empty (no header row)",
                             source=source)
    finally:
        wb.close()
    return dest
