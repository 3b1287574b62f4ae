"""The circulation domain: ILS transactions, patron registrations and items → events,
patrons and the circulation tables (the interface of ``pipelines/context.py``).

Steps (each named after what it produces):

1. ``raw_*``          each export read once; circulation sources staged in the same pass
                      (``stg_<source>``), then their values checked (bad input stops the run).
2. ``int_tokens``     HMAC of every distinct identifier, once, with each patron's consent.
3. ``int_*``          the period's classified, generalized events (a view), their counts by
                      every code (``int_circ_counts``), and the k-anonymous patron records.
4. ``pub_*``          the published tables' SQL (run with the other domains', then disclosure
                      control).
5. ``events/``, ``patrons.parquet``  the pseudonymized zone (tokens joined), by month.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from libstats.config import Config
from libstats.errors import NoDataError
from libstats.period import Period
from libstats.profiles import DEFAULT_DATE_FORMATS, DEFAULT_TIMESTAMP_FORMATS, ResolvedProfile
from libstats.readers import csv as csv_reader
from libstats.readers import values
from libstats.readers.files import IngestedSource
from libstats.readers.staged import StagedSource
from libstats.results import CheckResult
from libstats.schema import PZ_EVENT_COLUMNS, PZ_PATRON_COLUMNS, shipped_patron_columns
from libstats.sql import lit, months_table
from pipelines import zone_privacy
from pipelines.context import Run, Staged
from transforms import circulation as circ
from transforms import mappings, patrons
from transforms.generalize import age_band_labels
from transforms.pseudonymize import int_tokens, key_params

KINDS = ("circulation", "patrons", "items")


@dataclass(frozen=True)
class _State:
    has_patrons: bool


def prepare(run: Run, resolved: list[ResolvedProfile]) -> None:
    """Branch, area and ILL-category maps; the ENUM types of the staged codes."""
    for name, sql in [("map_branch", mappings.map_branch(run.config)),
                      ("map_area", mappings.map_area(run.config)),
                      ("map_ill_category", mappings.map_ill_category(run.config))]:
        run.con.execute(f"CREATE TABLE {name} AS {sql}")
    if any(r.profile.kind == "circulation" for r in resolved):
        for sql in mappings.staged_code_types(run.config, resolved):
            run.con.execute(sql)


def load(run: Run, resolved: ResolvedProfile, files: list[Path]) -> IngestedSource:
    """Read one export; a circulation source is staged while it is read (one parse) and its
    events checked, patrons and items have their values and branches checked."""
    con, config, r = run.con, run.config, resolved
    computed = None
    if r.profile.kind == "circulation":
        def computed(header):
            s = _staged_source(r, header, config)
            sql = circ.stg_circ_columns(
                s, config.timezone,
                event_type=lambda code: mappings.event_type_sql(
                    r, code, typed=mappings.EVENT_TYPE),
                branch_code=lambda b: mappings.branch_sql(
                    config, b, typed=mappings.BRANCH_TYPE))
            # Only the raw columns the exact-match scan needs are stored, and not those
            # whose values a staged identifier already holds.
            staged_as = {s.fields[f]: f"__{f}" for f in ("patron_id", "item_id")
                         if f in s.fields and r.scanned(s.fields[f])}
            return sql, [c for c in header if r.scanned(c)], staged_as
    ing = csv_reader.load_source(con, r, files, run.work_dir, run.progress, computed)
    s = _staged_source(r, ing.header, config)
    if r.profile.kind == "circulation":
        view = f"stg_{ing.name}"
        con.execute(f"CREATE VIEW {view} AS {circ.stg_circ_events(s)}")
        values.check_staged_events(con, ing, view, s.fields["event_ts"], s.fields["branch"])
    else:
        values.check_values(con, ing, s)
        values.check_branches(con, ing, s.fields.get("home_branch"))
    return ing


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
        else DEFAULT_TIMESTAMP_FORMATS + r.profile.timestamp_formats,
        code_rules=tuple(rule for rule in r.profile.code_rules
                         if all(col in present for col, _ in rule.when)),
        null_values=r.profile.null_values,
        date_formats=(src.date_format,) if src.date_format else DEFAULT_DATE_FORMATS)


@dataclass(frozen=True)
class _Sources:
    """The domain's loaded sources by kind, as the SQL sees them."""

    loaded: list
    circulation: list          # StagedSource of each circulation export
    patrons: list
    items: list
    stg_tables: list           # stg_<source> view of each circulation export
    profiles: dict             # source name -> ResolvedProfile

    @classmethod
    def of(cls, loaded: list[IngestedSource], config: Config) -> "_Sources":
        staged = {i.name: _staged_source(i.resolved, i.header, config) for i in loaded}
        kind = {i.name: i.resolved.profile.kind for i in loaded}
        circ_sources = [staged[n] for n in staged if kind[n] == "circulation"]
        return cls(loaded=loaded, circulation=circ_sources,
                   patrons=[staged[n] for n in staged if kind[n] == "patrons"],
                   items=[staged[n] for n in staged if kind[n] == "items"],
                   stg_tables=[f"stg_{s.name}" for s in circ_sources],
                   profiles={i.name: i.resolved for i in loaded})

    def token_domains(self) -> dict[str, list[str]]:
        """The token domains written per field: those of sources whose role is token."""
        return {f: sorted({s.domains[f] for s in self.circulation if f in s.domains
                           and self.profiles[s.name].tokenized(f)})
                for f in ("patron_id", "item_id")}


def stage(run: Run, loaded: list[IngestedSource]) -> Staged:
    """Tokens (with each patron's reading-history consent), the ``int_*`` tables of the
    period's events and patrons, and the published tables' SQL. The pseudonymized zone is
    written later, from the same tables."""
    src = _Sources.of(loaded, run.config)
    _int_tokens(run, src)
    k_report = _int_tables(run, src)
    rows = _row_counts(run.con, src.loaded, src.circulation)
    if not any(r.get("in_period") for r in rows.values()):
        read = sum(r["read"] for n, r in rows.items() if "in_period" in r)
        outside = sum(r.get("outside_period", 0) for r in rows.values())
        p = run.period
        raise NoDataError(
            f"no circulation events in {p.label} ({p.start} to {p.end}): "
            f"{read:,} rows read, {outside:,} of them outside the period; check --period "
            f"and the exports' date range")
    coverage = _coverage(run.con, run.period)
    run.say("computing published tables")
    manifest = {"coverage": coverage} if coverage else {}
    if k_report is not None:
        manifest["k_anonymity"] = k_report
    return Staged(rows=rows, pub_sql=_pub_sql(run, src), manifest=manifest,
                  state=_State(has_patrons=bool(src.patrons)))


def _int_tokens(run: Run, src: _Sources) -> None:
    """``int_tokens``: the keyed token of every identifier whose role is token (patrons, and
    items only where the config asks for item tokens), with each patron's consent."""
    con, config = run.con, run.config
    if src.patrons:
        con.execute("CREATE TABLE stg_patrons AS " + " UNION ALL ".join(
            patrons.stg_patrons(s) for s in src.patrons))
        opt = ", ".join(lit(v) for v in config.reading_history_opt_in) or "NULL"
        con.execute(f"CREATE TABLE int_patron_opt_in AS SELECT patron_domain, patron_id, "
                    f"bool_or(coalesce(privacy IN ({opt}), false)) AS opt_in "
                    f"FROM stg_patrons WHERE patron_id IS NOT NULL GROUP BY ALL")
    profiles = src.profiles
    id_parts = [f"SELECT DISTINCT patron_domain AS domain, patron_id AS value FROM {t}"
                for t, s in zip(src.stg_tables, src.circulation)
                if profiles[s.name].tokenized("patron_id")]
    id_parts += [f"SELECT DISTINCT item_domain AS domain, item_id AS value FROM {t}"
                 for t, s in zip(src.stg_tables, src.circulation)
                 if profiles[s.name].tokenized("item_id")]
    id_parts += [f"SELECT patron_domain AS domain, patron_id AS value FROM stg_patrons "
                 f"WHERE source = {lit(s.name)}" for s in src.patrons
                 if profiles[s.name].tokenized("patron_id")]
    if not id_parts:
        id_parts.append("SELECT NULL::VARCHAR AS domain, NULL::VARCHAR AS value")
    run.say("computing keyed tokens")
    con.execute("CREATE TABLE int_tokens AS " + int_tokens(
        " UNION ALL ".join(id_parts),
        "int_patron_opt_in" if src.patrons else None), key_params(run.pkey))


def _int_tables(run: Run, src: _Sources) -> dict | None:
    """``int_patrons`` (and their k-anonymous records), the written tokens, the period's
    classified events (a view) and their counts. Returns the k-anonymity report, if any."""
    con, config, period = run.con, run.config, run.period
    k_report = None
    ref = period.end.isoformat()
    fy_end = config.fiscal_year_bounds(period.fiscal_year)[1].isoformat()
    if src.patrons:
        con.execute("CREATE TABLE int_patrons AS " + patrons.int_patrons(
            "stg_patrons", "int_tokens", reference_date=min(ref, fy_end),
            age_bands=config.age_bands, prefix_length=config.area_prefix_length,
            area_default=config.area_default, opt_in_values=config.reading_history_opt_in,
            window_years=config.registered_window_years,
            ill_lending_categories=config.ill_lending_categories))
    stg_items = _items_needed(con, src.stg_tables, src.items)
    run.say("classifying events")
    token_domains = src.token_domains()
    for fld, table, extra in (("patron_id", "int_written_patron_tokens", "AND opt_in"),
                              ("item_id", "int_written_item_tokens", "")):
        domains = ", ".join(lit(d) for d in token_domains[fld]) or "NULL"
        con.execute(f"CREATE TABLE {table} AS SELECT domain, value, token FROM int_tokens "
                    f"WHERE domain IN ({domains}) {extra}")
    con.execute("CREATE VIEW int_circ_events AS " + circ.int_circ_events(
        src.stg_tables, stg_items, start=period.start.isoformat(), end=period.end.isoformat(),
        ill_item_types=config.ill_item_types,
        ill_lending_categories=config.ill_lending_categories,
        material_type=mappings.material_sql(config, "c.item_type"),
        audience=mappings.audience_sql(config, "c.item_type", "c.collection_code",
                                       "c.location")))
    if src.patrons:
        # after the events: whether a record's token has events in the zone counts for k
        run.say("k-anonymity of the patron records")
        k_report = zone_privacy.k_anonymize(con, config, zone_tokens=(
            "SELECT pt.token FROM int_circ_events AS e JOIN int_written_patron_tokens AS pt "
            "ON pt.domain = e.patron_domain AND pt.value = e.patron_id"))
    con.execute("CREATE TABLE int_circ_counts AS " + circ.int_circ_counts("int_circ_events"))
    return k_report


def _pub_sql(run: Run, src: _Sources) -> dict[str, str]:
    """The SQL of the domain's published tables (registrations only with a patrons export)."""
    con, config, period = run.con, run.config, run.period
    fy = period.fiscal_year_label
    s, e = period.start.isoformat(), period.end.isoformat()
    # the hashed patron key is checked on int_tokens, which holds every event's patron id
    # only when every circulation source tokenizes its patron ids
    all_tokenized = all(src.profiles[c.name].tokenized("patron_id") for c in src.circulation)
    patron_key = circ.patron_key_sql(
        con, "int_tokens", src.token_domains()["patron_id"] if all_tokenized else [])
    pub_sql = {"pub_circulation__branch_month_material":
               circ.pub_circulation__branch_month_material(
                   "int_circ_counts", fiscal_year=fy, start=s, end=e,
                   material_types=mappings.material_type_names(config)),
               "pub_active_borrowers__branch_month":
               circ.pub_active_borrowers__branch_month(
                   "int_circ_events", fiscal_year=fy, start=s, end=e, patron_key=patron_key)}
    if src.patrons:
        pub_sql["pub_registered_users__branch_age_category"] = \
            patrons.pub_registered_users__branch_age_category(
                "int_patrons", fiscal_year=fy,
                age_band_labels=age_band_labels(config.age_bands))
        pub_sql["pub_new_registrations__month"] = patrons.pub_new_registrations__month(
            "int_patrons", fiscal_year=fy, start=s, end=e)
    return pub_sql


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


def write_pseudonymized(run: Run, staged: Staged, folder: Path) -> list[dict]:
    """events/month=YYYY-MM/ and patrons.parquet (see ``_write_events``)."""
    return _write_events(run.con, folder, run.pkey.key_id, staged.state.has_patrons,
                         run.period.months(), workers=1 if run.on_disk else 2,
                         patron_columns=shipped_patron_columns(run.config.activity_dates),
                         event_time={s.name: s.event_time for s in run.config.sources
                                     if s.kind == "circulation"})


def identifiers_sql(run: Run, loaded: list[IngestedSource]) -> str | None:
    """None: circulation's identifiers are its drop and token columns' own values."""
    return None


def checks(run: Run, staged: Staged, folder: Path) -> list[CheckResult]:
    """Every event column declared; k-anonymity of the written patrons file, counted again
    from the file; how far it re-links to the zones of other fiscal years (into the
    manifest's ``k_anonymity``)."""
    results = zone_privacy.event_columns_checks(run.con, folder)
    if "k_anonymity" not in staged.manifest:
        return results
    results += zone_privacy.k_anonymity_checks(run.con, run.config, folder)
    linkage, result = zone_privacy.cross_year_linkage(run.con, run.config, run.period, folder)
    staged.manifest["k_anonymity"]["cross_year"] = linkage
    return results + result


def _write_events(con, stage: Path, key_id: str, has_patrons: bool,
                  period_months: list[tuple[str, str, str]], workers: int = 1,
                  patron_columns: tuple[str, ...] = PZ_PATRON_COLUMNS,
                  event_time: dict[str, str] | None = None) -> list[dict]:
    """events by month (``transforms.circulation.pz_events``: tokens joined, each file in
    source and record order) and patrons (``int_patrons_k``: k-anonymous), as Parquet.

    ``period_months`` are (month, first day, last day); a file is written for each month that
    has events. ``workers`` months are written at once (each sort and file write is largely
    serial); keep 1 when memory is tight. Token tables with no row are not joined."""
    tables = []
    patron_tokens, item_tokens = (
        t if con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] else None
        for t in ("int_written_patron_tokens", "int_written_item_tokens"))
    # k-anonymity recodes some events' categories: an ENUM of the categories before recoding
    # would still list (in the files' statistics) one that no written row has
    enums = _code_enums(con, skip=("patron_category",) if has_patrons and patron_tokens
                        else ())
    months = set(enums.pop("__months"))
    con.execute(f"CREATE OR REPLACE TYPE pz_enum_key_id AS ENUM ({lit(key_id)})")
    enums["key_id"] = "pz_enum_key_id"

    def write_month(month: str, first: str, last: str) -> None:
        folder = stage / "events" / f"month={month}"
        folder.mkdir(parents=True)
        sql = circ.pz_events("int_circ_events", first_day=first, last_day=last,
                             patron_tokens=patron_tokens, item_tokens=item_tokens,
                             key_id=key_id, int_patron_category_k="int_patron_category_k"
                             if has_patrons else None, enums=enums, event_time=event_time)
        cur = con.cursor()
        try:
            cur.execute(f"COPY ({sql}) TO {lit(str(folder / 'data_0.parquet'))} "
                        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 100000)")
        finally:
            cur.close()

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(lambda m: write_month(*m), [m for m in period_months if m[0] in months]))
    # counted from the files just written (two Parquet columns), not by joining the tokens
    # to every event a second time
    written = sorted((stage / "events").glob("month=*/data_0.parquet"))
    total, opted = con.execute(
        f"SELECT count(*), count(patron_token) FROM read_parquet("
        f"[{', '.join(lit(str(f)) for f in written)}])").fetchone() if written else (0, 0)
    unique = con.execute(circ.one_sighting_sql(
        f"read_parquet([{', '.join(lit(str(f)) for f in written)}])")).fetchone()[0] \
        if written else 0
    tables.append({"table": "events", "rows": int(total),
                   "note": f"{int(opted)} events carry a patron token (patrons who opted in to "
                           f"reading history); the others count in aggregates only",
                   # docs/disclosure.md §6, "one sighting, a year of loans"
                   "event_time": dict(sorted((event_time or {}).items())),
                   "opted_in_events_unique": int(unique),
                   # what each column describes, or why it identifies nobody (libstats.schema)
                   "column_roles": dict(PZ_EVENT_COLUMNS)})
    if has_patrons:
        cols = ", ".join(f"{lit(key_id)} AS key_id" if c == "key_id" else c
                         for c in patron_columns)
        order = ", ".join(["patron_token"] + [f"{c} NULLS FIRST" for c in patron_columns
                                              if c not in ("patron_token", "key_id")])
        con.execute(
            f"COPY (SELECT {cols} FROM int_patrons_k ORDER BY {order}) "
            f"TO {lit(str(stage / 'patrons.parquet'))} (FORMAT parquet, COMPRESSION zstd)")
        n = con.execute("SELECT count(*) FROM int_patrons_k").fetchone()[0]
        tables.append({"table": "patrons", "rows": int(n),
                       "note": "one row per patron record; quasi-identifiers generalized, "
                               "then recoded to k-anonymity (see k_anonymity)"})
    return tables


def _code_enums(con, skip: tuple[str, ...] = ()) -> dict:
    """An ENUM type for each code column of the events but ``skip``, holding every value it
    takes (one look at the events' counts for all of them); ``__months`` lists the months
    with events."""
    cols = circ.PZ_CODE_COLUMNS
    combos = con.execute(f"SELECT DISTINCT {', '.join(cols)} FROM int_circ_counts").fetchall()
    values = {c: {row[i] for row in combos} for i, c in enumerate(cols)}
    enums = {"__months": sorted(values["month"])}
    for col in (c for c in cols if c not in skip):
        found = sorted(v for v in values[col] if v is not None)
        if found:
            name = f"pz_enum_{col}"
            con.execute(f"CREATE OR REPLACE TYPE {name} AS ENUM "
                        f"({', '.join(lit(v) for v in found)})")
            enums[col] = name
    return enums
