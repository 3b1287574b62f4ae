"""Registry of the published tables: columns, types, grain and the legal clauses each rests on
(texts in :mod:`libstats.legal`);
the tables that may be published with differential privacy; the patron records' quasi-identifiers.

Each published table is described once here; the Great Expectations suites, the release writer and
the steward report are all derived from these specs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from libstats.legal import (
    CIRCULATION_BASIS,
    ECIRCULATION_BASIS,
    ERESOURCE_BASIS,
    NETWORK_BASIS,
    PROGRAMS_BASIS,
    REGISTRATION_BASIS,
)

# Logical column types used by the published tables, with the pandas dtype the release holds.
# The label of a dimension's total level: branch_code = "all" is the whole library, month =
# "all" the whole period, material_type = "all" every material type.
TOTAL = "all"

PANDAS_DTYPES = {"string": object, "int": "Int64", "bool": bool}

@dataclass(frozen=True)
class DrawnFrom:
    """A distinct count drawn from the transactions of another universe: every person or
    device a cell counts made at least one of those transactions in that cell's place and
    time, so the cells that count disjoint slices of them add up to at most the
    transactions (docs/disclosure.md §2).

    Attributes:
        universe: the universe of the transactions (a table name or ``TableSpec.universe``).
        by: the ``by`` values of that universe whose figures together are the transactions
            (checkouts and renewals).
        coarser: (this table's time dimension, that universe's): a day falls in the month of
            its first seven characters (``YYYY-MM``).

    Dimensions of the transactions not named here are taken at their total level; the
    others have the same name and values in both tables.
    """

    universe: str
    by: tuple[tuple[str, ...], ...] = ((),)
    coarser: tuple[tuple[str, str], ...] = ()

    def target(self, pairs: tuple) -> tuple:
        """The coordinates (non-total dimension, value) of the transactions a cell's people
        or devices are drawn from, and the key its disjoint slices share."""
        rename = dict(self.coarser)
        return tuple(sorted((rename[d], v[:7]) if d in rename else (d, v) for d, v in pairs))


@dataclass(frozen=True)
class TableSpec:
    """A published table.

    Attributes:
        name: table name (also the file stem in the release).
        grain: one sentence, "one row per ...".
        columns: (column name, logical type) in published order.
        key: the columns that identify a row.
        count_columns: count columns subject to small-cell suppression.
        legal_basis: short references (keys of :data:`LEGAL_CLAUSES`) of the clauses that
            cover the table: one of the ``*_BASIS`` families.
        by: key columns never totalled (a measure, a report family): each of their values is
            a table of its own for the totals and for disclosure control.
        distinct: the counts are distinct people or devices, so a total is the distinct count
            over its parts (at most their sum, at least each part), not their sum.
        universe: tables of one universe count the same things (the same Wi-Fi sessions), so
            their cells with the same coordinates are one figure (linked tables). Defaults
            to the table's own name.
        open_totals: the time and place dimensions of a table of transactions (loans,
            sessions, uses). A row with all of them at the total level is a whole-library,
            whole-period figure, the kind the state and PLS forms ask for: it counts
            transactions, not people, and is published whatever its size
            (docs/disclosure.md §3).
        drawn_from: for a distinct count, the transactions its people or devices are drawn
            from (:class:`DrawnFrom`): the cross-table relations "devices ≤ sessions",
            "active borrowers ≤ loans" of the audit are derived from it.

    Every key column other than ``fiscal_year`` and ``by`` is a dimension with a total level,
    :data:`TOTAL` (docs/disclosure.md).
    """

    name: str
    grain: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    count_columns: tuple[str, ...] = ("value",)
    legal_basis: tuple[str, ...] = CIRCULATION_BASIS
    by: tuple[str, ...] = ()
    distinct: bool = False
    universe: str | None = None
    open_totals: tuple[str, ...] = ()
    drawn_from: tuple[DrawnFrom, ...] = ()

    def open_rows(self, frame) -> "list[bool]":
        """Which rows are whole-library, whole-period figures (see ``open_totals``)."""
        if not self.open_totals:
            return [False] * len(frame)
        return frame[list(self.open_totals)].astype(str).eq(TOTAL).all(axis=1).tolist()

    @property
    def dims(self) -> tuple[str, ...]:
        """The dimensions with a total level: the key without fiscal_year and ``by``."""
        return tuple(c for c in self.key if c != "fiscal_year" and c not in self.by)

    @property
    def universe_name(self) -> str:
        return self.universe or self.name

    @property
    def column_names(self) -> list[str]:
        return [c for c, _ in self.columns]

    @property
    def string_columns(self) -> list[str]:
        return [c for c, t in self.columns if t == "string"]


def as_published_frame(frame, spec: "TableSpec"):
    """The frame with the pandas dtypes a published table holds (strings as object, counts as
    nullable Int64, flags as bool), in the spec's column order; what the GX suites expect."""
    return frame.astype({c: PANDAS_DTYPES[t] for c, t in spec.columns})[spec.column_names]


def _cols(*names_types: str) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(nt.split(":")) for nt in names_types)  # type: ignore[misc]


PUBLISHED_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in [
        TableSpec(
            name="pub_circulation__branch_month_material",
            grain="one row per fiscal year, month, branch, material type, audience and measure "
                  "(checkouts, renewals, in_library_uses)",
            columns=_cols("fiscal_year:string", "month:string", "branch_code:string",
                          "material_type:string", "audience:string", "measure:string",
                          "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "branch_code", "material_type", "audience", "measure"),
            by=("measure",),
            open_totals=('month', 'branch_code'),
        ),
        TableSpec(
            name="pub_active_borrowers__branch_month",
            grain="one row per fiscal year, month and branch: distinct patrons who checked out or "
                  "renewed at least one item there that month",
            columns=_cols("fiscal_year:string", "month:string", "branch_code:string",
                          "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "branch_code"),
            distinct=True,
            drawn_from=(DrawnFrom("pub_circulation__branch_month_material",
                                  by=(("checkouts",), ("renewals",))),),
        ),
        TableSpec(
            name="pub_registered_users__branch_age_category",
            grain="one row per fiscal year, home branch, age band and patron category: registered "
                  "users at fiscal-year end, active within the last three years (PLS REGBOR)",
            columns=_cols("fiscal_year:string", "branch_code:string", "age_band:string",
                          "patron_category:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "branch_code", "age_band", "patron_category"),
            legal_basis=REGISTRATION_BASIS,
        ),
        TableSpec(
            name="pub_new_registrations__month",
            grain="one row per fiscal year and month: patrons enrolled that month",
            columns=_cols("fiscal_year:string", "month:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "month"),
            legal_basis=REGISTRATION_BASIS,
        ),
        TableSpec(
            name="pub_wifi_sessions__branch_month",
            grain="one row per fiscal year, month and branch: Wi-Fi sessions (PLS WIFISESS: "
                  "one per connection, whatever its length; library devices excluded)",
            columns=_cols("fiscal_year:string", "month:string", "branch_code:string",
                          "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "branch_code"),
            universe="wifi_sessions",
            open_totals=('month', 'branch_code'),
            legal_basis=NETWORK_BASIS,
        ),
        TableSpec(
            name="pub_wifi_sessions__branch_weekday_hour",
            grain="one row per fiscal year, branch, weekday and hour of the day (branch local "
                  "time): Wi-Fi sessions started then, over the period",
            columns=_cols("fiscal_year:string", "branch_code:string", "weekday:string",
                          "hour:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "branch_code", "weekday", "hour"),
            universe="wifi_sessions",
            legal_basis=NETWORK_BASIS,
        ),
        TableSpec(
            name="pub_wifi_session_duration__branch_month",
            grain="one row per fiscal year, month, branch and duration band: Wi-Fi sessions "
                  "('unknown' when no end was logged)",
            columns=_cols("fiscal_year:string", "month:string", "branch_code:string",
                          "duration_band:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "branch_code", "duration_band"),
            universe="wifi_sessions",
            legal_basis=NETWORK_BASIS,
        ),
        TableSpec(
            name="pub_wifi_data_volume__branch_month",
            grain="one row per fiscal year, month, branch and data-volume band (bytes up and "
                  "down): Wi-Fi sessions",
            columns=_cols("fiscal_year:string", "month:string", "branch_code:string",
                          "volume_band:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "branch_code", "volume_band"),
            universe="wifi_sessions",
            legal_basis=NETWORK_BASIS,
        ),
        TableSpec(
            name="pub_wifi_devices__branch_day",
            grain="one row per fiscal year, day and branch: distinct Wi-Fi client devices (MAC "
                  "addresses, not people: phones use random, rotating addresses)",
            columns=_cols("fiscal_year:string", "day:string", "branch_code:string",
                          "value:int", "suppressed:bool"),
            key=("fiscal_year", "day", "branch_code"),
            distinct=True,
            legal_basis=NETWORK_BASIS,
            drawn_from=(DrawnFrom("wifi_sessions", coarser=(("day", "month"),)),),
        ),
        TableSpec(
            name="pub_eres_use__database_month",
            grain="one row per fiscal year, month, database and measure (EZproxy: sessions, "
                  "searches, full-content requests; COUNTER R5.1 session and double-click "
                  "rules, robots excluded; 'other' = hosts no database lists)",
            columns=_cols("fiscal_year:string", "month:string", "database:string",
                          "measure:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "database", "measure"),
            by=("measure",),
            open_totals=('month', 'database'),
            legal_basis=ERESOURCE_BASIS,
        ),
        TableSpec(
            name="pub_eres_spu__database_month",
            grain="one row per fiscal year, month and database: EZproxy starting-point URL "
                  "hits (LogSPU)",
            columns=_cols("fiscal_year:string", "month:string", "database:string",
                          "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "database"),
            open_totals=('month', 'database'),
            legal_basis=ERESOURCE_BASIS,
        ),
        TableSpec(
            name="pub_eres_counter__database_month",
            grain="one row per fiscal year, month, database, COUNTER report family (DR, PR, "
                  "TR) and measure (searches, investigations, requests) that the vendors' "
                  "reports cover",
            columns=_cols("fiscal_year:string", "month:string", "database:string",
                          "report:string", "measure:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "database", "report", "measure"),
            by=("report", "measure"),
            open_totals=('month', 'database'),
            legal_basis=ERESOURCE_BASIS,
        ),
        TableSpec(
            name="pub_ecirc_checkouts__vendor_format_month",
            grain="one row per fiscal year, month, vendor and format (ebook, eaudio, evideo, "
                  "eserial): e-circulation checkouts from vendor reports (PLS FY2024 "
                  "EBOOK_CIR, EAUDIO_CIR, EVIDEO_CIR, ESERIAL_CIR)",
            columns=_cols("fiscal_year:string", "month:string", "vendor:string",
                          "format:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "vendor", "format"),
            open_totals=('month', 'vendor'),
            legal_basis=ECIRCULATION_BASIS,
        ),
        # --- service domains (docs/services.md) ---------------------------------------
        TableSpec(
            name="pub_pc_sessions__branch_month",
            grain="one row per fiscal year, month and branch: public-computer sessions (PLS "
                  "PITUSR: one use per session, whatever its length; staff computers "
                  "excluded)",
            columns=_cols("fiscal_year:string", "month:string", "branch_code:string",
                          "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "branch_code"),
            universe="pc_sessions",
            open_totals=('month', 'branch_code'),
            legal_basis=NETWORK_BASIS,
        ),
        TableSpec(
            name="pub_pc_sessions__branch_weekday_hour",
            grain="one row per fiscal year, branch, weekday and hour of the day: "
                  "public-computer sessions started then, over the period",
            columns=_cols("fiscal_year:string", "branch_code:string", "weekday:string",
                          "hour:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "branch_code", "weekday", "hour"),
            universe="pc_sessions",
            legal_basis=NETWORK_BASIS,
        ),
        TableSpec(
            name="pub_pc_session_length__branch_month",
            grain="one row per fiscal year, month, branch and length band: public-computer "
                  "sessions ('unknown' when no end was logged)",
            columns=_cols("fiscal_year:string", "month:string", "branch_code:string",
                          "length_band:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "branch_code", "length_band"),
            universe="pc_sessions",
            legal_basis=NETWORK_BASIS,
        ),
        TableSpec(
            name="pub_web_visits__month",
            grain="one row per fiscal year and month: visits to the library's website (PLS "
                  "FY2023 WEBVISIT; the analytics tool's session rule, robots excluded)",
            columns=_cols("fiscal_year:string", "month:string", "value:int",
                          "suppressed:bool"),
            key=("fiscal_year", "month"),
            open_totals=('month',),
            legal_basis=NETWORK_BASIS,
        ),
        TableSpec(
            name="pub_programs__month_audience_format",
            grain="one row per fiscal year, month, PLS audience group (ages 0-5, 6-11, 12-18, "
                  "19+, general interest), format (onsite, offsite, virtual) and measure "
                  "(sessions, attendance): synchronous program sessions and their attendance "
                  "(PLS TOTPRO, TOTATTEN and their parts)",
            columns=_cols("fiscal_year:string", "month:string", "audience:string",
                          "format:string", "measure:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "audience", "format", "measure"),
            by=("measure",),
            open_totals=('month',),
            legal_basis=PROGRAMS_BASIS,
        ),
        TableSpec(
            name="pub_room_bookings__branch_month",
            grain="one row per fiscal year, month and branch: meeting-room bookings",
            columns=_cols("fiscal_year:string", "month:string", "branch_code:string",
                          "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "branch_code"),
            open_totals=('month', 'branch_code'),
            legal_basis=PROGRAMS_BASIS,
        ),
        TableSpec(
            name="pub_ill__month",
            grain="one row per fiscal year, month, direction (provided to other libraries, "
                  "received from them) and measure (requests, filled): interlibrary-loan "
                  "requests by the month they were placed (PLS LOANTO, LOANFM)",
            columns=_cols("fiscal_year:string", "month:string", "direction:string",
                          "measure:string", "value:int", "suppressed:bool"),
            key=("fiscal_year", "month", "direction", "measure"),
            by=("measure",),
            open_totals=('month',),
            # interlibrary loans are loans of library material: CIRCULATION_BASIS (the default)
        ),
    ]
}


def _universe_totals(tables: dict[str, TableSpec]) -> dict[str, TableSpec]:
    """Linked tables share their whole-library, whole-period figure.

    Every table of a universe counts the same things, so its row with every dimension at the
    total level is the same figure as the open total of a sibling table (the Wi-Fi sessions of
    the year are the sessions table's ``all``/``all`` row and the weekday-hour table's
    ``all``/``all``/``all`` row). A table without ``open_totals`` of its own whose universe has
    one gets its dimensions as ``open_totals``: that one row is open, every other row is not.
    Derived here so that disclosure control, the suites and ``libstats check`` agree."""
    has_open = {s.universe_name for s in tables.values() if s.open_totals}
    return {name: (replace(s, open_totals=s.dims)
                   if not s.open_totals and s.universe_name in has_open and s.dims else s)
            for name, s in tables.items()}


PUBLISHED_TABLES = _universe_totals(PUBLISHED_TABLES)


@dataclass(frozen=True)
class DpTable:
    """How a table is made differentially private.

    ``rows_sql`` gives one row per contribution: a ``contributor`` (who the privacy unit is:
    a patron record, a device) and the table's key columns. ``bounded`` says whether the
    library sets how many rows a contributor may add (else each contributes exactly once)."""

    unit: str
    bounded: bool


#: The tables that can be published with differential privacy, and their privacy unit.
DP_TABLES = {
    "pub_circulation__branch_month_material": DpTable(
        unit="a patron (events without a patron count one each)", bounded=True),
    "pub_new_registrations__month": DpTable(unit="a patron record", bounded=False),
}


# ---- the pseudonymized zone's columns and k-anonymity (docs/disclosure.md §6) ----------------

#: The columns of the zone's ``patrons.parquet``, in written order. Every one of them is a
#: quasi-identifier for k-anonymity unless :data:`NON_IDENTIFYING_PATRON_COLUMNS` says why not:
#: a column added here (or found in the written file) that nobody declared counts (fail closed).
PZ_PATRON_COLUMNS = ("patron_token", "key_id", "home_branch_code", "patron_category",
                     "age_band", "area", "enrolled_month", "last_activity_month",
                     "is_registered_user", "reading_history_opt_in")

#: Shipped columns that are not quasi-identifiers, each with the reason (listed in the manifest).
NON_IDENTIFYING_PATRON_COLUMNS = {
    "patron_token": "the keyed pseudonym itself (HMAC under the fiscal year's key): it links a "
                    "record to its events within the year, not to a person; classes are "
                    "counted in distinct tokens",
    "key_id": "one value for every record of the zone (the fiscal year's key id)",
}

#: The two months of a patron record: shipped as the year (default), the month, or not at all
#: (``[k_anonymity] activity_dates``). Either way they count for k when shipped.
ACTIVITY_DATE_COLUMNS = ("enrolled_month", "last_activity_month")
ACTIVITY_DATES = ("year", "month", "drop")


def zone_quasi_identifiers(columns) -> tuple[str, ...]:
    """Every shipped patron column but the declared non-identifying ones, in order."""
    return tuple(c for c in columns if c not in NON_IDENTIFYING_PATRON_COLUMNS)


def shipped_patron_columns(activity_dates: str = "year") -> tuple[str, ...]:
    """The patrons file's columns under the ``activity_dates`` setting."""
    return tuple(c for c in PZ_PATRON_COLUMNS
                 if activity_dates != "drop" or c not in ACTIVITY_DATE_COLUMNS)


#: The columns of the zone's event files and what each describes: ``patron`` (an attribute of
#: the patron record, written recoded as k-anonymity recoded the record), ``event`` (the
#: transaction: when, where, what; not covered by k-anonymity, measured by the one-sighting
#: figure, docs/disclosure.md §6) or a reason why it identifies nothing. A written column not
#: listed here fails the run (fail closed).
PZ_EVENT_COLUMNS = {
    "event_date": "event", "month": "event", "branch_code": "event", "event_type": "event",
    "material_type": "event", "audience": "event", "is_ill_borrowed": "event",
    "item_type_code": "event", "collection_code": "event", "location_code": "event",
    "patron_category": "patron",
    "patron_token": "the keyed pseudonym of a patron who opted in to reading history (per "
                    "fiscal-year key); it joins the events to one patron record",
    "item_token": "the keyed pseudonym of an item (only where configured); per fiscal-year key",
    "key_id": "one value for every event of the zone (the fiscal year's key id)",
    "source": "the configured source name: the same for every event of an export",
}

#: Event time in the zone: the day (default), or the first day of its ISO week or month
#: (``[[sources]] event_time``).
EVENT_TIMES = ("day", "week", "month")

#: Kept for configs written before every shipped column counted: these are counted anyway.
DEFAULT_QUASI_IDENTIFIERS = zone_quasi_identifiers(PZ_PATRON_COLUMNS)
OPTIONAL_QUASI_IDENTIFIERS = ACTIVITY_DATE_COLUMNS
