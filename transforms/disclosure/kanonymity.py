"""k-anonymity of the pseudonymized zone's patron records (docs/disclosure.md §6).

The quasi-identifiers (home branch, patron category, age band, area, and any a library adds)
split the patron records into equivalence classes. A class smaller than ``k`` singles people
out, so its records are recoded, one step at a time, until every class has at least ``k``:

1. **generalized**: each quasi-identifier with a coarser level moves one level up (age band →
   a band twice as wide, a named area → the service area, a month → its year); the others
   keep their value;
2. **withheld**: records still in a class smaller than ``k`` lose every quasi-identifier;
3. if the records with every quasi-identifier withheld are fewer than ``k``, whole classes
   (the smallest first) are withheld with them until they are ``k``; only when the zone
   holds fewer than ``k`` records in all are they **dropped** from it.

The decisions are taken on the class counts (a few thousand rows at most), never per record;
:func:`k_patrons_sql` applies them to the records in DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from libstats.sql import lit, q
from transforms.generalize import age_band_labels

#: The label a named area is generalized to.
SERVICE_AREA = "service area"

KEPT, GENERALIZED, WITHHELD, DROPPED = "kept", "generalized", "withheld", "dropped"

Step = Callable[[object], object]


def coarser_age_bands(bands: tuple[int, ...]) -> dict[str, str]:
    """Each band label → the label of a band twice as wide (neighbours merged in pairs from
    the youngest; the top band stays top-coded).

    >>> coarser_age_bands((0, 5, 12, 18, 75))
    {'0-4': '0-11', '5-11': '0-11', '12-17': '12-74', '18-74': '12-74', '75+': '75+'}
    >>> coarser_age_bands((0, 18, 65))
    {'0-17': '0-64', '18-64': '0-64', '65+': '65+'}
    """
    labels = age_band_labels(bands)
    out = {}
    for i in range(0, len(bands), 2):
        lo = bands[i]
        if i + 1 >= len(bands):                       # an unpaired top band
            out[labels[i]] = labels[i]
            continue
        top = i + 1 == len(bands) - 1
        merged = f"{lo}+" if top else f"{lo}-{bands[i + 2] - 1}"
        out[labels[i]] = out[labels[i + 1]] = merged
    return out


def _area_step(area_names: set[str]) -> Step:
    def step(value):
        if value in area_names:
            return SERVICE_AREA
        # a postcode-prefix area ('064xx') loses one more character
        if isinstance(value, str) and value.endswith("x") and len(value) == 5:
            kept = value.rstrip("x")
            return kept[:-1] + "x" * (6 - len(kept)) if len(kept) > 1 else value
        return value
    return step


def _age_step(bands: tuple[int, ...]) -> Step:
    coarse = coarser_age_bands(bands)
    return lambda value: coarse.get(value, value)


#: A month generalized to its year is written like this ("2015-xx", as a postcode prefix area
#: is "064xx"): a bare "2015" would equal a raw identifier (a borrower or item number) and fail
#: the exact-match leak scan.
YEAR_SUFFIX = "-xx"


def _year_step(value):
    return (value[:4] + YEAR_SUFFIX if isinstance(value, str) and len(value) == 7
            and not value.endswith(YEAR_SUFFIX) else value)


def steps(age_bands: tuple[int, ...], area_names: set[str]) -> dict[str, Step]:
    """The one-level-up rule of each quasi-identifier that has a coarser level than its
    own; the others (branch, category) go straight to withheld."""
    return {"age_band": _age_step(age_bands), "area": _area_step(area_names),
            "enrolled_month": _year_step, "last_activity_month": _year_step}


@dataclass(frozen=True)
class KPlan:
    """Per class of original values: its final values and what happened to its records."""

    mapping: pd.DataFrame        # qi columns, then final_<qi> columns, n, outcome
    report: dict


def band_start(label) -> int | None:
    """The lowest age of an age band label ('12-17' → 12, '75+' → 75; else None)."""
    if not isinstance(label, str):
        return None
    head = label.split("-", 1)[0].rstrip("+")
    return int(head) if head.isdigit() else None


def is_minor(age_band, patron_category, *, age: int, categories: tuple[str, ...] = ()) -> bool:
    """Whether a record or class may describe a patron under ``age``: its age band starts
    below it (a band widened across ``age`` counts), or its category is a minors' one.

    >>> is_minor("12-74", "PT", age=18), is_minor("18-24", "J", age=18, categories=("J",))
    (True, True)
    >>> is_minor("18-24", "PT", age=18), is_minor("unknown", None, age=18)
    (False, False)
    """
    start = band_start(age_band)
    return (start is not None and start < age) or (patron_category in categories)


def class_k(classes: pd.DataFrame, k: int, minors_k: int, *, age: int,
            categories: tuple[str, ...] = ()) -> pd.Series:
    """Each class's own k: ``minors_k`` where it may describe minors (:func:`is_minor`)."""
    bands = classes["age_band"] if "age_band" in classes else [None] * len(classes)
    cats = classes["patron_category"] if "patron_category" in classes else [None] * len(classes)
    return pd.Series([minors_k if is_minor(b, c, age=age, categories=categories) else k
                      for b, c in zip(bands, cats)], index=classes.index, dtype="int64")


def plan(classes: pd.DataFrame, qis: tuple[str, ...], k: int,
         rules: dict[str, Step], keep: tuple[str, ...] = (),
         k_for: Callable[[pd.DataFrame], pd.Series] | None = None) -> KPlan:
    """Choose every class's final values so that each final class has at least ``k`` records.

    ``classes`` has one row per distinct combination of ``qis`` (None for a missing value)
    and its record count ``n``; an optional column ``k`` gives a class its own, stricter k
    (minors, :func:`class_k`): a final class needs the largest k of the records it holds.
    ``k_for`` gives the k a class needs from its values (the same rule the check of the
    written file applies): a final class needs it on its final values too (a band widened
    across 18 may hold a minor, whoever it holds).
    ``keep``: quasi-identifiers that are never withheld, because the zone gives them away
    elsewhere (reading-history opt-in: the events carry the token of opted-in patrons only):
    withheld records keep them, so the withheld records form one class per value, each held
    to k on its own.

    >>> c = pd.DataFrame({"b": ["X", "Y", "Z"], "n": [6, 3, 2]})
    >>> p = plan(c, ("b",), 5, {})
    >>> p.mapping[["b", "final_b", "outcome"]].values.tolist()
    [['X', 'X', 'kept'], ['Y', None, 'withheld'], ['Z', None, 'withheld']]
    >>> p.report["smallest_class"], p.report["records_withheld"]
    (5, 5)
    """
    own_k = (classes["k"].astype("int64") if "k" in classes
             else pd.Series(k, index=classes.index, dtype="int64"))
    m = classes[list(qis) + ["n"]].copy()
    m = m.astype({c: object for c in qis}).where(m.notna(), None)
    final = [f"final_{c}" for c in qis]
    for c, f in zip(qis, final):
        m[f] = m[c]
    m["outcome"] = KEPT
    m["_k"] = own_k.clip(lower=k).to_numpy()

    def sizes():
        return m.groupby(final, dropna=False)["n"].transform("sum")

    def needs():
        need = m["_k"].to_numpy()
        if k_for is not None:
            values = m[final].set_axis(list(qis), axis=1)
            need = np.maximum(need, k_for(values).to_numpy())
        return pd.Series(need, index=m.index).groupby(
            [m[f] for f in final], dropna=False).transform("max")

    small = sizes() < needs()
    for c, f in zip(qis, final):
        rule = rules.get(c)
        if rule is not None:
            m.loc[small, f] = m.loc[small, c].map(rule).astype(object)
    m.loc[small, "outcome"] = GENERALIZED
    small = sizes() < needs()
    kept_cols = [f"final_{c}" for c in qis if c in keep]
    hidden = [f for f in final if f not in kept_cols]
    for c in keep:                   # a kept column has its original value, whatever happened
        m[f"final_{c}"] = m[c]
    m.loc[small, hidden] = None
    m.loc[small, "outcome"] = WITHHELD

    def star_of(group) -> pd.Series:
        s = m[hidden].isna().all(axis=1)
        for f, v in zip(kept_cols, group):
            s &= m[f].map(lambda x, v=v: "" if x is None else str(x)) == v
        return s

    all_star = m[hidden].isna().all(axis=1)
    groups = sorted({tuple("" if v is None else str(v) for v in row)
                     for row in m.loc[all_star, kept_cols].itertuples(index=False)}) \
        if kept_cols else ([()] if all_star.any() else [])
    for group in groups:
        star = star_of(group)
        star_k = int(m.loc[star, "_k"].max()) if star.any() else k
        if not 0 < m.loc[star, "n"].sum() < star_k:
            continue
        # too few records with nothing left: withhold whole classes of the same kept values,
        # smallest first
        size = sizes()
        others = ~m[hidden].isna().all(axis=1)
        for f, v in zip(kept_cols, group):
            others &= m[f].map(lambda x, v=v: "" if x is None else str(x)) == v
        keys = {i: tuple("" if v is None else str(v) for v in row)
                for i, row in zip(m.index[others], m.loc[others, final].itertuples(index=False))}
        order = sorted(keys, key=lambda i: (size[i], keys[i]))
        have, last = int(m.loc[star, "n"].sum()), None
        for i in order:          # whole classes: every member of a final class moves together
            if have >= star_k and keys[i] != last:
                break
            last = keys[i]
            m.loc[i, hidden] = None
            m.loc[i, "outcome"] = WITHHELD
            have += int(m.loc[i, "n"])
            star_k = max(star_k, int(m.loc[i, "_k"]))
        star = star_of(group)
        if m.loc[star, "n"].sum() < star_k:
            m.loc[star, "outcome"] = DROPPED
    kept = m[m["outcome"] != DROPPED]
    final_sizes = kept.groupby(final, dropna=False)["n"].sum()
    strict = (needs()[kept.index] > k).groupby([kept[f] for f in final], dropna=False).max()
    m = m.drop(columns="_k")
    count = {o: int(m.loc[m["outcome"] == o, "n"].sum())
             for o in (KEPT, GENERALIZED, WITHHELD, DROPPED)}
    report = {
        "k": k, "quasi_identifiers": list(qis), "records": int(m["n"].sum()),
        "classes": int(len(final_sizes)),
        "smallest_class": int(final_sizes.min()) if len(final_sizes) else None,
        "largest_class": int(final_sizes.max()) if len(final_sizes) else None,
        "records_kept": count[KEPT], "records_generalized": count[GENERALIZED],
        "records_withheld": count[WITHHELD], "records_dropped": count[DROPPED],
        "classes_below_k_before": int((classes["n"] < own_k.clip(lower=k)).sum()),
    }
    if "k" in classes:
        report["classes_with_minors"] = int(strict.sum())
        report["smallest_class_with_minors"] = (int(final_sizes[strict].min())
                                                if strict.any() else None)
    return KPlan(m.reset_index(drop=True), report)


def classes_sql(relation: str, qis: tuple[str, ...]) -> str:
    """The equivalence classes of ``relation`` and their sizes, in a fixed order. A class's
    size is the number of people in it (distinct tokens), not of records: one patron's
    duplicate records must not fill a class."""
    cols = ", ".join(q(c) for c in qis)
    return (f"SELECT {cols}, count(DISTINCT patron_token) AS n FROM {relation} GROUP BY ALL "
            f"ORDER BY {', '.join(f'{q(c)} NULLS FIRST' for c in qis)}")


def zone_patrons_sql(int_patrons: str, activity_dates: str) -> str:
    """The patron records as the zone ships them: the enrolment and last-activity months as
    their year (``activity_dates = "year"``, the default; written "2015-xx") or as months; with ``"drop"`` they
    are not written (and not quasi-identifiers), so they are left as they are here."""
    if activity_dates != "year":
        return f"(SELECT * FROM {int_patrons})"
    suffix = lit(YEAR_SUFFIX)
    return (f"(SELECT * REPLACE (left(enrolled_month, 4) || {suffix} AS enrolled_month, "
            f"left(last_activity_month, 4) || {suffix} AS last_activity_month) "
            f"FROM {int_patrons})")


def _same_class(qis: tuple[str, ...]) -> str:
    """A patron record ``p`` and its class's row ``m`` of the plan (missing values match)."""
    return " AND ".join(f"p.{q(c)} IS NOT DISTINCT FROM m.{q(c)}" for c in qis)


def k_patrons_sql(int_patrons: str, k_map: str, qis: tuple[str, ...]) -> str:
    """int_patrons_k: the zone's patron records with each class's final quasi-identifiers
    and its outcome; dropped records left out."""
    on = _same_class(qis)
    replace = ", ".join(f"m.{q('final_' + c)} AS {q(c)}" for c in qis)
    return f"""
        SELECT p.* REPLACE ({replace}), m.outcome AS k_outcome
        FROM {int_patrons} AS p JOIN {k_map} AS m ON {on}
        WHERE p.patron_token IS NOT NULL AND m.outcome <> {lit(DROPPED)}
    """


def recoded_category_sql(int_patrons: str, k_map: str, qis: tuple[str, ...]) -> str:
    """Tokens whose patron category was recoded (or whose record was dropped): the events
    of the zone carry the same value, so the category cannot be joined back from them."""
    on = _same_class(qis)
    return f"""
        SELECT p.patron_token,
               -- one value per token; a token with records recoded differently gets none
               CASE WHEN count(DISTINCT m.outcome) = 1 AND any_value(m.outcome) <> {lit(DROPPED)}
                         AND count(DISTINCT coalesce(m.final_patron_category, chr(0))) = 1
                    THEN any_value(m.final_patron_category) END AS patron_category
        FROM {int_patrons} AS p JOIN {k_map} AS m ON {on}
        WHERE p.patron_token IS NOT NULL
        GROUP BY p.patron_token
        HAVING bool_or(m.outcome = {lit(DROPPED)}
                       OR m.final_patron_category IS DISTINCT FROM m.patron_category)
    """
