"""k-anonymity of the pseudonymized zone's patron records: plan on the class counts, recode
in DuckDB, and check the written file again (docs/disclosure.md §6)."""

from __future__ import annotations

from pathlib import Path

from libstats.config import Config
from libstats.results import CheckResult
from libstats.sql import lit
from transforms.disclosure import kanonymity as ka


def apply(con, config: Config) -> dict:
    """Create ``int_patrons_k`` (the records the zone receives) and ``int_patron_category_k``
    (tokens whose category the events must carry recoded). Returns the report."""
    qis = config.quasi_identifiers
    scope = "(SELECT * FROM int_patrons WHERE patron_token IS NOT NULL)"
    classes = con.execute(ka.classes_sql(scope, qis)).df()
    rules = ka.steps(config.age_bands, set(config.area_map.values()))
    plan = ka.plan(classes, qis, config.k_anonymity, rules)
    con.register("_k_plan", plan.mapping)
    try:
        con.execute("CREATE TABLE int_k_map AS SELECT * FROM _k_plan")
    finally:
        con.unregister("_k_plan")
    con.execute("CREATE TABLE int_patrons_k AS " + ka.k_patrons_sql("int_patrons", "int_k_map",
                                                                    qis))
    if "patron_category" in qis:
        con.execute("CREATE TABLE int_patron_category_k AS " +
                    ka.recoded_category_sql("int_patrons", "int_k_map", qis))
    else:
        con.execute("CREATE TABLE int_patron_category_k AS SELECT NULL::BLOB AS patron_token, "
                    "NULL::VARCHAR AS patron_category WHERE false")
    return plan.report


def check(con, config: Config, pz_stage: Path) -> list[CheckResult]:
    """Every class of the written patrons file has at least k records: counted again from the
    file, not from the plan."""
    path = pz_stage / "patrons.parquet"
    if not path.exists():
        return []
    qis, k = config.quasi_identifiers, config.k_anonymity
    classes = ka.classes_sql(f"read_parquet({lit(str(path))})", qis)
    small, records = con.execute(
        f"SELECT count(*), coalesce(sum(n), 0) FROM ({classes}) WHERE n < {int(k)}").fetchone()
    return [CheckResult(
        check="k_anonymity", zone="pseudonymized", table="patrons", column=None,
        passed=small == 0, threshold=f"every class of ({', '.join(qis)}) has at least {k} "
                                     f"records", failing_count=int(small),
        detail=f"{records} record(s) in classes below k" if small else "")]
