"""Load and validate a library's TOML configuration.

The loader is in libstats.config.model for the moment (moved there unchanged, so its history
follows the move); import from ``libstats.config`` itself, whose names stay the same.
"""

from __future__ import annotations

from libstats.config.model import (AUDIENCES, DEFAULT_AGE_BANDS, DEFAULT_MEMORY_LIMIT,
                                   DEFAULT_ROBOTS, HOST_RE, MAC_RE, ROLE_RE, AudienceRule,
                                   Branch, Config, DpSettings, EresourceDatabase,
                                   EresourceSettings, Source, WifiSettings, load_config,
                                   normalize_mac, valid_memory_limit)

__all__ = [
    "AUDIENCES", "DEFAULT_AGE_BANDS", "DEFAULT_MEMORY_LIMIT", "DEFAULT_ROBOTS", "HOST_RE",
    "MAC_RE", "ROLE_RE", "AudienceRule", "Branch", "Config", "DpSettings", "EresourceDatabase",
    "EresourceSettings", "Source", "WifiSettings", "load_config", "normalize_mac",
    "valid_memory_limit",
]
