"""``libstats hold add / extend / release / list``: legal preservation holds, each change in
the audit log (libstats/lifecycle/holds.py has the rules)."""

from __future__ import annotations

import datetime as dt
from libstats.lifecycle import audit
from libstats.lifecycle import holds as h
from libstats.readers.files import sha256_file


def _paths(config):
    return (h.path_of(config.output_dir, config.library_slug),
            audit.log_path(config.output_dir, config.library_slug))


def _date(text: str, what: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise h.HoldError(f"--{what} must be a date like 2025-03-01") from None


def add(config, *, reason: str, reference: str, source: str | None = None,
        start: str | None = None, end: str | None = None, files: list[str] = (),
        today: dt.date | None = None) -> h.Hold:
    today = today or dt.date.today()
    store, log = _paths(config)
    holds = h.load(store)
    reason, reference = h.check_text("reason", reason), h.check_text("reference", reference)
    named = []
    if source is not None and files:
        raise h.HoldError("a hold is on a source and date range or on named files, not both; "
                          "place two holds")
    if source is not None:
        if source not in {s.name for s in config.sources}:
            raise h.HoldError(f"--source {source} is not a source of {config.path.name}")
        if not (start and end):
            raise h.HoldError("a hold on a source needs --from and --to (the event dates)")
        start, end = _date(start, "from"), _date(end, "to")
        if start > end:
            raise h.HoldError("--from is after --to")
    elif files:
        for f in files:
            p = (config.base_dir / f).resolve()
            if not p.is_file():
                raise h.HoldError(f"{f}: no such file")
            named.append({"file": config.display_path(p), "sha256": sha256_file(p)})
    else:
        raise h.HoldError("a hold needs --source with --from/--to, or --file")
    hold = h.Hold(id=h.new_id(holds), reason=reason, reference=reference,
                  placed=today.isoformat(),
                  expires=(today + dt.timedelta(days=config.lifecycle.hold_days - 1)).isoformat(),
                  source=source, start=start, end=end, files=named)
    holds.append(hold)
    h.save(store, holds)
    audit.append(log, "hold.add", config.library_slug, _entry(hold))
    return hold


def _change(config, hold_id: str, action: str, today: dt.date | None, change) -> h.Hold:
    """Load the holds, apply ``change(hold, today)`` to one (it raises HoldError to refuse),
    save them and log ``action`` with the hold."""
    today = today or dt.date.today()
    store, log = _paths(config)
    holds = h.load(store)
    hold = h.find(holds, hold_id)
    change(hold, today)
    h.save(store, holds)
    audit.append(log, action, config.library_slug, _entry(hold))
    return hold


def extend(config, hold_id: str, today: dt.date | None = None) -> h.Hold:
    life = config.lifecycle

    def change(hold: h.Hold, today: dt.date) -> None:
        if not hold.active(today):
            raise h.HoldError(f"hold {hold_id} is {hold.status(today)}; place a new hold instead")
        if hold.extensions >= life.hold_max_extensions:
            raise h.HoldError(f"hold {hold_id} was already extended {hold.extensions} time(s), "
                              f"the most [holds] max_extensions allows; its records are kept "
                              f"until {hold.expires}")
        hold.extensions += 1
        hold.expires = (dt.date.fromisoformat(hold.expires)
                        + dt.timedelta(days=life.hold_extension_days)).isoformat()
    return _change(config, hold_id, "hold.extend", today, change)


def release(config, hold_id: str, today: dt.date | None = None) -> h.Hold:
    def change(hold: h.Hold, today: dt.date) -> None:
        if hold.released:
            raise h.HoldError(f"hold {hold_id} was already released on {hold.released}")
        hold.released = today.isoformat()
    return _change(config, hold_id, "hold.release", today, change)


def listing(config, today: dt.date | None = None) -> list[str]:
    today = today or dt.date.today()
    lines = []
    for hold in h.load(_paths(config)[0]):
        what = (f"source {hold.source} {hold.start}..{hold.end}" if hold.source
                else ", ".join(f["file"] for f in hold.files))
        lines.append(f"{hold.id}  {hold.status(today):18} until {hold.expires}  "
                     f"(placed {hold.placed}, extended {hold.extensions}x)  {what}  "
                     f"ref {hold.reference}: {hold.reason}")
    return lines


def _entry(hold: h.Hold) -> dict:
    return {"hold": hold.id, "source": hold.source, "from": hold.start, "to": hold.end,
            "files": hold.files, "reference": hold.reference, "reason": hold.reason,
            "expires": hold.expires, "extensions": hold.extensions,
            "released": hold.released}

