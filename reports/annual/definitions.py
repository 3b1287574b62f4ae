"""The annual report's data files: PLS element definitions by survey year, the survey-year
mapping and the state form layouts (``reports/forms/``).

Everything about *which* figures a form holds and *how* each is computed from the published
tables is data; this module only reads and validates it. A mistake in a data file is a
:class:`ConfigError` naming the file and the key.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from libstats.errors import ConfigError
from libstats.schema import PUBLISHED_TABLES

OUTLET = "{outlet}"
LEVELS = ("ae", "outlet")
METHODS = ("CT", "ES")
FORMS = ("pls", "ct", "mo")
_CODE = re.compile(r"[A-Z][A-Z0-9_]*")
#: Config settings an element may take its figure from (``setting = "..."``): facts about
#: the library that no export holds (a count of machines, not of people or their use).
SETTINGS = {"computers.public_terminals": "[computers] public_terminals"}


@dataclass(frozen=True)
class Cell:
    """One published cell: a table and a value for every key column but fiscal_year."""

    table: str
    where: tuple[tuple[str, str], ...]

    def coordinates(self, outlet: str) -> dict[str, str]:
        return {c: (outlet if v == OUTLET else v) for c, v in self.where}


@dataclass(frozen=True)
class Element:
    code: str
    number: str
    name: str
    definition: str
    levels: tuple[str, ...]
    method: str | None = None
    cells: tuple[Cell, ...] = ()
    formula: tuple[str, ...] = ()
    missing: str | None = None
    note: str | None = None
    setting: str | None = None       # a per-outlet config setting (SETTINGS)

    @property
    def kind(self) -> str:
        if self.setting:
            return "setting"
        return "cells" if self.cells else "formula" if self.formula else "missing"


@dataclass(frozen=True)
class Definitions:
    version: str
    survey_year: str
    title: str
    source: str
    elements: dict[str, Element]
    path: str
    sha256: str


@dataclass(frozen=True)
class Item:
    item: str           # the state's own question number; "" when none was verified
    element: str
    label: str | None
    # A state item the PLS dropped but the state form still asks: the element as the PLS
    # definitions named here defined it, used when the fiscal year's definitions lack it.
    definition_from: str = ""
    borrowed: Element | None = None


@dataclass(frozen=True)
class Layout:
    form: str
    title: str
    authority: str
    sheet: str
    items: tuple[Item, ...]
    path: str
    sha256: str
    # The published question list the item numbers come from (document and year); a layout
    # without one shows no item numbers, only the PLS element codes.
    numbers_source: str = ""


def _data_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "forms"


def _load(path: Path) -> tuple[dict, str]:
    try:
        raw = path.read_bytes()
        return tomllib.loads(raw.decode("utf-8")), hashlib.sha256(raw).hexdigest()
    except FileNotFoundError:
        raise ConfigError(path, None, "file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        # TOML errors name line and column, not values
        raise ConfigError(path, None, f"not valid TOML ({exc})") from None


def _need(d: dict, key: str, path: Path, where: str, typ=str):
    if key not in d:
        raise ConfigError(path, f"{where}.{key}", "is required")
    if not isinstance(d[key], typ):
        raise ConfigError(path, f"{where}.{key}", f"must be a {typ.__name__}")
    return d[key]


def _unknown(d: dict, allowed: set, path: Path, where: str) -> None:
    for k in d:
        if k not in allowed:
            raise ConfigError(path, f"{where}.{k}", "unknown key")


def _cell(entry, path: Path, where: str) -> Cell:
    if not isinstance(entry, dict):
        raise ConfigError(path, where, "must be a table { table = ..., where = {...} }")
    _unknown(entry, {"table", "where"}, path, where)
    table = _need(entry, "table", path, where)
    spec = PUBLISHED_TABLES.get(table)
    if spec is None:
        raise ConfigError(path, f"{where}.table", f"'{table}' is not a published table")
    cond = _need(entry, "where", path, where, dict)
    keys = [c for c in spec.key if c != "fiscal_year"]
    for c in cond:
        if c not in keys:
            raise ConfigError(path, f"{where}.where.{c}", f"not a key column of {table}")
        if not isinstance(cond[c], str):
            raise ConfigError(path, f"{where}.where.{c}", "must be a string")
    absent = [c for c in keys if c not in cond]
    if absent:
        raise ConfigError(path, f"{where}.where", "must fix every key column (one cell); "
                          f"missing: {', '.join(absent)}")
    return Cell(table, tuple((c, cond[c]) for c in keys))


def _element(e: dict, i: int, path: Path) -> Element:
    where = f"elements[{i}]"
    _unknown(e, {"code", "number", "name", "definition", "levels", "method", "cells",
                 "formula", "missing", "note", "setting"}, path, where)
    code = _need(e, "code", path, where)
    if not _CODE.fullmatch(code):
        raise ConfigError(path, f"{where}.code", "must be an upper-case PLS element code")
    levels = tuple(_need(e, "levels", path, where, list))
    if not levels or any(lv not in LEVELS for lv in levels):
        raise ConfigError(path, f"{where}.levels", "must list 'ae' and/or 'outlet'")
    kinds = [k for k in ("cells", "formula", "missing", "setting") if k in e]
    if len(kinds) != 1:
        raise ConfigError(path, where, "needs exactly one of cells, formula, missing, "
                                       "setting")
    setting = e.get("setting")
    if "setting" in e and setting not in SETTINGS:
        raise ConfigError(path, f"{where}.setting",
                          f"must be one of {', '.join(sorted(SETTINGS))}")
    method = e.get("method")
    if kinds[0] != "missing" and method not in METHODS:
        raise ConfigError(path, f"{where}.method", "must be 'CT' (count) or 'ES' (estimate)")
    cells = tuple(_cell(c, path, f"{where}.cells[{j}]")
                  for j, c in enumerate(e.get("cells", [])))
    if "cells" in e and not cells:
        raise ConfigError(path, f"{where}.cells", "must list at least one cell")
    formula: tuple[str, ...] = ()
    if "formula" in e:
        text = _need(e, "formula", path, where)
        formula = tuple(t.strip() for t in text.split("+"))
        if not all(_CODE.fullmatch(t) for t in formula):
            raise ConfigError(path, f"{where}.formula", "must be element codes joined by '+'")
    missing = e.get("missing")
    if "missing" in e and not (isinstance(missing, str) and missing.strip()):
        raise ConfigError(path, f"{where}.missing", "must say why there is no source")
    return Element(code=code, number=str(_need(e, "number", path, where)),
                   name=_need(e, "name", path, where),
                   definition=_need(e, "definition", path, where), levels=levels,
                   method=method if kinds[0] != "missing" else None, cells=cells,
                   formula=formula, missing=missing, note=e.get("note"), setting=setting)


def load_definitions(version: str, folder: Path | None = None) -> Definitions:
    path = (folder or _data_dir()) / "definitions" / f"{version}.toml"
    data, digest = _load(path)
    _unknown(data, {"version", "survey_year", "title", "source", "elements"}, path, "")
    if data.get("version") != version:
        raise ConfigError(path, "version", f"must be '{version}' (the file's name)")
    elements: dict[str, Element] = {}
    for i, e in enumerate(_need(data, "elements", path, "", list)):
        el = _element(e, i, path)
        if el.code in elements:
            raise ConfigError(path, f"elements[{i}].code", f"'{el.code}' is defined twice")
        elements[el.code] = el
    for i, el in enumerate(elements.values()):
        for term in el.formula:
            if term not in elements:
                raise ConfigError(path, f"elements[{i}].formula",
                                  f"'{term}' is not an element of {version}")
            if _reaches(elements, term, el.code):
                raise ConfigError(path, f"elements[{i}].formula",
                                  "refers to itself, directly or through other elements")
            if not set(el.levels) <= set(elements[term].levels):
                raise ConfigError(path, f"elements[{i}].levels",
                                  f"'{term}' is not computed at every level of {el.code}")
    return Definitions(version=version, survey_year=_need(data, "survey_year", path, ""),
                       title=_need(data, "title", path, ""),
                       source=_need(data, "source", path, ""), elements=elements,
                       path=f"reports/forms/definitions/{version}.toml", sha256=digest)


def definitions_for(fiscal_year: int, folder: Path | None = None) -> tuple[Definitions, dict]:
    """The definitions that apply to a fiscal year (``survey_years.toml``), and the range
    that chose them (for the manifest)."""
    path = (folder or _data_dir()) / "survey_years.toml"
    data, digest = _load(path)
    for i, r in enumerate(_need(data, "ranges", path, "", list)):
        _unknown(r, {"first", "last", "definitions"}, path, f"ranges[{i}]")
        first = _need(r, "first", path, f"ranges[{i}]", int)
        last = r.get("last")
        if first <= fiscal_year and (last is None or fiscal_year <= last):
            chosen = {"file": "reports/forms/survey_years.toml", "sha256": digest,
                      "first": first, "last": last}
            return load_definitions(_need(r, "definitions", path, f"ranges[{i}]"),
                                    folder), chosen
    raise ConfigError(path, "ranges", f"no PLS definitions apply to FY{fiscal_year}")


def load_layout(form: str, folder: Path | None = None) -> Layout:
    if form not in FORMS and not re.fullmatch(r"[a-z][a-z0-9_]*", form):
        raise ConfigError("--form", None, "must be a form name like pls, ct or mo")
    path = (folder or _data_dir()) / "layouts" / f"{form}.toml"
    if not path.is_file():
        raise ConfigError("--form", None, f"no layout file for form '{form}' "
                          f"(reports/forms/layouts/{form}.toml)")
    data, digest = _load(path)
    _unknown(data, {"form", "title", "authority", "sheet", "items", "numbers_source"}, path, "")
    if data.get("form") != form:
        raise ConfigError(path, "form", f"must be '{form}' (the file's name)")
    numbers_source = str(data.get("numbers_source", "")).strip()
    items = []
    for i, it in enumerate(_need(data, "items", path, "", list)):
        _unknown(it, {"item", "element", "label", "definition_from"}, path, f"items[{i}]")
        number = str(it.get("item", "")).strip()
        if number and not numbers_source:
            # Never a number that looks official and is not.
            raise ConfigError(path, f"items[{i}].item",
                              "an item number needs 'numbers_source' naming the published "
                              "question list it comes from (document and year); without "
                              "one, leave 'item' out and the PLS element code is shown alone")
        code = _need(it, "element", path, f"items[{i}]")
        source = str(it.get("definition_from", "")).strip()
        borrowed = None
        if source:
            if source not in all_versions(folder):
                raise ConfigError(path, f"items[{i}].definition_from",
                                  f"must name PLS definitions ({', '.join(all_versions(folder))})")
            borrowed = load_definitions(source, folder).elements.get(code)
            if borrowed is None or borrowed.kind == "formula":
                raise ConfigError(path, f"items[{i}].definition_from",
                                  f"{source} must define {code} from published cells or a "
                                  "setting (a formula's terms belong to its own year)")
        items.append(Item(number, code, it.get("label"), source, borrowed))
    codes = [it.element for it in items]
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ConfigError(path, "items", f"element(s) listed twice: {', '.join(dup)}")
    return Layout(form=form, title=_need(data, "title", path, ""),
                  authority=_need(data, "authority", path, ""),
                  sheet=_need(data, "sheet", path, "")[:31], items=tuple(items),
                  path=f"reports/forms/layouts/{form}.toml", sha256=digest,
                  numbers_source=numbers_source)


def all_versions(folder: Path | None = None) -> list[str]:
    return sorted(p.stem for p in ((folder or _data_dir()) / "definitions").glob("*.toml"))


def _reaches(elements: dict, start: str, target: str) -> bool:
    """Whether ``start``'s formula leads, through any chain of formulas, to ``target``."""
    todo, seen = [start], set()
    while todo:
        code = todo.pop()
        if code == target:
            return True
        if code in seen or code not in elements:
            continue
        seen.add(code)
        todo.extend(elements[code].formula)
    return False
