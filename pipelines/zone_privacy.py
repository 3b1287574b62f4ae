"""Privacy of the pseudonymized zone (docs/disclosure.md §6), wiring
``transforms/disclosure/kanonymity.py``: k-anonymity of the patron records over every shipped
column (plan on the class counts, recode in DuckDB, check the written file again, with the
minors' k), the declared columns of the event files, and the re-linking of the patron records
to the zones of other fiscal years by their attributes.
"""

from __future__ import annotations

import re
from pathlib import Path

from libstats.config import Config
from libstats.period import Period
from libstats.results import CheckResult
from libstats.schema import (
    ACTIVITY_DATE_COLUMNS,
    NON_IDENTIFYING_PATRON_COLUMNS,
    PZ_EVENT_COLUMNS,
    shipped_patron_columns,
    zone_quasi_identifiers,
)
from libstats.sql import lit
from transforms.disclosure import kanonymity as ka

#: The fact the event files add to a patron record: its token has events in the zone (an
#: opted-in patron who borrowed in the period). Anyone holding both files can join them on the
#: token, so the fact is a quasi-identifier of the plan and of the check; it is never written
#: into the patrons file (docs/disclosure.md §6).
HAS_EVENTS = "has_zone_events"


def k_anonymize(con, config: Config, zone_tokens: str | None = None) -> dict:
    """Create ``int_patrons_k`` (the records the zone receives) and ``int_patron_category_k``
    (tokens whose category the events must carry recoded). ``zone_tokens``: a query of the
    tokens the zone's event files will carry (column ``token``); with it, whether a record's
    token has events is a quasi-identifier that is never generalized (:data:`HAS_EVENTS`).
    Returns the report."""
    qis = config.quasi_identifiers
    zone = ka.zone_patrons_sql("int_patrons", config.activity_dates)
    if zone_tokens is not None:
        con.execute(f"CREATE TEMP TABLE int_zone_event_tokens AS SELECT DISTINCT token "
                    f"FROM ({zone_tokens}) WHERE token IS NOT NULL")
        zone = (f"(SELECT z.*, (t.token IS NOT NULL) AS {HAS_EVENTS} FROM {zone} AS z "
                f"LEFT JOIN int_zone_event_tokens AS t ON t.token = z.patron_token)")
        qis = (*qis, HAS_EVENTS)
    con.execute(f"CREATE TEMP VIEW int_patrons_zone AS SELECT * FROM {zone}")
    scope = "(SELECT * FROM int_patrons_zone WHERE patron_token IS NOT NULL)"
    classes = con.execute(ka.classes_sql(scope, qis)).df()
    def k_for(values):
        return ka.class_k(values, config.k_anonymity, config.minors_k,
                          age=config.minors_age, categories=config.minors_categories)

    classes["k"] = k_for(classes)
    rules = ka.steps(config.age_bands, set(config.area_map.values()))
    # the events carry the token of opted-in patrons only: their flag is never withheld
    plan = ka.plan(classes, qis, config.k_anonymity, rules,
                   keep=tuple(c for c in ("reading_history_opt_in", HAS_EVENTS) if c in qis),
                   k_for=k_for)
    con.register("_k_plan", plan.mapping)
    try:
        con.execute("CREATE TABLE int_k_map AS SELECT * FROM _k_plan")
    finally:
        con.unregister("_k_plan")
    con.execute("CREATE TABLE int_patrons_k AS " + ka.k_patrons_sql("int_patrons_zone",
                                                                    "int_k_map", qis))
    if "patron_category" in qis:
        con.execute("CREATE TABLE int_patron_category_k AS " +
                    ka.recoded_category_sql("int_patrons_zone", "int_k_map", qis))
    else:
        con.execute("CREATE TABLE int_patron_category_k AS SELECT NULL::BLOB AS patron_token, "
                    "NULL::VARCHAR AS patron_category WHERE false")
    shipped = shipped_patron_columns(config.activity_dates)
    return {**plan.report, "k_minors": config.minors_k, "minors_age": config.minors_age,
            "activity_dates": config.activity_dates,
            "non_identifying": {c: r for c, r in NON_IDENTIFYING_PATRON_COLUMNS.items()
                                if c in shipped}}


def k_anonymity_checks(con, config: Config, pz_stage: Path) -> list[CheckResult]:
    """Every class of the written patrons file has at least k records (``[minors] k`` where
    it may hold a minor): counted again from the file, not from the plan, on every column
    the file holds but the declared non-identifying ones (a column nobody declared counts)."""
    path = pz_stage / "patrons.parquet"
    if not path.exists():
        return []
    rel = f"read_parquet({lit(str(path))})"
    columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
    qis, k = zone_quasi_identifiers(columns), config.k_anonymity
    events = sorted((pz_stage / "events").glob("month=*/*.parquet"))
    if events and "patron_token" in columns:
        # the event files name the tokens that borrowed: one more attribute of each record
        files = "[" + ", ".join(lit(str(f)) for f in events) + "]"
        rel = (f"(SELECT p.*, (t.patron_token IS NOT NULL) AS {HAS_EVENTS} FROM {rel} AS p "
               f"LEFT JOIN (SELECT DISTINCT patron_token FROM read_parquet({files}) "
               f"WHERE patron_token IS NOT NULL) AS t ON t.patron_token = p.patron_token)")
        qis = (*qis, HAS_EVENTS)
    classes = con.execute(ka.classes_sql(rel, qis)).df()
    need = ka.class_k(classes, k, config.minors_k, age=config.minors_age,
                      categories=config.minors_categories)
    below = classes["n"] < need
    small, records = int(below.sum()), int(classes.loc[below, "n"].sum())
    return [CheckResult(
        check="k_anonymity", zone="pseudonymized", table="patrons", column=None,
        passed=small == 0, threshold=f"every class of ({', '.join(qis)}) has at least {k} "
                                     f"records ({config.minors_k} where it may hold a patron "
                                     f"under {config.minors_age})", failing_count=small,
        detail=f"{records} record(s) in classes below k" if small else "")]


def event_columns_checks(con, pz_stage: Path) -> list[CheckResult]:
    """Every column of the zone's event files is declared (``libstats.schema.PZ_EVENT_COLUMNS``):
    a new one nobody declared stops the run (its name is given, never a value)."""
    files = sorted((pz_stage / "events").glob("month=*/data_0.parquet"))
    if not files:
        return []
    columns = [r[0] for r in con.execute(
        f"DESCRIBE SELECT * FROM read_parquet({lit(str(files[0]))})").fetchall()]
    unknown = [c for c in columns if c not in PZ_EVENT_COLUMNS]
    return [CheckResult(
        check="pseudonymized_columns_declared", zone="pseudonymized", table="events",
        column=", ".join(unknown) or None, passed=not unknown,
        threshold="every column is declared in libstats.schema.PZ_EVENT_COLUMNS (what it "
                  "describes, or why it identifies nobody)", failing_count=len(unknown),
        detail=(f"undeclared column(s): {', '.join(unknown)}; declare each in "
                f"libstats/schema.py PZ_EVENT_COLUMNS") if unknown else "")]


def _year_labels(pz_root: Path, period: Period) -> list[str]:
    """The other fiscal years whose pseudonymized zone is in place (``FYnnnn`` links)."""
    return sorted(p.name for p in pz_root.glob("FY*")
                  if re.fullmatch(r"FY\d{4}", p.name) and p.name != period.fiscal_year_label
                  and (p / "patrons.parquet").is_file())


def cross_year_linkage(con, config: Config, period: Period,
                       pz_stage: Path) -> tuple[dict, list[CheckResult]]:
    """How far the patrons file just written re-links, by its attributes alone, to the zone of
    every other fiscal year in place (tokens are per year and do not link): on the shipped
    attributes both files hold (months compared as years where either ships years), the
    records unique in both years, and the records in a class below k in both years (an
    attacker could pair them more narrowly than k allows: the check fails on any)."""
    path = pz_stage / "patrons.parquet"
    pz_root = pz_stage.parent.parent
    k, out, bad = config.k_anonymity, [], 0
    for label in _year_labels(pz_root, period):
        other = pz_root / label / "patrons.parquet"
        rels = {"a": f"read_parquet({lit(str(path))})", "b": f"read_parquet({lit(str(other))})"}
        cols = {n: [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
                for n, rel in rels.items()}
        attrs = [c for c in zone_quasi_identifiers(cols["a"]) if c in cols["b"]]
        exprs = []
        for c in attrs:
            if c in ACTIVITY_DATE_COLUMNS:
                months = all(con.execute(
                    f"SELECT coalesce(bool_and(regexp_full_match({c}, '\\d{{4}}-\\d{{2}}')), "
                    f"true) FROM {rel}").fetchone()[0] for rel in rels.values())
                exprs.append(f"{c} AS {c}" if months else f"left({c}, 4) AS {c}")
            else:
                exprs.append(f"CAST({c} AS VARCHAR) AS {c}")
        sel = ", ".join(exprs)
        by = ", ".join(attrs)
        on = " AND ".join(f"a.{c} IS NOT DISTINCT FROM b.{c}" for c in attrs) or "true"
        row = con.execute(f"""
            WITH a AS (SELECT {by}, count(DISTINCT patron_token) AS n
                       FROM (SELECT patron_token, {sel} FROM {rels['a']}) GROUP BY ALL),
                 b AS (SELECT {by}, count(DISTINCT patron_token) AS n
                       FROM (SELECT patron_token, {sel} FROM {rels['b']}) GROUP BY ALL)
            SELECT count(*), coalesce(sum(a.n) FILTER (WHERE a.n = 1 AND b.n = 1), 0),
                   coalesce(sum(a.n) FILTER (WHERE a.n < {int(k)} AND b.n < {int(k)}), 0)
            FROM a JOIN b ON {on}""").fetchone()
        out.append({"zone": label, "attributes": attrs, "classes_in_both": int(row[0]),
                    "records_unique_in_both": int(row[1]),
                    "records_below_k_in_both": int(row[2])})
        bad += int(row[2])
    report = {"method": "records of this zone whose class on the shipped attributes both "
                        "years' patrons files hold is unique, or below k, in both years "
                        "(docs/disclosure.md §6)", "compared_with": out}
    if not out:
        return report, []
    return report, [CheckResult(
        check="cross_year_linkage", zone="pseudonymized", table="patrons", column=None,
        passed=bad == 0, threshold=f"no record in a class below {k} in this and another "
                                   f"fiscal year's zone", failing_count=bad,
        detail=f"{bad} record(s) re-link to another year's zone" if bad else "")]
