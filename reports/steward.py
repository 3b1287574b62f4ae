"""The steward report: one self-contained HTML page per run, built from the manifest only.

It shows what a data steward signs off: the tables, their row counts and suppressed cells, the
legal basis of each (by short reference, with each clause's full text once below the table),
every check with its threshold and result, the inputs by hash and the key
ids. It is built from the manifest (which holds no data values), so it cannot show any either.
It carries no timestamps, so the same run gives the same bytes.
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.pass{color:#176317}.fail{color:#a00;font-weight:bold}
.banner{padding:.8rem 1rem;border-radius:4px;margin:1rem 0}
.ok{background:#e7f5e7}.bad{background:#fde8e8}code{font-size:.85rem}
"""


def _clause_id(ref: str) -> str:
    return "clause-" + re.sub(r"[^a-z0-9]+", "-", ref.lower()).strip("-")


def _clause_ref(ref: str, clauses: dict, e) -> str:
    """A table's clause: a link to its full text below (a manifest from before short
    references holds the full text itself)."""
    if ref in clauses:
        return f"<a href=\"#{_clause_id(ref)}\">{e(ref)}</a>"
    return e(ref)


def _row(cells: list[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{c}</{tag}>" for c in cells) + "</tr>"


def render(manifest: dict, *, status: str, problem: str | None = None,
           data_docs: str | None = None, audit: list | None = None) -> str:
    """HTML for a manifest. ``status`` is "published" or "not published"."""
    lib, period = manifest["library"], manifest["period"]
    checks = manifest.get("checks", [])
    failed = [c for c in checks if not c["passed"]]
    e = lambda v: escape(str(v))  # noqa: E731
    parts = [
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        f"<title>Steward report: {e(lib['name'])} {e(period['label'])}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Steward report: {e(lib['name'])}, {e(period['label'])}</h1>",
        f"<p>Period {e(period['start'])} to {e(period['end'])} (fiscal year "
        f"{e(period['fiscal_year'])}). libstats {e(manifest['libstats_version'])}.</p>",
    ]
    ok = status == "published" and not failed
    parts.append(f"<div class=\"banner {'ok' if ok else 'bad'}\"><strong>Release "
                 f"{e(status)}.</strong> {len(checks) - len(failed)} of {len(checks)} checks "
                 f"passed.{' ' + e(problem) if problem else ''}</div>")
    warnings = manifest.get("warnings", [])
    if warnings:
        parts.append("<h2>Warnings</h2><table>")
        parts.append(_row(["source", "file", "what", "rows"], "th"))
        for w in warnings:
            parts.append(_row([e(w["source"]), f"<code>{e(w['file'] or '')}</code>",
                               e(w["what"]), e(w["count"])]))
        parts.append("</table>")
    if data_docs:
        parts.append(f"<p>Great Expectations Data Docs (sample-free): <a href=\"{e(data_docs)}\">"
                     f"<code>{e(data_docs)}</code></a></p>")

    parts.append("<h2>Published tables</h2><table>")
    parts.append(_row(["table", "grain", "rows", "cells withheld",
                       "legal basis"], "th"))
    clauses = manifest.get("legal_clauses") or {}
    for t in manifest.get("tables", []):
        parts.append(_row([f"<code>{e(t['name'])}</code>", e(t["grain"]), e(t["rows"]),
                           e(t["suppressed_cells"]),
                           "<br>".join(_clause_ref(b, clauses, e) for b in t["legal_basis"])]))
    parts.append("</table>")
    if clauses:
        # Each clause's full text once, below the table that names it by short reference.
        parts.append("<h3>Legal basis: the clauses named above</h3><dl class=\"clauses\">")
        for ref, text in clauses.items():
            parts.append(f"<dt id=\"{_clause_id(ref)}\">{e(ref)}</dt><dd>{e(text)}</dd>")
        parts.append("</dl>")
    sup = manifest.get("suppression", {})
    parts.append(f"<p>Suppression: {e(sup.get('rule', ''))}</p>")
    parts += _disclosure_section(manifest.get("disclosure"), e)
    parts += _dp_section(manifest.get("differential_privacy"), e)
    parts += _k_anonymity_section(manifest.get("k_anonymity"), e)

    parts += _checks_section(checks, failed, e)
    parts += _inputs_section(manifest, e)
    wifi = manifest.get("wifi")
    if wifi:
        parts.append(_wifi_section(wifi, manifest.get("rows", {}), e))
    eres = manifest.get("eresources")
    if eres:
        parts.append(_eresources_section(eres, e))
    pz = manifest.get("pseudonymized", [])
    if pz:
        parts.append("<h2>Pseudonymized zone</h2><table>")
        parts.append(_row(["table", "rows", "note"], "th"))
        for t in pz:
            parts.append(_row([f"<code>{e(t['table'])}</code>", e(t["rows"]),
                               e(t.get("note", ""))]))
        parts.append("</table>")
    keys = manifest.get("key_ids", {})
    parts.append("<h2>Keys</h2><p>Key ids (never keys): " +
                 ", ".join(f"{e(k)}: <code>{e(v)}</code>" for k, v in sorted(keys.items())) +
                 "</p>")
    ex = manifest.get("leak_scan", {}).get("exempt_columns", [])
    if ex:
        parts.append("<p>Columns exempt from the exact-match scan (config): " +
                     ", ".join(f"<code>{e(x)}</code>" for x in ex) + "</p>")
    if audit:
        parts += _audit_section(audit, e)
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _checks_section(checks: list[dict], failed: list[dict], e) -> list[str]:
    """The checks by table, then every check (failures first): names and counts only."""
    parts: list[str] = []
    parts.append("<h2>Checks</h2><table>")
    parts.append(_row(["zone", "table", "checks", "passed", "failed", "kinds of check"], "th"))
    by_table: dict[tuple[str, str], list[dict]] = {}
    for c in checks:
        by_table.setdefault((c["zone"], c["table"]), []).append(c)
    for (zone, table), cs in sorted(by_table.items()):
        bad = sum(not c["passed"] for c in cs)
        kinds = sorted({c["check"].split(":")[0] for c in cs})
        parts.append(_row([e(zone), f"<code>{e(table)}</code>", e(len(cs)),
                           e(len(cs) - bad), f"<span class=fail>{bad}</span>" if bad else "0",
                           e(", ".join(kinds))]))
    parts.append("</table>")
    parts.append(f"<details{' open' if failed else ''}><summary>Every check "
                 f"(failures first)</summary><table>")
    parts.append(_row(["result", "zone", "table", "column", "check", "threshold",
                       "offending values", "engine", "detail"], "th"))
    for c in sorted(checks, key=lambda c: (c["passed"], c["zone"], c["table"],
                                           c["column"] or "", c["check"])):
        res = "<span class=pass>pass</span>" if c["passed"] else "<span class=fail>FAIL</span>"
        parts.append(_row([res, e(c["zone"]), f"<code>{e(c['table'])}</code>",
                           e(c["column"] or ""), e(c["check"]), e(c["threshold"] or ""),
                           e(c["failing_count"]), e(c["engine"]), e(c["detail"])]))
    parts.append("</table></details>")
    return parts


def _inputs_section(manifest: dict, e) -> list[str]:
    """Input files with their hashes, row counts per source and circulation coverage."""
    parts: list[str] = []
    parts.append("<h2>Inputs</h2><table>")
    parts.append(_row(["source", "format", "file", "rows read", "sha256"], "th"))
    for i in manifest.get("inputs", []):
        parts.append(_row([e(i["source"]), e(i["format"]), f"<code>{e(i['file'])}</code>",
                           e(i["rows_in"]), f"<code>{e(i['sha256'])}</code>"]))
    parts.append("</table>")
    rows = manifest.get("rows", {})
    if rows:
        parts.append("<h2>Row counts</h2><table>")
        parts.append(_row(["source", "read", "in scope for the period",
                           "out of scope (other transaction types)", "outside the period"],
                          "th"))
        for name, r in sorted(rows.items()):
            parts.append(_row([e(name), e(r.get("read", "")), e(r.get("in_period", "")),
                               e(r.get("out_of_scope", "")), e(r.get("outside_period", ""))]))
        parts.append("</table>")
    cov = manifest.get("coverage")
    if isinstance(cov, str):
        parts.append(f"<h2>Coverage</h2><p>{e(cov)}.</p>")
    elif cov:
        parts.append("<h2>Coverage</h2><table>")
        parts.append(_row(["source", "first event", "last event", "events in the period"],
                          "th"))
        for name, c in sorted(cov["sources"].items()):
            parts.append(_row([e(name), e(c["first_day"]), e(c["last_day"]), e(c["events"])]))
        parts.append("</table>")
        if cov["months_without_events"]:
            parts.append("<p class=fail>Months with no circulation event at all (a partial "
                         "export? their zeros may not be real): " +
                         ", ".join(e(m) for m in cov["months_without_events"]) + "</p>")
    return parts


def _wifi_section(wifi: dict, rows: dict, e) -> str:
    """Wi-Fi sessions: what was counted and excluded, anomalies with where the first one is."""
    parts = ["<h2>Wi-Fi sessions</h2>",
             "<p>Counted as the PLS defines WIFISESS: one session per connection; sessions of "
             "library devices and on library-only networks are not counted. Rules: "
             f"<code>{e(wifi.get('rules', ''))}</code>.</p><table>"]
    parts.append(_row(["source", "records read", "sessions", "counted in the period",
                       "library devices", "library-only networks", "wired", "outside the period",
                       "NAS events"], "th"))
    for name, c in sorted(wifi.get("coverage", {}).get("sources", {}).items()):
        r = rows.get(name, {})
        parts.append(_row([e(name), e(r.get("read", "")), e(r.get("sessions", "")),
                           e(r.get("in_period", "")), e(r.get("excluded_library_devices", "")),
                           e(r.get("excluded_library_networks", "")),
                           e(r.get("excluded_wired", "")), e(r.get("outside_period", "")),
                           e(r.get("nas_events", ""))]))
    parts.append("</table>")
    anomalies = wifi.get("anomalies", [])
    if anomalies:
        parts.append("<h3>Anomalies (counted, the run went on)</h3><table>")
        parts.append(_row(["source", "anomaly", "count", "first at"], "th"))
        for a in anomalies:
            parts.append(_row([e(a["source"]), e(a["what"]), e(a["count"]),
                               f"<code>{e(a['file'])}</code>, line {e(a['line'])}"]))
        parts.append("</table>")
    else:
        parts.append("<p>No anomalies in the session logs.</p>")
    empty = wifi.get("coverage", {}).get("branch_months_without_sessions", [])
    if empty:
        parts.append("<p class=fail>Branch months with no Wi-Fi session at all (a missing log? "
                     "their zeros may not be real): " + ", ".join(e(m) for m in empty) + "</p>")
    return "\n".join(parts)


def _eresources_section(eres: dict, e) -> str:
    """E-resources: EZproxy lines counted and excluded (by reason), bad lines with where the
    first is, unmapped hosts, COUNTER reports read, vendor e-circulation rows."""
    from transforms.eresources import EXCLUSION_REASONS as REASONS
    parts = ["<h2>E-resources</h2>",
             "<p>EZproxy requests are counted with the COUNTER R5.1 session and double-click "
             "rules; robots, failed requests and EZproxy's own pages are not counted. Client "
             "addresses, user names, session ids and URLs (paths and query strings) never leave "
             f"the raw zone. Rules: <code>{e(eres.get('rules', ''))}</code>.</p>"]
    sources = eres.get("sources", {})
    if sources:
        parts.append("<table>")
        parts.append(_row(["source", "lines", "bad lines", "counted", *REASONS], "th"))
        for name, c in sorted(sources.items()):
            parts.append(_row([e(name), e(c["lines"]), e(c["bad_lines"]), e(c["counted"]),
                               *(e(c["excluded"].get(r, 0)) for r in REASONS)]))
        parts.append("</table>")
        blind = sorted(n for n, c in sources.items() if c.get("log_formats_without_user_agent"))
        if blind:
            parts.append("<p>Robots cannot be recognised in lines written without a user "
                         "agent (a LogFormat without <code>%{User-Agent}i</code>) in: "
                         + ", ".join(e(n) for n in blind) + ".</p>")
    bad = eres.get("bad_lines", [])
    if bad:
        parts.append("<h3>Bad lines (quarantined in the raw zone, the run went on)</h3><table>")
        parts.append(_row(["source", "lines", "share", "first at", "quarantine file"], "th"))
        for b in bad:
            parts.append(_row([e(b["source"]), e(b["count"]), e(f"{b['share']:.2%}"),
                               f"<code>{e(b['file'])}</code>, line {e(b['line'])}",
                               f"<code>{e(b['quarantine'])}</code>"]))
        parts.append("</table>")
    empty = eres.get("months_without_requests", [])
    if empty:
        parts.append("<p class=fail>Months with no EZproxy request at all (a missing log? their "
                     "zeros may not be real): " + ", ".join(e(m) for m in empty) + "</p>")
    if "other_hosts" in eres:
        hosts = eres["other_hosts"]
        parts.append("<h3>Hosts no database lists (counted as <code>other</code>)</h3>")
        if hosts:
            parts.append("<p>Add the ones that belong to a database to "
                         "<code>[[eresources.databases]]</code>.</p><table>")
            parts.append(_row(["host", "requests"], "th"))
            for h in hosts:
                parts.append(_row([f"<code>{e(h['host'])}</code>", e(h["requests"])]))
            parts.append("</table>")
        parts.append(f"<p>{e(eres.get('other_hosts_not_listed', 0))} other host(s) not listed: "
                     "used by too few sessions, or shaped like an identifier.</p>")
    counter = eres.get("counter", [])
    if counter:
        parts.append("<h3>COUNTER reports read</h3><table>")
        parts.append(_row(["file", "report", "release", "months", "databases"], "th"))
        for c in counter:
            parts.append(_row([f"<code>{e(c['file'])}</code>", e(c["report"]), e(c["release"]),
                               e(f"{c['first_month']} to {c['last_month']}"),
                               e(c["databases"])]))
        parts.append("</table>")
    quarantined = eres.get("counter_quarantined", [])
    if quarantined:
        parts.append("<h3 class=fail>COUNTER reports quarantined (not read, the run went on)"
                     "</h3><table>")
        parts.append(_row(["source", "file", "where", "problem"], "th"))
        for q in quarantined:
            where = f"line {e(q['line'])}" if q.get("line") is not None else ""
            if q.get("column"):
                where += f", column <code>{e(q['column'])}</code>"
            parts.append(_row([e(q["source"]), f"<code>{e(q['file'])}</code>", where,
                               e(q["problem"])]))
        parts.append("</table>")
    warnings = eres.get("counter_warnings", []) + eres.get("ezproxy_warnings", [])
    if warnings:
        parts.append("<h3>E-resource warnings (read; worth a look)</h3><table>")
        parts.append(_row(["source", "first at", "times", "warning"], "th"))
        for w in warnings:
            where = f"<code>{e(w['file'])}</code>"
            if w.get("line") is not None:
                where += f", line {e(w['line'])}"
            if w.get("column"):
                where += f", column <code>{e(w['column'])}</code>"
            parts.append(_row([e(w["source"]), where, e(w["count"]), e(w["what"])]))
        parts.append("</table>")
    ecirc = eres.get("ecirc")
    if ecirc:
        parts.append(f"<p>Vendor e-circulation: {e(ecirc['rows'])} row(s) read, "
                     f"{e(ecirc['rows_in_period'])} in the period.</p>")
    return "\n".join(parts)


def write(path: Path, manifest: dict, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(manifest, **kwargs), encoding="utf-8")
    return path


def _disclosure_section(d: dict | None, e) -> list[str]:
    """Complementary suppression and its audit, per table: counts and ranges, no values."""
    if not d:
        return []
    out = ["<h2>Disclosure control</h2>",
           f"<p>Every count from 1 to {e(d['threshold'])} is withheld for its size; further "
           f"cells are withheld so that no withheld cell can be narrowed, from the totals, the "
           f"linked tables and the earlier releases of the fiscal year, to a range narrower "
           f"than {e(d['protection_interval'])} (audited by linear programming, HiGHS). "
           f"Method: {e(d['method'])}.</p>"]
    earlier = d.get("earlier_releases") or []
    out.append("<p>Earlier public releases of this fiscal year taken into account: "
               + (", ".join(f"<code>{e(r['label'])}</code>" for r in earlier) or "none")
               + (f"; {e(d['revised_figures'])} figure(s) differ from an earlier release "
                  f"(revised data)" if d.get("revised_figures") else "") + ".</p>")
    out.append("<table>" + _row(["table", "cells", "withheld for size",
                                 "withheld to protect them", "withheld as before",
                                 "narrowest range of a withheld cell", "linked with",
                                 "information loss", "relations audited"], "th"))
    for name, t in d["tables"].items():
        loss = t.get("information_loss") or {}
        share = round(100 * loss.get("share_of_cells", 0), 1)
        loss_text = (f"{e(loss['cells_withheld'])} cell(s), {e(share)}% of the cells, {e(round(100 * loss['share_of_inner_counts'], 1))}% of "
                     f"the counts" + (f"; at least {e(loss['milp_lower_bound'])} needed (MILP)"
                                      if loss.get("milp_lower_bound") is not None else "")
                     ) if loss else "—"
        rels = ", ".join(f"{e(n)} {e(k)}" for k, n in (t.get("relations") or {}).items()) or "—"
        rng = "no cell withheld" if t["narrowest_range"] is None and not (
            t["withheld_for_size"] or t["withheld_for_protection"] or t["withheld_as_before"]
        ) else ("unbounded" if t["narrowest_range"] is None else e(t["narrowest_range"]))
        out.append(_row([f"<code>{e(name)}</code>", e(t["cells"]), e(t["withheld_for_size"]),
                         e(t["withheld_for_protection"]), e(t["withheld_as_before"]),
                         rng + (f" <span class=fail>({e(t['unsafe'])} too narrow)</span>"
                                if t["unsafe"] else "")
                         + (f" ({e(t['limited_by_open_figures'])} under a small whole-library "
                            f"figure: as wide as it can be)"
                            if t.get("limited_by_open_figures") else ""),
                         ", ".join(f"<code>{e(n)}</code>" for n in t["linked_with"]) or "—",
                         loss_text, rels]))
    out.append("</table>")
    util = d.get("utility")
    if util and util.get("lower_bound"):
        out.append(f"<p>Cells withheld in all: {e(util['cells_withheld'])}; any safe pattern "
                   f"needs at least {e(util['lower_bound'])} (MILP lower bound), so the "
                   f"heuristic is within a factor {e(util['factor'])} of the best.</p>")
    return out



def _k_anonymity_section(k: dict | None, e) -> list[str]:
    """The pseudonymized zone's patron records: how many were recoded to reach k."""
    if not k:
        return []
    qis = ", ".join(f"<code>{e(c)}</code>" for c in k["quasi_identifiers"])
    return [
        "<h2>k-anonymity of the pseudonymized zone</h2>",
        f"<p>Patron records are checked on {qis}: every combination of their values is shared "
        f"by at least k = {e(k['k'])} records. Records in smaller classes are widened one step "
        f"(age band, area, month), then their quasi-identifiers are withheld.</p>",
        "<table>" + _row(["records", "kept as they were", "widened one step",
                          "quasi-identifiers withheld", "left out of the zone",
                          "classes below k before", "classes after", "smallest class"], "th"),
        _row([e(k["records"]), e(k["records_kept"]), e(k["records_generalized"]),
              e(k["records_withheld"]), e(k["records_dropped"]),
              e(k["classes_below_k_before"]), e(k["classes"]),
              e(k["smallest_class"] if k["smallest_class"] is not None else "—")]),
        "</table>"] + _k_extra(k, e)


def _k_extra(k: dict, e) -> list[str]:
    """Minors' k and the comparison with other fiscal years' zones (docs/disclosure.md §6)."""
    out = []
    if "k_minors" in k:
        smallest = k.get("smallest_class_with_minors")
        out.append(f"<p>Classes that may hold a patron under {e(k.get('minors_age', 18))} "
                   f"need k = {e(k['k_minors'])}: {e(k.get('classes_with_minors', 0))} such "
                   f"class(es), the smallest of {e(smallest if smallest is not None else '—')}"
                   f". Enrolment and last-activity dates ship as: "
                   f"{e(k.get('activity_dates', 'month'))}.</p>")
    cross = (k.get("cross_year") or {}).get("compared_with") or []
    if cross:
        out.append("<table>" + _row(["other fiscal year's zone", "classes in both",
                                     "records unique in both years",
                                     "records below k in both years"], "th"))
        out += [_row([e(c["zone"]), e(c["classes_in_both"]), e(c["records_unique_in_both"]),
                      e(c["records_below_k_in_both"])]) for c in cross]
        out.append("</table>")
    return out


def _dp_section(d: dict | None, e) -> list[str]:
    """Tables published with differential privacy: ε, bounds, expected error, the ledger."""
    if not d:
        return []
    out = ["<h2>Differential privacy</h2>",
           f"<p>These tables are published with noise instead of suppression: "
           f"{e(d['mechanism'])}. Each figure is an estimate; negative noisy figures are shown "
           f"as 0, so parts need not add up to their totals exactly. Budget of "
           f"{e(d['fiscal_year'])}: ε = {e(d['budget'])}; spent {e(d['spent'])}, remaining "
           f"{e(d['remaining'])}.</p>",
           "<table>" + _row(["table", "ε", "privacy unit", "rows per unit at most",
                             "cells", "a cell within ± (95 %)", "the total within ± (95 %)",
                             "drawn in"], "th")]
    for name, t in d["tables"].items():
        out.append(_row([f"<code>{e(name)}</code>", e(t["epsilon"]), e(t["privacy_unit"]),
                         e(t["max_contributions"]), e(t["cells"]), e(t["cell_accuracy_95"]),
                         e(t["total_accuracy_95"]), e(t["drawn_in"])]))
    out.append("</table><p>Ledger of the fiscal year (every draw published, once each):</p>"
               "<table>" + _row(["drawn in", "table", "ε"], "th"))
    for entry in d["ledger"]:
        out.append(_row([e(entry["drawn_in"]), f"<code>{e(entry['table'])}</code>",
                         e(entry["epsilon"])]))
    out.append("</table>")
    return out


def _audit_section(entries: list[dict], e) -> list[str]:
    """The audit log's latest entries (purges, holds, release switches, pushes): what, when,
    who; file hashes are counted here and listed in the log itself."""
    parts = ["<h2>Audit log (latest entries)</h2><table>",
             _row(["when (UTC)", "who", "action", "what"], "th")]
    for a in entries:
        act = a.get("action", "")
        if act == "purge":
            zones: dict = {}
            for d in a.get("deleted", []):
                zones[d["zone"]] = zones.get(d["zone"], 0) + 1
            what = ", ".join(f"{n} {z}" for z, n in sorted(zones.items())) or "nothing"
            what = f"deleted {what}; kept {a.get('kept', 0)}"
        elif act.startswith("hold."):
            held = (f"source {a.get('source')} {a.get('from')}..{a.get('to')}" if a.get("source")
                    else f"{len(a.get('files') or [])} file(s)")
            what = f"{a.get('hold')} ({held}), ref {a.get('reference')}, until {a.get('expires')}"
        elif act == "release.switch":
            what = (f"{a.get('period')}: published {a.get('published_version')}, "
                    f"pseudonymized {a.get('pseudonymized_version')}")
        elif act == "publish.push":
            what = (f"{a.get('period')} to {a.get('target')} "
                    f"({len(a.get('files') or [])} files, verified)")
        else:
            what = ""
        parts.append(_row([e(a.get("at", "")), e(a.get("by", "")), f"<code>{e(act)}</code>",
                           e(what)]))
    parts.append("</table>")
    return parts
