"""Pure transforms: SQL text (and small helpers) named after the tables they produce.

Naming (decided once, used everywhere):

- ``raw_<source>``: an export as read, VARCHAR columns (raw zone, in-run only).
- ``stg_<topic>``: one row per raw record, columns renamed to fields and typed; nothing dropped
  yet beyond the ``drop`` role.
- ``int_<topic>``: in-run tables with tokens and generalized values; never written out as is.
- ``pz_<table>``: the pseudonymized zone (Parquet) as analysts see it.
- ``pub_<topic>__<grain>``: published tables.
"""
