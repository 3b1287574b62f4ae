"""Disclosure control of a run (docs/disclosure.md), wiring ``transforms/disclosure/``:

1. **Suppression** (§1-5): the ``pub_*`` SQL gives every cell's count. The sum tables get their
   totals, every count from 1 to the threshold is withheld, further cells are withheld until the
   audit finds no withheld cell narrower than the protection interval, counting what the earlier
   releases of the same fiscal year published, and the audit is run again from the published
   frames alone.
2. **Differential privacy** (§7), for tables marked ``privacy = "dp"``: bounded counts on the
   configured key space, OpenDP noise, totals by post-processing, and the fiscal year's ε
   ledger. The ledger is the union of what every release of the fiscal year in the published
   folder drew (the release this run replaces included: its figures were public). A table whose
   bounded counts and settings are those of a draw already published is **replayed**: the same
   noisy figures again, no new ε (a fresh draw of the same counts would let anyone average the
   noise away, and the run would not be byte-identical). A run whose new draws would take the
   year past its budget stops before anything is written.
3. **k-anonymity** (§6) of the pseudonymized zone's patron records: plan on the class counts,
   recode in DuckDB, and check the written file again.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from libstats.config import Config
from libstats.errors import BudgetExceeded, InputError
from libstats.keys import PeriodKey, token_python
from libstats.period import Period
from libstats.release import sha256_path
from libstats.results import CheckResult
from libstats.schema import DP_TABLES, PUBLISHED_TABLES, TOTAL, as_published_frame
from libstats.schema import (
    ACTIVITY_DATE_COLUMNS,
    NON_IDENTIFYING_PATRON_COLUMNS,
    PZ_EVENT_COLUMNS,
    shipped_patron_columns,
    zone_quasi_identifiers,
)
from libstats.sql import lit
from transforms.circulation import MEASURES
from transforms.disclosure import kanonymity as ka
from transforms.disclosure import noise as dp
from transforms.disclosure import suppression
from transforms.disclosure.audit import Audit, audit_published
from transforms.disclosure.cells import build_model, cell_keys, check_consistent

# Dimensions that are time: an earlier release of another period shares their inner cells
# (a month, a day) but not their totals, and shares nothing of a table without one.
TIME_DIMS = ("month", "day")


@dataclass
class Disclosed:
    frames: dict            # the published frames
    audit: Audit
    report: dict            # the manifest's "disclosure" section


@dataclass
class Earlier:
    label: str
    manifest_sha256: str
    frames: dict
    manifest: dict


def earlier_releases(pub_root: Path, period: Period) -> list[Earlier]:
    """The published releases of the same fiscal year (monthly ones, the annual one, and the
    release this run replaces), read back from the published folder."""
    found = []
    if not pub_root.is_dir():
        return found
    for entry in sorted(pub_root.iterdir()):
        manifest_path = entry / "manifest.json"
        if entry.name.startswith(".") or not manifest_path.is_file():
            continue
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            if manifest["period"]["fiscal_year"] != period.fiscal_year_label:
                continue
            frames = {}
            for table in manifest["tables"]:
                path = entry / "tables" / f"{table['name']}.parquet"
                if table["name"] in PUBLISHED_TABLES and path.is_file():
                    frames[table["name"]] = pd.read_parquet(path)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(manifest_path, "an earlier release of this fiscal year cannot be "
                                            f"read ({type(exc).__name__}); disclosure control "
                                            f"needs what it published") from None
        found.append(Earlier(entry.name, sha256_path(manifest_path), frames, manifest))
    return found


def _comparable(frame: pd.DataFrame, name: str, same_period: bool) -> pd.DataFrame | None:
    """The rows of an earlier release's table that are figures of this release too."""
    spec = PUBLISHED_TABLES[name]
    if same_period:
        return frame
    time = [d for d in spec.dims if d in TIME_DIMS]
    if not time:
        return None                 # counted over the whole period: another quantity
    keep = pd.Series(True, index=frame.index)
    for d in time:
        keep &= frame[d].astype(str) != TOTAL
    return frame[keep]


def with_totals(raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Sum tables get their totals here; distinct-count tables bring theirs from SQL."""
    out = {}
    for name, frame in raw.items():
        spec = PUBLISHED_TABLES[name]
        if spec.distinct:
            suppression.check_reserved(frame[frame[list(spec.dims)].ne(TOTAL).all(axis=1)],
                                       spec)
            out[name] = suppression.order_rows(frame, spec)
        else:
            out[name] = suppression.add_totals(frame, spec)
    return out


def protect(raw: dict[str, pd.DataFrame], config: Config, period: Period,
            earlier: list[Earlier], progress=None) -> Disclosed:
    """Totals, primary and complementary suppression, and the audit of the result.
    ``earlier``: the releases of the same fiscal year (:func:`earlier_releases`)."""
    frames = with_totals(raw)
    specs = {n: PUBLISHED_TABLES[n] for n in frames}
    # whole-library figures are open in a fiscal year's release only: a month's are small
    open_totals = period.is_fiscal_year
    model = build_model(frames, specs, open_totals=open_totals)
    bad = check_consistent(model)
    if bad:
        raise RuntimeError(f"libstats bug: {len(bad)} total(s) of the published tables do not "
                           f"add up before suppression")
    sticky, again, known_ids, known, revised = set(), set(), set(), {}, 0
    for rel in earlier:
        same = rel.label == period.label
        for name, frame in rel.frames.items():
            if name not in frames:
                continue
            rows = _comparable(frame, name, same)
            if rows is None or rows.empty:
                continue
            for key, value, hidden in zip(cell_keys(rows, specs[name]), rows["value"],
                                          rows["suppressed"]):
                cid = model.ids.get(key)
                if cid is None:
                    continue
                if hidden:
                    (again if same else sticky).add(cid)
                elif int(value) == model.value[cid]:
                    known_ids.add(cid)
                    known[key] = int(value)
                else:
                    revised += 1
    minors = minor_cells(model, config)
    result = suppression.protect(model, threshold=config.threshold,
                                 interval=config.protection_interval, sticky=sticky,
                                 again=again - sticky, known=known_ids, progress=progress,
                                 thresholds={c: config.minors_threshold for c in minors})
    published = {name: as_published_frame(f, specs[name]) for name, f in
                 suppression.apply(frames, model, result.withheld).items()}
    # The audit again, from the published frames alone (and the earlier releases' figures).
    withheld_known = {k: v for k, v in known.items() if model.ids[k] in result.withheld}
    audit = audit_published(published, config.protection_interval, known=withheld_known,
                            open_totals=open_totals)
    report = {
        "threshold": config.threshold,
        "protection_interval": config.protection_interval,
        "method": "primary: counts 1..threshold, except whole-library, whole-period figures "
                  "of transactions (published whatever their size); complementary: one more "
                  "cell in every total whose withheld cells leave too little room, then cells "
                  "from the relations that bind the attacker's LP (HiGHS) until every withheld "
                  "cell's range is at least the protection interval, or under a small "
                  "whole-library figure as wide as any release could make it "
                  "(docs/disclosure.md)",
        # The release this run replaces is read too, but not listed: a re-run with the same
        # inputs must give the same bytes.
        "earlier_releases": [{"label": e.label, "manifest_sha256": e.manifest_sha256}
                             for e in earlier if e.label != period.label],
        "revised_figures": revised,
        "tables": {},
        "minors": {"age": config.minors_age, "threshold": config.minors_threshold,
                   "patron_categories": list(config.minors_categories),
                   "cells": len(minors),
                   "rule": "cells whose age band starts below the age, or whose patron "
                           "category is a minors' one, are withheld from 1 to this "
                           "threshold (docs/disclosure.md §6)"},
    }
    for name, ids in model.rows.items():
        cells = set(ids.tolist())
        report["tables"][name] = {
            "cells": len(frames[name]),
            "withheld_for_size": int(sum(c in result.primary for c in ids)),
            "withheld_for_protection": int(sum(c in result.secondary for c in ids)),
            "withheld_as_before": int(sum(c in result.sticky for c in ids)),
            "narrowest_range": _finite(audit.narrowest[name]),
            "limited_by_open_figures": audit.limited[name],
            "unsafe": audit.unsafe[name],
            "linked_with": sorted(n for n, other in model.rows.items()
                                  if n != name and cells.intersection(other.tolist())),
        }
    return Disclosed(published, audit, report)


def minor_cells(model, config: Config) -> set[int]:
    """The cells that count patrons who may be under ``[minors] age``: an ``age_band``
    coordinate starting below it, or a ``patron_category`` listed as minors'. Audiences
    (children's, young adult) classify items, not borrowers, and are not among them."""
    out = set()
    for (_, _, coords), cid in model.ids.items():
        for dim, value in coords:
            if ka.is_minor(value if dim == "age_band" else None,
                           value if dim == "patron_category" else None,
                           age=config.minors_age, categories=config.minors_categories):
                out.add(cid)
                break
    return out


def _finite(x: float) -> int | None:
    return None if math.isinf(x) else int(x)


# ---- 2. differential privacy ----------------------------------------------------------

DP_TOLERANCE = 1e-9


@dataclass
class DpRelease:
    frames: dict            # published frames of the DP tables
    report: dict            # the manifest's "differential_privacy" section


def dp_rows_sql(name: str, period: Period) -> str:
    """One row per contribution to a DP table, from the run's int_* tables."""
    if name == "pub_circulation__branch_month_material":
        return dp.circulation_rows_sql("int_circ_events", MEASURES)
    if name == "pub_new_registrations__month":
        return dp.registrations_rows_sql("int_patrons", period.start.isoformat(),
                                         period.end.isoformat())
    raise ValueError(f"no differential-privacy rows for table '{name}'")


def _dp_digest(pkey: PeriodKey, name: str, period: Period, settings, bounded: pd.DataFrame) -> str:
    """A keyed digest of what the noise is added to (the bounded counts and the settings):
    equal digests mean the same draw may be shown again. Keyed, so the digest cannot be used
    to test guesses of the counts."""
    text = json.dumps({"table": name, "period": period.label, "epsilon": settings.epsilon,
                       "max_contributions": settings.max_contributions,
                       "cells": bounded.astype(str).values.tolist()}, separators=(",", ":"))
    # labelled like the key ids: a bare hex string can hold ten digits in a row, which
    # libstats check would take for a phone number
    return "dpin-" + token_python(pkey, "libstats/dp-input", text).hex()[:32]


def _dp_order(entry: dict) -> tuple:
    return entry["drawn_in"], entry["table"], entry["input_digest"], entry.get("draw", 1)


def ledger_of(earlier) -> list[dict]:
    """Every draw the earlier releases of the fiscal year published, once each. Two draws
    of the same counts (the first one's release gone) are two entries: ``draw`` numbers them."""
    seen = {}
    for rel in earlier:
        for entry in rel.manifest.get("differential_privacy", {}).get("ledger", []):
            seen.setdefault((entry["table"], entry["input_digest"], entry.get("draw", 1)),
                            entry)
    return sorted(seen.values(), key=_dp_order)


def dp_carried(earlier, budget: float | None) -> dict | None:
    """The manifest section of a run that draws nothing: the year's ledger goes on (a release
    that drops it would let the next DP run start from zero)."""
    ledger = ledger_of(earlier)
    if not ledger:
        return None
    spent = float(np.sum([e["epsilon"] for e in ledger]))
    return {"fiscal_year": earlier[0].manifest["period"]["fiscal_year"], "budget": budget,
            "mechanism": dp.MECHANISM, "tables": {}, "ledger": ledger,
            "spent": round(spent, 9),
            "remaining": None if budget is None else round(budget - spent, 9),
            "rules": "docs/disclosure.md §7"}


def _dp_replay(earlier, name: str, digest: str):
    """The published frame and settings of an earlier draw with this digest, if any."""
    for rel in earlier:
        info = rel.manifest.get("differential_privacy", {}).get("tables", {}).get(name)
        if info and info.get("input_digest") == digest and name in rel.frames:
            return rel.frames[name], info
    return None


def dp_release(con, config: Config, period: Period, pkey: PeriodKey, raw: dict, earlier,
            progress=None) -> DpRelease:
    """The DP tables among ``raw`` (name → the pub_* grid with exact counts)."""
    frames, tables, new = {}, {}, []
    for name, grid in raw.items():
        settings = config.dp_tables[name]
        spec = PUBLISHED_TABLES[name]
        keys = [c for c in spec.key if c != "fiscal_year"]
        counts = con.execute(dp.bounded_counts_sql(dp_rows_sql(name, period), keys,
                                                   settings.max_contributions)).df()
        bounded = dp.bounded_grid(grid, counts, keys)
        digest = _dp_digest(pkey, name, period, settings, bounded)
        found = _dp_replay(earlier, name, digest)
        if found is not None:
            frame, info = found
            frames[name] = as_published_frame(frame, spec)
            tables[name] = info
            if progress:
                progress(f"  {name}: the same counts as a published draw; its figures again")
            continue
        # sensitivity: one contributor changes at most max_contributions cells by one each
        noisy, info = dp.noisy_frame(bounded, settings.max_contributions, settings.epsilon,
                                     spec.by)
        published = suppression.add_totals(noisy, spec)
        published["value"] = published["value"].clip(lower=0)
        published["suppressed"] = False
        frames[name] = as_published_frame(published, spec)
        tables[name] = {
            "epsilon": info["epsilon"], "max_contributions": settings.max_contributions,
            "sensitivity": settings.max_contributions, "scale": info["scale"],
            "cells": info["cells"], "cell_accuracy_95": info["cell_accuracy_95"],
            "total_accuracy_95": info["total_accuracy_95"],
            "privacy_unit": DP_TABLES[name].unit,
            "key_space": "every combination of " + ", ".join(keys) + " from the config and "
                         "the period, never from the data",
            "input_digest": digest, "drawn_in": period.label}
        new.append({"table": name, "epsilon": info["epsilon"], "input_digest": digest,
                    "drawn_in": period.label})
    ledger = ledger_of(earlier)
    for entry in new:
        entry["draw"] = 1 + sum(e["table"] == entry["table"] and
                                e["input_digest"] == entry["input_digest"] for e in ledger)
        tables[entry["table"]]["draw"] = entry["draw"]
    before = float(np.sum([e["epsilon"] for e in ledger]))
    needed = float(np.sum([e["epsilon"] for e in new]))
    budget = config.dp_budget
    if before + needed > budget + DP_TOLERANCE:
        raise BudgetExceeded(period.fiscal_year_label, budget, before, needed,
                             sorted(e["table"] for e in new))
    ledger = sorted(ledger + new, key=_dp_order)
    spent = float(np.sum([e["epsilon"] for e in ledger]))
    report = {"fiscal_year": period.fiscal_year_label, "budget": budget,
              "mechanism": dp.MECHANISM, "tables": tables, "ledger": ledger,
              "spent": round(spent, 9), "remaining": round(budget - spent, 9),
              "rules": "docs/disclosure.md §7"}
    return DpRelease(frames, report)


DP_WITHHELD = "withheld (a table counting these events is published with differential privacy)"


def dp_public_manifest(manifest: dict, config: Config, dp_names) -> dict:
    """The manifest as published. When the circulation table is published with differential
    privacy, the exact event counts elsewhere in the manifest (rows read and in the period,
    coverage, months without events, the zone's event rows) would undo its noise: they are
    kept in the review copy only."""
    if "pub_circulation__branch_month_material" not in dp_names:
        return manifest
    import copy
    out = copy.deepcopy(manifest)
    circ = {s.name for s in config.sources if s.kind == "circulation"}
    for i in out.get("inputs", []):
        if i["source"] in circ:
            i["rows_in"] = DP_WITHHELD
    for name in circ & set(out.get("rows", {})):
        out["rows"][name] = {"read": DP_WITHHELD}
    if "coverage" in out:
        out["coverage"] = DP_WITHHELD
    for t in out.get("pseudonymized", []):
        if t["table"] == "events":
            t["rows"], t["note"] = DP_WITHHELD, "see the review copy"
            if "opted_in_events_unique" in t:
                t["opted_in_events_unique"] = DP_WITHHELD
    return out


# ---- 3. k-anonymity of the pseudonymized zone's patron records -------------------------

def k_anonymize(con, config: Config) -> dict:
    """Create ``int_patrons_k`` (the records the zone receives) and ``int_patron_category_k``
    (tokens whose category the events must carry recoded). Returns the report."""
    qis = config.quasi_identifiers
    zone = ka.zone_patrons_sql("int_patrons", config.activity_dates)
    con.execute(f"CREATE TEMP VIEW int_patrons_zone AS SELECT * FROM {zone}")
    scope = "(SELECT * FROM int_patrons_zone WHERE patron_token IS NOT NULL)"
    classes = con.execute(ka.classes_sql(scope, qis)).df()
    classes["k"] = ka.class_k(classes, config.k_anonymity, config.minors_k,
                              age=config.minors_age, categories=config.minors_categories)
    rules = ka.steps(config.age_bands, set(config.area_map.values()))
    # the events carry the token of opted-in patrons only: their flag is never withheld
    plan = ka.plan(classes, qis, config.k_anonymity, rules,
                   keep=tuple(c for c in ("reading_history_opt_in",) if c in qis))
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
                months = all(con.execute(f"SELECT coalesce(bool_and(length({c}) = 7), true) "
                                         f"FROM {rel}").fetchone()[0] for rel in rels.values())
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
