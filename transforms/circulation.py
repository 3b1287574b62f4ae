"""Circulation: raw ILS transactions to events, then to the published circulation tables.

Every function returns the SQL text of the table it is named after; the pipeline runs
``CREATE TABLE <name> AS <sql>``. Inputs are named after the tables they read.
"""

from __future__ import annotations

from collections.abc import Callable

from libstats.readers.staged import StagedSource, cell_sql, field_sql, parse_timestamp_sql
from libstats.sql import lit, months_table

MEASURES = {"checkouts": "checkout", "renewals": "renewal", "in_library_uses": "in_library_use"}


def local_timestamp_sql(src: StagedSource, library_tz: str) -> str:
    ts = parse_timestamp_sql(src, "event_ts")
    if src.timezone == library_tz:
        return ts
    return f"timezone({lit(library_tz)}, timezone({lit(src.timezone)}, {ts}))"


STG_EVENT_COLUMNS = ("event_date", "_ts_given", "event_type", "branch_code", "_branch_given",
                     "patron_id", "item_id", "item_type", "collection_code", "location",
                     "patron_category")


def stg_circ_columns(src: StagedSource, library_tz: str, *,
                     event_type: Callable[[str], str], branch_code: Callable[[str], str]) -> str:
    """The staged columns of a circulation source, as a select list over its raw columns.

    Evaluated while the CSV is read (one parse), each aliased ``__<name>``:

    - timestamps parsed, moved to the library's local time (Sierra logs GMT) and cut to the
      day (only the day is ever used, and a DATE is half a TIMESTAMP's size);
    - event type and branch code mapped inline from the config (NULL when out of scope or
      unknown); identifiers and codes trimmed, empty as NULL;
    - ``_ts_given`` / ``_branch_given`` say whether the raw cell had a value, so bad values are
      found from these flags without parsing twice.

    Args:
        event_type: gives the SQL mapping an event-code expression to an event type.
        branch_code: gives the SQL mapping a branch expression to a branch code.
    """
    ts = field_sql(src, "event_ts")
    code, branch = event_code_sql(src), field_sql(src, "branch")
    cols = {
        "event_date": f"CAST({local_timestamp_sql(src, library_tz)} AS DATE)",
        "_ts_given": f"({ts} IS NOT NULL AND NOT starts_with({ts}, '0000-00-00'))",
        "event_type": event_type(code),
        "branch_code": branch_code(branch),
        "_branch_given": f"({branch} IS NOT NULL)",
        **{f: field_sql(src, f) for f in ("patron_id", "item_id", "item_type", "collection_code",
                                     "location", "patron_category")},
    }
    return ", ".join(f"{expr} AS __{name}" for name, expr in cols.items())


def event_code_sql(src: StagedSource) -> str:
    """The raw event code of a record: the first of the format's code rules that holds (an
    export that writes the event in several columns), else the ``event_code`` column."""
    code = field_sql(src, "event_code")
    if not src.code_rules:
        return code
    whens = []
    for rule in src.code_rules:
        conds = []
        for col, values in rule.when:
            v = f"lower({cell_sql(src, col)})"
            conds.append(f"{v} IS NOT NULL" if values is None else
                         f"{v} IN ({', '.join(lit(x.lower()) for x in values)})")
        whens.append(f"WHEN {' AND '.join(conds) or 'true'} THEN {lit(rule.code)}")
    return f"(CASE {' '.join(whens)} ELSE {code} END)"


def stg_circ_events(src: StagedSource) -> str:
    """One row per raw record of one circulation source: the staged columns, with the source,
    the record's rowid (``_rec``, for error messages and a stable order) and token domains."""
    cols = ", ".join(f"__{c} AS {c}" for c in STG_EVENT_COLUMNS)
    out = ", ".join(f"{'__' + f if f in src.written else 'NULL::VARCHAR'} AS {f}_out"
                    for f in ("item_type", "collection_code", "location", "patron_category"))
    return f"""
        SELECT {lit(src.name)} AS source, rowid AS _rec, {cols}, {out},
               {lit(src.domains.get('patron_id', ''))} AS patron_domain,
               {lit(src.domains.get('item_id', ''))} AS item_domain
        FROM {src.table}
    """


def int_item_codes(item_sources: list[StagedSource]) -> str:
    """One row per item with its classification codes (to fill gaps in transactions), over
    every items export: an item two exports list is still one row (a join must not repeat an
    event), with the least of its codes."""
    rows = " UNION ALL ".join(
        f"SELECT {field_sql(s, 'item_id')} AS item_id, {lit(s.domains['item_id'])} AS item_domain, "
        f"{field_sql(s, 'item_type')} AS item_type, {field_sql(s, 'collection_code')} AS collection_code, "
        f"{field_sql(s, 'location')} AS location FROM {s.table} "
        f"WHERE {field_sql(s, 'item_id')} IS NOT NULL"
        for s in item_sources)
    return f"""
        SELECT item_id, item_domain, min(item_type) AS item_type,
               min(collection_code) AS collection_code, min(location) AS location
        FROM ({rows})
        GROUP BY item_id, item_domain
    """


def int_circ_events(stg_circ_events: list[str], stg_items: str | None, *, start: str,
                    end: str, ill_item_types: tuple[str, ...],
                    ill_lending_categories: tuple[str, ...], material_type: str,
                    audience: str) -> str:
    """One row per in-scope circulation event of the period, classified (an in-run view).

    - rows with codes out of scope (holds, payments) and rows outside the period are left out
      (the pipeline counts them);
    - checkouts and renewals to ILL-lending patron categories become ``ill_lent`` (items lent
      to other libraries are not our circulation);
    - item type / collection / location filled from the items export where the transaction
      lacks them (only when ``stg_items``, a query of ``int_item_codes``, is given); material
      type and audience mapped inline;
    - raw patron and item ids stay (in-run only, for distinct counts); ``*_code`` columns are
      NULL where the config dropped the field. No tokens: ``pz_events`` joins them for the
      rows it writes.

    A view, not a table: every use reads a part of the staged table once (the published counts
    need no token, and a month's file only that month's rows), where materializing ten
    million classified rows cost more than all the reads together.

    Args:
        stg_circ_events: the staged views, one per source.
        material_type / audience: SQL over ``c.item_type``, ``c.collection_code``,
            ``c.location``.
    """
    ill_items = ", ".join(lit(x) for x in ill_item_types) or "NULL"
    ill_cats = ", ".join(lit(x) for x in ill_lending_categories) or "NULL"
    union = " UNION ALL ".join(
        f"SELECT source, _rec, event_date, branch_code, event_type, "
        f"item_type, collection_code, location, patron_category, patron_id, patron_domain, "
        f"item_id, item_domain, item_type_out, collection_code_out, location_out, "
        f"patron_category_out FROM {t} WHERE event_type IS NOT NULL "
        f"AND event_date BETWEEN DATE {lit(start)} AND DATE {lit(end)}"
        for t in stg_circ_events)
    if stg_items:
        items = f"""
        , filled AS (
            SELECT e.* REPLACE (coalesce(e.item_type, it.item_type) AS item_type,
                                coalesce(e.collection_code, it.collection_code)
                                    AS collection_code,
                                coalesce(e.location, it.location) AS location)
            FROM events AS e
            LEFT JOIN ({stg_items}) AS it
                   ON it.item_domain = e.item_domain AND it.item_id = e.item_id
        )"""
        source = "filled"
    else:
        items, source = "", "events"
    return f"""
        WITH events AS ({union}){items}
        SELECT c.source, c._rec, c.event_date, strftime(c.event_date, '%Y-%m') AS month,
               c.branch_code,
               CASE WHEN c.event_type IN ('checkout', 'renewal')
                         AND c.patron_category IN ({ill_cats}) THEN 'ill_lent'
                    ELSE c.event_type END AS event_type,
               {material_type} AS material_type,
               {audience} AS audience,
               coalesce(c.item_type IN ({ill_items}), false) AS is_ill_borrowed,
               c.item_type_out AS item_type_code, c.collection_code_out AS collection_code,
               c.location_out AS location_code, c.patron_category_out AS patron_category,
               c.patron_domain, c.patron_id, c.item_domain, c.item_id
        FROM {source} AS c
    """


def int_circ_counts(int_circ_events: str) -> str:
    """The events counted by source, month and every code column, with their first and last
    day (a few thousand rows for ten million events): the published circulation counts, the
    row counts, the coverage and the zone's ENUM types read this, not the events.

    Grouped on the month's first day and formatted afterwards: formatting every event's day
    as text cost more than the grouping."""
    return f"""
        SELECT source, strftime(month_start, '%Y-%m') AS month, branch_code, event_type,
               material_type, audience, item_type_code, collection_code, location_code,
               patron_category, n, first_day, last_day
        FROM (SELECT source, date_trunc('month', event_date) AS month_start, branch_code,
                     event_type, material_type, audience, item_type_code, collection_code,
                     location_code, patron_category,
                     count(*) AS n, min(event_date) AS first_day, max(event_date) AS last_day
              FROM {int_circ_events}
              GROUP BY ALL)
    """


PZ_CODE_COLUMNS = ("month", "branch_code", "event_type", "material_type", "audience",
                   "item_type_code", "collection_code", "location_code", "patron_category",
                   "source")


def event_time_sql(day: str, source: str, first_day: str,
                   event_time: dict[str, str] | None) -> str:
    """The zone's event time of ``day`` (a DATE) for each source's setting (see
    :func:`pz_events`); ``first_day`` is the first day of the file's month."""
    coarse = {s: g for s, g in (event_time or {}).items() if g != "day"}
    if not coarse:
        return day
    month_start = f"DATE {lit(first_day[:7] + '-01')}"
    expr = {"week": f"greatest(CAST(date_trunc('week', {day}) AS DATE), {month_start})",
            "month": month_start}
    whens = " ".join(f"WHEN {lit(s)} THEN {expr[g]}" for s, g in sorted(coarse.items()))
    return f"CASE CAST({source} AS VARCHAR) {whens} ELSE {day} END"


#: What an analyst who saw a patron borrow once knows of the loan (docs/disclosure.md §6).
SIGHTING = ("event_date", "branch_code", "item_type_code", "collection_code")


def one_sighting_sql(events: str) -> str:
    """The opted-in patrons' loans (checkouts with a patron token) that are the only event of
    the zone ``events`` on :data:`SIGHTING`: seeing the patron borrow once finds the token, and
    with it the patron's year of loans. A count, over the zone as written (at its event time).
    """
    return f"""
        SELECT coalesce(sum(loans) FILTER (WHERE n = 1), 0)::BIGINT
        FROM (SELECT count(*) AS n,
                     count(patron_token) FILTER (WHERE CAST(event_type AS VARCHAR) = 'checkout')
                         AS loans
              FROM {events} GROUP BY {', '.join(SIGHTING)})
    """


def pz_events(int_circ_events: str, *, first_day: str, last_day: str,
              patron_tokens: str | None, item_tokens: str | None, key_id: str,
              int_patron_category_k: str | None, enums: dict[str, str] | None = None,
              event_time: dict[str, str] | None = None) -> str:
    """The pseudonymized events of the days ``first_day`` .. ``last_day`` (one month's file),
    in source and record order (deterministic bytes).

    ``patron_token`` only for patrons who opted in to reading history (``patron_tokens`` holds
    only theirs), ``item_token`` only where the config asks for item tokens (``None``: no
    token of that kind to write, and no join); the category of a patron whose record
    k-anonymity recoded is recoded here too (``int_patron_category_k``). The filter is on the
    day, so it reaches the staged table's scan and its zone maps.

    Always sorted by source and record: a hash join does not keep the scan's order, and
    even without one, DuckDB's order-keeping write cuts row groups where the staged table's
    batches end, which depends on the thread count; a sorted write gives the same bytes
    with any number of threads.

    ``enums`` maps columns of ``PZ_CODE_COLUMNS`` (and ``key_id``) to ENUM types holding all
    their values: the Parquet writer encodes an ENUM column three times faster than the same
    strings, even a constant one, and the file reads back as the same strings. The sort is on
    the source's ENUM when there is one (an integer; its values are in string order, so the
    order is the same).

    A file holds one calendar month: its ``month`` is written as that constant, not formatted
    from every event's day.

    ``event_time`` maps a source to the time its events keep (``[[sources]] event_time``):
    "day" (the default), "week" (the Monday of the event's week, or the month's first day
    when that Monday is in the month before) or "month" (the month's first day).
    """
    enums = enums or {}
    month = first_day[:7]
    if last_day[:7] != month:
        raise ValueError(f"one month's file: {first_day} and {last_day} are in two months")

    def coded(col: str, expr: str) -> str:
        return f"CAST({expr} AS {enums[col]})" if col in enums else expr

    joins, category = [], "e.patron_category"
    if patron_tokens:
        joins.append(f"LEFT JOIN {patron_tokens} AS pt "
                     f"ON pt.domain = e.patron_domain AND pt.value = e.patron_id")
        if int_patron_category_k:
            joins.append(f"LEFT JOIN {int_patron_category_k} AS k "
                         f"ON k.patron_token = pt.token")
            category = ("CASE WHEN k.patron_token IS NULL THEN e.patron_category "
                        "ELSE k.patron_category END")
    if item_tokens:
        joins.append(f"LEFT JOIN {item_tokens} AS it "
                     f"ON it.domain = e.item_domain AND it.value = e.item_id")
    return f"""
        SELECT {event_time_sql('e.event_date', 'e.source', first_day, event_time)} AS event_date,
               {coded('month', lit(month))} AS month,
               {coded('branch_code', 'e.branch_code')} AS branch_code,
               {coded('event_type', 'e.event_type')} AS event_type,
               {coded('material_type', 'e.material_type')} AS material_type,
               {coded('audience', 'e.audience')} AS audience, e.is_ill_borrowed,
               {coded('item_type_code', 'e.item_type_code')} AS item_type_code,
               {coded('collection_code', 'e.collection_code')} AS collection_code,
               {coded('location_code', 'e.location_code')} AS location_code,
               {coded('patron_category', category)} AS patron_category,
               {'pt.token' if patron_tokens else 'NULL::BLOB'} AS patron_token,
               {'it.token' if item_tokens else 'NULL::BLOB'} AS item_token,
               {coded('key_id', lit(key_id))} AS key_id, {coded('source', 'e.source')} AS source
        FROM {int_circ_events} AS e
        {' '.join(joins)}
        WHERE e.event_date BETWEEN DATE {lit(first_day)} AND DATE {lit(last_day)}
        ORDER BY {coded('source', 'e.source')}, e._rec
    """


def pub_circulation__branch_month_material(
        int_circ_counts: str, *, fiscal_year: str, start: str, end: str,
        material_types: list[str]) -> str:
    """One row per month × branch × material type × audience × measure, the full grid, from
    the events' counts (``int_circ_counts``).

    Measures: checkouts, renewals, in_library_uses (ILL loans to other libraries excluded;
    items borrowed through ILL for our users included). Grid from the config, not the data.
    """
    mats = " UNION ALL ".join(f"SELECT {lit(m)} AS material_type" for m in material_types)
    meas = " UNION ALL ".join(f"SELECT {lit(k)} AS measure, {lit(v)} AS event_type"
                              for k, v in MEASURES.items())
    return f"""
        WITH grid AS (
            SELECT m.month, b.branch_code, mt.material_type, au.audience, me.measure,
                   me.event_type
            FROM {months_table(start, end)} AS m
            CROSS JOIN (SELECT DISTINCT branch_code FROM map_branch) AS b
            CROSS JOIN ({mats}) AS mt
            CROSS JOIN (SELECT unnest(['children', 'young_adult', 'adult']) AS audience) AS au
            CROSS JOIN ({meas}) AS me
        ),
        counts AS (
            SELECT month, branch_code, material_type, audience, event_type, sum(n) AS n
            FROM {int_circ_counts}
            GROUP BY ALL
        )
        SELECT {lit(fiscal_year)} AS fiscal_year, g.month, g.branch_code, g.material_type,
               g.audience, g.measure, coalesce(c.n, 0)::BIGINT AS value
        FROM grid AS g
        LEFT JOIN counts AS c USING (month, branch_code, material_type, audience, event_type)
        ORDER BY g.month, g.branch_code, g.material_type, g.audience, g.measure
    """


PATRON_PAIR = "patron_domain, patron_id"


def pub_active_borrowers__branch_month(int_circ_events: str, *, fiscal_year: str, start: str,
                                       end: str, patron_key: str = PATRON_PAIR) -> str:
    """Distinct patrons (all, opted in or not) with a checkout or renewal, per branch × month,
    with distinct totals: a patron active at two branches counts once in the library's.

    ``patron_key`` is SQL naming a patron in the events: the (domain, id) pair, or one
    expression known to be one-to-one on it (``patron_key_sql``), which is cheaper to count.
    Months are the month's first day until the counts are made (cheaper than text)."""
    pair = patron_key == PATRON_PAIR
    key_select = patron_key if pair else f"{patron_key} AS patron_key"
    key = PATRON_PAIR if pair else "patron_key"
    return f"""
        WITH grid AS (
            SELECT m.month, b.branch_code
            FROM (SELECT month FROM {months_table(start, end)} UNION ALL SELECT 'all') AS m
            CROSS JOIN (SELECT DISTINCT branch_code FROM map_branch
                        UNION ALL SELECT 'all') AS b
        ),
        borrowers AS (      -- a plain DISTINCT: unlike count(DISTINCT), it can spill to disk
            SELECT DISTINCT date_trunc('month', event_date) AS month_start, branch_code,
                   {key_select}
            FROM {int_circ_events}
            WHERE event_type IN ('checkout', 'renewal') AND patron_id IS NOT NULL
        ),
        by_month AS (
            SELECT month_start, branch_code, count(*) AS n
            FROM borrowers GROUP BY month_start, branch_code
            UNION ALL
            SELECT month_start, 'all', count(*) FROM (SELECT DISTINCT month_start, {key}
                                                      FROM borrowers) GROUP BY month_start
        ),
        counts AS (
            SELECT strftime(month_start, '%Y-%m') AS month, branch_code, n FROM by_month
            UNION ALL
            SELECT 'all', branch_code, count(*)
            FROM (SELECT DISTINCT branch_code, {key} FROM borrowers)
            GROUP BY branch_code
            UNION ALL
            SELECT 'all', 'all', count(*) FROM (SELECT DISTINCT {key} FROM borrowers)
        )
        SELECT {lit(fiscal_year)} AS fiscal_year, g.month, g.branch_code,
               coalesce(c.n, 0)::BIGINT AS value
        FROM grid AS g LEFT JOIN counts AS c USING (month, branch_code)
        ORDER BY g.month, g.branch_code
    """


def patron_key_sql(con, int_tokens: str, domains: list[str]) -> str:
    """The cheapest exact way to name a patron in distinct counts.

    A 64-bit ``hash(patron_domain, patron_id)`` sorts and groups far faster than the string
    pair, and counts exactly as long as no two patrons share a hash. That is checked on
    ``int_tokens``, which holds every distinct patron id of ``domains`` (the domains of every
    source's patron ids, all tokenized): with no collision there the hash is used, otherwise
    (never seen; about one chance in 10^8 for a million patrons) the pair is.
    """
    if not domains:
        return PATRON_PAIR
    listed = ", ".join(lit(d) for d in domains)
    ids, hashes = con.execute(
        f"SELECT count(*), count(DISTINCT hash(domain, value)) FROM {int_tokens} "
        f"WHERE domain IN ({listed})").fetchone()
    return "hash(patron_domain, patron_id)" if ids == hashes else PATRON_PAIR
