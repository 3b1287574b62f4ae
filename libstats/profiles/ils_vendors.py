"""Profiles of the other ILSs' circulation exports: Evergreen, Polaris, SirsiDynix Symphony and
Follett Destiny (feature row M1). Koha and Sierra are in ``circulation``.

Every column each export carries has a role; a column a profile does not know stops the run
(libstats/readers/csv.py). Roles follow ``circulation``: patron ids token, item ids drop (token
on request), codes that feed a field keep, anything naming or describing a person drop (its
values feed the exact-match leak scan), workflow columns ``drop_non_personal``.

Evergreen (GPL-2.0-or-later; column names only, nothing copied): ``action.circulation`` and
``action.aged_circulation`` as declared in ``Open-ILS/src/sql/Pg/090.schema.action.sql`` at
evergreen-library-system/Evergreen @ 921164cbfe938ca0ea3865f8cabaa4bc21a88e35 (2026-08-19):
``action.circulation`` INHERITS ``money.billable_xact`` (``080.schema.money.sql``: id, usr,
xact_start, xact_finish, unrecovered), then its own 29 columns and ``parent_circ`` (added by
ALTER TABLE). ``action.aged_circulation`` is ``usr_post_code, usr_home_ou, usr_profile,
usr_birth_year, copy_call_number, copy_owning_lib, copy_circ_lib, copy_bib_record`` followed by
``LIKE action.circulation`` with ``usr`` dropped: the patron is already gone, only profile,
home library, birth year and postcode remain (all dropped here except the profile, a code).
Evergreen writes one row per circulation: a renewal is a new row whose ``phone_renewal``,
``desk_renewal``, ``opac_renewal`` or ``auto_renewal`` is true (and ``parent_circ`` set), so
the event is read from those flags (``CodeRule``); the event day is ``xact_start``. A
checkin is a later time on the same row (``checkin_time``), not a row: Evergreen exports give
checkouts and renewals only. ``circ_lib`` is the circulating org unit's id (the branch map
names it); psql writes timestamptz with an offset (``-04``), read as the instant it names.
Versions: the upgrade scripts (``Open-ILS/src/sql/Pg/upgrade/``) add ``parent_circ`` (0012),
``checkin_workstation`` and ``checkin_scan_time`` (0013; 0019 for the aged table),
``grace_period`` (0503), ``copy_location`` (0663) and ``auto_renewal``/``auto_renewal_remaining``
(1123, 2018): an export from an older database lacks them (none is required; an upgraded
database appends them, and columns are read by name). 0085 renamed ``recuring_fine`` and
``recuring_fine_rule``: the old names are known too.

Polaris (Innovative/Clarivate; proprietary, no schema text copied): the transactions database
``PolarisTransactions.Polaris.TransactionHeaders`` (TransactionID, TransactionTypeID,
TranClientDate, TransactionDate, OrganizationID, WorkstationID, PolarisUserID) with
``TransactionDetails`` rows (TransactionID, TransactionSubTypeID, numValue ...) pivoted to one
column per subtype, as libraries' published SQL reads them (public community Polaris SQL on
GitHub, e.g. the "useful-polaris-sql" collection; subtypes used there: 4 material type, 6
patron id, 38 item record id, 61 collection, 124 renewal, 125 item assigned branch, 128
check-in type (6 and 56 = in-house use), 233 hold request, 296 shelf location; type 6001 check
out, 6002 check in). The export is what this query writes (one row per transaction)::

    SELECT th.TransactionID, th.TransactionTypeID, th.TranClientDate, th.TransactionDate,
           th.OrganizationID, th.WorkstationID, th.PolarisUserID,
           MAX(CASE WHEN td.TransactionSubTypeID = 6   THEN td.numValue END) AS PatronID,
           MAX(CASE WHEN td.TransactionSubTypeID = 38  THEN td.numValue END) AS ItemRecordID,
           MAX(CASE WHEN td.TransactionSubTypeID = 4   THEN td.numValue END) AS MaterialTypeID,
           MAX(CASE WHEN td.TransactionSubTypeID = 61  THEN td.numValue END) AS CollectionID,
           MAX(CASE WHEN td.TransactionSubTypeID = 296 THEN td.numValue END) AS ShelfLocationID,
           MAX(CASE WHEN td.TransactionSubTypeID = 7   THEN td.numValue END) AS PatronCodeID,
           MAX(CASE WHEN td.TransactionSubTypeID = 124 THEN td.numValue END) AS Renewal,
           MAX(CASE WHEN td.TransactionSubTypeID = 128 THEN td.numValue END) AS CheckInTypeID,
           MAX(CASE WHEN td.TransactionSubTypeID = 125 THEN td.numValue END)
               AS ItemAssignedBranchID,
           MAX(CASE WHEN td.TransactionSubTypeID = 233 THEN td.numValue END) AS HoldRequestID
    FROM PolarisTransactions.Polaris.TransactionHeaders th
    JOIN PolarisTransactions.Polaris.TransactionDetails td ON td.TransactionID = th.TransactionID
    WHERE th.TransactionTypeID IN (6001, 6002) GROUP BY th.TransactionID, ... ;

(subtype 7 = patron code is not in the cited queries: unverified). Events: 6001 with a renewal
detail → renewal, 6001 → checkout, 6002 with check-in type 6/56 → in-library use, 6002 →
checkin; every other type is out of scope. TranClientDate (the workstation's local time) is
the event time. SQL Server Management Studio's "Save Results As" CSV writes a NULL as the text
``NULL``: read as no value (``null_values``), so a transaction without a renewal detail is not
a renewal and no patron is called "NULL".

SirsiDynix Symphony (proprietary; no public schema or sample export was found): a circulation
history report written as delimited text with a header row, its columns named after the
history-log data elements (station library, user id, user PIN, item id ...) and the
transaction by command name or code (CV charge, RV renew, EV discharge). Reconstructed, not
verified against a real export: a site whose report differs stops on the first unknown column
and classifies it. ``User PIN`` (self-check and SIP transactions log the patron's PIN) is
``drop`` with no looser role allowed: the config cannot make it pass, and its values are
looked for in every output. Symphony writes dates as ``YYYYMMDDHHMMSS``. The policy names
(User Profile, Item Type, Locations, Item Category 1, User Categories 1-5) are Symphony's
(e.g. the SAILS library network's "Workflows Codes" page, sailsinc.org/networkresources/
workflows-codes/, which also shows a user category holding the patron's municipality).

Follett Destiny (proprietary; the circulation report export named in policy
000_d3ab186310bce97a.txt): the report's CSV or XLSX (first sheet, header in row 1) with the
columns the Destiny report writer shows (site, patron and copy columns). Reconstructed from
Destiny's report options, not from a published schema or a real export (none found): Follett's
Destiny Help describes the circulation report (checkouts, in-library use and renewals by site;
destinyreportshelp.follettsoftware.com, Collection-Analysis-Circulations), Excel output of
reports and Report Builder downloads, and the patron fields (name, nickname, grade level,
homeroom, user name, District ID, User Defined fields; Destiny 16.5 Help, Patron Status).
Destiny serves K-12 schools: grade level and homeroom identify a minor and are dropped. US
dates (``07/02/2024 11:43 AM``).
"""

from __future__ import annotations

from libstats.profiles.base import (
    TRUE_VALUES,
    CodeRule,
    Column,
    Profile,
    drop,
    drop_non_personal,
)

# --- Evergreen -------------------------------------------------------------------------------

_EVERGREEN_RENEWAL = tuple(CodeRule("renewal", ((flag, TRUE_VALUES),))
                           for flag in ("phone_renewal", "desk_renewal", "opac_renewal",
                                        "auto_renewal"))
_EVERGREEN_CODES = {"checkout": "checkout", "renewal": "renewal"}

# action.circulation's own columns (and billable_xact's) other than usr, in both tables.
_EVERGREEN_CIRC = {
    "xact_start": Column("generalize:day", "event_ts", required=True),
    "circ_lib": Column("keep", "branch", required=True),
    "target_copy": Column("drop", "item_id", allowed=("token:evergreen_item",)),
    "copy_location": Column("keep", "location"),
    # Ids of a transaction and of the staff who made it.
    **drop("id", "parent_circ", "circ_staff", "checkin_staff"),
    **drop_non_personal(
        "xact_finish", "unrecovered", "checkin_lib", "renewal_remaining", "grace_period",
        "due_date", "stop_fines_time", "checkin_time", "create_time", "duration",
        "fine_interval", "recurring_fine", "max_fine", "phone_renewal", "desk_renewal",
        "opac_renewal", "duration_rule", "recurring_fine_rule", "max_fine_rule", "stop_fines",
        "workstation", "checkin_workstation", "checkin_scan_time", "auto_renewal",
        "auto_renewal_remaining",
        "recuring_fine", "recuring_fine_rule"),   # names before upgrade 0085
}

EVERGREEN_CIRCULATION = Profile(
    name="evergreen_circulation", kind="circulation",
    description="Evergreen `action.circulation` export (one row per checkout or renewal)",
    columns={
        **_EVERGREEN_CIRC,
        "usr": Column("token:evergreen_patron", "patron_id"),
    },
    event_codes=_EVERGREEN_CODES,
    code_rules=(*_EVERGREEN_RENEWAL, CodeRule("checkout")),
)

EVERGREEN_AGED_CIRCULATION = Profile(
    name="evergreen_aged_circulation", kind="circulation",
    description="Evergreen `action.aged_circulation` export (anonymized circulations)",
    columns={
        **_EVERGREEN_CIRC,
        "usr_profile": Column("keep", "patron_category"),
        # What is left of the patron: each is a quasi-identifier, so dropped and scanned.
        **drop("usr_post_code", "usr_home_ou", "usr_birth_year"),
        **drop_non_personal("copy_call_number", "copy_owning_lib", "copy_circ_lib",
                            "copy_bib_record"),
    },
    event_codes=_EVERGREEN_CODES,
    code_rules=(*_EVERGREEN_RENEWAL, CodeRule("checkout")),
)

# --- Polaris ---------------------------------------------------------------------------------

POLARIS_TRANSACTIONS = Profile(
    name="polaris_transactions", kind="circulation",
    description="Polaris PolarisTransactions TransactionHeaders + pivoted TransactionDetails "
                "(one row per transaction)",
    # SQL Server Management Studio's "Save Results As" writes a NULL as the text NULL.
    null_values=("NULL",),
    columns={
        "TranClientDate": Column("generalize:day", "event_ts", required=True),
        "TransactionTypeID": Column("keep", "event_code", required=True),
        "OrganizationID": Column("keep", "branch", required=True),
        "PatronID": Column("token:polaris_patron", "patron_id"),
        "ItemRecordID": Column("drop", "item_id", allowed=("token:polaris_item",)),
        "MaterialTypeID": Column("keep", "item_type"),
        "CollectionID": Column("keep", "collection_code"),
        "ShelfLocationID": Column("keep", "location"),
        "PatronCodeID": Column("keep", "patron_category"),
        # Ids of the transaction and of the staff member; the hold names a patron's request.
        **drop("TransactionID", "PolarisUserID", "HoldRequestID"),
        **drop_non_personal("TransactionDate", "WorkstationID", "Renewal", "CheckInTypeID",
                            "ItemAssignedBranchID"),
    },
    event_codes={"6001": "checkout", "6002": "checkin", "renewal": "renewal",
                 "in_house": "in_library_use"},
    code_rules=(
        CodeRule("renewal", (("TransactionTypeID", ("6001",)), ("Renewal", None))),
        CodeRule("in_house", (("TransactionTypeID", ("6002",)), ("CheckInTypeID", ("6", "56")))),
    ),
)

# --- SirsiDynix Symphony ---------------------------------------------------------------------

SYMPHONY_CIRC_HISTORY = Profile(
    name="symphony_circ_history", kind="circulation",
    description="SirsiDynix Symphony circulation history report (delimited, header row)",
    timestamp_formats=("%Y%m%d%H%M%S", "%Y%m%d%H%M", "%Y%m%d"),
    columns={
        "Transaction Date": Column("generalize:day", "event_ts", required=True),
        "Transaction": Column("keep", "event_code", required=True),
        "Station Library": Column("keep", "branch", required=True),
        "User ID": Column("token:symphony_patron", "patron_id"),
        "Item ID": Column("drop", "item_id", allowed=("token:symphony_item",)),
        "Item Type": Column("keep", "item_type"),
        "Home Location": Column("keep", "collection_code"),
        "Current Location": Column("keep", "location"),
        "User Profile": Column("keep", "patron_category"),
        # The PIN: never anything but drop (no ``allowed``), and scanned for in every output.
        "User PIN": Column("drop"),
        # User categories are the library's own (one site uses category 2 for the
        # municipality the patron lives in): personal, dropped.
        **drop("User Name", "User Alternate ID", "Station Login", "User Library",
               "User Category 1", "User Category 2", "User Category 3", "User Category 4",
               "User Category 5"),
        **drop_non_personal("Date Due", "Number of Renewals", "Call Number", "Title",
                            "Station", "Item Category 1", "Item Category 2"),
    },
    event_codes={"CV": "checkout", "Charge Item": "checkout", "RV": "renewal",
                 "Renew Item": "renewal", "EV": "checkin", "Discharge Item": "checkin"},
)

# --- Follett Destiny -------------------------------------------------------------------------

DESTINY_CIRCULATION = Profile(
    name="destiny_circulation", kind="circulation", xlsx=True,
    description="Follett Destiny circulation report export (CSV or XLSX)",
    timestamp_formats=("%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y"),
    columns={
        "Transaction Date": Column("generalize:day", "event_ts", required=True),
        "Transaction Type": Column("keep", "event_code", required=True),
        "Site": Column("keep", "branch", required=True),
        "Patron Barcode": Column("token:destiny_patron", "patron_id"),
        "Copy Barcode": Column("drop", "item_id", allowed=("token:destiny_item",)),
        "Material Type": Column("keep", "item_type"),
        "Circulation Type": Column("keep", "collection_code"),
        "Patron Type": Column("keep", "patron_category"),
        **drop("Patron Name", "Grade Level", "Homeroom", "District ID", "Patron Email",
               "Note", "Librarian", "User Name", "Nickname", "User Defined 1",
               "User Defined 2", "User Defined 3", "User Defined 4"),
        **drop_non_personal("Title", "Call Number", "Due Date"),
    },
    event_codes={"Checkout": "checkout", "Check Out": "checkout", "Renewal": "renewal",
                 "Renew": "renewal", "Checkin": "checkin", "Check In": "checkin",
                 "In-Library Use": "in_library_use"},
)

ILS_VENDOR_PROFILES = {p.name: p for p in (
    EVERGREEN_CIRCULATION, EVERGREEN_AGED_CIRCULATION, POLARIS_TRANSACTIONS,
    SYMPHONY_CIRC_HISTORY, DESTINY_CIRCULATION)}
