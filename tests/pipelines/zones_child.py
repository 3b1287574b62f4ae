"""The end of a run, as pipelines/run.py does it (lock, recover, stage, publish), for the kill
trials of test_zones.py: imported by their child processes, so it imports no test machinery."""

from __future__ import annotations

import shutil
from pathlib import Path

from libstats import release, runlock
from pipelines import publish

SLUG, LABEL, FY = "lib", "FY2025", "FY2025"
TABLES = ["pub_t"]


def publish_variant(out: Path, payload: Path, variant: str, group: str | None = None,
                    before_publish=None) -> None:
    """A run's end, as pipelines/run.py does it: lock, recover, stage, publish."""
    pub_root, pz_root = out / "published" / SLUG, out / "pseudonymized" / SLUG
    with runlock.hold(out, SLUG, FY, 30):
        publish.recover(out, SLUG, LABEL)
        stages = []
        for src, root in (("pub", pub_root), ("pz", pz_root)):
            stage = release.staging_dir(root, LABEL)
            stage.rmdir()
            shutil.copytree(payload / variant / src, stage)
            stages.append(stage)
        if before_publish:
            before_publish()
        publish.publish(stages[0], stages[1], pub_root, pz_root, LABEL, TABLES, group=group)
