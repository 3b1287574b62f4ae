"""Reports read finished releases: the steward report, ``libstats check`` (``recheck``) and the
state annual report (``annual``). Nothing here reads the raw or the pseudonymized zone."""
