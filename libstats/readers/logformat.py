"""EZproxy ``LogFormat`` strings: parsed into fields and one anchored RE2 pattern per format
(docs/eresources.md §2). Pure functions; the SQL that applies the pattern is in
``transforms/eresources.py``.

>>> fmt = parse_log_format('%h %l %u %t "%r" %s %b')
>>> [d.column for d in fmt.directives]
['%h', '%l', '%u', '%t', '%r', '%s', '%b']
>>> print(fmt.pattern)
^([^ ,]+(?:, [^ ,]+)*) ([^ ]+) ([^ ]+) \\[([^\\]]+)\\] "((?:[^"\\\\]|\\\\.)*)" ([^ ]+) ([^ ]+)\\r?$
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_LOG_FORMAT = '%h %l %u %t "%r" %s %b'

# directive -> (field it feeds or None, may hold an address list when unquoted)
_SIMPLE = {
    "h": ("client_ip", True), "a": ("client_ip_a", True), "l": (None, False),
    "u": ("user", False), "t": ("time", False), "r": ("request", False), "U": ("url", False),
    "s": ("status", False), "b": (None, False), "m": (None, False), "v": (None, False),
    "T": (None, False),
}
# %{header}i with a meaning of its own (header names are case-insensitive)
_HEADERS = {
    "ezproxy-session": "session", "user-agent": "user_agent", "x-forwarded-for": "forwarded_for",
}
# Values that name or locate a person (exact-match scan targets) versus EZproxy internals.
# A request line or URL as a whole is no identifier (it never equals an output value); the
# identifiers inside it (query values, barcodes, e-mails, DNs) are extracted as leak-scan
# targets of their own (pipelines/eresources/), which scanning 10M whole URLs would not do.
_NOT_PERSONAL = {"%s", "%b", "%m", "%v", "%T", "%t", "%{ezproxy-groups}i",
                 "%{ezproxy-protocol}i", "%{ezproxy-spuaccess}i", "%{user-agent}i",
                 "%r", "%U", "%{referer}i"}

# Values that hold spaces even where the format does not quote them.
_SPACED = {"%r", "%{user-agent}i"}
_TOKEN = re.compile(r"%(?:\{([^}]*)\})?(.)", re.S)
_META = set("\\.^$|?*+()[]{}")


class LogFormatError(ValueError):
    """A format string that cannot be used; the message names the directive."""


@dataclass(frozen=True)
class Directive:
    column: str            # canonical directive text, the raw table's column name
    field: str | None      # what the run uses it for
    quoted: bool
    pattern: str           # RE2 group for this directive

    @property
    def personal(self) -> bool:
        return self.column not in _NOT_PERSONAL and not self.column.startswith(
            "%{ezproxy-dbvar")


@dataclass(frozen=True)
class LogFormat:
    text: str
    directives: tuple[Directive, ...]
    pattern: str

    @property
    def fields(self) -> dict[str, str]:
        return {d.field: d.column for d in self.directives if d.field}


def _escape(text: str) -> str:
    return "".join("\\" + ch if ch in _META else ch for ch in text)


def parse_log_format(text: str) -> LogFormat:
    """Parse a LogFormat string; unknown directives raise LogFormatError naming them.

    >>> f = parse_log_format('%h %{ezproxy-session}i %t "%{User-Agent}i" %U')
    >>> sorted(f.fields.items())
    [('client_ip', '%h'), ('session', '%{ezproxy-session}i'), ('time', '%t'), ('url', '%U'), ('user_agent', '%{user-agent}i')]
    >>> parse_log_format('%h %q %t %U')
    Traceback (most recent call last):
    ...
    libstats.readers.logformat.LogFormatError: unknown LogFormat directive '%q'
    """
    text = re.sub(r"^\s*LogFormat\s+", "", text, flags=re.I)   # pasted from config.txt
    parts: list[str] = ["^"]
    directives: list[Directive] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        literal = text[pos:m.start()]
        pos = m.end()
        arg, code = m.group(1), m.group(2)
        if code == "%" and arg is None:
            parts.append(_escape(literal + "%"))
            continue
        parts.append(_escape(literal))
        before = text[m.start() - 1] if m.start() > 0 else ""
        after = text[m.end()] if m.end() < len(text) else ""
        quoted = before == '"' and after == '"'
        if arg is None and code in _SIMPLE:
            column, (fld, is_list) = f"%{code}", _SIMPLE[code]
        elif arg is not None and code == "i" and arg.strip():
            name = arg.strip().lower()
            column, fld = f"%{{{name}}}i", _HEADERS.get(name)
            is_list = name == "x-forwarded-for"
        elif arg is not None and code == "e" and arg.strip():
            column, fld, is_list = f"%{{{arg.strip()}}}e", None, False
        else:
            shown = m.group(0) if len(m.group(0)) <= 40 else m.group(0)[:40] + "…"
            raise LogFormatError(f"unknown LogFormat directive '{shown}'")
        if any(d.column == column for d in directives):
            raise LogFormatError(f"directive '{column}' appears twice")
        if code == "t":
            group = r"\[([^\]]+)\]"
        elif quoted:
            # a quoted value may hold spaces and, escaped as \", quotes
            group = r'((?:[^"\\]|\\.)*)'
        elif column in _SPACED:
            # written without quotes, a request line or user agent still holds spaces:
            # as few characters as let the rest of the line match
            group = "(.*?)"
        elif is_list:
            group = "([^ ,]+(?:, [^ ,]+)*)"
        else:
            group = "([^ ]+)"
        directives.append(Directive(column, fld, quoted, group))
        parts.append(group)
    parts.append(_escape(text[pos:]))
    parts.append(r"\r?$")
    fmt = LogFormat(text, tuple(directives), "".join(parts))
    have = fmt.fields
    if "time" not in have:
        raise LogFormatError("the format has no %t (time of the request)")
    if "request" not in have and "url" not in have:
        raise LogFormatError('the format has neither "%r" nor %U (the URL requested)')
    return fmt
