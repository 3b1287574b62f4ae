"""Source profiles: a declared role for every column of every supported export format.

``base`` says what a profile is; ``circulation``, ``wifi`` and ``eresources`` hold one domain's
formats each; ``resolve`` applies a source's config to its format's profile.
"""

from libstats.profiles.base import (
                                    DATE_FIELDS,
                                    DEFAULT_DATE_FORMATS,
                                    DEFAULT_TIMESTAMP_FORMATS,
                                    EVENT_TYPES,
                                    FIELD_ROLES,
                                    GENERIC_FORMAT,
                                    REQUIRED_FIELDS,
                                    TIMESTAMP_FIELDS,
                                    Column,
                                    Profile,
)
from libstats.profiles.resolve import PROFILES, ResolvedProfile, resolve

__all__ = ["DATE_FIELDS", "DEFAULT_DATE_FORMATS", "DEFAULT_TIMESTAMP_FORMATS", "EVENT_TYPES",
           "FIELD_ROLES", "GENERIC_FORMAT", "PROFILES", "REQUIRED_FIELDS", "TIMESTAMP_FIELDS",
           "Column", "Profile", "ResolvedProfile", "resolve"]
