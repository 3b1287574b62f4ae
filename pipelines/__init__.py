"""Wiring: the run as named steps (``run``), one module per domain with the same interface
(``circulation``, ``wifi``, ``eresources``), disclosure control, the checks, the manifest,
publishing and approval, and the command line (``cli``). Nothing here computes a figure: the
SQL and the arithmetic are in ``transforms/``, the checks in ``expectations/``."""
