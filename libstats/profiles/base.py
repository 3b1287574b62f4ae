"""What a source profile is: every column an export format may carry, with its role.

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
    # The service domains (docs/services.md): a person's columns are classified ``drop``.
    "computers": {"start_ts": "generalize:hour", "end_ts": "generalize:hour", "client": "keep",
                  "location": "keep", "minutes": "keep", "status": "keep"},
    "web": {"day": "keep", "visits": "keep"},
    "programs": {"day": "keep", "branch": "keep", "audience": "keep", "format": "keep",
                 "attendance": "keep", "location": "keep", "event_id": "keep"},
    # Registrations feed the attendance of their events; the registrant's columns (email,
    # name) are dropped and only tell duplicate registrations apart inside the run.
    "program_registrations": {"event_id": "keep", "status": "keep", "attended": "keep",
                              "email": "drop", "first_name": "drop", "last_name": "drop"},
    "room_bookings": {"day": "keep", "branch": "keep"},
    "ill": {"day": "generalize:day", "direction": "keep", "filled": "keep", "branch": "keep"},
}
# Fields a source of that kind cannot do without.
REQUIRED_FIELDS = {
    "circulation": ("event_ts", "branch"),
    "patrons": ("patron_id",),
    "items": ("item_id",),
    "wifi": (),     # per format (libstats/profiles/wifi.py)
    "eresources": (),   # per format (libstats/profiles/eresources.py)
    "computers": ("start_ts",),
    "web": ("day", "visits"),
    "programs": ("day",),
    "program_registrations": ("event_id", "attended"),
    "room_bookings": ("day", "branch"),
    "ill": ("day",),
}
# Fields parsed as timestamps / dates.
TIMESTAMP_FIELDS = {"event_ts", "last_seen"}
DATE_FIELDS = {"birth_date", "enrolled", "expiry", "renewed"}

DEFAULT_TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S.%f",
                             "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
                             "%Y-%m-%d")
# Timestamps written with a UTC offset (ISO ``+02:00`` / ``+0200`` / ``Z``, psql's ``-04``), with
# or without fractional seconds. They are always recognised, whatever formats the config sets:
# the offset fixes the instant, which is then read as wall-clock time in the source's time zone
# (the configured one: the source's ``timezone``, else the library's), so the event's day is the
# library's local day (libstats/readers/staged.py parse_timestamp_sql).
OFFSET_TIMESTAMP_FORMATS = ("%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%z",
                            "%Y-%m-%d %H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S.%f%z",
                            "%Y-%m-%d %H:%M%z", "%Y-%m-%dT%H:%M%z")
OFFSET_SUFFIX_RE = r"[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]+)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
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
class CodeRule:
    """An event code an export writes in several columns, not one (Evergreen's renewal flags,
    Polaris's transaction type plus a detail subtype).

    ``when`` is a tuple of (column, values): the rule holds when every column's trimmed value
    is one of ``values`` (case-insensitive), or, with ``values`` None, is not empty. An empty
    ``when`` always holds. A profile's rules are tried in order; the first that holds gives the
    row's code, and when none does the code is the ``event_code`` column's value (NULL when
    the format has none). The code is then mapped by ``event_codes`` like any other.
    """

    code: str
    when: tuple[tuple[str, tuple[str, ...] | None], ...] = ()


TRUE_VALUES = ("t", "true", "1", "y", "yes")   # how psql/pgAdmin/CSV tools write a true BOOL


@dataclass(frozen=True)
class Profile:
    """An export format: every column it may carry, with role and the field it feeds."""

    name: str
    kind: str
    columns: dict[str, Column]
    event_codes: dict[str, str] = field(default_factory=dict)   # raw code -> event type
    timezone: str | None = None          # None: the library's local time
    description: str = ""
    code_rules: tuple[CodeRule, ...] = ()
    # Timestamp formats the vendor writes besides the ISO defaults (tried after them).
    timestamp_formats: tuple[str, ...] = ()
    # The vendor's tool writes .xlsx workbooks too (first sheet, header in row 1).
    xlsx: bool = False
    # Cell texts that mean "no value" in this format's exports besides the empty cell.
    null_values: tuple[str, ...] = ()


def drop(*names: str) -> dict[str, Column]:
    """Columns dropped as personal: their values are looked for by the exact-match scan."""
    return {n: Column("drop") for n in names}


def drop_non_personal(*names: str) -> dict[str, Column]:
    """Columns dropped that describe the catalogue or workflow, not a person."""
    return {n: Column("drop", identifier=False) for n in names}


GENERIC_FORMAT = "csv"
EVENT_TYPES = ("checkout", "renewal", "checkin", "in_library_use")


def log_format_columns(parsed) -> dict[str, "Column"]:
    """The columns of a log read with LogFormats (EZproxy, web server access logs): one per
    directive of every format in ``parsed``; the time is generalized to the hour, the status
    kept, everything else dropped (an identifier where the directive is personal)."""
    columns: dict[str, Column] = {}
    for fmt in parsed:
        for d in fmt.directives:
            if d.field == "time":
                columns[d.column] = Column("generalize:hour", "time")
            elif d.field == "status":
                columns[d.column] = Column("keep", "status")
            else:
                columns[d.column] = Column("drop", d.field, identifier=d.personal)
    return columns
