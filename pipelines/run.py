"""The run: raw exports → pseudonymized zone → published release, as a list of named steps.

``run()`` reads top to bottom as the steps below; each is a function of this module, and each
domain's part of a step is a function of its module (``pipelines/domains.py`` lists them,
``pipelines/context.py`` gives their interface). Any failure publishes nothing.

1. key             load the master key and derive the period's key, before any data is read.
2. profiles        resolve every source's column roles (config errors before reading data).
3. read            read every export once into DuckDB, each by its domain; bad input stops.
4. stage           each domain: tokens, ``int_*`` tables, the published tables' SQL.
5. disclosure      the published tables' counts; totals, suppression and the audit
                   (differential privacy for the tables configured so).
6. suites          the Great Expectations suites on the published tables, in a thread from
                   here on (pure Python, while DuckDB writes the zone and scans).
7. pseudonymized   each domain writes its part of the zone, aside.
8. checks          pattern scans, exact-match scan, the suites' results, the audit, the
                   domains' own checks.
9. manifest        inputs, rows, tables, checks and every domain's report.
10. release        a failed check: the steward report goes to review, nothing is published.
                   Else the release is written aside and switched in (or left pending).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from expectations.suites import data_docs_index
from libstats import access, keys, release, runlock
from libstats.config import Config
from libstats.errors import CheckFailed, ConfigError
from libstats.lifecycle import audit
from libstats.period import Period
from libstats.profiles import ResolvedProfile, resolve
from libstats.readers.files import expand_paths
from libstats.schema import PUBLISHED_TABLES
from libstats.sql import lit
from pipelines import approval, disclosure, noise, norecords, plausibility, publish, verify
from pipelines.context import Run
from pipelines.domains import DOMAINS, domain_of
from pipelines.manifest import build_manifest
from reports import steward


@dataclass
class RunResult:
    published: Path | None
    pseudonymized: Path | None
    review: Path
    manifest: dict
    failures: list = field(default_factory=list)
    pending: Path | None = None      # a release waiting for a steward's approval


@dataclass
class _Zones:
    """Where a run of one library and period writes, and what it has staged so far (removed
    at the end unless switched in)."""

    pub_root: Path
    pz_root: Path
    review: Path
    review_stage: Path
    work_dir: Path
    pub_stage: Path | None = None
    pz_stage: Path | None = None
    suites: object = None
    not_kept: set = field(default_factory=set)     # domains whose sources keep no records

    @classmethod
    def of(cls, config: Config, period: Period) -> "_Zones":
        out, slug, label = config.output_dir, config.library_slug, period.label
        review = out / "review" / slug / label
        # In-run files (transcoded exports, DuckDB spill) live in a private temporary folder
        # (mode 0700) outside the output tree.
        work = Path(tempfile.gettempdir()) / f"libstats-{slug}-{label}-{os.getpid()}"
        return cls(pub_root=out / "published" / slug, pz_root=out / "pseudonymized" / slug,
                   review=review, review_stage=review.parent / f".staging-{label}-{os.getpid()}",
                   work_dir=work)

    def discard(self) -> None:
        if self.suites is not None:
            verify.finish_suites(self.suites)   # before its folder goes
        release.discard(self.pub_stage)
        release.discard(self.pz_stage)
        release.discard(self.review_stage)
        shutil.rmtree(self.work_dir, ignore_errors=True)


@dataclass
class _Protected:
    """What disclosure control decided: the suppression's frames, audit and report, the tables
    published with noise, and the fiscal year's ε ledger."""

    suppression: disclosure.Disclosed
    dp_names: list
    ledger: dict | None          # the manifest's differential_privacy section


def run(config: Config, period: Period, *, progress=None, memory_limit: str | None = None,
        threads: int | None = None) -> RunResult:
    """Run every step for one period. Raises LibstatsError subclasses on failure."""
    pkey = key(config, period)
    resolved = profiles(config)
    with runlock.hold(config.output_dir, config.library_slug, period.fiscal_year_label,
                      config.lock_wait_s, progress):
        return _locked(config, period, pkey, resolved, progress, memory_limit, threads)


def _locked(config: Config, period: Period, pkey, resolved, progress, memory_limit,
            threads) -> RunResult:
    """Steps 3 to 10, under the run lock of the library and fiscal year (libstats/runlock.py):
    no other run reads the ε ledger or the earlier releases until this one has switched in."""
    zones = _open_zones(config, period)
    try:
        r = Run(None, config, period, pkey, zones.work_dir, progress=progress)
        if (client := access.synced_by(config.output_dir)) is not None:
            r.warn("[output]", None, f"the output folder is inside a folder that {client} "
                   "syncs: the pseudonymized zone would be copied off this machine; move "
                   "[output] folder out of it", 0)
        loaded = read(r, resolved, memory_limit, threads)
        staged = stage(r, resolved, loaded)
        plausibility.check(r, loaded, staged)
        frames, protected = disclosure_control(r, staged, zones)
        zones.suites = start_suites(r, frames, protected, zones)
        pz_tables = write_pseudonymized(r, staged, zones)
        results = checks(r, loaded, frames, protected, staged, zones)
        manifest = make_manifest(r, loaded, staged, frames, protected, pz_tables, results)
        return publish_or_review(r, manifest, frames, protected, results, zones)
    finally:
        zones.discard()


def key(config: Config, period: Period) -> keys.PeriodKey:
    """Step 1: the period's key (the master key is dropped at once)."""
    master = keys.load_master_key(config.key_env, config.key_file)
    # Importing Great Expectations takes seconds of pure Python; do it while DuckDB works.
    threading.Thread(target=_import_gx, name="import-gx", daemon=True).start()
    pkey = keys.derive_period_key(master, period.key_period)
    del master
    return pkey


def profiles(config: Config) -> list[ResolvedProfile]:
    """Step 2: every source's profile with the config's overrides; a run needs a source that
    some domain publishes from."""
    resolved = [resolve(s, config.path) for s in config.sources]
    if not _active(resolved):
        kinds = [f"'{d.KINDS[0]}'" for d in DOMAINS]
        raise ConfigError(config.path, "sources", f"needs at least one {', '.join(kinds[:-1])} "
                                                  f"or {kinds[-1]} source")
    return resolved


def _open_zones(config: Config, period: Period) -> _Zones:
    """Nothing is written until the release paths are known to be ours and the pseudonymized
    zone's folders are not writable by others; a switch a killed run left half done is
    completed, leftovers of killed runs are swept; the private work folder is made. The zones'
    folders are made (with their modes) only when the first zone is staged, so a run refused
    for its input leaves no zone folder."""
    zones = _Zones.of(config, period)
    release.check_link(zones.pub_root, period.label)
    release.check_link(zones.pz_root, period.label)
    access.refuse_writable_by_others(config.output_dir, zones.pz_root)
    publish.recover(config.output_dir, config.library_slug, period.label)
    release.sweep_stale(zones.work_dir.parent, f"libstats-{config.library_slug}-")
    shutil.rmtree(zones.work_dir, ignore_errors=True)
    zones.work_dir.mkdir(mode=0o700)
    return zones


def read(r: Run, resolved: list[ResolvedProfile], memory_limit: str | None,
         threads: int | None) -> list:
    """Step 3: connect (in a database file when the exports are far larger than the memory
    limit), let each domain prepare, then read every source in config order."""
    config = r.config
    limit = memory_limit or config.memory_limit
    files = {p.source.name: expand_paths(config.base_dir, p.source.path) for p in resolved}
    input_bytes = sum(f.stat().st_size for paths in files.values() for f in paths)
    r.on_disk = input_bytes > 4 * _bytes(limit)
    r.con = connect(r.work_dir, limit, threads or config.threads, r.on_disk)
    if r.on_disk:
        r.say("large exports: working in a database file (spills to disk)")
    for d in DOMAINS:
        own = [p for p in resolved if p.profile.kind in d.KINDS]
        if own:
            d.prepare(r, own)
    loaded = []
    for p in resolved:
        r.say(f"reading source '{p.source.name}' ({len(files[p.source.name])} file(s))")
        loaded.append(domain_of(p.profile.kind).load(r, p, files[p.source.name]))
    r.say("sources read and checked")
    return loaded


def stage(r: Run, resolved: list[ResolvedProfile], loaded: list) -> dict:
    """Step 4: each domain that publishes stages its tables (domain module → Staged)."""
    return {d: d.stage(r, [i for i in loaded if i.resolved.profile.kind in d.KINDS])
            for d in _active(resolved)}


def disclosure_control(r: Run, staged: dict, zones: _Zones):
    """Step 5: the published tables' counts, then differential privacy for the tables
    configured so and suppression with its audit for the others (earlier releases of the
    fiscal year taken as known). The frames become tables of the run for the scans."""
    r.say("disclosure control (totals, suppression, audit)")
    pub_sql = {n: sql for s in staged.values() for n, sql in s.pub_sql.items()}
    raw = {name: r.con.execute(sql).df() for name, sql in pub_sql.items()}
    earlier = disclosure.earlier_releases(zones.pub_root, r.period)
    dp_names = [n for n in raw if n in r.config.dp_tables]
    noisy = None
    if dp_names:
        r.say(f"differential privacy ({', '.join(dp_names)})")
        noisy = noise.dp_release(r.con, r.config, r.period, r.pkey,
                                      {n: raw[n] for n in dp_names}, earlier, r.progress)
    protected = disclosure.protect({n: f for n, f in raw.items() if n not in dp_names},
                                   r.config, r.period, earlier, r.progress)
    frames = {n: noisy.frames[n] if n in dp_names else protected.frames[n] for n in raw}
    for name, frame in frames.items():
        r.con.register("_frame", frame)
        r.con.execute(f"CREATE TABLE {name} AS SELECT * FROM _frame")
        r.con.unregister("_frame")
    ledger = noisy.report if noisy is not None else noise.dp_carried(
        earlier, r.config.dp_budget)
    return frames, _Protected(protected, dp_names, ledger)


def start_suites(r: Run, frames: dict, protected: _Protected, zones: _Zones):
    """Step 6: the GX suites need only the published frames: they run in a thread from here
    on (pure Python; DuckDB releases the GIL) while the zone is written and scanned."""
    release.sweep_stale(zones.review.parent, ".staging-")
    gx = GX_IMPORT.get("seconds")
    r.say("Great Expectations suites and Data Docs (in the background"
          + (f"; its import took {gx:.1f}s, in a thread since the start)" if gx is not None
             else "; still importing)"))
    return verify.start_suites(r.config, frames, zones.review_stage,
                               dp_tables=set(protected.dp_names),
                               open_totals=r.period.is_fiscal_year)


def write_pseudonymized(r: Run, staged: dict, zones: _Zones) -> list[dict]:
    """Step 7: each domain writes its part of the pseudonymized zone, aside."""
    r.say("writing the pseudonymized zone")
    publish.zone_folders(zones.pub_root, zones.pz_root, r.config.zone_group)
    zones.pz_stage = release.staging_dir(zones.pz_root, r.period.label)
    tables, zones.not_kept = norecords.write_pseudonymized(r, staged, zones.pz_stage)
    return tables


def checks(r: Run, loaded: list, frames: dict, protected: _Protected, staged: dict,
           zones: _Zones) -> list:
    """Step 8: the scans (with the domains' further identifiers), the suites' results, the
    suppression audit, the domains' own checks."""
    r.say("running leak checks")
    extra = [sql for d in staged if (sql := d.identifiers_sql(r, loaded))]
    results = verify.run_checks(r.con, r.config, loaded, frames, zones.pz_stage, zones.suites,
                                extra, r.progress)
    results += protected.suppression.audit.checks()
    for d, s in staged.items():
        if d not in zones.not_kept:          # keep_records = false: nothing of it written
            results += d.checks(r, s, zones.pz_stage)
    return results


def make_manifest(r: Run, loaded: list, staged: dict, frames: dict, protected: _Protected,
                  pz_tables: list, results: list) -> dict:
    """Step 9: the manifest (its keys are written sorted)."""
    rows = {n: c for s in staged.values() for n, c in s.rows.items()}
    manifest = build_manifest(r.config, r.period, r.pkey, loaded, rows, frames, pz_tables,
                              results)
    manifest["disclosure"] = protected.suppression.report
    if protected.ledger is not None:
        manifest["differential_privacy"] = protected.ledger
    for s in staged.values():
        manifest.update(s.manifest)
    manifest["warnings"] = list(r.warnings)
    return manifest


def publish_or_review(r: Run, manifest: dict, frames: dict, protected: _Protected,
                      results: list, zones: _Zones) -> RunResult:
    """Step 10: a failed check writes the steward report to review and stops (nothing is
    published). Else the release is written aside, then two atomic switches (or a pending
    release when a steward must approve), then the review folder."""
    config, label = r.config, r.period.label
    index = data_docs_index(zones.review_stage)
    docs = index.relative_to(zones.review_stage).as_posix() if index.exists() else None
    failures = [c for c in results if not c.passed]
    if failures:
        steward.write(zones.review_stage / "steward_report.html", manifest,
                      status="not published", data_docs=docs, audit=_audit(config),
                      problem="A check failed; the previous release, if any, is unchanged.")
        _switch_review(manifest, zones)
        raise CheckFailed(failures)
    r.say("writing the release")
    zones.pub_stage = release.staging_dir(zones.pub_root, label)
    for name, frame in frames.items():
        written = release.write_table_files(frame, PUBLISHED_TABLES[name],
                                            zones.pub_stage / "tables")
        next(t for t in manifest["tables"] if t["name"] == name)["files"] = written
    public = noise.dp_public_manifest(manifest, config, protected.dp_names)
    release.write_json(zones.pub_stage / "manifest.json", public)
    status = "pending approval" if config.require_approval else "published"
    steward.write(zones.pub_stage / "steward_report.html", public, status=status)
    release.write_sums(zones.pub_stage)
    pub_link = pz_link = pending = None
    if config.require_approval:
        pending = approval.write_pending(zones.pub_stage, zones.pz_stage, approval.pending_dir(
            config.output_dir, config.library_slug, label), group=config.zone_group)
    else:
        pub_link, pz_link = publish.publish(zones.pub_stage, zones.pz_stage, zones.pub_root,
                                            zones.pz_root, label, frames, r.progress,
                                            group=config.zone_group)
    zones.pub_stage = zones.pz_stage = None
    steward.write(zones.review_stage / "steward_report.html", manifest, status=status,
                  data_docs=docs, audit=_audit(config))
    _switch_review(manifest, zones)
    r.con.close()
    return RunResult(pub_link, pz_link, zones.review, manifest, pending=pending)


def _audit(config: Config) -> list:
    """The audit log's latest entries, for the steward report in review (not the public one)."""
    return audit.recent(audit.log_path(config.output_dir, config.library_slug))


def _switch_review(manifest: dict, zones: _Zones) -> None:
    release.write_json(zones.review_stage / "manifest.json", manifest)
    release.replace_dir(zones.review_stage, zones.review)


def _active(resolved: list[ResolvedProfile]) -> list:
    """The domains that publish: those with a source of their first kind."""
    kinds = {p.profile.kind for p in resolved}
    return [d for d in DOMAINS if d.KINDS[0] in kinds]


def connect(work_dir: Path, memory_limit: str | None = None, threads: int | None = None,
            on_disk: bool = False):
    """The run's DuckDB. In memory by default (fastest); for exports several times larger
    than the memory limit, a database file in the private work folder: its tables are
    compressed and leave memory, where an in-memory database ran out at 100M rows."""
    con = duckdb.connect(str(work_dir / "work.duckdb") if on_disk else ":memory:")
    con.execute(f"SET temp_directory = {lit(str(work_dir / 'spill'))}")
    if memory_limit:
        con.execute(f"SET memory_limit = {lit(memory_limit)}")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    con.execute("SET enable_progress_bar = false")
    return con


def _bytes(size: str) -> int:
    """'1200MB' -> bytes (DuckDB's units: KB/MB/GB/TB are powers of 1000, KiB... of 1024)."""
    number, unit = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)\s*", size).groups()
    base = 1024 if "i" in unit else 1000
    return int(float(number) * base ** ("KMGT".index(unit[0]) + 1))


GX_IMPORT: dict = {}          # how long importing Great Expectations took (its own start-up)


def _import_gx() -> None:
    import time
    t0 = time.perf_counter()
    try:
        import great_expectations  # noqa: F401
    except Exception:  # noqa: BLE001 - the real import, later, reports any problem
        pass
    GX_IMPORT["seconds"] = time.perf_counter() - t0
