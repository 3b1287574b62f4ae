"""Readers: every raw export format into DuckDB, checked on the way in. Each error names file,
line and column, never a value.

``files`` (finding, hashing and mapping rows back to lines), ``csv`` (delimited exports),
``lines`` (line-oriented logs), ``radius`` (FreeRADIUS detail), ``json`` (Meraki, UniFi),
``ezproxy`` with ``logformat`` (EZproxy logs), ``counter`` (COUNTER R5 reports), ``staged``
(a read source as the SQL sees it) and ``values`` (the value checks after reading).
"""
