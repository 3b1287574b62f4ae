"""Source profiles: a declared role for every column of every supported export format.

Roles (deny by default):

- ``drop``: direct identifier or free text; never leaves the raw zone (its distinct values feed
  the exact-match leak scan).
- ``token`` / ``token:<domain>``: replaced by a keyed HMAC-SHA-256 pseudonym; values of the same
  domain link (``koha_patron`` in statistics and in borrowers), different domains never do.
- ``generalize:<rule>``: coarsened (``day``: timestamp to day; ``month``: date to month;
  ``age_band``: birth date to age band; ``area``: postcode to a configured area).
- ``keep``: non-identifying code (branch, item type, status) copied as is.

A column an export carries but its profile does not know stops the run. The config may make any
role stricter (anything may become ``drop``) but never looser, and it may classify extra columns
only as ``drop``: the format has nowhere to put anything else. The ``csv`` format knows no columns:
every column's role, and which column feeds which field, come from the config.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from libstats.config import Source
from libstats.errors import ConfigError

# Fields each source kind can feed, with the role a column feeding it must have.
FIELD_ROLES = {
    "circulation": {
        "event_ts": "generalize:day", "event_code": "keep", "branch": "keep",
        "patron_id": "token", "item_id": "token", "item_type": "keep",
        "collection_code": "keep", "location": "keep", "patron_category": "keep",
    },
    "patrons": {
        "patron_id": "token", "birth_date": "generalize:age_band", "postcode": "generalize:area",
        "home_branch": "keep", "patron_category": "keep", "enrolled": "generalize:month",
        "expiry": "generalize:month", "renewed": "generalize:month",
        "last_seen": "generalize:month", "privacy": "keep", "anonymized": "keep",
    },
    "items": {
        "item_id": "token", "item_type": "keep", "collection_code": "keep", "location": "keep",
        "home_branch": "keep",
    },
}
# Fields a source of that kind cannot do without.
REQUIRED_FIELDS = {
    "circulation": ("event_ts", "branch"),
    "patrons": ("patron_id",),
    "items": ("item_id",),
    "wifi": (),     # per format (transforms/profiles_wifi.py)
    "eresources": (),   # per format (transforms/profiles_eresources.py)
}
# Fields parsed as timestamps / dates.
TIMESTAMP_FIELDS = {"event_ts", "last_seen"}
DATE_FIELDS = {"birth_date", "enrolled", "expiry", "renewed"}

DEFAULT_TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                             "%Y-%m-%d")
DEFAULT_DATE_FORMATS = ("%Y-%m-%d",)


@dataclass(frozen=True)
class Column:
    """One column of a format.

    ``identifier`` is False for dropped columns that describe the library's catalogue or
    workflow rather than a person (call numbers, prices, item status codes): they never leave
    the raw zone, but they are not raw identifiers, so the exact-match scan does not look for
    their values (a call number "HOTSPOT" equalling an item type is not a leak).
    """

    role: str
    field: str | None = None
    required: bool = False    # the export must carry it
    identifier: bool = True
    allowed: tuple[str, ...] = ()   # looser roles the config may choose for this column


@dataclass(frozen=True)
class Profile:
    """An export format: every column it may carry, with role and the field it feeds."""

    name: str
    kind: str
    columns: dict[str, Column]
    event_codes: dict[str, str] = field(default_factory=dict)   # raw code -> event type
    timezone: str | None = None          # None: the library's local time
    description: str = ""


def _drop(*names: str) -> dict[str, Column]:
    return {n: Column("drop") for n in names}


def _drop_non_personal(*names: str) -> dict[str, Column]:
    return {n: Column("drop", identifier=False) for n in names}


KOHA_STATISTICS = Profile(
    name="koha_statistics", kind="circulation",
    description="Koha `statistics` table (report export), one row per transaction",
    columns={
        "datetime": Column("generalize:day", "event_ts", required=True),
        "branch": Column("keep", "branch", required=True),
        "type": Column("keep", "event_code", required=True),
        "borrowernumber": Column("token:koha_patron", "patron_id", required=True),
        # Items are not people, but item + day can be looked up in the ILS: by default the
        # item id is used in the run only (to fill codes from the items export) and dropped.
        # A library that wants per-copy analysis may choose "token:koha_item".
        "itemnumber": Column("drop", "item_id", allowed=("token:koha_item",)),
        "itemtype": Column("keep", "item_type"),
        "location": Column("keep", "location"),
        "ccode": Column("keep", "collection_code"),
        "categorycode": Column("keep", "patron_category"),
        **_drop("other", "proccode", "usercode", "associatedborrower"),
        **_drop_non_personal("value", "interface"),
    },
    event_codes={"issue": "checkout", "onsite_checkout": "checkout", "renew": "renewal",
                 "return": "checkin", "localuse": "in_library_use"},
)

KOHA_BORROWERS = Profile(
    name="koha_borrowers", kind="patrons",
    description="Koha `borrowers` table (patron master)",
    columns={
        "borrowernumber": Column("token:koha_patron", "patron_id", required=True),
        "dateofbirth": Column("generalize:age_band", "birth_date"),
        "zipcode": Column("generalize:area", "postcode"),
        "branchcode": Column("keep", "home_branch", required=True),
        "categorycode": Column("keep", "patron_category", required=True),
        "dateenrolled": Column("generalize:month", "enrolled", required=True),
        "dateexpiry": Column("generalize:month", "expiry"),
        "date_renewed": Column("generalize:month", "renewed"),
        "lastseen": Column("generalize:month", "last_seen"),
        "privacy": Column("keep", "privacy"),
        "anonymized": Column("keep", "anonymized"),
        **_drop(
            "cardnumber", "surname", "firstname", "middle_name", "title", "othernames",
            "initials", "pronouns", "streetnumber", "streettype", "address", "address2", "city",
            "state", "country", "email", "phone", "mobile", "fax", "emailpro", "phonepro",
            "B_streetnumber", "B_streettype", "B_address", "B_address2", "B_city", "B_state",
            "B_zipcode", "B_country", "B_email", "B_phone", "password_expiration_date",
            "gonenoaddress", "lost", "debarred", "debarredcomment", "contactname",
            "contactfirstname", "contacttitle", "borrowernotes", "relationship", "sex",
            "password", "secret", "auth_method", "flags", "userid", "opacnote", "contactnote",
            "sort1", "sort2", "altcontactfirstname", "altcontactsurname", "altcontactaddress1",
            "altcontactaddress2", "altcontactaddress3", "altcontactstate", "altcontactzipcode",
            "altcontactcountry", "altcontactphone", "smsalertnumber", "sms_provider_id",
            "privacy_guarantor_fines", "privacy_guarantor_checkouts", "checkprevcheckout",
            "updated_on", "lang", "login_attempts", "overdrive_auth_token",
            "autorenew_checkouts", "primary_contact_method"),
    },
)

KOHA_ITEMS = Profile(
    name="koha_items", kind="items",
    description="Koha `items` table (one row per copy)",
    columns={
        "itemnumber": Column("drop", "item_id", required=True, allowed=("token:koha_item",)),
        "itype": Column("keep", "item_type"),
        "ccode": Column("keep", "collection_code"),
        "location": Column("keep", "location"),
        "homebranch": Column("keep", "home_branch"),
        **_drop("barcode", "itemnotes", "itemnotes_nonpublic", "more_subfields_xml", "uri"),
        **_drop_non_personal(
            "biblionumber", "biblioitemnumber", "bookable", "dateaccessioned",
            "booksellerid", "holdingbranch", "price", "replacementprice",
            "replacementpricedate", "datelastborrowed", "datelastseen", "stack", "notforloan",
            "damaged", "damaged_on", "itemlost", "itemlost_on", "withdrawn", "withdrawn_on",
            "itemcallnumber", "coded_location_qualifier", "issues", "renewals", "reserves",
            "restricted", "timestamp", "deleted_on", "permanent_location", "onloan",
            "cn_source", "cn_sort", "materials", "enumchron", "copynumber", "stocknumber",
            "new_status", "exclude_from_local_holds_priority"),
    },
)

SIERRA_CIRC_TRANS = Profile(
    name="sierra_circ_trans", kind="circulation", timezone="UTC",
    description="Innovative Sierra `sierra_view.circ_trans` export (timestamps in GMT)",
    columns={
        "transaction_gmt": Column("generalize:day", "event_ts", required=True),
        "op_code": Column("keep", "event_code", required=True),
        "stat_group_code_num": Column("keep", "branch", required=True),
        "patron_record_id": Column("token:sierra_patron", "patron_id"),
        "item_record_id": Column("drop", "item_id", allowed=("token:sierra_item",)),
        "itype_code_num": Column("keep", "item_type"),
        "item_location_code": Column("keep", "location"),
        "ptype_code": Column("keep", "patron_category"),
        **_drop("id", "patron_home_library_code", "pcode1", "pcode2", "pcode3", "pcode4",
                "postal_code", "patron_agency_code_num"),
        **_drop_non_personal("application_name", "source_code", "volume_record_id",
                             "bib_record_id", "due_date_gmt", "count_type_code_num",
                             "loanrule_code_num"),
    },
    event_codes={"o": "checkout", "r": "renewal", "i": "checkin", "u": "in_library_use"},
)

PROFILES: dict[str, Profile] = {p.name: p for p in
                                [KOHA_STATISTICS, KOHA_BORROWERS, KOHA_ITEMS, SIERRA_CIRC_TRANS]}
# Wi-Fi formats live in their own module (it imports Column and Profile from here).
from transforms.profiles_wifi import WIFI_PROFILES  # noqa: E402

PROFILES.update(WIFI_PROFILES)
from transforms.profiles_eresources import (ERESOURCE_PROFILES, EZPROXY_FORMATS,  # noqa: E402
                                            ezproxy_profile)
PROFILES.update(ERESOURCE_PROFILES)
GENERIC_FORMAT = "csv"
EVENT_TYPES = ("checkout", "renewal", "checkin", "in_library_use")


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
        from transforms.logformat import LogFormatError
        try:
            profile, _ = ezproxy_profile(source.format, source.log_format)
        except LogFormatError as exc:
            raise ConfigError(config_path, f"{key}.log_format", str(exc)) from None
    elif source.log_format:
        raise ConfigError(config_path, f"{key}.log_format", "is only used by EZproxy formats")
    if profile is None:
        known = ", ".join(sorted([*PROFILES, *EZPROXY_FORMATS, GENERIC_FORMAT]))
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
