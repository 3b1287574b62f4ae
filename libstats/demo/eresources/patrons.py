"""The patrons who use the demo library's databases from home: their logins and habits.

A patron logs in with a card number, an e-mail address or an LDAP DN, comes from one address
with one browser and has databases of their own taste; a few patrons make most of the visits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from faker import Faker

from libstats.demo.common import EXAMPLE_DOMAINS, make_barcode

N_PATRONS = 1800
DB_WEIGHTS = np.array([0.32, 0.22, 0.18, 0.12, 0.10, 0.05, 0.008])     # ASP .. IPLIT
BROWSERS = (
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36"),
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.5 Mobile/15E148 Safari/604.1"),
    ("Mozilla/5.0 (Linux; Android 14; SM-S911U) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Mobile Safari/537.36"),
    ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/125.0.0.0 Safari/537.36"),
    ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Mobile/15E148 Safari/604.1"),
)


@dataclass
class Patron:
    """A card holder who uses the databases from home."""

    ident: str                # the login as %u shows it
    kind: str                 # barcode / email / ldap
    barcode: str              # every patron has a card (used in URLs)
    email: str
    ip: str
    ua: str
    dbw: np.ndarray           # own database weights


def make_patrons(rng: np.random.Generator, fake: Faker, r: random.Random) -> tuple[list[Patron],
                 np.ndarray]:
    """The patrons and how likely each is to make a given visit (a few make most)."""
    out = []
    kinds = rng.choice(3, size=N_PATRONS, p=(0.6, 0.22, 0.18))
    taste = rng.dirichlet(DB_WEIGHTS * 12, size=N_PATRONS)
    for i in range(N_PATRONS):
        first = "".join(c for c in fake.first_name() if c.isalpha()) or "Alex"
        last = "".join(c for c in fake.last_name() if c.isalpha()) or "Reader"
        barcode = make_barcode("2", r.randint(1_000, 99_999_999))
        email = (f"{first.lower()}{r.choice(('.', '_', ''))}{last.lower()}"
                 f"{r.choice(('', '', str(r.randint(1, 99))))}@{r.choice(EXAMPLE_DOMAINS)}")
        k = int(kinds[i])
        if k == 0:
            ident = barcode
        elif k == 1:
            ident = email
        else:
            ident = f"uid={first[0].lower()}{last.lower()}{r.randint(1, 99)},ou=patrons," \
                    "dc=riverbend,dc=example"
        net = r.choice(("203.0.113", "198.51.100"))
        ip = f"{net}.{r.randint(1, 199)}"
        out.append(Patron(ident, ("barcode", "email", "ldap")[k], barcode, email, ip,
                          r.choice(BROWSERS), taste[i]))
    w = (np.arange(N_PATRONS) + 5.0) ** -0.8
    w = w[rng.permutation(N_PATRONS)]
    return out, w / w.sum()
