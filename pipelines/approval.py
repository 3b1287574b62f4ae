"""Steward approval: a run that needs it leaves a *pending* release; a steward approves it
(it is published) or rejects it (it is discarded). Nothing pending is ever in the published
folder, and the previous release stays in place until an approval switches the new one in.

Layout: ``<output>/pending/<library>/<period>/`` holds ``published/`` and ``pseudonymized/``
(each exactly what the run would have switched in), and ``pending.json`` (when, and the hash of
the steward report the approver reviews). On approval, the manifest gets
``approval = {status, by, at, steward_report_sha256}`` (the hash of the report as reviewed),
the release is re-checked (hashes, schema, small cells, patterns) and both zones are switched in
as a run would. A rejection removes the pending release and is recorded in the review folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

from libstats import access, release, runlock
from libstats.errors import EXIT_CHECK_FAILED, InputError, LibstatsError
from pipelines import publish
from reports import steward


class ApprovalError(LibstatsError):
    """The pending release cannot be approved as it is (exit 1: nothing was published)."""

    exit_code = EXIT_CHECK_FAILED


def pending_dir(output_dir: Path, slug: str, period: str) -> Path:
    return output_dir / "pending" / slug / period


def write_pending(pub_stage: Path, pz_stage: Path, target: Path,
                  group: str | None = None) -> Path:
    """Move the staged zones of a checked run into ``target`` (replacing an older pending
    release of the same period), atomically. ``group``: the pseudonymized zone's group,
    applied when the release is approved."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = target.parent / f".{target.name}.pending-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o700)
    os.replace(pub_stage, tmp / "published")
    os.replace(pz_stage, tmp / "pseudonymized")
    report = tmp / "published" / "steward_report.html"
    release.write_json(tmp / "pending.json", {
        "created": _now(), "steward_report_sha256": release.sha256_path(report),
        "zone_group": group})
    release.replace_dir(tmp, target)
    return target


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def _load(pending: Path) -> dict:
    meta = pending / "pending.json"
    if not meta.is_file() or not (pending / "published" / "manifest.json").is_file():
        raise InputError(pending, "not a pending libstats release (no pending.json or "
                                  "published/manifest.json)")
    return json.loads(meta.read_text(encoding="utf-8"))


def _check_name(by: str) -> str:
    by = by.strip()
    if not by or len(by) > 200 or any(ord(c) < 32 for c in by):
        raise ApprovalError("--by must name the person deciding (one line of text)")
    return by


def approve(pending: Path, by: str, progress=None) -> tuple[Path, Path]:
    """Publish a pending release; returns the published and pseudonymized links."""
    from reports.recheck import check_release
    pending = Path(pending).resolve()
    by = _check_name(by)
    info = _load(pending)
    pub, pz = pending / "published", pending / "pseudonymized"
    report = pub / "steward_report.html"
    reviewed = release.sha256_path(report)
    if reviewed != info["steward_report_sha256"]:
        raise ApprovalError(f"{report} changed after the run wrote it; rerun the period "
                            "instead of approving an edited release")
    failures, _ = check_release(pub)
    if failures:
        raise ApprovalError("the pending release fails its re-check, so it is not published:"
                            + "".join(f"\n  - {f}" for f in failures))
    manifest = json.loads((pub / "manifest.json").read_text(encoding="utf-8"))
    manifest["approval"] = {"status": "approved", "by": by, "at": _now(),
                            "steward_report_sha256": reviewed}
    release.write_json(pub / "manifest.json", manifest)
    steward.write(report, manifest,
                  status=f"published (approved by {by}, {manifest['approval']['at']})")
    (pub / "SHA256SUMS").unlink()
    release.write_sums(pub)

    out, slug, label = pending.parents[2], pending.parent.name, pending.name
    pub_root, pz_root = out / "published" / slug, out / "pseudonymized" / slug
    release.check_link(pub_root, label)
    release.check_link(pz_root, label)
    access.refuse_writable_by_others(out, pz_root)
    fiscal_year = manifest.get("period", {}).get("fiscal_year", label)
    with runlock.hold(out, slug, fiscal_year, 0, progress):
        publish.recover(out, slug, label)
        pub_link, pz_link = publish.publish(
            _restage(pub, pub_root, label), _restage(pz, pz_root, label), pub_root, pz_root,
            label, [t["name"] for t in manifest["tables"]], progress,
            group=info.get("zone_group"))
    _record(out / "review" / slug / label, manifest, "manifest.json")
    shutil.rmtree(pending)
    return pub_link, pz_link


def reject(pending: Path, by: str) -> Path:
    """Discard a pending release; the decision is kept in the review folder."""
    pending = Path(pending).resolve()
    by = _check_name(by)
    info = _load(pending)
    out, slug, label = pending.parents[2], pending.parent.name, pending.name
    review = out / "review" / slug / label
    decisions = review / "decisions.json"
    past = json.loads(decisions.read_text(encoding="utf-8")) if decisions.is_file() else []
    past.append({"status": "rejected", "by": by, "at": _now(),
                 "steward_report_sha256": info["steward_report_sha256"]})
    review.mkdir(parents=True, exist_ok=True)
    release.write_json(decisions, past)
    shutil.rmtree(pending)
    return decisions


def _restage(folder: Path, zone_root: Path, label: str) -> Path:
    stage = release.staging_dir(zone_root, label)
    stage.rmdir()
    os.replace(folder, stage)
    return stage


def _record(review: Path, manifest: dict, name: str) -> None:
    if review.is_dir():
        release.write_json(review / name, manifest)
