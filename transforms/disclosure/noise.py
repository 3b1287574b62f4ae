"""Differential privacy for a published table (docs/disclosure.md §7): bounded contributions,
OpenDP's discrete Laplace noise on a key space fixed in advance, totals by post-processing.

Pure pieces: the SQL that bounds each contributor's rows, the noise and its accuracy. The
ledger, the budget and the replay of an earlier draw are in ``pipelines/dp.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from libstats.schema import DP_TABLES, DpTable  # noqa: F401 - re-exported
from libstats.sql import lit
from transforms.patrons import new_registrations_where

MECHANISM = "discrete Laplace (OpenDP make_laplace on integer counts), pure ε-DP"


def bounded_counts_sql(rows_sql: str, keys: list[str], bound: int) -> str:
    """Counts per key after keeping at most ``bound`` rows of each contributor.

    Which rows a contributor keeps is fixed by an unkeyed hash of the row's own identity
    (spread over the year, not the first ones), so a re-run keeps the same rows."""
    cols = ", ".join(keys)
    return f"""
        WITH r AS ({rows_sql}),
        ranked AS (
            SELECT {cols}, row_number() OVER (
                       PARTITION BY contributor ORDER BY md5(row_id), row_id) AS rank
            FROM r
        )
        SELECT {cols}, count(*)::BIGINT AS n FROM ranked WHERE rank <= {int(bound)}
        GROUP BY ALL
    """


def circulation_rows_sql(int_circ_events: str, measures: dict[str, str]) -> str:
    """One row per event the circulation table counts: contributor = the patron (events
    without one, such as in-library use, are each their own contributor)."""
    cases = " ".join(f"WHEN {lit(v)} THEN {lit(k)}" for k, v in measures.items())
    types = ", ".join(lit(v) for v in measures.values())
    return f"""
        SELECT coalesce(patron_domain || chr(31) || patron_id,
                        'row' || chr(31) || source || chr(31) || _rec) AS contributor,
               source || chr(31) || _rec AS row_id,
               month, CAST(branch_code AS VARCHAR) AS branch_code, material_type, audience,
               CASE event_type {cases} END AS measure
        FROM {int_circ_events} WHERE event_type IN ({types})
    """


def registrations_rows_sql(int_patrons: str, start: str, end: str) -> str:
    """One row per patron enrolled in the period (as ``pub_new_registrations__month``)."""
    return f"""
        SELECT source || chr(31) || _rec AS contributor, source || chr(31) || _rec AS row_id,
               enrolled_month AS month
        FROM {int_patrons} WHERE {new_registrations_where(start, end)}
    """


def measurement(sensitivity: int, epsilon: float):
    """OpenDP's discrete Laplace measurement for integer count vectors whose L1 distance
    between neighbours is at most ``sensitivity``, at privacy loss ``epsilon``.
    Returns (measurement, scale, ε as OpenDP's privacy map gives it)."""
    import opendp.prelude as dp
    dp.enable_features("contrib")
    scale = sensitivity / epsilon
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)
    meas = dp.m.make_laplace(*space, scale=scale)
    return meas, scale, float(meas.map(sensitivity))


def add_noise(values: np.ndarray, sensitivity: int, epsilon: float,
              cells_per_total: int | None = None) -> tuple[np.ndarray, dict]:
    """Noisy counts (OpenDP) and what the steward needs to know about them; the grand total
    sums ``cells_per_total`` cells (default: all of them)."""
    meas, scale, spent = measurement(sensitivity, epsilon)
    noisy = np.asarray(meas([int(v) for v in values]), dtype=np.int64)
    return noisy, {"scale": scale, "epsilon": spent,
                   **accuracy(scale, cells_per_total or len(values))}


def accuracy(scale: float, cells: int, alpha: float = 0.05) -> dict:
    """95 % bounds: OpenDP's for one cell; for a total over all the cells, a normal
    approximation of the sum of their independent noises."""
    import opendp.prelude as dp
    p = math.exp(-1.0 / scale)
    variance = 2 * p / (1 - p) ** 2               # discrete Laplace
    return {"cell_accuracy_95": round(float(dp.discrete_laplacian_scale_to_accuracy(
                scale, alpha)), 2),
            "total_accuracy_95": round(1.96 * math.sqrt(cells * variance), 2)}


def bounded_grid(grid: pd.DataFrame, counts: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Every cell of ``grid`` (the key space from the config, never from the data) with its
    bounded count; cells the data never reached count 0 and get noise like the others."""
    merged = grid.drop(columns=["value"]).merge(counts, on=keys, how="left", validate="1:1")
    return merged.assign(value=merged.pop("n").fillna(0).astype("int64"))[grid.columns]


def noisy_frame(bounded: pd.DataFrame, sensitivity: int, epsilon: float,
                by: tuple[str, ...] = ()) -> tuple[pd.DataFrame, dict]:
    """The bounded counts with OpenDP noise on every cell. ``by``: columns never totalled
    (each of their values has a grand total of its own)."""
    groups = len(bounded.drop_duplicates(list(by))) if by else 1
    noisy, info = add_noise(bounded["value"].to_numpy(), sensitivity, epsilon,
                            len(bounded) // groups)
    return bounded.assign(value=noisy), {**info, "cells": int(len(bounded))}
