"""The circulation pipeline: raw ILS exports → pseudonymized zone → published release.

Steps, in order (each named after what it produces):

1. ``key``            load the master key and derive the fiscal year's key: before any data.
2. ``profiles``       resolve every source's column roles (config errors before reading data).
3. ``raw_*``          read every export once into DuckDB (file, header, rows checked).
4. ``check_values``   required values, dates and branches (bad input stops the run).
5. ``int_tokens``     HMAC of every distinct identifier, once.
6. ``int_*``          classified, generalized events (a view) and patrons of the period, and
                      the events' counts by every code (``int_circ_counts``).
8. ``pub_*``          the published tables' counts, then totals and disclosure control
                      (pipelines/disclosure.py).
9a. GX suites         on the published tables, in a thread from here on.
7. ``pz_*``           the pseudonymized zone (tokens joined), written aside.
9b. ``checks``        pattern scans, exact-match scan, then the suites' results. Any failure:
                      nothing published.
10. ``release``       manifest, steward report, atomic switch.

The numbers name the steps; 7 runs after 8 and 9a so that the GX suites, pure Python, overlap
DuckDB's writing of the zone.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from expectations.suites import data_docs_index
from libstats import keys, release
from libstats.config import Config
from libstats.errors import CheckFailed, ConfigError, NoDataError
from libstats.period import Period
from libstats.profiles import (
    DEFAULT_DATE_FORMATS,
    DEFAULT_TIMESTAMP_FORMATS,
    ResolvedProfile,
    resolve,
)
from libstats.readers import csv as ingest
from libstats.readers import files as files_mod
from libstats.readers import values as validate
from libstats.readers.staged import StagedSource
from libstats.schema import PUBLISHED_TABLES
from libstats.sql import lit, months_table
from pipelines import approval, disclosure, dp, eresources, kanonymity, outputs, wifi
from pipelines import manifest as manifest_mod
from pipelines import verify as checks
from reports import steward
from transforms import circulation as circ
from transforms import mappings
from transforms.generalize import age_band_labels
from transforms.pseudonymize import int_tokens, key_params


@dataclass
class RunResult:
    published: Path | None
    pseudonymized: Path | None
    review: Path
    manifest: dict
    failures: list = field(default_factory=list)
    pending: Path | None = None      # a release waiting for a steward's approval


def _say(progress, msg: str) -> None:
    if progress:
        progress(msg)


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


def _staged_source(r: ResolvedProfile, header: list[str], config: Config) -> StagedSource:
    """What the SQL needs to know about a source, given the columns its files carry."""
    src = r.source
    tz = src.timezone or r.profile.timezone or config.timezone
    present = set(header)
    fields = {f: c for f, c in r.fields.items() if c in present}
    domains = {f: r.token_domain(c) for f, c in fields.items() if f in ("patron_id", "item_id")}
    return StagedSource(
        name=src.name, table=f"raw_{src.name}", fields=fields, timezone=tz, domains=domains,
        written=frozenset(f for f in fields if r.written(f)),
        timestamp_formats=(src.timestamp_format,) if src.timestamp_format
        else DEFAULT_TIMESTAMP_FORMATS,
        date_formats=(src.date_format,) if src.date_format else DEFAULT_DATE_FORMATS)


def run(config: Config, period: Period, *, progress=None, memory_limit: str | None = None,
        threads: int | None = None) -> RunResult:
    """Run the whole pipeline for one period. Raises LibstatsError subclasses on failure."""
    # 1-2: key and profiles, before reading any data.
    master = keys.load_master_key(config.key_env, config.key_file)
    # Importing Great Expectations takes seconds of pure Python; do it while DuckDB works.
    threading.Thread(target=_import_gx, name="import-gx", daemon=True).start()
    pkey = keys.derive_period_key(master, period.key_period)
    del master
    resolved = [resolve(s, config.path) for s in config.sources]

    slug = config.library_slug
    out = config.output_dir
    pub_root = out / "published" / slug
    pz_root = out / "pseudonymized" / slug
    review_dir = out / "review" / slug / period.label
    # Nothing is written until the release paths are known to be ours.
    release.check_link(pub_root, period.label)
    release.check_link(pz_root, period.label)
    # In-run files (transcoded exports, DuckDB spill) live in a private temporary folder
    # (mode 0700) outside the output tree; folders of killed runs are swept.
    tmp_root = Path(tempfile.gettempdir())
    release.sweep_stale(tmp_root, f"libstats-{slug}-")
    work_dir = tmp_root / f"libstats-{slug}-{period.label}-{os.getpid()}"
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(mode=0o700)
    review_stage = review_dir.parent / f".staging-{period.label}-{os.getpid()}"
    pub_stage = pz_stage = suites = None
    try:
        limit = memory_limit or config.memory_limit
        files = {r.source.name: files_mod.expand_paths(config.base_dir, r.source.path)
                 for r in resolved}
        input_bytes = sum(p.stat().st_size for paths in files.values() for p in paths)
        on_disk = input_bytes > 4 * _bytes(limit)
        con = connect(work_dir, limit, threads or config.threads, on_disk)
        if on_disk:
            _say(progress, "large exports: working in a database file (spills to disk)")
        # 3: raw_* (circulation sources staged in the same pass), 4: check_values
        for name, sql in [("map_branch", mappings.map_branch(config)),
                          ("map_area", mappings.map_area(config)),
                          ("map_ill_category", mappings.map_ill_category(config))]:
            con.execute(f"CREATE TABLE {name} AS {sql}")
        has_circ = any(r.profile.kind == "circulation" for r in resolved)
        has_wifi = any(r.profile.kind == "wifi" for r in resolved)
        has_eres = any(r.profile.kind == "eresources" for r in resolved)
        if not (has_circ or has_wifi or has_eres):
            raise ConfigError(config.path, "sources", "needs at least one 'circulation', "
                              "'wifi' or 'eresources' source")
        if has_circ:
            for sql in mappings.staged_code_types(config, resolved):
                con.execute(sql)
        loaded, staged, stg_tables = [], {}, []
        wifi_loaded, eres_loaded = [], []
        for r in resolved:
            _say(progress, f"reading source '{r.source.name}' "
                           f"({len(files[r.source.name])} file(s))")
            if r.profile.kind == "wifi":
                ing = wifi.load(con, r, files[r.source.name], work_dir, progress)
                loaded.append(ing)
                wifi_loaded.append(ing)
                continue
            if r.profile.kind == "eresources":
                ing = eresources.load(con, r, files[r.source.name], work_dir, config, period,
                                      progress)
                loaded.append(ing)
                eres_loaded.append(ing)
                continue
            computed = None
            if r.profile.kind == "circulation":
                def computed(header, r=r):
                    s = _staged_source(r, header, config)
                    sql = circ.stg_circ_columns(
                        s, config.timezone,
                        event_type=lambda code: mappings.event_type_sql(
                            r, code, typed=mappings.EVENT_TYPE),
                        branch_code=lambda b: mappings.branch_sql(
                            config, b, typed=mappings.BRANCH_TYPE))
                    # Only the raw columns the exact-match scan needs are stored, and
                    # not those whose values a staged identifier already holds.
                    staged_as = {s.fields[f]: f"__{f}" for f in ("patron_id", "item_id")
                                 if f in s.fields and r.scanned(s.fields[f])}
                    return sql, [c for c in header if r.scanned(c)], staged_as
            ing = ingest.load_source(con, r, files[r.source.name], work_dir, progress,
                                     computed)
            loaded.append(ing)
            s = staged[ing.name] = _staged_source(r, ing.header, config)
            if r.profile.kind == "circulation":
                view = f"stg_{ing.name}"
                con.execute(f"CREATE VIEW {view} AS {circ.stg_circ_events(s)}")
                validate.check_staged_events(con, ing, view, s.fields["event_ts"],
                                             s.fields["branch"])
                stg_tables.append(view)
            else:
                validate.check_values(con, ing, s)
                validate.check_branches(con, ing, s.fields.get("home_branch"))
        _say(progress, "sources read and checked")
        circ_loaded = [i for i in loaded if i.resolved.profile.kind not in ("wifi", "eresources")]
        circ_sources = [staged[i.name] for i in circ_loaded
                        if i.resolved.profile.kind == "circulation"]
        patron_sources = [staged[i.name] for i in circ_loaded
                          if i.resolved.profile.kind == "patrons"]
        item_sources = [staged[i.name] for i in circ_loaded
                        if i.resolved.profile.kind == "items"]
        wifi_stage = None
        if has_wifi:
            _say(progress, "building Wi-Fi sessions")
            wifi_stage = wifi.stage(con, config, period, pkey, wifi_loaded, progress)
            if not any(r["in_period"] for r in wifi_stage.rows.values()):
                read = sum(r["sessions"] for r in wifi_stage.rows.values())
                raise NoDataError(
                    f"no Wi-Fi sessions in {period.label} ({period.start} to {period.end}): "
                    f"{read:,} sessions read, none in the period; check --period and the "
                    f"logs' date range")
        eres_stage = None
        if has_eres:
            _say(progress, "building e-resource use")
            eres_stage = eresources.stage(con, config, period, pkey, eres_loaded, progress)

        rows, coverage, pub_sql, k_report = {}, {}, {}, None
        if has_circ:
            rows, coverage, pub_sql, k_report = _circulation(
                con, config, period, pkey, resolved, circ_loaded, circ_sources, patron_sources,
                item_sources, stg_tables, progress)
        if wifi_stage is not None:
            rows.update(wifi_stage.rows)
            pub_sql.update(wifi_stage.pub_sql)
        if eres_stage is not None:
            rows.update(eres_stage.rows)
            pub_sql.update(eres_stage.pub_sql)
        # 8b: totals, primary and complementary suppression, audit
        _say(progress, "disclosure control (totals, suppression, audit)")
        raw = {name: con.execute(sql).df() for name, sql in pub_sql.items()}
        earlier = disclosure.earlier_releases(pub_root, period)
        dp_names = [n for n in raw if n in config.dp_tables]
        noisy = None
        if dp_names:
            _say(progress, f"differential privacy ({', '.join(dp_names)})")
            noisy = dp.release(con, config, period, pkey, {n: raw[n] for n in dp_names},
                               earlier, progress)
        disclosed = disclosure.protect({n: f for n, f in raw.items() if n not in dp_names},
                                       config, period, earlier, progress)
        frames = {n: noisy.frames[n] if n in dp_names else disclosed.frames[n] for n in raw}
        for name, frame in frames.items():
            con.register("_frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _frame")
            con.unregister("_frame")

        # 9a: the GX suites need only the published frames: they run in a thread from here
        # on (pure Python; DuckDB releases the GIL) while the zone is written and scanned.
        release.sweep_stale(review_dir.parent, ".staging-")
        _say(progress, "Great Expectations suites and Data Docs (in the background)")
        suites = checks.start_suites(config, frames, review_stage, dp_tables=set(dp_names),
                                     open_totals=period.is_fiscal_year)

        # 7: the pseudonymized zone, written aside
        _say(progress, "writing the pseudonymized zone")
        pz_stage = release.staging_dir(pz_root, period.label)
        pz_tables = []
        if has_circ:
            pz_tables += outputs.write_pseudonymized(
                con, pz_stage, pkey.key_id, bool(patron_sources), period.months(),
                workers=1 if on_disk else 2)
        if wifi_stage is not None:
            pz_tables.append(wifi.write_pseudonymized(con, pz_stage, pkey.key_id))
        if eres_stage is not None:
            pz_tables += eresources.write_pseudonymized(con, pz_stage)

        # 9b: the scans, then the suites' results
        _say(progress, "running leak checks")
        results = checks.run_checks(con, config, loaded, frames, pz_stage, suites, progress)
        results += disclosed.audit.checks()
        if k_report is not None:
            results += kanonymity.check(con, config, pz_stage)
        failures = [c for c in results if not c.passed]

        manifest = manifest_mod.build_manifest(config, period, pkey, loaded, rows, frames, pz_tables,
                                              results)
        manifest["disclosure"] = disclosed.report
        if k_report is not None:
            manifest["k_anonymity"] = k_report
        ledger = noisy.report if noisy is not None else dp.carried(earlier, config.dp_budget)
        if ledger is not None:
            manifest["differential_privacy"] = ledger
        if coverage:
            manifest["coverage"] = coverage
        if wifi_stage is not None:
            manifest["wifi"] = {"coverage": wifi_stage.coverage,
                                "anomalies": wifi_stage.anomalies,
                                "rules": "docs/wifi.md"}
        if eres_stage is not None:
            manifest["eresources"] = eres_stage.report
        index = data_docs_index(review_stage)
        docs = index.relative_to(review_stage).as_posix() if index.exists() else None
        if failures:
            steward.write(review_stage / "steward_report.html", manifest,
                          status="not published", data_docs=docs,
                          problem="A check failed; the previous release, if any, is unchanged.")
            release.write_json(review_stage / "manifest.json", manifest)
            release.replace_dir(review_stage, review_dir)
            raise CheckFailed(failures)

        # 10: release: everything written aside, then two atomic switches
        _say(progress, "writing the release")
        pub_stage = release.staging_dir(pub_root, period.label)
        for name, frame in frames.items():
            files = release.write_table_files(frame, PUBLISHED_TABLES[name], pub_stage / "tables")
            next(t for t in manifest["tables"] if t["name"] == name)["files"] = files
        public = dp.public_manifest(manifest, config, dp_names)
        release.write_json(pub_stage / "manifest.json", public)
        status = "pending approval" if config.require_approval else "published"
        steward.write(pub_stage / "steward_report.html", public, status=status)
        release.write_sums(pub_stage)
        pub_link = pz_link = pending = None
        if config.require_approval:
            pending = approval.write_pending(pub_stage, pz_stage, approval.pending_dir(
                out, slug, period.label))
        else:
            pub_link, pz_link = outputs.publish(pub_stage, pz_stage, pub_root, pz_root,
                                                period.label, frames, progress)
        pub_stage = pz_stage = None
        steward.write(review_stage / "steward_report.html", manifest, status=status,
                      data_docs=docs)
        release.write_json(review_stage / "manifest.json", manifest)
        release.replace_dir(review_stage, review_dir)
        con.close()
        return RunResult(pub_link, pz_link, review_dir, manifest, pending=pending)
    finally:
        if suites is not None:
            checks.finish_suites(suites)   # before its folder goes
        release.discard(pub_stage)
        release.discard(pz_stage)
        release.discard(review_stage)
        shutil.rmtree(work_dir, ignore_errors=True)



def _circulation(con, config: Config, period: Period, pkey, resolved, circ_loaded, circ_sources,
                 patron_sources, item_sources, stg_tables, progress):
    """Steps 5-6 and 8 for circulation: tokens, int_* tables and the published tables' SQL
    (the pseudonymized zone is written later, from the same tables). Returns (rows, coverage,
    pub SQL, k-anonymity report or None)."""
    # 5: int_tokens (with each patron's reading-history consent)
    if patron_sources:
        con.execute("CREATE TABLE stg_patrons AS " + " UNION ALL ".join(
            circ.stg_patrons(s) for s in patron_sources))
        opt = ", ".join(lit(v) for v in config.reading_history_opt_in) or "NULL"
        con.execute(f"CREATE TABLE int_patron_opt_in AS SELECT patron_domain, patron_id, "
                    f"bool_or(coalesce(privacy IN ({opt}), false)) AS opt_in "
                    f"FROM stg_patrons WHERE patron_id IS NOT NULL GROUP BY ALL")
    # Tokens are made for identifiers whose role is token: patrons, and items only where
    # the config asks for item tokens.
    profiles = {r.source.name: r for r in resolved}
    id_parts = [f"SELECT DISTINCT patron_domain AS domain, patron_id AS value FROM {t}"
                for t, s in zip(stg_tables, circ_sources)
                if profiles[s.name].tokenized("patron_id")]
    id_parts += [f"SELECT DISTINCT item_domain AS domain, item_id AS value FROM {t}"
                 for t, s in zip(stg_tables, circ_sources)
                 if profiles[s.name].tokenized("item_id")]
    id_parts += [f"SELECT patron_domain AS domain, patron_id AS value FROM stg_patrons "
                 f"WHERE source = {lit(s.name)}" for s in patron_sources
                 if profiles[s.name].tokenized("patron_id")]
    if not id_parts:
        id_parts.append("SELECT NULL::VARCHAR AS domain, NULL::VARCHAR AS value")
    token_domains = {f: sorted({s.domains[f] for s in circ_sources if f in s.domains
                                and profiles[s.name].tokenized(f)})
                     for f in ("patron_id", "item_id")}
    _say(progress, "computing keyed tokens")
    con.execute("CREATE TABLE int_tokens AS " + int_tokens(
        " UNION ALL ".join(id_parts),
        "int_patron_opt_in" if patron_sources else None), key_params(pkey))

    # 6: int_* tables
    k_report = None
    ref = period.end.isoformat()
    fy_end = config.fiscal_year_bounds(period.fiscal_year)[1].isoformat()
    if patron_sources:
        con.execute("CREATE TABLE int_patrons AS " + circ.int_patrons(
            "stg_patrons", "int_tokens", reference_date=min(ref, fy_end),
            age_bands=config.age_bands, prefix_length=config.area_prefix_length,
            area_default=config.area_default, opt_in_values=config.reading_history_opt_in,
            window_years=config.registered_window_years,
            ill_lending_categories=config.ill_lending_categories))
        _say(progress, "k-anonymity of the patron records")
        k_report = kanonymity.apply(con, config)
    stg_items = _items_needed(con, stg_tables, item_sources)
    _say(progress, "classifying events")
    for fld, table, extra in (("patron_id", "int_written_patron_tokens", "AND opt_in"),
                              ("item_id", "int_written_item_tokens", "")):
        domains = ", ".join(lit(d) for d in token_domains[fld]) or "NULL"
        con.execute(f"CREATE TABLE {table} AS SELECT domain, value, token FROM int_tokens "
                    f"WHERE domain IN ({domains}) {extra}")
    con.execute("CREATE VIEW int_circ_events AS " + circ.int_circ_events(
        stg_tables, stg_items, start=period.start.isoformat(), end=period.end.isoformat(),
        ill_item_types=config.ill_item_types,
        ill_lending_categories=config.ill_lending_categories,
        material_type=mappings.material_sql(config, "c.item_type"),
        audience=mappings.audience_sql(config, "c.item_type", "c.collection_code",
                                       "c.location")))
    con.execute("CREATE TABLE int_circ_counts AS " + circ.int_circ_counts("int_circ_events"))
    rows = _row_counts(con, circ_loaded, circ_sources)
    if not any(r.get("in_period") for r in rows.values()):
        read = sum(r["read"] for n, r in rows.items() if "in_period" in r)
        outside = sum(r.get("outside_period", 0) for r in rows.values())
        raise NoDataError(
            f"no circulation events in {period.label} ({period.start} to {period.end}): "
            f"{read:,} rows read, {outside:,} of them outside the period; check --period "
            f"and the exports' date range")
    coverage = _coverage(con, period)

    # 8: pub_*
    _say(progress, "computing published tables")
    fy = period.fiscal_year_label
    s, e = period.start.isoformat(), period.end.isoformat()
    # the hashed patron key is checked on int_tokens, which holds every event's patron id
    # only when every circulation source tokenizes its patron ids
    all_tokenized = all(profiles[c.name].tokenized("patron_id") for c in circ_sources)
    patron_key = circ.patron_key_sql(
        con, "int_tokens", token_domains["patron_id"] if all_tokenized else [])
    pub_sql = {"pub_circulation__branch_month_material":
               circ.pub_circulation__branch_month_material(
                   "int_circ_counts", fiscal_year=fy, start=s, end=e,
                   material_types=mappings.material_type_names(config)),
               "pub_active_borrowers__branch_month":
               circ.pub_active_borrowers__branch_month(
                   "int_circ_events", fiscal_year=fy, start=s, end=e, patron_key=patron_key)}
    if patron_sources:
        pub_sql["pub_registered_users__branch_age_category"] = \
            circ.pub_registered_users__branch_age_category(
                "int_patrons", fiscal_year=fy,
                age_band_labels=age_band_labels(config.age_bands))
        pub_sql["pub_new_registrations__month"] = circ.pub_new_registrations__month(
            "int_patrons", fiscal_year=fy, start=s, end=e)
    return rows, coverage, pub_sql, k_report


def _bytes(size: str) -> int:
    """'1200MB' -> bytes (DuckDB's units: KB/MB/GB/TB are powers of 1000, KiB... of 1024)."""
    import re
    number, unit = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B)\s*", size).groups()
    base = 1024 if "i" in unit else 1000
    return int(float(number) * base ** ("KMGT".index(unit[0]) + 1))


def _import_gx() -> None:
    try:
        import great_expectations  # noqa: F401
    except Exception:  # noqa: BLE001 - the real import, later, reports any problem
        pass


def _row_counts(con, loaded, circ_sources) -> dict:
    counts = {}
    in_period = dict(con.execute(
        "SELECT source, sum(n) FROM int_circ_counts GROUP BY ALL").fetchall())
    names = {s.name for s in circ_sources}
    for ing in loaded:
        c = {"read": ing.rows}
        if ing.name in names:
            scoped = con.execute(f"SELECT count(*) FROM {ing.table} "
                                 f"WHERE __event_type IS NOT NULL").fetchone()[0]
            c["in_period"] = int(in_period.get(ing.name, 0))
            c["out_of_scope"] = ing.rows - int(scoped)
            c["outside_period"] = int(scoped) - c["in_period"]
        counts[ing.name] = c
    return counts


def _coverage(con, period: Period) -> dict:
    """First and last event day per source, and months of the period with no event at all
    (a partial export would otherwise publish real-looking zeros)."""
    by_source = {src: {"first_day": str(a), "last_day": str(b), "events": int(n)}
                 for src, a, b, n in con.execute(
                     "SELECT source, min(first_day), max(last_day), sum(n) "
                     "FROM int_circ_counts GROUP BY ALL ORDER BY source").fetchall()}
    empty = [m for (m,) in con.execute(
        f"SELECT month FROM {months_table(period.start.isoformat(), period.end.isoformat())} "
        f"WHERE month NOT IN (SELECT DISTINCT month FROM int_circ_counts) "
        f"ORDER BY 1").fetchall()]
    return {"sources": by_source, "months_without_events": empty}


def _items_needed(con, stg_tables: list[str], item_sources) -> str | None:
    """A query of the items' codes (table ``int_item_codes``, one row per item, made once:
    the events view reads it several times), if some transaction lacks a code an items
    export can fill."""
    if not item_sources:
        return None
    domains = ", ".join(lit(s.domains["item_id"]) for s in item_sources)
    gaps = " + ".join(
        f"(SELECT count(*) FROM {t} WHERE item_id IS NOT NULL AND item_domain IN ({domains}) "
        f"AND (item_type IS NULL OR collection_code IS NULL OR location IS NULL))"
        for t in stg_tables)
    if con.execute(f"SELECT {gaps}").fetchone()[0] == 0:
        return None
    con.execute("CREATE TABLE int_item_codes AS " + circ.int_item_codes(item_sources))
    return "SELECT * FROM int_item_codes"


