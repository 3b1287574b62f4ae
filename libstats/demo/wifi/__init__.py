"""Generate a year of public Wi-Fi session logs for the demo library, deterministically.

The Riverbend County Library System (fictional, see :mod:`libstats.demo.generate`) runs a
different Wi-Fi system at each branch, so FY2025 (2024-07-01 .. 2025-06-30, America/New_York)
arrives in three shapes under ``<raw_dir>/wifi/``:

* **CEN (Central)**: a Cisco-style controller ``cen-wlc-01`` (NAS-IP-Address 10.10.0.2) sends
  RADIUS accounting to FreeRADIUS, which writes ``detail`` files rotated at **UTC** midnight:
  ``radius/detail-YYYYMMDD`` for every UTC day 2024-07-01 .. 2025-06-30, gzip-compressed by
  logrotate (``.gz``) before 2025-06-01 and plain in June 2025. Timestamp lines are ``ctime`` in
  UTC. A session is ``Start``, 0-3 ``Interim-Update`` (every 10 minutes) and ``Stop``; records are
  in the file of the UTC day they were written, so a local evening session (after 20:00 EDT /
  19:00 EST) has its ``Stop`` in the next day's file. The files end at 2025-07-01 00:00 UTC: the
  last evening's sessions have no ``Stop`` (duration and volume unknown or partial), and sessions
  starting after 20:00 EDT on 2025-06-30 are not in any file. The first file starts at
  2024-07-01 00:00 UTC = 2024-06-30 20:00 EDT, so it holds the end of June 30 (local): a few
  ``Stop`` records whose ``Start`` is in the (absent) 2024-06-30 file, and a few whole sessions
  that start on June 30 local time; neither is in the period.
* **NOR (Northgate)**: Meraki. One dashboard client list per day: ``meraki/clients-YYYY-MM-DD.csv``
  for July-December 2024 (timestamps ISO 8601 UTC with ``Z``), then the API's JSON
  ``meraki/clients-YYYY-MM-DD.json`` for January-June 2025 (epoch seconds). One row per client
  and day.
* **EAS (East Hollow)**: UniFi. One ``stat/session`` dump per month:
  ``unifi/sessions-YYYY-MM.json``, the controller's envelope
  ``{"meta": {"rc": "ok"}, "data": [...]}`` except two months (2024-11 and 2025-03) that were
  saved as a plain array. One record per line.

Volumes: about 80 patron sessions a day at CEN, 60 clients a day at NOR and 40 sessions a day at
EAS (more on busy months and weekdays, fewer on Sundays), the library open 09:00-21:00 every day
except the holidays of :data:`libstats.demo.common.HOLIDAYS`; about 1.5 % of sessions start
outside opening hours (parking lot, staff arriving early) and closed days still see a couple.

Hazards planted on purpose (all values fake, made by a seeded Faker)
====================================================================
* Personal data: RADIUS ``User-Name`` holds library card numbers (14-digit Codabar barcodes
  starting with 2), e-mail addresses at example.com/org/net and phone numbers ``+1860555XXXX``
  (captive portal logins), or the client MAC (MAC authentication); Meraki ``user`` likewise;
  device names with first names (``Sarahs-iPhone``, ``Miles's phone``, ``DESKTOP-JOSE``) in
  Meraki ``description``, UniFi ``hostname`` and ``name``; Meraki ``notes`` with phone numbers;
  IP addresses everywhere; session ids.
* MAC addresses: many clients use randomized MACs (locally administered: second hex digit 2, 6,
  A or E), some fixed per network (the same device comes back on many days with the same MAC),
  some new every day; others keep their vendor MAC. Notations differ per system
  (``AA-BB-CC-DD-EE-FF`` in RADIUS, ``aa:bb:cc:dd:ee:ff`` in Meraki and UniFi).
* Library devices: per branch 4 public computers and 1 printer with fixed MACs
  (:data:`~libstats.demo.wifi.network.LIBRARY_DEVICE_MACS`) connect every open day on the public
  SSID; staff devices use the SSID ``RCLS-Staff``
  (:data:`~libstats.demo.wifi.network.EXCLUDE_SSIDS`). Neither may be counted.
* Volumes over 4 GiB: some RADIUS sessions carry ``Acct-*-Gigawords`` > 0.
* NAS events: a few ``Accounting-Off`` / ``Accounting-On`` pairs (controller reboots, at night);
  the ``Acct-Session-Id`` prefix changes after each reboot.
* Anomalies (well under 5 % of sessions): RADIUS exact duplicate records (retransmits, about
  0.5 % of session records); 2024-07-01 ``Stop`` records without ``Start`` (the session started on
  2024-06-30, before the period); three sessions whose first ``Interim-Update`` is stamped before
  their ``Start`` (clock skew); a few Meraki rows duplicated within a day's file; a few UniFi
  records duplicated and two with ``disassoc_time`` before ``assoc_time`` (negative duration).

Modules (imports point down the list, never up)
===============================================
* :mod:`~libstats.demo.wifi.generate`: :func:`~libstats.demo.wifi.generate.generate_wifi`, which
  ``generate_demo`` calls with its own seed; ``python -m libstats.demo.wifi RAW_DIR [--seed
  SEED]`` runs it alone.
* :mod:`~libstats.demo.wifi.radius`, :mod:`~libstats.demo.wifi.meraki` and
  :mod:`~libstats.demo.wifi.unifi`: each branch's system writing the sessions down.
* :mod:`~libstats.demo.wifi.visits` (the sessions) and :mod:`~libstats.demo.wifi.devices`.
* :mod:`~libstats.demo.wifi.notation` (times, MACs) and :mod:`~libstats.demo.wifi.network` (what
  the config must know: SSIDs, access points, library devices, the logs' fields).
"""
