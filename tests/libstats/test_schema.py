"""The legal basis of each published table (libstats/legal.py, libstats/schema.py): a table of
use other than of library materials rests on CT 11-25(b)(1), never on (b)(4)'s carve-out,
which names registration and use of library materials only."""

from __future__ import annotations

from libstats.legal import CT_11_25_B1, CT_11_25_B4, LEGAL_CLAUSES
from libstats.schema import PUBLISHED_TABLES

# tables that count use of the library other than of its materials
NOT_MATERIALS = ("pub_wifi_", "pub_pc_", "pub_web_", "pub_programs_", "pub_room_bookings_")


def test_every_clause_a_table_names_has_its_text():
    for spec in PUBLISHED_TABLES.values():
        assert spec.legal_basis, spec.name
        assert all(ref in LEGAL_CLAUSES for ref in spec.legal_basis), spec.name


def test_use_other_than_of_materials_does_not_rest_on_the_materials_carve_out():
    other = [s for s in PUBLISHED_TABLES.values() if s.name.startswith(NOT_MATERIALS)]
    assert len(other) >= 10          # Wi-Fi ×5, computers ×3, web, programs, room bookings
    for spec in other:
        assert CT_11_25_B1 in spec.legal_basis and CT_11_25_B4 not in spec.legal_basis, spec.name


def test_loans_of_materials_rest_on_the_carve_out():
    for name in ("pub_circulation__branch_month_material", "pub_ill__month",
                 "pub_ecirc_checkouts__vendor_format_month"):
        assert CT_11_25_B4 in PUBLISHED_TABLES[name].legal_basis, name
