"""How records are classified and counted: ``[audience]``, ``[material_types]``,
``[generalize]`` (age bands, postcode areas), ``[reading_history]``, ``[circulation]`` and
``[registered_users]``.

These settings decide which row of a published table an event or a patron falls in; the
tables' SQL (transforms/) reads them from the Config.
"""

from __future__ import annotations

import re

from libstats.config.model import DEFAULT_AGE_BANDS, AudienceRule
from libstats.config.reader import TableReader


def read_audience(root: TableReader) -> dict[str, AudienceRule]:
    """``[audience.children]`` and ``[audience.young_adult]`` (both always present, maybe
    empty); everything else is adult."""
    aud = root.sub("audience", {})
    out = {}
    for name in ("children", "young_adult"):
        r = aud.sub(name, {})
        out[name] = AudienceRule(item_types=r.str_list("item_types", ()),
                                 collection_codes=r.str_list("collection_codes", ()),
                                 locations=r.str_list("locations", ()))
        r.finish()
    aud.finish()
    return out


def read_materials(root: TableReader) -> dict[str, tuple[str, ...]]:
    """``[material_types]``: snake_case name = [item types], each item type under one name."""
    mat = root.get("material_types", dict, {}, what="a table of name = [item types]")
    out: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    r = TableReader(root.path, mat, "material_types")
    for name in mat:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise r.fail(name, "material type names must be lowercase snake_case")
        codes = r.str_list(name)
        for code in codes:
            if code in owner:
                raise r.fail(name, f"item type is already mapped to '{owner[code]}'")
            owner[code] = name
        out[name] = codes
    if "unclassified" in out:
        raise r.fail("unclassified", "is reserved for item types no material type lists")
    return out


def read_generalization(root: TableReader
                        ) -> tuple[tuple[int, ...], dict[str, str], str, int | None]:
    """``[generalize]``: the age bands' lower edges, and ``[generalize.area]``'s postcode
    prefix map, its catch-all area name and prefix length (3 when no map is given)."""
    gen = root.sub("generalize", {})
    bands = tuple(gen.get("age_bands", list, list(DEFAULT_AGE_BANDS), what="a list of integers"))
    if not bands or not all(isinstance(b, int) and not isinstance(b, bool) for b in bands) \
            or bands[0] != 0 or list(bands) != sorted(set(bands)):
        raise gen.fail("age_bands", "must be increasing integers starting at 0")
    area = gen.sub("area", {})
    prefixes = area.get("postcodes", dict, {}, what="a table of postcode prefix = area name")
    for k, v in prefixes.items():
        if not isinstance(v, str):
            raise area.fail(f"postcodes.{k}", "must be an area name (string)")
    default = area.get("other", str, "other")
    prefix_len = area.get("prefix_length", int, None)
    if prefix_len is not None and not 1 <= prefix_len <= 5:
        raise area.fail("prefix_length", "must be between 1 and 5")
    if not prefixes and prefix_len is None:
        prefix_len = 3
    area.finish()
    gen.finish()
    return bands, dict(prefixes), default, prefix_len


def read_reading_history(root: TableReader) -> tuple[str, ...]:
    """``[reading_history]``: the export values that mean a patron opted in to it."""
    rh = root.sub("reading_history", {})
    opt_in = rh.str_list("opt_in_values", ("0",))
    rh.finish()
    return opt_in


def read_circulation(root: TableReader) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``[circulation]``: the item types of items borrowed by interlibrary loan for our users
    (counted), and the patron categories that are other libraries (not counted)."""
    circ = root.sub("circulation", {})
    ill_types = circ.str_list("ill_item_types", ())
    ill_cats = circ.str_list("ill_lending_categories", ())
    circ.finish()
    return ill_types, ill_cats


def read_registered_users(root: TableReader) -> int:
    """``[registered_users]``: a patron active within this many years before the period end
    counts as a registered user (the PLS REGBOR window)."""
    reg = root.sub("registered_users", {})
    window = reg.get("active_within_years", int, 3)
    if window < 1:
        raise reg.fail("active_within_years", "must be at least 1")
    reg.finish()
    return window
