"""Fictional contact details for the ILS exports: phone numbers, e-mail addresses, name slugs.

Phone numbers are in the 555-0100 .. 555-0199 range reserved for fiction, e-mail addresses at the
documentation domains of :data:`~libstats.demo.common.EXAMPLE_DOMAINS`. ``r`` is the seeded
``random.Random`` of the generator's Faker.
"""

from __future__ import annotations

import functools
import unicodedata

from libstats.demo.circulation.constants import AREA_CODES
from libstats.demo.common import EXAMPLE_DOMAINS


@functools.lru_cache(maxsize=None)
def ascii_slug(s: str) -> str:
    """``s`` in lower-case ASCII letters and digits (accents dropped): for logins and e-mails."""
    s = unicodedata.normalize("NFKD", s.replace("œ", "oe").replace("Œ", "Oe").replace("ø", "o"))
    return "".join(ch for ch in s if ch.isascii() and ch.isalnum()).lower()


def fake_phone(r) -> str:
    """A fictional number in the 555-0100..0199 range, in one of three formats."""
    area, line, fmt = r.choice(AREA_CODES), r.randint(100, 199), r.randrange(3)
    return (f"({area}) 555-0{line}", f"{area}-555-0{line}", f"+1 {area} 555 0{line}")[fmt]


def sms_number(phone: str) -> str:
    """``phone`` as Koha's ``smsalertnumber`` holds it: +1 and ten digits."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "+1" + digits[-10:]


def fake_email(r, first: str, last: str) -> str:
    """An address at a documentation domain made from a first and a last name."""
    f, la = ascii_slug(first) or "reader", ascii_slug(last) or "patron"
    form = r.randrange(3)
    local = (f"{f}.{la}", f"{f[0]}{la}{r.randint(1, 99)}", f"{la}.{f[0]}{r.randint(1, 9)}")[form]
    return f"{local}@{r.choice(EXAMPLE_DOMAINS)}"
