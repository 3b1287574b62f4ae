"""The demo library's circulation: its ILS exports, Koha and (before the migration) Sierra.

The Riverbend County Library System (fictional, see :mod:`libstats.demo.generate`) ran Innovative
Sierra until it migrated to Koha on 2024-10-01, so one fiscal year of use is split over two
systems with different shapes:

* ``sierra/circ_trans.csv``: Sierra's ``circ_trans`` view for 2024-07-01 .. 2024-09-30 local time.
  Timestamps are **GMT/UTC** (``transaction_gmt``), codes are numeric (itype, ptype, stat group),
  patrons and items are Sierra record ids (``481037...``, ``450971...``), which no column links to
  the Koha borrowernumber / itemnumber of the same patron or item.
* ``koha/statistics.csv``: Koha's ``statistics`` table for 2024-10-01 .. 2025-06-30, **local** time.
* ``koha/borrowers.csv``: every patron (all migrated into Koha), exported in **Windows-1252**.
* ``koha/items.csv``: every item, including interlibrary-loan (ILL) items.

Everything is fictional and generated: names, addresses and notes come from a seeded Faker, emails
use the ``example.com`` / ``example.org`` / ``example.net`` domains and phone numbers are in the 555
exchange (``555-0100`` .. ``555-0199``). The same seed gives byte-identical files.

Hazards planted on purpose (the pipeline must cope with each of them)
=====================================================================
* Two systems, two clocks: Sierra rows are UTC (a local evening is the next day in UTC), Koha rows
  are local time. Month and fiscal-year boundaries must be computed in America/New_York.
* Two sets of codes: Sierra ``itype_code_num`` / ``ptype_code`` / ``stat_group_code_num`` /
  ``item_location_code`` versus Koha ``itemtype`` / ``categorycode`` / ``branch`` / ``ccode``.
  Koha-era returns and renewals include loans that were issued in Sierra.
* Encoding: ``borrowers.csv`` is cp1252 (not UTF-8) and contains characters whose cp1252 bytes
  fall in 0x80-0x9F (``Š``, ``Ž``, ``œ``, ``’``), which latin-1 would decode to control
  characters.
* Free text holding personal data: ``borrowernotes`` / ``opacnote`` / ``debarredcomment`` hold
  emails, phone numbers, names of relatives and old card numbers, some spanning several lines
  (newlines inside quoted CSV fields); ``statistics.other`` holds SIP text, some of it with the
  patron's phone number or email; ``items.itemnotes`` names donors and
  ``items.itemnotes_nonpublic`` holds staff emails.
* A rare combination: exactly one patron is aged 97 (on 2025-06-30) and the only patron living in
  zipcode 06420; Sierra rows repeat that zipcode in ``postal_code``.
* Small cells: ``KIT`` and ``HOTSPOT`` items circulate rarely (branch x month counts of 0 .. 10);
  hotspot lending only starts on 2024-08-12, so July 2024 has none anywhere.
* Inactive patrons: about 8 % of patrons were last seen more than three years before 2025-06-30
  and must not count as registered users; some ``lastseen`` values are empty.
* ILL in both directions: items borrowed from other libraries (itype ``ILL``) and our items lent to
  other libraries (patrons with categorycode ``ILLLIB``). Both exist only in the Koha era.
* Patrons use several branches (about 30 % of active patrons), so distinct-patron counts do not
  add up over branches.
* Legacy 8-digit card numbers for about 1 % of patrons next to 14-digit Codabar barcodes.
* Reading-history privacy: Koha ``privacy`` 0 (keep forever), 1 (default), 2 (never keep).

Shapes worth knowing
====================
* Koha ``statistics.type``: ``issue``, ``renew``, ``return``, ``localuse``, ``payment``,
  ``writeoff``. In-library use (``localuse``) rows have an item but empty ``borrowernumber`` and
  ``categorycode``; money rows have ``value`` like ``2.5000`` and empty item columns; every other
  row has ``value`` ``0.0000``. ``interface`` ``cron`` marks automatic renewals.
* Sierra ``op_code``: ``o`` checkout, ``r`` renewal, ``i`` checkin, ``u`` in-house use (empty
  patron columns), ``n`` / ``f`` hold placed / filled (not circulation). ``stat_group_code_num``
  101 and 102 are Central, 201 Northgate, 301 East Hollow. ``due_date_gmt`` is set on ``o`` / ``r``.
* Material: Koha itype ``BK`` ``JBK`` ``AB`` ``DVD`` ``JDVD`` ``MAG`` ``KIT`` ``HOTSPOT`` ``ILL``;
  Sierra ``itype_code_num`` 0 1 20 10 11 30 40 41 (no ILL in Sierra). Juvenile: itype ``JBK`` /
  ``JDVD`` or ccode ``JFIC`` / ``JNF`` / ``EASY`` (Sierra: itype 1 / 11, ``j`` as the 4th letter
  of ``item_location_code``); young adult: ccode ``YAFIC`` / ``YANF`` (Sierra location ``..ya``).
* ILL borrowed for our patrons: Koha ``itemtype`` ``ILL`` (items at ``CEN``, one item record per
  request). ILL lent to other libraries: Koha ``categorycode`` ``ILLLIB`` (issued at ``CEN``).
* Not every checkout has a check-in in the exports (about 45 % do); July Sierra check-ins and
  renewals include loans issued in June 2024, before the fiscal year.
* Patron categories: ``PT`` adult, ``J`` under 12, ``YA`` 12-17, ``SR`` 65+, ``ST`` staff,
  ``ILLLIB``; Sierra ``ptype_code`` 0 adult, 1 juvenile, 2 young adult, 3 senior, 10 staff.
  ``dateofbirth`` is empty for about 3 % of patrons (categorised ``PT``) and for ILL libraries.

Modules (imports point down the list, never up)
===============================================
* :mod:`~libstats.demo.circulation.generate`:
  :func:`~libstats.demo.circulation.generate.generate_circulation` runs the model below and
  writes the four files.
* :mod:`~libstats.demo.circulation.koha` and :mod:`~libstats.demo.circulation.sierra`: the
  exports, in each system's columns, codes and clock.
* :mod:`~libstats.demo.circulation.transactions`: loans, renewals, returns, in-library use,
  payments and holds.
* :mod:`~libstats.demo.circulation.items`, :mod:`~libstats.demo.circulation.borrowers` (the text
  columns of the patrons) and :mod:`~libstats.demo.circulation.patrons`.
* :mod:`~libstats.demo.circulation.contacts`, :mod:`~libstats.demo.circulation.dates`,
  :mod:`~libstats.demo.circulation.tables` and :mod:`~libstats.demo.circulation.constants`:
  helpers and the library's numbers.
"""
