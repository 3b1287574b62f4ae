"""load_config: read a library's TOML file and build its Config, section by section.

The sections are read in a fixed order (the first problem found is the one reported), and the
top-level table is finished last, so a misspelt section name is reported as an unknown setting.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from libstats.config.categories import (
    read_audience,
    read_circulation,
    read_generalization,
    read_materials,
    read_reading_history,
    read_registered_users,
)
from libstats.config.eresources import read_eresources
from libstats.config.library import read_branches, read_library
from libstats.config.lifecycle import read_lifecycle
from libstats.config.model import Config
from libstats.config.output import read_engine, read_output, read_release
from libstats.config.privacy import (
    read_k_anonymity,
    read_minors,
    read_key,
    read_leak_scan,
    read_suppression,
    read_table_privacy,
)
from libstats.config.reader import TableReader
from libstats.config.sources import read_sources
from libstats.config.services import read_computers, read_programs
from libstats.config.wifi import read_wifi
from libstats.errors import ConfigError


def load_config(path: Path | str) -> Config:
    """Read and validate a library configuration file."""
    path = Path(path).resolve()
    root = TableReader(path, read_toml(path), "")
    name, slug, fy_start, tz = read_library(root)
    branches = read_branches(root)
    key_env, key_file = read_key(root)
    threshold, interval = read_suppression(root)
    k, qis, activity_dates = read_k_anonymity(root)
    minors = read_minors(root, k, threshold)
    dp_tables, dp_budget = read_table_privacy(root)
    output_dir, zone_group, lock_wait = read_output(root)
    require_approval = read_release(root)
    audience = read_audience(root)
    materials = read_materials(root)
    age_bands, area_map, area_default, area_prefix = read_generalization(root)
    opt_in = read_reading_history(root)
    ill_types, ill_cats = read_circulation(root)
    window = read_registered_users(root)
    min_whole, min_sub, exempt = read_leak_scan(root)
    memory_limit, threads = read_engine(root)
    wifi = read_wifi(root, branches)
    eresources = read_eresources(root)
    computers, programs = read_computers(root, branches), read_programs(root)
    sources = read_sources(root, tz)
    lifecycle = read_lifecycle(root, tuple(s.name for s in sources), output_dir)
    root.finish()
    return Config(
        path=path, library_name=name, library_slug=slug, fiscal_year_start=fy_start,
        timezone=tz, branches=branches, sources=sources, key_env=key_env, key_file=key_file,
        threshold=threshold, protection_interval=interval, output_dir=output_dir,
        audience=audience, material_types=materials,
        age_bands=age_bands, area_map=area_map, area_default=area_default,
        area_prefix_length=area_prefix, reading_history_opt_in=opt_in, ill_item_types=ill_types,
        ill_lending_categories=ill_cats, registered_window_years=window,
        min_whole_length=min_whole, min_substring_length=min_sub, leak_scan_exempt=exempt,
        memory_limit=memory_limit, threads=threads, wifi=wifi, eresources=eresources,
        computers=computers, programs=programs, require_approval=require_approval,
        k_anonymity=k, quasi_identifiers=qis, activity_dates=activity_dates,
        minors_age=minors[0], minors_k=minors[1], minors_threshold=minors[2],
        minors_categories=minors[3], dp_tables=dp_tables, dp_budget=dp_budget,
        lifecycle=lifecycle, zone_group=zone_group, lock_wait_s=lock_wait)


def read_toml(path: Path) -> dict:
    """The parsed TOML of the file at `path` (absolute), or a ConfigError saying why not."""
    if not path.is_file():
        raise ConfigError(path, None, "file not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(path, None, "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message names line and column only, never the offending text.
        raise ConfigError(path, None, f"is not valid TOML ({exc})") from None
