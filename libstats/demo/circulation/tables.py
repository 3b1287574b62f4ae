"""Writing the model's column arrays as the ILS's CSV exports."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def write_csv(path: Path, header: tuple[str, ...], columns: list, encoding: str) -> int:
    """Write equally long ``columns`` under ``header`` (minimal quoting, LF); returns the rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = [c.tolist() if isinstance(c, np.ndarray) else list(c) for c in columns]
    n = len(cols[0])
    assert all(len(c) == n for c in cols), "ragged columns"
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, delimiter=",", quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*cols))
    return n


def lookup(values, idx: np.ndarray) -> np.ndarray:
    """values[idx] with idx == -1 -> ''."""
    arr = np.append(np.asarray(values, dtype=object), "")
    return arr[np.where(idx < 0, arr.size - 1, idx)]


def record_numbers(n: int) -> np.ndarray:
    """Koha's record numbers 1 .. n as strings (object array): itemnumber, borrowernumber."""
    return np.array([str(i + 1) for i in range(n)], dtype=object)
