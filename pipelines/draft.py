"""``libstats draft-profile FILE``: a ``[[sources]]`` block for an export, for review.

The header is read in Python (first line only); the values' shapes are counted in DuckDB by
regular expression per column (emails, phones, MACs, IPs, barcodes/card numbers, names), and
only the counts decide: no value is ever printed. A file whose header a known profile of the
kind covers is drafted with that ``format``; any other with the generic ``csv`` format, every
column proposed ``drop`` unless its name says which field it feeds. Deny by default: a
personal-looking column is never proposed as ``keep``.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import duckdb

from libstats.errors import InputError
from libstats.profiles import FIELD_ROLES, PROFILES, REQUIRED_FIELDS
from libstats.sql import lit, q

#: Shapes of personal values (DuckDB regular expressions, whole trimmed value).
SHAPES = {
    "email": r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$",
    "phone": r"^\+?[0-9]{0,3}[ (.-]*[0-9]{3}[ ).-]*[0-9]{3}[ .-]*[0-9]{4}$",
    "MAC": r"^([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{12}$",
    "IP": r"^([0-9]{1,3}\.){3}[0-9]{1,3}$|^[0-9A-Fa-f:]*:[0-9A-Fa-f:]+$",
    "barcode/card number": r"^[A-Za-z]?[0-9]{8,16}$",
    "name": r"^[A-Z][a-z]+([ '-][A-Z][a-z]+)+$",
}
#: Dates and timestamps as exports write them (ISO, ``T``, fractions, ``Z`` or offsets): not
#: personal, but a column of them is the event time when no column name says so.
TIMESTAMP_SHAPE = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2})?(\.[0-9]+)?)?"
                   r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$")
_ALL_SHAPES = {**SHAPES, "timestamp": TIMESTAMP_SHAPE}
#: Column names that say "a person" (lower-cased, non-letters removed).
_PERSONAL = re.compile(r"email|mail|phone|mobile|tel|mac|ip|address|street|city|zip|post|"
                       r"name|surname|birth|dob|card|barcode|patron|borrower|user|login|"
                       r"note|comment|client|station|session")
#: Field guesses by column name (generic format).
_FIELD_NAMES = {
    "circulation": {"event_ts": r"date|time|ts", "branch": r"branch|site|library",
                    "patron_id": r"patron|borrower|user|card", "item_id": r"item|barcode|copy",
                    "item_type": r"itemtype|materialtype|type", "event_code": r"event|action"},
    "patrons": {"patron_id": r"patron|borrower|card|id", "home_branch": r"branch|site"},
    "items": {"item_id": r"item|barcode|id", "item_type": r"type",
              "home_branch": r"branch|site"},
}


def _header(path: Path, delimiter: str, encoding: str) -> list[str]:
    raw = path.read_bytes()[:65536]
    line = raw.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        text = line.decode("utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding)
    except UnicodeDecodeError:
        raise InputError(path, f"the header is not valid {encoding} text", line=1) from None
    header = [h.strip() for h in next(csv.reader(io.StringIO(text), delimiter=delimiter))]
    if not all(header):
        raise InputError(path, "the header has an empty field", line=1)
    return header


def _shapes(path: Path, header: list[str], delimiter: str) -> dict[str, dict[str, int]]:
    con = duckdb.connect()
    cols = {f"c{i}": "VARCHAR" for i in range(len(header))}
    src = (f"read_csv({lit(str(path))}, delim = {lit(delimiter)}, header = true, "
           f"columns = {{{', '.join(f'{lit(k)}: {lit(v)}' for k, v in cols.items())}}}, "
           f"quote = '\"', escape = '\"', ignore_errors = true, sample_size = -1)")
    selects = [f"count(*) FILTER (WHERE regexp_matches(trim({q(c)}), {lit(rx)}))"
               for c in cols for rx in _ALL_SHAPES.values()]
    counts = con.execute(f"SELECT count(*), {', '.join(selects)} FROM {src}").fetchone()
    con.close()
    total, flat = counts[0], counts[1:]
    out = {}
    for i, name in enumerate(header):
        hits = flat[i * len(_ALL_SHAPES):(i + 1) * len(_ALL_SHAPES)]
        out[name] = {s: n for s, n in zip(_ALL_SHAPES, hits) if total and n * 2 >= total and n}
    return out


def _known(header: list[str], kind: str | None) -> str | None:
    for name, prof in PROFILES.items():
        if kind and prof.kind != kind:
            continue
        required = {c for c, s in prof.columns.items() if s.required}
        if set(header) <= set(prof.columns) and required <= set(header):
            return name
    return None


def _delimiter_line(delimiter: str) -> str:
    shown = "\\t" if delimiter == "\t" else delimiter
    return f'delimiter = "{shown}"'


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else \
        '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def draft(path: Path, kind: str | None, *, delimiter: str | None = None,
          encoding: str = "utf-8", name: str | None = None) -> str:
    """The TOML text of a ``[[sources]]`` block for ``path`` (values never shown)."""
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    header = _header(path, delimiter, encoding)
    counted = _shapes(path, header, delimiter)
    times = [c for c in header if "timestamp" in counted[c]]
    shapes = {c: {k: n for k, n in found.items() if k != "timestamp"}
              for c, found in counted.items()}
    known = _known(header, kind)
    src_name = name or re.sub(r"[^a-z0-9_]+", "_", path.stem.lower()).strip("_") or "source"
    lines = [f"# drafted by 'libstats draft-profile' from {path.name}: review every role",
             "[[sources]]", f'name = "{src_name}"']
    notes = []
    for col in header:
        found = ", ".join(shapes[col])
        if found:
            notes.append(f"#   {col}: values look like {found} (no value shown)")
    if known:
        prof = PROFILES[known]
        lines += [f'kind = "{prof.kind}"', f'format = "{known}"   # matches the known '
                  f"'{known}' profile", f'path = "{path.name}"']
        if delimiter != ",":
            lines.append(_delimiter_line(delimiter))
        lines += ["# the profile gives every column its role; personal-looking values:"] + notes
        return "\n".join(lines) + "\n"
    kind = kind or "circulation"
    if kind not in FIELD_ROLES:
        raise InputError(path, f"no known profile of kind '{kind}' matches the header; the "
                               f"generic format covers {', '.join(sorted(FIELD_ROLES))}", line=1)
    mapping: dict[str, str] = {}
    for fld, rx in _FIELD_NAMES.get(kind, {}).items():
        for col in header:
            key = re.sub(r"[^a-z]", "", col.lower())
            if col not in mapping.values() and re.search(rx, key) and \
                    (FIELD_ROLES[kind][fld].startswith("token") or not shapes[col] or
                     fld == "event_ts"):
                mapping[fld] = col
                break
    if "event_ts" in _FIELD_NAMES.get(kind, {}) and "event_ts" not in mapping:
        # no column name says "time": the first column whose values are timestamps
        free = [c for c in times if c not in mapping.values()]
        if free:
            mapping["event_ts"] = free[0]
    roles = {}
    for col in header:
        fld = next((f for f, c in mapping.items() if c == col), None)
        roles[col] = FIELD_ROLES[kind][fld] if fld else "drop"
    lines += [f'kind = "{kind}"', 'format = "csv"', f'path = "{path.name}"']
    if delimiter != ",":
        lines.append(_delimiter_line(delimiter))
    lines.append("columns = { " + ", ".join(f'{_toml_key(c)} = "{r}"'
                                             for c, r in roles.items()) + " }")
    missing = [f for f in REQUIRED_FIELDS.get(kind, ()) if f not in mapping]
    lines += ["", "[sources.mapping]"]
    lines += [f'{f} = "{c}"' for f, c in mapping.items()]
    if missing:
        lines.append(f"# TODO: no column found for required field(s) {', '.join(missing)}")
    if notes:
        lines += ["# personal-looking values (proposed drop or token):"] + notes
    return "\n".join(lines) + "\n"
