"""Generalization rules: age bands and areas, computed in DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from libstats.sql import values_table
from transforms.generalize import age_band_sql, area_joins, area_sql

BANDS = (0, 5, 12, 18, 25, 35, 45, 55, 65, 75)


@pytest.mark.parametrize("birth, band", [
    pytest.param("2020-06-30", "5-11", id="fifth-birthday-on-reference-day"),
    pytest.param("2020-07-02", "0-4", id="day-before-fifth-birthday"),
    pytest.param("1928-01-01", "75+", id="97-years-old-top-coded"),
    pytest.param("2000-01-01", "25-34", id="adult"),
    pytest.param(None, "unknown", id="missing"),
    pytest.param("2030-01-01", "unknown", id="born-in-the-future"),
    pytest.param("1890-01-01", "unknown", id="implausible-age"),
])
def test_age_band(birth, band):
    con = duckdb.connect()
    sql = age_band_sql("b", "DATE '2025-06-30'", BANDS)
    assert con.execute(f"SELECT {sql} FROM (SELECT CAST(? AS DATE) AS b)",
                       [birth]).fetchone()[0] == band


@pytest.mark.parametrize("postcode, area", [
    pytest.param("06410", "North", id="exact-5"),
    pytest.param("06410-1234", "North", id="zip-plus-4"),
    pytest.param("06499", "County", id="3-digit-prefix"),
    pytest.param("90210", "Elsewhere", id="no-prefix-matches"),
    pytest.param("", "unknown", id="empty"),
    pytest.param(None, "unknown", id="missing"),
])
def test_area_longest_prefix(postcode, area):
    con = duckdb.connect()
    con.execute(f"CREATE TABLE map_area AS SELECT * FROM "
                f"{values_table([('06410', 'North'), ('064', 'County')], ['prefix', 'area'])}")
    sql = (f"SELECT {area_sql('p.pc', None, 'Elsewhere')} FROM (SELECT ?::VARCHAR AS pc) p "
           f"{area_joins('p.pc', 'map_area')}")
    assert con.execute(sql, [postcode]).fetchone()[0] == area


def test_area_prefix_rule_without_table():
    con = duckdb.connect()
    con.execute("CREATE TABLE map_area (prefix VARCHAR, area VARCHAR)")
    sql = (f"SELECT {area_sql('p.pc', 3, 'x')} FROM (SELECT '06410'::VARCHAR AS pc) p "
           f"{area_joins('p.pc', 'map_area')}")
    assert con.execute(sql).fetchone()[0] == "064xx"
