"""A source's profile resolved against its config: the effective role of every column.

The config may make any role stricter (anything may become ``drop``) but never looser, and it
may classify extra columns only as ``drop``. The ``csv`` format knows no columns: every column's
role, and which column feeds which field, come from the config.
"""

from __future__ import annotations

from dataclasses import dataclass

from libstats.config import Source
from libstats.errors import ConfigError
from libstats.profiles.base import (
    EVENT_TYPES,
    FIELD_ROLES,
    GENERIC_FORMAT,
    REQUIRED_FIELDS,
    Column,
    Profile,
)
from libstats.profiles.circulation import CIRCULATION_PROFILES
from libstats.profiles.computers import COMPUTER_PROFILES
from libstats.profiles.eresources import ERESOURCE_PROFILES, EZPROXY_FORMATS, ezproxy_profile
from libstats.profiles.ill import ILL_PROFILES
from libstats.profiles.programs import PROGRAM_PROFILES
from libstats.profiles.web import ACCESS_LOG, WEB_PROFILES, access_log_profile
from libstats.profiles.wifi import WIFI_PROFILES
from libstats.readers.logformat import LogFormatError

#: Every fixed-column format by name (EZproxy profiles are built from the source's LogFormat).
PROFILES: dict[str, Profile] = {**CIRCULATION_PROFILES, **WIFI_PROFILES, **ERESOURCE_PROFILES,
                                **COMPUTER_PROFILES, **WEB_PROFILES, **PROGRAM_PROFILES,
                                **ILL_PROFILES}


def _stricter_or_equal(default: str, override: str) -> bool:
    if override == "drop" or override == default:
        return True
    # token:<domain> may be renamed to another domain (e.g. to link two exports).
    return default.startswith("token") and override.startswith("token")


@dataclass(frozen=True)
class ResolvedProfile:
    """A profile with the config's overrides applied: what a run does with each column."""

    source: Source
    profile: Profile
    roles: dict[str, str]                 # every known column -> effective role
    fields: dict[str, str]                # field -> column (only where the role lets it flow)
    event_codes: dict[str, str]

    def scanned(self, column: str) -> bool:
        """Whether the exact-match scan looks for this column's values in the outputs:
        every drop/token column that holds personal data, and every column the config
        classified that the profile does not know."""
        role = self.roles.get(column, "drop")
        if not (role == "drop" or role.startswith("token")):
            return False
        spec = self.profile.columns.get(column)
        if spec is None:
            return True
        return spec.identifier and (spec.role == "drop" or spec.role.startswith("token"))

    def tokenized(self, field_name: str) -> bool:
        """Whether the column feeding this field may be written as a token."""
        col = self.fields.get(field_name)
        return col is not None and self.roles.get(col, "drop").startswith("token")

    def token_domain(self, column: str) -> str:
        """The token domain of a column: from its role, else from the token role its profile
        allows (a dropped item id still joins items of the same domain), else its own."""
        role = self.roles[column]
        if not role.startswith("token"):
            spec = self.profile.columns.get(column)
            role = next((a for a in (spec.allowed if spec else ()) if a.startswith("token")),
                        role)
        if role.startswith("token:"):
            return role.split(":", 1)[1]
        return f"{self.source.name}_{column}"

    def written(self, field_name: str) -> bool:
        """Whether a kept field's values may be written to the pseudonymized zone."""
        col = self.fields.get(field_name)
        return col is not None and self.roles.get(col) != "drop"


def resolve(source: Source, config_path) -> ResolvedProfile:
    """Apply a source's config overrides to its format's profile, or fail naming the key."""
    key = f"sources[{source.name}]"
    if source.format == GENERIC_FORMAT:
        return _resolve_generic(source, config_path, key)
    profile = PROFILES.get(source.format)
    if source.format in EZPROXY_FORMATS:
        try:
            profile, _ = ezproxy_profile(source.format, source.log_format)
        except LogFormatError as exc:
            raise ConfigError(config_path, f"{key}.log_format", str(exc)) from None
    elif source.format == ACCESS_LOG:
        try:
            profile, _ = access_log_profile(source.log_format)
        except LogFormatError as exc:
            raise ConfigError(config_path, f"{key}.log_format", str(exc)) from None
    elif source.log_format:
        raise ConfigError(config_path, f"{key}.log_format",
                          "is only used by EZproxy formats and access_log")
    if profile is None:
        known = ", ".join(sorted([*PROFILES, *EZPROXY_FORMATS, ACCESS_LOG, GENERIC_FORMAT]))
        raise ConfigError(config_path, f"{key}.format", f"unknown format; known: {known}")
    if profile.kind != source.kind:
        raise ConfigError(config_path, f"{key}.kind",
                          f"format '{profile.name}' is a '{profile.kind}' source")
    if source.mapping:
        raise ConfigError(config_path, f"{key}.mapping",
                          "is only used by the generic 'csv' format")
    roles = {c: spec.role for c, spec in profile.columns.items()}
    for col, role in source.columns.items():
        spec = profile.columns.get(col)
        if spec is None:
            if role != "drop":
                raise ConfigError(config_path, f"{key}.columns.{col}",
                                  f"the '{profile.name}' format does not know this column, so "
                                  "it can only be classified as 'drop'")
        elif not (_stricter_or_equal(spec.role, role) or role in spec.allowed):
            raise ConfigError(config_path, f"{key}.columns.{col}",
                              f"the '{profile.name}' format cannot honour role '{role}' for "
                              f"this column (its role is '{spec.role}'; only 'drop' is "
                              "stricter)")
        elif spec.field in REQUIRED_FIELDS[profile.kind] and role == "drop":
            raise ConfigError(config_path, f"{key}.columns.{col}",
                              f"cannot be dropped: the '{profile.name}' format needs it")
        roles[col] = role
    # Fields are used inside the run whatever the role (a dropped item id still joins the
    # items export); the role decides only what may be written out.
    fields = {spec.field: col for col, spec in profile.columns.items() if spec.field}
    return ResolvedProfile(source, profile, roles, fields, dict(profile.event_codes))


def _resolve_generic(source: Source, config_path, key: str) -> ResolvedProfile:
    kind = source.kind
    if kind not in FIELD_ROLES:
        raise ConfigError(config_path, f"{key}.kind",
                          f"must be one of {', '.join(sorted(FIELD_ROLES))}")
    if not source.columns:
        raise ConfigError(config_path, f"{key}.columns",
                          "the generic 'csv' format needs a role for every column")
    allowed = FIELD_ROLES[kind]
    fields: dict[str, str] = {}
    event_codes: dict[str, str] = {}
    for fld, col in source.mapping.items():
        if fld == "event_codes":
            continue
        if fld not in allowed:
            raise ConfigError(config_path, f"{key}.mapping.{fld}",
                              f"is not a field of a '{kind}' source; known: "
                              f"{', '.join(sorted(allowed))}")
        if not isinstance(col, str) or col not in source.columns:
            raise ConfigError(config_path, f"{key}.mapping.{fld}",
                              "must name a column listed in 'columns'")
        role = source.columns[col]
        want = allowed[fld]
        if not (role == want or (want == "token" and role.startswith("token"))):
            raise ConfigError(config_path, f"{key}.columns.{col}",
                              f"feeds field '{fld}', which needs role '{want}'")
        fields[fld] = col
    codes = source.mapping.get("event_codes", {})
    if not isinstance(codes, dict):
        raise ConfigError(config_path, f"{key}.mapping.event_codes",
                          "must be a table of raw code = event type")
    for raw, ev in codes.items():
        if ev not in EVENT_TYPES:
            raise ConfigError(config_path, f"{key}.mapping.event_codes.{raw}",
                              f"must be one of {', '.join(EVENT_TYPES)}")
        event_codes[raw] = ev
    for fld in REQUIRED_FIELDS[kind]:
        if fld not in fields:
            raise ConfigError(config_path, f"{key}.mapping.{fld}",
                              f"is required for a '{kind}' source")
    for col, role in source.columns.items():
        if role != "drop" and col not in fields.values():
            raise ConfigError(config_path, f"{key}.columns.{col}",
                              f"role '{role}' needs a field: map it in 'mapping' or drop it")
    columns = {c: Column(r, None, required=c in fields.values())
               for c, r in source.columns.items()}
    profile = Profile(name=GENERIC_FORMAT, kind=kind, columns=columns,
                      timezone=source.timezone,
                      description="generic CSV; roles from the config")
    return ResolvedProfile(source, profile, dict(source.columns), fields, event_codes)
