"""The domains a run knows, in the order their tables are published. Adding a domain is adding
its module (the interface of ``pipelines/context.py``) and one entry here."""

from __future__ import annotations

from pipelines import circulation, computers, eresources, ill, programs, web, wifi
from pipelines.context import Domain

#: Each domain publishes when the run has a source of its first kind; its other kinds (patron
#: registrations, items) only feed it.
DOMAINS: tuple[Domain, ...] = (circulation, wifi, eresources, computers, web, programs, ill)


def domain_of(kind: str) -> Domain:
    """The domain that reads sources of ``kind`` (the config has checked the kind)."""
    return next(d for d in DOMAINS if kind in d.KINDS)
