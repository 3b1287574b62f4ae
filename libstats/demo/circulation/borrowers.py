"""The text columns of Koha's ``borrowers.csv``: names, addresses, contacts, cards and notes.

:func:`patron_columns` makes them in one Faker pass over the patrons, after drawing every
per-patron number up front with numpy (:class:`_Draws`). The notes plant personal data on purpose
(phone numbers, e-mail addresses, relatives' names, old card numbers), all of it fictional.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from faker import Faker

from libstats.demo.circulation.constants import (ACTIVE, AS_OF, COUNTY_ZIPS, ELDER_TOWN, ELDER_ZIP,
                                                 IDLE, ILL_LIBRARIES, KOHA_BORROWERS_COLUMNS, NONE,
                                                 OUT_ZIPS, SPECIAL_FIRST, SPECIAL_LAST)
from libstats.demo.circulation.contacts import ascii_slug, fake_email, fake_phone, sms_number
from libstats.demo.circulation.dates import add_years, from_day, to_day
from libstats.demo.circulation.patrons import GENERAL, ILL_LIBRARY, Patrons
from libstats.demo.common import BRANCHES, EXAMPLE_DOMAINS, make_barcode

_NOTE_BENIGN = (
    "Prefers large print", "Address verified {date}", "Card replaced {date}",
    "Summer reading volunteer 2024", "Requested no phone calls",
    "Patron notified about fines.\nAgreed to pay on next visit",
    "Old card {oldcard} replaced (lost)", "Homebound delivery, first Tuesday of the month",
)
_NOTE_PII = (
    "Call mother at {phone} re: overdue", "Emailed {email} about lost item",
    "Father {name} picks up holds for this patron, tel {phone}",
    "Prefers contact via {email}", "Old card {oldcard} reported stolen; new card issued {date}",
    "Called {date} - no answer.\nLeft message with {name} at {phone}",
    "Homebound delivery; caregiver {name} {phone}", "Contact: {name} <{email}>",
)
_OPAC_BENIGN = ("Please update your email address", "Your card expires soon - renew at any branch",
                "Please return the museum pass to Central")
_OPAC_PII = ("We could not reach you at {phone}. Please call the library.",
             "Hold notices to {email} bounced - please update your email")
_DEBAR = ("Unpaid lost items", "OVERDUES restriction", "Behaviour incident {date}, see report",
          "Incident {date}; witness {name} {phone}")
_SORT1 = ("HS2026", "HS2027", "BOOKMOBILE", "SCH-RHS", "SCH-NGE", "VOL", "HOMEBOUND", "2019DRIVE")
_SORT2 = ("A", "B", "NEWSLTR", "FRIENDS", "ESL")
_AS_OF_DAY = to_day(AS_OF)


class _Draws:
    """The per-patron numbers behind the borrowers' columns, drawn with numpy before Faker runs."""

    def __init__(self, rng: np.random.Generator, pat: Patrons):
        n = pat.n
        self.sex = rng.choice(["F", "M", ""], size=n, p=[0.52, 0.44, 0.04])
        self.sp_first = np.full(n, -1)          # index into SPECIAL_FIRST, -1: a Faker name
        self.sp_last = np.full(n, -1)
        pick = rng.choice(n, size=int(0.05 * n), replace=False)
        self.sp_first[pick] = np.arange(pick.size) % len(SPECIAL_FIRST)
        pick = rng.choice(n, size=int(0.07 * n), replace=False)
        self.sp_last[pick] = np.arange(pick.size) % len(SPECIAL_LAST)
        self.legacy = (rng.random(n) < 0.01) & (pat.kind == GENERAL)
        self.legacy_nums = rng.choice(90_000_000, size=n, replace=False) + 10_000_000
        self.seq = 10_000 + np.cumsum(rng.integers(1, 4, size=n))
        self.has_email = rng.random(n) < 0.85
        self.has_phone = rng.random(n) < 0.85
        self.has_mobile = rng.random(n) < 0.50
        self.has_sms = rng.random(n) < 0.25
        self.has_addr2 = rng.random(n) < 0.15
        self.has_initials = rng.random(n) < 0.30
        self.has_other = rng.random(n) < 0.03
        self.usa = rng.random(n) < 0.70
        self.privacy = rng.choice(["0", "1", "2"], size=n, p=[0.20, 0.65, 0.15])
        self.lang = rng.choice(["en", "es", "default"], size=n, p=[0.80, 0.10, 0.10])
        self.contact = rng.choice(["email", "phone", ""], size=n, p=[0.5, 0.25, 0.25])
        self.title_u = rng.random(n)
        self.note_u = rng.random(n)             # < 0.04 PII note, < 0.12 benign note
        self.opac_u = rng.random(n)             # < 0.01 PII, < 0.03 benign
        self.debarred = rng.random(n) < 0.02
        self.debar_u = rng.random(n)
        self.gone = np.where(rng.random(n) < 0.01, "1", "0")
        self.lost = np.where(rng.random(n) < 0.01, "1", "0")
        self.sort1_u = rng.random(n)
        self.sort2_u = rng.random(n)
        self.exp_years = rng.choice([1, 2, 3, 5], size=n, p=[0.15, 0.25, 0.45, 0.15])
        self.renewed_u = rng.random(n)
        self.renewed_v = rng.random(n)


@dataclass
class _Pass:
    """What the Faker pass over the patrons reads, and the logins it has handed out."""

    pat: Patrons
    draws: _Draws
    fake: Faker
    streets: dict[str, list[str]]           # zipcode -> its streets
    ill_names: Iterator[str]                # the next ILL library account's library
    used_userids: set[str] = field(default_factory=set)

    @property
    def r(self):
        return self.fake.random


def _streets(fake: Faker) -> dict[str, list[str]]:
    """Each town has a limited set of streets: Faker names them once per zipcode."""
    all_zips = sorted(set(COUNTY_ZIPS) | set(OUT_ZIPS) | {ELDER_ZIP})
    return {z: [fake.street_name() for _ in range(3 if z == ELDER_ZIP else 40)]
            for z in all_zips}


def _town(zipc: str) -> tuple[str, str]:
    if zipc in COUNTY_ZIPS:
        return COUNTY_ZIPS[zipc], "CT"
    if zipc == ELDER_ZIP:
        return ELDER_TOWN, "CT"
    return OUT_ZIPS[zipc]


def _identity(ps: _Pass, i: int) -> tuple[str, str, str, str, str]:
    """(first name, surname, sex, title, e-mail); ILL library accounts are named after it."""
    pat, d, fake = ps.pat, ps.draws, ps.fake
    if pat.kind[i] == ILL_LIBRARY:
        library = next(ps.ill_names)
        email = f"ill.{ascii_slug(library.split()[0])}@{EXAMPLE_DOMAINS[1]}"
        return "", f"Interlibrary Loan - {library}", "", "", email
    sx = d.sex[i]
    first = (fake.first_name_female() if sx == "F" else
             fake.first_name_male() if sx == "M" else fake.first_name())
    last = fake.last_name()
    if d.sp_first[i] >= 0:
        first = SPECIAL_FIRST[d.sp_first[i]]
    if d.sp_last[i] >= 0:
        last = SPECIAL_LAST[d.sp_last[i]]
    adult = pat.category[i] in ("PT", "SR", "ST")
    title = ("Dr" if d.title_u[i] < 0.03 else
             ("Ms" if sx == "F" else "Mr" if sx == "M" else "") if d.title_u[i] < 0.45
             else "") if adult else ""
    email = fake_email(ps.r, first, last) if d.has_email[i] else ""
    return first, last, sx, title, email


def _userid(ps: _Pass, first: str, last: str) -> str:
    """A unique OPAC login: initial and surname and a number."""
    base = (ascii_slug(first)[:1] + ascii_slug(last))[:12] or "patron"
    userid = f"{base}{ps.r.randint(1, 99)}"
    while userid in ps.used_userids:
        userid = f"{base}{ps.r.randint(100, 9999)}"
    ps.used_userids.add(userid)
    return userid


def _card_dates(ps: _Pass, i: int) -> tuple[date, date, str]:
    """(dateenrolled, dateexpiry, date_renewed or ''): recent patrons hold a valid card."""
    pat, d = ps.pat, ps.draws
    enrolled = from_day(pat.enrolled[i])
    recent = pat.status[i] in (ACTIVE, IDLE)
    seen_day = (_AS_OF_DAY if pat.status[i] == ACTIVE or pat.lastseen[i] == NONE
                else int(pat.lastseen[i] // 86400))
    years = int(d.exp_years[i])
    expiry = add_years(enrolled, years)
    renewed = ""
    if recent and to_day(expiry) < seen_day:
        lo, hi = max(pat.enrolled[i] + 30, seen_day - 2 * 365), seen_day
        rd = from_day(lo + int(d.renewed_v[i] * max(0, hi - lo)))
        renewed, expiry = rd.isoformat(), add_years(rd, max(years, 3))
    elif d.renewed_u[i] < 0.4 and pat.enrolled[i] + 365 < min(seen_day, to_day(expiry)):
        lo, hi = pat.enrolled[i] + 365, min(seen_day, to_day(expiry))
        rd = from_day(lo + int(d.renewed_v[i] * (hi - lo)))
        renewed, expiry = rd.isoformat(), add_years(rd, years)
    return enrolled, expiry, renewed


def _fill(ps: _Pass, i: int, template: str) -> str:
    """A note template with fictional personal data put into its placeholders."""
    r, fake, enrolled = ps.r, ps.fake, ps.pat.enrolled[i]
    values = {}
    if "{phone}" in template:
        values["phone"] = fake_phone(r)
    if "{email}" in template:
        values["email"] = fake_email(r, fake.first_name(), fake.last_name())
    if "{name}" in template:
        values["name"] = fake.name()
    if "{oldcard}" in template:
        values["oldcard"] = make_barcode("2", r.randint(90_000_000, 99_999_999))
    if "{date}" in template:
        values["date"] = from_day(enrolled + r.randint(
            0, max(1, _AS_OF_DAY - enrolled))).isoformat()
    return template.format(**values)


def _notes(ps: _Pass, i: int) -> tuple[str, str, str, str]:
    """(borrowernotes, opacnote, debarred, debarredcomment), most of them empty."""
    r, d = ps.r, ps.draws
    note = ""
    if d.note_u[i] < 0.04:
        note = _fill(ps, i, r.choice(_NOTE_PII))
    elif d.note_u[i] < 0.12:
        note = _fill(ps, i, r.choice(_NOTE_BENIGN))
    opac = ""
    if d.opac_u[i] < 0.01:
        opac = _fill(ps, i, r.choice(_OPAC_PII))
    elif d.opac_u[i] < 0.03:
        opac = r.choice(_OPAC_BENIGN)
    debar_date, debar_comment = "", ""
    if d.debarred[i] and ps.pat.kind[i] == GENERAL:
        debar_date = ("9999-12-31" if d.debar_u[i] < 0.3 else
                      from_day(_AS_OF_DAY + 1 + int(d.debar_u[i] * 400)).isoformat())
        debar_comment = _fill(ps, i, _DEBAR[int(d.debar_u[i] * len(_DEBAR))])
    return note, opac, debar_date, debar_comment


def _borrower_row(ps: _Pass, i: int) -> dict[str, str]:
    """Patron ``i``'s row of ``borrowers.csv`` (``lastseen`` is filled in later)."""
    pat, d, fake, r = ps.pat, ps.draws, ps.fake, ps.r
    cat, zipc = pat.category[i], pat.zipcode[i]
    city, state = _town(zipc)
    first, last, sx, title, email = _identity(ps, i)
    phone = fake_phone(r) if d.has_phone[i] or pat.kind[i] == ILL_LIBRARY else ""
    mobile = fake_phone(r) if d.has_mobile[i] and pat.kind[i] != ILL_LIBRARY else ""
    sms = sms_number(mobile or phone) if d.has_sms[i] and (mobile or phone) else ""
    cardnumber = (str(d.legacy_nums[i]) if d.legacy[i] else make_barcode("2", int(d.seq[i])))
    userid = _userid(ps, first, last)
    enrolled, expiry, renewed = _card_dates(ps, i)
    note, opac, debar_date, debar_comment = _notes(ps, i)
    return {
        "borrowernumber": str(i + 1), "cardnumber": cardnumber, "surname": last,
        "firstname": first, "title": title,
        "othernames": fake.first_name() if d.has_other[i] and pat.kind[i] != ILL_LIBRARY else "",
        "initials": (ascii_slug(first)[:1] + ascii_slug(last)[:1]).upper()
        if d.has_initials[i] and first else "",
        "streetnumber": str(r.randint(1, 399) if r.random() < 0.7 else r.randint(400, 2999)),
        "address": r.choice(ps.streets[zipc]),
        "address2": fake.secondary_address() if d.has_addr2[i] else "",
        "city": city, "state": state, "zipcode": zipc, "country": "USA" if d.usa[i] else "",
        "email": email, "phone": phone, "mobile": mobile,
        "dateofbirth": from_day(pat.dob[i]).isoformat() if pat.dob[i] != NONE else "",
        "branchcode": BRANCHES[pat.home[i]], "categorycode": cat,
        "dateenrolled": enrolled.isoformat(), "dateexpiry": expiry.isoformat(),
        "date_renewed": renewed, "gonenoaddress": d.gone[i], "lost": d.lost[i],
        "debarred": debar_date, "debarredcomment": debar_comment, "borrowernotes": note,
        "sex": sx, "userid": userid, "opacnote": opac,
        "sort1": _SORT1[int(d.sort1_u[i] * 80) % len(_SORT1)] if d.sort1_u[i] < 0.10 else "",
        "sort2": _SORT2[int(d.sort2_u[i] * 100) % len(_SORT2)] if d.sort2_u[i] < 0.05 else "",
        "privacy": d.privacy[i], "lastseen": "", "anonymized": "0", "smsalertnumber": sms,
        "lang": d.lang[i],
        "primary_contact_method": (d.contact[i] if (d.contact[i] != "email" or email) else
                                   ("phone" if phone else "")),
    }


def patron_columns(rng: np.random.Generator, fake: Faker, pat: Patrons) -> None:
    """Names, addresses, contacts and notes (Faker, one pass per patron); fills ``pat.cols``."""
    draws = _Draws(rng, pat)
    ps = _Pass(pat, draws, fake, _streets(fake), iter(ILL_LIBRARIES))
    cols: dict[str, list[str]] = {c: [] for c in KOHA_BORROWERS_COLUMNS}
    for i in range(pat.n):
        row = _borrower_row(ps, i)
        for c in KOHA_BORROWERS_COLUMNS:
            cols[c].append(row[c])
    pat.cols = cols
