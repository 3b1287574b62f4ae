"""Inside the databases: each one's starting point and the clicks of a session in it.

The URLs carry what the pipeline must handle: search terms (health conditions, surnames), card
numbers and e-mail addresses in LinguaLab's launch URL and NewsVault's searches and alerts,
stylesheets and logos, and page images, scans, PDFs and audio under other hosts of the same
database.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from urllib.parse import quote, quote_plus

from libstats.demo.common import MONTH_ABBR
from libstats.demo.eresources.clicks import Ctx
from libstats.demo.eresources.settings import ASP, AUTO, HERITAGE, IPLIT, LINGUA, MEDREF, NEWS

TOPICS = (
    "climate change", "civil war letters", "diabetes diet", "resume writing",
    "small business grants", "opioid crisis", "renewable energy", "ww2 rationing",
    "high blood pressure",
    "sleep apnea", "immigration history", "connecticut river", "minimum wage", "school lunch",
    "electric vehicles", "home gardening", "vitamin d", "food allergies", "colonial america",
    "social media teens", "housing prices", "bird migration", "artificial intelligence",
    "alzheimers caregiving", "tax credits", "mill towns", "ged practice", "knee replacement",
    "citizenship test", "anxiety children", "flood insurance", "jazz age", "asthma triggers",
    "retirement savings", "local elections", "covid vaccine", "beekeeping", "chess openings",
)
LANGS = ("es", "fr", "it", "de", "pt", "zh", "ar", "ko", "ja", "asl")
MAKES = ("ford", "chevrolet", "toyota", "honda", "subaru", "nissan", "hyundai", "jeep")
JOBS = ("brake-pads", "serpentine-belt", "oil-change", "alternator", "spark-plugs",
        "wiper-motor", "thermostat", "battery")

#: Names never put in a URL: the leak scan compares every query-string value with every output
#: value, and these are also values of the pipeline's own columns (the ILS names).
RESERVED_WORDS = frozenset({"sierra", "koha"})


def _name(fn) -> str:
    """A Faker first or last name that is not one of :data:`RESERVED_WORDS`."""
    while True:
        v = fn()
        if v.lower() not in RESERVED_WORDS:
            return v


def _term(ctx: Ctx) -> str:
    return quote_plus(ctx.r.choice(TOPICS))


def hex_digits(r: random.Random, n: int) -> str:
    """``n`` random upper-case hex digits (session and document ids in URLs)."""
    return "".join(r.choice("0123456789ABCDEF") for _ in range(n))


def start_url(db: int, ctx: Ctx) -> str:
    """The database's starting-point URL (LinguaLab's carries the patron's card or e-mail)."""
    r, p = ctx.r, ctx.patron
    if db == ASP:
        return "https://search.ebscohost.com/login.aspx?authtype=ip,uid&profile=ehost&defaultdb=aph"
    if db == NEWS:
        return "https://infoweb.newsvault.example/apps/news/?p=NVNB"
    if db == HERITAGE:
        return "https://genealogy.archivalpress.example/hr/"
    if db == MEDREF:
        return "https://consumer.medref.example/"
    if db == LINGUA:
        lang = r.choice(LANGS)
        if p is None:
            return f"https://app.lingualab.example/launch?lang={lang}"
        if p.kind == "email":
            mail = p.email if r.random() < 0.5 else quote(p.email, safe="")
            return f"https://app.lingualab.example/launch?email={mail}&lang={lang}"
        return f"https://app.lingualab.example/launch?patron={p.barcode}&lang={lang}"
    if db == AUTO:
        return "http://www.autorepairsource.example/"
    if db == IPLIT:
        return "http://198.51.100.23:8080/catalog/"
    return "http://archive.millbrookfalls-history.example/collections/"


def _academic_search(ctx: Ctx, n: int, sid: str) -> None:
    """Academic Search Premier (EBSCOhost): searches, records, full text and PDFs."""
    r = ctx.r
    if r.random() < 0.3:
        ctx.asset("https://search.ebscohost.com/ehost/css/ehost.css?v=20240612")
        ctx.asset("https://search.ebscohost.com/ehost/images/ebsco-logo.png")
    ctx.click(f"https://search.ebscohost.com/ehost/search/basic?vid=0&sid={sid}%40redis")
    an = r.randint(100_000_000, 189_999_999)
    for k in range(n):
        u = r.random()
        if k == 0 or u < 0.35:
            page = "results" if r.random() < 0.85 else "resultsadvanced"
            ctx.click(f"https://search.ebscohost.com/ehost/{page}?vid={k + 1}&sid={sid}"
                      f"%40redis&bquery={_term(ctx)}&bdata=JmRiPWFwaCZ0eXBlPTA")
            ctx.count(ASP, "search")
        elif u < 0.6:
            an = r.randint(100_000_000, 189_999_999)
            ctx.click(f"https://search.ebscohost.com/ehost/detail/detail?vid={k + 1}&sid="
                      f"{sid}%40redis&bdata=JnNpdGU9ZWhvc3QtbGl2ZQ%3d%3d#AN={an}&db=aph")
            ctx.count(ASP, "view")
        elif u < 0.75:
            ctx.click(f"https://search.ebscohost.com/ehost/detail/fulltext?vid={k + 1}&sid="
                      f"{sid}%40redis&AN={an}&db=aph")
            ctx.count(ASP, "full")
        elif u < 0.88:
            ctx.click(f"https://search.ebscohost.com/ehost/pdfviewer/pdfviewer?vid={k + 1}"
                      f"&sid={sid}%40redis")
            ctx.count(ASP, "full")
        else:
            d = datetime(2024, 1, 1) + timedelta(days=r.randint(0, 400))
            ctx.click(f"https://content.ebscohost.com/pdf29_30/pdf/{d.year}/{hex_digits(r, 3)}/"
                      f"{d.day:02d}{MONTH_ABBR[d.month]}{d.year % 100}/{an}.pdf?T=P&P=AN&K={an}"
                      f"&S=R&D=aph&EbscoContent=dGJyMNLe80Sep7Q4v%2BbwOLCmsEmep7JSr6a4TbCW")
            ctx.count(ASP, "full")


def _newsvault(ctx: Ctx, n: int) -> None:
    """NewsVault: searches (some with the card number), articles, page images, alerts."""
    r = ctx.r
    if r.random() < 0.3:
        ctx.asset("https://infoweb.newsvault.example/apps/static/css/main.css")
        ctx.asset("https://infoweb.newsvault.example/apps/static/img/nv-logo.png")
    for k in range(n):
        u = r.random()
        if k == 0 or u < 0.35:
            if r.random() < 0.5:
                extra = (f"&patron={ctx.patron.barcode}" if ctx.patron is not None
                         and r.random() < 0.1 else "")
                ctx.click(f"https://infoweb.newsvault.example/apps/news/easy-search?p=NVNB"
                          f"{extra}&q={_term(ctx)}")
            else:
                ctx.click(f"https://infoweb.newsvault.example/apps/news/results?p=NVNB&t="
                          f"country%3AUSA%21USA&sort=YMD_date%3AD&q={_term(ctx)}")
            ctx.count(NEWS, "search")
        elif u < 0.85:
            ref = hex_digits(r, 16)
            ctx.click(f"https://infoweb.newsvault.example/apps/news/document-view?p=NVNB"
                      f"&docref=news/{ref}")
            ctx.count(NEWS, "full")
            if r.random() < 0.4:
                ctx.click(f"https://news.archivalpress.example/apps/news/image/v2/{ref}.jpg")
        elif u < 0.9 and ctx.patron is not None:
            ctx.click(f"https://infoweb.newsvault.example/apps/news/alerts/subscribe?email="
                      f"{quote(ctx.patron.email, safe='@')}&q={_term(ctx)}")
        else:
            ctx.click(f"https://infoweb.newsvault.example/apps/news/browse?p=NVNB&d="
                      f"{r.randint(1950, 2024)}")
            ctx.count(NEWS, "view")


def _heritage_roots(ctx: Ctx, n: int) -> None:
    """Heritage Roots: census and book searches by surname, records, scans."""
    r = ctx.r
    if r.random() < 0.3:
        ctx.asset("https://genealogy.archivalpress.example/hr/static/app.css")
        ctx.asset("https://genealogy.archivalpress.example/hr/static/hr-logo.png")
    roll, frame = r.randint(100, 999), r.randint(1, 900)
    for k in range(n):
        u = r.random()
        if k == 0 or u < 0.4:
            if r.random() < 0.75:
                ctx.click(f"https://genealogy.archivalpress.example/hr/search/census?surname="
                          f"{quote_plus(_name(ctx.fake.last_name))}&given="
                          f"{quote_plus(_name(ctx.fake.first_name))}&state=CT&year="
                          f"{r.choice((1900, 1910, 1920, 1930, 1940, 1950))}")
            else:
                ctx.click(f"https://genealogy.archivalpress.example/hr/search/books?q="
                          f"{quote_plus(_name(ctx.fake.last_name))}+family")
            ctx.count(HERITAGE, "search")
        elif u < 0.6:
            ctx.click(f"https://genealogy.archivalpress.example/hr/record/census/"
                      f"{r.randint(10_000_000, 99_999_999)}")
            ctx.count(HERITAGE, "view")
        elif u < 0.8:
            frame += 1
            ctx.click(f"https://genealogy.archivalpress.example/hr/view/census/1940/{roll}/"
                      f"{frame}")
            ctx.click(f"https://scans.img.archivalpress.example/census/1940/T627_{roll}/"
                      f"{frame:04d}.jpg")
            ctx.count(HERITAGE, "full")
        else:
            ctx.click(f"https://genealogy.archivalpress.example/hr/view/book/"
                      f"hrb{r.randint(1, 15):03d}/page/{r.randint(1, 400)}")
            ctx.count(HERITAGE, "full")


def _medref(ctx: Ctx, n: int) -> None:
    """MedRef Consumer Health: searches for conditions, articles, leaflets."""
    r = ctx.r
    if r.random() < 0.3:
        ctx.asset("https://consumer.medref.example/static/medref.css")
        ctx.asset("https://consumer.medref.example/static/img/logo.png")
    art = r.randint(100_000, 999_999)
    for k in range(n):
        u = r.random()
        if k == 0 or u < 0.35:
            ctx.click(f"https://consumer.medref.example/search?q={_term(ctx)}&type=all")
            ctx.count(MEDREF, "search")
        elif u < 0.6:
            art = r.randint(100_000, 999_999)
            ctx.click(f"https://consumer.medref.example/article/{art}")
            ctx.count(MEDREF, "view")
        elif u < 0.85:
            ctx.click(f"https://consumer.medref.example/article/{art}/"
                      f"{r.choice(('fulltext', 'pdf'))}")
            ctx.count(MEDREF, "full")
        else:
            ctx.click(f"https://consumer.medref.example/leaflet/{r.randint(1000, 9999)}.pdf")
            ctx.count(MEDREF, "full")


def _lingualab(ctx: Ctx, n: int) -> None:
    """LinguaLab: one language's courses, lessons and their audio."""
    r = ctx.r
    lang = r.choice(LANGS)
    ctx.asset("https://app.lingualab.example/assets/app.css")
    ctx.asset(f"https://app.lingualab.example/assets/flags/{lang}.png")
    unit = r.randint(1, 12)
    for _ in range(n):
        u = r.random()
        if u < 0.15:
            ctx.click(f"https://app.lingualab.example/courses/search?q={lang}+beginner")
            ctx.count(LINGUA, "search")
        elif u < 0.3:
            ctx.click(f"https://app.lingualab.example/courses/{lang}")
            ctx.count(LINGUA, "view")
        else:
            les = r.randint(1, 8)
            ctx.click(f"https://app.lingualab.example/lesson/{lang}/unit{unit}/lesson{les}")
            ctx.count(LINGUA, "full")
            if r.random() < 0.5:
                ctx.click(f"https://media.lingualab.example/audio/{lang}/u{unit}l{les}-"
                          f"{r.randint(1, 9)}.mp3")


def _auto_repair(ctx: Ctx, n: int) -> None:
    """The unmapped, popular auto repair database: one vehicle's pages."""
    r = ctx.r
    make = r.choice(MAKES)
    year = r.randint(2005, 2022)
    for k in range(n):
        if k == 0 or r.random() < 0.3:
            ctx.click(f"http://www.autorepairsource.example/vehicles/{make}/{year}")
        else:
            ctx.click(f"http://www.autorepairsource.example/repair/{make}/{year}/"
                      f"{r.choice(JOBS)}")


def _obituary_index(ctx: Ctx, n: int) -> None:
    """The unmapped local-history index at an IP address: obituary searches."""
    for _ in range(min(n, 4)):
        ctx.click(f"http://198.51.100.23:8080/catalog/search?q="
                  f"{quote_plus(_name(ctx.fake.last_name))}&type=obituary")


def _mill_archive(ctx: Ctx, n: int) -> None:
    """The unmapped archive visited four times a year: collection items."""
    r = ctx.r
    for _ in range(min(n, 3)):
        ctx.click(f"http://archive.millbrookfalls-history.example/collections/mill/"
                  f"item{r.randint(1, 300)}")


def db_session(db: int, ctx: Ctx) -> None:
    """The clicks inside one database after the proxy let the patron in."""
    r = ctx.r
    n = 1 + min(int(r.expovariate(1 / 3.6)), 25)
    start = start_url(db, ctx)
    ctx.click(start)
    sid = f"{hex_digits(r, 8).lower()}-{hex_digits(r, 4).lower()}-{hex_digits(r, 4).lower()}"
    if db == ASP:
        _academic_search(ctx, n, sid)
    elif db == NEWS:
        _newsvault(ctx, n)
    elif db == HERITAGE:
        _heritage_roots(ctx, n)
    elif db == MEDREF:
        _medref(ctx, n)
    elif db == LINGUA:
        _lingualab(ctx, n)
    elif db == AUTO:
        _auto_repair(ctx, n)
    elif db == IPLIT:
        _obituary_index(ctx, n)
    else:
        _mill_archive(ctx, n)
