"""The legal clauses a published table may rest on (Connecticut CGS 11-25, Missouri RSMo
182.815), by short reference with their full text, and the bases of the families of tables.
shared/reference/domain.md §1 quotes the statutes and cites where they were read."""

from __future__ import annotations

# The clauses a published table may rest on, by short reference (what each table names) with
# the full text (shown once in the steward report and recorded once in the manifest).
# shared/reference/domain.md §1 quotes the statutes and cites where they were read.
CT_11_25_B4 = "CT CGS 11-25(b)(4)"
CT_11_25_B1 = "CT CGS 11-25(b)(1)"
MO_182_815 = "MO RSMo 182.815(5) carve-out"
MO_182_815_RECORD = "MO RSMo 182.815(5) library record"
MO_182_815_MATERIAL = "MO RSMo 182.815(1)-(4)"
LEGAL_CLAUSES: dict[str, str] = {
    CT_11_25_B4: (
        "Connecticut CGS 11-25(b)(4): nothing prevents publishing or making available to the "
        "public statistical reports regarding library registration and use of library "
        "materials, if such reports do not contain personally identifying information."),
    CT_11_25_B1: (
        "Connecticut CGS 11-25(b)(1): records that can be used to identify any library user, "
        "or link any user to a library transaction, regardless of format, are confidential. A "
        "table of counts of library use other than of library materials (Wi-Fi sessions and "
        "devices, public computer sessions, website visits, program attendance) identifies no "
        "user and links none to a transaction, so it is not such a record; (b)(4)'s carve-out "
        "names registration and use of library materials only, so it is not relied on for "
        "these tables."),
    MO_182_815: (
        "Missouri RSMo 182.815(5): a 'library record' does not include non-identifying "
        "material that may be retained for the purpose of studying or evaluating the "
        "circulation of library material in general."),
    MO_182_815_RECORD: (
        "Missouri RSMo 182.815(5): a 'library record' is a record that identifies a person as "
        "having requested, used or borrowed library material, and any other record "
        "identifying the names of library users. A table of counts that identifies no one is "
        "not a library record. (The carve-out for studying the circulation of library "
        "material is worded around circulation; for registration, network and database use "
        "it is not relied on.)"),
    MO_182_815_MATERIAL: (
        "Missouri RSMo 182.815(1)-(4) (2014): 'library material' includes electronic "
        "material: e-books, digital periodicals, applications, websites and databases, so "
        "their use is library use like any other."),
}
# The bases of the families of tables; a new table names the family it belongs to.
CIRCULATION_BASIS = (CT_11_25_B4, MO_182_815)          # loans and renewals of materials
REGISTRATION_BASIS = (CT_11_25_B4, MO_182_815_RECORD)  # registered users, enrolments
NETWORK_BASIS = (CT_11_25_B1, MO_182_815_RECORD)       # Wi-Fi, public computers, web visits
PROGRAMS_BASIS = NETWORK_BASIS                          # programs, attendance, room bookings
# Interlibrary loans are loans of library material: CIRCULATION_BASIS.
ERESOURCE_BASIS = (CT_11_25_B4, MO_182_815_RECORD, MO_182_815_MATERIAL)   # database use
ECIRCULATION_BASIS = (CT_11_25_B4, MO_182_815, MO_182_815_MATERIAL)       # e-book loans
