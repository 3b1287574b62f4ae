"""Disclosure control of a run (docs/disclosure.md), wiring ``transforms/disclosure/``:

1. **Suppression** (§1-5): the ``pub_*`` SQL gives every cell's count. The sum tables get their
   totals, every count from 1 to the threshold is withheld, further cells are withheld until the
   audit finds no withheld cell narrower than the protection interval, counting what the earlier
   releases of the same fiscal year published, and the audit is run again from the published
   frames alone.
2. **Differential privacy** (§7), for tables marked ``privacy = "dp"``: ``pipelines/noise.py``.
3. **k-anonymity** (§6) of the pseudonymized zone's patron records: ``pipelines/zone_privacy.py``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from libstats.config import Config
from libstats.errors import DisclosureConflict, InputError
from libstats.period import Period
from libstats.release import sha256_path
from libstats.schema import PUBLISHED_TABLES, TOTAL, as_published_frame
from transforms.disclosure import kanonymity as ka
from transforms.disclosure import suppression, utility
from transforms.disclosure.audit import Audit, audit_published
from transforms.disclosure.cells import TIME_DIMS, build_model, cell_keys, check_consistent
from transforms.disclosure.cells import Earlier as EarlierFrames


@dataclass
class Disclosed:
    frames: dict            # the published frames
    audit: Audit
    report: dict            # the manifest's "disclosure" section


@dataclass
class Earlier:
    label: str              # the folder: the period, or <period>.<hash> under .versions/
    manifest_sha256: str
    frames: dict
    manifest: dict

    @property
    def period(self) -> str:
        return self.manifest["period"]["label"]

    @property
    def is_fiscal_year(self) -> bool:
        return self.manifest["period"]["label"] == self.manifest["period"]["fiscal_year"]


def earlier_releases(pub_root: Path, period: Period) -> list[Earlier]:
    """The public releases of the same fiscal year (monthly ones, the annual one, the release
    this run replaces, and every version they replaced in turn, which stays readable under
    ``.versions/``), read back from the published folder, each once."""
    found: list[Earlier] = []
    if not pub_root.is_dir():
        return found
    versions = pub_root / ".versions"
    entries = sorted(e for e in pub_root.iterdir() if not e.name.startswith("."))
    if versions.is_dir():
        entries += sorted(e for e in versions.iterdir() if not e.name.startswith("."))
    seen: set[Path] = set()
    for entry in entries:
        manifest_path = entry / "manifest.json"
        if not manifest_path.is_file() or entry.resolve() in seen:
            continue
        seen.add(entry.resolve())
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
        # another period's current release by its period; a release of this period by its
        # version, so the name does not change when a rerun moves the link
        real = entry.resolve()
        label = entry.name
        if real.parent.name == ".versions" and (entry.parent != pub_root or
                                                manifest["period"]["label"] == period.label):
            label = f".versions/{real.name}"
        same = [e for e in found if _same_tables(e.frames, frames)]
        if same:
            continue        # a version publishing the same tables adds nothing
        found.append(Earlier(label, sha256_path(manifest_path), frames, manifest))
    return found


def _same_tables(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(_figures(a[n]) == _figures(b[n]) for n in a)


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


def compare(model, specs, earlier: list[Earlier], period: Period, frames: dict,
            threshold: int, dp_names=()) -> dict:
    """How each earlier release's figures stand to this release's true counts: cells they
    withheld (withheld again), published with the same count (known to everybody), or with
    another count (revised data: that table's figures are kept apart in the audit, and a
    change of 1..threshold is withheld, since the difference of the two releases would
    count the people added or removed)."""
    out = {"sticky": set(), "again": set(), "known": set(), "known_keys": {},
           "changed": set(), "revised": 0, "apart": {}}
    for rel in earlier:
        same = rel.period == period.label
        apart = set()
        for name, frame in rel.frames.items():
            if name not in frames or name in dp_names or \
                    rel.manifest.get("differential_privacy", {}).get("tables", {}).get(name):
                continue
            spec = specs[name]
            if not same and not any(d in TIME_DIMS for d in spec.dims):
                continue                    # counted over another period: another quantity
            keys = cell_keys(frame, spec) if same else cell_keys(frame, spec,
                                                                 period=rel.period)
            for key, value, hidden in zip(keys, frame["value"], frame["suppressed"]):
                cid = model.ids.get(key)
                if cid is None:
                    continue
                now = model.value[cid]
                if hidden:
                    (out["again"] if same else out["sticky"]).add(cid)
                elif int(value) == now:
                    out["known"].add(cid)
                    out["known_keys"][key] = int(value)
                else:
                    out["revised"] += 1
                    apart.add(name)
                    if 1 <= abs(now - int(value)) <= threshold and cid not in model.open:
                        out["changed"].add(cid)
        out["apart"][rel.label] = apart
    return out


def _model_earlier(earlier: list[Earlier], apart: dict, period: Period,
                   dp_names=()) -> list[EarlierFrames]:
    """The earlier releases as the attacker's model takes them (:class:`EarlierFrames`)."""
    out = []
    for rel in earlier:
        noisy = set(rel.manifest.get("differential_privacy", {}).get("tables", {})) | set(
            dp_names)
        out.append(EarlierFrames(rel.label, rel.period,
                                 {n: f for n, f in rel.frames.items() if n not in noisy},
                                 same_period=rel.period == period.label,
                                 open_totals=rel.is_fiscal_year,
                                 apart=frozenset(apart.get(rel.label, ()))))
    return out


def protect(raw: dict[str, pd.DataFrame], config: Config, period: Period,
            earlier: list[Earlier], progress=None, dp_names=()) -> Disclosed:
    """Totals, primary and complementary suppression, and the audit of the result.
    ``earlier``: the public releases of the same fiscal year (:func:`earlier_releases`): their
    figures and relations enter the attacker's model (docs/disclosure.md §4)."""
    frames = with_totals(raw)
    specs = {n: PUBLISHED_TABLES[n] for n in frames}
    # whole-library figures are open in a fiscal year's release only: a month's are small
    open_totals = period.is_fiscal_year
    alone = build_model(frames, specs, open_totals=open_totals)
    bad = check_consistent(alone)
    if bad:
        raise RuntimeError(f"libstats bug: {len(bad)} total(s) or bound(s) of the published "
                           f"tables do not hold before suppression")
    seen = compare(alone, specs, earlier, period, frames, config.threshold, dp_names)
    joint = _model_earlier(earlier, seen["apart"], period, dp_names)
    model, joint = _joint_model(frames, specs, open_totals, joint) if joint else (alone, joint)
    for e in joint:
        seen["apart"][e.label] = set(e.apart)
    ids = {c: model.ids[k] for k, c in alone.ids.items()}       # the same cells, by number
    remap = lambda cells: {ids[c] for c in cells}               # noqa: E731
    minors = minor_cells(model, config)
    result = suppression.protect(model, threshold=config.threshold,
                                 interval=config.protection_interval,
                                 sticky=remap(seen["sticky"]),
                                 again=remap(seen["again"] - seen["sticky"]),
                                 known=remap(seen["known"]), changed=remap(seen["changed"]),
                                 thresholds={c: config.minors_threshold for c in minors},
                                 margins=survey_margins(model), progress=progress)
    if result.unsafe and result.conflicts:
        counts: dict[str, int] = {}
        for c in result.conflicts:
            table = model.where[c][0].rsplit(":", 1)[-1]
            counts[table] = counts.get(table, 0) + 1
        raise DisclosureConflict(period.label, counts, [e.label for e in earlier],
                                 config.threshold)
    published = {name: as_published_frame(f, specs[name]) for name, f in
                 suppression.apply(frames, model, result.withheld).items()}
    # The audit again, from the published frames alone (and the earlier releases' figures).
    withheld_known = {k: v for k, v in seen["known_keys"].items()
                      if model.ids[k] in result.withheld}
    audit = audit_published(published, config.protection_interval, known=withheld_known,
                            open_totals=open_totals, earlier=joint)
    used = [e for e in earlier if e.period != period.label or _differs(e, published)]
    report = {
        "threshold": config.threshold,
        "protection_interval": config.protection_interval,
        "method": "primary: counts 1..threshold, except whole-library, whole-period figures "
                  "of transactions (published whatever their size), and changes of "
                  "1..threshold from a figure an earlier public release of the fiscal year "
                  "published; complementary: one more "
                  "cell in every total whose withheld cells leave too little room, then cells "
                  "from the relations that bind the attacker's LP (HiGHS) until every withheld "
                  "cell's range is at least the protection interval, or under a small "
                  "whole-library figure as wide as any release could make it, counting every "
                  "public release of the fiscal year and the relations between tables "
                  "(docs/disclosure.md)",
        # Earlier public releases whose figures the audit used. A replaced release of this
        # period is listed only where it published something else (a re-run with the same
        # inputs must give the same bytes).
        "earlier_releases": [{"label": e.label, "period": e.period,
                              "manifest_sha256": e.manifest_sha256,
                              "kept_apart": sorted(seen["apart"].get(e.label, ()))}
                             for e in used],
        "revised_figures": seen["revised"],
        "tables": {},
        "minors": {"age": config.minors_age, "threshold": config.minors_threshold,
                   "patron_categories": list(config.minors_categories),
                   "cells": len(minors),
                   "rule": "cells whose age band starts below the age, or whose patron "
                           "category is a minors' one, are withheld from 1 to this "
                           "threshold (docs/disclosure.md §6)"},
    }
    for name in frames:
        ids_ = model.rows[name]
        cells = set(ids_.tolist())
        report["tables"][name] = {
            "cells": len(frames[name]),
            "withheld_for_size": int(sum(c in result.primary for c in ids_)),
            "withheld_for_change": int(sum(c in result.changed for c in ids_)),
            "withheld_for_protection": int(sum(c in result.secondary for c in ids_)),
            "withheld_as_before": int(sum(c in result.sticky for c in ids_)),
            "information_loss": utility.information_loss(model, name, result.withheld),
            "narrowest_range": _finite(audit.narrowest[name]),
            "limited_by_open_figures": audit.limited[name],
            "unsafe": audit.unsafe[name],
            "linked_with": sorted(n for n, other in model.rows.items()
                                  if n != name and n in frames
                                  and cells.intersection(other.tolist())),
            "relations": model.relations_of(name),
            "earlier_releases": sorted(e.label for e in used if name in e.frames),
        }
    report["utility"] = _utility(model, result, report)
    return Disclosed(published, audit, report)


def _utility(model, result, report) -> dict:
    """The heuristic's withheld cells against a MILP lower bound on the fewest any safe
    pattern needs (transforms/disclosure/utility.py), on models small enough."""
    must = result.primary | result.changed | result.sticky
    # what the run could have withheld instead: every cell not open, not zero, not public
    # already (an earlier release's figure), nor a cell of an earlier release
    fixed_out = set(model.open) | model.foreign | (result.known_public)
    bound = utility.milp_bound(model, must, fixed_out)
    out = {"method": "lower bound: fewest cells such that no total relation holds exactly "
                     "one withheld cell (MILP, HiGHS); factor = cells withheld / bound "
                     "(docs/disclosure.md §3)",
           "cells_withheld": len(result.withheld)}
    if bound is None:
        out["lower_bound"] = None
        return out
    out["lower_bound"] = bound["cells"]
    out["factor"] = round(len(result.withheld) / bound["cells"], 2) if bound["cells"] else None
    for name, n in bound["tables"].items():
        if name in report["tables"]:
            report["tables"][name]["information_loss"]["milp_lower_bound"] = n
    return out


def _joint_model(frames, specs, open_totals, joint):
    """The model with the earlier releases. Should a figure an earlier release withheld have
    changed since (the relations of that release do not hold with this release's counts),
    its table is kept apart from this release's instead."""
    for _ in range(len(joint) * max(1, len(frames)) + 1):
        model = build_model(frames, specs, open_totals=open_totals, earlier=tuple(joint))
        bad = check_consistent(model)
        if not bad:
            return model, joint
        wrong = {model.where[r][0] for i in bad
                 for r in model.relations[i].members if ":" in model.where[r][0]}
        if not wrong:
            raise RuntimeError("libstats bug: the published tables do not add up with the "
                               "earlier releases'")
        joint = [_keep_apart(e, {w.rsplit(":", 1)[1] for w in wrong
                                 if w.rsplit(":", 1)[0] == e.label}) for e in joint]
    raise RuntimeError("libstats bug: the earlier releases could not be related")


def _keep_apart(e: EarlierFrames, names: set) -> EarlierFrames:
    from dataclasses import replace
    return replace(e, apart=e.apart | frozenset(names))


def _differs(e: Earlier, published: dict) -> bool:
    """Whether a release of this period published other figures than this run does."""
    noisy = set(e.manifest.get("differential_privacy", {}).get("tables", {}))
    if set(e.frames) - noisy != set(published):
        return True
    return any(_figures(e.frames[n]) != _figures(f) for n, f in published.items())


def _figures(frame: pd.DataFrame) -> list:
    keys = [c for c in frame.columns if c not in ("value", "suppressed")]
    values = pd.to_numeric(frame["value"], errors="coerce").fillna(-1).astype("int64")
    return list(zip(*(frame[k].astype(str) for k in keys), values.tolist(),
                    frame["suppressed"].astype(bool).tolist()))


def survey_margins(model) -> set[int]:
    """The cells the state survey reads per outlet (elements at the ``outlet`` level of every
    PLS definitions file: a branch's registered users, its physical circulation, children's
    and other physical circulation, Wi-Fi sessions), for every branch of the release. Complements
    avoid them where an interior cell protects as well (docs/disclosure.md §3)."""
    from reports.annual.definitions import OUTLET, all_versions, load_definitions

    wanted: set[tuple] = set()
    for version in all_versions():
        for el in load_definitions(version).elements.values():
            if "outlet" not in el.levels:
                continue
            for cell in el.cells:
                spec = PUBLISHED_TABLES.get(cell.table)
                if spec is None:
                    continue
                where = dict(cell.where)
                by = tuple(where.get(c, "") for c in spec.by)
                pairs = tuple((d, where.get(d, TOTAL)) for d in sorted(spec.dims)
                              if where.get(d, TOTAL) != TOTAL)
                wanted.add((spec.universe_name, by, pairs))
    out = set()
    for (uni, by, pairs), cid in model.ids.items():
        if any(d == "branch_code" for d, _ in pairs):
            pattern = tuple((d, OUTLET if d == "branch_code" else v) for d, v in pairs)
            if (uni, by, pattern) in wanted:
                out.add(cid)
    return out


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
