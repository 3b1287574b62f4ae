"""The robots in the format-B logs: crawlers, monitoring probes, the link checker, a scraper.

Recognisable only by their user agents (:data:`~libstats.demo.eresources.settings.ROBOT_AGENTS`);
the library's own link checker is known only to ``extra_robots``, and the scraper runs with a
patron's session.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from libstats.demo.eresources.clicks import Ctx
from libstats.demo.eresources.clock import local_epoch
from libstats.demo.eresources.settings import (ASP, HERITAGE, LINGUA, MEDREF, NEWS, PROXY_HOST,
                                             ROBOT_AGENTS)
from libstats.demo.eresources.databases import hex_digits, start_url
from libstats.demo.eresources.patrons import Patron
from libstats.demo.eresources.visits import session_id

def robots(ctx: Ctx, d: date, rng: np.random.Generator, patrons: list[Patron]) -> None:
    """The day's robot lines (format B only): crawlers, curl probes, the link checker,
    and on a few days a scraper with a patron's session."""
    r = ctx.r
    base = local_epoch(d, 0, 0, 0)
    starts = [start_url(x, ctx) for x in (ASP, NEWS, HERITAGE, MEDREF)]
    ctx.patron = None
    # Googlebot and bingbot follow public links to the proxy and to databases
    for name, n in (("googlebot", int(rng.poisson(5))), ("bingbot", int(rng.poisson(3)))):
        for _ in range(n):
            ctx.t = base + r.randint(0, 86_399)
            ctx.h, ctx.sess, ctx.user = f"198.51.100.{r.randint(200, 220)}", "-", "-"
            ctx.ua, ctx.xff = ROBOT_AGENTS[name], "-"
            u = r.random()
            if u < 0.5:
                ctx.emit(f"https://{PROXY_HOST}/login?url={r.choice(starts)}", 302)
            elif u < 0.9:
                ctx.emit(r.choice(starts), 200)
            else:
                ctx.emit(f"https://{PROXY_HOST}/robots.txt", 404, nbytes=210)
    # curl probes of the login page (a monitoring script of the IT department)
    for k in range(r.randint(1, 3)):
        ctx.t = base + 6 * 3600 + k * 4 * 3600 + r.randint(0, 60)
        ctx.h, ctx.sess, ctx.user, ctx.ua, ctx.xff = "10.0.0.5", "-", "-", ROBOT_AGENTS["curl"], "-"
        ctx.emit(f"https://{PROXY_HOST}/login", 200)
    # the nightly link checker of the library's web site: every database's starting page
    ctx.t = base + 2 * 3600 + 15 * 60 + r.randint(0, 120)
    ctx.h, ctx.sess, ctx.user = "10.0.0.7", "-", "-"
    ctx.ua, ctx.xff = ROBOT_AGENTS["linkcheck"], "-"
    for x in (ASP, NEWS, HERITAGE, MEDREF, LINGUA):
        ctx.emit(start_url(x, ctx), 200)
        ctx.t += r.randint(1, 4)
    # a scraper with a patron's session, on a few days
    if d.day in (6, 19) and d.month in (2, 4, 5):
        p = patrons[int(rng.integers(len(patrons)))]
        ctx.t = base + 22 * 3600 + r.randint(0, 1800)
        ctx.h, ctx.sess, ctx.user = p.ip, session_id(r), p.ident
        ctx.ua, ctx.xff = ROBOT_AGENTS["python-requests"], "-"
        for _ in range(r.randint(25, 45)):
            ctx.emit(f"https://infoweb.newsvault.example/apps/news/document-view?p=NVNB"
                     f"&docref=news/{hex_digits(r, 16)}", 200)
            ctx.t += r.randint(2, 6)
