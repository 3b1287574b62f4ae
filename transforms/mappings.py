"""Lookup tables built from the config: branches, event codes, material types, audiences,
areas. Each function returns the SQL of the table it is named after."""

from __future__ import annotations

from libstats.config import Config
from transforms.profiles import ResolvedProfile
from transforms.sqlutil import values_table


def map_branch(config: Config) -> str:
    """alias -> branch code (every code is its own alias)."""
    rows = sorted(config.branch_for_alias().items())
    return f"SELECT * FROM {values_table(rows, ['alias', 'branch_code'])}"


def map_event(resolved: list[ResolvedProfile]) -> str:
    """(source, raw code) -> event type; a source whose event codes are not mapped in the
    config (generic csv without ``event_code``) counts every row as a checkout."""
    rows = []
    for r in resolved:
        if r.profile.kind != "circulation":
            continue
        codes = r.event_codes or ({"*": "checkout"} if "event_code" not in r.fields else {})
        rows += [(r.source.name, code, ev) for code, ev in sorted(codes.items())]
    return f"SELECT * FROM {values_table(rows, ['source', 'code', 'event_type'])}"


def map_material(config: Config) -> str:
    rows = sorted((code, name) for name, codes in config.material_types.items()
                  for code in codes)
    return f"SELECT * FROM {values_table(rows, ['item_type', 'material_type'])}"


def map_audience(config: Config) -> str:
    rows = []
    for audience, rule in sorted(config.audience.items()):
        rows += [("item_type", c, audience) for c in rule.item_types]
        rows += [("collection_code", c, audience) for c in rule.collection_codes]
        rows += [("location", c, audience) for c in rule.locations]
    return f"SELECT * FROM {values_table(sorted(rows), ['field', 'code', 'audience'])}"


def map_area(config: Config) -> str:
    rows = sorted((prefix.upper(), area) for prefix, area in config.area_map.items())
    return f"SELECT * FROM {values_table(rows, ['prefix', 'area'])}"


def map_ill_category(config: Config) -> str:
    rows = [(c,) for c in sorted(config.ill_lending_categories)]
    return f"SELECT * FROM {values_table(rows, ['code'])}"


def material_type_names(config: Config) -> list[str]:
    """Material types in config order, plus 'unclassified' for unmapped item types."""
    return [*config.material_types, "unclassified"]
