"""Profiles of ILS exports: Koha ``statistics``, ``borrowers`` and ``items``, Sierra ``circ_trans``
(Evergreen, Polaris, Symphony and Destiny are in ``ils_vendors``).

Each profile gives every column the export carries a role (libstats/profiles/base.py); a column
the export carries but its profile does not know stops the run.

Koha: every column of ``statistics``, ``borrowers`` and ``items`` as declared in
``installer/data/mysql/kohastructure.sql`` for the releases 22.05 LTS through 25.x, checked
release by release against these stored copies (Koha is GPL-3.0-or-later; column names only,
nothing else copied):

- KohaSuomi/Koha-22.x @ 1b90559a816ef6124d46ac6c4dbc3d42854efb1d (22.x)
- KohaSuomi/Koha-22x @ 3d573f315db5c781840ff0ccf8ae7865a96ff5ba (22.x + local items.sub_location)
- Koha-Community/Koha @ 00545f8780390d735dad664d76d09cc67f42fdaa (upstream, 22.11-23.05 era)
- KohaSuomi/Koha-23x @ 64cc1ed70bc947f96868336228b0d898ade7b66b (23.x)
- KohaSuomi/Koha-24.05 @ 04601652c795a0209d54072282e5a0e2d0e66af1 (24.05)
- KohaSuomi/Koha-25x @ 15cf049b5dc1bdb0a739493763c5982e84ae99c6 (25.x)

The per-release column lists are in tests/conformance/circulation/koha_versions/ (with SOURCE.md).
Later additions, all upstream (Koha bug of the atomic update): ``statistics.interface`` (30928;
absent in 22.x), ``borrowers.protected`` (26170; 23x+), ``items.bookable`` (bookings; 23x+),
``items.localuse`` (16122; 24.05+), ``borrowers.preferred_name`` (28633; 25.x),
``items.sub_location`` (34142; in 23x and 25x, not in the 24.05 copy). The one local column:
KohaSuomi/Koha-22x's own ``items.sub_location`` (after ``new_status``), same name, same role.
``statistics.proccode``/``usercode``/``associatedborrower`` are in none of these releases; they
are kept in the profile for exports from older Koha.

Roles: ids token where they feed a field (``borrowernumber``; item ids only on request); codes
that feed a field keep; ``dateofbirth``/``zipcode`` generalized (DESIGN.md: age band, area);
everything else drops. Drops that hold personal data (names, addresses, emails, phones, card
numbers, user ids, passwords and secrets, notes and other free text) are ``drop`` and their
values feed the exact-match leak scan, and so do a patron's account flags, counters and status
dates (they are the patron's record); drops that describe the catalogue or the workflow
without identifying anyone (codes, item flags) are ``drop_non_personal``.

Sierra: ``sierra_view.circ_trans`` as documented in the Sierra DNA data dictionary (all 25
columns, including ``icode1``, ``icode2`` and ``item_agency_code_num``).
"""

from __future__ import annotations

from libstats.profiles.base import Column, Profile, drop, drop_non_personal
from libstats.profiles.ils_vendors import ILS_VENDOR_PROFILES

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
        **drop("other", "proccode", "usercode", "associatedborrower"),
        **drop_non_personal("value", "interface"),
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
        # Personal: identifies a person, or free text that may (looked for by the leak scan).
        **drop(
            "cardnumber", "surname", "firstname", "preferred_name", "middle_name", "title",
            "othernames", "initials", "pronouns", "streetnumber", "streettype", "address",
            "address2", "city", "state", "country", "email", "phone", "mobile", "fax",
            "emailpro", "phonepro", "B_streetnumber", "B_streettype", "B_address", "B_address2",
            "B_city", "B_state", "B_zipcode", "B_country", "B_email", "B_phone",
            "debarredcomment", "contactname", "contactfirstname", "contacttitle",
            "borrowernotes", "relationship", "sex", "password", "secret", "userid", "opacnote",
            "contactnote", "sort1", "sort2", "altcontactfirstname", "altcontactsurname",
            "altcontactaddress1", "altcontactaddress2", "altcontactaddress3", "altcontactstate",
            "altcontactzipcode", "altcontactcountry", "altcontactphone", "smsalertnumber",
            "overdrive_auth_token",
            # Account settings, flags, counters and status dates of one patron: they identify
            # no one alone, but they are a patron's record, so they stay in the leak scan as
            # before.
            "password_expiration_date", "gonenoaddress", "lost", "debarred", "auth_method",
            "flags", "sms_provider_id", "privacy_guarantor_fines", "privacy_guarantor_checkouts",
            "checkprevcheckout", "updated_on", "lang", "login_attempts", "autorenew_checkouts",
            "primary_contact_method"),
        **drop_non_personal("protected"),
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
        **drop("barcode", "itemnotes", "itemnotes_nonpublic", "more_subfields_xml", "uri"),
        **drop_non_personal(
            "biblionumber", "biblioitemnumber", "bookable", "dateaccessioned",
            "booksellerid", "holdingbranch", "price", "replacementprice",
            "replacementpricedate", "datelastborrowed", "datelastseen", "stack", "notforloan",
            "damaged", "damaged_on", "itemlost", "itemlost_on", "withdrawn", "withdrawn_on",
            "itemcallnumber", "coded_location_qualifier", "issues", "renewals", "reserves",
            "restricted", "timestamp", "deleted_on", "permanent_location", "onloan",
            "cn_source", "cn_sort", "materials", "enumchron", "copynumber", "stocknumber",
            "new_status", "exclude_from_local_holds_priority", "localuse",
            # upstream (Koha bug 34142) and KohaSuomi's own, older column of the same name
            "sub_location"),
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
        **drop("id", "patron_home_library_code", "pcode1", "pcode2", "pcode3", "pcode4",
                "postal_code", "patron_agency_code_num"),
        **drop_non_personal("application_name", "source_code", "volume_record_id",
                             "bib_record_id", "due_date_gmt", "count_type_code_num",
                             "loanrule_code_num", "icode1", "icode2",
                             "item_agency_code_num"),
    },
    event_codes={"o": "checkout", "r": "renewal", "i": "checkin", "u": "in_library_use"},
)


CIRCULATION_PROFILES = {**{p.name: p for p in
                           (KOHA_STATISTICS, KOHA_BORROWERS, KOHA_ITEMS, SIERRA_CIRC_TRANS)},
                        **ILS_VENDOR_PROFILES}   # Evergreen, Polaris, Symphony, Destiny
