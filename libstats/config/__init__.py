"""Load and validate a library's TOML configuration.

One file per library. Every problem raises ConfigError naming the file and the dotted key, so a
user can fix it without reading code. Unknown keys are errors too (a typo must not silently turn
a rule off). Paths in the file are relative to the file's folder.

See README.md, "Configuration reference", for every key.

The package's modules, each importing only those before it (and libstats.errors and
libstats.schema, nothing from transforms/, pipelines/, expectations/ or reports/):

- model: the Config dataclasses and their defaults;
- reader: the TOML table reader and the shared value checks;
- library, sources, privacy, categories, wifi, eresources, run: one parser per group of
  sections;
- load: load_config, which reads the file and calls them in order.

Import from ``libstats.config`` itself; the module layout is not part of the interface.
"""

from __future__ import annotations

from libstats.config.load import load_config
from libstats.config.model import (
                                   AUDIENCES,
                                   DEFAULT_AGE_BANDS,
                                   DEFAULT_MEMORY_LIMIT,
                                   DEFAULT_ROBOTS,
                                   HOST_RE,
                                   MAC_RE,
                                   AudienceRule,
                                   Branch,
                                   Config,
                                   DpSettings,
                                   EresourceDatabase,
                                   EresourceSettings,
                                   Source,
                                   WifiSettings,
                                   normalize_mac,
)
from libstats.config.reader import valid_memory_limit
from libstats.config.sources import ROLE_RE

__all__ = [
    "AUDIENCES", "DEFAULT_AGE_BANDS", "DEFAULT_MEMORY_LIMIT", "DEFAULT_ROBOTS", "HOST_RE",
    "MAC_RE", "ROLE_RE", "AudienceRule", "Branch", "Config", "DpSettings", "EresourceDatabase",
    "EresourceSettings", "Source", "WifiSettings", "load_config", "normalize_mac",
    "valid_memory_limit",
]
