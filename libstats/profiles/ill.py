"""Profiles of interlibrary-loan exports (PLS LOANTO 575, LOANFM 576; docs/services.md).

- ``koha_illrequests``: Koha's ``illrequests`` table as defined in
  ``installer/data/mysql/kohastructure.sql`` (github.com/Koha-Community/Koha, GPL-3.0; commit
  00545f8): illrequest_id, borrowernumber, biblio_id, deleted_biblio_id, due_date, branchcode,
  status, status_alias, placed, replied, updated, completed, medium, accessurl, cost,
  price_paid, notesopac, notesstaff, orderid, backend. Koha's ILL module requests material
  from other libraries for the library's own patrons: every request is *received from*
  (LOANFM); it is filled when completed (a ``completed`` date, or status COMP / CHK / RET).
  The patron (borrowernumber) is an identifier; notes are free text; both dropped.
- ``csv`` (generic): fields ``day`` (request date), ``direction`` (``to``/``lent``/
  ``provided`` or ``from``/``borrowed``/``received``), ``filled`` (yes/no, true/false, 1/0,
  or a fill date), ``branch``.
"""

from __future__ import annotations

from libstats.profiles.base import Column, Profile, drop, drop_non_personal

KOHA_ILLREQUESTS = Profile(
    name="koha_illrequests", kind="ill",
    description="Koha illrequests table",
    columns={
        "placed": Column("generalize:day", "day", required=True),
        "branchcode": Column("keep", "branch", required=True),
        "status": Column("keep", "status", required=True),
        "completed": Column("generalize:day", "filled"),
        "borrowernumber": Column("drop", "patron"),
        **drop("notesopac", "notesstaff", "accessurl"),
        **drop_non_personal("illrequest_id", "biblio_id", "deleted_biblio_id", "due_date",
                            "status_alias", "replied", "updated", "medium", "cost",
                            "price_paid", "orderid", "backend"),
    },
)

#: Koha ILL statuses of a filled request (the item came: completed, checked out, returned).
KOHA_FILLED_STATUSES = ("COMP", "CHK", "RET")

ILL_PROFILES = {p.name: p for p in (KOHA_ILLREQUESTS,)}
