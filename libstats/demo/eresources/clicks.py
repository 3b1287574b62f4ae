"""Log lines in the making: one line of the proxy's logs, and the state of a visit that emits them.

:class:`Ctx` carries who is clicking, from where and when, and collects the main log's and the
SPU log's lines; :meth:`Ctx.click` plants failed requests, retries and double-clicks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from faker import Faker

from libstats.demo.eresources.patrons import Patron

P_DOUBLE = 0.03                 # a click repeated within 30 s
P_CHAIN = 0.15                  # ... and once more
P_NEAR_MISS = 0.012             # a click repeated 31-40 s later
P_FAIL = 0.015


def request_line(url: str, method: str = "GET") -> str:
    """The ``%r`` field: method, URL and protocol."""
    return f"{method} {url} HTTP/1.1"


@dataclass
class Line:
    """One line of the main or the SPU log before rendering (``t`` orders the lines)."""

    t: int                    # UTC epoch
    seq: int
    h: str
    sess: str
    user: str
    req: str
    status: int
    nbytes: int
    ua: str
    xff: str


@dataclass
class Ctx:
    """The visit being simulated: who, from where, when; and every line emitted so far."""

    r: random.Random
    fake: Faker
    patron: Patron | None
    lines: list[Line] = field(default_factory=list)
    spu: list[Line] = field(default_factory=list)
    h: str = ""
    sess: str = "-"
    user: str = "-"
    ua: str = ""
    xff: str = "-"
    t: int = 0
    seq: int = 0
    actions: dict = field(default_factory=dict)     # (db, kind) -> count, for COUNTER

    def emit(self, url: str, status: int = 200, nbytes: int | None = None, method="GET",
             dt: int = 0, user: str | None = None, sess: str | None = None) -> Line:
        if nbytes is None:
            nbytes = 0 if status in (302, 304) else self.r.randint(900, 180_000)
        self.seq += 1
        ln = Line(self.t + dt, self.seq, self.h, self.sess if sess is None else sess,
                  self.user if user is None else user, request_line(url, method), status, nbytes,
                  self.ua, self.xff)
        self.lines.append(ln)
        return ln

    def click(self, url: str, status: int = 200) -> None:
        """A patron's click: maybe failed, maybe double-clicked; advances the clock."""
        r = self.r
        if r.random() < P_FAIL:
            st = r.choice((404, 404, 500, 403))
            self.emit(url, st, nbytes=r.randint(200, 2000))
            if st == 500 and r.random() < 0.5:
                self.emit(url, status, dt=r.randint(2, 20))
        else:
            self.emit(url, status)
        if r.random() < P_DOUBLE:
            d1 = r.randint(1, 30)
            self.emit(url, status, dt=d1)
            if r.random() < P_CHAIN:
                self.emit(url, status, dt=d1 + r.randint(1, 30))
        elif r.random() < P_NEAR_MISS:
            self.emit(url, status, dt=r.randint(31, 40))
        self.t += 45 + int(r.expovariate(1 / 40))

    def asset(self, url: str) -> None:
        self.emit(url, 304 if self.r.random() < 0.4 else 200, dt=1)

    def count(self, db: int, kind: str, n: int = 1) -> None:
        self.actions[(db, kind)] = self.actions.get((db, kind), 0) + n
