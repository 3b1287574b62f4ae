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
3. **k-anonymity** (§6) of the pseudonymized zone's patron records: ``pipelines/zone_privacy.py``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from libstats.config import Config
from libstats.errors import BudgetExceeded, InputError
from libstats.keys import PeriodKey, token_python
from libstats.period import Period
from libstats.release import sha256_path
from libstats.schema import DP_TABLES, PUBLISHED_TABLES, TOTAL, as_published_frame
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
