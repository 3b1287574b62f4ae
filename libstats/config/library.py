"""``[library]`` and ``[[branches]]``: who the library is, its fiscal year, time zone and branches.

These come first in load_config: the library's time zone is the default of every branch and
source, and the branch codes are what ``[wifi.access_points]`` refers to.
"""

from __future__ import annotations

import datetime as dt
import re

from libstats.config.model import Branch
from libstats.config.reader import TableReader, check_tz


def read_library(root: TableReader) -> tuple[str, str, tuple[int, int], str]:
    """``[library]``: name, slug (derived from the name if absent), fiscal year start as
    (month, day) and time zone."""
    lib = root.sub("library")
    name = lib.get("name", str)
    slug = lib.get("slug", str, re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"))
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug):
        raise lib.fail("slug", "must be lowercase letters, digits and hyphens")
    fys = lib.get("fiscal_year_start", str)
    m = re.fullmatch(r"(\d{2})-(\d{2})", fys)
    if not m:
        raise lib.fail("fiscal_year_start", "must be MM-DD, e.g. \"07-01\"")
    fy_start = (int(m.group(1)), int(m.group(2)))
    try:
        dt.date(2001, *fy_start)
    except ValueError:
        raise lib.fail("fiscal_year_start", "is not a valid month and day") from None
    if fy_start[1] > 28:
        raise lib.fail("fiscal_year_start", "day must be 28 or earlier")
    tz = lib.get("timezone", str, "UTC")
    check_tz(lib, "timezone", tz)
    lib.finish()
    return name, slug, fy_start, tz


def read_branches(root: TableReader) -> tuple[Branch, ...]:
    """``[[branches]]``: at least one; codes and aliases unique across branches."""
    items = root.get("branches", list, what="an array of tables ([[branches]])")
    if not items:
        raise root.fail("branches", "must list at least one branch")
    seen: dict[str, str] = {}
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise root.fail("branches", "must be an array of tables ([[branches]])")
        r = TableReader(root.path, item, f"branches[{i}]")
        code = r.get("code", str)
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,16}", code):
            raise r.fail("code", "must be 1-16 letters, digits, '_' or '-'")
        btz = r.get("timezone", str, None)
        if btz is not None:
            check_tz(r, "timezone", btz)
        b = Branch(code=code, name=r.get("name", str), aliases=r.str_list("aliases", ()),
                   timezone=btz)
        r.finish()
        for alias in (b.code, *b.aliases):
            if alias in seen and seen[alias] != b.code:
                raise r.fail("aliases", f"alias is already used by branch '{seen[alias]}'")
            seen[alias] = b.code
        out.append(b)
    return tuple(out)
