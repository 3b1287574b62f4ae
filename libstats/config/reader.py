"""The TOML table reader every section parser uses, and the small value checks they share.

A TableReader hands out typed values from one TOML table and remembers which keys were read, so
a missing key, a wrong type or a leftover (unknown, probably misspelt) key becomes a ConfigError
that names the file and the dotted key. The checks below turn a bad value into the same kind of
error; the DuckDB ones ask DuckDB itself, since it is DuckDB that later uses the value.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from libstats.errors import ConfigError


class TableReader:
    """Pulls typed values out of a TOML table, tracking the dotted key for error messages."""

    def __init__(self, path: Path, table: dict, prefix: str):
        self.path, self.table, self.prefix = path, table, prefix
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str | None, problem: str) -> ConfigError:
        return ConfigError(self.path, self.key(name) if name else self.prefix or None, problem)

    def get(self, name: str, typ: type | tuple, default: Any = ..., *, what: str = "") -> Any:
        self.used.add(name)
        if name not in self.table:
            if default is ...:
                near = difflib.get_close_matches(name, [str(k) for k in self.table], n=1)
                hint = f" (the file has '{self.key(near[0])}': a typo?)" if near else ""
                raise self.fail(name, "is required but missing" + hint)
            return default
        value = self.table[name]
        if isinstance(value, bool) and typ is int:
            raise self.fail(name, "must be an integer")
        if not isinstance(value, typ):
            expected = what or (typ.__name__ if isinstance(typ, type) else
                                " or ".join(t.__name__ for t in typ))
            raise self.fail(name, f"must be {expected}, got {type(value).__name__}")
        return value

    def str_list(self, name: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(name, list, default, what="a list of strings")
        if value is None:
            return ()
        if not all(isinstance(v, str) for v in value):
            raise self.fail(name, "must be a list of strings")
        return tuple(value)

    def sub(self, name: str, default: Any = ...) -> TableReader:
        table = self.get(name, dict, {} if default is not ... else ..., what="a table")
        return TableReader(self.path, table, self.key(name))

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            near = difflib.get_close_matches(unknown[0], sorted(self.used), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise self.fail(unknown[0], "is not a known setting" + hint + "; see the README's "
                                        "configuration reference")


def valid_memory_limit(text: str) -> bool:
    """Whether `text` is a DuckDB memory size such as "1200MB" or "4 GiB" (the CLI's
    --memory-limit is checked with it too)."""
    return bool(re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip()))


def check_format(reader: TableReader, name: str, fmt: str | None) -> None:
    """A strftime format DuckDB understands (checked with DuckDB itself)."""
    if fmt is None:
        return
    import duckdb
    try:
        duckdb.connect().execute("SELECT try_strptime('2024-01-31', ?)", [fmt]).fetchall()
    except duckdb.Error:
        raise reader.fail(name, "is not a valid strftime format (e.g. \"%d/%m/%Y %H:%M\")") \
            from None


def check_tz(reader: TableReader, name: str, tz: str) -> None:
    """An IANA time zone name this machine's zoneinfo knows."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise reader.fail(name, "is not a known IANA time zone (e.g. \"America/New_York\")") \
            from None


def increasing_ints(r: TableReader, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    """A non-empty list of strictly increasing positive integers (band edges)."""
    values = r.get(name, list, list(default), what="a list of integers")
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                             for v in values) or list(values) != sorted(set(values)):
        raise r.fail(name, "must be increasing positive integers")
    return tuple(values)
