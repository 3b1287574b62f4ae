"""The library board's summary: one self-contained HTML page with inline SVG charts.

Charts are drawn in Python from published, non-withheld cells only (whole-library rows); a
withheld cell is drawn as a gap and labelled, never estimated. No script, no external file,
no timestamp: the same release gives the same bytes. Coordinates always carry one decimal, so
no run of numbers in the SVG can look like a phone number or an address to the leak scan.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from reports.annual.compute import ElementResult

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:62rem;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.9rem;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}
figure{margin:1rem 0}figcaption{font-size:.85rem;color:#555}
.missing{color:#8a4b00}svg text{font-family:system-ui,sans-serif}
"""
COLOURS = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c")


def _f(x: float) -> str:
    return f"{x:.1f}"


def bar_chart(title: str, categories: list[str], series: dict[str, list[int | None]],
              width: int = 760, height: int = 280) -> str:
    """Grouped bars; ``None`` is a withheld cell (a gap marked 'w')."""
    left, right, top, bottom = 70.0, 10.0, 30.0, 60.0
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for vs in series.values() for v in vs if v is not None]
    vmax = max(values) if values and max(values) > 0 else 1
    step = _nice(vmax)
    ymax = step * -(-vmax // step)
    n_cat, n_ser = max(1, len(categories)), max(1, len(series))
    group = plot_w / n_cat
    bar = group * 0.8 / n_ser
    e = escape
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
           f'height="{height}" viewBox="0.0 0.0 {_f(width)} {_f(height)}">',
           f"<title>{e(title)}</title>"]
    for k in range(0, int(ymax // step) + 1):
        y = top + plot_h - plot_h * (k * step) / ymax
        out.append(f'<line x1="{_f(left)}" y1="{_f(y)}" x2="{_f(width - right)}" '
                   f'y2="{_f(y)}" stroke="#e2e2e2"/>')
        out.append(f'<text x="{_f(left - 6)}" y="{_f(y + 4)}" font-size="11" '
                   f'text-anchor="end">{k * step:,}</text>')
    for i, cat in enumerate(categories):
        x0 = left + group * i + group * 0.1
        for j, (name, vs) in enumerate(series.items()):
            x = x0 + bar * j
            v = vs[i]
            if v is None:
                out.append(f'<text x="{_f(x + bar / 2)}" y="{_f(top + plot_h - 4)}" '
                           f'font-size="10" text-anchor="middle" fill="#a00">w</text>')
                continue
            h = plot_h * v / ymax
            out.append(f'<rect x="{_f(x)}" y="{_f(top + plot_h - h)}" width="{_f(bar)}" '
                       f'height="{_f(h)}" fill="{COLOURS[j % len(COLOURS)]}">'
                       f"<title>{e(name)}, {e(cat)}: {v:,}</title></rect>")
        out.append(f'<text x="{_f(left + group * (i + 0.5))}" y="{_f(top + plot_h + 16)}" '
                   f'font-size="11" text-anchor="middle">{e(cat)}</text>')
    out.append(f'<line x1="{_f(left)}" y1="{_f(top + plot_h)}" x2="{_f(width - right)}" '
               f'y2="{_f(top + plot_h)}" stroke="#555"/>')
    for j, name in enumerate(series):
        x = left + 150.0 * j
        out.append(f'<rect x="{_f(x)}" y="{_f(height - 22)}" width="12.0" height="12.0" '
                   f'fill="{COLOURS[j % len(COLOURS)]}"/>')
        out.append(f'<text x="{_f(x + 16)}" y="{_f(height - 12)}" font-size="12">'
                   f"{e(name)}</text>")
    out.append("</svg>")
    return "".join(out)


def _nice(vmax: int) -> int:
    raw = vmax / 5
    mag = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return int(m * mag)
    return int(10 * mag)


def _pick(frame: pd.DataFrame, fixed: dict, dim: str, order: list[str]) -> list[int | None]:
    mask = pd.Series(True, index=frame.index)
    for c, v in fixed.items():
        mask &= frame[c] == v
    rows = frame[mask].set_index(dim)
    out = []
    for key in order:
        if key not in rows.index:
            out.append(None)
            continue
        r = rows.loc[key]
        out.append(None if bool(r["suppressed"]) or pd.isna(r["value"]) else int(r["value"]))
    return out


def _months(frame: pd.DataFrame) -> list[str]:
    return sorted(m for m in frame["month"].unique() if m != "all")


def _figure(title: str, svg: str, caption: str) -> str:
    return (f"<figure><h3>{escape(title)}</h3>{svg}<figcaption>{escape(caption)}"
            "</figcaption></figure>")


def _by_month(frame: pd.DataFrame, title: str, series: dict[str, dict], caption: str) -> str:
    """A bar chart of a table's months: one series per label, each the rows matching its
    fixed columns (``_pick``)."""
    months = _months(frame)
    return _figure(title, bar_chart(
        title, [m[2:] for m in months],
        {label: _pick(frame, fixed, "month", months) for label, fixed in series.items()}),
        caption)


def charts(frames: dict[str, pd.DataFrame], outlets: list[tuple[str, str]],
           results: list[ElementResult]) -> list[str]:
    parts = []
    circ = frames.get("pub_circulation__branch_month_material")
    if circ is not None:
        base = {"branch_code": "all", "material_type": "all", "audience": "all"}
        parts.append(_by_month(
            circ, "Circulation by month",
            {m.capitalize(): {**base, "measure": m} for m in ("checkouts", "renewals")},
            "Physical items, whole library: checkouts and renewals."))
        mats = sorted(m for m in circ["material_type"].unique() if m != "all")
        fixed = {"month": "all", "branch_code": "all", "audience": "all"}
        parts.append(_figure("Circulation by material type", bar_chart(
            "Circulation by material type", [m.replace("_", " ") for m in mats],
            {"Checkouts": _pick(circ, {**fixed, "measure": "checkouts"}, "material_type",
                                mats),
             "Renewals": _pick(circ, {**fixed, "measure": "renewals"}, "material_type",
                               mats)}), "Whole library, fiscal year."))
        auds = ["children", "young_adult", "adult"]
        fixed = {"month": "all", "branch_code": "all", "material_type": "all"}
        parts.append(_figure("Circulation by audience", bar_chart(
            "Circulation by audience", ["children", "young adult", "adult"],
            {"Checkouts": _pick(circ, {**fixed, "measure": "checkouts"}, "audience", auds),
             "Renewals": _pick(circ, {**fixed, "measure": "renewals"}, "audience", auds)}),
            "By the audience of the material, not the borrower's age."))
    wifi = frames.get("pub_wifi_sessions__branch_month")
    if wifi is not None:
        parts.append(_by_month(
            wifi, "Wi-Fi sessions by month", {"Sessions": {"branch_code": "all"}},
            "One session per connection, library devices excluded (PLS WIFISESS)."))
    eres = frames.get("pub_eres_use__database_month")
    if eres is not None:
        parts.append(_by_month(
            eres, "Database use by month",
            {m.capitalize(): {"database": "all", "measure": m}
             for m in ("sessions", "searches", "requests")},
            "EZproxy, all databases, COUNTER R5.1 session and double-click rules."))
    pcs = frames.get("pub_pc_sessions__branch_month")
    if pcs is not None:
        parts.append(_by_month(
            pcs, "Public-computer sessions by month", {"Sessions": {"branch_code": "all"}},
            "One use per session, whatever its length; staff computers excluded (PLS PITUSR)."))
    web = frames.get("pub_web_visits__month")
    if web is not None:
        parts.append(_by_month(
            web, "Website visits by month", {"Visits": {}},
            "Visits as the web-analytics tool counts them, robots excluded."))
    prog = frames.get("pub_programs__month_audience_format")
    if prog is not None:
        parts.append(_by_month(
            prog, "Programs by month",
            {"Sessions": {"audience": "all", "format": "all", "measure": "sessions"},
             "Attendance": {"audience": "all", "format": "all", "measure": "attendance"}},
            "Synchronous program sessions and their attendance (PLS TOTPRO, TOTATTEN)."))
    per = [r for r in results if r.outlets and r.element.code in
           ("PHYSCIR", "WIFISESS", "REGBOR")]
    if per and outlets:
        parts.append(_figure("Branch comparison", bar_chart(
            "Branch comparison", [code for code, _ in outlets],
            {f"{r.element.code}": [r.outlets[c].value if r.outlets[c].status == "reported"
                                   else None for c, _ in outlets] for r in per}),
            "Outlet figures of the report: " + ", ".join(
                f"{r.element.code} = {r.element.name}" for r in per) + "."))
    return parts


def _cell(fig) -> str:
    return "withheld" if fig.status == "withheld" else f"{fig.value:,}"


def render(results: list[ElementResult], head: dict, outlets: list[tuple[str, str]],
           frames: dict[str, pd.DataFrame], layout, defs) -> str:
    e = escape
    rows = []
    for r in results:
        if r.ae is None:
            continue
        value = (f"{r.ae.value:,}" if r.ae.status == "reported"
                 else f'<span class="missing">-1 (missing: {e(r.ae.reason or "")})</span>')
        rows.append(f"<tr><td>{e(r.item)}</td><td><code>{e(r.element.code)}</code></td>"
                    f"<td>{e(r.label)}</td><td class=\"n\">{value}</td></tr>")
    per = [r for r in results if r.outlets]
    outlet_rows = "".join(
        f"<tr><td>{e(code)}</td><td>{e(name)}</td>" + "".join(
            f'<td class="n">{_cell(r.outlets[code])}</td>' for r in per) + "</tr>"
        for code, name in outlets)
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(layout.title)}: {e(head['library'])}, {e(head['fiscal_year'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{e(head['library'])}: annual report {e(head['fiscal_year'])}</h1>",
        f"<p>{e(layout.title)}; fiscal year {e(head['period'])}; definitions "
        f"<code>{e(defs.version)}</code> ({e(defs.title)}). Every figure is a published, "
        "whole-library figure of the release, or a sum of them; -1 means no source. "
        + (f"Item numbers: {e(layout.numbers_source)}.</p>" if layout.numbers_source else
           "No item numbers: none of this form's published question numbers was verified, "
           "so each figure is named by its PLS element code.</p>"),
        "<h2>Survey figures</h2><table><tr><th>Item</th><th>Element</th><th>Name</th>"
        "<th>Value</th></tr>", *rows, "</table>",
    ]
    if per:
        parts += ["<h2>Branches (outlets)</h2><table><tr><th>Outlet</th><th>Name</th>",
                  *(f"<th>{e(r.element.code)}</th>" for r in per), "</tr>", outlet_rows,
                  "</table>"]
    parts += ["<h2>Charts</h2>", *charts(frames, outlets, results), "</body></html>\n"]
    return "".join(parts)
