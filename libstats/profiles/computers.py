"""Profiles of public-computer session exports (PLS PITUSR; docs/services.md).

- ``libki_statistics``: the ``statistics`` table of Libki (open-source PC reservation), as
  defined in ``lib/Libki/Schema/DB/Result/Statistic.pm`` of github.com/Libki/libki-server
  (AGPL-3.0; commit d8b37e8, 2026-05): instance, id, username, client_name, client_location,
  client_type, action, created_on, anonymized, session_id, info. Libki writes one row per
  event; a ``LOGIN`` row starts a session (``lib/Libki/Controller/API/Client/v1_0.pm``), the
  ``LOGOUT`` (or a staff ``FORCE_LOGOUT``) with the same ``session_id`` ends it; ``ADMIN_LOGIN``,
  print-job and client-control rows are not sessions. The user name (a card or guest-pass
  number) and the session id are identifiers and are dropped; ``info`` is JSON holding the
  user's id and is dropped.
- ``csv`` (generic): one row per session, fields ``start_ts`` (required), ``end_ts`` or
  ``minutes`` (time used), ``client`` (computer name), ``location`` (branch), ``status`` (a
  status starting "Declined", Envisionware's "Declined Policy", was no use: not counted); the
  user column is classified ``drop``.

Envisionware PC Reservation has no published export schema; its Reporting Module's per-use
detail (PC Id, User Id: card or guest-pass number, time used, Status; documented by libraries,
e.g. staff.mainlib.org "How to Generate EnvisionWare PC Usage Statistics") is read through the
generic ``csv`` format (tests/conformance/services/envisionware_by_pc_id).
"""

from __future__ import annotations

from libstats.profiles.base import Column, Profile, drop, drop_non_personal

LIBKI_STATISTICS = Profile(
    name="libki_statistics", kind="computers",
    description="Libki statistics table (LOGIN/LOGOUT rows)",
    columns={
        "created_on": Column("generalize:hour", "start_ts", required=True),
        "action": Column("keep", "action", required=True),
        "client_name": Column("keep", "client", required=True),
        "client_location": Column("keep", "location"),
        "client_type": Column("keep", "client_type"),
        "session_id": Column("drop", "session_id"),
        **drop("username", "info"),
        **drop_non_personal("instance", "id", "anonymized"),
    },
)

COMPUTER_PROFILES = {p.name: p for p in (LIBKI_STATISTICS,)}
