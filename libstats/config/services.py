"""``[computers]``, ``[programs]``: how public-computer sessions and programs are attributed
(docs/services.md). Web visits and interlibrary loans need no settings.

``[computers]``
- ``locations``: branch code -> the computer locations or names (Libki ``client_location``,
  a generic export's ``location``) that sit in it; [[branches]] codes and aliases also match.
- ``staff_computers``: computer names (``*`` wildcards allowed) that are library staff
  machines: their sessions are not public use and are not counted (PLS PITUSR).
- ``length_bands_minutes``: the session-length bands.
- ``public_terminals``: branch code -> the number of internet computers the general public
  uses there (PLS GPTERMS, element 650: PCs, laptops and tablets; not computers for a
  dedicated purpose such as the OPAC only, one database, or training; not staff machines).
  Read by the annual report (outlet figures; the administrative entity's is their sum, when
  every branch is listed); a count of machines, not of people.

``[programs]``
- ``audiences``: PLS audience group -> the export's audience labels (case-insensitive).
  Groups: ``ages_0_5``, ``ages_6_11``, ``ages_12_18``, ``ages_19_plus``, ``general``. Labels
  that name no single group (LibCal's "Children") must be listed; an unlisted label stops the
  run naming file, line and column. The defaults cover the unambiguous labels.
- ``offsite_locations``: event locations outside the library (an event there is offsite).
"""

from __future__ import annotations

from libstats.config.model import (
    AUDIENCE_GROUPS,
    Branch,
    ComputerSettings,
    ProgramSettings,
)
from libstats.config.reader import TableReader, increasing_ints

def read_computers(root: TableReader, branches: tuple[Branch, ...]) -> ComputerSettings:
    c = root.sub("computers", {})
    codes = {b.code for b in branches}
    locs = c.sub("locations", {})
    out: dict[str, str] = {}
    for code in locs.table:
        if code not in codes:
            raise locs.fail(code, "is not a branch code listed under [[branches]]")
        for name in locs.str_list(code):
            if not name.strip():
                raise locs.fail(code, "must not hold empty names")
            if out.get(name.strip(), code) != code:
                raise locs.fail(code, "a location is also listed under another branch")
            out[name.strip()] = code
    locs.finish()
    staff = c.str_list("staff_computers", ())
    bands = increasing_ints(c, "length_bands_minutes", (15, 30, 60, 120))
    terms = c.sub("public_terminals", {})
    counts: dict[str, int] = {}
    for code in terms.table:
        if code not in codes:
            raise terms.fail(code, "is not a branch code listed under [[branches]]")
        n = terms.get(code, int, what="a whole number of computers")
        if n < 0:
            raise terms.fail(code, "must be 0 or more")
        counts[code] = n
    terms.finish()
    c.finish()
    return ComputerSettings(locations=out, staff_computers=tuple(staff),
                            length_bands_minutes=bands, public_terminals=counts)


def read_programs(root: TableReader) -> ProgramSettings:
    p = root.sub("programs", {})
    aud = p.sub("audiences", {})
    mapping = dict(ProgramSettings().audiences)
    for group in aud.table:
        if group not in AUDIENCE_GROUPS:
            raise aud.fail(group, f"must be one of {', '.join(AUDIENCE_GROUPS)}")
        for label in aud.str_list(group):
            mapping[label.strip().lower()] = group
    aud.finish()
    offsite = p.str_list("offsite_locations", ())
    p.finish()
    return ProgramSettings(audiences=mapping, offsite_locations=tuple(offsite))
