"""Step 8b: totals and disclosure control of the published tables (docs/disclosure.md).

The ``pub_*`` SQL gives every cell's count. Here the sum tables get their totals, every count
from 1 to the threshold is withheld, further cells are withheld until the audit finds no
withheld cell narrower than the protection interval, counting what the earlier releases of the
same fiscal year published, and the audit is run again from the published frames alone.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from libstats.config import Config
from libstats.errors import InputError
from libstats.period import Period
from libstats.release import sha256_path
from libstats.schema import PUBLISHED_TABLES, TOTAL, as_published_frame
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
    result = suppression.protect(model, threshold=config.threshold,
                                 interval=config.protection_interval, sticky=sticky,
                                 again=again - sticky, known=known_ids, progress=progress)
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


def _finite(x: float) -> int | None:
    return None if math.isinf(x) else int(x)
