"""Sierra's ``circ_trans`` export of the demo library: 2024-07-01 .. 2024-09-30, in UTC.

Before the migration the same events are Sierra rows: GMT timestamps, numeric codes (itype,
ptype, stat group, count type), patrons and items as Sierra record ids that no column links to
Koha's numbers, and hold rows that are not circulation. This module maps the model's Koha-era
codes to Sierra's.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from libstats.demo.circulation.constants import (COUNTY_ZIPS, ELDER_ZIP, ENCODINGS, FILES,
                                                 HOLD_PLACED, ISSUE, KINDS, LOCALUSE, MIGRATION,
                                                 NONE, OPAC, PAYMENT, RENEW, RETURN, SIERRA_OP, SIP,
                                                 WRITEOFF, K)
from libstats.demo.circulation.dates import fmt_secs, to_day, utc_offsets
from libstats.demo.circulation.items import Items
from libstats.demo.circulation.patrons import Patrons
from libstats.demo.circulation.tables import lookup, write_csv
from libstats.demo.circulation.transactions import Events
from libstats.demo.common import SIERRA_CIRC_TRANS_COLUMNS

SIERRA_BRANCH = ("cen", "nor", "eas")           # location code prefixes of CEN, NOR, EAS
SIERRA_LOC_SUFFIX = {"AFIC": "af", "ANF": "an", "YAFIC": "ya", "YANF": "ya", "JFIC": "jf",
                     "JNF": "jn", "EASY": "je", "PER": "pe", "LOT": "lt"}
SIERRA_PTYPE = {"PT": "0", "J": "1", "YA": "2", "SR": "3", "ST": "10"}
ZIP_REGION = {"06410": 1, "06411": 1, "06412": 2, "06413": 2, "06414": 3, "06415": 4,
              "06416": 5, "06417": 6, "06418": 7, "06419": 8, ELDER_ZIP: 8}  # others: 9


def _item_codes(items: Items) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item_location_code, itype_code_num, loanrule_code_num) of every item."""
    loc_suffix = np.array([SIERRA_LOC_SUFFIX.get(c, "") for c in items.ccode], dtype=object)
    media = items.ccode == "MEDIA"
    loc_suffix[media] = np.where(items.kind[media] == K["JDVD"], "jv", "av")
    item_loc = np.array(SIERRA_BRANCH, dtype=object)[items.home] + loc_suffix
    sierra_itype = np.array([k.sierra_itype for k in KINDS], dtype=object)[items.kind]
    loanrule = np.array([k.loanrule for k in KINDS], dtype=object)[items.kind]
    return item_loc, sierra_itype, loanrule


def _patron_columns(pat: Patrons, pidx: np.ndarray) -> list[np.ndarray]:
    """The patron columns of each row, ``ptype_code`` .. ``postal_code`` (pidx -1: none)."""
    ptype = np.array([SIERRA_PTYPE.get(c, "") for c in pat.category], dtype=object)
    region = np.array([str(ZIP_REGION.get(z, 9)) for z in pat.zipcode], dtype=object)
    agency = np.where(np.isin(pat.zipcode, list(COUNTY_ZIPS) + [ELDER_ZIP]), "1", "2")
    return [lookup(ptype, pidx), lookup(np.array(SIERRA_BRANCH, dtype=object)[pat.home], pidx),
            lookup(agency, pidx), lookup(pat.pcode1, pidx), lookup(pat.pcode2, pidx),
            lookup(region, pidx), lookup(pat.pcode4, pidx), lookup(pat.zipcode, pidx)]


def _due_utc(sev: Events) -> np.ndarray:
    """``due_date_gmt`` in seconds: 23:59:59 local on the due day, NONE without a due day."""
    has_due = sev.due != NONE
    due_local = np.where(has_due, sev.due * 86400 + 86399, 0)
    return np.where(has_due, due_local - utc_offsets(np.where(has_due, sev.due, sev.day)), NONE)


def _count_types(sev: Events) -> np.ndarray:
    op = sev.etype
    return np.select(
        [(op == ISSUE) & (sev.iface == SIP), op == ISSUE, op == RENEW,
         (op == RETURN) & (sev.iface == SIP), op == RETURN, op == LOCALUSE, op == HOLD_PLACED],
        ["2", "1", "3", "5", "4", "6", "7"], "8").astype(object)


def write_circ_trans(raw_dir: Path, rng: np.random.Generator, ev: Events, pat: Patrons,
                     items: Items) -> int:
    """``sierra/circ_trans.csv``: the Sierra era's events (no money rows), in time order."""
    secs = ev.day * 86400 + ev.tod
    sidx = np.flatnonzero((ev.day < to_day(MIGRATION)) & (ev.etype != PAYMENT)
                          & (ev.etype != WRITEOFF))
    sidx = sidx[np.lexsort((sidx, secs[sidx]))]
    sev = ev.take(sidx)
    ns = sidx.size
    utc = secs[sidx] - utc_offsets(sev.day)
    due_utc = _due_utc(sev)
    op = sev.etype
    app = np.where(sev.iface == SIP, "selfcheck", np.where(
        sev.iface == OPAC, "circa", rng.choice(["circ", "circ", "circ", "circ", "circa",
                                                 "milcirc"], size=ns))).astype(object)
    stat_group = np.array(["101", "201", "301"], dtype=object)[sev.branch]
    stat_group[(sev.branch == 0) & (rng.random(ns) < 0.35)] = "102"
    item_loc, sierra_itype, loanrule = _item_codes(items)
    pidx = np.where(sev.patron >= 0, sev.patron, -1)
    ids = 8_100_000 + np.cumsum(rng.integers(1, 4, size=ns))
    return write_csv(
        raw_dir / FILES["sierra_circ_trans"], SIERRA_CIRC_TRANS_COLUMNS,
        [ids.astype(str).astype(object), fmt_secs(utc), app, np.full(ns, "local", dtype=object),
         np.array(SIERRA_OP, dtype=object)[op], lookup(pat.sierra_id, pidx),
         lookup(items.sierra_id, sev.item), np.full(ns, "", dtype=object),
         lookup(items.bib_sierra_id, sev.item), stat_group, fmt_secs(due_utc),
         _count_types(sev), lookup(sierra_itype, sev.item), lookup(item_loc, sev.item),
         *_patron_columns(pat, pidx),
         np.where(np.isin(op, [ISSUE, RENEW, RETURN]), lookup(loanrule, sev.item), "")],
        ENCODINGS["sierra_circ_trans"])
