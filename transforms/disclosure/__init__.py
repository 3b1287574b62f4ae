"""Disclosure control, in one place (docs/disclosure.md): pure computation, no I/O.

- ``cells``: the published cells and the arithmetic relations between them (totals, linked
  tables, earlier releases) as a linear model, and the attacker's LP over it (HiGHS);
- ``suppression``: totals, primary and complementary suppression on that model;
- ``audit``: the final LP audit of a release as check results;
- ``noise``: differential privacy (OpenDP) for the tables published with noise;
- ``kanonymity``: k-anonymity of the pseudonymized zone's patron records.

``pipelines/disclosure.py`` wires them into a run.
"""
