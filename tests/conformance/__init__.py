"""Conformance corpus: public samples and exports rebuilt from vendors' published schemas.

One folder per domain (``circulation/``, ``wifi/``, ``eresources/``, ``onboarding/``); each case is a
folder holding the input file(s), ``SOURCE.md`` (where the material comes from and its licence, or the
published schema it was rebuilt from) and the expected figures, computed independently of libstats.
"""
