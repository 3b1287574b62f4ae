"""A visit through the proxy: the login at the starting point, one or two databases, logout.

Remote patrons log in with their own identity from their own address; the branches' public
computers come through the branch's address without a login, in format B behind the web filter
(``X-Forwarded-For``) and sometimes without a session id.
"""

from __future__ import annotations

import random
from datetime import date
from urllib.parse import quote

from libstats.demo.eresources.clicks import Ctx, Line, request_line
from libstats.demo.eresources.clock import FORMAT_B_FROM
from libstats.demo.eresources.settings import (ASP, AUTO, HERITAGE, LINGUA, MEDREF, NEWS,
                                             PROXY_HOST)
from libstats.demo.eresources.databases import db_session, start_url

P_SECOND_DB = 0.12
LB_XFF_SHARE = 0.12             # format B, remote patrons whose carrier adds X-Forwarded-For
P_B_NO_SESSION = 0.1            # format B branch visits logged without a session id
BRANCH_PC_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                "Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0")
BRANCH_NAT = {"CEN": "192.0.2.10", "NOR": "192.0.2.20", "EAS": "192.0.2.30"}
BRANCH_LAN = {"CEN": 1, "NOR": 2, "EAS": 3}
WEB_FILTER = "10.0.0.99"
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def _proxy_login(db: int, ctx: Ctx, logged_in: bool) -> None:
    """The starting-point URL through the proxy: an SPU line and the main log's login lines."""
    r = ctx.r
    target = start_url(db, ctx)
    if r.random() < 0.2:
        path = f"/login?qurl={quote(target, safe='')}"
    else:
        path = f"/login?url={target}"
    url = (f"https://{PROXY_HOST}{path}" if r.random() < 0.9 else path)
    status = 302 if logged_in or ctx.patron is None else 200
    user_now = ctx.user if logged_in else "-"
    sess_now = ctx.sess if logged_in else "-"
    ctx.seq += 1
    spu_user = user_now if r.random() < 0.5 else "-"
    spu_st = status if r.random() > 0.004 else 500
    spu = Line(ctx.t, ctx.seq, ctx.h.split(",")[0], "-", spu_user, request_line(url), spu_st, 0,
               "", "-")
    ctx.spu.append(spu)
    if r.random() < 0.03:                               # a second click on the same link
        ctx.spu.append(Line(ctx.t + r.randint(1, 25), ctx.seq, spu.h, "-", spu.user, spu.req,
                            spu.status, 0, "", "-"))
    ctx.emit(url, status, user=user_now, sess=sess_now)
    if status == 200:
        ctx.t += r.randint(8, 40)
        ctx.emit(f"https://{PROXY_HOST}/login", 302, method="POST", user="-", sess="-")
    ctx.t += r.randint(1, 3)


def session_id(r: random.Random) -> str:
    """An EZproxy session id: 15 letters and digits."""
    return "".join(r.choice(ALNUM) for _ in range(15))


def visit(db: int, ctx: Ctx, d: date, branch: str | None) -> None:
    """One visit to database ``db`` on day ``d``, remote (``branch`` None) or from a
    branch's public computer, starting at ``ctx.t``."""
    r = ctx.r
    b_era = d >= FORMAT_B_FROM
    if branch is not None:
        ctx.h = BRANCH_NAT[branch]
        ctx.user = "-"
        ctx.ua = BRANCH_PC_UA
        ctx.xff = (f"10.40.{BRANCH_LAN[branch]}.{r.randint(11, 40)}, {WEB_FILTER}"
                   if b_era else "-")
        ctx.sess = "-" if (not b_era or r.random() < P_B_NO_SESSION) else session_id(r)
    else:
        p = ctx.patron
        ctx.h = p.ip
        ctx.user = p.ident
        ctx.ua = p.ua if r.random() > 0.01 else "-"
        ctx.xff = (f"203.0.113.{r.randint(200, 254)}" if b_era and r.random() < LB_XFF_SHARE
                   else "-")
        ctx.sess = session_id(r) if b_era else "-"
    _proxy_login(db, ctx, logged_in=branch is not None or r.random() < 0.4)
    db_session(db, ctx)
    if r.random() < P_SECOND_DB:
        other = int(r.choice((ASP, NEWS, HERITAGE, MEDREF, LINGUA, AUTO)))
        if other != db:
            if r.random() < 0.3:
                ctx.emit("/menu" if r.random() < 0.5 else f"https://{PROXY_HOST}/menu")
                ctx.t += r.randint(3, 20)
            _proxy_login(other, ctx, logged_in=True)
            db_session(other, ctx)
    if r.random() < 0.15:
        ctx.emit(f"https://{PROXY_HOST}/logout", 302)
