"""Differential privacy of a run (docs/disclosure.md §7), wiring
``transforms/disclosure/noise.py`` for tables marked ``privacy = "dp"``: bounded counts on the
configured key space, OpenDP noise, totals by post-processing, and the fiscal year's ε ledger.
The ledger is the union of what every release of the fiscal year in the published folder drew
(the release this run replaces included: its figures were public). A table whose bounded
counts and settings are those of a draw already published is **replayed**: the same noisy
figures again, no new ε (a fresh draw of the same counts would let anyone average the noise
away, and the run would not be byte-identical). A run whose new draws would take the year past
its budget stops before anything is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from libstats.config import Config
from libstats.errors import BudgetExceeded
from libstats.keys import PeriodKey, token_python
from libstats.period import Period
from libstats.schema import DP_TABLES, PUBLISHED_TABLES, as_published_frame
from transforms.circulation import MEASURES
from transforms.disclosure import noise as dp
from transforms.disclosure import suppression

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
