"""The report's files: CSV in PLS element-code layout and an XLSX workbook laid out like the
state form. Deterministic bytes: fixed document dates, fixed zip entry times, stable order."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from reports.annual.compute import ElementResult

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _sources(res: ElementResult) -> str:
    fig = res.ae or next(iter(res.outlets.values()), None)
    if fig is None:
        return ""
    if fig.terms:
        return " + ".join(fig.terms)
    if res.element.setting:
        from reports.annual.definitions import SETTINGS
        return f"config {SETTINGS[res.element.setting]}"
    return "; ".join(sorted({s["table"] for s in fig.sources}))


def _note(res: ElementResult) -> str:
    fig = res.ae
    parts = []
    if fig is not None and fig.status == "missing":
        parts.append(f"missing: {fig.reason}")
    if res.element.note:
        parts.append(res.element.note)
    if res.definitions:
        parts.append(f"State item: the survey year's PLS definitions no longer have "
                     f"{res.element.code}; defined as in {res.definitions}.")
    return " ".join(parts)


def write_csvs(folder: Path, results: list[ElementResult], head: dict, outlets: list) -> None:
    """``ae.csv``: one row, the administrative entity, one column per element code (PLS data
    file layout, -1 = missing); ``outlets.csv``: one row per outlet; ``elements.csv``: one row
    per element with its name, method flag, status and provenance."""
    def write(name: str, rows: list[list]) -> None:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        (folder / name).write_text(buf.getvalue(), encoding="utf-8")

    ae = [r for r in results if r.ae is not None]
    write("ae.csv", [["LIBNAME", "FISCAL_YEAR", "STARTDAT", "ENDDATE", "DEFINITIONS",
                      *(r.element.code for r in ae)],
                     [head["library"], head["fiscal_year"], head["start"], head["end"],
                      head["definitions"], *(r.ae.value for r in ae)]])
    per = [r for r in results if r.outlets]
    write("outlets.csv", [["LIBNAME", "FISCAL_YEAR", "OUTLET", "OUTLET_NAME",
                           *(r.element.code for r in per)]] +
          [[head["library"], head["fiscal_year"], code, name,
            *(r.outlets[code].value for r in per)] for code, name in outlets])
    write("elements.csv", [["item", "element", "number", "name", "level", "value", "method",
                            "status", "sources", "definitions", "note"]] +
          [[r.item, r.element.code, r.element.number, r.label, "ae" if r.ae else "outlet",
            r.ae.value if r.ae else "", _flag_of(r), r.ae.status if r.ae else "",
            _sources(r), r.definitions or head["definitions"], _note(r)] for r in results])


def _flag_of(res: ElementResult) -> str:
    """CT (count) or ES (estimate): the definition's, or ES for a figure from a table
    published with differential privacy."""
    if res.ae is None or res.ae.status == "missing":
        return ""
    return "ES" if res.ae.estimated else (res.element.method or "")


def write_xlsx(path: Path, results: list[ElementResult], head: dict, outlets: list,
               layout, defs) -> None:
    """The workbook: the form (one row per item), the outlets and the definitions."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = layout.sheet
    bold = Font(bold=True)
    ws["A1"] = layout.title
    ws["A1"].font = Font(bold=True, size=14)
    rows = [("Library", head["library"]), ("Fiscal year", head["period"]),
            ("Definitions", f"{defs.version}: {defs.title}"), ("Form authority",
                                                                layout.authority)]
    for i, (k, v) in enumerate(rows, start=2):
        ws.cell(i, 1, k).font = bold
        ws.cell(i, 2, v)
    header = ["Item", "Element code", "Element name", "Value", "Count or estimate",
              "Source tables", "Definition version", "Note"]
    for j, h in enumerate(header, start=1):
        ws.cell(7, j, h).font = bold
    for i, r in enumerate(results, start=8):
        value = r.ae.value if r.ae is not None else None
        for j, v in enumerate([r.item or None, r.element.code, r.label, value, _flag_of(r),
                               _sources(r), r.definitions or defs.version, _note(r)], start=1):
            ws.cell(i, j, v)
        ws.cell(i, 4).number_format = "#,##0"
        ws.cell(i, 8).alignment = Alignment(wrap_text=True, vertical="top")
    for col, width in zip("ABCDEFGH", (22, 14, 44, 12, 10, 44, 14, 70)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A8"

    wo = wb.create_sheet("Outlets")
    per = [r for r in results if r.outlets]
    for j, h in enumerate(["Outlet", "Outlet name", *(r.element.code for r in per)], start=1):
        wo.cell(1, j, h).font = bold
    for i, (code, name) in enumerate(outlets, start=2):
        wo.cell(i, 1, code)
        wo.cell(i, 2, name)
        for j, r in enumerate(per, start=3):
            fig = r.outlets[code]
            wo.cell(i, j, fig.value if fig.status != "withheld" else "withheld"
                    ).number_format = "#,##0"

    wd = wb.create_sheet("Definitions")
    for j, h in enumerate(["Element code", "Number", "Name", "Definition", "Note"], start=1):
        wd.cell(1, j, h).font = bold
    for i, r in enumerate(results, start=2):
        for j, v in enumerate([r.element.code, r.element.number, r.element.name,
                               r.element.definition, r.element.note or ""], start=1):
            wd.cell(i, j, v)
    wd.column_dimensions["D"].width = 90

    stamp = dt.datetime.fromisoformat(head["end"] + "T00:00:00")
    wb.properties.creator = "libstats"
    wb.properties.lastModifiedBy = "libstats"
    wb.properties.created = stamp
    wb.properties.modified = stamp
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_normalise_zip(buf.getvalue(), stamp))


def _normalise_zip(data: bytes, stamp: dt.datetime) -> bytes:
    """Same bytes for the same content: fixed entry times, and the document dates that
    openpyxl sets at save time replaced by ``stamp``."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                              rf"\g<1>{iso}\g<2>", text)
                body = text.encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, body)
    return out.getvalue()
