"""``[retention]``, ``[holds]``, ``[quarantine]`` and ``[publish]``: the data lifecycle
(libstats.lifecycle.settings gives each default's policy clause)."""

from __future__ import annotations

from pathlib import Path

from libstats.config.reader import TableReader
from libstats.lifecycle.settings import Lifecycle, PublishTarget, SourceRetention

#: storage options that would put a secret into the config file (use the environment, or the
#: fsspec/cloud provider's own credential files)
SECRET_OPTIONS = ("key", "secret", "password", "token", "aws_access_key_id",
                  "aws_secret_access_key", "aws_session_token", "passphrase", "client_secret")


def _days(reader: TableReader, name: str, default: int) -> int:
    value = reader.get(name, int, default)
    if value < 0:
        raise reader.fail(name, "must be 0 or more (days)")
    return value


def read_lifecycle(root: TableReader, source_names: tuple[str, ...],
                   output_dir: Path) -> Lifecycle:
    d = Lifecycle()
    ret = root.sub("retention", {})
    raw_days = _days(ret, "raw_days", d.raw_days)
    quarantine_days = _days(ret, "quarantine_days", d.quarantine_days)
    keep_previous = _days(ret, "pseudonymized_keep_previous", d.pseudonymized_keep_previous)
    previous_days = _days(ret, "pseudonymized_previous_days", d.pseudonymized_previous_days)
    review_days = _days(ret, "review_days", d.review_days)
    per = ret.sub("sources", {})
    sources = {}
    for name in list(per.table):
        if name not in source_names:
            raise per.fail(name, "names no [[sources]] entry (known: "
                                 f"{', '.join(source_names) or 'none'})")
        s = per.sub(name)
        raw = s.get("raw_days", int, None)
        if raw is not None and raw < 0:
            raise s.fail("raw_days", "must be 0 or more (days)")
        sources[name] = SourceRetention(raw_days=raw,
                                        keep_records=s.get("keep_records", bool, True))
        s.finish()
    per.finish()
    ret.finish()

    holds = root.sub("holds", {})
    hold_days = _days(holds, "days", d.hold_days)
    if hold_days < 1:
        raise holds.fail("days", "must be at least 1")
    ext_days = _days(holds, "extension_days", d.hold_extension_days)
    max_ext = _days(holds, "max_extensions", d.hold_max_extensions)
    holds.finish()

    q = root.sub("quarantine", {})
    folder = q.get("folder", str, "quarantine")
    qdir = (root.path.parent / folder).resolve()
    if qdir == output_dir or output_dir in qdir.parents:
        raise q.fail("folder", f"is under the output folder ({output_dir}); quarantined lines "
                               "are raw records and belong in the raw area, e.g. "
                               "\"quarantine\" beside the exports")
    keep_text = q.get("keep_text", bool, False)
    q.finish()

    pub = root.sub("publish", {})
    targets = []
    for i, t in enumerate(pub.get("targets", list, [], what="an array of tables")):
        if not isinstance(t, dict):
            raise pub.fail("targets", "must be an array of tables ([[publish.targets]])")
        tr = TableReader(root.path, t, f"publish.targets[{i}]")
        url = tr.get("url", str)
        if not url.strip():
            raise tr.fail("url", "must not be empty")
        opts = tr.get("options", dict, {}, what="a table of fsspec storage options")
        secret = sorted(k for k in opts if k.lower() in SECRET_OPTIONS)
        if secret:
            raise tr.fail(f"options.{secret[0]}", "is a credential: credentials never go in "
                          "the config; use the environment (e.g. AWS_ACCESS_KEY_ID) or the "
                          "provider's credential file")
        if "://" in url and "@" in url.split("://", 1)[1].split("/", 1)[0]:
            raise tr.fail("url", "holds a user name or password; credentials never go in the "
                                 "config (use the environment or the provider's files)")
        if "://" not in url:     # a folder, relative to the config's folder
            url = str((root.path.parent / url).resolve())
            if output_dir == Path(url) or output_dir in Path(url).parents:
                raise tr.fail("url", "is inside the output folder; give a folder elsewhere")
        targets.append(PublishTarget(url=url, options=dict(opts)))
        tr.finish()
    pub.finish()
    return Lifecycle(raw_days=raw_days, quarantine_days=quarantine_days,
                     pseudonymized_keep_previous=keep_previous,
                     pseudonymized_previous_days=previous_days, review_days=review_days,
                     sources=sources, hold_days=hold_days, hold_extension_days=ext_days,
                     hold_max_extensions=max_ext, quarantine_folder=qdir,
                     quarantine_keep_text=keep_text, targets=tuple(targets))
