"""Regular expressions for identifiers that must never appear in a published or pseudonymized table.

Every pattern in :data:`PATTERNS` is written to run unchanged in three regex engines:

* Python's :mod:`re` (``re.search``),
* DuckDB's RE2 (``regexp_matches``, which is also a *search*: it matches anywhere in the value),
* pyarrow's RE2 (pandas 3 string columns run ``Series.str.contains`` through pyarrow, so the Great
  Expectations regex expectations end up in RE2 too).

So the patterns avoid what RE2 lacks (look-around, back-references, possessive quantifiers) and what
differs between the engines (``\\d``, ``\\w`` and ``\\b`` are Unicode-aware in Python but ASCII in
RE2, so only explicit ASCII classes such as ``[0-9]`` and ``[a-f]`` are used). "Not part of a longer
run" is written as ``(?:^|[^0-9])`` / ``(?:[^0-9]|$)`` instead of look-around.

Case: the patterns are written in **lowercase** and carry no flags. Match them case-insensitively,
either way gives the same answer (the tests run both):

* Python: :func:`python_matcher` (``re.IGNORECASE``), or ``re.search(ci_pattern(name), value)``;
* DuckDB: ``regexp_matches(lower(value), PATTERNS[name])`` or
  ``regexp_matches(value, ci_pattern(name))`` (``(?i)`` prefix, understood by RE2 and Python);
* pandas / Great Expectations: ``ci_pattern(name)``, since GX passes no flags to ``str.contains``.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Building blocks (plain strings so that the final patterns stay readable).
_NOT_DIGIT_BEFORE = r"(?:^|[^0-9])"
_NOT_DIGIT_AFTER = r"(?:[^0-9]|$)"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_H16 = r"[0-9a-f]{1,4}"
_IPV6_BODY = "|".join([
    rf"(?:{_H16}:){{7}}{_H16}",                    # 1:2:3:4:5:6:7:8
    rf"(?:{_H16}:){{1,7}}:",                        # 1::            1:2:3:4:5:6:7::
    rf"(?:{_H16}:){{1,6}}:{_H16}",                  # 1::8           1:2:3:4:5:6::8
    rf"(?:{_H16}:){{1,5}}(?::{_H16}){{1,2}}",       # 1::7:8
    rf"(?:{_H16}:){{1,4}}(?::{_H16}){{1,3}}",
    rf"(?:{_H16}:){{1,3}}(?::{_H16}){{1,4}}",
    rf"(?:{_H16}:){{1,2}}(?::{_H16}){{1,5}}",
    rf"{_H16}:(?::{_H16}){{1,6}}",                  # 1::3:4:5:6:7:8
    rf":(?::{_H16}){{1,7}}",                        # ::8, ::ffff:10 (IPv4-mapped starts so)
    r"::",                                          # the unspecified address '::'
])
_LDAP_ATTR = r"(?:uid|cn|ou|dc|o|l|st|c|mail|sn)"

PATTERNS: dict[str, str] = {
    # Codabar library barcode: type digit 2 (patron) or 3 (item), institution code, sequence and
    # check digit: 14 digits in all, not inside a longer run of digits.
    "library_barcode": _NOT_DIGIT_BEFORE + r"[23][0-9]{13}" + _NOT_DIGIT_AFTER,
    "email": r"[a-z0-9._%+'-]+@(?:[a-z0-9-]+\.)+[a-z]{2,}",
    # North American numbers: optional +1 / 1, area code and exchange starting 2-9, separators
    # space, dot or hyphen, area code optionally in parentheses. Exactly ten digits (eleven with
    # the country code), so ISO dates (8 digits), months, age bands and small integers never match.
    "phone": (_NOT_DIGIT_BEFORE
              + r"(?:\+?1[ .-]?)?(?:\([2-9][0-9]{2}\)|[2-9][0-9]{2})[ .-]?"
              + r"[2-9][0-9]{2}[ .-]?[0-9]{4}" + _NOT_DIGIT_AFTER),
    "ipv4": (_NOT_DIGIT_BEFORE + rf"(?:{_OCTET}\.){{3}}{_OCTET}" + _NOT_DIGIT_AFTER),
    # Full (8 groups) or '::'-compressed. A time (12:30:00) has neither 8 groups nor '::', and a
    # MAC address has 6 groups, so neither matches.
    "ipv6": r"(?:^|[^0-9a-f:])(?:" + _IPV6_BODY + r")(?:[^0-9a-f:]|$)",
    "mac": (r"(?:^|[^0-9a-f])(?:[0-9a-f]{2}(?::[0-9a-f]{2}){5}|[0-9a-f]{2}(?:-[0-9a-f]{2}){5}"
            r"|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})(?:[^0-9a-f]|$)"),
    # An LDAP distinguished name: a person-naming attribute with a value (uid=..., cn=...), or any
    # two RDNs in a row (ou=...,dc=...).
    "ldap_dn": (r"(?:^|[^a-z0-9])(?:(?:uid|cn)\s*=\s*[^\s,=+]"
                rf"|{_LDAP_ATTR}\s*=[^,=]+,\s*{_LDAP_ATTR}\s*=)"),
    # SirsiDynix Symphony API data code ^Uf (user PIN) followed by a value.
    "symphony_pin": r"\^uf\s*[^\s^]",
    # A Libki guest pass: the prefix 'guest' (Libki's default GuestPassPrefix) and the running
    # guest number (lib/Libki/Controller/Administration/API/User.pm, github.com/Libki/
    # libki-server): guest1, guest0042. Words such as "guests" or "guestbook" never match.
    "libki_guest_pass": r"(?:^|[^a-z0-9])guest[0-9]{1,7}(?:[^0-9]|$)",
    # An EZproxy session id (pvJ0HWGo6eWhhVv): 15 letters and digits, with at least one of
    # each, not part of a longer run (words and plain numbers of 15 never match).
    "ezproxy_session": (r"(?:^|[^a-z0-9])(?:"
                        + "|".join([f"[a-z]{{{i}}}[0-9][a-z0-9]{{{14 - i}}}" for i in range(1, 15)]
                                   + [f"[0-9]{{{i}}}[a-z][a-z0-9]{{{14 - i}}}"
                                      for i in range(1, 15)])
                        + r")(?:[^a-z0-9]|$)"),
}


def ci_pattern(name: str) -> str:
    """The pattern ``name`` with a leading ``(?i)``: case-insensitive in Python, RE2 and pyarrow."""
    return "(?i)" + PATTERNS[name]


@lru_cache(maxsize=None)
def python_matcher(name: str) -> re.Pattern[str]:
    """Compiled case-insensitive Python regex for pattern ``name``; use ``.search(value)``.

    Raises KeyError (naming the pattern) for an unknown name.
    """
    return re.compile(PATTERNS[name], re.IGNORECASE)


def duckdb_predicate(name: str, expr: str) -> str:
    """SQL predicate that is true when the VARCHAR SQL expression ``expr`` matches pattern ``name``.

    The pattern is embedded as a string literal (RE2 needs a constant pattern to compile it once).
    """
    return f"regexp_matches(lower({expr}), {sql_literal(PATTERNS[name])})"


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal (single quotes doubled)."""
    return "'" + text.replace("'", "''") + "'"
