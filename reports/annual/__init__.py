"""The state annual report (``libstats report annual CONFIG --fiscal-year YYYY --form pls``).

Reads a published release and nothing else (never raw exports or the pseudonymized zone),
computes the form's figures under the PLS definitions of the fiscal year's survey
(``reports/forms/``), and writes them into the release as a new version of it:

    published/<library>/FY2025/annual/<form>/
        ae.csv          administrative entity, one column per PLS element code (-1 = missing)
        outlets.csv     one row per outlet (branch)
        elements.csv    one row per element: value, method flag, status, sources, note
        report.xlsx     the form's layout: element code, name, value, count-or-estimate flag,
                        source tables, definition version (sheets: form, Outlets, Definitions)
        summary.html    the library board's summary with inline SVG charts

and ``annual_reports.<form>`` in ``manifest.json``: for every element, the cells (table and
coordinates) it came from, the formula, or why it is missing, and the checks that passed.
The version is written aside, re-checked with ``libstats check`` and switched in atomically;
the same release and data files give the same bytes. Forms of other kinds already in the
release are kept; a rerun of ``libstats run`` replaces the release and its reports.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from libstats import access, release
from libstats.errors import EXIT_CHECK_FAILED, InputError, LibstatsError
from reports.annual.compute import compute, frames_from_release
from reports.annual.definitions import definitions_for, load_layout

__all__ = ["produce", "report_settings", "AnnualReportError"]


class AnnualReportError(LibstatsError):
    """The report cannot be published as computed (exit 1); nothing was written."""

    exit_code = EXIT_CHECK_FAILED


def _release_checks(manifest: dict) -> dict[str, list[str]]:
    passed: dict[str, set] = {}
    for c in manifest.get("checks", []):
        if c.get("zone") == "published" and c.get("passed"):
            passed.setdefault(c["table"], set()).add(c["check"])
    return {t: sorted(v) for t, v in passed.items()}


def _manifest_section(results, layout, defs, chosen, head, manifest, files) -> dict:
    checks = _release_checks(manifest)
    elements = []
    for r in results:
        tables = sorted({s["table"] for f in [r.ae, *r.outlets.values()] if f
                         for s in f.sources})
        entry = {"item": r.item, "code": r.element.code, "number": r.element.number,
                 "name": r.element.name,
                 "method": "ES" if r.ae is not None and r.ae.estimated else r.element.method,
                 "checks": [{"table": t, "passed": checks.get(t, [])} for t in tables]
                 + [{"check": "cells published, not withheld", "passed": True}]}
        if r.definitions:
            entry["definitions"] = r.definitions     # a state item the PLS year dropped
        if r.ae is not None:
            entry["ae"] = r.ae.to_dict()
        if r.outlets:
            entry["outlets"] = {k: v.to_dict() for k, v in r.outlets.items()}
        elements.append(entry)
    return {"form": layout.form, "title": layout.title, "fiscal_year": head["fiscal_year"],
            "definitions": {"version": defs.version, "survey_year": defs.survey_year,
                            "file": defs.path, "sha256": defs.sha256, "chosen_by": chosen},
            "layout": {"file": layout.path, "sha256": layout.sha256,
                       "numbers_source": layout.numbers_source or None},
            "files": files, "elements": elements,
            "rule": "every figure is a published, non-withheld cell of this release or a sum "
                    "of them, or a setting of the library's config (a count of machines, "
                    "recorded under 'settings'); -1 = no source (PLS missing)"}


def report_settings(config) -> dict[str, dict[str, int]]:
    """The config settings the definitions' ``setting`` elements read (definitions.SETTINGS),
    each as branch code -> value."""
    return {"computers.public_terminals": dict(config.computers.public_terminals)}


def produce(config, fiscal_year: int, form: str, progress=None,
            if_withheld: str = "stop") -> Path:
    """Write the annual report of ``form`` into the release of ``fiscal_year``; returns the
    report folder (through the release link)."""
    defs, chosen = definitions_for(fiscal_year)
    layout = load_layout(form)
    label = f"FY{fiscal_year}"
    pub_root = config.output_dir / "published" / config.library_slug
    link = pub_root / label
    release.check_link(pub_root, label)
    if not link.is_symlink() or not (link / "manifest.json").is_file():
        raise InputError(link, f"no published release for {label}; run 'libstats run CONFIG "
                               f"--period {label}' first")
    from reports.recheck import _check_sums, check_release
    problems = _check_sums(link)
    if problems:
        raise AnnualReportError(f"the release {link} fails its integrity check, so no report "
                                "is made from it:" + "".join(f"\n  - {p}" for p in problems))
    manifest = json.loads((link / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("period", {}).get("label") != label:
        raise InputError(link / "manifest.json", f"is not the release of {label} "
                                                 "(key 'period.label')")
    frames = frames_from_release(link, manifest)
    outlets = [(b.code, b.name) for b in config.branches]
    noisy = frozenset(manifest.get("differential_privacy", {}).get("tables", {}))
    results = compute(layout, defs, frames, label, [c for c, _ in outlets], if_withheld, noisy,
                      report_settings(config))
    period = manifest["period"]
    head = {"library": manifest["library"]["name"], "fiscal_year": label,
            "start": period["start"], "end": period["end"],
            "period": f"{label}, {period['start']} to {period['end']}",
            "definitions": defs.version}
    if progress:
        progress(f"{label}: {len(results)} elements under {defs.version}, form '{form}'")

    stage = release.staging_dir(pub_root, label)
    try:
        shutil.copytree(link.resolve(), stage, dirs_exist_ok=True)
        folder = stage / "annual" / form
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        from reports.annual.writers import write_csvs, write_xlsx
        from reports.annual.summary import render
        write_csvs(folder, results, head, outlets)
        write_xlsx(folder / "report.xlsx", results, head, outlets, layout, defs)
        (folder / "summary.html").write_text(
            render(results, head, outlets, frames, layout, defs), encoding="utf-8")
        files = {p.relative_to(stage).as_posix(): release.sha256_path(p)
                 for p in sorted(folder.iterdir())}
        manifest.setdefault("annual_reports", {})[form] = _manifest_section(
            results, layout, defs, chosen, head, manifest, files)
        manifest["annual_reports"][form]["if_withheld"] = if_withheld
        release.write_json(stage / "manifest.json", manifest)
        (stage / release.SUMS).unlink(missing_ok=True)
        release.write_sums(stage)
        if progress:
            progress("re-checking the release with the report (libstats check)")
        failures, _ = check_release(stage)
        if failures:
            raise AnnualReportError("the release with the report fails its checks, so it is "
                                    "not published:" + "".join(f"\n  - {f}" for f in failures))
        new_link, _ = release.switch_in(stage, pub_root, label, modes=access.PUBLISHED)
        stage = None
    finally:
        release.discard(stage)
    return new_link / "annual" / form
