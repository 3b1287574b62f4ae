"""``libstats purge``: list what retention lets go (dry run, the default) or delete it
(``--apply``), each deletion in the audit log with its hash. The rules are in
libstats/lifecycle/purge.py; holds in libstats/lifecycle/holds.py."""

from __future__ import annotations

import datetime as dt

from libstats.errors import ConfigError
from libstats.lifecycle import audit, holds as holds_mod
from libstats.lifecycle import purge as rules
from libstats.period import parse_period
from libstats.readers.files import sha256_file


def _period_dates(config):
    def period_of(label: str):
        try:
            p = parse_period(config, label)
        except ConfigError:
            return None
        return (p.start, p.end)
    return period_of


def shown(config, path) -> str:
    """A path relative to the config's folder, else to the output folder's parent."""
    for base in (config.base_dir, config.output_dir.parent):
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.name


def purge(config, *, apply: bool = False, today: dt.date | None = None,
          say=print) -> list[rules.Item]:
    """Plan (and with ``apply``, carry out) the purge; prints one line per candidate."""
    today = today or dt.date.today()
    for problem in audit.verify(audit.log_path(config.output_dir, config.library_slug)):
        say(f"warning: audit log: {problem}")
    held = holds_mod.load(holds_mod.path_of(config.output_dir, config.library_slug))
    items = rules.plan(config, held, today, _period_dates(config))
    gone = []
    for item in items:
        if item.delete and apply and item.zone in ("raw", "quarantine"):
            if sha256_file(item.path) != item.sha256:      # changed since planned
                item.delete, item.why = False, "changed while purging; kept"
        if item.delete and apply:
            rules.delete(item)
            gone.append(item)
        verb = ("deleted" if apply else "would delete") if item.delete else "keep"
        say(f"{verb:13} {item.zone:14} {shown(config, item.path)}: {item.why}")
    n = sum(i.delete for i in items)
    say(f"{'deleted' if apply else 'would delete'} {n} of {len(items)}"
        + ("" if apply else "; run with --apply to delete"))
    if apply:
        audit.append(audit.log_path(config.output_dir, config.library_slug), "purge",
                     config.library_slug,
                     {"deleted": [i.to_dict(shown(config, i.path)) for i in gone],
                      "kept": len(items) - len(gone), "on": today.isoformat()})
    return items
