"""Compute a form's figures from a release's published tables, with their provenance.

Only published, non-withheld cells are read (normally the ``all`` total rows), so the report
adds no equation to the release: every figure is a published cell or a sum of published cells.
A cell a figure needs that is withheld stops the report (fail closed), naming the element,
the table and the cell's coordinates, never a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from libstats.errors import EXIT_CHECK_FAILED, LibstatsError
from reports.annual.definitions import SETTINGS, Definitions, Element, Layout

MISSING = -1          # PLS code for "missing"


class WithheldCellError(LibstatsError):
    """A cell a form figure needs is withheld by disclosure control (exit 1)."""

    exit_code = EXIT_CHECK_FAILED


@dataclass
class Figure:
    value: int | None
    status: str                       # "reported", "missing" or "withheld" (outlets only)
    reason: str | None = None
    sources: list[dict] = field(default_factory=list)    # table, where, value
    terms: list[str] = field(default_factory=list)       # formula elements
    estimated: bool = False     # from a table published with differential privacy (noisy)
    settings: list[dict] = field(default_factory=list)   # setting, branch_code, value

    def to_dict(self) -> dict:
        out = {"value": self.value, "status": self.status}
        if self.settings:
            out["settings"] = self.settings
        if self.estimated:
            out["estimate"] = "from a table published with differential privacy"
        if self.reason:
            out["reason"] = self.reason
        if self.sources:
            out["sources"] = self.sources
        if self.terms:
            out["formula"] = " + ".join(self.terms)
        return out


@dataclass
class ElementResult:
    element: Element
    item: str
    label: str
    ae: Figure | None
    outlets: dict[str, Figure]
    definitions: str = ""     # the PLS definitions of a state item the year's no longer have


def _coords(where: dict) -> str:
    return ", ".join(f"{k} = '{v}'" for k, v in where.items())


def _cell_figure(el: Element, outlet: str, frames: dict[str, pd.DataFrame],
                 fiscal_year: str, if_withheld: str = "stop",
                 noisy: frozenset = frozenset()) -> Figure:
    """The sum of the element's cells. A withheld cell stops the report for the
    administrative entity (the form needs it); an outlet figure is a breakdown beyond what
    the form requires, so it follows the release's suppression: withheld."""
    sources, total = [], 0
    for cell in el.cells:
        where = {"fiscal_year": fiscal_year, **cell.coordinates(outlet)}
        frame = frames.get(cell.table)
        if frame is None:
            return Figure(MISSING, "missing", f"the release has no table {cell.table} "
                                              "(no source for it is configured)")
        mask = pd.Series(True, index=frame.index)
        for col, v in where.items():
            mask &= frame[col].astype(str) == v
        rows = frame[mask]
        if len(rows) == 0:
            return Figure(MISSING, "missing", f"{cell.table} has no cell {_coords(where)} "
                                              "(the library's config does not produce it)")
        if len(rows) > 1:
            raise WithheldCellError(f"annual report, element {el.code}: {cell.table} has "
                                    f"{len(rows)} rows for {_coords(where)}; the release is "
                                    "not well-formed")
        row = rows.iloc[0]
        if (bool(row["suppressed"]) or pd.isna(row["value"])) and outlet != "all":
            return Figure(None, "withheld", "a cell it needs is withheld by disclosure "
                                            "control", sources=[{"table": cell.table,
                                                                 "where": where,
                                                                 "withheld": True}])
        if (bool(row["suppressed"]) or pd.isna(row["value"])) and if_withheld == "missing":
            return Figure(MISSING, "missing", f"a cell it needs ({cell.table}, "
                                              f"{_coords(where)}) is withheld by disclosure "
                                              "control", sources=[{"table": cell.table,
                                                                   "where": where,
                                                                   "withheld": True}])
        if bool(row["suppressed"]) or pd.isna(row["value"]):
            raise WithheldCellError(
                f"annual report, element {el.code}: the cell it needs in {cell.table} "
                f"({_coords(where)}) is withheld by disclosure control, so the figure cannot "
                "be published; nothing was written. Report it as missing (-1) with "
                "--if-withheld missing, or fill it in by hand on the form")
        value = int(row["value"])
        sources.append({"table": cell.table, "where": where, "value": value})
        total += value
    return Figure(total, "reported", sources=sources,
                  estimated=any(c.table in noisy for c in el.cells))


def _setting_figure(el: Element, outlet: str, settings: dict, outlets: list[str]) -> Figure:
    """An outlet's value of a per-outlet config setting; the administrative entity's is the
    sum over every outlet, and missing (-1) while any outlet is not listed."""
    values = settings.get(el.setting, {})
    name = SETTINGS[el.setting]
    wanted = outlets if outlet == "all" else [outlet]
    absent = [o for o in wanted if o not in values]
    if absent:
        return Figure(MISSING, "missing", f"{name} does not list {', '.join(absent)} in the "
                                          "library's config")
    return Figure(sum(values[o] for o in wanted), "reported",
                  settings=[{"setting": el.setting, "branch_code": o, "value": values[o]}
                            for o in wanted])


def _figure(el: Element, outlet: str, defs: Definitions, frames, fiscal_year: str,
            memo: dict, if_withheld: str, noisy: frozenset = frozenset(),
            settings: dict | None = None, outlets: tuple = ()) -> Figure:
    key = (el.code, outlet)
    if key in memo:
        return memo[key]
    if el.kind == "setting":
        fig = _setting_figure(el, outlet, settings or {}, list(outlets))
    elif el.kind == "missing":
        fig = Figure(MISSING, "missing", el.missing)
    elif el.kind == "cells":
        fig = _cell_figure(el, outlet, frames, fiscal_year, if_withheld, noisy)
    else:
        parts = [_figure(defs.elements[t], outlet, defs, frames, fiscal_year, memo,
                         if_withheld, noisy, settings, outlets)
                 for t in el.formula]
        gone = [t for t, p in zip(el.formula, parts) if p.status == "missing"]
        hidden = [t for t, p in zip(el.formula, parts) if p.status == "withheld"]
        if hidden and not gone:
            fig = Figure(None, "withheld", f"needs {', '.join(hidden)}, which is withheld",
                         terms=list(el.formula))
        elif gone:
            fig = Figure(MISSING, "missing", f"needs {', '.join(gone)}, which is missing",
                         terms=list(el.formula))
        else:
            fig = Figure(sum(p.value for p in parts), "reported", terms=list(el.formula),
                         estimated=any(p.estimated for p in parts))
    memo[key] = fig
    return fig


def compute(layout: Layout, defs: Definitions, frames: dict[str, pd.DataFrame],
            fiscal_year: str, outlets: list[str], if_withheld: str = "stop",
            noisy: frozenset = frozenset(),
            settings: dict | None = None) -> list[ElementResult]:
    """The figures of every item of ``layout`` that ``defs`` defines, in form order.

    ``noisy``: tables the release published with differential privacy; figures from them
    are estimates (flag ES).

    ``if_withheld``: what a withheld cell does to an administrative-entity figure: "stop"
    (the default: :class:`WithheldCellError`) or "missing" (-1, with the cell named).

    ``settings``: the config settings elements may name (``SETTINGS``), each a mapping of
    branch code -> value."""
    memo: dict = {}
    results = []
    for item in layout.items:
        el, borrowed = defs.elements.get(item.element), ""
        if el is None and item.borrowed is not None:
            # the state form still asks what the PLS dropped: its last PLS definition
            el, borrowed = item.borrowed, item.definition_from
        if el is None:
            continue            # not an element of this survey year
        ae = (_figure(el, "all", defs, frames, fiscal_year, memo, if_withheld, noisy,
                      settings, tuple(outlets))
              if "ae" in el.levels else None)
        per = ({o: _figure(el, o, defs, frames, fiscal_year, memo, if_withheld, noisy,
                           settings, tuple(outlets))
                for o in outlets}
               if "outlet" in el.levels else {})
        results.append(ElementResult(el, item.item, item.label or el.name, ae, per,
                                     borrowed))
    return results


def frames_from_release(folder, manifest: dict) -> dict[str, pd.DataFrame]:
    """The release's tables (Parquet), as published."""
    from libstats.schema import PUBLISHED_TABLES, as_published_frame
    out = {}
    for t in manifest["tables"]:
        spec = PUBLISHED_TABLES.get(t["name"])
        if spec is not None:
            out[t["name"]] = as_published_frame(
                pd.read_parquet(folder / "tables" / f"{t['name']}.parquet"), spec)
    return out
