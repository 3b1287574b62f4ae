"""The protection settings: ``[key]`` (where the pseudonymization key is), ``[suppression]``,
``[k_anonymity]``, ``[minors]``, ``[tables.NAME]`` with ``[privacy]`` (differential privacy and its budget),
and ``[leak_scan]`` (docs/disclosure.md).

A setting that would quietly weaken protection (k = 1, a key pasted into the file, an infinite
ε) is an error, not a warning.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from libstats.config.model import DpSettings
from libstats.config.reader import TableReader
from libstats.schema import (
    ACTIVITY_DATES,
    DP_TABLES,
    OPTIONAL_QUASI_IDENTIFIERS,
    PUBLISHED_TABLES,
    shipped_patron_columns,
    zone_quasi_identifiers,
)


def read_key(root: TableReader) -> tuple[str | None, Path | None]:
    """``[key]``: exactly one of an environment variable name or a key-file path (made
    absolute); never the key itself."""
    key = root.sub("key")
    env = key.get("env", str, None)
    file = key.get("file", str, None)
    key.finish()
    if (env is None) == (file is None):
        raise key.fail(None, "set exactly one of 'env' (an environment variable name) or 'file' "
                             "(a key-file path); the key itself never goes in the config")
    for name, value in (("env", env), ("file", file)):
        if value is not None and _looks_like_key(value):
            raise key.fail(name, "looks like key material (value not shown): the key must not "
                                 "be in the config; put it in the environment or a key file "
                                 "and name that here")
    if env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
        raise key.fail("env", "must be an environment variable name, not a key")
    return env, (root.path.parent / file).resolve() if file else None


def _looks_like_key(value: str) -> bool:
    """A long run of hex or base64 text is a key pasted where its name or path belongs."""
    name = value.rsplit("/", 1)[-1]
    return (value.startswith("base64:") or
            bool(re.search(r"[0-9a-fA-F]{32,}", name)) or
            bool(re.fullmatch(r"[A-Za-z0-9+/=_-]{40,}", name)))


def read_suppression(root: TableReader) -> tuple[int, int]:
    """``[suppression]``: the small-cell threshold and the protection interval (which defaults
    to the threshold)."""
    sup = root.sub("suppression", {})
    threshold = sup.get("threshold", int, 10)
    if threshold < 1:
        raise sup.fail("threshold", "must be at least 1")
    interval = sup.get("protection_interval", int, threshold)
    if interval < 1:
        raise sup.fail("protection_interval", "must be at least 1")
    sup.finish()
    return threshold, interval


def read_k_anonymity(root: TableReader) -> tuple[int, tuple[str, ...], str]:
    """``[k_anonymity]``: k, the quasi-identifiers (every column the zone's patrons file ships
    but the declared non-identifying ones, ``libstats.schema``), and how the enrolment and
    last-activity months ship (``activity_dates``: "year", the default, "month" or "drop")."""
    ka = root.sub("k_anonymity", {})
    k = ka.get("k", int, 5)
    if k < 2:
        raise ka.fail("k", "must be at least 2 (k = 1 protects nobody)")
    dates = ka.get("activity_dates", str, "year")
    if dates not in ACTIVITY_DATES:
        raise ka.fail("activity_dates", f"must be one of {', '.join(map(repr, ACTIVITY_DATES))}")
    # older configs: every shipped column counts now, so these only have to be known columns
    extra = ka.str_list("extra_quasi_identifiers", ())
    for name in extra:
        if name not in OPTIONAL_QUASI_IDENTIFIERS:
            raise ka.fail("extra_quasi_identifiers",
                          f"'{name}' is not a column that can be declared; choose from "
                          f"{', '.join(OPTIONAL_QUASI_IDENTIFIERS)} (every column the zone "
                          f"ships is checked anyway)")
    ka.finish()
    return k, zone_quasi_identifiers(shipped_patron_columns(dates)), dates


#: Where the stricter settings for minors come from (the policies in /work/shared/policies/).
MINORS_CLAUSE = (
    "policies/003_dbbd14c0ad649baa.txt (Mansfield Public Library, CT, CGS 11-25): \"A minor is "
    "defined by the State of Connecticut as any person below the age of 18\"; "
    "policies/002_59d2c966c82c48e9.txt (Jackson County Library District, Policy 5-9 c): the "
    "records of \"a child under age 18\" go to a parent only with the child's card")


def read_minors(root: TableReader, k: int, threshold: int) -> tuple[int, int, int, tuple[str, ...]]:
    """``[minors]``: the age below which a patron is a minor (default 18, :data:`MINORS_CLAUSE`),
    k for the zone's classes that hold a minor and the small-cell threshold of the published
    cells that count patrons under that age (both default to five more than the adults'
    setting, and may not be laxer), and the patron categories that are minors."""
    mi = root.sub("minors", {})
    age = mi.get("age", int, 18)
    if not 1 <= age <= 21:
        raise mi.fail("age", "must be between 1 and 21")
    minors_k = mi.get("k", int, k + 5)
    if minors_k < k:
        raise mi.fail("k", f"must be at least the adults' k ({k}): minors get stricter "
                           f"settings, never laxer")
    minors_threshold = mi.get("threshold", int, threshold + 5)
    if minors_threshold < threshold:
        raise mi.fail("threshold", f"must be at least the adults' threshold ({threshold})")
    cats = mi.str_list("patron_categories", ())
    mi.finish()
    return age, minors_k, minors_threshold, tuple(cats)


def read_table_privacy(root: TableReader) -> tuple[dict[str, DpSettings], float | None]:
    """[tables.NAME] privacy = "suppression" (the default) or "dp", and the fiscal year's ε."""
    tables = root.sub("tables", {})
    dp_tables = {}
    for name in list(tables.table):
        t = tables.sub(name)
        if name not in PUBLISHED_TABLES:
            raise tables.fail(name, "is not a published table (see the README's table list)")
        mode = t.get("privacy", str, "suppression")
        if mode not in ("suppression", "dp"):
            raise t.fail("privacy", 'must be "suppression" or "dp"')
        if mode == "dp":
            if name not in DP_TABLES:
                raise t.fail("privacy", f'"dp" is available for {", ".join(DP_TABLES)}')
            eps = t.get("epsilon", (int, float), what="a number")
            if isinstance(eps, bool) or not math.isfinite(eps) or not 0 < eps <= 10:
                raise t.fail("epsilon", "must be more than 0 and at most 10")
            if DP_TABLES[name].bounded:
                bound = t.get("max_contributions", int, what="an integer")
                if bound < 1:
                    raise t.fail("max_contributions", "must be at least 1")
            else:
                bound = 1
            dp_tables[name] = DpSettings(float(eps), bound)
        t.finish()
    tables.finish()
    priv = root.sub("privacy", {})
    budget = priv.get("epsilon_per_fiscal_year", (int, float), None, what="a number")
    if budget is not None and (isinstance(budget, bool) or not math.isfinite(budget)
                               or budget <= 0):
        raise priv.fail("epsilon_per_fiscal_year", "must be a finite number more than 0")
    if dp_tables and budget is None:
        raise priv.fail("epsilon_per_fiscal_year", 'is required when a table has privacy = '
                                                   '"dp": the fiscal year\'s privacy budget')
    priv.finish()
    return dp_tables, None if budget is None else float(budget)


def read_leak_scan(root: TableReader) -> tuple[int, int, tuple[str, ...]]:
    """``[leak_scan]``: how long a raw identifier must be to be looked for as a whole published
    value and inside one, and the "source.column" entries whose values are not looked for."""
    leak = root.sub("leak_scan", {})
    min_whole = leak.get("min_whole_length", int, 4)
    min_sub = leak.get("min_substring_length", int, 6)
    if min_whole < 1 or min_sub < min_whole:
        raise leak.fail("min_substring_length", "must be ≥ min_whole_length ≥ 1")
    exempt = leak.str_list("exempt_columns", ())
    for item in exempt:
        if item.count(".") != 1:
            raise leak.fail("exempt_columns", "entries must look like \"source.column\"")
    leak.finish()
    return min_whole, min_sub, exempt
