"""The data lifecycle: how long each zone's files live, legal holds, the audit log.

Ground modules (no import from transforms/, pipelines/, expectations/ or reports/):

- settings: the ``Lifecycle`` dataclass (``[retention]``, ``[holds]``, ``[quarantine]``,
  ``[publish]``) and the policy clause each default comes from;
- audit: the append-only JSON-lines audit log (purges, holds, release switches, pushes);
- holds: legal preservation holds (add / extend / release / list);
- purge: what ``libstats purge`` may delete and why, and what it must keep.

Where they live: ``<output>/lifecycle/<library>/`` holds ``audit.jsonl`` and ``holds.json``
(mode 0640 in a 0750 folder; no data value in either).
"""

from __future__ import annotations

from pathlib import Path


def state_dir(output_dir: Path, slug: str) -> Path:
    """``<output>/lifecycle/<library>/``: the audit log and the holds of one library."""
    return output_dir / "lifecycle" / slug
